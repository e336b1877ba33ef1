package db

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Group commit, SQLite only. SQLite has one writer and each commit waits for
// the disk's flush, so writers that arrive while a transaction runs queue
// for the connection and then flush one by one: the flush, and the pages a
// commit rewrites (indexes, the audit head), were more than half of what an
// appointment booking costs (docs/PERFORMANCE.md, "Benchmarks"). PostgreSQL
// shares WAL flushes between concurrent commits itself; this does the same
// for SQLite. One goroutine owns the writer connection. It starts a
// transaction for the first InTx waiting, then runs, inside the same
// transaction, every other InTx already waiting, each behind a SAVEPOINT so
// that one that fails is undone alone, and commits them together with one
// flush. Nobody is told their write succeeded before that commit returns, so
// an acknowledged write is as durable as before; a commit that fails fails
// every InTx in it. An InTx that arrives to an empty queue runs at once, as
// before, so a quiet server pays only the hand-over to the goroutine and a
// savepoint.

// Bounds on one group: the first InTx in it waits for the others.
const (
	maxGroupSize = 64
	maxGroupTime = 4 * time.Millisecond
)

var errClosed = errors.New("database is closed")

// txRequest is one InTx waiting for the writer.
type txRequest struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	done chan txResult // buffered: the committer never waits for the caller
}

type txResult struct {
	err         error
	panicked    any // fn's panic, raised again in the caller
	afterCommit []func()
}

// committer runs SQLite's write transactions in groups.
type committer struct {
	d        *DB
	requests chan *txRequest
	quit     chan struct{}
	stopOnce sync.Once
	stopped  sync.WaitGroup

	// Counted for tests and the benchmark's report.
	mu                sync.Mutex
	groups, committed int64
}

func newCommitter(d *DB) *committer {
	c := &committer{d: d, requests: make(chan *txRequest), quit: make(chan struct{})}
	c.stopped.Add(1)
	go c.loop()
	return c
}

// do hands fn to the committer and waits for its outcome. It waits even when
// ctx ends meanwhile: once fn has started, only the commit can say whether
// its writes are in.
func (c *committer) do(ctx context.Context, fn func(tx *Tx) error) error {
	r := &txRequest{ctx: ctx, fn: fn, done: make(chan txResult, 1)}
	select {
	case c.requests <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.quit:
		return errClosed
	}
	res := <-r.done
	if res.panicked != nil {
		panic(res.panicked)
	}
	if res.err != nil {
		return res.err
	}
	for _, f := range res.afterCommit {
		f()
	}
	return nil
}

// close stops the committer once the group it runs is done; DB.Close may be
// called more than once.
func (c *committer) close() {
	c.stopOnce.Do(func() { close(c.quit) })
	c.stopped.Wait()
}

func (c *committer) loop() {
	defer c.stopped.Done()
	for {
		select {
		case r := <-c.requests:
			c.group(r)
		case <-c.quit:
			return
		}
	}
}

// member is an InTx whose fn succeeded and waits for the group's commit.
type member struct {
	r  *txRequest
	tx *Tx
}

// group runs first and whatever else is waiting in one transaction.
func (c *committer) group(first *txRequest) {
	// The transaction belongs to the whole group, so no caller's context may
	// end it: database/sql rolls a transaction back when its context ends.
	bg := context.Background()
	defer c.d.writeStmts.prepareWanted(bg)
	var (
		tx      *Tx
		members []member
		started time.Time
	)
	fail := func(err error) {
		for _, m := range members {
			m.r.done <- txResult{err: err}
		}
		members = nil
		if tx != nil {
			_ = tx.Tx.Rollback()
			tx = nil
		}
	}
	for r := first; r != nil; r = c.next(len(members), started) {
		if err := r.ctx.Err(); err != nil {
			r.done <- txResult{err: err}
			continue
		}
		if tx == nil {
			sqlTx, err := c.d.write.BeginTx(bg, nil)
			if err != nil {
				r.done <- txResult{err: fmt.Errorf("begin: %w", err)}
				continue
			}
			tx = &Tx{Tx: sqlTx, Engine: c.d.Engine, stmts: c.d.writeStmts, grouped: true}
			started = time.Now()
		}
		// Every member, the first too, runs behind a savepoint: a failed one
		// is undone alone, and RELEASE or ROLLBACK TO failing is how we learn
		// that SQLite abandoned the whole transaction (a full disk, an I/O
		// error), where the next SAVEPOINT would silently begin a new one.
		if _, err := tx.ExecContext(bg, `SAVEPOINT grouped`); err != nil {
			err = fmt.Errorf("savepoint: %w", err)
			fail(err)
			r.done <- txResult{err: err}
			continue
		}
		own := &Tx{Tx: tx.Tx, Engine: tx.Engine, stmts: tx.stmts, grouped: true}
		panicked, err := run(r.fn, own)
		if err == nil && panicked == nil {
			if _, err := tx.ExecContext(bg, `RELEASE grouped`); err != nil {
				err = fmt.Errorf("transaction lost: %w", err)
				fail(err)
				r.done <- txResult{err: err}
				continue
			}
			members = append(members, member{r: r, tx: own})
			continue
		}
		if _, rbErr := tx.ExecContext(bg, `ROLLBACK TO grouped`); rbErr != nil {
			fail(fmt.Errorf("transaction lost: %w", rbErr))
		} else if _, relErr := tx.ExecContext(bg, `RELEASE grouped`); relErr != nil {
			fail(fmt.Errorf("transaction lost: %w", relErr))
		}
		r.done <- txResult{err: err, panicked: panicked}
	}
	if tx == nil {
		return
	}
	if len(members) == 0 {
		_ = tx.Tx.Rollback()
		return
	}
	if err := tx.Tx.Commit(); err != nil {
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	// Statements first seen in this group are prepared now, while the writer
	// is free and before anyone runs them again.
	c.d.writeStmts.prepareWanted(bg)
	c.mu.Lock()
	c.groups++
	c.committed += int64(len(members))
	c.mu.Unlock()
	for _, m := range members {
		m.r.done <- txResult{afterCommit: m.tx.afterCommit}
	}
}

// next returns another waiting InTx for the group, or nil when none is
// waiting or the group is full.
func (c *committer) next(size int, started time.Time) *txRequest {
	if size >= maxGroupSize || (size > 0 && time.Since(started) >= maxGroupTime) {
		return nil
	}
	select {
	case r := <-c.requests:
		return r
	default:
		return nil
	}
}

// run calls fn, turning a panic into a value to raise in the caller.
func run(fn func(tx *Tx) error, tx *Tx) (panicked any, err error) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return nil, fn(tx)
}

// GroupCommits reports, on SQLite, how many commits the writer has made and
// how many InTx calls they carried; zero on PostgreSQL.
func (d *DB) GroupCommits() (commits, transactions int64) {
	if d.committer == nil {
		return 0, 0
	}
	d.committer.mu.Lock()
	defer d.committer.mu.Unlock()
	return d.committer.groups, d.committer.committed
}
