package notes

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/clinical"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

func TestSuggestCode(t *testing.T) {
	cases := []struct {
		kind    Kind
		minutes int
		want    string
	}{
		{ProgressSOAP, 15, ""}, {ProgressSOAP, 16, "90832"}, {ProgressDAP, 37, "90832"}, {ProgressBIRP, 38, "90834"},
		{ProgressSOAP, 52, "90834"}, {ProgressSOAP, 53, "90837"}, {ProgressSOAP, 90, "90837"},
		{CouplesFamily, 25, ""}, {CouplesFamily, 26, "90847"}, {Crisis, 29, ""}, {Crisis, 60, "90839"},
		{Intake, 45, "90791"}, {GroupNote, 90, "90853"},
	}
	for _, c := range cases {
		if got := SuggestCode(c.kind, c.minutes); got != c.want {
			t.Errorf("SuggestCode(%s, %d) = %q, want %q", c.kind, c.minutes, got, c.want)
		}
	}
	if CrisisAddOns(74) != 0 || CrisisAddOns(75) != 1 || CrisisAddOns(105) != 2 {
		t.Error("crisis add-ons")
	}
	if !CodeMismatch(ProgressSOAP, "90837", 45) || CodeMismatch(ProgressSOAP, "90834", 45) || CodeMismatch(ProgressSOAP, "99213", 45) ||
		CodeMismatch(CouplesFamily, "90846", 30) {
		t.Error("CodeMismatch")
	}
}

func TestDraftSignLockAndAddendum(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		me := p.staff["clinician"]
		appt := p.appointment("clinician", 45, "ana")
		id, err := p.svc.CreateDraft(ctx, me, NewNote{ClientID: p.client["ana"], TemplateID: p.tmpl[ProgressSOAP], AppointmentID: appt})
		if err != nil {
			t.Fatal(err)
		}
		n, err := p.svc.Get(ctx, me, id)
		if err != nil || n.Status != Draft || n.Session.ServiceCode != "90837" || n.Session.Minutes() != 45 || n.Version != 1 {
			t.Fatalf("new draft = %+v, %v", n, err)
		}
		// An empty note cannot be signed; the refusal names what is missing.
		_, err = p.svc.Sign(ctx, me, id, SignInput{Password: password, Version: 1, Attest: true})
		if apperr.CodeOf(err) != apperr.CodeInvalid || !strings.Contains(apperr.As(err).Fields["body"], "Subjective") {
			t.Fatalf("signing an empty note: %v", err)
		}
		// Two tabs save from version 1: the second is refused.
		v, err := p.svc.SaveDraft(ctx, me, id, DraftInput{Body: soap(), Session: n.Session, Version: 1})
		if err != nil || v != 2 {
			t.Fatalf("save: %d %v", v, err)
		}
		if _, err := p.svc.SaveDraft(ctx, me, id, DraftInput{Body: map[string]string{"subjective": "other tab"}, Session: n.Session, Version: 1}); !apperr.Is(err, apperr.CodeConflict) {
			t.Fatalf("stale save: %v", err)
		}
		// End before start is refused and changes nothing.
		bad := n.Session
		bad.End = bad.Start.Add(-time.Minute)
		if _, err := p.svc.SaveDraft(ctx, me, id, DraftInput{Body: soap(), Session: bad, Version: 2}); apperr.CodeOf(err) != apperr.CodeInvalid {
			t.Fatalf("end before start: %v", err)
		}
		// 45 minutes billed as 90837 needs a reason or the right code.
		_, err = p.svc.Sign(ctx, me, id, SignInput{Password: password, Version: 2, Attest: true})
		if apperr.As(err).Fields["code_reason"] == "" || !strings.Contains(apperr.As(err).Fields["code_reason"], "90834") {
			t.Fatalf("code mismatch: %v", err)
		}
		fixed := n.Session
		fixed.ServiceCode = "90834"
		if v, err = p.svc.SaveDraft(ctx, me, id, DraftInput{Body: soap(), Session: fixed, Version: 2}); err != nil {
			t.Fatal(err)
		}
		// A wrong password does not sign; another clinician cannot sign.
		if _, err := p.svc.Sign(ctx, me, id, SignInput{Password: "wrong", Version: v, Attest: true}); apperr.CodeOf(err) != apperr.CodeInvalid {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := p.svc.Sign(ctx, p.staff["other"], id, SignInput{Password: password, Version: v, Attest: true}); !apperr.Is(err, apperr.CodeForbidden) {
			t.Fatalf("someone else signs: %v", err)
		}
		signed, err := p.svc.Sign(ctx, me, id, SignInput{Password: password, Version: v, Attest: true})
		if err != nil || signed.Status != Signed || len(signed.ContentHash) != 64 || signed.SignedName != "clinician, LCSW" {
			t.Fatalf("sign: %+v %v", signed, err)
		}
		// Locked: no more edits.
		if _, err := p.svc.SaveDraft(ctx, me, id, DraftInput{Body: soap(), Session: fixed, Version: signed.Version}); !apperr.Is(err, apperr.CodeConflict) {
			t.Fatalf("editing a signed note: %v", err)
		}
		ver, err := p.svc.Verify(ctx, me, id)
		if err != nil || !ver.Matches {
			t.Fatalf("verify: %+v %v", ver, err)
		}
		// The risk block reached the client's risk assessments.
		if lvl, _ := clinical.RiskLevel(ctx, d.Read(), p.client["ana"]); lvl != "low" {
			t.Errorf("risk level = %q", lvl)
		}
		// Addenda: an amendment needs a reason; another clinician may not add one.
		if _, err := p.svc.AddAddendum(ctx, me, id, AddendumInput{Kind: "amendment", Text: "Correction", Password: password}); apperr.CodeOf(err) != apperr.CodeInvalid {
			t.Errorf("amendment without reason: %v", err)
		}
		if _, err := p.svc.AddAddendum(ctx, p.staff["other"], id, AddendumInput{Kind: "addendum", Text: "x", Password: password}); !apperr.Is(err, apperr.CodeForbidden) {
			t.Errorf("other clinician's addendum: %v", err)
		}
		if _, err := p.svc.AddAddendum(ctx, me, id, AddendumInput{Kind: "addendum", Text: "Client called after the session.", Password: password}); err != nil {
			t.Fatal(err)
		}
		n, _ = p.svc.Get(ctx, me, id)
		if len(n.Addenda) != 1 || n.Body["subjective"] != "Reports better sleep." || n.Status != Signed {
			t.Errorf("after addendum: %+v", n)
		}
		if ver, _ := p.svc.Verify(ctx, me, id); !ver.Matches {
			t.Errorf("verify after addendum: %+v", ver)
		}
		// Tampering with the stored content is detected.
		if _, err := d.Writer().ExecContext(ctx, `UPDATE notes SET service_code = '90837' WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		if ver, _ := p.svc.Verify(ctx, me, id); ver.Matches {
			t.Error("a changed note still verifies")
		}
		// The body is sealed at rest.
		var raw string
		d.Read().QueryRowContext(ctx, `SELECT body FROM notes WHERE id = $1`, id).Scan(&raw)
		if strings.Contains(raw, "sleep") {
			t.Error("the note body is stored in clear")
		}
	})
}

func TestCosignPath(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		assoc, sup := p.staff["associate"], p.staff["supervisor"]
		appt := p.appointment("associate", 55, "ben")
		id, err := p.svc.CreateDraft(ctx, assoc, NewNote{ClientID: p.client["ben"], TemplateID: p.tmpl[ProgressSOAP], AppointmentID: appt})
		if err != nil {
			t.Fatal(err)
		}
		n, _ := p.svc.Get(ctx, assoc, id)
		v, _ := p.svc.SaveDraft(ctx, assoc, id, DraftInput{Body: soap(), Session: n.Session, Version: n.Version})
		signed, err := p.svc.Sign(ctx, assoc, id, SignInput{Password: password, Version: v, Attest: true})
		if err != nil || signed.Status != AwaitingCosign || signed.SupervisorID != sup.UserID {
			t.Fatalf("associate signs: %+v %v", signed, err)
		}
		if bill, _ := NotBillableYet(ctx, d.Read(), appt); !bill {
			t.Error("a note waiting for co-signature is billable")
		}
		// Only the supervisor co-signs; not another clinician.
		if err := p.svc.Cosign(ctx, p.staff["other"], id, SignInput{Password: password, Version: signed.Version, Attest: true}); !apperr.Is(err, apperr.CodeForbidden) {
			t.Errorf("a clinician co-signs: %v", err)
		}
		// Returned with comments: the associate edits and signs again.
		if err := p.svc.Return(ctx, sup, id, "Add the interventions used.", signed.Version); err != nil {
			t.Fatal(err)
		}
		n, _ = p.svc.Get(ctx, assoc, id)
		if n.Status != Returned || n.ReturnComment != "Add the interventions used." || n.ContentHash != "" {
			t.Fatalf("returned: %+v", n)
		}
		body := soap()
		body["plan"] = "Continue CBT; used cognitive restructuring."
		v, err = p.svc.SaveDraft(ctx, assoc, id, DraftInput{Body: body, Session: n.Session, Version: n.Version})
		if err != nil {
			t.Fatal(err)
		}
		signed, err = p.svc.Sign(ctx, assoc, id, SignInput{Password: password, Version: v, Attest: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.svc.Cosign(ctx, sup, id, SignInput{Password: password, Version: signed.Version, Attest: true}); err != nil {
			t.Fatal(err)
		}
		n, _ = p.svc.Get(ctx, sup, id)
		if n.Status != Cosigned || n.CosignedName != "supervisor, LCSW" {
			t.Errorf("co-signed: %+v", n)
		}
		if bill, _ := NotBillableYet(ctx, d.Read(), appt); bill {
			t.Error("a co-signed note still holds billing")
		}
	})
}

func TestPsychotherapyNotesStayWithTheirAuthor(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		me := p.staff["clinician"]
		id, err := p.svc.SavePsychotherapyNote(ctx, me, PsychotherapyNote{ClientID: p.client["ana"], Text: "Process: transference themes."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.svc.SavePsychotherapyNote(ctx, me, PsychotherapyNote{ID: id, ClientID: p.client["ana"], Text: "Edited", Version: 7}); !apperr.Is(err, apperr.CodeConflict) {
			t.Errorf("stale edit: %v", err)
		}
		mine, err := p.svc.PsychotherapyNotes(ctx, me, p.client["ana"])
		if err != nil || len(mine) != 1 || mine[0].Text != "Process: transference themes." {
			t.Fatalf("author reads: %+v %v", mine, err)
		}
		for _, who := range []string{"admin", "biller", "frontdesk", "supervisor", "other"} {
			got, err := p.svc.PsychotherapyNotes(ctx, p.staff[who], p.client["ana"])
			if len(got) != 0 {
				t.Errorf("%s read a psychotherapy note", who)
			}
			if err == nil && who != "other" {
				t.Errorf("%s was not refused", who)
			}
		}
		// Another clinician with access to the client (break-the-glass aside)
		// cannot overwrite it either.
		if n, err := p.svc.PsychotherapyNoteCount(ctx, p.staff["admin"], p.client["ana"]); err != nil || n != 1 {
			t.Errorf("admin count = %d, %v", n, err)
		}
		if _, err := p.svc.PsychotherapyNoteCount(ctx, p.staff["clinician"], p.client["ana"]); err == nil {
			t.Error("a clinician used the administrators' count")
		}
		var raw string
		d.Read().QueryRowContext(ctx, `SELECT body FROM psychotherapy_notes WHERE id = $1`, id).Scan(&raw)
		if strings.Contains(raw, "transference") {
			t.Error("stored in clear")
		}
		if n := p.count(`SELECT count(*) FROM audit_log WHERE object_type = 'psychotherapy_note'`); n < 7 {
			t.Errorf("psychotherapy-note accesses audited: %d", n)
		}
	})
}

func TestRolesSeeWhatTheyShould(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		appt := p.appointment("clinician", 50, "ana")
		id, err := p.svc.CreateDraft(ctx, p.staff["clinician"], NewNote{ClientID: p.client["ana"], TemplateID: p.tmpl[ProgressSOAP], AppointmentID: appt})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			who    string
			code   apperr.Code
			hidden bool
		}{
			{"clinician", "", false}, {"admin", "", false}, {"biller", "", true},
			{"frontdesk", apperr.CodeForbidden, false}, {"other", apperr.CodeForbidden, false},
		}
		for _, c := range cases {
			n, err := p.svc.Get(ctx, p.staff[c.who], id)
			if (c.code == "" && err != nil) || (c.code != "" && apperr.CodeOf(err) != c.code) || (err == nil && n.BodyHidden != c.hidden) {
				t.Errorf("%s: hidden %v, err %v", c.who, n.BodyHidden, err)
			}
			if c.hidden && n.Body != nil {
				t.Errorf("%s got a body", c.who)
			}
		}
		if n := p.count(`SELECT count(*) FROM audit_log WHERE object_type = 'note' AND action = 'read'`); n != 5 {
			t.Errorf("note reads audited = %d, want 5 (3 allowed, 2 refused)", n)
		}
	})
}

func TestParallelDraftSavesNeverOverwrite(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		me := p.staff["clinician"]
		id, err := p.svc.CreateDraft(ctx, me, NewNote{ClientID: p.client["ana"], TemplateID: p.tmpl[Contact]})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := p.svc.SaveDraft(ctx, me, id, DraftInput{Body: map[string]string{"summary": strings.Repeat("x", i+1)}, Version: 1})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					wins++
				} else if !apperr.Is(err, apperr.CodeConflict) {
					t.Errorf("save: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d saves from the same version landed", wins)
		}
	})
}

func TestGroupNoteSharesTheNarrativeOnly(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		me := p.staff["clinician"]
		appt := p.appointment("clinician", 90, "ana", "cy")
		id, err := p.svc.CreateDraft(ctx, me, NewNote{ClientID: p.client["ana"], TemplateID: p.tmpl[GroupNote], AppointmentID: appt})
		if err != nil {
			t.Fatal(err)
		}
		if n := p.count(`SELECT count(*) FROM notes WHERE appointment_id = $1`, appt); n != 2 {
			t.Fatalf("group notes = %d", n)
		}
		n, _ := p.svc.Get(ctx, me, id)
		if _, err := p.svc.SaveDraft(ctx, me, id, DraftInput{Body: map[string]string{"group_narrative": "Topic: coping with stress.", "participation": "Ana shared openly."},
			Session: n.Session, Version: n.Version}); err != nil {
			t.Fatal(err)
		}
		var other int64
		d.Read().QueryRowContext(ctx, `SELECT id FROM notes WHERE appointment_id = $1 AND client_id = $2`, appt, p.client["cy"]).Scan(&other)
		cy, _ := p.svc.Get(ctx, me, other)
		if cy.Body["group_narrative"] != "Topic: coping with stress." || cy.Body["participation"] != "" {
			t.Errorf("the other member's note = %v", cy.Body)
		}
	})
}

func TestComplianceDashboard(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		me := p.staff["clinician"]
		missing := p.appointment("clinician", 50, "ana")
		drafted := p.appointment("clinician", 50, "cy")
		if _, err := p.svc.CreateDraft(ctx, me, NewNote{ClientID: p.client["cy"], TemplateID: p.tmpl[ProgressDAP], AppointmentID: drafted}); err != nil {
			t.Fatal(err)
		}
		dash, err := p.svc.Dashboard(ctx, me)
		if err != nil {
			t.Fatal(err)
		}
		if len(dash.Missing) != 1 || dash.Missing[0].AppointmentID != missing || dash.Missing[0].Overdue || len(dash.Drafts) != 1 || len(dash.Overdue) != 0 {
			t.Fatalf("dashboard = %+v", dash)
		}
		if n := p.count(`SELECT count(*) FROM audit_log WHERE object_type = 'documentation_dashboard' AND user_id = $1`, me.UserID); n != 1 {
			t.Errorf("dashboard reads audited = %d, want 1", n)
		}
		// Past the 72-hour deadline both are overdue.
		p.clk.Advance(72 * time.Hour)
		dash, _ = p.svc.Dashboard(ctx, me)
		if len(dash.Overdue) != 2 || !dash.Missing[0].Overdue {
			t.Errorf("overdue = %+v", dash.Overdue)
		}
		// Another clinician sees none of it; an administrator sees all of it.
		if dash, _ := p.svc.Dashboard(ctx, p.staff["other"]); len(dash.Missing)+len(dash.Drafts) != 0 {
			t.Errorf("other clinician's dashboard = %+v", dash)
		}
		if dash, _ := p.svc.Dashboard(ctx, p.staff["admin"]); len(dash.Missing) != 1 || len(dash.Drafts) != 1 {
			t.Errorf("admin dashboard = %+v", dash)
		}
		// A supervisor sees their supervisee's work, not other clinicians'.
		p.appointment("associate", 50, "ben")
		if dash, err := p.svc.Dashboard(ctx, p.staff["supervisor"]); err != nil || len(dash.Missing) != 1 || dash.Missing[0].ClientID != p.client["ben"] {
			t.Errorf("supervisor dashboard = %+v, %v", dash, err)
		}
		// With a 3-day lock, the draft locks for its author until unlocked.
		pol, _ := p.svc.Policy(ctx, p.staff["admin"])
		pol.LockAfterDays = 2
		if err := p.svc.SavePolicy(ctx, p.staff["admin"], pol); err != nil {
			t.Fatal(err)
		}
		dash, _ = p.svc.Dashboard(ctx, me)
		n, _ := p.svc.Get(ctx, me, dash.Drafts[0].NoteID)
		if _, err := p.svc.SaveDraft(ctx, me, n.ID, DraftInput{Body: map[string]string{"data": "x"}, Session: n.Session, Version: n.Version}); !apperr.Is(err, apperr.CodeConflict) {
			t.Fatalf("a locked draft saved: %v", err)
		}
		if err := p.svc.Unlock(ctx, me, n.ID, "I am the author"); !apperr.Is(err, apperr.CodeForbidden) {
			t.Errorf("author unlocks: %v", err)
		}
		if err := p.svc.Unlock(ctx, p.staff["admin"], n.ID, "Clinician was on leave"); err != nil {
			t.Fatal(err)
		}
		n, _ = p.svc.Get(ctx, me, n.ID)
		if _, err := p.svc.SaveDraft(ctx, me, n.ID, DraftInput{Body: map[string]string{"data": "x"}, Session: n.Session, Version: n.Version}); err != nil {
			t.Errorf("after unlock: %v", err)
		}
	})
}

func TestDiagnoses(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		me, client := p.staff["clinician"], p.client["ana"]
		for _, c := range []struct{ code, field string }{{"F33", "code"}, {"F43.8", "code"}, {"F33.1", ""}} {
			_, err := p.clinical.AddDiagnosis(ctx, me, client, clinical.DiagnosisInput{Code: c.code, Rank: 1})
			if (c.field == "") != (err == nil) || (c.field != "" && apperr.As(err).Fields[c.field] == "") {
				t.Errorf("%s: %v", c.code, err)
			}
		}
		if _, err := p.clinical.AddDiagnosis(ctx, me, client, clinical.DiagnosisInput{Code: "f331", Rank: 2}); !apperr.Is(err, apperr.CodeConflict) {
			t.Errorf("duplicate: %v", err)
		}
		ds, err := p.clinical.Diagnoses(ctx, p.staff["biller"], client)
		if err != nil || len(ds) != 1 || ds[0].Dotted() != "F33.1" || ds[0].Title != "Major depressive disorder, recurrent, moderate" {
			t.Fatalf("biller reads diagnoses: %+v %v", ds, err)
		}
		if err := p.clinical.UpdateDiagnosis(ctx, me, client, ds[0].ID, clinical.DiagnosisInput{Rank: 1, Status: "resolved", Version: ds[0].Version}); err != nil {
			t.Fatal(err)
		}
		h, _ := p.clinical.DiagnosisHistory(ctx, me, client, ds[0].ID)
		if len(h) != 2 || h[0].Status != "active" || h[1].Status != "resolved" {
			t.Errorf("history = %+v", h)
		}
		// A retired code stays readable where it is already stored.
		if _, err := d.Writer().ExecContext(ctx, `INSERT INTO diagnoses (client_id, code, title, rank, status, created_at, updated_at)
			VALUES ($1, 'F438', 'Other reactions to severe stress', 3, 'active', 0, 0)`, client); err != nil {
			t.Fatal(err)
		}
		ds, _ = p.clinical.Diagnoses(ctx, me, client)
		if ds[0].Dotted() != "F43.8" || ds[0].Title == "" {
			t.Errorf("retired code = %+v", ds[0])
		}
		if _, err := p.clinical.Medications(ctx, p.staff["biller"], client); !apperr.Is(err, apperr.CodeForbidden) {
			t.Errorf("biller reads medications: %v", err)
		}
	})
}
