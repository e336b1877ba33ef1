package ui

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/web"
)

// chip is a status shown as icon, word and colour (UI.md §10).
type chip struct{ Class, Icon, Label string }

// statusChip is how a client's status looks.
func statusChip(s clients.Status) chip {
	switch s {
	case clients.StatusInquiry:
		return chip{"info", "?", "Inquiry"}
	case clients.StatusWaitlist:
		return chip{"warn", "◷", "Waitlist"}
	case clients.StatusActive:
		return chip{"ok", "✓", "Active"}
	case clients.StatusInactive:
		return chip{"neutral", "–", "Inactive"}
	case clients.StatusDischarged:
		return chip{"neutral", "■", "Discharged"}
	}
	return chip{"neutral", "", string(s)}
}

// clientRow is a search result with its primary clinician's name.
type clientRow struct {
	clients.Summary
	Clinician string
}

type clientListPage struct {
	Page
	// Query is what was typed into a search (POST only: it never goes in a URL).
	Query     string
	Status    string
	Statuses  []clients.Status
	Rows      []clientRow
	Searched  bool
	After     int64 // the list continues after this id
	More      bool  // a search stopped at its limit
	NextHref  string
	CanCreate bool
}

const (
	clientPageSize  = 50
	liveSearchLimit = 8
)

// clinicianNames maps user ids to "Name, Credentials" for the clinicians
// clients can be assigned to.
func (h *Handler) clinicianNames(r *http.Request) (map[int64]string, []clients.Clinician, error) {
	list, err := h.Clients.Clinicians(r.Context(), current(r).Actor)
	if err != nil {
		return nil, nil, err
	}
	names := make(map[int64]string, len(list))
	for _, c := range list {
		names[c.ID] = c.DisplayName()
	}
	return names, list, nil
}

func (h *Handler) clientRows(r *http.Request, found []clients.Summary) ([]clientRow, error) {
	names, _, err := h.clinicianNames(r)
	if err != nil {
		return nil, err
	}
	rows := make([]clientRow, len(found))
	for i, s := range found {
		rows[i] = clientRow{Summary: s, Clinician: names[s.PrimaryClinicianID]}
	}
	return rows, nil
}

func validStatus(s string) string {
	if slices.Contains(clients.Statuses, clients.Status(s)) {
		return s
	}
	return ""
}

// ListClients lists the clients the user may see, oldest registration
// first, a page at a time; ?status= narrows it (a status is not PHI).
func (h *Handler) ListClients(w http.ResponseWriter, r *http.Request) {
	a := current(r)
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	status := validStatus(r.URL.Query().Get("status"))
	found, err := h.Clients.Search(r.Context(), a.Actor, clients.SearchFilter{Status: clients.Status(status), AfterID: after, Limit: clientPageSize})
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.renderClientList(w, r, http.StatusOK, &clientListPage{Status: status, After: after}, found)
}

// SearchClients answers the search form. It is a POST so that names and
// birth dates stay out of URLs, browser history and logs; it renders the
// results directly.
func (h *Handler) SearchClients(w http.ResponseWriter, r *http.Request) {
	f := newForm(r, "q", "status")
	p := &clientListPage{Query: f.Values["q"], Status: validStatus(f.Values["status"]), Searched: true}
	p.Form.Values = f.Values
	if p.Query == "" {
		p.Searched = false
	}
	found, err := h.Clients.Search(r.Context(), current(r).Actor, clients.SearchFilter{Query: p.Query, Status: clients.Status(p.Status), Limit: clientPageSize})
	if err != nil {
		if !apperr.Is(err, apperr.CodeInvalid) {
			h.Error(w, r, err)
			return
		}
		f.fail(err, "")
		p.Form = f
		h.renderClientList(w, r, http.StatusUnprocessableEntity, p, nil)
		return
	}
	h.renderClientList(w, r, http.StatusOK, p, found)
}

func (h *Handler) renderClientList(w http.ResponseWriter, r *http.Request, status int, p *clientListPage, found []clients.Summary) {
	rows, err := h.clientRows(r, found)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	form := p.Form
	p.Page = h.base(w, r, "Clients")
	p.Form = form
	p.Rows, p.Statuses = rows, clients.Statuses
	p.CanCreate = h.Audit.Policy().Can(current(r).Actor, access.PermClientsWrite)
	if len(found) == clientPageSize {
		if p.Searched {
			p.More = true
		} else {
			q := url.Values{"after": {strconv.FormatInt(found[len(found)-1].ID, 10)}}
			if p.Status != "" {
				q.Set("status", p.Status)
			}
			p.NextHref = "/clients?" + q.Encode()
		}
	}
	h.render(w, r, status, "client_list", p)
}

type liveResults struct {
	Rows []clientRow
}

// LiveSearch answers the top bar's as-you-type search with an HTML fragment:
// the listbox of matches that search.js shows under the box.
func (h *Handler) LiveSearch(w http.ResponseWriter, r *http.Request) {
	q := r.PostFormValue("q")
	var found []clients.Summary
	var err error
	if len([]rune(q)) >= 2 {
		found, err = h.Clients.Search(r.Context(), current(r).Actor, clients.SearchFilter{Query: q, Limit: liveSearchLimit})
	}
	var rows []clientRow
	if err == nil {
		rows, err = h.clientRows(r, found)
	}
	if err != nil {
		e := web.LogError(r, h.Log, err)
		http.Error(w, e.Message, web.Status(e.Code))
		return
	}
	var buf bytes.Buffer
	if err := h.live.ExecuteTemplate(&buf, "live", liveResults{Rows: rows}); err != nil {
		h.Log.ErrorContext(r.Context(), "render", "request_id", web.RequestID(r.Context()), "page", "live", "err", err)
		http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = buf.WriteTo(w)
}
