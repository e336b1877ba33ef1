package auth

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/practice"
)

// Passkeys (WebAuthn) are a second factor beside TOTP: the password comes
// first, then either a code or a passkey. A user with at least one passkey
// has MFA on. The challenge of each ceremony lives in webauthn_ceremonies,
// keyed by the session, so that any app instance can finish what another
// began; it is deleted as it is read, so each challenge is used at most once.

const (
	// passkeyCeremonyTTL bounds how long a browser has between begin and
	// finish. It is also the timeout the browser is given.
	passkeyCeremonyTTL = 5 * time.Minute
	// MaxPasskeys is how many passkeys one account may hold.
	MaxPasskeys = 10
	// passkeyNameMax bounds a passkey's name, in characters.
	passkeyNameMax = 60
)

const (
	ceremonyRegister = "register"
	ceremonyLogin    = "login"
)

// Passkey is a registered WebAuthn credential, as the account page lists it.
type Passkey struct {
	ID         int64
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
	// CloneWarning is set when the passkey's signature counter went
	// backwards, a sign that the key was copied. Such a passkey is refused
	// until its owner removes it.
	CloneWarning bool
}

// newRelyingParty configures WebAuthn from the options, or returns nil (passkeys
// off) when no usable relying party id is set.
func newRelyingParty(o Options) *webauthn.WebAuthn {
	if o.RPID == "" || len(o.RPOrigins) == 0 || protocol.ValidateRPID(o.RPID) != nil {
		return nil
	}
	timeout := webauthn.TimeoutConfig{Timeout: passkeyCeremonyTTL, TimeoutUVD: passkeyCeremonyTTL}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          o.RPID,
		RPDisplayName: o.Issuer,
		RPOrigins:     o.RPOrigins,
		// A second factor after the password: the authenticator's presence
		// is the factor, so user verification is welcome but not required.
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementPreferred,
			UserVerification: protocol.VerificationPreferred,
		},
		AttestationPreference: protocol.PreferNoAttestation,
		// Expiry is enforced by us against the injected clock and the
		// ceremony row, not by the library against the wall clock.
		Timeouts: webauthn.TimeoutsConfig{Login: timeout, Registration: timeout},
	})
	if err != nil {
		return nil
	}
	return wa
}

// PasskeysEnabled reports whether the server is configured for passkeys.
func (s *Service) PasskeysEnabled() bool { return s.webauthn != nil }

// PasskeyRPID returns the relying party id passkeys are bound to ("" when
// they are off). A browser can use them only on that host or below it.
func (s *Service) PasskeyRPID() string {
	if s.webauthn == nil {
		return ""
	}
	return s.opt.RPID
}

// PasskeyOrigin returns the first configured origin, where a person should
// open the site to use passkeys ("" when they are off).
func (s *Service) PasskeyOrigin() string {
	if s.webauthn == nil {
		return ""
	}
	return s.opt.RPOrigins[0]
}

// passkeyUser adapts a User and their credentials to webauthn.User.
type passkeyUser struct {
	u      User
	handle []byte
	creds  []webauthn.Credential
}

// WebAuthnID is the user handle: random bytes stored on the user, never the
// email or the row id, so authenticators learn nothing about the person.
func (p passkeyUser) WebAuthnID() []byte { return p.handle }

// WebAuthnName is what authenticators show to pick an account.
func (p passkeyUser) WebAuthnName() string { return p.u.Email }

// WebAuthnDisplayName is the person's name as on a signature.
func (p passkeyUser) WebAuthnDisplayName() string { return p.u.DisplayName() }

// WebAuthnCredentials are the user's usable passkeys.
func (p passkeyUser) WebAuthnCredentials() []webauthn.Credential { return p.creds }

// addingFactor refuses to add a second factor to an account that has one
// unless this session has passed it: a password alone must never be enough
// to enrol an attacker's authenticator.
func addingFactor(u User, a access.Actor) error {
	if u.MFAEnabled && !a.MFA && !a.System {
		return apperr.Forbidden()
	}
	return nil
}

func (s *Service) passkeysOff() error {
	return apperr.Invalid("Passkeys are not available on this server. Use your authenticator app.", nil)
}

// ensureHandle gives u a WebAuthn user handle if it has none, and returns it.
func (s *Service) ensureHandle(ctx context.Context, u User) ([]byte, error) {
	if u.webauthnHandle == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		var handle string
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET webauthn_handle = $1 WHERE id = $2 AND webauthn_handle IS NULL`,
				base64.RawURLEncoding.EncodeToString(b), u.ID); err != nil {
				return err
			}
			// Another request may have set it first: use whatever is stored.
			return tx.QueryRowContext(ctx, `SELECT webauthn_handle FROM users WHERE id = $1`, u.ID).Scan(&handle)
		})
		if err != nil {
			return nil, fmt.Errorf("user handle: %w", err)
		}
		u.webauthnHandle = handle
	}
	return base64.RawURLEncoding.DecodeString(u.webauthnHandle)
}

const credentialColumns = `id, name, credential_id, public_key, sign_count, aaguid, transports, attestation_format, flags, clone_warning, created_at, last_used_at`

// credentialRow is a webauthn_credentials row.
type credentialRow struct {
	Passkey
	cred webauthn.Credential
}

func scanCredential(row interface{ Scan(...any) error }) (credentialRow, error) {
	var r credentialRow
	var credID, pub, aaguid, transports string
	var signCount int64
	var flags int
	var created int64
	var used sql.NullInt64
	if err := row.Scan(&r.ID, &r.Name, &credID, &pub, &signCount, &aaguid, &transports, &r.cred.AttestationFormat, &flags,
		&r.CloneWarning, &created, &used); err != nil {
		return r, err
	}
	r.CreatedAt = db.Time(created)
	if used.Valid {
		r.LastUsedAt = db.Time(used.Int64)
	}
	var err error
	if r.cred.ID, err = base64.RawURLEncoding.DecodeString(credID); err != nil {
		return r, fmt.Errorf("credential %d: id: %w", r.ID, err)
	}
	if r.cred.PublicKey, err = base64.StdEncoding.DecodeString(pub); err != nil {
		return r, fmt.Errorf("credential %d: public key: %w", r.ID, err)
	}
	if aaguid != "" {
		id, err := uuid.Parse(aaguid)
		if err != nil {
			return r, fmt.Errorf("credential %d: aaguid: %w", r.ID, err)
		}
		r.cred.Authenticator.AAGUID = id[:]
	}
	for _, t := range strings.Split(transports, ",") {
		if t != "" {
			r.cred.Transport = append(r.cred.Transport, protocol.AuthenticatorTransport(t))
		}
	}
	r.cred.Authenticator.SignCount = uint32(signCount)
	r.cred.Authenticator.CloneWarning = r.CloneWarning
	r.cred.Flags = webauthn.NewCredentialFlags(protocol.AuthenticatorFlags(flags))
	return r, nil
}

func listCredentials(ctx context.Context, q db.Querier, userID int64) ([]credentialRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+credentialColumns+` FROM webauthn_credentials WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	defer rows.Close()
	var out []credentialRow
	for rows.Next() {
		r, err := scanCredential(rows)
		if err != nil {
			return nil, fmt.Errorf("list passkeys: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// usable returns the credentials a ceremony may use: those not suspected of
// being copied.
func usable(rows []credentialRow) []webauthn.Credential {
	var out []webauthn.Credential
	for _, r := range rows {
		if !r.CloneWarning {
			out = append(out, r.cred)
		}
	}
	return out
}

func transportsString(ts []protocol.AuthenticatorTransport) string {
	parts := make([]string, 0, len(ts))
	for _, t := range ts {
		if t != "" && !strings.Contains(string(t), ",") {
			parts = append(parts, string(t))
		}
	}
	return strings.Join(parts, ",")
}

// saveCeremony stores the state of a ceremony for the session, replacing one
// of the same kind.
func (s *Service) saveCeremony(ctx context.Context, a access.Actor, kind string, sd *webauthn.SessionData) error {
	data, err := json.Marshal(sd)
	if err != nil {
		return fmt.Errorf("save ceremony: %w", err)
	}
	expires := s.clock.Now().Add(passkeyCeremonyTTL)
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO webauthn_ceremonies (session_id, kind, user_id, data, expires_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (session_id, kind) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, expires_at = excluded.expires_at`,
			a.SessionID, kind, a.UserID, string(data), db.Micros(expires))
		if err != nil {
			return fmt.Errorf("save ceremony: %w", err)
		}
		return nil
	})
}

// takeCeremony deletes and returns the session's ceremony of that kind, in
// its own committed transaction: whatever happens next, the challenge cannot
// be answered twice. Errors: invalid when there is none, it belongs to
// another user, or it has expired.
func (s *Service) takeCeremony(ctx context.Context, a access.Actor, kind string) (webauthn.SessionData, error) {
	var sd webauthn.SessionData
	var userID, expires int64
	var data string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		return tx.QueryRowContext(ctx, `DELETE FROM webauthn_ceremonies WHERE session_id = $1 AND kind = $2 RETURNING user_id, data, expires_at`,
			a.SessionID, kind).Scan(&userID, &data, &expires)
	})
	if errors.Is(err, sql.ErrNoRows) || (err == nil && userID != a.UserID) {
		return sd, apperr.Invalid("That passkey request is not known here. Start again.", nil)
	}
	if err != nil {
		return sd, apperr.Internal(fmt.Errorf("take ceremony: %w", err))
	}
	if !s.clock.Now().Before(db.Time(expires)) {
		return sd, apperr.Invalid("That passkey request took too long. Start again.", nil)
	}
	if err := json.Unmarshal([]byte(data), &sd); err != nil {
		return sd, apperr.Internal(fmt.Errorf("take ceremony: %w", err))
	}
	return sd, nil
}

// passkeyRefused is the error for a passkey response that did not verify.
// The library's reason is kept as the cause, for tests and debugging, and
// never shown.
func passkeyRefused(msg string, cause error) error {
	return &apperr.Error{Code: apperr.CodeInvalid, Message: msg, Err: cause}
}

// BeginPasskeyRegistration starts adding a passkey to the actor's account and
// returns the options for navigator.credentials.create. Allowed on a fully
// signed-in session, and while enrolling a required second factor; refused
// while a session still owes its second factor. Errors: forbidden, invalid
// (passkeys off, too many passkeys).
func (s *Service) BeginPasskeyRegistration(ctx context.Context, a access.Actor) (*protocol.CredentialCreation, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermSelf, access.Target{}, audit.Event{Action: audit.ActionUpdate, ObjectType: "user.mfa"}); err != nil {
		return nil, err
	}
	if s.webauthn == nil {
		return nil, s.passkeysOff()
	}
	u, err := findUser(ctx, s.db.Read(), a.UserID, "")
	if err != nil {
		return nil, wrap(err)
	}
	if err := addingFactor(u, a); err != nil {
		return nil, err
	}
	if u.Passkeys >= MaxPasskeys {
		return nil, apperr.Invalid(fmt.Sprintf("You already have %d passkeys. Remove one you no longer use first.", MaxPasskeys), nil)
	}
	handle, err := s.ensureHandle(ctx, u)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	rows, err := listCredentials(ctx, s.db.Read(), u.ID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	// Ask the browser not to register an authenticator that already holds
	// one of this user's passkeys.
	exclude := make([]protocol.CredentialDescriptor, len(rows))
	for i, r := range rows {
		exclude[i] = r.cred.Descriptor()
	}
	creation, sd, err := s.webauthn.BeginRegistration(passkeyUser{u: u, handle: handle}, webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, apperr.Internal(fmt.Errorf("begin passkey registration: %w", err))
	}
	if err := s.saveCeremony(ctx, a, ceremonyRegister, sd); err != nil {
		return nil, apperr.Internal(err)
	}
	return creation, nil
}

// FinishPasskeyRegistration checks the browser's response to the begun
// registration and stores the passkey under name. When it turns MFA on for
// the account (no authenticator app, no other passkey), the session counts
// as having passed it and fresh recovery codes are returned, to be shown
// once; otherwise codes is nil. Errors: forbidden, invalid.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, a access.Actor, name string, response []byte) (p Passkey, codes []string, err error) {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "user.mfa", ObjectID: audit.ObjectIDOf(a.UserID), Detail: "passkey added"}
	role, err := s.audit.Authorize(ctx, a, access.PermSelf, access.Target{}, ev)
	if err != nil {
		return p, nil, err
	}
	if s.webauthn == nil {
		return p, nil, s.passkeysOff()
	}
	name = strings.Join(strings.Fields(name), " ")
	if name == "" {
		name = "Passkey"
	}
	if utf8.RuneCountInString(name) > passkeyNameMax {
		return p, nil, apperr.Invalid("Please correct the highlighted fields.", map[string]string{"name": fmt.Sprintf("Keep the name under %d characters.", passkeyNameMax)})
	}
	u, err := findUser(ctx, s.db.Read(), a.UserID, "")
	if err != nil {
		return p, nil, wrap(err)
	}
	if err := addingFactor(u, a); err != nil {
		return p, nil, err
	}
	sd, err := s.takeCeremony(ctx, a, ceremonyRegister)
	if err != nil {
		return p, nil, err
	}
	handle, err := base64.RawURLEncoding.DecodeString(u.webauthnHandle)
	if err != nil || len(handle) == 0 {
		return p, nil, apperr.Internal(fmt.Errorf("user %d has no passkey handle", u.ID))
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return p, nil, passkeyRefused("Your browser's answer could not be read. Try again.", err)
	}
	cred, err := s.webauthn.CreateCredential(passkeyUser{u: u, handle: handle}, sd, parsed)
	if err != nil {
		return p, nil, passkeyRefused("That passkey could not be added. Try again.", err)
	}
	var aaguid string
	if id, err := uuid.FromBytes(cred.Authenticator.AAGUID); err == nil {
		aaguid = id.String()
	}
	now := s.clock.Now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		// Whether this passkey turns MFA on is decided inside the
		// transaction, against what is stored now.
		var before int
		var totp sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM webauthn_credentials WHERE user_id = $1), totp_enabled_at FROM users WHERE id = $1`+tx.ForUpdate(),
			u.ID).Scan(&before, &totp); err != nil {
			return err
		}
		// Re-check under the row lock: MFA may have been turned on since the
		// ceremony began, and then only a session that passed it may add one.
		if (before > 0 || totp.Valid) && !a.MFA && !a.System {
			return apperr.Forbidden()
		}
		if before >= MaxPasskeys {
			return apperr.Invalid(fmt.Sprintf("You already have %d passkeys. Remove one you no longer use first.", MaxPasskeys), nil)
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO webauthn_credentials (user_id, name, credential_id, public_key, sign_count, aaguid, transports,
				attestation_format, flags, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			u.ID, name, base64.RawURLEncoding.EncodeToString(cred.ID), base64.StdEncoding.EncodeToString(cred.PublicKey),
			int64(cred.Authenticator.SignCount), aaguid, transportsString(cred.Transport), cred.AttestationFormat,
			int(cred.Flags.ProtocolValue()), db.Micros(now)).Scan(&p.ID)
		if db.IsUniqueViolation(err) {
			return apperr.Invalid("This passkey is already registered.", nil)
		}
		if err != nil {
			return fmt.Errorf("insert passkey: %w", err)
		}
		if before == 0 && !totp.Valid {
			codes = newRecoveryCodes()
			if err := replaceRecoveryCodes(ctx, tx, u.ID, codes); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET mfa_passed = TRUE WHERE id = $1`, a.SessionID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET version = version + 1, updated_at = $1 WHERE id = $2`, db.Micros(now), u.ID); err != nil {
			return err
		}
		ev.Role = role
		return s.audit.Record(ctx, tx, a, ev)
	})
	if err != nil {
		return Passkey{}, nil, wrap(err)
	}
	p.Name, p.CreatedAt = name, now
	return p, codes, nil
}

// BeginPasskeyLogin starts the second step of sign-in with a passkey for a
// session that has passed the password and owes the second factor. It
// returns the options for navigator.credentials.get. Errors: invalid
// (passkeys off, no passkeys, second factor already passed).
func (s *Service) BeginPasskeyLogin(ctx context.Context, a access.Actor) (*protocol.CredentialAssertion, error) {
	if s.webauthn == nil {
		return nil, s.passkeysOff()
	}
	if a.MFA {
		return nil, apperr.Invalid("You have already passed the second step.", nil)
	}
	u, err := findUser(ctx, s.db.Read(), a.UserID, "")
	if err != nil {
		return nil, wrap(err)
	}
	rows, err := listCredentials(ctx, s.db.Read(), u.ID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	creds := usable(rows)
	if len(creds) == 0 || u.webauthnHandle == "" {
		return nil, apperr.Invalid("Your account has no passkey that can be used. Enter a code instead.", nil)
	}
	handle, err := base64.RawURLEncoding.DecodeString(u.webauthnHandle)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	assertion, sd, err := s.webauthn.BeginLogin(passkeyUser{u: u, handle: handle, creds: creds})
	if err != nil {
		return nil, apperr.Internal(fmt.Errorf("begin passkey login: %w", err))
	}
	if err := s.saveCeremony(ctx, a, ceremonyLogin, sd); err != nil {
		return nil, apperr.Internal(err)
	}
	return assertion, nil
}

// FinishPasskeyLogin checks the browser's answer to the begun passkey
// sign-in. On success the session has passed its second factor, as with
// CompleteMFA, and the passkey's signature counter and last use are stored.
// A passkey whose counter went backwards is marked as possibly copied and
// refused from then on. Failures count toward the account's throttle like
// wrong codes. Errors: invalid, unauthorized (throttled).
func (s *Service) FinishPasskeyLogin(ctx context.Context, a access.Actor, response []byte) error {
	if s.webauthn == nil {
		return s.passkeysOff()
	}
	now := s.clock.Now()
	u, err := findUser(ctx, s.db.Read(), a.UserID, "")
	if err != nil {
		return wrap(err)
	}
	// As with codes: count the attempt first, clear it only on success.
	key := mfaKey(u.ID)
	if isLocked, err := s.opt.Throttle.attempt(ctx, s.db, key, s.opt.Throttle.AccountLimit, now); err != nil {
		return apperr.Internal(err)
	} else if isLocked {
		if err := s.audit.RecordAlone(ctx, a, audit.Event{Action: audit.ActionLogin, ObjectType: "user.mfa", ObjectID: audit.ObjectIDOf(u.ID),
			Outcome: audit.Failed, Detail: "locked"}); err != nil {
			return apperr.Internal(err)
		}
		return badLogin
	}
	sd, err := s.takeCeremony(ctx, a, ceremonyLogin)
	if err != nil {
		return err
	}
	ev := audit.Event{Action: audit.ActionLogin, ObjectType: "user.mfa", ObjectID: audit.ObjectIDOf(u.ID)}
	rows, err := listCredentials(ctx, s.db.Read(), u.ID)
	if err != nil {
		return apperr.Internal(err)
	}
	handle, _ := base64.RawURLEncoding.DecodeString(u.webauthnHandle)
	var cred *webauthn.Credential
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err == nil {
		cred, err = s.webauthn.ValidateLogin(passkeyUser{u: u, handle: handle, creds: usable(rows)}, sd, parsed)
	}
	fail := func(detail string, cause error, markClone []byte) error {
		ev.Outcome, ev.Detail = audit.Failed, detail
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			if markClone != nil {
				if _, err := tx.ExecContext(ctx, `UPDATE webauthn_credentials SET clone_warning = TRUE WHERE user_id = $1 AND credential_id = $2`,
					u.ID, base64.RawURLEncoding.EncodeToString(markClone)); err != nil {
					return err
				}
			}
			return s.audit.Record(ctx, tx, a, ev)
		})
		if err != nil {
			return apperr.Internal(err)
		}
		return passkeyRefused("That passkey did not work. Try again, or enter a code instead.", cause)
	}
	if err != nil {
		return fail("passkey not accepted", err, nil)
	}
	if cred.Authenticator.CloneWarning {
		return fail("passkey sign count went backwards: possibly copied", errors.New("clone warning"), cred.ID)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		// The counter only moves forward: a concurrent use with a higher
		// count wins, and this one fails as a replay would.
		res, err := tx.ExecContext(ctx, `UPDATE webauthn_credentials SET sign_count = $1, flags = $2, last_used_at = $3
			WHERE user_id = $4 AND credential_id = $5 AND clone_warning = FALSE AND (sign_count < $1 OR sign_count = 0)`,
			int64(cred.Authenticator.SignCount), int(cred.Flags.ProtocolValue()), db.Micros(now), u.ID, base64.RawURLEncoding.EncodeToString(cred.ID))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.Invalid("That passkey was just used. Try again.", nil)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET mfa_passed = TRUE WHERE id = $1`, a.SessionID); err != nil {
			return err
		}
		if err := clearThrottle(ctx, tx, key); err != nil {
			return err
		}
		if err := clearThrottle(ctx, tx, accountKey(u.Email)); err != nil {
			return err
		}
		ev.Detail = "passkey"
		return s.audit.Record(ctx, tx, a, ev)
	})
	return wrap(err)
}

// ListPasskeys returns the actor's passkeys, oldest first. Errors: forbidden.
func (s *Service) ListPasskeys(ctx context.Context, a access.Actor) ([]Passkey, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermSelf, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "user.mfa"}); err != nil {
		return nil, err
	}
	rows, err := listCredentials(ctx, s.db.Read(), a.UserID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	out := make([]Passkey, len(rows))
	for i, r := range rows {
		out[i] = r.Passkey
	}
	return out, nil
}

// RemovePasskey deletes one of the actor's passkeys after checking their
// password. The last second factor of someone who must have one (an
// administrator, or anyone when the practice requires it) cannot be removed.
// Errors: forbidden, invalid, not_found.
func (s *Service) RemovePasskey(ctx context.Context, a access.Actor, id int64, password string) error {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "user.mfa", ObjectID: audit.ObjectIDOf(a.UserID), Detail: "passkey removed"}
	role, err := s.audit.Authorize(ctx, a, access.PermSelf, access.Target{}, ev)
	if err != nil {
		return err
	}
	u, err := findUser(ctx, s.db.Read(), a.UserID, "")
	if err != nil {
		return wrap(err)
	}
	if err := s.recheckPassword(ctx, a, u, password); err != nil {
		return err
	}
	st, err := practice.Get(ctx, s.db.Read())
	if err != nil {
		return wrap(err)
	}
	required := u.Has(access.RoleAdmin) || st.RequireMFAForAll
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		var totp sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM webauthn_credentials WHERE user_id = $1), totp_enabled_at FROM users WHERE id = $1`+tx.ForUpdate(),
			u.ID).Scan(&n, &totp); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM webauthn_credentials WHERE id = $1 AND user_id = $2`, id, u.ID)
		if err != nil {
			return fmt.Errorf("remove passkey: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return apperr.NotFound("passkey")
		}
		if required && n == 1 && !totp.Valid {
			return apperr.Invalid("This is your only second step, and your account must have one. Add another passkey or an authenticator app first.", nil)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET version = version + 1, updated_at = $1 WHERE id = $2`, db.Micros(s.clock.Now()), u.ID); err != nil {
			return err
		}
		ev.Role, ev.Detail = role, fmt.Sprintf("passkey %d removed", id)
		return s.audit.Record(ctx, tx, a, ev)
	}))
}
