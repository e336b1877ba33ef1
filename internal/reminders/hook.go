package reminders

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// slot identifies one reminder of an appointment.
type slot struct {
	clientID int64
	channel  Channel
	hours    int
	due      int64 // microseconds
}

// AppointmentChangedTx brings the appointment's unsent reminders in line
// with it, inside the transaction of the change (scheduling.Hook). While the
// appointment is scheduled or confirmed and still ahead, it should have one
// reminder per attending client, channel the client takes and policy offset;
// pending (and skipped) rows that no longer fit are deleted, and missing rows
// whose due time is still ahead are added, each with its send job. Reminders
// already sent, failed, in flight or of unknown outcome are history and stay.
//
// A pending row that still fits is kept even when its due time has just
// passed, so that an unrelated edit cannot drop a reminder whose job is about
// to run.
func (s *Service) AppointmentChangedTx(ctx context.Context, tx *db.Tx, appointmentID int64) error {
	if err := s.sync(ctx, tx, appointmentID); err != nil {
		return fmt.Errorf("reminders of appointment %d: %w", appointmentID, err)
	}
	return nil
}

func (s *Service) sync(ctx context.Context, tx *db.Tx, appointmentID int64) error {
	now := s.clock.Now()
	want, err := s.wanted(ctx, tx, appointmentID, now)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, client_id, channel, hours_before, due_at, status FROM reminders
		WHERE appointment_id = $1 AND status IN ('pending', 'skipped')`, appointmentID)
	if err != nil {
		return err
	}
	var stale []int64
	for rows.Next() {
		var id int64
		var k slot
		var channel, status string
		if err := rows.Scan(&id, &k.clientID, &channel, &k.hours, &k.due, &status); err != nil {
			rows.Close()
			return err
		}
		k.channel = Channel(channel)
		if st, ok := want[k]; ok && st == Status(status) {
			delete(want, k) // still right: keep it (and its job)
			continue
		}
		stale = append(stale, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range stale {
		// The job of a deleted reminder finds nothing when it runs.
		if _, err := tx.ExecContext(ctx, `DELETE FROM reminders WHERE id = $1`, id); err != nil {
			return err
		}
	}
	for _, k := range sortedSlots(want) {
		st := want[k]
		if k.due <= db.Micros(now) {
			continue
		}
		reason := ""
		if st == Skipped {
			reason = notSetUp(k.channel)
		}
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO reminders (appointment_id, client_id, channel, hours_before, due_at, status, last_error, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
			ON CONFLICT (appointment_id, client_id, channel, hours_before, due_at) DO NOTHING RETURNING id`,
			appointmentID, k.clientID, string(k.channel), k.hours, k.due, string(st), reason, db.Micros(now)).Scan(&id)
		if err == sql.ErrNoRows {
			continue // this very reminder was sent (or tried) already
		}
		if err != nil {
			return err
		}
		if st != Pending {
			continue
		}
		err = s.queue.InsertTx(ctx, tx, SendArgs{ReminderID: id, DueAt: k.due}, &river.InsertOpts{
			ScheduledAt: db.Time(k.due),
			UniqueOpts:  river.UniqueOpts{ByArgs: true},
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// sortedSlots orders the slots by due time, client and channel, so that ids
// follow the order the reminders go out in.
func sortedSlots(m map[slot]Status) []slot {
	out := make([]slot, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b slot) int {
		return cmp.Or(cmp.Compare(a.due, b.due), cmp.Compare(a.clientID, b.clientID), cmp.Compare(a.channel, b.channel))
	})
	return out
}

// wanted lists the reminders the appointment should have now, with the
// status each is created in: pending, or skipped when its channel is off.
// Offsets whose due time has passed are included (see sync).
func (s *Service) wanted(ctx context.Context, tx *db.Tx, appointmentID int64, now time.Time) (map[slot]Status, error) {
	want := map[slot]Status{}
	var status string
	var startUS int64
	err := tx.QueryRowContext(ctx, `SELECT status, starts_at FROM appointments WHERE id = $1`, appointmentID).Scan(&status, &startUS)
	if err == sql.ErrNoRows {
		return want, nil
	}
	if err != nil {
		return nil, err
	}
	start := db.Time(startUS)
	if !scheduling.Status(status).Open() || !start.After(now) {
		return want, nil
	}
	hours, err := reminderHours(ctx, tx)
	if err != nil {
		return nil, err
	}
	recipients, err := recipientsOf(ctx, tx, appointmentID)
	if err != nil {
		return nil, err
	}
	for _, r := range recipients {
		for _, ch := range r.channels {
			st := Pending
			if !s.enabled(ch) {
				st = Skipped
			}
			for _, h := range hours {
				want[slot{clientID: r.clientID, channel: ch, hours: h, due: db.Micros(start.Add(-time.Duration(h) * time.Hour))}] = st
			}
		}
	}
	return want, nil
}

// reminderHours reads the policy's offsets.
func reminderHours(ctx context.Context, q db.Querier) ([]int, error) {
	var hours string
	if err := q.QueryRowContext(ctx, `SELECT reminder_hours FROM scheduling_policy WHERE id = 1`).Scan(&hours); err != nil {
		return nil, fmt.Errorf("reminder hours: %w", err)
	}
	// The policy was validated when saved; a bad value means no reminders.
	h, _ := scheduling.ParseHours(hours)
	return h, nil
}

type recipient struct {
	clientID int64
	channels []Channel
}

// recipientsOf lists the attending clients and the channels each takes. With
// no preference row a client gets email when they have an address and texts
// when one of their phones may receive texts; a preference can only turn a
// channel off, never send texts to a number without that consent.
func recipientsOf(ctx context.Context, q db.Querier, appointmentID int64) ([]recipient, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.id, c.email, p.email, p.sms,
			EXISTS (SELECT 1 FROM client_phones ph WHERE ph.client_id = c.id AND ph.can_text AND ph.digits <> '')
		FROM appointment_clients ac
		JOIN clients c ON c.id = ac.client_id
		LEFT JOIN reminder_preferences p ON p.client_id = c.id
		WHERE ac.appointment_id = $1 AND ac.attendance = 'expected'
		ORDER BY c.id`, appointmentID)
	if err != nil {
		return nil, fmt.Errorf("reminder recipients: %w", err)
	}
	defer rows.Close()
	var out []recipient
	for rows.Next() {
		var r recipient
		var email string
		var wantEmail, wantSMS sql.NullBool
		var canText bool
		if err := rows.Scan(&r.clientID, &email, &wantEmail, &wantSMS, &canText); err != nil {
			return nil, err
		}
		if email != "" && (!wantEmail.Valid || wantEmail.Bool) {
			r.channels = append(r.channels, Email)
		}
		if canText && (!wantSMS.Valid || wantSMS.Bool) {
			r.channels = append(r.channels, SMS)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
