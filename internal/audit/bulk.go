package audit

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"time"

	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Chain continues the log's hash chain outside Record, for bulk loads (the
// data generator, benchmark fixtures): it numbers and hashes entries exactly
// as Record does, so that the caller can write them in large batches
// (Columns and Values, db.BulkInsert) and move the head once at the end with
// SaveHead. Nothing else may append while a Chain is in use: it holds the
// head in memory. A Chain is not safe for concurrent use.
type Chain struct {
	seq  int64
	prev string
	h    hash.Hash
	buf  []byte
}

// NewChain reads the chain head from q and returns a Chain that continues it.
func NewChain(ctx context.Context, q db.Querier) (*Chain, error) {
	c := &Chain{h: sha256.New()}
	if err := q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&c.seq, &c.prev); err != nil {
		return nil, fmt.Errorf("audit chain: read head: %w", err)
	}
	return c, nil
}

// Next makes e the chain's next entry: it sets e.Seq and e.PrevHash, cuts
// e.At to the microsecond in UTC (as stored), and computes e.Hash. Entries
// must be passed in the order they are to be stored.
func (c *Chain) Next(e *Entry) {
	c.seq++
	e.Seq, e.PrevHash = c.seq, c.prev
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.Hash, c.buf = computeHash(c.h, c.buf, e)
	c.prev = e.Hash
}

// Head returns the sequence number and hash of the last entry given to Next
// (or of the head read at the start).
func (c *Chain) Head() (seq int64, hash string) { return c.seq, c.prev }

// SaveHead moves the stored chain head to the last entry given to Next.
// Call it once every entry is written.
func (c *Chain) SaveHead(ctx context.Context, d *db.DB) error {
	return d.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, c.seq, c.prev); err != nil {
			return fmt.Errorf("audit chain: move head: %w", err)
		}
		return nil
	})
}

// Columns are the audit_log columns, in the order Values gives them.
var Columns = []string{"seq", "at", "user_id", "role", "action", "object_type", "object_id", "client_id", "ip", "user_agent",
	"outcome", "detail", "request_id", "prev_hash", "hash"}

// Values is e as stored, in the order of Columns: NULL for a zero user or
// client id, the time in microseconds.
func Values(e *Entry) []any {
	var userID, clientID any
	if e.UserID != 0 {
		userID = e.UserID
	}
	if e.ClientID != 0 {
		clientID = e.ClientID
	}
	return []any{e.Seq, db.Micros(e.At), userID, e.Role, string(e.Action), e.ObjectType, e.ObjectID, clientID,
		e.IP, e.UserAgent, string(e.Outcome), e.Detail, e.RequestID, e.PrevHash, e.Hash}
}
