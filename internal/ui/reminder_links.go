package ui

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/reminders"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// The pages behind the links in appointment reminders (/r/{token}). They are
// public: the signed token is the only credential, and it opens one client's
// view of one appointment until it starts. GET only shows; the buttons POST,
// because mail scanners open links to look for malware.
func init() {
	pageNames = append(pageNames, "reminder_link", "reminder_link_error")
}

type reminderLinkPage struct {
	Page
	Token string
	View  reminders.LinkView
	// Fee is FeeCents as money, empty when there is none.
	Fee       string
	Cancelled bool
	Confirmed bool
}

type reminderLinkErrorPage struct {
	Page
	Expired bool
}

// ShowReminderLink shows the appointment a reminder link is for, with
// Confirm and Cancel buttons while it is open.
func (h *Handler) ShowReminderLink(w http.ResponseWriter, r *http.Request) {
	h.renderReminderLink(w, r, http.StatusOK, "")
}

func (h *Handler) renderReminderLink(w http.ResponseWriter, r *http.Request, status int, message string) {
	if h.Reminders == nil {
		h.NotFound(w, r)
		return
	}
	token := r.PathValue("token")
	v, err := h.Reminders.OpenLink(r.Context(), h.meta(r), token)
	if err != nil {
		h.reminderLinkError(w, r, err)
		return
	}
	p := &reminderLinkPage{Page: h.base(w, r, "Your appointment"), Token: token, View: v,
		Cancelled: v.Status == scheduling.Cancelled, Confirmed: v.Status == scheduling.Confirmed}
	p.Narrow, p.PracticeName = true, v.PracticeName
	p.Form.Message = message
	if v.FeeCents > 0 {
		p.Fee = reminders.Money(v.FeeCents)
	}
	h.render(w, r, status, "reminder_link", p)
}

// ConfirmByLink confirms the appointment and shows it again.
func (h *Handler) ConfirmByLink(w http.ResponseWriter, r *http.Request) {
	if h.Reminders == nil {
		h.NotFound(w, r)
		return
	}
	token := r.PathValue("token")
	if err := h.Reminders.ConfirmByLink(r.Context(), h.meta(r), token); err != nil {
		h.reminderLinkFailed(w, r, err)
		return
	}
	h.redirect(w, r, "/r/"+token, "Thank you: your appointment is confirmed.")
}

// CancelByLink cancels the appointment, as the client, and shows it again.
// The form carries the fee the page showed, so that a fee the client has not
// seen is never charged.
func (h *Handler) CancelByLink(w http.ResponseWriter, r *http.Request) {
	if h.Reminders == nil {
		h.NotFound(w, r)
		return
	}
	token := r.PathValue("token")
	shown, _ := strconv.ParseInt(r.PostFormValue("fee_shown"), 10, 64)
	res, err := h.Reminders.CancelByLink(r.Context(), h.meta(r), token, shown)
	if err != nil {
		h.reminderLinkFailed(w, r, err)
		return
	}
	msg := "Your appointment is cancelled."
	if res.FeeCents > 0 {
		msg += " A late-cancellation fee of " + reminders.Money(res.FeeCents) + " applies."
	}
	h.redirect(w, r, "/r/"+token, msg)
}

// reminderLinkFailed shows the page again with what stopped the change, or
// the error page for a bad link.
func (h *Handler) reminderLinkFailed(w http.ResponseWriter, r *http.Request, err error) {
	if apperr.Is(err, apperr.CodeConflict) {
		h.renderReminderLink(w, r, http.StatusConflict, apperr.As(err).Message)
		return
	}
	h.reminderLinkError(w, r, err)
}

// reminderLinkError answers a link that is not (or no longer) good: 404 for
// one that is malformed, forged or points nowhere, 410 for an expired one,
// with no detail either way.
func (h *Handler) reminderLinkError(w http.ResponseWriter, r *http.Request, err error) {
	var status int
	switch {
	case errors.Is(err, reminders.ErrLinkExpired):
		status = http.StatusGone
	case errors.Is(err, reminders.ErrLinkInvalid):
		status = http.StatusNotFound
	default:
		h.Error(w, r, err)
		return
	}
	title := "This link is not valid"
	if status == http.StatusGone {
		title = "This link has expired"
	}
	p := &reminderLinkErrorPage{Page: h.base(w, r, title), Expired: status == http.StatusGone}
	p.Narrow = true
	h.render(w, r, status, "reminder_link_error", p)
}
