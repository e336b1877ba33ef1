package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// The S7 targets.
const (
	appendTarget = 0.10    // the append's share of a booking's time, at most
	verifyTarget = 500_000 // entries checked per second per core, at least
)

// audit measures S7: appending one entry (audit.Log.RecordAlone: the head
// read and locked, the hash, the insert, the head moved, its own commit),
// the same append inside a transaction the way services write it (timed
// without the commit, which the service's change pays for anyway), each
// as a fraction of one booking's time (S1 with one writer, p50), and
// audit.Verify over the whole log.
func (r *runner) audit(ctx context.Context) error {
	desk := r.p.desks[0].actor
	client := r.p.clients[0]
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "client", ObjectID: audit.ObjectIDOf(client), ClientID: client,
		Detail: "section summary", Role: access.RoleFrontDesk}
	book, haveBook := r.rep.Find("S1/1")

	r.logf("S7: append, in a transaction of its own")
	s, err := r.drive(ctx, 1, func(ctx context.Context, _ int) error { return r.log.RecordAlone(ctx, desk, ev) })
	if err != nil {
		return fmt.Errorf("append: %w", err)
	}
	alone := result(Audit, "S7/append", 1, s, int64(len(s.lat)), "entries/s")
	alone.Note = "Log.RecordAlone: the append and its own commit"

	r.logf("S7: append, inside a transaction")
	var mu sync.Mutex
	var inner []time.Duration
	s, err = r.drive(ctx, 1, func(ctx context.Context, _ int) error {
		return r.d.InTx(ctx, func(tx *db.Tx) error {
			t0 := time.Now()
			err := r.log.Record(ctx, tx, desk, ev)
			mu.Lock()
			inner = append(inner, time.Since(t0))
			mu.Unlock()
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("append: %w", err)
	}
	slices.Sort(inner)
	inTx := result(Audit, "S7/append-in-tx", 1, sample{lat: inner, elapsed: s.elapsed}, int64(len(inner)), "entries/s")
	inTx.Note = "Log.Record inside a transaction, timed without the commit; throughput counts the commit"
	if haveBook && book.P50 > 0 {
		alone.Ratio, alone.Versus = round(alone.P50/book.P50, 3), "of S1/1 p50"
		inTx.Ratio, inTx.Versus = round(inTx.P50/book.P50, 3), "of S1/1 p50"
		inTx.Target, inTx.Met = fmt.Sprintf("≤ %.0f %% of S1", 100*appendTarget), met(inTx.Ratio <= appendTarget)
	}
	r.add(alone)
	r.add(inTx)
	return r.verify(ctx)
}

// verify runs audit.Verify over the whole log: at least once, and again
// while the budget lasts (at most five runs, or Iterations), and reports
// entries checked per second of wall time and per CPU-second.
func (r *runner) verify(ctx context.Context) error {
	runs := 5
	if r.o.Iterations > 0 {
		runs = min(runs, r.o.Iterations)
	}
	r.logf("S7: audit.Verify, up to %d runs", runs)
	var lat []time.Duration
	var entries int64
	cpu0, busy0 := processCPU(), machineCPU()
	start := time.Now()
	for len(lat) < runs && (len(lat) == 0 || r.o.Iterations > 0 || time.Since(start) < r.o.Duration) {
		t0 := time.Now()
		res, err := audit.Verify(ctx, r.d, nil)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		lat = append(lat, time.Since(t0))
		entries += res.Entries
	}
	elapsed := time.Since(start)
	cpu, busy := processCPU()-cpu0, machineCPU()-busy0
	slices.Sort(lat)
	res := result(Audit, "S7/verify", 1, sample{lat: lat, elapsed: elapsed}, entries, "entries/s")
	res.Concurrency = r.rep.GOMAXPROCS
	res.Note = fmt.Sprintf("%d entries a run, in parts on up to %d cores", entries/int64(len(lat)), r.rep.GOMAXPROCS)
	var per float64
	if cpu > 0 {
		per = float64(entries) / cpu.Seconds()
		res.Note += fmt.Sprintf("; %.0f entries per CPU-second of this process", per)
	}
	if busy > 0 {
		// Every process's CPU, the PostgreSQL server's included (and anyone else's).
		per = float64(entries) / busy.Seconds()
		res.Note += fmt.Sprintf(", %.0f per CPU-second of the machine", per)
	}
	res.Target = fmt.Sprintf("≥ %d k entries/s per core", verifyTarget/1000)
	if per > 0 {
		res.PerCore, res.Met = round(per, 0), met(per >= verifyTarget)
	}
	r.add(res)
	return nil
}
