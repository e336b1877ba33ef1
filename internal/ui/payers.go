package ui

import (
	"net/http"
	"strconv"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
)

// The payer directory: every staff member who reads insurance may list it
// (the policy form picks from it); administrators and billers keep it.

type payerRow struct {
	clients.Payer
	Filing string
}

type payerListPage struct {
	Page
	Payers    []payerRow
	CanManage bool
}

// ListPayers shows the directory, active payers first.
func (h *Handler) ListPayers(w http.ResponseWriter, r *http.Request) {
	a := current(r)
	list, err := h.Clients.Payers(r.Context(), a.Actor)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p := &payerListPage{Page: h.base(w, r, "Payers"), CanManage: h.Audit.Policy().Can(a.Actor, access.PermPayersManage)}
	for _, y := range list {
		p.Payers = append(p.Payers, payerRow{Payer: y, Filing: codeLabel(clients.ClaimFilingIndicators, y.ClaimFilingIndicator)})
	}
	h.render(w, r, http.StatusOK, "payer_list", p)
}

var payerFields = []string{"name", "electronic_id", "claim_filing_indicator", "line1", "line2", "city", "state", "postal_code", "phone"}

type payerFormPage struct {
	Page
	// PayerID is the payer being edited (0 when adding).
	PayerID    int64
	Version    int64
	Active     bool
	Indicators []choice
}

func (h *Handler) renderPayerForm(w http.ResponseWriter, r *http.Request, status int, p *payerFormPage, f Form) {
	title := "Add a payer"
	if p.PayerID != 0 {
		title = "Edit payer"
	}
	p.Page = h.base(w, r, title)
	p.Form = f
	p.Indicators = choices(clients.ClaimFilingIndicators, f.Values["claim_filing_indicator"])
	h.render(w, r, status, "payer_form", p)
}

// NewPayer shows the empty form.
func (h *Handler) NewPayer(w http.ResponseWriter, r *http.Request) {
	h.renderPayerForm(w, r, http.StatusOK, &payerFormPage{Active: true},
		Form{Values: map[string]string{"claim_filing_indicator": "CI"}, Errors: map[string]string{}})
}

// EditPayer shows one payer's form.
func (h *Handler) EditPayer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	list, err := h.Clients.Payers(r.Context(), current(r).Actor)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	for _, y := range list {
		if y.ID == id {
			f := Form{Values: map[string]string{"name": y.Name, "electronic_id": y.ElectronicID, "claim_filing_indicator": y.ClaimFilingIndicator,
				"line1": y.Address.Line1, "line2": y.Address.Line2, "city": y.Address.City, "state": y.Address.State,
				"postal_code": y.Address.PostalCode, "phone": y.Phone}, Errors: map[string]string{}}
			h.renderPayerForm(w, r, http.StatusOK, &payerFormPage{PayerID: y.ID, Version: y.Version, Active: y.Active}, f)
			return
		}
	}
	h.Error(w, r, apperr.NotFound("payer"))
}

// SavePayer adds (POST /payers) or updates (POST /payers/{id}) a payer.
func (h *Handler) SavePayer(w http.ResponseWriter, r *http.Request) {
	var id int64
	if r.PathValue("id") != "" {
		var err error
		if id, err = pathID(r); err != nil {
			h.Error(w, r, err)
			return
		}
	}
	f := newForm(r, payerFields...)
	v := f.Values
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	in := clients.Payer{ID: id, Version: version, Name: v["name"], ElectronicID: v["electronic_id"], ClaimFilingIndicator: v["claim_filing_indicator"],
		Phone: v["phone"], Active: r.PostFormValue("active") == "1",
		Address: clients.Address{Line1: v["line1"], Line2: v["line2"], City: v["city"], State: v["state"], PostalCode: v["postal_code"]}}
	_, err := h.Clients.SavePayer(r.Context(), current(r).Actor, in)
	if err == nil {
		msg := in.Name + " was added."
		if id != 0 {
			msg = "Changes saved."
		}
		h.redirect(w, r, "/payers", msg)
		return
	}
	if !apperr.Is(err, apperr.CodeInvalid) && !apperr.Is(err, apperr.CodeConflict) {
		h.Error(w, r, err)
		return
	}
	f.fail(err, "")
	status := http.StatusUnprocessableEntity
	if apperr.Is(err, apperr.CodeConflict) {
		// Come back with the newer version, so that saving again is deliberate.
		status = http.StatusConflict
		if list, err := h.Clients.Payers(r.Context(), current(r).Actor); err == nil {
			for _, y := range list {
				if y.ID == id {
					version = y.Version
				}
			}
		}
	}
	h.renderPayerForm(w, r, status, &payerFormPage{PayerID: id, Version: version, Active: in.Active}, f)
}
