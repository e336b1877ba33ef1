// Package loadtest drives a mixed, realistic workload through the JSON API
// of a real server on loopback: many clinicians at once opening their day
// and the whole practice's day on the calendar, opening charts, searching
// for clients, autosaving note drafts and booking appointments. It reports
// each operation's latency percentiles, the throughput, every 5xx (there
// must be none), the server's memory, and whether any acknowledged booking
// or save is missing once the server has been stopped and started again
// (there must be none). See docs/PERFORMANCE.md, "Load".
//
// It runs the server on a copy of a generated database (made with
// `mentalspace backup` on SQLite, CREATE DATABASE … TEMPLATE on
// PostgreSQL), or on a practice it generates, never on the original.
package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mentalspace/mentalspace/internal/crashtest"
	"github.com/mentalspace/mentalspace/internal/gen"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Options configure a run.
type Options struct {
	Program crashtest.Program
	Engine  db.Engine
	// SourceDir is a generated practice's data directory: its master key
	// (and on SQLite its database) is copied. Empty with Generate set.
	SourceDir string
	// SourceDB is, on PostgreSQL, the generated database to copy.
	SourceDB string
	// Generate, instead of a copy, generates a practice of this size
	// ("tiny" for tests).
	Generate string
	// PostgresURL reaches the PostgreSQL server on which the copy is made
	// (and dropped afterwards unless kept).
	PostgresURL string
	// Dir holds the copy's data directory; a new temporary one when empty.
	Dir string
	// Users is how many clinicians work at once; Think is the mean pause
	// between one user's requests (exponentially distributed).
	Users    int
	Duration time.Duration
	Think    time.Duration
	Seed     uint64
	Log      io.Writer
	Keep     bool
}

func (o *Options) defaults() {
	if o.Engine == "" {
		o.Engine = db.SQLite
	}
	if o.Users <= 0 {
		o.Users = 50
	}
	if o.Duration <= 0 {
		o.Duration = time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// Op is one kind of request a user makes.
type Op int

// The operations, with their share of requests.
const (
	DayOwn Op = iota
	DayAll
	Chart
	Search
	SaveNote
	Book
	numOps
)

var opNames = [numOps]string{"calendar day, own", "calendar day, all clinicians", "chart open", "client search", "note draft save", "booking"}
var opWeights = [numOps]int{25, 10, 25, 20, 12, 8}

func (o Op) String() string { return opNames[o] }

// OpStats is one operation's figures.
type OpStats struct {
	Op                 Op
	Count              int
	P50, P95, P99, Max time.Duration
	// Status5xx counts server errors; Unexpected other answers than the
	// operation's success; Errors transport failures.
	Status5xx, Unexpected, Errors int
}

// Report is what a run measured.
type Report struct {
	Engine     db.Engine
	Users      int
	Think      time.Duration
	Took       time.Duration // the measured stretch
	Ops        []OpStats
	Requests   int
	Throughput float64 // requests per second
	Status5xx  int
	Unexpected int
	Errors     int
	// Samples holds a few unexpected answers, and ServerErrors the first
	// error lines the server logged, for the reader.
	Samples, ServerErrors []string
	// Acknowledged writes and how many were missing after a restart.
	Bookings, Saves, Lost int
	LostDetail            []string
	// The server's resident memory: before the load, the highest sample,
	// the kernel's high-water mark (VmHWM) and at the end.
	RSSStart, RSSPeak, RSSHWM, RSSEnd int64
	Kept                              string
}

// ErrFailed is returned when a run saw a 5xx, an unexpected answer or a
// lost write; the report says which.
var ErrFailed = errors.New("load test failed")

// Run prepares the copy, runs the workload, restarts the server, checks
// every acknowledged write and reports.
func Run(ctx context.Context, o Options) (rep Report, err error) {
	o.defaults()
	rep = Report{Engine: o.Engine, Users: o.Users, Think: o.Think}
	in, cleanup, err := prepare(ctx, o)
	defer func() { rep.Kept = cleanup(o.Keep) }()
	if err != nil {
		return rep, err
	}
	p, err := survey(ctx, in, o)
	if err != nil {
		return rep, err
	}
	srv, err := in.Start(ctx)
	if err != nil {
		return rep, err
	}
	defer func() {
		if !srv.Exited() {
			_ = srv.Kill()
		}
	}()
	if err := p.draftNotes(ctx, srv); err != nil {
		return rep, err
	}
	fmt.Fprintf(o.Log, "load test on %s: %d users for %s (think %s) against pid %d at %s\n", o.Engine, o.Users, o.Duration, o.Think, srv.Pid(), srv.URL)
	mem := startSampler(srv.Pid())
	rep.RSSStart = mem.sample()
	res := p.drive(ctx, srv, o)
	rep.RSSPeak, rep.RSSHWM = mem.stop()
	rep.RSSEnd = mem.sample()
	stopErr := srv.Stop(time.Minute)
	res.fill(&rep)
	rep.ServerErrors = srv.ErrorLines()
	if stopErr != nil {
		return rep, fmt.Errorf("stop the server after the load: %w", stopErr)
	}
	fmt.Fprintf(o.Log, "load done: %d requests; restarting to check %d bookings and %d notes\n", rep.Requests, rep.Bookings, len(p.users))
	if srv, err = in.Start(ctx); err != nil {
		return rep, fmt.Errorf("restart after the load: %w", err)
	}
	rep.LostDetail = p.verify(ctx, srv)
	rep.Lost = len(rep.LostDetail)
	if err := srv.Stop(time.Minute); err != nil {
		return rep, err
	}
	if rep.Status5xx > 0 || rep.Unexpected > 0 || rep.Errors > 0 || rep.Lost > 0 {
		return rep, ErrFailed
	}
	return rep, nil
}

// prepare makes the installation the server runs on: a copy of the source,
// or a newly generated practice.
func prepare(ctx context.Context, o Options) (*crashtest.Installation, func(keep bool) string, error) {
	var undo []func()
	var kept []string
	cleanup := func(keep bool) string {
		if keep {
			return strings.Join(kept, "; ")
		}
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
		return ""
	}
	dir := o.Dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "mentalspace-loadtest-"); err != nil {
			return nil, cleanup, err
		}
		undo = append(undo, func() { os.RemoveAll(dir) })
	}
	in := &crashtest.Installation{Program: o.Program, Engine: o.Engine, DataDir: filepath.Join(dir, "data")}
	kept = append(kept, "data directory "+in.DataDir)
	if err := os.MkdirAll(in.DataDir, 0o700); err != nil {
		return nil, cleanup, err
	}
	if o.Engine == db.Postgres {
		if o.PostgresURL == "" {
			return nil, cleanup, errors.New("load test on postgres: give the server's URL")
		}
		if o.Generate == "" && o.SourceDB == "" {
			return nil, cleanup, errors.New("load test on postgres: name the generated database to copy")
		}
		name := fmt.Sprintf("mentalspace_load_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
		fmt.Fprintf(o.Log, "copying database %s to %s…\n", o.SourceDB, name)
		var err error
		if in.DatabaseURL, err = crashtest.CreateDatabase(ctx, o.PostgresURL, name, o.SourceDB); err != nil {
			return nil, cleanup, err
		}
		undo = append(undo, func() { _ = crashtest.DropDatabase(context.WithoutCancel(ctx), o.PostgresURL, name) })
		kept = append(kept, "database "+name)
	}
	if o.Generate != "" {
		_, err := in.Run(ctx, "gen", "--size", o.Generate, "--seed", strconv.FormatUint(o.Seed, 10))
		return in, cleanup, err
	}
	if o.SourceDir == "" {
		return nil, cleanup, errors.New("load test: give the generated practice's data directory")
	}
	key, err := os.ReadFile(filepath.Join(o.SourceDir, "master.key"))
	if err != nil {
		return nil, cleanup, fmt.Errorf("the generated practice's master key: %w", err)
	}
	if err := os.WriteFile(filepath.Join(in.DataDir, "master.key"), key, 0o600); err != nil {
		return nil, cleanup, err
	}
	if o.Engine == db.SQLite {
		// The product's own consistent copy (VACUUM INTO), safe even while
		// something else reads the source.
		fmt.Fprintf(o.Log, "copying %s with mentalspace backup…\n", o.SourceDir)
		src := &crashtest.Installation{Program: o.Program, Engine: db.SQLite, DataDir: o.SourceDir}
		if _, err := src.Run(ctx, "backup", "--out", filepath.Join(in.DataDir, "mentalspace.db")); err != nil {
			return nil, cleanup, err
		}
	}
	return in, cleanup, nil
}

// plan is what the users work on, read from the database before the load.
type plan struct {
	users    []*user
	loc      *time.Location
	days     []time.Time // calendar days to view
	prefixes []string    // search terms
	typeID   int64
	template int64
	seed     uint64
	think    time.Duration
}

// user is one clinician at work.
type user struct {
	n           int
	clinicianID int64
	token       string
	clients     []int64
	// Bookings go to slots nobody uses: slot k of this user starts at
	// first + (k·stride + offset)·slot; users of one clinician interleave.
	first          time.Time
	stride, offset int
	next           int
	booked         []crashtest.Booking
	// The user's draft: its last acknowledged version and body.
	noteID  int64
	version int64
	body    map[string]string
}

const slot = 10 * time.Minute

// survey picks the clinicians, their clients, days, search terms and a
// stretch of calendar nobody uses, and makes each clinician an API token.
func survey(ctx context.Context, in *crashtest.Installation, o Options) (*plan, error) {
	d, err := in.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	q := d.Read()
	p := &plan{seed: o.Seed, think: o.Think}
	if p.loc, err = time.LoadLocation(gen.TimeZone); err != nil {
		return nil, err
	}
	var lastEnd, lastDone int64
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(max(ends_at), 0) FROM appointments`).Scan(&lastEnd); err != nil {
		return nil, fmt.Errorf("survey: %w", err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(max(starts_at), 0) FROM appointments WHERE status = 'completed'`).Scan(&lastDone); err != nil {
		return nil, fmt.Errorf("survey: %w", err)
	}
	if err := q.QueryRowContext(ctx, `SELECT id FROM appointment_types WHERE kind = 'individual' AND active ORDER BY id LIMIT 1`).Scan(&p.typeID); err != nil {
		return nil, fmt.Errorf("survey: %w", err)
	}
	// The practice's "today" is its last completed session: days from four
	// weeks before to two weeks after.
	today := time.UnixMicro(lastDone).In(p.loc)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, p.loc)
	for i := -28; i <= 14; i++ {
		if day := today.AddDate(0, 0, i); day.Weekday() != time.Saturday && day.Weekday() != time.Sunday {
			p.days = append(p.days, day)
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT last_name FROM clients WHERE merged_into IS NULL ORDER BY id LIMIT 3000`)
	if err != nil {
		return nil, fmt.Errorf("survey: %w", err)
	}
	seen := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, err
		}
		if r := []rune(strings.ToLower(name)); len(r) >= 3 {
			for _, n := range []int{2, 3, 4} {
				if pre := string(r[:min(n, len(r))]); !seen[pre] {
					seen[pre] = true
					p.prefixes = append(p.prefixes, pre)
				}
			}
		}
	}
	rows.Close()
	if len(p.prefixes) == 0 {
		return nil, errors.New("survey: no client names to search for")
	}

	type clinician struct {
		id      int64
		email   string
		clients []int64
	}
	var cs []*clinician
	rows, err = q.QueryContext(ctx, `SELECT u.id, u.email, c.id FROM users u JOIN clients c ON c.primary_clinician_id = u.id
		WHERE u.status = 'active' AND c.status = 'active' AND c.merged_into IS NULL
		  AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role IN ('clinician', 'associate'))
		ORDER BY u.id, c.id`)
	if err != nil {
		return nil, fmt.Errorf("survey: %w", err)
	}
	for rows.Next() {
		var uid, cid int64
		var email string
		if err := rows.Scan(&uid, &email, &cid); err != nil {
			rows.Close()
			return nil, err
		}
		if len(cs) == 0 || cs[len(cs)-1].id != uid {
			cs = append(cs, &clinician{id: uid, email: email})
		}
		cs[len(cs)-1].clients = append(cs[len(cs)-1].clients, cid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	cs = slices.DeleteFunc(cs, func(c *clinician) bool { return len(c.clients) < 2 })
	if len(cs) == 0 {
		return nil, errors.New("survey: no clinician with active clients")
	}
	d.Close()

	now := time.Now().UTC()
	first := time.UnixMicro(lastEnd).UTC()
	if first.Before(now) {
		first = now
	}
	first = first.Truncate(24 * time.Hour).Add(48 * time.Hour)
	tokens := map[int64]string{}
	perClinician := map[int64]int{}
	for i := range o.Users {
		c := cs[i%len(cs)]
		perClinician[c.id]++
		if tokens[c.id] == "" {
			out, err := in.Run(ctx, "token", "create", "--email", c.email, "--name", "load test")
			if err != nil {
				return nil, err
			}
			tokens[c.id] = strings.TrimSpace(out)
		}
		p.users = append(p.users, &user{n: i, clinicianID: c.id, token: tokens[c.id], clients: c.clients, first: first,
			offset: i / len(cs)})
	}
	for _, u := range p.users {
		u.stride = perClinician[u.clinicianID]
	}
	return p, nil
}

type noteAnswer struct {
	ID      int64             `json:"id"`
	Kind    string            `json:"kind"`
	Status  string            `json:"status"`
	Body    map[string]string `json:"body"`
	Version int64             `json:"version"`
}

// draftNotes starts each user's note draft (acknowledged writes too).
func (p *plan) draftNotes(ctx context.Context, srv *crashtest.Server) error {
	hc := crashtest.NewHTTPClient(4)
	defer hc.CloseIdleConnections()
	c := &crashtest.Client{HTTP: hc, BaseURL: srv.URL, Token: p.users[0].token}
	var ts struct {
		Data []struct {
			ID   int64  `json:"id"`
			Kind string `json:"kind"`
		} `json:"data"`
	}
	if status, body, err := c.Do(ctx, "GET", "/api/v1/note-templates", nil, &ts); err != nil || status != http.StatusOK {
		return fmt.Errorf("list note templates: %d %s %v", status, body, err)
	}
	for _, t := range ts.Data {
		if t.Kind == "progress_soap" || (p.template == 0 && strings.HasPrefix(t.Kind, "progress")) {
			p.template = t.ID
		}
	}
	if p.template == 0 {
		return errors.New("no progress note template")
	}
	for _, u := range p.users {
		c := &crashtest.Client{HTTP: hc, BaseURL: srv.URL, Token: u.token}
		var n noteAnswer
		status, body, err := c.Do(ctx, "POST", "/api/v1/notes", map[string]any{"client_id": u.clients[u.n%len(u.clients)], "template_id": p.template}, &n)
		if err != nil || status != http.StatusCreated {
			return fmt.Errorf("start user %d's draft: %d %s %v", u.n, status, body, err)
		}
		u.noteID, u.version, u.body = n.ID, n.Version, map[string]string{}
	}
	return nil
}

// results are one run's measurements, merged from every user.
type results struct {
	mu       sync.Mutex
	lat      [numOps][]time.Duration
	s5xx     [numOps]int
	unexp    [numOps]int
	errs     [numOps]int
	samples  []string
	took     time.Duration
	bookings int
	saves    int
	// requested counts requests as they are made, for progress.
	requested atomic.Int64
}

func (r *results) fill(rep *Report) {
	rep.Took = r.took
	for op := range numOps {
		l := r.lat[op]
		slices.Sort(l)
		st := OpStats{Op: op, Count: len(l), Status5xx: r.s5xx[op], Unexpected: r.unexp[op], Errors: r.errs[op]}
		if len(l) > 0 {
			st.P50, st.P95, st.P99, st.Max = percentile(l, 50), percentile(l, 95), percentile(l, 99), l[len(l)-1]
		}
		rep.Ops = append(rep.Ops, st)
		rep.Requests += len(l)
		rep.Status5xx += st.Status5xx
		rep.Unexpected += st.Unexpected
		rep.Errors += st.Errors
	}
	rep.Throughput = float64(rep.Requests) / r.took.Seconds()
	rep.Samples = r.samples
	rep.Bookings, rep.Saves = r.bookings, r.saves
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(len(sorted)-1, i-1))]
}

// drive runs every user for the duration.
func (p *plan) drive(ctx context.Context, srv *crashtest.Server, o Options) *results {
	res := &results{}
	hc := crashtest.NewHTTPClient(len(p.users))
	defer hc.CloseIdleConnections()
	halt := make(chan struct{})
	var wg sync.WaitGroup
	start := time.Now()
	for _, u := range p.users {
		c := &crashtest.Client{HTTP: hc, BaseURL: srv.URL, Token: u.token}
		rng := rand.New(rand.NewPCG(p.seed, uint64(u.n)))
		wg.Go(func() { p.work(ctx, u, c, rng, halt, res) })
	}
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	deadline := time.After(o.Duration)
wait:
	for {
		select {
		case <-deadline:
			break wait
		case <-ctx.Done():
			break wait
		case <-tick.C:
			fmt.Fprintf(o.Log, "  %s: %d requests\n", time.Since(start).Round(time.Second), res.requested.Load())
		}
	}
	close(halt)
	wg.Wait()
	res.took = time.Since(start)
	return res
}

// work is one user's session: a pause, a request, until halted (a request
// under way is finished).
func (p *plan) work(ctx context.Context, u *user, c *crashtest.Client, rng *rand.Rand, halt <-chan struct{}, res *results) {
	var lat [numOps][]time.Duration
	var s5xx, unexp, errs [numOps]int
	var samples []string
	bookings, saves := 0, 0
	total := 0
	for _, w := range opWeights {
		total += w
	}
	pause := time.NewTimer(0)
	defer pause.Stop()
	for {
		pause.Reset(time.Duration(rng.ExpFloat64() * float64(p.think)))
		select {
		case <-halt:
		case <-ctx.Done():
		case <-pause.C:
		}
		if ctx.Err() != nil || isClosed(halt) {
			break
		}
		op := Op(0)
		for r := rng.IntN(total); r >= opWeights[op]; op++ {
			r -= opWeights[op]
		}
		method, path, in, want := p.request(u, op, rng)
		var saved noteAnswer
		var out any
		if op == SaveNote {
			out = &saved
		}
		t0 := time.Now()
		status, body, err := c.Do(ctx, method, path, in, out)
		lat[op] = append(lat[op], time.Since(t0))
		res.requested.Add(1)
		switch {
		case err != nil:
			errs[op]++
			if len(samples) < 3 {
				samples = append(samples, fmt.Sprintf("%s %s: %v", method, path, err))
			}
			continue
		case status >= 500:
			s5xx[op]++
		case status != want:
			unexp[op]++
		default:
			// Acknowledged: remember what the server said it stored.
			switch op {
			case SaveNote:
				u.version, u.body = saved.Version, in.(map[string]any)["body"].(map[string]string)
				saves++
			case Book:
				var ap struct {
					Appointment struct {
						ID int64 `json:"id"`
					} `json:"appointment"`
				}
				if err := json.Unmarshal(body, &ap); err == nil && ap.Appointment.ID > 0 {
					b := in.(map[string]any)
					start, _ := time.Parse(time.RFC3339, b["start"].(string))
					u.booked = append(u.booked, crashtest.Booking{ID: ap.Appointment.ID, ClinicianID: u.clinicianID,
						ClientID: b["client_ids"].([]int64)[0], Start: start, End: start.Add(slot)})
					bookings++
				}
			}
			continue
		}
		if len(samples) < 3 {
			samples = append(samples, fmt.Sprintf("%s %s: %d %s", method, path, status, truncate(strings.TrimSpace(string(body)), 300)))
		}
	}
	res.mu.Lock()
	defer res.mu.Unlock()
	for op := range numOps {
		res.lat[op] = append(res.lat[op], lat[op]...)
		res.s5xx[op] += s5xx[op]
		res.unexp[op] += unexp[op]
		res.errs[op] += errs[op]
	}
	res.samples = append(res.samples, samples...)
	res.bookings += bookings
	res.saves += saves
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

var words = strings.Fields(`client reports improved sleep and fewer intrusive thoughts since last session practiced grounding
	skills twice daily discussed conflict with partner explored automatic thoughts about work performance reviewed homework
	mood rated six of ten affect congruent no suicidal ideation plan continue cognitive restructuring next session`)

// request builds one operation's request and the status that means success.
func (p *plan) request(u *user, op Op, rng *rand.Rand) (method, path string, in any, want int) {
	switch op {
	case DayOwn, DayAll:
		day := p.days[rng.IntN(len(p.days))]
		v := url.Values{"from": {day.Format(time.RFC3339)}, "to": {day.AddDate(0, 0, 1).Format(time.RFC3339)}}
		if op == DayOwn {
			v.Set("clinician_id", strconv.FormatInt(u.clinicianID, 10))
		}
		return "GET", "/api/v1/appointments?" + v.Encode(), nil, http.StatusOK
	case Chart:
		return "GET", "/api/v1/clients/" + strconv.FormatInt(u.clients[rng.IntN(len(u.clients))], 10), nil, http.StatusOK
	case Search:
		return "GET", "/api/v1/clients?" + url.Values{"q": {p.prefixes[rng.IntN(len(p.prefixes))]}}.Encode(), nil, http.StatusOK
	case SaveNote:
		// An autosave: the body grows as the clinician types.
		body := maps.Clone(u.body)
		for _, k := range []string{"subjective", "objective", "assessment", "plan"} {
			if rng.IntN(2) == 0 || body[k] == "" {
				text := make([]string, 5+rng.IntN(30))
				for i := range text {
					text[i] = words[rng.IntN(len(words))]
				}
				body[k] = strings.TrimSpace(body[k] + " " + strings.Join(text, " "))
				if len(body[k]) > 4000 {
					body[k] = body[k][len(body[k])-4000:]
				}
			}
		}
		return "PUT", "/api/v1/notes/" + strconv.FormatInt(u.noteID, 10), map[string]any{"body": body, "version": u.version}, http.StatusOK
	default: // Book
		k := u.next*u.stride + u.offset
		u.next++
		start := u.first.Add(time.Duration(k) * slot)
		client := u.clients[k%len(u.clients)]
		return "POST", "/api/v1/appointments", map[string]any{"clinician_id": u.clinicianID, "client_ids": []int64{client}, "type_id": p.typeID,
			"telehealth": true, "start": start.Format(time.RFC3339), "minutes": int(slot / time.Minute)}, http.StatusCreated
	}
}

// verify reads every acknowledged booking and each user's draft back from
// the restarted server and lists what is missing or older.
func (p *plan) verify(ctx context.Context, srv *crashtest.Server) []string {
	hc := crashtest.NewHTTPClient(4)
	defer hc.CloseIdleConnections()
	var mu sync.Mutex
	var lost []string
	add := func(format string, args ...any) {
		mu.Lock()
		lost = append(lost, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	work := make(chan func(), 64)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for f := range work {
				f()
			}
		})
	}
	for _, u := range p.users {
		c := &crashtest.Client{HTTP: hc, BaseURL: srv.URL, Token: u.token}
		work <- func() {
			var n noteAnswer
			status, body, err := c.Do(ctx, "GET", "/api/v1/notes/"+strconv.FormatInt(u.noteID, 10), nil, &n)
			if err != nil || status != http.StatusOK || n.Version != u.version || !maps.Equal(n.Body, u.body) {
				add("note %d: acknowledged version %d, reads %d %s version %d (body as acknowledged: %v) %v", u.noteID, u.version, status,
					truncate(string(body), 200), n.Version, maps.Equal(n.Body, u.body), err)
			}
		}
		for _, b := range u.booked {
			work <- func() {
				var ap struct {
					ID          int64     `json:"id"`
					ClinicianID int64     `json:"clinician_id"`
					Start       time.Time `json:"start"`
					Status      string    `json:"status"`
				}
				status, body, err := c.Do(ctx, "GET", "/api/v1/appointments/"+strconv.FormatInt(b.ID, 10), nil, &ap)
				if err != nil || status != http.StatusOK || ap.ClinicianID != b.ClinicianID || !ap.Start.Equal(b.Start) || ap.Status != "scheduled" {
					add("appointment %d: acknowledged, reads %d %s %v", b.ID, status, truncate(string(body), 200), err)
				}
			}
		}
	}
	close(work)
	wg.Wait()
	return lost
}
