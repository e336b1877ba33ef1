package ui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/clinical"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
)

// Clinical documentation pages (UI.md §7): a note's read-only view with its
// signature, verification and addenda; the review-and-sign page; the
// supervisor's co-sign and return; unlocking. The editor is in
// note_editor.go; the dashboard, review queue and settings in
// documentation.go; the chart's clinical sections in clinical_pages.go.

func init() {
	mine := []string{"note_new", "note_edit", "note_sign", "note_show", "note_policy", "documentation", "review", "templates_admin"}
	pageNames = append(pageNames, mine...)
	for _, n := range mine {
		pageParts[n] = append(pageParts[n], "templates/client_parts.html", "templates/record_parts.html", "templates/note_parts.html")
	}
}

// noteChip is how a note's status looks: icon, word and colour (UI.md §7, §10).
func noteChip(s notes.Status) chip {
	switch s {
	case notes.Draft:
		return chip{"neutral", "✎", "Draft"}
	case notes.AwaitingCosign:
		return chip{"review", "◷", "Waiting for supervisor"}
	case notes.Returned:
		return chip{"warn", "↩", "Returned"}
	case notes.Signed:
		return chip{"ok", "✓", "Signed"}
	case notes.Cosigned:
		return chip{"ok", "✓", "Co-signed"}
	}
	return chip{"neutral", "", s.Label()}
}

// noteHref is where a row about a note leads: the editor for its author
// while it is still a draft, the read-only view otherwise.
func noteHref(n notes.Note, me int64) string {
	id := strconv.FormatInt(n.ID, 10)
	if n.AuthorID == me && n.Status.Editable() {
		return "/notes/" + id + "/edit"
	}
	return "/notes/" + id
}

// noteZone is the practice's time zone, in which dates of service are shown.
func (h *Handler) noteZone(r *http.Request) (*time.Location, error) {
	return h.Scheduling.Zone(r.Context())
}

// noteDate is a date of service as the pages show it.
func noteDate(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("Mon 2 Jan 2006")
}

// noteStamp is a moment (signature, addendum) in the practice's zone.
func noteStamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("Mon 2 Jan 2006, 3:04 PM MST")
}

// noteDOS is the note's date of service: the session's start, or the day
// the note was started.
func noteDOS(n notes.Note) time.Time {
	if !n.Session.Start.IsZero() {
		return n.Session.Start
	}
	return n.CreatedAt
}

// noteItem is one labelled value of a read-only note.
type noteItem struct{ Label, Value string }

// noteViewField is one template field as a signed or reviewed note shows it.
type noteViewField struct {
	Key, Label string
	Text       string
	Items      []noteItem   // mental status exam, risk
	Rows       [][]noteItem // treatment plan rows with something in them
	Empty      bool
}

func noteTitle(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// noteView lays out a body along its template, for reading.
func noteView(t notes.Template, body map[string]string) []noteViewField {
	var out []noteViewField
	for _, f := range t.Fields {
		v := noteViewField{Key: f.Key, Label: f.Label}
		switch f.Type {
		case notes.FieldMSE:
			for _, d := range notes.MSEDomains {
				if x := body[f.Key+"."+d.Key]; x != "" {
					v.Items = append(v.Items, noteItem{d.Label, x})
				}
			}
			v.Empty = len(v.Items) == 0
		case notes.FieldRisk:
			for _, it := range notes.RiskItems {
				if x := body[f.Key+"."+it.Key]; x != "" {
					v.Items = append(v.Items, noteItem{noteRiskLabel(it.Label), noteTitle(x)})
				}
			}
			v.Empty = len(v.Items) == 0
		case notes.FieldPlan:
			for i := 1; i <= notes.PlanRows; i++ {
				var row []noteItem
				for _, p := range notes.PlanParts {
					if x := body[f.Key+"."+strconv.Itoa(i)+"."+p.Key]; x != "" {
						row = append(row, noteItem{p.Label, x})
					}
				}
				if row != nil {
					v.Rows = append(v.Rows, row)
				}
			}
			v.Empty = len(v.Rows) == 0
		default:
			v.Text = body[f.Key]
			v.Empty = strings.TrimSpace(v.Text) == ""
		}
		out = append(out, v)
	}
	return out
}

// noteRiskLabel shortens the risk items' labels for reading.
func noteRiskLabel(label string) string {
	if i := strings.Index(label, " ("); i > 0 {
		return label[:i]
	}
	return label
}

// noteFacts are a note's session details as its pages show them.
type noteFacts struct {
	DOS, Time, Minutes   string
	ServiceCode          string
	Suggested            string
	Mismatch             bool
	PlaceOfService       string
	Participants         string
	CodeReason           string
	Diagnoses            []string
	Service, Appointment bool
}

func noteFactsOf(n notes.Note, loc *time.Location, dx []clinical.Diagnosis) noteFacts {
	s := n.Session
	f := noteFacts{DOS: noteDate(noteDOS(n), loc), ServiceCode: s.ServiceCode, PlaceOfService: notePOSLabel(s.PlaceOfService),
		Participants: s.Participants, CodeReason: s.CodeReason, Service: n.Kind.IsService(), Appointment: n.AppointmentID != 0}
	if !s.Start.IsZero() && !s.End.IsZero() {
		f.Time = s.Start.In(loc).Format("3:04 PM") + "–" + s.End.In(loc).Format("3:04 PM MST")
		f.Minutes = strconv.Itoa(s.Minutes()) + " min"
		f.Suggested = notes.SuggestCode(n.Kind, s.Minutes())
		f.Mismatch = notes.CodeMismatch(n.Kind, s.ServiceCode, s.Minutes())
	}
	for _, id := range s.DiagnosisIDs {
		for _, d := range dx {
			if d.ID == id {
				f.Diagnoses = append(f.Diagnoses, d.Dotted()+" "+d.Title)
			}
		}
	}
	return f
}

// notePOSLabel names a place-of-service code.
func notePOSLabel(code string) string {
	for _, p := range notePlaces {
		if p.Code == code {
			return p.Label
		}
	}
	return code
}

// noteShowPage is a note, read-only, with what the viewer may do with it.
type noteShowPage struct {
	Page
	Note      notes.Note
	Client    clients.Client
	Chip      chip
	Facts     noteFacts
	View      []noteViewField
	SignedAt  string
	CosignAt  string
	Addenda   []noteAddendumRow
	Verify    *notes.Verification
	ReturnAt  string
	IsAuthor  bool
	CanEdit   bool
	CanAmend  bool
	CanCosign bool
	UseCode   bool
}

type noteAddendumRow struct {
	notes.Addendum
	At string
}

// renderNote shows a note. f carries a failed addendum, co-signature or
// return form (their fields prefixed ad_, co_ and rt_).
func (h *Handler) renderNote(w http.ResponseWriter, r *http.Request, status int, id int64, f Form, verify bool) {
	ctx, a := r.Context(), current(r)
	n, err := h.Notes.Get(ctx, a.Actor, id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	loc, err := h.noteZone(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	c, err := h.Clients.Get(ctx, a.Actor, n.ClientID, "note")
	if err != nil {
		h.Error(w, r, err)
		return
	}
	dx, err := h.Clinical.Diagnoses(ctx, a.Actor, n.ClientID)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	pol := h.Audit.Policy()
	p := &noteShowPage{Page: h.base(w, r, n.Kind.Label()+" · "+c.MRN), Note: n, Client: c, Chip: noteChip(n.Status), Facts: noteFactsOf(n, loc, dx),
		SignedAt: noteStamp(n.SignedAt, loc), CosignAt: noteStamp(n.CosignedAt, loc), ReturnAt: noteStamp(n.ReturnedAt, loc),
		IsAuthor: n.AuthorID == a.User.ID, UseCode: a.User.TOTPEnabled}
	p.CanEdit = p.IsAuthor && n.Status.Editable()
	p.CanAmend = !n.Status.Editable() && !n.BodyHidden && pol.Can(a.Actor, access.PermClinicalWrite)
	p.CanCosign = n.Status == notes.AwaitingCosign && !p.IsAuthor && pol.Can(a.Actor, access.PermNotesCosign)
	if !n.BodyHidden {
		t, err := h.Notes.Template(ctx, a.Actor, n.TemplateID)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		p.View = noteView(t, n.Body)
	}
	for _, ad := range n.Addenda {
		p.Addenda = append(p.Addenda, noteAddendumRow{Addendum: ad, At: noteStamp(ad.SignedAt, loc)})
	}
	if verify {
		v, err := h.Notes.Verify(ctx, a.Actor, id)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		p.Verify = &v
	}
	if f.Values == nil {
		f = Form{Values: map[string]string{"ad_kind": "addendum"}, Errors: map[string]string{}}
	}
	p.Form = f
	h.render(w, r, status, "note_show", p)
}

// ShowNote is a note's read-only view. Billers see its service details only.
func (h *Handler) ShowNote(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.renderNote(w, r, http.StatusOK, id, Form{}, false)
}

// VerifyNote recomputes a signed note's content hash and shows whether the
// stored note still matches its signature.
func (h *Handler) VerifyNote(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.renderNote(w, r, http.StatusOK, id, Form{}, true)
}

func noteIDHref(id int64, suffix string) string {
	return "/notes/" + strconv.FormatInt(id, 10) + suffix
}

// AddAddendum appends a signed addendum or amendment to a signed note.
func (h *Handler) AddAddendum(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, "ad_kind", "ad_text", "ad_reason")
	in := notes.AddendumInput{Kind: f.Values["ad_kind"], Text: r.PostFormValue("ad_text"), Reason: f.Values["ad_reason"],
		Password: r.PostFormValue("ad_password"), Code: strings.TrimSpace(r.PostFormValue("ad_code"))}
	f.Values["ad_text"] = r.PostFormValue("ad_text")
	_, err = h.Notes.AddAddendum(r.Context(), current(r).Actor, id, in)
	switch {
	case err == nil:
		what := "Addendum"
		if in.Kind == "amendment" {
			what = "Amendment"
		}
		h.redirect(w, r, noteIDHref(id, "#addenda"), what+" signed and added. The original note is unchanged.")
	case apperr.Is(err, apperr.CodeInvalid):
		f.fail(err, "ad_")
		h.renderNote(w, r, http.StatusUnprocessableEntity, id, f, false)
	case apperr.Is(err, apperr.CodeConflict):
		f.fail(err, "ad_")
		h.renderNote(w, r, http.StatusConflict, id, f, false)
	default:
		h.Error(w, r, err)
	}
}

// CosignNote is the supervisor's approval of a supervisee's signed note.
func (h *Handler) CosignNote(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, "co_version")
	version, _ := strconv.ParseInt(f.Values["co_version"], 10, 64)
	err = h.Notes.Cosign(r.Context(), current(r).Actor, id, notes.SignInput{Password: r.PostFormValue("co_password"),
		Code: strings.TrimSpace(r.PostFormValue("co_code")), Version: version, Attest: r.PostFormValue("co_attest") == "1"})
	switch {
	case err == nil:
		h.redirect(w, r, "/review", "Note co-signed. It is now final.")
	case apperr.Is(err, apperr.CodeInvalid), apperr.Is(err, apperr.CodeConflict):
		f.fail(err, "co_")
		h.renderNote(w, r, web422or409(err), id, f, false)
	default:
		h.Error(w, r, err)
	}
}

// ReturnNote sends a supervisee's note back to its author with comments.
func (h *Handler) ReturnNote(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, "rt_version")
	f.Values["rt_comment"] = r.PostFormValue("rt_comment")
	version, _ := strconv.ParseInt(f.Values["rt_version"], 10, 64)
	err = h.Notes.Return(r.Context(), current(r).Actor, id, f.Values["rt_comment"], version)
	switch {
	case err == nil:
		h.redirect(w, r, "/review", "Note returned to its author with your comments.")
	case apperr.Is(err, apperr.CodeInvalid), apperr.Is(err, apperr.CodeConflict):
		f.fail(err, "rt_")
		h.renderNote(w, r, web422or409(err), id, f, false)
	default:
		h.Error(w, r, err)
	}
}

// web422or409 is the status of a form that failed validation or lost a race.
func web422or409(err error) int {
	if apperr.Is(err, apperr.CodeConflict) {
		return http.StatusConflict
	}
	return http.StatusUnprocessableEntity
}

// noteMissing is a required item still empty, linked to its field.
type noteMissing struct{ ID, Label, Href string }

// noteSignPage is the review-and-sign page.
type noteSignPage struct {
	Page
	Note       notes.Note
	Client     clients.Client
	Chip       chip
	Facts      noteFacts
	View       []noteViewField
	Missing    []noteMissing
	Problems   []noteMissing
	Supervised bool
	UseCode    bool
}

// noteMissingItems lists the required items a body leaves empty (as
// notes.Missing names them), each with the anchor of its field.
func noteMissingItems(id int64, t notes.Template, body map[string]string) []noteMissing {
	var out []noteMissing
	for _, f := range t.Fields {
		for _, label := range notes.Missing(notes.Template{Fields: []notes.Field{f}}, body) {
			key := f.Key
			switch f.Type {
			case notes.FieldMSE:
				for _, d := range notes.MSEDomains {
					if label == f.Label+": "+d.Label {
						key = f.Key + "." + d.Key
					}
				}
			case notes.FieldRisk:
				key = f.Key + ".level"
			case notes.FieldPlan:
				key = f.Key + ".1.problem"
			}
			out = append(out, noteMissing{ID: noteFieldID(key), Label: label, Href: noteIDHref(id, "/edit#"+noteFieldID(key))})
		}
	}
	return out
}

// noteProblems lists what the session details lack for signing.
func noteProblems(n notes.Note) []noteMissing {
	if !n.Kind.IsService() || n.AppointmentID == 0 {
		return nil
	}
	s := n.Session
	edit := noteIDHref(n.ID, "/edit#")
	if s.Start.IsZero() || s.End.IsZero() || !s.End.After(s.Start) {
		return []noteMissing{{ID: "f-end", Label: "Session start and end times", Href: edit + "f-start"}}
	}
	if notes.CodeMismatch(n.Kind, s.ServiceCode, s.Minutes()) && strings.TrimSpace(s.CodeReason) == "" {
		sug := notes.SuggestCode(n.Kind, s.Minutes())
		if sug == "" {
			sug = "no psychotherapy code"
		}
		return []noteMissing{{ID: "f-code_reason", Href: edit + "f-code_reason",
			Label: "Service code " + s.ServiceCode + " does not match " + strconv.Itoa(s.Minutes()) + " minutes (" + sug + "): change it or give a reason"}}
	}
	return nil
}

func (h *Handler) renderSignNote(w http.ResponseWriter, r *http.Request, status int, id int64, f Form) {
	ctx, a := r.Context(), current(r)
	n, err := h.Notes.Get(ctx, a.Actor, id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if n.AuthorID != a.User.ID || !n.Status.Editable() {
		http.Redirect(w, r, noteIDHref(id, ""), http.StatusSeeOther)
		return
	}
	t, err := h.Notes.Template(ctx, a.Actor, n.TemplateID)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	loc, err := h.noteZone(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	c, err := h.Clients.Get(ctx, a.Actor, n.ClientID, "note")
	if err != nil {
		h.Error(w, r, err)
		return
	}
	dx, err := h.Clinical.Diagnoses(ctx, a.Actor, n.ClientID)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p := &noteSignPage{Page: h.base(w, r, "Review and sign · "+c.MRN), Note: n, Client: c, Chip: noteChip(n.Status), Facts: noteFactsOf(n, loc, dx),
		View: noteView(t, n.Body), Missing: noteMissingItems(id, t, n.Body), Problems: noteProblems(n), Supervised: n.SupervisorID != 0,
		UseCode: a.User.TOTPEnabled}
	if f.Values == nil {
		f = Form{Values: map[string]string{}, Errors: map[string]string{}}
	}
	p.Form = f
	h.render(w, r, status, "note_sign", p)
}

// ShowSignNote is "Review & sign": what is still missing, each linked to its
// field, the attestation and the password.
func (h *Handler) ShowSignNote(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.renderSignNote(w, r, http.StatusOK, id, Form{})
}

// SignNote signs the author's draft, locking it (or sending an associate's
// to the supervisor).
func (h *Handler) SignNote(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, "version")
	if r.PostFormValue("attest") == "1" {
		f.Values["attest"] = "1"
	}
	version, _ := strconv.ParseInt(f.Values["version"], 10, 64)
	n, err := h.Notes.Sign(r.Context(), current(r).Actor, id, notes.SignInput{Password: r.PostFormValue("password"),
		Code: strings.TrimSpace(r.PostFormValue("code")), Version: version, Attest: f.Values["attest"] == "1"})
	switch {
	case err == nil:
		msg := "Note signed and locked."
		if n.Status == notes.AwaitingCosign {
			msg = "Note signed and sent to your supervisor for co-signature."
		}
		h.redirect(w, r, noteIDHref(id, ""), msg)
	case apperr.Is(err, apperr.CodeInvalid), apperr.Is(err, apperr.CodeConflict):
		f.fail(err, "")
		f.Message = apperr.As(err).Message
		if _, ok := f.Errors["body"]; ok {
			f.Errors["body"] = "Fill in the required items listed below."
		}
		h.renderSignNote(w, r, web422or409(err), id, f)
	default:
		h.Error(w, r, err)
	}
}

// UnlockNote reopens a draft the documentation deadline has locked.
func (h *Handler) UnlockNote(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, "reason")
	err = h.Notes.Unlock(r.Context(), current(r).Actor, id, f.Values["reason"])
	switch {
	case err == nil:
		h.redirect(w, r, "/documentation#drafts", "Draft unlocked for its author for three days.")
	case apperr.Is(err, apperr.CodeInvalid), apperr.Is(err, apperr.CodeConflict):
		g := Form{Values: map[string]string{"unlock": strconv.FormatInt(id, 10), "reason": f.Values["reason"]}, Errors: map[string]string{}}
		g.fail(err, "")
		if msg, ok := g.Errors["reason"]; ok {
			delete(g.Errors, "reason")
			g.Errors["reason-"+strconv.FormatInt(id, 10)] = msg
		}
		h.renderDocumentation(w, r, web422or409(err), g)
	default:
		h.Error(w, r, err)
	}
}
