package reminders

import (
	"context"
	"database/sql"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Delivery is one reminder as the appointment page shows it.
type Delivery struct {
	ID          int64
	ClientID    int64
	Channel     Channel
	HoursBefore int
	Due         time.Time
	Status      Status
	Attempts    int
	SentAt      time.Time // zero until sent
	// LastError is the last failure, or why the reminder was not sent.
	LastError string
}

// ForAppointment lists an appointment's reminders by due time, for the
// appointment page. Like scheduling's Get it needs schedule.read, shows only
// the reminders of clients the viewer may see, and records a read of each of
// those clients' data. Errors: forbidden, not_found, internal.
func (s *Service) ForAppointment(ctx context.Context, a access.Actor, appointmentID int64) ([]Delivery, error) {
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "appointment", ObjectID: audit.ObjectIDOf(appointmentID), Detail: "reminder delivery status"}
	if _, err := s.audit.Authorize(ctx, a, access.PermScheduleRead, access.Target{}, ev); err != nil {
		return nil, err
	}
	var out []Delivery
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM appointments WHERE id = $1`, appointmentID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFound("appointment")
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, client_id, channel, hours_before, due_at, status, attempts, sent_at, last_error
			FROM reminders WHERE appointment_id = $1 ORDER BY due_at, client_id, channel, id`, appointmentID)
		if err != nil {
			return err
		}
		var all []Delivery
		var ids []int64
		for rows.Next() {
			var d Delivery
			var channel, status string
			var due int64
			var sent sql.NullInt64
			if err := rows.Scan(&d.ID, &d.ClientID, &channel, &d.HoursBefore, &due, &status, &d.Attempts, &sent, &d.LastError); err != nil {
				rows.Close()
				return err
			}
			d.Channel, d.Status, d.Due, d.SentAt = Channel(channel), Status(status), db.Time(due), db.NullTime(sent)
			all = append(all, d)
			ids = append(ids, d.ClientID)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		visible, err := clients.Visible(ctx, tx, a, s.clock.Now(), ids)
		if err != nil {
			return err
		}
		recorded := map[int64]bool{}
		for _, d := range all {
			if !visible[d.ClientID] {
				continue
			}
			out = append(out, d)
			if recorded[d.ClientID] {
				continue
			}
			recorded[d.ClientID] = true
			e := ev
			e.ClientID = d.ClientID
			if err := s.audit.Record(ctx, tx, a, e); err != nil {
				return err
			}
		}
		return nil
	})
	return out, wrap(err)
}
