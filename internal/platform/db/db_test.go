package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

func TestMigrateAndStatus(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st, err := d.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Pending() || st.Current == 0 {
			t.Fatalf("status after migrate = %+v, want current = latest > 0", st)
		}
		if err := d.CheckCurrent(ctx); err != nil {
			t.Fatalf("CheckCurrent: %v", err)
		}
	})
}

func TestRefusesNewerDatabase(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		// Pretend a newer binary applied migration 9999.
		if _, err := d.Writer().ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, TRUE)`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Migrate(ctx); !errors.Is(err, db.ErrDatabaseNewer) {
			t.Fatalf("Migrate on newer database: err = %v, want ErrDatabaseNewer", err)
		}
		if err := d.CheckCurrent(ctx); !errors.Is(err, db.ErrDatabaseNewer) {
			t.Fatalf("CheckCurrent on newer database: err = %v, want ErrDatabaseNewer", err)
		}
	})
}

func TestTxRollbackAndUnique(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		insert := func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO login_throttle (key, failures, window_start) VALUES ($1, $2, $3)`, "k", 1, 0)
			return err
		}
		boom := errors.New("boom")
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			if err := insert(tx); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("InTx err = %v, want boom", err)
		}
		var n int
		if err := d.Read().QueryRowContext(ctx, `SELECT count(*) FROM login_throttle`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("after rollback count = %d, %v; want 0", n, err)
		}
		if err := d.InTx(ctx, insert); err != nil {
			t.Fatal(err)
		}
		err := d.InTx(ctx, insert)
		if !db.IsUniqueViolation(err) {
			t.Fatalf("second insert err = %v, want unique violation", err)
		}
	})
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (seq, at, action, outcome, prev_hash, hash) VALUES (1, 0, 'login', 'success', '', 'x')`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`UPDATE audit_log SET action = 'logout'`, `DELETE FROM audit_log`} {
			if err := d.InTx(ctx, func(tx *db.Tx) error { _, err := tx.ExecContext(ctx, q); return err }); err == nil {
				t.Errorf("%q succeeded, want refused by trigger", q)
			}
		}
	})
}

// TestConcurrentTransactions runs many InTx calls at once, some failing and
// some panicking after their writes: on SQLite they share commits (group
// commit), on both engines exactly the successful ones' writes are kept and
// only their AfterCommit functions run.
func TestConcurrentTransactions(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		const n = 60
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			after    = map[int]bool{}
			release  = make(chan struct{})
			results  = make([]error, n)
			panicked = make([]any, n)
		)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { panicked[i] = recover() }()
				results[i] = d.InTx(ctx, func(tx *db.Tx) error {
					if i == 0 {
						<-release // hold the writer while the others queue
					}
					if _, err := tx.ExecContext(ctx, `INSERT INTO login_throttle (key, failures, window_start) VALUES ($1, 1, 0)`, fmt.Sprint(i)); err != nil {
						return err
					}
					tx.AfterCommit(func() { mu.Lock(); after[i] = true; mu.Unlock() })
					switch {
					case i%7 == 3:
						return boom
					case i%13 == 5:
						panic("fn panicked")
					}
					return nil
				})
			}()
			if i == 0 {
				time.Sleep(20 * time.Millisecond)
			}
		}
		time.Sleep(100 * time.Millisecond)
		close(release)
		wg.Wait()

		rows, err := d.Read().QueryContext(ctx, `SELECT key FROM login_throttle`)
		if err != nil {
			t.Fatal(err)
		}
		kept := map[int]bool{}
		for rows.Next() {
			var k int
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			kept[k] = true
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			failed, panics := i%7 == 3, i%13 == 5 && i%7 != 3
			switch {
			case failed && !errors.Is(results[i], boom):
				t.Errorf("call %d: err %v, want boom", i, results[i])
			case panics && panicked[i] != "fn panicked":
				t.Errorf("call %d: panic %v, want fn's panic raised in the caller", i, panicked[i])
			case !failed && !panics && (results[i] != nil || panicked[i] != nil):
				t.Errorf("call %d: err %v, panic %v", i, results[i], panicked[i])
			}
			ok := !failed && !panics
			if kept[i] != ok || after[i] != ok {
				t.Errorf("call %d: row kept %v, AfterCommit ran %v; want %v", i, kept[i], after[i], ok)
			}
		}
		if d.Engine == db.SQLite {
			commits, txs := d.GroupCommits()
			t.Logf("%d transactions in %d commits", txs, commits)
			if txs != int64(len(kept)) || commits > txs/2 {
				t.Errorf("%d transactions in %d commits: want %d transactions, grouped", txs, commits, len(kept))
			}
		}
	})
}

// TestQueuedTransactionCancelled: an InTx whose context ends while it waits
// for the writer returns without running.
func TestQueuedTransactionCancelled(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		if d.Engine != db.SQLite {
			t.Skip("PostgreSQL has no single writer to wait for")
		}
		release := make(chan struct{})
		held := make(chan error)
		go func() {
			held <- d.InTx(context.Background(), func(tx *db.Tx) error { <-release; return nil })
		}()
		time.Sleep(20 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		ran := false
		err := d.InTx(ctx, func(tx *db.Tx) error { ran = true; return nil })
		close(release)
		if !errors.Is(err, context.DeadlineExceeded) || ran {
			t.Errorf("queued InTx: err %v, ran %v; want the deadline and no run", err, ran)
		}
		if err := <-held; err != nil {
			t.Fatal(err)
		}
	})
}

// TestGroupLostTransaction: when the transaction under a group ends early
// (here a function rolls it back itself, as SQLite does on a full disk or
// an I/O error), every call in the group fails and none of their writes is
// kept, not even those that ran after it in what would be a new transaction.
func TestGroupLostTransaction(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	ctx := context.Background()
	release := make(chan struct{})
	held := make(chan error)
	go func() {
		held <- d.InTx(ctx, func(tx *db.Tx) error { <-release; return nil })
	}()
	time.Sleep(20 * time.Millisecond)
	insert := func(key string, end bool) func(tx *db.Tx) error {
		return func(tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO login_throttle (key, failures, window_start) VALUES ($1, 1, 0)`, key); err != nil {
				return err
			}
			if end {
				_, err := tx.ExecContext(ctx, `ROLLBACK`)
				return err
			}
			return nil
		}
	}
	var mu sync.Mutex
	errs := map[string]error{}
	var wg sync.WaitGroup
	for _, c := range []struct {
		key string
		end bool
	}{{"b", true}, {"a", false}, {"c", false}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := d.InTx(ctx, insert(c.key, c.end))
			mu.Lock()
			errs[c.key] = err
			mu.Unlock()
		}()
		// Waiting senders are served in order: the call that ends the
		// transaction runs first in its group, where it has no one's
		// savepoint but its own.
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	// The one that ended the transaction fails, and so does each that shared
	// it (one that found the writer free afterwards commits on its own); a
	// call reported as failed has left nothing, one reported done is stored.
	if errs["b"] == nil {
		t.Error("the call that ended the transaction succeeded")
	}
	for key, err := range errs {
		var n int
		if err := d.Read().QueryRowContext(ctx, `SELECT count(*) FROM login_throttle WHERE key = $1`, key).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if (err == nil) != (n == 1) {
			t.Errorf("call %s: err %v, %d rows stored", key, err, n)
		}
	}
	if err := d.InTx(ctx, insert("d", false)); err != nil {
		t.Errorf("InTx after a lost group: %v", err)
	}
}

// The writer's settings are what make an acknowledged write durable
// (synchronous=FULL in WAL) and a group's savepoints cheap (temp_store=MEMORY:
// their journals never reach a temporary file); readers must not write.
func TestSQLiteSettings(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	ctx := context.Background()
	for _, c := range []struct {
		conn   string
		pragma string
		want   string
	}{
		{"writer", "journal_mode", "wal"},
		{"writer", "synchronous", "2"},
		{"writer", "foreign_keys", "1"},
		{"writer", "temp_store", "2"},
		{"reader", "journal_mode", "wal"},
		{"reader", "query_only", "1"},
	} {
		var q db.Querier = d.Writer()
		if c.conn == "reader" {
			q = d.Read()
		}
		var got string
		if err := q.QueryRowContext(ctx, `PRAGMA `+c.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: PRAGMA %s = %s, want %s", c.conn, c.pragma, got, c.want)
		}
	}
}

// TestReadGenericPlans: on PostgreSQL fn's statements run read-only with
// generic plans, and the setting ends with the transaction; on SQLite fn
// simply reads. fn's error is returned.
func TestReadGenericPlans(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		mode := func(q db.Querier) string {
			t.Helper()
			if d.Engine != db.Postgres {
				return ""
			}
			var m string
			if err := q.QueryRowContext(ctx, `SHOW plan_cache_mode`).Scan(&m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		want := map[db.Engine]string{db.Postgres: "force_generic_plan"}[d.Engine]
		for range 3 { // the pool's connections come back as they were
			calls := 0
			err := d.ReadGenericPlans(ctx, func(q db.Querier) error {
				calls++
				if got := mode(q); got != want {
					t.Errorf("plan_cache_mode inside = %q, want %q", got, want)
				}
				var n int
				return q.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n)
			})
			if err != nil || calls != 1 {
				t.Fatalf("ReadGenericPlans = %v after %d calls, want nil after 1", err, calls)
			}
			if got, wantOut := mode(d.Read()), map[db.Engine]string{db.Postgres: "auto"}[d.Engine]; got != wantOut {
				t.Errorf("plan_cache_mode after = %q, want %q", got, wantOut)
			}
		}
		boom := errors.New("boom")
		if err := d.ReadGenericPlans(ctx, func(db.Querier) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("ReadGenericPlans with a failing fn = %v, want boom", err)
		}
		if d.Engine == db.Postgres {
			err := d.ReadGenericPlans(ctx, func(q db.Querier) error {
				_, err := q.ExecContext(ctx, `INSERT INTO login_throttle (key, failures, window_start) VALUES ('x', 1, 0)`)
				return err
			})
			if err == nil {
				t.Fatal("a write inside ReadGenericPlans succeeded; want a read-only transaction")
			}
		}
	})
}
