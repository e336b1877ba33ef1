package app

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/api"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

// rowCount counts the rows of table (a fixed name from the test, never input).
func rowCount(t *testing.T, ta *testApp, table string) int {
	t.Helper()
	var n int
	if err := ta.DB.Read().QueryRowContext(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// auditedReads counts successful reads of one section of a client's record
// by user.
func auditedReads(t *testing.T, ta *testApp, userID, clientID int64, section string) int {
	t.Helper()
	page, err := ta.Audit.Find(context.Background(), access.Actor{System: true},
		audit.Filter{UserID: userID, ClientID: clientID, Action: audit.ActionRead, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range page.Entries {
		if e.Outcome == audit.Success && e.ObjectType == "client" && e.Detail == "section "+section {
			n++
		}
	}
	return n
}

// aPolicyBody is a policy as a front desk types it from the card: the
// client's parent is the subscriber.
func aPolicyBody(payerID int64, rank int, memberID string) map[string]any {
	return map[string]any{
		"payer_id": payerID, "rank": rank, "relationship": "child", "subscriber_first": "Lea", "subscriber_last": "Moana",
		"subscriber_birth": "1986-07-07", "subscriber_sex": "F", "member_id": memberID, "group_number": "G-77", "plan_name": "Choice POS II",
		"effective_date": "2025-01-01", "copay_cents": 3000, "coinsurance_bp": 2000, "deductible_cents": 150000,
	}
}

// A client's insurance, contacts and consents and the payer directory
// through the API, on both engines: a biller sets up payers, the front desk
// adds a primary and a secondary policy with an authorisation, the clinician
// records a guardian and consents; each list is read and audited; bad input
// saves nothing; the caseload and the role table refuse the others.
func TestAPIRecords(t *testing.T) {
	for _, engine := range dbtest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			if engine == db.Postgres {
				dbtest.PostgresSchema(t) // skips, or fails under CI, without a server
			}
			ta := newTestApp(t, engine)
			ta.addUser("frontdesk@example.org", access.RoleFrontDesk)
			biller := ta.addUser("biller@example.org", access.RoleBiller)
			dana := ta.addUser("dana@example.org", access.RoleClinician)
			eli := ta.addUser("eli@example.org", access.RoleClinician)
			var bodies []string
			desk := ta.apiAs(t, "frontdesk@example.org", &bodies)
			billerAPI := ta.apiAs(t, "biller@example.org", &bodies)
			danaAPI := ta.apiAs(t, "dana@example.org", &bodies)
			eliAPI := ta.apiAs(t, "eli@example.org", &bodies)

			var kai api.Client
			if st, _ := desk.call("POST", "/api/v1/clients", aClientBody("Kai", "Moana", "2014-02-11", dana.ID), &kai); st != http.StatusCreated {
				t.Fatalf("register = %d", st)
			}
			base := "/api/v1/clients/" + strconv.FormatInt(kai.ID, 10)

			// The payer directory.
			var aetna, bcbs api.Payer
			st, loc := billerAPI.call("POST", "/api/v1/payers", map[string]any{"name": "Aetna", "electronic_id": "60054",
				"address": map[string]string{"line1": "PO Box 981106", "city": "El Paso", "state": "tx", "postal_code": "79998"}}, &aetna)
			wantAetna := api.Payer{ID: aetna.ID, Name: "Aetna", ElectronicID: "60054", ClaimFilingIndicator: "CI",
				Address: api.Address{Line1: "PO Box 981106", City: "El Paso", State: "TX", PostalCode: "79998"}, Active: true, Version: 1}
			if st != http.StatusCreated || loc != "/api/v1/payers/"+strconv.FormatInt(aetna.ID, 10) {
				t.Fatalf("create payer = %d at %q", st, loc)
			}
			if diff := cmp.Diff(wantAetna, aetna); diff != "" {
				t.Errorf("created payer (-want +got):\n%s", diff)
			}
			if st, _ := billerAPI.call("POST", "/api/v1/payers", map[string]any{"name": "Blue Cross Blue Shield of Illinois", "electronic_id": "00621",
				"claim_filing_indicator": "BL"}, &bcbs); st != http.StatusCreated {
				t.Fatalf("create second payer = %d", st)
			}
			var renamed api.Payer
			if st, _ := billerAPI.call("PUT", "/api/v1/payers/"+strconv.FormatInt(bcbs.ID, 10), map[string]any{"name": "BCBS of Illinois",
				"electronic_id": "00621", "claim_filing_indicator": "BL", "version": bcbs.Version}, &renamed); st != http.StatusOK ||
				renamed.Name != "BCBS of Illinois" || renamed.Version != 2 {
				t.Errorf("update payer = %d %+v", st, renamed)
			}
			var payers []int64
			for cursor, pages := "", 0; ; pages++ {
				var page api.List[api.Payer]
				if st, _ := desk.call("GET", "/api/v1/payers?limit=1&cursor="+cursor, nil, &page); st != http.StatusOK || pages > 3 {
					t.Fatalf("payers page %d = %d", pages, st)
				}
				for _, p := range page.Data {
					payers = append(payers, p.ID)
				}
				if cursor = page.NextCursor; cursor == "" {
					break
				}
			}
			if want := []int64{aetna.ID, bcbs.ID}; !cmp.Equal(payers, want) {
				t.Errorf("paged payers = %v, want %v", payers, want)
			}
			var one api.Payer
			if st, _ := danaAPI.call("GET", "/api/v1/payers/"+strconv.FormatInt(aetna.ID, 10), nil, &one); st != http.StatusOK || !cmp.Equal(one, aetna) {
				t.Errorf("get payer = %d, diff (-created +got):\n%s", st, cmp.Diff(aetna, one))
			}

			// Two policies and an authorisation.
			var primary, secondary api.Policy
			if st, _ := desk.call("POST", base+"/policies", aPolicyBody(aetna.ID, 1, "W123 456 789"), &primary); st != http.StatusCreated {
				t.Fatalf("add primary = %d", st)
			}
			self := map[string]any{"payer_id": bcbs.ID, "rank": 2, "member_id": "XOF900112", "effective_date": "2025-01-01"}
			if st, _ := billerAPI.call("POST", base+"/policies", self, &secondary); st != http.StatusCreated {
				t.Fatalf("add secondary = %d", st)
			}
			var auth api.Authorization
			if st, _ := desk.call("POST", base+"/policies/"+strconv.FormatInt(primary.ID, 10)+"/authorizations", map[string]any{
				"number": "PA-1", "visits_authorized": 12, "visits_used": 10, "start_date": "2025-01-01", "end_date": "2099-12-31",
				"service_codes": []string{"90837", "90791"}}, &auth); st != http.StatusCreated {
				t.Fatalf("add authorisation = %d", st)
			}
			wantAuth := api.Authorization{ID: auth.ID, PolicyID: primary.ID, Number: "PA-1", VisitsAuthorized: 12, VisitsUsed: 10,
				StartDate: "2025-01-01", EndDate: "2099-12-31", ServiceCodes: []string{"90837", "90791"}, Warning: "2 of 12 visits left"}
			if diff := cmp.Diff(wantAuth, auth); diff != "" {
				t.Errorf("authorisation (-want +got):\n%s", diff)
			}
			var policies api.List[api.Policy]
			if st, _ := danaAPI.call("GET", base+"/policies", nil, &policies); st != http.StatusOK {
				t.Fatalf("list policies = %d", st)
			}
			wantPolicies := []api.Policy{
				{ID: primary.ID, ClientID: kai.ID, PayerID: aetna.ID, PayerName: "Aetna", Rank: 1, Relationship: "child", SubscriberFirst: "Lea",
					SubscriberLast: "Moana", SubscriberBirth: "1986-07-07", SubscriberSex: "F", MemberID: "W123456789", GroupNumber: "G-77",
					PlanName: "Choice POS II", EffectiveDate: "2025-01-01", CopayCents: 3000, CoinsuranceBP: 2000, DeductibleCents: 150000,
					Active: true, Version: 1, Authorizations: []api.Authorization{wantAuth}},
				{ID: secondary.ID, ClientID: kai.ID, PayerID: bcbs.ID, PayerName: "BCBS of Illinois", Rank: 2, Relationship: "self",
					MemberID: "XOF900112", EffectiveDate: "2025-01-01", Active: true, Version: 1, Authorizations: []api.Authorization{}},
			}
			if diff := cmp.Diff(wantPolicies, policies.Data); diff != "" || policies.NextCursor != "" {
				t.Errorf("policies (-want +got):\n%s", diff)
			}

			// A policy changes only at the version read.
			upd := aPolicyBody(aetna.ID, 1, "W123456789")
			upd["plan_name"], upd["version"] = "Open Access", primary.Version
			var changed api.Policy
			policyPath := base + "/policies/" + strconv.FormatInt(primary.ID, 10)
			if st, _ := billerAPI.call("PUT", policyPath, upd, &changed); st != http.StatusOK || changed.PlanName != "Open Access" ||
				changed.Version != 2 || len(changed.Authorizations) != 1 {
				t.Errorf("update policy = %d %+v", st, changed)
			}

			// A guardian and an emergency contact; the emergency contact leaves.
			var guardian, emergency api.Contact
			if st, _ := danaAPI.call("POST", base+"/contacts", map[string]any{"kind": "guardian", "name": "Lea  Moana", "relationship": "mother",
				"phone": "(312) 555-0100", "legal_document": "Birth certificate"}, &guardian); st != http.StatusCreated {
				t.Fatalf("add guardian = %d", st)
			}
			wantGuardian := api.Contact{ID: guardian.ID, Kind: "guardian", Name: "Lea Moana", Relationship: "mother", Phone: "(312) 555-0100",
				LegalDocument: "Birth certificate"}
			if diff := cmp.Diff(wantGuardian, guardian); diff != "" {
				t.Errorf("guardian (-want +got):\n%s", diff)
			}
			if st, _ := desk.call("POST", base+"/contacts", map[string]any{"kind": "emergency", "name": "Ana Moana", "email": "ana@example.org"},
				&emergency); st != http.StatusCreated {
				t.Fatalf("add emergency contact = %d", st)
			}
			contactPath := base + "/contacts/" + strconv.FormatInt(emergency.ID, 10)
			if st, _ := desk.call("DELETE", contactPath, nil, nil); st != http.StatusNoContent {
				t.Errorf("remove contact = %d", st)
			}
			if st, _ := desk.call("DELETE", contactPath, nil, nil); st != http.StatusNotFound {
				t.Errorf("remove it again = %d", st)
			}
			var contacts api.List[api.Contact]
			if st, _ := billerAPI.call("GET", base+"/contacts", nil, &contacts); st != http.StatusOK || !cmp.Equal(contacts.Data, []api.Contact{wantGuardian}) {
				t.Errorf("contacts = %d, %+v", st, contacts.Data)
			}

			// Consents; one is revoked.
			var treatment, telehealth, revoked api.Consent
			if st, _ := desk.call("POST", base+"/consents", map[string]any{"kind": "treatment", "signed_date": "2025-01-15"}, &treatment); st != http.StatusCreated {
				t.Fatalf("add consent = %d", st)
			}
			if st, _ := danaAPI.call("POST", base+"/consents", map[string]any{"kind": "telehealth", "signed_date": "2025-02-01"}, &telehealth); st != http.StatusCreated {
				t.Fatalf("add second consent = %d", st)
			}
			revokePath := base + "/consents/" + strconv.FormatInt(telehealth.ID, 10) + "/revoke"
			if st, _ := danaAPI.call("POST", revokePath, map[string]any{"revoked_date": "2025-06-01"}, &revoked); st != http.StatusOK ||
				revoked.RevokedDate != "2025-06-01" || revoked.State != "revoked" {
				t.Errorf("revoke = %d %+v", st, revoked)
			}
			if st, _ := danaAPI.call("POST", revokePath, map[string]any{"revoked_date": "2025-06-02"}, nil); st != http.StatusNotFound {
				t.Errorf("revoke again = %d", st)
			}
			var consents api.List[api.Consent]
			if st, _ := desk.call("GET", base+"/consents", nil, &consents); st != http.StatusOK {
				t.Fatalf("list consents = %d", st)
			}
			wantConsents := []api.Consent{
				{ID: telehealth.ID, Kind: "telehealth", SignedDate: "2025-02-01", RevokedDate: "2025-06-01", RecordedBy: dana.ID, State: "revoked"},
				treatment,
			}
			if diff := cmp.Diff(wantConsents, consents.Data); diff != "" || treatment.State != "active" {
				t.Errorf("consents (-want +got):\n%s", diff)
			}

			// Bad input: the one error shape naming the fields, nothing saved.
			tables := []string{"payers", "insurance_policies", "prior_authorizations", "client_contacts", "client_consents"}
			before := map[string]int{}
			for _, tb := range tables {
				before[tb] = rowCount(t, ta, tb)
			}
			badPolicy := aPolicyBody(0, 1, "x")
			badPolicy["copay_cents"], badPolicy["end_date"] = -5, "2024-01-01"
			for _, tt := range []struct {
				name         string
				caller       apiCaller
				method, path string
				body         any
				status       int
				fields       []string
			}{
				{"ErrPayerFields", billerAPI, "POST", "/api/v1/payers", map[string]any{"name": "", "electronic_id": "60-054!", "claim_filing_indicator": "XX"},
					http.StatusUnprocessableEntity, []string{"name", "electronic_id", "claim_filing_indicator"}},
				{"ErrPayerVersion", billerAPI, "PUT", "/api/v1/payers/" + strconv.FormatInt(aetna.ID, 10), map[string]any{"name": "Aetna"},
					http.StatusUnprocessableEntity, []string{"version"}},
				{"ErrPayerStale", billerAPI, "PUT", "/api/v1/payers/" + strconv.FormatInt(aetna.ID, 10), map[string]any{"name": "Aetna Better Health", "version": 9},
					http.StatusConflict, nil},
				{"ErrPolicyFields", desk, "POST", base + "/policies", badPolicy,
					http.StatusUnprocessableEntity, []string{"payer_id", "member_id", "end_date", "copay_cents"}},
				{"ErrSecondPrimary", desk, "POST", base + "/policies", aPolicyBody(aetna.ID, 1, "Z999"), http.StatusUnprocessableEntity, []string{"rank"}},
				{"ErrPolicyStale", desk, "PUT", policyPath, upd, http.StatusConflict, nil},
				{"ErrPolicyUnknownField", desk, "POST", base + "/policies", `{"payer_id": 1, "shoe_size": 9}`, http.StatusUnprocessableEntity, nil},
				{"ErrPolicyNoClient", desk, "POST", "/api/v1/clients/999999/policies", aPolicyBody(aetna.ID, 3, "Q123"), http.StatusNotFound, nil},
				{"ErrAuthorizationFields", desk, "POST", policyPath + "/authorizations", map[string]any{"number": "PA-2", "visits_authorized": 1,
					"start_date": "2025-02-01", "end_date": "2025-01-01", "service_codes": []string{"abc"}},
					http.StatusUnprocessableEntity, []string{"dates", "service_codes"}},
				{"ErrAuthorizationOtherPolicy", desk, "POST", base + "/policies/999999/authorizations", map[string]any{"number": "PA-3",
					"visits_authorized": 1, "start_date": "2025-01-01", "end_date": "2025-12-31"}, http.StatusNotFound, nil},
				{"ErrContactFields", desk, "POST", base + "/contacts", map[string]any{"kind": "cousin", "name": ""},
					http.StatusUnprocessableEntity, []string{"kind", "name", "phone"}},
				{"ErrContactNoClient", desk, "POST", "/api/v1/clients/999999/contacts", map[string]any{"kind": "emergency", "name": "X", "phone": "3125550100"},
					http.StatusNotFound, nil},
				{"ErrReleaseFields", desk, "POST", base + "/consents", map[string]any{"kind": "release", "signed_date": "2999-01-01"},
					http.StatusUnprocessableEntity, []string{"signed_date", "recipient", "purpose", "scope"}},
				{"ErrRevokeFuture", desk, "POST", base + "/consents/" + strconv.FormatInt(treatment.ID, 10) + "/revoke",
					map[string]any{"revoked_date": "2999-01-01"}, http.StatusUnprocessableEntity, []string{"revoked_date"}},
			} {
				t.Run(tt.name, func(t *testing.T) {
					var e apiError
					st, _ := tt.caller.call(tt.method, tt.path, tt.body, &e)
					wantCode := map[int]string{http.StatusUnprocessableEntity: "invalid", http.StatusConflict: "conflict", http.StatusNotFound: "not_found"}[tt.status]
					if st != tt.status || e.Error.Code != wantCode || e.Error.Message == "" {
						t.Fatalf("status %d, error %+v; want %d %s", st, e, tt.status, wantCode)
					}
					for _, f := range tt.fields {
						if e.Error.Fields[f] == "" {
							t.Errorf("no message for %s: %v", f, e.Error.Fields)
						}
					}
				})
			}
			for _, tb := range tables {
				if n := rowCount(t, ta, tb); n != before[tb] {
					t.Errorf("bad input saved %d rows in %s", n-before[tb], tb)
				}
			}
			if desk.call("GET", base+"/policies", nil, &policies); len(policies.Data) != 2 || policies.Data[0].Version != 2 ||
				policies.Data[0].PlanName != "Open Access" {
				t.Errorf("refused changes touched the policies: %+v", policies.Data)
			}

			// Who may do what: the role table at the route, the caseload in
			// the service. Billers read contacts (they hold clients.read) but
			// do not change them; clinicians read insurance but do not change
			// it; a clinician off the care team reads nothing of the record.
			for _, tt := range []struct {
				caller       apiCaller
				method, path string
				body         any
				status       int
			}{
				{billerAPI, "GET", base + "/policies", nil, http.StatusOK},
				{billerAPI, "GET", base + "/contacts", nil, http.StatusOK},
				{billerAPI, "GET", base + "/consents", nil, http.StatusOK},
				{billerAPI, "POST", base + "/contacts", map[string]any{"kind": "emergency", "name": "X", "phone": "3125550100"}, http.StatusForbidden},
				{billerAPI, "POST", base + "/consents", map[string]any{"kind": "treatment", "signed_date": "2025-01-15"}, http.StatusForbidden},
				{danaAPI, "GET", base + "/policies", nil, http.StatusOK},
				{danaAPI, "POST", base + "/policies", aPolicyBody(aetna.ID, 3, "T333"), http.StatusForbidden},
				{danaAPI, "PUT", "/api/v1/payers/" + strconv.FormatInt(aetna.ID, 10), map[string]any{"name": "A", "version": 1}, http.StatusForbidden},
				{desk, "POST", "/api/v1/payers", map[string]any{"name": "Cigna"}, http.StatusForbidden},
				{eliAPI, "GET", base + "/policies", nil, http.StatusForbidden},
				{eliAPI, "GET", base + "/contacts", nil, http.StatusForbidden},
				{eliAPI, "GET", base + "/consents", nil, http.StatusForbidden},
				{eliAPI, "POST", base + "/contacts", map[string]any{"kind": "emergency", "name": "X", "phone": "3125550100"}, http.StatusForbidden},
				{eliAPI, "POST", revokePath, map[string]any{"revoked_date": "2025-06-01"}, http.StatusForbidden},
				{eliAPI, "DELETE", base + "/contacts/" + strconv.FormatInt(guardian.ID, 10), nil, http.StatusForbidden},
				{eliAPI, "GET", "/api/v1/payers", nil, http.StatusOK},
			} {
				var e apiError
				st, _ := tt.caller.call(tt.method, tt.path, tt.body, &e)
				if st != tt.status || (st == http.StatusForbidden && e.Error.Code != "forbidden") {
					t.Errorf("%s %s as %s = %d %+v, want %d", tt.method, tt.path, tt.caller.name, st, e, tt.status)
				}
			}
			page, err := ta.Audit.Find(context.Background(), access.Actor{System: true}, audit.Filter{UserID: eli.ID, ClientID: kai.ID, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != 6 {
				t.Errorf("Eli's refusals audited as %d entries naming the client, want 6: %+v", page.Total, page.Entries)
			}
			for _, e := range page.Entries {
				if e.Outcome != audit.Denied {
					t.Errorf("Eli's entry %+v is not a denial", e)
				}
			}
			if n := rowCount(t, ta, "client_contacts"); n != before["client_contacts"] {
				t.Errorf("refused requests changed contacts")
			}

			// Every read of a section of the record is audited, once.
			for _, tt := range []struct {
				caller  apiCaller
				userID  int64
				path    string
				section string
			}{
				{billerAPI, biller.ID, base + "/policies", "insurance"},
				{danaAPI, dana.ID, base + "/policies", "insurance"},
				{billerAPI, biller.ID, base + "/contacts", "contacts"},
				{danaAPI, dana.ID, base + "/contacts", "contacts"},
				{billerAPI, biller.ID, base + "/consents", "consents"},
				{danaAPI, dana.ID, base + "/consents", "consents"},
			} {
				was := auditedReads(t, ta, tt.userID, kai.ID, tt.section)
				if st, _ := tt.caller.call("GET", tt.path, nil, nil); st != http.StatusOK {
					t.Fatalf("GET %s as %s = %d", tt.path, tt.caller.name, st)
				}
				if n := auditedReads(t, ta, tt.userID, kai.ID, tt.section); n != was+1 {
					t.Errorf("GET %s as %s: %d read entries, want %d", tt.path, tt.caller.name, n, was+1)
				}
			}
		})
	}
}
