package ui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
)

// clientTextFields are the form's single-value fields, named as the
// service's field errors name them.
var clientTextFields = []string{"first_name", "middle_name", "last_name", "suffix", "preferred_name", "pronouns", "birth_date",
	"sex", "gender_identity", "sexual_orientation", "ethnicity", "language", "marital_status", "employment_status", "email",
	"address_line1", "address_line2", "city", "state", "postal_code", "status", "status_date", "referral_source",
	"primary_clinician", "location"}

// minPhoneRows is how many phone rows the form offers.
const minPhoneRows = 3

type phoneRow struct {
	N                     int
	Kind, Number          string
	CanText, CanVoicemail bool
	Error, KindError      string
}

type choice struct {
	Value, Label string
	Checked      bool
}

// selectField is one labelled select for the "select" template.
type selectField struct {
	Name, Label, Hint, Error, Empty string
	Required                        bool
	Options                         []choice
}

// selectOf builds a selectField; options are "required", "hint=…" and
// "empty=…" (the label of a first, empty option).
func selectOf(name, label string, f Form, options []choice, opts ...string) selectField {
	s := selectField{Name: name, Label: label, Error: f.Errors[name], Options: options}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "required":
			s.Required = true
		case "hint":
			s.Hint = v
		case "empty":
			s.Empty = v
		}
	}
	return s
}

type clientFormPage struct {
	Page
	// Editing is the client being edited (nil when registering); Version is
	// the version the form saves against.
	Editing     *clients.Client
	Version     int64
	Interpreter bool
	Sexes       []choice
	Ethnicities []choice
	Races       []choice
	Statuses    []choice
	PhoneKinds  []string
	Phones      []phoneRow
	Primary     []choice
	CareTeam    []choice
	Locations   []choice
	// Duplicate is set after the duplicate warning: the form then offers to
	// register anyway. Matches are the existing clients the user may open.
	Duplicate      bool
	AllowDuplicate bool
	Matches        []clientRow
	// SSNHint goes under the SSN field, which is never filled in.
	SSNHint string
}

// clientFormData is what the form shows, from a stored client or a post.
type clientFormData struct {
	form        Form
	races       []string
	careTeam    []int64
	phones      []phoneRow
	interpreter bool
	ssnTyped    bool
}

func formFromClient(c clients.Client) clientFormData {
	f := Form{Values: map[string]string{
		"first_name": c.FirstName, "middle_name": c.MiddleName, "last_name": c.LastName, "suffix": c.Suffix,
		"preferred_name": c.PreferredName, "pronouns": c.Pronouns, "birth_date": c.BirthDate, "sex": c.Sex,
		"gender_identity": c.GenderIdentity, "sexual_orientation": c.SexualOrientation, "ethnicity": c.Ethnicity,
		"language": c.Language, "marital_status": c.MaritalStatus, "employment_status": c.EmploymentStatus, "email": c.Email,
		"address_line1": c.Address.Line1, "address_line2": c.Address.Line2, "city": c.Address.City, "state": c.Address.State,
		"postal_code": c.Address.PostalCode, "status": string(c.Status), "status_date": c.StatusDate, "referral_source": c.ReferralSource,
		"primary_clinician": idString(c.PrimaryClinicianID), "location": idString(c.LocationID),
	}, Errors: map[string]string{}}
	d := clientFormData{form: f, races: c.Races, careTeam: c.CareTeam, interpreter: c.InterpreterNeeded}
	for i, p := range c.Phones {
		d.phones = append(d.phones, phoneRow{N: i + 1, Kind: p.Kind, Number: p.Number, CanText: p.CanText, CanVoicemail: p.CanVoicemail})
	}
	return d
}

func idString(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

func formIDs(vs []string) []int64 {
	var out []int64
	for _, v := range vs {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return out
}

// clientInput reads the posted form. Phone rows left without a number are
// dropped and the rest renumbered, so that the service's phone_N errors name
// the row the user sees.
func clientInput(r *http.Request) (clients.Input, clientFormData) {
	f := newForm(r, clientTextFields...)
	v := f.Values
	d := clientFormData{form: f, races: r.PostForm["races"], careTeam: formIDs(r.PostForm["care_team"]), interpreter: r.PostFormValue("interpreter_needed") == "1",
		ssnTyped: strings.TrimSpace(r.PostFormValue("ssn")) != ""}
	in := clients.Input{
		FirstName: v["first_name"], MiddleName: v["middle_name"], LastName: v["last_name"], Suffix: v["suffix"],
		PreferredName: v["preferred_name"], Pronouns: v["pronouns"], BirthDate: v["birth_date"], Sex: v["sex"],
		GenderIdentity: v["gender_identity"], SexualOrientation: v["sexual_orientation"], Races: d.races, Ethnicity: v["ethnicity"],
		Language: v["language"], InterpreterNeeded: d.interpreter, MaritalStatus: v["marital_status"], EmploymentStatus: v["employment_status"],
		Email: v["email"], SSN: r.PostFormValue("ssn"), Status: clients.Status(v["status"]), StatusDate: v["status_date"],
		ReferralSource: v["referral_source"], CareTeam: d.careTeam, AllowDuplicate: r.PostFormValue("allow_duplicate") == "1",
		Address: clients.Address{Line1: v["address_line1"], Line2: v["address_line2"], City: v["city"], State: v["state"], PostalCode: v["postal_code"]},
	}
	in.PrimaryClinicianID, _ = strconv.ParseInt(v["primary_clinician"], 10, 64)
	in.LocationID, _ = strconv.ParseInt(v["location"], 10, 64)
	for i := 1; i <= 20; i++ {
		key := "phone_" + strconv.Itoa(i)
		if _, ok := r.PostForm[key]; !ok {
			break
		}
		row := phoneRow{Kind: r.PostFormValue(key + "_kind"), Number: strings.TrimSpace(r.PostFormValue(key)),
			CanText: r.PostFormValue(key+"_text") == "1", CanVoicemail: r.PostFormValue(key+"_voicemail") == "1"}
		if row.Number == "" {
			continue
		}
		row.N = len(d.phones) + 1
		d.phones = append(d.phones, row)
		in.Phones = append(in.Phones, clients.Phone{Kind: row.Kind, Number: row.Number, CanText: row.CanText, CanVoicemail: row.CanVoicemail})
	}
	return in, d
}

func choices(list []struct{ Code, Label string }, checked ...string) []choice {
	out := make([]choice, len(list))
	for i, x := range list {
		out[i] = choice{Value: x.Code, Label: x.Label, Checked: slices.Contains(checked, x.Code)}
	}
	return out
}

// renderClientForm fills the pickers and renders the register or edit form.
func (h *Handler) renderClientForm(w http.ResponseWriter, r *http.Request, status int, p *clientFormPage, d clientFormData) {
	a := current(r)
	_, clinicians, err := h.clinicianNames(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	locs, err := h.Practice.Locations(r.Context(), a.Actor)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	title := "Register a client"
	p.SSNHint = "Optional, 9 digits. Stored encrypted; only the last four digits are ever shown."
	if p.Editing != nil {
		title = "Edit client " + p.Editing.MRN // no name in titles (history, tabs)
		onFile := "None on file"
		if m := p.Editing.MaskedSSN(); m != "" {
			onFile = "On file: " + m
		}
		p.SSNHint = onFile + ". Leave empty to keep it; enter - to remove it."
	}
	if d.ssnTyped && len(d.form.Errors) > 0 {
		p.SSNHint += " For safety the number you typed was not kept: enter it again."
	}
	p.Page = h.base(w, r, title)
	p.Form = d.form
	if p.Form.Errors == nil {
		p.Form.Errors = map[string]string{}
	}
	v := p.Form.Values
	p.Interpreter = d.interpreter
	p.Sexes = choices(clients.Sexes, v["sex"])
	p.Ethnicities = choices(clients.Ethnicities, v["ethnicity"])
	p.Races = choices(clients.Races, d.races...)
	for _, s := range clients.Statuses {
		c := statusChip(s)
		p.Statuses = append(p.Statuses, choice{Value: string(s), Label: c.Label, Checked: v["status"] == string(s) || v["status"] == "" && s == clients.StatusActive})
	}
	p.PhoneKinds = clients.PhoneKinds
	p.Phones = d.phones
	for len(p.Phones) < minPhoneRows {
		p.Phones = append(p.Phones, phoneRow{N: len(p.Phones) + 1, Kind: "mobile"})
	}
	for i := range p.Phones {
		key := "phone_" + strconv.Itoa(p.Phones[i].N)
		p.Phones[i].Error, p.Phones[i].KindError = p.Form.Errors[key], p.Form.Errors[key+"_kind"]
	}
	// Active clinicians, and whoever the record names already, so that an
	// edit never silently drops a disabled clinician from the pickers.
	for _, c := range clinicians {
		id := strconv.FormatInt(c.ID, 10)
		onTeam := slices.Contains(d.careTeam, c.ID)
		if !c.Active && v["primary_clinician"] != id && !onTeam {
			continue
		}
		label := c.DisplayName()
		if !c.Active {
			label += " (disabled)"
		}
		p.Primary = append(p.Primary, choice{Value: id, Label: label, Checked: v["primary_clinician"] == id})
		p.CareTeam = append(p.CareTeam, choice{Value: id, Label: label, Checked: onTeam})
	}
	for _, l := range locs {
		id := strconv.FormatInt(l.ID, 10)
		if !l.Active && v["location"] != id {
			continue
		}
		p.Locations = append(p.Locations, choice{Value: id, Label: l.Name, Checked: v["location"] == id})
	}
	h.render(w, r, status, "client_form", p)
}

// NewClient shows the empty registration form.
func (h *Handler) NewClient(w http.ResponseWriter, r *http.Request) {
	d := clientFormData{form: Form{Values: map[string]string{"status": string(clients.StatusActive)}}}
	h.renderClientForm(w, r, http.StatusOK, &clientFormPage{}, d)
}

// CreateClient registers a client. A name and birth date that match an
// existing client bring the form back with a warning, the possible matches
// and a box to confirm that this is a different person.
func (h *Handler) CreateClient(w http.ResponseWriter, r *http.Request) {
	in, d := clientInput(r)
	a := current(r)
	c, err := h.Clients.Create(r.Context(), a.Actor, in)
	if err == nil {
		h.redirect(w, r, "/clients/"+strconv.FormatInt(c.ID, 10), "The client was registered.")
		return
	}
	if !apperr.Is(err, apperr.CodeInvalid) && !apperr.Is(err, apperr.CodeConflict) {
		h.Error(w, r, err)
		return
	}
	d.form.fail(err, "")
	p := &clientFormPage{AllowDuplicate: in.AllowDuplicate}
	status := http.StatusUnprocessableEntity
	if apperr.As(err).Fields["duplicate"] != "" {
		p.Duplicate, status = true, http.StatusConflict
		// The clients born that day whom this user may open, so that they can
		// go to the existing record instead.
		same, err := h.Clients.Search(r.Context(), a.Actor, clients.SearchFilter{Query: in.BirthDate, Limit: 10})
		if err != nil {
			h.Error(w, r, err)
			return
		}
		var matches []clients.Summary
		for _, s := range same {
			if clients.Fold(s.LastName) == clients.Fold(in.LastName) && clients.Fold(s.FirstName) == clients.Fold(in.FirstName) {
				matches = append(matches, s)
			}
		}
		if p.Matches, err = h.clientRows(r, matches); err != nil {
			h.Error(w, r, err)
			return
		}
	}
	h.renderClientForm(w, r, status, p, d)
}

// EditClient shows a client's edit form.
func (h *Handler) EditClient(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	c, err := h.Clients.Get(r.Context(), current(r).Actor, id, clients.SectionDemographics)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.renderClientForm(w, r, http.StatusOK, &clientFormPage{Editing: &c, Version: c.Version}, formFromClient(c))
}

// UpdateClient saves the edit form against the version it was loaded at. A
// save that lost a race with someone else's comes back with the user's input
// and the newer version, so the next save is deliberate.
func (h *Handler) UpdateClient(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	a := current(r)
	in, d := clientInput(r)
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	err = h.Clients.Update(r.Context(), a.Actor, id, in, version)
	if err == nil {
		h.redirect(w, r, "/clients/"+strconv.FormatInt(id, 10), "Changes saved.")
		return
	}
	if !apperr.Is(err, apperr.CodeInvalid) && !apperr.Is(err, apperr.CodeConflict) {
		h.Error(w, r, err)
		return
	}
	c, cerr := h.Clients.Get(r.Context(), a.Actor, id, clients.SectionDemographics)
	if cerr != nil {
		h.Error(w, r, cerr)
		return
	}
	p := &clientFormPage{Editing: &c, Version: version}
	status := http.StatusUnprocessableEntity
	if apperr.Is(err, apperr.CodeConflict) {
		p.Version, status = c.Version, http.StatusConflict
	}
	d.form.fail(err, "")
	h.renderClientForm(w, r, status, p, d)
}
