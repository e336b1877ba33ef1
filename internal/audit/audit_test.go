package audit

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

var admin = access.Actor{UserID: 1, Roles: []access.Role{access.RoleAdmin}, IP: "127.0.0.1", UserAgent: "test"}

// seed appends n login entries.
func seed(t testing.TB, l *Log, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		if err := l.RecordAlone(ctx, admin, Event{Action: ActionLogin, ObjectType: "user", ObjectID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// allowTampering lifts the append-only triggers, as an attacker with database access could.
func allowTampering(t testing.TB, d *db.DB) {
	t.Helper()
	q := `DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete`
	if d.Engine == db.Postgres {
		q = `ALTER TABLE audit_log DISABLE TRIGGER USER`
	}
	for _, s := range splitSQL(q) {
		if _, err := d.Writer().Exec(s); err != nil {
			t.Fatal(err)
		}
	}
}

func splitSQL(q string) []string {
	var out []string
	start := 0
	for i := range len(q) {
		if q[i] == ';' {
			out = append(out, q[start:i])
			start = i + 1
		}
	}
	return append(out, q[start:])
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name    string
		tamper  string // SQL run after seeding 5 entries
		wantSeq int64  // 0: verify passes
	}{
		{"OK", "", 0},
		{"AlteredContent", `UPDATE audit_log SET object_id = 'x' WHERE seq = 3`, 3},
		{"HashReplaced", `UPDATE audit_log SET hash = 'f00' WHERE seq = 2`, 2},
		{"RemovedMiddle", `DELETE FROM audit_log WHERE seq = 2`, 2},
		{"RemovedEnd", `DELETE FROM audit_log WHERE seq = 5`, 5},
		{"Reordered", `UPDATE audit_log SET seq = 100 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 100`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Run(t, func(t *testing.T, d *db.DB) {
				l := NewLog(d, clock.System{}, access.Policy{})
				seed(t, l, 5)
				if tt.tamper != "" {
					allowTampering(t, d)
					for _, s := range splitSQL(tt.tamper) {
						if _, err := d.Writer().Exec(s); err != nil {
							t.Fatal(err)
						}
					}
				}
				res, err := Verify(context.Background(), d, nil)
				if tt.wantSeq == 0 {
					if err != nil || res.Entries != 5 {
						t.Fatalf("Verify = %+v, %v; want 5 entries, no error", res, err)
					}
					return
				}
				var be *BreakError
				if !errors.As(err, &be) || be.Seq != tt.wantSeq {
					t.Fatalf("Verify err = %v, want break at entry %d", err, tt.wantSeq)
				}
			})
		})
	}
}

func TestConcurrentAppendsKeepTheChain(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		l := NewLog(d, clock.System{}, access.Policy{})
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() { seed(t, l, 25) })
		}
		wg.Wait()
		res, err := Verify(context.Background(), d, nil)
		if err != nil || res.Entries != 200 {
			t.Fatalf("Verify = %+v, %v; want 200 entries", res, err)
		}
	})
}

func TestAuthorizeRecordsDenial(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := NewLog(d, clock.System{}, access.Policy{})
		clinician := access.Actor{UserID: 7, Roles: []access.Role{access.RoleClinician}}
		_, err := l.Find(ctx, clinician, Filter{})
		if !apperr.Is(err, apperr.CodeForbidden) {
			t.Fatalf("clinician Find err = %v, want forbidden", err)
		}
		page, err := l.Find(ctx, admin, Filter{UserID: 7})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Entries) != 1 || page.Entries[0].Outcome != Denied || page.Entries[0].ObjectType != "audit_log" {
			t.Fatalf("entries for user 7 = %+v, want one denied audit_log read", page.Entries)
		}
		// The administrator's read was itself recorded.
		page, err = l.Find(ctx, admin, Filter{UserID: 1, Action: ActionRead})
		if err != nil || page.Total != 1 {
			t.Fatalf("admin reads = %d, %v; want 1", page.Total, err)
		}
	})
}

func TestFindFiltersSortsAndPages(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := clock.NewFake(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
		l := NewLog(d, clk, access.Policy{})
		for i := range 30 {
			ev := Event{Action: ActionLogin, ObjectType: "user", ClientID: int64(i%3 + 1)}
			if i%2 == 0 {
				ev.Action = ActionUpdate
			}
			if err := l.RecordAlone(ctx, admin, ev); err != nil {
				t.Fatal(err)
			}
			clk.Advance(time.Hour)
		}
		from := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) // entries 3..
		to := from.Add(10 * time.Hour)                       // ..12
		page, err := l.Find(ctx, admin, Filter{From: from, To: to, Action: ActionUpdate, Limit: 3, Sort: "at"})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 5 || len(page.Entries) != 3 || !page.Entries[0].At.Before(page.Entries[1].At) {
			t.Fatalf("page = total %d, %d entries; want 5 total, 3 ascending", page.Total, len(page.Entries))
		}
		page, err = l.Find(ctx, admin, Filter{ClientID: 2, Limit: 100})
		if err != nil || page.Total != 10 {
			t.Fatalf("client 2 entries = %d, %v; want 10", page.Total, err)
		}
		for _, key := range SortKeys {
			if _, err := l.Find(ctx, admin, Filter{Sort: key, Desc: true}); err != nil {
				t.Errorf("sort %s: %v", key, err)
			}
		}
	})
}

// An attacker who edits an entry and recomputes its hash still breaks the
// next entry's link.
func TestVerifyRehashedEdit(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := NewLog(d, clock.System{}, access.Policy{})
		seed(t, l, 5)
		page, err := l.Find(ctx, admin, Filter{Sort: "at", Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		e := page.Entries[2] // seq 3
		e.ObjectID = "forged"
		e.Hash, _ = computeHash(sha256.New(), nil, &e)
		allowTampering(t, d)
		if _, err := d.Writer().Exec(`UPDATE audit_log SET object_id = $1, hash = $2 WHERE seq = 3`, e.ObjectID, e.Hash); err != nil {
			t.Fatal(err)
		}
		var be *BreakError
		if _, err := Verify(ctx, d, nil); !errors.As(err, &be) || be.Seq != 4 {
			t.Fatalf("Verify err = %v, want break at entry 4 (naming entry 3)", err)
		}
	})
}
