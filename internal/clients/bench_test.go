package clients_test

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/gen"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

// go test ./internal/clients -run '^$' -bench Search -clients.n 1000000 -clients.sqlite /tmp/clientbench/1m.db
var (
	benchClients = flag.Int("clients.n", 10_000, "clients in the practice BenchmarkSearch searches")
	benchSQLite  = flag.String("clients.sqlite", "", "SQLite `file` for BenchmarkSearch, kept afterwards: filled when it holds no clients and "+
		"reused when it holds -clients.n (default: a temporary file)")
	benchPostgres = flag.String("clients.postgres", "", "PostgreSQL database `URL` for BenchmarkSearch, kept and reused like -clients.sqlite "+
		"(default: a fresh schema on "+dbtest.EnvURL+")")
)

// benchClinicians is how many clinicians share the practice's clients.
const benchClinicians = 200

// The benchmark practice's staff: user 1 is an administrator, 2 the front
// desk, and 3 … 202 the clinicians (every eighth an associate, every
// twenty-fifth also a supervisor). benchClinician is the one whose searches
// are measured: an ordinary clinician with an average caseload.
const (
	benchFrontDesk = 2
	benchClinician = 3
)

// searchKinds are the queries measured, as a front desk types them.
var searchKinds = []string{"name3", "first_last", "dob", "phone", "mrn", "email"}

// BenchmarkSearch measures Search on a practice of -clients.n clients, for
// each kind of query, as the front desk (who sees everyone) and as a
// clinician (whose results are limited to their caseload). It reports the
// median and 95th percentile of the whole call: authorisation, the query
// and the audit entry it writes.
func BenchmarkSearch(b *testing.B) {
	n := *benchClients
	for _, engine := range dbtest.Engines {
		b.Run(fmt.Sprintf("%s/clients=%d", engine, n), func(b *testing.B) {
			ctx := context.Background()
			var d *db.DB
			switch {
			case engine == db.SQLite && *benchSQLite != "":
				d = openKept(b, db.Options{Path: *benchSQLite})
			case engine == db.Postgres && *benchPostgres != "":
				d = openKept(b, db.Options{URL: *benchPostgres})
			default:
				d = dbtest.Open(b, engine)
			}
			if have := countClients(b, d); have == 0 {
				start := time.Now()
				fillPractice(b, d, n)
				b.Logf("filled %d clients in %s", n, time.Since(start).Round(time.Millisecond))
			} else if have != n {
				b.Fatalf("the database holds %d clients, not %d", have, n)
			}
			clk := clock.System{}
			svc := clients.NewService(d, clk, audit.NewLog(d, clk, access.Policy{ClientRule: clients.CaseloadRule(d, clk)}), nil)
			actors := []struct {
				name  string
				actor access.Actor
			}{
				{"frontdesk", access.Actor{UserID: benchFrontDesk, Roles: []access.Role{access.RoleFrontDesk}}},
				{"clinician", access.Actor{UserID: benchClinician, Roles: []access.Role{access.RoleClinician}}},
			}
			for _, who := range actors {
				queries := sampleQueries(b, d, who.actor, 200)
				for _, kind := range searchKinds {
					b.Run(who.name+"/"+kind, func(b *testing.B) {
						qs := queries[kind]
						lat := make([]time.Duration, 0, 1024)
						found := 0
						for b.Loop() {
							q := qs[len(lat)%len(qs)]
							start := time.Now()
							res, err := svc.Search(ctx, who.actor, clients.SearchFilter{Query: q})
							lat = append(lat, time.Since(start))
							if err != nil {
								b.Fatalf("search %q: %v", q, err)
							}
							found += len(res)
						}
						slices.Sort(lat)
						ms := func(p float64) float64 {
							return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
						}
						b.ReportMetric(ms(0.50), "p50-ms")
						b.ReportMetric(ms(0.95), "p95-ms")
						b.ReportMetric(float64(found)/float64(len(lat)), "results/op")
					})
				}
			}
		})
	}
}

// TestFillPractice checks that the benchmark's practice is one the service
// searches as expected on both engines.
func TestFillPractice(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		fillPractice(t, d, 3000)
		clk := clock.System{}
		svc := clients.NewService(d, clk, audit.NewLog(d, clk, access.Policy{ClientRule: clients.CaseloadRule(d, clk)}), nil)
		frontDesk := access.Actor{UserID: benchFrontDesk, Roles: []access.Role{access.RoleFrontDesk}}
		clinician := access.Actor{UserID: benchClinician, Roles: []access.Role{access.RoleClinician}}
		for _, who := range []access.Actor{frontDesk, clinician} {
			for kind, qs := range sampleQueries(t, d, who, 20) {
				if len(qs) < 10 {
					t.Errorf("user %d: only %d %s queries", who.UserID, len(qs), kind)
				}
				for _, q := range qs {
					res, err := svc.Search(ctx, who, clients.SearchFilter{Query: q})
					if err != nil || len(res) == 0 {
						t.Fatalf("user %d, %s %q: %d results, %v", who.UserID, kind, q, len(res), err)
					}
					if who.UserID == benchClinician {
						if _, err := svc.Get(ctx, clinician, res[len(res)-1].ID, clients.SectionChart); err != nil {
							t.Errorf("clinician found client %d but may not open it: %v", res[len(res)-1].ID, err)
						}
					}
				}
			}
		}
		// A new registration continues the numbering.
		c, err := svc.Create(ctx, frontDesk, clients.Input{FirstName: "Nova", LastName: "Quill", BirthDate: "2000-01-01"})
		if err != nil || c.MRN != "MS-003001" {
			t.Errorf("create after fill = %s, %v", c.MRN, err)
		}
	})
}

// openKept opens and migrates the database o names, and leaves it in place afterwards.
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

func countClients(tb testing.TB, d *db.DB) int {
	tb.Helper()
	var n int
	if err := d.Read().QueryRowContext(context.Background(), `SELECT count(*) FROM clients`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// sampleQueries picks up to n clients the actor may see and returns, for
// each kind of search, what someone looking for them would type.
func sampleQueries(tb testing.TB, d *db.DB, a access.Actor, n int) map[string][]string {
	tb.Helper()
	ctx := context.Background()
	// The front desk sees everyone; a clinician (no supervisor here) their
	// own clients and those whose care team they are on, as the caseload
	// rule says.
	where := "TRUE"
	var args []any
	if a.Has(access.RoleClinician) {
		where, args = `(c.primary_clinician_id = $1 OR EXISTS (SELECT 1 FROM client_care_team t WHERE t.client_id = c.id AND t.user_id = $1))`, []any{a.UserID}
	}
	// Every k-th visible client, spread over the whole table.
	var total int
	if err := d.Read().QueryRowContext(ctx, `SELECT count(*) FROM clients c WHERE `+where, args...).Scan(&total); err != nil {
		tb.Fatal(err)
	}
	step := max(1, total/n)
	rows, err := d.Read().QueryContext(ctx, `SELECT first_name, last_name, birth_date, mrn, email,
		COALESCE((SELECT number FROM client_phones p WHERE p.client_id = v.id AND p.position = 0), '')
		FROM (SELECT c.*, row_number() OVER (ORDER BY c.id) AS k FROM clients c WHERE `+where+`) v
		WHERE k % `+fmt.Sprint(step)+` = 0 ORDER BY id LIMIT `+fmt.Sprint(n), args...)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var first, last, dob, mrn, email, phone string
		if err := rows.Scan(&first, &last, &dob, &mrn, &email, &phone); err != nil {
			tb.Fatal(err)
		}
		r := []rune(last)
		out["name3"] = append(out["name3"], string(r[:min(3, len(r))]))
		out["first_last"] = append(out["first_last"], first+" "+string(r[:min(3, len(r))]))
		out["dob"] = append(out["dob"], dob)
		out["mrn"] = append(out["mrn"], mrn)
		if email != "" {
			out["email"] = append(out["email"], email)
		}
		if phone != "" {
			out["phone"] = append(out["phone"], phone)
		}
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// fillPractice registers n clients (made by gen.ClientGen) and the staff
// who treat them directly in SQL, far faster than Create: db.BulkInsert in
// large batches, multi-row INSERTs on SQLite, COPY on PostgreSQL. Names,
// search keys, phones and care teams are what Create would have stored. SSNs
// are left out (sealing is not searched).
func fillPractice(tb testing.TB, d *db.DB, n int) {
	tb.Helper()
	ctx := context.Background()
	ids := make([]int64, benchClinicians)
	for i := range ids {
		ids[i] = int64(benchClinician + i)
	}
	g := gen.NewClientGen(1, ids, benchToday)
	if err := d.InTx(ctx, func(tx *db.Tx) error { return insertStaff(ctx, tx, d.Engine) }); err != nil {
		tb.Fatalf("fill practice: staff: %v", err)
	}
	if err := fillClients(ctx, d, g, n); err != nil {
		tb.Fatalf("fill practice: %v", err)
	}
	if _, err := d.Writer().ExecContext(ctx, `UPDATE mrn_counter SET next = $1 WHERE id = 1`, n+1); err != nil {
		tb.Fatalf("fill practice: mrn counter: %v", err)
	}
}

// benchToday is the generator's "today", so that a seed always gives the same practice.
var benchToday = time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)

func insertStaff(ctx context.Context, tx *db.Tx, engine db.Engine) error {
	add := func(id int64, email, name string, roles ...access.Role) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, password_hash, password_changed_at, created_at, updated_at)
			VALUES ($1, $2, $3, 'x', 0, 0, 0)`, id, email, name); err != nil {
			return err
		}
		for _, r := range roles {
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, $2)`, id, string(r)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := add(1, "admin@bench.test", "Admin", access.RoleAdmin); err != nil {
		return err
	}
	if err := add(benchFrontDesk, "frontdesk@bench.test", "Front Desk", access.RoleFrontDesk); err != nil {
		return err
	}
	for i := range benchClinicians {
		id := int64(benchClinician + i)
		roles := []access.Role{access.RoleClinician}
		switch {
		case i%8 == 7:
			roles = []access.Role{access.RoleAssociate}
		case i%25 == 24:
			roles = append(roles, access.RoleSupervisor)
		}
		if err := add(id, fmt.Sprintf("clinician%d@bench.test", i), fmt.Sprintf("Clinician %d", i), roles...); err != nil {
			return err
		}
	}
	// Each associate is supervised by a supervisor of their block of 25.
	for i := 7; i < benchClinicians; i += 8 {
		sup := i/25*25 + 24
		if sup > 174 { // 199 is an associate
			sup = 24
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO supervision (supervisor_id, supervisee_id) VALUES ($1, $2)`,
			int64(benchClinician+sup), int64(benchClinician+i)); err != nil {
			return err
		}
	}
	if engine == db.Postgres { // SQLite's INTEGER PRIMARY KEY continues after the largest id by itself
		_, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('users', 'id'), $1, false)`, benchClinician+benchClinicians)
		return err
	}
	return nil
}

// fillClients writes n clients with their phones and care teams in batches.
func fillClients(ctx context.Context, d *db.DB, g *gen.ClientGen, n int) error {
	if d.Engine == db.SQLite {
		// A bulk load: no fsync per commit, and a large page cache for the
		// indexes. The writer is one connection, so set these back afterwards.
		w := d.Writer()
		for _, p := range []string{`PRAGMA synchronous = OFF`, `PRAGMA cache_size = -1048576`} {
			if _, err := w.ExecContext(ctx, p); err != nil {
				return err
			}
		}
		defer w.ExecContext(ctx, `PRAGMA cache_size = -2000`)
		defer w.ExecContext(ctx, `PRAGMA synchronous = FULL`)
	}
	per := 50_000
	if d.Engine == db.Postgres {
		per = 200_000
	}
	for done := 0; done < n; {
		end := min(done+per, n)
		var rows, phones, team [][]any
		for id := done + 1; id <= end; id++ {
			c := g.Next(int64(id))
			rows = append(rows, c.Row())
			phones = append(phones, c.PhoneRows()...)
			team = append(team, c.CareTeamRows()...)
		}
		for _, t := range []struct {
			table string
			cols  []string
			rows  [][]any
		}{{"clients", gen.ClientColumns, rows}, {"client_phones", gen.PhoneColumns, phones}, {"client_care_team", gen.CareTeamColumns, team}} {
			if err := d.BulkInsert(ctx, t.table, t.cols, t.rows); err != nil {
				return err
			}
		}
		done = end
	}
	if d.Engine == db.SQLite {
		_, err := d.Writer().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
		return err
	}
	for _, s := range []string{
		`SELECT setval(pg_get_serial_sequence('clients', 'id'), (SELECT max(id) FROM clients))`,
		`SELECT setval(pg_get_serial_sequence('client_phones', 'id'), (SELECT max(id) FROM client_phones))`,
		// As autovacuum would after a load this size: statistics for the
		// planner, and the visibility map that lets index-only scans skip
		// the table.
		`VACUUM ANALYZE clients`, `VACUUM ANALYZE client_phones`, `VACUUM ANALYZE client_care_team`,
	} {
		if _, err := d.Pool.Exec(ctx, s); err != nil {
			return err
		}
	}
	return nil
}
