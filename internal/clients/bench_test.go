package clients

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
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
			svc := NewService(d, clk, audit.NewLog(d, clk, access.Policy{ClientRule: CaseloadRule(d, clk)}), nil)
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
							res, err := svc.Search(ctx, who.actor, SearchFilter{Query: q})
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
		svc := NewService(d, clk, audit.NewLog(d, clk, access.Policy{ClientRule: CaseloadRule(d, clk)}), nil)
		frontDesk := access.Actor{UserID: benchFrontDesk, Roles: []access.Role{access.RoleFrontDesk}}
		clinician := access.Actor{UserID: benchClinician, Roles: []access.Role{access.RoleClinician}}
		for _, who := range []access.Actor{frontDesk, clinician} {
			for kind, qs := range sampleQueries(t, d, who, 20) {
				if len(qs) < 10 {
					t.Errorf("user %d: only %d %s queries", who.UserID, len(qs), kind)
				}
				for _, q := range qs {
					res, err := svc.Search(ctx, who, SearchFilter{Query: q})
					if err != nil || len(res) == 0 {
						t.Fatalf("user %d, %s %q: %d results, %v", who.UserID, kind, q, len(res), err)
					}
					if who.UserID == benchClinician {
						if _, err := svc.Get(ctx, clinician, res[len(res)-1].ID, SectionChart); err != nil {
							t.Errorf("clinician found client %d but may not open it: %v", res[len(res)-1].ID, err)
						}
					}
				}
			}
		}
		// A new registration continues the numbering.
		c, err := svc.Create(ctx, frontDesk, Input{FirstName: "Nova", LastName: "Quill", BirthDate: "2000-01-01"})
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
	where := "TRUE"
	var args []any
	if !seesAll(a) {
		where, args = caseloadSQL("$1", false), []any{a.UserID}
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

// fillPractice registers n clients and the staff who treat them directly in
// SQL, far faster than Create: multi-row INSERTs in large transactions on
// SQLite, COPY on PostgreSQL. Names, search keys, phones and care teams are
// what Create would have stored. SSNs are left out (sealing is not searched).
func fillPractice(tb testing.TB, d *db.DB, n int) {
	tb.Helper()
	ctx := context.Background()
	g := newPracticeGen(1)
	if err := d.InTx(ctx, func(tx *db.Tx) error { return insertStaff(ctx, tx, d.Engine) }); err != nil {
		tb.Fatalf("fill practice: staff: %v", err)
	}
	var err error
	if d.Engine == db.Postgres {
		err = fillPracticePostgres(ctx, d, g, n)
	} else {
		err = fillPracticeSQLite(ctx, d, g, n)
	}
	if err != nil {
		tb.Fatalf("fill practice: %v", err)
	}
	if _, err := d.Writer().ExecContext(ctx, `UPDATE mrn_counter SET next = $1 WHERE id = 1`, n+1); err != nil {
		tb.Fatalf("fill practice: mrn counter: %v", err)
	}
}

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

// The generated tables' columns, in the order genClient emits them.
var (
	benchClientColumns = []string{"id", "mrn", "first_name", "middle_name", "last_name", "preferred_name", "birth_date", "sex", "races",
		"ethnicity", "language", "email", "address_line1", "city", "state", "postal_code", "status", "status_date",
		"primary_clinician_id", "search_last", "search_first", "search_preferred", "created_at", "updated_at"}
	benchPhoneColumns = []string{"client_id", "position", "kind", "number", "digits", "can_text", "can_voicemail"}
	benchTeamColumns  = []string{"client_id", "user_id", "search_last", "search_first", "search_preferred"}
)

// batch is one chunk of generated rows for the three tables.
type batch struct{ clients, phones, team [][]any }

func (g *practiceGen) batch(from, to int) batch {
	var bt batch
	for id := from; id < to; id++ {
		c, phones, team := g.client(int64(id))
		bt.clients = append(bt.clients, c)
		bt.phones = append(bt.phones, phones...)
		bt.team = append(bt.team, team...)
	}
	return bt
}

func fillPracticeSQLite(ctx context.Context, d *db.DB, g *practiceGen, n int) error {
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
	const perTx = 50_000
	for done := 0; done < n; {
		end := min(done+perTx, n)
		bt := g.batch(done+1, end+1)
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for _, t := range []struct {
				table string
				cols  []string
				rows  [][]any
			}{{"clients", benchClientColumns, bt.clients}, {"client_phones", benchPhoneColumns, bt.phones}, {"client_care_team", benchTeamColumns, bt.team}} {
				if err := insertRows(ctx, tx, t.table, t.cols, t.rows); err != nil {
					return fmt.Errorf("%s: %w", t.table, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		done = end
	}
	_, err := w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// insertRows inserts rows 100 to a statement. Positional ? parameters:
// SQLite looks $N names up one by one, which makes a long INSERT quadratic.
func insertRows(ctx context.Context, tx *db.Tx, table string, cols []string, rows [][]any) error {
	const per = 100
	stmt := func(k int) string {
		return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " +
			strings.Repeat(",("+strings.Repeat(",?", len(cols))[1:]+")", k)[1:]
	}
	full, err := tx.PrepareContext(ctx, stmt(per))
	if err != nil {
		return err
	}
	defer full.Close()
	args := make([]any, 0, per*len(cols))
	for i := 0; i < len(rows); i += per {
		chunk := rows[i:min(i+per, len(rows))]
		args = args[:0]
		for _, r := range chunk {
			args = append(args, r...)
		}
		var err error
		if len(chunk) == per {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, stmt(len(chunk)), args...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func fillPracticePostgres(ctx context.Context, d *db.DB, g *practiceGen, n int) error {
	const perCopy = 200_000
	for done := 0; done < n; {
		end := min(done+perCopy, n)
		bt := g.batch(done+1, end+1)
		for _, t := range []struct {
			table string
			cols  []string
			rows  [][]any
		}{{"clients", benchClientColumns, bt.clients}, {"client_phones", benchPhoneColumns, bt.phones}, {"client_care_team", benchTeamColumns, bt.team}} {
			if _, err := d.Pool.CopyFrom(ctx, pgx.Identifier{t.table}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
				return fmt.Errorf("copy %s: %w", t.table, err)
			}
		}
		done = end
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

// practiceGen makes a plausible client list: common names far more often
// than rare ones (a long tail of surnames made from syllables), children,
// teenagers, adults and older adults, most clients discharged or inactive
// as in a practice that has run for years, one or two phones each, and a
// primary clinician and sometimes a care team among benchClinicians.
type practiceGen struct {
	r           *rand.Rand
	first, last *zipf
}

// zipf picks from a list, the k-th item with weight 1/(k+10): the most
// common of 100 names about 4 % of the time, the rarest 0.4 %, about as
// steep as the commonest names of the United States.
type zipf struct {
	items []string
	cum   []float64
}

func newZipf(items []string) *zipf {
	z := &zipf{items: items}
	sum := 0.0
	for k := range items {
		sum += 1 / float64(k+11)
		z.cum = append(z.cum, sum)
	}
	return z
}

func (z *zipf) pick(r *rand.Rand) string {
	x := r.Float64() * z.cum[len(z.cum)-1]
	i, _ := slices.BinarySearch(z.cum, x)
	return z.items[min(i, len(z.items)-1)]
}

func newPracticeGen(seed uint64) *practiceGen {
	return &practiceGen{r: rand.New(rand.NewPCG(seed, seed)), first: newZipf(benchFirstNames), last: newZipf(benchLastNames)}
}

var (
	benchFirstNames = []string{"Maria", "James", "Sofia", "Michael", "Emma", "David", "Olivia", "Daniel", "Isabella", "José", "Ava", "Christopher",
		"Mia", "Anthony", "Emily", "Matthew", "Camila", "Joshua", "Aaliyah", "Andrew", "Chloé", "Luis", "Grace", "Kevin", "Nia", "Juan", "Hannah",
		"Jamal", "Priya", "Wei", "Fatima", "Mohammed", "Aiden", "Zoë", "Ethan", "Ana", "Carlos", "Lucía", "Noah", "Elena", "Jin", "Amara", "Omar",
		"Leah", "Diego", "Renée", "Kwame", "Yuki", "Marcus", "Sarah", "Tomás", "Ingrid", "Rahul", "Abigail", "Dmitri", "Mei", "Liam", "Adaeze",
		"Gabriel", "Naomi", "Hiroshi", "Valentina", "Samuel", "Imani", "Ahmed", "Rosa", "Benjamin", "Keisha", "Hao", "Margaret", "Isaac", "Lina",
		"Tyrone", "Ximena", "Elijah", "Aisha", "Nathan", "Beatriz", "Ravi", "Ruth", "Mateo", "Sienna", "Kofi", "Dolores", "Joaquín", "Astrid",
		"Caleb", "Ngozi", "Andrés", "Harriet", "Arjun", "Esther", "Malik", "Paloma", "Sung", "Frances", "Miguel", "Leila", "Jonah", "Thandiwe"}
	benchLastNames = []string{"Smith", "Garcia", "Johnson", "Nguyen", "Williams", "Rodriguez", "Brown", "Martinez", "Jones", "Hernandez", "Kim",
		"Lopez", "Patel", "Davis", "Gonzalez", "Lee", "Wilson", "Pérez", "Anderson", "Chen", "Taylor", "Sánchez", "Thomas", "Ramírez", "Moore",
		"Jackson", "Torres", "Martin", "Wang", "White", "Rivera", "Harris", "Flores", "Okafor", "Clark", "Singh", "Lewis", "Núñez", "Robinson",
		"Walker", "Khan", "Young", "Cohen", "Allen", "Park", "Wright", "Tran", "Scott", "Ali", "Green", "O'Brien", "Adams", "Murphy", "Baker",
		"Mensah", "Hall", "Nakamura", "Campbell", "Kowalski", "Mitchell", "Peña", "Carter", "Huang", "Roberts", "Shah", "Phillips", "Haddad",
		"Evans", "Ivanova", "Turner", "de la Cruz", "Collins", "Sato", "Stewart", "Müller", "Morris", "Gupta", "Rogers", "Choi", "Reed", "Rossi",
		"Cook", "Dubois", "Morgan", "Larsen", "Bell", "Mbeki", "Bailey", "Goldberg", "Cooper", "Popescu", "Richardson", "Ibáñez", "Cox",
		"Friedman", "Howard", "Yamamoto", "Ward", "Van der Berg", "Peterson", "Nasser"}
	syllableOnsets = []string{"b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "kr", "l", "m", "n", "p", "pr", "r", "s", "sh",
		"st", "t", "tr", "v", "w", "z"}
	syllableVowels = []string{"a", "e", "i", "o", "u", "ai", "ei", "ou", "ia", "ó", "é"}
	syllableCodas  = []string{"", "", "n", "r", "l", "s", "k", "m", "t", "nd", "rt", "ll", "ck", "sk", "z"}
	benchCities    = []struct{ city, state, zip, area string }{{"Chicago", "IL", "606", "312"}, {"Evanston", "IL", "602", "847"},
		{"Oak Park", "IL", "603", "708"}, {"Naperville", "IL", "605", "630"}, {"Gary", "IN", "464", "219"}, {"Milwaukee", "WI", "532", "414"},
		{"Skokie", "IL", "600", "224"}, {"Joliet", "IL", "604", "815"}}
	benchStreets = []string{"Main St", "Oak Ave", "Lake Shore Dr", "Maple St", "Washington Blvd", "Cedar Ln", "Division St", "Elm St",
		"Halsted St", "Pine Ct", "Grand Ave", "Ridge Rd"}
	benchDomains = []string{"example.com", "example.org", "example.net", "mail.example.com"}
)

// surname is a common surname two times in five, else one made of two or
// three syllables: the long tail a large practice sees.
func (g *practiceGen) surname() string {
	if g.r.IntN(5) < 2 {
		return g.last.pick(g.r)
	}
	var b strings.Builder
	for range 2 + g.r.IntN(2) {
		b.WriteString(syllableOnsets[g.r.IntN(len(syllableOnsets))])
		b.WriteString(syllableVowels[g.r.IntN(len(syllableVowels))])
		b.WriteString(syllableCodas[g.r.IntN(len(syllableCodas))])
	}
	s := []rune(b.String())
	return strings.ToUpper(string(s[0])) + string(s[1:])
}

// benchToday is the generator's "today", so that a seed always gives the same practice.
var benchToday = time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)

// client returns a clients row, its phone rows and its care team rows.
func (g *practiceGen) client(id int64) (row []any, phones [][]any, team [][]any) {
	r := g.r
	first, last := g.first.pick(r), g.surname()
	middle, preferred := "", ""
	if r.IntN(3) == 0 {
		middle = string(rune('A'+r.IntN(26))) + "."
	}
	if r.IntN(8) == 0 {
		preferred = g.first.pick(r)
	}
	var age int
	switch p := r.IntN(100); {
	case p < 8:
		age = 5 + r.IntN(8) // children
	case p < 18:
		age = 13 + r.IntN(5) // teenagers
	case p < 82:
		age = 18 + r.IntN(47)
	default:
		age = 65 + r.IntN(30)
	}
	birth := benchToday.AddDate(-age, 0, -r.IntN(365)).Format(time.DateOnly)
	sex := []string{"F", "F", "M", "M", "X", "U", ""}[r.IntN(7)]
	races := []string{"2106-3", "2054-5", "2028-9", "1002-5", "2076-8", "2106-3,2054-5", "ASKU", ""}[r.IntN(8)]
	ethnicity := []string{"2135-2", "2186-5", "2186-5", "ASKU", ""}[r.IntN(5)]
	language := []string{"English", "English", "English", "English", "Spanish", "Spanish", "Polish", "Vietnamese", "Arabic", "Korean"}[r.IntN(10)]
	email := ""
	if r.IntN(10) < 7 {
		local := strings.NewReplacer(" ", "", "'", "").Replace(Fold(first) + "." + Fold(last))
		if r.IntN(2) == 0 {
			local += fmt.Sprint(r.IntN(100))
		}
		email = local + "@" + benchDomains[r.IntN(len(benchDomains))]
	}
	city := benchCities[r.IntN(len(benchCities))]
	status := StatusDischarged
	switch p := r.IntN(100); {
	case p < 15:
		status = StatusActive
	case p < 35:
		status = StatusInactive
	case p < 40:
		status = StatusWaitlist
	case p < 45:
		status = StatusInquiry
	}
	created := benchToday.AddDate(0, 0, -r.IntN(15*365))
	var primary any
	clinicians := g.threeClinicians()
	if r.IntN(20) > 0 {
		primary = int64(benchClinician + clinicians[0])
	}
	row = []any{id, fmt.Sprintf("MS-%06d", id), first, middle, last, preferred, birth, sex, races, ethnicity, language, email,
		fmt.Sprintf("%d %s", 100+r.IntN(9900), benchStreets[r.IntN(len(benchStreets))]), city.city, city.state,
		fmt.Sprintf("%s%02d", city.zip, r.IntN(100)), string(status), created.Format(time.DateOnly), primary,
		Fold(last), Fold(first), Fold(preferred), db.Micros(created), db.Micros(created)}
	nPhones := 1
	switch p := r.IntN(20); {
	case p == 0:
		nPhones = 0
	case p < 6:
		nPhones = 2
	}
	for pos := range nPhones {
		area := city.area
		if r.IntN(3) == 0 {
			area = []string{"773", "872", "331", "646", "917", "415"}[r.IntN(6)]
		}
		digits := fmt.Sprintf("%s%d%02d%04d", area, 2+r.IntN(8), r.IntN(100), r.IntN(10000))
		number := []string{"(%s) %s-%s", "%s-%s-%s", "%s.%s.%s"}[r.IntN(3)]
		number = fmt.Sprintf(number, digits[:3], digits[3:6], digits[6:])
		kind := "mobile"
		if pos == 1 {
			kind = []string{"home", "work", "other"}[r.IntN(3)]
		}
		phones = append(phones, []any{id, pos, kind, number, digits, kind == "mobile" && r.IntN(4) > 0, r.IntN(3) > 0})
	}
	// Care team: none for most, one or two other clinicians for some.
	k := 0
	switch p := r.IntN(10); {
	case p >= 9:
		k = 2
	case p >= 6:
		k = 1
	}
	for _, c := range clinicians[1 : 1+k] {
		team = append(team, []any{id, int64(benchClinician + c), Fold(last), Fold(first), Fold(preferred)})
	}
	return row, phones, team
}

// threeClinicians picks three different clinicians (indexes).
func (g *practiceGen) threeClinicians() [3]int {
	var c [3]int
	for i := range c {
	again:
		c[i] = g.r.IntN(benchClinicians)
		for _, prev := range c[:i] {
			if prev == c[i] {
				goto again
			}
		}
	}
	return c
}
