// Package db opens MentalSpace's database on SQLite or PostgreSQL, runs
// transactions and migrations, and holds the small dialect seam between the
// two engines. SQL is written once with $1-style placeholders, which both
// drivers accept; times are stored as INTEGER microseconds since the Unix
// epoch (UTC) so that both engines compare and sort them the same way.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Engine names a database engine.
type Engine string

// The engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Options say which database to open.
type Options struct {
	// URL is a postgres:// URL; empty means SQLite at Path.
	URL string
	// Path is the SQLite database file.
	Path string
	// Schema, PostgreSQL only, puts every table in this schema (tests use one per test).
	Schema string
	// MaxConns bounds the PostgreSQL pool and the SQLite reader pool.
	MaxConns int
}

// DB is an open database. Writes go through InTx; reads outside a transaction
// use Read. On SQLite there is exactly one writer connection (SQLite allows one
// writer at a time; a pool of writers would only trade SQLITE_BUSY errors for
// waiting) and a separate pool of read-only connections, which WAL lets run
// beside the writer.
type DB struct {
	Engine Engine
	write  *sql.DB
	read   *sql.DB
	// Pool is the pgx pool on PostgreSQL, nil on SQLite (River's driver wants it).
	Pool *pgxpool.Pool
	// Path is the SQLite file, empty on PostgreSQL.
	Path string
	// writeStmts and readStmts keep SQLite's statements prepared (see
	// stmtCache); nil on PostgreSQL, where pgx caches its own.
	writeStmts, readStmts *stmtCache
	// committer runs SQLite's write transactions, in groups (groupcommit.go);
	// nil on PostgreSQL.
	committer *committer
}

// Open opens the database described by o. It does not migrate.
func Open(ctx context.Context, o Options) (*DB, error) {
	if o.MaxConns <= 0 {
		o.MaxConns = 10
	}
	if o.URL != "" {
		return openPostgres(ctx, o)
	}
	return openSQLite(ctx, o)
}

func openSQLite(ctx context.Context, o Options) (*DB, error) {
	if o.Path == "" {
		return nil, errors.New("open sqlite: no path")
	}
	if err := os.MkdirAll(filepath.Dir(o.Path), 0o700); err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	// synchronous=FULL: an acknowledged commit survives power loss, not just a crash.
	pragmas := "_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)"
	dsn := "file:" + (&url.URL{Path: o.Path}).EscapedPath()
	// temp_store=MEMORY on the writer: every group-commit member runs behind a
	// savepoint, and SQLite keeps a savepoint's journal in a temporary file
	// once it passes 64 KiB, which a booking's pages do. Those writes were a
	// fifth of a booking's time in the writer (decision 0011).
	write, err := sql.Open("sqlite", dsn+"?_txlock=immediate&_pragma=temp_store(MEMORY)&"+pragmas)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	// The file now exists in WAL mode; readers open it query-only.
	read, err := sql.Open("sqlite", dsn+"?_pragma=query_only(1)&"+pragmas)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	read.SetMaxOpenConns(o.MaxConns)
	read.SetMaxIdleConns(o.MaxConns)
	if err := os.Chmod(o.Path, 0o600); err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	d := &DB{Engine: SQLite, write: write, read: read, Path: o.Path, writeStmts: newStmtCache(write), readStmts: newStmtCache(read)}
	d.committer = newCommitter(d)
	return d, nil
}

func openPostgres(ctx context.Context, o Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(o.URL)
	if err != nil {
		// The URL may hold a password: never echo it.
		return nil, errors.New("open postgres: the database URL is not valid")
	}
	cfg.MaxConns = int32(o.MaxConns)
	if o.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = o.Schema
	}
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	return &DB{Engine: Postgres, write: sqlDB, read: sqlDB, Pool: pool}, nil
}

// Close closes every connection.
func (d *DB) Close() error {
	if d.committer != nil {
		d.committer.close()
	}
	d.writeStmts.close()
	d.readStmts.close()
	err := d.write.Close()
	if d.read != d.write {
		err = errors.Join(err, d.read.Close())
	}
	if d.Pool != nil {
		d.Pool.Close()
	}
	return err
}

// Querier is what stores need to run SQL: a *sql.DB or a *Tx.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Read returns the connection pool for reads outside a transaction.
func (d *DB) Read() Querier {
	if d.readStmts != nil {
		return cachedReader{d.read, d.readStmts}
	}
	return d.read
}

// ReadGenericPlans runs fn's reads on PostgreSQL in one read-only
// transaction whose statements are planned once per connection, whatever
// their values (plan_cache_mode = force_generic_plan, for that transaction
// only). It is for statements whose form already fixes the plan, such as a
// LATERAL walk of an index per key: left to itself, PostgreSQL keeps
// planning such a statement anew on every call when it estimates the
// generic plan dearer than the custom ones, and on a large database that
// planning can cost more than running it. Statements whose best plan does
// depend on their values (a time range over the whole table) do not belong
// here. On SQLite fn runs on Read(): SQLite plans a statement when it is
// prepared, and Read keeps it prepared.
func (d *DB) ReadGenericPlans(ctx context.Context, fn func(q Querier) error) error {
	if d.Engine != Postgres {
		return fn(d.Read())
	}
	tx, err := d.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL plan_cache_mode = force_generic_plan`); err != nil {
		return fmt.Errorf("generic plans: %w", err)
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Writer returns the write connection pool. Only migrations, River and
// backups use it directly; everything else writes through InTx.
func (d *DB) Writer() *sql.DB { return d.write }

// Tx is a write transaction.
type Tx struct {
	*sql.Tx
	Engine      Engine
	afterCommit []func()
	stmts       *stmtCache
	// grouped: the transaction is shared by a group of InTx calls (SQLite's
	// group commit), so no one caller's context may interrupt a statement:
	// SQLite rolls the whole transaction back when a write is interrupted.
	grouped bool
}

// AfterCommit runs f once the transaction has committed (never on rollback).
func (tx *Tx) AfterCommit(f func()) { tx.afterCommit = append(tx.afterCommit, f) }

// StatementContext is the context to run a statement in tx with, for code
// that uses the embedded *sql.Tx directly: ctx itself, or on a grouped
// SQLite transaction ctx without its cancellation (see Tx.grouped).
func (tx *Tx) StatementContext(ctx context.Context) context.Context {
	if tx.grouped {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// ForUpdate is the row-locking suffix for a SELECT: PostgreSQL needs it, and
// SQLite's single writer (BEGIN IMMEDIATE) makes it unnecessary.
func (tx *Tx) ForUpdate() string {
	if tx.Engine == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// InTx runs fn in a write transaction, committing when fn returns nil, and
// returns once the commit is durable. On SQLite the transaction starts with
// BEGIN IMMEDIATE and may be shared with other InTx calls waiting at the same
// time, each behind its own savepoint and committed together (groupcommit.go):
// fn sees their writes, and they see fn's, but none returns before the commit
// and a failed fn undoes only its own writes. When ctx ends while fn runs,
// its statements go on; fn decides when to stop.
func (d *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	if d.committer != nil {
		return d.committer.do(ctx, fn)
	}
	// PostgreSQL: a transaction of its own from the pool (pgx keeps its own
	// prepared statements, and the server shares flushes between commits).
	sqlTx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{Tx: sqlTx, Engine: d.Engine}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.read.PingContext(ctx) }

// Micros converts t to the stored form, microseconds since the epoch.
func Micros(t time.Time) int64 { return t.UnixMicro() }

// Time converts a stored microsecond value back to a UTC time.
func Time(us int64) time.Time { return time.UnixMicro(us).UTC() }

// NullTime converts a nullable stored value; zero time when NULL.
func NullTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return Time(v.Int64)
}

// NullMicros converts t to a nullable stored value: NULL for the zero time.
func NullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: Micros(t), Valid: true}
}

// IsUniqueViolation reports whether err is a unique-constraint failure on either engine.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// Like escapes s for use in a LIKE pattern with ESCAPE '\'.
func Like(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}
