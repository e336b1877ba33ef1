package notes

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Policy is the practice's documentation policy.
type Policy struct {
	NoteDueHours   int // a note is due this long after the appointment ends
	LockAfterDays  int // 0: drafts never lock for their author
	PlanReviewDays int // a treatment plan is due for review this long after signing
	Version        int64
}

func policyOf(ctx context.Context, q db.Querier) (Policy, error) {
	var p Policy
	err := q.QueryRowContext(ctx, `SELECT note_due_hours, lock_after_days, plan_review_days, version FROM documentation_policy WHERE id = 1`).
		Scan(&p.NoteDueHours, &p.LockAfterDays, &p.PlanReviewDays, &p.Version)
	return p, err
}

// Policy returns the documentation policy.
func (s *Service) Policy(ctx context.Context, a access.Actor) (Policy, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermSettingsRead, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "documentation_policy"}); err != nil {
		return Policy{}, err
	}
	p, err := policyOf(ctx, s.db.Read())
	return p, wrap(err)
}

// SavePolicy changes the documentation policy; Version must match.
// Errors: forbidden, invalid, conflict.
func (s *Service) SavePolicy(ctx context.Context, a access.Actor, p Policy) error {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "documentation_policy", ObjectID: "1"}
	if _, err := s.audit.Authorize(ctx, a, access.PermSettingsManage, access.Target{}, ev); err != nil {
		return err
	}
	f := map[string]string{}
	if p.NoteDueHours < 1 || p.NoteDueHours > 24*14 {
		f["note_due_hours"] = "Notes are due between 1 hour and 14 days after the session."
	}
	if p.LockAfterDays < 0 || p.LockAfterDays > 365 {
		f["lock_after_days"] = "Lock after 0 (never) to 365 days."
	}
	if p.PlanReviewDays < 7 || p.PlanReviewDays > 365 {
		f["plan_review_days"] = "Plans are reviewed every 7 to 365 days."
	}
	if len(f) > 0 {
		return apperr.Invalid("Check the highlighted fields.", f)
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE documentation_policy SET note_due_hours = $1, lock_after_days = $2, plan_review_days = $3, version = version + 1, updated_at = $4
			WHERE id = 1 AND version = $5`, p.NoteDueHours, p.LockAfterDays, p.PlanReviewDays, db.Micros(s.clock.Now()), p.Version)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return apperr.Conflict("The policy was changed by someone else. Reload and try again.")
		}
		return s.audit.Record(ctx, tx, a, ev)
	}))
}

// Todo is one row of a documentation dashboard.
type Todo struct {
	ClientID      int64
	ClientName    string
	ClinicianID   int64
	ClinicianName string
	AppointmentID int64
	NoteID        int64
	Kind          Kind
	Date          time.Time // the session's end, or the note's date
	Due           time.Time
	Overdue       bool
	AgeDays       int
	// Status, SignedAt and Locked describe a note row (zero for sessions
	// without a note): SignedAt is when an awaiting note was sent for
	// co-signature; Locked marks a draft the deadline has locked.
	Status   Status
	SignedAt time.Time
	Locked   bool

	unlockedUntil time.Time
}

// Dashboard is the documentation to-do of one clinician, or of everyone a
// supervisor or administrator oversees.
type Dashboard struct {
	Missing        []Todo // completed appointments with no note
	Drafts         []Todo // drafts and returned notes not yet signed
	AwaitingCosign []Todo // supervisees' notes waiting for this supervisor
	Waiting        []Todo // the author's own notes waiting for their supervisor
	Overdue        []Todo // past the deadline with no final note
	PlansDue       []Todo // treatment plans due for review
	Policy         Policy
}

// maxRows bounds each dashboard list.
const maxRows = 200

// Dashboard builds the documentation dashboard. A clinician or associate sees
// their own; a supervisor also their supervisees'; an administrator
// everyone's. Errors: forbidden.
func (s *Service) Dashboard(ctx context.Context, a access.Actor) (Dashboard, error) {
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "documentation_dashboard"}
	if _, err := s.audit.Authorize(ctx, a, access.PermDiagnosesRead, access.Target{}, ev); err != nil {
		return Dashboard{}, err
	}
	d, err := s.dashboard(ctx, a)
	if err != nil {
		return d, err
	}
	// The dashboard shows client names: its read is audited.
	ev.Detail = fmt.Sprintf("missing %d, drafts %d, awaiting co-sign %d, overdue %d, plans due %d",
		len(d.Missing), len(d.Drafts), len(d.AwaitingCosign), len(d.Overdue), len(d.PlansDue))
	return d, wrap(s.audit.RecordAlone(ctx, a, ev))
}

// dashboard builds a's dashboard without authorising or auditing it: the
// caller does both (Dashboard for the reader, the digest for its recipient).
func (s *Service) dashboard(ctx context.Context, a access.Actor) (Dashboard, error) {
	q := s.db.Read()
	var d Dashboard
	var err error
	if d.Policy, err = policyOf(ctx, q); err != nil {
		return d, wrap(err)
	}
	// Whose work: a set of author ids, or everyone (administrators, billers).
	who, args := "", []any{}
	switch {
	case a.System || a.Has(access.RoleAdmin) || a.Has(access.RoleBiller):
		who = "TRUE"
	case a.Has(access.RoleSupervisor):
		who, args = "(%[1]s = $1 OR %[1]s IN (SELECT supervisee_id FROM supervision WHERE supervisor_id = $1))", []any{a.UserID}
	default:
		who, args = "%s = $1", []any{a.UserID}
	}
	col := func(c string) string {
		if who == "TRUE" {
			return who
		}
		return fmt.Sprintf(who, c)
	}
	now := s.clock.Now()
	due := time.Duration(d.Policy.NoteDueHours) * time.Hour
	n := len(args)
	sessions, err := s.todos(ctx, q, `SELECT ac.client_id, c.first_name, c.preferred_name, c.last_name, a.clinician_id, u.name, a.id,
			COALESCE((SELECT max(n.id) FROM notes n WHERE n.appointment_id = a.id AND n.client_id = ac.client_id), 0), '', a.ends_at, '', NULL, NULL
		FROM appointments a JOIN appointment_clients ac ON ac.appointment_id = a.id JOIN clients c ON c.id = ac.client_id JOIN users u ON u.id = a.clinician_id
		WHERE a.status = 'completed' AND ac.attendance IN ('expected', 'attended') AND `+col("a.clinician_id")+fmt.Sprintf(`
		AND NOT EXISTS (SELECT 1 FROM notes n WHERE n.appointment_id = a.id AND n.client_id = ac.client_id AND n.status IN ('signed', 'cosigned'))
		ORDER BY a.ends_at LIMIT %d`, maxRows*2), args...)
	if err != nil {
		return d, wrap(err)
	}
	for _, t := range sessions {
		t.Due = t.Date.Add(due)
		t.Overdue = now.After(t.Due)
		t.AgeDays = int(now.Sub(t.Date).Hours() / 24)
		if t.NoteID == 0 && len(d.Missing) < maxRows {
			d.Missing = append(d.Missing, t)
		}
		if t.Overdue && len(d.Overdue) < maxRows {
			d.Overdue = append(d.Overdue, t)
		}
	}
	noteRows := `SELECT n.client_id, c.first_name, c.preferred_name, c.last_name, n.author_id, u.name, COALESCE(n.appointment_id, 0), n.id, n.kind,
			COALESCE(n.ends_at, n.created_at), n.status, n.signed_at, n.unlocked_until
		FROM notes n JOIN clients c ON c.id = n.client_id JOIN users u ON u.id = n.author_id WHERE `
	if d.Drafts, err = s.todos(ctx, q, noteRows+`n.status IN ('draft', 'returned') AND `+col("n.author_id")+
		fmt.Sprintf(` ORDER BY COALESCE(n.ends_at, n.created_at) LIMIT %d`, maxRows), args...); err != nil {
		return d, wrap(err)
	}
	for i, t := range d.Drafts {
		d.Drafts[i].Locked = d.Policy.LockAfterDays > 0 && now.Sub(t.Date) > time.Duration(d.Policy.LockAfterDays)*24*time.Hour && !now.Before(t.unlockedUntil)
	}
	if d.Waiting, err = s.todos(ctx, q, noteRows+`n.status = 'awaiting_cosign' AND `+col("n.author_id")+
		fmt.Sprintf(` ORDER BY n.signed_at LIMIT %d`, maxRows), args...); err != nil {
		return d, wrap(err)
	}
	cosignWho, cosignArgs := "n.supervisor_id = $1", []any{a.UserID}
	if who == "TRUE" {
		cosignWho, cosignArgs = "TRUE", nil
	}
	if d.AwaitingCosign, err = s.todos(ctx, q, noteRows+`n.status = 'awaiting_cosign' AND `+cosignWho+
		fmt.Sprintf(` ORDER BY n.signed_at LIMIT %d`, maxRows), cosignArgs...); err != nil {
		return d, wrap(err)
	}
	cutoff := db.Micros(now.Add(-time.Duration(d.Policy.PlanReviewDays) * 24 * time.Hour))
	plans, err := s.todos(ctx, q, noteRows+`n.kind IN ('treatment_plan', 'plan_review') AND n.status IN ('signed', 'cosigned') AND `+col("n.author_id")+fmt.Sprintf(`
		AND n.signed_at < $%d AND c.status = 'active'
		AND NOT EXISTS (SELECT 1 FROM notes m WHERE m.client_id = n.client_id AND m.kind IN ('treatment_plan', 'plan_review')
			AND m.status IN ('signed', 'cosigned') AND m.signed_at > n.signed_at)
		ORDER BY n.signed_at LIMIT %d`, n+1, maxRows), append(args, cutoff)...)
	if err != nil {
		return d, wrap(err)
	}
	for _, t := range plans {
		t.Due = t.Date.AddDate(0, 0, d.Policy.PlanReviewDays)
		t.Overdue, t.AgeDays = true, int(now.Sub(t.Date).Hours()/24)
		d.PlansDue = append(d.PlansDue, t)
	}
	return d, nil
}

func (s *Service) todos(ctx context.Context, q db.Querier, query string, args ...any) ([]Todo, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Todo
	for rows.Next() {
		var t Todo
		var first, preferred, last, kind, status string
		var at int64
		var signed, unlocked sql.NullInt64
		if err := rows.Scan(&t.ClientID, &first, &preferred, &last, &t.ClinicianID, &t.ClinicianName, &t.AppointmentID, &t.NoteID, &kind, &at,
			&status, &signed, &unlocked); err != nil {
			return nil, err
		}
		t.Status, t.SignedAt, t.unlockedUntil = Status(status), db.NullTime(signed), db.NullTime(unlocked)
		if preferred != "" {
			first = preferred
		}
		t.ClientName, t.Kind, t.Date = first+" "+last, Kind(kind), db.Time(at)
		out = append(out, t)
	}
	return out, rows.Err()
}

// NotBillableYet reports whether a completed appointment still lacks, for
// some attending client, a final note (signed, and co-signed when the author
// needs it): the billing hold.
func NotBillableYet(ctx context.Context, q db.Querier, appointmentID int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM appointment_clients ac WHERE ac.appointment_id = $1 AND ac.attendance IN ('expected', 'attended')
		AND NOT EXISTS (SELECT 1 FROM notes n WHERE n.appointment_id = ac.appointment_id AND n.client_id = ac.client_id AND n.status IN ('signed', 'cosigned'))`,
		appointmentID).Scan(&n)
	return n > 0, err
}

// BillingHold tells a reader of the schedule whether a completed appointment
// is held from billing for want of a final note. It reveals no client data,
// so it writes no audit entry of its own.
func (s *Service) BillingHold(ctx context.Context, a access.Actor, appointmentID int64) (bool, error) {
	if !s.audit.Policy().Can(a, access.PermScheduleRead) {
		return false, apperr.Forbidden()
	}
	held, err := NotBillableYet(ctx, s.db.Read(), appointmentID)
	return held, wrap(err)
}
