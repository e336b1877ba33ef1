package db_test

import (
	"context"
	"errors"
	"testing"

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
