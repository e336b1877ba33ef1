package ui

import (
	"html/template"
	"net/http"

	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
)

type accountPage struct {
	Page
	Sessions     []auth.Session
	Tokens       []auth.Token
	RecoveryLeft int
	NewToken     string
	TokenForm    Form
	CodesForm    Form
	Passkey      passkeyView
	// Schedule is the user's availability link and calendar feeds (feeds.go);
	// NewFeedURL and NewFeedWebcal show a just-made feed's address once.
	Schedule      scheduleAccount
	NewFeedURL    string
	NewFeedWebcal template.URL
}

func (h *Handler) renderAccount(w http.ResponseWriter, r *http.Request, status int, p *accountPage) {
	a := current(r)
	var err error
	if p.Sessions, err = h.Auth.Sessions(r.Context(), a.Actor); err != nil {
		h.Error(w, r, err)
		return
	}
	if p.Tokens, err = h.Auth.Tokens(r.Context(), a.Actor); err != nil {
		h.Error(w, r, err)
		return
	}
	if p.RecoveryLeft, err = h.Auth.RecoveryCodesLeft(r.Context(), a.Actor); err != nil {
		h.Error(w, r, err)
		return
	}
	pk := h.passkeyView(r)
	pk.RemoveID, pk.RemoveError = p.Passkey.RemoveID, p.Passkey.RemoveError
	if pk.List, err = h.Auth.ListPasskeys(r.Context(), a.Actor); err != nil {
		h.Error(w, r, err)
		return
	}
	p.Passkey = pk
	if p.Schedule, err = h.scheduleAccount(r); err != nil {
		h.Error(w, r, err)
		return
	}
	if p.Page.Title == "" {
		p.Page = h.base(w, r, "My account")
	}
	h.render(w, r, status, "account", p)
}

// ShowAccount shows password, MFA and passkeys, sessions and tokens.
func (h *Handler) ShowAccount(w http.ResponseWriter, r *http.Request) {
	h.renderAccount(w, r, http.StatusOK, &accountPage{})
}

// ChangePassword changes the signed-in user's password.
func (h *Handler) ChangePassword(w http.ResponseWriter, r *http.Request) {
	err := h.Auth.ChangePassword(r.Context(), current(r).Actor, r.PostFormValue("current_password"), r.PostFormValue("new_password"))
	if err != nil {
		if !apperr.Is(err, apperr.CodeInvalid) {
			h.Error(w, r, err)
			return
		}
		p := &accountPage{Page: h.base(w, r, "My account")}
		p.Form.fail(err, "")
		h.renderAccount(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	h.redirect(w, r, "/account", "Your password was changed. Your other sessions have ended.")
}

// NewRecoveryCodes replaces the recovery codes and shows them once.
func (h *Handler) NewRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	codes, err := h.Auth.NewRecoveryCodes(r.Context(), current(r).Actor, r.PostFormValue("password"))
	if err != nil {
		if !apperr.Is(err, apperr.CodeInvalid) {
			h.Error(w, r, err)
			return
		}
		p := &accountPage{Page: h.base(w, r, "My account")}
		p.CodesForm.fail(err, "")
		p.Form.Message = p.CodesForm.Errors["password"]
		h.renderAccount(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	p := &codesPage{Page: h.base(w, r, "Save your recovery codes"), Codes: codes, Next: "/account"}
	p.Narrow = true
	h.render(w, r, http.StatusOK, "recovery_codes", p)
}

// RevokeSession signs one of the user's other sessions out.
func (h *Handler) RevokeSession(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = h.Auth.RevokeSession(r.Context(), current(r).Actor, id)
	}
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.redirect(w, r, "/account", "That session was signed out.")
}

// RevokeAllSessions signs the user out everywhere, this browser included.
func (h *Handler) RevokeAllSessions(w http.ResponseWriter, r *http.Request) {
	if err := h.Auth.LogoutEverywhere(r.Context(), current(r).Actor); err != nil {
		h.Error(w, r, err)
		return
	}
	h.clearSessionCookie(w)
	h.redirect(w, r, "/login", "You are signed out everywhere.")
}

// CreateToken makes an API token and shows it once.
func (h *Handler) CreateToken(w http.ResponseWriter, r *http.Request) {
	f := newForm(r, "token_name")
	plain, _, err := h.Auth.CreateToken(r.Context(), current(r).Actor, f.Values["token_name"])
	p := &accountPage{Page: h.base(w, r, "My account"), TokenForm: f}
	if err != nil {
		if !apperr.Is(err, apperr.CodeInvalid) {
			h.Error(w, r, err)
			return
		}
		e := apperr.As(err)
		p.TokenForm.Errors = map[string]string{"token_name": e.Fields["name"]}
		p.Form.Message = e.Fields["name"]
		h.renderAccount(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	// Rendered, not redirected: the token exists in clear only in this response.
	p.NewToken, p.TokenForm = plain, Form{}
	h.renderAccount(w, r, http.StatusOK, p)
}

// RevokeToken revokes one of the user's tokens.
func (h *Handler) RevokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = h.Auth.RevokeToken(r.Context(), current(r).Actor, id)
	}
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.redirect(w, r, "/account", "The token was revoked.")
}
