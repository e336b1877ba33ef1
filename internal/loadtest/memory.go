package loadtest

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sampler reads a process's resident memory from /proc every second.
type sampler struct {
	pid  int
	done chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	peak int64
}

func startSampler(pid int) *sampler {
	s := &sampler{pid: pid, done: make(chan struct{})}
	s.wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.done:
				return
			case <-t.C:
			}
		}
	})
	return s
}

// sample reads VmRSS now, in bytes (0 where /proc is not available), and
// keeps the peak.
func (s *sampler) sample() int64 {
	rss, _ := procStatus(s.pid)
	s.mu.Lock()
	s.peak = max(s.peak, rss)
	s.mu.Unlock()
	return rss
}

// stop ends the sampling and returns the highest sample and the kernel's
// own high-water mark (VmHWM), which catches peaks between samples.
func (s *sampler) stop() (peak, hwm int64) {
	close(s.done)
	s.wg.Wait()
	_, hwm = procStatus(s.pid)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak, hwm
}

// procStatus reads VmRSS and VmHWM of pid, in bytes.
func procStatus(pid int) (rss, hwm int64) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			continue
		}
		if key == "VmRSS" {
			rss = kb << 10
		} else {
			hwm = kb << 10
		}
	}
	return rss, hwm
}
