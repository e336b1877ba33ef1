// Package apperr is MentalSpace's one error type. Services return *Error for
// anything a caller should see; the web layer maps Code to an HTTP status in
// one place. Message is always safe to show: it never carries PHI.
package apperr

import (
	"errors"
	"fmt"
)

// Code classifies an error for callers and for the HTTP mapping.
type Code string

// The codes, from the style guide.
const (
	CodeInvalid      Code = "invalid"
	CodeNotFound     Code = "not_found"
	CodeConflict     Code = "conflict"
	CodeForbidden    Code = "forbidden"
	CodeUnauthorized Code = "unauthorized"
	CodeTooMany      Code = "too_many_requests"
	CodeInternal     Code = "internal"
)

// Error is an application error with a code, a safe message and field problems.
type Error struct {
	Code    Code
	Message string
	// Fields maps a form field name to what is wrong with it.
	Fields map[string]string
	// Err is the underlying cause, logged for internal errors only.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Invalid reports bad input; fields may be nil.
func Invalid(msg string, fields map[string]string) *Error {
	return &Error{Code: CodeInvalid, Message: msg, Fields: fields}
}

// NotFound reports a missing object.
func NotFound(what string) *Error {
	return &Error{Code: CodeNotFound, Message: what + " not found"}
}

// Conflict reports a concurrent change or a uniqueness clash.
func Conflict(msg string) *Error { return &Error{Code: CodeConflict, Message: msg} }

// Forbidden reports an authenticated caller without the permission.
func Forbidden() *Error {
	return &Error{Code: CodeForbidden, Message: "You do not have permission to do that."}
}

// Unauthorized reports a missing or failed authentication.
func Unauthorized(msg string) *Error { return &Error{Code: CodeUnauthorized, Message: msg} }

// TooMany reports throttling.
func TooMany(msg string) *Error { return &Error{Code: CodeTooMany, Message: msg} }

// Internal wraps an unexpected failure; its cause is logged, never shown.
func Internal(err error) *Error {
	return &Error{Code: CodeInternal, Message: "Something went wrong on our side. Nothing was changed.", Err: err}
}

// CodeOf returns the code of err, CodeInternal for errors that are not *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// As returns err as *Error, wrapping unknown errors as internal.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// Is reports whether err carries the code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }
