package reminders

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// SendArgs is the job that sends one reminder at its due time. It names the
// reminder and the due time it was made for: a job whose reminder was deleted,
// or whose id now belongs to a reminder for another time, does nothing.
type SendArgs struct {
	ReminderID int64 `json:"reminder_id"`
	DueAt      int64 `json:"due_at"` // microseconds, as stored
}

// Kind names the job.
func (SendArgs) Kind() string { return "reminders.send" }

// SendWorker works SendArgs through the Service.
type SendWorker struct {
	river.WorkerDefaults[SendArgs]
	Service *Service
}

// Work sends the reminder.
func (w *SendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	return w.Service.Send(ctx, job.Args.ReminderID, job.Args.DueAt)
}

// NextRetry applies the Service's backoff after a failed attempt.
func (w *SendWorker) NextRetry(job *river.Job[SendArgs]) time.Time {
	return time.Now().Add(w.Service.backoff(job.Attempt))
}

// systemActor is the worker in the audit log.
var systemActor = access.Actor{System: true, UserAgent: "reminders worker"}

// outgoing is a claimed reminder ready to go.
type outgoing struct {
	id       int64
	clientID int64
	channel  Channel
	to       string
	subject  string
	body     string
	attempts int
}

// Send delivers one reminder, at most once:
//
//  1. In one transaction it re-checks that the reminder still stands (the
//     appointment is open, still starts when the reminder was made for, has
//     not started, the client still attends and can be reached on the
//     channel) and claims it: pending → sending, attempts + 1. Commit.
//  2. It sends, outside any transaction.
//  3. It records the outcome: sent (with the provider's message id); pending
//     again with the error, returned so that River retries after the backoff;
//     failed after MaxAttempts or a permanent error.
//
// A reminder found in "sending" was claimed by a run that never recorded an
// outcome (the process died, or was stopped, mid-send): the message may or may
// not have left, so it is marked unknown and not sent again. Errors returned
// name the reminder id only; provider messages go to last_error.
func (s *Service) Send(ctx context.Context, id, dueAt int64) error {
	var out *outgoing
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		out, err = s.claim(ctx, tx, id, dueAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("reminder %d: claim: %w", id, err)
	}
	if out == nil {
		return nil
	}
	var providerID string
	var sendErr error
	switch out.channel {
	case Email:
		providerID, sendErr = s.mailer.SendEmail(ctx, EmailMessage{To: out.to, Subject: out.subject, Text: out.body})
	case SMS:
		providerID, sendErr = s.texter.SendText(ctx, out.to, out.body)
	}
	return s.finish(ctx, out, providerID, sendErr)
}

// claim re-checks and claims reminder id inside tx; nil means nothing to send.
func (s *Service) claim(ctx context.Context, tx *db.Tx, id, dueAt int64) (*outgoing, error) {
	now := s.clock.Now()
	var r struct {
		appointmentID, clientID int64
		channel, status         string
		hours                   int
		due                     int64
		attempts                int
	}
	err := tx.QueryRowContext(ctx, `SELECT appointment_id, client_id, channel, status, hours_before, due_at, attempts FROM reminders WHERE id = $1`+tx.ForUpdate(), id).
		Scan(&r.appointmentID, &r.clientID, &r.channel, &r.status, &r.hours, &r.due, &r.attempts)
	if err == sql.ErrNoRows || (err == nil && r.due != dueAt) {
		return nil, nil // the appointment changed and this reminder went with it
	}
	if err != nil {
		return nil, err
	}
	switch Status(r.status) {
	case Pending:
	case Sending:
		s.log.WarnContext(ctx, "reminder was interrupted while sending; not sending it again", "reminder_id", id, "appointment_id", r.appointmentID)
		return nil, s.mark(ctx, tx, id, Sending, Unknown, "Interrupted while sending: it may or may not have been delivered, and is not sent again.", now)
	default:
		return nil, nil // sent, failed, skipped or unknown: done
	}
	out := &outgoing{id: id, clientID: r.clientID, channel: Channel(r.channel), attempts: r.attempts + 1}
	skip := func(why string) (*outgoing, error) { return nil, s.mark(ctx, tx, id, Pending, Skipped, why, now) }
	var status, first, preferred, email, attendance, location, practice, phone, zone string
	var start int64
	var telehealth, merged bool
	var wantEmail, wantSMS sql.NullBool
	err = tx.QueryRowContext(ctx, `SELECT a.status, a.starts_at, a.telehealth, COALESCE(l.name, ''), c.first_name, c.preferred_name, c.email, c.merged_into IS NOT NULL,
			COALESCE(ac.attendance, ''), p.email, p.sms, COALESCE(pr.name, ''), COALESCE(pr.phone, ''), COALESCE(pr.time_zone, 'UTC')
		FROM appointments a
		JOIN clients c ON c.id = $2
		LEFT JOIN appointment_clients ac ON ac.appointment_id = a.id AND ac.client_id = c.id
		LEFT JOIN locations l ON l.id = a.location_id
		LEFT JOIN reminder_preferences p ON p.client_id = c.id
		LEFT JOIN practice pr ON pr.id = 1
		WHERE a.id = $1`, r.appointmentID, r.clientID).
		Scan(&status, &start, &telehealth, &location, &first, &preferred, &email, &merged, &attendance, &wantEmail, &wantSMS, &practice, &phone, &zone)
	if err != nil {
		return nil, err
	}
	startAt := db.Time(start)
	switch {
	case !scheduling.Status(status).Open():
		return skip("The appointment is no longer scheduled.")
	case start != r.due+int64(r.hours)*int64(time.Hour/time.Microsecond):
		return skip("The appointment moved; a reminder for the new time replaces this one.")
	case !startAt.After(now):
		return skip("The appointment had already started.")
	case attendance != "expected":
		return skip("The client is no longer expected at this appointment.")
	case merged:
		return skip("The client's record was merged into another.")
	case !s.enabled(out.channel):
		return skip(notSetUp(out.channel))
	}
	var later int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM reminders WHERE appointment_id = $1 AND client_id = $2 AND channel = $3
		AND hours_before < $4 AND due_at <= $5 AND status IN ('pending', 'sending', 'sent')`,
		r.appointmentID, r.clientID, r.channel, r.hours, db.Micros(now)).Scan(&later); err != nil {
		return nil, err
	}
	if later > 0 {
		// Sent late (the server was down): the nearer reminder says it all.
		return skip("A later reminder was due already; this one was not sent.")
	}
	d := describe(first, preferred, startAt, telehealth, location, practice, phone, zone)
	d.Link = s.LinkURL(r.appointmentID, r.clientID, startAt)
	switch out.channel {
	case Email:
		if email == "" || (wantEmail.Valid && !wantEmail.Bool) {
			return skip("The client has no email address for reminders.")
		}
		out.to, out.subject, out.body = email, emailSubject, render(emailBody, d)
	case SMS:
		number, err := textNumber(ctx, tx, r.clientID)
		if err != nil {
			return nil, err
		}
		if number == "" || (wantSMS.Valid && !wantSMS.Bool) {
			return skip("The client has no phone number that may receive texts.")
		}
		out.to, out.body = number, render(smsBody, d)
	}
	res, err := tx.ExecContext(ctx, `UPDATE reminders SET status = 'sending', attempts = attempts + 1, updated_at = $2 WHERE id = $1 AND status = 'pending'`,
		id, db.Micros(now))
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, nil // another run claimed it first
	}
	return out, nil
}

// textNumber is the client's first phone that may receive texts, in E.164
// form; only North American numbers are stored in a form we can dial.
func textNumber(ctx context.Context, q db.Querier, clientID int64) (string, error) {
	rows, err := q.QueryContext(ctx, `SELECT number FROM client_phones WHERE client_id = $1 AND can_text ORDER BY position`, clientID)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return "", err
		}
		if d := clients.PhoneDigits(n); d != "" {
			return "+1" + d, nil
		}
	}
	return "", rows.Err()
}

// mark moves reminder id from one status to another with a reason.
func (s *Service) mark(ctx context.Context, tx *db.Tx, id int64, from, to Status, why string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE reminders SET status = $1, last_error = $2, updated_at = $3 WHERE id = $4 AND status = $5`,
		string(to), why, db.Micros(now), id, string(from))
	return err
}

// finish records the outcome of a send.
func (s *Service) finish(ctx context.Context, out *outgoing, providerID string, sendErr error) error {
	if sendErr != nil && ctx.Err() != nil {
		// Stopped mid-send: whether the message left is unknown. The row
		// stays "sending"; the retry marks it unknown and does not resend.
		return fmt.Errorf("reminder %d: interrupted while sending: %w", out.id, ctx.Err())
	}
	bg := context.WithoutCancel(ctx)
	now := s.clock.Now()
	if sendErr == nil {
		return s.db.InTx(bg, func(tx *db.Tx) error {
			if _, err := tx.ExecContext(bg, `UPDATE reminders SET status = 'sent', sent_at = $1, provider_id = $2, last_error = '', updated_at = $1
				WHERE id = $3 AND status = 'sending'`, db.Micros(now), truncate(providerID, 200), out.id); err != nil {
				return err
			}
			return s.audit.Record(bg, tx, systemActor, audit.Event{Action: audit.ActionUpdate, ObjectType: "reminder", ObjectID: audit.ObjectIDOf(out.id),
				ClientID: out.clientID, Detail: string(out.channel) + " reminder sent"})
		})
	}
	why := truncate(sendErr.Error(), 500)
	if IsPermanent(sendErr) || out.attempts >= s.max {
		if err := s.db.InTx(bg, func(tx *db.Tx) error { return s.mark(bg, tx, out.id, Sending, Failed, why, now) }); err != nil {
			return err
		}
		s.log.WarnContext(ctx, "reminder failed", "reminder_id", out.id, "channel", string(out.channel), "attempts", out.attempts, slog.Bool("permanent", IsPermanent(sendErr)))
		return river.JobCancel(fmt.Errorf("reminder %d: %s failed after %d attempts", out.id, out.channel, out.attempts))
	}
	if err := s.db.InTx(bg, func(tx *db.Tx) error { return s.mark(bg, tx, out.id, Sending, Pending, why, now) }); err != nil {
		return err
	}
	return fmt.Errorf("reminder %d: %s attempt %d failed; retrying", out.id, out.channel, out.attempts)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
