package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/bench"
	"github.com/mentalspace/mentalspace/internal/gen"
	"github.com/mentalspace/mentalspace/internal/platform/config"
)

func cmdBench(ctx context.Context, args []string, getenv func(string) string, s stdio) error {
	cfg := config.Default()
	fs := newFlagSet("bench", "[--scenarios L,S1,S2,S3,S4,S7] [--duration D | --iterations N] [--writers N] [--json FILE] [--data-dir DIR] [--database-url URL]\n\n"+
		"Measures the hot paths (docs/PERFORMANCE.md, \"Benchmarks\") on a database made by `mentalspace gen`, through the\n"+
		"real services, and the engine's own limit L on the same database: p50/p95/p99 and throughput of each part.\n"+
		"It books appointments, signs notes and appends audit entries: run it on a copy of the generated database.", s)
	check := commonFlags(fs, &cfg, getenv)
	scenarios := fs.String("scenarios", strings.Join(bench.Scenarios, ","), "comma-separated `list` of scenarios: L (the engine's commit limit), S1 booking, S2 day view, S3 search, S4 signing, S7 audit")
	duration := fs.Duration("duration", 10*time.Second, "how long each measured part runs")
	iterations := fs.Int("iterations", 0, "calls per measured part, instead of --duration")
	writers := fs.Int("writers", 50, "concurrent writers for L, S1 and S4 (S4: at most one per clinician)")
	drafts := fs.Int("drafts", 0, "drafts S4 prepares for each of its two parts (default: --iterations, else 500)")
	password := fs.String("password", gen.Password, "the generated staff's password, for S4's identity check")
	jsonFile := fs.String("json", "", "also write the report as JSON to this `file`")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this `file` (go tool pprof)")
	baseline := fs.String("baseline", "", "a JSON report (`file`) of a run on a smaller practice: S2 and S3 are then given as large/small")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := check(); err != nil {
		return err
	}
	o := bench.Options{Duration: *duration, Iterations: *iterations, Writers: *writers, Drafts: *drafts, Password: *password, Log: s.err}
	for _, name := range strings.Split(*scenarios, ",") {
		if name = strings.ToUpper(strings.TrimSpace(name)); name != "" {
			o.Scenarios = append(o.Scenarios, name)
		}
	}
	if *baseline != "" {
		b, err := os.ReadFile(*baseline)
		if err != nil {
			return fmt.Errorf("--baseline: %w", err)
		}
		o.Baseline = &bench.Report{}
		if err := json.Unmarshal(b, o.Baseline); err != nil {
			return fmt.Errorf("--baseline %s: %w", *baseline, err)
		}
	}
	if cfg.DatabaseURL == "" {
		// Opening a missing SQLite file would create an empty database.
		if _, err := os.Stat(cfg.SQLitePath()); err != nil {
			return fmt.Errorf("no database at %s: generate one with `mentalspace gen`", cfg.SQLitePath())
		}
	}
	// A connection for every writer, so that they really run side by side
	// (on SQLite this is the reader pool; writes share the one writer).
	cfg.DBMaxConns = max(cfg.DBMaxConns, *writers+2)
	e, err := open(ctx, cfg, s, false)
	if err != nil {
		return err
	}
	defer e.close()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := bench.Run(ctx, e.db, e.keyring, o)
	if rep != nil {
		if werr := rep.WriteTable(s.out); werr != nil {
			return werr
		}
		if *jsonFile != "" {
			b, jerr := json.MarshalIndent(rep, "", "  ")
			if jerr == nil {
				jerr = os.WriteFile(*jsonFile, append(b, '\n'), 0o644)
			}
			if jerr != nil {
				return errors.Join(err, fmt.Errorf("--json: %w", jerr))
			}
		}
	}
	return err
}
