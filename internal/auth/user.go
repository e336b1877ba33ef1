// Package auth is staff identity: accounts and roles, passwords, TOTP,
// sessions kept in the database (so several app instances share them), API
// tokens and login throttling. Every change it makes is audited in the same
// transaction.
package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/npi"
)

// Status is an account's state.
type Status string

// The statuses. Accounts are disabled, never deleted: the audit log refers to them.
const (
	StatusActive   Status = "active"
	StatusDisabled Status = "disabled"
)

// User is a staff account.
type User struct {
	ID          int64
	Email       string
	Name        string
	Credentials string // shown after the name: "LCSW", "PhD"
	NPI         string
	Status      Status
	Roles       []access.Role
	// MFAEnabled is true when the account has a second factor: an
	// authenticator app (TOTPEnabled) or at least one passkey.
	MFAEnabled  bool
	TOTPEnabled bool
	Passkeys    int
	Version     int64
	CreatedAt   time.Time

	passwordHash   string
	totpSecret     string // sealed; during enrolment set while TOTPEnabled is false
	totpLastStep   int64
	webauthnHandle string // base64url; empty until the first passkey ceremony
}

// DisplayName is the name with credentials, as on a signature.
func (u User) DisplayName() string {
	if u.Credentials == "" {
		return u.Name
	}
	return u.Name + ", " + u.Credentials
}

// Has reports whether u holds role r.
func (u User) Has(r access.Role) bool {
	for _, x := range u.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Profile is the editable part of an account.
type Profile struct {
	Email       string
	Name        string
	Credentials string
	NPI         string
	Roles       []access.Role
}

func (p *Profile) normalize() {
	p.Email = strings.ToLower(strings.TrimSpace(p.Email))
	p.Name = strings.Join(strings.Fields(p.Name), " ")
	p.Credentials = strings.TrimSpace(p.Credentials)
	p.NPI = strings.TrimSpace(p.NPI)
}

func (p Profile) validate(fields map[string]string) {
	if p.Email == "" {
		fields["email"] = "Enter an email address."
	} else if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email || !strings.Contains(p.Email, ".") {
		fields["email"] = "Enter an email address like name@example.org."
	}
	if p.Name == "" {
		fields["name"] = "Enter the person's name."
	} else if utf8.RuneCountInString(p.Name) > 200 {
		fields["name"] = "Keep the name under 200 characters."
	}
	if utf8.RuneCountInString(p.Credentials) > 40 {
		fields["credentials"] = "Keep credentials under 40 characters."
	}
	if p.NPI != "" && !npi.Valid(p.NPI) {
		fields["npi"] = "This is not a valid NPI: it needs 10 digits with a correct check digit."
	}
	if len(p.Roles) == 0 {
		fields["roles"] = "Choose at least one role."
	}
	for _, r := range p.Roles {
		if !r.Valid() {
			fields["roles"] = "Choose roles from the list."
		}
	}
}

const userColumns = `id, email, name, credentials, npi, status, password_hash, totp_secret, totp_enabled_at, totp_last_step,
	COALESCE(webauthn_handle, ''), (SELECT count(*) FROM webauthn_credentials c WHERE c.user_id = users.id), version, created_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var status string
	var enabled sql.NullInt64
	var created int64
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Credentials, &u.NPI, &status, &u.passwordHash, &u.totpSecret,
		&enabled, &u.totpLastStep, &u.webauthnHandle, &u.Passkeys, &u.Version, &created)
	u.Status, u.TOTPEnabled, u.CreatedAt = Status(status), enabled.Valid, db.Time(created)
	u.MFAEnabled = u.TOTPEnabled || u.Passkeys > 0
	return u, err
}

// findUser loads one user by id or (when id is 0) by normalised email.
func findUser(ctx context.Context, q db.Querier, id int64, email string) (User, error) {
	var row *sql.Row
	if id != 0 {
		row = q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id)
	} else {
		row = q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, email)
	}
	u, err := scanUser(row)
	if errors.Is(err, sql.ErrNoRows) {
		return u, apperr.NotFound("user")
	}
	if err != nil {
		return u, fmt.Errorf("find user: %w", err)
	}
	roles, err := loadRoles(ctx, q, []int64{u.ID})
	u.Roles = roles[u.ID]
	return u, err
}

// loadRoles returns the roles of each user, in policy order, in one query.
func loadRoles(ctx context.Context, q db.Querier, ids []int64) (map[int64][]access.Role, error) {
	out := map[int64][]access.Role{}
	if len(ids) == 0 {
		return out, nil
	}
	ph := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		ph[i], args[i] = fmt.Sprintf("$%d", i+1), id
	}
	rows, err := q.QueryContext(ctx, `SELECT user_id, role FROM user_roles WHERE user_id IN (`+strings.Join(ph, ",")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("load roles: %w", err)
	}
	defer rows.Close()
	have := map[int64]map[access.Role]bool{}
	for rows.Next() {
		var id int64
		var r string
		if err := rows.Scan(&id, &r); err != nil {
			return nil, fmt.Errorf("load roles: %w", err)
		}
		if have[id] == nil {
			have[id] = map[access.Role]bool{}
		}
		have[id][access.Role(r)] = true
	}
	for id, set := range have {
		for _, r := range access.Roles {
			if set[r] {
				out[id] = append(out[id], r)
			}
		}
	}
	return out, rows.Err()
}

func setRoles(ctx context.Context, tx *db.Tx, userID int64, roles []access.Role) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("set roles: %w", err)
	}
	for _, r := range roles {
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, $2)`, userID, string(r)); err != nil {
			return fmt.Errorf("set roles: %w", err)
		}
	}
	return nil
}

func insertUser(ctx context.Context, tx *db.Tx, p Profile, hash string, now time.Time) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO users (email, name, credentials, npi, status, password_hash, password_changed_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'active', $5, $6, $6, $6) RETURNING id`,
		p.Email, p.Name, p.Credentials, p.NPI, hash, db.Micros(now)).Scan(&id)
	if db.IsUniqueViolation(err) {
		return 0, apperr.Invalid("Please correct the highlighted fields.", map[string]string{"email": "Another account already uses this email address."})
	}
	if err != nil {
		return 0, fmt.Errorf("insert user: %w", err)
	}
	return id, setRoles(ctx, tx, id, p.Roles)
}

// UserFilter pages through users by id (a cursor) and optionally by status.
type UserFilter struct {
	AfterID int64
	Limit   int
	Status  Status
}

func listUsers(ctx context.Context, q db.Querier, f UserFilter) ([]User, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	query := `SELECT ` + userColumns + ` FROM users WHERE id > $1`
	args := []any{f.AfterID}
	if f.Status != "" {
		query += ` AND status = $2`
		args = append(args, string(f.Status))
	}
	query += fmt.Sprintf(` ORDER BY id LIMIT %d`, f.Limit)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	var ids []int64
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
		ids = append(ids, u.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	roles, err := loadRoles(ctx, q, ids)
	for i := range out {
		out[i].Roles = roles[out[i].ID]
	}
	return out, err
}
