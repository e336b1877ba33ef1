package auth

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Throttle limits sign-in attempts per account, per source address and per
// second-factor prompt. The counters live in the database, so every app
// instance sees the same ones. An attempt is counted before the password or
// code is checked, in its own committed statement, so parallel guesses
// cannot slip past the limit; a success then clears (or, for an address,
// gives back) what it counted.
type Throttle struct {
	Window       time.Duration // attempts count within this window
	AccountLimit int           // attempts on one account (and one second-factor prompt) before a lock
	IPLimit      int           // failed attempts from one address before a lock
	LockFor      time.Duration
	// DisableForTest turns counting off (load tests, fixtures).
	DisableForTest bool
}

// DefaultThrottle allows 5 failures per account and 20 per address in 15
// minutes, then pauses sign-in for 15 minutes.
var DefaultThrottle = Throttle{Window: 15 * time.Minute, AccountLimit: 5, IPLimit: 20, LockFor: 15 * time.Minute}

func accountKey(email string) string { return "acct:" + hashToken(email) }
func ipKey(ip string) string         { return "ip:" + ip }
func mfaKey(userID int64) string     { return "mfa:" + strconv.FormatInt(userID, 10) }

// attempt counts one attempt against key and reports whether the key is
// locked: already locked, or now over its limit (which locks it). It runs in
// its own transaction so the count is visible to parallel requests at once.
func (t Throttle) attempt(ctx context.Context, d *db.DB, key string, limit int, now time.Time) (bool, error) {
	if t.DisableForTest {
		return false, nil
	}
	var lockedNow bool
	err := d.InTx(ctx, func(tx *db.Tx) error {
		var failures int
		var until int64
		// One statement: concurrent upserts of a key queue on its row.
		err := tx.QueryRowContext(ctx, `INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES ($1, 1, $2, 0)
			ON CONFLICT (key) DO UPDATE SET
				failures = CASE WHEN login_throttle.window_start < $3 THEN 1 ELSE login_throttle.failures + 1 END,
				window_start = CASE WHEN login_throttle.window_start < $3 THEN $2 ELSE login_throttle.window_start END
			RETURNING failures, locked_until`, key, db.Micros(now), db.Micros(now.Add(-t.Window))).Scan(&failures, &until)
		if err != nil {
			return err
		}
		switch {
		case until > db.Micros(now):
			lockedNow = true
		case failures > limit:
			lockedNow = true
			_, err = tx.ExecContext(ctx, `UPDATE login_throttle SET locked_until = $1 WHERE key = $2`, db.Micros(now.Add(t.LockFor)), key)
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("throttle: %w", err)
	}
	return lockedNow, nil
}

// clearThrottle forgets key's attempts after a success.
func clearThrottle(ctx context.Context, tx *db.Tx, key string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM login_throttle WHERE key = $1 AND locked_until = 0`, key)
	return err
}

// giveBack returns one counted attempt: an address's successful sign-ins
// must not add up to a lock (a practice's staff share one address).
func giveBack(ctx context.Context, tx *db.Tx, key string) error {
	_, err := tx.ExecContext(ctx, `UPDATE login_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0`, key)
	return err
}

// hashSlots bounds how many argon2id computations (19 MiB each) run at once,
// so a flood of sign-in requests cannot exhaust memory.
var hashSlots = make(chan struct{}, 2*runtime.GOMAXPROCS(0))

// recheckPassword confirms a signed-in user's password before a sensitive
// change. Tries are throttled like sign-ins; past the limit the session is
// ended, so a stolen session cannot be used to guess the password.
// Errors: invalid (wrong password), unauthorized (locked: signed out).
func (s *Service) recheckPassword(ctx context.Context, a access.Actor, u User, password string) error {
	key := "pw:" + strconv.FormatInt(u.ID, 10)
	now := s.clock.Now()
	isLocked, err := s.opt.Throttle.attempt(ctx, s.db, key, s.opt.Throttle.AccountLimit, now)
	if err != nil {
		return apperr.Internal(err)
	}
	if isLocked {
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, db.Micros(now), a.SessionID); err != nil {
				return err
			}
			return s.audit.Record(ctx, tx, a, audit.Event{Action: audit.ActionLogout, ObjectType: "session", ObjectID: audit.ObjectIDOf(a.SessionID),
				Outcome: audit.Failed, Detail: "too many wrong passwords"})
		})
		if err != nil {
			return apperr.Internal(err)
		}
		return apperr.Unauthorized("Too many wrong passwords: you have been signed out.")
	}
	if !verifyPassword(password, u.passwordHash) {
		return apperr.Invalid("Please correct the highlighted fields.", map[string]string{"password": "This is not your current password."})
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error { return clearThrottle(ctx, tx, key) })
}
