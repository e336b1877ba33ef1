package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/go-cmp/cmp"
	"github.com/pquerna/otp/totp"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

func TestRelyingParty(t *testing.T) {
	type rp struct {
		ID      string
		Origins []string
	}
	tests := []struct {
		name, publicURL, addr string
		tls, behindProxy      bool
		want                  rp
	}{
		{"PublicURLWins", "https://ehr.example.org", "127.0.0.1:8080", false, true, rp{"ehr.example.org", []string{"https://ehr.example.org"}}},
		{"PublicURLWithPort", "https://ehr.example.org:8443", "127.0.0.1:8080", false, true, rp{"ehr.example.org", []string{"https://ehr.example.org:8443"}}},
		{"PublicURLIPOff", "https://192.0.2.10", "127.0.0.1:8080", false, true, rp{}},
		{"LoopbackIsLocalhost", "", "127.0.0.1:8080", false, false, rp{"localhost", []string{"http://localhost:8080"}}},
		{"IPv6Loopback", "", "[::1]:8080", false, false, rp{"localhost", []string{"http://localhost:8080"}}},
		{"Localhost", "", "localhost:9000", false, false, rp{"localhost", []string{"http://localhost:9000"}}},
		{"HostNameOverTLS", "", "ehr.example.org:443", true, false, rp{"ehr.example.org", []string{"https://ehr.example.org"}}},
		{"HostNameOtherPort", "", "ehr.example.org:8443", true, false, rp{"ehr.example.org", []string{"https://ehr.example.org:8443"}}},
		{"AllInterfacesOff", "", "0.0.0.0:8080", true, false, rp{}},
		{"BareIPOff", "", "192.0.2.10:443", true, false, rp{}},
		{"BehindProxyOff", "", "127.0.0.1:8080", false, true, rp{}},
		{"MalformedOff", "", "nonsense", false, false, rp{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, origins := RelyingParty(tt.publicURL, tt.addr, tt.tls, tt.behindProxy)
			if diff := cmp.Diff(tt.want, rp{id, origins}); diff != "" {
				t.Errorf("RelyingParty(%q) (-want +got):\n%s", tt.addr, diff)
			}
		})
	}
}

// localhost is the test server's URL as localhost: WebAuthn refuses an IP
// address as the relying party id, so passkeys work only by name.
func localhost(u string) string { return strings.Replace(u, "://127.0.0.1:", "://localhost:", 1) }

// passkeyStep clicks what, which starts a passkey ceremony in passkey.js,
// and waits for next; the script's error message, if it shows one, fails
// the test at once rather than at the time-out.
func (b *tab) passkeyStep(what, click, next string) {
	b.t.Helper()
	b.do(what, chromedp.Click(chromedp.CSS(click)), chromedp.WaitVisible(chromedp.CSS(next+", #passkey-status.field-error")))
	if msg := run(b, what+": read status", chromedp.Evaluate[string](
		`(document.querySelector('#passkey-status.field-error') || {textContent: ''}).textContent`)); msg != "" {
		b.fatalf("%s: passkey.js says %q", what, msg)
	}
}

// Passkeys in a real browser with Chrome's virtual authenticator: an
// administrator adds one on My account, signs out, and passes the second
// step with it; a new administrator enrols one instead of an authenticator
// app and is shown recovery codes.
func TestBrowserPasskey(t *testing.T) {
	chromiumPath(t)
	start := time.Now()
	ta := newTestApp(t, db.SQLite)
	byAddress := ta.URL
	ta.URL = localhost(ta.URL)
	b := newTab(t, ta)
	ctx := context.Background()

	if _, err := chromedp.Call(b.ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		b.fatalf("enable WebAuthn: %v", err)
	}
	if _, err := chromedp.Call(b.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
	}}); err != nil {
		b.fatalf("add a virtual authenticator: %v", err)
	}
	t.Logf("app, browser and authenticator ready in %v", time.Since(start).Round(time.Millisecond))

	signIn := func(email string, next string) {
		t.Helper()
		b.open("/login", `form[action="/login"]`)
		b.fill([][2]string{{"email", email}, {"password", testPassword}})
		b.follow("sign in as "+email, chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)), next)
	}
	signOut := func() {
		t.Helper()
		b.follow("sign out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), `form[action="/login"]`)
	}

	// Signed in with password and code, the administrator adds a passkey.
	const admin = "admin@example.org"
	signIn(admin, "#f-code")
	if n := run(b, "count passkey buttons", chromedp.Evaluate[int](`document.querySelectorAll('#passkey-login').length`)); n != 0 {
		t.Errorf("the challenge page offers a passkey to an account without one")
	}
	code, err := totp.GenerateCode(ta.secrets[admin], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.do("type the code", chromedp.SendKeys(chromedp.ID("f-code"), code))
	b.follow("submit the code", chromedp.KeyEvent(kb.Enter), "#h-practice")
	b.open("/account", "#passkey-register")
	b.checkLabels("account", false)
	b.fill([][2]string{{"passkey_name", "Test laptop"}})
	b.passkeyStep("add a passkey", `#passkey-register button[type=submit]`, "#passkey-table")
	if flash := run(b, "read flash", chromedp.Text(chromedp.CSS("main .notice.ok"))); flash != "Passkey “Test laptop” was added." {
		t.Errorf("flash = %q", flash)
	}
	rows := b.tableRows("#passkey-table")
	if len(rows) != 1 || rows[0][0] != "Test laptop" || rows[0][2] != "Never" {
		t.Fatalf("passkey table = %q, want one unused passkey named Test laptop", rows)
	}
	b.screenshot("account-passkeys.png")
	signOut()

	// Password, then the passkey.
	signIn(admin, "#passkey-login")
	b.screenshot("mfa-passkey.png")
	b.passkeyStep("use the passkey", "#passkey-login", "#h-practice")
	b.open("/account", "#passkey-table")
	if rows := b.tableRows("#passkey-table"); len(rows) != 1 || rows[0][2] == "Never" {
		t.Errorf("passkey table after sign-in = %q, want a last use", rows)
	}
	u, err := ta.Auth.FindByEmail(ctx, access.Actor{System: true}, admin)
	if err != nil {
		t.Fatal(err)
	}
	page, err := ta.Audit.Find(ctx, access.Actor{System: true}, audit.Filter{UserID: u.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var added, passed bool
	for _, e := range page.Entries {
		added = added || (e.Action == audit.ActionUpdate && e.ObjectType == "user.mfa" && e.Detail == "passkey added")
		passed = passed || (e.Action == audit.ActionLogin && e.ObjectType == "user.mfa" && e.Detail == "passkey" && e.Outcome == audit.Success)
	}
	if !added || !passed {
		t.Errorf("audit: passkey added %v, login user.mfa passkey %v; want both", added, passed)
	}
	signOut()

	// At the numeric address the same account is told where passkeys work,
	// and offered no button that could only fail.
	byName := ta.URL
	ta.URL = byAddress
	hb := ta.browser()
	hb.post("/login", url.Values{"email": {admin}, "password": {testPassword}})
	ta.URL = byName
	if strings.Contains(hb.last, `id="passkey-login"`) || !strings.Contains(hb.last, byName+"/login") {
		t.Errorf("challenge page at %s: want no passkey button and a link to %s, page:\n%.1500s", byAddress, byName, hb.last)
	}

	// A new administrator enrols a passkey instead of an authenticator app.
	const second = "second.admin@example.org"
	ta.addUser(second, access.RoleAdmin)
	signIn(second, "#passkey-register")
	b.checkLabels("two-step set-up", false)
	b.screenshot("mfa-enrol-passkey.png")
	b.fill([][2]string{{"passkey_name", "Desk key"}})
	b.passkeyStep("enrol a passkey", `#passkey-register button[type=submit]`, "#recovery-codes")
	codes := run(b, "read recovery codes", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('#recovery-codes li')).map(li => li.innerText.trim())`))
	if len(codes) != 10 {
		t.Errorf("recovery codes shown = %q, want 10", codes)
	}
	b.screenshot("enrol-passkey-codes.png")
	b.follow("continue to home", chromedp.Click(chromedp.CSS(`main a.button`)), "#h-practice")

	for _, m := range b.consoleErrors() {
		t.Errorf("browser console: %s", m)
	}
	t.Logf("flow took %v", time.Since(start).Round(time.Millisecond))
}

// The passkey endpoints answer JSON under the session, and My account
// removes a passkey only with the password.
func TestPasskeyPages(t *testing.T) {
	ta := newTestApp(t, db.SQLite)
	ctx := context.Background()
	b := ta.browser()
	b.signIn("admin@example.org")

	// Begin speaks JSON, with the session's CSRF token in a header.
	req, _ := http.NewRequest("POST", ta.URL+"/mfa/passkey/register/begin", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", b.csrf)
	resp := b.do(req)
	var opts struct {
		PublicKey struct {
			RP        struct{ ID string } `json:"rp"`
			Challenge string              `json:"challenge"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal([]byte(b.last), &opts); err != nil || resp.StatusCode != http.StatusOK || opts.PublicKey.RP.ID != "localhost" || opts.PublicKey.Challenge == "" {
		t.Fatalf("register/begin = %d %v %s", resp.StatusCode, err, b.last)
	}
	req, _ = http.NewRequest("POST", ta.URL+"/mfa/passkey/register/begin", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	if resp := b.do(req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("register/begin without the CSRF token = %d, want 403", resp.StatusCode)
	}
	// A fully signed-in session has no passkey sign-in to begin.
	req, _ = http.NewRequest("POST", ta.URL+"/login/mfa/passkey/begin", strings.NewReader("{}"))
	req.Header.Set("X-CSRF-Token", b.csrf)
	if b.do(req); strings.TrimSpace(b.last) != "{\n  \"next\": \"/\"\n}" {
		t.Errorf("login/mfa/passkey/begin when ready = %s", b.last)
	}

	// A passkey on the account (stored directly: no authenticator here).
	u, err := ta.Auth.FindByEmail(ctx, access.Actor{System: true}, "admin@example.org")
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := ta.DB.Writer().QueryRowContext(ctx, `INSERT INTO webauthn_credentials (user_id, name, credential_id, public_key, created_at)
		VALUES ($1, 'Old phone', 'AAAA', 'AAAA', 1) RETURNING id`, u.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	b.get("/account")
	if !strings.Contains(b.last, "Old phone") || !strings.Contains(b.last, "an authenticator app and a passkey") {
		t.Fatalf("account page lacks the passkey:\n%.2000s", b.last)
	}
	path := "/account/passkeys/" + strconv.FormatInt(id, 10) + "/remove"
	b.post(path, url.Values{"password": {"not the password"}})
	if b.status != http.StatusUnprocessableEntity || !strings.Contains(b.last, "This is not your current password.") || !strings.Contains(b.last, `aria-invalid="true"`) {
		t.Errorf("remove with a wrong password = %d, page:\n%.2000s", b.status, b.last)
	}
	b.post("/account/passkeys/999999/remove", url.Values{"password": {testPassword}})
	if b.status != http.StatusNotFound {
		t.Errorf("remove an unknown passkey = %d, want 404", b.status)
	}
	b.post(path, url.Values{"password": {testPassword}})
	if b.status != http.StatusOK || !strings.Contains(b.last, "The passkey was removed.") || strings.Contains(b.last, "Old phone") {
		t.Errorf("remove = %d, page:\n%.2000s", b.status, b.last)
	}
}
