package bench

import (
	"context"
	"errors"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// errDone ends one worker's part of a drive: it has nothing left to do.
var errDone = errors.New("done")

// sample is what a drive measured.
type sample struct {
	lat     []time.Duration // one per call, sorted
	elapsed time.Duration
}

// drive calls fn from workers goroutines, each call with its worker's
// number, until the options' budget is spent: Iterations calls in all, or
// Duration. A worker stops early when fn returns errDone; any other error
// stops them all and is returned. Each call's wall time is its latency.
func (r *runner) drive(ctx context.Context, workers int, fn func(ctx context.Context, w int) error) (sample, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		claimed  atomic.Int64
		mu       sync.Mutex
		all      []time.Duration
		firstErr error
		wg       sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(r.o.Duration)
	more := func() bool {
		if ctx.Err() != nil {
			return false
		}
		if r.o.Iterations > 0 {
			return claimed.Add(1) <= int64(r.o.Iterations)
		}
		return time.Now().Before(deadline)
	}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 256)
			for more() {
				t0 := time.Now()
				err := fn(ctx, w)
				if errors.Is(err, errDone) {
					break
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil && ctx.Err() == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					break
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	s := sample{lat: all, elapsed: time.Since(start)}
	slices.Sort(s.lat)
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return s, firstErr
}

// percentile is the nearest-rank percentile p (0 < p ≤ 1) of sorted, in
// milliseconds.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	i = min(max(i, 0), len(sorted)-1)
	return ms(sorted[i])
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// result fills a Result's counts and percentiles from s; done is the work
// completed, for the throughput.
func result(scenario, name string, workers int, s sample, done int64, unit string) Result {
	secs := s.elapsed.Seconds()
	return Result{Scenario: scenario, Name: name, Concurrency: workers, Calls: len(s.lat), Seconds: round(secs, 3),
		P50: round(percentile(s.lat, 0.50), 3), P95: round(percentile(s.lat, 0.95), 3), P99: round(percentile(s.lat, 0.99), 3),
		Throughput: round(float64(done)/max(secs, 1e-9), 1), Unit: unit}
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

func met(ok bool) *bool { return &ok }

// loadAverage is the 1-minute load average, from /proc/loadavg (Linux).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
