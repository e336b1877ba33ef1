// Package api is the JSON API under /api/v1: bearer tokens, one error shape,
// cursor pagination, and an OpenAPI 3 description kept true by a test.
package api

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"slices"
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

// The plumbing the handlers share. A handler still reads top to bottom
// (parse, call one service method, answer); these spare it the steps that
// are the same everywhere.

// pathID parses the path wildcard name as a positive id; anything else is
// the object, what, not found.
func pathID(r *http.Request, name, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.NotFound(what)
	}
	return id, nil
}

// clientID is the id of the client in the path ({id}).
func clientID(r *http.Request) (int64, error) { return pathID(r, "id", "client") }

// clientPartIDs parses the client's id ({id}) and then the id of one part
// of its record, what, from the wildcard name.
func clientPartIDs(r *http.Request, name, what string) (clientID, id int64, err error) {
	if clientID, err = pathID(r, "id", "client"); err != nil {
		return 0, 0, err
	}
	if id, err = pathID(r, name, what); err != nil {
		return 0, 0, err
	}
	return clientID, id, nil
}

// idAndBody parses the id of what from the path wildcard name and then
// decodes the JSON body into in.
func idAndBody(r *http.Request, name, what string, in any) (int64, error) {
	id, err := pathID(r, name, what)
	if err != nil {
		return 0, err
	}
	return id, web.DecodeJSON(r, in)
}

// versioned is a body that creates an object or replaces one, carrying the
// version it was read at.
type versioned interface{ version() int64 }

// decodeVersioned decodes a body of type T for the what with id (0 for a new
// one) and checks the version it carries.
func decodeVersioned[T versioned](r *http.Request, what string, id int64) (T, error) {
	var in T
	if err := web.DecodeJSON(r, &in); err != nil {
		return in, err
	}
	return in, checkVersion(what, id, in.version())
}

// checkVersion checks the version a body carries for the what with id: a
// new one (id 0) has none; a change must send the version it was read at.
func checkVersion(what string, id, version int64) error {
	switch {
	case id == 0 && version != 0:
		return apperr.Invalid("A new "+what+" has no version.", map[string]string{"version": "not used when creating"})
	case id != 0 && version <= 0:
		return apperr.Invalid("Send the version of the "+what+" you are changing.", map[string]string{"version": "required"})
	}
	return nil
}

// savedStatus answers a save: 201 Created for a new object (id 0), 200 for
// a change.
func savedStatus(id int64) int {
	if id == 0 {
		return http.StatusCreated
	}
	return http.StatusOK
}

// paging reads a paged list's ?cursor= and ?limit= (def when omitted, at
// most maxLimit).
func paging(r *http.Request, def, maxLimit int) (after int64, n int, err error) {
	if after, err = decodeCursor(r.URL.Query().Get("cursor")); err != nil {
		return 0, 0, err
	}
	if n, err = limit(r, def, maxLimit); err != nil {
		return 0, 0, err
	}
	return after, n, nil
}

// setLocation names a created object's URL: path and its id.
func setLocation(w http.ResponseWriter, path string, id int64) {
	w.Header().Set("Location", path+strconv.FormatInt(id, 10))
}

// respond answers with v as conv shows it, or with err when reading v
// failed.
func respond[S, T any](h *Handler, w http.ResponseWriter, r *http.Request, status int, v S, err error, conv func(S) T) {
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.JSON(w, status, conv(v))
}

// newList is items as conv shows them, in a List with no next page.
func newList[S, T any](items []S, conv func(S) T) List[T] {
	out := List[T]{Data: make([]T, len(items))}
	for i, it := range items {
		out.Data[i] = conv(it)
	}
	return out
}

// respondList answers with items as one page, or with err when reading them
// failed.
func respondList[S, T any](h *Handler, w http.ResponseWriter, r *http.Request, items []S, err error, conv func(S) T) {
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, newList(items, conv))
}

// respondPage answers with a page of at most n items and, when it is full,
// the cursor after the last one's key; or with err when reading it failed.
func respondPage[S, T any](h *Handler, w http.ResponseWriter, r *http.Request, items []S, err error, conv func(S) T, n int, key func(S) int64) {
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := newList(items, conv)
	if len(items) == n {
		out.NextCursor = encodeCursor(key(items[len(items)-1]))
	}
	web.JSON(w, http.StatusOK, out)
}

// find is the item that match picks from a list read back after a change
// (the services have no read of one): err when reading the list failed, and
// not found as what when no item matches.
func find[S any](items []S, err error, what string, match func(S) bool) (S, error) {
	var none S
	if err != nil {
		return none, err
	}
	if i := slices.IndexFunc(items, match); i >= 0 {
		return items[i], nil
	}
	return none, apperr.NotFound(what)
}

// Me returns the token's user.
func (h *Handler) Me(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	u, err := h.Auth.User(r.Context(), a, a.UserID)
	respond(h, w, r, http.StatusOK, u, err, userJSON)
}

// ListUsers pages through staff accounts by id.
func (h *Handler) ListUsers(w http.ResponseWriter, r *http.Request) {
	after, n, err := paging(r, 50, 200)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	us, err := h.Auth.Users(r.Context(), actor(r), auth.UserFilter{AfterID: after, Limit: n})
	respondPage(h, w, r, us, err, userJSON, n, func(u auth.User) int64 { return u.ID })
}

// GetUser returns one account. Unlike other ids, 0 or a negative one goes to
// the service, which refuses it (or finds no such user) itself.
func (h *Handler) GetUser(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.fail(w, r, apperr.NotFound("user"))
		return
	}
	u, err := h.Auth.User(r.Context(), actor(r), id)
	respond(h, w, r, http.StatusOK, u, err, userJSON)
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
	setLocation(w, "/api/v1/users/", u.ID)
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
	before, n, err := paging(r, 100, 1000)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
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
	respondPage(h, w, r, page.Entries, err, auditEntryJSON, n, func(e audit.Entry) int64 { return e.Seq })
}

func auditEntryJSON(e audit.Entry) AuditEntry {
	return AuditEntry{Seq: e.Seq, At: e.At, UserID: e.UserID, Role: e.Role, Action: string(e.Action), ObjectType: e.ObjectType,
		ObjectID: e.ObjectID, ClientID: e.ClientID, IP: e.IP, UserAgent: e.UserAgent, Outcome: string(e.Outcome), Detail: e.Detail,
		RequestID: e.RequestID, Hash: e.Hash}
}
