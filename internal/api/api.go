// Package api is the JSON API under /api/v1: bearer tokens, one error shape,
// cursor pagination, and an OpenAPI 3 description kept true by a test.
package api

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/clinical"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/web"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// Handler serves the API.
type Handler struct {
	Auth    *auth.Service
	Audit   *audit.Log
	Clients *clients.Service
	// Scheduling is the calendar.
	Scheduling *scheduling.Service
	// Notes is clinical documentation; Clinical the diagnoses, medications,
	// risk assessments and safety plans.
	Notes    *notes.Service
	Clinical *clinical.Service
	Log      *slog.Logger
}

type ctxKey struct{}

// WithActor stores the token's actor for the handlers.
func WithActor(r *http.Request, a access.Actor) *http.Request {
	return r.WithContext(contextWithActor(r.Context(), a))
}

func actor(r *http.Request) access.Actor {
	a, _ := r.Context().Value(ctxKey{}).(access.Actor)
	return a
}

// User is a staff account as the API shows it.
type User struct {
	ID          int64         `json:"id"`
	Email       string        `json:"email"`
	Name        string        `json:"name"`
	Credentials string        `json:"credentials"`
	NPI         string        `json:"npi"`
	Status      string        `json:"status"`
	Roles       []access.Role `json:"roles"`
	MFAEnabled  bool          `json:"mfa_enabled"`
	Version     int64         `json:"version"`
	CreatedAt   time.Time     `json:"created_at"`
}

func userJSON(u auth.User) User {
	roles := u.Roles
	if roles == nil {
		roles = []access.Role{}
	}
	return User{ID: u.ID, Email: u.Email, Name: u.Name, Credentials: u.Credentials, NPI: u.NPI, Status: string(u.Status),
		Roles: roles, MFAEnabled: u.MFAEnabled, Version: u.Version, CreatedAt: u.CreatedAt}
}

// List is a page of results with the cursor for the next one.
type List[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

func decodeCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		if id, err := strconv.ParseInt(string(b), 10, 64); err == nil && id > 0 {
			return id, nil
		}
	}
	return 0, apperr.Invalid("The cursor is not valid; use next_cursor from the previous page.", map[string]string{"cursor": "not valid"})
}

func limit(r *http.Request, def, maxLimit int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxLimit {
		return 0, apperr.Invalid("limit must be between 1 and "+strconv.Itoa(maxLimit)+".", map[string]string{"limit": "out of range"})
	}
	return n, nil
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	web.JSONError(w, r, h.Log, err)
}

// Me returns the token's user.
func (h *Handler) Me(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	u, err := h.Auth.User(r.Context(), a, a.UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, userJSON(u))
}

// ListUsers pages through staff accounts by id.
func (h *Handler) ListUsers(w http.ResponseWriter, r *http.Request) {
	after, err := decodeCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	n, err := limit(r, 50, 200)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	us, err := h.Auth.Users(r.Context(), actor(r), auth.UserFilter{AfterID: after, Limit: n})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := List[User]{Data: make([]User, len(us))}
	for i, u := range us {
		out.Data[i] = userJSON(u)
	}
	if len(us) == n {
		out.NextCursor = encodeCursor(us[len(us)-1].ID)
	}
	web.JSON(w, http.StatusOK, out)
}

// GetUser returns one account.
func (h *Handler) GetUser(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.fail(w, r, apperr.NotFound("user"))
		return
	}
	u, err := h.Auth.User(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, userJSON(u))
}

// NewUser is the body of POST /users.
type NewUser struct {
	Email       string        `json:"email"`
	Name        string        `json:"name"`
	Credentials string        `json:"credentials"`
	NPI         string        `json:"npi"`
	Roles       []access.Role `json:"roles"`
	Password    string        `json:"password"`
}

// CreateUser adds an account.
func (h *Handler) CreateUser(w http.ResponseWriter, r *http.Request) {
	var in NewUser
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.Auth.CreateUser(r.Context(), actor(r), auth.Profile{Email: in.Email, Name: in.Name, Credentials: in.Credentials, NPI: in.NPI, Roles: in.Roles}, in.Password)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/users/"+strconv.FormatInt(u.ID, 10))
	web.JSON(w, http.StatusCreated, userJSON(u))
}

// AuditEntry is an audit log entry as the API shows it.
type AuditEntry struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	UserID     int64     `json:"user_id,omitempty"`
	Role       string    `json:"role,omitempty"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type,omitempty"`
	ObjectID   string    `json:"object_id,omitempty"`
	ClientID   int64     `json:"client_id,omitempty"`
	IP         string    `json:"ip,omitempty"`
	UserAgent  string    `json:"user_agent,omitempty"`
	Outcome    string    `json:"outcome"`
	Detail     string    `json:"detail,omitempty"`
	RequestID  string    `json:"request_id,omitempty"`
	Hash       string    `json:"hash"`
}

// ListAudit pages through audit entries, newest first.
func (h *Handler) ListAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	before, err := decodeCursor(q.Get("cursor"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	n, err := limit(r, 100, 1000)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := audit.Filter{Limit: n, BeforeSeq: before, Action: audit.Action(q.Get("action"))}
	fields := map[string]string{}
	for key, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(key); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				fields[key] = "use RFC 3339, such as 2026-01-31T00:00:00Z"
			}
			*dst = t
		}
	}
	for key, dst := range map[string]*int64{"user_id": &f.UserID, "client_id": &f.ClientID} {
		if v := q.Get(key); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				fields[key] = "not a number"
			}
			*dst = id
		}
	}
	if len(fields) > 0 {
		h.fail(w, r, apperr.Invalid("Some query parameters are not valid.", fields))
		return
	}
	page, err := h.Audit.Find(r.Context(), actor(r), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := List[AuditEntry]{Data: make([]AuditEntry, len(page.Entries))}
	for i, e := range page.Entries {
		out.Data[i] = AuditEntry{Seq: e.Seq, At: e.At, UserID: e.UserID, Role: e.Role, Action: string(e.Action), ObjectType: e.ObjectType,
			ObjectID: e.ObjectID, ClientID: e.ClientID, IP: e.IP, UserAgent: e.UserAgent, Outcome: string(e.Outcome), Detail: e.Detail,
			RequestID: e.RequestID, Hash: e.Hash}
	}
	if len(page.Entries) == n {
		out.NextCursor = encodeCursor(page.Entries[len(page.Entries)-1].Seq)
	}
	web.JSON(w, http.StatusOK, out)
}
