package main

import (
	"context"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/mentalspace/mentalspace/internal/crashtest"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

// TestHelperProcess is not a test: the crash and load tests run the test
// binary through it as `mentalspace …` in child processes they can kill.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("MENTALSPACE_TEST_HELPER") != "1" {
		t.Skip("runs only as the crash and load tests' child process")
	}
	args := os.Args
	if i := slices.Index(args, "--"); i >= 0 {
		args = args[i+1:]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runChildrenAsTestBinary points the tools at this test binary for the
// rest of the test.
func runChildrenAsTestBinary(t *testing.T) {
	t.Helper()
	prev := self
	self = func() (crashtest.Program, error) {
		return crashtest.Program{Path: os.Args[0], Args: []string{"-test.run=^TestHelperProcess$", "--"}, Env: []string{"MENTALSPACE_TEST_HELPER=1"}}, nil
	}
	t.Cleanup(func() { self = prev })
}

// postgresServer is the PostgreSQL test server's URL; it skips the test
// without one (fails under CI).
func postgresServer(t *testing.T) string {
	t.Helper()
	u := os.Getenv(dbtest.EnvURL)
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: PostgreSQL tests must run in CI", dbtest.EnvURL)
		}
		t.Skipf("PostgreSQL tests skipped: set %s to run them", dbtest.EnvURL)
	}
	return u
}

// TestCrashtest runs a few kill cycles on each engine: the long runs are in
// docs/PERFORMANCE.md. A lost write fails it (internal/crashtest's tests
// show the checks catch one).
func TestCrashtest(t *testing.T) {
	runChildrenAsTestBinary(t)
	cycles := map[db.Engine]string{db.SQLite: "5", db.Postgres: "3"}
	eachEngine(t, func(t *testing.T, e db.Engine) {
		args := []string{"crashtest", "--engine", string(e), "--cycles", cycles[e], "--seed", "7", "--min-up", "150ms", "--max-up", "600ms"}
		if e == db.Postgres {
			args = append(args, "--postgres-url", postgresServer(t))
		}
		in := newInstall(t, db.SQLite)
		r := in.run(t, "", append(args, "--dir", t.TempDir())...)
		checkResult(t, r, 0, []string{"crash test passed: " + cycles[e] + " kill cycles on " + string(e), "lost writes            0"}, nil)
		if t.Failed() {
			return
		}
		// Something was written and killed under, not just started and stopped.
		if !strings.Contains(r.stdout, "signatures") || strings.Contains(r.stdout, "acknowledged writes    0 ") {
			t.Errorf("no acknowledged writes:\n%s", r.stdout)
		}
		t.Logf("\n%s", r.stdout)
	})
}

func TestCrashtestUsage(t *testing.T) {
	in := newInstall(t, db.SQLite)
	checkResult(t, in.run(t, "", "crashtest", "--engine", "oracle"), 1, nil, []string{"--engine: sqlite or postgres"})
	checkResult(t, in.run(t, "", "crashtest", "--help"), 0, nil, []string{"Usage: mentalspace crashtest", "-cycles", "Never touches an existing database"})
	if r := in.run(t, "", "help"); strings.Contains(r.stdout, "  crashtest ") || !strings.Contains(r.stdout, "crashtest, loadtest") {
		t.Errorf("help lists the crash test as a command or does not mention it:\n%s", r.stdout)
	}
}
