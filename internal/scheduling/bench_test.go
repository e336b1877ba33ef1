package scheduling

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

// go test ./internal/scheduling -run '^$' -bench DayView -sched.weeks 520 -sched.sqlite /tmp/schedbench/large.db
var (
	benchWeeks  = flag.Int("sched.weeks", 4, "weeks of history (and as many ahead) BenchmarkDayView fills: 200 clinicians × 8 sessions × 5 days a week")
	benchSQLite = flag.String("sched.sqlite", "", "SQLite `file` for BenchmarkDayView, kept and reused when it holds the same size")
	benchPG     = flag.String("sched.postgres", "", "PostgreSQL `URL` for BenchmarkDayView, kept and reused like -sched.sqlite")
)

const (
	benchClinicians = 200
	benchPerDay     = 8
	benchClients    = 10_000
	benchFrontDesk  = 1
	benchClinician  = 2
)

// benchMonday is the middle of the generated range: the day the views read.
var benchMonday = time.Date(2026, 6, 1, 0, 0, 0, 0, ny)

// BenchmarkDayView measures the all-clinicians day view (Calendar over one
// day, 200 clinicians, about 1,600 appointments with their clients) on a
// database holding -sched.weeks weeks of appointments on either side of the
// day, as the front desk (every name shown) and as a clinician (the caseload
// query hides the others). It reports the median and 95th percentile of the
// whole call, its authorisation and audit entry included.
func BenchmarkDayView(b *testing.B) {
	for _, engine := range dbtest.Engines {
		total := *benchWeeks * 2 * 5 * benchClinicians * benchPerDay
		b.Run(fmt.Sprintf("%s/appointments=%d", engine, total), func(b *testing.B) {
			ctx := context.Background()
			var d *db.DB
			switch {
			case engine == db.SQLite && *benchSQLite != "":
				d = openKept(b, db.Options{Path: *benchSQLite})
			case engine == db.Postgres && *benchPG != "":
				d = openKept(b, db.Options{URL: *benchPG})
			default:
				d = dbtest.Open(b, engine)
			}
			var have int
			if err := d.Read().QueryRowContext(ctx, `SELECT count(*) FROM appointments`).Scan(&have); err != nil {
				b.Fatal(err)
			}
			if have == 0 {
				start := time.Now()
				fillCalendar(b, d, *benchWeeks)
				b.Logf("filled %d appointments in %s", total, time.Since(start).Round(time.Millisecond))
			} else if have != total {
				b.Fatalf("the database holds %d appointments, not %d", have, total)
			}
			clk := clock.System{}
			svc := NewService(d, clk, audit.NewLog(d, clk, access.Policy{ClientRule: clients.CaseloadRule(d, clk)}))
			for _, who := range []struct {
				name  string
				actor access.Actor
			}{
				{"frontdesk", access.Actor{UserID: benchFrontDesk, Roles: []access.Role{access.RoleFrontDesk}}},
				{"clinician", access.Actor{UserID: benchClinician, Roles: []access.Role{access.RoleClinician}}},
			} {
				b.Run(who.name, func(b *testing.B) {
					var lat []time.Duration
					n := 0
					for i := 0; b.Loop(); i++ {
						day := benchMonday.AddDate(0, 0, i%5)
						t0 := time.Now()
						aps, err := svc.Calendar(ctx, who.actor, Range{From: day, To: day.AddDate(0, 0, 1)})
						lat = append(lat, time.Since(t0))
						if err != nil {
							b.Fatal(err)
						}
						n = len(aps)
					}
					slices.Sort(lat)
					b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
					b.ReportMetric(float64(n), "appointments")
				})
			}
		})
	}
}

func openKept(tb testing.TB, o db.Options) *db.DB {
	tb.Helper()
	d, err := db.Open(context.Background(), o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return d
}

// fillCalendar writes a practice of 200 clinicians and 10,000 clients, and
// weeks × 2 weeks of weekday appointments (8 a day each, hourly from 09:00,
// one in twenty cancelled) around benchMonday, in bulk.
func fillCalendar(tb testing.TB, d *db.DB, weeks int) {
	tb.Helper()
	ctx := context.Background()
	now := db.Micros(time.Now())
	r := rand.New(rand.NewPCG(1, 2))
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(d.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO practice (id, name, time_zone, created_at, updated_at) VALUES (1, 'Bench', 'America/New_York', $1, $1)`, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO locations (id, name, place_of_service, created_at, updated_at) VALUES (1, 'Main', '11', $1, $1)`, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO appointment_types (id, name, duration_minutes, service_code, kind, created_at, updated_at) VALUES (1, 'Individual', 53, '90834', 'individual', $1, $1)`, now)
		return err
	}))
	var users, roles [][]any
	users = append(users, []any{benchFrontDesk, "frontdesk@bench.test", "Front Desk", "x", 0, 0, 0})
	roles = append(roles, []any{benchFrontDesk, "frontdesk"})
	for i := range benchClinicians {
		id := benchClinician + i
		users = append(users, []any{id, fmt.Sprintf("c%d@bench.test", i), fmt.Sprintf("Clinician %03d", i), "x", 0, 0, 0})
		roles = append(roles, []any{id, "clinician"})
	}
	must(d.BulkInsert(ctx, "users", []string{"id", "email", "name", "password_hash", "password_changed_at", "created_at", "updated_at"}, users))
	must(d.BulkInsert(ctx, "user_roles", []string{"user_id", "role"}, roles))
	var cls [][]any
	for i := 1; i <= benchClients; i++ {
		first, last := fmt.Sprintf("First%d", i), fmt.Sprintf("Last%d", i)
		cls = append(cls, []any{i, fmt.Sprintf("MS-%06d", i), first, last, "1990-01-01", "active", "2026-01-01",
			benchClinician + (i % benchClinicians), clients.Fold(last), clients.Fold(first), now, now})
	}
	must(d.BulkInsert(ctx, "clients", []string{"id", "mrn", "first_name", "last_name", "birth_date", "status", "status_date",
		"primary_clinician_id", "search_last", "search_first", "created_at", "updated_at"}, cls))
	if d.Engine == db.Postgres {
		for _, t := range []string{"users", "clients", "locations", "appointment_types"} {
			_, err := d.Writer().ExecContext(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT max(id) FROM %s))`, t, t))
			must(err)
		}
	}
	apCols := []string{"id", "clinician_id", "type_id", "location_id", "starts_at", "ends_at", "status", "blocks", "created_at", "updated_at"}
	acCols := []string{"appointment_id", "client_id", "starts_at"}
	id := int64(0)
	first := benchMonday.AddDate(0, 0, -7*weeks)
	for w := range 2 * weeks {
		var aps, acs [][]any
		for wd := range 5 {
			day := first.AddDate(0, 0, 7*w+wd)
			for c := range benchClinicians {
				// Each clinician's caseload is the clients whose id ≡ c (mod 200).
				for h := range benchPerDay {
					id++
					start := time.Date(day.Year(), day.Month(), day.Day(), 9+h, 0, 0, 0, ny)
					status, blocks := "scheduled", true
					if r.IntN(20) == 0 {
						status, blocks = "cancelled", false
					}
					aps = append(aps, []any{id, benchClinician + c, 1, 1, db.Micros(start), db.Micros(start.Add(53 * time.Minute)), status, blocks, now, now})
					client := c + benchClinicians*r.IntN(benchClients/benchClinicians)
					if client == 0 {
						client = benchClinicians
					}
					acs = append(acs, []any{id, client, db.Micros(start)})
				}
			}
		}
		must(d.BulkInsert(ctx, "appointments", apCols, aps))
		must(d.BulkInsert(ctx, "appointment_clients", acCols, acs))
	}
	if d.Engine == db.Postgres {
		_, err := d.Writer().ExecContext(ctx, `ANALYZE`)
		must(err)
	}
}
