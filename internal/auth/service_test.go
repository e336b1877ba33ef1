package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
	"github.com/mentalspace/mentalspace/internal/practice"
)

// testSealer stands in for the keyring: it binds the value to its AAD so the
// service's use of AAD is still checked.
type testSealer struct{}

func (testSealer) Encrypt(_ context.Context, p []byte, aad string) (string, error) {
	return base64.StdEncoding.EncodeToString([]byte(aad + "|" + string(p))), nil
}

func (testSealer) Decrypt(_ context.Context, v, aad string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, err
	}
	got, plain, _ := strings.Cut(string(b), "|")
	if got != aad {
		return nil, errors.New("wrong aad")
	}
	return []byte(plain), nil
}

const adminPassword = "violet kettle harbour lamp"

type fixture struct {
	svc   *Service
	clk   *clock.Fake
	d     *db.DB
	log   *audit.Log
	admin User
}

// aPracticeWithAnAdmin sets up a practice whose first administrator is Ada.
func aPracticeWithAnAdmin(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	l := audit.NewLog(d, clk, access.Policy{})
	svc := NewService(d, clk, l, testSealer{}, Options{})
	u, err := svc.Setup(context.Background(), access.Actor{IP: "127.0.0.1"}, SetupInput{
		Practice: practice.Settings{Name: "Harbour Counselling", TimeZone: "America/Chicago"},
		Admin:    Profile{Email: "Ada@Example.org", Name: "Ada Admin"},
		Password: adminPassword,
	})
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	return &fixture{svc: svc, clk: clk, d: d, log: l, admin: u}
}

func (f *fixture) login(t *testing.T, email, pw string) Authenticated {
	t.Helper()
	ctx := context.Background()
	tok, _, err := f.svc.Login(ctx, LoginInput{Email: email, Password: pw, IP: "10.0.0.1"})
	if err != nil {
		t.Fatalf("Login(%s): %v", email, err)
	}
	a, err := f.svc.Authenticate(ctx, tok, "10.0.0.1", "test", "")
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	return a
}

func (f *fixture) code(t *testing.T, secret string) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, f.clk.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSetupRunsOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := aPracticeWithAnAdmin(t, d)
		if f.admin.Email != "ada@example.org" || !f.admin.Has(access.RoleAdmin) {
			t.Fatalf("admin = %+v", f.admin)
		}
		need, err := f.svc.NeedsSetup(context.Background())
		if err != nil || need {
			t.Fatalf("NeedsSetup = %v, %v; want false", need, err)
		}
		_, err = f.svc.Setup(context.Background(), access.Actor{}, SetupInput{
			Practice: practice.Settings{Name: "Other"}, Admin: Profile{Email: "eve@example.org", Name: "Eve"}, Password: adminPassword})
		if !apperr.Is(err, apperr.CodeConflict) {
			t.Fatalf("second Setup err = %v, want conflict", err)
		}
	})
}

func TestSetupValidates(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		svc := NewService(d, clock.System{}, audit.NewLog(d, clock.System{}, access.Policy{}), testSealer{}, Options{})
		_, err := svc.Setup(context.Background(), access.Actor{}, SetupInput{
			Practice: practice.Settings{Name: "", GroupNPI: "1234567890"}, Admin: Profile{Email: "nope", Name: ""}, Password: "short"})
		e := apperr.As(err)
		for _, k := range []string{"practice_name", "practice_group_npi", "email", "name", "password"} {
			if e.Fields[k] == "" {
				t.Errorf("field %s has no error; fields = %v", k, e.Fields)
			}
		}
		if need, _ := svc.NeedsSetup(context.Background()); !need {
			t.Error("a refused setup changed the database")
		}
	})
}

func TestLoginFailuresLookAlikeAndLock(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := aPracticeWithAnAdmin(t, d)
		_, _, errWrong := f.svc.Login(ctx, LoginInput{Email: "ada@example.org", Password: "wrong password here", IP: "10.0.0.2"})
		_, _, errUnknown := f.svc.Login(ctx, LoginInput{Email: "nobody@example.org", Password: "wrong password here", IP: "10.0.0.2"})
		if errWrong == nil || errUnknown == nil || errWrong.Error() != errUnknown.Error() {
			t.Fatalf("wrong password err %v and unknown account err %v must be the same", errWrong, errUnknown)
		}
		for range 4 {
			f.svc.Login(ctx, LoginInput{Email: "ada@example.org", Password: "wrong password here", IP: "10.0.0.3"})
		}
		// Five failures: even the right password is refused, with the same message.
		_, _, err := f.svc.Login(ctx, LoginInput{Email: "ada@example.org", Password: adminPassword, IP: "10.0.0.4"})
		if err == nil || err.Error() != errWrong.Error() {
			t.Fatalf("locked login err = %v, want the same failure", err)
		}
		f.clk.Advance(16 * time.Minute)
		if _, _, err := f.svc.Login(ctx, LoginInput{Email: "ada@example.org", Password: adminPassword, IP: "10.0.0.4"}); err != nil {
			t.Fatalf("login after lock expired: %v", err)
		}
		page, err := f.log.Find(ctx, access.Actor{System: true}, Filter{Action: audit.ActionLogin})
		if err != nil {
			t.Fatal(err)
		}
		failed := 0
		for _, e := range page.Entries {
			if e.Outcome == audit.Failed {
				failed++
			}
		}
		if failed != 7 {
			t.Errorf("failed login entries = %d, want 7", failed)
		}
	})
}

// Filter is a shorthand for the audit filter in these tests.
type Filter = audit.Filter

func TestAdminMustEnrolThenPassMFA(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := aPracticeWithAnAdmin(t, d)
		a := f.login(t, "ada@example.org", adminPassword)
		if a.Stage != StageMFAEnrol {
			t.Fatalf("stage = %v, want enrol", a.Stage)
		}
		enr, err := f.svc.BeginTOTP(ctx, a.Actor)
		if err != nil {
			t.Fatal(err)
		}
		again, err := f.svc.BeginTOTP(ctx, a.Actor)
		if err != nil || again.Secret != enr.Secret || !strings.HasPrefix(enr.QR, "data:image/png;base64,") {
			t.Fatalf("resumed enrolment secret changed or QR missing: %v", err)
		}
		if _, err := f.svc.ConfirmTOTP(ctx, a.Actor, "000000"); !apperr.Is(err, apperr.CodeInvalid) {
			t.Fatalf("wrong first code err = %v, want invalid", err)
		}
		codes, err := f.svc.ConfirmTOTP(ctx, a.Actor, f.code(t, enr.Secret))
		if err != nil || len(codes) != RecoveryCodeCount {
			t.Fatalf("ConfirmTOTP = %d codes, %v", len(codes), err)
		}

		// A new sign-in now needs the second factor.
		f.clk.Advance(time.Minute)
		b := f.login(t, "ada@example.org", adminPassword)
		if b.Stage != StageMFAChallenge {
			t.Fatalf("stage = %v, want challenge", b.Stage)
		}
		code := f.code(t, enr.Secret)
		if err := f.svc.CompleteMFA(ctx, b.Actor, code); err != nil {
			t.Fatalf("CompleteMFA: %v", err)
		}
		// The same code cannot be used twice.
		c := f.login(t, "ada@example.org", adminPassword)
		if err := f.svc.CompleteMFA(ctx, c.Actor, code); !apperr.Is(err, apperr.CodeInvalid) {
			t.Fatalf("replayed code err = %v, want invalid", err)
		}
		// A recovery code works once, typed loosely.
		loose := strings.ToUpper(strings.ReplaceAll(codes[0], "-", " "))
		if err := f.svc.CompleteMFA(ctx, c.Actor, loose); err != nil {
			t.Fatalf("recovery code: %v", err)
		}
		e := f.login(t, "ada@example.org", adminPassword)
		if err := f.svc.CompleteMFA(ctx, e.Actor, codes[0]); !apperr.Is(err, apperr.CodeInvalid) {
			t.Fatalf("reused recovery code err = %v, want invalid", err)
		}
		if n, _ := f.svc.RecoveryCodesLeft(ctx, e.Actor); n != RecoveryCodeCount-1 {
			t.Errorf("recovery codes left = %d", n)
		}
	})
}

func TestSessionTimeouts(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := aPracticeWithAnAdmin(t, d)
		tok, _, err := f.svc.Login(ctx, LoginInput{Email: "ada@example.org", Password: adminPassword})
		if err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(14 * time.Minute)
		if _, err := f.svc.Authenticate(ctx, tok, "", "", ""); err != nil {
			t.Fatalf("after 14 idle minutes: %v", err)
		}
		f.clk.Advance(16 * time.Minute)
		if _, err := f.svc.Authenticate(ctx, tok, "", "", ""); !apperr.Is(err, apperr.CodeUnauthorized) {
			t.Fatalf("after 16 idle minutes err = %v, want unauthorized", err)
		}
		// Absolute limit: active every 10 minutes, still ends at 12 hours.
		tok, _, _ = f.svc.Login(ctx, LoginInput{Email: "ada@example.org", Password: adminPassword})
		for range 71 {
			f.clk.Advance(10 * time.Minute)
			if _, err := f.svc.Authenticate(ctx, tok, "", "", ""); err != nil {
				t.Fatalf("active session ended early: %v", err)
			}
		}
		f.clk.Advance(10 * time.Minute)
		if _, err := f.svc.Authenticate(ctx, tok, "", "", ""); !apperr.Is(err, apperr.CodeUnauthorized) {
			t.Fatalf("after 12 h err = %v, want unauthorized", err)
		}
	})
}

// TestRotateSession: a rotated session answers to its new token only, with
// the same session; a revoked session or a token sign-in has none to rotate.
func TestRotateSession(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := aPracticeWithAnAdmin(t, d)
		old, _, err := f.svc.Login(ctx, LoginInput{Email: "ada@example.org", Password: adminPassword})
		if err != nil {
			t.Fatal(err)
		}
		s, err := f.svc.Authenticate(ctx, old, "", "", "")
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := f.svc.RotateSession(ctx, s.Actor)
		if err != nil || fresh == "" || fresh == old {
			t.Fatalf("RotateSession = %q, %v; want a new token", fresh, err)
		}
		if _, err := f.svc.Authenticate(ctx, old, "", "", ""); !apperr.Is(err, apperr.CodeUnauthorized) {
			t.Errorf("the old token after rotation: %v, want unauthorized", err)
		}
		s2, err := f.svc.Authenticate(ctx, fresh, "", "", "")
		if err != nil || s2.Actor.SessionID != s.Actor.SessionID {
			t.Errorf("the new token: session %d, %v; want session %d", s2.Actor.SessionID, err, s.Actor.SessionID)
		}
		var n int
		if err := d.Read().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = 'update' AND object_type = 'session' AND object_id = $1 AND user_id = $2`,
			audit.ObjectIDOf(s.Actor.SessionID), f.admin.ID).Scan(&n); err != nil || n != 1 {
			t.Errorf("audit entries for the rotation: %d, %v; want 1", n, err)
		}
		if err := f.svc.Logout(ctx, s2.Actor); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RotateSession(ctx, s2.Actor); !apperr.Is(err, apperr.CodeUnauthorized) {
			t.Errorf("RotateSession of a signed-out session: %v, want unauthorized", err)
		}
		if _, err := f.svc.RotateSession(ctx, access.Actor{UserID: f.admin.ID}); !apperr.Is(err, apperr.CodeUnauthorized) {
			t.Errorf("RotateSession without a session: %v, want unauthorized", err)
		}
	})
}

// TestSessionsListsLiveOnes: the sessions list leaves out a session idle
// past the practice's limit, which Authenticate would end.
func TestSessionsListsLiveOnes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := aPracticeWithAnAdmin(t, d)
		login := func() string {
			tok, _, err := f.svc.Login(ctx, LoginInput{Email: "ada@example.org", Password: adminPassword})
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		idle, busy := login(), login()
		f.clk.Advance(10 * time.Minute)
		if _, err := f.svc.Authenticate(ctx, busy, "", "", ""); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(10 * time.Minute) // idle for 20 minutes, busy for 10; the limit is 15
		s, err := f.svc.Authenticate(ctx, busy, "", "", "")
		if err != nil {
			t.Fatal(err)
		}
		list, err := f.svc.Sessions(ctx, s.Actor)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != s.Actor.SessionID || !list[0].Current {
			t.Errorf("sessions = %+v, want only the current one", list)
		}
		if _, err := f.svc.Authenticate(ctx, idle, "", "", ""); !apperr.Is(err, apperr.CodeUnauthorized) {
			t.Errorf("the idle session: %v, want unauthorized", err)
		}
	})
}

func TestUserManagement(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := aPracticeWithAnAdmin(t, d)
		admin := access.Actor{UserID: f.admin.ID, Roles: f.admin.Roles}
		u, err := f.svc.CreateUser(ctx, admin, Profile{Email: "cal@example.org", Name: "Cal Clinician", Credentials: "LCSW",
			NPI: "1234567893", Roles: []access.Role{access.RoleClinician, access.RoleSupervisor}}, "amber meadow quiet river")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CreateUser(ctx, admin, Profile{Email: "CAL@example.org", Name: "Dup", Roles: []access.Role{access.RoleBiller}}, "amber meadow quiet river"); apperr.As(err).Fields["email"] == "" {
			t.Fatalf("duplicate email err = %v, want field error", err)
		}
		clin := access.Actor{UserID: u.ID, Roles: u.Roles}
		if _, err := f.svc.CreateUser(ctx, clin, Profile{Email: "x@example.org", Name: "X", Roles: []access.Role{access.RoleAdmin}}, "amber meadow quiet river"); !apperr.Is(err, apperr.CodeForbidden) {
			t.Fatalf("clinician CreateUser err = %v, want forbidden", err)
		}
		// Optimistic concurrency: a stale version is refused.
		p := Profile{Email: u.Email, Name: "Cal C. Clinician", Credentials: "LCSW", NPI: u.NPI, Roles: u.Roles}
		if err := f.svc.UpdateUser(ctx, admin, u.ID, p, u.Version); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.UpdateUser(ctx, admin, u.ID, p, u.Version); !apperr.Is(err, apperr.CodeConflict) {
			t.Fatalf("stale update err = %v, want conflict", err)
		}
		// The last administrator cannot be disabled or demoted.
		if err := f.svc.SetStatus(ctx, admin, f.admin.ID, StatusDisabled); !apperr.Is(err, apperr.CodeInvalid) {
			t.Fatalf("self-disable err = %v, want invalid", err)
		}
		// Disabling ends sessions and tokens.
		cs := f.login(t, "cal@example.org", "amber meadow quiet river")
		tok, _, err := f.svc.CreateToken(ctx, cs.Actor, "script")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AuthenticateToken(ctx, tok, "", "", ""); err != nil {
			t.Fatalf("token before disable: %v", err)
		}
		if err := f.svc.SetStatus(ctx, admin, u.ID, StatusDisabled); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AuthenticateToken(ctx, tok, "", "", ""); !apperr.Is(err, apperr.CodeUnauthorized) {
			t.Fatalf("token after disable err = %v", err)
		}
		page, _ := f.log.Find(ctx, access.Actor{System: true}, Filter{UserID: u.ID, Action: audit.ActionCreate})
		denied := 0
		for _, e := range page.Entries {
			if e.Outcome == audit.Denied && e.ObjectType == "user" {
				denied++
			}
		}
		if denied != 1 {
			t.Errorf("clinician's denied create not audited: %+v", page.Entries)
		}
	})
}

func TestTokens(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := aPracticeWithAnAdmin(t, d)
		tok, info, err := f.svc.CreateTokenFor(ctx, access.Actor{System: true}, "ada@example.org", "cli")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok, "mst_") || !strings.HasPrefix(tok, info.Prefix) {
			t.Fatalf("token %q prefix %q", tok, info.Prefix)
		}
		// An administrator's token works only once the account has MFA.
		if _, err := f.svc.AuthenticateToken(ctx, tok, "", "", ""); !apperr.Is(err, apperr.CodeUnauthorized) {
			t.Fatalf("token of an admin without MFA err = %v, want unauthorized", err)
		}
		s := f.login(t, "ada@example.org", adminPassword)
		enr, err := f.svc.BeginTOTP(ctx, s.Actor)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ConfirmTOTP(ctx, s.Actor, f.code(t, enr.Secret)); err != nil {
			t.Fatal(err)
		}
		a, err := f.svc.AuthenticateToken(ctx, tok, "", "", "")
		if err != nil || a.UserID != f.admin.ID || !a.Has(access.RoleAdmin) {
			t.Fatalf("AuthenticateToken = %+v, %v", a, err)
		}
		list, _ := f.svc.Tokens(ctx, a)
		if len(list) != 1 || list[0].LastUsedAt.IsZero() {
			t.Fatalf("tokens = %+v, want one with last use", list)
		}
		if err := f.svc.RevokeToken(ctx, a, info.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AuthenticateToken(ctx, tok, "", "", ""); !apperr.Is(err, apperr.CodeUnauthorized) {
			t.Fatalf("revoked token err = %v", err)
		}
		if _, err := f.svc.AuthenticateToken(ctx, "mst_nonsense", "", "", ""); !apperr.Is(err, apperr.CodeUnauthorized) {
			t.Fatalf("bad token err = %v", err)
		}
	})
}

// Parallel guesses cannot slip past the limit: every attempt is counted
// before its password is checked.
func TestParallelGuessesAreCounted(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := aPracticeWithAnAdmin(t, d)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				f.svc.Login(ctx, LoginInput{Email: "ada@example.org", Password: "wrong password " + strconv.Itoa(i), IP: "10.9.9." + strconv.Itoa(i)})
			})
		}
		wg.Wait()
		page, err := f.log.Find(ctx, access.Actor{System: true}, Filter{Action: audit.ActionLogin, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, e := range page.Entries {
			if e.Detail == "wrong password" {
				checked++
			}
		}
		if checked > DefaultThrottle.AccountLimit {
			t.Errorf("%d passwords were checked in parallel, want at most %d", checked, DefaultThrottle.AccountLimit)
		}
	})
}

// Signing in again does not reset the count of wrong second-factor codes.
func TestSecondFactorGuessesStayCounted(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := aPracticeWithAnAdmin(t, d)
		a := f.login(t, "ada@example.org", adminPassword)
		enr, _ := f.svc.BeginTOTP(ctx, a.Actor)
		if _, err := f.svc.ConfirmTOTP(ctx, a.Actor, f.code(t, enr.Secret)); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(time.Minute)
		guesses := 0
		for round := 0; round < 3; round++ {
			b := f.login(t, "ada@example.org", adminPassword)
			for range 2 {
				if err := f.svc.CompleteMFA(ctx, b.Actor, "000000"); apperr.Is(err, apperr.CodeInvalid) {
					guesses++
				}
			}
		}
		if guesses != DefaultThrottle.AccountLimit {
			t.Errorf("%d wrong codes were checked, want %d before the lock", guesses, DefaultThrottle.AccountLimit)
		}
	})
}
