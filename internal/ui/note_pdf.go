package ui

import (
	"net/http"
	"strconv"
)

// ExportNotePDF sends a signed note as a PDF for reading or printing. The
// service refuses drafts and readers without clinical access, and records
// the export in the audit log; the file name names the note, not the client.
func (h *Handler) ExportNotePDF(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	b, name, err := h.Notes.ExportPDF(r.Context(), current(r).Actor, id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="`+name+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	// Clinical content: no copy in any cache.
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}
