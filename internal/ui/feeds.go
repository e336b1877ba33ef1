package ui

import (
	"html/template"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/web"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// Calendar feeds: a clinician subscribes their own calendar app to a secret
// address (managed on My account); the address answers without a session.

// scheduleAccount is the account page's scheduling section.
type scheduleAccount struct {
	// Offered: the user has appointments of their own (a caseload role).
	Offered bool
	// AvailabilityHref is where they keep their hours, when they may.
	AvailabilityHref string
	Feeds            []scheduling.Feed
}

// scheduleAccount fills the section for the signed-in user.
func (h *Handler) scheduleAccount(r *http.Request) (scheduleAccount, error) {
	a := current(r).Actor
	var s scheduleAccount
	s.Offered = slices.ContainsFunc(a.Roles, func(r access.Role) bool { return slices.Contains(access.CaseloadRoles, r) })
	if !s.Offered || h.Scheduling == nil {
		return scheduleAccount{}, nil
	}
	if h.Audit.Policy().Can(a, access.PermScheduleWrite) {
		s.AvailabilityHref = availabilityPath(a.UserID)
	}
	var err error
	s.Feeds, err = h.Scheduling.Feeds(r.Context(), a)
	return s, err
}

// feedAddress is the feed's URL as this browser reaches the server, and
// the same as a webcal:// link that calendar apps open to subscribe (a
// scheme html/template would otherwise refuse in an href; the host passed
// net/http's Host header validation).
func (h *Handler) feedAddress(r *http.Request, token string) (string, template.URL) {
	scheme := "http"
	if h.Cookies.Secure {
		scheme = "https"
	}
	path := "/feeds/" + token + ".ics"
	return scheme + "://" + r.Host + path, template.URL("webcal://" + r.Host + path)
}

// CreateCalendarFeed makes a feed of the user's appointments and shows its
// address once.
func (h *Handler) CreateCalendarFeed(w http.ResponseWriter, r *http.Request) {
	token, _, err := h.Scheduling.CreateFeed(r.Context(), current(r).Actor, r.PostFormValue("feed_full_names") == "1")
	p := &accountPage{Page: h.base(w, r, "My account")}
	if err != nil {
		if !apperr.Is(err, apperr.CodeInvalid) {
			h.Error(w, r, err)
			return
		}
		p.Form.Message = apperr.As(err).Message
		h.renderAccount(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	// Rendered, not redirected: the address exists in clear only in this response.
	p.NewFeedURL, p.NewFeedWebcal = h.feedAddress(r, token)
	h.renderAccount(w, r, http.StatusOK, p)
}

// RevokeCalendarFeed stops one of the user's feeds.
func (h *Handler) RevokeCalendarFeed(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = h.Scheduling.RevokeFeed(r.Context(), current(r).Actor, id)
	}
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.redirect(w, r, "/account#calendar-feed", "The calendar feed was revoked. Calendar apps subscribed to it stop updating.")
}

// ServeCalendarFeed answers GET /feeds/{token}.ics for calendar apps, with no
// session: the token alone identifies the feed. Unknown and revoked tokens
// get a bare 404; nothing is cached on the way.
func (h *Handler) ServeCalendarFeed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	token, ok := strings.CutSuffix(r.PathValue("token"), ".ics")
	if !ok {
		http.Error(w, "Not found.", http.StatusNotFound)
		return
	}
	host := r.Host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		host = hh
	}
	body, err := h.Scheduling.RenderFeed(r.Context(), h.meta(r), token, strings.ToLower(host))
	if err != nil {
		e := web.LogError(r, h.Log, err)
		msg := e.Message
		if e.Code == apperr.CodeNotFound {
			msg = "Not found. This calendar feed does not exist or was revoked."
		}
		http.Error(w, msg, web.Status(e.Code))
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="appointments.ics"`)
	_, _ = w.Write(body)
}
