package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/config"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

func cmdAudit(ctx context.Context, args []string, getenv func(string) string, s stdio) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(s.err, "Usage: mentalspace audit verify")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return errHelp
		}
		return errors.New("the only subcommand is verify")
	}
	cfg := config.Default()
	fs := newFlagSet("audit verify", "", s)
	check := commonFlags(fs, &cfg, getenv)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if err := check(); err != nil {
		return err
	}
	// Read-only: no migrations, no keys, and no empty database made where
	// there was none (opening a missing SQLite file creates it).
	if cfg.DatabaseURL == "" {
		if _, err := os.Stat(cfg.SQLitePath()); err != nil {
			return fmt.Errorf("no database at %s", cfg.SQLitePath())
		}
	}
	// Verify checks the log in one part per CPU, each on its own connection.
	d, err := db.Open(ctx, db.Options{URL: cfg.DatabaseURL.Reveal(), Path: cfg.SQLitePath(), MaxConns: runtime.GOMAXPROCS(0) + 1})
	if err != nil {
		return err
	}
	defer d.Close()
	start := time.Now()
	res, err := audit.Verify(ctx, d, func(n int64) { fmt.Fprintf(s.err, "  %d entries checked…\n", n) })
	took := time.Since(start)
	if err != nil {
		return err
	}
	rate := float64(res.Entries) / max(took.Seconds(), 1e-9)
	fmt.Fprintf(s.out, "audit log intact: %d entries verified in %s (%.0f entries/s); head %s\n", res.Entries, took.Round(time.Millisecond), rate, res.HeadHash)
	return nil
}
