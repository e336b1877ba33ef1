package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mentalspace/mentalspace/internal/platform/apperr"
)

func TestClientIP(t *testing.T) {
	tests := []struct {
		name, remote, xff string
		trust             bool
		want              string
	}{
		{"Direct", "203.0.113.9:5000", "", false, "203.0.113.9"},
		{"ForwardedIgnoredWithoutTrust", "127.0.0.1:5000", "198.51.100.7", false, "127.0.0.1"},
		{"ForwardedFromLoopbackProxy", "127.0.0.1:5000", "10.1.1.1, 198.51.100.7", true, "198.51.100.7"},
		{"ForwardedFromElsewhereIgnored", "203.0.113.9:5000", "198.51.100.7", true, "203.0.113.9"},
		{"GarbageForwardedIgnored", "127.0.0.1:5000", "not-an-ip", true, "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := ClientIP(r, tt.trust); got != tt.want {
				t.Errorf("ClientIP = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecodeJSONNeverEchoesInput(t *testing.T) {
	for _, body := range []string{`{"name": "Jane Secret"`, `{"nickname": "Jane Secret"}`, `{"age": "Jane Secret"}`, ``} {
		var v struct {
			Name string `json:"name"`
			Age  int    `json:"age"`
		}
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		err := DecodeJSON(r, &v)
		if !apperr.Is(err, apperr.CodeInvalid) {
			t.Errorf("%q: err = %v, want invalid", body, err)
		}
		if err != nil && strings.Contains(err.Error(), "Jane") {
			t.Errorf("%q: error %q echoes the input", body, err)
		}
	}
}

func TestStatus(t *testing.T) {
	for code, want := range map[apperr.Code]int{
		apperr.CodeInvalid: 422, apperr.CodeNotFound: 404, apperr.CodeConflict: 409, apperr.CodeForbidden: 403,
		apperr.CodeUnauthorized: 401, apperr.CodeTooMany: 429, apperr.CodeInternal: 500, "other": 500,
	} {
		if got := Status(code); got != want {
			t.Errorf("Status(%s) = %d, want %d", code, got, want)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := SecurityHeaders(true)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for path, cache := range map[string]string{"/staff": "no-store", "/static/app.css": ""} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if got := w.Header().Get("Cache-Control"); got != cache {
			t.Errorf("%s Cache-Control = %q, want %q", path, got, cache)
		}
		if !strings.Contains(w.Header().Get("Content-Security-Policy"), "script-src 'self'") || w.Header().Get("Strict-Transport-Security") == "" {
			t.Errorf("%s: headers %v", path, w.Header())
		}
	}
}
