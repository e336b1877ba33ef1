package auth

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

const (
	testRPID   = "ehr.example.org"
	testOrigin = "https://ehr.example.org"
)

// softKey is a software authenticator: one ES256 passkey that answers
// WebAuthn ceremonies the way a browser would hand them to the server.
type softKey struct {
	t      testing.TB
	origin string
	key    *ecdsa.PrivateKey
	id     []byte
	handle []byte
	count  uint32
	// step is added to the signature counter on each use; 0 models a synced
	// passkey that never counts.
	step uint32
}

func newSoftKey(t testing.TB) *softKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return &softKey{t: t, origin: testOrigin, key: k, id: id, step: 1}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (k *softKey) clientData(typ string, challenge protocol.URLEncodedBase64) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge.String(), "origin": k.origin, "crossOrigin": false})
	return b
}

func (k *softKey) authData(flags byte, attested []byte) []byte {
	rp := sha256.Sum256([]byte(testRPID))
	var buf bytes.Buffer
	buf.Write(rp[:])
	buf.WriteByte(flags)
	_ = binary.Write(&buf, binary.BigEndian, k.count)
	buf.Write(attested)
	return buf.Bytes()
}

// create answers navigator.credentials.create with a "none" attestation.
func (k *softKey) create(opts *protocol.CredentialCreation) []byte {
	k.t.Helper()
	k.handle = []byte(opts.Response.User.ID.(protocol.URLEncodedBase64))
	pub, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         int64(webauthncose.P256),
		XCoord:        k.key.X.FillBytes(make([]byte, 32)),
		YCoord:        k.key.Y.FillBytes(make([]byte, 32)),
	})
	if err != nil {
		k.t.Fatal(err)
	}
	var att bytes.Buffer
	att.Write(make([]byte, 16)) // AAGUID: none
	_ = binary.Write(&att, binary.BigEndian, uint16(len(k.id)))
	att.Write(k.id)
	att.Write(pub)
	obj, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": k.authData(0x45, att.Bytes())}) // UP, UV, AT
	if err != nil {
		k.t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{
		"id": b64(k.id), "rawId": b64(k.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64(k.clientData("webauthn.create", opts.Response.Challenge)),
			"attestationObject": b64(obj),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults": map[string]any{},
	})
	return body
}

// get answers navigator.credentials.get; a bad signature when forge is set.
func (k *softKey) get(opts *protocol.CredentialAssertion, forge bool) []byte {
	k.t.Helper()
	k.count += k.step
	ad := k.authData(0x05, nil) // UP, UV
	cd := k.clientData("webauthn.get", opts.Response.Challenge)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		k.t.Fatal(err)
	}
	if forge {
		sig[len(sig)-1] ^= 0xff
	}
	body, _ := json.Marshal(map[string]any{
		"id": b64(k.id), "rawId": b64(k.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON": b64(cd), "authenticatorData": b64(ad), "signature": b64(sig), "userHandle": b64(k.handle),
		},
		"clientExtensionResults": map[string]any{},
	})
	return body
}

// withPasskeys gives the fixture a service configured for passkeys on
// ehr.example.org (the service keeps no state outside the database).
func withPasskeys(f *fixture) *fixture {
	f.svc = NewService(f.d, f.clk, f.log, testSealer{}, Options{RPID: testRPID, RPOrigins: []string{testOrigin}})
	return f
}

// registerPasskey adds key to the account signed in as a, failing the test
// on an error, and returns the recovery codes it handed out.
func (f *fixture) registerPasskey(t *testing.T, a access.Actor, key *softKey, name string) (Passkey, []string) {
	t.Helper()
	ctx := context.Background()
	opts, err := f.svc.BeginPasskeyRegistration(ctx, a)
	if err != nil {
		t.Fatalf("BeginPasskeyRegistration: %v", err)
	}
	p, codes, err := f.svc.FinishPasskeyRegistration(ctx, a, name, key.create(opts))
	if err != nil {
		t.Fatalf("FinishPasskeyRegistration: %v (%v)", err, cause(err))
	}
	return p, codes
}

// cause is the library's reason behind a refused passkey, for test failures.
func cause(err error) error {
	if e, ok := err.(*apperr.Error); ok {
		return e.Err
	}
	return nil
}

// passkeyLogin signs email in with the password and answers the passkey
// challenge with key; it returns the session and the error of the finish.
func (f *fixture) passkeyLogin(t *testing.T, email string, key *softKey, forge bool) (Authenticated, error) {
	t.Helper()
	ctx := context.Background()
	a := f.login(t, email, adminPassword)
	if a.Stage != StageMFAChallenge {
		t.Fatalf("stage after password = %v, want challenge", a.Stage)
	}
	opts, err := f.svc.BeginPasskeyLogin(ctx, a.Actor)
	if err != nil {
		t.Fatalf("BeginPasskeyLogin: %v", err)
	}
	return a, f.svc.FinishPasskeyLogin(ctx, a.Actor, key.get(opts, forge))
}

func (f *fixture) stage(t *testing.T, a Authenticated) Stage {
	t.Helper()
	// Re-read the session by its id: Authenticate needs the token, which
	// the fixture does not keep, so ask the table directly.
	var passed bool
	if err := f.d.Read().QueryRowContext(context.Background(), `SELECT mfa_passed FROM sessions WHERE id = $1`, a.Session.ID).Scan(&passed); err != nil {
		t.Fatal(err)
	}
	if passed {
		return StageReady
	}
	return a.Stage
}

func countRows(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Read().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// auditHas reports whether the log holds an entry for user with this action,
// object type, outcome and detail.
func auditHas(t *testing.T, f *fixture, userID int64, action audit.Action, objectType string, outcome audit.Outcome, detail string) bool {
	t.Helper()
	page, err := f.log.Find(context.Background(), access.Actor{System: true}, audit.Filter{UserID: userID, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range page.Entries {
		if e.Action == action && e.ObjectType == objectType && e.Outcome == outcome && e.Detail == detail {
			return true
		}
	}
	return false
}

// An administrator who must enrol a second factor may enrol a passkey
// instead of an authenticator app, and then signs in with it.
func TestPasskeyEnrolThenSignIn(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := withPasskeys(aPracticeWithAnAdmin(t, d))
		a := f.login(t, "ada@example.org", adminPassword)
		if a.Stage != StageMFAEnrol {
			t.Fatalf("stage = %v, want enrol", a.Stage)
		}
		opts, err := f.svc.BeginPasskeyRegistration(ctx, a.Actor)
		if err != nil {
			t.Fatal(err)
		}
		// The user handle is random, not the email or the row id.
		handle := []byte(opts.Response.User.ID.(protocol.URLEncodedBase64))
		if len(handle) != 32 || bytes.Contains(handle, []byte("ada")) || opts.Response.RelyingParty.ID != testRPID {
			t.Errorf("user handle %q (%d bytes), rp %q", handle, len(handle), opts.Response.RelyingParty.ID)
		}
		// The ceremony is in the database, keyed by the session.
		if n := countRows(t, d, `SELECT count(*) FROM webauthn_ceremonies WHERE session_id = $1 AND kind = 'register' AND user_id = $2`, a.Session.ID, f.admin.ID); n != 1 {
			t.Fatalf("ceremony rows = %d, want 1", n)
		}
		key := newSoftKey(t)
		p, codes, err := f.svc.FinishPasskeyRegistration(ctx, a.Actor, "  Work   laptop ", key.create(opts))
		if err != nil {
			t.Fatalf("FinishPasskeyRegistration: %v (%v)", err, cause(err))
		}
		if p.Name != "Work laptop" || len(codes) != RecoveryCodeCount {
			t.Errorf("passkey %+v, %d recovery codes; want the tidied name and %d codes", p, len(codes), RecoveryCodeCount)
		}
		if n := countRows(t, d, `SELECT count(*) FROM webauthn_ceremonies`); n != 0 {
			t.Errorf("ceremony rows after finish = %d, want 0", n)
		}
		if f.stage(t, a) != StageReady {
			t.Error("enrolling the first passkey did not pass the session's second factor")
		}
		u, _ := findUser(ctx, d.Read(), f.admin.ID, "")
		if !u.MFAEnabled || u.TOTPEnabled || u.Passkeys != 1 {
			t.Errorf("user MFA %v TOTP %v passkeys %d; want MFA on by one passkey", u.MFAEnabled, u.TOTPEnabled, u.Passkeys)
		}
		if !auditHas(t, f, f.admin.ID, audit.ActionUpdate, "user.mfa", audit.Success, "passkey added") {
			t.Error("no audit entry for the added passkey")
		}

		// Next sign-in: the passkey is the second factor.
		f.clk.Advance(time.Minute)
		b, err := f.passkeyLogin(t, "ada@example.org", key, false)
		if err != nil {
			t.Fatalf("FinishPasskeyLogin: %v (%v)", err, cause(err))
		}
		if f.stage(t, b) != StageReady {
			t.Error("a passkey sign-in did not pass the second factor")
		}
		if !auditHas(t, f, f.admin.ID, audit.ActionLogin, "user.mfa", audit.Success, "passkey") {
			t.Error("no audit entry login user.mfa passkey")
		}
		list, err := f.svc.ListPasskeys(ctx, b.Actor)
		if err != nil || len(list) != 1 || !list[0].LastUsedAt.Equal(f.clk.Now()) {
			t.Fatalf("ListPasskeys = %+v, %v; want one used now", list, err)
		}
		if n := countRows(t, d, `SELECT sign_count FROM webauthn_credentials`); n != int(key.count) {
			t.Errorf("stored sign count %d, want %d", n, key.count)
		}
		// A recovery code still works for an account with only a passkey.
		c := f.login(t, "ada@example.org", adminPassword)
		if err := f.svc.CompleteMFA(ctx, c.Actor, codes[0]); err != nil {
			t.Errorf("recovery code for a passkey-only account: %v", err)
		}
		// A session that has passed its second factor has nothing to begin.
		passed := b.Actor
		passed.MFA = true
		if _, err := f.svc.BeginPasskeyLogin(ctx, passed); !apperr.Is(err, apperr.CodeInvalid) {
			t.Errorf("BeginPasskeyLogin on a passed session err = %v, want invalid", err)
		}
	})
}

// The ceremony lives in the database: one instance begins, another
// finishes, and a challenge answers once.
func TestPasskeyCeremonyIsSharedAndSingleUse(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := withPasskeys(aPracticeWithAnAdmin(t, d))
		a := f.login(t, "ada@example.org", adminPassword)
		key := newSoftKey(t)
		f.registerPasskey(t, a.Actor, key, "Key")

		other := NewService(d, f.clk, f.log, testSealer{}, Options{RPID: testRPID, RPOrigins: []string{testOrigin}})
		b := f.login(t, "ada@example.org", adminPassword)
		opts, err := f.svc.BeginPasskeyLogin(ctx, b.Actor)
		if err != nil {
			t.Fatal(err)
		}
		answer := key.get(opts, false)
		if err := other.FinishPasskeyLogin(ctx, b.Actor, answer); err != nil {
			t.Fatalf("finish on another instance: %v (%v)", err, cause(err))
		}
		// The same answer again: the challenge is gone.
		c := f.login(t, "ada@example.org", adminPassword)
		if _, err := f.svc.BeginPasskeyLogin(ctx, c.Actor); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.FinishPasskeyLogin(ctx, b.Actor, answer); !apperr.Is(err, apperr.CodeInvalid) {
			t.Errorf("replayed answer err = %v, want invalid", err)
		}
		// Beginning again replaces the session's ceremony rather than adding one.
		if _, err := f.svc.BeginPasskeyLogin(ctx, c.Actor); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, d, `SELECT count(*) FROM webauthn_ceremonies WHERE session_id = $1`, c.Session.ID); n != 1 {
			t.Errorf("ceremonies for the session = %d, want 1", n)
		}
	})
}

// A ceremony not finished within five minutes is refused and purged.
func TestPasskeyCeremonyExpires(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := withPasskeys(aPracticeWithAnAdmin(t, d))
		a := f.login(t, "ada@example.org", adminPassword)
		key := newSoftKey(t)
		opts, err := f.svc.BeginPasskeyRegistration(ctx, a.Actor)
		if err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(passkeyCeremonyTTL + time.Second)
		if _, _, err := f.svc.FinishPasskeyRegistration(ctx, a.Actor, "Late", key.create(opts)); !apperr.Is(err, apperr.CodeInvalid) {
			t.Fatalf("late finish err = %v, want invalid", err)
		}
		if n := countRows(t, d, `SELECT count(*) FROM webauthn_credentials`); n != 0 {
			t.Errorf("a late registration stored %d passkeys", n)
		}
		// An abandoned ceremony is removed by the periodic purge.
		if _, err := f.svc.BeginPasskeyRegistration(ctx, a.Actor); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.PurgeExpired(ctx); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, d, `SELECT count(*) FROM webauthn_ceremonies`); n != 1 {
			t.Errorf("purge removed a live ceremony: %d left", n)
		}
		f.clk.Advance(passkeyCeremonyTTL + time.Second)
		if _, err := f.svc.PurgeExpired(ctx); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, d, `SELECT count(*) FROM webauthn_ceremonies`); n != 0 {
			t.Errorf("ceremonies after purge = %d, want 0", n)
		}
	})
}

// One user's passkey, or ceremony, is no good to another; a password alone
// cannot add a passkey; failures count toward the throttle.
func TestPasskeyWrongUser(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := withPasskeys(aPracticeWithAnAdmin(t, d))
		system := access.Actor{System: true}
		if _, err := f.svc.CreateUser(ctx, system, Profile{Email: "cal@example.org", Name: "Cal Clinician", Roles: []access.Role{access.RoleClinician}}, adminPassword); err != nil {
			t.Fatal(err)
		}
		adaKey, calKey := newSoftKey(t), newSoftKey(t)
		f.registerPasskey(t, f.login(t, "ada@example.org", adminPassword).Actor, adaKey, "Ada's key")
		cal := f.login(t, "cal@example.org", adminPassword)
		if cal.Stage != StageReady {
			t.Fatalf("cal stage = %v, want ready (MFA not required)", cal.Stage)
		}
		if _, codes := f.registerPasskey(t, cal.Actor, calKey, "Cal's key"); len(codes) != RecoveryCodeCount {
			t.Errorf("cal's first passkey gave %d recovery codes", len(codes))
		}

		// Cal presents Ada's passkey to Cal's challenge.
		c := f.login(t, "cal@example.org", adminPassword)
		opts, err := f.svc.BeginPasskeyLogin(ctx, c.Actor)
		if err != nil {
			t.Fatal(err)
		}
		adaKey.handle = calKey.handle // even claiming Cal's handle
		if err := f.svc.FinishPasskeyLogin(ctx, c.Actor, adaKey.get(opts, false)); !apperr.Is(err, apperr.CodeInvalid) {
			t.Fatalf("another user's passkey err = %v, want invalid", err)
		}
		if f.stage(t, c) == StageReady {
			t.Fatal("another user's passkey passed the second factor")
		}
		if !auditHas(t, f, c.User.ID, audit.ActionLogin, "user.mfa", audit.Failed, "passkey not accepted") {
			t.Error("no audit entry for the refused passkey")
		}
		if n := countRows(t, d, `SELECT failures FROM login_throttle WHERE key = $1`, accountKey("cal@example.org")); n != 1 {
			t.Errorf("throttle failures = %d, want 1", n)
		}

		// Ada's ceremony cannot be finished from Cal's session.
		ada := f.login(t, "ada@example.org", adminPassword)
		opts, err = f.svc.BeginPasskeyLogin(ctx, ada.Actor)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.FinishPasskeyLogin(ctx, c.Actor, adaKey.get(opts, false)); !apperr.Is(err, apperr.CodeInvalid) {
			t.Fatalf("finishing another session's ceremony err = %v, want invalid", err)
		}

		// With only the password, Cal cannot add a passkey of an attacker's.
		if _, err := f.svc.BeginPasskeyRegistration(ctx, c.Actor); !apperr.Is(err, apperr.CodeForbidden) {
			t.Errorf("registration before the second factor err = %v, want forbidden", err)
		}
		if _, err := f.svc.BeginTOTP(ctx, c.Actor); !apperr.Is(err, apperr.CodeForbidden) {
			t.Errorf("TOTP enrolment before the second factor err = %v, want forbidden", err)
		}
	})
}

// Wrong passkey answers lock the account like wrong codes.
func TestPasskeyFailuresThrottle(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := withPasskeys(aPracticeWithAnAdmin(t, d))
		key := newSoftKey(t)
		f.registerPasskey(t, f.login(t, "ada@example.org", adminPassword).Actor, key, "Key")
		a := f.login(t, "ada@example.org", adminPassword)
		for i := range DefaultThrottle.AccountLimit {
			opts, err := f.svc.BeginPasskeyLogin(ctx, a.Actor)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.svc.FinishPasskeyLogin(ctx, a.Actor, key.get(opts, true)); !apperr.Is(err, apperr.CodeInvalid) {
				t.Fatalf("forged answer %d err = %v, want invalid", i, err)
			}
		}
		opts, err := f.svc.BeginPasskeyLogin(ctx, a.Actor)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.FinishPasskeyLogin(ctx, a.Actor, key.get(opts, false)); !apperr.Is(err, apperr.CodeUnauthorized) {
			t.Fatalf("a good answer on a locked account err = %v, want unauthorized", err)
		}
		// The password still opens a session, but its second step stays locked.
		b := f.login(t, "ada@example.org", adminPassword)
		if err := f.svc.CompleteMFA(ctx, b.Actor, "000000"); !apperr.Is(err, apperr.CodeUnauthorized) {
			t.Errorf("second step on a locked account err = %v, want unauthorized", err)
		}
	})
}

// A signature counter that goes backwards marks the passkey as possibly
// copied, and it is refused from then on.
func TestPasskeyCloneWarning(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := withPasskeys(aPracticeWithAnAdmin(t, d))
		key := newSoftKey(t)
		f.registerPasskey(t, f.login(t, "ada@example.org", adminPassword).Actor, key, "Key")
		for range 2 {
			if _, err := f.passkeyLogin(t, "ada@example.org", key, false); err != nil {
				t.Fatal(err)
			}
		}
		key.count -= 2 // a copy that has signed less often than the original
		if _, err := f.passkeyLogin(t, "ada@example.org", key, false); !apperr.Is(err, apperr.CodeInvalid) {
			t.Fatalf("cloned key err = %v, want invalid", err)
		}
		a := f.login(t, "ada@example.org", adminPassword)
		list, err := f.svc.ListPasskeys(ctx, a.Actor)
		if err != nil || len(list) != 1 || !list[0].CloneWarning {
			t.Fatalf("ListPasskeys = %+v, %v; want the clone warning", list, err)
		}
		if _, err := f.svc.BeginPasskeyLogin(ctx, a.Actor); !apperr.Is(err, apperr.CodeInvalid) {
			t.Errorf("begin with only a flagged passkey err = %v, want invalid", err)
		}
		if !auditHas(t, f, f.admin.ID, audit.ActionLogin, "user.mfa", audit.Failed, "passkey sign count went backwards: possibly copied") {
			t.Error("no audit entry for the clone warning")
		}
	})
}

// Removing a passkey needs the password, keeps a required second factor,
// and touches only the actor's own passkeys.
func TestRemovePasskey(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := withPasskeys(aPracticeWithAnAdmin(t, d))
		a := f.login(t, "ada@example.org", adminPassword)
		first, _ := f.registerPasskey(t, a.Actor, newSoftKey(t), "First")
		a.Actor.MFA = true // the registration passed the session's second factor
		if err := f.svc.RemovePasskey(ctx, a.Actor, first.ID, "not my password"); !apperr.Is(err, apperr.CodeInvalid) || apperr.As(err).Fields["password"] == "" {
			t.Fatalf("wrong password err = %v, want a password field error", err)
		}
		if err := f.svc.RemovePasskey(ctx, a.Actor, first.ID, adminPassword); !apperr.Is(err, apperr.CodeInvalid) {
			t.Fatalf("removing an administrator's only second factor err = %v, want invalid", err)
		}
		second, codes := f.registerPasskey(t, a.Actor, newSoftKey(t), "Second")
		if codes != nil {
			t.Errorf("a second passkey replaced the recovery codes")
		}
		if err := f.svc.RemovePasskey(ctx, a.Actor, first.ID, adminPassword); err != nil {
			t.Fatalf("RemovePasskey: %v", err)
		}
		list, _ := f.svc.ListPasskeys(ctx, a.Actor)
		if len(list) != 1 || list[0].ID != second.ID {
			t.Errorf("passkeys left = %+v, want only the second", list)
		}
		if !auditHas(t, f, f.admin.ID, audit.ActionUpdate, "user.mfa", audit.Success, "passkey "+audit.ObjectIDOf(first.ID)+" removed") {
			t.Error("no audit entry for the removal")
		}
		// Someone else's passkey id is not found, and is left alone.
		if _, err := f.svc.CreateUser(ctx, access.Actor{System: true}, Profile{Email: "cal@example.org", Name: "Cal Clinician", Roles: []access.Role{access.RoleClinician}}, adminPassword); err != nil {
			t.Fatal(err)
		}
		cal := f.login(t, "cal@example.org", adminPassword)
		if err := f.svc.RemovePasskey(ctx, cal.Actor, second.ID, adminPassword); !apperr.Is(err, apperr.CodeNotFound) {
			t.Errorf("removing another's passkey err = %v, want not_found", err)
		}
		// An administrator's reset removes passkeys with the rest of MFA.
		if err := f.svc.ResetMFA(ctx, access.Actor{System: true}, f.admin.ID); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, d, `SELECT count(*) FROM webauthn_credentials`); n != 0 {
			t.Errorf("passkeys after an MFA reset = %d", n)
		}
	})
}

// Without a usable relying party id passkeys are off, and say so.
func TestPasskeysOff(t *testing.T) {
	for _, o := range []Options{{}, {RPID: "127.0.0.1", RPOrigins: []string{"http://127.0.0.1:8080"}}, {RPID: "localhost"}} {
		s := NewService(nil, nil, nil, nil, o)
		if s.PasskeysEnabled() || s.PasskeyRPID() != "" {
			t.Errorf("options %+v: passkeys enabled", o)
		}
	}
	s := NewService(nil, nil, nil, nil, Options{RPID: "localhost", RPOrigins: []string{"http://localhost:8080"}})
	if !s.PasskeysEnabled() || s.PasskeyOrigin() != "http://localhost:8080" {
		t.Error("localhost: passkeys off")
	}
}
