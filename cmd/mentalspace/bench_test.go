package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/mentalspace/mentalspace/internal/bench"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// TestBench runs a few scenarios briefly on a tiny generated practice
// (internal/bench tests every scenario on both engines) and checks the
// table, the JSON report and the refusals.
func TestBench(t *testing.T) {
	in := newInstall(t, db.SQLite)
	in.mustRun(t, "", "gen", "--size", "tiny")
	file := filepath.Join(in.dir, "report.json")
	r := in.mustRun(t, "", "bench", "--iterations", "5", "--writers", "4", "--scenarios", "s1, S2,s7", "--json", file)
	checkResult(t, r, 0, []string{"sqlite: 8 clinicians, 300 clients", "L/1", "L/4", "S1/4", "bookings/s", "double bookings: 0", "S2", "S7/verify"},
		[]string{"S1: booking, 4 writers"})
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var rep bench.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("the JSON report: %v", err)
	}
	if s1, ok := rep.Find("S1/4"); rep.Engine != "sqlite" || !ok || s1.Calls != 5 || s1.Versus != "L/4" || rep.Booking == nil {
		t.Errorf("JSON report: engine %q, S1/4 %+v, booking %+v", rep.Engine, s1, rep.Booking)
	}
	// A later run on the same database books further ahead.
	in.mustRun(t, "", "bench", "--iterations", "3", "--writers", "2", "--scenarios", "S1")

	checkResult(t, in.run(t, "", "bench", "--scenarios", "S5"), 1, nil, []string{`unknown scenario "S5"`})
	other := newInstall(t, db.SQLite)
	checkResult(t, other.run(t, "", "bench"), 1, nil, []string{"no database at"})
	other.setUp(t)
	checkResult(t, other.run(t, "", "bench", "--iterations", "1"), 1, nil, []string{"not a practice made by `mentalspace gen`"})
}
