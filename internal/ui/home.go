package ui

import (
	"net/http"
	"net/url"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
)

type adminSummary struct {
	ActiveStaff, WithoutMFA, FailedLogins, Locations int
	// Emergency counts break-the-glass openings since EmergencySince (a
	// UTC date), which EmergencyHref lists in the audit log.
	Emergency     int
	EmergencyHref string
}

type queue struct {
	ID, Title, Empty string
}

type homePage struct {
	Page
	Admin  *adminSummary
	Queues []queue
	// Docs are the documentation to-do groups with their counts
	// (documentation.go), for clinical staff.
	Docs []docGroup
}

// roleQueues are each role's work queues (UI.md §4). Until the features that
// fill them exist they say what will appear, never invented rows.
var roleQueues = map[access.Role][]queue{
	access.RoleClinician: {
		{"agenda", "Today's agenda", "Your appointments will appear here once scheduling is set up."},
		{"notes", "Notes to write and sign", "Missing notes and unsigned drafts will appear here once documentation is set up."},
	},
	access.RoleAssociate: {
		{"agenda", "Today's agenda", "Your appointments will appear here once scheduling is set up."},
		{"waiting", "Waiting for supervisor", "Notes you sent for co-signature will appear here."},
		{"returned", "Returned to me", "Notes your supervisor returned with comments will appear here."},
	},
	access.RoleSupervisor: {
		{"review", "Review queue", "Supervisees' notes awaiting your co-signature will appear here."},
	},
	access.RoleFrontDesk: {
		{"today", "Today", "Arrivals and check-ins will appear here once scheduling is set up."},
		{"requests", "Requests", "Booking requests and new-client inquiries will appear here."},
	},
	access.RoleBiller: {
		{"claims", "Claims to submit", "Signed sessions ready to bill will appear here once billing is set up."},
		{"eras", "Remittances to post", "Received ERAs will appear here."},
	},
}

// Home is each role's landing page.
func (h *Handler) Home(w http.ResponseWriter, r *http.Request) {
	a := current(r)
	p := &homePage{Page: h.base(w, r, "Home")}
	if h.Audit.Policy().Can(a.Actor, access.PermAuditRead) {
		var s adminSummary
		var err error
		if s.ActiveStaff, s.WithoutMFA, err = h.Auth.StaffSummary(r.Context(), a.Actor); err != nil {
			h.Error(w, r, err)
			return
		}
		if s.FailedLogins, err = h.Audit.CountFailedLogins(r.Context(), a.Actor, h.Clock.Now().Add(-24*time.Hour)); err != nil {
			h.Error(w, r, err)
			return
		}
		// Whole UTC days, as the audit report filters by, so that the count
		// and the list it links to agree.
		since := h.Clock.Now().UTC().AddDate(0, 0, -7).Truncate(24 * time.Hour)
		if s.Emergency, err = h.Audit.CountEmergencyAccess(r.Context(), a.Actor, since); err != nil {
			h.Error(w, r, err)
			return
		}
		s.EmergencyHref = "/audit?" + url.Values{"emergency": {"1"}, "from": {since.Format(time.DateOnly)}}.Encode()
		locs, err := h.Practice.Locations(r.Context(), a.Actor)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		s.Locations = len(locs)
		p.Admin = &s
	}
	seen := map[string]bool{}
	for _, role := range a.User.Roles {
		for _, q := range roleQueues[role] {
			if !seen[q.ID] {
				seen[q.ID] = true
				p.Queues = append(p.Queues, q)
			}
		}
	}
	if err := h.homeDocumentation(r, p); err != nil {
		h.Error(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "home", p)
}
