package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// typeAtEnd types text after what a field holds (an empty textarea cannot
// be cleared first, and SendKeys alone would type at the caret).
func (b *tab) typeAtEnd(id, text string) {
	b.t.Helper()
	b.do("type into "+id, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const el = document.getElementById(%q); el.focus(); el.setSelectionRange(el.value.length, el.value.length); })()`, id)),
		chromedp.SendKeys(chromedp.ID(id), text))
}

// fillSOAPChoices sets the SOAP template's selects (every mental status
// domain to its first finding, the risk block, progress) as a user choosing
// them would, firing change events.
func (b *tab) fillSOAPChoices() {
	b.t.Helper()
	b.do("choose the findings", chromedp.Evaluate[chromedp.Void](`(() => {
		const set = (el, v) => { el.value = v; el.dispatchEvent(new Event('change', {bubbles: true})); };
		document.querySelectorAll('#f-b-mse select').forEach(s => set(s, s.options[1].value));
		set(document.getElementById('f-b-risk-suicidal_ideation'), 'none');
		set(document.getElementById('f-b-risk-homicidal_ideation'), 'none');
		set(document.getElementById('f-b-risk-level'), 'low');
		set(document.getElementById('f-b-progress'), 'Improved');
	})()`))
}

// waitSaved moves focus out of the fields and waits until autosave has
// saved every change and its live region says so.
func (b *tab) waitSaved(what string) {
	b.t.Helper()
	b.do(what, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`),
		chromedp.Poll[chromedp.Void](`(() => { const s = document.getElementById('autosave-status');
			return s.getAttribute('data-state') === 'saved' && s.textContent.startsWith('Saved '); })()`,
			chromedp.WithPollingTimeout(15*time.Second)))
}

// A clinician documents a completed session in a real browser: from the
// documentation page to the missing note's Start note, the template chosen
// by the appointment, the editor (autosave after typing stops), Review &
// sign with the password, and the locked note with its signature.
func TestBrowserNoteFlow(t *testing.T) {
	chromiumPath(t) // skip before starting a server when there is no browser
	start := time.Now()
	np := newNotesPractice(t, db.SQLite)
	np.session(np.casey.ID, np.pepa.ID, 1)
	b := newTab(t, np.ta)

	b.signIn("casey@example.org")
	// A diagnosis first, found by typing its code into the live search.
	b.open("/clients/"+itoa(np.pepa.ID)+"/diagnoses/new", "#f-q")
	b.checkLabels("add a diagnosis", false)
	b.do("type a code", chromedp.Click(chromedp.ID("f-q")), chromedp.SendKeys(chromedp.ID("f-q"), "F33.1"))
	b.do("wait for the live results", chromedp.WaitVisible(chromedp.CSS(`#icd-results input[value="F331"]`)))
	if got := b.text("#icd-status"); got != "1 code found." {
		t.Errorf("live search announces %q", got)
	}
	b.do("choose the code", chromedp.Click(chromedp.CSS(`#icd-results input[value="F331"]`)))
	b.follow("add the diagnosis", chromedp.Click(chromedp.CSS(`#diagnosis-form button[type=submit]`)), "#diagnoses-table")
	if rows := b.tableRows("#diagnoses-table"); len(rows) != 1 || rows[0][1] != "F33.1" || rows[0][0] != "Primary" {
		t.Errorf("diagnoses = %q", rows)
	}
	b.follow("open Documentation", chromedp.Click(chromedp.CSS(`nav.main a[href="/documentation"]`)), "#missing")
	if got := b.text("#h-doc-missing"); got != "Missing notes (1)" {
		t.Errorf("missing notes heading = %q", got)
	}
	b.screenshot("documentation.png")
	b.follow("start the missing note", chromedp.Click(chromedp.CSS(`#missing a.button`)), "#new-note-form")
	b.checkLabels("new note", false)
	if got := b.js("chosen template", `document.querySelector('input[name=template]:checked').parentNode.textContent.trim()`); got != "Progress note (SOAP)" {
		t.Errorf("the appointment's default template is %q", got)
	}
	b.follow("start the note", chromedp.Click(chromedp.CSS(`#new-note-form button[type=submit]`)), "#note-editor")
	b.checkLabels("note editor", false)
	if got := b.js("service code", `document.getElementById('f-service_code').value`); got != "90834" {
		t.Errorf("service code from the appointment = %q", got)
	}
	if got := b.js("diagnosis", `String(document.querySelectorAll('#f-dx input[name=dx]:checked').length)`); got != "1" {
		t.Errorf("%s diagnoses ticked, want the active one", got)
	}
	b.typeAtEnd("f-b-subjective", "Reports sleeping six hours; one panic attack at work.")
	b.typeAtEnd("f-b-objective", "Calm, good eye contact, speech normal rate.")
	b.typeAtEnd("f-b-assessment", "Panic symptoms decreasing with CBT.")
	b.typeAtEnd("f-b-plan", "Continue weekly CBT; practise interoceptive exposure.")
	b.fillSOAPChoices()
	b.waitSaved("autosave after typing stops")
	b.screenshot("note-editor.png")
	n, err := np.ta.Notes.ClientNotes(context.Background(), notesActor, np.pepa.ID)
	if err != nil || len(n) != 1 || n[0].Version < 2 {
		t.Fatalf("after autosave: %+v %v", n, err)
	}
	full, _ := np.ta.Notes.Get(context.Background(), notesActor, n[0].ID)
	if !strings.HasPrefix(full.Body["subjective"], "Reports sleeping six hours") || full.Body["mse.mood"] == "" {
		t.Errorf("autosave stored %v", full.Body)
	}

	b.follow("review and sign", chromedp.Click(chromedp.ID("review-sign")), "#sign-form")
	if got := b.text("#complete"); !strings.Contains(got, "Every required item is filled in.") {
		t.Errorf("review page: %q", got)
	}
	b.checkLabels("sign", false)
	b.screenshot("note-sign.png")
	b.do("attest", chromedp.Click(chromedp.ID("f-attest")))
	b.fill([][2]string{{"password", testPassword}})
	b.follow("sign", chromedp.Click(chromedp.ID("sign-button")), "#signature")
	if got := b.text("main .notice.ok"); got != "Note signed and locked." {
		t.Errorf("flash = %q", got)
	}
	if got := b.text(".note-top .chip"); !strings.Contains(got, "Signed") {
		t.Errorf("status chip = %q", got)
	}
	if got := b.text("#signature"); !strings.Contains(got, "Casey Care") {
		t.Errorf("signature block = %q", got)
	}
	if n := b.js("editor forms", `String(document.querySelectorAll('#note-editor, textarea[name^="b."]').length)`); n != "0" {
		t.Errorf("a signed note shows %s editor elements", n)
	}
	b.screenshot("note-signed.png")
	b.follow("verify", chromedp.Click(chromedp.ID("verify-link")), "#verify-result")
	if got := b.text("#verify-result"); !strings.Contains(got, "Verified.") {
		t.Errorf("verification = %q", got)
	}
	// The chart lists the signed note; the risk block reached the header.
	b.follow("open the chart", chromedp.Click(chromedp.CSS(`.record-back a`)), "#notes-table")
	if rows := b.tableRows("#notes-table"); len(rows) != 1 || rows[0][1] != "Progress note (SOAP)" || rows[0][2] != "Casey Care" || !strings.Contains(rows[0][3], "Signed") {
		t.Errorf("chart notes = %q", rows)
	}
	if got := b.text("#risk-latest"); !strings.Contains(got, "low") {
		t.Errorf("chart risk = %q", got)
	}
	b.screenshot("chart-clinical.png")
	for _, m := range b.consoleErrors() {
		t.Errorf("browser console: %s", m)
	}
	t.Logf("flow took %v", time.Since(start).Round(time.Millisecond))
}

// An associate's note in a real browser: started from the home page, signed
// and sent to the supervisor; the supervisor opens it from the review queue
// and returns it with a comment; the associate sees the comment in the
// editor, revises, signs again; the supervisor approves and co-signs.
func TestBrowserSupervisedNoteFlow(t *testing.T) {
	chromiumPath(t) // skip before starting a server when there is no browser
	start := time.Now()
	np := newNotesPractice(t, db.SQLite)
	np.session(np.sam.ID, np.ben.ID, 1)
	b := newTab(t, np.ta)

	b.signIn("sam@example.org")
	b.follow("start the missing note from home", chromedp.Click(chromedp.CSS(`#missing a.button`)), "#new-note-form")
	b.follow("start the note", chromedp.Click(chromedp.CSS(`#new-note-form button[type=submit]`)), "#note-editor")
	if got := b.text("#review-sign"); got != "Review, sign & send to supervisor" {
		t.Errorf("associate's sign button = %q", got)
	}
	b.typeAtEnd("f-b-subjective", "Discussed conflict with his manager.")
	b.typeAtEnd("f-b-objective", "Tense at first, then relaxed.")
	b.typeAtEnd("f-b-assessment", "Adjustment stressors, coping improving.")
	b.typeAtEnd("f-b-plan", "Role-play the conversation next week.")
	b.fillSOAPChoices()
	b.follow("review and sign", chromedp.Click(chromedp.ID("review-sign")), "#sign-form")
	if got := b.text("#sign-button"); got != "Sign & send to supervisor" {
		t.Errorf("sign button = %q", got)
	}
	b.do("attest", chromedp.Click(chromedp.ID("f-attest")))
	b.fill([][2]string{{"password", testPassword}})
	b.follow("sign and send", chromedp.Click(chromedp.ID("sign-button")), "#signature")
	if got := b.text(".note-top .chip"); !strings.Contains(got, "Waiting for supervisor") {
		t.Errorf("status chip after sending = %q", got)
	}
	notePath := run(b, "read location", chromedp.Location())
	notePath = notePath[strings.Index(notePath, "/notes/"):]
	b.signOut()

	// The supervisor returns it with a comment.
	b.signIn("morgan@example.org")
	b.follow("open Review", chromedp.Click(chromedp.CSS(`nav.main a[href="/review"]`)), "#review-table")
	rows := b.tableRows("#review-table")
	if len(rows) != 1 || rows[0][0] != "Sam Patel" || rows[0][1] != "B. T." || rows[0][4] != notes.ProgressSOAP.Label() {
		t.Errorf("review queue = %q", rows)
	}
	b.screenshot("review-queue.png")
	b.follow("open the note", chromedp.Click(chromedp.CSS(`#review-table a.button`)), "#cosign")
	b.checkLabels("co-sign", false)
	b.typeAtEnd("f-rt_comment", "Please record the affect you observed in the MSE.")
	b.follow("return with comments", chromedp.Click(chromedp.CSS(`#return-form button[type=submit]`)), "#h-review-queue")
	if got := b.text("main .notice.ok"); !strings.Contains(got, "returned to its author") {
		t.Errorf("flash after returning = %q", got)
	}
	b.signOut()

	// The associate revises and signs again.
	b.signIn("sam@example.org")
	if got := b.text("#h-doc-returned"); got != "Returned to me (1)" {
		t.Errorf("home returned heading = %q", got)
	}
	b.screenshot("home-associate.png")
	b.follow("revise", chromedp.Click(chromedp.CSS(`#returned a.button`)), "#note-editor")
	if got := b.text("#return-comment"); !strings.Contains(got, "Please record the affect you observed in the MSE.") {
		t.Errorf("the editor shows the comment as %q", got)
	}
	b.do("choose the affect", chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.getElementById('f-b-mse-affect'); s.value = 'Constricted'; s.dispatchEvent(new Event('change', {bubbles: true})); })()`))
	b.typeAtEnd("f-b-assessment", " Affect constricted when discussing work.")
	b.waitSaved("autosave the revision")
	b.follow("review and sign again", chromedp.Click(chromedp.ID("review-sign")), "#sign-form")
	b.do("attest", chromedp.Click(chromedp.ID("f-attest")))
	b.fill([][2]string{{"password", testPassword}})
	b.follow("sign and send again", chromedp.Click(chromedp.ID("sign-button")), "#signature")
	b.signOut()

	// The supervisor co-signs.
	b.signIn("morgan@example.org")
	b.open("/review", "#review-table")
	b.follow("open the note again", chromedp.Click(chromedp.CSS(`#review-table a.button`)), "#cosign")
	if got := b.text("#h-body + .note-view"); !strings.Contains(got, "Constricted") {
		t.Errorf("the revised note shows %q", got)
	}
	b.do("attest the review", chromedp.Click(chromedp.ID("f-co_attest")))
	b.fill([][2]string{{"co_password", testPassword}})
	b.follow("approve and co-sign", chromedp.Click(chromedp.CSS(`#cosign-form button[type=submit]`)), "#h-review-queue")
	b.open(notePath, "#signature")
	if got := b.text("#signature"); !strings.Contains(got, "Co-signed by") || !strings.Contains(got, "Morgan Lee") {
		t.Errorf("signature block = %q", got)
	}
	if got := b.text(".note-top .chip"); !strings.Contains(got, "Co-signed") {
		t.Errorf("status chip = %q", got)
	}
	b.screenshot("note-cosigned.png")
	for _, m := range b.consoleErrors() {
		t.Errorf("browser console: %s", m)
	}
	t.Logf("flow took %v", time.Since(start).Round(time.Millisecond))
}
