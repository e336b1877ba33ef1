package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
)

// The documentation to-do (UI.md §4): the dashboard page, the supervisor's
// review queue, the home page's counts, and the documentation settings
// (policy and note templates).

func init() {
	// The home page shows the documentation groups with the dashboard's rows.
	pageParts["home"] = append(pageParts["home"], "templates/note_parts.html")
}

// docRow is one to-do row.
type docRow struct {
	ID        int64 // the note, or 0 for a session without one
	Client    string
	Initials  string
	Clinician string
	DOS       string
	AgeDays   int
	Waiting   int
	Kind      string
	Overdue   bool
	Locked    bool
	Href      string
	Action    string
	CanUnlock bool
}

// docGroup is a titled to-do section with its count; an empty group is one
// line.
type docGroup struct {
	ID, Title, Empty string
	Rows             []docRow
	Total            int
	// More is set on the home page when the group has more rows than shown.
	More bool
	// Others shows the clinician column (a supervisor's or administrator's
	// view); Full offers the unlock forms, which post with CSRF. UnlockID
	// and UnlockReason keep a refused unlock's reason.
	Others       bool
	Full         bool
	CSRF         string
	UnlockID     int64
	UnlockReason string
}

// initials turns "Pepa Núñez" into "P. N." for the review queue.
func initials(name string) string {
	var b strings.Builder
	for _, w := range strings.Fields(name) {
		r := []rune(w)
		b.WriteString(string(r[0]) + ". ")
	}
	return strings.TrimSpace(b.String())
}

func startNoteHref(t notes.Todo, kind notes.Kind) string {
	v := url.Values{"client": {strconv.FormatInt(t.ClientID, 10)}}
	if t.AppointmentID != 0 {
		v.Set("appointment", strconv.FormatInt(t.AppointmentID, 10))
	}
	if kind != "" {
		v.Set("kind", string(kind))
	}
	return "/notes/new?" + v.Encode()
}

// docGroups builds the dashboard's groups for the acting user.
func (h *Handler) docGroups(r *http.Request) ([]docGroup, error) {
	ctx, a := r.Context(), current(r)
	d, err := h.Notes.Dashboard(ctx, a.Actor)
	if err != nil {
		return nil, err
	}
	loc, err := h.noteZone(r)
	if err != nil {
		return nil, err
	}
	pol := h.Audit.Policy()
	now := h.Clock.Now()
	mine := func(t notes.Todo) bool { return t.ClinicianID == a.User.ID }
	row := func(t notes.Todo) docRow {
		x := docRow{ID: t.NoteID, Client: t.ClientName, Initials: initials(t.ClientName), Clinician: t.ClinicianName, DOS: noteDate(t.Date, loc),
			AgeDays: max(t.AgeDays, int(now.Sub(t.Date).Hours()/24)), Kind: t.Kind.Label(), Overdue: t.Overdue, Locked: t.Locked}
		if t.NoteID != 0 {
			x.Href, x.Action = noteIDHref(t.NoteID, ""), "Open"
		}
		if !t.SignedAt.IsZero() {
			x.Waiting = int(now.Sub(t.SignedAt).Hours() / 24)
		}
		return x
	}
	writes := pol.Can(a.Actor, access.PermClinicalWrite)
	missing := docGroup{ID: "missing", Title: "Missing notes", Empty: "No missing notes."}
	for _, t := range d.Missing {
		x := row(t)
		if writes && mine(t) {
			x.Href, x.Action = startNoteHref(t, ""), "Start note"
		}
		missing.Rows = append(missing.Rows, x)
	}
	drafts := docGroup{ID: "drafts", Title: "Drafts to finish", Empty: "No unsigned drafts."}
	returned := docGroup{ID: "returned", Title: "Returned to me", Empty: "No notes returned by your supervisor."}
	for _, t := range d.Drafts {
		x := row(t)
		x.CanUnlock = t.Locked && pol.Can(a.Actor, access.PermNotesUnlock)
		if mine(t) && !t.Locked {
			x.Href, x.Action = noteIDHref(t.NoteID, "/edit"), "Open draft"
		}
		if t.Status == notes.Returned && mine(t) {
			if !t.Locked {
				x.Action = "Revise"
			}
			returned.Rows = append(returned.Rows, x)
			continue
		}
		drafts.Rows = append(drafts.Rows, x)
	}
	waiting := docGroup{ID: "waiting", Title: "Waiting for supervisor", Empty: "No notes waiting for your supervisor."}
	for _, t := range d.Waiting {
		if mine(t) {
			waiting.Rows = append(waiting.Rows, row(t))
		}
	}
	review := docGroup{ID: "review", Title: "Awaiting your co-signature", Empty: "No supervisee notes are waiting for you."}
	for _, t := range d.AwaitingCosign {
		x := row(t)
		x.Action = "Review"
		review.Rows = append(review.Rows, x)
	}
	overdue := docGroup{ID: "overdue", Title: "Overdue", Empty: "Nothing is overdue."}
	for _, t := range d.Overdue {
		x := row(t)
		switch {
		case t.NoteID == 0 && writes && mine(t):
			x.Href, x.Action = startNoteHref(t, ""), "Start note"
		case t.NoteID != 0 && mine(t):
			x.Href, x.Action = noteIDHref(t.NoteID, "/edit"), "Open draft"
		}
		overdue.Rows = append(overdue.Rows, x)
	}
	plans := docGroup{ID: "plans", Title: "Treatment plans due for review", Empty: "No treatment plans are due for review."}
	for _, t := range d.PlansDue {
		x := row(t)
		x.Overdue = true
		if writes && mine(t) {
			t.AppointmentID = 0
			x.Href, x.Action = startNoteHref(t, notes.PlanReview), "Start review"
		}
		plans.Rows = append(plans.Rows, x)
	}
	groups := []docGroup{missing, drafts}
	if a.Actor.Has(access.RoleAssociate) || len(returned.Rows) > 0 {
		groups = append(groups, returned)
	}
	if len(d.Waiting) > 0 || a.Actor.Has(access.RoleAssociate) {
		groups = append(groups, waiting)
	}
	if pol.Can(a.Actor, access.PermNotesCosign) {
		groups = append(groups, review)
	}
	groups = append(groups, overdue, plans)
	others := !a.Actor.Has(access.RoleClinician) && !a.Actor.Has(access.RoleAssociate) || pol.Can(a.Actor, access.PermNotesCosign)
	for i := range groups {
		groups[i].Total = len(groups[i].Rows)
		groups[i].Others = others
	}
	return groups, nil
}

// documentationPage is the dashboard.
type documentationPage struct {
	Page
	Groups []docGroup
	// DueHours is the practice's deadline for notes.
	DueHours int
}

func (h *Handler) renderDocumentation(w http.ResponseWriter, r *http.Request, status int, f Form) {
	groups, err := h.docGroups(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p := &documentationPage{Page: h.base(w, r, "Documentation"), Groups: groups}
	if f.Values == nil {
		f = Form{Values: map[string]string{}, Errors: map[string]string{}}
	}
	unlock, _ := strconv.ParseInt(f.Values["unlock"], 10, 64)
	for i := range p.Groups {
		p.Groups[i].Full, p.Groups[i].CSRF, p.Groups[i].UnlockID, p.Groups[i].UnlockReason = true, p.CSRF, unlock, f.Values["reason"]
	}
	p.Form = f
	h.render(w, r, status, "documentation", p)
}

// ShowDocumentation is the documentation dashboard: missing notes, drafts,
// returned, waiting, awaiting co-signature, overdue and plans due.
func (h *Handler) ShowDocumentation(w http.ResponseWriter, r *http.Request) {
	h.renderDocumentation(w, r, http.StatusOK, Form{})
}

// reviewPage is the supervisor's co-signature queue.
type reviewPage struct {
	Page
	Rows []docRow
}

// ShowReview lists supervisees' notes waiting for the supervisor's
// co-signature, oldest first (UI.md §3): supervisee, client initials, date
// of service, days waiting, kind.
func (h *Handler) ShowReview(w http.ResponseWriter, r *http.Request) {
	groups, err := h.docGroups(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p := &reviewPage{Page: h.base(w, r, "Review")}
	for _, g := range groups {
		if g.ID == "review" {
			p.Rows = g.Rows
		}
	}
	h.render(w, r, http.StatusOK, "review", p)
}

// homeRows is how many rows of each group the home page shows.
const homeRows = 5

// homeDocumentation fills the home page's documentation groups for clinical
// staff, replacing the placeholders that stood for them.
func (h *Handler) homeDocumentation(r *http.Request, p *homePage) error {
	a := current(r).Actor
	if h.Notes == nil || !h.Audit.Policy().Can(a, access.PermClinicalRead) {
		return nil
	}
	groups, err := h.docGroups(r)
	if err != nil {
		return err
	}
	for _, g := range groups {
		// Administrators see everyone's: counts only matter for their own
		// work, so they keep the dashboard link instead of long groups.
		if g.Total > homeRows {
			g.Rows, g.More = g.Rows[:homeRows], true
		}
		p.Docs = append(p.Docs, g)
	}
	p.Queues = slices.DeleteFunc(p.Queues, func(q queue) bool {
		return q.ID == "notes" || q.ID == "waiting" || q.ID == "returned" || q.ID == "review"
	})
	return nil
}

// notePolicyPage is the documentation policy setting.
type notePolicyPage struct {
	Page
	Version int64
}

func (h *Handler) renderDocumentationPolicy(w http.ResponseWriter, r *http.Request, status int, f *Form, version int64) {
	pol, err := h.Notes.Policy(r.Context(), current(r).Actor)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p := &notePolicyPage{Page: h.base(w, r, "Documentation policy"), Version: pol.Version}
	p.Form = Form{Values: map[string]string{"note_due_hours": strconv.Itoa(pol.NoteDueHours), "lock_after_days": strconv.Itoa(pol.LockAfterDays),
		"plan_review_days": strconv.Itoa(pol.PlanReviewDays)}, Errors: map[string]string{}}
	if f != nil {
		p.Form, p.Version = *f, version
	}
	h.render(w, r, status, "note_policy", p)
}

// ShowDocumentationPolicy shows the practice's documentation deadlines.
func (h *Handler) ShowDocumentationPolicy(w http.ResponseWriter, r *http.Request) {
	h.renderDocumentationPolicy(w, r, http.StatusOK, nil, 0)
}

// SaveDocumentationPolicy saves the deadlines.
func (h *Handler) SaveDocumentationPolicy(w http.ResponseWriter, r *http.Request) {
	f := newForm(r, "note_due_hours", "lock_after_days", "plan_review_days")
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	err := h.Notes.SavePolicy(r.Context(), current(r).Actor, notes.Policy{NoteDueHours: atoiOr(f.Values["note_due_hours"], -1),
		LockAfterDays: atoiOr(f.Values["lock_after_days"], -1), PlanReviewDays: atoiOr(f.Values["plan_review_days"], -1), Version: version})
	switch {
	case err == nil:
		h.redirect(w, r, "/settings/documentation", "Documentation policy saved.")
	case apperr.Is(err, apperr.CodeInvalid):
		f.fail(err, "")
		h.renderDocumentationPolicy(w, r, http.StatusUnprocessableEntity, &f, version)
	case apperr.Is(err, apperr.CodeConflict):
		f.fail(err, "")
		h.renderDocumentationPolicy(w, r, http.StatusConflict, &f, 0)
	default:
		h.Error(w, r, err)
	}
}

// templateRows is how many field rows the template form offers.
const templateRows = 12

// templateFieldRow is one field row of the template form.
type templateFieldRow struct {
	N                         int
	Key, Label, Type, Options string
	Min, Max                  string
	Required                  bool
	Error                     string
}

// templatesPage lists the templates and holds the form for a practice one.
type templatesPage struct {
	Page
	Templates []notes.Template
	Kinds     []choice
	Types     []string
	Rows      []templateFieldRow
	From      string
}

func templateRowsOf(fields []notes.Field) []templateFieldRow {
	var rows []templateFieldRow
	for i, f := range fields {
		row := templateFieldRow{N: i + 1, Key: f.Key, Label: f.Label, Type: f.Type, Options: strings.Join(f.Options, ", "), Required: f.Required}
		if f.Type == notes.FieldScale {
			row.Min, row.Max = strconv.Itoa(f.Min), strconv.Itoa(f.Max)
		}
		rows = append(rows, row)
	}
	for n := len(rows) + 1; n <= max(templateRows, len(fields)+3); n++ {
		rows = append(rows, templateFieldRow{N: n, Type: notes.FieldTextarea})
	}
	return rows
}

func (h *Handler) renderNoteTemplates(w http.ResponseWriter, r *http.Request, status int, f Form, rows []templateFieldRow) {
	ctx, a := r.Context(), current(r).Actor
	ts, err := h.Notes.Templates(ctx, a)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p := &templatesPage{Page: h.base(w, r, "Note templates"), Templates: ts, Types: notes.FieldTypes}
	if f.Values == nil {
		f = Form{Values: map[string]string{"kind": string(notes.ProgressSOAP)}, Errors: map[string]string{}}
		// ?from= starts the form from an existing template: saving it under
		// the same name makes a new version.
		if from := queryID(r, "from"); from != 0 {
			t, err := h.Notes.Template(ctx, a, from)
			if err != nil {
				h.Error(w, r, err)
				return
			}
			f.Values["kind"], f.Values["name"] = string(t.Kind), t.Name
			if t.Builtin {
				f.Values["name"] = t.Name + " (practice)"
			}
			rows, p.From = templateRowsOf(t.Fields), t.Name
		}
	}
	if rows == nil {
		rows = templateRowsOf(nil)
	}
	p.Rows = rows
	for _, k := range notes.Kinds {
		p.Kinds = append(p.Kinds, choice{Value: string(k.Kind), Label: k.Label, Checked: string(k.Kind) == f.Values["kind"]})
	}
	p.Form = f
	h.render(w, r, status, "templates_admin", p)
}

// ShowNoteTemplates lists the note templates with their versions and the
// form for a practice template.
func (h *Handler) ShowNoteTemplates(w http.ResponseWriter, r *http.Request) {
	h.renderNoteTemplates(w, r, http.StatusOK, Form{}, nil)
}

// SaveNoteTemplate saves a practice template; an existing name gets a new
// version, and notes keep the version they were written with.
func (h *Handler) SaveNoteTemplate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r, "name", "kind")
	t := notes.Template{Name: f.Values["name"], Kind: notes.Kind(f.Values["kind"])}
	var rows []templateFieldRow
	for n := 1; n <= 60; n++ {
		p := "field_" + strconv.Itoa(n) + "_"
		row := templateFieldRow{N: n, Key: strings.TrimSpace(r.PostFormValue(p + "key")), Label: strings.TrimSpace(r.PostFormValue(p + "label")),
			Type: r.PostFormValue(p + "type"), Options: strings.TrimSpace(r.PostFormValue(p + "options")), Required: r.PostFormValue(p+"required") == "1",
			Min: strings.TrimSpace(r.PostFormValue(p + "min")), Max: strings.TrimSpace(r.PostFormValue(p + "max"))}
		if _, sent := r.PostForm[p+"type"]; !sent {
			break
		}
		rows = append(rows, row)
		if row.Key == "" && row.Label == "" {
			continue // an unused row
		}
		fl := notes.Field{Key: row.Key, Label: row.Label, Type: row.Type, Required: row.Required, Min: atoiOr(row.Min, 0), Max: atoiOr(row.Max, 0)}
		for _, o := range strings.Split(row.Options, ",") {
			if o = strings.TrimSpace(o); o != "" {
				fl.Options = append(fl.Options, o)
			}
		}
		t.Fields = append(t.Fields, fl)
	}
	_, err := h.Notes.SaveTemplate(r.Context(), current(r).Actor, t)
	if err == nil {
		h.redirect(w, r, "/settings/templates", "Template “"+t.Name+"” saved.")
		return
	}
	if !apperr.Is(err, apperr.CodeInvalid) {
		h.Error(w, r, err)
		return
	}
	f.fail(err, "")
	// The service numbers field errors by the fields it was given; point
	// them at the rows they came from.
	used := 0
	for i := range rows {
		if rows[i].Key == "" && rows[i].Label == "" {
			continue
		}
		used++
		k := "field_" + strconv.Itoa(used)
		if msg, ok := f.Errors[k]; ok {
			delete(f.Errors, k)
			rows[i].Error = msg
			f.Errors["field_"+strconv.Itoa(rows[i].N)+"_key"] = "Field row " + strconv.Itoa(rows[i].N) + ": " + msg
		}
	}
	f.moveError("fields", "field_1_key")
	h.renderNoteTemplates(w, r, http.StatusUnprocessableEntity, f, rows)
}
