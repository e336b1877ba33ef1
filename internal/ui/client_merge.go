package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
)

// Merging a duplicate record is two steps: the administrator names the
// duplicate by MRN on the record that stays, then confirms on a page that
// shows both records side by side and says what will happen. Only the
// confirmation changes anything.

type mergePage struct {
	recordPage
	// Duplicate is set on the confirmation step.
	Duplicate *clients.Client
}

const mergeSection = "merge"

// ShowMerge asks for the duplicate's MRN.
func (h *Handler) ShowMerge(w http.ResponseWriter, r *http.Request) {
	rp, ok := h.loadRecord(w, r, mergeSection, "Merge a duplicate")
	if !ok {
		return
	}
	p := &mergePage{recordPage: rp}
	p.Form = Form{Values: map[string]string{}, Errors: map[string]string{}}
	h.render(w, r, http.StatusOK, "client_merge", p)
}

// FindDuplicate looks the duplicate up and shows the confirmation step; it
// changes nothing.
func (h *Handler) FindDuplicate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r, "mrn")
	f.Values["mrn"] = strings.ToUpper(f.Values["mrn"])
	rp, ok := h.loadRecord(w, r, mergeSection, "Merge a duplicate")
	if !ok {
		return
	}
	p := &mergePage{recordPage: rp}
	dup, err := h.findByMRN(r, f.Values["mrn"])
	if err == nil && dup.ID == rp.Client.ID {
		err = apperr.Invalid("Please correct the highlighted fields.", map[string]string{"mrn": "This is the record that stays: enter the duplicate's MRN."})
	}
	if err != nil {
		if !apperr.Is(err, apperr.CodeInvalid) {
			h.Error(w, r, err)
			return
		}
		f.fail(err, "")
		p.Form = f
		h.render(w, r, http.StatusUnprocessableEntity, "client_merge", p)
		return
	}
	c, err := h.Clients.Get(r.Context(), current(r).Actor, dup.ID, mergeSection)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p.Duplicate, p.Form = &c, f
	p.Title = "Confirm merge · " + rp.Client.MRN
	h.render(w, r, http.StatusOK, "client_merge", p)
}

// MergeClients merges the confirmed duplicate into this record.
func (h *Handler) MergeClients(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	dupID, err := strconv.ParseInt(r.PostFormValue("duplicate"), 10, 64)
	if err != nil || dupID <= 0 {
		h.Error(w, r, apperr.Invalid("Choose the duplicate record again.", nil))
		return
	}
	if err := h.Clients.Merge(r.Context(), current(r).Actor, id, dupID); err != nil {
		h.Error(w, r, err)
		return
	}
	h.redirect(w, r, "/clients/"+strconv.FormatInt(id, 10),
		"The duplicate was merged into this record. Its insurance policies arrived inactive: review them under Insurance.")
}
