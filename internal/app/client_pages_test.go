package app

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

// addStaff creates a staff account with a name of its own.
func (ta *testApp) addStaff(email, name string, roles ...access.Role) auth.User {
	ta.t.Helper()
	u, err := ta.Auth.CreateUser(context.Background(), access.Actor{System: true}, auth.Profile{Email: email, Name: name, Roles: roles}, testPassword)
	if err != nil {
		ta.t.Fatal(err)
	}
	return u
}

// aClientOf registers a client through the service whose primary clinician
// is clinicianID.
func (ta *testApp) aClientOf(clinicianID int64, first, preferred, last, dob string) clients.Client {
	ta.t.Helper()
	c, err := ta.Clients.Create(context.Background(), access.Actor{System: true}, clients.Input{FirstName: first, PreferredName: preferred,
		LastName: last, BirthDate: dob, PrimaryClinicianID: clinicianID,
		Phones: []clients.Phone{{Kind: "mobile", Number: "(555) 201-3344", CanText: true}}})
	if err != nil {
		ta.t.Fatal(err)
	}
	return c
}

func mustNotContain(t *testing.T, b *browser, bad ...string) {
	t.Helper()
	for _, s := range bad {
		if strings.Contains(b.last, s) {
			t.Errorf("page (status %d) contains %q", b.status, s)
		}
	}
}

// registration is a valid registration form.
func registration(careTeam int64) url.Values {
	return url.Values{"first_name": {"Josefina"}, "last_name": {"Núñez"}, "preferred_name": {"Pepa"}, "pronouns": {"she/her"},
		"birth_date": {"1990-04-02"}, "sex": {"F"}, "races": {"2106-3", "2028-9"}, "ethnicity": {"2135-2"}, "language": {"Spanish"},
		"interpreter_needed": {"1"}, "email": {"pepa@example.org"}, "city": {"Albany"}, "state": {"NY"}, "postal_code": {"12207"},
		"phone_1": {"(518) 555-0142"}, "phone_1_kind": {"mobile"}, "phone_1_text": {"1"},
		"phone_2": {""}, "phone_2_kind": {"home"}, "phone_3": {"518 555 0199"}, "phone_3_kind": {"work"}, "phone_3_voicemail": {"1"},
		"ssn": {"123-45-6789"}, "status": {"active"}, "care_team": {itoa(careTeam)}, "referral_source": {"Dr. Okafor (PCP)"}}
}

// Registration: errors keep the input (escaped), a duplicate is warned of
// and can be confirmed, and the chart shows every section.
func TestClientRegistrationPages(t *testing.T) {
	ta := newTestApp(t, db.SQLite)
	casey := ta.addStaff("casey@example.org", "Casey Care", access.RoleClinician)
	ta.addUser("frontdesk@example.org", access.RoleFrontDesk)
	b := ta.browser()
	b.signIn("frontdesk@example.org")
	b.get("/clients/new")
	mustContain(t, b, `name="first_name"`, `id="f-races"`, `name="phone_3_voicemail"`, `id="f-care_team"`, "Casey Care", `type="date"`,
		`id="f-ssn" name="ssn" type="text" value=""`, `autocomplete="off"`, `inputmode=numeric`)

	// Errors keep what was typed, escaped; the SSN is never echoed.
	bad := registration(casey.ID)
	bad.Set("first_name", "<script>alert(1)</script>")
	bad.Set("last_name", "")
	bad.Set("birth_date", "2999-01-01")
	bad.Set("phone_3", "12")
	bad.Set("email", "pepa@")
	b.post("/clients", bad)
	if b.status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid registration: status %d\n%s", b.status, tail(ta.Logs.String(), 1500))
	}
	mustContain(t, b, `value="&lt;script&gt;alert(1)&lt;/script&gt;"`, `id="error-summary"`, "Enter the client&#39;s legal last name.",
		"cannot be in the future", `href="#f-phone_2"`, `id="f-phone_2" name="phone_2" type="tel" value="12"`, // the empty row was dropped
		`value="Pepa"`, `value="(518) 555-0142"`, `value="2106-3" checked`, `value="`+itoa(casey.ID)+`" checked`, "enter it again")
	mustNotContain(t, b, "<script>alert(1)</script>", "123-45-6789")

	b.post("/clients", registration(casey.ID))
	if b.status != http.StatusOK {
		t.Fatalf("registration: status %d\n%.800s", b.status, b.last)
	}
	mustContain(t, b, "The client was registered.", `<title>Chart MS-000001 · MentalSpace</title>`, `<h1 id="client-name">Pepa Núñez</h1>`, "Legal name: Josefina Núñez", "she/her",
		"MRN MS-000001", "✓</span> Active", "Casey Care", "•••-••-6789", "White; Asian", "Hispanic or Latino", "Needs an interpreter",
		"(518) 555-0142", "May text", "No voicemail", "518 555 0199", "May leave voicemail", "Dr. Okafor (PCP)",
		`id="insurance"`, `id="consents"`, `id="appointments"`, `id="billing"`, `id="documents"`, "None yet.")
	// Front desk do not see the clinical sections.
	mustNotContain(t, b, `id="notes"`, `id="diagnoses"`, `id="measures"`, "123-45-6789")

	// The same name and birth date again: a warning, the existing record,
	// and a box to register anyway.
	again := registration(casey.ID)
	again.Set("first_name", "JOSEFINA")
	again.Set("preferred_name", "Fina")
	b.post("/clients", again)
	if b.status != http.StatusConflict {
		t.Fatalf("duplicate: status %d", b.status)
	}
	mustContain(t, b, "Possible duplicate", `name="allow_duplicate"`, "This is a different person — register anyway",
		`value="JOSEFINA"`, `value="Fina"`, `<a href="/clients/`, "MS-000001")
	again.Set("allow_duplicate", "1")
	b.post("/clients", again)
	mustContain(t, b, "The client was registered.", "Fina Núñez", "MRN MS-000002")

	// A name that looks like markup is stored and shown as typed.
	odd := registration(casey.ID)
	odd.Set("first_name", "<script>alert(1)</script>")
	odd.Set("preferred_name", "")
	odd.Set("last_name", "'; DROP TABLE clients; --")
	b.post("/clients", odd)
	mustContain(t, b, "&lt;script&gt;alert(1)&lt;/script&gt; &#39;; DROP TABLE clients; --")
	mustNotContain(t, b, "<script>alert(1)</script>")

	// Billers read clients but may not register them.
	ta.addUser("biller@example.org", access.RoleBiller)
	bb := ta.browser()
	bb.signIn("biller@example.org")
	bb.get("/clients/new")
	if bb.status != http.StatusForbidden {
		t.Errorf("biller /clients/new: status %d, want 403", bb.status)
	}
	bb.get("/clients")
	mustContain(t, bb, "Pepa Núñez", "Fina Núñez")
	mustNotContain(t, bb, "Register a client")
}

// Search is a POST: the query never appears in a URL, a link or the logs.
func TestClientSearchPages(t *testing.T) {
	ta := newTestApp(t, db.SQLite)
	casey := ta.addStaff("casey@example.org", "Casey Care", access.RoleClinician)
	other := ta.addStaff("olive@example.org", "Olive Other", access.RoleClinician)
	ta.aClientOf(casey.ID, "Quintessa", "Zinnia", "Vanterpool", "1984-07-19")
	ta.aClientOf(casey.ID, "Bartholomew", "", "Quill", "1962-01-30")
	ta.aClientOf(other.ID, "Zinovia", "", "Abernathy", "2001-11-05")

	b := ta.browser()
	b.signIn("casey@example.org")
	// The top bar offers the search on every page, as a POST form.
	mustContain(t, b, `action="/clients/search"`, `id="top-q"`, `role="combobox"`, `src="/static/search.js"`, `href="/clients"`)
	resp := b.post("/clients/search", url.Values{"q": {"zin"}})
	if b.status != http.StatusOK || resp.Request.URL.Path != "/clients/search" || resp.Request.URL.RawQuery != "" {
		t.Fatalf("search: status %d at %s", b.status, resp.Request.URL)
	}
	// Only Casey's client: Zinovia is on someone else's caseload.
	mustContain(t, b, "1 client matches", `value="zin"`, "Zinnia Vanterpool", "Legal first name: Quintessa", "1984-07-19", "Casey Care")
	mustNotContain(t, b, "Zinovia", "q=zin", "?q=")
	b.post("/clients/search", url.Values{"q": {"1962-01-30"}})
	mustContain(t, b, "Bartholomew Quill")
	b.post("/clients/search", url.Values{"q": {strings.Repeat("x", 101)}})
	if b.status != http.StatusUnprocessableEntity {
		t.Errorf("overlong search: status %d", b.status)
	}

	// The list without a query: the caseload, in pages.
	b.get("/clients")
	mustContain(t, b, "Zinnia Vanterpool", "Bartholomew Quill", "Showing 2 clients")
	mustNotContain(t, b, "Zinovia")
	b.get("/clients?status=inactive")
	mustContain(t, b, "No clients yet")
	// A caseload longer than a page continues with ?after= (an id, not PHI).
	for i := range 49 {
		ta.aClientOf(casey.ID, "Page", "", "Filler"+string(rune('a'+i%26))+string(rune('a'+i/26)), "1970-01-01")
	}
	b.get("/clients")
	next := regexp.MustCompile(`href="(/clients\?after=\d+)"`).FindStringSubmatch(b.last)
	if next == nil {
		t.Fatalf("51 clients: no next-page link")
	}
	b.get(next[1])
	mustContain(t, b, "Showing 1 client you can open, continued.")

	// The as-you-type fragment is a listbox of options, no layout.
	b.post("/clients/live-search", url.Values{"q": {"Zin"}})
	mustContain(t, b, `role="listbox"`, `role="option"`, `data-href="/clients/`, "Zinnia Vanterpool")
	mustNotContain(t, b, "<html", "Zinovia")
	b.post("/clients/live-search", url.Values{"q": {"zzz"}})
	mustContain(t, b, "No clients match")
	// Without the CSRF token (header or field) it is refused.
	req, _ := http.NewRequest("POST", ta.URL+"/clients/live-search", strings.NewReader("q=zin"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	b.do(req)
	if b.status != http.StatusForbidden {
		t.Errorf("live search without CSRF: status %d", b.status)
	}
	req, _ = http.NewRequest("POST", ta.URL+"/clients/live-search", strings.NewReader("q=zin"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", b.csrf)
	b.do(req)
	mustContain(t, b, "Zinnia Vanterpool")

	for _, s := range []string{"Zinnia", "Vanterpool", "zin", "1962-01-30"} {
		if strings.Contains(strings.ToLower(ta.Logs.String()), strings.ToLower(s)) {
			t.Errorf("logs contain %q", s)
		}
	}
	// Searches are audited with the number of results, never the text.
	page, err := ta.Audit.Find(context.Background(), access.Actor{System: true}, audit.Filter{UserID: casey.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	searches := 0
	for _, e := range page.Entries {
		if e.ObjectType == "client_search" {
			searches++
			if strings.Contains(strings.ToLower(e.Detail), "zin") {
				t.Errorf("audit detail carries the query: %q", e.Detail)
			}
		}
	}
	if searches < 5 {
		t.Errorf("%d searches audited, want at least 5", searches)
	}
}

// Two people edit the same client: the second save is refused with their
// input kept and the newer version, so that saving again is deliberate.
func TestClientEditConflict(t *testing.T) {
	ta := newTestApp(t, db.SQLite)
	casey := ta.addStaff("casey@example.org", "Casey Care", access.RoleClinician)
	c := ta.aClientOf(casey.ID, "Tomas", "Tom", "Hart", "1980-05-05")
	ta.addUser("frontdesk@example.org", access.RoleFrontDesk)
	path := "/clients/" + itoa(c.ID)

	first, second := ta.browser(), ta.browser()
	first.signIn("admin@example.org")
	second.signIn("frontdesk@example.org")
	first.get(path + "/edit")
	mustContain(t, first, `value="Tomas"`, `name="version" value="1"`, `value="(555) 201-3344"`, "None on file")
	second.get(path + "/edit")
	form := func(preferred string) url.Values {
		return url.Values{"first_name": {"Tomas"}, "last_name": {"Hart"}, "preferred_name": {preferred}, "birth_date": {"1980-05-05"},
			"status": {"active"}, "primary_clinician": {itoa(casey.ID)}, "phone_1": {"(555) 201-3344"}, "phone_1_kind": {"mobile"},
			"phone_1_text": {"1"}, "version": {"1"}}
	}
	first.post(path, form("Tommy"))
	mustContain(t, first, "Changes saved.", "Tommy Hart")

	stale := form("Second edit")
	stale.Set("email", "tom@example.org")
	second.post(path, stale)
	if second.status != http.StatusConflict {
		t.Fatalf("stale save: status %d", second.status)
	}
	mustContain(t, second, "Someone else changed this client", `value="Second edit"`, `value="tom@example.org"`, `name="version" value="2"`)
	// Saving again from the refreshed form is deliberate and goes through.
	stale.Set("version", "2")
	second.post(path, stale)
	mustContain(t, second, "Changes saved.", "Second edit Hart")

	// Invalid input keeps the version it was loaded at.
	bad := form("Tommy")
	bad.Set("version", "3")
	bad.Set("state", "New York")
	second.post(path, bad)
	if second.status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid edit: status %d", second.status)
	}
	mustContain(t, second, "two-letter state code", `value="New York"`, `name="version" value="3"`)
	// The SSN: set, shown masked as a hint, never filled in; "-" removes it.
	ssn := form("Tommy")
	ssn.Set("version", "3")
	ssn.Set("ssn", "123-45-6789")
	second.post(path, ssn)
	second.get(path + "/edit")
	mustContain(t, second, "On file: •••-••-6789", `id="f-ssn" name="ssn" type="text" value=""`)
	mustNotContain(t, second, "123-45-6789", "123456789")
}

// A clinician outside the care team is refused with the break-the-glass
// form; after stating a reason the chart opens with the emergency banner,
// and the administrator sees the opening on the home page and in the audit
// report. On both engines: the audit filter and count are SQL.
func TestClientBreakGlassPages(t *testing.T) {
	for _, engine := range dbtest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			if engine == db.Postgres {
				dbtest.PostgresSchema(t) // skips, or fails under CI, without a server
			}
			ta := newTestApp(t, engine)
			casey := ta.addStaff("casey@example.org", "Casey Care", access.RoleClinician)
			ta.addStaff("olive@example.org", "Olive Other", access.RoleClinician)
			c := ta.aClientOf(casey.ID, "Ivy", "", "Stone", "1999-09-09")
			path := "/clients/" + itoa(c.ID)

			cb := ta.browser()
			cb.signIn("casey@example.org")
			cb.get(path)
			mustContain(t, cb, "Ivy Stone", `id="notes"`, `id="diagnoses"`, `id="measures"`, "None yet.")
			mustNotContain(t, cb, "Emergency access")

			ob := ta.browser()
			ob.signIn("olive@example.org")
			ob.get(path)
			if ob.status != http.StatusForbidden {
				t.Fatalf("other clinician: status %d, want 403", ob.status)
			}
			mustContain(t, ob, "not on your caseload", `action="`+path+`/break-glass"`, `name="reason"`, "Open chart for 60 minutes", "audited")
			mustNotContain(t, ob, "Ivy", "Stone")
			ob.post(path+"/break-glass", url.Values{"reason": {"urgent"}})
			if ob.status != http.StatusUnprocessableEntity {
				t.Fatalf("short reason: status %d", ob.status)
			}
			mustContain(t, ob, "10 to 500 characters", ">urgent</textarea>")
			ob.post(path+"/break-glass", url.Values{"reason": {"Client called in crisis; Casey is on leave."}})
			if ob.status != http.StatusOK {
				t.Fatalf("after break-glass: status %d", ob.status)
			}
			mustContain(t, ob, "Emergency access granted for 60 minutes", "Emergency access — audited", "Ivy Stone")
			ob.get(path)
			mustContain(t, ob, `id="emergency-banner"`)

			// Roles that cannot break the glass are not offered the form.
			ta.addUser("supervisor@example.org", access.RoleSupervisor)
			sb := ta.browser()
			sb.signIn("supervisor@example.org")
			sb.get(path)
			mustContain(t, sb, "Open chart for 60 minutes") // supervisors may
			ta.addUser("frontdesk@example.org", access.RoleFrontDesk)
			fb := ta.browser()
			fb.signIn("frontdesk@example.org")
			fb.post(path+"/break-glass", url.Values{"reason": {"Client called in crisis; Casey is on leave."}})
			if fb.status != http.StatusForbidden {
				t.Errorf("front desk break-glass: status %d", fb.status)
			}

			ab := ta.browser()
			ab.signIn("admin@example.org")
			mustContain(t, ab, `id="emergency-card"`, `<div class="stat">1</div><div>emergency chart openings in the last 7 days</div>`)
			href := regexp.MustCompile(`href="(/audit\?emergency=1[^"]*)"`).FindStringSubmatch(ab.last)
			if href == nil {
				t.Fatalf("no link to the emergency audit entries")
			}
			ab.get(strings.ReplaceAll(href[1], "&amp;", "&"))
			mustContain(t, ab, "⚠</span> Emergency access", "break-the-glass access granted", "break-the-glass section chart", `name="emergency" value="1" checked`)
			mustNotContain(t, ab, "<td>section chart</td>") // Casey's ordinary read is filtered out
		})
	}
}
