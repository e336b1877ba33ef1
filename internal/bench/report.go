package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// WriteTable writes the report for a terminal: what was measured, a table
// of the results, and each result's note.
func (r *Report) WriteTable(w io.Writer) error {
	budget := r.Duration + " per part"
	if r.Iterations > 0 {
		budget = fmt.Sprintf("%d calls per part", r.Iterations)
	}
	fmt.Fprintf(w, "MentalSpace benchmarks, %s, %s: %d clinicians, %d clients, %d appointments, %d notes, %d audit entries\n",
		r.Started.Format("2006-01-02 15:04 UTC"), r.Engine, r.Practice.Clinicians, r.Practice.Clients, r.Practice.Appointments,
		r.Practice.Notes, r.Practice.AuditEntries)
	var settings []string
	for _, k := range slices.Sorted(maps.Keys(r.Settings)) {
		settings = append(settings, k+"="+r.Settings[k])
	}
	fmt.Fprintf(w, "%d CPUs (GOMAXPROCS %d), load %s before and %s after; %d writers; %s\n", r.CPUs, r.GOMAXPROCS,
		orDash(r.Load[0]), orDash(r.Load[1]), r.Writers, budget)
	if r.CPU.Wall > 0 {
		fmt.Fprintf(w, "%.0f s: this process used %.0f CPU-seconds, the machine %.0f of %.0f (%.0f %% busy)\n", r.CPU.Wall, r.CPU.Process,
			r.CPU.Machine, r.CPU.Wall*float64(r.CPUs), 100*r.CPU.Machine/(r.CPU.Wall*float64(r.CPUs)))
	}
	fmt.Fprintf(w, "%s\n\n", strings.Join(settings, " "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "part\tconc\tcalls\tp50 ms\tp95 ms\tp99 ms\tthroughput\t\tvs\ttarget\tmet\t")
	for _, x := range r.Results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.2f\t%.2f\t%s\t%s\t%s\t%s\t%s\t\n", x.Name, x.Concurrency, x.Calls, x.P50, x.P95, x.P99,
			number(x.Throughput), x.Unit, x.versus(), x.Target, x.met())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, x := range r.Results {
		if x.Note != "" {
			fmt.Fprintf(w, "%s: %s\n", x.Name, x.Note)
		}
	}
	_, err := fmt.Fprintln(w)
	return err
}

// versus formats the ratio: "0.82 × L/50", "3.1 % of S1/1 p50".
func (x Result) versus() string {
	switch {
	case x.Versus == "":
		return ""
	case strings.HasPrefix(x.Versus, "of "):
		return fmt.Sprintf("%.1f %% %s", 100*x.Ratio, x.Versus)
	}
	return fmt.Sprintf("%.2f × %s", x.Ratio, x.Versus)
}

func (x Result) met() string {
	switch {
	case x.Met == nil:
		return ""
	case *x.Met:
		return "yes"
	}
	return "NO"
}

// number formats a rate with three significant figures and thousands
// separators: 0.412, 41.2, 412, 4,120.
func number(f float64) string {
	switch {
	case f < 10:
		return fmt.Sprintf("%.2f", f)
	case f < 100:
		return fmt.Sprintf("%.1f", f)
	}
	s := fmt.Sprintf("%.0f", f)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
