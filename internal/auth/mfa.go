package auth

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"image/png"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// totpPeriod and totpSkew follow RFC 6238's defaults: 30 s steps, one step
// of clock drift either way.
const (
	totpPeriod = 30
	totpSkew   = 1
	// RecoveryCodeCount is how many one-time codes enrolment hands out.
	RecoveryCodeCount = 10
)

// SecretAAD binds a sealed TOTP secret to its user row.
func SecretAAD(userID int64) string { return fmt.Sprintf("users.totp_secret:%d", userID) }

// Enrolment is what the enrolment page shows: the secret as text for manual
// entry, the otpauth:// URL, and the URL as a QR code (a PNG data URL).
type Enrolment struct {
	Secret string
	URL    string
	QR     string
}

// BeginTOTP starts (or resumes) enrolment of an authenticator for the actor:
// it stores a new secret, sealed, not yet enabled. Errors: invalid when an
// authenticator app is already on (a passkey does not stop adding one).
func (s *Service) BeginTOTP(ctx context.Context, a access.Actor) (Enrolment, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermSelf, access.Target{}, audit.Event{Action: audit.ActionUpdate, ObjectType: "user.mfa"}); err != nil {
		return Enrolment{}, err
	}
	u, err := findUser(ctx, s.db.Read(), a.UserID, "")
	if err != nil {
		return Enrolment{}, wrap(err)
	}
	if err := addingFactor(u, a); err != nil {
		return Enrolment{}, err
	}
	if u.TOTPEnabled {
		return Enrolment{}, apperr.Invalid("Two-step sign-in is already on for your account.", nil)
	}
	if u.totpSecret != "" { // resume: the page was reloaded or the first code was wrong
		secret, err := s.sealer.Decrypt(ctx, u.totpSecret, SecretAAD(u.ID))
		if err == nil {
			return s.enrolment(u, string(secret))
		}
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.opt.Issuer, AccountName: u.Email, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return Enrolment{}, apperr.Internal(err)
	}
	sealed, err := s.sealer.Encrypt(ctx, []byte(key.Secret()), SecretAAD(u.ID))
	if err != nil {
		return Enrolment{}, apperr.Internal(err)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = $1 WHERE id = $2 AND totp_enabled_at IS NULL`, sealed, u.ID)
		return err
	})
	if err != nil {
		return Enrolment{}, apperr.Internal(err)
	}
	return s.enrolment(u, key.Secret())
}

func (s *Service) enrolment(u User, secret string) (Enrolment, error) {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", s.opt.Issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	u2 := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + s.opt.Issuer + ":" + u.Email, RawQuery: v.Encode()}
	key, err := otp.NewKeyFromURL(u2.String())
	if err != nil {
		return Enrolment{}, apperr.Internal(err)
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return Enrolment{}, apperr.Internal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Enrolment{}, apperr.Internal(err)
	}
	return Enrolment{Secret: secret, URL: key.String(), QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// matchStep returns the time step that code matches, or 0. Steps at or
// before lastStep are refused, so a code works only once (RFC 6238 §5.2).
func matchStep(secret, code string, now time.Time, lastStep int64) int64 {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 {
		return 0
	}
	step := now.Unix() / totpPeriod
	for d := -totpSkew; d <= totpSkew; d++ {
		st := step + int64(d)
		if st <= lastStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(st*totpPeriod, 0), totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return st
		}
	}
	return 0
}

// ConfirmTOTP finishes enrolment with a first code from the authenticator. It
// turns MFA on, marks the current session as having passed it, and returns
// the recovery codes, shown once. Errors: invalid.
func (s *Service) ConfirmTOTP(ctx context.Context, a access.Actor, code string) ([]string, error) {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "user.mfa", ObjectID: audit.ObjectIDOf(a.UserID), Detail: "totp enrolled"}
	role, err := s.audit.Authorize(ctx, a, access.PermSelf, access.Target{}, ev)
	if err != nil {
		return nil, err
	}
	u, err := findUser(ctx, s.db.Read(), a.UserID, "")
	if err != nil {
		return nil, wrap(err)
	}
	if err := addingFactor(u, a); err != nil {
		return nil, err
	}
	if u.TOTPEnabled || u.totpSecret == "" {
		return nil, apperr.Invalid("Start again: open the set-up page to get a new code.", nil)
	}
	secret, err := s.sealer.Decrypt(ctx, u.totpSecret, SecretAAD(u.ID))
	if err != nil {
		return nil, apperr.Internal(err)
	}
	now := s.clock.Now()
	step := matchStep(string(secret), code, now, u.totpLastStep)
	if step == 0 {
		return nil, apperr.Invalid("Please correct the highlighted fields.", map[string]string{"code": "That code did not match. Enter the 6-digit code your app shows now."})
	}
	codes := newRecoveryCodes()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		// A session that has not passed a second factor may only turn TOTP on
		// while the account has none at all (checked again here, atomically).
		res, err := tx.ExecContext(ctx, `UPDATE users SET totp_enabled_at = $1, totp_last_step = $2, version = version + 1, updated_at = $1
			WHERE id = $3 AND totp_enabled_at IS NULL
			AND ($4 OR NOT EXISTS (SELECT 1 FROM webauthn_credentials WHERE user_id = $3))`, db.Micros(now), step, u.ID, a.MFA || a.System)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.Conflict("Two-step sign-in was turned on in another window.")
		}
		if err := replaceRecoveryCodes(ctx, tx, u.ID, codes); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET mfa_passed = TRUE WHERE id = $1`, a.SessionID); err != nil {
			return err
		}
		ev.Role = role
		return s.audit.Record(ctx, tx, a, ev)
	})
	if err != nil {
		return nil, wrap(err)
	}
	return codes, nil
}

func replaceRecoveryCodes(ctx context.Context, tx *db.Tx, userID int64, codes []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	for _, c := range codes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)`, userID, hashToken(c)); err != nil {
			return err
		}
	}
	return nil
}

// CompleteMFA checks the second factor for a session waiting for it: a TOTP
// code, or an unused recovery code. Failures count toward the account's
// throttle like wrong passwords. Errors: invalid, unauthorized (throttled).
func (s *Service) CompleteMFA(ctx context.Context, a access.Actor, code string) error {
	now := s.clock.Now()
	u, err := findUser(ctx, s.db.Read(), a.UserID, "")
	if err != nil {
		return wrap(err)
	}
	// Every code tried counts against this account's second-factor prompt
	// before it is checked; only a success clears the count.
	key := mfaKey(u.ID)
	ev := audit.Event{Action: audit.ActionLogin, ObjectType: "user.mfa", ObjectID: audit.ObjectIDOf(u.ID)}
	if isLocked, err := s.opt.Throttle.attempt(ctx, s.db, key, s.opt.Throttle.AccountLimit, now); err != nil {
		return apperr.Internal(err)
	} else if isLocked {
		ev.Outcome, ev.Detail = audit.Failed, "locked"
		if err := s.audit.RecordAlone(ctx, a, ev); err != nil {
			return apperr.Internal(err)
		}
		return badLogin
	}
	var step int64
	recoveryID := int64(0)
	if u.MFAEnabled {
		if u.TOTPEnabled {
			secret, err := s.sealer.Decrypt(ctx, u.totpSecret, SecretAAD(u.ID))
			if err != nil {
				return apperr.Internal(err)
			}
			step = matchStep(string(secret), code, now, u.totpLastStep)
		}
		if step == 0 {
			err := s.db.Read().QueryRowContext(ctx, `SELECT id FROM recovery_codes WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`,
				u.ID, hashToken(normalizeRecoveryCode(code))).Scan(&recoveryID)
			if err != nil {
				recoveryID = 0
			}
		}
	}
	if step == 0 && recoveryID == 0 {
		ev.Outcome, ev.Detail = audit.Failed, "wrong code"
		if err := s.audit.RecordAlone(ctx, a, ev); err != nil {
			return apperr.Internal(err)
		}
		return apperr.Invalid("Please correct the highlighted fields.", map[string]string{"code": "That code did not work. Enter the current 6-digit code, or one of your recovery codes."})
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if step != 0 {
			res, err := tx.ExecContext(ctx, `UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1`, step, u.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return apperr.Invalid("Please correct the highlighted fields.", map[string]string{"code": "That code was already used. Wait for the next one."})
			}
			ev.Detail = "totp"
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL`, db.Micros(now), recoveryID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return apperr.Invalid("Please correct the highlighted fields.", map[string]string{"code": "That recovery code was already used."})
			}
			ev.Detail = "recovery code"
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
		return s.audit.Record(ctx, tx, a, ev)
	})
	return wrap(err)
}

// RecoveryCodesLeft counts the actor's unused recovery codes.
func (s *Service) RecoveryCodesLeft(ctx context.Context, a access.Actor) (int, error) {
	var n int
	err := s.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, a.UserID).Scan(&n)
	return n, wrap(err)
}

// NewRecoveryCodes replaces the actor's recovery codes after checking their
// password. Errors: invalid.
func (s *Service) NewRecoveryCodes(ctx context.Context, a access.Actor, password string) ([]string, error) {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "user.mfa", ObjectID: audit.ObjectIDOf(a.UserID), Detail: "recovery codes replaced"}
	role, err := s.audit.Authorize(ctx, a, access.PermSelf, access.Target{}, ev)
	if err != nil {
		return nil, err
	}
	u, err := findUser(ctx, s.db.Read(), a.UserID, "")
	if err != nil {
		return nil, wrap(err)
	}
	if !u.MFAEnabled {
		return nil, apperr.Invalid("Turn on two-step sign-in first.", nil)
	}
	if err := s.recheckPassword(ctx, a, u, password); err != nil {
		return nil, err
	}
	codes := newRecoveryCodes()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := replaceRecoveryCodes(ctx, tx, u.ID, codes); err != nil {
			return err
		}
		ev.Role = role
		return s.audit.Record(ctx, tx, a, ev)
	})
	if err != nil {
		return nil, wrap(err)
	}
	return codes, nil
}
