// Package ui is the staff web interface: server-rendered pages over the
// domain services. Handlers decode a form, call one service method with the
// acting user, and render a typed view or redirect (post/redirect/get).
package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/clinical"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/web"
	"github.com/mentalspace/mentalspace/internal/practice"
	"github.com/mentalspace/mentalspace/internal/reminders"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Static serves the stylesheet and script.
func Static() http.Handler {
	sub, _ := fs.Sub(staticFiles, "static")
	fsrv := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	})
}

// Cookies says how session cookies are set.
type Cookies struct {
	// Secure is true over TLS (directly or through a trusted proxy): the
	// cookie is then named with the __Host- prefix and marked Secure.
	Secure bool
}

// Name is the session cookie's name.
func (c Cookies) Name() string {
	if c.Secure {
		return "__Host-ms_session"
	}
	return "ms_session"
}

// Deps are what the handlers use.
type Deps struct {
	Auth     *auth.Service
	Audit    *audit.Log
	Practice *practice.Service
	Clients  *clients.Service
	// Scheduling is the calendar.
	Scheduling *scheduling.Service
	// Notes is clinical documentation; Clinical the diagnoses, medications,
	// risk assessments and safety plans.
	Notes    *notes.Service
	Clinical *clinical.Service
	// Reminders serves the confirm/cancel links in appointment reminders.
	Reminders *reminders.Service
	Clock     clock.Clock
	Log       *slog.Logger
	Cookies   Cookies
	Version   string
	// TrustProxy believes X-Forwarded-For from a loopback proxy.
	TrustProxy bool
}

// Handler holds the parsed templates and the services.
type Handler struct {
	Deps
	pages map[string]*template.Template
	// live renders the as-you-type search results, a fragment without the layout.
	live *template.Template
}

var pageNames = []string{"error", "setup", "login", "mfa_challenge", "mfa_enrol", "recovery_codes", "home",
	"staff_list", "staff_form", "settings", "account", "audit",
	"client_list", "client_form", "client_chart", "client_denied",
	// The client record's related data (client_records.go, client_people.go,
	// client_merge.go) and the payer directory (payers.go).
	"client_policy_form", "client_authorization_form", "client_contact_form", "client_relation_form", "client_consent_form",
	"client_consent_revoke", "client_alert_form", "client_merge", "payer_list", "payer_form"}

// pageParts lists the shared partial files a page parses besides the layout;
// feature files register theirs in init, beside their page names.
var pageParts = map[string][]string{}

// New parses every page at start-up, failing fast on a broken template.
func New(d Deps) (*Handler, error) {
	h := &Handler{Deps: d, pages: map[string]*template.Template{}}
	funcs := template.FuncMap{
		"input":   inputField,
		"fmtTime": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"shortUA": shortUA,
		"group4":  group4,
		"status":  statusChip,
		"sel":     selectOf,
		// emergency marks audit entries of break-the-glass access.
		"emergency": func(detail string) bool { return strings.HasPrefix(detail, audit.EmergencyDetail) },
	}
	for _, name := range pageNames {
		files := []string{"templates/layout.html", "templates/" + name + ".html"}
		if strings.HasPrefix(name, "client_") || strings.HasPrefix(name, "payer_") {
			files = append(files, "templates/client_parts.html", "templates/record_parts.html")
		}
		files = append(files, pageParts[name]...)
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFiles, files...)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		h.pages[name] = t
	}
	live, err := template.New("live").Funcs(funcs).ParseFS(templateFiles, "templates/client_parts.html")
	if err != nil {
		return nil, fmt.Errorf("parse template client_parts: %w", err)
	}
	h.live = live
	return h, nil
}

// Form carries what the user typed and what is wrong with it.
type Form struct {
	Values  map[string]string
	Errors  map[string]string
	Message string
}

func newForm(r *http.Request, names ...string) Form {
	f := Form{Values: map[string]string{}, Errors: map[string]string{}}
	for _, n := range names {
		f.Values[n] = strings.TrimSpace(r.PostFormValue(n))
	}
	return f
}

// fail copies an application error into the form.
func (f *Form) fail(err error, prefix string) {
	e := apperr.As(err)
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	for k, v := range e.Fields {
		f.Errors[prefix+k] = v
	}
	if len(e.Fields) == 0 || e.Code != apperr.CodeInvalid {
		f.Message = e.Message
	}
}

// Input is one labelled input for the "input" template.
type Input struct {
	Name, Label, Type, Value, Error, Hint, Autocomplete string
	Required                                            bool
	Extra                                               template.HTMLAttr
}

// inputField builds an Input; options are "required", "novalue" (never echo,
// for passwords and codes), "hint=…", "autocomplete=…", "extra=attr=value …".
func inputField(name, label, typ string, f Form, opts ...string) Input {
	in := Input{Name: name, Label: label, Type: typ, Value: f.Values[name], Error: f.Errors[name]}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "required":
			in.Required = true
		case "novalue":
			in.Value = ""
		case "hint":
			in.Hint = v
		case "autocomplete":
			in.Autocomplete = v
		case "extra":
			in.Extra = template.HTMLAttr(v) // written by us in templates, never user input
		}
	}
	return in
}

// group4 spaces a long code in groups of four for reading aloud or typing;
// authenticator apps ignore the spaces.
func group4(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func shortUA(ua string) string {
	for _, b := range []string{"Edg/", "Firefox/", "Chrome/", "Safari/", "curl/"} {
		if i := strings.Index(ua, b); i >= 0 {
			name := strings.TrimSuffix(b, "/")
			if name == "Edg" {
				name = "Edge"
			}
			ver := ua[i+len(b):]
			if j := strings.IndexAny(ver, ". "); j > 0 {
				ver = ver[:j]
			}
			return name + " " + ver
		}
	}
	if len(ua) > 40 {
		return ua[:40] + "…"
	}
	return ua
}

// NavItem is a link in the top bar.
type NavItem struct {
	Href, Label string
	Current     bool
}

// Page is what every page's view embeds.
type Page struct {
	Title        string
	User         *auth.User
	Ready        bool
	CSRF         string
	Flash        string
	Nav          []NavItem
	PracticeName string
	IdleSeconds  int
	Narrow       bool
	Version      string
	Form         Form
	// ClientSearch shows the client search box in the top bar.
	ClientSearch bool
}

func (p *Page) page() *Page { return p }

type pager interface{ page() *Page }

// nav lists the sections a user's roles open, asking the one policy.
func (h *Handler) nav(a auth.Authenticated, path string) []NavItem {
	if a.Stage != auth.StageReady {
		return nil
	}
	pol := h.Audit.Policy()
	items := []NavItem{{Href: "/", Label: "Home"}}
	// UI.md §2: the front desk works from Today; everyone who books sees the
	// calendar and the waitlist.
	if a.Actor.Has(access.RoleFrontDesk) || a.Actor.Has(access.RoleAdmin) {
		items = append(items, NavItem{Href: "/today", Label: "Today"})
	}
	if pol.Can(a.Actor, access.PermScheduleRead) {
		items = append(items, NavItem{Href: "/calendar", Label: "Calendar"})
	}
	if pol.Can(a.Actor, access.PermScheduleWrite) {
		items = append(items, NavItem{Href: "/waitlist", Label: "Waitlist"})
	}
	if pol.Can(a.Actor, access.PermClientsRead) {
		items = append(items, NavItem{Href: "/clients", Label: "Clients"})
	}
	// Clinical documentation (notes.go): the dashboard for clinical staff,
	// the co-signature queue for supervisors.
	if pol.Can(a.Actor, access.PermClinicalRead) {
		items = append(items, NavItem{Href: "/documentation", Label: "Documentation"})
	}
	if pol.Can(a.Actor, access.PermNotesCosign) {
		items = append(items, NavItem{Href: "/review", Label: "Review"})
	}
	// Everyone who reads insurance may open /payers; the menu offers it to
	// those who keep the directory (UI.md §2: billers' Payers).
	if pol.Can(a.Actor, access.PermPayersManage) {
		items = append(items, NavItem{Href: "/payers", Label: "Payers"})
	}
	if pol.Can(a.Actor, access.PermUsersRead) {
		items = append(items, NavItem{Href: "/staff", Label: "Staff"})
	}
	if pol.Can(a.Actor, access.PermSettingsManage) {
		items = append(items, NavItem{Href: "/settings", Label: "Settings"})
	}
	if pol.Can(a.Actor, access.PermScheduleManage) {
		items = append(items, NavItem{Href: "/schedule/setup", Label: "Scheduling setup"})
	}
	if pol.Can(a.Actor, access.PermAuditRead) {
		items = append(items, NavItem{Href: "/audit", Label: "Audit log"})
	}
	for i := range items {
		items[i].Current = items[i].Href == path || (items[i].Href != "/" && strings.HasPrefix(path, items[i].Href+"/"))
	}
	return items
}

// base fills the common part of a page for the request.
func (h *Handler) base(w http.ResponseWriter, r *http.Request, title string) Page {
	p := Page{Title: title, Version: h.Version, Flash: h.takeFlash(w, r)}
	p.PracticeName = h.Practice.Name(r.Context())
	if a, ok := auth.FromContext(r.Context()); ok {
		u := a.User
		p.User, p.CSRF, p.Ready = &u, a.Session.CSRFToken, a.Stage == auth.StageReady
		p.Nav = h.nav(a, r.URL.Path)
		p.ClientSearch = p.Ready && h.Audit.Policy().Can(a.Actor, access.PermClientsRead)
		p.IdleSeconds = int(a.IdleTimeout.Seconds())
	}
	return p
}

// render writes a page with status.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v pager) {
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		h.Log.ErrorContext(r.Context(), "render", "request_id", web.RequestID(r.Context()), "page", name, "err", err)
		http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

type errorPage struct {
	Page
	Message string
}

// Error renders err as a page with the status its code maps to.
func (h *Handler) Error(w http.ResponseWriter, r *http.Request, err error) {
	e := web.LogError(r, h.Log, err)
	status := web.Status(e.Code)
	if e.Code == apperr.CodeUnauthorized {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	title := map[int]string{403: "Not allowed", 404: "Not found", 409: "Changed by someone else", 422: "Check your input"}[status]
	if title == "" {
		title = "Something went wrong"
	}
	p := &errorPage{Page: h.base(w, r, title), Message: e.Message}
	h.render(w, r, status, "error", p)
}

// NotFound renders the 404 page.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request) {
	h.Error(w, r, apperr.NotFound("page"))
}

const flashCookie = "ms_flash"

// flash sets a one-time message for the next page. Messages are ours, never PHI.
func (h *Handler) flash(w http.ResponseWriter, msg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: "/", HttpOnly: true, Secure: h.Cookies.Secure, SameSite: http.SameSiteLaxMode, MaxAge: 60})
}

func (h *Handler) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.Cookies.Secure})
	msg, _ := url.QueryUnescape(c.Value)
	return msg
}

func (h *Handler) redirect(w http.ResponseWriter, r *http.Request, to, flash string) {
	if flash != "" {
		h.flash(w, flash)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// current returns the request's session; the route's access rule guarantees one.
func current(r *http.Request) auth.Authenticated {
	a, _ := auth.FromContext(r.Context())
	return a
}

func (h *Handler) meta(r *http.Request) access.Actor {
	return access.Actor{IP: web.ClientIP(r, h.TrustProxy), UserAgent: r.UserAgent(), RequestID: web.RequestID(r.Context())}
}

// SetSessionCookie stores the session token in the browser.
func (h *Handler) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: h.Cookies.Name(), Value: token, Path: "/", HttpOnly: true, Secure: h.Cookies.Secure, SameSite: http.SameSiteLaxMode})
}

// rotateSession gives the session a new token before a second factor is
// checked (auth.Service.RotateSession) and sends it to the browser. The
// caller shows an error its own way (a page, or JSON for passkeys).
func (h *Handler) rotateSession(w http.ResponseWriter, r *http.Request) error {
	token, err := h.Auth.RotateSession(r.Context(), current(r).Actor)
	if err != nil {
		return err
	}
	h.setSessionCookie(w, token)
	return nil
}

func (h *Handler) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: h.Cookies.Name(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.Cookies.Secure, SameSite: http.SameSiteLaxMode})
}
