package ui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/clinical"
	"github.com/mentalspace/mentalspace/internal/icd10"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/web"
)

// The chart's clinical sections (UI.md §6) and the forms behind them:
// diagnoses (ICD-10-CM search), medications, risk assessments, the safety
// plan, the notes list, and the author's psychotherapy notes, which stay out
// of every shared list. Billers read the diagnoses and the notes list (no
// note text); the rest is for clinical staff.

func init() {
	mine := []string{"clinical_diagnosis", "clinical_medication", "clinical_risk", "clinical_safety_plan", "clinical_psychotherapy"}
	pageNames = append(pageNames, mine...)
	for _, n := range mine {
		pageParts[n] = append(pageParts[n], "templates/client_parts.html", "templates/record_parts.html", "templates/note_parts.html")
	}
	pageParts["client_chart"] = append(pageParts["client_chart"], "templates/clinical_parts.html", "templates/note_parts.html")
}

// chartNoteRow is a note in the chart's list.
type chartNoteRow struct {
	ID     int64
	Href   string
	Date   string
	Kind   string
	Author string
	Chip   chip
}

// chartClinical is what the chart shows of the clinical record.
type chartClinical struct {
	ClientID int64
	// SeesClinical reads medications, risk and the safety plan; CanWrite
	// changes them and writes notes.
	SeesClinical bool
	CanWrite     bool
	Diagnoses    []clinical.Diagnosis
	Medications  []clinical.Medication
	Risk         clinical.Risk
	RiskAt       string
	Elevated     bool
	SafetyPlan   clinical.SafetyPlan
	Notes        []chartNoteRow
}

// chartClinical fills the chart's clinical sections for those who read
// diagnoses, and drops the placeholders they replace.
func (h *Handler) chartClinical(r *http.Request, p *chartPage, clientID int64) error {
	ctx, a := r.Context(), current(r)
	pol := h.Audit.Policy()
	if h.Clinical == nil || h.Notes == nil || !pol.Can(a.Actor, access.PermDiagnosesRead) {
		return nil
	}
	loc, err := h.noteZone(r)
	if err != nil {
		return err
	}
	c := &chartClinical{ClientID: clientID, SeesClinical: pol.Can(a.Actor, access.PermClinicalRead), CanWrite: pol.Can(a.Actor, access.PermClinicalWrite)}
	if c.Diagnoses, err = h.Clinical.Diagnoses(ctx, a.Actor, clientID); err != nil {
		return err
	}
	if c.SeesClinical {
		if c.Medications, err = h.Clinical.Medications(ctx, a.Actor, clientID); err != nil {
			return err
		}
		if c.Risk, err = h.Clinical.LatestRisk(ctx, a.Actor, clientID); err != nil {
			return err
		}
		c.RiskAt, c.Elevated = noteStamp(c.Risk.AssessedAt, loc), clinical.Elevated(c.Risk.Level)
		if c.SafetyPlan, err = h.Clinical.SafetyPlanOf(ctx, a.Actor, clientID); err != nil {
			return err
		}
	}
	list, err := h.Notes.ClientNotes(ctx, a.Actor, clientID)
	if err != nil {
		return err
	}
	for _, n := range list {
		c.Notes = append(c.Notes, chartNoteRow{ID: n.ID, Href: noteHref(n, a.User.ID), Date: noteDate(noteDOS(n), loc), Kind: n.Kind.Label(),
			Author: n.AuthorName, Chip: noteChip(n.Status)})
	}
	p.Clinical = c
	p.Sections = slices.DeleteFunc(p.Sections, func(s placeholder) bool { return s.ID == "notes" || s.ID == "diagnoses" })
	return nil
}

// icdResult is one code in a search's answer.
type icdResult struct {
	Code    string `json:"code"`
	Dotted  string `json:"dotted"`
	Title   string `json:"title"`
	Checked bool   `json:"-"`
}

// icdLimit bounds a search's answer.
const icdLimit = 25

func icdSearch(q, chosen string) []icdResult {
	var out []icdResult
	for _, c := range icd10.Search(q, icdLimit) {
		out = append(out, icdResult{Code: c.Code, Dotted: c.Dotted(), Title: c.Title, Checked: c.Code == icd10.Normalize(chosen)})
	}
	return out
}

// SearchICD10 answers the diagnosis form's live search: billable ICD-10-CM
// codes by code prefix or by words of their titles, as JSON. The code set is
// public; the query is not stored.
func (h *Handler) SearchICD10(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 100 {
		q = q[:100]
	}
	res := icdSearch(q, "")
	if res == nil {
		res = []icdResult{}
	}
	web.JSON(w, http.StatusOK, map[string]any{"query": q, "results": res})
}

// diagnosisPage adds (Editing nil) or changes a diagnosis.
type diagnosisPage struct {
	recordPage
	Editing  *clinical.Diagnosis
	Query    string
	Searched bool
	Results  []icdResult
	Ranks    []choice
	Statuses []choice
	History  []diagnosisHistoryRow
}

type diagnosisHistoryRow struct {
	clinical.HistoryEntry
	Dotted, At, StatusLabel string
}

var diagnosisStatusLabels = map[string]string{"active": "Active", "resolved": "Resolved", "ruled_out": "Ruled out"}

func diagnosisChoices(f Form) (ranks, statuses []choice) {
	for i := 1; i <= 12; i++ {
		v := strconv.Itoa(i)
		label := (clinical.Diagnosis{Rank: i}).RankLabel()
		ranks = append(ranks, choice{Value: v, Label: v + " · " + label, Checked: v == f.Values["rank"]})
	}
	for _, s := range clinical.DiagnosisStatuses {
		statuses = append(statuses, choice{Value: s, Label: diagnosisStatusLabels[s], Checked: s == f.Values["status"]})
	}
	return ranks, statuses
}

func (h *Handler) renderDiagnosis(w http.ResponseWriter, r *http.Request, status int, dxID int64, f Form) {
	title := "Add a diagnosis"
	if dxID != 0 {
		title = "Change a diagnosis"
	}
	rp, ok := h.loadRecord(w, r, "diagnoses", title)
	if !ok {
		return
	}
	ctx, a := r.Context(), current(r).Actor
	list, err := h.Clinical.Diagnoses(ctx, a, rp.Client.ID)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p := &diagnosisPage{recordPage: rp}
	if dxID != 0 {
		i := slices.IndexFunc(list, func(d clinical.Diagnosis) bool { return d.ID == dxID })
		if i < 0 {
			h.Error(w, r, apperr.NotFound("diagnosis"))
			return
		}
		d := list[i]
		p.Editing = &d
		if f.Values == nil {
			f = Form{Values: map[string]string{"rank": strconv.Itoa(d.Rank), "status": d.Status, "onset": d.Onset, "resolved": d.Resolved,
				"version": strconv.FormatInt(d.Version, 10)}, Errors: map[string]string{}}
		}
		hist, err := h.Clinical.DiagnosisHistory(ctx, a, rp.Client.ID, dxID)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		loc, err := h.noteZone(r)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		for _, e := range hist {
			p.History = append(p.History, diagnosisHistoryRow{HistoryEntry: e, Dotted: icd10.Dotted(e.Code), At: noteStamp(e.At, loc),
				StatusLabel: diagnosisStatusLabels[e.Status]})
		}
	} else {
		if f.Values == nil {
			active := 0
			for _, d := range list {
				if d.Status == "active" {
					active++
				}
			}
			f = Form{Values: map[string]string{"rank": strconv.Itoa(min(active+1, 12)), "status": "active"}, Errors: map[string]string{}}
		}
		p.Query = strings.TrimSpace(r.FormValue("q"))
		if len(p.Query) > 100 {
			p.Query = p.Query[:100]
		}
		p.Searched = p.Query != ""
		p.Results = icdSearch(p.Query, f.Values["code"])
		// A code chosen before a failed save stays offered.
		if c, ok := icd10.Lookup(f.Values["code"]); ok && !slices.ContainsFunc(p.Results, func(x icdResult) bool { return x.Code == c.Code }) {
			p.Results = append([]icdResult{{Code: c.Code, Dotted: c.Dotted(), Title: c.Title, Checked: true}}, p.Results...)
		}
	}
	p.Ranks, p.Statuses = diagnosisChoices(f)
	p.Form = f
	h.render(w, r, status, "clinical_diagnosis", p)
}

// NewDiagnosis is the add form with its ICD-10-CM search (?q=, which works
// without script; notes.js searches as the user types).
func (h *Handler) NewDiagnosis(w http.ResponseWriter, r *http.Request) {
	h.renderDiagnosis(w, r, http.StatusOK, 0, Form{})
}

// EditDiagnosis changes a diagnosis's rank, status and dates, with its history.
func (h *Handler) EditDiagnosis(w http.ResponseWriter, r *http.Request) {
	dx, err := subID(r, "dx")
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.renderDiagnosis(w, r, http.StatusOK, dx, Form{})
}

// AddDiagnosis adds the chosen code to the client's list.
func (h *Handler) AddDiagnosis(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, "code", "code_typed", "rank", "onset", "status")
	if f.Values["code_typed"] != "" {
		f.Values["code"] = f.Values["code_typed"]
	}
	_, err = h.Clinical.AddDiagnosis(r.Context(), current(r).Actor, id, clinical.DiagnosisInput{Code: f.Values["code"], Rank: atoiOr(f.Values["rank"], 0),
		Onset: f.Values["onset"], Status: f.Values["status"]})
	switch {
	case err == nil:
		h.redirect(w, r, chartHref(id, "diagnoses"), "Diagnosis added.")
	case apperr.Is(err, apperr.CodeInvalid), apperr.Is(err, apperr.CodeConflict):
		f.fail(err, "")
		h.renderDiagnosis(w, r, web422or409(err), 0, f)
	default:
		h.Error(w, r, err)
	}
}

// UpdateDiagnosis saves a changed rank, status or dates.
func (h *Handler) UpdateDiagnosis(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	dx, err := subID(r, "dx")
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, "rank", "onset", "resolved", "status", "version")
	version, _ := strconv.ParseInt(f.Values["version"], 10, 64)
	err = h.Clinical.UpdateDiagnosis(r.Context(), current(r).Actor, id, dx, clinical.DiagnosisInput{Rank: atoiOr(f.Values["rank"], 0),
		Onset: f.Values["onset"], Resolved: f.Values["resolved"], Status: f.Values["status"], Version: version})
	switch {
	case err == nil:
		h.redirect(w, r, chartHref(id, "diagnoses"), "Diagnosis updated.")
	case apperr.Is(err, apperr.CodeInvalid), apperr.Is(err, apperr.CodeConflict):
		f.fail(err, "")
		h.renderDiagnosis(w, r, web422or409(err), dx, f)
	default:
		h.Error(w, r, err)
	}
}

// medicationPage adds or edits a medication.
type medicationPage struct {
	recordPage
	MedID int64
}

var medicationFields = []string{"name", "dose", "frequency", "prescriber", "start", "stop", "notes", "version"}

func (h *Handler) renderMedication(w http.ResponseWriter, r *http.Request, status int, medID int64, f Form) {
	title := "Add a medication"
	if medID != 0 {
		title = "Edit a medication"
	}
	rp, ok := h.loadRecord(w, r, "medications", title)
	if !ok {
		return
	}
	if f.Values == nil {
		f = Form{Values: map[string]string{}, Errors: map[string]string{}}
		if medID != 0 {
			list, err := h.Clinical.Medications(r.Context(), current(r).Actor, rp.Client.ID)
			if err != nil {
				h.Error(w, r, err)
				return
			}
			i := slices.IndexFunc(list, func(m clinical.Medication) bool { return m.ID == medID })
			if i < 0 {
				h.Error(w, r, apperr.NotFound("medication"))
				return
			}
			m := list[i]
			f.Values = map[string]string{"name": m.Name, "dose": m.Dose, "frequency": m.Frequency, "prescriber": m.Prescriber, "start": m.Start,
				"stop": m.Stop, "notes": m.Notes, "version": strconv.FormatInt(m.Version, 10)}
		}
	}
	p := &medicationPage{recordPage: rp, MedID: medID}
	p.Form = f
	h.render(w, r, status, "clinical_medication", p)
}

// NewMedication is the form for a medication.
func (h *Handler) NewMedication(w http.ResponseWriter, r *http.Request) {
	h.renderMedication(w, r, http.StatusOK, 0, Form{})
}

// EditMedication edits one (or records that it stopped).
func (h *Handler) EditMedication(w http.ResponseWriter, r *http.Request) {
	med, err := subID(r, "med")
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.renderMedication(w, r, http.StatusOK, med, Form{})
}

// SaveMedication adds or updates a medication.
func (h *Handler) SaveMedication(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	var med int64
	if r.PathValue("med") != "" {
		if med, err = subID(r, "med"); err != nil {
			h.Error(w, r, err)
			return
		}
	}
	f := newForm(r, medicationFields...)
	version, _ := strconv.ParseInt(f.Values["version"], 10, 64)
	m := clinical.Medication{ID: med, Name: f.Values["name"], Dose: f.Values["dose"], Frequency: f.Values["frequency"], Prescriber: f.Values["prescriber"],
		Start: f.Values["start"], Stop: f.Values["stop"], Notes: f.Values["notes"], Version: version}
	_, err = h.Clinical.SaveMedication(r.Context(), current(r).Actor, id, m)
	switch {
	case err == nil:
		h.redirect(w, r, chartHref(id, "medications"), "Medication saved.")
	case apperr.Is(err, apperr.CodeInvalid), apperr.Is(err, apperr.CodeConflict):
		f.fail(err, "")
		h.renderMedication(w, r, web422or409(err), med, f)
	default:
		h.Error(w, r, err)
	}
}

// riskPage shows the latest risk assessment and the form for a new one.
type riskPage struct {
	recordPage
	Latest     clinical.Risk
	LatestAt   string
	Elevated   bool
	Ideations  []string
	Levels     []string
	Plan       bool
	Intent     bool
	Means      bool
	SafetyPlan bool
}

var riskFields = []string{"suicidal_ideation", "homicidal_ideation", "history", "protective_factors", "level", "notes"}

func (h *Handler) renderRisk(w http.ResponseWriter, r *http.Request, status int, f Form, plan, intent, means bool) {
	rp, ok := h.loadRecord(w, r, "risk", "Risk assessment")
	if !ok {
		return
	}
	ctx, a := r.Context(), current(r).Actor
	latest, err := h.Clinical.LatestRisk(ctx, a, rp.Client.ID)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	loc, err := h.noteZone(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if f.Values == nil {
		f = Form{Values: map[string]string{"suicidal_ideation": "none", "homicidal_ideation": "none"}, Errors: map[string]string{}}
	}
	p := &riskPage{recordPage: rp, Latest: latest, LatestAt: noteStamp(latest.AssessedAt, loc), Elevated: clinical.Elevated(latest.Level),
		Ideations: clinical.Ideations, Levels: clinical.RiskLevels, Plan: plan, Intent: intent, Means: means}
	p.Form = f
	h.render(w, r, status, "clinical_risk", p)
}

// ShowRiskForm is the structured risk assessment.
func (h *Handler) ShowRiskForm(w http.ResponseWriter, r *http.Request) {
	h.renderRisk(w, r, http.StatusOK, Form{}, false, false, false)
}

// AssessRisk records a risk assessment.
func (h *Handler) AssessRisk(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, riskFields...)
	rk := clinical.Risk{SuicidalIdeation: f.Values["suicidal_ideation"], HomicidalIdeation: f.Values["homicidal_ideation"],
		Plan: r.PostFormValue("plan") == "1", Intent: r.PostFormValue("intent") == "1", Means: r.PostFormValue("means") == "1",
		History: f.Values["history"], ProtectiveFactors: f.Values["protective_factors"], Level: f.Values["level"], Notes: f.Values["notes"]}
	_, err = h.Clinical.AssessRisk(r.Context(), current(r).Actor, id, rk)
	switch {
	case err == nil:
		msg := "Risk assessment recorded."
		if clinical.Elevated(rk.Level) {
			msg += " The chart now shows the elevated risk; review the safety plan."
		}
		h.redirect(w, r, chartHref(id, "risk"), msg)
	case apperr.Is(err, apperr.CodeInvalid):
		f.fail(err, "")
		h.renderRisk(w, r, http.StatusUnprocessableEntity, f, rk.Plan, rk.Intent, rk.Means)
	default:
		h.Error(w, r, err)
	}
}

// safetyPlanPage shows the safety plan, and the form to those who write it.
type safetyPlanPage struct {
	recordPage
	Plan      clinical.SafetyPlan
	UpdatedAt string
	CanWrite  bool
	Version   int64
}

var safetyPlanFields = []string{"warning_signs", "coping_strategies", "contacts", "means_restriction", "reasons_for_living"}

func (h *Handler) renderSafetyPlan(w http.ResponseWriter, r *http.Request, status int, f *Form, version int64) {
	rp, ok := h.loadRecord(w, r, "safety plan", "Safety plan")
	if !ok {
		return
	}
	ctx, a := r.Context(), current(r).Actor
	plan, err := h.Clinical.SafetyPlanOf(ctx, a, rp.Client.ID)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	loc, err := h.noteZone(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p := &safetyPlanPage{recordPage: rp, Plan: plan, UpdatedAt: noteStamp(plan.UpdatedAt, loc), CanWrite: h.Audit.Policy().Can(a, access.PermClinicalWrite),
		Version: plan.Version}
	p.Form = Form{Values: map[string]string{"warning_signs": plan.WarningSigns, "coping_strategies": plan.CopingStrategies, "contacts": plan.Contacts,
		"means_restriction": plan.MeansRestriction, "reasons_for_living": plan.ReasonsForLiving}, Errors: map[string]string{}}
	if f != nil {
		p.Form, p.Version = *f, version
	}
	h.render(w, r, status, "clinical_safety_plan", p)
}

// ShowSafetyPlan shows (and offers to edit) the client's safety plan.
func (h *Handler) ShowSafetyPlan(w http.ResponseWriter, r *http.Request) {
	h.renderSafetyPlan(w, r, http.StatusOK, nil, 0)
}

// SaveSafetyPlan writes the safety plan.
func (h *Handler) SaveSafetyPlan(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, safetyPlanFields...)
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	v := f.Values
	err = h.Clinical.SaveSafetyPlan(r.Context(), current(r).Actor, id, clinical.SafetyPlan{WarningSigns: v["warning_signs"], CopingStrategies: v["coping_strategies"],
		Contacts: v["contacts"], MeansRestriction: v["means_restriction"], ReasonsForLiving: v["reasons_for_living"], Version: version})
	switch {
	case err == nil:
		h.redirect(w, r, chartHref(id, "risk"), "Safety plan saved.")
	case apperr.Is(err, apperr.CodeInvalid), apperr.Is(err, apperr.CodeConflict):
		f.fail(err, "")
		h.renderSafetyPlan(w, r, web422or409(err), &f, version)
	default:
		h.Error(w, r, err)
	}
}

// psychotherapyPage lists the author's own psychotherapy notes for a client.
type psychotherapyPage struct {
	recordPage
	Notes   []psychotherapyRow
	Editing *psychotherapyRow
}

type psychotherapyRow struct {
	notes.PsychotherapyNote
	Created, Updated string
	Changed          bool
}

func (h *Handler) renderPsychotherapy(w http.ResponseWriter, r *http.Request, status int, f Form) {
	rp, ok := h.loadRecord(w, r, "psychotherapy notes", "Psychotherapy notes")
	if !ok {
		return
	}
	ctx, a := r.Context(), current(r).Actor
	list, err := h.Notes.PsychotherapyNotes(ctx, a, rp.Client.ID)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	loc, err := h.noteZone(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p := &psychotherapyPage{recordPage: rp}
	edit := queryID(r, "edit")
	if f.Values != nil {
		edit, _ = strconv.ParseInt(f.Values["id"], 10, 64)
	}
	for _, n := range list {
		row := psychotherapyRow{PsychotherapyNote: n, Created: noteStamp(n.CreatedAt, loc), Updated: noteStamp(n.UpdatedAt, loc),
			Changed: n.UpdatedAt.Sub(n.CreatedAt) > time.Minute}
		p.Notes = append(p.Notes, row)
		if n.ID == edit {
			e := row
			p.Editing = &e
			if f.Values == nil {
				f = Form{Values: map[string]string{"id": strconv.FormatInt(n.ID, 10), "version": strconv.FormatInt(n.Version, 10), "text": n.Text},
					Errors: map[string]string{}}
			}
		}
	}
	if f.Values == nil {
		f = Form{Values: map[string]string{}, Errors: map[string]string{}}
	}
	p.Form = f
	h.render(w, r, status, "clinical_psychotherapy", p)
}

// ListPsychotherapyNotes is the author's private list, with the form to add
// one or (?edit=) change one.
func (h *Handler) ListPsychotherapyNotes(w http.ResponseWriter, r *http.Request) {
	h.renderPsychotherapy(w, r, http.StatusOK, Form{})
}

// SavePsychotherapyNote adds or updates one of the author's psychotherapy notes.
func (h *Handler) SavePsychotherapyNote(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, "id", "version")
	f.Values["text"] = r.PostFormValue("text")
	pid, _ := strconv.ParseInt(f.Values["id"], 10, 64)
	version, _ := strconv.ParseInt(f.Values["version"], 10, 64)
	_, err = h.Notes.SavePsychotherapyNote(r.Context(), current(r).Actor, notes.PsychotherapyNote{ID: pid, ClientID: id, Text: f.Values["text"], Version: version})
	switch {
	case err == nil:
		h.redirect(w, r, "/clients/"+strconv.FormatInt(id, 10)+"/psychotherapy-notes", "Psychotherapy note saved.")
	case apperr.Is(err, apperr.CodeInvalid), apperr.Is(err, apperr.CodeConflict):
		f.fail(err, "")
		h.renderPsychotherapy(w, r, web422or409(err), f)
	default:
		h.Error(w, r, err)
	}
}
