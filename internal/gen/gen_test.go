package gen_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/gen"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/crypto"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

// fill runs the tiny practice on d and returns the keyring that sealed it
// and the counts the last report gave.
func fill(t *testing.T, d *db.DB, seed uint64) (*crypto.Keyring, map[string]int64) {
	t.Helper()
	k := crypto.NewKeyring(d, crypto.GenerateMasterKey(), clock.System{})
	var last gen.Report
	var phases []string
	err := gen.Run(context.Background(), d, k, gen.Tiny, seed, func(r gen.Report) {
		if len(phases) == 0 || phases[len(phases)-1] != r.Phase {
			phases = append(phases, r.Phase)
		}
		last = r
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if want := []string{"setup", "practice", "finishing", "done"}; !slices.Equal(phases, want) && !slices.Equal(phases, slices.Delete(slices.Clone(want), 1, 2)) {
		t.Errorf("phases reported = %v, want %v", phases, want)
	}
	return k, last.Counts
}

func count(t *testing.T, d *db.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := d.Read().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestTiny fills a tiny practice and checks it is one the application
// accepts: every table filled, nothing double-booked, the audit chain and a
// signed note verified, a client found by search.
func TestTiny(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		keys, counts := fill(t, d, 1)
		for _, table := range gen.Tables() {
			if n := count(t, d, `SELECT count(*) FROM `+table); n == 0 {
				t.Errorf("table %s is empty", table)
			} else if c, ok := counts[table]; ok && c != n {
				t.Errorf("table %s: reported %d rows, holds %d", table, c, n)
			}
		}
		if n := count(t, d, `SELECT count(*) FROM appointments`); n < 1500 {
			t.Errorf("only %d appointments", n)
		}

		// Nobody is in two places at once.
		overlap := `a.id < b.id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at`
		for what, q := range map[string]string{
			"clinician": `SELECT count(*) FROM appointments a JOIN appointments b ON a.clinician_id = b.clinician_id AND ` + overlap,
			"room":      `SELECT count(*) FROM appointments a JOIN appointments b ON a.room_id = b.room_id AND ` + overlap,
			"client": `SELECT count(*) FROM appointment_clients x JOIN appointment_clients y ON x.client_id = y.client_id AND x.appointment_id <> y.appointment_id
				JOIN appointments a ON a.id = x.appointment_id JOIN appointments b ON b.id = y.appointment_id AND ` + overlap,
		} {
			if n := count(t, d, q); n != 0 {
				t.Errorf("%d pairs of appointments double-book a %s", n, what)
			}
		}
		// Each client row holds its appointment's start (the client overlap check reads it).
		if n := count(t, d, `SELECT count(*) FROM appointment_clients ac JOIN appointments a ON a.id = ac.appointment_id WHERE ac.starts_at <> a.starts_at`); n != 0 {
			t.Errorf("%d appointment_clients rows hold another start than their appointment's", n)
		}
		// Each kind of session is there.
		for _, kind := range []string{"intake", "individual", "couple", "group"} {
			if n := count(t, d, `SELECT count(*) FROM appointments a JOIN appointment_types y ON y.id = a.type_id WHERE y.kind = $1`, kind); n == 0 {
				t.Errorf("no %s appointments", kind)
			}
		}
		for _, status := range []string{"completed", "cancelled", "no_show", "scheduled"} {
			if n := count(t, d, `SELECT count(*) FROM appointments WHERE status = $1`, status); n == 0 {
				t.Errorf("no %s appointments", status)
			}
		}
		if n := count(t, d, `SELECT count(*) FROM appointments WHERE late_cancel AND fee_cents > 0`); n == 0 {
			t.Error("no late cancellation with a fee")
		}
		if n := count(t, d, `SELECT count(*) FROM supervision WHERE is_primary AND starts_on <> ''`); n == 0 {
			t.Error("no primary supervisor")
		}
		if n := count(t, d, `SELECT count(*) FROM notes WHERE status = 'cosigned'`); n == 0 {
			t.Error("no co-signed note")
		}

		// The audit log verifies, and is in time order.
		res, err := audit.Verify(ctx, d, nil)
		if err != nil {
			t.Fatalf("audit.Verify: %v", err)
		}
		if n := count(t, d, `SELECT count(*) FROM audit_log`); res.Entries != n || n < 5000 {
			t.Errorf("verified %d entries of %d", res.Entries, n)
		}
		if n := count(t, d, `SELECT count(*) FROM audit_log a JOIN audit_log b ON b.seq = a.seq + 1 WHERE b.at < a.at`); n != 0 {
			t.Errorf("%d entries are earlier than the one before", n)
		}

		clk := clock.System{}
		log := audit.NewLog(d, clk, access.Policy{ClientRule: clients.CaseloadRule(d, clk)})
		actor := func(user int64) access.Actor {
			rows, err := d.Read().QueryContext(ctx, `SELECT role FROM user_roles WHERE user_id = $1`, user)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			a := access.Actor{UserID: user}
			for rows.Next() {
				var r string
				if err := rows.Scan(&r); err != nil {
					t.Fatal(err)
				}
				a.Roles = append(a.Roles, access.Role(r))
			}
			return a
		}

		// Signed notes verify: an individual one, a group one, a co-signed one.
		svc := notes.NewService(d, clk, log, keys, nil)
		for _, kind := range []string{`kind <> 'group' AND status = 'signed'`, `kind = 'group' AND status IN ('signed', 'cosigned')`, `status = 'cosigned'`} {
			var id, author int64
			if err := d.Read().QueryRowContext(ctx, `SELECT id, author_id FROM notes WHERE `+kind+` ORDER BY id DESC LIMIT 1`).Scan(&id, &author); err != nil {
				t.Fatalf("a note with %s: %v", kind, err)
			}
			v, err := svc.Verify(ctx, actor(author), id)
			if err != nil || !v.Signed || !v.Matches {
				t.Errorf("Verify(note %d) = %+v, %v; want it to match", id, v, err)
			}
		}

		// A client is found by name as the front desk types it.
		var desk, client int64
		var last string
		if err := d.Read().QueryRowContext(ctx, `SELECT (SELECT min(user_id) FROM user_roles WHERE role = 'frontdesk'), id, last_name
			FROM clients WHERE status = 'active' ORDER BY id LIMIT 1`).Scan(&desk, &client, &last); err != nil {
			t.Fatal(err)
		}
		found, err := clients.NewService(d, clk, log, keys).Search(ctx, actor(desk), clients.SearchFilter{Query: string([]rune(last)[:3])})
		if err != nil {
			t.Fatalf("search: %v", err)
		}
		if !slices.ContainsFunc(found, func(c clients.Summary) bool { return c.ID == client }) {
			t.Errorf("searching %q did not find client %d among %d", string([]rune(last)[:3]), client, len(found))
		}

		// A second run refuses the filled database.
		if err := gen.Run(ctx, d, keys, gen.Tiny, 1, nil); !errors.Is(err, gen.ErrNotEmpty) {
			t.Errorf("second Run = %v, want ErrNotEmpty", err)
		}
	})
}

// fingerprint sums what a seed decides: row counts, the schedule, the
// client list, the notes' content hashes and the audit chain's head.
func fingerprint(t *testing.T, d *db.DB) (map[string]int64, string) {
	t.Helper()
	ctx := context.Background()
	counts := map[string]int64{}
	for _, table := range gen.Tables() {
		if table != "data_keys" {
			counts[table] = count(t, d, `SELECT count(*) FROM `+table)
		}
	}
	h := sha256.New()
	for _, q := range []string{
		`SELECT id, clinician_id, starts_at, ends_at, status, COALESCE(room_id, 0), fee_cents FROM appointments ORDER BY id`,
		`SELECT id, last_name, first_name, birth_date, status, COALESCE(primary_clinician_id, 0), created_at FROM clients ORDER BY id`,
		`SELECT appointment_id, client_id, attendance FROM appointment_clients ORDER BY appointment_id, client_id`,
		`SELECT id, status, content_hash, diagnosis_ids FROM notes ORDER BY id`,
		`SELECT seq, hash FROM audit_head`,
	} {
		rows, err := d.Read().QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				fmt.Fprintf(h, "%s|", v)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return counts, hex.EncodeToString(h.Sum(nil))
}

// TestDeterministic fills two databases from the same seed and one from
// another: the first two hold the same rows.
func TestDeterministic(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		fill(t, d, 7)
		counts, sum := fingerprint(t, d)
		again := dbtest.Open(t, d.Engine)
		fill(t, again, 7)
		counts2, sum2 := fingerprint(t, again)
		if diff := cmp.Diff(counts, counts2); diff != "" {
			t.Errorf("row counts differ (-first +second):\n%s", diff)
		}
		if sum != sum2 {
			t.Errorf("the same seed gave different rows: %s, then %s", sum, sum2)
		}
		other := dbtest.Open(t, d.Engine)
		fill(t, other, 8)
		if _, sum3 := fingerprint(t, other); sum3 == sum {
			t.Error("another seed gave the same rows")
		}
	})
}
