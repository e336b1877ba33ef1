package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Throttle limits failed logins per account and per source address. The
// counters live in the database, so every app instance sees the same ones.
type Throttle struct {
	Window         time.Duration // failures count within this window
	AccountLimit   int           // failures on one account before it is locked
	IPLimit        int           // failures from one address before it is locked
	LockFor        time.Duration
	DisableForTest bool
}

// DefaultThrottle locks an account after 5 failures in 15 minutes and an
// address after 20, each for 15 minutes.
var DefaultThrottle = Throttle{Window: 15 * time.Minute, AccountLimit: 5, IPLimit: 20, LockFor: 15 * time.Minute}

func accountKey(email string) string { return "acct:" + hashToken(email) }
func ipKey(ip string) string         { return "ip:" + ip }

// locked reports whether any key is locked at now.
func locked(ctx context.Context, q db.Querier, now time.Time, keys ...string) (bool, error) {
	for _, k := range keys {
		var until int64
		err := q.QueryRowContext(ctx, `SELECT locked_until FROM login_throttle WHERE key = $1`, k).Scan(&until)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("throttle: %w", err)
		}
		if until > db.Micros(now) {
			return true, nil
		}
	}
	return false, nil
}

// fail counts one failure against key, locking it when it reaches limit.
func (t Throttle) fail(ctx context.Context, tx *db.Tx, key string, limit int, now time.Time) error {
	var failures int
	var start int64
	err := tx.QueryRowContext(ctx, `SELECT failures, window_start FROM login_throttle WHERE key = $1`+tx.ForUpdate(), key).Scan(&failures, &start)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		failures, start = 0, db.Micros(now)
	case err != nil:
		return fmt.Errorf("throttle: %w", err)
	}
	if db.Time(start).Add(t.Window).Before(now) {
		failures, start = 0, db.Micros(now)
	}
	failures++
	var until int64
	if failures >= limit {
		until = db.Micros(now.Add(t.LockFor))
		failures, start = 0, db.Micros(now)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start,
		locked_until = CASE WHEN excluded.locked_until > login_throttle.locked_until THEN excluded.locked_until ELSE login_throttle.locked_until END`,
		key, failures, start, until)
	if err != nil {
		return fmt.Errorf("throttle: %w", err)
	}
	return nil
}

func clearThrottle(ctx context.Context, tx *db.Tx, key string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM login_throttle WHERE key = $1`, key)
	return err
}
