package auth

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/practice"
)

// tokenPrefix marks MentalSpace API tokens so secret scanners can find leaked ones.
const tokenPrefix = "mst_"

// Token is a personal API token. It acts with its owner's current roles.
type Token struct {
	ID         int64
	Name       string
	Prefix     string // the first characters, to tell tokens apart
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// CreateToken makes a personal API token for the actor and returns it in
// clear, once; only its hash is kept. Errors: invalid.
func (s *Service) CreateToken(ctx context.Context, a access.Actor, name string) (string, Token, error) {
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "api_token"}
	role, err := s.audit.Authorize(ctx, a, access.PermSelf, access.Target{}, ev)
	if err != nil {
		return "", Token{}, err
	}
	if a.System { // the shell creates tokens for a named user; see CreateTokenFor
		return "", Token{}, apperr.Invalid("Name the user the token is for.", nil)
	}
	return s.createToken(ctx, a, a.UserID, name, ev, role)
}

// CreateTokenFor makes a token for the account with email, from the shell.
// System actor or administrators. Errors: forbidden, not_found, invalid.
func (s *Service) CreateTokenFor(ctx context.Context, a access.Actor, email, name string) (string, Token, error) {
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "api_token"}
	role, err := s.audit.Authorize(ctx, a, access.PermUsersManage, access.Target{}, ev)
	if err != nil {
		return "", Token{}, err
	}
	u, err := findUser(ctx, s.db.Read(), 0, strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return "", Token{}, wrap(err)
	}
	if u.Status != StatusActive {
		return "", Token{}, apperr.Invalid("That account is disabled.", nil)
	}
	return s.createToken(ctx, a, u.ID, name, ev, role)
}

func (s *Service) createToken(ctx context.Context, a access.Actor, userID int64, name string, ev audit.Event, role access.Role) (string, Token, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return "", Token{}, apperr.Invalid("Please correct the highlighted fields.", map[string]string{"name": "Give the token a name of up to 100 characters, such as \"reporting script\"."})
	}
	plain := newToken(tokenPrefix)
	t := Token{Name: name, Prefix: plain[:len(tokenPrefix)+6], CreatedAt: s.clock.Now()}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			userID, t.Name, t.Prefix, hashToken(plain), db.Micros(t.CreatedAt)).Scan(&t.ID)
		if err != nil {
			return err
		}
		ev.Role, ev.ObjectID, ev.Detail = role, audit.ObjectIDOf(t.ID), "for user "+audit.ObjectIDOf(userID)
		return s.audit.Record(ctx, tx, a, ev)
	})
	if err != nil {
		return "", Token{}, wrap(err)
	}
	return plain, t, nil
}

// Tokens lists the actor's live tokens.
func (s *Service) Tokens(ctx context.Context, a access.Actor) ([]Token, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermSelf, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "api_token"}); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, name, prefix, created_at, last_used_at FROM api_tokens
		WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id DESC`, a.UserID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var created int64
		var used sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Name, &t.Prefix, &created, &used); err != nil {
			return nil, apperr.Internal(err)
		}
		t.CreatedAt, t.LastUsedAt = db.Time(created), db.NullTime(used)
		out = append(out, t)
	}
	return out, wrap(rows.Err())
}

// RevokeToken revokes one of the actor's tokens. Errors: not_found.
func (s *Service) RevokeToken(ctx context.Context, a access.Actor, id int64) error {
	ev := audit.Event{Action: audit.ActionDelete, ObjectType: "api_token", ObjectID: audit.ObjectIDOf(id)}
	role, err := s.audit.Authorize(ctx, a, access.PermSelf, access.Target{}, ev)
	if err != nil {
		return err
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL`,
			db.Micros(s.clock.Now()), id, a.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFound("token")
		}
		ev.Role = role
		return s.audit.Record(ctx, tx, a, ev)
	}))
}

// tokenUseInterval bounds how often a token's use is written: the last-used
// time and a "login via api_token" audit entry at most once a minute per
// token. Every request's reads and changes of data are audited on their own.
const tokenUseInterval = time.Minute

// AuthenticateToken resolves a bearer token to its owner's actor. The token
// must be live and its owner active. Errors: unauthorized.
func (s *Service) AuthenticateToken(ctx context.Context, bearer, ip, userAgent, requestID string) (access.Actor, error) {
	bad := apperr.Unauthorized("The API token is missing, revoked or not valid.")
	if !strings.HasPrefix(bearer, tokenPrefix) {
		return access.Actor{}, bad
	}
	var id, userID int64
	var used sql.NullInt64
	err := s.db.Read().QueryRowContext(ctx, `SELECT t.id, t.user_id, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.status = 'active'`, hashToken(bearer)).Scan(&id, &userID, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return access.Actor{}, bad
	}
	if err != nil {
		return access.Actor{}, apperr.Internal(err)
	}
	u, err := findUser(ctx, s.db.Read(), userID, "")
	if err != nil {
		return access.Actor{}, wrap(err)
	}
	// A token never lets anyone skip a second factor the account now needs
	// (the owner became an administrator, or the practice requires MFA).
	if !u.MFAEnabled {
		required := u.Has(access.RoleAdmin)
		if !required {
			st, err := practice.Get(ctx, s.db.Read())
			if err != nil {
				return access.Actor{}, wrap(err)
			}
			required = st.RequireMFAForAll
		}
		if required {
			return access.Actor{}, apperr.Unauthorized("This account must set up two-step sign-in in the web app before its API tokens work.")
		}
	}
	a := access.Actor{UserID: u.ID, Roles: u.Roles, TokenID: id, MFA: false, IP: ip, UserAgent: userAgent, RequestID: requestID}
	now := s.clock.Now()
	if !used.Valid || now.Sub(db.Time(used.Int64)) >= tokenUseInterval {
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, db.Micros(now), id); err != nil {
				return err
			}
			return s.audit.Record(ctx, tx, a, audit.Event{Action: audit.ActionLogin, ObjectType: "api_token", ObjectID: audit.ObjectIDOf(id)})
		})
		if err != nil {
			return access.Actor{}, apperr.Internal(err)
		}
	}
	return a, nil
}
