// Package jobs runs durable background jobs on SQLite or PostgreSQL with River
// (riverqueue.com): reminders, purges, claim submissions. A service enqueues a
// job with InsertTx in the same transaction as the change that calls for it,
// so the two commit or roll back together; the Runner works the jobs, retries
// failures with River's exponential backoff and counts outcomes for Prometheus.
//
// Job args are stored as plain JSON in the river_job table and a failing job's
// error text is stored and logged: args carry ids, never PHI, and workers
// return errors that name ids, never names, notes or free text.
//
// See docs/decisions/0004-jobs.md for why River and how each engine is handled.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// DefaultMaxWorkers is how many jobs run at once unless Options say otherwise.
const DefaultMaxWorkers = 10

// hardStopTimeout bounds how long Stop waits for jobs to return once their
// contexts are cancelled; a job that ignores its context is left behind and
// River's rescuer retries it later.
const hardStopTimeout = 5 * time.Second

// Options tune a Runner. The zero value is ready for production.
type Options struct {
	// Registerer receives the job metrics; nil leaves them unregistered.
	Registerer prometheus.Registerer
	// MaxWorkers bounds how many jobs run at once; 0 means DefaultMaxWorkers.
	MaxWorkers int
	// RetryPolicy decides when a failed job runs again. Nil keeps River's
	// default: exponential backoff (attempt⁴ seconds) up to 25 attempts.
	// Tests shorten it.
	RetryPolicy river.ClientRetryPolicy

	// testOnly sets River's TestOnly, which only skips the random pause of up
	// to a second before each maintenance service (periodic jobs, scheduler…)
	// starts, so tests don't wait seconds for a periodic job's first run.
	testOnly bool
}

// Runner enqueues and works background jobs. Build it with New, register
// workers (AddWorker) and periodic jobs (AddPeriodic), then Start it; Stop it
// on shutdown. InsertTx works from New on, whether or not the Runner is started,
// so services can be wired with it before the workers that need those services.
type Runner struct {
	d        *db.DB
	logger   *slog.Logger
	opts     Options
	workers  *river.Workers
	metrics  *metrics
	inserter *river.Client[*sql.Tx]

	mu       sync.Mutex
	periodic []*river.PeriodicJob
	client   workClient    // nil until Start
	observed chan struct{} // closed when the metrics loop has seen the last event
	stopped  bool
}

// workClient is what the Runner needs of a working River client; it hides
// whether the client's transactions are pgx.Tx (PostgreSQL) or *sql.Tx (SQLite).
type workClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

// New returns a Runner over d that logs to logger. It registers the job
// metrics on o.Registerer and fails if that registry holds clashing ones.
func New(d *db.DB, logger *slog.Logger, o Options) (*Runner, error) {
	if o.MaxWorkers <= 0 {
		o.MaxWorkers = DefaultMaxWorkers
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, fmt.Errorf("new job runner: %w", err)
	}
	r := &Runner{d: d, logger: logger, opts: o, workers: river.NewWorkers(), metrics: m}
	// Our transactions are database/sql ones on both engines, so inserts go
	// through a database/sql driver: riversqlite on SQLite, riverdatabasesql on
	// PostgreSQL (riverpgxv5 only takes a pgx.Tx, which *sql.Tx does not expose).
	// This client never starts; it only inserts. Workers is shared so that an
	// insert of a kind nobody works fails at once instead of waiting forever.
	cfg := &river.Config{Logger: logger, Workers: r.workers}
	switch d.Engine {
	case db.SQLite:
		r.inserter, err = river.NewClient(riversqlite.New(d.Writer()), cfg)
	case db.Postgres:
		r.inserter, err = river.NewClient(riverdatabasesql.New(d.Writer()), cfg)
	default:
		err = fmt.Errorf("unknown engine %q", d.Engine)
	}
	if err != nil {
		return nil, fmt.Errorf("new job runner: %w", err)
	}
	return r, nil
}

// Workers returns the bundle that river.AddWorker registers workers on:
//
//	river.AddWorker(r.Workers(), &reminders.SendWorker{Service: svc})
//
// Register every worker before Start and before the first insert of its kind.
func (r *Runner) Workers() *river.Workers { return r.workers }

// AddWorker registers w for its job kind; it is river.AddWorker on
// r.Workers(). It panics if the kind is already registered.
func AddWorker[T river.JobArgs](r *Runner, w river.Worker[T]) {
	river.AddWorker(r.workers, w)
}

// AddPeriodic has args enqueued when the Runner starts and then every interval.
// While one such job is still waiting, running or due for a retry, the next is
// not enqueued, so a slow purge never piles up behind itself. River enqueues
// periodic jobs only on the elected leader, so several servers on one database
// do not multiply them. It panics after Start (registration is wiring).
func (r *Runner) AddPeriodic(every time.Duration, args river.JobArgs) {
	opts := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
		// River's default set minus completed: a finished purge must not
		// block the next one.
		rivertype.JobStateAvailable,
		rivertype.JobStatePending,
		rivertype.JobStateRetryable,
		rivertype.JobStateRunning,
		rivertype.JobStateScheduled,
	}}}
	job := river.NewPeriodicJob(
		river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return args, opts },
		&river.PeriodicJobOpts{ID: args.Kind(), RunOnStart: true},
	)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client != nil || r.stopped {
		panic("jobs: AddPeriodic after Start")
	}
	r.periodic = append(r.periodic, job)
}

// InsertTx enqueues a job in tx: it becomes visible to workers when tx commits
// and vanishes if tx rolls back. opts may be nil; args may also carry defaults
// by implementing river.JobArgsWithInsertOpts. With opts.UniqueOpts set, a
// duplicate of a job that is still waiting or running, or that completed and
// is not yet cleaned out (after 24 h), is skipped without error (see
// river.UniqueOpts; add cancelled and discarded to ByState to cover those too). The error is non-nil when the
// kind has no registered worker, the options are invalid or the insert fails.
func (r *Runner) InsertTx(ctx context.Context, tx *db.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	if _, err := r.inserter.InsertTx(tx.StatementContext(ctx), tx.Tx, args, opts); err != nil {
		return fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// Start starts working jobs in the background and returns. The jobs keep
// running until Stop, not until ctx ends, so that a cancelled server context
// does not cut jobs off before Stop's graceful period. A Runner starts once.
func (r *Runner) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client != nil || r.stopped {
		return errors.New("start jobs: the runner was already started")
	}
	cfg := &river.Config{
		Logger:       r.logger,
		PeriodicJobs: r.periodic,
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: r.opts.MaxWorkers}},
		RetryPolicy:  r.opts.RetryPolicy,
		TestOnly:     r.opts.testOnly,
		Workers:      r.workers,
	}
	var (
		c   workClient
		err error
	)
	switch r.d.Engine {
	case db.SQLite:
		// River shares the single write connection with the application.
		// River holds it only for one statement or one short transaction at a
		// time, never while a job runs, so a job's own d.InTx waits its turn
		// like any other writer instead of deadlocking.
		c, err = river.NewClient(riversqlite.New(r.d.Writer()), cfg)
	case db.Postgres:
		c, err = river.NewClient(riverpgxv5.New(r.d.Pool), cfg)
	}
	if err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	// Subscribe before starting so that no outcome escapes the metrics.
	// River closes the channel when the client stops.
	events, _ := c.Subscribe(outcomeEvents...)
	if err := c.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	observed := make(chan struct{})
	go func() {
		defer close(observed)
		for ev := range events {
			r.metrics.observe(ev)
		}
	}()
	r.client, r.observed = c, observed
	return nil
}

// Stop stops fetching jobs and waits for running ones to finish until ctx is
// done; then it cancels their contexts and waits up to a few more seconds for
// them to return. River makes an interrupted job available again, so it runs
// later without losing an attempt. Stop without Start does nothing.
func (r *Runner) Stop(ctx context.Context) error {
	r.mu.Lock()
	c, observed := r.client, r.observed
	r.client, r.stopped = nil, true
	r.mu.Unlock()
	if c == nil {
		return nil
	}
	err := c.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		r.logger.WarnContext(ctx, "jobs still running at the stop deadline; cancelling them")
		hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), hardStopTimeout)
		defer cancel()
		err = c.StopAndCancel(hard)
	}
	if err != nil {
		return fmt.Errorf("stop jobs: %w", err)
	}
	<-observed
	return nil
}
