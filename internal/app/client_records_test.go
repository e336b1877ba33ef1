package app

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// aPayer adds a payer to the directory through the service.
func (ta *testApp) aPayer(name, electronicID string) int64 {
	ta.t.Helper()
	id, err := ta.Clients.SavePayer(context.Background(), access.Actor{System: true},
		clients.Payer{Name: name, ElectronicID: electronicID, ClaimFilingIndicator: "CI", Active: true})
	if err != nil {
		ta.t.Fatal(err)
	}
	return id
}

// policyForm is a valid policy form: the client's mother holds it.
func policyForm(payerID int64) url.Values {
	return url.Values{"payer": {itoa(payerID)}, "rank": {"1"}, "relationship": {"child"}, "subscriber_first": {"Lea"},
		"subscriber_last": {"Moana"}, "subscriber_birth": {"1986-07-07"}, "subscriber_sex": {"F"}, "member_id": {"w123 456 789"},
		"group_number": {"G-77"}, "plan_name": {"Choice POS II"}, "effective_date": {"2026-01-01"}, "copay": {"$30"},
		"coinsurance": {"20"}, "deductible": {"1,500"}, "active": {"1"}}
}

// recordCase is one request against a fresh client's record: given sets up
// the client's data through the services and names the request.
type recordCase struct {
	name   string
	as     string // who: frontdesk, biller, clinician or admin
	given  func(t *testing.T, c clients.Client) (method, path string, form url.Values)
	status int
	want   []string
	absent []string
	then   func(t *testing.T, c clients.Client)
}

// The related-data pages of the client record, one request each, through
// the real server: every change goes through its form, errors keep what was
// typed and save nothing, and each route refuses the roles it should.
func TestClientRecordsPages(t *testing.T) {
	ta := newTestApp(t, db.SQLite)
	ctx := context.Background()
	sys := access.Actor{System: true}
	casey := ta.addStaff("casey@example.org", "Casey Care", access.RoleClinician)
	ta.addUser("frontdesk@example.org", access.RoleFrontDesk)
	ta.addUser("biller@example.org", access.RoleBiller)
	aetna := ta.aPayer("Aetna", "60054")
	browsers := map[string]*browser{}
	for who, email := range map[string]string{"frontdesk": "frontdesk@example.org", "biller": "biller@example.org",
		"clinician": "casey@example.org", "admin": "admin@example.org"} {
		browsers[who] = ta.browser()
		browsers[who].signIn(email)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	policies := func(t *testing.T, c clients.Client) []clients.Policy {
		t.Helper()
		pols, err := ta.Clients.Policies(ctx, sys, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return pols
	}
	addPolicy := func(t *testing.T, c clients.Client) int64 {
		t.Helper()
		id, err := ta.Clients.SavePolicy(ctx, sys, clients.Policy{ClientID: c.ID, PayerID: aetna, Rank: clients.Primary, MemberID: "W1",
			EffectiveDate: "2026-01-01", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	post := func(path string, form url.Values) (string, string, url.Values) { return "POST", path, form }
	get := func(path string) (string, string, url.Values) { return "GET", path, nil }
	rec := func(c clients.Client, rest string) string { return "/clients/" + itoa(c.ID) + rest }

	tests := []recordCase{
		{name: "AddPolicy", as: "frontdesk",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				return post(rec(c, "/policies"), policyForm(aetna))
			},
			status: http.StatusOK,
			want: []string{"The policy was added.", "Primary</span> Aetna · Choice POS II", "W123456789", "G-77", "Lea Moana (The client is their child)",
				"$30.00 · 20 % · $1500.00", `href="/clients/`},
			then: func(t *testing.T, c clients.Client) {
				p := policies(t, c)
				if len(p) != 1 || p[0].CopayCents != 3000 || p[0].CoinsuranceBP != 2000 || p[0].DeductibleCents != 150000 || p[0].SubscriberBirth != "1986-07-07" {
					t.Errorf("policies = %+v", p)
				}
			}},
		{name: "ErrMemberIDKeepsInput", as: "biller",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				f := policyForm(aetna)
				f.Set("member_id", "x")
				f.Set("plan_name", "<b>Gold</b>")
				f.Set("coinsurance", "twenty")
				return post(rec(c, "/policies"), f)
			},
			status: http.StatusUnprocessableEntity,
			want: []string{`id="error-summary"`, `href="#f-member_id"`, "A member ID has 2 to 30 letters", `id="f-member_id" name="member_id" type="text" value="x"`,
				`value="&lt;b&gt;Gold&lt;/b&gt;"`, `value="twenty"`, "Enter coinsurance between 0 and 100 %", `value="Lea"`, `value="1986-07-07"`,
				`<option value="child" selected>`, `<option value="` + itoa(aetna) + `" selected>Aetna (60054)</option>`},
			absent: []string{"<b>Gold</b>"},
			then: func(t *testing.T, c clients.Client) {
				if p := policies(t, c); len(p) != 0 {
					t.Errorf("an invalid form saved %d policies", len(p))
				}
			}},
		{name: "ErrSecondPrimary", as: "frontdesk",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				addPolicy(t, c)
				return post(rec(c, "/policies"), policyForm(aetna))
			},
			status: http.StatusUnprocessableEntity,
			want:   []string{"already has an active policy at this rank", `value="w123 456 789"`},
		},
		{name: "EditPolicyEndsIt", as: "biller",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				id := addPolicy(t, c)
				f := policyForm(aetna)
				f.Set("relationship", "self")
				f.Del("active")
				f.Set("end_date", "2026-03-31")
				f.Set("version", "1")
				return post(rec(c, "/policies/"+itoa(id)), f)
			},
			status: http.StatusOK,
			want:   []string{"The policy was saved.", "Inactive</span> Aetna", "from 2026-01-01 to 2026-03-31", "The client"},
			absent: []string{"Lea Moana"},
		},
		{name: "AddAuthorizationWarns", as: "frontdesk",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				id := addPolicy(t, c)
				return post(rec(c, "/policies/"+itoa(id)+"/authorizations"), url.Values{"number": {"PA-77"}, "visits_authorized": {"10"},
					"visits_used": {"9"}, "start_date": {"2026-01-01"}, "end_date": {"2099-12-31"}, "service_codes": {"90837, 90834"}})
			},
			status: http.StatusOK,
			want:   []string{"The authorization was added.", "PA-77", "9 of 10", "90837, 90834", "⚠</span> 1 of 10 visits left"},
		},
		{name: "ErrAuthorizationDatesKeepInput", as: "frontdesk",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				id := addPolicy(t, c)
				return post(rec(c, "/policies/"+itoa(id)+"/authorizations"), url.Values{"number": {"PA-78"}, "visits_authorized": {"10"},
					"start_date": {"2026-05-01"}, "end_date": {"2026-01-01"}, "service_codes": {"9083"}})
			},
			status: http.StatusUnprocessableEntity,
			want:   []string{`href="#f-start_date"`, "the end on or after the start", "5-character CPT codes", `value="PA-78"`, `value="9083"`},
		},
		{name: "ExpiredAuthorization", as: "biller",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				id := addPolicy(t, c)
				if _, err := ta.Clients.AddAuthorization(ctx, sys, c.ID, clients.Authorization{PolicyID: id, Number: "PA-OLD", VisitsAuthorized: 5,
					StartDate: "2020-01-01", EndDate: "2020-12-31"}); err != nil {
					t.Fatal(err)
				}
				return get(rec(c, ""))
			},
			status: http.StatusOK,
			want:   []string{`chip danger auth-warning"><span aria-hidden="true">✕</span> Expired 2020-12-31`},
		},
		{name: "ClinicianMayNotAddPolicy", as: "clinician",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				return get(rec(c, "/policies/new"))
			},
			status: http.StatusForbidden,
		},
		{name: "AddGuardian", as: "frontdesk",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				return post(rec(c, "/contacts"), url.Values{"kind": {"guardian"}, "name": {"Rosa Reyes"}, "relationship": {"mother"},
					"phone": {"312-555-0101"}, "legal_document": {"custody order 2024-03-01"}})
			},
			status: http.StatusOK,
			want:   []string{"Guardian added.", "Rosa Reyes", "mother", "⚖</span> Guardian", "custody order 2024-03-01", "312-555-0101"},
		},
		{name: "ErrContactKeepsInput", as: "clinician",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				return post(rec(c, "/contacts"), url.Values{"kind": {"emergency"}, "name": {"Luis Reyes"}, "phone": {"12"}})
			},
			status: http.StatusUnprocessableEntity,
			want:   []string{"Enter a 10-digit phone number.", `value="Luis Reyes"`, `value="12"`, `<option value="emergency" selected>`},
		},
		{name: "RemoveContact", as: "frontdesk",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				id, err := ta.Clients.AddContact(ctx, sys, c.ID, clients.Contact{Kind: "emergency", Name: "Luis Reyes", Phone: "312-555-0102"})
				if err != nil {
					t.Fatal(err)
				}
				return post(rec(c, "/contacts/"+itoa(id)+"/remove"), nil)
			},
			status: http.StatusOK,
			want:   []string{"The contact was removed."},
			absent: []string{"Luis Reyes"},
		},
		{name: "ErrReleaseNeedsRecipient", as: "frontdesk",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				return post(rec(c, "/consents"), url.Values{"kind": {"release"}, "signed_date": {"2026-01-05"}, "purpose": {"school"}, "part2": {"1"}})
			},
			status: http.StatusUnprocessableEntity,
			want:   []string{"Name who receives the information.", "Say what may be shared.", `value="school"`, `name="part2" value="1" checked`},
		},
		{name: "AddRelease", as: "clinician",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				return post(rec(c, "/consents"), url.Values{"kind": {"release"}, "signed_date": {"2026-01-05"}, "expires_date": {"2099-01-05"},
					"recipient": {"Lincoln Elementary counselor"}, "purpose": {"coordination of care"}, "scope": {"attendance only"}, "part2": {"1"}})
			},
			status: http.StatusOK,
			want: []string{"Release of information recorded.", "To Lincoln Elementary counselor · for coordination of care · shares attendance only",
				"42 CFR Part 2", "✓</span> Active", "/revoke"},
		},
		{name: "RevokeConsent", as: "frontdesk",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				id, err := ta.Clients.AddConsent(ctx, sys, c.ID, clients.Consent{Kind: "telehealth", SignedDate: "2025-01-01"})
				if err != nil {
					t.Fatal(err)
				}
				b := browsers["frontdesk"]
				b.get(rec(c, "/consents/"+itoa(id)+"/revoke"))
				if b.status != http.StatusOK || !regexp.MustCompile(`Revoke Telehealth consent</button>`).MatchString(b.last) {
					t.Errorf("revoke page: status %d", b.status)
				}
				return post(rec(c, "/consents/"+itoa(id)+"/revoke"), url.Values{"revoked_date": {today}})
			},
			status: http.StatusOK,
			want:   []string{"The consent is marked revoked.", `<tr class="consent-revoked">`, "✕</span> Revoked " + today},
		},
		{name: "ErrRevokeInFuture", as: "frontdesk",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				id, err := ta.Clients.AddConsent(ctx, sys, c.ID, clients.Consent{Kind: "treatment", SignedDate: "2025-01-01"})
				if err != nil {
					t.Fatal(err)
				}
				return post(rec(c, "/consents/"+itoa(id)+"/revoke"), url.Values{"revoked_date": {"2999-01-01"}})
			},
			status: http.StatusUnprocessableEntity,
			want:   []string{"not in the future", `value="2999-01-01"`, "Consent to treatment"},
			then: func(t *testing.T, c clients.Client) {
				cs, _ := ta.Clients.Consents(ctx, sys, c.ID)
				if len(cs) != 1 || cs[0].RevokedDate != "" {
					t.Errorf("consents after a refused revocation = %+v", cs)
				}
			}},
		{name: "ExpiredConsentMarked", as: "biller",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				if _, err := ta.Clients.AddConsent(ctx, sys, c.ID, clients.Consent{Kind: "financial_policy", SignedDate: "2020-01-01", ExpiresDate: "2020-12-31"}); err != nil {
					t.Fatal(err)
				}
				return get(rec(c, ""))
			},
			status: http.StatusOK,
			want:   []string{`<tr class="consent-expired">`, "⚠</span> Expired"},
			absent: []string{"Record a consent"}, // billers read consents but do not record them
		},
		{name: "AddAlert", as: "clinician",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				return post(rec(c, "/alerts"), url.Values{"kind": {"safety"}, "text": {"Safety plan on file"}})
			},
			status: http.StatusOK,
			want:   []string{"The alert was added.", `<span class="chip danger"><span aria-hidden="true">⚠</span> Safety plan on file</span>`},
		},
		{name: "ResolveAlert", as: "frontdesk",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				id, err := ta.Clients.AddAlert(ctx, sys, c.ID, clients.Alert{Kind: "contact", Text: "Do not leave voicemail"})
				if err != nil {
					t.Fatal(err)
				}
				return post(rec(c, "/alerts/"+itoa(id)+"/resolve"), nil)
			},
			status: http.StatusOK,
			want:   []string{"The alert was resolved.", `<span class="muted">No alerts</span>`},
			absent: []string{"Do not leave voicemail"},
		},
		{name: "BillerMayNotAddAlert", as: "biller",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				return post(rec(c, "/alerts"), url.Values{"kind": {"billing"}, "text": {"Balance due"}})
			},
			status: http.StatusForbidden,
		},
		{name: "RelateByMRN", as: "frontdesk",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				partner := ta.aClientOf(0, "Rafael", "", "Partner"+itoa(c.ID), "1985-03-03")
				return post(rec(c, "/relations"), url.Values{"mrn": {partner.MRN}, "kind": {"partner"}})
			},
			status: http.StatusOK,
			want:   []string{"The clients are linked.", "Rafael Partner", "· Partner or spouse ·"},
			then: func(t *testing.T, c clients.Client) {
				b := browsers["frontdesk"]
				link := regexp.MustCompile(`<a href="(/clients/\d+)">Rafael Partner`).FindStringSubmatch(b.last)
				if link == nil {
					t.Fatal("no link to the partner's chart")
				}
				b.get(link[1]) // the link shows both ways
				mustContain(t, b, `<a href="/clients/`+itoa(c.ID)+`">`, "· Partner or spouse ·")
			}},
		{name: "ErrRelateUnknownMRN", as: "frontdesk",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				return post(rec(c, "/relations"), url.Values{"mrn": {"MS-999999"}, "kind": {""}})
			},
			status: http.StatusUnprocessableEntity,
			want:   []string{"No client you can open has this MRN.", `value="MS-999999"`, "Choose how they are related."},
		},
		{name: "MergeRefusedForFrontDesk", as: "frontdesk",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				dup := ta.aClientOf(casey.ID, "Dupe", "", "Mergex"+itoa(c.ID)+"z", "1970-01-01")
				return post(rec(c, "/merge/confirm"), url.Values{"duplicate": {itoa(dup.ID)}})
			},
			status: http.StatusForbidden,
			then: func(t *testing.T, c clients.Client) {
				b := browsers["frontdesk"]
				b.get(rec(c, "/merge"))
				if b.status != http.StatusForbidden {
					t.Errorf("front desk merge page: status %d", b.status)
				}
				found, _ := ta.Clients.Search(ctx, sys, clients.SearchFilter{Query: "Mergex" + itoa(c.ID) + "z"})
				if len(found) != 1 {
					t.Errorf("the duplicate was merged by front desk: search finds %d", len(found))
				}
				b.get(rec(c, ""))
				mustNotContain(t, b, `href="`+rec(c, "/merge")+`"`) // not offered either
			}},
		{name: "MergeByAdmin", as: "admin",
			given: func(t *testing.T, c clients.Client) (string, string, url.Values) {
				dup := ta.aClientOf(casey.ID, "Dupe", "", "Mergex"+itoa(c.ID)+"z", "1970-01-01")
				if _, err := ta.Clients.AddConsent(ctx, sys, dup.ID, clients.Consent{Kind: "treatment", SignedDate: "2025-02-02"}); err != nil {
					t.Fatal(err)
				}
				b := browsers["admin"]
				b.get(rec(c, ""))
				mustContain(t, b, `href="`+rec(c, "/merge")+`">Merge a duplicate</a>`)
				b.get(rec(c, "/merge"))
				mustContain(t, b, `action="`+rec(c, "/merge")+`"`, `name="mrn"`)
				b.post(rec(c, "/merge"), url.Values{"mrn": {c.MRN}})
				mustContain(t, b, "This is the record that stays")
				b.post(rec(c, "/merge"), url.Values{"mrn": {dup.MRN}})
				if b.status != http.StatusOK {
					t.Fatalf("compare: status %d", b.status)
				}
				mustContain(t, b, "Stays: "+c.MRN, "Merged in: "+dup.MRN, "Dupe Mergex"+itoa(c.ID)+"z", "Merge "+dup.MRN+" into "+c.MRN, `name="duplicate" value="`+itoa(dup.ID)+`"`)
				// Nothing has changed yet.
				if found, _ := ta.Clients.Search(ctx, sys, clients.SearchFilter{Query: dup.MRN}); len(found) != 1 {
					t.Error("the comparison step merged")
				}
				return post(rec(c, "/merge/confirm"), url.Values{"duplicate": {itoa(dup.ID)}})
			},
			status: http.StatusOK,
			want:   []string{"The duplicate was merged into this record.", "Consent to treatment"},
			then: func(t *testing.T, c clients.Client) {
				if found, _ := ta.Clients.Search(ctx, sys, clients.SearchFilter{Query: "Mergex" + itoa(c.ID) + "z"}); len(found) != 0 {
					t.Errorf("search still finds the merged duplicate: %+v", found)
				}
			}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ta.aClientOf(casey.ID, "Case", "", "Record"+strconv.Itoa(i), "1990-01-01")
			method, path, form := tt.given(t, c)
			b := browsers[tt.as]
			if method == "GET" {
				b.get(path)
			} else {
				b.post(path, form)
			}
			if b.status != tt.status {
				t.Fatalf("%s %s as %s: status %d, want %d\n%.1500s", method, path, tt.as, b.status, tt.status, b.last)
			}
			mustContain(t, b, tt.want...)
			mustNotContain(t, b, tt.absent...)
			if tt.then != nil {
				tt.then(t, c)
			}
		})
	}
}

// The payer directory: billers and administrators keep it, everyone who
// reads insurance lists it.
func TestPayerPages(t *testing.T) {
	ta := newTestApp(t, db.SQLite)
	ta.addUser("biller@example.org", access.RoleBiller)
	ta.addUser("frontdesk@example.org", access.RoleFrontDesk)
	bb := ta.browser()
	bb.signIn("biller@example.org")
	mustContain(t, bb, `<a href="/payers">Payers</a>`)

	tests := []struct {
		name   string
		form   url.Values
		status int
		want   []string
	}{
		{"ErrKeepsInput", url.Values{"name": {"Cigna <HMO>"}, "electronic_id": {"62-308!"}, "claim_filing_indicator": {"HM"}, "state": {"Illinois"}, "active": {"1"}},
			http.StatusUnprocessableEntity,
			[]string{`value="Cigna &lt;HMO&gt;"`, `value="62-308!"`, "A payer ID has 2 to 10 letters or digits", `<option value="HM" selected>`,
				"Use the two-letter state code", `value="Illinois"`}},
		{"Add", url.Values{"name": {"Cigna"}, "electronic_id": {"62308"}, "claim_filing_indicator": {"HM"}, "city": {"Bloomfield"}, "state": {"ct"},
			"postal_code": {"06002"}, "phone": {"800-555-0100"}, "active": {"1"}},
			http.StatusOK,
			[]string{"Cigna was added.", `id="payer-table"`, "62308", "HMO", "Bloomfield CT 06002", "✓</span> Active"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bb.get("/payers/new")
			bb.post("/payers", tt.form)
			if bb.status != tt.status {
				t.Fatalf("status %d, want %d", bb.status, tt.status)
			}
			mustContain(t, bb, tt.want...)
		})
	}
	list, err := ta.Clients.Payers(context.Background(), access.Actor{System: true})
	if err != nil || len(list) != 1 {
		t.Fatalf("payers = %+v, %v (the invalid form saved nothing)", list, err)
	}
	// Edit: retire the payer.
	path := "/payers/" + itoa(list[0].ID)
	bb.get(path)
	mustContain(t, bb, `value="Cigna"`, `name="version" value="1"`, `name="active" value="1" checked`)
	bb.post(path, url.Values{"name": {"Cigna Healthcare"}, "electronic_id": {"62308"}, "claim_filing_indicator": {"HM"}, "version": {"1"}})
	mustContain(t, bb, "Changes saved.", "Cigna Healthcare", "Inactive")
	bb.post(path, url.Values{"name": {"Stale"}, "claim_filing_indicator": {"HM"}, "version": {"1"}})
	if bb.status != http.StatusConflict {
		t.Errorf("stale payer save: status %d", bb.status)
	}
	mustContain(t, bb, `value="Stale"`, "changed by someone else", `name="version" value="2"`)

	// Front desk list the directory but do not keep it.
	fb := ta.browser()
	fb.signIn("frontdesk@example.org")
	mustNotContain(t, fb, `<a href="/payers">Payers</a>`)
	fb.get("/payers")
	mustContain(t, fb, "Cigna Healthcare")
	mustNotContain(t, fb, "Add a payer", `href="`+path+`"`)
	for _, p := range []string{"/payers/new", path} {
		fb.get(p)
		if fb.status != http.StatusForbidden {
			t.Errorf("front desk %s: status %d, want 403", p, fb.status)
		}
	}
	fb.post("/payers", url.Values{"name": {"Sneaky"}, "claim_filing_indicator": {"CI"}})
	if fb.status != http.StatusForbidden {
		t.Errorf("front desk add payer: status %d", fb.status)
	}
}
