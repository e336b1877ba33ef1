package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// limit measures L, the physical limit: single-row INSERTs, each its own
// fsync'd commit, into a scratch table, with one writer and with Writers.
// On SQLite they go through the one writer connection db.Open makes (WAL,
// synchronous=FULL), so 50 writers queue for it as the application's
// transactions do; on PostgreSQL through the pgx pool, with the server's
// synchronous_commit, where concurrent commits share WAL flushes.
func (r *runner) limit(ctx context.Context) error {
	for _, c := range []int{1, r.o.Writers} {
		if _, err := r.limitAt(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// limitAt returns L at concurrency c, measuring it first if this run has
// not yet.
func (r *runner) limitAt(ctx context.Context, c int) (float64, error) {
	if l, ok := r.limits[c]; ok {
		return l, nil
	}
	r.logf("L: single-row commits, %d writer(s)", c)
	create := `CREATE TABLE IF NOT EXISTS bench_scratch (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL, at INTEGER NOT NULL)`
	if r.d.Engine == db.Postgres {
		create = `CREATE TABLE IF NOT EXISTS bench_scratch (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, writer INTEGER NOT NULL, at BIGINT NOT NULL)`
	}
	if _, err := r.d.Writer().ExecContext(ctx, create); err != nil {
		return 0, fmt.Errorf("scratch table: %w", err)
	}
	defer r.d.Writer().ExecContext(context.WithoutCancel(ctx), `DROP TABLE bench_scratch`)
	const insert = `INSERT INTO bench_scratch (writer, at) VALUES ($1, $2)`
	commit := func(ctx context.Context, w int) error {
		_, err := r.d.Writer().ExecContext(ctx, insert, w, time.Now().UnixMicro())
		return err
	}
	if r.d.Engine == db.Postgres {
		commit = func(ctx context.Context, w int) error {
			_, err := r.d.Pool.Exec(ctx, insert, w, time.Now().UnixMicro())
			return err
		}
	}
	for range 20 { // the table's first pages
		if err := commit(ctx, 0); err != nil {
			return 0, fmt.Errorf("scratch insert: %w", err)
		}
	}
	s, err := r.drive(ctx, c, commit)
	if err != nil {
		return 0, fmt.Errorf("scratch insert: %w", err)
	}
	res := result(Limit, limitName(c), c, s, int64(len(s.lat)), "commits/s")
	res.Note = "INSERT of one row, autocommit, no application code"
	r.add(res)
	r.limits[c] = res.Throughput
	return res.Throughput, nil
}

func limitName(c int) string { return fmt.Sprintf("L/%d", c) }

// versusLimit sets res's ratio to L at its concurrency.
func (r *runner) versusLimit(ctx context.Context, res *Result) error {
	l, err := r.limitAt(ctx, res.Concurrency)
	if err != nil {
		return err
	}
	if l > 0 {
		res.Ratio, res.Versus = round(res.Throughput/l, 3), limitName(res.Concurrency)
	}
	return nil
}
