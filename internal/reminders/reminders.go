// Package reminders sends appointment reminders by email and text message,
// and answers the signed links in them that let a client confirm or cancel.
//
// The reminders of an appointment follow it. Scheduling calls the Service (a
// scheduling.Hook) inside the transaction of every booking, move and status
// change; the Service brings the appointment's unsent reminders in line with
// it in that same transaction: one row per client, channel and policy offset
// whose due time is still ahead, each with a River job scheduled at its due
// time. A cancelled or moved appointment therefore never keeps a stale
// reminder, and a rolled-back booking leaves none.
//
// Sending favours "never twice" over "at least once". The worker claims a
// reminder (pending → sending) and commits before it talks to the mail or SMS
// server; a job that later finds its reminder still "sending" knows the
// process died mid-send, marks it "unknown" and does not send again. See
// docs/decisions/0007-reminders.md.
//
// Messages carry as little PHI as a reminder can: the client's first
// (preferred) name, the local date and time, the location's name (or "video
// appointment"), the practice's name and phone and the link. Never the
// clinician, the service or a diagnosis.
package reminders

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// Channel is how a reminder travels.
type Channel string

// The channels.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Label is the channel as people read it.
func (c Channel) Label() string {
	if c == SMS {
		return "Text message"
	}
	return "Email"
}

// Status is where a reminder is in its delivery.
type Status string

// The statuses. Pending reminders wait for their due time (or a retry);
// sending ones were claimed by a worker; unknown ones were claimed by a worker
// that died before it could record the outcome, and are never resent.
const (
	Pending Status = "pending"
	Sending Status = "sending"
	Sent    Status = "sent"
	Failed  Status = "failed"
	Skipped Status = "skipped"
	Unknown Status = "unknown"
)

// Label is the status as people read it.
func (s Status) Label() string {
	switch s {
	case Pending:
		return "Waiting"
	case Sending:
		return "Sending"
	case Sent:
		return "Sent"
	case Failed:
		return "Failed"
	case Skipped:
		return "Not sent"
	case Unknown:
		return "Unknown (interrupted while sending)"
	}
	return string(s)
}

// EmailMessage is one email to send.
type EmailMessage struct {
	To, Subject, Text string
}

// Mailer sends email. It returns the message's id (its Message-ID) on
// success; an error wrapped with Permanent is not retried.
type Mailer interface {
	SendEmail(ctx context.Context, m EmailMessage) (messageID string, err error)
}

// Texter sends text messages to E.164 numbers. It returns the provider's
// message id on success; an error wrapped with Permanent is not retried.
type Texter interface {
	SendText(ctx context.Context, to, body string) (messageID string, err error)
}

// Queue enqueues a job inside the caller's transaction; *jobs.Runner is one.
type Queue interface {
	InsertTx(ctx context.Context, tx *db.Tx, args river.JobArgs, opts *river.InsertOpts) error
}

// permanentError marks a failure that retrying cannot fix (an address the
// server refuses, a number that cannot receive texts).
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// DefaultMaxAttempts is how many times a reminder is tried before it fails.
const DefaultMaxAttempts = 5

// DefaultBackoff waits 1, 5, 15, 30 and then 60 minutes between attempts:
// long enough for a mail server to come back, short enough for a two-hour
// reminder to still arrive in time.
func DefaultBackoff(attempt int) time.Duration {
	steps := []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour}
	return steps[min(max(attempt, 1), len(steps))-1]
}

// Deps are the Service's collaborators.
type Deps struct {
	DB         *db.DB
	Clock      clock.Clock
	Audit      *audit.Log
	Scheduling *scheduling.Service
	Log        *slog.Logger
	// Queue enqueues the send jobs; required when a channel is on.
	Queue Queue
	// Mailer sends email reminders; nil turns email off.
	Mailer Mailer
	// Texter sends text reminders; nil turns texts off.
	Texter Texter
	// LinkKey signs the confirm/cancel links (at least 32 bytes; see
	// crypto.MasterKey.Derive). Every instance must use the same key.
	LinkKey []byte
	// BaseURL is where clients reach us, e.g. https://ehr.example.org.
	BaseURL string
	// MaxAttempts caps the tries per reminder; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// Backoff is the wait before attempt n+1 after attempt n failed; nil
	// means DefaultBackoff.
	Backoff func(attempt int) time.Duration
}

// Service keeps, sends and reports appointment reminders, and serves the
// links in them.
type Service struct {
	db      *db.DB
	clock   clock.Clock
	audit   *audit.Log
	sched   *scheduling.Service
	log     *slog.Logger
	queue   Queue
	mailer  Mailer
	texter  Texter
	key     []byte
	baseURL string
	max     int
	backoff func(int) time.Duration
}

// NewService returns the reminders service. Register it with
// scheduling.Service.AddHook and its SendWorker with the job runner.
func NewService(d Deps) (*Service, error) {
	if d.DB == nil || d.Clock == nil || d.Audit == nil || d.Scheduling == nil {
		return nil, errors.New("reminders: database, clock, audit log and scheduling are required")
	}
	if len(d.LinkKey) < 32 {
		return nil, errors.New("reminders: the link key must be at least 32 bytes")
	}
	if (d.Mailer != nil || d.Texter != nil) && d.Queue == nil {
		return nil, errors.New("reminders: a job queue is required to send reminders")
	}
	base := strings.TrimRight(d.BaseURL, "/")
	if u, err := url.Parse(base); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("reminders: base URL %q is not an http(s) URL", d.BaseURL)
	}
	s := &Service{db: d.DB, clock: d.Clock, audit: d.Audit, sched: d.Scheduling, log: d.Log, queue: d.Queue,
		mailer: d.Mailer, texter: d.Texter, key: d.LinkKey, baseURL: base, max: d.MaxAttempts, backoff: d.Backoff}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.max <= 0 {
		s.max = DefaultMaxAttempts
	}
	if s.backoff == nil {
		s.backoff = DefaultBackoff
	}
	return s, nil
}

// enabled reports whether c is configured.
func (s *Service) enabled(c Channel) bool {
	if c == SMS {
		return s.texter != nil
	}
	return s.mailer != nil
}

// notSetUp is the reason recorded on reminders of a channel that is off.
func notSetUp(c Channel) string {
	if c == SMS {
		return "Text reminders are not set up on this server."
	}
	return "Email reminders are not set up on this server."
}

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return apperr.As(err)
}
