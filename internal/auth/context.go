package auth

import "context"

type ctxKey struct{}

// NewContext returns ctx carrying the request's authenticated session.
func NewContext(ctx context.Context, a Authenticated) context.Context {
	return context.WithValue(ctx, ctxKey{}, a)
}

// FromContext returns the request's authenticated session, if any.
func FromContext(ctx context.Context) (Authenticated, bool) {
	a, ok := ctx.Value(ctxKey{}).(Authenticated)
	return a, ok
}
