package api

import (
	"net/http"

	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/web"
)

// The parts of a client's record beside the demographics: insurance policies
// with their prior authorisations, contacts and consents; and the payer
// directory. Lists of one client's policies, contacts or consents are short
// and come as one page; the payer directory is paged.

// renameFields gives an invalid error's field problems the API's names for
// the fields where the service's names differ.
func renameFields(err error, names map[string]string) error {
	e := apperr.As(err)
	if e.Code != apperr.CodeInvalid || len(e.Fields) == 0 {
		return err
	}
	fields := make(map[string]string, len(e.Fields))
	for k, v := range e.Fields {
		if n, ok := names[k]; ok {
			k = n
		}
		fields[k] = v
	}
	return apperr.Invalid(e.Message, fields)
}

// boolOr is *b, or def when b was omitted.
func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// Payers.

// Payer is an insurance company or plan administrator in the directory.
type Payer struct {
	ID                   int64   `json:"id"`
	Name                 string  `json:"name"`
	ElectronicID         string  `json:"electronic_id"`
	ClaimFilingIndicator string  `json:"claim_filing_indicator"`
	Address              Address `json:"address"`
	Phone                string  `json:"phone"`
	Active               bool    `json:"active"`
	Version              int64   `json:"version"`
}

func payerJSON(p clients.Payer) Payer {
	return Payer{ID: p.ID, Name: p.Name, ElectronicID: p.ElectronicID, ClaimFilingIndicator: p.ClaimFilingIndicator,
		Address: Address(p.Address), Phone: p.Phone, Active: p.Active, Version: p.Version}
}

// PayerInput is the body of POST /payers, and with a version of PUT
// /payers/{id}. Active defaults to true.
type PayerInput struct {
	Name                 string  `json:"name"`
	ElectronicID         string  `json:"electronic_id"`
	ClaimFilingIndicator string  `json:"claim_filing_indicator"`
	Address              Address `json:"address"`
	Phone                string  `json:"phone"`
	Active               *bool   `json:"active"`
	Version              int64   `json:"version"`
}

func (in PayerInput) version() int64 { return in.Version }

func (in PayerInput) payer(id int64) clients.Payer {
	return clients.Payer{ID: id, Name: in.Name, ElectronicID: in.ElectronicID, ClaimFilingIndicator: in.ClaimFilingIndicator,
		Address: clients.Address(in.Address), Phone: in.Phone, Active: boolOr(in.Active, true), Version: in.Version}
}

// ListPayers pages through the payer directory by id.
func (h *Handler) ListPayers(w http.ResponseWriter, r *http.Request) {
	after, n, err := paging(r, 100, 500)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ps, err := h.Clients.FindPayers(r.Context(), actor(r), clients.PayerFilter{AfterID: after, Limit: n})
	respondPage(h, w, r, ps, err, payerJSON, n, func(p clients.Payer) int64 { return p.ID })
}

// GetPayer returns one payer.
func (h *Handler) GetPayer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "payer")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.Clients.Payer(r.Context(), actor(r), id)
	respond(h, w, r, http.StatusOK, p, err, payerJSON)
}

// CreatePayer adds a payer to the directory.
func (h *Handler) CreatePayer(w http.ResponseWriter, r *http.Request) { h.savePayer(w, r, 0) }

// UpdatePayer replaces a payer if the version still matches.
func (h *Handler) UpdatePayer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "payer")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.savePayer(w, r, id)
}

// savePayer saves the body as payer id, or as a new payer when id is 0, and
// answers with the payer as stored.
func (h *Handler) savePayer(w http.ResponseWriter, r *http.Request, id int64) {
	in, err := decodeVersioned[PayerInput](r, "payer", id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a := actor(r)
	saved, err := h.Clients.SavePayer(r.Context(), a, in.payer(id))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.Clients.Payer(r.Context(), a, saved)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if id == 0 {
		setLocation(w, "/api/v1/payers/", saved)
	}
	web.JSON(w, savedStatus(id), payerJSON(p))
}

// Policies and prior authorisations.

// Authorization is a payer's prior authorisation of a number of visits.
type Authorization struct {
	ID               int64    `json:"id"`
	PolicyID         int64    `json:"policy_id"`
	Number           string   `json:"number"`
	VisitsAuthorized int      `json:"visits_authorized"`
	VisitsUsed       int      `json:"visits_used"`
	StartDate        string   `json:"start_date"`
	EndDate          string   `json:"end_date"`
	ServiceCodes     []string `json:"service_codes"`
	// Warning is what needs attention today (expired, expiring, few
	// visits left); empty when nothing does.
	Warning string `json:"warning"`
}

func authorizationJSON(a clients.Authorization, today string) Authorization {
	return Authorization{ID: a.ID, PolicyID: a.PolicyID, Number: a.Number, VisitsAuthorized: a.VisitsAuthorized, VisitsUsed: a.VisitsUsed,
		StartDate: a.StartDate, EndDate: a.EndDate, ServiceCodes: nonNil(a.ServiceCodes), Warning: a.Warning(today)}
}

// Policy is one of a client's insurance policies. The subscriber fields are
// empty when the client is the subscriber (relationship "self").
type Policy struct {
	ID                int64           `json:"id"`
	ClientID          int64           `json:"client_id"`
	PayerID           int64           `json:"payer_id"`
	PayerName         string          `json:"payer_name"`
	Rank              int             `json:"rank"`
	Relationship      string          `json:"relationship"`
	SubscriberFirst   string          `json:"subscriber_first"`
	SubscriberLast    string          `json:"subscriber_last"`
	SubscriberBirth   string          `json:"subscriber_birth"`
	SubscriberSex     string          `json:"subscriber_sex"`
	SubscriberAddress string          `json:"subscriber_address"`
	MemberID          string          `json:"member_id"`
	GroupNumber       string          `json:"group_number"`
	PlanName          string          `json:"plan_name"`
	EffectiveDate     string          `json:"effective_date"`
	EndDate           string          `json:"end_date"`
	CopayCents        int64           `json:"copay_cents"`
	CoinsuranceBP     int64           `json:"coinsurance_bp"`
	DeductibleCents   int64           `json:"deductible_cents"`
	Active            bool            `json:"active"`
	Version           int64           `json:"version"`
	Authorizations    []Authorization `json:"authorizations"`
}

func policyJSON(p clients.Policy, today string) Policy {
	auths := make([]Authorization, len(p.Authorizations))
	for i, a := range p.Authorizations {
		auths[i] = authorizationJSON(a, today)
	}
	return Policy{ID: p.ID, ClientID: p.ClientID, PayerID: p.PayerID, PayerName: p.PayerName, Rank: p.Rank, Relationship: p.Relationship,
		SubscriberFirst: p.SubscriberFirst, SubscriberLast: p.SubscriberLast, SubscriberBirth: p.SubscriberBirth, SubscriberSex: p.SubscriberSex,
		SubscriberAddress: p.SubscriberAddress, MemberID: p.MemberID, GroupNumber: p.GroupNumber, PlanName: p.PlanName,
		EffectiveDate: p.EffectiveDate, EndDate: p.EndDate, CopayCents: p.CopayCents, CoinsuranceBP: p.CoinsuranceBP,
		DeductibleCents: p.DeductibleCents, Active: p.Active, Version: p.Version, Authorizations: auths}
}

// PolicyInput is the body of POST /clients/{id}/policies, and with a
// version of PUT /clients/{id}/policies/{policyID}. Omitted fields are
// empty (PUT replaces the policy); active defaults to true.
type PolicyInput struct {
	PayerID           int64  `json:"payer_id"`
	Rank              int    `json:"rank"`
	Relationship      string `json:"relationship"`
	SubscriberFirst   string `json:"subscriber_first"`
	SubscriberLast    string `json:"subscriber_last"`
	SubscriberBirth   string `json:"subscriber_birth"`
	SubscriberSex     string `json:"subscriber_sex"`
	SubscriberAddress string `json:"subscriber_address"`
	MemberID          string `json:"member_id"`
	GroupNumber       string `json:"group_number"`
	PlanName          string `json:"plan_name"`
	EffectiveDate     string `json:"effective_date"`
	EndDate           string `json:"end_date"`
	CopayCents        int64  `json:"copay_cents"`
	CoinsuranceBP     int64  `json:"coinsurance_bp"`
	DeductibleCents   int64  `json:"deductible_cents"`
	Active            *bool  `json:"active"`
	Version           int64  `json:"version"`
}

func (in PolicyInput) version() int64 { return in.Version }

// policyFieldNames are the API's names for the service's field problems
// (subscriber_name stays: it covers both names).
var policyFieldNames = map[string]string{"payer": "payer_id", "copay": "copay_cents", "coinsurance": "coinsurance_bp", "deductible": "deductible_cents"}

func (in PolicyInput) policy(clientID, id int64) clients.Policy {
	return clients.Policy{ID: id, ClientID: clientID, PayerID: in.PayerID, Rank: in.Rank, Relationship: in.Relationship,
		SubscriberFirst: in.SubscriberFirst, SubscriberLast: in.SubscriberLast, SubscriberBirth: in.SubscriberBirth,
		SubscriberSex: in.SubscriberSex, SubscriberAddress: in.SubscriberAddress, MemberID: in.MemberID, GroupNumber: in.GroupNumber,
		PlanName: in.PlanName, EffectiveDate: in.EffectiveDate, EndDate: in.EndDate, CopayCents: in.CopayCents,
		CoinsuranceBP: in.CoinsuranceBP, DeductibleCents: in.DeductibleCents, Active: boolOr(in.Active, true), Version: in.Version}
}

// ListPolicies returns a client's policies, active first by rank, with
// their authorisations; the read is audited.
func (h *Handler) ListPolicies(w http.ResponseWriter, r *http.Request) {
	id, err := clientID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ps, err := h.Clients.Policies(r.Context(), actor(r), id)
	today := h.Clients.Today()
	respondList(h, w, r, ps, err, func(p clients.Policy) Policy { return policyJSON(p, today) })
}

// CreatePolicy adds a policy to a client.
func (h *Handler) CreatePolicy(w http.ResponseWriter, r *http.Request) {
	cid, err := clientID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.savePolicy(w, r, cid, 0)
}

// UpdatePolicy replaces a client's policy if the version still matches.
func (h *Handler) UpdatePolicy(w http.ResponseWriter, r *http.Request) {
	cid, id, err := clientPartIDs(r, "policyID", "policy")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.savePolicy(w, r, cid, id)
}

// savePolicy saves the body as the client's policy id, or as a new policy
// when id is 0, and answers with the policy as stored (normalised, with its
// authorisations), read back through the audited list.
func (h *Handler) savePolicy(w http.ResponseWriter, r *http.Request, clientID, id int64) {
	in, err := decodeVersioned[PolicyInput](r, "policy", id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a := actor(r)
	saved, err := h.Clients.SavePolicy(r.Context(), a, in.policy(clientID, id))
	if err != nil {
		h.fail(w, r, renameFields(err, policyFieldNames))
		return
	}
	ps, err := h.Clients.Policies(r.Context(), a, clientID)
	p, err := find(ps, err, "policy", func(p clients.Policy) bool { return p.ID == saved })
	respond(h, w, r, savedStatus(id), p, err, func(p clients.Policy) Policy { return policyJSON(p, h.Clients.Today()) })
}

// AuthorizationInput is the body of POST .../policies/{policyID}/authorizations.
type AuthorizationInput struct {
	Number           string   `json:"number"`
	VisitsAuthorized int      `json:"visits_authorized"`
	VisitsUsed       int      `json:"visits_used"`
	StartDate        string   `json:"start_date"`
	EndDate          string   `json:"end_date"`
	ServiceCodes     []string `json:"service_codes"`
}

// AddAuthorization records a prior authorisation on a client's policy.
func (h *Handler) AddAuthorization(w http.ResponseWriter, r *http.Request) {
	cid, pid, err := clientPartIDs(r, "policyID", "policy")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in AuthorizationInput
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	a := actor(r)
	id, err := h.Clients.AddAuthorization(r.Context(), a, cid, clients.Authorization{PolicyID: pid, Number: in.Number,
		VisitsAuthorized: in.VisitsAuthorized, VisitsUsed: in.VisitsUsed, StartDate: in.StartDate, EndDate: in.EndDate, ServiceCodes: in.ServiceCodes})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ps, err := h.Clients.Policies(r.Context(), a, cid)
	var auths []clients.Authorization
	for _, p := range ps {
		auths = append(auths, p.Authorizations...)
	}
	au, err := find(auths, err, "authorization", func(au clients.Authorization) bool { return au.ID == id })
	respond(h, w, r, http.StatusCreated, au, err, func(au clients.Authorization) Authorization {
		return authorizationJSON(au, h.Clients.Today())
	})
}

// Contacts.

// Contact is a person connected to a client: an emergency contact, a
// guardian, a legal representative or the financial guarantor.
type Contact struct {
	ID            int64  `json:"id"`
	Kind          string `json:"kind"`
	Name          string `json:"name"`
	Relationship  string `json:"relationship"`
	Phone         string `json:"phone"`
	Email         string `json:"email"`
	Address       string `json:"address"`
	BirthDate     string `json:"birth_date"`
	LegalDocument string `json:"legal_document"`
}

func contactJSON(c clients.Contact) Contact { return Contact(c) }

// ContactInput is the body of POST /clients/{id}/contacts.
type ContactInput struct {
	Kind          string `json:"kind"`
	Name          string `json:"name"`
	Relationship  string `json:"relationship"`
	Phone         string `json:"phone"`
	Email         string `json:"email"`
	Address       string `json:"address"`
	BirthDate     string `json:"birth_date"`
	LegalDocument string `json:"legal_document"`
}

// ListContacts returns a client's contacts; the read is audited.
func (h *Handler) ListContacts(w http.ResponseWriter, r *http.Request) {
	id, err := clientID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cs, err := h.Clients.Contacts(r.Context(), actor(r), id)
	respondList(h, w, r, cs, err, contactJSON)
}

// AddContact adds a person to a client's record.
func (h *Handler) AddContact(w http.ResponseWriter, r *http.Request) {
	var in ContactInput
	cid, err := idAndBody(r, "id", "client", &in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a := actor(r)
	id, err := h.Clients.AddContact(r.Context(), a, cid, clients.Contact{Kind: in.Kind, Name: in.Name, Relationship: in.Relationship,
		Phone: in.Phone, Email: in.Email, Address: in.Address, BirthDate: in.BirthDate, LegalDocument: in.LegalDocument})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cs, err := h.Clients.Contacts(r.Context(), a, cid)
	c, err := find(cs, err, "contact", func(c clients.Contact) bool { return c.ID == id })
	respond(h, w, r, http.StatusCreated, c, err, contactJSON)
}

// RemoveContact takes a person off a client's record (the service keeps it
// for history).
func (h *Handler) RemoveContact(w http.ResponseWriter, r *http.Request) {
	cid, id, err := clientPartIDs(r, "contactID", "contact")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Clients.RemoveContact(r.Context(), actor(r), cid, id); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Consents.

// Consent is a signed consent or release of information.
type Consent struct {
	ID          int64  `json:"id"`
	Kind        string `json:"kind"`
	SignedDate  string `json:"signed_date"`
	ExpiresDate string `json:"expires_date"`
	Recipient   string `json:"recipient"`
	Purpose     string `json:"purpose"`
	Scope       string `json:"scope"`
	Part2       bool   `json:"part2"`
	RevokedDate string `json:"revoked_date"`
	RecordedBy  int64  `json:"recorded_by"`
	// State is active, expired or revoked, today in the practice's time zone.
	State string `json:"state"`
}

func consentJSON(c clients.Consent, today string) Consent {
	return Consent{ID: c.ID, Kind: c.Kind, SignedDate: c.SignedDate, ExpiresDate: c.ExpiresDate, Recipient: c.Recipient, Purpose: c.Purpose,
		Scope: c.Scope, Part2: c.Part2, RevokedDate: c.RevokedDate, RecordedBy: c.RecordedBy, State: c.State(today)}
}

// ConsentInput is the body of POST /clients/{id}/consents.
type ConsentInput struct {
	Kind        string `json:"kind"`
	SignedDate  string `json:"signed_date"`
	ExpiresDate string `json:"expires_date"`
	Recipient   string `json:"recipient"`
	Purpose     string `json:"purpose"`
	Scope       string `json:"scope"`
	Part2       bool   `json:"part2"`
}

// ConsentRevocation is the body of POST .../consents/{consentID}/revoke.
type ConsentRevocation struct {
	RevokedDate string `json:"revoked_date"`
}

// ListConsents returns a client's consents, newest first; the read is audited.
func (h *Handler) ListConsents(w http.ResponseWriter, r *http.Request) {
	id, err := clientID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cs, err := h.Clients.Consents(r.Context(), actor(r), id)
	today := h.Clients.Today()
	respondList(h, w, r, cs, err, func(c clients.Consent) Consent { return consentJSON(c, today) })
}

// AddConsent records a signed consent.
func (h *Handler) AddConsent(w http.ResponseWriter, r *http.Request) {
	var in ConsentInput
	cid, err := idAndBody(r, "id", "client", &in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, err := h.Clients.AddConsent(r.Context(), actor(r), cid, clients.Consent{Kind: in.Kind, SignedDate: in.SignedDate,
		ExpiresDate: in.ExpiresDate, Recipient: in.Recipient, Purpose: in.Purpose, Scope: in.Scope, Part2: in.Part2})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.answerConsent(w, r, cid, id, http.StatusCreated)
}

// RevokeConsent records that a client revoked a consent.
func (h *Handler) RevokeConsent(w http.ResponseWriter, r *http.Request) {
	cid, id, err := clientPartIDs(r, "consentID", "consent")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in ConsentRevocation
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Clients.RevokeConsent(r.Context(), actor(r), cid, id, in.RevokedDate); err != nil {
		h.fail(w, r, err)
		return
	}
	h.answerConsent(w, r, cid, id, http.StatusOK)
}

// answerConsent answers with consent id as stored, read back through the
// audited list.
func (h *Handler) answerConsent(w http.ResponseWriter, r *http.Request, clientID, id int64, status int) {
	cs, err := h.Clients.Consents(r.Context(), actor(r), clientID)
	c, err := find(cs, err, "consent", func(c clients.Consent) bool { return c.ID == id })
	respond(h, w, r, status, c, err, func(c clients.Consent) Consent { return consentJSON(c, h.Clients.Today()) })
}
