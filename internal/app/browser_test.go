package app

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/pquerna/otp/totp"

	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// The end-to-end browser tests drive the real app in headless Chromium. They
// run on SQLite only: the engine matrix is the business of the store and
// handler tests, and a second browser run would double the cost for no new
// coverage of the UI.

// browserTimeout bounds one whole browser flow, start-up included.
const browserTimeout = 60 * time.Second

// shotsDir is where screenshots are copied for people to look at, outside CI.
const shotsDir = "/tmp/browser-shots"

// chromiumPath finds Chromium. Without it the test skips, except under CI
// (CI set), where a missing browser is a broken runner and fails the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("Chromium not found: browser tests must run in CI (apt-get install -y chromium)")
	}
	t.Skip("browser test skipped: Chromium not found (apt-get install -y chromium to run it)")
	return ""
}

// tab is one headless Chromium tab on a test app.
type tab struct {
	t       *testing.T
	ta      *testApp
	ctx     context.Context // the flow's context, with its deadline
	browser context.Context // the browser's context, for diagnostics after a time-out
	shots   string

	console     sync.Mutex
	messages    []chromedp.ConsoleMessage // console and browser-log messages, in order
	consoleDone chan struct{}             // closed when the end marker arrives
}

// consoleEnd marks the end of the console stream, so that reading it waits
// for every earlier message rather than for a guessed time.
const consoleEnd = "browser-test: end of console"

// newTab starts headless Chromium with a fresh profile and opens a tab. The
// browser stops when the test ends.
func newTab(t *testing.T, ta *testApp) *tab {
	t.Helper()
	path := chromiumPath(t)
	// The machine may have no network: background networking, QUIC, component
	// updates and sync would only make Chromium's connections fail in bulk.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
		// No UserDataDir: the allocator makes a fresh profile directory for
		// this browser and removes it when the browser has exited.
	)
	// The outer deadline also kills a browser that hangs while starting.
	limit, cancelLimit := context.WithTimeout(context.Background(), browserTimeout+15*time.Second)
	alloc, cancelAlloc := chromedp.NewExecAllocator(limit, opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc() // waits for the browser to exit and its profile to go
		cancelLimit()
	})
	// Start the browser on a context without a deadline of its own (the
	// chromedp rule); the flow then runs under its own time-out.
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	ctx, cancel := context.WithTimeout(browser, browserTimeout)
	t.Cleanup(cancel)
	b := &tab{t: t, ta: ta, ctx: ctx, browser: browser, shots: t.TempDir(), consoleDone: make(chan struct{})}
	// Subscribe before the first page, so that no message is lost. The
	// iterator ends with the flow's context.
	messages := chromedp.Console(ctx)
	go func() {
		ended := false
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Text == consoleEnd {
				if !ended {
					ended = true
					close(b.consoleDone)
				}
				continue
			}
			b.console.Lock()
			b.messages = append(b.messages, m)
			b.console.Unlock()
		}
	}()
	return b
}

// consoleErrors returns the errors and uncaught exceptions the pages have
// reported, such as a script error, a missing resource or one the
// Content-Security-Policy refused. Call it once, at the end of the flow.
func (b *tab) consoleErrors() []string {
	b.t.Helper()
	b.do("mark the end of the console", chromedp.Evaluate[chromedp.Void](fmt.Sprintf("console.info(%q)", consoleEnd)))
	select {
	case <-b.consoleDone:
	case <-b.ctx.Done():
		b.fatalf("wait for the console: %v", b.ctx.Err())
	}
	b.console.Lock()
	defer b.console.Unlock()
	var out []string
	for _, m := range b.messages {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			out = append(out, fmt.Sprintf("%s (%s)", m, m.URL))
		}
	}
	return out
}

// fatalf ends the test, saying where the browser was and what it showed.
func (b *tab) fatalf(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	// The flow's context may be the thing that ran out: look with a fresh one.
	ctx, cancel := context.WithTimeout(b.browser, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		b.save("failure.png", png)
	}
	b.t.Fatalf("%s\nat %s, page text:\n%.1500s\nserver log (tail):\n%s", msg, loc, text, tail(b.ta.Logs.String(), 2000))
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// do runs steps, failing the test on an error.
func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.fatalf("%s: %v", what, err)
	}
}

// run runs one action that returns a value, failing the test on an error.
func run[T any](b *tab, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.fatalf("%s: %v", what, err)
	}
	return v
}

// open loads path and waits for next, a selector only that page has.
func (b *tab) open(path, next string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.ta.URL+path), chromedp.WaitVisible(chromedp.CSS(next)))
}

// follow runs action, which leads to another page (a click on a link or a
// submit button, or Enter in a form), waits for that page to load with a 200
// at the end of any redirects, and then for next, a selector only that page
// has: a stale copy of the previous page can never satisfy the wait.
func (b *tab) follow(what string, action chromedp.Action[chromedp.Void], next string) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, action)
	if err != nil {
		b.fatalf("%s: %v", what, err)
	}
	if resp == nil || resp.Status != 200 {
		status := int64(0)
		if resp != nil {
			status = resp.Status
		}
		b.fatalf("%s: status %d, want 200", what, status)
	}
	b.do(what+": wait for "+next, chromedp.WaitVisible(chromedp.CSS(next)))
}

// fill types into the form fields, by name, clearing what is there first.
func (b *tab) fill(fields [][2]string) {
	b.t.Helper()
	for _, f := range fields {
		sel := chromedp.CSS("#f-" + f[0])
		b.do("fill "+f[0], chromedp.Clear(sel), chromedp.SendKeys(sel, f[1]))
	}
}

// screenshot saves a PNG of the whole page into the test's directory and,
// outside CI, into shotsDir.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	b.save(name, run(b, "screenshot "+name, chromedp.FullScreenshot(100)))
}

func (b *tab) save(name string, png []byte) {
	b.t.Helper()
	if err := os.WriteFile(filepath.Join(b.shots, name), png, 0o644); err != nil {
		b.t.Errorf("save screenshot: %v", err)
	}
	if os.Getenv("CI") != "" {
		return
	}
	if err := os.MkdirAll(shotsDir, 0o755); err != nil {
		b.t.Logf("copy screenshot: %v", err)
		return
	}
	if err := os.WriteFile(filepath.Join(shotsDir, name), png, 0o644); err != nil {
		b.t.Logf("copy screenshot: %v", err)
		return
	}
	b.t.Logf("screenshot: %s", filepath.Join(shotsDir, name))
}

// labelReport is what the label check found on a page.
type labelReport struct {
	Checked    int      `json:"checked"`
	Unlabelled []string `json:"unlabelled"`
}

// checkLabels asserts that every visible form control on the page has a
// label with text. Strict pages need the explicit <label for=id> form; the
// others also accept a wrapping label (a checkbox inside its label), which
// assistive technology reads the same way.
func (b *tab) checkLabels(page string, strict bool) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => {
		const strict = %t, bad = [];
		const controls = document.querySelectorAll('input:not([type=hidden]), select, textarea');
		for (const el of controls) {
			let labels = el.id ? Array.from(document.querySelectorAll('label[for="' + CSS.escape(el.id) + '"]')) : [];
			if (!strict) labels = labels.concat(Array.from(el.labels || []));
			if (!labels.some(l => l.textContent.trim() !== '')) bad.push(el.outerHTML);
		}
		return {checked: controls.length, unlabelled: bad};
	})()`, strict)
	r := run(b, "check labels on "+page, chromedp.Evaluate[labelReport](js))
	if r.Checked == 0 {
		b.fatalf("%s page: no form controls found to check", page)
	}
	for _, el := range r.Unlabelled {
		b.t.Errorf("%s page: control without a label: %s", page, el)
	}
}

// tableRows reads the text of every body cell of a table, row by row.
func (b *tab) tableRows(table string) [][]string {
	b.t.Helper()
	js := fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(tr =>
		Array.from(tr.querySelectorAll('td')).map(td => td.innerText.trim()))`, table+" tbody tr")
	return run(b, "read "+table, chromedp.Evaluate[[][]string](js))
}

// The main administrator flow of a new installation, in a real browser:
// setup, the required two-step enrolment, adding a clinician, and the audit
// log showing all of it.
func TestBrowserSetupToAudit(t *testing.T) {
	chromiumPath(t) // skip before starting a server when there is no browser
	start := time.Now()
	ta := newEmptyTestApp(t, db.SQLite)
	b := newTab(t, ta)
	t.Logf("app and browser started in %v", time.Since(start).Round(time.Millisecond))

	const (
		practiceName = "Harbour Counselling"
		adminName    = "Ada Admin"
		adminEmail   = "ada@harbour.example"
		staffName    = "Casey Clinician"
		staffEmail   = "casey@harbour.example"
		staffPass    = "amber otter lantern field"
	)

	// An empty installation sends a visitor to setup.
	b.open("/", `form[action="/setup"]`)
	b.checkLabels("setup", true)
	// Keyboard: the first Tab reaches the skip link, which leads to main.
	b.do("tab to the skip link", chromedp.KeyEvent(kb.Tab))
	focused := run(b, "read focus", chromedp.Evaluate[string](`document.activeElement.className + " " + document.activeElement.getAttribute("href")`))
	if focused != "skip #main" {
		t.Errorf("first Tab focused %q, want the skip link to #main", focused)
	}

	b.fill([][2]string{
		{"practice_name", practiceName},
		{"practice_time_zone", "America/Chicago"},
		{"practice_phone", "555-0100"},
		{"name", adminName},
		{"email", adminEmail},
		{"password", testPassword},
	})
	// An administrator is signed in and must enrol a second factor first.
	b.follow("submit setup", chromedp.Click(chromedp.CSS(`form[action="/setup"] button[type=submit]`)), "#totp-secret")
	b.checkLabels("two-step set-up", false)
	if w := run(b, "qr", chromedp.Evaluate[int]("document.querySelector('img.qr').naturalWidth")); w == 0 {
		t.Error("the QR code did not load")
	}

	secret := run(b, "read the setup key", chromedp.Text(chromedp.ID("totp-secret")))
	secret = strings.Join(strings.Fields(secret), "")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		b.fatalf("compute a TOTP code from setup key %q: %v", secret, err)
	}
	// Submit with Enter from the code field, as a keyboard user would.
	b.do("type the code", chromedp.SendKeys(chromedp.ID("f-code"), code))
	b.follow("submit the code", chromedp.KeyEvent(kb.Enter), "#recovery-codes")
	codes := run(b, "read recovery codes", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('#recovery-codes li')).map(li => li.innerText.trim())`))
	if len(codes) < 5 {
		t.Errorf("recovery codes page lists %d codes: %q", len(codes), codes)
	}

	b.follow("continue to home", chromedp.Click(chromedp.CSS(`a.button[href="/"]`)), "#h-practice")
	if h1 := run(b, "read heading", chromedp.Text(chromedp.CSS("main h1"))); h1 != "Welcome, "+adminName {
		t.Errorf("home heading = %q, want %q", h1, "Welcome, "+adminName)
	}
	if brand := run(b, "read brand", chromedp.Text(chromedp.CSS("a.brand"))); !strings.Contains(brand, practiceName) {
		t.Errorf("top bar brand = %q, want the practice name %q", brand, practiceName)
	}
	b.screenshot("home.png")

	// Staff → Add a staff member.
	b.follow("open Staff", chromedp.Click(chromedp.CSS(`nav.main a[href="/staff"]`)), `a.button[href="/staff/new"]`)
	b.follow("open Add a staff member", chromedp.Click(chromedp.CSS(`a.button[href="/staff/new"]`)), `form[action="/staff"]`)
	b.checkLabels("add staff", false)
	b.fill([][2]string{
		{"name", staffName},
		{"email", staffEmail},
		{"password", staffPass},
	})
	// Clinician is the form's default; make it the only role either way.
	b.do("choose the clinician role", chromedp.Evaluate[chromedp.Void](
		`document.querySelectorAll('input[name=roles]').forEach(i => { if (i.checked !== (i.value === 'clinician')) i.click(); })`))
	b.follow("submit new staff", chromedp.Click(chromedp.CSS(`form[action="/staff"] button[type=submit]`)), `main .notice.ok`)
	if flash := run(b, "read flash", chromedp.Text(chromedp.CSS("main .notice.ok"))); flash != staffName+" was added." {
		t.Errorf("flash = %q, want %q", flash, staffName+" was added.")
	}
	b.screenshot("staff.png")
	staff := b.tableRows("main table")
	var newRow []string
	for _, r := range staff {
		if len(r) >= 3 && r[0] == staffName {
			newRow = r
		}
	}
	if newRow == nil {
		b.fatalf("staff list has no row for %s: %q", staffName, staff)
	}
	if newRow[1] != staffEmail || newRow[2] != "Clinician" {
		t.Errorf("staff row = %q, want email %s and role Clinician", newRow, staffEmail)
	}
	adminID := run(b, "read admin id", chromedp.Evaluate[string](fmt.Sprintf(
		`Array.from(document.querySelectorAll('main table a')).filter(a => a.innerText.trim() === %q).map(a => a.getAttribute('href').split('/').pop())[0] || ""`, adminName)))
	staffID := run(b, "read staff id", chromedp.Evaluate[string](fmt.Sprintf(
		`Array.from(document.querySelectorAll('main table a')).filter(a => a.innerText.trim() === %q).map(a => a.getAttribute('href').split('/').pop())[0] || ""`, staffName)))
	if adminID == "" || staffID == "" {
		b.fatalf("staff list links: admin id %q, new staff id %q", adminID, staffID)
	}

	// The audit log shows what happened, attributed to the administrator.
	b.follow("open Audit log", chromedp.Click(chromedp.CSS(`nav.main a[href="/audit"]`)), "#audit-table")
	b.checkLabels("audit log filters", false)
	rows := b.tableRows("#audit-table")
	// Columns: time, user, role, action, object, client, source, outcome, detail.
	wants := []struct{ what, action, object, detail string }{
		{"setup created the practice", "create", "practice #1", "setup"},
		{"setup created the administrator", "create", "user #" + adminID, "roles admin"},
		{"the administrator signed in", "login", "user #" + adminID, "password"},
		{"the administrator enrolled TOTP", "update", "user.mfa #" + adminID, "totp enrolled"},
		{"the administrator added the clinician", "create", "user #" + staffID, "roles clinician"},
	}
	for _, w := range wants {
		found := false
		for _, r := range rows {
			if len(r) == 9 && r[1] == adminName && r[3] == w.action && r[4] == w.object && strings.Contains(r[7], "success") && r[8] == w.detail {
				found = true
			}
		}
		if !found {
			t.Errorf("audit log lacks an entry for %s (%s %s %q by %s)", w.what, w.action, w.object, w.detail, adminName)
		}
	}
	if t.Failed() {
		var sb strings.Builder
		for _, r := range rows {
			fmt.Fprintf(&sb, "%q\n", r)
		}
		t.Logf("audit rows:\n%s", sb.String())
	}
	stamp := regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$`)
	for _, r := range rows {
		if len(r) == 0 || !stamp.MatchString(r[0]) {
			t.Errorf("audit row with a malformed time: %q", r)
			break
		}
	}
	b.screenshot("audit.png")

	// The sign-in form, which a signed-in browser can still open.
	b.open("/login", `form[action="/login"]`)
	b.checkLabels("sign-in", true)

	// Every page loaded its styles and script without an error or a
	// Content-Security-Policy refusal (an inline style, say).
	for _, m := range b.consoleErrors() {
		t.Errorf("browser console: %s", m)
	}
	t.Logf("flow took %v", time.Since(start).Round(time.Millisecond))
}
