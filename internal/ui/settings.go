package ui

import (
	"net/http"
	"strconv"

	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/practice"
)

type settingsPage struct {
	Page
	Version         int64
	RequireMFA      bool
	Locations       []practice.Location
	LocForm         Form
	PlacesOfService []struct{ Code, Label string }
}

func settingsForm(s practice.Settings) Form {
	return Form{Values: map[string]string{
		"name": s.Name, "address_line1": s.Address.Line1, "address_line2": s.Address.Line2, "city": s.Address.City,
		"state": s.Address.State, "postal_code": s.Address.PostalCode, "phone": s.Phone, "tax_id": s.TaxID,
		"group_npi": s.GroupNPI, "time_zone": s.TimeZone, "session_idle_minutes": strconv.Itoa(s.SessionIdleMinutes),
	}, Errors: map[string]string{}}
}

func (h *Handler) renderSettings(w http.ResponseWriter, r *http.Request, status int, f *Form, loc *Form, version int64, requireMFA bool) {
	a := current(r)
	st, err := h.Practice.Settings(r.Context(), a.Actor)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	locs, err := h.Practice.Locations(r.Context(), a.Actor)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p := &settingsPage{Page: h.base(w, r, "Practice settings"), Version: st.Version, RequireMFA: st.RequireMFAForAll, Locations: locs,
		LocForm: Form{Values: map[string]string{"loc_place_of_service": "11"}, Errors: map[string]string{}}, PlacesOfService: practice.PlacesOfService}
	p.Form = settingsForm(st)
	if f != nil {
		p.Form, p.Version, p.RequireMFA = *f, version, requireMFA
	}
	if loc != nil {
		p.LocForm = *loc
	}
	h.render(w, r, status, "settings", p)
}

// ShowSettings shows the practice settings and locations.
func (h *Handler) ShowSettings(w http.ResponseWriter, r *http.Request) {
	h.renderSettings(w, r, http.StatusOK, nil, nil, 0, false)
}

// SaveSettings saves the practice settings.
func (h *Handler) SaveSettings(w http.ResponseWriter, r *http.Request) {
	f := newForm(r, "name", "address_line1", "address_line2", "city", "state", "postal_code", "phone", "tax_id", "group_npi", "time_zone", "session_idle_minutes")
	idle, err := strconv.Atoi(f.Values["session_idle_minutes"])
	if err != nil {
		idle = -1 // validation names the field
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	in := practice.Settings{Name: f.Values["name"], Phone: f.Values["phone"], TaxID: f.Values["tax_id"], GroupNPI: f.Values["group_npi"],
		TimeZone: f.Values["time_zone"], SessionIdleMinutes: idle, RequireMFAForAll: r.PostFormValue("require_mfa_all") == "1", Version: version,
		Address: practice.Address{Line1: f.Values["address_line1"], Line2: f.Values["address_line2"], City: f.Values["city"], State: f.Values["state"], PostalCode: f.Values["postal_code"]}}
	err = h.Practice.UpdateSettings(r.Context(), current(r).Actor, in)
	switch {
	case err == nil:
		h.redirect(w, r, "/settings", "Settings saved.")
	case apperr.Is(err, apperr.CodeInvalid):
		f.fail(err, "")
		h.renderSettings(w, r, http.StatusUnprocessableEntity, &f, nil, version, in.RequireMFAForAll)
	case apperr.Is(err, apperr.CodeConflict):
		f.fail(err, "")
		h.renderSettings(w, r, http.StatusConflict, &f, nil, 0, in.RequireMFAForAll)
	default:
		h.Error(w, r, err)
	}
}

// AddLocation adds a location.
func (h *Handler) AddLocation(w http.ResponseWriter, r *http.Request) {
	f := newForm(r, "loc_name", "loc_address_line1", "loc_city", "loc_state", "loc_postal_code", "loc_place_of_service")
	l := practice.Location{Name: f.Values["loc_name"], PlaceOfService: f.Values["loc_place_of_service"], Active: true,
		Address: practice.Address{Line1: f.Values["loc_address_line1"], City: f.Values["loc_city"], State: f.Values["loc_state"], PostalCode: f.Values["loc_postal_code"]}}
	if _, err := h.Practice.SaveLocation(r.Context(), current(r).Actor, l); err != nil {
		if !apperr.Is(err, apperr.CodeInvalid) {
			h.Error(w, r, err)
			return
		}
		f.fail(err, "loc_")
		h.renderSettings(w, r, http.StatusUnprocessableEntity, nil, &f, 0, false)
		return
	}
	h.redirect(w, r, "/settings#locations", "Location added.")
}

// SetLocationActive retires or restores a location.
func (h *Handler) SetLocationActive(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = h.Practice.SetLocationActive(r.Context(), current(r).Actor, id, r.PostFormValue("active") == "1")
	}
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.redirect(w, r, "/settings#locations", "Location updated.")
}
