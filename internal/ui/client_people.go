package ui

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
)

// Contacts (emergency contacts, guardians, the guarantor), related clients,
// consents and alerts: each added on a page of its own, removed, revoked or
// resolved by a button in the chart.

type contactFormPage struct {
	recordPage
	Kinds []choice
}

var contactFields = []string{"kind", "name", "relationship", "phone", "email", "address", "birth_date", "legal_document"}

func (h *Handler) renderContactForm(w http.ResponseWriter, r *http.Request, status int, f Form) {
	rp, ok := h.loadRecord(w, r, clients.SectionContacts, "Add a contact")
	if !ok {
		return
	}
	p := &contactFormPage{recordPage: rp, Kinds: choices(clients.ContactKinds, f.Values["kind"])}
	p.Form = f
	h.render(w, r, status, "client_contact_form", p)
}

// NewContact shows the form for an emergency contact, guardian, legal
// representative or guarantor; ?kind= picks the kind (not PHI).
func (h *Handler) NewContact(w http.ResponseWriter, r *http.Request) {
	kind := r.URL.Query().Get("kind")
	if kind == "" {
		kind = "emergency"
	}
	h.renderContactForm(w, r, http.StatusOK, Form{Values: map[string]string{"kind": kind}, Errors: map[string]string{}})
}

// CreateContact adds the person.
func (h *Handler) CreateContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, contactFields...)
	v := f.Values
	_, err = h.Clients.AddContact(r.Context(), current(r).Actor, id, clients.Contact{Kind: v["kind"], Name: v["name"], Relationship: v["relationship"],
		Phone: v["phone"], Email: v["email"], Address: v["address"], BirthDate: v["birth_date"], LegalDocument: v["legal_document"]})
	if err == nil {
		h.redirect(w, r, chartHref(id, "contacts"), codeLabel(clients.ContactKinds, v["kind"])+" added.")
		return
	}
	if !apperr.Is(err, apperr.CodeInvalid) {
		h.Error(w, r, err)
		return
	}
	f.fail(err, "")
	h.renderContactForm(w, r, http.StatusUnprocessableEntity, f)
}

// RemoveContact takes a person off the record (the service keeps the row
// for history).
func (h *Handler) RemoveContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	cid, err := subID(r, "contact")
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if err := h.Clients.RemoveContact(r.Context(), current(r).Actor, id, cid); err != nil {
		h.Error(w, r, err)
		return
	}
	h.redirect(w, r, chartHref(id, "contacts"), "The contact was removed.")
}

// relationLabels are the relation kinds as the form and the chart word
// them, read as "<related client> is this client's <kind>".
var relationLabels = []struct{ Code, Label string }{
	{"partner", "Partner or spouse"}, {"parent", "Parent"}, {"child", "Child"}, {"sibling", "Sibling"}, {"family", "Other family member"},
}

type relationFormPage struct {
	recordPage
	Kinds []choice
}

func (h *Handler) renderRelationForm(w http.ResponseWriter, r *http.Request, status int, f Form) {
	rp, ok := h.loadRecord(w, r, "relations", "Link a related client")
	if !ok {
		return
	}
	p := &relationFormPage{recordPage: rp, Kinds: choices(relationLabels, f.Values["kind"])}
	p.Form = f
	h.render(w, r, status, "client_relation_form", p)
}

// NewRelation shows the form for linking another client (a partner in
// couples work, family members) by MRN.
func (h *Handler) NewRelation(w http.ResponseWriter, r *http.Request) {
	h.renderRelationForm(w, r, http.StatusOK, Form{Values: map[string]string{}, Errors: map[string]string{}})
}

// CreateRelation finds the other client by MRN among those the user may see
// and links the two both ways.
func (h *Handler) CreateRelation(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	a := current(r)
	f := newForm(r, "mrn", "kind")
	f.Values["mrn"] = strings.ToUpper(f.Values["mrn"])
	other, err := h.findByMRN(r, f.Values["mrn"])
	if err == nil {
		err = h.Clients.Relate(r.Context(), a.Actor, id, other.ID, f.Values["kind"])
	}
	if err == nil {
		h.redirect(w, r, chartHref(id, "related"), "The clients are linked.")
		return
	}
	if !apperr.Is(err, apperr.CodeInvalid) {
		h.Error(w, r, err)
		return
	}
	f.fail(err, "")
	if _, ok := clients.RelationKinds[f.Values["kind"]]; !ok {
		delete(f.Errors, "relation")
		f.Errors["kind"] = "Choose how they are related."
	}
	f.moveError("relation", "mrn")
	h.renderRelationForm(w, r, http.StatusUnprocessableEntity, f)
}

// mrnShape is what an MRN looks like when typed: MS-000123, ms123.
var mrnShape = regexp.MustCompile(`(?i)^ms-?\d{1,9}$`)

// findByMRN finds the client with this MRN if the user may see them;
// anything else is a field error on "mrn". (Search answers an MRN-shaped
// query with that record alone, and never with a merged duplicate.)
func (h *Handler) findByMRN(r *http.Request, mrn string) (clients.Summary, error) {
	notFound := apperr.Invalid("Please correct the highlighted fields.", map[string]string{"mrn": "No client you can open has this MRN. Copy it from their chart, such as MS-000123."})
	if !mrnShape.MatchString(mrn) {
		return clients.Summary{}, notFound
	}
	found, err := h.Clients.Search(r.Context(), current(r).Actor, clients.SearchFilter{Query: mrn, Limit: 2})
	if err != nil {
		return clients.Summary{}, err
	}
	if len(found) != 1 {
		return clients.Summary{}, notFound
	}
	return found[0], nil
}

// RemoveRelation unlinks two clients, both ways.
func (h *Handler) RemoveRelation(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	rid, err := subID(r, "related")
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if err := h.Clients.Unrelate(r.Context(), current(r).Actor, id, rid); err != nil {
		h.Error(w, r, err)
		return
	}
	h.redirect(w, r, chartHref(id, "related"), "The link was removed.")
}

type consentFormPage struct {
	recordPage
	Kinds []choice
	Part2 bool
}

var consentFields = []string{"kind", "signed_date", "expires_date", "recipient", "purpose", "scope"}

func (h *Handler) renderConsentForm(w http.ResponseWriter, r *http.Request, status int, f Form, part2 bool) {
	rp, ok := h.loadRecord(w, r, "consents", "Add a consent")
	if !ok {
		return
	}
	p := &consentFormPage{recordPage: rp, Kinds: choices(clients.ConsentKinds, f.Values["kind"]), Part2: part2}
	p.Form = f
	h.render(w, r, status, "client_consent_form", p)
}

// NewConsent shows the form for a signed consent or release of information.
func (h *Handler) NewConsent(w http.ResponseWriter, r *http.Request) {
	kind := r.URL.Query().Get("kind")
	if kind == "" {
		kind = "treatment"
	}
	h.renderConsentForm(w, r, http.StatusOK, Form{Values: map[string]string{"kind": kind, "signed_date": h.today()}, Errors: map[string]string{}}, false)
}

// CreateConsent records the consent.
func (h *Handler) CreateConsent(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, consentFields...)
	v := f.Values
	part2 := r.PostFormValue("part2") == "1"
	_, err = h.Clients.AddConsent(r.Context(), current(r).Actor, id, clients.Consent{Kind: v["kind"], SignedDate: v["signed_date"],
		ExpiresDate: v["expires_date"], Recipient: v["recipient"], Purpose: v["purpose"], Scope: v["scope"], Part2: part2})
	if err == nil {
		h.redirect(w, r, chartHref(id, "consents"), codeLabel(clients.ConsentKinds, v["kind"])+" recorded.")
		return
	}
	if !apperr.Is(err, apperr.CodeInvalid) {
		h.Error(w, r, err)
		return
	}
	f.fail(err, "")
	h.renderConsentForm(w, r, http.StatusUnprocessableEntity, f, part2)
}

type revokeConsentPage struct {
	recordPage
	Consent consentRow
}

func (h *Handler) renderRevokeConsent(w http.ResponseWriter, r *http.Request, status int, f Form) {
	cid, err := subID(r, "consent")
	if err != nil {
		h.Error(w, r, err)
		return
	}
	rp, ok := h.loadRecord(w, r, "consents", "Revoke a consent")
	if !ok {
		return
	}
	list, err := h.Clients.Consents(r.Context(), current(r).Actor, rp.Client.ID)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	for _, c := range list {
		if c.ID == cid {
			p := &revokeConsentPage{recordPage: rp, Consent: consentRow{Consent: c, Label: codeLabel(clients.ConsentKinds, c.Kind), State: c.State(h.today())}}
			p.Form = f
			h.render(w, r, status, "client_consent_revoke", p)
			return
		}
	}
	h.Error(w, r, apperr.NotFound("consent"))
}

// ShowRevokeConsent asks for the date the client revoked a consent, naming
// the consent: a revocation cannot be undone.
func (h *Handler) ShowRevokeConsent(w http.ResponseWriter, r *http.Request) {
	h.renderRevokeConsent(w, r, http.StatusOK, Form{Values: map[string]string{"revoked_date": h.today()}, Errors: map[string]string{}})
}

// RevokeConsent records the revocation.
func (h *Handler) RevokeConsent(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	cid, err := subID(r, "consent")
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, "revoked_date")
	err = h.Clients.RevokeConsent(r.Context(), current(r).Actor, id, cid, f.Values["revoked_date"])
	if err == nil {
		h.redirect(w, r, chartHref(id, "consents"), "The consent is marked revoked.")
		return
	}
	if !apperr.Is(err, apperr.CodeInvalid) {
		h.Error(w, r, err)
		return
	}
	f.fail(err, "")
	h.renderRevokeConsent(w, r, http.StatusUnprocessableEntity, f)
}

var alertKindLabels = []struct{ Code, Label string }{
	{"safety", "Safety (risk, safety plan)"}, {"contact", "Contact (how to reach or not reach)"}, {"billing", "Billing"}, {"other", "Other"},
}

type alertFormPage struct {
	recordPage
	Kinds []choice
}

func (h *Handler) renderAlertForm(w http.ResponseWriter, r *http.Request, status int, f Form) {
	rp, ok := h.loadRecord(w, r, "alerts", "Add an alert")
	if !ok {
		return
	}
	p := &alertFormPage{recordPage: rp, Kinds: choices(alertKindLabels, f.Values["kind"])}
	p.Form = f
	h.render(w, r, status, "client_alert_form", p)
}

// NewAlert shows the form for an alert shown in the chart header.
func (h *Handler) NewAlert(w http.ResponseWriter, r *http.Request) {
	h.renderAlertForm(w, r, http.StatusOK, Form{Values: map[string]string{"kind": "contact"}, Errors: map[string]string{}})
}

// CreateAlert adds the alert.
func (h *Handler) CreateAlert(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, "kind", "text")
	_, err = h.Clients.AddAlert(r.Context(), current(r).Actor, id, clients.Alert{Kind: f.Values["kind"], Text: f.Values["text"]})
	if err == nil {
		h.redirect(w, r, chartHref(id, "alerts"), "The alert was added.")
		return
	}
	if !apperr.Is(err, apperr.CodeInvalid) {
		h.Error(w, r, err)
		return
	}
	f.fail(err, "")
	f.moveError("alert", "text")
	h.renderAlertForm(w, r, http.StatusUnprocessableEntity, f)
}

// ResolveAlert clears an alert from the header.
func (h *Handler) ResolveAlert(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	aid, err := subID(r, "alert")
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if err := h.Clients.ResolveAlert(r.Context(), current(r).Actor, id, aid); err != nil {
		h.Error(w, r, err)
		return
	}
	h.redirect(w, r, chartHref(id, "alerts"), "The alert was resolved.")
}
