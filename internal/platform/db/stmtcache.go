package db

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds a stmtCache. Queries whose text varies without end
// (IN lists of any length) are run unprepared once it is full.
const maxCachedStmts = 500

// stmtCache keeps SQLite statements prepared, by query text. Without it
// the driver parses and plans every query each time it runs, which costs
// about as much as running a short one: a third of the CPU time of booking
// an appointment (docs/PERFORMANCE.md, "Benchmarks"). database/sql prepares
// a cached statement once on each connection that runs it; a transaction
// reuses the one the writer connection has (sql.Tx.StmtContext).
type stmtCache struct {
	db   *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt
	want map[string]bool // first run inside a transaction: prepared after it
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, want: map[string]bool{}}
}

func (c *stmtCache) lookup(query string) (*sql.Stmt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[query]
	return s, ok || len(c.m) >= maxCachedStmts
}

// get returns query's statement, preparing it if it is new; nil when the
// cache is full or the query does not prepare (the caller then runs it
// unprepared, and reports its error).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if s, known := c.lookup(query); known {
		return s
	}
	s, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[query]; ok || len(c.m) >= maxCachedStmts {
		s.Close()
		return old
	}
	c.m[query] = s
	return s
}

// inTx returns query's statement for tx, or nil when it is not prepared
// yet. A transaction holds the writer's one connection, so preparing on the
// pool now would wait for it forever: the query is noted instead, for
// prepareWanted once the transaction is over.
func (c *stmtCache) inTx(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	s, ok := c.m[query]
	if !ok && len(c.m)+len(c.want) < maxCachedStmts {
		c.want[query] = true
	}
	c.mu.Unlock()
	if s == nil {
		return nil
	}
	return tx.StmtContext(ctx, s)
}

// prepareWanted prepares the statements transactions have noted.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	var queries []string
	for q := range c.want {
		queries = append(queries, q)
	}
	clear(c.want)
	c.mu.Unlock()
	for _, q := range queries {
		c.get(context.WithoutCancel(ctx), q)
	}
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, s := range c.m {
		s.Close()
		delete(c.m, q)
	}
}

// ExecContext runs query in the transaction (prepared once, on SQLite).
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = tx.StatementContext(ctx)
	if s := tx.stmts.inTx(ctx, tx.Tx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs query in the transaction (prepared once, on SQLite).
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = tx.StatementContext(ctx)
	if s := tx.stmts.inTx(ctx, tx.Tx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query in the transaction (prepared once, on SQLite).
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = tx.StatementContext(ctx)
	if s := tx.stmts.inTx(ctx, tx.Tx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}

// cachedReader is SQLite's reader pool with its statements kept prepared.
type cachedReader struct {
	db *sql.DB
	c  *stmtCache
}

func (r cachedReader) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := r.c.get(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return r.db.ExecContext(ctx, query, args...)
}

func (r cachedReader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := r.c.get(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return r.db.QueryContext(ctx, query, args...)
}

func (r cachedReader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := r.c.get(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return r.db.QueryRowContext(ctx, query, args...)
}
