package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

// waitTimeout bounds every wait in these tests; they normally finish in well
// under a second.
const waitTimeout = 5 * time.Second

type countArgs struct {
	Tag string `json:"tag"`
}

func (countArgs) Kind() string { return "test_count" }

// counter counts runs per tag and reports each run on ran.
type counter struct {
	mu   sync.Mutex
	runs map[string]int
	ran  chan string
}

func newCounter() *counter { return &counter{runs: map[string]int{}, ran: make(chan string, 100)} }

func (c *counter) work(_ context.Context, job *river.Job[countArgs]) error {
	c.mu.Lock()
	c.runs[job.Args.Tag]++
	c.mu.Unlock()
	c.ran <- job.Args.Tag
	return nil
}

func (c *counter) count(tag string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runs[tag]
}

// retryNow retries a failed job at once instead of River's backoff.
type retryNow struct{}

func (retryNow) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

// newRunner migrates River's tables into d and returns an unstarted Runner
// whose metrics go to the returned registry; it is stopped at cleanup.
func newRunner(t *testing.T, d *db.DB) (*Runner, *prometheus.Registry) {
	t.Helper()
	if err := Migrate(context.Background(), d); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	reg := prometheus.NewPedanticRegistry()
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	r, err := New(d, logger, Options{Registerer: reg, RetryPolicy: retryNow{}, testOnly: true})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return r, reg
}

func start(t *testing.T, r *Runner) {
	t.Helper()
	if err := r.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

func insert(t *testing.T, d *db.DB, r *Runner, args river.JobArgs, opts *river.InsertOpts) {
	t.Helper()
	err := d.InTx(context.Background(), func(tx *db.Tx) error { return r.InsertTx(context.Background(), tx, args, opts) })
	if err != nil {
		t.Fatalf("insert %s: %v", args.Kind(), err)
	}
}

// jobsOf lists the jobs of kind in any state.
func jobsOf(t testing.TB, r *Runner, kind string) []*rivertype.JobRow {
	t.Helper()
	res, err := r.inserter.JobList(context.Background(), river.NewJobListParams().Kinds(kind))
	if err != nil {
		t.Fatalf("list %s jobs: %v", kind, err)
	}
	return res.Jobs
}

// eventually polls cond until it holds, failing the test after waitTimeout.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// receive waits for a value on ch, failing the test after waitTimeout.
func receive[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

func states(jobs []*rivertype.JobRow) []rivertype.JobState {
	var s []rivertype.JobState
	for _, j := range jobs {
		s = append(s, j.State)
	}
	return s
}

// metricValue reads a counter, or a histogram's sample count, from reg.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue next
				}
			}
			if h := m.GetHistogram(); h != nil {
				return float64(h.GetSampleCount())
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func TestMigrate(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for i := range 2 { // the second run must find nothing to do
			if err := Migrate(ctx, d); err != nil {
				t.Fatalf("Migrate #%d: %v", i+1, err)
			}
		}
		if d.Engine != db.Postgres {
			return
		}
		// River's tables belong in this test's schema, not in public.
		var schema string
		var n int
		err := d.Read().QueryRowContext(ctx, `SELECT current_schema(),
			(SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'river_job')`).Scan(&schema, &n)
		if err != nil {
			t.Fatal(err)
		}
		if schema == "public" || n != 1 {
			t.Errorf("river_job tables in schema %q: %d, want 1 in the test schema", schema, n)
		}
	})
}

func TestInsertTx(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		r, reg := newRunner(t, d)
		c := newCounter()
		AddWorker(r, river.WorkFunc(c.work))

		// Rolled back: the job must vanish with the transaction.
		errRollback := errors.New("roll back")
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if err := r.InsertTx(ctx, tx, countArgs{Tag: "rolled-back"}, nil); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("InTx: %v, want the rollback error", err)
		}

		// Committed: invisible to others until commit, so really in tx.
		err = d.InTx(ctx, func(tx *db.Tx) error {
			if err := r.InsertTx(ctx, tx, countArgs{Tag: "committed"}, nil); err != nil {
				return err
			}
			var inTx, outside int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM river_job").Scan(&inTx); err != nil {
				return err
			}
			if err := d.Read().QueryRowContext(ctx, "SELECT count(*) FROM river_job").Scan(&outside); err != nil {
				return err
			}
			if inTx != 1 || outside != 0 {
				t.Errorf("before commit: %d jobs inside the transaction, %d outside; want 1, 0", inTx, outside)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("InTx: %v", err)
		}

		start(t, r)
		if tag := receive(t, "the committed job", c.ran); tag != "committed" {
			t.Fatalf("first job run: %q, want committed", tag)
		}
		eventually(t, "the job to be completed", func() bool {
			jobs := jobsOf(t, r, countArgs{}.Kind())
			return len(jobs) == 1 && jobs[0].State == rivertype.JobStateCompleted
		})
		if got := c.count("committed"); got != 1 {
			t.Errorf("committed job ran %d times, want 1", got)
		}
		if got := c.count("rolled-back"); got != 0 {
			t.Errorf("rolled-back job ran %d times, want 0", got)
		}
		if got := jobsOf(t, r, countArgs{}.Kind()); len(got) != 1 || got[0].Attempt != 1 {
			t.Errorf("jobs: %d with first attempt %d, want 1 job on attempt 1", len(got), got[0].Attempt)
		}
		labels := map[string]string{"kind": "test_count", "outcome": OutcomeCompleted}
		eventually(t, "the completion to be counted", func() bool {
			return metricValue(t, reg, "mentalspace_job_runs_total", labels) == 1
		})
		if got := metricValue(t, reg, "mentalspace_job_run_duration_seconds", map[string]string{"kind": "test_count"}); got != 1 {
			t.Errorf("run-time samples: %v, want 1", got)
		}
	})
}

type writeArgs struct {
	N int `json:"n"`
}

func (writeArgs) Kind() string { return "test_write" }

// TestWorkerWritesInTx checks that jobs writing through d.InTx, and enqueuing
// from inside it, complete while River shares SQLite's single connection.
func TestWorkerWritesInTx(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.Writer().ExecContext(ctx, "CREATE TABLE jobs_test_marks (n INTEGER NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		r, _ := newRunner(t, d)
		c := newCounter()
		AddWorker(r, river.WorkFunc(c.work))
		AddWorker(r, river.WorkFunc(func(ctx context.Context, job *river.Job[writeArgs]) error {
			return d.InTx(ctx, func(tx *db.Tx) error {
				if _, err := tx.ExecContext(ctx, "INSERT INTO jobs_test_marks (n) VALUES ($1)", job.Args.N); err != nil {
					return err
				}
				return r.InsertTx(ctx, tx, countArgs{Tag: "follow-up"}, nil)
			})
		}))
		start(t, r)

		const n = 5 // several at once, all wanting the one SQLite connection
		for i := range n {
			insert(t, d, r, writeArgs{N: i}, nil)
		}
		for range n {
			receive(t, "a follow-up job", c.ran)
		}
		eventually(t, "the writing jobs to be completed", func() bool {
			jobs := jobsOf(t, r, writeArgs{}.Kind())
			for _, j := range jobs {
				if j.State != rivertype.JobStateCompleted {
					return false
				}
			}
			return len(jobs) == n
		})
		var marks int
		if err := d.Read().QueryRowContext(ctx, "SELECT count(*) FROM jobs_test_marks").Scan(&marks); err != nil {
			t.Fatal(err)
		}
		if marks != n {
			t.Errorf("rows written by jobs: %d, want %d", marks, n)
		}
	})
}

type blockArgs struct{}

func (blockArgs) Kind() string { return "test_block" }

func TestStop(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		t.Run("Idle", func(t *testing.T) {
			r, _ := newRunner(t, d)
			AddWorker(r, river.WorkFunc(newCounter().work))
			start(t, r)
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			begin := time.Now()
			if err := r.Stop(ctx); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if took := time.Since(begin); took > time.Second {
				t.Errorf("idle Stop took %v, want under 1s", took)
			}
		})
		t.Run("CancelsAtDeadline", func(t *testing.T) {
			r, reg := newRunner(t, d)
			running := make(chan struct{}, 1)
			AddWorker(r, river.WorkFunc(func(ctx context.Context, _ *river.Job[blockArgs]) error {
				running <- struct{}{}
				<-ctx.Done() // a job that only ends when told to
				return ctx.Err()
			}))
			start(t, r)
			insert(t, d, r, blockArgs{}, nil)
			receive(t, "the blocking job to start", running)

			const grace = 200 * time.Millisecond
			ctx, cancel := context.WithTimeout(context.Background(), grace)
			defer cancel()
			begin := time.Now()
			if err := r.Stop(ctx); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if took := time.Since(begin); took > grace+2*time.Second {
				t.Errorf("Stop took %v with a %v deadline", took, grace)
			}
			// Interrupted by shutdown: waiting to run again, attempt not spent.
			jobs := jobsOf(t, r, blockArgs{}.Kind())
			if len(jobs) != 1 || jobs[0].State != rivertype.JobStateAvailable {
				t.Errorf("job states after Stop: %v, want [available]", states(jobs))
			}
			labels := map[string]string{"kind": "test_block", "outcome": OutcomeInterrupted}
			if got := metricValue(t, reg, "mentalspace_job_runs_total", labels); got != 1 {
				t.Errorf("interrupted runs counted: %v, want 1", got)
			}
		})
	})
}

type purgeArgs struct{}

func (purgeArgs) Kind() string { return "test_purge" }

func TestPeriodicRunsOnStart(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		r, _ := newRunner(t, d)
		ran := make(chan struct{}, 10)
		AddWorker(r, river.WorkFunc(func(context.Context, *river.Job[purgeArgs]) error {
			ran <- struct{}{}
			return nil
		}))
		r.AddPeriodic(15*time.Minute, purgeArgs{})
		start(t, r)
		begin := time.Now()
		receive(t, "the periodic job's first run", ran)
		t.Logf("first periodic run after %v", time.Since(begin))
	})
}

type flakyArgs struct{}

func (flakyArgs) Kind() string { return "test_flaky" }

func TestFailingJobIsRetried(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		r, reg := newRunner(t, d)
		attempts := make(chan int, 10)
		AddWorker(r, river.WorkFunc(func(_ context.Context, job *river.Job[flakyArgs]) error {
			attempts <- job.Attempt
			if job.Attempt == 1 {
				return errors.New("job 1 failed on purpose")
			}
			return nil
		}))
		start(t, r)
		insert(t, d, r, flakyArgs{}, nil)
		if got := receive(t, "the first attempt", attempts); got != 1 {
			t.Fatalf("first run: attempt %d, want 1", got)
		}
		if got := receive(t, "the retry", attempts); got != 2 {
			t.Fatalf("second run: attempt %d, want 2", got)
		}
		eventually(t, "the retried job to be completed", func() bool {
			jobs := jobsOf(t, r, flakyArgs{}.Kind())
			return len(jobs) == 1 && jobs[0].State == rivertype.JobStateCompleted
		})
		job := jobsOf(t, r, flakyArgs{}.Kind())[0]
		if len(job.Errors) != 1 || job.Errors[0].Error != "job 1 failed on purpose" {
			t.Errorf("recorded errors: %+v, want the first attempt's", job.Errors)
		}
		for outcome, want := range map[string]float64{OutcomeFailed: 1, OutcomeCompleted: 1} {
			labels := map[string]string{"kind": "test_flaky", "outcome": outcome}
			eventually(t, outcome+" to be counted", func() bool {
				return metricValue(t, reg, "mentalspace_job_runs_total", labels) == want
			})
		}
	})
}

func TestInsertTxUnique(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		r, _ := newRunner(t, d)
		AddWorker(r, river.WorkFunc(newCounter().work))
		opts := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
		insert(t, d, r, countArgs{Tag: "reminder-7"}, opts)
		insert(t, d, r, countArgs{Tag: "reminder-7"}, opts) // duplicate: skipped, no error
		insert(t, d, r, countArgs{Tag: "reminder-8"}, opts)
		if got := len(jobsOf(t, r, countArgs{}.Kind())); got != 2 {
			t.Errorf("jobs: %d, want 2 (the duplicate skipped)", got)
		}
	})
}

type unregisteredArgs struct{}

func (unregisteredArgs) Kind() string { return "test_unregistered" }

func TestInsertTxUnknownKind(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		r, _ := newRunner(t, d)
		err := d.InTx(context.Background(), func(tx *db.Tx) error {
			return r.InsertTx(context.Background(), tx, unregisteredArgs{}, nil)
		})
		var unknown *rivertype.UnknownJobKindError
		if !errors.As(err, &unknown) {
			t.Errorf("InsertTx of an unregistered kind: %v, want UnknownJobKindError", err)
		}
	})
}
