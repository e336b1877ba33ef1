package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// append writes e as the next entry of the chain inside tx. It locks the
// chain head, so concurrent writers on PostgreSQL queue here until commit;
// SQLite's single writer already serialises them.
func appendEntry(ctx context.Context, tx *db.Tx, e *Entry) error {
	var headSeq int64
	var headHash string
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`+tx.ForUpdate()).Scan(&headSeq, &headHash); err != nil {
		return fmt.Errorf("audit append: read head: %w", err)
	}
	e.Seq = headSeq + 1
	e.PrevHash = headHash
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.Hash, _ = computeHash(sha256.New(), nil, e)
	const insert = `INSERT INTO audit_log
		(seq, at, user_id, role, action, object_type, object_id, client_id, ip, user_agent, outcome, detail, request_id, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`
	args := []any{e.Seq, db.Micros(e.At), nullID(e.UserID), e.Role, string(e.Action), e.ObjectType, e.ObjectID, nullID(e.ClientID),
		e.IP, e.UserAgent, string(e.Outcome), e.Detail, e.RequestID, e.PrevHash, e.Hash}
	if tx.Engine == db.Postgres {
		// The head stays locked until commit, and every other audited write
		// waits for it: the entry and the head move in one statement, one
		// round trip fewer while it is held (docs/PERFORMANCE.md, S1).
		if _, err := tx.ExecContext(ctx, `WITH head AS (UPDATE audit_head SET seq = $1, hash = $15 WHERE id = 1) `+insert, args...); err != nil {
			return fmt.Errorf("audit append: %w", err)
		}
		return nil
	}
	if _, err := tx.ExecContext(ctx, insert, args...); err != nil {
		return fmt.Errorf("audit append: insert: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, e.Seq, e.Hash); err != nil {
		return fmt.Errorf("audit append: move head: %w", err)
	}
	return nil
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// Filter selects entries for the report and the API.
type Filter struct {
	From, To time.Time // To is exclusive; zero means open
	UserID   int64
	ClientID int64
	Action   Action
	// Emergency keeps only entries of break-the-glass access (detail
	// starting with EmergencyDetail).
	Emergency bool
	// Sort is a column key (see sortColumns); default newest first.
	Sort string
	Desc bool
	// Limit bounds the page; Offset pages the report, AfterSeq/BeforeSeq the API cursor.
	Limit     int
	Offset    int
	BeforeSeq int64
}

// SortKeys are the columns the report can sort by.
var SortKeys = []string{"at", "user", "role", "action", "object", "client", "ip", "outcome"}

var sortColumns = map[string]string{
	"at": "a.seq", "user": "u.name", "role": "a.role", "action": "a.action",
	"object": "a.object_type", "client": "a.client_id", "ip": "a.ip", "outcome": "a.outcome",
}

func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if !f.From.IsZero() {
		add("a.at >= $%d", db.Micros(f.From))
	}
	if !f.To.IsZero() {
		add("a.at < $%d", db.Micros(f.To))
	}
	if f.UserID != 0 {
		add("a.user_id = $%d", f.UserID)
	}
	if f.ClientID != 0 {
		add("a.client_id = $%d", f.ClientID)
	}
	if f.Action != "" {
		add("a.action = $%d", string(f.Action))
	}
	if f.Emergency {
		// substr, not LIKE: LIKE folds case on SQLite and not on PostgreSQL.
		add(fmt.Sprintf("substr(a.detail, 1, %d) = $%%d", len(EmergencyDetail)), EmergencyDetail)
	}
	if f.BeforeSeq != 0 {
		add("a.seq < $%d", f.BeforeSeq)
	}
	if len(conds) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// find returns one page of entries matching f.
func find(ctx context.Context, q db.Querier, f Filter) ([]Entry, error) {
	where, args := f.where()
	col, ok := sortColumns[f.Sort]
	if !ok {
		col, f.Desc = "a.seq", true
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	// NULLs last on both engines (SQLite puts them first, PostgreSQL last).
	order := "(" + col + " IS NULL), " + col + dir
	if col == "a.seq" {
		order = col + dir
	}
	if col != "a.seq" {
		order += ", a.seq DESC" // a stable order for pages
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	args = append(args, f.Limit, f.Offset)
	query := `SELECT a.seq, a.at, COALESCE(a.user_id, 0), COALESCE(u.name, ''), a.role, a.action, a.object_type, a.object_id,
		COALESCE(a.client_id, 0), a.ip, a.user_agent, a.outcome, a.detail, a.request_id, a.prev_hash, a.hash
		FROM audit_log a LEFT JOIN users u ON u.id = a.user_id` + where +
		fmt.Sprintf(" ORDER BY %s LIMIT $%d OFFSET $%d", order, len(args)-1, len(args))
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("find audit entries: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at int64
		var action, outcome string
		if err := rows.Scan(&e.Seq, &at, &e.UserID, &e.UserName, &e.Role, &action, &e.ObjectType, &e.ObjectID,
			&e.ClientID, &e.IP, &e.UserAgent, &outcome, &e.Detail, &e.RequestID, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("find audit entries: %w", err)
		}
		e.At, e.Action, e.Outcome = db.Time(at), Action(action), Outcome(outcome)
		out = append(out, e)
	}
	return out, rows.Err()
}

// count returns how many entries match f (ignoring paging).
func count(ctx context.Context, q db.Querier, f Filter) (int, error) {
	f.BeforeSeq = 0
	where, args := f.where()
	var n int
	join := ""
	if strings.Contains(where, "u.") {
		join = " LEFT JOIN users u ON u.id = a.user_id"
	}
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM audit_log a`+join+where, args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count audit entries: %w", err)
	}
	return n, nil
}
