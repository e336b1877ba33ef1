package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/mentalspace/mentalspace/internal/loadtest"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

func cmdLoadtest(ctx context.Context, args []string, getenv func(string) string, s stdio) error {
	fs := newFlagSet("loadtest", "--source-dir DIR [--source-db NAME] [--engine sqlite|postgres] [--users N] [--duration D]\n\n"+
		"Copies a practice made by `mentalspace gen` (SQLite: with `mentalspace backup`; PostgreSQL: CREATE DATABASE …\n"+
		"TEMPLATE, which needs the source to have no other sessions), serves the copy on loopback and drives a mixed\n"+
		"workload through the API: calendar days, chart opens, client searches, note autosaves and bookings. Then\n"+
		"restarts the server and reads back every acknowledged booking and save. Never touches the source.", s)
	engine := fs.String("engine", "sqlite", "sqlite or postgres")
	sourceDir := fs.String("source-dir", "", "the generated practice's data `directory` (master key; on SQLite also the database)")
	sourceDB := fs.String("source-db", "", "PostgreSQL: the generated `database` to copy")
	generate := fs.String("generate", "", "generate a practice of this `size` instead of copying one (tiny, small)")
	pgURL := fs.String("postgres-url", getenv("MENTALSPACE_TEST_DATABASE_URL"), "PostgreSQL server `URL` where the copy may be created and dropped (MENTALSPACE_TEST_DATABASE_URL)")
	users := fs.Int("users", 50, "clinicians working at once")
	duration := fs.Duration("duration", time.Minute, "how long the load runs")
	think := fs.Duration("think", 100*time.Millisecond, "mean pause between one user's requests")
	seed := fs.Uint64("seed", 1, "random seed")
	dir := fs.String("dir", "", "`directory` for the copy's data directory (default: a new temporary one)")
	keep := fs.Bool("keep", false, "keep the copy afterwards")
	if err := parse(fs, args); err != nil {
		return err
	}
	e := db.Engine(*engine)
	if e != db.SQLite && e != db.Postgres {
		return errors.New("--engine: sqlite or postgres")
	}
	if *sourceDir == "" && *generate == "" {
		return errors.New("give --source-dir (a practice made by mentalspace gen), or --generate tiny")
	}
	prog, err := self()
	if err != nil {
		return err
	}
	rep, err := loadtest.Run(ctx, loadtest.Options{Program: prog, Engine: e, SourceDir: *sourceDir, SourceDB: *sourceDB, Generate: *generate,
		PostgresURL: *pgURL, Dir: *dir, Users: *users, Duration: *duration, Think: *think, Seed: *seed, Log: s.out, Keep: *keep})
	if rep.Requests > 0 {
		printLoadReport(s, rep)
	}
	return err
}

func printLoadReport(s stdio, r loadtest.Report) {
	fmt.Fprintf(s.out, "\nload test on %s: %d users, think %s, %s measured\n\n", r.Engine, r.Users, r.Think, r.Took.Round(100*time.Millisecond))
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-30s\tcount\tp50\tp95\tp99\tmax\t5xx\tother\t\n", "operation")
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	for _, o := range r.Ops {
		fmt.Fprintf(tw, "%-30s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t\n", o.Op, thousands(int64(o.Count)), ms(o.P50), ms(o.P95), ms(o.P99), ms(o.Max),
			o.Status5xx, o.Unexpected+o.Errors)
	}
	tw.Flush()
	mb := func(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }
	fmt.Fprintf(s.out, "\n  requests       %s (%.0f/s)\n", thousands(int64(r.Requests)), r.Throughput)
	fmt.Fprintf(s.out, "  5xx            %d\n  other errors   %d unexpected answers, %d transport errors\n", r.Status5xx, r.Unexpected, r.Errors)
	fmt.Fprintf(s.out, "  acknowledged   %s bookings, %s note saves; lost after a restart: %d\n", thousands(int64(r.Bookings)), thousands(int64(r.Saves)), r.Lost)
	fmt.Fprintf(s.out, "  server memory  RSS %s before the load, peak %s (sampled each second; VmHWM %s), %s at the end\n",
		mb(r.RSSStart), mb(r.RSSPeak), mb(r.RSSHWM), mb(r.RSSEnd))
	for i, x := range r.Samples {
		if i == 10 {
			fmt.Fprintf(s.out, "  … and %d more unexpected answers\n", len(r.Samples)-10)
			break
		}
		fmt.Fprintf(s.out, "  unexpected: %s\n", x)
	}
	for i, x := range r.ServerErrors {
		if i == 10 {
			fmt.Fprintf(s.out, "  … and more errors in the server's log\n")
			break
		}
		fmt.Fprintf(s.out, "  server log: %s\n", x)
	}
	for i, x := range r.LostDetail {
		if i == 20 {
			fmt.Fprintf(s.out, "  … and %d more lost\n", len(r.LostDetail)-20)
			break
		}
		fmt.Fprintf(s.out, "  LOST: %s\n", x)
	}
	if r.Kept != "" {
		fmt.Fprintf(s.out, "  kept: %s\n", r.Kept)
	}
}
