package auth

import (
	"context"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/practice"
)

// Sealer encrypts secrets at rest; the platform's keyring implements it.
type Sealer interface {
	Encrypt(ctx context.Context, plaintext []byte, aad string) (string, error)
	Decrypt(ctx context.Context, value string, aad string) ([]byte, error)
}

// Options tune the service.
type Options struct {
	// AbsoluteTimeout ends every session this long after sign-in (default 12 h).
	AbsoluteTimeout time.Duration
	Throttle        Throttle
	// Issuer names the product in authenticator apps and to passkeys.
	Issuer string
	// RPID is the WebAuthn relying party id: the host name browsers use to
	// reach us ("localhost", "ehr.example.org"), never an IP address, which
	// WebAuthn refuses. Empty turns passkeys off.
	RPID string
	// RPOrigins are the origins pages are served from
	// ("https://ehr.example.org", "http://localhost:8080").
	RPOrigins []string
}

// Service is staff identity and access.
type Service struct {
	db     *db.DB
	clock  clock.Clock
	audit  *audit.Log
	sealer Sealer
	opt    Options
	// webauthn is nil when passkeys are off (no usable RPID).
	webauthn *webauthn.WebAuthn
}

// NewService returns the identity service.
func NewService(d *db.DB, c clock.Clock, l *audit.Log, s Sealer, o Options) *Service {
	if o.AbsoluteTimeout == 0 {
		o.AbsoluteTimeout = 12 * time.Hour
	}
	if o.Throttle.Window == 0 {
		o.Throttle = DefaultThrottle
	}
	if o.Issuer == "" {
		o.Issuer = "MentalSpace"
	}
	return &Service{db: d, clock: c, audit: l, sealer: s, opt: o, webauthn: newRelyingParty(o)}
}

// badLogin is the one message for every failed sign-in: it never says whether
// the account exists, is disabled or is locked.
var badLogin = apperr.Unauthorized("That email and password did not work. After several failed attempts, sign-in pauses for 15 minutes.")

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return apperr.As(err)
}

// NeedsSetup reports whether the database has no practice and no users yet.
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	var n int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM practice)`).Scan(&n); err != nil {
		return false, apperr.Internal(err)
	}
	return n == 0, nil
}

// SetupInput creates the practice and its first administrator.
type SetupInput struct {
	Practice practice.Settings
	Admin    Profile
	Password string
}

// Setup runs once, on an empty database: it creates the practice and the
// first administrator together. Anyone may call it while the database is
// empty; afterwards it returns conflict. Errors: invalid, conflict.
func (s *Service) Setup(ctx context.Context, a access.Actor, in SetupInput) (User, error) {
	in.Practice.Normalize()
	// The first account is an administrator; it may hold other roles too
	// (a solo practitioner is also the clinician).
	if !hasRole(in.Admin.Roles, access.RoleAdmin) {
		in.Admin.Roles = append([]access.Role{access.RoleAdmin}, in.Admin.Roles...)
	}
	in.Admin.normalize()
	fields := map[string]string{}
	if err := in.Practice.Validate(); err != nil {
		for k, v := range apperr.As(err).Fields {
			fields["practice_"+k] = v
		}
	}
	in.Admin.validate(fields)
	if msg := CheckPassword(in.Password, in.Admin.Email, in.Admin.Name); msg != "" {
		fields["password"] = msg
	}
	if len(fields) > 0 {
		return User{}, apperr.Invalid("Please correct the highlighted fields.", fields)
	}
	// Refuse before hashing: once set up, this is an anonymous endpoint.
	if need, err := s.NeedsSetup(ctx); err != nil {
		return User{}, err
	} else if !need {
		return User{}, apperr.Conflict("This practice has already been set up.")
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, apperr.Internal(err)
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return apperr.Conflict("This practice has already been set up.")
		}
		now := s.clock.Now()
		if err := practice.Create(ctx, tx, in.Practice, now); err != nil {
			return err
		}
		if id, err = insertUser(ctx, tx, in.Admin, hash, now); err != nil {
			return err
		}
		a.UserID = id
		if err := s.audit.Record(ctx, tx, a, audit.Event{Action: audit.ActionCreate, ObjectType: "practice", ObjectID: "1", Role: access.RoleAdmin, Detail: "setup"}); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, a, audit.Event{Action: audit.ActionCreate, ObjectType: "user", ObjectID: audit.ObjectIDOf(id),
			Role: access.RoleAdmin, Detail: "roles " + rolesString(in.Admin.Roles)})
	})
	if err != nil {
		return User{}, wrap(err)
	}
	return findUser(ctx, s.db.Read(), id, "")
}

// CreateUser adds a staff account. Administrators only (or the system actor
// from the shell). Errors: forbidden, invalid (including a taken email).
func (s *Service) CreateUser(ctx context.Context, a access.Actor, p Profile, password string) (User, error) {
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "user"}
	role, err := s.audit.Authorize(ctx, a, access.PermUsersManage, access.Target{}, ev)
	if err != nil {
		return User{}, err
	}
	p.normalize()
	fields := map[string]string{}
	p.validate(fields)
	if msg := CheckPassword(password, p.Email, p.Name); msg != "" {
		fields["password"] = msg
	}
	if len(fields) > 0 {
		return User{}, apperr.Invalid("Please correct the highlighted fields.", fields)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return User{}, apperr.Internal(err)
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if id, err = insertUser(ctx, tx, p, hash, s.clock.Now()); err != nil {
			return err
		}
		ev.Role, ev.ObjectID, ev.Detail = role, audit.ObjectIDOf(id), "roles "+rolesString(p.Roles)
		return s.audit.Record(ctx, tx, a, ev)
	})
	if err != nil {
		return User{}, wrap(err)
	}
	return findUser(ctx, s.db.Read(), id, "")
}

func rolesString(rs []access.Role) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = string(r)
	}
	return strings.Join(parts, ",")
}

// User returns one account. Administrators and supervisors, or the user
// themselves. Errors: forbidden, not_found.
func (s *Service) User(ctx context.Context, a access.Actor, id int64) (User, error) {
	perm := access.PermUsersRead
	if id == a.UserID {
		perm = access.PermSelf
	}
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "user", ObjectID: audit.ObjectIDOf(id)}
	if _, err := s.audit.Authorize(ctx, a, perm, access.Target{}, ev); err != nil {
		return User{}, err
	}
	u, err := findUser(ctx, s.db.Read(), id, "")
	return u, wrap(err)
}

// Users lists accounts a page at a time, ordered by id. Administrators and
// supervisors. Errors: forbidden.
func (s *Service) Users(ctx context.Context, a access.Actor, f UserFilter) ([]User, error) {
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "user"}
	if _, err := s.audit.Authorize(ctx, a, access.PermUsersRead, access.Target{}, ev); err != nil {
		return nil, err
	}
	us, err := listUsers(ctx, s.db.Read(), f)
	return us, wrap(err)
}

// UpdateUser changes an account's profile and roles if version still matches.
// Administrators only. Errors: forbidden, invalid, not_found, conflict.
func (s *Service) UpdateUser(ctx context.Context, a access.Actor, id int64, p Profile, version int64) error {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "user", ObjectID: audit.ObjectIDOf(id)}
	role, err := s.audit.Authorize(ctx, a, access.PermUsersManage, access.Target{}, ev)
	if err != nil {
		return err
	}
	p.normalize()
	fields := map[string]string{}
	p.validate(fields)
	if len(fields) > 0 {
		return apperr.Invalid("Please correct the highlighted fields.", fields)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		old, err := findUser(ctx, tx, id, "")
		if err != nil {
			return err
		}
		if old.Version != version {
			return apperr.Conflict("Someone else changed this account while you were editing. Review their change, then save again.")
		}
		if id == a.UserID && old.Has(access.RoleAdmin) && !hasRole(p.Roles, access.RoleAdmin) {
			return apperr.Invalid("You cannot remove your own administrator role.", map[string]string{"roles": "Keep the administrator role on your own account."})
		}
		if old.Has(access.RoleAdmin) && !hasRole(p.Roles, access.RoleAdmin) {
			if err := s.keepOneAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE users SET email = $1, name = $2, credentials = $3, npi = $4, version = version + 1, updated_at = $5
			WHERE id = $6 AND version = $7`, p.Email, p.Name, p.Credentials, p.NPI, db.Micros(s.clock.Now()), id, version)
		if db.IsUniqueViolation(err) {
			return apperr.Invalid("Please correct the highlighted fields.", map[string]string{"email": "Another account already uses this email address."})
		}
		if err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		// A concurrent save of the same version got there first (PostgreSQL
		// re-checks the WHERE after waiting for it): nothing of this one stays.
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.Conflict("Someone else changed this account while you were editing. Review their change, then save again.")
		}
		if err := setRoles(ctx, tx, id, p.Roles); err != nil {
			return err
		}
		ev.Role, ev.Detail = role, "fields "+strings.Join(changedFields(old, p), ",")
		return s.audit.Record(ctx, tx, a, ev)
	})
	return wrap(err)
}

func hasRole(rs []access.Role, r access.Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// keepOneAdmin refuses a change that would leave no active administrator.
func (s *Service) keepOneAdmin(ctx context.Context, tx *db.Tx, losing int64) error {
	// Every change that can remove an administrator locks the practice row
	// first, so two admins removing each other at once cannot both succeed.
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT id FROM practice WHERE id = 1`+tx.ForUpdate()).Scan(&one); err != nil {
		return err
	}
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users u JOIN user_roles r ON r.user_id = u.id
		WHERE r.role = 'admin' AND u.status = 'active' AND u.id <> $1`, losing).Scan(&n)
	if err != nil {
		return err
	}
	if n == 0 {
		return apperr.Conflict("The practice needs at least one active administrator.")
	}
	return nil
}

func changedFields(old User, p Profile) []string {
	var out []string
	if old.Email != p.Email {
		out = append(out, "email")
	}
	if old.Name != p.Name {
		out = append(out, "name")
	}
	if old.Credentials != p.Credentials {
		out = append(out, "credentials")
	}
	if old.NPI != p.NPI {
		out = append(out, "npi")
	}
	if rolesString(old.Roles) != rolesString(p.Roles) {
		out = append(out, "roles")
	}
	return out
}

// SetStatus enables or disables an account. Disabling ends its sessions and
// revokes its API tokens. Administrators only; nobody disables themselves.
// Errors: forbidden, invalid, not_found, conflict.
func (s *Service) SetStatus(ctx context.Context, a access.Actor, id int64, st Status) error {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "user", ObjectID: audit.ObjectIDOf(id), Detail: "status " + string(st)}
	role, err := s.audit.Authorize(ctx, a, access.PermUsersManage, access.Target{}, ev)
	if err != nil {
		return err
	}
	if st != StatusActive && st != StatusDisabled {
		return apperr.Invalid("Unknown status.", nil)
	}
	if id == a.UserID && st == StatusDisabled {
		return apperr.Invalid("You cannot disable your own account.", nil)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		u, err := findUser(ctx, tx, id, "")
		if err != nil {
			return err
		}
		if st == StatusDisabled && u.Has(access.RoleAdmin) {
			if err := s.keepOneAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		now := s.clock.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3`, string(st), db.Micros(now), id); err != nil {
			return err
		}
		if st == StatusDisabled {
			if _, err := revokeSessions(ctx, tx, id, 0, now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, db.Micros(now), id); err != nil {
				return err
			}
		}
		ev.Role = role
		return s.audit.Record(ctx, tx, a, ev)
	})
	return wrap(err)
}

// ResetMFA removes an account's authenticator, passkeys and recovery codes
// and ends its sessions; the person enrols again at next sign-in. Administrators only.
// Errors: forbidden, not_found.
func (s *Service) ResetMFA(ctx context.Context, a access.Actor, id int64) error {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "user.mfa", ObjectID: audit.ObjectIDOf(id), Detail: "mfa reset"}
	role, err := s.audit.Authorize(ctx, a, access.PermUsersManage, access.Target{}, ev)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := findUser(ctx, tx, id, ""); err != nil {
			return err
		}
		if err := clearMFA(ctx, tx, id, s.clock.Now()); err != nil {
			return err
		}
		if _, err := revokeSessions(ctx, tx, id, 0, s.clock.Now()); err != nil {
			return err
		}
		// A reset usually answers a lost or stolen device: its tokens go too.
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, db.Micros(s.clock.Now()), id); err != nil {
			return err
		}
		ev.Role = role
		return s.audit.Record(ctx, tx, a, ev)
	})
	return wrap(err)
}

func clearMFA(ctx context.Context, tx *db.Tx, id int64, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = '', totp_enabled_at = NULL, totp_last_step = 0, version = version + 1, updated_at = $1 WHERE id = $2`,
		db.Micros(now), id); err != nil {
		return fmt.Errorf("clear mfa: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, id); err != nil {
		return fmt.Errorf("clear mfa: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM webauthn_ceremonies WHERE user_id = $1`, id); err != nil {
		return fmt.Errorf("clear mfa: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM webauthn_credentials WHERE user_id = $1`, id); err != nil {
		return fmt.Errorf("clear mfa: %w", err)
	}
	return nil
}

// LoginInput is what the sign-in form sends, with where it came from.
type LoginInput struct {
	Email, Password string
	IP, UserAgent   string
	RequestID       string
	// PreviousToken is the browser's current session cookie, if any: it is
	// ended at sign-in so no older session id outlives the new one.
	PreviousToken string
}

// Login checks a password and starts a session. The returned token goes in
// the session cookie. Failures are throttled per account and per address and
// always return the same unauthorized error. Errors: unauthorized.
func (s *Service) Login(ctx context.Context, in LoginInput) (string, Session, error) {
	email := strings.ToLower(strings.TrimSpace(in.Email))
	now := s.clock.Now()
	meta := access.Actor{IP: in.IP, UserAgent: in.UserAgent, RequestID: in.RequestID}
	keys := []string{accountKey(email), ipKey(in.IP)}
	u, err := findUser(ctx, s.db.Read(), 0, email)
	if err != nil && !apperr.Is(err, apperr.CodeNotFound) {
		return "", Session{}, apperr.Internal(err)
	}
	// Count the attempt before checking it. Keys exist for any email typed,
	// so a lock says nothing about whether the account exists.
	acctLocked, err := s.opt.Throttle.attempt(ctx, s.db, keys[0], s.opt.Throttle.AccountLimit, now)
	if err != nil {
		return "", Session{}, apperr.Internal(err)
	}
	ipLocked, err := s.opt.Throttle.attempt(ctx, s.db, keys[1], s.opt.Throttle.IPLimit, now)
	if err != nil {
		return "", Session{}, apperr.Internal(err)
	}
	isLocked := acctLocked || ipLocked
	// Unknown accounts are hashed against a dummy so they take as long.
	ok := !isLocked && verifyPassword(in.Password, u.passwordHash)
	reason := ""
	switch {
	case isLocked:
		reason = "locked"
	case u.ID == 0:
		reason = "unknown account"
	case !ok:
		reason = "wrong password"
	case u.Status != StatusActive:
		reason = "account disabled"
	}
	if reason != "" {
		meta.UserID = u.ID
		err := s.audit.RecordAlone(ctx, meta, audit.Event{Action: audit.ActionLogin, ObjectType: "user",
			ObjectID: idOrEmpty(u.ID), Outcome: audit.Failed, Detail: reason})
		if err != nil {
			return "", Session{}, apperr.Internal(err)
		}
		return "", Session{}, badLogin
	}
	token := newToken("")
	sess := Session{UserID: u.ID, CSRFToken: newToken(""), IP: in.IP, UserAgent: truncate(in.UserAgent, 300),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.opt.AbsoluteTimeout)}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := insertSession(ctx, tx, &sess, token); err != nil {
			return err
		}
		if in.PreviousToken != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL`,
				db.Micros(now), hashToken(in.PreviousToken)); err != nil {
				return err
			}
		}
		// With a second factor due, the account's count stands until it passes.
		if !u.MFAEnabled {
			if err := clearThrottle(ctx, tx, keys[0]); err != nil {
				return err
			}
		}
		if err := giveBack(ctx, tx, keys[1]); err != nil {
			return err
		}
		meta.UserID, meta.SessionID = u.ID, sess.ID
		detail := "password"
		if u.MFAEnabled {
			detail = "password; awaiting second factor"
		}
		return s.audit.Record(ctx, tx, meta, audit.Event{Action: audit.ActionLogin, ObjectType: "user", ObjectID: audit.ObjectIDOf(u.ID), Detail: detail})
	})
	if err != nil {
		return "", Session{}, apperr.Internal(err)
	}
	return token, sess, nil
}

func idOrEmpty(id int64) string {
	if id == 0 {
		return ""
	}
	return audit.ObjectIDOf(id)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// Authenticated is a session resolved from its cookie.
type Authenticated struct {
	Session Session
	User    User
	Stage   Stage
	Actor   access.Actor
	// IdleTimeout is the practice's idle limit, for the page's warning.
	IdleTimeout time.Duration
}

// Authenticate resolves a session token: it must exist, not be revoked, be
// within the absolute limit and the practice's idle limit, and belong to an
// active account. It records activity at most once a minute. Errors: unauthorized.
func (s *Service) Authenticate(ctx context.Context, token, ip, userAgent, requestID string) (Authenticated, error) {
	var out Authenticated
	if token == "" {
		return out, apperr.Unauthorized("Please sign in.")
	}
	now := s.clock.Now()
	sess, err := findSessionByToken(ctx, s.db.Read(), token)
	if err != nil {
		return out, wrap(err)
	}
	st, err := practice.Get(ctx, s.db.Read())
	if err != nil {
		return out, wrap(err)
	}
	idle := time.Duration(st.SessionIdleMinutes) * time.Minute
	expired := !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > idle
	u, err := findUser(ctx, s.db.Read(), sess.UserID, "")
	if err != nil {
		return out, wrap(err)
	}
	if expired || u.Status != StatusActive {
		reason := "timed out"
		if u.Status != StatusActive {
			reason = "account disabled"
		}
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, db.Micros(now), sess.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // a parallel request ended it and recorded it
			}
			return s.audit.Record(ctx, tx, access.Actor{UserID: u.ID, SessionID: sess.ID, IP: ip, UserAgent: userAgent, RequestID: requestID},
				audit.Event{Action: audit.ActionLogout, ObjectType: "session", ObjectID: audit.ObjectIDOf(sess.ID), Detail: reason})
		})
		if err != nil {
			return out, apperr.Internal(err)
		}
		return out, apperr.Unauthorized("Your session has ended. Please sign in again.")
	}
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if err := s.db.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, db.Micros(now), sess.ID)
			return err
		}); err != nil {
			return out, apperr.Internal(err)
		}
		sess.LastSeenAt = now
	}
	out.Session, out.User, out.IdleTimeout = sess, u, idle
	out.Stage = StageReady
	switch {
	case sess.MFAPassed:
	case u.MFAEnabled:
		out.Stage = StageMFAChallenge
	case u.Has(access.RoleAdmin) || st.RequireMFAForAll:
		out.Stage = StageMFAEnrol
	}
	out.Actor = access.Actor{UserID: u.ID, Roles: u.Roles, SessionID: sess.ID, MFA: sess.MFAPassed, IP: ip, UserAgent: userAgent, RequestID: requestID}
	return out, nil
}

// RotateSession gives the actor's browser session a new token and returns
// it; the old one stops working. The sign-in pages call it before a second
// factor is checked, so that a token seen before sign-in finished (on a
// shared computer, in a proxy's log) never becomes a signed-in session.
// The CSRF token stays: other open tabs keep working. Errors: unauthorized.
func (s *Service) RotateSession(ctx context.Context, a access.Actor) (string, error) {
	if a.SessionID == 0 {
		return "", apperr.Unauthorized("Please sign in.")
	}
	token := newToken("")
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET token_hash = $1 WHERE id = $2 AND revoked_at IS NULL`, hashToken(token), a.SessionID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.Unauthorized("Please sign in.")
		}
		return s.audit.Record(ctx, tx, a, audit.Event{Action: audit.ActionUpdate, ObjectType: "session",
			ObjectID: audit.ObjectIDOf(a.SessionID), Detail: "token replaced"})
	})
	if err != nil {
		return "", wrap(err)
	}
	return token, nil
}

// Logout ends the actor's session. Errors: none worth showing.
func (s *Service) Logout(ctx context.Context, a access.Actor) error {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, db.Micros(s.clock.Now()), a.SessionID); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, a, audit.Event{Action: audit.ActionLogout, ObjectType: "session", ObjectID: audit.ObjectIDOf(a.SessionID)})
	})
	return wrap(err)
}

// LogoutEverywhere ends every session of the actor, this one included.
func (s *Service) LogoutEverywhere(ctx context.Context, a access.Actor) error {
	ev := audit.Event{Action: audit.ActionLogout, ObjectType: "session", Detail: "sign out everywhere"}
	role, err := s.audit.Authorize(ctx, a, access.PermSelf, access.Target{}, ev)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := revokeSessions(ctx, tx, a.UserID, 0, s.clock.Now()); err != nil {
			return err
		}
		ev.Role = role
		return s.audit.Record(ctx, tx, a, ev)
	})
	return wrap(err)
}

// Sessions lists the actor's live sessions, newest first.
func (s *Service) Sessions(ctx context.Context, a access.Actor) ([]Session, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermSelf, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "session"}); err != nil {
		return nil, err
	}
	st, err := practice.Get(ctx, s.db.Read())
	if err != nil {
		return nil, wrap(err)
	}
	// Sessions idle past the practice's limit are over, though their rows
	// stay until the purge job: Authenticate ends them on their next use.
	now := s.clock.Now()
	idleSince := now.Add(-time.Duration(st.SessionIdleMinutes) * time.Minute)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND last_seen_at >= $3 ORDER BY id DESC`,
		a.UserID, db.Micros(now), db.Micros(idleSince))
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, apperr.Internal(err)
		}
		sess.Current = sess.ID == a.SessionID
		out = append(out, sess)
	}
	return out, wrap(rows.Err())
}

// RevokeSession ends one of the actor's own sessions. Errors: not_found.
func (s *Service) RevokeSession(ctx context.Context, a access.Actor, id int64) error {
	ev := audit.Event{Action: audit.ActionLogout, ObjectType: "session", ObjectID: audit.ObjectIDOf(id)}
	role, err := s.audit.Authorize(ctx, a, access.PermSelf, access.Target{}, ev)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL`,
			db.Micros(s.clock.Now()), id, a.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFound("session")
		}
		ev.Role = role
		return s.audit.Record(ctx, tx, a, ev)
	})
	return wrap(err)
}

// ChangePassword replaces the actor's password after checking the current
// one, and ends their other sessions. Errors: invalid.
func (s *Service) ChangePassword(ctx context.Context, a access.Actor, current, next string) error {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "user.password", ObjectID: audit.ObjectIDOf(a.UserID)}
	role, err := s.audit.Authorize(ctx, a, access.PermSelf, access.Target{}, ev)
	if err != nil {
		return err
	}
	u, err := findUser(ctx, s.db.Read(), a.UserID, "")
	if err != nil {
		return wrap(err)
	}
	if err := s.recheckPassword(ctx, a, u, current); err != nil {
		if !apperr.Is(err, apperr.CodeInvalid) {
			return err
		}
		ev.Outcome, ev.Detail = audit.Failed, "wrong current password"
		if err := s.audit.RecordAlone(ctx, a, ev); err != nil {
			return apperr.Internal(err)
		}
		return apperr.Invalid("Please correct the highlighted fields.", map[string]string{"current_password": apperr.As(err).Fields["password"]})
	}
	if msg := CheckPassword(next, u.Email, u.Name); msg != "" {
		return apperr.Invalid("Please correct the highlighted fields.", map[string]string{"new_password": msg})
	}
	if subtle.ConstantTimeCompare([]byte(current), []byte(next)) == 1 {
		return apperr.Invalid("Please correct the highlighted fields.", map[string]string{"new_password": "Choose a password different from the current one."})
	}
	hash, err := HashPassword(next)
	if err != nil {
		return apperr.Internal(err)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.clock.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $2 WHERE id = $3`,
			hash, db.Micros(now), a.UserID); err != nil {
			return err
		}
		if _, err := revokeSessions(ctx, tx, a.UserID, a.SessionID, now); err != nil {
			return err
		}
		ev.Role = role
		return s.audit.Record(ctx, tx, a, ev)
	})
	return wrap(err)
}

// SetPassword sets a password from the shell (`user add`, a forgotten admin
// password). System actor only. Errors: forbidden, invalid, not_found.
func (s *Service) SetPassword(ctx context.Context, a access.Actor, email, password string) error {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "user.password"}
	role, err := s.audit.Authorize(ctx, a, access.PermUsersManage, access.Target{}, ev)
	if err != nil {
		return err
	}
	u, err := findUser(ctx, s.db.Read(), 0, strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return wrap(err)
	}
	if msg := CheckPassword(password, u.Email, u.Name); msg != "" {
		return apperr.Invalid(msg, map[string]string{"password": msg})
	}
	hash, err := HashPassword(password)
	if err != nil {
		return apperr.Internal(err)
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.clock.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $2 WHERE id = $3`, hash, db.Micros(now), u.ID); err != nil {
			return err
		}
		if _, err := revokeSessions(ctx, tx, u.ID, 0, now); err != nil {
			return err
		}
		ev.Role, ev.ObjectID = role, audit.ObjectIDOf(u.ID)
		return s.audit.Record(ctx, tx, a, ev)
	}))
}

// FindByEmail returns the account with that email, for the shell. System or
// administrators. Errors: forbidden, not_found.
func (s *Service) FindByEmail(ctx context.Context, a access.Actor, email string) (User, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermUsersRead, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "user"}); err != nil {
		return User{}, err
	}
	u, err := findUser(ctx, s.db.Read(), 0, strings.ToLower(strings.TrimSpace(email)))
	return u, wrap(err)
}

// PurgeExpired deletes sessions past their absolute limit (kept a day for
// the sessions page), stale throttle rows and abandoned passkey ceremonies.
// Run by a periodic job.
func (s *Service) PurgeExpired(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		cutoff := db.Micros(s.clock.Now().Add(-24 * time.Hour))
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1`, cutoff)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		if _, err := tx.ExecContext(ctx, `DELETE FROM webauthn_ceremonies WHERE expires_at < $1`, db.Micros(s.clock.Now())); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM login_throttle WHERE locked_until < $1 AND window_start < $1`, cutoff)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge sessions: %w", err)
	}
	return n, nil
}

// StaffSummary counts active accounts and those among them without MFA, for
// the administrator's home page. Errors: forbidden.
func (s *Service) StaffSummary(ctx context.Context, a access.Actor) (active, withoutMFA int, err error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermUsersRead, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "user"}); err != nil {
		return 0, 0, err
	}
	err = s.db.Read().QueryRowContext(ctx, `SELECT count(*), COALESCE(sum(CASE WHEN totp_enabled_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM webauthn_credentials c WHERE c.user_id = users.id) THEN 1 ELSE 0 END), 0)
		FROM users WHERE status = 'active'`).Scan(&active, &withoutMFA)
	return active, withoutMFA, wrap(err)
}
