package api

import (
	"context"

	"github.com/mentalspace/mentalspace/internal/access"
)

func contextWithActor(ctx context.Context, a access.Actor) context.Context {
	return context.WithValue(ctx, ctxKey{}, a)
}
