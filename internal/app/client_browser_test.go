package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// signIn signs a user without a second factor in through the sign-in page
// and waits for a signed-in page (the top bar's client search).
func (b *tab) signIn(email string) {
	b.t.Helper()
	b.open("/login", `form[action="/login"]`)
	b.fill([][2]string{{"email", email}, {"password", testPassword}})
	b.follow("sign in as "+email, chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)), "form.top-search")
}

// signOut uses the top bar's button.
func (b *tab) signOut() {
	b.t.Helper()
	b.follow("sign out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), `form[action="/login"]`)
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(run(b, "read "+sel, chromedp.Text(chromedp.CSS(sel))))
}

func (b *tab) js(what, expr string) string {
	b.t.Helper()
	return run(b, what, chromedp.Evaluate[string](expr))
}

// The clients flow of issue 3 in a real browser: front desk register a client
// with a phone and a care-team clinician, find them by typing three letters
// of the preferred name into the top bar and choosing from the live list by
// keyboard; the clinician on the care team opens the chart; another
// clinician is refused and offered break-the-glass.
func TestBrowserClientFlow(t *testing.T) {
	chromiumPath(t) // skip before starting a server when there is no browser
	start := time.Now()
	ta := newTestApp(t, db.SQLite)
	ta.addStaff("dana@example.org", "Dana Desk", access.RoleFrontDesk)
	casey := ta.addStaff("casey@example.org", "Casey Care", access.RoleClinician)
	ta.addStaff("olive@example.org", "Olive Other", access.RoleClinician)
	b := newTab(t, ta)
	t.Logf("app and browser started in %v", time.Since(start).Round(time.Millisecond))

	// Front desk: Clients → Register a client.
	b.signIn("dana@example.org")
	b.follow("open Clients", chromedp.Click(chromedp.CSS(`nav.main a[href="/clients"]`)), `a.button[href="/clients/new"]`)
	b.follow("open the registration form", chromedp.Click(chromedp.CSS(`a.button[href="/clients/new"]`)), "form.client-form")
	b.checkLabels("register a client", false)
	b.fill([][2]string{
		{"first_name", "Josefina"},
		{"last_name", "Núñez"},
		{"preferred_name", "Pepa"},
		{"pronouns", "she/her"},
		{"phone_1", "(518) 555-0142"},
		{"email", "pepa@example.org"},
	})
	// Typing into a date input depends on the browser's locale; set it.
	b.do("set the birth date", chromedp.Evaluate[chromedp.Void](`document.getElementById('f-birth_date').value = '1990-04-02'`))
	b.do("allow texts", chromedp.Click(chromedp.CSS(`input[name=phone_1_text]`)))
	b.do("put Casey on the care team", chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=care_team][value="%d"]`, casey.ID))))
	b.screenshot("client-register.png")
	b.follow("register", chromedp.Click(chromedp.CSS(`form.client-form button[type=submit]`)), "#client-name")
	if h1 := b.text("#client-name"); h1 != "Pepa Núñez" {
		t.Errorf("chart heading = %q, want the preferred name", h1)
	}
	chart := run(b, "read location", chromedp.Location())
	path := chart[strings.Index(chart, "/clients/"):]
	for sel, want := range map[string]string{
		".chart-head .legal": "Legal name: Josefina Núñez",
		".chart-team":        "Casey Care",
		"#contacts tbody tr": "(518) 555-0142",
	} {
		if got := b.text(sel); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q in it", sel, got, want)
		}
	}
	if clinical := b.js("clinical sections", `String(document.querySelectorAll('#notes, #diagnoses, #measures').length)`); clinical != "0" {
		t.Errorf("front desk see %s clinical sections", clinical)
	}
	b.screenshot("client-chart-frontdesk.png")

	// Find her again from the top bar: three letters, the live list, keys.
	b.open("/clients", "#client-table")
	b.do("type three letters", chromedp.Click(chromedp.ID("top-q")), chromedp.SendKeys(chromedp.ID("top-q"), "Pep"))
	b.do("wait for the live list", chromedp.WaitVisible(chromedp.CSS(`#top-q-list [role=option]`)))
	if n := b.js("count options", `String(document.querySelectorAll('#top-q-list [role=option]').length)`); n != "1" {
		t.Errorf("live list has %s options, want 1", n)
	}
	if got := b.js("expanded", `document.getElementById('top-q').getAttribute('aria-expanded')`); got != "true" {
		t.Errorf("aria-expanded = %q while the list shows", got)
	}
	if got := b.text("#top-q-status"); !strings.HasPrefix(got, "1 client found") {
		t.Errorf("live region says %q", got)
	}
	b.do("arrow down", chromedp.KeyEvent(kb.ArrowDown))
	if got := b.js("active option", `(() => { const o = document.getElementById(document.getElementById('top-q').getAttribute('aria-activedescendant') || 'none');
		return o ? o.getAttribute('aria-selected') + ' ' + o.innerText : 'none'; })()`); !strings.HasPrefix(got, "true Pepa Núñez") {
		t.Errorf("after ArrowDown the active option is %q", got)
	}
	b.screenshot("client-live-search.png")
	b.follow("open the chosen client", chromedp.KeyEvent(kb.Enter), "#client-name")
	if got := run(b, "read location", chromedp.Location()); !strings.HasSuffix(got, path) {
		t.Errorf("Enter opened %s, want %s", got, path)
	}
	// Escape closes the list.
	b.do("type again", chromedp.Click(chromedp.ID("top-q")), chromedp.SendKeys(chromedp.ID("top-q"), "Pep"))
	b.do("wait for the live list", chromedp.WaitVisible(chromedp.CSS(`#top-q-list [role=option]`)))
	b.do("escape", chromedp.KeyEvent(kb.Escape))
	if hidden := b.js("list hidden", `String(document.getElementById('top-q-list').hidden)`); hidden != "true" {
		t.Errorf("Escape left the list open")
	}
	b.signOut()

	// The clinician on the care team finds her in their list and opens the chart.
	b.signIn("casey@example.org")
	b.follow("open Clients", chromedp.Click(chromedp.CSS(`nav.main a[href="/clients"]`)), "#client-table")
	b.follow("open the chart", chromedp.Click(chromedp.CSS(`#client-table a[href="`+path+`"]`)), "#client-name")
	if b.text("#client-name") != "Pepa Núñez" || !strings.Contains(b.text("#notes"), "None yet.") {
		t.Errorf("clinician's chart: heading %q, notes %q", b.text("#client-name"), b.text("#notes"))
	}
	// The header stays in view while the sections scroll under it.
	if top := b.js("scroll to the end", `window.scrollTo(0, document.body.scrollHeight);
		String(Math.round(document.querySelector('.chart-head').getBoundingClientRect().top))`); top != "0" {
		t.Errorf("after scrolling the chart header is at %spx, want 0 (sticky)", top)
	}
	b.do("scroll back", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	b.screenshot("client-chart.png")
	b.signOut()

	// Another clinician is refused, and offered break-the-glass.
	b.signIn("olive@example.org")
	b.open(path, "#break-glass")
	if h1 := b.text("main h1"); h1 != "This client is not on your caseload" {
		t.Errorf("refusal heading = %q", h1)
	}
	if strings.Contains(b.text("main"), "Pepa") {
		t.Error("the refusal page names the client")
	}
	b.checkLabels("break-the-glass", true)
	b.screenshot("client-refused.png")

	for _, m := range b.consoleErrors() {
		// The refusal itself is a 403 document, which Chromium reports.
		if strings.Contains(m, "status of 403") && strings.Contains(m, path+")") {
			continue
		}
		t.Errorf("browser console: %s", m)
	}
	t.Logf("flow took %v", time.Since(start).Round(time.Millisecond))
}
