package reminders

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// Prefs is how a client wants appointment reminders, beside what their
// record allows. A reminder goes by email when Email and HasEmail both hold,
// and by text when SMS and CanText both hold (see recipientsOf): a preference
// only turns a channel off, never texts a number without consent.
type Prefs struct {
	// Email and SMS are the client's choice. With none recorded (Set false)
	// both are true: every channel the record allows is used.
	Email, SMS bool
	// Set says a choice is recorded.
	Set bool
	// HasEmail: the record has an email address. CanText: one of its phones
	// may receive texts.
	HasEmail, CanText bool
}

// Preferences returns a client's reminder preferences. It needs clients.read
// on the client (the caseload rule applies) and records the read.
// Errors: forbidden, not_found, internal.
func (s *Service) Preferences(ctx context.Context, a access.Actor, clientID int64) (Prefs, error) {
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "reminder_preferences", ObjectID: audit.ObjectIDOf(clientID)}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermClientsRead, clientID, &ev); err != nil {
		return Prefs{}, err
	}
	var p Prefs
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if p, err = prefsOf(ctx, tx, clientID); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, a, ev)
	})
	return p, wrap(err)
}

// SetPreferences records whether a client takes email and text reminders,
// and brings the reminders of the client's open appointments still ahead in
// line with the choice in the same transaction: reminders waiting on a
// channel turned off are deleted, and those of a channel turned back on are
// made (sent ones stay as history). It needs clients.write on the client
// (the caseload rule applies); the change is audited.
// Errors: forbidden, not_found, internal.
func (s *Service) SetPreferences(ctx context.Context, a access.Actor, clientID int64, email, sms bool) error {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "reminder_preferences", ObjectID: audit.ObjectIDOf(clientID),
		Detail: "email " + onOff(email) + ", texts " + onOff(sms)}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermClientsWrite, clientID, &ev); err != nil {
		return err
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		// The lock scheduling takes for the client: a booking in flight either
		// commits before the appointments are listed here or reads the
		// preferences after they commit.
		if err := scheduling.LockClient(ctx, tx, clientID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM clients WHERE id = $1`, clientID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFound("client")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO reminder_preferences (client_id, email, sms) VALUES ($1, $2, $3)
			ON CONFLICT (client_id) DO UPDATE SET email = excluded.email, sms = excluded.sms`, clientID, email, sms); err != nil {
			return fmt.Errorf("save reminder preferences: %w", err)
		}
		ids, err := openAhead(ctx, tx, clientID, db.Micros(s.clock.Now()))
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := s.sync(ctx, tx, id); err != nil {
				return fmt.Errorf("reminders of appointment %d: %w", id, err)
			}
		}
		return s.audit.Record(ctx, tx, a, ev)
	})
	return wrap(err)
}

// prefsOf reads a client's preferences and what the record allows.
func prefsOf(ctx context.Context, q db.Querier, clientID int64) (Prefs, error) {
	var p Prefs
	var email, sms sql.NullBool
	err := q.QueryRowContext(ctx, `SELECT c.email <> '',
			EXISTS (SELECT 1 FROM client_phones ph WHERE ph.client_id = c.id AND ph.can_text AND ph.digits <> ''),
			p.email, p.sms
		FROM clients c LEFT JOIN reminder_preferences p ON p.client_id = c.id
		WHERE c.id = $1`, clientID).Scan(&p.HasEmail, &p.CanText, &email, &sms)
	if err == sql.ErrNoRows {
		return p, apperr.NotFound("client")
	}
	if err != nil {
		return p, fmt.Errorf("reminder preferences: %w", err)
	}
	p.Set = email.Valid
	p.Email, p.SMS = !email.Valid || email.Bool, !sms.Valid || sms.Bool
	return p, nil
}

// openAhead lists the client's scheduled or confirmed appointments that
// start after now (microseconds), whatever the client's attendance: sync
// works out who is still expected.
func openAhead(ctx context.Context, tx *db.Tx, clientID, now int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT a.id FROM appointments a JOIN appointment_clients ac ON ac.appointment_id = a.id
		WHERE ac.client_id = $1 AND a.status IN ('scheduled', 'confirmed') AND a.starts_at > $2
		ORDER BY a.starts_at, a.id`, clientID, now)
	if err != nil {
		return nil, fmt.Errorf("open appointments: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
