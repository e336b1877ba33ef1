package db

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func openSQLiteForTest(t *testing.T) *DB {
	t.Helper()
	d, err := Open(context.Background(), Options{Path: filepath.Join(t.TempDir(), "test.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Writer().ExecContext(context.Background(), `CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return d
}

func (c *stmtCache) has(query string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query] != nil
}

// TestStmtCache checks that SQLite statements are prepared once and then
// reused, in transactions and on the reader pool, with the same results and
// errors as unprepared ones.
func TestStmtCache(t *testing.T) {
	ctx := context.Background()
	d := openSQLiteForTest(t)
	const insert = `INSERT INTO kv (k, v) VALUES ($1, $2)`
	const read = `SELECT v FROM kv WHERE k = $1`
	for i := range 3 {
		err := d.InTx(ctx, func(tx *Tx) error {
			if _, err := tx.ExecContext(ctx, insert, fmt.Sprint("k", i), i); err != nil {
				return err
			}
			var v int
			if err := tx.QueryRowContext(ctx, read, fmt.Sprint("k", i)).Scan(&v); err != nil || v != i {
				return fmt.Errorf("read back %d, %v; want %d", v, err, i)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("transaction %d: %v", i, err)
		}
		// Noted in the first transaction, prepared after it.
		if !d.writeStmts.has(insert) || !d.writeStmts.has(read) {
			t.Fatalf("after transaction %d the writer's statements are not cached", i)
		}
	}
	for i := range 3 {
		var v int
		if err := d.Read().QueryRowContext(ctx, read, fmt.Sprint("k", i)).Scan(&v); err != nil || v != i {
			t.Errorf("read k%d = %d, %v; want %d", i, v, err, i)
		}
	}
	if !d.readStmts.has(read) {
		t.Error("the reader's statement is not cached")
	}
	rows, err := d.Read().QueryContext(ctx, `SELECT k FROM kv ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	var ks []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		ks = append(ks, k)
	}
	rows.Close()
	if got := strings.Join(ks, " "); got != "k0 k1 k2" {
		t.Errorf("keys = %q, want k0 k1 k2", got)
	}

	// A cached statement keeps failing like an unprepared one, and a
	// rollback undoes what it did.
	err = d.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, insert, "k3", 3); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, insert, "k0", 9)
		return err
	})
	if err == nil || !IsUniqueViolation(err) {
		t.Errorf("duplicate insert = %v, want a unique violation", err)
	}
	var n int
	if err := d.Read().QueryRowContext(ctx, `SELECT count(*) FROM kv`).Scan(&n); err != nil || n != 3 {
		t.Errorf("rows after the rollback = %d, %v; want 3", n, err)
	}
	for _, q := range []Querier{d.Read(), nil} {
		bad := `SELECT x FROM nowhere`
		if q == nil {
			err = d.InTx(ctx, func(tx *Tx) error { return tx.QueryRowContext(ctx, bad).Scan(&n) })
		} else {
			err = q.QueryRowContext(ctx, bad).Scan(&n)
		}
		if err == nil || !strings.Contains(err.Error(), "no such table") {
			t.Errorf("bad query = %v, want no such table", err)
		}
	}
}

// TestStmtCacheFull checks that queries past the cache's bound still run.
func TestStmtCacheFull(t *testing.T) {
	ctx := context.Background()
	d := openSQLiteForTest(t)
	for i := range maxCachedStmts + 20 {
		q := fmt.Sprintf(`SELECT %d FROM kv WHERE v > $1`, i)
		if err := d.InTx(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, q, 0)
			return err
		}); err != nil {
			t.Fatalf("query %d: %v", i, err)
		}
		var n int
		if err := d.Read().QueryRowContext(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&n); err != nil || n != i {
			t.Fatalf("read %d = %d, %v", i, n, err)
		}
	}
	if n := len(d.writeStmts.m); n != maxCachedStmts {
		t.Errorf("writer cache holds %d statements, want %d", n, maxCachedStmts)
	}
	if n := len(d.readStmts.m); n != maxCachedStmts {
		t.Errorf("reader cache holds %d statements, want %d", n, maxCachedStmts)
	}
}
