package ui

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"

	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/web"
)

// Passkeys need JavaScript (navigator.credentials), so their endpoints speak
// JSON to static/passkey.js; every page that offers them still works without
// it, with a code. Their buttons are rendered hidden and shown by the script
// only where the browser supports WebAuthn.

// passkeyView is what a page needs to offer passkeys.
type passkeyView struct {
	// Usable is true when passkeys are configured and this page was opened
	// on the host they are bound to.
	Usable bool
	// Elsewhere is the address to open the site at to use passkeys, when
	// this host cannot ("http://localhost:8080"); empty when they are off.
	Elsewhere string
	// List is the user's passkeys (account page only).
	List []auth.Passkey
	// RemoveID and RemoveError point at a removal that failed.
	RemoveID    int64
	RemoveError string
}

// passkeyView says whether the request's host can use passkeys: WebAuthn
// binds them to the relying party id, so a page at http://127.0.0.1 cannot
// use passkeys made for localhost.
func (h *Handler) passkeyView(r *http.Request) passkeyView {
	rpID := h.Auth.PasskeyRPID()
	if rpID == "" {
		return passkeyView{}
	}
	host := r.Host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		host = hh
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == rpID || strings.HasSuffix(host, "."+rpID) {
		return passkeyView{Usable: true}
	}
	return passkeyView{Elsewhere: h.Auth.PasskeyOrigin()}
}

type challengePage struct {
	Page
	Passkey passkeyView
}

// renderChallenge shows the second-factor page: a passkey button for those
// who have one, and the code form.
func (h *Handler) renderChallenge(w http.ResponseWriter, r *http.Request, status int, f Form) {
	p := &challengePage{Page: h.base(w, r, "Two-step sign-in"), Passkey: h.passkeyView(r)}
	p.Narrow, p.Form = true, f
	h.render(w, r, status, "mfa_challenge", p)
}

// passkeyJSONError answers a passkey endpoint's failure in the API's error
// shape; a throttled or ended session also loses its cookie.
func (h *Handler) passkeyJSONError(w http.ResponseWriter, r *http.Request, err error) {
	if apperr.Is(err, apperr.CodeUnauthorized) {
		h.clearSessionCookie(w)
	}
	web.JSONError(w, r, h.Log, err)
}

// passkeyNext is where the browser goes after a passkey step.
type passkeyNext struct {
	Next string `json:"next"`
	// RecoveryCodes are shown once by the script when a passkey turned
	// two-step sign-in on.
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
}

// BeginPasskeyRegistration returns the options for navigator.credentials.create.
func (h *Handler) BeginPasskeyRegistration(w http.ResponseWriter, r *http.Request) {
	opts, err := h.Auth.BeginPasskeyRegistration(r.Context(), current(r).Actor)
	if err != nil {
		h.passkeyJSONError(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, opts)
}

type passkeyRegistration struct {
	Name       string          `json:"name"`
	Credential json.RawMessage `json:"credential"`
}

// FinishPasskeyRegistration stores the new passkey.
func (h *Handler) FinishPasskeyRegistration(w http.ResponseWriter, r *http.Request) {
	a := current(r)
	var in passkeyRegistration
	if err := web.DecodeJSON(r, &in); err != nil {
		h.passkeyJSONError(w, r, err)
		return
	}
	if err := h.rotateSession(w, r); err != nil {
		h.passkeyJSONError(w, r, err)
		return
	}
	p, codes, err := h.Auth.FinishPasskeyRegistration(r.Context(), a.Actor, in.Name, in.Credential)
	if err != nil {
		h.passkeyJSONError(w, r, err)
		return
	}
	next := "/account"
	if a.Stage == auth.StageMFAEnrol {
		next = "/"
	}
	if codes == nil {
		h.flash(w, "Passkey “"+p.Name+"” was added.")
	}
	web.JSON(w, http.StatusOK, passkeyNext{Next: next, RecoveryCodes: codes})
}

// BeginPasskeyLogin returns the options for navigator.credentials.get.
func (h *Handler) BeginPasskeyLogin(w http.ResponseWriter, r *http.Request) {
	a := current(r)
	if a.Stage != auth.StageMFAChallenge {
		web.JSON(w, http.StatusOK, passkeyNext{Next: "/"})
		return
	}
	opts, err := h.Auth.BeginPasskeyLogin(r.Context(), a.Actor)
	if err != nil {
		h.passkeyJSONError(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, opts)
}

// FinishPasskeyLogin checks the passkey and completes the sign-in.
func (h *Handler) FinishPasskeyLogin(w http.ResponseWriter, r *http.Request) {
	a := current(r)
	if a.Stage != auth.StageMFAChallenge {
		web.JSON(w, http.StatusOK, passkeyNext{Next: "/"})
		return
	}
	body, err := readJSON(r)
	if err == nil {
		err = h.rotateSession(w, r)
	}
	if err == nil {
		err = h.Auth.FinishPasskeyLogin(r.Context(), a.Actor, body)
	}
	if err != nil {
		h.passkeyJSONError(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, passkeyNext{Next: "/"})
}

// readJSON reads a JSON body of at most 64 KiB, a generous bound for one
// WebAuthn answer.
func readJSON(r *http.Request) ([]byte, error) {
	var raw json.RawMessage
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 64<<10))
	if err := dec.Decode(&raw); err != nil {
		return nil, apperr.Invalid("The request body is not valid JSON.", nil)
	}
	return raw, nil
}

// RemovePasskey deletes one of the user's passkeys after checking their password.
func (h *Handler) RemovePasskey(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = h.Auth.RemovePasskey(r.Context(), current(r).Actor, id, r.PostFormValue("password"))
	}
	if err != nil {
		if !apperr.Is(err, apperr.CodeInvalid) {
			h.Error(w, r, err)
			return
		}
		e := apperr.As(err)
		p := &accountPage{Page: h.base(w, r, "My account")}
		p.Form.Message = e.Message
		if msg := e.Fields["password"]; msg != "" {
			p.Form.Message = msg
		}
		p.Passkey.RemoveID, p.Passkey.RemoveError = id, p.Form.Message
		h.renderAccount(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	h.redirect(w, r, "/account", "The passkey was removed.")
}
