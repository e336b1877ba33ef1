package audit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Log writes and reads the audit log, and is where services authorise: an
// allowed action is recorded by the service with its change; a refused one is
// recorded here, in a transaction of its own, because the refused change has none.
type Log struct {
	db     *db.DB
	clock  clock.Clock
	policy access.Policy
}

// NewLog returns the audit log over d.
func NewLog(d *db.DB, c clock.Clock, p access.Policy) *Log { return &Log{db: d, clock: c, policy: p} }

// Policy returns the permission policy the log enforces.
func (l *Log) Policy() access.Policy { return l.policy }

// Event is what a service tells the log; the actor fills who, where and how.
type Event struct {
	Action     Action
	ObjectType string
	ObjectID   string
	ClientID   int64
	Outcome    Outcome // default Success
	Detail     string
	// Role is the role used; Authorize returns it.
	Role access.Role
}

func (l *Log) entry(a access.Actor, ev Event) *Entry {
	if ev.Outcome == "" {
		ev.Outcome = Success
	}
	return &Entry{
		At: l.clock.Now(), UserID: a.UserID, Role: string(ev.Role), Action: ev.Action,
		ObjectType: ev.ObjectType, ObjectID: ev.ObjectID, ClientID: ev.ClientID,
		IP: a.IP, UserAgent: truncate(a.UserAgent, 300), Outcome: ev.Outcome, Detail: ev.Detail, RequestID: a.RequestID,
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// Record appends an entry for a's action inside tx, the transaction of the change itself.
func (l *Log) Record(ctx context.Context, tx *db.Tx, a access.Actor, ev Event) error {
	return appendEntry(ctx, tx, l.entry(a, ev))
}

// RecordAlone appends an entry in its own transaction, for events that change
// nothing else (a failed login, a refused request).
func (l *Log) RecordAlone(ctx context.Context, a access.Actor, ev Event) error {
	return l.db.InTx(ctx, func(tx *db.Tx) error { return l.Record(ctx, tx, a, ev) })
}

// Authorize asks the policy whether a may do p on t. When refused it records a
// denied entry for ev and returns a forbidden error; when allowed it returns
// the role used, for the service's own entry.
func (l *Log) Authorize(ctx context.Context, a access.Actor, p access.Permission, t access.Target, ev Event) (access.Role, error) {
	d, err := l.policy.Decide(ctx, a, p, t)
	if err != nil {
		return "", apperr.Internal(fmt.Errorf("authorize: %w", err))
	}
	if d.Allowed {
		return d.Role, nil
	}
	ev.Outcome, ev.ClientID = Denied, t.ClientID
	if ev.Detail == "" {
		ev.Detail = "permission " + string(p)
	}
	if err := l.RecordAlone(ctx, a, ev); err != nil {
		return "", apperr.Internal(fmt.Errorf("record denial: %w", err))
	}
	return "", apperr.Forbidden()
}

// EmergencyDetail marks entries of access granted only by break-the-glass;
// the report flags them.
const EmergencyDetail = "break-the-glass"

// AuthorizeClient is Authorize for an action on one client's data. It returns
// the whole decision; when access came through break-the-glass it also marks
// ev for the caller's own entry.
func (l *Log) AuthorizeClient(ctx context.Context, a access.Actor, p access.Permission, clientID int64, ev *Event) (access.Decision, error) {
	ev.ClientID = clientID
	d, err := l.policy.Decide(ctx, a, p, access.Target{ClientID: clientID})
	if err != nil {
		return d, apperr.Internal(fmt.Errorf("authorize: %w", err))
	}
	if !d.Allowed {
		denied := *ev
		denied.Outcome = Denied
		if denied.Detail == "" {
			denied.Detail = "permission " + string(p)
		}
		if err := l.RecordAlone(ctx, a, denied); err != nil {
			return d, apperr.Internal(fmt.Errorf("record denial: %w", err))
		}
		return d, apperr.Forbidden()
	}
	ev.Role = d.Role
	if d.Emergency {
		ev.Detail = strings.TrimSpace(EmergencyDetail + " " + ev.Detail)
	}
	return d, nil
}

// Page is one page of the audit report.
type Page struct {
	Entries []Entry
	Total   int
}

// Find returns entries for the report. Administrators only; the read itself
// is audited. Errors: forbidden.
func (l *Log) Find(ctx context.Context, a access.Actor, f Filter) (Page, error) {
	ev := Event{Action: ActionRead, ObjectType: "audit_log"}
	role, err := l.Authorize(ctx, a, access.PermAuditRead, access.Target{ClientID: f.ClientID}, ev)
	if err != nil {
		return Page{}, err
	}
	// Read on the read pool (a long report must not hold SQLite's single
	// writer), then record the read.
	var p Page
	if p.Entries, err = find(ctx, l.db.Read(), f); err != nil {
		return Page{}, apperr.Internal(err)
	}
	if f.BeforeSeq == 0 {
		if p.Total, err = count(ctx, l.db.Read(), f); err != nil {
			return Page{}, apperr.Internal(err)
		}
	}
	ev.Role, ev.ClientID = role, f.ClientID
	if err := l.RecordAlone(ctx, a, ev); err != nil {
		return Page{}, apperr.Internal(err)
	}
	return p, nil
}

// Export streams every entry matching f to emit, newest first, and records
// the export. Administrators only. Errors: forbidden.
func (l *Log) Export(ctx context.Context, a access.Actor, f Filter, emit func(Entry) error) error {
	ev := Event{Action: ActionExport, ObjectType: "audit_log"}
	role, err := l.Authorize(ctx, a, access.PermAuditExport, access.Target{ClientID: f.ClientID}, ev)
	if err != nil {
		return err
	}
	ev.Role, ev.ClientID = role, f.ClientID
	if err := l.RecordAlone(ctx, a, ev); err != nil {
		return apperr.Internal(err)
	}
	// Newest first, paged by sequence number: entries appended meanwhile are
	// after the first page's start and cannot shift later pages.
	f.Limit, f.Offset, f.Sort, f.Desc = 1000, 0, "at", true
	for {
		page, err := find(ctx, l.db.Read(), f)
		if err != nil {
			return apperr.Internal(err)
		}
		for _, e := range page {
			if err := emit(e); err != nil {
				return err
			}
		}
		if len(page) < f.Limit {
			return nil
		}
		f.BeforeSeq = page[len(page)-1].Seq
	}
}

// CountFailedLogins counts failed sign-ins since t, for the administrator's
// home page. Errors: forbidden.
func (l *Log) CountFailedLogins(ctx context.Context, a access.Actor, since time.Time) (int, error) {
	if _, err := l.Authorize(ctx, a, access.PermAuditRead, access.Target{}, Event{Action: ActionRead, ObjectType: "audit_log"}); err != nil {
		return 0, err
	}
	var n int
	err := l.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = 'login' AND outcome = 'failed' AND at >= $1`, db.Micros(since)).Scan(&n)
	if err != nil {
		return 0, apperr.Internal(err)
	}
	return n, nil
}

// CountEmergencyAccess counts the break-the-glass grants made from since on, for the
// administrator's home page. Errors: forbidden.
func (l *Log) CountEmergencyAccess(ctx context.Context, a access.Actor, since time.Time) (int, error) {
	if _, err := l.Authorize(ctx, a, access.PermAuditRead, access.Target{}, Event{Action: ActionRead, ObjectType: "audit_log"}); err != nil {
		return 0, err
	}
	var n int
	err := l.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE object_type = 'break_glass' AND action = 'create'
		AND outcome = 'success' AND at >= $1`, db.Micros(since)).Scan(&n)
	if err != nil {
		return 0, apperr.Internal(err)
	}
	return n, nil
}
