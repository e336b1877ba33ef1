package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// BreakError names the first place where the chain does not hold.
type BreakError struct {
	Seq    int64
	Reason string
}

func (e *BreakError) Error() string {
	return fmt.Sprintf("audit chain broken at entry %d: %s", e.Seq, e.Reason)
}

// VerifyResult summarises a verification that passed.
type VerifyResult struct {
	Entries  int64
	HeadSeq  int64
	HeadHash string
}

// Verify reads the whole log in order and checks every link: sequence numbers
// without gaps, each entry's prev_hash equal to the previous entry's hash, each
// hash equal to the recomputed one, and the head pointing at the last entry.
// It returns a *BreakError for the first break found. progress, when not nil,
// is called every 1<<20 entries, one call at a time but not always from the
// caller's goroutine.
//
// A long log is checked in parts, one per CPU, each streamed in seq order on
// a connection of its own (as many at once as the pool allows); the first
// break in log order is the one reported.
func Verify(ctx context.Context, d *db.DB, progress func(n int64)) (VerifyResult, error) {
	return verify(ctx, d, progress, runtime.GOMAXPROCS(0), 1<<14)
}

// verify is Verify in at most maxParts parts of at least minPart entries.
func verify(ctx context.Context, d *db.DB, progress func(n int64), maxParts int, minPart int64) (VerifyResult, error) {
	var res VerifyResult
	var headSeq int64
	var headHash string
	// Read the head first: entries appended while we read are after it and ignored.
	if err := d.Read().QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return res, fmt.Errorf("verify: read head: %w", err)
	}
	parts := split(headSeq, maxParts, minPart)
	t := &tally{report: progress}
	ctxs := make([]context.Context, len(parts))
	cancels := make([]context.CancelFunc, len(parts))
	for i := range parts {
		ctxs[i], cancels[i] = context.WithCancel(ctx)
		defer cancels[i]()
	}
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() {
			p := &parts[i]
			p.check(ctxs[i], d, t)
			if p.brk != nil || p.err != nil {
				for _, cancel := range cancels[i+1:] { // a later break would not be the first
					cancel()
				}
			}
		})
	}
	wg.Wait()
	for i := range parts {
		p := &parts[i]
		res.Entries += p.n
		switch {
		case p.err != nil:
			return res, fmt.Errorf("verify: %w", p.err)
		case p.brk != nil:
			return res, p.brk
		case p.gapAt != 0:
			return res, gap(ctx, d, p.gapAt, headSeq)
		case p.lostLink:
			// The entry before this part was there for the part before it; it
			// went while we read.
			return res, fmt.Errorf("verify: entry %d disappeared during the check; run it again", p.from-1)
		}
	}
	if res.Entries != headSeq { // a head below zero
		return res, &BreakError{Seq: res.Entries + 1, Reason: cutEnd(headSeq, res.Entries)}
	}
	if string(parts[len(parts)-1].last) != headHash {
		return res, &BreakError{Seq: headSeq, Reason: "the last entry does not match the chain head: it was altered or replaced"}
	}
	res.HeadSeq, res.HeadHash = headSeq, headHash
	return res, nil
}

// part is a stretch of the log, entries from..to, and what checking it found.
type part struct {
	from, to int64
	n        int64  // entries that passed
	last     []byte // hash of the last one
	brk      *BreakError
	gapAt    int64 // the part ended before to: entry gapAt is missing
	lostLink bool  // the entry before from was not there
	err      error
}

// split cuts entries 1..headSeq into at most maxParts parts of at least minPart.
func split(headSeq int64, maxParts int, minPart int64) []part {
	n := max(1, min(int64(maxParts), headSeq/max(minPart, 1)))
	parts := make([]part, n)
	for i := range parts {
		parts[i] = part{from: 1 + int64(i)*headSeq/n, to: int64(i+1) * headSeq / n}
	}
	return parts
}

const verifyQuery = `SELECT seq, at, COALESCE(user_id, 0), role, action, object_type, object_id,
	COALESCE(client_id, 0), ip, user_agent, outcome, detail, request_id, prev_hash, hash
	FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq`

// check reads the part and follows the chain through it. A part after the
// first also reads the entry before it, for the first link; the part before
// checks that entry itself.
func (p *part) check(ctx context.Context, d *db.DB, t *tally) {
	from, w := int64(math.MinInt64), walk{p: p, t: t, chain: chain{expect: p.from}}
	if p.from > 1 {
		from, w.linkUnknown = p.from-1, true
	}
	if d.Engine == db.Postgres {
		p.err = readPostgres(ctx, d, from, p.to, &w)
	} else {
		p.err = readSQL(ctx, d, from, p.to, &w)
	}
	t.add(w.n & (tallyEvery - 1))
	p.n, p.last = w.n, w.prev
	if p.err != nil || p.brk != nil || p.lostLink {
		return
	}
	switch {
	case w.linkUnknown:
		p.lostLink = true
	case w.expect <= p.to:
		p.gapAt = w.expect // the part's last entries are missing
	}
}

// walk is a part being checked.
type walk struct {
	p *part
	t *tally
	chain
	linkUnknown bool // the link into the part's first entry is not known yet
}

// row takes the next row from the database, e with its stored hash, and
// says whether to go on.
func row[T ~string | ~[]byte](w *walk, e *hashed[T], hash T) bool {
	if w.linkUnknown {
		w.linkUnknown = false
		if e.Seq == w.p.from-1 {
			w.prev = append(w.prev[:0], hash...)
			return true
		}
		w.p.lostLink = true
		return false
	}
	if w.p.brk = follow(&w.chain, e, hash); w.p.brk != nil {
		return false
	}
	if w.n&(tallyEvery-1) == 0 {
		w.t.add(tallyEvery)
	}
	return true
}

// readSQL streams entries from..to through database/sql. The driver has
// made a string of every column already: scanning into strings keeps those
// rather than copying them.
func readSQL(ctx context.Context, d *db.DB, from, to int64, w *walk) error {
	rows, err := d.Read().QueryContext(ctx, verifyQuery, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	var e hashed[string]
	var hash string
	dest := []any{&e.Seq, &e.At, &e.UserID, &e.Role, &e.Action, &e.ObjectType, &e.ObjectID,
		&e.ClientID, &e.IP, &e.UserAgent, &e.Outcome, &e.Detail, &e.RequestID, &e.PrevHash, &hash}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if !row(w, &e, hash) {
			return nil
		}
	}
	return rows.Err()
}

// readPostgres streams entries from..to with pgx itself, hashing the
// columns straight from its buffer: through database/sql every column of
// every row would first become a Go value, which costs more than the hash.
// Columns come in binary: BIGINT as 8 bytes, TEXT as is.
func readPostgres(ctx context.Context, d *db.DB, from, to int64, w *walk) error {
	rows, err := d.Pool.Query(ctx, verifyQuery, pgx.QueryResultFormats{pgx.BinaryFormatCode}, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	var e hashed[[]byte]
	ints := [...]*int64{&e.Seq, &e.At, &e.UserID, &e.ClientID}
	for rows.Next() {
		v := rows.RawValues()
		if len(v) != 15 {
			return fmt.Errorf("%d columns, want 15", len(v))
		}
		for i, col := range [...]int{0, 1, 2, 7} {
			if len(v[col]) != 8 {
				return fmt.Errorf("column %d is not a BIGINT", col+1)
			}
			*ints[i] = int64(binary.BigEndian.Uint64(v[col]))
		}
		e.Role, e.Action, e.ObjectType, e.ObjectID = v[3], v[4], v[5], v[6]
		e.IP, e.UserAgent, e.Outcome, e.Detail, e.RequestID, e.PrevHash = v[8], v[9], v[10], v[11], v[12], v[13]
		if !row(w, &e, v[14]) {
			return nil
		}
	}
	return rows.Err()
}

// chain follows the links from one entry to the next.
type chain struct {
	expect int64  // the seq the next entry must have
	prev   []byte // the previous entry's hash
	n      int64  // entries that passed
	buf    []byte
}

// follow checks e, whose stored hash is hash, as the chain's next entry.
func follow[T ~string | ~[]byte](c *chain, e *hashed[T], hash T) *BreakError {
	switch {
	case e.Seq != c.expect:
		return &BreakError{Seq: c.expect, Reason: missing(e.Seq)}
	case string(e.PrevHash) != string(c.prev):
		return &BreakError{Seq: e.Seq, Reason: fmt.Sprintf("its link does not match entry %d's hash: entry %d was altered, replaced or moved", e.Seq-1, e.Seq-1)}
	}
	c.buf = e.append(c.buf[:0])
	sum := sha256.Sum256(c.buf)
	var want [2 * sha256.Size]byte
	hex.Encode(want[:], sum[:])
	if string(want[:]) != string(hash) {
		return &BreakError{Seq: e.Seq, Reason: "its content does not match its hash: the entry was altered"}
	}
	c.prev = append(c.prev[:0], hash...)
	c.expect++
	c.n++
	return nil
}

func missing(next int64) string {
	return fmt.Sprintf("entry missing: the next entry present is %d (entries were removed or renumbered)", next)
}

// gap names the break at missing entry seq: the next entry present, or
// none up to the head.
func gap(ctx context.Context, d *db.DB, seq, headSeq int64) error {
	var next sql.NullInt64
	if err := d.Read().QueryRowContext(ctx, `SELECT min(seq) FROM audit_log WHERE seq > $1 AND seq <= $2`, seq, headSeq).Scan(&next); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if next.Valid {
		return &BreakError{Seq: seq, Reason: missing(next.Int64)}
	}
	return &BreakError{Seq: seq, Reason: cutEnd(headSeq, seq-1)}
}

func cutEnd(headSeq, found int64) string {
	return fmt.Sprintf("the head says %d entries exist but only %d were found: entries were removed from the end", headSeq, found)
}

// tallyEvery is how many entries a part checks between reports to the tally.
const tallyEvery = 1 << 14

// tally counts the entries checked by all parts and reports every 1<<20.
type tally struct {
	mu      sync.Mutex
	n, done int64
	report  func(n int64)
}

func (t *tally) add(n int64) {
	if t.report == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n += n
	for t.done+1<<20 <= t.n {
		t.done += 1 << 20
		t.report(t.done)
	}
}
