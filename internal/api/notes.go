package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/clinical"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/web"
)

// Clinical documentation: a client's diagnoses and medications, note
// templates, and notes with their lifecycle (draft, sign, co-sign or return,
// addenda, verification). The services decide who sees what: a reader with
// only diagnoses.read (a biller) gets a note's service details, never its
// body, return comment or addenda. Psychotherapy notes are not part of this
// API, by design (45 CFR 164.501): no route reads or writes them.

// Diagnoses.

// Diagnosis is one entry of a client's diagnosis list.
type Diagnosis struct {
	ID       int64  `json:"id"`
	ClientID int64  `json:"client_id"`
	Code     string `json:"code"` // dotted, F33.1
	Title    string `json:"title"`
	Rank     int    `json:"rank"`
	Onset    string `json:"onset"`
	Resolved string `json:"resolved"`
	Status   string `json:"status"`
	// AddedBy is the name of the user who added it; empty when MentalSpace did.
	AddedBy   string    `json:"added_by"`
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

func diagnosisJSON(d clinical.Diagnosis) Diagnosis {
	return Diagnosis{ID: d.ID, ClientID: d.ClientID, Code: d.Dotted(), Title: d.Title, Rank: d.Rank, Onset: d.Onset, Resolved: d.Resolved,
		Status: d.Status, AddedBy: d.AddedBy, Version: d.Version, UpdatedAt: d.UpdatedAt}
}

// NewDiagnosis is the body of POST /clients/{id}/diagnoses. Status defaults
// to active.
type NewDiagnosis struct {
	Code     string `json:"code"`
	Rank     int    `json:"rank"`
	Onset    string `json:"onset"`
	Resolved string `json:"resolved"`
	Status   string `json:"status"`
}

// DiagnosisChange is the body of PUT /clients/{id}/diagnoses/{diagnosisID}.
// A diagnosis's code never changes: add the new code and resolve or rule out
// the old one.
type DiagnosisChange struct {
	Rank     int    `json:"rank"`
	Onset    string `json:"onset"`
	Resolved string `json:"resolved"`
	Status   string `json:"status"`
	Version  int64  `json:"version"`
}

func (in DiagnosisChange) version() int64 { return in.Version }

// ListDiagnoses lists a client's diagnoses, active first, by rank.
func (h *Handler) ListDiagnoses(w http.ResponseWriter, r *http.Request) {
	cid, err := clientID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ds, err := h.Clinical.Diagnoses(r.Context(), actor(r), cid)
	respondList(h, w, r, ds, err, diagnosisJSON)
}

// AddDiagnosis adds a billable ICD-10-CM code to a client's list.
func (h *Handler) AddDiagnosis(w http.ResponseWriter, r *http.Request) {
	var in NewDiagnosis
	cid, err := idAndBody(r, "id", "client", &in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, err := h.Clinical.AddDiagnosis(r.Context(), actor(r), cid, clinical.DiagnosisInput{Code: in.Code, Rank: in.Rank, Onset: in.Onset,
		Resolved: in.Resolved, Status: in.Status})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respondDiagnosis(w, r, cid, id, http.StatusCreated)
}

// UpdateDiagnosis changes a diagnosis's rank, dates or status if the version
// still matches.
func (h *Handler) UpdateDiagnosis(w http.ResponseWriter, r *http.Request) {
	cid, id, err := clientPartIDs(r, "diagnosisID", "diagnosis")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in, err := decodeVersioned[DiagnosisChange](r, "diagnosis", id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Clinical.UpdateDiagnosis(r.Context(), actor(r), cid, id, clinical.DiagnosisInput{Rank: in.Rank, Onset: in.Onset,
		Resolved: in.Resolved, Status: in.Status, Version: in.Version}); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respondDiagnosis(w, r, cid, id, http.StatusOK)
}

// respondDiagnosis answers with one diagnosis as stored; the service reads
// a client's list (a few entries), not one.
func (h *Handler) respondDiagnosis(w http.ResponseWriter, r *http.Request, clientID, id int64, status int) {
	ds, err := h.Clinical.Diagnoses(r.Context(), actor(r), clientID)
	d, err := find(ds, err, "diagnosis", func(d clinical.Diagnosis) bool { return d.ID == id })
	respond(h, w, r, status, d, err, diagnosisJSON)
}

// Medications.

// Medication is one medication on a client's list.
type Medication struct {
	ID         int64  `json:"id"`
	ClientID   int64  `json:"client_id"`
	Name       string `json:"name"`
	Dose       string `json:"dose"`
	Frequency  string `json:"frequency"`
	Prescriber string `json:"prescriber"`
	StartDate  string `json:"start_date"`
	StopDate   string `json:"stop_date"`
	Notes      string `json:"notes"`
	Version    int64  `json:"version"`
}

func medicationJSON(clientID int64, m clinical.Medication) Medication {
	return Medication{ID: m.ID, ClientID: clientID, Name: m.Name, Dose: m.Dose, Frequency: m.Frequency, Prescriber: m.Prescriber,
		StartDate: m.Start, StopDate: m.Stop, Notes: m.Notes, Version: m.Version}
}

// MedicationInput is the body of POST /clients/{id}/medications, and with a
// version of PUT /clients/{id}/medications/{medicationID} (which replaces
// the entry: omitted fields are empty).
type MedicationInput struct {
	Name       string `json:"name"`
	Dose       string `json:"dose"`
	Frequency  string `json:"frequency"`
	Prescriber string `json:"prescriber"`
	StartDate  string `json:"start_date"`
	StopDate   string `json:"stop_date"`
	Notes      string `json:"notes"`
	Version    int64  `json:"version"`
}

func (in MedicationInput) version() int64 { return in.Version }

func (in MedicationInput) medication(id int64) clinical.Medication {
	return clinical.Medication{ID: id, Name: in.Name, Dose: in.Dose, Frequency: in.Frequency, Prescriber: in.Prescriber,
		Start: in.StartDate, Stop: in.StopDate, Notes: in.Notes, Version: in.Version}
}

// medicationFields are the API's names for the service's field problems.
var medicationFields = map[string]string{"start": "start_date", "stop": "stop_date"}

// ListMedications lists a client's medications, current first.
func (h *Handler) ListMedications(w http.ResponseWriter, r *http.Request) {
	cid, err := clientID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ms, err := h.Clinical.Medications(r.Context(), actor(r), cid)
	respondList(h, w, r, ms, err, func(m clinical.Medication) Medication { return medicationJSON(cid, m) })
}

// AddMedication adds a medication to a client's list.
func (h *Handler) AddMedication(w http.ResponseWriter, r *http.Request) { h.saveMedication(w, r, 0) }

// UpdateMedication replaces a medication entry if the version still matches.
func (h *Handler) UpdateMedication(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "medicationID", "medication")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.saveMedication(w, r, id)
}

// saveMedication saves the body as the client's medication id, or as a new
// one when id is 0, and answers with the entry as stored.
func (h *Handler) saveMedication(w http.ResponseWriter, r *http.Request, id int64) {
	in, err := decodeVersioned[MedicationInput](r, "medication", id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cid, err := clientID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a := actor(r)
	saved, err := h.Clinical.SaveMedication(r.Context(), a, cid, in.medication(id))
	if err != nil {
		h.fail(w, r, renameFields(err, medicationFields))
		return
	}
	ms, err := h.Clinical.Medications(r.Context(), a, cid)
	m, err := find(ms, err, "medication", func(m clinical.Medication) bool { return m.ID == saved })
	respond(h, w, r, savedStatus(id), m, err, func(m clinical.Medication) Medication { return medicationJSON(cid, m) })
}

// Note templates.

// TemplateField is one field of a note template. Keys lists the keys its
// value takes in a note's body: the field's key for a simple field; one per
// domain for a mental status exam (mse.mood), per item for a risk block
// (risk.level) and per row and part for a treatment plan (plan.1.goal).
type TemplateField struct {
	notes.Field
	Keys []string `json:"keys"`
}

// Template is a note template version.
type Template struct {
	ID        int64           `json:"id"`
	Kind      string          `json:"kind"`
	KindLabel string          `json:"kind_label"`
	Name      string          `json:"name"`
	Version   int             `json:"version"`
	Builtin   bool            `json:"builtin"`
	Fields    []TemplateField `json:"fields"`
}

// bodyKeys lists the body keys a field's value takes.
func bodyKeys(f notes.Field) []string {
	var keys []string
	switch f.Type {
	case notes.FieldMSE:
		for _, d := range notes.MSEDomains {
			keys = append(keys, f.Key+"."+d.Key)
		}
	case notes.FieldRisk:
		for _, it := range notes.RiskItems {
			keys = append(keys, f.Key+"."+it.Key)
		}
	case notes.FieldPlan:
		for row := 1; row <= notes.PlanRows; row++ {
			for _, p := range notes.PlanParts {
				keys = append(keys, fmt.Sprintf("%s.%d.%s", f.Key, row, p.Key))
			}
		}
	default:
		keys = []string{f.Key}
	}
	return keys
}

func templateJSON(t notes.Template) Template {
	fields := make([]TemplateField, len(t.Fields))
	for i, f := range t.Fields {
		fields[i] = TemplateField{Field: f, Keys: bodyKeys(f)}
	}
	return Template{ID: t.ID, Kind: string(t.Kind), KindLabel: t.Kind.Label(), Name: t.Name, Version: t.Version, Builtin: t.Builtin, Fields: fields}
}

// ListNoteTemplates lists the newest version of every active template.
func (h *Handler) ListNoteTemplates(w http.ResponseWriter, r *http.Request) {
	ts, err := h.Notes.Templates(r.Context(), actor(r))
	respondList(h, w, r, ts, err, templateJSON)
}

// Notes.

// NoteSession is a note's session details: what a claim is built from.
type NoteSession struct {
	ServiceCode    string     `json:"service_code"`
	Modifiers      string     `json:"modifiers"`
	Start          *time.Time `json:"start"`
	End            *time.Time `json:"end"`
	Minutes        int        `json:"minutes"`
	PlaceOfService string     `json:"place_of_service"`
	Participants   string     `json:"participants"`
	DiagnosisIDs   []int64    `json:"diagnosis_ids"`
	CodeReason     string     `json:"code_reason"`
	// SuggestedCode is the code the time rule gives for this kind and
	// length; empty when none applies.
	SuggestedCode string `json:"suggested_code"`
}

// Addendum is a signed correction appended to a signed note.
type Addendum struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	Text        string    `json:"text"`
	Reason      string    `json:"reason"`
	ContentHash string    `json:"content_hash"`
	AuthorID    int64     `json:"author_id"`
	SignedName  string    `json:"signed_name"`
	SignedAt    time.Time `json:"signed_at"`
}

func addendumJSON(ad notes.Addendum) Addendum {
	return Addendum{ID: ad.ID, Kind: ad.Kind, Text: ad.Text, Reason: ad.Reason, ContentHash: ad.ContentHash, AuthorID: ad.AuthorID,
		SignedName: ad.SignedName, SignedAt: ad.SignedAt.UTC()}
}

// Note is a clinical note. Body, return_comment and addenda are filled only
// for readers of clinical content; otherwise, and in lists, which never
// carry bodies, body_hidden is true and body and addenda are null.
type Note struct {
	ID              int64             `json:"id"`
	ClientID        int64             `json:"client_id"`
	Kind            string            `json:"kind"`
	KindLabel       string            `json:"kind_label"`
	TemplateID      int64             `json:"template_id"`
	TemplateName    string            `json:"template_name"`
	TemplateVersion int               `json:"template_version"`
	AuthorID        int64             `json:"author_id"`
	AuthorName      string            `json:"author_name"`
	AppointmentID   int64             `json:"appointment_id"`
	GroupKey        int64             `json:"group_key"`
	Status          string            `json:"status"`
	Body            map[string]string `json:"body"`
	BodyHidden      bool              `json:"body_hidden"`
	Session         NoteSession       `json:"session"`
	ContentHash     string            `json:"content_hash"`
	SignedBy        int64             `json:"signed_by"`
	SignedName      string            `json:"signed_name"`
	SignedAt        *time.Time        `json:"signed_at"`
	SupervisorID    int64             `json:"supervisor_id"`
	CosignedBy      int64             `json:"cosigned_by"`
	CosignedName    string            `json:"cosigned_name"`
	CosignedAt      *time.Time        `json:"cosigned_at"`
	ReturnComment   string            `json:"return_comment,omitempty"`
	ReturnedAt      *time.Time        `json:"returned_at"`
	Addenda         []Addendum        `json:"addenda"`
	Version         int64             `json:"version"`
	CreatedAt       time.Time         `json:"created_at"`
	UpdatedAt       time.Time         `json:"updated_at"`
}

func noteJSON(n notes.Note) Note {
	out := Note{ID: n.ID, ClientID: n.ClientID, Kind: string(n.Kind), KindLabel: n.Kind.Label(), TemplateID: n.TemplateID,
		TemplateName: n.TemplateName, TemplateVersion: n.TemplateVersion, AuthorID: n.AuthorID, AuthorName: n.AuthorName,
		AppointmentID: n.AppointmentID, GroupKey: n.GroupKey, Status: string(n.Status), BodyHidden: n.BodyHidden,
		Session: NoteSession{ServiceCode: n.Session.ServiceCode, Modifiers: n.Session.Modifiers, Start: optionalTime(n.Session.Start),
			End: optionalTime(n.Session.End), Minutes: n.Session.Minutes(), PlaceOfService: n.Session.PlaceOfService,
			Participants: n.Session.Participants, DiagnosisIDs: nonNil(n.Session.DiagnosisIDs), CodeReason: n.Session.CodeReason,
			SuggestedCode: notes.SuggestCode(n.Kind, n.Session.Minutes())},
		ContentHash: n.ContentHash, SignedBy: n.SignedBy, SignedName: n.SignedName, SignedAt: optionalTime(n.SignedAt),
		SupervisorID: n.SupervisorID, CosignedBy: n.CosignedBy, CosignedName: n.CosignedName, CosignedAt: optionalTime(n.CosignedAt),
		ReturnedAt: optionalTime(n.ReturnedAt), Version: n.Version, CreatedAt: n.CreatedAt.UTC(), UpdatedAt: n.UpdatedAt.UTC()}
	if n.BodyHidden {
		return out
	}
	out.Body, out.ReturnComment = n.Body, n.ReturnComment
	if out.Body == nil {
		out.Body = map[string]string{}
	}
	out.Addenda = []Addendum{}
	for _, ad := range n.Addenda {
		out.Addenda = append(out.Addenda, addendumJSON(ad))
	}
	return out
}

// NewNoteInput is the body of POST /notes.
type NewNoteInput struct {
	ClientID      int64 `json:"client_id"`
	TemplateID    int64 `json:"template_id"`
	AppointmentID int64 `json:"appointment_id"`
}

// NoteSessionInput is a note's session details as sent; times are RFC 3339
// or empty.
type NoteSessionInput struct {
	ServiceCode    string  `json:"service_code"`
	Modifiers      string  `json:"modifiers"`
	Start          string  `json:"start"`
	End            string  `json:"end"`
	PlaceOfService string  `json:"place_of_service"`
	Participants   string  `json:"participants"`
	DiagnosisIDs   []int64 `json:"diagnosis_ids"`
	CodeReason     string  `json:"code_reason"`
}

// DraftInput is the body of PUT /notes/{id}: the whole body, and the session
// details (omitted: keep the stored ones), with the version read.
type DraftInput struct {
	Body    map[string]string `json:"body"`
	Session *NoteSessionInput `json:"session"`
	Version int64             `json:"version"`
}

// SignatureInput is the body of POST /notes/{id}/sign and /cosign: the
// signer's password (or, for users with an authenticator, a current code),
// the version reviewed and the attestation.
type SignatureInput struct {
	Password string `json:"password"`
	Code     string `json:"code"`
	Version  int64  `json:"version"`
	Attest   bool   `json:"attest"`
}

func (in SignatureInput) signInput() notes.SignInput {
	return notes.SignInput{Password: in.Password, Code: in.Code, Version: in.Version, Attest: in.Attest}
}

// ReturnInput is the body of POST /notes/{id}/return.
type ReturnInput struct {
	Comment string `json:"comment"`
	Version int64  `json:"version"`
}

// AddendumInput is the body of POST /notes/{id}/addenda.
type AddendumInput struct {
	Kind     string `json:"kind"`
	Text     string `json:"text"`
	Reason   string `json:"reason"`
	Password string `json:"password"`
	Code     string `json:"code"`
}

// Verification says whether a signed note still matches its signature.
type Verification struct {
	Signed     bool    `json:"signed"`
	Matches    bool    `json:"matches"`
	Stored     string  `json:"stored_hash"`
	Actual     string  `json:"actual_hash"`
	BadAddenda []int64 `json:"bad_addenda"`
}

func noteID(r *http.Request) (int64, error) { return pathID(r, "id", "note") }

// noteSessionFields are the API's names for the service's field problems
// with a note's session.
var noteSessionFields = map[string]string{"end": "session.end", "code_reason": "session.code_reason"}

// ListNotes lists one client's notes, newest first, without their bodies.
func (h *Handler) ListNotes(w http.ResponseWriter, r *http.Request) {
	v := strings.TrimSpace(r.URL.Query().Get("client_id"))
	cid, err := strconv.ParseInt(v, 10, 64)
	if err != nil || cid <= 0 {
		h.fail(w, r, apperr.Invalid("Name the client: ?client_id=.", map[string]string{"client_id": "required"}))
		return
	}
	ns, err := h.Notes.ClientNotes(r.Context(), actor(r), cid)
	respondList(h, w, r, ns, err, noteJSON)
}

// CreateNote starts a draft from a template, for an appointment or not.
func (h *Handler) CreateNote(w http.ResponseWriter, r *http.Request) {
	var in NewNoteInput
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	id, err := h.Notes.CreateDraft(r.Context(), actor(r), notes.NewNote{ClientID: in.ClientID, TemplateID: in.TemplateID, AppointmentID: in.AppointmentID})
	if err != nil {
		h.fail(w, r, renameFields(err, map[string]string{"template": "template_id", "appointment": "appointment_id"}))
		return
	}
	setLocation(w, "/api/v1/notes/", id)
	h.respondNote(w, r, id, http.StatusCreated)
}

// GetNote returns one note; its body only to readers of clinical content.
func (h *Handler) GetNote(w http.ResponseWriter, r *http.Request) {
	id, err := noteID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respondNote(w, r, id, http.StatusOK)
}

func (h *Handler) respondNote(w http.ResponseWriter, r *http.Request, id int64, status int) {
	n, err := h.Notes.Get(r.Context(), actor(r), id)
	respond(h, w, r, status, n, err, noteJSON)
}

// changeNote decodes a body of type T for the note in the path, has change
// apply it, and answers with the note as it now is.
func changeNote[T any](h *Handler, w http.ResponseWriter, r *http.Request, change func(id int64, in T) error) {
	var in T
	id, err := idAndBody(r, "id", "note", &in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := change(id, in); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respondNote(w, r, id, http.StatusOK)
}

// SaveNote saves a draft's body and session if the version still matches:
// 409 when the note changed since, or is signed.
func (h *Handler) SaveNote(w http.ResponseWriter, r *http.Request) {
	changeNote(h, w, r, func(id int64, in DraftInput) error {
		if in.Version <= 0 {
			return apperr.Invalid("Send the version of the note you are saving.", map[string]string{"version": "required"})
		}
		sess, err := h.draftSession(r, id, in.Session)
		if err != nil {
			return err
		}
		_, err = h.Notes.SaveDraft(r.Context(), actor(r), id, notes.DraftInput{Body: in.Body, Session: sess, Version: in.Version})
		return renameFields(err, noteSessionFields)
	})
}

// draftSession is the session a draft is saved with: s as sent, or the
// stored one when the body omits it.
func (h *Handler) draftSession(r *http.Request, id int64, s *NoteSessionInput) (notes.Session, error) {
	if s == nil {
		n, err := h.Notes.Get(r.Context(), actor(r), id)
		return n.Session, err
	}
	bad := map[string]string{}
	sess := notes.Session{ServiceCode: s.ServiceCode, Modifiers: s.Modifiers, PlaceOfService: s.PlaceOfService, Participants: s.Participants,
		DiagnosisIDs: s.DiagnosisIDs, CodeReason: s.CodeReason}
	if strings.TrimSpace(s.Start) != "" {
		sess.Start = parseTime("session.start", s.Start, bad)
	}
	if strings.TrimSpace(s.End) != "" {
		sess.End = parseTime("session.end", s.End, bad)
	}
	return sess, invalidIf(bad)
}

// SignNote signs the author's draft with their password; an associate's note
// then waits for the supervisor's co-signature.
func (h *Handler) SignNote(w http.ResponseWriter, r *http.Request) {
	changeNote(h, w, r, func(id int64, in SignatureInput) error {
		_, err := h.Notes.Sign(r.Context(), actor(r), id, in.signInput())
		return renameFields(err, noteSessionFields)
	})
}

// CosignNote is a supervisor's co-signature of a supervisee's signed note.
func (h *Handler) CosignNote(w http.ResponseWriter, r *http.Request) {
	changeNote(h, w, r, func(id int64, in SignatureInput) error {
		return h.Notes.Cosign(r.Context(), actor(r), id, in.signInput())
	})
}

// ReturnNote sends a supervisee's note back to its author with comments.
func (h *Handler) ReturnNote(w http.ResponseWriter, r *http.Request) {
	changeNote(h, w, r, func(id int64, in ReturnInput) error {
		return h.Notes.Return(r.Context(), actor(r), id, in.Comment, in.Version)
	})
}

// AddNoteAddendum appends a signed addendum or amendment to a signed note.
func (h *Handler) AddNoteAddendum(w http.ResponseWriter, r *http.Request) {
	var in AddendumInput
	id, err := idAndBody(r, "id", "note", &in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a := actor(r)
	aid, err := h.Notes.AddAddendum(r.Context(), a, id, notes.AddendumInput{Kind: in.Kind, Text: in.Text, Reason: in.Reason, Password: in.Password, Code: in.Code})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	n, err := h.Notes.Get(r.Context(), a, id)
	ad, err := find(n.Addenda, err, "addendum", func(ad notes.Addendum) bool { return ad.ID == aid })
	respond(h, w, r, http.StatusCreated, ad, err, addendumJSON)
}

// VerifyNote recomputes a signed note's content hash from what is stored.
func (h *Handler) VerifyNote(w http.ResponseWriter, r *http.Request) {
	id, err := noteID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.Notes.Verify(r.Context(), actor(r), id)
	respond(h, w, r, http.StatusOK, v, err, verificationJSON)
}

func verificationJSON(v notes.Verification) Verification {
	return Verification{Signed: v.Signed, Matches: v.Matches, Stored: v.Stored, Actual: v.Actual, BadAddenda: nonNil(v.BadAddenda)}
}

// noteEnums are the values the OpenAPI document lists for notes.
func noteEnums() (kinds, statuses, fieldTypes, riskLevels []string) {
	for _, k := range notes.Kinds {
		kinds = append(kinds, string(k.Kind))
	}
	for _, st := range []notes.Status{notes.Draft, notes.AwaitingCosign, notes.Returned, notes.Signed, notes.Cosigned} {
		statuses = append(statuses, string(st))
	}
	return kinds, statuses, notes.FieldTypes, clinical.RiskLevels
}
