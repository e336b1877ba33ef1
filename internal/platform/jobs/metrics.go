package jobs

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Outcomes of one run of a job, the values of the outcome label.
const (
	OutcomeCompleted   = "completed"   // done; never runs again
	OutcomeFailed      = "failed"      // errored or panicked; will be retried
	OutcomeDiscarded   = "discarded"   // failed for the last time; never runs again
	OutcomeCancelled   = "cancelled"   // cancelled by the worker (river.JobCancel); never runs again
	OutcomeSnoozed     = "snoozed"     // asked to run again later (river.JobSnooze)
	OutcomeInterrupted = "interrupted" // cut off by shutdown; runs again without losing an attempt
)

// outcomeEvents are the River events that end one run of a job.
var outcomeEvents = []river.EventKind{
	river.EventKindJobCompleted,
	river.EventKindJobFailed,
	river.EventKindJobCancelled,
	river.EventKindJobSnoozed,
	river.EventKindJobInterrupted,
}

// metrics count job runs. Labels are the job kind (a constant in code) and
// the outcome, never args, so nothing about a client reaches Prometheus.
type metrics struct {
	runs     *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "mentalspace",
			Name:      "job_runs_total",
			Help:      "Runs of background jobs by kind and outcome (completed, failed, discarded, cancelled, snoozed, interrupted).",
		}, []string{"kind", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "mentalspace",
			Name:      "job_run_duration_seconds",
			Help:      "Time spent in a background job's worker, by kind.",
			// 5 ms to about 5 minutes; River's default job timeout is 1 minute.
			Buckets: prometheus.ExponentialBuckets(0.005, 4, 9),
		}, []string{"kind"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	m.runs, err = register(reg, m.runs)
	if err != nil {
		return nil, err
	}
	m.duration, err = register(reg, m.duration)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or reuses an identical collector already registered
// (a second Runner on the same registry, as in tests).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

// observe records the end of one run.
func (m *metrics) observe(ev *river.Event) {
	if ev.Job == nil {
		return
	}
	var outcome string
	switch ev.Kind {
	case river.EventKindJobCompleted:
		outcome = OutcomeCompleted
	case river.EventKindJobFailed:
		outcome = OutcomeFailed
		if ev.Job.State == rivertype.JobStateDiscarded {
			outcome = OutcomeDiscarded
		}
	case river.EventKindJobCancelled:
		outcome = OutcomeCancelled
	case river.EventKindJobSnoozed:
		outcome = OutcomeSnoozed
	case river.EventKindJobInterrupted:
		outcome = OutcomeInterrupted
	default:
		return
	}
	m.runs.WithLabelValues(ev.Job.Kind, outcome).Inc()
	if ev.JobStats != nil {
		m.duration.WithLabelValues(ev.Job.Kind).Observe(ev.JobStats.RunDuration.Seconds())
	}
}
