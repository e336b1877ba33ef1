package auth

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// PurgeArgs is the periodic job that deletes ended sessions and stale
// throttle counters.
type PurgeArgs struct{}

// Kind names the job.
func (PurgeArgs) Kind() string { return "auth.purge_expired" }

// PurgeEvery is how often the purge runs.
const PurgeEvery = 15 * time.Minute

// PurgeWorker runs PurgeArgs through the service.
type PurgeWorker struct {
	river.WorkerDefaults[PurgeArgs]
	Service *Service
}

// Work purges.
func (w *PurgeWorker) Work(ctx context.Context, _ *river.Job[PurgeArgs]) error {
	_, err := w.Service.PurgeExpired(ctx)
	return err
}
