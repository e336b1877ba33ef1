// Package crashtest proves that MentalSpace never loses an acknowledged
// write. It runs the real binary on a real database (SQLite or PostgreSQL)
// filled with the tiny generated practice, drives bookings and note
// signatures through the JSON API from several clinicians at once, records
// each write only once the server has acknowledged it, kills the server
// with SIGKILL at a random moment, and then, with the server down, checks
// that every acknowledged write is stored as acknowledged, that no record
// is half-written, that the audit chain verifies (`mentalspace audit
// verify`) and that the engine's own integrity checks pass. On the next
// start it reads the notes back through the API and verifies the content
// hashes of the signed ones. Then it does it again, for as many cycles as
// asked (docs/PERFORMANCE.md, "Crash safety").
//
// On SQLite the killed process is the one holding the database, so every
// cycle is a real crash recovery of the WAL. On PostgreSQL the database
// server keeps running: the cycles prove that what the application
// acknowledged was committed, not PostgreSQL's own recovery.
package crashtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Options configure a run.
type Options struct {
	Program Program
	Engine  db.Engine
	// PostgresURL reaches the PostgreSQL server (any database on it) on
	// which the run creates a database of its own, dropped afterwards
	// unless kept. The role needs CREATEDB; amcheck needs a superuser.
	PostgresURL string
	// Dir holds the run's data directory; a new temporary one when empty.
	Dir string
	// Cycles is how many times the server is killed.
	Cycles int
	// Seed chooses the practice, the writes and the moments of the kills.
	Seed uint64
	// Workers is how many clinicians write at once (at most the practice's
	// licensed clinicians, 7 in the tiny practice).
	Workers int
	// The server is killed at a random moment between MinUp and MaxUp
	// after it is ready; one cycle in twenty it is killed while starting.
	MinUp, MaxUp time.Duration
	// Log receives progress: a line per cycle when Verbose, else one every
	// ten seconds.
	Log     io.Writer
	Verbose bool
	// Keep leaves the database in place afterwards; it is always kept when
	// a check fails.
	Keep bool
}

// Report is what a run did and found.
type Report struct {
	Engine db.Engine
	// Cycles counts completed kill cycles, EarlyKills those whose kill came
	// while the server was still starting.
	Cycles, EarlyKills int
	Acks               Acks
	// Refused counts deliberately conflicting bookings the server refused.
	Refused int
	// Lost counts acknowledged writes missing or older than acknowledged.
	Lost int
	// Findings lists everything found wrong, lost writes included.
	Findings []string
	// AmCheck is set when PostgreSQL's B-tree indexes were checked too.
	AmCheck bool
	// ForgivenTries counts password tries a kill left counted (see
	// forgiveInterruptedTries).
	ForgivenTries int
	Took          time.Duration
	// Kept says where the database was left, when it was.
	Kept string
}

// ErrFindings is returned when a check failed; the report lists what.
var ErrFindings = errors.New("crash test failed")

func (o *Options) defaults() {
	if o.Engine == "" {
		o.Engine = db.SQLite
	}
	if o.Cycles <= 0 {
		o.Cycles = 10
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.MinUp <= 0 {
		o.MinUp = 200 * time.Millisecond
	}
	if o.MaxUp < o.MinUp {
		o.MaxUp = max(o.MinUp, 1500*time.Millisecond)
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// slot is the length of every harness appointment and the step between
// one clinician's bookings.
const slot = 10 * time.Minute

// harness is one run's state across cycles.
type harness struct {
	o          Options
	in         *Installation
	base       Baseline
	ledger     *Ledger
	workers    []*worker
	typeID     int64
	templateID int64
	rng        *rand.Rand
	report     Report
	findings   []Finding
	lastLog    time.Time
}

// Run prepares a database, runs the cycles and reports. It returns
// ErrFindings (with the report) when any check failed, and stops at the
// first failing cycle, leaving the database for inspection.
func Run(ctx context.Context, o Options) (Report, error) {
	o.defaults()
	start := time.Now()
	h := &harness{o: o, ledger: NewLedger(), rng: rand.New(rand.NewPCG(o.Seed, 0x6372617368)), report: Report{Engine: o.Engine}}
	cleanup, err := h.prepare(ctx)
	if err != nil {
		cleanup(true)
		return h.report, err
	}
	for h.report.Cycles < o.Cycles && ctx.Err() == nil {
		before := len(h.findings)
		if err := h.cycle(ctx); err != nil {
			h.finish(start)
			cleanup(true)
			return h.report, err
		}
		if ctx.Err() != nil {
			// Interrupted: the cycle is not counted, and what failed in
			// it failed because of the interruption.
			h.findings = h.findings[:before]
			h.report.Cycles--
			break
		}
		if len(h.findings) > 0 {
			break
		}
	}
	h.finish(start)
	failed := len(h.findings) > 0
	cleanup(failed || o.Keep)
	if failed {
		return h.report, ErrFindings
	}
	return h.report, ctx.Err()
}

func (h *harness) finish(start time.Time) {
	h.report.Took = time.Since(start)
	h.report.Acks, h.report.Refused = h.ledger.Counts()
	for _, f := range h.findings {
		if f.Lost {
			h.report.Lost++
		}
		h.report.Findings = append(h.report.Findings, f.String())
	}
}

// prepare makes the installation: a data directory, on PostgreSQL a
// database, the tiny practice, and an API token for each worker's
// clinician. cleanup removes what it made unless told to keep it.
func (h *harness) prepare(ctx context.Context) (cleanup func(keep bool), err error) {
	var undo []func()
	var kept []string
	cleanup = func(keep bool) {
		if keep {
			h.report.Kept = strings.Join(kept, "; ")
			return
		}
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	dir := h.o.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "mentalspace-crashtest-"); err != nil {
			return cleanup, err
		}
		undo = append(undo, func() { os.RemoveAll(dir) })
	}
	h.in = &Installation{Program: h.o.Program, Engine: h.o.Engine, DataDir: filepath.Join(dir, "data")}
	kept = append(kept, "data directory "+h.in.DataDir)
	if h.o.Engine == db.Postgres {
		if h.o.PostgresURL == "" {
			return cleanup, errors.New("crash test on postgres: give the server's URL")
		}
		name := fmt.Sprintf("mentalspace_crash_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
		if h.in.DatabaseURL, err = CreateDatabase(ctx, h.o.PostgresURL, name, ""); err != nil {
			return cleanup, err
		}
		undo = append(undo, func() { _ = DropDatabase(context.WithoutCancel(ctx), h.o.PostgresURL, name) })
		kept = append(kept, "database "+name)
	}
	if _, err := h.in.Run(ctx, "gen", "--size", "tiny", "--seed", strconv.FormatUint(h.o.Seed, 10)); err != nil {
		return cleanup, err
	}
	d, err := h.in.Open(ctx)
	if err != nil {
		return cleanup, err
	}
	defer d.Close()
	if err := h.survey(ctx, d); err != nil {
		return cleanup, err
	}
	for _, w := range h.workers {
		out, err := h.in.Run(ctx, "token", "create", "--email", w.email, "--name", "crash test")
		if err != nil {
			return cleanup, err
		}
		w.token = strings.TrimSpace(out)
	}
	fmt.Fprintf(h.o.Log, "crash test on %s: tiny practice (seed %d) in %s; %d clinicians writing; %d cycles\n",
		h.o.Engine, h.o.Seed, strings.Join(kept, ", "), len(h.workers), h.o.Cycles)
	return cleanup, nil
}

// survey reads what the harness needs from the generated practice: the
// baseline, the clinicians and their clients, an individual appointment
// type, and a stretch of calendar nobody uses.
func (h *harness) survey(ctx context.Context, d *db.DB) error {
	q := d.Read()
	var lastEnd int64
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0), COALESCE(max(ends_at), 0) FROM appointments`).Scan(&h.base.Appointment, &lastEnd); err != nil {
		return fmt.Errorf("survey: %w", err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM notes`).Scan(&h.base.Note); err != nil {
		return fmt.Errorf("survey: %w", err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(max(seq), 0) FROM audit_log`).Scan(&h.base.AuditSeq); err != nil {
		return fmt.Errorf("survey: %w", err)
	}
	if err := q.QueryRowContext(ctx, `SELECT id FROM appointment_types WHERE kind = 'individual' AND active ORDER BY id LIMIT 1`).Scan(&h.typeID); err != nil {
		return fmt.Errorf("survey: an individual appointment type: %w", err)
	}
	// Licensed clinicians (not associates, whose notes wait for a
	// co-signature) and the active clients they are primary for: no client
	// belongs to two workers, so workers never clash over a client.
	rows, err := q.QueryContext(ctx, `SELECT u.id, u.email, c.id FROM users u JOIN clients c ON c.primary_clinician_id = u.id
		WHERE u.status = 'active' AND c.status = 'active' AND c.merged_into IS NULL
		  AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = 'clinician')
		  AND NOT EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = 'associate')
		ORDER BY u.id, c.id`)
	if err != nil {
		return fmt.Errorf("survey: %w", err)
	}
	defer rows.Close()
	byID := map[int64]*worker{}
	for rows.Next() {
		var uid, cid int64
		var email string
		if err := rows.Scan(&uid, &email, &cid); err != nil {
			return fmt.Errorf("survey: %w", err)
		}
		w := byID[uid]
		if w == nil {
			if len(h.workers) == h.o.Workers {
				continue
			}
			w = &worker{h: h, clinicianID: uid, email: email}
			byID[uid] = w
			h.workers = append(h.workers, w)
		}
		w.clients = append(w.clients, cid)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("survey: %w", err)
	}
	h.workers = slices.DeleteFunc(h.workers, func(w *worker) bool { return len(w.clients) < 2 })
	if len(h.workers) == 0 {
		return errors.New("survey: no clinician with two active clients")
	}
	// The stretch: from two days after the practice's last appointment (or
	// now) to just under the two years ahead the calendar allows.
	now := time.Now().UTC()
	from := time.UnixMicro(lastEnd).UTC()
	if from.Before(now) {
		from = now
	}
	from = from.Truncate(24 * time.Hour).Add(48 * time.Hour)
	to := now.AddDate(2, 0, -7)
	for _, w := range h.workers {
		w.first, w.slots = from, int(to.Sub(from)/slot)
	}
	return nil
}

// cycle is one start, drive, kill and check.
func (h *harness) cycle(ctx context.Context) error {
	n := h.report.Cycles + 1
	t0 := time.Now()
	srv, err := h.in.Launch()
	if err != nil {
		return err
	}
	early := h.rng.IntN(20) == 0
	if early {
		// Killed while starting: opening the database, migrating, starting
		// the job runner.
		time.Sleep(time.Duration(h.rng.Int64N(int64(400 * time.Millisecond))))
		if err := srv.Kill(); err != nil {
			return err
		}
		h.report.EarlyKills++
	} else {
		if err := srv.Ready(ctx, 60*time.Second); err != nil {
			_ = srv.Kill()
			h.fail("cycle %d: the server did not start after the previous kill: %v", n, err)
			return nil
		}
		h.verifyThroughAPI(ctx, srv, n)
		h.drive(ctx, srv, n)
	}
	h.checkDown(ctx, n)
	h.report.Cycles = n
	acks, refused := h.ledger.Counts()
	if h.o.Verbose || n == h.o.Cycles || len(h.findings) > 0 || time.Since(h.lastLog) >= 10*time.Second {
		h.lastLog = time.Now()
		how := ""
		if early {
			how = " (killed while starting)"
		}
		fmt.Fprintf(h.o.Log, "cycle %d/%d%s: acknowledged %d (bookings %d, drafts %d, saves %d, signatures %d), refused conflicts %d, findings %d, %.1fs\n",
			n, h.o.Cycles, how, acks.Total(), acks.Bookings, acks.Drafts, acks.Saves,
			acks.Signatures, refused, len(h.findings), time.Since(t0).Seconds())
	}
	return nil
}

func (h *harness) fail(format string, args ...any) {
	h.findings = append(h.findings, Finding{Detail: fmt.Sprintf(format, args...)})
}

// drive runs the workers until a random moment, then kills the server
// under them.
func (h *harness) drive(ctx context.Context, srv *Server, n int) {
	if h.templateID == 0 {
		if err := h.findTemplate(ctx, srv); err != nil {
			h.fail("cycle %d: %v", n, err)
			_ = srv.Kill()
			return
		}
	}
	up := h.o.MinUp + time.Duration(h.rng.Int64N(int64(h.o.MaxUp-h.o.MinUp)+1))
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var killing atomic.Bool
	var mu sync.Mutex
	var problems []string
	report := func(format string, args ...any) {
		if killing.Load() {
			return // the kill explains it
		}
		mu.Lock()
		problems = append(problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	hc := NewHTTPClient(2 * len(h.workers))
	var wg sync.WaitGroup
	for i, w := range h.workers {
		rng := rand.New(rand.NewPCG(h.o.Seed, uint64(n)<<8|uint64(i)))
		c := &Client{HTTP: hc, BaseURL: srv.URL, Token: w.token}
		wg.Go(func() { w.run(wctx, c, rng, report) })
	}
	select {
	case <-time.After(up):
	case <-ctx.Done():
	}
	exited := srv.Exited()
	killing.Store(true)
	if err := srv.Kill(); err != nil {
		report("cycle %d: %v", n, err)
	}
	cancel()
	wg.Wait()
	hc.CloseIdleConnections()
	if exited {
		h.fail("cycle %d: the server exited on its own before the kill:\n%s", n, lastLines(srv.Logs(), 30))
	}
	for _, p := range problems {
		h.fail("cycle %d: %s", n, p)
	}
}

func (h *harness) findTemplate(ctx context.Context, srv *Server) error {
	c := &Client{HTTP: NewHTTPClient(1), BaseURL: srv.URL, Token: h.workers[0].token}
	var ts struct {
		Data []struct {
			ID   int64  `json:"id"`
			Kind string `json:"kind"`
		} `json:"data"`
	}
	status, body, err := c.Do(ctx, "GET", "/api/v1/note-templates", nil, &ts)
	if err != nil || status != 200 {
		return fmt.Errorf("list note templates: %d %s %v", status, body, err)
	}
	for _, t := range ts.Data {
		if t.Kind == "contact" {
			h.templateID = t.ID
			return nil
		}
	}
	return errors.New("no contact note template")
}

// checkDown checks the database with the server down: every acknowledged
// write, no half-written record, the engine's integrity, the audit chain.
func (h *harness) checkDown(ctx context.Context, n int) {
	d, err := h.in.Open(ctx)
	if err != nil {
		h.fail("cycle %d: open the database after the kill: %v", n, err)
		return
	}
	defer d.Close()
	fs, err := Check(ctx, d, h.base, h.ledger)
	if err != nil {
		h.fail("cycle %d: %v", n, err)
	}
	for _, f := range fs {
		f.Detail = fmt.Sprintf("cycle %d: %s", n, f.Detail)
		h.findings = append(h.findings, f)
	}
	problems, amcheck, err := Integrity(ctx, d)
	if err != nil {
		h.fail("cycle %d: integrity check: %v", n, err)
	}
	h.report.AmCheck = h.report.AmCheck || amcheck
	for _, p := range problems {
		h.fail("cycle %d: %s", n, p)
	}
	if err := h.forgiveInterruptedTries(ctx, d); err != nil {
		h.fail("cycle %d: %v", n, err)
	}
	d.Close()
	if _, err := h.in.Run(ctx, "audit", "verify"); err != nil {
		h.fail("cycle %d: %v", n, err)
	}
}

// forgiveInterruptedTries forgets the signers' counted password tries. A
// signature re-checks the password, and the throttle counts the try in a
// commit of its own before checking it (so parallel guesses cannot slip
// past the limit) and clears it after a success: a kill in between, during
// the deliberately slow hash, leaves a correct try counted. Five of those
// in 15 minutes lock the signer out, which a real user would meet only
// after five crashes in that time, but a kill every second meets it soon.
func (h *harness) forgiveInterruptedTries(ctx context.Context, d *db.DB) error {
	var n int
	if err := d.Writer().QueryRowContext(ctx, `SELECT COALESCE(sum(failures), 0) FROM login_throttle WHERE key LIKE 'pw:%'`).Scan(&n); err != nil {
		return fmt.Errorf("password tries: %w", err)
	}
	if _, err := d.Writer().ExecContext(ctx, `DELETE FROM login_throttle WHERE key LIKE 'pw:%'`); err != nil {
		return fmt.Errorf("forgive password tries: %w", err)
	}
	h.report.ForgivenTries += n
	return nil
}
