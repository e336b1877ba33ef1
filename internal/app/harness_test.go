package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/clinical"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/crypto"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
	"github.com/mentalspace/mentalspace/internal/practice"
	"github.com/mentalspace/mentalspace/internal/reminders"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// testPassword is every test account's password.
const testPassword = "violet kettle harbour lamp"

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testApp is a real server on a random loopback port over a real database.
type testApp struct {
	t     testing.TB
	URL   string
	DB    *db.DB
	Auth  *auth.Service
	Audit *audit.Log
	// Clients is the client service the app uses.
	Clients *clients.Service
	// Scheduling is the calendar service the app uses.
	Scheduling *scheduling.Service
	// Reminders is the reminders service the app uses (email and texts off).
	Reminders *reminders.Service
	// Notes and Clinical are the documentation services the app uses.
	Notes    *notes.Service
	Clinical *clinical.Service
	App      *App
	Logs     *lockedBuffer
	clock    clock.Clock
	// secrets and recovery hold each enrolled user's TOTP secret and
	// unused recovery codes, by email.
	secrets  map[string]string
	recovery map[string][]string
}

// newTestApp starts the whole app on engine e with a practice set up and
// an administrator, admin@example.org, who has enrolled TOTP.
func newTestApp(t testing.TB, e db.Engine) *testApp {
	t.Helper()
	ta := newEmptyTestApp(t, e)
	if _, err := ta.Auth.Setup(context.Background(), access.Actor{System: true}, auth.SetupInput{
		Practice: practice.Settings{Name: "Test Practice", TimeZone: "America/New_York"},
		Admin:    auth.Profile{Email: "admin@example.org", Name: "Ada Admin"}, Password: testPassword,
	}); err != nil {
		t.Fatal(err)
	}
	ta.enrol("admin@example.org")
	return ta
}

// newEmptyTestApp starts the whole app on an empty database: the setup page
// is the first thing a visitor sees.
func newEmptyTestApp(t testing.TB, e db.Engine) *testApp {
	t.Helper()
	return newEmptyTestAppOn(t, e, clock.System{})
}

// newEmptyTestAppOn is newEmptyTestApp on clk, which the test may move (a
// clock.Fake). TOTP codes follow the real time: sign in users without a
// second factor on a moved clock.
func newEmptyTestAppOn(t testing.TB, e db.Engine, clk clock.Clock) *testApp {
	t.Helper()
	d := dbtest.Open(t, e)
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	keyring := crypto.NewKeyring(d, crypto.GenerateMasterKey(), clk)
	l := audit.NewLog(d, clk, access.Policy{ClientRule: clients.CaseloadRule(d, clk)})
	// The listener exists before the server starts, so passkeys can be
	// configured for its port the way serve does (as localhost).
	srv := httptest.NewUnstartedServer(nil)
	rpID, rpOrigins := RelyingParty("", srv.Listener.Addr().String(), false, false)
	as := auth.NewService(d, clk, l, keyring, auth.Options{Throttle: auth.Throttle{Window: time.Minute, AccountLimit: 1000, IPLimit: 1000, LockFor: time.Second},
		RPID: rpID, RPOrigins: rpOrigins})
	ps := practice.NewService(d, clk, l)
	cs := clients.NewService(d, clk, l, keyring)
	ss := scheduling.NewService(d, clk, l)
	// Reminders with email and texts off: bookings record them as not sent,
	// and the reminder links work.
	rs, err := reminders.NewService(reminders.Deps{DB: d, Clock: clk, Audit: l, Scheduling: ss, Log: log,
		LinkKey: crypto.GenerateMasterKey().Derive("reminder-links"), BaseURL: "http://" + srv.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	ss.AddHook(rs)
	cls := clinical.NewService(d, clk, l, keyring)
	ns := notes.NewService(d, clk, l, keyring, as)
	if err := ns.EnsureTemplates(context.Background()); err != nil {
		t.Fatal(err)
	}
	a, err := New(Deps{DB: d, Clock: clk, Log: log, Auth: as, Audit: l, Practice: ps, Clients: cs, Scheduling: ss, Reminders: rs, Notes: ns, Clinical: cls, Registry: prometheus.NewRegistry(), Version: "test"})
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	srv.Config.Handler = a
	srv.Start()
	t.Cleanup(srv.Close)
	return &testApp{t: t, URL: srv.URL, DB: d, Auth: as, Audit: l, Clients: cs, Scheduling: ss, Reminders: rs, Notes: ns, Clinical: cls, App: a, Logs: logs, clock: clk, secrets: map[string]string{}, recovery: map[string][]string{}}
}

// addUser creates a user holding roles, email <first role>@example.org.
func (ta *testApp) addUser(email string, roles ...access.Role) auth.User {
	ta.t.Helper()
	u, err := ta.Auth.CreateUser(context.Background(), access.Actor{System: true}, auth.Profile{Email: email, Name: "Test " + string(roles[0]), Roles: roles}, testPassword)
	if err != nil {
		ta.t.Fatal(err)
	}
	return u
}

// enrol turns TOTP on for email through the service, remembering the secret.
func (ta *testApp) enrol(email string) {
	ta.t.Helper()
	ctx := context.Background()
	tok, _, err := ta.Auth.Login(ctx, auth.LoginInput{Email: email, Password: testPassword})
	if err != nil {
		ta.t.Fatal(err)
	}
	s, err := ta.Auth.Authenticate(ctx, tok, "", "", "")
	if err != nil {
		ta.t.Fatal(err)
	}
	enr, err := ta.Auth.BeginTOTP(ctx, s.Actor)
	if err != nil {
		ta.t.Fatal(err)
	}
	// Use the previous step: the next sign-in then has a fresh one.
	code, _ := totp.GenerateCodeCustom(enr.Secret, time.Now().Add(-30*time.Second), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	codes, err := ta.Auth.ConfirmTOTP(ctx, s.Actor, code)
	if err != nil {
		ta.t.Fatal(err)
	}
	ta.secrets[email] = enr.Secret
	ta.recovery[email] = codes
}

// browser is an HTTP client with its own cookies, like one browser.
type browser struct {
	ta     *testApp
	c      *http.Client
	csrf   string
	last   string
	status int
}

func (ta *testApp) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{ta: ta, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

var csrfPattern = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (b *browser) do(req *http.Request) *http.Response {
	b.ta.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.ta.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b.last, b.status = string(body), resp.StatusCode
	if m := csrfPattern.FindStringSubmatch(b.last); m != nil {
		b.csrf = m[1]
	}
	return resp
}

func (b *browser) get(path string) *http.Response {
	req, _ := http.NewRequest("GET", b.ta.URL+path, nil)
	return b.do(req)
}

// post submits a form with the session's CSRF token.
func (b *browser) post(path string, v url.Values) *http.Response {
	if v == nil {
		v = url.Values{}
	}
	if v.Get("csrf_token") == "" && b.csrf != "" {
		v.Set("csrf_token", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.ta.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// signIn signs email in, passing the second factor when enrolled, and
// ends on the home page.
func (b *browser) signIn(email string) {
	b.ta.t.Helper()
	b.post("/login", url.Values{"email": {email}, "password": {testPassword}})
	if secret, ok := b.ta.secrets[email]; ok {
		code, _ := totp.GenerateCode(secret, time.Now())
		b.get("/login/mfa")
		b.post("/login/mfa", url.Values{"code": {code}})
		if b.status == http.StatusUnprocessableEntity { // this 30-second code was used already
			rc := b.ta.recovery[email]
			b.ta.recovery[email] = rc[1:]
			b.post("/login/mfa", url.Values{"code": {rc[0]}})
		}
	}
	if b.status != http.StatusOK || !strings.Contains(b.last, "Welcome") {
		b.ta.t.Fatalf("sign in %s: status %d, page:\n%.600s", email, b.status, b.last)
	}
}
