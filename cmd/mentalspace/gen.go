package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/gen"
	"github.com/mentalspace/mentalspace/internal/platform/config"
)

func cmdGen(ctx context.Context, args []string, getenv func(string) string, s stdio) error {
	cfg := config.Default()
	fs := newFlagSet("gen", "--size tiny|small|large [--seed N] [--notes-months N] [--today YYYY-MM-DD] [--data-dir DIR] [--database-url URL]\n\n"+
		"Fills a new, empty database with a synthetic practice for benchmarks and load tests (docs/PERFORMANCE.md,\n"+
		"\"Data generator\"). Every staff account's password is \""+gen.Password+"\": never point it at real data.", s)
	check := commonFlags(fs, &cfg, getenv)
	sizeName := fs.String("size", "", "practice `size`: tiny (tests), small (50 clinicians, 10.8 k clients) or large (500 clinicians, 1 M clients, about 24 M appointments)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed, size and --today give the same practice")
	notesMonths := -1
	fs.Func("notes-months", "how many `months` back completed sessions have notes (default: the size's own: tiny 12, small 6, large 3)", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errors.New("give a number of months, 0 or more")
		}
		notesMonths = n
		return nil
	})
	today := fs.String("today", gen.DefaultToday.Format(time.DateOnly), "the practice's today, a `date` YYYY-MM-DD: sessions before 12:30 on it have happened, later ones are booked")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := check(); err != nil {
		return err
	}
	if *sizeName == "" {
		fs.Usage()
		return errors.New("give a --size: tiny, small or large")
	}
	size, err := gen.SizeNamed(*sizeName)
	if err != nil {
		return err
	}
	if notesMonths >= 0 {
		size.NotesMonths = notesMonths
	}
	if size.Today, err = time.Parse(time.DateOnly, *today); err != nil {
		return fmt.Errorf("--today: give a date as YYYY-MM-DD")
	}
	e, err := open(ctx, cfg, s, true)
	if err != nil {
		return err
	}
	defer e.close()
	start := time.Now()
	p := &genProgress{w: s.out, start: start, bar: isTerminal(s.out)}
	fmt.Fprintf(s.out, "Generating the %s practice (seed %d, today %s, notes for %d months) on %s…\n",
		size.Name, *seed, size.Today.Format(time.DateOnly), size.NotesMonths, e.db.Engine)
	var counts map[string]int64
	err = gen.Run(ctx, e.db, e.keyring, size, *seed, func(r gen.Report) {
		p.report(r)
		if r.Counts != nil {
			counts = r.Counts
		}
	})
	p.end()
	if err != nil {
		return err
	}
	took := time.Since(start)
	var total int64
	for _, n := range counts {
		total += n
	}
	fmt.Fprintf(s.out, "\nDone in %s: %s rows (%s rows/s).\n", took.Round(100*time.Millisecond), thousands(total), thousands(int64(float64(total)/took.Seconds())))
	fmt.Fprintf(s.out, "  %d clinicians, %s clients, %s appointments, %s notes, %s audit entries\n", size.Clinicians,
		thousands(counts["clients"]), thousands(counts["appointments"]), thousands(counts["notes"]), thousands(counts["audit_log"]))
	for _, t := range gen.Tables() {
		if n, ok := counts[t]; ok {
			fmt.Fprintf(s.out, "  %-22s %12s\n", t, thousands(n))
		}
	}
	var clinician string
	_ = e.db.Read().QueryRowContext(ctx, `SELECT u.email FROM users u JOIN user_roles r ON r.user_id = u.id WHERE r.role = 'clinician' ORDER BY u.id LIMIT 1`).Scan(&clinician)
	fmt.Fprintf(s.out, "\nEvery staff account's password is %q: for example admin@%s (administrators set up two-step sign-in first), or %s.\n",
		gen.Password, gen.StaffDomain, clinician)
	fmt.Fprintf(s.out, "Note bodies are sealed with the master key in %s: serve this database with the same --data-dir.\n", cfg.DataDir)
	return nil
}

// isTerminal reports whether w is a character device (a terminal), where a
// progress bar can redraw itself.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// genProgress prints gen's reports: a bar redrawn in place on a terminal,
// a line every ten seconds otherwise.
type genProgress struct {
	w        io.Writer
	start    time.Time
	bar      bool
	lastLine time.Time
	phase    string
	drawn    bool
}

func (p *genProgress) report(r gen.Report) {
	now := time.Now()
	elapsed := now.Sub(p.start)
	rate := float64(r.Rows) / max(elapsed.Seconds(), 1e-3)
	frac := 0.0
	if r.Total > 0 {
		frac = float64(r.Done) / float64(r.Total)
	}
	eta := "…"
	if r.Phase == "practice" && frac > 0.01 {
		eta = (time.Duration(float64(elapsed)*(1-frac)/frac) + time.Second/2).Round(time.Second).String()
	}
	if p.bar {
		const width = 30
		n := int(frac * width)
		line := fmt.Sprintf("\r%-9s [%s%s] %3.0f%%  %s/%s clients  %s rows  %s rows/s  ETA %s ", r.Phase, strings.Repeat("#", n),
			strings.Repeat(".", width-n), 100*frac, thousands(r.Done), thousands(r.Total), thousands(r.Rows), thousands(int64(rate)), eta)
		if r.Phase != "practice" {
			line = fmt.Sprintf("\r%-9s [%s%s] %3.0f%%  %s rows  %s ", r.Phase, strings.Repeat("#", n), strings.Repeat(".", width-n), 100*frac,
				thousands(r.Rows), elapsed.Round(time.Second))
		}
		fmt.Fprint(p.w, line+"\x1b[K")
		p.drawn = true
		return
	}
	if r.Phase == p.phase && now.Sub(p.lastLine) < 10*time.Second {
		return
	}
	p.phase, p.lastLine = r.Phase, now
	switch r.Phase {
	case "practice":
		fmt.Fprintf(p.w, "  %s: %3.0f%% (%s of %s clients), %s rows, %s rows/s, ETA %s\n", r.Phase, 100*frac, thousands(r.Done),
			thousands(r.Total), thousands(r.Rows), thousands(int64(rate)), eta)
	default:
		fmt.Fprintf(p.w, "  %s (%s)\n", r.Phase, elapsed.Round(100*time.Millisecond))
	}
}

func (p *genProgress) end() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}

// thousands formats n with thousands separators: 1,234,567.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
