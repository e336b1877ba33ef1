package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Session is a signed-in browser. Its id travels in a cookie; the database
// keeps only a hash of it.
type Session struct {
	ID         int64
	UserID     int64
	CSRFToken  string
	MFAPassed  bool
	IP         string
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute limit
	// Current is set when listing: the session making the request.
	Current bool
}

// Stage says what a session may do next.
type Stage int

// The stages.
const (
	// StageReady: fully signed in.
	StageReady Stage = iota
	// StageMFAChallenge: password accepted, a TOTP or recovery code is due.
	StageMFAChallenge
	// StageMFAEnrol: password accepted, MFA is required and not yet set up.
	StageMFAEnrol
)

const sessionColumns = `id, user_id, csrf_token, mfa_passed, ip, user_agent, created_at, last_seen_at, expires_at`

func scanSession(row interface{ Scan(...any) error }) (Session, error) {
	var s Session
	var created, seen, expires int64
	err := row.Scan(&s.ID, &s.UserID, &s.CSRFToken, &s.MFAPassed, &s.IP, &s.UserAgent, &created, &seen, &expires)
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = db.Time(created), db.Time(seen), db.Time(expires)
	return s, err
}

func findSessionByToken(ctx context.Context, q db.Querier, token string) (Session, error) {
	s, err := scanSession(q.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE token_hash = $1 AND revoked_at IS NULL`, hashToken(token)))
	if errors.Is(err, sql.ErrNoRows) {
		return s, apperr.Unauthorized("Your session has ended. Please sign in again.")
	}
	if err != nil {
		return s, fmt.Errorf("find session: %w", err)
	}
	return s, nil
}

func insertSession(ctx context.Context, tx *db.Tx, s *Session, token string) error {
	err := tx.QueryRowContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, mfa_passed, ip, user_agent, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) RETURNING id`,
		hashToken(token), s.UserID, s.CSRFToken, s.MFAPassed, s.IP, s.UserAgent, db.Micros(s.CreatedAt), db.Micros(s.ExpiresAt)).Scan(&s.ID)
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

func revokeSessions(ctx context.Context, tx *db.Tx, userID int64, exceptID int64, now time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND id <> $3 AND revoked_at IS NULL`,
		db.Micros(now), userID, exceptID)
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	return res.RowsAffected()
}
