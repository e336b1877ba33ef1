package ui

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
)

const auditPageSize = 50

type auditColumn struct {
	Label, Href, AriaSort string
	Sorted                bool
}

type auditPage struct {
	Page
	Entries      []audit.Entry
	Users        []auth.User
	Actions      []audit.Action
	Columns      []auditColumn
	Total, First int
	Last         int
	Sort, Dir    string
	// Links are whole URLs built here: html/template would escape the
	// separators of a query string substituted after "?".
	ExportHref         string
	PrevHref, NextHref string
}

var auditColumns = []struct{ Key, Label string }{
	{"at", "Time (UTC)"}, {"user", "User"}, {"role", "Role"}, {"action", "Action"}, {"object", "Object"},
	{"client", "Client"}, {"ip", "Source"}, {"outcome", "Outcome"},
}

// auditFilter reads the report's filters from the query string. Dates are
// whole UTC days; "to" is inclusive.
func auditFilter(q url.Values) (audit.Filter, Form, error) {
	f := audit.Filter{Sort: q.Get("sort"), Desc: q.Get("dir") != "asc", Limit: auditPageSize}
	form := Form{Values: map[string]string{}, Errors: map[string]string{}}
	for _, k := range []string{"from", "to", "user", "client", "action"} {
		form.Values[k] = strings.TrimSpace(q.Get(k))
	}
	if q.Get("emergency") == "1" {
		f.Emergency, form.Values["emergency"] = true, "1"
	}
	if f.Sort == "" {
		f.Sort = "at"
	}
	if v := form.Values["from"]; v != "" {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			form.Errors["from"] = "Use a date like 2026-01-31."
		}
		f.From = t
	}
	if v := form.Values["to"]; v != "" {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			form.Errors["to"] = "Use a date like 2026-01-31."
		}
		f.To = t.AddDate(0, 0, 1)
	}
	if v := form.Values["user"]; v != "" {
		f.UserID, _ = strconv.ParseInt(v, 10, 64)
	}
	if v := form.Values["client"]; v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			form.Errors["client"] = "Enter a client's numeric ID."
		}
		f.ClientID = id
	}
	if v := form.Values["action"]; v != "" {
		f.Action = audit.Action(v)
		ok := false
		for _, a := range audit.Actions {
			ok = ok || a == f.Action
		}
		if !ok {
			form.Errors["action"] = "Choose an action from the list."
		}
	}
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	f.Offset = max(f.Offset, 0)
	if len(form.Errors) > 0 {
		return f, form, apperr.Invalid("Please correct the highlighted filters.", form.Errors)
	}
	return f, form, nil
}

func withParams(q url.Values, set map[string]string) string {
	c := url.Values{}
	for k, v := range q {
		c[k] = v
	}
	for k, v := range set {
		if v == "" {
			c.Del(k)
		} else {
			c.Set(k, v)
		}
	}
	return c.Encode()
}

// ShowAudit is the audit report: filter, sort by any column, paginate.
func (h *Handler) ShowAudit(w http.ResponseWriter, r *http.Request) {
	a := current(r)
	q := r.URL.Query()
	f, form, ferr := auditFilter(q)
	p := &auditPage{Page: h.base(w, r, "Audit log"), Actions: audit.Actions, Sort: f.Sort, Dir: "desc"}
	if !f.Desc {
		p.Dir = "asc"
	}
	p.Form = form
	users, err := h.Auth.Users(r.Context(), a.Actor, auth.UserFilter{Limit: 500})
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p.Users = users
	status := http.StatusOK
	if ferr != nil {
		p.Form.fail(ferr, "")
		status = http.StatusUnprocessableEntity
	} else {
		page, err := h.Audit.Find(r.Context(), a.Actor, f)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		p.Entries, p.Total = page.Entries, page.Total
		if len(page.Entries) > 0 {
			p.First, p.Last = f.Offset+1, f.Offset+len(page.Entries)
		}
		if f.Offset > 0 {
			p.PrevHref = "/audit?" + withParams(q, map[string]string{"offset": strconv.Itoa(max(f.Offset-auditPageSize, 0))})
		}
		if f.Offset+len(page.Entries) < page.Total {
			p.NextHref = "/audit?" + withParams(q, map[string]string{"offset": strconv.Itoa(f.Offset + auditPageSize)})
		}
	}
	p.ExportHref = "/audit.csv?" + withParams(q, map[string]string{"offset": ""})
	for _, c := range auditColumns {
		col := auditColumn{Label: c.Label, Sorted: c.Key == f.Sort}
		dir := "desc"
		if col.Sorted {
			col.AriaSort = "descending"
			if !f.Desc {
				col.AriaSort = "ascending"
			} else {
				dir = "asc"
			}
		}
		col.Href = "/audit?" + withParams(q, map[string]string{"sort": c.Key, "dir": dir, "offset": ""})
		p.Columns = append(p.Columns, col)
	}
	h.render(w, r, status, "audit", p)
}

// ExportAudit streams the filtered report as CSV; the export is audited.
func (h *Handler) ExportAudit(w http.ResponseWriter, r *http.Request) {
	f, _, err := auditFilter(r.URL.Query())
	if err != nil {
		h.Error(w, r, err)
		return
	}
	started := false
	var cw *csv.Writer
	err = h.Audit.Export(r.Context(), current(r).Actor, f, func(e audit.Entry) error {
		if !started {
			started = true
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="audit-log.csv"`)
			cw = csv.NewWriter(w)
			_ = cw.Write([]string{"seq", "time_utc", "user_id", "user", "role", "action", "object_type", "object_id", "client_id", "ip", "user_agent", "outcome", "detail", "request_id", "hash"})
		}
		return cw.Write([]string{strconv.FormatInt(e.Seq, 10), e.At.Format(time.RFC3339Nano), strconv.FormatInt(e.UserID, 10), csvSafe(e.UserName), e.Role,
			string(e.Action), e.ObjectType, e.ObjectID, strconv.FormatInt(e.ClientID, 10), e.IP, csvSafe(e.UserAgent), string(e.Outcome), csvSafe(e.Detail), e.RequestID, e.Hash})
	})
	if err != nil && !started {
		h.Error(w, r, err)
		return
	}
	if !started { // no rows: still a valid file with its header
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="audit-log.csv"`)
		cw = csv.NewWriter(w)
		_ = cw.Write([]string{"seq", "time_utc", "user_id", "user", "role", "action", "object_type", "object_id", "client_id", "ip", "user_agent", "outcome", "detail", "request_id", "hash"})
	}
	cw.Flush()
}

// csvSafe defuses spreadsheet formulas in free text (CSV injection).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
