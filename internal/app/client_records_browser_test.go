package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/pquerna/otp/totp"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// signInWithCode signs in a user who has enrolled TOTP, through the sign-in
// page and the code page, and waits for a signed-in page.
func (b *tab) signInWithCode(email string) {
	b.t.Helper()
	b.open("/login", `form[action="/login"]`)
	b.fill([][2]string{{"email", email}, {"password", testPassword}})
	b.follow("sign in as "+email, chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)), `form[action="/login/mfa"]`)
	code, err := totp.GenerateCode(b.ta.secrets[email], time.Now())
	if err != nil {
		b.fatalf("TOTP code: %v", err)
	}
	b.fill([][2]string{{"code", code}})
	b.follow("enter the code", chromedp.Click(chromedp.CSS(`form[action="/login/mfa"] button[type=submit]`)), "form.top-search")
}

// choose picks an option of a select by its value.
func (b *tab) choose(name, value string) {
	b.t.Helper()
	b.do("choose "+name, chromedp.SetValue(chromedp.CSS("#f-"+name), value))
}

// The client record flow of issue 3 in a real browser: front desk register a
// minor, add her guardian and two insurance policies (primary and secondary)
// through the chart's forms, then find her by typing three letters of her
// preferred name into the top bar; the clinician on her care team opens the
// chart with all of it; another clinician is refused; the administrator sees
// both in the audit report.
func TestBrowserClientRecordsFlow(t *testing.T) {
	chromiumPath(t) // skip before starting a server when there is no browser
	start := time.Now()
	ta := newTestApp(t, db.SQLite)
	ta.addStaff("dana@example.org", "Dana Desk", access.RoleFrontDesk)
	casey := ta.addStaff("casey@example.org", "Casey Care", access.RoleClinician)
	olive := ta.addStaff("olive@example.org", "Olive Other", access.RoleClinician)
	aetna := ta.aPayer("Aetna", "60054")
	bcbs := ta.aPayer("Blue Cross Blue Shield of Illinois", "00621")
	b := newTab(t, ta)

	// Front desk register the client, with Casey on the care team.
	b.signIn("dana@example.org")
	b.open("/clients/new", "form.client-form")
	b.fill([][2]string{{"first_name", "Guadalupe"}, {"last_name", "Ortega"}, {"preferred_name", "Lupe"}, {"phone_1", "(312) 555-0180"}})
	b.do("set the birth date", chromedp.SetValue(chromedp.ID("f-birth_date"), "2012-06-01"))
	b.do("put Casey on the care team", chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=care_team][value="%d"]`, casey.ID))))
	b.follow("register", chromedp.Click(chromedp.CSS(`form.client-form button[type=submit]`)), "#client-name")
	chart := run(b, "read location", chromedp.Location())
	path := chart[strings.Index(chart, "/clients/"):]
	clientID := strings.TrimPrefix(path, "/clients/")

	// Her guardian, from the Contacts section.
	b.follow("open the guardian form", chromedp.Click(chromedp.CSS(`#contacts a[href$="/contacts/new?kind=guardian"]`)), "#contact-form")
	b.checkLabels("add a contact", false)
	if got := b.js("kind", `document.getElementById('f-kind').value`); got != "guardian" {
		t.Errorf("the guardian link opened the form with kind %q", got)
	}
	b.fill([][2]string{{"name", "Maria Ortega"}, {"relationship", "mother"}, {"phone", "312-555-0101"}, {"legal_document", "birth certificate"}})
	b.follow("add the guardian", chromedp.Click(chromedp.CSS(`#contact-form button[type=submit]`)), "#people-table")
	if got := b.text("#people-table tbody"); !strings.Contains(got, "Maria Ortega") || !strings.Contains(got, "Guardian") {
		t.Errorf("contacts table = %q, want the guardian", got)
	}

	// Two policies: primary through her mother's employer, secondary her own.
	b.follow("open the policy form", chromedp.Click(chromedp.CSS(`#insurance a[href$="/policies/new"]`)), "#policy-form")
	b.checkLabels("add a policy", false)
	if got := b.js("rank", `document.getElementById('f-rank').value`); got != "1" {
		t.Errorf("first policy's rank = %q, want primary (1)", got)
	}
	b.choose("payer", itoa(aetna))
	b.choose("relationship", "child")
	b.fill([][2]string{{"subscriber_first", "Maria"}, {"subscriber_last", "Ortega"}, {"member_id", "W123 456 789"}, {"group_number", "G-77"},
		{"plan_name", "Choice POS II"}, {"copay", "30"}, {"coinsurance", "20"}, {"deductible", "1500"}})
	b.do("set dates", chromedp.SetValue(chromedp.ID("f-subscriber_birth"), "1984-02-02"), chromedp.SetValue(chromedp.ID("f-effective_date"), "2026-01-01"))
	b.screenshot("client-policy-form.png")
	b.follow("add the primary policy", chromedp.Click(chromedp.CSS(`#policy-form button[type=submit]`)), "#insurance article.policy")

	b.follow("open the policy form again", chromedp.Click(chromedp.CSS(`#insurance a[href$="/policies/new"]`)), "#policy-form")
	if got := b.js("rank", `document.getElementById('f-rank').value`); got != "2" {
		t.Errorf("second policy's rank = %q, want secondary (2): primary is taken", got)
	}
	b.choose("payer", itoa(bcbs))
	b.fill([][2]string{{"member_id", "XOF900112"}})
	b.do("set the start", chromedp.SetValue(chromedp.ID("f-effective_date"), "2026-02-01"))
	b.follow("add the secondary policy", chromedp.Click(chromedp.CSS(`#policy-form button[type=submit]`)), "#insurance article.policy + article.policy")
	heads := run(b, "read policies", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#insurance article.policy h3')).map(h => h.textContent.replace(/\s+/g, ' ').trim())`))
	want := []string{"Primary Aetna · Choice POS II", "Secondary Blue Cross Blue Shield of Illinois"}
	if len(heads) != 2 || heads[0] != want[0] || heads[1] != want[1] {
		t.Errorf("policies = %q, want %q", heads, want)
	}
	if got := b.text("#insurance article.policy"); !strings.Contains(got, "Maria Ortega (The client is their child)") || !strings.Contains(got, "$30.00 · 20 % · $1500.00") {
		t.Errorf("primary policy = %q", got)
	}
	b.screenshot("client-chart-insurance.png")

	// Find her from the top bar by three letters of her preferred name.
	b.do("type three letters", chromedp.Click(chromedp.ID("top-q")), chromedp.SendKeys(chromedp.ID("top-q"), "Lup"))
	b.do("wait for the live list", chromedp.WaitVisible(chromedp.CSS(`#top-q-list [role=option]`)))
	if got := b.text("#top-q-list [role=option]"); !strings.HasPrefix(got, "Lupe Ortega") {
		t.Errorf("live list offers %q", got)
	}
	b.do("arrow down", chromedp.KeyEvent(kb.ArrowDown))
	b.follow("open the chosen client", chromedp.KeyEvent(kb.Enter), "#client-name")
	if got := run(b, "read location", chromedp.Location()); !strings.HasSuffix(got, path) {
		t.Errorf("the search opened %s, want %s", got, path)
	}
	b.signOut()

	// The clinician on the care team opens the chart and sees all of it.
	b.signIn("casey@example.org")
	b.open(path, "#client-name")
	if got := b.text("#client-name"); got != "Lupe Ortega" {
		t.Errorf("clinician's chart heading = %q", got)
	}
	for sel, want := range map[string]string{"#people-table": "Maria Ortega", "#insurance": "Blue Cross Blue Shield of Illinois"} {
		if got := b.text(sel); !strings.Contains(got, want) {
			t.Errorf("clinician's %s = %q, want %q in it", sel, got, want)
		}
	}
	// Clinicians read insurance but do not change it.
	if n := b.js("policy links", `String(document.querySelectorAll('#insurance a[href*="/policies/"]').length)`); n != "0" {
		t.Errorf("the clinician is offered %s policy links", n)
	}
	b.signOut()

	// A clinician not on the care team is refused.
	b.signIn("olive@example.org")
	b.open(path, "#break-glass")
	if strings.Contains(b.text("main"), "Ortega") {
		t.Error("the refusal page names the client")
	}
	b.signOut()

	// The administrator sees both in the audit report for this client.
	b.signInWithCode("admin@example.org")
	for _, c := range []struct {
		user    int64
		name    string
		outcome string
	}{{casey.ID, "Casey Care", "success"}, {olive.ID, "Olive Other", "denied"}} {
		b.open(fmt.Sprintf("/audit?client=%s&user=%d", clientID, c.user), "#audit-table")
		found := false
		// Columns: time, user, role, action, object, client, source, outcome, detail.
		for _, r := range b.tableRows("#audit-table") {
			if len(r) == 9 && r[1] == c.name && r[3] == "read" && r[5] == clientID && strings.Contains(r[7], c.outcome) && r[8] == "section chart" {
				found = true
			}
		}
		if !found {
			t.Errorf("the audit report for client %s lacks %s's %s read of the chart", clientID, c.name, c.outcome)
		}
	}
	b.screenshot("client-records-audit.png")

	for _, m := range b.consoleErrors() {
		if strings.Contains(m, "status of 403") && strings.Contains(m, path+")") {
			continue // the refusal is a 403 document
		}
		t.Errorf("browser console: %s", m)
	}
	t.Logf("flow took %v", time.Since(start).Round(time.Millisecond))
}
