// Package app wires MentalSpace together: the route table, the middleware
// every request passes through, and the operational endpoints.
package app

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/api"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/clinical"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/web"
	"github.com/mentalspace/mentalspace/internal/practice"
	"github.com/mentalspace/mentalspace/internal/reminders"
	"github.com/mentalspace/mentalspace/internal/scheduling"
	"github.com/mentalspace/mentalspace/internal/ui"
)

// Deps are the app's collaborators, built by the command.
type Deps struct {
	DB       *db.DB
	Clock    clock.Clock
	Log      *slog.Logger
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
	// Reminders sends appointment reminders and serves their links.
	Reminders *reminders.Service
	Registry  *prometheus.Registry
	// SecureCookies is true when browsers reach us over TLS.
	SecureCookies bool
	TrustProxy    bool
	Version       string
}

// App is the HTTP application.
type App struct {
	Deps
	ui      *ui.Handler
	api     *api.Handler
	handler http.Handler
	table   []Route

	readyMu  sync.Mutex
	readyAt  time.Time
	readyErr error
}

// New builds the app and its handler.
func New(d Deps) (*App, error) {
	uh, err := ui.New(ui.Deps{Auth: d.Auth, Audit: d.Audit, Practice: d.Practice, Clients: d.Clients, Scheduling: d.Scheduling, Reminders: d.Reminders, Notes: d.Notes, Clinical: d.Clinical, Clock: d.Clock, Log: d.Log,
		Cookies: ui.Cookies{Secure: d.SecureCookies}, Version: d.Version, TrustProxy: d.TrustProxy})
	if err != nil {
		return nil, err
	}
	a := &App{Deps: d, ui: uh, api: &api.Handler{Auth: d.Auth, Audit: d.Audit, Clients: d.Clients, Scheduling: d.Scheduling, Notes: d.Notes, Clinical: d.Clinical, Log: d.Log}}
	mux := http.NewServeMux()
	a.table = a.routes()
	for _, rt := range a.table {
		mux.Handle(rt.Method+" "+rt.Pattern, a.gate(rt))
	}
	metrics := web.NewMetrics(d.Registry)
	var h http.Handler = mux
	h = http.NewCrossOriginProtection().Handler(h)
	// No request needs more than a megabyte (forms, JSON); multipart bodies
	// would otherwise spill to temporary files of any size.
	h = limitBody(h, 1<<20)
	h = web.SecurityHeaders(d.SecureCookies)(h)
	h = web.Recover(d.Log)(h)
	h = web.Observe(d.Log, metrics)(h)
	h = web.WithRequestID(h)
	a.handler = h
	return a, nil
}

// limitBody caps request bodies. Unlike http.MaxBytesHandler it keeps the
// same *http.Request, so the logging middleware still sees the route pattern
// the mux records on it.
func limitBody(next http.Handler, n int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
}

// ServeHTTP serves a request.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

// Routes returns the route table, for tests and documentation.
func (a *App) Routes() []Route { return a.table }

func (a *App) actorMeta(r *http.Request) (ip, ua, reqID string) {
	return web.ClientIP(r, a.TrustProxy), r.UserAgent(), web.RequestID(r.Context())
}

// gate applies a route's access rule before its handler.
func (a *App) gate(rt Route) http.Handler {
	switch rt.Access {
	case SignedIn, Staff:
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.serveSession(rt, w, r) })
	case Token:
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.serveToken(rt, w, r) })
	}
	return rt.Handler
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

func (a *App) serveSession(rt Route, w http.ResponseWriter, r *http.Request) {
	ip, ua, reqID := a.actorMeta(r)
	var token string
	if c, err := r.Cookie(a.ui.Cookies.Name()); err == nil {
		token = c.Value
	}
	s, err := a.Auth.Authenticate(r.Context(), token, ip, ua, reqID)
	if err != nil {
		if apperr.Is(err, apperr.CodeUnauthorized) {
			if token != "" {
				http.SetCookie(w, &http.Cookie{Name: a.ui.Cookies.Name(), Path: "/", MaxAge: -1, HttpOnly: true, Secure: a.SecureCookies, SameSite: http.SameSiteLaxMode})
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		a.ui.Error(w, r, err)
		return
	}
	r = r.WithContext(auth.NewContext(r.Context(), s))
	// Every state-changing request carries the session's CSRF token, on top
	// of the cross-origin check that wraps the whole mux.
	if unsafeMethod(r.Method) {
		sent := r.PostFormValue("csrf_token")
		if sent == "" {
			sent = r.Header.Get("X-CSRF-Token")
		}
		if subtle.ConstantTimeCompare([]byte(sent), []byte(s.Session.CSRFToken)) != 1 {
			a.ui.Error(w, r, &apperr.Error{Code: apperr.CodeForbidden, Message: "This form has expired. Go back, reload the page and try again."})
			return
		}
	}
	if rt.Access == Staff {
		switch s.Stage {
		case auth.StageMFAChallenge:
			http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
			return
		case auth.StageMFAEnrol:
			http.Redirect(w, r, "/mfa/setup", http.StatusSeeOther)
			return
		}
		ev := audit.Event{Action: methodAction(r.Method), ObjectType: "route", ObjectID: rt.Method + " " + rt.Pattern}
		if _, err := a.Audit.Authorize(r.Context(), s.Actor, rt.Perm, access.Target{}, ev); err != nil {
			a.ui.Error(w, r, err)
			return
		}
	}
	rt.Handler(w, r)
}

func (a *App) serveToken(rt Route, w http.ResponseWriter, r *http.Request) {
	ip, ua, reqID := a.actorMeta(r)
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mentalspace"`)
		web.JSONError(w, r, a.Log, apperr.Unauthorized("Send an API token as Authorization: Bearer <token>."))
		return
	}
	actor, err := a.Auth.AuthenticateToken(r.Context(), strings.TrimSpace(bearer), ip, ua, reqID)
	if err != nil {
		if apperr.Is(err, apperr.CodeUnauthorized) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mentalspace", error="invalid_token"`)
		}
		web.JSONError(w, r, a.Log, err)
		return
	}
	ev := audit.Event{Action: methodAction(r.Method), ObjectType: "route", ObjectID: rt.Method + " " + rt.Pattern}
	if _, err := a.Audit.Authorize(r.Context(), actor, rt.Perm, access.Target{}, ev); err != nil {
		web.JSONError(w, r, a.Log, err)
		return
	}
	rt.Handler(w, api.WithActor(r, actor))
}

func methodAction(m string) audit.Action {
	switch m {
	case http.MethodGet, http.MethodHead:
		return audit.ActionRead
	case http.MethodPost:
		return audit.ActionCreate
	case http.MethodDelete:
		return audit.ActionDelete
	}
	return audit.ActionUpdate
}

func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz reports whether this instance can serve: the database answers and
// its schema is the one this binary expects.
func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := a.DB.Ping(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database unreachable\n"))
		return
	}
	if err := a.migrationsCurrent(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("migrations not current\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// migrationsCurrent checks the schema version at most every ten seconds: the
// check goes through the SQLite writer, and probes are anonymous.
func (a *App) migrationsCurrent(ctx context.Context) error {
	a.readyMu.Lock()
	defer a.readyMu.Unlock()
	if time.Since(a.readyAt) < 10*time.Second {
		return a.readyErr
	}
	a.readyErr, a.readyAt = a.DB.CheckCurrent(ctx), time.Now()
	return a.readyErr
}

// metrics serves Prometheus only to scrapers on this machine: the figures
// (sign-in failures, job outcomes) are nobody else's business. A request that
// came through a proxy carries X-Forwarded-For and is refused too.
func (a *App) metrics(w http.ResponseWriter, r *http.Request) {
	if ip := net.ParseIP(web.ClientIP(r, false)); ip == nil || !ip.IsLoopback() || r.Header.Get("X-Forwarded-For") != "" {
		a.ui.NotFound(w, r)
		return
	}
	promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}
