package api

import (
	"net/http"
	"time"

	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/web"
)

// Phone is a client's phone number as the API shows and takes it.
type Phone struct {
	Kind         string `json:"kind"`
	Number       string `json:"number"`
	CanText      bool   `json:"can_text"`
	CanVoicemail bool   `json:"can_voicemail"`
}

// Address is a postal address.
type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	State      string `json:"state"`
	PostalCode string `json:"postal_code"`
}

// Client is the client record as the API shows it. The SSN is write-only:
// only its masked form is ever returned.
type Client struct {
	ID                 int64     `json:"id"`
	MRN                string    `json:"mrn"`
	FirstName          string    `json:"first_name"`
	MiddleName         string    `json:"middle_name"`
	LastName           string    `json:"last_name"`
	Suffix             string    `json:"suffix"`
	PreferredName      string    `json:"preferred_name"`
	Pronouns           string    `json:"pronouns"`
	BirthDate          string    `json:"birth_date"`
	Sex                string    `json:"sex"`
	GenderIdentity     string    `json:"gender_identity"`
	SexualOrientation  string    `json:"sexual_orientation"`
	Races              []string  `json:"races"`
	Ethnicity          string    `json:"ethnicity"`
	Language           string    `json:"language"`
	InterpreterNeeded  bool      `json:"interpreter_needed"`
	MaritalStatus      string    `json:"marital_status"`
	EmploymentStatus   string    `json:"employment_status"`
	Email              string    `json:"email"`
	Address            Address   `json:"address"`
	Phones             []Phone   `json:"phones"`
	SSNMasked          string    `json:"ssn_masked"`
	Status             string    `json:"status"`
	StatusDate         string    `json:"status_date"`
	ReferralSource     string    `json:"referral_source"`
	PrimaryClinicianID int64     `json:"primary_clinician_id"`
	CareTeam           []int64   `json:"care_team"`
	LocationID         int64     `json:"location_id"`
	Version            int64     `json:"version"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
}

func clientJSON(c clients.Client) Client {
	phones := make([]Phone, len(c.Phones))
	for i, p := range c.Phones {
		phones[i] = Phone(p)
	}
	return Client{ID: c.ID, MRN: c.MRN, FirstName: c.FirstName, MiddleName: c.MiddleName, LastName: c.LastName, Suffix: c.Suffix,
		PreferredName: c.PreferredName, Pronouns: c.Pronouns, BirthDate: c.BirthDate, Sex: c.Sex, GenderIdentity: c.GenderIdentity,
		SexualOrientation: c.SexualOrientation, Races: nonNil(c.Races), Ethnicity: c.Ethnicity, Language: c.Language,
		InterpreterNeeded: c.InterpreterNeeded, MaritalStatus: c.MaritalStatus, EmploymentStatus: c.EmploymentStatus, Email: c.Email,
		Address: Address(c.Address), Phones: phones, SSNMasked: c.MaskedSSN(), Status: string(c.Status), StatusDate: c.StatusDate,
		ReferralSource: c.ReferralSource, PrimaryClinicianID: c.PrimaryClinicianID, CareTeam: nonNil(c.CareTeam),
		LocationID: c.LocationID, Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ClientInput is what a create or a full update sets. Omitted fields are
// empty: PUT replaces the record. SSN is write-only: empty or omitted keeps
// the stored one, "-" removes it.
type ClientInput struct {
	FirstName          string   `json:"first_name"`
	MiddleName         string   `json:"middle_name"`
	LastName           string   `json:"last_name"`
	Suffix             string   `json:"suffix"`
	PreferredName      string   `json:"preferred_name"`
	Pronouns           string   `json:"pronouns"`
	BirthDate          string   `json:"birth_date"`
	Sex                string   `json:"sex"`
	GenderIdentity     string   `json:"gender_identity"`
	SexualOrientation  string   `json:"sexual_orientation"`
	Races              []string `json:"races"`
	Ethnicity          string   `json:"ethnicity"`
	Language           string   `json:"language"`
	InterpreterNeeded  bool     `json:"interpreter_needed"`
	MaritalStatus      string   `json:"marital_status"`
	EmploymentStatus   string   `json:"employment_status"`
	Email              string   `json:"email"`
	Address            Address  `json:"address"`
	Phones             []Phone  `json:"phones"`
	SSN                string   `json:"ssn"`
	Status             string   `json:"status"`
	StatusDate         string   `json:"status_date"`
	ReferralSource     string   `json:"referral_source"`
	PrimaryClinicianID int64    `json:"primary_clinician_id"`
	CareTeam           []int64  `json:"care_team"`
	LocationID         int64    `json:"location_id"`
}

func (in ClientInput) input() clients.Input {
	phones := make([]clients.Phone, len(in.Phones))
	for i, p := range in.Phones {
		phones[i] = clients.Phone(p)
	}
	return clients.Input{FirstName: in.FirstName, MiddleName: in.MiddleName, LastName: in.LastName, Suffix: in.Suffix,
		PreferredName: in.PreferredName, Pronouns: in.Pronouns, BirthDate: in.BirthDate, Sex: in.Sex, GenderIdentity: in.GenderIdentity,
		SexualOrientation: in.SexualOrientation, Races: in.Races, Ethnicity: in.Ethnicity, Language: in.Language,
		InterpreterNeeded: in.InterpreterNeeded, MaritalStatus: in.MaritalStatus, EmploymentStatus: in.EmploymentStatus, Email: in.Email,
		Address: clients.Address(in.Address), Phones: phones, SSN: in.SSN, Status: clients.Status(in.Status), StatusDate: in.StatusDate,
		ReferralSource: in.ReferralSource, PrimaryClinicianID: in.PrimaryClinicianID, CareTeam: in.CareTeam, LocationID: in.LocationID}
}

// NewClient is the body of POST /clients.
type NewClient struct {
	ClientInput
	// AllowDuplicate confirms a registration whose name and birth date
	// match an existing client.
	AllowDuplicate bool `json:"allow_duplicate"`
}

// ClientUpdate is the body of PUT /clients/{id}: the whole record and the
// version it was read at.
type ClientUpdate struct {
	ClientInput
	Version int64 `json:"version"`
}

func (in ClientUpdate) version() int64 { return in.Version }

// ClientSummary is a search or list result.
type ClientSummary struct {
	ID                 int64  `json:"id"`
	MRN                string `json:"mrn"`
	FirstName          string `json:"first_name"`
	LastName           string `json:"last_name"`
	PreferredName      string `json:"preferred_name"`
	BirthDate          string `json:"birth_date"`
	Status             string `json:"status"`
	PrimaryClinicianID int64  `json:"primary_clinician_id"`
}

func clientSummaryJSON(s clients.Summary) ClientSummary {
	return ClientSummary{ID: s.ID, MRN: s.MRN, FirstName: s.FirstName, LastName: s.LastName, PreferredName: s.PreferredName,
		BirthDate: s.BirthDate, Status: string(s.Status), PrimaryClinicianID: s.PrimaryClinicianID}
}

// CreateClient registers a client.
func (h *Handler) CreateClient(w http.ResponseWriter, r *http.Request) {
	var in NewClient
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	ci := in.input()
	ci.AllowDuplicate = in.AllowDuplicate
	c, err := h.Clients.Create(r.Context(), actor(r), ci)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	setLocation(w, "/api/v1/clients/", c.ID)
	web.JSON(w, http.StatusCreated, clientJSON(c))
}

// ListClients searches clients with q, or lists them by id without it;
// either way only those the token's user may see.
func (h *Handler) ListClients(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	n, err := limit(r, 25, 100)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := clients.SearchFilter{Query: v.Get("q"), Status: clients.Status(v.Get("status")), Limit: n}
	if v.Get("cursor") != "" && v.Get("q") != "" {
		// Search results come in name order and are meant to be narrowed
		// by typing more, not paged.
		h.fail(w, r, apperr.Invalid("A search returns one page; type more of the name to narrow it.", map[string]string{"cursor": "not used with q"}))
		return
	}
	if f.AfterID, err = decodeCursor(v.Get("cursor")); err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.Clients.Search(r.Context(), actor(r), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := newList(res, clientSummaryJSON)
	if f.Query == "" && len(res) == n {
		out.NextCursor = encodeCursor(res[len(res)-1].ID)
	}
	web.JSON(w, http.StatusOK, out)
}

// GetClient returns one client's record; the read is audited.
func (h *Handler) GetClient(w http.ResponseWriter, r *http.Request) {
	id, err := clientID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.Clients.Get(r.Context(), actor(r), id, clients.SectionDemographics)
	respond(h, w, r, http.StatusOK, c, err, clientJSON)
}

// UpdateClient replaces a client's record if the version still matches,
// and returns the record as saved.
func (h *Handler) UpdateClient(w http.ResponseWriter, r *http.Request) {
	id, err := clientID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in, err := decodeVersioned[ClientUpdate](r, "record", id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a := actor(r)
	if err := h.Clients.Update(r.Context(), a, id, in.input(), in.Version); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.Clients.Get(r.Context(), a, id, clients.SectionDemographics)
	respond(h, w, r, http.StatusOK, c, err, clientJSON)
}
