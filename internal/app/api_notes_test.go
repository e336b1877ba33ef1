package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/api"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

// staffMember adds an account with a name and credentials of its own, as
// signatures print them.
func (ta *testApp) staffMember(email, name, credentials string, roles ...access.Role) auth.User {
	ta.t.Helper()
	u, err := ta.Auth.CreateUser(context.Background(), access.Actor{System: true}, auth.Profile{Email: email, Name: name, Credentials: credentials, Roles: roles}, testPassword)
	if err != nil {
		ta.t.Fatal(err)
	}
	return u
}

// aSOAPBody is a complete SOAP note body as an editor sends it.
func aSOAPBody(subjective string) map[string]string {
	b := map[string]string{"subjective": subjective, "objective": "Calm, engaged, good eye contact.", "assessment": "Improving.",
		"plan": "Continue CBT weekly.", "risk.level": "low", "risk.suicidal_ideation": "none", "risk.homicidal_ideation": "none", "progress": "Improved"}
	for _, d := range notes.MSEDomains {
		b["mse."+d.Key] = d.Options[0]
	}
	return b
}

// Clinical documentation through the API on both engines: diagnoses (a
// category code is refused, naming the field), medications, templates, and a
// note's life: draft, stale save refused, wrong password refused, signed,
// locked, amended, verified; a biller sees service details without the body;
// an associate's note is returned, signed again and co-signed by the
// supervisor; the caseload and the role table refuse the others.
func TestAPINotes(t *testing.T) {
	for _, engine := range dbtest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			if engine == db.Postgres {
				dbtest.PostgresSchema(t) // skips, or fails under CI, without a server
			}
			ta := newTestApp(t, engine)
			ctx := context.Background()
			sys := access.Actor{System: true}
			dana := ta.staffMember("dana@example.org", "Dana Okafor", "LCSW", access.RoleClinician)
			ta.staffMember("eli@example.org", "Eli Brooks", "PhD", access.RoleClinician)
			sam := ta.staffMember("sam@example.org", "Sam Patel", "LPC-A", access.RoleAssociate)
			morgan := ta.staffMember("morgan@example.org", "Morgan Lee", "PhD", access.RoleSupervisor)
			ta.staffMember("biller@example.org", "Riley Chen", "", access.RoleBiller)
			if err := ta.Clients.SetSupervisors(ctx, sys, sam.ID, []int64{morgan.ID}); err != nil {
				t.Fatal(err)
			}
			var bodies []string
			danaAPI := ta.apiAs(t, "dana@example.org", &bodies)
			eliAPI := ta.apiAs(t, "eli@example.org", &bodies)
			samAPI := ta.apiAs(t, "sam@example.org", &bodies)
			morganAPI := ta.apiAs(t, "morgan@example.org", &bodies)
			var billerBodies []string
			billerAPI := ta.apiAs(t, "biller@example.org", &billerBodies)
			register := func(first, last string, clinician int64) int64 {
				t.Helper()
				c, err := ta.Clients.Create(ctx, sys, clients.Input{FirstName: first, LastName: last, BirthDate: "1990-05-17", PrimaryClinicianID: clinician})
				if err != nil {
					t.Fatal(err)
				}
				return c.ID
			}
			marisol := register("Marisol", "Nuñez", dana.ID)
			theo := register("Theo", "Grant", sam.ID)
			base := "/api/v1/clients/" + strconv.FormatInt(marisol, 10)

			// Diagnoses: a category is not a billable code.
			var e apiError
			if st, _ := danaAPI.call("POST", base+"/diagnoses", map[string]any{"code": "F33", "rank": 1}, &e); st != http.StatusUnprocessableEntity || e.Error.Fields["code"] == "" {
				t.Fatalf("category code = %d %+v", st, e)
			}
			var dx api.Diagnosis
			if st, _ := danaAPI.call("POST", base+"/diagnoses", map[string]any{"code": "f331", "rank": 1, "onset": "2025-10-01"}, &dx); st != http.StatusCreated ||
				dx.Code != "F33.1" || dx.Status != "active" || dx.Version != 1 || dx.AddedBy != "Dana Okafor" {
				t.Fatalf("add diagnosis = %d %+v", st, dx)
			}
			if st, _ := danaAPI.call("POST", base+"/diagnoses", map[string]any{"code": "F33.1", "rank": 2}, &e); st != http.StatusConflict {
				t.Errorf("the same code twice = %d", st)
			}
			var gad api.Diagnosis
			danaAPI.call("POST", base+"/diagnoses", map[string]any{"code": "F41.1", "rank": 2}, &gad)
			dxPath := base + "/diagnoses/" + strconv.FormatInt(gad.ID, 10)
			if st, _ := danaAPI.call("PUT", dxPath, map[string]any{"rank": 2, "status": "ruled_out", "version": 1}, &gad); st != http.StatusOK || gad.Status != "ruled_out" || gad.Version != 2 {
				t.Errorf("rule out = %d %+v", st, gad)
			}
			if st, _ := danaAPI.call("PUT", dxPath, map[string]any{"rank": 2, "status": "active", "version": 1}, &e); st != http.StatusConflict {
				t.Errorf("stale diagnosis change = %d", st)
			}
			if st, _ := danaAPI.call("PUT", dxPath, map[string]any{"code": "F32.0", "rank": 2, "status": "active", "version": 2}, &e); st != http.StatusUnprocessableEntity {
				t.Errorf("changing a code = %d", st)
			}
			var dxs api.List[api.Diagnosis]
			if st, _ := billerAPI.call("GET", base+"/diagnoses", nil, &dxs); st != http.StatusOK || len(dxs.Data) != 2 || dxs.Data[0].Code != "F33.1" {
				t.Errorf("biller's diagnosis list = %d %+v", st, dxs)
			}
			if st, _ := billerAPI.call("POST", base+"/diagnoses", map[string]any{"code": "F32.0", "rank": 3}, &e); st != http.StatusForbidden {
				t.Errorf("biller adds a diagnosis = %d", st)
			}
			if st, _ := eliAPI.call("GET", base+"/diagnoses", nil, &e); st != http.StatusForbidden {
				t.Errorf("another clinician's client = %d", st)
			}

			// Medications: clinical readers only.
			var med api.Medication
			if st, _ := danaAPI.call("POST", base+"/medications", map[string]any{"name": "Sertraline", "dose": "50 mg", "frequency": "daily",
				"start_date": "2025-09-01"}, &med); st != http.StatusCreated || med.Name != "Sertraline" || med.Version != 1 {
				t.Fatalf("add medication = %d %+v", st, med)
			}
			medPath := base + "/medications/" + strconv.FormatInt(med.ID, 10)
			if st, _ := danaAPI.call("PUT", medPath, map[string]any{"name": "Sertraline", "dose": "100 mg", "frequency": "daily", "start_date": "2025-09-01",
				"version": 1}, &med); st != http.StatusOK || med.Dose != "100 mg" || med.Version != 2 {
				t.Errorf("change dose = %d %+v", st, med)
			}
			if st, _ := danaAPI.call("PUT", medPath, map[string]any{"name": "Sertraline", "version": 1}, &e); st != http.StatusConflict {
				t.Errorf("stale medication = %d", st)
			}
			if st, _ := danaAPI.call("POST", base+"/medications", map[string]any{"name": "X", "start_date": "someday"}, &e); st != http.StatusUnprocessableEntity ||
				e.Error.Fields["start_date"] == "" {
				t.Errorf("bad start date = %d %+v", st, e)
			}
			if st, _ := billerAPI.call("GET", base+"/medications", nil, &e); st != http.StatusForbidden {
				t.Errorf("biller reads medications = %d", st)
			}

			// Templates.
			var ts api.List[api.Template]
			if st, _ := danaAPI.call("GET", "/api/v1/note-templates", nil, &ts); st != http.StatusOK || len(ts.Data) < 12 {
				t.Fatalf("templates = %d, %d", st, len(ts.Data))
			}
			tmpl := map[string]api.Template{}
			for _, tm := range ts.Data {
				tmpl[tm.Kind] = tm
			}
			soap := tmpl[string(notes.ProgressSOAP)]
			if soap.ID == 0 || !strings.Contains(strings.Join(soap.Fields[2].Keys, " "), "mse.mood") {
				t.Fatalf("SOAP template: %+v", soap)
			}

			// A note's life.
			var n api.Note
			st, loc := danaAPI.call("POST", "/api/v1/notes", map[string]any{"client_id": marisol, "template_id": soap.ID}, &n)
			if st != http.StatusCreated || loc != "/api/v1/notes/"+strconv.FormatInt(n.ID, 10) || n.Status != "draft" || n.Version != 1 || n.Body == nil {
				t.Fatalf("create draft = %d at %q: %+v", st, loc, n)
			}
			notePath := loc
			const secret = "Reports sleeping through the night since the dog arrived."
			if st, _ := danaAPI.call("PUT", notePath, map[string]any{"body": aSOAPBody(secret), "version": 1,
				"session": map[string]any{"service_code": "90834", "start": "2026-03-02T15:00:00Z", "end": "2026-03-02T15:45:00Z", "place_of_service": "11",
					"diagnosis_ids": []int64{dx.ID}}}, &n); st != http.StatusOK || n.Version != 2 || n.Session.Minutes != 45 || n.Session.SuggestedCode != "90834" {
				t.Fatalf("save draft = %d %+v", st, n)
			}
			if st, _ := danaAPI.call("PUT", notePath, map[string]any{"body": map[string]string{"subjective": "from another tab"}, "version": 1}, &e); st != http.StatusConflict {
				t.Fatalf("stale save = %d", st)
			}
			// A body-only save keeps the session.
			if st, _ := danaAPI.call("PUT", notePath, map[string]any{"body": aSOAPBody(secret), "version": 2}, &n); st != http.StatusOK || n.Session.ServiceCode != "90834" || n.Version != 3 {
				t.Fatalf("body-only save = %d %+v", st, n.Session)
			}
			if st, _ := danaAPI.call("PUT", notePath, map[string]any{"body": aSOAPBody(secret), "version": 3,
				"session": map[string]any{"start": "2026-03-02T15:00:00Z", "end": "2026-03-02T14:00:00Z"}}, &e); st != http.StatusUnprocessableEntity || e.Error.Fields["session.end"] == "" {
				t.Errorf("end before start = %d %+v", st, e)
			}
			if st, _ := danaAPI.call("POST", notePath+"/sign", map[string]any{"password": "not my password", "version": 3, "attest": true}, &e); st != http.StatusUnprocessableEntity ||
				e.Error.Fields["password"] == "" {
				t.Fatalf("wrong password = %d %+v", st, e)
			}
			if st, _ := danaAPI.call("POST", notePath+"/sign", map[string]any{"password": testPassword, "version": 3}, &e); st != http.StatusUnprocessableEntity || e.Error.Fields["attest"] == "" {
				t.Errorf("no attestation = %d %+v", st, e)
			}
			if st, _ := eliAPI.call("POST", notePath+"/sign", map[string]any{"password": testPassword, "version": 3, "attest": true}, &e); st != http.StatusForbidden {
				t.Errorf("someone else signs = %d", st)
			}
			if st, _ := danaAPI.call("POST", notePath+"/sign", map[string]any{"password": testPassword, "version": 3, "attest": true}, &n); st != http.StatusOK ||
				n.Status != "signed" || len(n.ContentHash) != 64 || n.SignedName != "Dana Okafor, LCSW" || n.SignedAt == nil {
				t.Fatalf("sign = %d %+v", st, n)
			}
			if st, _ := danaAPI.call("PUT", notePath, map[string]any{"body": aSOAPBody("changed after signing"), "version": n.Version}, &e); st != http.StatusConflict {
				t.Fatalf("editing a signed note = %d", st)
			}
			var ad api.Addendum
			if st, _ := danaAPI.call("POST", notePath+"/addenda", map[string]any{"kind": "amendment", "text": "Session was 45 minutes.", "password": testPassword}, &e); st != http.StatusUnprocessableEntity ||
				e.Error.Fields["reason"] == "" {
				t.Errorf("amendment without reason = %d %+v", st, e)
			}
			if st, _ := danaAPI.call("POST", notePath+"/addenda", map[string]any{"kind": "addendum", "text": "Client called to confirm next week.", "password": testPassword}, &ad); st != http.StatusCreated ||
				ad.Kind != "addendum" || ad.SignedName != "Dana Okafor, LCSW" || len(ad.ContentHash) != 64 {
				t.Fatalf("addendum = %d %+v", st, ad)
			}
			if st, _ := danaAPI.call("GET", notePath, nil, &n); st != http.StatusOK || len(n.Addenda) != 1 || n.Body["subjective"] != secret || n.Status != "signed" {
				t.Errorf("signed note = %d %+v", st, n)
			}
			var ver api.Verification
			if st, _ := danaAPI.call("GET", notePath+"/verify", nil, &ver); st != http.StatusOK || !ver.Signed || !ver.Matches || ver.Stored != n.ContentHash {
				t.Errorf("verify = %d %+v", st, ver)
			}

			// The biller: service details, never the body.
			var raw map[string]json.RawMessage
			if st, _ := billerAPI.call("GET", notePath, nil, &raw); st != http.StatusOK || string(raw["body_hidden"]) != "true" || string(raw["body"]) != "null" || string(raw["addenda"]) != "null" || raw["return_comment"] != nil {
				t.Errorf("biller's note = %d %s", st, raw)
			}
			var listed api.List[api.Note]
			if st, _ := billerAPI.call("GET", "/api/v1/notes?client_id="+strconv.FormatInt(marisol, 10), nil, &listed); st != http.StatusOK || len(listed.Data) != 1 ||
				listed.Data[0].Body != nil || listed.Data[0].Session.ServiceCode != "90834" {
				t.Errorf("biller's list = %d %+v", st, listed)
			}
			if st, _ := billerAPI.call("GET", notePath+"/verify", nil, &e); st != http.StatusForbidden {
				t.Errorf("biller verifies = %d", st)
			}
			if st, _ := danaAPI.call("GET", "/api/v1/notes", nil, &e); st != http.StatusUnprocessableEntity || e.Error.Fields["client_id"] == "" {
				t.Errorf("list without a client = %d %+v", st, e)
			}
			if st, _ := eliAPI.call("GET", notePath, nil, &e); st != http.StatusForbidden {
				t.Errorf("another clinician reads = %d", st)
			}

			// An associate's note: signed, returned, signed again, co-signed.
			contact := tmpl[string(notes.Contact)]
			var an api.Note
			if st, _ := samAPI.call("POST", "/api/v1/notes", map[string]any{"client_id": theo, "template_id": contact.ID}, &an); st != http.StatusCreated || an.SupervisorID != morgan.ID {
				t.Fatalf("associate's draft = %d %+v", st, an)
			}
			aPath := "/api/v1/notes/" + strconv.FormatInt(an.ID, 10)
			samAPI.call("PUT", aPath, map[string]any{"body": map[string]string{"contact_with": "School counselor", "method": "Phone", "summary": "Discussed accommodations."},
				"version": 1}, &an)
			if st, _ := samAPI.call("POST", aPath+"/sign", map[string]any{"password": testPassword, "version": an.Version, "attest": true}, &an); st != http.StatusOK || an.Status != "awaiting_cosign" {
				t.Fatalf("associate signs = %d %+v", st, an)
			}
			if st, _ := danaAPI.call("POST", aPath+"/cosign", map[string]any{"password": testPassword, "version": an.Version, "attest": true}, &e); st != http.StatusForbidden {
				t.Errorf("a clinician who is not the supervisor co-signs = %d", st)
			}
			if st, _ := morganAPI.call("POST", aPath+"/return", map[string]any{"comment": "Name the accommodations discussed.", "version": an.Version}, &an); st != http.StatusOK ||
				an.Status != "returned" || an.ContentHash != "" {
				t.Fatalf("return = %d %+v", st, an)
			}
			if st, _ := samAPI.call("GET", aPath, nil, &an); st != http.StatusOK || an.ReturnComment != "Name the accommodations discussed." {
				t.Errorf("the author reads the return = %d %+v", st, an)
			}
			samAPI.call("PUT", aPath, map[string]any{"body": map[string]string{"contact_with": "School counselor", "method": "Phone",
				"summary": "Discussed extended test time and a quiet room."}, "version": an.Version}, &an)
			samAPI.call("POST", aPath+"/sign", map[string]any{"password": testPassword, "version": an.Version, "attest": true}, &an)
			if st, _ := morganAPI.call("POST", aPath+"/cosign", map[string]any{"password": "wrong horse battery", "version": an.Version, "attest": true}, &e); st != http.StatusUnprocessableEntity {
				t.Errorf("co-sign with a wrong password = %d", st)
			}
			if st, _ := morganAPI.call("POST", aPath+"/cosign", map[string]any{"password": testPassword, "version": an.Version, "attest": true}, &an); st != http.StatusOK ||
				an.Status != "cosigned" || an.CosignedName != "Morgan Lee, PhD" || an.SignedName != "Sam Patel, LPC-A" {
				t.Fatalf("co-sign = %d %+v", st, an)
			}
			if st, _ := samAPI.call("POST", aPath+"/cosign", map[string]any{"password": testPassword, "version": an.Version, "attest": true}, &e); st != http.StatusForbidden {
				t.Errorf("an associate co-signs = %d", st)
			}

			// A psychotherapy note exists, and never shows.
			const private = "Process note: countertransference around the father."
			if _, err := ta.Notes.SavePsychotherapyNote(ctx, access.Actor{UserID: dana.ID, Roles: []access.Role{access.RoleClinician}},
				notes.PsychotherapyNote{ClientID: marisol, Text: private}); err != nil {
				t.Fatal(err)
			}
			listed = api.List[api.Note]{}
			if st, _ := danaAPI.call("GET", "/api/v1/notes?client_id="+strconv.FormatInt(marisol, 10), nil, &listed); st != http.StatusOK || len(listed.Data) != 1 {
				t.Errorf("the author's list = %d, %d notes", st, len(listed.Data))
			}
			danaAPI.call("GET", notePath, nil, &n)
			for _, b := range bodies {
				if strings.Contains(b, private) || strings.Contains(strings.ToLower(b), "psychotherapy_note") {
					t.Fatalf("an API response carries a psychotherapy note: %.300s", b)
				}
			}
			// The biller never saw the body, in any response.
			for _, b := range billerBodies {
				if strings.Contains(b, secret) || strings.Contains(b, "Client called to confirm") {
					t.Fatalf("a biller's response carries note text: %.300s", b)
				}
			}
		})
	}
}

// No route, OpenAPI path or schema is about psychotherapy notes: they stay
// with their author (45 CFR 164.501) and out of the API.
func TestAPIHasNoPsychotherapyNotes(t *testing.T) {
	ta := newTestApp(t, db.SQLite)
	for _, rt := range ta.App.Routes() {
		if strings.Contains(strings.ToLower(rt.Pattern), "psychotherapy") && (rt.Access == Token || strings.HasPrefix(rt.Pattern, "/api/")) {
			t.Errorf("route %s %s", rt.Method, rt.Pattern)
		}
	}
	resp, err := http.Get(ta.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var doc struct {
		Paths      map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for p := range doc.Paths {
		if strings.Contains(strings.ToLower(p), "psychotherapy") {
			t.Errorf("OpenAPI path %s", p)
		}
	}
	for name, s := range doc.Components.Schemas {
		if strings.Contains(strings.ToLower(name+string(s)), "psychotherapy_note") || strings.Contains(strings.ToLower(name), "psychotherapy") {
			t.Errorf("OpenAPI schema %s", name)
		}
	}
}

// A signed note downloads as a PDF from the staff pages, audited; a draft
// does not, and a biller may not.
func TestNotePDFRoute(t *testing.T) {
	ta := newTestApp(t, db.SQLite)
	ctx := context.Background()
	dana := ta.staffMember("dana@example.org", "Dana Okafor", "LCSW", access.RoleClinician)
	ta.staffMember("biller@example.org", "Riley Chen", "", access.RoleBiller)
	c, err := ta.Clients.Create(ctx, access.Actor{System: true}, clients.Input{FirstName: "Marisol", LastName: "Nuñez", BirthDate: "1990-05-17", PrimaryClinicianID: dana.ID})
	if err != nil {
		t.Fatal(err)
	}
	me := access.Actor{UserID: dana.ID, Roles: []access.Role{access.RoleClinician}}
	ts, _ := ta.Notes.Templates(ctx, me)
	var contact int64
	for _, tm := range ts {
		if tm.Kind == notes.Contact {
			contact = tm.ID
		}
	}
	id, err := ta.Notes.CreateDraft(ctx, me, notes.NewNote{ClientID: c.ID, TemplateID: contact})
	if err != nil {
		t.Fatal(err)
	}
	path := "/notes/" + strconv.FormatInt(id, 10) + "/pdf"
	b := ta.browser()
	b.signIn("dana@example.org")
	if b.get(path); b.status != http.StatusConflict {
		t.Errorf("a draft's PDF = %d", b.status)
	}
	v, err := ta.Notes.SaveDraft(ctx, me, id, notes.DraftInput{Body: map[string]string{"contact_with": "Primary care", "method": "Phone", "summary": "Shared the plan."}, Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ta.Notes.Sign(ctx, me, id, notes.SignInput{Password: testPassword, Version: v, Attest: true}); err != nil {
		t.Fatal(err)
	}
	resp := b.get(path)
	if b.status != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(b.last, "%PDF-") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), `filename="note-`) || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("PDF = %d %v", b.status, resp.Header)
	}
	biller := ta.browser()
	biller.signIn("biller@example.org")
	if biller.get(path); biller.status != http.StatusForbidden {
		t.Errorf("biller's PDF = %d", biller.status)
	}
	var n int
	if err := ta.DB.Read().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = 'export' AND object_type = 'note' AND outcome = 'success'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("export entries = %d, %v", n, err)
	}
}
