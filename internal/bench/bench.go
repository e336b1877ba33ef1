// Package bench measures the hot paths of issue 6 on a practice made by
// package gen, on either engine, through the real services: booking
// (S1), the all-clinicians day view (S2), client search (S3), signing a
// note (S4), and the audit log's append and verify (S7). Each run also
// measures the physical limit L, the rate of fsync'd single-row commits
// the engine reaches with no application code, on the same database, so
// that the writing scenarios can be given as a fraction of it.
//
// A run writes: bookings, signed notes, audit entries, and a scratch table
// it drops at the end. Run it on a copy of a generated database, never on
// real data (it refuses a database whose staff are not gen's).
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/gen"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/crypto"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// The scenarios, by the names.
const (
	Limit   = "L"  // fsync'd single-row commits, no application code
	Book    = "S1" // scheduling.Service.Book, many writers, some on one slot
	DayView = "S2" // scheduling.Service.Calendar, one day, every clinician
	Search  = "S3" // clients.Service.Search, a three-letter surname prefix
	Sign    = "S4" // notes.Service.Sign of prepared drafts
	Audit   = "S7" // audit.Log append, and audit.Verify
)

// Scenarios lists every scenario in the order a run measures them.
var Scenarios = []string{Limit, Book, DayView, Search, Sign, Audit}

// Options say what to measure and for how long.
type Options struct {
	// Scenarios to run (default: all). L is measured whenever S1 or S4 is,
	// since they are reported as a fraction of it.
	Scenarios []string
	// Each measured part runs for Duration, or for Iterations calls when
	// Iterations is set.
	Duration   time.Duration
	Iterations int
	// Writers is the concurrency of the writing scenarios (L, S1, S4).
	Writers int
	// Drafts is how many drafts S4 prepares for each of its two parts
	// (default Iterations, else 500); a part ends early when they run out.
	Drafts int
	// Password signs in every generated staff account (gen.Password).
	Password string
	// Baseline, when set, is the report of a run on a smaller practice:
	// S2 and S3 are then also given as this run's p50 over the baseline's,
	// against the large/small targets.
	Baseline *Report
	// Log receives a line as each part starts; nil for none.
	Log io.Writer
}

func (o *Options) defaults() error {
	if len(o.Scenarios) == 0 {
		o.Scenarios = Scenarios
	}
	for _, s := range o.Scenarios {
		if !slices.Contains(Scenarios, s) {
			return fmt.Errorf("unknown scenario %q: choose from %s", s, strings.Join(Scenarios, ", "))
		}
	}
	if o.Iterations < 0 || o.Duration < 0 {
		return errors.New("iterations and duration cannot be negative")
	}
	if o.Iterations == 0 && o.Duration == 0 {
		o.Duration = 10 * time.Second
	}
	if o.Writers <= 0 {
		o.Writers = 50
	}
	if o.Drafts <= 0 {
		o.Drafts = 500
		if o.Iterations > 0 {
			o.Drafts = o.Iterations
		}
	}
	if o.Password == "" {
		o.Password = gen.Password
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return nil
}

func (o *Options) wants(s string) bool {
	if s == Limit && (o.wants(Book) || o.wants(Sign)) {
		return true
	}
	return slices.Contains(o.Scenarios, s)
}

// Report is what a run measured.
type Report struct {
	Started  time.Time `json:"started"`
	Engine   string    `json:"engine"`
	Practice Practice  `json:"practice"`
	// Settings are the engine's durability settings as the run found them.
	Settings map[string]string `json:"settings"`
	// CPUs and GOMAXPROCS of the benchmark process; Load is the 1-minute
	// load average before and after the run (Linux; empty elsewhere).
	CPUs       int       `json:"cpus"`
	GOMAXPROCS int       `json:"gomaxprocs"`
	Load       [2]string `json:"load"`
	// CPU is how busy the machine was over the run.
	CPU        CPU      `json:"cpu"`
	Writers    int      `json:"writers"`
	Duration   string   `json:"duration,omitempty"`
	Iterations int      `json:"iterations,omitempty"`
	Results    []Result `json:"results"`
	// Booking is S1's own account: what it booked and the double-booking check.
	Booking *BookingCheck `json:"booking,omitempty"`
}

// CPU is the CPU time used during a run, in seconds: by this process, and
// by every process on the machine (Linux; 0 elsewhere), which includes the
// PostgreSQL server's and anyone else's.
type CPU struct {
	Wall    float64 `json:"wall_s"`
	Process float64 `json:"process_s"`
	Machine float64 `json:"machine_s"`
}

// Practice is the size of the practice measured, counted at the start.
type Practice struct {
	Clinicians   int64 `json:"clinicians"`
	Clients      int64 `json:"clients"`
	Appointments int64 `json:"appointments"`
	Notes        int64 `json:"notes"`
	AuditEntries int64 `json:"audit_entries"`
}

// BookingCheck is S1's bookings and the check that none overlap.
type BookingCheck struct {
	// AfterID is the largest appointment id before S1: every appointment
	// after it was booked by the run.
	AfterID   int64 `json:"after_id"`
	Booked    int64 `json:"booked"`
	Conflicts int64 `json:"conflicts"` // refused as clashes, all on the contended slots
	// DoubleBookings is the number of pairs of blocking appointments of one
	// clinician or one room that overlap, one of them booked by the run.
	DoubleBookings int64 `json:"double_bookings"`
}

// Result is one measured part of a scenario.
type Result struct {
	Scenario    string  `json:"scenario"`
	Name        string  `json:"name"`
	Concurrency int     `json:"concurrency"`
	Calls       int     `json:"calls"`
	Seconds     float64 `json:"seconds"`
	P50         float64 `json:"p50_ms"`
	P95         float64 `json:"p95_ms"`
	P99         float64 `json:"p99_ms"`
	// Throughput is completed work per second (bookings made, signatures,
	// commits, views, searches, entries checked), in Unit.
	Throughput float64 `json:"throughput"`
	Unit       string  `json:"unit"`
	// Ratio is the throughput over L at the same concurrency (S1, S4), the
	// p50 over a baseline's (S2, S3), or a fraction of S1's single-writer
	// p50 (S7's append); Versus says which.
	Ratio  float64 `json:"ratio,omitempty"`
	Versus string  `json:"versus,omitempty"`
	// PerCore is S7's verify rate per CPU-second.
	PerCore float64 `json:"per_core,omitempty"`
	// Clinicians is how many clinicians S2's calendar shows.
	Clinicians int    `json:"clinicians,omitempty"`
	Target     string `json:"target,omitempty"`
	Met        *bool  `json:"met,omitempty"`
	Note       string `json:"note,omitempty"`
}

// Failed reports whether a result missed its target.
func (r Result) Failed() bool { return r.Met != nil && !*r.Met }

// Find returns the result of the named part, if the report has it.
func (r *Report) Find(name string) (Result, bool) {
	if r == nil {
		return Result{}, false
	}
	for _, x := range r.Results {
		if x.Name == name {
			return x, true
		}
	}
	return Result{}, false
}

// ErrDoubleBooked is returned by Run (with the report) when S1 left two
// blocking appointments of one clinician or room overlapping.
var ErrDoubleBooked = errors.New("S1 double-booked")

// Run measures the scenarios o names on d, a practice made by gen, with
// keys the keyring its notes were sealed with. It returns the report so
// far with any error; ErrDoubleBooked when S1's check failed.
func Run(ctx context.Context, d *db.DB, keys *crypto.Keyring, o Options) (*Report, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	r, err := newRunner(ctx, d, keys, o)
	if err != nil {
		return nil, err
	}
	rep := r.rep
	t0, cpu0, busy0 := time.Now(), processCPU(), machineCPU()
	defer func() {
		rep.Load[1] = loadAverage()
		rep.CPU = CPU{Wall: round(time.Since(t0).Seconds(), 1), Process: round((processCPU() - cpu0).Seconds(), 1),
			Machine: round((machineCPU() - busy0).Seconds(), 1)}
	}()
	steps := []struct {
		scenario string
		run      func(context.Context) error
	}{
		{Limit, r.limit},
		{Book, r.book},
		{DayView, r.dayView},
		{Search, r.search},
		{Sign, r.sign},
		{Audit, r.audit},
	}
	for _, s := range steps {
		if !o.wants(s.scenario) {
			continue
		}
		if err := s.run(ctx); err != nil {
			return rep, fmt.Errorf("%s: %w", s.scenario, err)
		}
	}
	if rep.Booking != nil && rep.Booking.DoubleBookings != 0 {
		return rep, fmt.Errorf("%w: %d pairs of overlapping appointments", ErrDoubleBooked, rep.Booking.DoubleBookings)
	}
	return rep, nil
}

// runner is one run: the options, the services, the practice and what has
// been measured so far.
type runner struct {
	o        Options
	d        *db.DB
	keys     *crypto.Keyring
	clock    clock.Clock
	log      *audit.Log
	auth     *auth.Service
	schedule *scheduling.Service
	clients  *clients.Service
	p        *practice
	rep      *Report
	// limits are L's commit rates by concurrency.
	limits map[int]float64
}

func newRunner(ctx context.Context, d *db.DB, keys *crypto.Keyring, o Options) (*runner, error) {
	clk := clock.System{}
	r := &runner{o: o, d: d, keys: keys, clock: clk, limits: map[int]float64{}}
	// Wired as the server wires them (cmd/mentalspace/env.go), without the
	// reminders hook (the server adds it to scheduling) and passkeys.
	r.log = audit.NewLog(d, clk, access.Policy{ClientRule: clients.CaseloadRule(d, clk)})
	r.auth = auth.NewService(d, clk, r.log, keys, auth.Options{})
	r.schedule = scheduling.NewService(d, clk, r.log)
	r.clients = clients.NewService(d, clk, r.log, keys)
	p, err := loadPractice(ctx, d, r.schedule)
	if err != nil {
		return nil, err
	}
	r.p = p
	r.rep = &Report{Started: time.Now().UTC().Truncate(time.Second), Engine: string(d.Engine), Practice: p.size, CPUs: runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0), Writers: o.Writers, Iterations: o.Iterations}
	if o.Iterations == 0 {
		r.rep.Duration = o.Duration.String()
	}
	r.rep.Load[0] = loadAverage()
	if r.rep.Settings, err = settings(ctx, d); err != nil {
		return nil, err
	}
	return r, nil
}

// notes returns the notes service with confirm as its identity check.
func (r *runner) notes(confirm notes.Confirmer) *notes.Service {
	s := notes.NewService(r.d, r.clock, r.log, r.keys, confirm)
	s.Location = r.p.zone
	return s
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.o.Log, format+"\n", args...)
}

func (r *runner) add(res Result) { r.rep.Results = append(r.rep.Results, res) }

// settings reads the durability settings that decide what a commit costs.
func settings(ctx context.Context, d *db.DB) (map[string]string, error) {
	out := map[string]string{}
	if d.Engine == db.SQLite {
		// The writer connection is the one whose commits are measured.
		for _, p := range []string{"journal_mode", "synchronous", "wal_autocheckpoint", "page_size", "cache_size", "temp_store"} {
			var v string
			if err := d.Writer().QueryRowContext(ctx, `PRAGMA `+p).Scan(&v); err != nil {
				return nil, fmt.Errorf("pragma %s: %w", p, err)
			}
			out[p] = v
		}
		return out, nil
	}
	for _, p := range []string{"server_version", "synchronous_commit", "fsync", "wal_sync_method", "commit_delay", "shared_buffers", "max_connections"} {
		var v string
		if err := d.Read().QueryRowContext(ctx, `SELECT current_setting($1)`, p).Scan(&v); err != nil {
			return nil, fmt.Errorf("setting %s: %w", p, err)
		}
		out[p] = v
	}
	return out, nil
}
