package ui

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/practice"
)

type formPage struct {
	Page
}

// ShowSetup shows the one-time setup form while the database is empty.
func (h *Handler) ShowSetup(w http.ResponseWriter, r *http.Request) {
	need, err := h.Auth.NeedsSetup(r.Context())
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if !need {
		h.redirect(w, r, "/login", "")
		return
	}
	p := &formPage{Page: h.base(w, r, "Set up MentalSpace")}
	p.Narrow = true
	p.Form = Form{Values: map[string]string{"practice_time_zone": "America/New_York"}}
	h.render(w, r, http.StatusOK, "setup", p)
}

// Setup creates the practice and first administrator, then signs them in.
func (h *Handler) Setup(w http.ResponseWriter, r *http.Request) {
	f := newForm(r, "practice_name", "practice_time_zone", "practice_phone", "name", "email")
	in := auth.SetupInput{
		Practice: practice.Settings{Name: f.Values["practice_name"], TimeZone: f.Values["practice_time_zone"], Phone: f.Values["practice_phone"]},
		Admin:    auth.Profile{Name: f.Values["name"], Email: f.Values["email"]},
		Password: r.PostFormValue("password"),
	}
	if _, err := h.Auth.Setup(r.Context(), h.meta(r), in); err != nil {
		if apperr.Is(err, apperr.CodeConflict) {
			h.redirect(w, r, "/login", "This practice is already set up. Please sign in.")
			return
		}
		if !apperr.Is(err, apperr.CodeInvalid) {
			h.Error(w, r, err)
			return
		}
		f.fail(err, "")
		p := &formPage{Page: h.base(w, r, "Set up MentalSpace")}
		p.Narrow, p.Form = true, f
		h.render(w, r, http.StatusUnprocessableEntity, "setup", p)
		return
	}
	h.startSession(w, r, in.Admin.Email, in.Password)
}

// ShowLogin shows the sign-in form, or sends an empty installation to setup.
func (h *Handler) ShowLogin(w http.ResponseWriter, r *http.Request) {
	if need, err := h.Auth.NeedsSetup(r.Context()); err == nil && need {
		h.redirect(w, r, "/setup", "")
		return
	}
	p := &formPage{Page: h.base(w, r, "Sign in")}
	p.Narrow = true
	h.render(w, r, http.StatusOK, "login", p)
}

// Login checks the password and starts a session with a new id.
func (h *Handler) Login(w http.ResponseWriter, r *http.Request) {
	h.startSession(w, r, r.PostFormValue("email"), r.PostFormValue("password"))
}

func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, email, password string) {
	m := h.meta(r)
	in := auth.LoginInput{Email: email, Password: password, IP: m.IP, UserAgent: m.UserAgent, RequestID: m.RequestID}
	if c, err := r.Cookie(h.Cookies.Name()); err == nil {
		in.PreviousToken = c.Value
	}
	token, _, err := h.Auth.Login(r.Context(), in)
	if err != nil {
		if !apperr.Is(err, apperr.CodeUnauthorized) {
			h.Error(w, r, err)
			return
		}
		p := &formPage{Page: h.base(w, r, "Sign in")}
		p.Narrow = true
		p.Form = Form{Values: map[string]string{"email": strings.TrimSpace(email)}, Message: apperr.As(err).Message}
		h.render(w, r, http.StatusUnauthorized, "login", p)
		return
	}
	h.setSessionCookie(w, token)
	// The stage decides where to go next: home, MFA challenge or enrolment.
	h.redirect(w, r, "/", "")
}

// ShowMFAChallenge asks for the second factor.
func (h *Handler) ShowMFAChallenge(w http.ResponseWriter, r *http.Request) {
	if current(r).Stage != auth.StageMFAChallenge {
		h.redirect(w, r, "/", "")
		return
	}
	h.renderChallenge(w, r, http.StatusOK, Form{})
}

// CompleteMFA checks the code.
func (h *Handler) CompleteMFA(w http.ResponseWriter, r *http.Request) {
	a := current(r)
	if a.Stage != auth.StageMFAChallenge {
		h.redirect(w, r, "/", "")
		return
	}
	if err := h.rotateSession(w, r); err != nil {
		h.Error(w, r, err)
		return
	}
	if err := h.Auth.CompleteMFA(r.Context(), a.Actor, r.PostFormValue("code")); err != nil {
		if apperr.Is(err, apperr.CodeUnauthorized) {
			h.clearSessionCookie(w)
			h.redirect(w, r, "/login", "")
			return
		}
		if !apperr.Is(err, apperr.CodeInvalid) {
			h.Error(w, r, err)
			return
		}
		var f Form
		f.fail(err, "")
		h.renderChallenge(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	h.redirect(w, r, "/", "")
}

type enrolPage struct {
	Page
	Enrolment auth.Enrolment
	// QR is the server-made PNG data URL, marked safe for the img src
	// (html/template would otherwise blank any data: URL).
	QR       template.URL
	Required bool
	Passkey  passkeyView
}

// ShowMFAEnrol shows the QR code and setup key.
func (h *Handler) ShowMFAEnrol(w http.ResponseWriter, r *http.Request) {
	h.renderEnrol(w, r, Form{}, http.StatusOK)
}

func (h *Handler) renderEnrol(w http.ResponseWriter, r *http.Request, f Form, status int) {
	a := current(r)
	if a.Stage == auth.StageMFAChallenge || a.User.TOTPEnabled {
		h.redirect(w, r, "/", "")
		return
	}
	enr, err := h.Auth.BeginTOTP(r.Context(), a.Actor)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p := &enrolPage{Page: h.base(w, r, "Set up two-step sign-in"), Enrolment: enr, QR: template.URL(enr.QR), Required: a.Stage == auth.StageMFAEnrol,
		Passkey: h.passkeyView(r)}
	p.Narrow, p.Form = true, f
	h.render(w, r, status, "mfa_enrol", p)
}

type codesPage struct {
	Page
	Codes []string
	Next  string
}

// ConfirmMFAEnrol checks the first code, turns MFA on and shows the recovery
// codes once (rendered, not redirected: they are never stored in clear).
func (h *Handler) ConfirmMFAEnrol(w http.ResponseWriter, r *http.Request) {
	a := current(r)
	if err := h.rotateSession(w, r); err != nil {
		h.Error(w, r, err)
		return
	}
	codes, err := h.Auth.ConfirmTOTP(r.Context(), a.Actor, r.PostFormValue("code"))
	if err != nil {
		if !apperr.Is(err, apperr.CodeInvalid) {
			h.Error(w, r, err)
			return
		}
		var f Form
		f.fail(err, "")
		h.renderEnrol(w, r, f, http.StatusUnprocessableEntity)
		return
	}
	a.User.MFAEnabled, a.Stage = true, auth.StageReady
	r = r.WithContext(auth.NewContext(r.Context(), a))
	p := &codesPage{Page: h.base(w, r, "Save your recovery codes"), Codes: codes, Next: "/"}
	p.Narrow = true
	p.Flash = "Two-step sign-in is on."
	h.render(w, r, http.StatusOK, "recovery_codes", p)
}

// Logout ends the session.
func (h *Handler) Logout(w http.ResponseWriter, r *http.Request) {
	if err := h.Auth.Logout(r.Context(), current(r).Actor); err != nil {
		h.Error(w, r, err)
		return
	}
	h.clearSessionCookie(w)
	h.redirect(w, r, "/login", "You are signed out.")
}

// KeepAlive answers the idle warning's "Stay signed in": authenticating the
// request already recorded the activity.
func (h *Handler) KeepAlive(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusNoContent)
}
