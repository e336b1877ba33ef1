package app

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

func mustContain(t *testing.T, b *browser, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(b.last, w) {
			t.Errorf("page (status %d) lacks %q:\n%.1500s", b.status, w, b.last)
		}
	}
}

func TestSetupPageThenSignIn(t *testing.T) {
	ta := newEmptyTestApp(t, db.SQLite)
	b := ta.browser()
	b.get("/")
	if b.status != 200 || !strings.Contains(b.last, "Set up MentalSpace") {
		t.Fatalf("empty install: status %d, want the setup page", b.status)
	}
	// Errors keep what was typed, never the password.
	b.post("/setup", url.Values{"practice_name": {"Lakeside Therapy"}, "practice_time_zone": {"Mars/Olympus"}, "name": {"Pat Owner"}, "email": {"pat@example.org"}, "password": {"password1234"}})
	if b.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad setup status %d", b.status)
	}
	mustContain(t, b, `value="Lakeside Therapy"`, `value="pat@example.org"`, "time zone", "too common", `id="error-summary"`)
	if strings.Contains(b.last, "password1234") {
		t.Error("the page echoes the password")
	}
	b.post("/setup", url.Values{"practice_name": {"Lakeside Therapy"}, "practice_time_zone": {"America/Denver"}, "name": {"Pat Owner"}, "email": {"pat@example.org"}, "password": {testPassword}})
	// Administrators are sent to enrol before anything else.
	mustContain(t, b, "Set up two-step sign-in", `id="totp-secret"`)
	b.get("/staff")
	mustContain(t, b, "Set up two-step sign-in")
	// Setup cannot run twice.
	nb := ta.browser()
	nb.get("/setup")
	mustContain(t, nb, "Sign in")
}

func TestCSRFAndHeaders(t *testing.T) {
	ta := newTestApp(t, db.SQLite)
	b := ta.browser()
	b.signIn("admin@example.org")
	resp := b.post("/account/tokens", url.Values{"token_name": {"x"}, "csrf_token": {"forged"}})
	if b.status != http.StatusForbidden {
		t.Errorf("forged CSRF token: status %d, want 403", b.status)
	}
	for h, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'", "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
	} {
		if got := resp.Header.Get(h); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	// A cross-site form post is refused before it reaches the app.
	req, _ := http.NewRequest("POST", ta.URL+"/login", strings.NewReader("email=a&password=b"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site login post: %d, want 403", r2.StatusCode)
	}
}

func TestStaffPages(t *testing.T) {
	ta := newTestApp(t, db.SQLite)
	b := ta.browser()
	b.signIn("admin@example.org")
	b.get("/staff/new")
	b.post("/staff", url.Values{"name": {"Casey Jones"}, "email": {"casey@"}, "npi": {"1234567890"}, "password": {"amber meadow quiet river"}})
	if b.status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid staff: status %d", b.status)
	}
	mustContain(t, b, `value="Casey Jones"`, "valid NPI", "at least one role")
	b.post("/staff", url.Values{"name": {"Casey Jones"}, "email": {"casey@example.org"}, "npi": {"1234567893"}, "credentials": {"LMFT"},
		"password": {"amber meadow quiet river"}, "roles": {"clinician", "supervisor"}})
	mustContain(t, b, "Casey Jones was added.", "Casey Jones, LMFT", "Clinician, Supervisor")

	casey, err := ta.Auth.FindByEmail(context.Background(), access.Actor{System: true}, "casey@example.org")
	if err != nil {
		t.Fatal(err)
	}
	path := "/staff/" + itoa(casey.ID)
	b.get(path)
	stale := url.Values{"name": {"Casey J."}, "email": {"casey@example.org"}, "roles": {"clinician"}, "version": {itoa(casey.Version)}}
	b.post(path, stale)
	mustContain(t, b, "Changes saved.")
	// A second save from the same (now stale) form is refused and keeps the input.
	stale.Set("name", "Casey Jonas")
	b.post(path, stale)
	if b.status != http.StatusConflict {
		t.Fatalf("stale save: status %d, want 409", b.status)
	}
	mustContain(t, b, "Someone else changed", `value="Casey Jonas"`)

	b.post(path+"/status", url.Values{"status": {"disabled"}})
	mustContain(t, b, "The account is disabled")
	// The disabled account cannot sign in.
	cb := ta.browser()
	cb.post("/login", url.Values{"email": {"casey@example.org"}, "password": {"amber meadow quiet river"}})
	if cb.status != http.StatusUnauthorized {
		t.Errorf("disabled sign-in: status %d", cb.status)
	}
}

func TestSettingsPages(t *testing.T) {
	ta := newTestApp(t, db.SQLite)
	b := ta.browser()
	b.signIn("admin@example.org")
	b.get("/settings")
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(b.last)[1]
	form := url.Values{"name": {"Test Practice"}, "time_zone": {"America/New_York"}, "session_idle_minutes": {"15"}, "group_npi": {"1111111111"},
		"tax_id": {"12-3456789"}, "state": {"NY"}, "postal_code": {"10001"}, "version": {version}}
	b.post("/settings", form)
	if b.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad NPI: status %d", b.status)
	}
	mustContain(t, b, `value="1111111111"`, "valid NPI")
	form.Set("group_npi", "1245319599")
	form.Set("require_mfa_all", "1")
	b.post("/settings", form)
	mustContain(t, b, "Settings saved.", `name="require_mfa_all" value="1" checked`)

	b.post("/settings/locations", url.Values{"loc_name": {""}, "loc_place_of_service": {"11"}})
	mustContain(t, b, "Enter the location&#39;s name.")
	b.post("/settings/locations", url.Values{"loc_name": {"Main office"}, "loc_city": {"Albany"}, "loc_state": {"NY"}, "loc_place_of_service": {"11"}})
	mustContain(t, b, "Location added.", "Main office")
	id := regexp.MustCompile(`/settings/locations/(\d+)/active`).FindStringSubmatch(b.last)[1]
	b.post("/settings/locations/"+id+"/active", url.Values{"active": {"0"}})
	mustContain(t, b, "Location updated.", "Inactive")

	// Now every staff member must enrol: a clinician is sent to set-up.
	ta.addUser("clin@example.org", access.RoleClinician)
	cb := ta.browser()
	cb.post("/login", url.Values{"email": {"clin@example.org"}, "password": {testPassword}})
	mustContain(t, cb, "Set up two-step sign-in")
}

func TestAccountPage(t *testing.T) {
	ta := newTestApp(t, db.SQLite)
	b := ta.browser()
	b.signIn("admin@example.org")
	b.get("/account")
	b.post("/account/tokens", url.Values{"token_name": {"nightly export"}})
	mustContain(t, b, "Copy your new API token now", "nightly export")
	token := regexp.MustCompile(`id="new-token">(mst_[a-z0-9]+)<`).FindStringSubmatch(b.last)
	if token == nil {
		t.Fatal("no token on the page")
	}
	b.get("/account")
	if strings.Contains(b.last, token[1]) {
		t.Error("the token is shown again")
	}
	b.post("/account/password", url.Values{"current_password": {"not it at all"}, "new_password": {"cobalt orchard winter bell"}})
	mustContain(t, b, "This is not your current password.")
	// A second browser's session ends when the password changes.
	other := ta.browser()
	other.signIn("admin@example.org")
	b.post("/account/password", url.Values{"current_password": {testPassword}, "new_password": {"cobalt orchard winter bell"}})
	mustContain(t, b, "Your password was changed.")
	other.get("/account")
	mustContain(t, other, "Sign in")
	// Sign out everywhere ends this one too.
	b.post("/account/sessions/revoke-all", nil)
	b.get("/account")
	mustContain(t, b, "Sign in")
}

func TestAuditPageAndExport(t *testing.T) {
	ta := newTestApp(t, db.SQLite)
	b := ta.browser()
	b.signIn("admin@example.org")
	b.get("/audit?action=login&sort=user&dir=asc")
	mustContain(t, b, `id="audit-table"`, `aria-sort="ascending"`, "login",
		// Links keep every filter (built whole, not escaped after "?").
		`href="/audit.csv?action=login&amp;dir=asc&amp;sort=user"`, `href="/audit?action=login&amp;dir=desc&amp;sort=user"`)
	b.get("/audit?from=not-a-date")
	if b.status != http.StatusUnprocessableEntity {
		t.Errorf("bad date: status %d", b.status)
	}
	b.get("/audit.csv?action=login")
	if !strings.HasPrefix(b.last, "seq,time_utc,user_id") || !strings.Contains(b.last, ",login,") {
		t.Errorf("csv = %.300s", b.last)
	}
	page, err := ta.Audit.Find(context.Background(), access.Actor{System: true}, audit.Filter{Action: audit.ActionExport})
	if err != nil || page.Total != 1 {
		t.Errorf("export audited %d times, %v; want 1", page.Total, err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestStaffSupervisionPages(t *testing.T) {
	for _, engine := range dbtest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			if engine == db.Postgres {
				dbtest.PostgresSchema(t) // skips, or fails under CI, without a server
			}
			ta := newTestApp(t, engine)
			sam := ta.addStaff("sam@example.org", "Sam Patel", access.RoleAssociate)
			morgan := ta.addStaff("morgan@example.org", "Morgan Lee", access.RoleSupervisor)
			rue := ta.addStaff("rue@example.org", "Rue Vance", access.RoleSupervisor, access.RoleClinician)
			b := ta.browser()
			b.signIn("admin@example.org")
			path := "/staff/" + itoa(sam.ID)
			b.get(path)
			mustContain(t, b, `id="supervision"`, ">Morgan Lee<", ">Rue Vance<", `name="starts_on_1"`)
			// Two supervisors and no primary: refused, with what was chosen kept.
			b.post(path+"/supervision", url.Values{"supervisor_1": {itoa(morgan.ID)}, "supervisor_2": {itoa(rue.ID)}, "starts_on_2": {"2026-01-01"}})
			if b.status != http.StatusUnprocessableEntity {
				t.Fatalf("no primary: status %d", b.status)
			}
			mustContain(t, b, "exactly one primary", `value="2026-01-01"`)
			b.post(path+"/supervision", url.Values{"supervisor_1": {itoa(morgan.ID)}, "primary": {"1"}, "supervisor_2": {itoa(rue.ID)},
				"starts_on_2": {"2026-01-01"}, "ends_on_2": {"2026-12-31"}})
			mustContain(t, b, "Supervision saved.", `value="2026-12-31"`)
			links, err := ta.Clients.Supervision(context.Background(), access.Actor{System: true}, sam.ID)
			if err != nil || len(links) != 2 || !links[0].Primary || links[0].SupervisorID != morgan.ID || links[1].EndsOn != "2026-12-31" {
				t.Errorf("links = %+v, %v", links, err)
			}
			// Front desk cannot change supervision.
			ta.addStaff("desk@example.org", "Dana Desk", access.RoleFrontDesk)
			desk := ta.browser()
			desk.signIn("desk@example.org")
			desk.post(path+"/supervision", url.Values{"supervisor_1": {itoa(morgan.ID)}, "primary": {"1"}})
			if desk.status != http.StatusForbidden {
				t.Errorf("front desk: status %d", desk.status)
			}
		})
	}
}

// TestSessionRotatedAtSecondFactor: the token a browser holds after the
// password step stops working when the second factor is checked, and the
// browser gets a new one; so a token seen before sign-in finished never
// becomes a signed-in session.
func TestSessionRotatedAtSecondFactor(t *testing.T) {
	ta := newTestApp(t, db.SQLite)
	email := "admin@example.org"
	b := ta.browser()
	b.post("/login", url.Values{"email": {email}, "password": {testPassword}})
	site, _ := url.Parse(ta.URL)
	before := b.c.Jar.Cookies(site)
	code, _ := totp.GenerateCode(ta.secrets[email], time.Now())
	b.get("/login/mfa")
	b.post("/login/mfa", url.Values{"code": {code}})
	if b.status == http.StatusUnprocessableEntity { // this 30-second code was used already
		b.post("/login/mfa", url.Values{"code": {ta.recovery[email][0]}})
	}
	if !strings.Contains(b.last, "Welcome") {
		t.Fatalf("second factor: status %d, want the home page", b.status)
	}
	after := b.c.Jar.Cookies(site)
	jar := func(cs []*http.Cookie) string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Name+"="+c.Value)
		}
		return strings.Join(out, "; ")
	}
	if len(before) == 0 || jar(before) == jar(after) {
		t.Fatalf("cookies before %v and after %v the second factor: want a new session token", before, after)
	}
	for _, c := range []struct {
		name    string
		cookies []*http.Cookie
		want    string
	}{{"the token from before the second factor", before, "Sign in"}, {"the new token", after, "Welcome"}} {
		other := ta.browser()
		other.c.Jar.SetCookies(site, c.cookies)
		other.get("/")
		if !strings.Contains(other.last, c.want) {
			t.Errorf("%s: status %d, want a page with %q", c.name, other.status, c.want)
		}
	}
}
