package audit

import (
	"context"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

// TestChainContinuesRecord interleaves Record and a bulk load through Chain:
// each continues the other's chain, and Verify accepts the whole log.
func TestChainContinuesRecord(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := clock.NewFake(time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC))
		l := NewLog(d, clk, access.Policy{})
		shell := access.Actor{System: true, IP: "shell"}
		if err := l.RecordAlone(ctx, shell, Event{Action: ActionCreate, ObjectType: "practice", ObjectID: "1"}); err != nil {
			t.Fatal(err)
		}
		c, err := NewChain(ctx, d.Read())
		if err != nil {
			t.Fatal(err)
		}
		var rows [][]any
		for i := range 3 {
			e := &Entry{At: clk.Now().Add(time.Duration(i+1) * time.Minute), UserID: 2, Role: "clinician", Action: ActionRead,
				ObjectType: "client", ObjectID: "7", ClientID: 7, Outcome: Success, RequestID: "0123456789abcdef"}
			c.Next(e)
			if e.Seq != int64(i+2) {
				t.Errorf("entry %d: seq %d, want %d", i, e.Seq, i+2)
			}
			rows = append(rows, Values(e))
		}
		if err := d.BulkInsert(ctx, "audit_log", Columns, rows); err != nil {
			t.Fatal(err)
		}
		if err := c.SaveHead(ctx, d); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		if err := l.RecordAlone(ctx, shell, Event{Action: ActionUpdate, ObjectType: "practice", ObjectID: "1"}); err != nil {
			t.Fatal(err)
		}
		res, err := Verify(ctx, d, nil)
		if err != nil || res.Entries != 5 {
			t.Fatalf("Verify = %+v, %v; want 5 entries", res, err)
		}
		if seq, hash := c.Head(); seq != 4 || hash == "" {
			t.Errorf("chain head = %d %q, want entry 4", seq, hash)
		}
	})
}
