package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mentalspace/mentalspace/internal/bench"
	"github.com/mentalspace/mentalspace/internal/gen"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/crypto"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

// tiny fills d with the tiny practice and returns the keyring that sealed it.
func tiny(t *testing.T, d *db.DB) *crypto.Keyring {
	t.Helper()
	k := crypto.NewKeyring(d, crypto.GenerateMasterKey(), clock.System{})
	if err := gen.Run(context.Background(), d, k, gen.Tiny, 1, nil); err != nil {
		t.Fatalf("gen: %v", err)
	}
	return k
}

// TestRun runs every scenario briefly on the tiny practice and checks that
// each part measured something sane, that S1 booked and refused clashes
// without double-booking, and that its check catches a double booking
// made behind its back.
func TestRun(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		keys := tiny(t, d)
		var log bytes.Buffer
		rep, err := bench.Run(ctx, d, keys, bench.Options{Iterations: 12, Writers: 4, Log: &log})
		if err != nil {
			t.Fatalf("Run: %v\n%s", err, log.String())
		}
		want := []string{"L/1", "L/4", "S1/1", "S1/4", "S2", "S2/50", "S3/frontdesk", "S3/clinician", "S4", "S4/db", "S7/append", "S7/append-in-tx", "S7/verify"}
		var got []string
		for _, r := range rep.Results {
			got = append(got, r.Name)
			if r.Calls == 0 || r.Throughput <= 0 || r.P50 <= 0 || r.P50 > r.P95 || r.P95 > r.P99 {
				t.Errorf("%s: calls %d, throughput %v, p50/p95/p99 %v/%v/%v: want some calls, in order", r.Name, r.Calls, r.Throughput, r.P50, r.P95, r.P99)
			}
			if r.Scenario != bench.Limit && r.Scenario != bench.Audit && r.Calls > 12 {
				t.Errorf("%s: %d calls, want at most the 12 asked", r.Name, r.Calls)
			}
			switch r.Scenario {
			case bench.Book, bench.Sign:
				if !strings.HasPrefix(r.Versus, "L/") || r.Ratio <= 0 {
					t.Errorf("%s: ratio %v to %q, want a ratio to L", r.Name, r.Ratio, r.Versus)
				}
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("parts = %v, want %v", got, want)
		}
		if r, _ := rep.Find("S7/append-in-tx"); r.Met == nil || r.Versus != "of S1/1 p50" {
			t.Errorf("S7/append-in-tx: %+v, want a fraction of S1 judged against the target", r)
		}
		if r, _ := rep.Find("S7/verify"); r.PerCore <= 0 || r.Met == nil {
			t.Errorf("S7/verify: %+v, want a rate per core judged against the target", r)
		}
		b := rep.Booking
		if b == nil || b.Booked < 12 || b.Conflicts == 0 || b.DoubleBookings != 0 {
			t.Fatalf("S1 booking check = %+v, want bookings, refused clashes on the contended slot, no double booking", b)
		}
		if r, _ := rep.Find("S1/4"); strings.Contains(r.Note, "free slots") {
			t.Errorf("S1/4: %s", r.Note)
		}

		// The run's writes kept the audit chain whole: verify ran last, on
		// everything; the report and the table say what they measured.
		var table bytes.Buffer
		if err := rep.WriteTable(&table); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"S1/4", "× L/4", "bookings/s", "double bookings: 0", "S7/verify"} {
			if !strings.Contains(table.String(), s) {
				t.Errorf("the table lacks %q:\n%s", s, table.String())
			}
		}
		if _, err := json.Marshal(rep); err != nil {
			t.Fatal(err)
		}

		// A double booking made by hand, beside one of the run's own.
		if _, err := d.Writer().ExecContext(ctx, `INSERT INTO appointments (clinician_id, type_id, location_id, room_id, telehealth,
				starts_at, ends_at, status, blocks, capacity, created_at, updated_at)
			SELECT clinician_id, type_id, location_id, room_id, telehealth, starts_at + 600000000, ends_at + 600000000, 'scheduled', TRUE, 1, created_at, updated_at
			FROM appointments WHERE id = (SELECT max(id) FROM appointments WHERE room_id IS NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		n, err := bench.DoubleBookings(ctx, d.Read(), b.AfterID)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 { // the clinician's pair and the room's
			t.Errorf("DoubleBookings after a hand-made double booking = %d, want 2", n)
		}
	})
}

func TestRefusesRealData(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	keys := tiny(t, d)
	if _, err := d.Writer().ExecContext(context.Background(), `UPDATE users SET email = 'someone@clinic.example' WHERE id = (SELECT max(id) FROM users)`); err != nil {
		t.Fatal(err)
	}
	if _, err := bench.Run(context.Background(), d, keys, bench.Options{Iterations: 1}); !errors.Is(err, bench.ErrNotGenerated) {
		t.Errorf("Run on a practice with a real account = %v, want ErrNotGenerated", err)
	}
}

func TestOptions(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	if _, err := bench.Run(context.Background(), d, nil, bench.Options{Scenarios: []string{"S9"}}); err == nil || !strings.Contains(err.Error(), `unknown scenario "S9"`) {
		t.Errorf("Run with scenario S9 = %v, want it refused", err)
	}
}

// TestBaseline: with a smaller practice's report as the baseline, S2 and S3
// are given as large/small and judged, except a calendar wider than the
// baseline's, whose ratio is shown but not judged.
func TestBaseline(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	keys := tiny(t, d)
	ctx := context.Background()
	opts := bench.Options{Iterations: 5, Scenarios: []string{"S2", "S3"}}
	base, err := bench.Run(ctx, d, keys, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range base.Results {
		if base.Results[i].Name == "S2" {
			base.Results[i].Clinicians = 4 // as if the smaller practice had 4 clinicians
		}
	}
	opts.Baseline = base
	rep, err := bench.Run(ctx, d, keys, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"S2/50", "S3/frontdesk", "S3/clinician"} {
		if r, _ := rep.Find(name); r.Ratio <= 0 || r.Met == nil || !strings.HasPrefix(r.Versus, "p50 at 300 clients") {
			t.Errorf("%s: %+v, want a ratio to the baseline, judged", name, r)
		}
	}
	if r, _ := rep.Find("S2"); r.Ratio <= 0 || r.Met != nil || !strings.Contains(r.Versus, "4 clinicians") {
		t.Errorf("S2 wider than its baseline: %+v, want a ratio, not judged", r)
	}
}
