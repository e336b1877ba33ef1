package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
	"github.com/mentalspace/mentalspace/internal/practice"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// notesActor is MentalSpace itself, for the fixtures behind the pages.
var notesActor = access.Actor{System: true}

// notesPractice is a practice for the documentation pages: Casey, a
// clinician, with her client Pepa; Sam, an associate supervised by Morgan,
// with his client Ben; Olive, a clinician with neither; front desk and a
// biller. Sessions are booked and completed through the scheduling service.
type notesPractice struct {
	t                         *testing.T
	ta                        *testApp
	casey, sam, morgan, olive auth.User
	pepa, ben                 clients.Client
	typeID, locID             int64
	templates                 map[notes.Kind]int64
	zone                      *time.Location
	booked                    int
}

func newNotesPractice(t *testing.T, e db.Engine) *notesPractice {
	t.Helper()
	ta := newTestApp(t, e)
	ctx := context.Background()
	np := &notesPractice{t: t, ta: ta, templates: map[notes.Kind]int64{}}
	np.zone, _ = time.LoadLocation("America/New_York")
	np.casey = ta.addStaff("casey@example.org", "Casey Care", access.RoleClinician)
	np.sam = ta.addStaff("sam@example.org", "Sam Patel", access.RoleAssociate)
	np.morgan = ta.addStaff("morgan@example.org", "Morgan Lee", access.RoleSupervisor)
	np.olive = ta.addStaff("olive@example.org", "Olive Other", access.RoleClinician)
	ta.addStaff("desk@example.org", "Dana Desk", access.RoleFrontDesk)
	ta.addStaff("biller@example.org", "Bill Biller", access.RoleBiller)
	if err := ta.Clients.SetSupervisors(ctx, notesActor, np.sam.ID, []int64{np.morgan.ID}); err != nil {
		t.Fatal(err)
	}
	np.pepa = ta.aClientOf(np.casey.ID, "Josefina", "Pepa", "Núñez", "1990-04-02")
	np.ben = ta.aClientOf(np.sam.ID, "Ben", "", "Tran", "1985-01-15")
	var err error
	if np.locID, err = ta.App.Practice.SaveLocation(ctx, notesActor, practice.Location{Name: "Main office", PlaceOfService: "11", Active: true}); err != nil {
		t.Fatal(err)
	}
	if np.typeID, err = ta.Scheduling.SaveType(ctx, notesActor, scheduling.Type{Name: "Individual 45", DurationMinutes: 45, ServiceCode: "90834",
		Kind: scheduling.Individual, Active: true}); err != nil {
		t.Fatal(err)
	}
	ts, err := ta.Notes.Templates(ctx, notesActor)
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range ts {
		np.templates[tm.Kind] = tm.ID
	}
	return np
}

// docSession is a completed session as the note editor's header shows it.
type docSession struct {
	ID               int64
	Date, Start, End string
}

// session books a 45-minute session of clinician with client daysAgo days
// ago, and walks it to completed; the check-in and check-out times are set
// to the booked ones, as if the session ran on time.
func (np *notesPractice) session(clinicianID, clientID int64, daysAgo int) docSession {
	np.t.Helper()
	ctx := context.Background()
	day := time.Now().In(np.zone).AddDate(0, 0, -daysAgo)
	start := time.Date(day.Year(), day.Month(), day.Day(), 9+np.booked, 0, 0, 0, np.zone)
	np.booked++
	b, err := np.ta.Scheduling.Book(ctx, notesActor, scheduling.Booking{ClinicianID: clinicianID, ClientIDs: []int64{clientID}, TypeID: np.typeID,
		LocationID: np.locID, Start: start})
	if err != nil {
		np.t.Fatal(err)
	}
	id := b.IDs[0]
	for _, s := range []scheduling.Status{scheduling.CheckedIn, scheduling.InSession, scheduling.Completed} {
		if _, err := np.ta.Scheduling.SetStatus(ctx, notesActor, id, scheduling.StatusChange{To: s}); err != nil {
			np.t.Fatal(err)
		}
	}
	if err := np.ta.DB.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE appointments SET checked_in_at = starts_at, checked_out_at = ends_at WHERE id = $1`, id)
		return err
	}); err != nil {
		np.t.Fatal(err)
	}
	return docSession{ID: id, Date: start.Format(time.DateOnly), Start: start.Format("15:04"), End: start.Add(45 * time.Minute).Format("15:04")}
}

// noteForm is the editor's form as a browser posts it.
func noteForm(s docSession, version int64, body map[string]string) url.Values {
	v := url.Values{"version": {itoa(version)}, "kind": {"progress_soap"}, "date": {s.Date}, "start": {s.Start}, "end": {s.End},
		"service_code": {"90834"}, "place_of_service": {"11"}, "participants": {""}, "code_reason": {""}, "next": {"save"}}
	for k, x := range body {
		v.Set("b."+k, x)
	}
	return v
}

// soapBody is a complete SOAP note.
func soapBody(subjective string) map[string]string {
	b := map[string]string{"subjective": subjective, "objective": "Calm, engaged.", "assessment": "Improving.", "plan": "Continue CBT weekly.",
		"risk.level": "low", "risk.suicidal_ideation": "none", "risk.homicidal_ideation": "none", "progress": "Improved"}
	for _, d := range notes.MSEDomains {
		b["mse."+d.Key] = d.Options[0]
	}
	return b
}

// landedOn is the path the last request ended on, after redirects.
func landedOn(resp *http.Response) string { return resp.Request.URL.Path }

var notePathPattern = regexp.MustCompile(`^/notes/(\d+)/edit$`)

// startNote follows the dashboard's Start note link to a new draft and
// returns its id.
func startNote(t *testing.T, b *browser, np *notesPractice, clientID int64, s docSession) int64 {
	t.Helper()
	q := url.Values{"client": {itoa(clientID)}, "appointment": {itoa(s.ID)}}
	b.get("/notes/new?" + q.Encode())
	mustStatus(t, b, http.StatusOK, "new note page")
	mustContain(t, b, `name="template" value="`+itoa(np.templates[notes.ProgressSOAP])+`" checked`)
	resp := b.post("/notes", url.Values{"client": {itoa(clientID)}, "appointment": {itoa(s.ID)}, "template": {itoa(np.templates[notes.ProgressSOAP])}})
	m := notePathPattern.FindStringSubmatch(landedOn(resp))
	if b.status != http.StatusOK || m == nil {
		t.Fatalf("create draft: status %d at %s\n%.1500s", b.status, landedOn(resp), b.last)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// autosave posts the editor's form as notes.js does.
func (b *browser) autosave(path string, v url.Values) (int, map[string]any) {
	b.ta.t.Helper()
	v.Set("csrf_token", b.csrf)
	v.Del("next")
	req, _ := http.NewRequest("POST", b.ta.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Requested-With", "fetch")
	req.Header.Set("Accept", "application/json")
	resp, err := b.c.Do(req)
	if err != nil {
		b.ta.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		b.ta.t.Fatalf("autosave answered %d with no JSON: %.500s", resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// A clinician's note from a completed appointment, on both engines: the
// dashboard's Start note, the editor with every field type, autosave, a
// stale save that keeps the text, signing refused while fields are missing
// and with a wrong password, signed and locked, verified and amended. The
// biller sees the list and service details, never the text; the front desk
// nothing; psychotherapy notes only their author.
func TestNotesPages(t *testing.T) {
	for _, engine := range dbtest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			if engine == db.Postgres {
				dbtest.PostgresSchema(t) // skips, or fails under CI, without a server
			}
			np := newNotesPractice(t, engine)
			ta := np.ta
			ctx := context.Background()
			s := np.session(np.casey.ID, np.pepa.ID, 1)
			pepa := "/clients/" + itoa(np.pepa.ID)

			b := ta.browser()
			b.signIn("casey@example.org")
			// Home and the dashboard show the missing note, with a Start link.
			mustContain(t, b, "Missing notes <span class=\"count\">(1)</span>", "Pepa Núñez", "No unsigned drafts.")
			b.get("/documentation")
			mustStatus(t, b, http.StatusOK, "documentation")
			start := "/notes/new?" + url.Values{"client": {itoa(np.pepa.ID)}, "appointment": {itoa(s.ID)}}.Encode()
			mustContain(t, b, `href="`+strings.ReplaceAll(start, "&", "&amp;")+`"`, ">Start note<", "Missing notes <span class=\"count\">(1)</span>")
			// So does the appointment itself, for its clinician.
			b.get("/appointments/" + itoa(s.ID))
			mustContain(t, b, `href="`+strings.ReplaceAll(start, "&", "&amp;")+`"`, "Write note for Pepa Núñez", "Not billable yet: no final note")

			// A diagnosis first, found by code; the draft addresses it.
			b.get(pepa + "/diagnoses/new?q=F33.1")
			mustContain(t, b, `name="code" value="F331"`, "Major depressive disorder, recurrent, moderate")
			b.post(pepa+"/diagnoses", url.Values{"code": {"F331"}, "rank": {"1"}, "status": {"active"}, "onset": {"2025-11-01"}})
			mustContain(t, b, "Diagnosis added.", "F33.1", "Primary")

			id := startNote(t, b, np, np.pepa.ID, s)
			edit := "/notes/" + itoa(id)
			mustContain(t, b, `id="note-editor"`, `name="b.subjective"`, `name="b.mse.mood"`, `name="b.risk.level"`, `name="b.risk.plan"`,
				`name="b.progress"`, `name="date" type="date" value="`+s.Date+`"`, `name="start" type="time" value="`+s.Start+`"`,
				`name="end" type="time" value="`+s.End+`"`, `name="service_code" type="text" value="90834"`, "45 minutes: the time rule suggests",
				`name="dx" value=`, "F33.1 Major depressive disorder", `<option value="11" selected>`, `id="autosave-status"`, "/static/notes.js")
			dx := regexp.MustCompile(`name="dx" value="(\d+)" checked`).FindStringSubmatch(b.last)
			if dx == nil {
				t.Fatalf("the appointment's active diagnosis is not ticked:\n%.3000s", b.last)
			}

			// Save as a form, then autosave (JSON with the new version).
			form := noteForm(s, 1, map[string]string{"subjective": "Slept better this week."})
			form.Set("dx", dx[1])
			b.post(edit, form)
			mustContain(t, b, "Draft saved.", "Slept better this week.")
			status, saved := b.autosave(edit, noteForm(s, 2, map[string]string{"subjective": "Slept better; one nightmare."}))
			if status != http.StatusOK || saved["version"] != float64(3) || saved["saved"] == "" || saved["suggested"] != "90834" || saved["mismatch"] != false {
				t.Fatalf("autosave = %d %v", status, saved)
			}
			// A longer session flags the code.
			long := noteForm(s, 3, map[string]string{"subjective": "Slept better; one nightmare."})
			long.Set("end", s.Start[:2]+":59")
			if status, saved = b.autosave(edit, long); status != http.StatusOK || saved["mismatch"] != true || saved["suggested"] != "90837" {
				t.Fatalf("autosave of a 59-minute session = %d %v", status, saved)
			}
			// A stale save (another tab at version 1) is refused and keeps the text.
			b.post(edit, noteForm(s, 1, map[string]string{"subjective": "From the other tab <b>bold</b>"}))
			mustStatus(t, b, http.StatusConflict, "stale save")
			mustContain(t, b, "Not saved: this note changed elsewhere", "From the other tab &lt;b&gt;bold&lt;/b&gt;", `name="version" id="note-version" value="1"`)
			if status, saved = b.autosave(edit, noteForm(s, 1, nil)); status != http.StatusConflict {
				t.Fatalf("stale autosave = %d %v", status, saved)
			}
			n, err := ta.Notes.Get(ctx, notesActor, id)
			if err != nil || n.Body["subjective"] != "Slept better; one nightmare." || n.Version != 4 {
				t.Fatalf("after the stale save: %+v %v", n.Body, err)
			}
			// End before start is a field error that keeps the input.
			bad := noteForm(s, 4, map[string]string{"subjective": "Kept"})
			bad.Set("end", "08:00")
			b.post(edit, bad)
			mustStatus(t, b, http.StatusUnprocessableEntity, "end before start")
			mustContain(t, b, `href="#f-end"`, "The end time must be after the start time.", ">Kept</textarea>")

			// Review & sign lists what is missing, each linked to its field.
			b.get(edit + "/sign")
			mustContain(t, b, "Still missing", `href="`+edit+`/edit#f-b-objective">Objective<`, `href="`+edit+`/edit#f-b-plan">Plan<`,
				"I attest that I provided this service", `name="password"`, "Sign and lock")
			mustNotContain(t, b, `#f-b-subjective">`) // filled in
			b.post(edit+"/sign", url.Values{"version": {"4"}, "attest": {"1"}, "password": {testPassword}})
			mustStatus(t, b, http.StatusUnprocessableEntity, "signing with missing fields")
			mustContain(t, b, "The note cannot be signed yet.", `href="`+edit+`/edit#f-b-assessment">Assessment<`)

			full := noteForm(s, 4, soapBody("Slept better; one nightmare."))
			full.Set("dx", dx[1])
			full.Set("next", "sign")
			resp := b.post(edit, full)
			if landedOn(resp) != edit+"/sign" {
				t.Fatalf("Review & sign went to %s", landedOn(resp))
			}
			mustContain(t, b, "Every required item is filled in.", `name="version" value="5"`, "Slept better; one nightmare.", "F33.1")
			b.post(edit+"/sign", url.Values{"version": {"5"}, "attest": {"1"}, "password": {"not my password"}})
			mustStatus(t, b, http.StatusUnprocessableEntity, "wrong password")
			mustContain(t, b, "This is not your current password.", `href="#f-password"`)
			if n, _ := ta.Notes.Get(ctx, notesActor, id); n.Status != notes.Draft {
				t.Fatalf("a wrong password changed the status to %s", n.Status)
			}
			resp = b.post(edit+"/sign", url.Values{"version": {"5"}, "attest": {"1"}, "password": {testPassword}})
			if landedOn(resp) != edit {
				t.Fatalf("signing ended on %s (%d)\n%.2000s", landedOn(resp), b.status, b.last)
			}
			mustContain(t, b, "Note signed and locked.", "Signed by", "Casey Care", `id="verify-link"`, "Slept better; one nightmare.", "Addenda and amendments")
			mustNotContain(t, b, `id="note-editor"`, "Continue editing")
			if !regexp.MustCompile(`<code class="hash">[0-9a-f]{64}</code>`).MatchString(b.last) {
				t.Error("the signature block shows no content hash")
			}
			// Signed, the session is billable.
			b.get("/appointments/" + itoa(s.ID))
			mustNotContain(t, b, "Not billable yet")
			// A signed note shows no edit form: the editor sends it back.
			resp = b.get(edit + "/edit")
			if landedOn(resp) != edit {
				t.Errorf("the editor of a signed note opened at %s", landedOn(resp))
			}
			mustNotContain(t, b, `id="note-editor"`, `name="b.subjective"`)
			b.get(edit + "/verify")
			mustContain(t, b, "Verified.")
			b.post(edit+"/addenda", url.Values{"ad_kind": {"amendment"}, "ad_text": {"Nightmare was on Tuesday."}, "ad_password": {testPassword}})
			mustStatus(t, b, http.StatusUnprocessableEntity, "amendment without a reason")
			mustContain(t, b, "Say why the note is amended.", "Nightmare was on Tuesday.")
			b.post(edit+"/addenda", url.Values{"ad_kind": {"addendum"}, "ad_text": {"Client called the next day: sleeping well."}, "ad_password": {testPassword}})
			mustContain(t, b, "Addendum signed and added.", "Client called the next day: sleeping well.", "Slept better; one nightmare.")
			b.get("/")
			mustContain(t, b, "Missing notes <span class=\"count\">(0)</span>", "No missing notes.")
			b.get(pepa)
			mustContain(t, b, `id="notes-table"`, "Progress note (SOAP)", "Signed", `id="psychotherapy-link"`, "F33.1")

			// Psychotherapy notes: the author's alone.
			b.post(pepa+"/psychotherapy-notes", url.Values{"text": {"Countertransference: remember my own father's illness."}})
			mustContain(t, b, "Psychotherapy note saved.", "Countertransference")
			b.get(pepa)
			mustNotContain(t, b, "Countertransference")

			// The biller sees the list and the service details, not the text.
			bb := ta.browser()
			bb.signIn("biller@example.org")
			bb.get(pepa)
			mustContain(t, bb, `id="notes-table"`, "Progress note (SOAP)", "F33.1")
			mustNotContain(t, bb, "psychotherapy-link", "Medications")
			bb.get(edit)
			mustStatus(t, bb, http.StatusOK, "biller's note view")
			mustContain(t, bb, "not shown to your role", "90834", "Signed by")
			mustNotContain(t, bb, "Slept better", "nightmare", "sleeping well")
			for _, p := range []string{edit + "/edit", edit + "/verify", pepa + "/psychotherapy-notes"} {
				bb.get(p)
				mustStatus(t, bb, http.StatusForbidden, "biller "+p)
			}

			// The front desk gets nothing clinical.
			fd := ta.browser()
			fd.signIn("desk@example.org")
			for _, p := range []string{edit, "/documentation", "/notes/new?client=" + itoa(np.pepa.ID), pepa + "/diagnoses/new"} {
				fd.get(p)
				mustStatus(t, fd, http.StatusForbidden, "front desk "+p)
			}
			fd.get(pepa)
			mustNotContain(t, fd, "notes-table", "F33.1", "Slept better")

			// Psychotherapy notes are refused to the administrator, the
			// supervisor and another clinician.
			for _, email := range []string{"admin@example.org", "morgan@example.org", "olive@example.org"} {
				x := ta.browser()
				x.signIn(email)
				x.get(pepa + "/psychotherapy-notes")
				mustStatus(t, x, http.StatusForbidden, email+" on psychotherapy notes")
				mustNotContain(t, x, "Countertransference")
			}
		})
	}
}

// The supervision path: an associate's note goes to the supervisor's review
// queue, is returned with a comment the author sees in the editor, is signed
// again and co-signed.
func TestNoteCosignPages(t *testing.T) {
	np := newNotesPractice(t, db.SQLite)
	ta := np.ta
	s := np.session(np.sam.ID, np.ben.ID, 2)

	sb := ta.browser()
	sb.signIn("sam@example.org")
	id := startNote(t, sb, np, np.ben.ID, s)
	edit := "/notes/" + itoa(id)
	mustContain(t, sb, "Review, sign &amp; send to supervisor")
	sb.post(edit, noteForm(s, 1, soapBody("Ben talked about work stress.")))
	sb.get(edit + "/sign")
	mustContain(t, sb, "Sign &amp; send to supervisor")
	sb.post(edit+"/sign", url.Values{"version": {"2"}, "attest": {"1"}, "password": {testPassword}})
	mustContain(t, sb, "Note signed and sent to your supervisor for co-signature.", "Waiting for supervisor")
	sb.get("/")
	mustContain(t, sb, "Waiting for supervisor <span class=\"count\">(1)</span>", "Returned to me <span class=\"count\">(0)</span>")

	mb := ta.browser()
	mb.signIn("morgan@example.org")
	mb.get("/review")
	mustStatus(t, mb, http.StatusOK, "review queue")
	mustContain(t, mb, `id="review-table"`, "Sam Patel", "B. T.", "Progress note (SOAP)", `href="`+edit+`"`)
	mustNotContain(t, mb, "Ben Tran")
	mb.get(edit)
	mustContain(t, mb, "Approve &amp; co-sign", "Return with comments", "Ben talked about work stress.")
	mb.post(edit+"/return", url.Values{"rt_version": {"3"}, "rt_comment": {""}})
	mustStatus(t, mb, http.StatusUnprocessableEntity, "return without a comment")
	mb.post(edit+"/return", url.Values{"rt_version": {"3"}, "rt_comment": {"Add the <MSE> findings for affect."}})
	mustContain(t, mb, "Note returned to its author with your comments.", "No supervisee notes are waiting for you.")

	sb.get("/")
	mustContain(t, sb, "Returned to me <span class=\"count\">(1)</span>", ">Revise<")
	sb.get(edit + "/edit")
	mustContain(t, sb, "Returned by your supervisor", "Add the &lt;MSE&gt; findings for affect.", `name="version" id="note-version" value="4"`)
	body := soapBody("Ben talked about work stress.")
	body["mse.affect"] = "Constricted"
	sb.post(edit, noteForm(s, 4, body))
	sb.post(edit+"/sign", url.Values{"version": {"5"}, "attest": {"1"}, "password": {testPassword}})
	mustContain(t, sb, "sent to your supervisor")

	mb.get("/review")
	mustContain(t, mb, "Sam Patel")
	mb.get(edit)
	mb.post(edit+"/cosign", url.Values{"co_version": {"6"}, "co_password": {testPassword}})
	mustStatus(t, mb, http.StatusUnprocessableEntity, "co-sign without the attestation")
	mb.post(edit+"/cosign", url.Values{"co_version": {"6"}, "co_attest": {"1"}, "co_password": {testPassword}})
	mustContain(t, mb, "Note co-signed. It is now final.")
	mb.get(edit)
	mustContain(t, mb, "Co-signed by", "Morgan Lee", "Constricted")
	mustNotContain(t, mb, "Approve &amp; co-sign")
	sb.get("/")
	mustContain(t, sb, "Waiting for supervisor <span class=\"count\">(0)</span>", "Missing notes <span class=\"count\">(0)</span>")
}

// The documentation settings and locking: the policy's defaults and
// validation, a practice template saved twice (two versions), a draft the
// deadline locked and an administrator's unlock.
func TestDocumentationSettingsPages(t *testing.T) {
	np := newNotesPractice(t, db.SQLite)
	ta := np.ta
	ab := ta.browser()
	ab.signIn("admin@example.org")
	ab.get("/settings/documentation")
	mustContain(t, ab, `name="note_due_hours" type="number" value="72"`, `name="lock_after_days" type="number" value="0"`)
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(ab.last)[1]
	ab.post("/settings/documentation", url.Values{"version": {version}, "note_due_hours": {"0"}, "lock_after_days": {"2"}, "plan_review_days": {"90"}})
	mustStatus(t, ab, http.StatusUnprocessableEntity, "due in 0 hours")
	mustContain(t, ab, `href="#f-note_due_hours"`, `name="lock_after_days" type="number" value="2"`)
	ab.post("/settings/documentation", url.Values{"version": {version}, "note_due_hours": {"48"}, "lock_after_days": {"2"}, "plan_review_days": {"90"}})
	mustContain(t, ab, "Documentation policy saved.", `value="48"`)

	tmpl := url.Values{"name": {"Brief check-in"}, "kind": {"contact"},
		"field_1_key": {"summary"}, "field_1_label": {"Summary"}, "field_1_type": {"textarea"}, "field_1_required": {"1"},
		"field_2_key": {""}, "field_2_label": {""}, "field_2_type": {"textarea"},
		"field_3_key": {"mood"}, "field_3_label": {"Mood today"}, "field_3_type": {"choice"}, "field_3_options": {"Good"}}
	ab.post("/settings/templates", tmpl)
	mustStatus(t, ab, http.StatusUnprocessableEntity, "a choice with one option")
	mustContain(t, ab, "A choice needs at least two options.", `value="Mood today"`)
	tmpl.Set("field_3_options", "Good, Fair, Poor")
	ab.post("/settings/templates", tmpl)
	mustContain(t, ab, "Template “Brief check-in” saved.", "<td>Brief check-in</td><td>Contact / collateral note</td><td class=\"num\">1</td>")
	ab.post("/settings/templates", tmpl)
	mustContain(t, ab, "<td>Brief check-in</td><td>Contact / collateral note</td><td class=\"num\">2</td>")
	// A built-in template is copied under a name of the practice's own.
	ab.get("/settings/templates?from=" + itoa(np.templates[notes.ProgressSOAP]))
	mustContain(t, ab, `Start from “Progress note (SOAP)”`, `value="Progress note (SOAP) (practice)"`, `name="field_1_key" type="text" value="subjective"`,
		`<option value="mse" selected>`)

	// A draft of a session three days ago is past the two-day lock.
	s := np.session(np.casey.ID, np.pepa.ID, 3)
	cb := ta.browser()
	cb.signIn("casey@example.org")
	id := startNote(t, cb, np, np.pepa.ID, s)
	edit := "/notes/" + itoa(id)
	cb.post(edit, noteForm(s, 1, map[string]string{"subjective": "Late but thorough."}))
	mustStatus(t, cb, http.StatusConflict, "saving a locked draft")
	mustContain(t, cb, "documentation deadline", "Late but thorough.")
	ab.get("/documentation")
	mustContain(t, ab, "Locked", `action="/notes/`+itoa(id)+`/unlock"`, "Casey Care")
	ab.post("/notes/"+itoa(id)+"/unlock", url.Values{"reason": {""}})
	mustStatus(t, ab, http.StatusUnprocessableEntity, "unlock without a reason")
	ab.post("/notes/"+itoa(id)+"/unlock", url.Values{"reason": {"Clinician was on leave."}})
	mustContain(t, ab, "Draft unlocked for its author for three days.")
	cb.post(edit, noteForm(s, 2, map[string]string{"subjective": "Late but thorough."}))
	mustContain(t, cb, "Draft saved.", "Late but thorough.")
}

// The ICD-10-CM search answers by code and by words, for the live search
// and without script.
func TestICD10SearchPages(t *testing.T) {
	np := newNotesPractice(t, db.SQLite)
	b := np.ta.browser()
	b.signIn("casey@example.org")
	for q, want := range map[string]string{"F33.1": `"dotted": "F33.1"`, "f411": `"code": "F411"`, "major depressive recurrent": `"dotted": "F33.`,
		"generalized anxiety": `"title": "Generalized anxiety disorder"`} {
		b.get("/icd10?" + url.Values{"q": {q}}.Encode())
		mustStatus(t, b, http.StatusOK, "search "+q)
		mustContain(t, b, want)
	}
	b.get("/icd10?q=")
	mustContain(t, b, `"results": []`)
	b.get("/clients/" + itoa(np.pepa.ID) + "/diagnoses/new?" + url.Values{"q": {"generalized anxiety"}}.Encode())
	mustContain(t, b, `name="code" value="F411"`, "Generalized anxiety disorder", `data-icd-live="icd-results"`)
	b.get("/clients/" + itoa(np.pepa.ID) + "/diagnoses/new?q=zzzqqq")
	mustContain(t, b, "No billable codes match")
	// A category is not billable: the error names the field and keeps the input.
	b.post("/clients/"+itoa(np.pepa.ID)+"/diagnoses", url.Values{"code_typed": {"F33"}, "rank": {"1"}, "status": {"active"}})
	mustStatus(t, b, http.StatusUnprocessableEntity, "a category code")
	mustContain(t, b, `href="#f-code"`, "needs its full code", `value="F33"`)
}

// The chart's clinical sections and their forms: a medication added and
// stopped, a diagnosis re-ranked with its history, a risk assessment that
// refuses a plan without ideation and, at a high level, flags the header
// with the safety plan chip once one is written.
func TestClinicalChartPages(t *testing.T) {
	np := newNotesPractice(t, db.SQLite)
	pepa := "/clients/" + itoa(np.pepa.ID)
	b := np.ta.browser()
	b.signIn("casey@example.org")
	b.get(pepa)
	mustContain(t, b, `id="h-diagnoses"`, `id="h-medications"`, `id="h-risk"`, "No risk assessment yet.", "No safety plan on file.")
	mustNotContain(t, b, `id="risk-chip"`, `id="safety-plan-chip"`)

	b.post(pepa+"/medications", url.Values{"name": {""}, "dose": {"50 mg"}})
	mustStatus(t, b, http.StatusUnprocessableEntity, "a medication without a name")
	mustContain(t, b, `href="#f-name"`, `value="50 mg"`)
	b.post(pepa+"/medications", url.Values{"name": {"Sertraline"}, "dose": {"50 mg"}, "frequency": {"once daily"}, "start": {"2025-10-01"}})
	mustContain(t, b, "Medication saved.", "Sertraline", "50 mg, once daily")
	med := regexp.MustCompile(`href="` + pepa + `/medications/(\d+)"`).FindStringSubmatch(b.last)
	if med == nil {
		t.Fatalf("no edit link for the medication:\n%.3000s", b.last)
	}
	b.get(pepa + "/medications/" + med[1])
	mustContain(t, b, `value="Sertraline"`, `name="version" value="1"`)
	b.post(pepa+"/medications/"+med[1], url.Values{"name": {"Sertraline"}, "dose": {"50 mg"}, "frequency": {"once daily"}, "start": {"2025-10-01"},
		"stop": {"2025-12-01"}, "version": {"1"}})
	mustContain(t, b, "Medication saved.", "Stopped 2025-12-01")

	b.post(pepa+"/diagnoses", url.Values{"code": {"F411"}, "rank": {"1"}, "status": {"active"}})
	dx := regexp.MustCompile(`href="` + pepa + `/diagnoses/(\d+)"`).FindStringSubmatch(b.last)
	if dx == nil {
		t.Fatalf("no change link for the diagnosis:\n%.3000s", b.last)
	}
	b.get(pepa + "/diagnoses/" + dx[1])
	mustContain(t, b, "Generalized anxiety disorder", `<option value="1" selected>`, "added")
	b.post(pepa+"/diagnoses/"+dx[1], url.Values{"rank": {"2"}, "status": {"resolved"}, "version": {"1"}})
	mustContain(t, b, "Diagnosis updated.", "Secondary", "Resolved")
	b.get(pepa + "/diagnoses/" + dx[1])
	mustContain(t, b, `id="diagnosis-history"`, "changed")

	b.post(pepa+"/risk", url.Values{"suicidal_ideation": {"none"}, "homicidal_ideation": {"none"}, "plan": {"1"}, "level": {"high"}})
	mustStatus(t, b, http.StatusUnprocessableEntity, "a plan without ideation")
	mustContain(t, b, `href="#f-plan"`, `name="plan" value="1" checked`, `<option value="high" selected>`)
	b.post(pepa+"/risk", url.Values{"suicidal_ideation": {"passive"}, "homicidal_ideation": {"none"}, "level": {"high"}, "protective_factors": {"Her sister"}})
	mustContain(t, b, "Risk assessment recorded.", `id="risk-chip"`, "Elevated risk: high", "No safety plan on file.")
	b.post(pepa+"/safety-plan", url.Values{"warning_signs": {"Not sleeping"}, "contacts": {""}, "version": {"0"}})
	mustStatus(t, b, http.StatusUnprocessableEntity, "a safety plan without contacts")
	mustContain(t, b, ">Not sleeping</textarea>")
	b.post(pepa+"/safety-plan", url.Values{"warning_signs": {"Not sleeping"}, "contacts": {"Sister; 988"}, "version": {"0"}})
	mustContain(t, b, "Safety plan saved.", `id="safety-plan-chip"`, "Safety plan on file", "Elevated risk: high")

	// The supervisor reads the safety plan of a supervisee's client, without a form.
	if err := np.ta.Clients.SetSupervisors(context.Background(), notesActor, np.casey.ID, []int64{np.morgan.ID}); err != nil {
		t.Fatal(err)
	}
	mb := np.ta.browser()
	mb.signIn("morgan@example.org")
	mb.get(pepa + "/safety-plan")
	mustStatus(t, mb, http.StatusOK, "supervisor reads the safety plan")
	mustContain(t, mb, "Sister; 988")
	mustNotContain(t, mb, `id="safety-plan-form"`)
	mb.get(pepa)
	mustContain(t, mb, "Elevated risk: high", "Sertraline")
	mustNotContain(t, mb, "Add a medication", "Assess risk")
}
