package notes

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"text/template"
	"time"

	"github.com/riverqueue/river"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// The daily documentation digest: one email a day to each active clinician,
// associate and supervisor who has documentation due, with counts from the
// same rules as their dashboard and a link to it. The email carries counts
// only: no client's name, date, service or diagnosis ever goes into it.
//
// The audit log is the record of what was sent: the digest writes an entry
// for its recipient and day (object documentation_digest, id
// "<user id>:<date>") and commits it before it talks to the mail server. A
// second run the same day, a retry, or a second server finds the entry and
// sends nothing. A send the mail server refused is recorded as failed and
// tried again on the next run, up to digestAttempts times a day.

// Mailer sends one plain-text email. The command adapts the SMTP mailer of
// package reminders to it.
type Mailer interface {
	Send(ctx context.Context, to, subject, text string) error
}

// MailerFunc is a function that is a Mailer.
type MailerFunc func(ctx context.Context, to, subject, text string) error

// Send calls f.
func (f MailerFunc) Send(ctx context.Context, to, subject, text string) error {
	return f(ctx, to, subject, text)
}

// DigestEvery is how often the digest job looks for digests due: hourly, so
// that each day's digests leave soon after DigestHour whenever the server
// started, and each recipient's at most once a day.
const DigestEvery = time.Hour

// DigestHour is the hour of the practice's day from which digests go out.
const DigestHour = 7

// digestAttempts bounds the sends of one recipient's digest a day.
const digestAttempts = 3

// digestActor is the digest in the audit log.
var digestActor = access.Actor{System: true, UserAgent: "documentation digest"}

// Digest sends the daily documentation digests.
type Digest struct {
	notes  *Service
	mailer Mailer
	link   string
	log    *slog.Logger
	// Hour is the practice-local hour from which the day's digests go out.
	Hour int
}

// NewDigest returns the digest over the notes service, sending through m
// with a link to baseURL's documentation dashboard. A nil mailer turns the
// digest off.
func NewDigest(s *Service, m Mailer, baseURL string, log *slog.Logger) *Digest {
	return &Digest{notes: s, mailer: m, link: strings.TrimRight(baseURL, "/") + "/documentation", log: log, Hour: DigestHour}
}

// DigestArgs is the periodic job that sends the day's digests.
type DigestArgs struct{}

// Kind names the job.
func (DigestArgs) Kind() string { return "notes.digest" }

// DigestWorker works DigestArgs through the Digest.
type DigestWorker struct {
	river.WorkerDefaults[DigestArgs]
	Digest *Digest
}

// Work sends the digests due. A recipient whose send failed is retried on
// the next hourly run, not by failing the job: a bad address must not hold
// everyone else's digest back behind River's backoff.
func (w *DigestWorker) Work(ctx context.Context, _ *river.Job[DigestArgs]) error {
	_, err := w.Digest.Run(ctx)
	return err
}

// DigestCounts is what one digest says.
type DigestCounts struct {
	Missing        int // completed sessions with no note
	Overdue        int // past the deadline with no final note
	Drafts         int // drafts and returned notes not yet signed
	AwaitingCosign int // supervisees' notes waiting for this supervisor
	PlansDue       int // treatment plans due for review
}

// Any reports whether anything is due.
func (c DigestCounts) Any() bool {
	return c.Missing+c.Overdue+c.Drafts+c.AwaitingCosign+c.PlansDue > 0
}

func (c DigestCounts) String() string {
	return fmt.Sprintf("missing %d, overdue %d, drafts %d, awaiting co-sign %d, plans due %d", c.Missing, c.Overdue, c.Drafts, c.AwaitingCosign, c.PlansDue)
}

// recipient is one user who may get a digest.
type recipient struct {
	id          int64
	name, email string
	roles       []access.Role
}

// Run sends today's digest to every active clinician, associate and
// supervisor with something due who has not had one today, once the
// practice's day has reached Hour. It returns how many it sent. Errors are
// the database's; failed sends are recorded and logged, and retried by the
// next run.
func (g *Digest) Run(ctx context.Context) (int, error) {
	if g == nil || g.mailer == nil {
		return 0, nil
	}
	s := g.notes
	q := s.db.Read()
	var practiceName, zone string
	err := q.QueryRowContext(ctx, `SELECT name, time_zone FROM practice WHERE id = 1`).Scan(&practiceName, &zone)
	if err == sql.ErrNoRows {
		return 0, nil // not set up yet
	}
	if err != nil {
		return 0, fmt.Errorf("digest: practice: %w", err)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	now := s.clock.Now().In(loc)
	if now.Hour() < g.Hour {
		return 0, nil
	}
	day := now.Format(time.DateOnly)
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	rs, err := recipients(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("digest: recipients: %w", err)
	}
	sent := 0
	for _, r := range rs {
		d, err := s.dashboard(ctx, access.Actor{UserID: r.id, Roles: r.roles})
		if err != nil {
			return sent, fmt.Errorf("digest: dashboard of user %d: %w", r.id, err)
		}
		c := DigestCounts{Missing: len(d.Missing), Overdue: len(d.Overdue), Drafts: len(d.Drafts), AwaitingCosign: len(d.AwaitingCosign), PlansDue: len(d.PlansDue)}
		if !c.Any() || r.email == "" {
			continue
		}
		ev := audit.Event{Action: audit.ActionCreate, ObjectType: "documentation_digest", ObjectID: fmt.Sprintf("%d:%s", r.id, day), Detail: "email: " + c.String()}
		claimed, err := g.claim(ctx, r.id, midnight, ev)
		if err != nil {
			return sent, fmt.Errorf("digest: claim for user %d: %w", r.id, err)
		}
		if !claimed {
			continue
		}
		text := digestText(digestView{Name: r.name, Date: now.Format("Monday, January 2, 2006"), Counts: c, Link: g.link, Practice: practiceName})
		if err := g.mailer.Send(ctx, r.email, digestSubject, text); err != nil {
			if g.log != nil {
				g.log.WarnContext(ctx, "documentation digest not sent; the next run tries again", "user_id", r.id, "err", err)
			}
			ev.Outcome, ev.Detail = audit.Failed, "email not sent"
			if err := s.audit.RecordAlone(context.WithoutCancel(ctx), digestActor, ev); err != nil {
				return sent, fmt.Errorf("digest: record failure for user %d: %w", r.id, err)
			}
			continue
		}
		sent++
	}
	if g.log != nil && sent > 0 {
		g.log.InfoContext(ctx, "documentation digests sent", "count", sent, "day", day)
	}
	return sent, nil
}

// claim records today's digest for user before it is sent, unless one was
// recorded already (sent, or being sent by another run) or the day's
// attempts are spent. The user's row is locked so that two runs on
// PostgreSQL take turns; SQLite's single writer does the same.
func (g *Digest) claim(ctx context.Context, user int64, midnight time.Time, ev audit.Event) (bool, error) {
	claimed := false
	err := g.notes.db.InTx(ctx, func(tx *db.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE id = $1`+tx.ForUpdate(), user).Scan(&id); err != nil {
			return err
		}
		// action and at lead: the audit log's (action, at) index finds
		// today's entries without reading the rest of the log.
		rows, err := tx.QueryContext(ctx, `SELECT outcome FROM audit_log WHERE action = $1 AND at >= $2 AND object_type = 'documentation_digest'
			AND object_id = $3 ORDER BY seq DESC`, string(audit.ActionCreate), db.Micros(midnight.Add(-24*time.Hour)), ev.ObjectID)
		if err != nil {
			return err
		}
		var outcomes []string
		for rows.Next() {
			var o string
			if err := rows.Scan(&o); err != nil {
				rows.Close()
				return err
			}
			outcomes = append(outcomes, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		failures := 0
		for _, o := range outcomes {
			if o == string(audit.Failed) {
				failures++
			}
		}
		if (len(outcomes) > 0 && outcomes[0] != string(audit.Failed)) || failures >= digestAttempts {
			return nil
		}
		claimed = true
		return g.notes.audit.Record(ctx, tx, digestActor, ev)
	})
	return claimed, err
}

// recipients are the active users who document or review documentation
// (clinicians, associates, supervisors), with those roles only: an
// administrator's or biller's dashboard covers everyone's work, which is not
// theirs to be reminded of.
func recipients(ctx context.Context, q db.Querier) ([]recipient, error) {
	rows, err := q.QueryContext(ctx, `SELECT u.id, u.name, u.email, r.role FROM users u JOIN user_roles r ON r.user_id = u.id
		WHERE u.status = 'active' AND r.role IN ('clinician', 'associate', 'supervisor') ORDER BY u.id, r.role`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []recipient
	for rows.Next() {
		var r recipient
		var role string
		if err := rows.Scan(&r.id, &r.name, &r.email, &role); err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].id == r.id {
			out[n-1].roles = append(out[n-1].roles, access.Role(role))
			continue
		}
		r.roles = []access.Role{access.Role(role)}
		out = append(out, r)
	}
	return out, rows.Err()
}

// digestView is everything a digest says. Adding a field here is adding it
// to every digest: counts and links only, never a client's details.
type digestView struct {
	Name     string // the recipient's own name
	Date     string
	Counts   DigestCounts
	Link     string
	Practice string
}

const digestSubject = "Your documentation to-do"

var digestTemplate = template.Must(template.New("digest").Parse(`Hello {{.Name}},

Your documentation to-do for {{.Date}}:
{{with .Counts}}
  Sessions without a note:             {{.Missing}}
  Notes past the practice's deadline:  {{.Overdue}}
  Drafts not yet signed:               {{.Drafts}}
  Notes waiting for your co-signature: {{.AwaitingCosign}}
  Treatment plans due for review:      {{.PlansDue}}
{{end}}
Open your documentation dashboard to see them:
{{.Link}}

This daily summary has counts only; the details are behind your sign-in.
{{.Practice}}
`))

func digestText(v digestView) string {
	var b strings.Builder
	// A fixed template over strings and numbers: execution cannot fail.
	_ = digestTemplate.Execute(&b, v)
	return b.String()
}
