package loadtest

import (
	"os"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 200; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tt := range []struct {
		p    int
		want time.Duration
	}{{50, 100 * time.Millisecond}, {95, 190 * time.Millisecond}, {99, 198 * time.Millisecond}, {100, 200 * time.Millisecond}} {
		if got := percentile(d, tt.p); got != tt.want {
			t.Errorf("p%d of 1..200 ms = %s, want %s", tt.p, got, tt.want)
		}
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("p99 of one sample = %s, want it", got)
	}
}

func TestProcStatus(t *testing.T) {
	rss, hwm := procStatus(os.Getpid())
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc here")
	}
	if rss < 1<<20 || hwm < rss {
		t.Errorf("procStatus(self) = RSS %d, HWM %d; want at least a MiB, HWM ≥ RSS", rss, hwm)
	}
	if rss, hwm := procStatus(-1); rss != 0 || hwm != 0 {
		t.Errorf("procStatus(no such process) = %d, %d; want 0, 0", rss, hwm)
	}
}
