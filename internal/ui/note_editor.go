package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/clinical"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/web"
	"github.com/mentalspace/mentalspace/internal/practice"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// The note editor (UI.md §7): choosing a template, then one form with the
// session header and every field of the template. It works as a plain form
// (Save draft, Review & sign); notes.js adds autosave, which posts the same
// form and asks for JSON. A stale save never loses the user's text: the
// service refuses it and the page comes back with what was typed.

// notePlaces are the place-of-service choices.
var notePlaces = practice.PlacesOfService

// noteFieldID is the element id of a body key's input ("mse.mood" → f-b-mse-mood).
func noteFieldID(key string) string { return "f-b-" + strings.ReplaceAll(key, ".", "-") }

// noteInput is one input of the editor.
type noteInput struct {
	Name, ID, Label, Type, Value string
	Options                      []choice
}

// noteField is one template field in the editor.
type noteField struct {
	Key, Label, Type, ID, Name string
	Required, Stable           bool
	Value                      string
	Options                    []choice      // choice, checkboxes, scale
	Parts                      []noteInput   // mental status exam and risk items
	Rows                       [][]noteInput // treatment plan rows
	RowNumbers                 []int
}

// noteRiskChoices are the risk block's answers; history and protective
// factors are free text.
var noteRiskChoices = map[string][]string{
	"suicidal_ideation": clinical.Ideations, "homicidal_ideation": clinical.Ideations,
	"plan": {"no", "yes"}, "intent": {"no", "yes"}, "means": {"no", "yes"}, "level": clinical.RiskLevels,
}

func noteChoices(options []string, value string, title bool) []choice {
	out := make([]choice, 0, len(options))
	for _, o := range options {
		label := o
		if title {
			label = noteTitle(o)
		}
		out = append(out, choice{Value: o, Label: label, Checked: o == value})
	}
	// A value no longer among the options (a changed template) stays visible.
	if value != "" && !slices.Contains(options, value) {
		out = append(out, choice{Value: value, Label: value, Checked: true})
	}
	return out
}

// noteFields lays out a template's fields with the body's values.
func noteFields(t notes.Template, body map[string]string) []noteField {
	var out []noteField
	for _, f := range t.Fields {
		nf := noteField{Key: f.Key, Label: f.Label, Type: f.Type, ID: noteFieldID(f.Key), Name: "b." + f.Key, Required: f.Required, Stable: f.Stable,
			Value: body[f.Key]}
		switch f.Type {
		case notes.FieldChoice:
			nf.Options = noteChoices(f.Options, nf.Value, false)
		case notes.FieldCheckboxes:
			picked := strings.Split(nf.Value, ", ")
			for _, o := range f.Options {
				nf.Options = append(nf.Options, choice{Value: o, Label: o, Checked: slices.Contains(picked, o)})
			}
		case notes.FieldScale:
			for i := f.Min; i <= f.Max && i-f.Min < 20; i++ {
				v := strconv.Itoa(i)
				nf.Options = append(nf.Options, choice{Value: v, Label: v, Checked: v == nf.Value})
			}
		case notes.FieldMSE:
			for _, d := range notes.MSEDomains {
				k := f.Key + "." + d.Key
				nf.Parts = append(nf.Parts, noteInput{Name: "b." + k, ID: noteFieldID(k), Label: d.Label, Type: "select", Value: body[k],
					Options: noteChoices(d.Options, body[k], false)})
			}
		case notes.FieldRisk:
			for _, it := range notes.RiskItems {
				k := f.Key + "." + it.Key
				in := noteInput{Name: "b." + k, ID: noteFieldID(k), Label: it.Label, Type: "text", Value: body[k]}
				if opts, ok := noteRiskChoices[it.Key]; ok {
					in.Type, in.Options = "select", noteChoices(opts, body[k], true)
				}
				nf.Parts = append(nf.Parts, in)
			}
		case notes.FieldPlan:
			for i := 1; i <= notes.PlanRows; i++ {
				var row []noteInput
				for _, p := range notes.PlanParts {
					k := f.Key + "." + strconv.Itoa(i) + "." + p.Key
					typ := "text"
					if p.Key == "target" {
						typ = "date"
					}
					row = append(row, noteInput{Name: "b." + k, ID: noteFieldID(k), Label: p.Label, Type: typ, Value: body[k]})
				}
				nf.Rows = append(nf.Rows, row)
				nf.RowNumbers = append(nf.RowNumbers, i)
			}
		}
		out = append(out, nf)
	}
	return out
}

// noteNewPage chooses the template of a new note.
type noteNewPage struct {
	Page
	Client        clients.Client
	AppointmentID int64
	Appointment   string // date, time and type, when the note documents one
	Groups        []noteTemplateGroup
}

type noteTemplateGroup struct {
	Label   string
	Choices []choice
}

// noteDefaultKind is the template kind an appointment calls for; a progress
// note (SOAP) otherwise.
func noteDefaultKind(k scheduling.Kind) notes.Kind {
	switch k {
	case scheduling.Intake:
		return notes.Intake
	case scheduling.Couple:
		return notes.CouplesFamily
	case scheduling.Group:
		return notes.GroupNote
	}
	return notes.ProgressSOAP
}

func (h *Handler) renderNewNote(w http.ResponseWriter, r *http.Request, status int, clientID, appointmentID int64, f Form) {
	ctx, a := r.Context(), current(r).Actor
	c, err := h.Clients.Get(ctx, a, clientID, "new note")
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p := &noteNewPage{Page: h.base(w, r, "New note · "+c.MRN), Client: c, AppointmentID: appointmentID}
	kind := notes.Kind(r.FormValue("kind"))
	if kind.Label() == string(kind) {
		kind = notes.ProgressSOAP
	}
	if appointmentID != 0 {
		ap, err := h.Scheduling.Get(ctx, a, appointmentID)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		loc, err := h.noteZone(r)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		p.Appointment = ap.Start.In(loc).Format("Mon 2 Jan 2006, 3:04 PM") + " · " + ap.TypeName
		if ap.ServiceCode != "" {
			p.Appointment += " (" + ap.ServiceCode + ")"
		}
		if r.FormValue("kind") == "" {
			kind = noteDefaultKind(ap.Kind)
		}
	}
	ts, err := h.Notes.Templates(ctx, a)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	chosen := f.Values["template"]
	if chosen == "" {
		for _, t := range ts {
			if t.Kind == kind {
				chosen = strconv.FormatInt(t.ID, 10)
				break
			}
		}
	}
	for _, k := range notes.Kinds {
		g := noteTemplateGroup{Label: k.Label}
		for _, t := range ts {
			if t.Kind != k.Kind {
				continue
			}
			id := strconv.FormatInt(t.ID, 10)
			label := t.Name
			if !t.Builtin {
				label += " (practice template, version " + strconv.Itoa(t.Version) + ")"
			}
			g.Choices = append(g.Choices, choice{Value: id, Label: label, Checked: id == chosen})
		}
		if g.Choices != nil {
			p.Groups = append(p.Groups, g)
		}
	}
	p.Form = f
	h.render(w, r, status, "note_new", p)
}

func queryID(r *http.Request, name string) int64 {
	id, _ := strconv.ParseInt(r.FormValue(name), 10, 64)
	if id < 0 {
		return 0
	}
	return id
}

// NewNote chooses the template for a new note of ?client=, documenting
// ?appointment= when given (the default template follows its type).
func (h *Handler) NewNote(w http.ResponseWriter, r *http.Request) {
	clientID := queryID(r, "client")
	if clientID == 0 {
		h.Error(w, r, apperr.NotFound("client"))
		return
	}
	h.renderNewNote(w, r, http.StatusOK, clientID, queryID(r, "appointment"), Form{Values: map[string]string{}, Errors: map[string]string{}})
}

// CreateNote starts the draft and opens the editor.
func (h *Handler) CreateNote(w http.ResponseWriter, r *http.Request) {
	f := newForm(r, "client", "appointment", "template")
	in := notes.NewNote{ClientID: queryID(r, "client"), AppointmentID: queryID(r, "appointment"), TemplateID: queryID(r, "template")}
	id, err := h.Notes.CreateDraft(r.Context(), current(r).Actor, in)
	switch {
	case err == nil:
		h.redirect(w, r, noteIDHref(id, "/edit"), "")
	case apperr.Is(err, apperr.CodeInvalid) && in.ClientID != 0:
		f.fail(err, "")
		f.moveError("appointment", "template")
		h.renderNewNote(w, r, http.StatusUnprocessableEntity, in.ClientID, in.AppointmentID, f)
	default:
		h.Error(w, r, err)
	}
}

// noteEditPage is the editor.
type noteEditPage struct {
	Page
	Note       notes.Note
	Client     clients.Client
	Chip       chip
	Fields     []noteField
	Diagnoses  []choice
	Places     []choice
	Service    bool
	Minutes    int
	Suggested  string
	Mismatch   bool
	Version    int64
	Conflict   bool
	Supervised bool
	ReturnedAt string
	SaveHref   string
	Zone       string
}

// noteSessionFields are the editor's header fields, named as the service's
// field errors name them.
var noteSessionFields = []string{"date", "start", "end", "service_code", "modifiers", "place_of_service", "participants", "code_reason"}

func noteSessionForm(s notes.Session, created time.Time, loc *time.Location) map[string]string {
	v := map[string]string{"service_code": s.ServiceCode, "modifiers": s.Modifiers, "place_of_service": s.PlaceOfService,
		"participants": s.Participants, "code_reason": s.CodeReason, "date": created.In(loc).Format(time.DateOnly)}
	if !s.Start.IsZero() {
		v["date"], v["start"] = s.Start.In(loc).Format(time.DateOnly), s.Start.In(loc).Format("15:04")
	}
	if !s.End.IsZero() {
		v["end"] = s.End.In(loc).Format("15:04")
	}
	return v
}

// noteTyped is what a failed save sent, shown again as typed.
type noteTyped struct {
	form     Form
	body     map[string]string
	dx       []int64
	version  int64
	conflict bool
}

func (h *Handler) renderNoteEditor(w http.ResponseWriter, r *http.Request, status int, id int64, typed *noteTyped) {
	ctx, a := r.Context(), current(r)
	n, err := h.Notes.Get(ctx, a.Actor, id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if n.AuthorID != a.User.ID || !n.Status.Editable() {
		// Signed notes take addenda, never edits; others' drafts are read-only.
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
	p := &noteEditPage{Page: h.base(w, r, "Edit note · "+c.MRN), Note: n, Client: c, Chip: noteChip(n.Status), Service: n.Kind.IsService(),
		Version: n.Version, Supervised: n.SupervisorID != 0, ReturnedAt: noteStamp(n.ReturnedAt, loc), SaveHref: noteIDHref(id, ""), Zone: loc.String()}
	body, picked := n.Body, n.Session.DiagnosisIDs
	p.Form = Form{Values: noteSessionForm(n.Session, n.CreatedAt, loc), Errors: map[string]string{}}
	if typed != nil {
		body, picked, p.Version, p.Form = typed.body, typed.dx, typed.version, typed.form
		p.Conflict = typed.conflict
	}
	p.Fields = noteFields(t, body)
	for _, d := range dx {
		if d.Status == "active" || slices.Contains(picked, d.ID) {
			p.Diagnoses = append(p.Diagnoses, choice{Value: strconv.FormatInt(d.ID, 10), Label: d.Dotted() + " " + d.Title + " · " + d.RankLabel(),
				Checked: slices.Contains(picked, d.ID)})
		}
	}
	for _, pl := range notePlaces {
		p.Places = append(p.Places, choice{Value: pl.Code, Label: pl.Label, Checked: pl.Code == p.Form.Values["place_of_service"]})
	}
	if s, _, err := noteSessionInput(p.Form.Values, loc); err == nil && s.Minutes() > 0 {
		p.Minutes, p.Suggested = s.Minutes(), notes.SuggestCode(n.Kind, s.Minutes())
		p.Mismatch = notes.CodeMismatch(n.Kind, strings.ToUpper(p.Form.Values["service_code"]), s.Minutes())
	}
	h.render(w, r, status, "note_edit", p)
}

// EditNote opens the author's draft in the editor.
func (h *Handler) EditNote(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.renderNoteEditor(w, r, http.StatusOK, id, nil)
}

// noteSessionInput reads the header's date and times in the practice's zone.
func noteSessionInput(v map[string]string, loc *time.Location) (notes.Session, map[string]string, error) {
	s := notes.Session{ServiceCode: v["service_code"], Modifiers: v["modifiers"], PlaceOfService: v["place_of_service"],
		Participants: v["participants"], CodeReason: v["code_reason"]}
	bad := map[string]string{}
	at := func(name string) time.Time {
		if v[name] == "" {
			return time.Time{}
		}
		if v["date"] == "" {
			bad["date"] = "Give the date of service."
			return time.Time{}
		}
		t, err := time.ParseInLocation("2006-01-02 15:04", v["date"]+" "+v[name], loc)
		if err != nil {
			bad[name] = "Give the time as hours and minutes, such as 14:30."
		}
		return t
	}
	s.Start, s.End = at("start"), at("end")
	if _, err := time.Parse(time.DateOnly, v["date"]); v["date"] != "" && err != nil {
		bad["date"] = "Give the date of service as YYYY-MM-DD."
	}
	if len(bad) > 0 {
		return s, bad, apperr.Invalid("Check the highlighted fields.", bad)
	}
	return s, nil, nil
}

// noteBody reads the body fields (b.key) of a posted editor; checkboxes
// join their ticked options.
func noteBody(form url.Values) map[string]string {
	body := map[string]string{}
	for k, vs := range form {
		if key, ok := strings.CutPrefix(k, "b."); ok && key != "" {
			var keep []string
			for _, v := range vs {
				if v != "" {
					keep = append(keep, v)
				}
			}
			body[key] = strings.Join(keep, ", ")
		}
	}
	return body
}

// wantsJSON reports whether the editor's script sent the request.
func wantsJSON(r *http.Request) bool {
	return r.Header.Get("X-Requested-With") == "fetch" || strings.Contains(r.Header.Get("Accept"), "application/json")
}

// noteSaved is autosave's answer.
type noteSaved struct {
	Version   int64  `json:"version"`
	Saved     string `json:"saved"`
	Minutes   int    `json:"minutes"`
	Suggested string `json:"suggested"`
	Mismatch  bool   `json:"mismatch"`
}

// SaveNote saves the draft: from the form (then back to the editor, or on
// to review and sign) or from autosave (JSON with the new version).
func (h *Handler) SaveNote(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	asJSON := wantsJSON(r)
	loc, err := h.noteZone(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, noteSessionFields...)
	f.Values["code_reason"] = r.PostFormValue("code_reason")
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	typed := &noteTyped{body: noteBody(r.PostForm), dx: formIDs(r.PostForm["dx"]), version: version}
	sess, _, err := noteSessionInput(f.Values, loc)
	if err == nil {
		sess.DiagnosisIDs = typed.dx
		kind := notes.Kind(r.PostFormValue("kind"))
		var v int64
		v, err = h.Notes.SaveDraft(r.Context(), current(r).Actor, id, notes.DraftInput{Body: typed.body, Session: sess, Version: version})
		if err == nil {
			if asJSON {
				out := noteSaved{Version: v, Saved: h.Clock.Now().In(loc).Format("3:04 PM"), Minutes: sess.Minutes()}
				if out.Minutes > 0 {
					out.Suggested = notes.SuggestCode(kind, out.Minutes)
					out.Mismatch = notes.CodeMismatch(kind, strings.ToUpper(sess.ServiceCode), out.Minutes)
				}
				web.JSON(w, http.StatusOK, out)
				return
			}
			if r.PostFormValue("next") == "sign" {
				h.redirect(w, r, noteIDHref(id, "/sign"), "")
				return
			}
			h.redirect(w, r, noteIDHref(id, "/edit"), "Draft saved.")
			return
		}
	}
	if asJSON {
		web.JSONError(w, r, h.Log, err)
		return
	}
	switch {
	case apperr.Is(err, apperr.CodeInvalid), apperr.Is(err, apperr.CodeConflict):
		f.fail(err, "")
		typed.form, typed.conflict = f, apperr.Is(err, apperr.CodeConflict)
		h.renderNoteEditor(w, r, web422or409(err), id, typed)
	default:
		h.Error(w, r, err)
	}
}
