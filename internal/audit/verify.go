package audit

import (
	"context"
	"crypto/sha256"
	"fmt"

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
// is called every 1<<20 entries.
func Verify(ctx context.Context, d *db.DB, progress func(n int64)) (VerifyResult, error) {
	var res VerifyResult
	var headSeq int64
	var headHash string
	// Read the head first: entries appended while we read are after it and ignored.
	if err := d.Read().QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return res, fmt.Errorf("verify: read head: %w", err)
	}
	rows, err := d.Read().QueryContext(ctx, `SELECT seq, at, COALESCE(user_id, 0), role, action, object_type, object_id,
		COALESCE(client_id, 0), ip, user_agent, outcome, detail, request_id, prev_hash, hash
		FROM audit_log WHERE seq <= $1 ORDER BY seq`, headSeq)
	if err != nil {
		return res, fmt.Errorf("verify: %w", err)
	}
	defer rows.Close()
	h := sha256.New()
	var buf []byte
	var e Entry
	var at int64
	var action, outcome, want string
	prevHash, expect := "", int64(1)
	for rows.Next() {
		if err := rows.Scan(&e.Seq, &at, &e.UserID, &e.Role, &action, &e.ObjectType, &e.ObjectID,
			&e.ClientID, &e.IP, &e.UserAgent, &outcome, &e.Detail, &e.RequestID, &e.PrevHash, &e.Hash); err != nil {
			return res, fmt.Errorf("verify: %w", err)
		}
		e.At, e.Action, e.Outcome = db.Time(at), Action(action), Outcome(outcome)
		switch {
		case e.Seq != expect:
			return res, &BreakError{Seq: expect, Reason: fmt.Sprintf("entry missing: the next entry present is %d (entries were removed or renumbered)", e.Seq)}
		case e.PrevHash != prevHash:
			return res, &BreakError{Seq: e.Seq, Reason: fmt.Sprintf("its link does not match entry %d's hash: entry %d was altered, replaced or moved", e.Seq-1, e.Seq-1)}
		}
		want, buf = computeHash(h, buf, &e)
		if want != e.Hash {
			return res, &BreakError{Seq: e.Seq, Reason: "its content does not match its hash: the entry was altered"}
		}
		prevHash = e.Hash
		expect++
		res.Entries++
		if progress != nil && res.Entries&(1<<20-1) == 0 {
			progress(res.Entries)
		}
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("verify: %w", err)
	}
	if res.Entries != headSeq {
		return res, &BreakError{Seq: res.Entries + 1, Reason: fmt.Sprintf("the head says %d entries exist but only %d were found: entries were removed from the end", headSeq, res.Entries)}
	}
	if prevHash != headHash {
		return res, &BreakError{Seq: headSeq, Reason: "the last entry does not match the chain head: it was altered or replaced"}
	}
	res.HeadSeq, res.HeadHash = headSeq, headHash
	return res, nil
}
