// Package dbtest opens real, migrated, isolated databases for tests on both
// engines. PostgreSQL runs when MENTALSPACE_TEST_DATABASE_URL is set; each
// test gets its own schema, dropped afterwards. Without the URL the PostgreSQL
// half skips with a visible message, except under CI (CI=true), where it fails.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// EnvURL names the variable holding the PostgreSQL test server's URL.
const EnvURL = "MENTALSPACE_TEST_DATABASE_URL"

// Engines lists the engines a contract test runs on.
var Engines = []db.Engine{db.SQLite, db.Postgres}

// Run runs fn once per engine as subtests named "sqlite" and "postgres",
// each with a fresh migrated database.
func Run(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(string(e), func(t *testing.T) {
			fn(t, Open(t, e))
		})
	}
}

// Open returns a fresh migrated database on engine e, closed and removed at
// the end of the test.
func Open(t testing.TB, e db.Engine) *db.DB {
	t.Helper()
	d := OpenEmpty(t, e)
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", e, err)
	}
	return d
}

// OpenEmpty is Open without migrations.
func OpenEmpty(t testing.TB, e db.Engine) *db.DB {
	t.Helper()
	ctx := context.Background()
	if e == db.SQLite {
		d, err := db.Open(ctx, db.Options{Path: filepath.Join(t.TempDir(), "test.db")})
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	url, schema := PostgresSchema(t)
	d, err := db.Open(ctx, db.Options{URL: url, Schema: schema, MaxConns: 8})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// PostgresSchema creates an empty schema for this test on the PostgreSQL test
// server and returns the server URL and the schema name. It skips the test
// (or fails it under CI) when no server is configured.
func PostgresSchema(t testing.TB) (url, schema string) {
	t.Helper()
	url = os.Getenv(EnvURL)
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: PostgreSQL tests must run in CI", EnvURL)
		}
		t.Skipf("PostgreSQL tests skipped: set %s (see README) to run them", EnvURL)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to PostgreSQL test server: %v", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema = "test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Errorf("drop schema: %v", err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return url, schema
}
