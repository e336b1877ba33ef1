// Package web is the HTTP plumbing shared by every surface: the mapping of
// application errors to status codes, JSON encoding, request ids, logging,
// metrics, security headers and client addresses. It knows nothing of the
// domain.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/mentalspace/mentalspace/internal/platform/apperr"
)

// Status maps an application error code to its HTTP status, in one place.
func Status(code apperr.Code) int {
	switch code {
	case apperr.CodeInvalid:
		return http.StatusUnprocessableEntity
	case apperr.CodeNotFound:
		return http.StatusNotFound
	case apperr.CodeConflict:
		return http.StatusConflict
	case apperr.CodeForbidden:
		return http.StatusForbidden
	case apperr.CodeUnauthorized:
		return http.StatusUnauthorized
	case apperr.CodeTooMany:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// ErrorBody is the one JSON error shape: {"error":{"code","message","fields"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    apperr.Code       `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// LogError logs an internal error with the request id; other codes are
// expected outcomes and are not logged in full.
func LogError(r *http.Request, log *slog.Logger, err error) *apperr.Error {
	e := apperr.As(err)
	if e.Code == apperr.CodeInternal {
		log.ErrorContext(r.Context(), "internal error", "request_id", RequestID(r.Context()), "route", r.Pattern, "err", e.Err)
	}
	return e
}

// JSONError writes err in the JSON error shape.
func JSONError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := LogError(r, log, err)
	JSON(w, Status(e.Code), ErrorBody{Error: ErrorDetail{Code: e.Code, Message: e.Message, Fields: e.Fields}})
}

// JSON writes v with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// DecodeJSON reads a JSON body of at most 1 MiB into v, refusing unknown fields.
func DecodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typ):
			return apperr.Invalid("The request body has a field of the wrong type.", map[string]string{typ.Field: "wrong type"})
		case errors.As(err, &syn):
			return apperr.Invalid("The request body is not valid JSON.", nil)
		}
		return apperr.Invalid("The request body could not be read: "+safeDecodeMessage(err), nil)
	}
	return nil
}

// safeDecodeMessage keeps only decoder messages that cannot echo input values.
func safeDecodeMessage(err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, "json: unknown field") {
		return "it has a field this endpoint does not take"
	}
	if msg == "EOF" {
		return "it is empty"
	}
	return "it is malformed or too large"
}

type ctxKey int

const requestIDKey ctxKey = iota

// RequestID returns the request's id.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// WithRequestID gives each request a random id, returned in X-Request-Id.
func WithRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

// SecurityHeaders sets the headers every response carries. Every page may
// show client data, so nothing is cached (ONC d(7): no PHI left on the device).
func SecurityHeaders(tls bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
			if !strings.HasPrefix(r.URL.Path, "/static/") {
				h.Set("Cache-Control", "no-store")
			}
			if tls {
				h.Set("Strict-Transport-Security", "max-age=63072000")
			}
			next.ServeHTTP(w, r)
		})
	}
}

// ClientIP returns the caller's address. X-Forwarded-For is believed only
// when trustProxy is set and the direct peer is on loopback.
func ClientIP(r *http.Request, trustProxy bool) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if trustProxy {
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
				parts := strings.Split(xff, ",")
				if fwd := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(fwd) != nil {
					return fwd
				}
			}
		}
	}
	return host
}

// Recover turns a panic into a 500 without taking the server down.
func Recover(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					log.ErrorContext(r.Context(), "panic", "request_id", RequestID(r.Context()), "route", r.Pattern, "panic", p)
					http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}
