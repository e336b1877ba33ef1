package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// The targets for the read scenarios, as large over small.
const (
	dayViewTarget = 1.2
	searchTarget  = 1.5
)

// warmUp is how many calls of a read scenario run before it is measured.
const warmUp = 5

// dayView measures S2: the front desk's calendar of one whole weekday
// (scheduling.Service.Calendar: the appointments with their clinicians,
// rooms and clients, the visibility check, and the audit entry the view
// writes). The day is the last full weekday the practice has had. S2 shows
// the first 200 clinicians (a page of the calendar; every clinician of a
// smaller practice); S2/50 the first 50, at every size, so that its
// large/small ratio compares calendars of the same width and measures what
// the years of history cost, not how many more clinicians a day holds.
func (r *runner) dayView(ctx context.Context) error {
	var last int64
	// Walked back from the latest start, not max() over a filter, which
	// would read every appointment of a large practice.
	err := r.d.Read().QueryRowContext(ctx, `SELECT starts_at FROM appointments WHERE status = 'completed' ORDER BY starts_at DESC LIMIT 1`).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if last == 0 {
		return fmt.Errorf("no completed appointments to view")
	}
	t := db.Time(last).In(r.p.zone)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, r.p.zone)
	for day = day.AddDate(0, 0, -1); day.Weekday() == time.Saturday || day.Weekday() == time.Sunday; day = day.AddDate(0, 0, -1) {
	}
	desk := r.p.desks[0].actor
	for _, width := range []struct {
		name string
		n    int
	}{{"S2", 200}, {"S2/50", 50}} {
		n := min(width.n, len(r.p.clinicians))
		rg := scheduling.Range{From: day, To: day.AddDate(0, 0, 1)}
		for _, c := range r.p.clinicians[:n] {
			rg.ClinicianIDs = append(rg.ClinicianIDs, c.actor.UserID)
		}
		var shown int
		view := func(ctx context.Context, _ int) error {
			aps, err := r.schedule.Calendar(ctx, desk, rg)
			shown = len(aps)
			return err
		}
		for range warmUp {
			if err := view(ctx, 0); err != nil {
				return fmt.Errorf("calendar: %w", err)
			}
		}
		r.logf("%s: day view of %s, %d clinicians, %d appointments", width.name, day.Format(time.DateOnly), n, shown)
		s, err := r.drive(ctx, 1, view)
		if err != nil {
			return fmt.Errorf("calendar: %w", err)
		}
		res := result(DayView, width.name, 1, s, int64(len(s.lat)), "views/s")
		res.Note = fmt.Sprintf("front desk, %s: %d appointments of %d clinicians (of %d)", day.Format("Mon 2006-01-02"), shown, n, len(r.p.clinicians))
		res.Clinicians = n
		r.versusBaseline(&res, dayViewTarget)
		if base, ok := r.o.Baseline.Find(res.Name); ok && res.Ratio > 0 && base.Clinicians != n {
			// A wider calendar than the baseline's: the ratio counts the
			// extra clinicians' appointments too, so it is no test of
			// flatness (S2/50 is).
			res.Versus += fmt.Sprintf(", %d clinicians", base.Clinicians)
			res.Target, res.Met = "(wider than the baseline: see S2/50)", nil
		}
		r.add(res)
	}
	return nil
}

// search measures S3: clients.Service.Search for the first three letters of
// a surname (authorisation, the name-order walk, the audit entry), as the
// front desk, who sees every client, and as a clinician with the median
// caseload, whose results are limited to it. Queries are the surnames of
// 200 clients the searcher may see, spread over the table.
func (r *runner) search(ctx context.Context) error {
	clinician, err := r.medianClinician(ctx)
	if err != nil {
		return err
	}
	for _, who := range []struct {
		name  string
		actor access.Actor
	}{{"S3/frontdesk", r.p.desks[0].actor}, {"S3/clinician", clinician}} {
		queries, err := r.surnamePrefixes(ctx, who.actor, 200)
		if err != nil {
			return err
		}
		if len(queries) == 0 {
			return fmt.Errorf("%s: no clients to search for", who.name)
		}
		var i, found atomic.Int64
		find := func(ctx context.Context, _ int) error {
			q := queries[int(i.Add(1)-1)%len(queries)]
			res, err := r.clients.Search(ctx, who.actor, clients.SearchFilter{Query: q})
			if err != nil {
				return fmt.Errorf("search %q: %w", q, err)
			}
			found.Add(int64(len(res)))
			return nil
		}
		for range warmUp {
			if err := find(ctx, 0); err != nil {
				return err
			}
		}
		i.Store(0)
		found.Store(0)
		r.logf("%s: %d surname prefixes", who.name, len(queries))
		s, err := r.drive(ctx, 1, find)
		if err != nil {
			return err
		}
		res := result(Search, who.name, 1, s, int64(len(s.lat)), "searches/s")
		res.Note = fmt.Sprintf("%.1f results a search", float64(found.Load())/float64(max(1, len(s.lat))))
		if who.actor.UserID == clinician.UserID {
			res.Note = fmt.Sprintf("clinician %d (%s); ", clinician.UserID, joinRoles(clinician.Roles)) + res.Note
		}
		r.versusBaseline(&res, searchTarget)
		r.add(res)
	}
	return nil
}

// medianClinician is the licensed clinician whose caseload (primary
// clinician or care team) is the median of theirs.
func (r *runner) medianClinician(ctx context.Context) (access.Actor, error) {
	type load struct {
		a access.Actor
		n int64
	}
	// Every caseload counted in one pass: a count per clinician with the
	// caseload's OR reads all of a large practice's clients each time.
	rows, err := r.d.Read().QueryContext(ctx, `SELECT u, count(*) FROM (
			SELECT c.primary_clinician_id AS u, c.id FROM clients c WHERE c.merged_into IS NULL AND c.primary_clinician_id IS NOT NULL
			UNION
			SELECT t.user_id, t.client_id FROM client_care_team t JOIN clients c ON c.id = t.client_id WHERE c.merged_into IS NULL
		) caseloads GROUP BY u`)
	if err != nil {
		return access.Actor{}, fmt.Errorf("caseloads: %w", err)
	}
	counts := map[int64]int64{}
	for rows.Next() {
		var u, n int64
		if err := rows.Scan(&u, &n); err != nil {
			rows.Close()
			return access.Actor{}, err
		}
		counts[u] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return access.Actor{}, fmt.Errorf("caseloads: %w", err)
	}
	var loads []load
	for _, c := range r.p.clinicians {
		if c.actor.Has(access.RoleClinician) {
			loads = append(loads, load{c.actor, counts[c.actor.UserID]})
		}
	}
	if len(loads) == 0 {
		return access.Actor{}, fmt.Errorf("no licensed clinician")
	}
	sort.SliceStable(loads, func(i, j int) bool { return loads[i].n < loads[j].n })
	return loads[len(loads)/2].a, nil
}

// surnamePrefixes returns the first three letters of the surnames of up to
// n clients a may see (all for the front desk, the caseload for a
// clinician), every k-th of them by id.
func (r *runner) surnamePrefixes(ctx context.Context, a access.Actor, n int) ([]string, error) {
	where, args := "c.merged_into IS NULL", []any{}
	if !a.Has(access.RoleFrontDesk) {
		where += ` AND (c.primary_clinician_id = $1 OR EXISTS (SELECT 1 FROM client_care_team t WHERE t.client_id = c.id AND t.user_id = $1))`
		args = append(args, a.UserID)
	}
	var total int
	if err := r.d.Read().QueryRowContext(ctx, `SELECT count(*) FROM clients c WHERE `+where, args...).Scan(&total); err != nil {
		return nil, fmt.Errorf("clients to search for: %w", err)
	}
	step := max(1, total/n)
	rows, err := r.d.Read().QueryContext(ctx, `SELECT last_name FROM (SELECT c.id, c.last_name, row_number() OVER (ORDER BY c.id) AS k
		FROM clients c WHERE `+where+`) v WHERE k % `+fmt.Sprint(step)+` = 0 ORDER BY id LIMIT `+fmt.Sprint(n), args...)
	if err != nil {
		return nil, fmt.Errorf("clients to search for: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var last string
		if err := rows.Scan(&last); err != nil {
			return nil, err
		}
		if rs := []rune(last); len(rs) >= 3 {
			out = append(out, string(rs[:3]))
		}
	}
	return out, rows.Err()
}

// versusBaseline gives res as a ratio of its p50 to the baseline's (a run on
// a smaller practice), against the large/small target.
func (r *runner) versusBaseline(res *Result, target float64) {
	res.Target = fmt.Sprintf("large/small ≤ %.1f", target)
	if r.o.Baseline == nil {
		return
	}
	base, ok := r.o.Baseline.Find(res.Name)
	if !ok || base.P50 <= 0 || r.o.Baseline.Engine != r.rep.Engine {
		return
	}
	res.Ratio = round(res.P50/base.P50, 3)
	res.Versus = fmt.Sprintf("p50 at %d clients", r.o.Baseline.Practice.Clients)
	res.Met = met(res.Ratio <= target)
}

func joinRoles(rs []access.Role) string {
	s := ""
	for i, r := range rs {
		if i > 0 {
			s += ", "
		}
		s += string(r)
	}
	return s
}
