package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pquerna/otp/totp"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/platform/config"
	"github.com/mentalspace/mentalspace/internal/platform/crypto"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

// testPassword is every test account's password.
const testPassword = "violet kettle harbour lamp"

// lockedBuffer collects a running command's output, safe to read while it writes.
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

// result is what a finished command left behind.
type result struct {
	code           int
	stdout, stderr string
}

// install is one MentalSpace installation: a fresh data directory and, on
// PostgreSQL, an empty schema of its own. Commands see only its environment.
type install struct {
	engine db.Engine
	dir    string
	env    map[string]string
	// pgURL and schema locate the PostgreSQL database; empty on SQLite.
	pgURL, schema string
}

// newInstall makes an empty installation on engine e. On PostgreSQL it
// skips the test when no test server is configured (fails under CI).
func newInstall(t testing.TB, e db.Engine) *install {
	t.Helper()
	in := &install{engine: e, dir: t.TempDir()}
	in.env = map[string]string{"MENTALSPACE_DATA_DIR": in.dir}
	if e == db.Postgres {
		in.pgURL, in.schema = dbtest.PostgresSchema(t)
		sep := "?"
		if strings.Contains(in.pgURL, "?") {
			sep = "&"
		}
		in.env["MENTALSPACE_DATABASE_URL"] = in.pgURL + sep + "search_path=" + in.schema
	}
	return in
}

func (in *install) getenv(k string) string { return in.env[k] }

// run runs the command line args with stdin and waits for it.
func (in *install) run(t testing.TB, stdin string, args ...string) result {
	t.Helper()
	var out, errw bytes.Buffer
	code := run(t.Context(), args, in.getenv, strings.NewReader(stdin), &out, &errw)
	return result{code: code, stdout: out.String(), stderr: errw.String()}
}

// mustRun runs args and fails the test unless they exit 0.
func (in *install) mustRun(t testing.TB, stdin string, args ...string) result {
	t.Helper()
	r := in.run(t, stdin, args...)
	if r.code != 0 {
		t.Fatalf("mentalspace %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// setUp creates the practice and its administrator, admin@example.org.
func (in *install) setUp(t testing.TB) {
	t.Helper()
	in.mustRun(t, testPassword+"\n", "user", "add", "--email", "admin@example.org", "--name", "Ada Admin", "--role", "admin")
}

// openDB opens the installation's database directly, behind the commands' back.
func (in *install) openDB(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(t.Context(), db.Options{URL: in.pgURL, Schema: in.schema, Path: filepath.Join(in.dir, "mentalspace.db"), MaxConns: 2})
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// exec runs statements on the installation's database, in order.
func (in *install) exec(t testing.TB, stmts ...string) {
	t.Helper()
	d := in.openDB(t)
	for _, q := range stmts {
		if _, err := d.Writer().ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	d.Close()
}

// config is the Config the commands parse from the installation's environment.
func (in *install) config(t testing.TB) config.Config {
	t.Helper()
	cfg := config.Default()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	check := cfg.Flags(fs, in.getenv)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if err := check(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// withEnv opens the installation as the commands do, configured from the
// same environment, and hands its services to fn.
func (in *install) withEnv(t testing.TB, fn func(e *env)) {
	t.Helper()
	e, err := open(t.Context(), in.config(t), stdio{in: strings.NewReader(""), out: io.Discard, err: io.Discard}, false)
	if err != nil {
		t.Fatalf("open installation: %v", err)
	}
	defer e.close()
	fn(e)
}

// signIn signs email in with testPassword and returns the session's actor.
func signIn(t testing.TB, e *env, email string) (access.Actor, auth.Stage) {
	t.Helper()
	ctx := t.Context()
	tok, _, err := e.auth.Login(ctx, auth.LoginInput{Email: email, Password: testPassword, IP: "127.0.0.1", UserAgent: "test"})
	if err != nil {
		t.Fatalf("sign in %s: %v", email, err)
	}
	a, err := e.auth.Authenticate(ctx, tok, "127.0.0.1", "test", "")
	if err != nil {
		t.Fatalf("authenticate %s: %v", email, err)
	}
	return a.Actor, a.Stage
}

// beginTOTP starts authenticator enrolment for email and returns the secret.
func (in *install) beginTOTP(t testing.TB, email string) string {
	t.Helper()
	var secret string
	in.withEnv(t, func(e *env) {
		a, _ := signIn(t, e, email)
		en, err := e.auth.BeginTOTP(t.Context(), a)
		if err != nil {
			t.Fatalf("begin TOTP: %v", err)
		}
		secret = en.Secret
	})
	return secret
}

// confirmTOTP finishes enrolment for email with a code from secret.
func (in *install) confirmTOTP(t testing.TB, email, secret string) {
	t.Helper()
	in.withEnv(t, func(e *env) {
		a, _ := signIn(t, e, email)
		if _, err := e.auth.ConfirmTOTP(t.Context(), a, code(t, secret, time.Now())); err != nil {
			t.Fatalf("confirm TOTP: %v", err)
		}
	})
}

func code(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// server is a `serve` or `demo` running in a goroutine.
type server struct {
	URL     string
	stdout  *lockedBuffer
	stderr  *lockedBuffer
	cancel  context.CancelFunc
	done    chan int
	stopped bool
}

var servingRE = regexp.MustCompile(`msg=serving url=(\S+)`)

// start runs args (serve or demo) until the test stops it, and waits for
// the "serving" log line. The server is stopped at cleanup if the test did not.
func (in *install) start(t testing.TB, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() { s.done <- run(ctx, args, in.getenv, strings.NewReader(""), s.stdout, s.stderr) }()
	t.Cleanup(func() {
		if !s.stopped {
			s.stop(t)
		}
	})
	m := s.waitFor(t, s.stderr, servingRE)
	s.URL = m[1]
	return s
}

// waitFor polls buf until re matches it and returns the match. It fails the
// test if the command exits first or nothing matches within 30 seconds: the
// demo seeds its practice before it prints, which takes about 5 s on a quiet
// two-core machine and twice that on a busy one.
func (s *server) waitFor(t testing.TB, buf *lockedBuffer, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := re.FindStringSubmatch(buf.String()); m != nil {
			return m
		}
		select {
		case code := <-s.done:
			s.stopped = true
			t.Fatalf("server exited with %d before %q appeared\nstdout: %s\nstderr: %s", code, re, s.stdout, s.stderr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q within 30s\nstdout: %s\nstderr: %s", re, s.stdout, s.stderr)
		}
	}
}

// stop cancels the server's context, as SIGTERM does, and waits at most
// five seconds for it to return.
func (s *server) stop(t testing.TB) result {
	t.Helper()
	s.stopped = true
	s.cancel()
	select {
	case code := <-s.done:
		return result{code: code, stdout: s.stdout.String(), stderr: s.stderr.String()}
	case <-time.After(5 * time.Second):
		t.Fatalf("server still running 5s after its context ended\nstderr: %s", s.stderr)
		return result{}
	}
}

// noJobsRunning fails the test unless every goroutine of the job runner
// (River) has ended within two seconds: a server that returned must not
// leave jobs working on a closed database. It looks at every goroutine in the
// process, which is why the tests in this package do not run in parallel.
func noJobsRunning(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	buf := make([]byte, 1<<20)
	for {
		var river []string
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			if strings.Contains(g, "github.com/riverqueue/river") {
				river = append(river, g)
			}
		}
		if len(river) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d job runner goroutines still running after the server returned; the first:\n%s", len(river), river[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// get requests path with the bearer token (none when empty) and returns the
// status and body.
func (s *server) get(t testing.TB, path, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// eachEngine runs fn as subtests "sqlite" and "postgres".
func eachEngine(t *testing.T, fn func(t *testing.T, e db.Engine)) {
	t.Helper()
	for _, e := range dbtest.Engines {
		t.Run(string(e), func(t *testing.T) { fn(t, e) })
	}
}

// checkResult reports how r differs from the wanted exit code and the
// wanted pieces of output.
func checkResult(t testing.TB, r result, wantCode int, wantOut, wantErr []string) {
	t.Helper()
	if r.code != wantCode {
		t.Errorf("exit code = %d, want %d\nstdout: %s\nstderr: %s", r.code, wantCode, r.stdout, r.stderr)
	}
	for _, w := range wantOut {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("stdout does not contain %q:\n%s", w, r.stdout)
		}
	}
	for _, w := range wantErr {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr does not contain %q:\n%s", w, r.stderr)
		}
	}
}

func TestCommandLine(t *testing.T) {
	type test struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  []string
	}
	tests := []test{
		{"Version", []string{"version"}, 0, []string{"mentalspace "}, nil},
		{"Help", []string{"help"}, 0, []string{"Usage: mentalspace <command>", "keys"}, nil},
		{"HelpFlag", []string{"--help"}, 0, []string{"Usage: mentalspace <command>"}, nil},
		{"ErrNoArguments", nil, 2, []string{"Usage: mentalspace <command>"}, nil},
		{"ErrUnknownCommand", []string{"frobnicate"}, 2, nil, []string{`unknown command "frobnicate"`, "Usage: mentalspace <command>"}},
		{"ErrUnknownFlag", []string{"migrate", "--frobnicate"}, 1, nil, []string{"flag provided but not defined: -frobnicate"}},
		{"ErrUnexpectedArgument", []string{"version", "extra"}, 1, nil, []string{"unexpected arguments: extra"}},
		{"ErrUserNoSubcommand", []string{"user"}, 1, nil, []string{"name a subcommand"}},
		{"ErrUserUnknownSubcommand", []string{"user", "delete"}, 1, nil, []string{`unknown subcommand "delete"`}},
		{"ErrTokenNoSubcommand", []string{"token"}, 1, nil, []string{"the only subcommand is create"}},
		{"ErrAuditNoSubcommand", []string{"audit"}, 1, nil, []string{"the only subcommand is verify"}},
		{"ErrKeysNoSubcommand", []string{"keys"}, 1, nil, []string{"the only subcommand is rotate"}},
		{"ErrBadAddr", []string{"serve", "--addr", "nonsense"}, 1, nil, []string{"not host:port"}},
	}
	// Every command's --help, and every subcommand's.
	helps := [][]string{{"user", "add"}, {"user", "list"}, {"user", "disable"}, {"user", "reset-mfa"},
		{"token", "create"}, {"audit", "verify"}, {"keys", "rotate"}}
	for _, c := range commands() {
		helps = append(helps, []string{c.name})
	}
	for _, h := range helps {
		args := append(slices.Clone(h), "--help")
		tests = append(tests, test{"Help_" + strings.Join(h, "_"), args, 0, nil, []string{"Usage: mentalspace " + strings.Join(h, " ")}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newInstall(t, db.SQLite)
			r := in.run(t, "", tt.args...)
			checkResult(t, r, tt.wantCode, tt.wantOut, tt.wantErr)
			// Nothing here may open, create or migrate a database.
			if ents, err := os.ReadDir(in.dir); err != nil || len(ents) != 0 {
				t.Errorf("data directory after %v holds %v (%v), want nothing", tt.args, ents, err)
			}
		})
	}
}

func TestUserCommands(t *testing.T) {
	eachEngine(t, func(t *testing.T, e db.Engine) {
		in := newInstall(t, e)
		const admin, clinician = "admin@example.org", "clinician@example.org"
		addAdmin := []string{"user", "add", "--email", admin, "--name", "Ada Admin", "--role", "admin", "--practice", "Harbour Counselling"}
		addClinician := []string{"user", "add", "--email", clinician, "--name", "Cal Clinician", "--role", "clinician", "--credentials", "LCSW"}
		// The steps run in order on one installation.
		steps := []struct {
			name     string
			stdin    string
			args     []string
			wantCode int
			wantOut  []string
			wantErr  []string
			// notOut must not appear on stdout.
			notOut []string
		}{
			{"ErrFirstUserNotAdmin", testPassword + "\n", addClinician, 1, nil, []string{"the first account must be an administrator"}, nil},
			{"ErrPasswordTooShort", "short pw\n", addAdmin, 1, nil, []string{"password: Use at least 12 characters"}, nil},
			{"ErrPasswordCommon", "Password2024!\n", addAdmin, 1, nil, []string{"password: This password is too common"}, nil},
			{"ErrPasswordMissing", "", addAdmin, 1, nil, []string{"give the password on standard input"}, nil},
			{"ErrEmailMissing", testPassword + "\n", []string{"user", "add", "--name", "Ada Admin", "--role", "admin"}, 1, nil, []string{"--email is required"}, nil},
			{"ErrRoleUnknown", testPassword + "\n", []string{"user", "add", "--email", admin, "--name", "Ada Admin", "--role", "wizard"}, 1, nil, []string{"--role must list"}, nil},
			{"RefusalsChangedNothing", "", []string{"user", "list"}, 0, []string{"ID  EMAIL"}, nil, []string{"@example.org"}},
			{"SetUpPracticeAndAdmin", testPassword + "\n", addAdmin, 0, []string{`created practice "Harbour Counselling" and administrator ` + admin}, nil, nil},
			{"SecondAdminIsNotSetUp", "another long passphrase\n", []string{"user", "add", "--email", "other@example.org", "--name", "Other", "--role", "admin"}, 0, []string{"created other@example.org", "with roles admin"}, nil, []string{"created practice"}},
			{"ErrClinicianPasswordCommon", "qwertyuiop123\n", addClinician, 1, nil, []string{"too common"}, nil},
			{"AddClinician", testPassword + "\n", addClinician, 0, []string{"created " + clinician, "with roles clinician"}, nil, nil},
			{"ErrEmailTaken", testPassword + "\n", addClinician, 1, nil, []string{"email: Another account already uses this email address"}, nil},
			{"ErrDisableEmailMissing", "", []string{"user", "disable"}, 1, nil, []string{"--email is required"}, nil},
			{"ErrResetMFAEmailMissing", "", []string{"user", "reset-mfa"}, 1, nil, []string{"--email is required"}, nil},
			{"ErrDisableUnknown", "", []string{"user", "disable", "--email", "nobody@example.org"}, 1, nil, []string{"not found"}, nil},
			{"Disable", "", []string{"user", "disable", "--email", clinician}, 0, []string{"disabled " + clinician}, nil, nil},
			{"ResetMFA", "", []string{"user", "reset-mfa", "--email", clinician}, 0, []string{"two-step sign-in reset for " + clinician}, nil, nil},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				r := in.run(t, st.stdin, st.args...)
				checkResult(t, r, st.wantCode, st.wantOut, st.wantErr)
				for _, w := range st.notOut {
					if strings.Contains(r.stdout, w) {
						t.Errorf("stdout contains %q:\n%s", w, r.stdout)
					}
				}
			})
		}

		t.Run("List", func(t *testing.T) {
			r := in.mustRun(t, "", "user", "list")
			got := map[string][]string{}
			for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
				f := strings.Fields(line)
				// ID EMAIL NAME… ROLES STATUS MFA: the name may hold spaces.
				got[f[1]] = []string{f[len(f)-3], f[len(f)-2], f[len(f)-1]}
			}
			want := map[string][]string{
				admin:               {"admin", "active", "off"},
				"other@example.org": {"admin", "active", "off"},
				clinician:           {"clinician", "disabled", "off"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("user list (-want +got):\n%s\n%s", diff, r.stdout)
			}
			if !strings.Contains(r.stdout, "Cal Clinician, LCSW") {
				t.Errorf("user list does not name the clinician:\n%s", r.stdout)
			}
		})

		t.Run("ResetMFATurnsItOff", func(t *testing.T) {
			in.confirmTOTP(t, admin, in.beginTOTP(t, admin))
			if r := in.mustRun(t, "", "user", "list"); !regexp.MustCompile(`(?m)^1\s+admin@example.org\s.*\son\s*$`).MatchString(r.stdout) {
				t.Fatalf("after enrolment the admin's MFA is not on:\n%s", r.stdout)
			}
			in.mustRun(t, "", "user", "reset-mfa", "--email", admin)
			if r := in.mustRun(t, "", "user", "list"); !regexp.MustCompile(`(?m)^1\s+admin@example.org\s.*\soff\s*$`).MatchString(r.stdout) {
				t.Fatalf("after reset-mfa the admin's MFA is not off:\n%s", r.stdout)
			}
		})
	})
}

func TestLastAdminCannotBeDisabled(t *testing.T) {
	in := newInstall(t, db.SQLite)
	in.setUp(t)
	r := in.run(t, "", "user", "disable", "--email", "admin@example.org")
	checkResult(t, r, 1, nil, []string{"at least one active administrator"})
}

func TestTokenAndServe(t *testing.T) {
	eachEngine(t, func(t *testing.T, e db.Engine) {
		in := newInstall(t, e)
		in.setUp(t)
		// A second administrator, so that the first may be disabled.
		in.mustRun(t, testPassword+"\n", "user", "add", "--email", "second@example.org", "--name", "Sam Second", "--role", "admin")

		checkResult(t, in.run(t, "", "token", "create"), 1, nil, []string{"--email is required"})
		checkResult(t, in.run(t, "", "token", "create", "--email", "nobody@example.org"), 1, nil, []string{"not found"})

		r := in.mustRun(t, "", "token", "create", "--email", "admin@example.org", "--name", "test script")
		if !regexp.MustCompile(`^mst_[A-Za-z0-9_-]+\n$`).MatchString(r.stdout) {
			t.Fatalf("token create stdout = %q, want only the token on one line", r.stdout)
		}
		token := strings.TrimSpace(r.stdout)

		srv := in.start(t, "serve", "--addr", "127.0.0.1:0")
		if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
			t.Fatalf("serving URL = %q, want http://127.0.0.1:PORT", srv.URL)
		}

		// An administrator's token works only once the account has MFA.
		if status, _ := srv.get(t, "/api/v1/me", token); status != http.StatusUnauthorized {
			t.Fatalf("GET /api/v1/me before MFA = %d, want 401", status)
		}
		in.confirmTOTP(t, "admin@example.org", in.beginTOTP(t, "admin@example.org"))

		status, body := srv.get(t, "/api/v1/me", token)
		if status != http.StatusOK {
			t.Fatalf("GET /api/v1/me = %d %s, want 200", status, body)
		}
		type user struct {
			Email  string   `json:"email"`
			Name   string   `json:"name"`
			Status string   `json:"status"`
			Roles  []string `json:"roles"`
		}
		var me user
		if err := json.Unmarshal(body, &me); err != nil {
			t.Fatalf("GET /api/v1/me body %s: %v", body, err)
		}
		want := user{Email: "admin@example.org", Name: "Ada Admin", Status: "active", Roles: []string{"admin"}}
		if diff := cmp.Diff(want, me); diff != "" {
			t.Errorf("GET /api/v1/me (-want +got):\n%s", diff)
		}
		if status, body := srv.get(t, "/api/v1/me", ""); status != http.StatusUnauthorized {
			t.Errorf("GET /api/v1/me without a token = %d %s, want 401", status, body)
		}
		if status, body := srv.get(t, "/api/v1/me", "mst_not-a-real-token"); status != http.StatusUnauthorized {
			t.Errorf("GET /api/v1/me with a made-up token = %d %s, want 401", status, body)
		}

		// The operator disables the account while the server runs.
		in.mustRun(t, "", "user", "disable", "--email", "admin@example.org")
		if status, body := srv.get(t, "/api/v1/me", token); status != http.StatusUnauthorized {
			t.Errorf("GET /api/v1/me after disable = %d %s, want 401", status, body)
		}
		checkResult(t, in.run(t, "", "token", "create", "--email", "admin@example.org"), 1, nil, []string{"disabled"})

		start := time.Now()
		r = srv.stop(t)
		checkResult(t, r, 0, nil, []string{"msg=\"shutting down\"", "msg=stopped"})
		t.Logf("graceful shutdown took %s", time.Since(start).Round(time.Millisecond))
		noJobsRunning(t)
	})
}

// auditCount counts the installation's audit entries.
func (in *install) auditCount(t testing.TB) int {
	t.Helper()
	d := in.openDB(t)
	defer d.Close()
	var n int
	if err := d.Read().QueryRowContext(t.Context(), `SELECT count(*) FROM audit_log`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAuditVerify(t *testing.T) {
	eachEngine(t, func(t *testing.T, e db.Engine) {
		in := newInstall(t, e)
		in.setUp(t)
		in.mustRun(t, testPassword+"\n", "user", "add", "--email", "clinician@example.org", "--name", "Cal Clinician", "--role", "clinician")
		n := in.auditCount(t)
		if n < 3 {
			t.Fatalf("audit log holds %d entries, want at least 3", n)
		}
		r := in.run(t, "", "audit", "verify")
		checkResult(t, r, 0, []string{"audit log intact: " + strconv.Itoa(n) + " entries verified"}, nil)

		// Someone with database access edits entry 2, getting past the
		// append-only trigger first.
		switch e {
		case db.SQLite:
			in.exec(t, `DROP TRIGGER audit_log_no_update`, `UPDATE audit_log SET detail = 'x' WHERE seq = 2`)
		case db.Postgres:
			in.exec(t, `ALTER TABLE audit_log DISABLE TRIGGER USER`, `UPDATE audit_log SET detail = 'x' WHERE seq = 2`)
		}
		r = in.run(t, "", "audit", "verify")
		checkResult(t, r, 1, nil, []string{"audit chain broken at entry 2", "altered"})
		if r.stdout != "" {
			t.Errorf("stdout after a failed verify = %q, want nothing", r.stdout)
		}
	})
}

func TestAuditVerifyNoDatabase(t *testing.T) {
	in := newInstall(t, db.SQLite)
	in.env["MENTALSPACE_DATA_DIR"] = filepath.Join(in.dir, "typo")
	checkResult(t, in.run(t, "", "audit", "verify"), 1, nil, []string{"no database at " + filepath.Join(in.dir, "typo", "mentalspace.db")})
	if ents, _ := os.ReadDir(in.dir); len(ents) != 0 {
		t.Errorf("audit verify made %v in the data directory's parent, want nothing", ents)
	}
}

func TestBackup(t *testing.T) {
	in := newInstall(t, db.SQLite)
	in.setUp(t)
	in.mustRun(t, testPassword+"\n", "user", "add", "--email", "clinician@example.org", "--name", "Cal Clinician", "--role", "clinician")
	out := filepath.Join(t.TempDir(), "copy.db")

	r := in.run(t, "", "backup", "--out", out)
	checkResult(t, r, 0, []string{"backup written to " + out, "integrity ok", "master key"}, nil)
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode = %04o, want 0600", fi.Mode().Perm())
	}
	b, err := db.Open(t.Context(), db.Options{Path: out, MaxConns: 1})
	if err != nil {
		t.Fatalf("open backup: %v", err)
	}
	defer b.Close()
	rows, err := b.Read().QueryContext(t.Context(), `SELECT email FROM users ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var email string
		if err := rows.Scan(&email); err != nil {
			t.Fatal(err)
		}
		got = append(got, email)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"admin@example.org", "clinician@example.org"}, got); diff != "" {
		t.Errorf("users in the backup (-want +got):\n%s", diff)
	}

	before, _ := os.ReadFile(out)
	r = in.run(t, "", "backup", "--out", out)
	checkResult(t, r, 1, nil, []string{"already exists"})
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Error("a refused backup changed the existing file")
	}
}

func TestBackupNoDatabase(t *testing.T) {
	in := newInstall(t, db.SQLite)
	r := in.run(t, "", "backup", "--out", filepath.Join(t.TempDir(), "copy.db"))
	checkResult(t, r, 1, nil, []string{"no database at"})
}

// storedSecret returns the admin's sealed TOTP secret as stored.
func (in *install) storedSecret(t testing.TB) string {
	t.Helper()
	d := in.openDB(t)
	defer d.Close()
	var s string
	if err := d.Read().QueryRowContext(t.Context(), `SELECT totp_secret FROM users WHERE email = 'admin@example.org'`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

var rotatedRE = regexp.MustCompile(`^new data key (\S+) is active; (\d+) stored values re-encrypted under it\n$`)

func TestKeysRotate(t *testing.T) {
	in := newInstall(t, db.SQLite)
	in.setUp(t)
	const admin = "admin@example.org"
	secret := in.beginTOTP(t, admin)
	sealed := in.storedSecret(t)

	t.Run("DataKey", func(t *testing.T) {
		r := in.mustRun(t, "", "keys", "rotate")
		m := rotatedRE.FindStringSubmatch(r.stdout)
		if m == nil {
			t.Fatalf("keys rotate stdout = %q", r.stdout)
		}
		if m[2] != "1" {
			t.Errorf("keys rotate re-encrypted %s values, want 1 (the admin's TOTP secret)", m[2])
		}
		if now := in.storedSecret(t); now == sealed || !strings.Contains(now, m[1]) {
			t.Errorf("stored secret after rotation = %q, want it sealed under %s", now, m[1])
		}
		// Enrolment resumes with the same secret, so it still opens, and
		// the authenticator's code confirms it.
		if got := in.beginTOTP(t, admin); got != secret {
			t.Fatalf("enrolment secret after rotation = %q, want %q", got, secret)
		}
		in.confirmTOTP(t, admin, secret)
	})

	t.Run("MasterKeyFile", func(t *testing.T) {
		keyPath := filepath.Join(in.dir, "master.key")
		old, err := os.ReadFile(keyPath)
		if err != nil {
			t.Fatal(err)
		}
		r := in.mustRun(t, "", "keys", "rotate", "--master")
		checkResult(t, r, 0, []string{"master key replaced", "new data key"}, nil)
		now, err := os.ReadFile(keyPath)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(old, now) {
			t.Error("master.key is unchanged")
		}
		baks, _ := filepath.Glob(filepath.Join(in.dir, "master.key.*.bak"))
		if len(baks) != 1 {
			t.Fatalf("backups of the old master key = %v, want one", baks)
		}
		if bak, _ := os.ReadFile(baks[0]); !bytes.Equal(bak, old) {
			t.Error("the .bak file does not hold the old master key")
		}
		if fi, err := os.Stat(keyPath); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("master.key mode = %v, %v; want 0600", fi.Mode(), err)
		}
		// A fresh process with the new key signs the admin in with TOTP.
		in.withEnv(t, func(e *env) {
			a, stage := signIn(t, e, admin)
			if stage != auth.StageMFAChallenge {
				t.Fatalf("stage after password = %v, want the MFA challenge", stage)
			}
			// The enrolment code used this step: the next one is accepted too.
			if err := e.auth.CompleteMFA(t.Context(), a, code(t, secret, time.Now().Add(30*time.Second))); err != nil {
				t.Fatalf("TOTP sign-in after master rotation: %v", err)
			}
		})
		srv := in.start(t, "serve", "--addr", "127.0.0.1:0")
		checkResult(t, srv.stop(t), 0, nil, nil)
	})
}

func TestKeysRotateMasterFromEnvironment(t *testing.T) {
	in := newInstall(t, db.SQLite)
	in.env["MENTALSPACE_MASTER_KEY"] = crypto.GenerateMasterKey().Encode()
	in.setUp(t)
	in.beginTOTP(t, "admin@example.org")

	r := in.mustRun(t, "", "keys", "rotate", "--master")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "Set MENTALSPACE_MASTER_KEY") || !rotatedRE.MatchString(lines[2]+"\n") {
		t.Fatalf("keys rotate --master stdout = %q", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(in.dir, "master.key")); err == nil {
		t.Error("a master.key file was written although the key comes from the environment")
	}
	// The old key no longer opens the data keys; the printed one does.
	checkResult(t, in.run(t, "", "user", "list"), 1, nil, nil)
	in.env["MENTALSPACE_MASTER_KEY"] = lines[1]
	in.mustRun(t, "", "user", "list")
}

var statusRE = regexp.MustCompile(`^(sqlite|postgres): database at migration (\d+), binary has (\d+)\n$`)

func TestMigrate(t *testing.T) {
	eachEngine(t, func(t *testing.T, e db.Engine) {
		in := newInstall(t, e)
		r := in.run(t, "", "migrate", "--status")
		if m := statusRE.FindStringSubmatch(r.stdout); r.code != 0 || m == nil || m[1] != string(e) || m[2] != "0" {
			t.Fatalf("migrate --status on an empty database: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
		}

		checkResult(t, in.run(t, "", "migrate"), 0, []string{string(e) + ": database at migration", "(current)"}, nil)
		checkResult(t, in.run(t, "", "migrate"), 0, []string{"(current)"}, nil) // again: nothing to do
		r = in.run(t, "", "migrate", "--status")
		m := statusRE.FindStringSubmatch(r.stdout)
		if r.code != 0 || m == nil || m[2] != m[3] || m[2] == "0" {
			t.Fatalf("migrate --status after migrate: exit %d, stdout %q, want current = latest > 0", r.code, r.stdout)
		}

		// A newer binary migrated this database.
		in.exec(t, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, TRUE)`)
		for _, args := range [][]string{
			{"serve", "--addr", "127.0.0.1:0"},
			{"migrate"},
			{"migrate", "--status"},
			{"user", "list"},
		} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				checkResult(t, in.run(t, "", args...), 1, nil, []string{"newer"})
			})
		}
	})
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, in *install)
		args    []string
		wantErr []string
	}{
		{"ServePlainHTTPOnAllInterfaces", nil, []string{"serve", "--addr", "0.0.0.0:0"}, []string{"refusing plain HTTP on 0.0.0.0:0", "--tls-cert"}},
		{"ServeTLSHalfConfigured", nil, []string{"serve", "--addr", "0.0.0.0:0", "--tls-cert", "cert.pem"}, []string{"--tls-cert and --tls-key"}},
		{"DemoOnAllInterfaces", nil, []string{"demo", "--addr", "0.0.0.0:0"}, []string{"loopback only"}},
		{"DemoOnPostgres", nil, []string{"demo", "--addr", "127.0.0.1:0", "--database-url", "postgres://nowhere.invalid/x"}, []string{"unset MENTALSPACE_DATABASE_URL"}},
		{"DemoInForeignDataDir", func(t *testing.T, in *install) {
			if err := os.WriteFile(filepath.Join(in.dir, "precious.txt"), []byte("keep me"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{"demo", "--addr", "127.0.0.1:0"}, []string{"was not made by the demo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newInstall(t, db.SQLite)
			if tt.prepare != nil {
				tt.prepare(t, in)
			}
			before, _ := os.ReadDir(in.dir)
			checkResult(t, in.run(t, "", tt.args...), 1, nil, tt.wantErr)
			// A refusal leaves the data directory as it was.
			after, _ := os.ReadDir(in.dir)
			if len(after) != len(before) {
				t.Errorf("data directory went from %v to %v", before, after)
			}
		})
	}
}

func TestDemo(t *testing.T) {
	in := newInstall(t, db.SQLite)
	in.env["MENTALSPACE_DATA_DIR"] = filepath.Join(in.dir, "demo")
	for _, round := range []string{"Fresh", "WipesItsOwn"} {
		t.Run(round, func(t *testing.T) {
			srv := in.start(t, "demo", "--addr", "127.0.0.1:0")
			srv.waitFor(t, srv.stdout, regexp.MustCompile(`Ctrl-C stops`))
			checkResult(t, srv.stop(t), 0, []string{"MentalSpace demo is running: " + strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), DemoPassword, "clinician@demo.mentalspace.test",
				"sees all 154 clients", "clients on caseload", "more through supervision"}, nil)
			noJobsRunning(t)
			checkDemoCalendar(t, filepath.Join(in.dir, "demo", "mentalspace.db"))
			checkDemoNotes(t, filepath.Join(in.dir, "demo", "mentalspace.db"))
		})
	}
}

// checkDemoCalendar looks into the demo's database for a lived-in calendar:
// months of completed sessions, cancellations (some late, with the fee) and
// no-shows, sessions ahead, a group, couples, intakes, rooms, hours and a
// waitlist; and no clinician booked twice at once.
func checkDemoCalendar(t *testing.T, path string) {
	t.Helper()
	d, err := db.Open(t.Context(), db.Options{Path: path, MaxConns: 1})
	if err != nil {
		t.Fatalf("open demo database: %v", err)
	}
	defer d.Close()
	now := time.Now().UnixMicro()
	for _, c := range []struct {
		what  string
		query string
		min   int
	}{
		{"appointments", `SELECT count(*) FROM appointments`, 500},
		{"completed sessions", `SELECT count(*) FROM appointments WHERE status = 'completed'`, 300},
		{"sessions ahead", `SELECT count(*) FROM appointments WHERE status IN ('scheduled', 'confirmed') AND starts_at > $1`, 100},
		{"sessions three months back", `SELECT count(*) FROM appointments WHERE starts_at < $1 - 80 * 86400000000`, 50},
		{"client cancellations", `SELECT count(*) FROM appointments WHERE status = 'cancelled' AND cancelled_by = 'client'`, 5},
		{"late cancellations with a fee", `SELECT count(*) FROM appointments WHERE late_cancel AND fee_cents > 0`, 1},
		{"no-shows", `SELECT count(*) FROM appointments WHERE status = 'no_show'`, 3},
		{"group sessions of several clients", `SELECT count(*) FROM appointments a JOIN appointment_types t ON t.id = a.type_id
			WHERE t.kind = 'group' AND (SELECT count(*) FROM appointment_clients c WHERE c.appointment_id = a.id) >= 3`, 10},
		{"couples sessions", `SELECT count(*) FROM appointments a JOIN appointment_types t ON t.id = a.type_id WHERE t.kind = 'couple'`, 5},
		{"intakes", `SELECT count(*) FROM appointments a JOIN appointment_types t ON t.id = a.type_id WHERE t.service_code = '90791'`, 3},
		{"series", `SELECT count(*) FROM appointment_series`, 30},
		{"sessions in rooms", `SELECT count(*) FROM appointments WHERE room_id IS NOT NULL`, 50},
		{"telehealth sessions", `SELECT count(*) FROM appointments WHERE telehealth`, 50},
		{"appointment types", `SELECT count(*) FROM appointment_types`, 5},
		{"clinicians with hours", `SELECT count(DISTINCT clinician_id) FROM availability`, 5},
		{"clients waiting", `SELECT count(*) FROM waitlist WHERE status = 'waiting'`, 3},
	} {
		var n int
		var args []any
		if strings.Contains(c.query, "$1") {
			args = append(args, now)
		}
		if err := d.Read().QueryRowContext(t.Context(), c.query, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if n < c.min {
			t.Errorf("demo calendar: %d %s, want at least %d", n, c.what, c.min)
		}
	}
	var overlaps int
	if err := d.Read().QueryRowContext(t.Context(), `SELECT count(*) FROM appointments a JOIN appointments b ON b.clinician_id = a.clinician_id
		AND b.id > a.id AND a.blocks AND b.blocks AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at`).Scan(&overlaps); err != nil || overlaps != 0 {
		t.Errorf("demo calendar: %d double bookings (%v)", overlaps, err)
	}
}

func TestServeStopsJobsWhenReadyFails(t *testing.T) {
	in := newInstall(t, db.SQLite)
	cfg := in.config(t)
	cfg.Addr = "127.0.0.1:0"
	boom := errors.New("seed failed")
	var logs lockedBuffer
	err := serve(t.Context(), cfg, stdio{in: strings.NewReader(""), out: io.Discard, err: &logs}, func(*env, string) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("serve = %v, want %v", err, boom)
	}
	noJobsRunning(t)
	if strings.Contains(logs.String(), "database is closed") {
		t.Errorf("jobs ran on the closed database:\n%s", logs.String())
	}
}

// checkDemoNotes looks into the demo's database for a lived-in clinical
// record: diagnoses, hundreds of signed notes with their hashes (some signed
// past the deadline), co-signed and waiting associate notes, one returned,
// drafts and undocumented sessions, treatment plans (one due for review), an
// elevated risk with a safety plan, and a psychotherapy note.
func checkDemoNotes(t *testing.T, path string) {
	t.Helper()
	d, err := db.Open(t.Context(), db.Options{Path: path, MaxConns: 1})
	if err != nil {
		t.Fatalf("open demo database: %v", err)
	}
	defer d.Close()
	for _, c := range []struct {
		what  string
		query string
		min   int
	}{
		{"active clients with a diagnosis", `SELECT count(DISTINCT client_id) FROM diagnoses WHERE status = 'active'`, 80},
		{"signed notes", `SELECT count(*) FROM notes WHERE status IN ('signed', 'cosigned') AND length(content_hash) = 64`, 500},
		{"notes signed after the deadline", `SELECT count(*) FROM notes WHERE status IN ('signed', 'cosigned') AND signed_at - ends_at > 72 * 3600000000`, 10},
		{"co-signed notes", `SELECT count(*) FROM notes WHERE status = 'cosigned' AND cosigned_name <> ''`, 20},
		{"notes awaiting co-signature", `SELECT count(*) FROM notes WHERE status = 'awaiting_cosign'`, 1},
		{"returned notes", `SELECT count(*) FROM notes WHERE status = 'returned'`, 1},
		{"drafts", `SELECT count(*) FROM notes WHERE status = 'draft'`, 5},
		{"undocumented sessions", `SELECT count(*) FROM appointments a JOIN appointment_clients ac ON ac.appointment_id = a.id
			WHERE a.status = 'completed' AND NOT EXISTS (SELECT 1 FROM notes n WHERE n.appointment_id = a.id AND n.client_id = ac.client_id)`, 3},
		{"treatment plans", `SELECT count(*) FROM notes WHERE kind = 'treatment_plan' AND status = 'signed'`, 5},
		{"treatment plans due for review", `SELECT count(*) FROM notes WHERE kind = 'treatment_plan' AND status = 'signed' AND signed_at < $1 - 90 * 86400000000`, 1},
		{"safety plans", `SELECT count(*) FROM safety_plans`, 1},
		{"elevated risk assessments", `SELECT count(*) FROM risk_assessments WHERE risk_level IN ('moderate', 'high', 'imminent')`, 1},
		{"psychotherapy notes", `SELECT count(*) FROM psychotherapy_notes`, 1},
	} {
		var n int
		var args []any
		if strings.Contains(c.query, "$1") {
			args = append(args, time.Now().UnixMicro())
		}
		if err := d.Read().QueryRowContext(t.Context(), c.query, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if n < c.min {
			t.Errorf("demo record: %d %s, want at least %d", n, c.what, c.min)
		}
	}
}
