package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/crashtest"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// toolCommands are the instruments of docs/PERFORMANCE.md: they run this
// very binary in child processes, on databases of their own, so an
// operator can prove durability and measure load on the machine, disk and
// PostgreSQL they deploy on. They are left out of the usage list.
func toolCommands() []command {
	return []command{
		{"crashtest", "kill the server again and again under writes and check nothing acknowledged is lost", cmdCrashtest},
		{"loadtest", "drive a mixed workload through the API of a server on a copy of a generated database", cmdLoadtest},
	}
}

// self is how the tools run this program in child processes; tests point
// it at the test binary.
var self = func() (crashtest.Program, error) {
	exe, err := os.Executable()
	return crashtest.Program{Path: exe}, err
}

func cmdCrashtest(ctx context.Context, args []string, getenv func(string) string, s stdio) error {
	fs := newFlagSet("crashtest", "[--cycles N] [--engine sqlite|postgres] [--seed N] [--workers N]\n\n"+
		"Generates the tiny practice in a new data directory (and, on PostgreSQL, a new database it drops\n"+
		"afterwards), then kills the server with SIGKILL at random moments under bookings and note signatures,\n"+
		"checking after every kill that each acknowledged write is stored, no record is half-written, the audit\n"+
		"chain verifies and the engine's integrity check passes. Never touches an existing database.", s)
	cycles := fs.Int("cycles", 20, "kill `cycles` to run")
	engine := fs.String("engine", "sqlite", "sqlite or postgres")
	seed := fs.Uint64("seed", 1, "random seed: the practice, the writes and the moments of the kills")
	workers := fs.Int("workers", 4, "clinicians writing at once (the tiny practice has 7)")
	pgURL := fs.String("postgres-url", getenv("MENTALSPACE_TEST_DATABASE_URL"), "PostgreSQL server `URL` where a database may be created and dropped (MENTALSPACE_TEST_DATABASE_URL)")
	dir := fs.String("dir", "", "`directory` for the data directory (default: a new temporary one)")
	minUp := fs.Duration("min-up", 200*time.Millisecond, "shortest time the server runs before the kill")
	maxUp := fs.Duration("max-up", 1500*time.Millisecond, "longest time the server runs before the kill")
	keep := fs.Bool("keep", false, "keep the database afterwards (always kept when a check fails)")
	verbose := fs.Bool("v", false, "a line per cycle")
	if err := parse(fs, args); err != nil {
		return err
	}
	e := db.Engine(*engine)
	if e != db.SQLite && e != db.Postgres {
		return errors.New("--engine: sqlite or postgres")
	}
	prog, err := self()
	if err != nil {
		return err
	}
	rep, err := crashtest.Run(ctx, crashtest.Options{Program: prog, Engine: e, PostgresURL: *pgURL, Dir: *dir, Cycles: *cycles, Seed: *seed,
		Workers: *workers, MinUp: *minUp, MaxUp: *maxUp, Log: s.out, Verbose: *verbose, Keep: *keep})
	printCrashReport(s, rep)
	if errors.Is(err, crashtest.ErrFindings) {
		return fmt.Errorf("%d findings, %d of them lost writes", len(rep.Findings), rep.Lost)
	}
	return err
}

func printCrashReport(s stdio, r crashtest.Report) {
	if r.Cycles == 0 && len(r.Findings) == 0 {
		return
	}
	verdict := "passed"
	if len(r.Findings) > 0 {
		verdict = "FAILED"
	}
	fmt.Fprintf(s.out, "\ncrash test %s: %d kill cycles on %s (%d while starting) in %s\n", verdict, r.Cycles, r.Engine, r.EarlyKills, r.Took.Round(time.Second))
	fmt.Fprintf(s.out, "  acknowledged writes    %s (bookings %s, note drafts %s, saves %s, signatures %s)\n", thousands(int64(r.Acks.Total())),
		thousands(int64(r.Acks.Bookings)), thousands(int64(r.Acks.Drafts)), thousands(int64(r.Acks.Saves)), thousands(int64(r.Acks.Signatures)))
	fmt.Fprintf(s.out, "  clashing bookings      %s refused, as they must be\n", thousands(int64(r.Refused)))
	fmt.Fprintf(s.out, "  lost writes            %d\n", r.Lost)
	checks := "integrity_check and foreign_key_check"
	if r.Engine == db.Postgres {
		checks = "count(*) of every table"
		if r.AmCheck {
			checks += ", amcheck bt_index_check of every B-tree index"
		}
	}
	fmt.Fprintf(s.out, "  after every kill       every acknowledged write present; no half-written record or double booking; %s; audit verify\n", checks)
	if r.ForgivenTries > 0 {
		fmt.Fprintf(s.out, "  password tries         %d interrupted by a kill and left counted by the throttle, forgiven\n", r.ForgivenTries)
	}
	for i, f := range r.Findings {
		if i == 50 {
			fmt.Fprintf(s.out, "  … and %d more\n", len(r.Findings)-50)
			break
		}
		fmt.Fprintf(s.out, "  %s\n", strings.ReplaceAll(f, "\n", "\n    "))
	}
	if r.Kept != "" {
		fmt.Fprintf(s.out, "  kept: %s\n", r.Kept)
	}
}
