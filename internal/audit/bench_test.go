package audit

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

// go test ./internal/audit -run '^$' -bench Verify -benchtime 1x -audit.entries 10000000
var (
	benchEntries = flag.Int("audit.entries", 100_000, "entries in the log BenchmarkVerify checks")
	benchSQLite  = flag.String("audit.sqlite", "", "SQLite `file` for BenchmarkVerify, kept afterwards: its log is filled when empty and "+
		"reused when it holds -audit.entries entries (default: a temporary file)")
	benchPostgres = flag.String("audit.postgres", "", "PostgreSQL database `URL` for BenchmarkVerify, kept and reused like -audit.sqlite "+
		"(default: a fresh schema on "+dbtest.EnvURL+")")
)

// BenchmarkVerify measures Verify over a log of -audit.entries entries on
// each engine and reports entries checked per second.
func BenchmarkVerify(b *testing.B) {
	n := *benchEntries
	for _, engine := range dbtest.Engines {
		b.Run(fmt.Sprintf("%s/entries=%d", engine, n), func(b *testing.B) {
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
			if seq := headSeq(b, d); seq == 0 {
				start := time.Now()
				fillLog(b, d, n)
				b.Logf("filled %d entries in %s", n, time.Since(start).Round(time.Millisecond))
			} else if seq != int64(n) {
				b.Fatalf("the log holds %d entries, not %d", seq, n)
			}
			runs := 0
			for b.Loop() {
				res, err := Verify(ctx, d, nil)
				if err != nil || res.Entries != int64(n) {
					b.Fatalf("Verify = %+v, %v; want %d entries", res, err, n)
				}
				runs++
			}
			b.ReportMetric(float64(n)*float64(runs)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// TestFillLog checks that the benchmark's log is one Verify accepts.
func TestFillLog(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		fillLog(t, d, 2500)
		res, err := Verify(context.Background(), d, nil)
		if err != nil || res.Entries != 2500 {
			t.Fatalf("Verify = %+v, %v; want 2500 entries", res, err)
		}
	})
}

// TestVerifyInParts checks that a log verified in parts reports the same
// first break, with the same words, as one read from end to end, wherever
// the break falls against the parts' edges.
func TestVerifyInParts(t *testing.T) {
	tests := []struct {
		name    string
		tamper  string // SQL run on 20 entries, verified in parts 1-5, 6-10, 11-15, 16-20
		wantSeq int64  // 0: verify passes
	}{
		{"OK", "", 0},
		{"AlteredLastOfPart", `UPDATE audit_log SET detail = 'x' WHERE seq = 5`, 5},
		{"AlteredFirstOfPart", `UPDATE audit_log SET detail = 'x' WHERE seq = 6`, 6},
		{"LinkCutAtEdge", `UPDATE audit_log SET prev_hash = 'x' WHERE seq = 11`, 11},
		{"RemovedFirstOfPart", `DELETE FROM audit_log WHERE seq = 6`, 6},
		{"RemovedLastOfPart", `DELETE FROM audit_log WHERE seq = 5`, 5},
		{"RemovedAcrossEdge", `DELETE FROM audit_log WHERE seq IN (10, 11)`, 10},
		{"RemovedWholePart", `DELETE FROM audit_log WHERE seq BETWEEN 6 AND 10`, 6},
		{"RemovedEnd", `DELETE FROM audit_log WHERE seq >= 19`, 19},
		{"ReorderedAcrossEdge", `UPDATE audit_log SET seq = 100 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE seq = 6; UPDATE audit_log SET seq = 6 WHERE seq = 100`, 5},
		{"EarliestOfTwo", `UPDATE audit_log SET detail = 'x' WHERE seq = 17; DELETE FROM audit_log WHERE seq = 3`, 3},
		{"HeadReplaced", `UPDATE audit_head SET hash = 'x'`, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Run(t, func(t *testing.T, d *db.DB) {
				ctx := context.Background()
				fillLog(t, d, 20)
				if tt.tamper != "" {
					allowTampering(t, d)
					for _, s := range splitSQL(tt.tamper) {
						if _, err := d.Writer().Exec(s); err != nil {
							t.Fatal(err)
						}
					}
				}
				whole, wholeErr := verify(ctx, d, nil, 1, 1)
				res, err := verify(ctx, d, nil, 4, 5)
				if fmt.Sprint(err) != fmt.Sprint(wholeErr) || res != whole {
					t.Errorf("in parts: %+v, %v\nwhole:    %+v, %v", res, err, whole, wholeErr)
				}
				if tt.wantSeq == 0 {
					if err != nil || res.Entries != 20 {
						t.Fatalf("verify = %+v, %v; want 20 entries, no error", res, err)
					}
					return
				}
				var be *BreakError
				if !errors.As(err, &be) || be.Seq != tt.wantSeq {
					t.Fatalf("verify err = %v, want break at entry %d", err, tt.wantSeq)
				}
			})
		})
	}
}

// TestHashFormat pins the hash of two entries: hashes are stored, so the
// format must never change.
func TestHashFormat(t *testing.T) {
	tests := []struct {
		name string
		e    Entry
		want string
	}{
		{"Full", Entry{Seq: 1234567, At: time.Date(2026, 3, 4, 5, 6, 7, 891011000, time.UTC), UserID: 42, Role: "clinician",
			Action: ActionUpdate, ObjectType: "note", ObjectID: "98765", ClientID: 4321, IP: "10.20.3.4",
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64)", Outcome: Success, Detail: "fields status",
			RequestID: "0123456789abcdef", PrevHash: "ab"},
			"df0db9f5ad62a703738d04458a14c12fd5bfe96204405b9f3d1b859ad0841e72"},
		{"Empty", Entry{Seq: 1, At: time.UnixMicro(0), Action: ActionLogin, Outcome: Failed},
			"ad1d6672f6820389a5ad1695db25744a67fc96caea948ae02a6cb717b3e4ff10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := computeHash(sha256.New(), nil, &tt.e); got != tt.want {
				t.Errorf("computeHash = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTallyReportsEachMillionOnce(t *testing.T) {
	var got []int64
	tl := &tally{report: func(n int64) { got = append(got, n) }}
	for range 3 * 64 {
		tl.add(1 << 14) // 3 << 20 in all
	}
	tl.add(5)
	if want := []int64{1 << 20, 2 << 20, 3 << 20}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("reported %v, want %v", got, want)
	}
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

func headSeq(tb testing.TB, d *db.DB) int64 {
	tb.Helper()
	var seq int64
	if err := d.Read().QueryRowContext(context.Background(), `SELECT seq FROM audit_head WHERE id = 1`).Scan(&seq); err != nil {
		tb.Fatal(err)
	}
	return seq
}

// fillLog appends n realistic entries with a valid chain to d's empty audit
// log, far faster than Record: hashes are computed here, rows go in large
// batches (multi-row INSERTs in big transactions on SQLite, COPY on
// PostgreSQL), and the head is moved once at the end.
func fillLog(tb testing.TB, d *db.DB, n int) {
	tb.Helper()
	ctx := context.Background()
	chain, err := NewChain(ctx, d.Read())
	if err != nil {
		tb.Fatalf("fill audit log: %v", err)
	}
	g := newEntryGen(1, chain)
	if d.Engine == db.Postgres {
		err = fillPostgres(ctx, d, g, n)
	} else {
		err = fillSQLite(ctx, d, g, n)
	}
	if err != nil {
		tb.Fatalf("fill audit log: %v", err)
	}
	if err := chain.SaveHead(ctx, d); err != nil {
		tb.Fatalf("fill audit log: %v", err)
	}
}

func fillSQLite(ctx context.Context, d *db.DB, g *entryGen, n int) error {
	// A bulk load, not a clinic: no fsync per commit, and room for the four
	// indexes in the page cache. The writer is a single connection, so these
	// stay on it until they are set back.
	w := d.Writer()
	if _, err := w.ExecContext(ctx, `PRAGMA synchronous = OFF`); err != nil {
		return err
	}
	if _, err := w.ExecContext(ctx, `PRAGMA cache_size = -1048576`); err != nil {
		return err
	}
	defer w.ExecContext(ctx, `PRAGMA cache_size = -2000`)
	defer w.ExecContext(ctx, `PRAGMA synchronous = FULL`)

	// Positional ? parameters: SQLite looks $N names up one by one, which
	// makes a long multi-row INSERT quadratic.
	const perInsert, perTx = 100, 200_000
	insert := func(rows int) string {
		return "INSERT INTO audit_log (" + strings.Join(Columns, ", ") + ") VALUES " +
			strings.Repeat(",("+strings.Repeat(",?", 15)[1:]+")", rows)[1:]
	}
	for done := 0; done < n; {
		err := d.InTx(ctx, func(tx *db.Tx) error {
			stmt, err := tx.PrepareContext(ctx, insert(perInsert))
			if err != nil {
				return err
			}
			defer stmt.Close()
			args := make([]any, 0, perInsert*15)
			for end := min(done+perTx, n); done < end; {
				rows := min(perInsert, end-done)
				args = args[:0]
				for range rows {
					args = append(args, Values(g.next())...)
				}
				if rows == perInsert {
					_, err = stmt.ExecContext(ctx, args...)
				} else {
					_, err = tx.ExecContext(ctx, insert(rows), args...)
				}
				if err != nil {
					return err
				}
				done += rows
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	// Fold the WAL into the file, so the database stands alone.
	_, err := w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

func fillPostgres(ctx context.Context, d *db.DB, g *entryGen, n int) error {
	const perCopy = 500_000
	for done := 0; done < n; {
		rows := min(perCopy, n-done)
		i := 0
		_, err := d.Pool.CopyFrom(ctx, pgx.Identifier{"audit_log"}, Columns, pgx.CopyFromFunc(func() ([]any, error) {
			if i == rows {
				return nil, nil
			}
			i++
			return Values(g.next()), nil
		}))
		if err != nil {
			return err
		}
		done += rows
	}
	_, err := d.Pool.Exec(ctx, `ANALYZE audit_log`)
	return err
}

// entryGen makes a plausible day-to-day log: a practice of 40 staff and
// 5000 clients, mostly chart reads and edits, some sign-ins, the odd denial,
// each entry chained to the one before by chain.
type entryGen struct {
	r     *rand.Rand
	chain *Chain
	at    time.Time
	e     Entry
	staff []staffMember
}

type staffMember struct {
	id           int64
	role, ip, ua string
}

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
	"Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
}

func newEntryGen(seed uint64, chain *Chain) *entryGen {
	g := &entryGen{r: rand.New(rand.NewPCG(seed, seed)), chain: chain, at: time.Date(2024, 1, 2, 8, 0, 0, 0, time.UTC)}
	roles := []string{"admin", "frontdesk", "frontdesk", "biller", "biller", "supervisor"}
	for i := range 40 {
		role := "clinician"
		switch {
		case i < len(roles):
			role = roles[i]
		case i%5 == 0:
			role = "associate"
		}
		g.staff = append(g.staff, staffMember{id: int64(i + 1), role: role,
			ip: fmt.Sprintf("10.20.%d.%d", i/8, 10+i), ua: userAgents[i%len(userAgents)]})
	}
	return g
}

var objectTypes = []string{"client", "appointment", "appointment", "note", "note", "note", "diagnosis", "measure", "document", "invoice", "claim", "payment"}

// next returns the next entry; it is valid until the following call.
func (g *entryGen) next() *Entry {
	g.at = g.at.Add(time.Duration(g.r.Int64N(int64(4 * time.Second))))
	s := g.staff[g.r.IntN(len(g.staff))]
	e := &g.e
	*e = Entry{At: g.at.Truncate(time.Microsecond), UserID: s.id, Role: s.role, IP: s.ip, UserAgent: s.ua,
		Outcome: Success, RequestID: fmt.Sprintf("%016x", g.r.Uint64())}
	client := int64(1 + g.r.IntN(5000))
	object := func(t string) {
		e.ObjectType, e.ObjectID, e.ClientID = t, ObjectIDOf(1+g.r.Int64N(2_000_000)), client
		if t == "client" {
			e.ObjectID = ObjectIDOf(client)
		}
	}
	switch p := g.r.IntN(100); {
	case p < 55:
		e.Action = ActionRead
		object(objectTypes[g.r.IntN(len(objectTypes))])
	case p < 72:
		e.Action = ActionUpdate
		object(objectTypes[g.r.IntN(len(objectTypes))])
		e.Detail = "fields status, start_at"
	case p < 82:
		e.Action = ActionCreate
		object(objectTypes[g.r.IntN(len(objectTypes))])
	case p < 88:
		e.Action, e.ObjectType, e.ObjectID = ActionLogin, "user", ObjectIDOf(s.id)
		e.Role, e.Detail = "", "password+totp"
	case p < 93:
		e.Action, e.ObjectType, e.ObjectID = ActionLogout, "session", ObjectIDOf(1+g.r.Int64N(1_000_000))
		e.Role, e.Detail = "", "timed out"
	case p < 96:
		e.Action = ActionPrint
		object("note")
	case p < 97:
		e.Action = ActionExport
		object("document")
	case p < 98:
		e.Action = ActionDisclose
		object("note")
		e.Detail = "roi 4711"
	case p < 99:
		e.Action, e.Outcome = ActionRead, Denied
		object("note")
		e.Role, e.Detail = "", "permission notes.read"
	default:
		e.Action, e.Outcome, e.ObjectType = ActionLogin, Failed, "user"
		e.UserID, e.Role, e.Detail = 0, "", "bad password"
	}
	g.chain.Next(e)
	return e
}
