package crashtest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Baseline is where the generated practice ends: rows past it were written
// through the server while the harness ran.
type Baseline struct {
	Appointment, Note, AuditSeq int64
}

// appointmentRow is a stored appointment with what a booking writes beside
// it in the same transaction.
type appointmentRow struct {
	ClinicianID  int64
	Start, End   int64 // microseconds
	Status       string
	Blocks       bool
	Clients      []int64
	Events       int  // appointment_events rows
	CreateAudit  bool // an audit entry "create appointment" names it
	OverlapNoted bool // booked over a clash with a reason (the harness never does)
}

// noteRow is a stored note with its audit entries.
type noteRow struct {
	AuthorID    int64
	Status      string
	Version     int64
	Hash        string
	SignedAt    bool
	SignedBy    bool
	BodyLen     int
	CreateAudit bool
	SignAudit   bool
}

// state is what the database holds past the baseline.
type state struct {
	appointments map[int64]*appointmentRow
	notes        map[int64]*noteRow
}

// readState reads every appointment and note written past the baseline,
// with their clients, events and audit entries.
func readState(ctx context.Context, q db.Querier, base Baseline) (*state, error) {
	st := &state{appointments: map[int64]*appointmentRow{}, notes: map[int64]*noteRow{}}
	each := func(what, query string, scan func(rows interface{ Scan(...any) error }) error, args ...any) error {
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return fmt.Errorf("read %s: %w", what, err)
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
		return nil
	}
	err := each("appointments", `SELECT id, clinician_id, starts_at, ends_at, status, blocks, overlap_reason FROM appointments WHERE id > $1`,
		func(r interface{ Scan(...any) error }) error {
			var id int64
			var a appointmentRow
			var overlap string
			if err := r.Scan(&id, &a.ClinicianID, &a.Start, &a.End, &a.Status, &a.Blocks, &overlap); err != nil {
				return err
			}
			a.OverlapNoted = overlap != ""
			st.appointments[id] = &a
			return nil
		}, base.Appointment)
	if err != nil {
		return nil, err
	}
	err = each("appointment clients", `SELECT appointment_id, client_id FROM appointment_clients WHERE appointment_id > $1`,
		func(r interface{ Scan(...any) error }) error {
			var id, client int64
			if err := r.Scan(&id, &client); err != nil {
				return err
			}
			if a := st.appointments[id]; a != nil {
				a.Clients = append(a.Clients, client)
			}
			return nil
		}, base.Appointment)
	if err != nil {
		return nil, err
	}
	err = each("appointment events", `SELECT appointment_id, count(*) FROM appointment_events WHERE appointment_id > $1 GROUP BY appointment_id`,
		func(r interface{ Scan(...any) error }) error {
			var id int64
			var n int
			if err := r.Scan(&id, &n); err != nil {
				return err
			}
			if a := st.appointments[id]; a != nil {
				a.Events = n
			}
			return nil
		}, base.Appointment)
	if err != nil {
		return nil, err
	}
	err = each("notes", `SELECT id, author_id, status, version, content_hash, signed_at IS NOT NULL, signed_by IS NOT NULL, length(body) FROM notes WHERE id > $1`,
		func(r interface{ Scan(...any) error }) error {
			var id int64
			var n noteRow
			if err := r.Scan(&id, &n.AuthorID, &n.Status, &n.Version, &n.Hash, &n.SignedAt, &n.SignedBy, &n.BodyLen); err != nil {
				return err
			}
			st.notes[id] = &n
			return nil
		}, base.Note)
	if err != nil {
		return nil, err
	}
	err = each("audit entries", `SELECT object_type, object_id, action, detail FROM audit_log
		WHERE seq > $1 AND outcome = 'success' AND object_type IN ('appointment', 'note') AND action IN ('create', 'update')`,
		func(r interface{ Scan(...any) error }) error {
			var typ, oid, action, detail string
			if err := r.Scan(&typ, &oid, &action, &detail); err != nil {
				return err
			}
			id, err := strconv.ParseInt(oid, 10, 64)
			if err != nil {
				return nil // not one of ours
			}
			switch {
			case typ == "appointment" && action == "create":
				if a := st.appointments[id]; a != nil {
					a.CreateAudit = true
				}
			case typ == "note" && action == "create":
				if n := st.notes[id]; n != nil {
					n.CreateAudit = true
				}
			case typ == "note" && action == "update" && strings.HasPrefix(detail, "signed"):
				if n := st.notes[id]; n != nil {
					n.SignAudit = true
				}
			}
			return nil
		}, base.AuditSeq)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Finding is one thing a check found wrong.
type Finding struct {
	// Lost is set when an acknowledged write is missing or older than
	// acknowledged; otherwise the finding is a half-written record or a
	// broken invariant.
	Lost   bool
	Detail string
}

func (f Finding) String() string {
	if f.Lost {
		return "LOST: " + f.Detail
	}
	return f.Detail
}

// compare checks the database's state against the acknowledged writes
// (every one present, as acknowledged) and checks every record written past
// the baseline, acknowledged or not, for being whole: a transaction either
// committed everything it writes or nothing.
func compare(st *state, bookings map[int64]Booking, notes map[int64]NoteAck) []Finding {
	var out []Finding
	lost := func(format string, args ...any) {
		out = append(out, Finding{Lost: true, Detail: fmt.Sprintf(format, args...)})
	}
	bad := func(format string, args ...any) { out = append(out, Finding{Detail: fmt.Sprintf(format, args...)}) }

	for _, id := range slices.Sorted(maps.Keys(bookings)) {
		b := bookings[id]
		a := st.appointments[id]
		switch {
		case a == nil:
			lost("appointment %d (clinician %d, %s) was acknowledged but is not stored", id, b.ClinicianID, b.Start.UTC().Format("2006-01-02 15:04"))
		case a.ClinicianID != b.ClinicianID || a.Start != b.Start.UnixMicro() || a.End != b.End.UnixMicro():
			lost("appointment %d is stored as clinician %d at %d–%d, acknowledged as clinician %d at %d–%d", id, a.ClinicianID, a.Start, a.End,
				b.ClinicianID, b.Start.UnixMicro(), b.End.UnixMicro())
		case !slices.Contains(a.Clients, b.ClientID):
			lost("appointment %d lost its client %d (has %v)", id, b.ClientID, a.Clients)
		case a.Status != "scheduled" || !a.Blocks:
			lost("appointment %d is %s (blocks %v), acknowledged as scheduled", id, a.Status, a.Blocks)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(notes)) {
		ack := notes[id]
		n := st.notes[id]
		if n == nil {
			lost("note %d was acknowledged %s but is not stored", id, ack.Step)
			continue
		}
		switch ack.Step {
		case NoteCreated:
			// A save sent after the acknowledgement may have committed unanswered.
			if n.Version < ack.Version {
				lost("note %d is at version %d, acknowledged at %d", id, n.Version, ack.Version)
			}
		case NoteSaved:
			switch {
			case n.Version < ack.Version:
				lost("note %d is at version %d, its save acknowledged version %d", id, n.Version, ack.Version)
			case n.Status == "draft" && n.Version == ack.Version:
			case n.Status == "signed" && n.Version == ack.Version+1: // the signature committed unanswered
			default:
				bad("note %d is %s at version %d; its last acknowledged save made version %d and only a signature followed", id, n.Status, n.Version, ack.Version)
			}
		case NoteSigned:
			if n.Status != "signed" || n.Version != ack.Version || n.Hash != ack.Hash {
				lost("note %d is %s at version %d with hash %q, acknowledged signed at version %d with hash %q", id, n.Status, n.Version, n.Hash,
					ack.Version, ack.Hash)
			}
		}
	}

	// Every record past the baseline, acknowledged or not, must be whole.
	byClinician := map[int64][]int64{}
	for _, id := range slices.Sorted(maps.Keys(st.appointments)) {
		a := st.appointments[id]
		if len(a.Clients) == 0 {
			bad("half-written: appointment %d has no appointment_clients row", id)
		}
		if a.Events == 0 {
			bad("half-written: appointment %d has no appointment_events row", id)
		}
		if !a.CreateAudit {
			bad("half-written: appointment %d has no audit entry for its creation", id)
		}
		if a.Blocks {
			byClinician[a.ClinicianID] = append(byClinician[a.ClinicianID], id)
		}
	}
	// No double bookings: the harness books in a stretch of the calendar
	// the practice never used, so its rows only need checking among
	// themselves.
	for _, c := range slices.Sorted(maps.Keys(byClinician)) {
		ids := byClinician[c]
		slices.SortFunc(ids, func(x, y int64) int {
			return cmp.Or(cmp.Compare(st.appointments[x].Start, st.appointments[y].Start), cmp.Compare(x, y))
		})
		for i := 1; i < len(ids); i++ {
			prev, cur := st.appointments[ids[i-1]], st.appointments[ids[i]]
			if cur.Start < prev.End && !cur.OverlapNoted {
				bad("double booking: clinician %d has appointments %d and %d at the same time", c, ids[i-1], ids[i])
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(st.notes)) {
		n := st.notes[id]
		if n.BodyLen == 0 {
			bad("half-written: note %d has no body (not even a sealed empty one)", id)
		}
		if !n.CreateAudit {
			bad("half-written: note %d has no audit entry for its creation", id)
		}
		if n.Status == "signed" || n.Status == "awaiting_cosign" || n.Status == "cosigned" {
			if len(n.Hash) != 64 || !n.SignedAt || !n.SignedBy {
				bad("half-written: note %d is %s without its content hash, signer or time (hash %q)", id, n.Status, n.Hash)
			}
			if !n.SignAudit {
				bad("half-written: note %d is %s without an audit entry for the signature", id, n.Status)
			}
		}
	}
	return out
}

// Check compares the database with the ledger and checks every record
// written past the baseline for being whole. Run it with the server down.
func Check(ctx context.Context, d *db.DB, base Baseline, l *Ledger) ([]Finding, error) {
	st, err := readState(ctx, d.Read(), base)
	if err != nil {
		return nil, err
	}
	bookings, notes := l.snapshot()
	return compare(st, bookings, notes), nil
}

// Integrity runs the engine's own consistency checks. SQLite: integrity_check
// and foreign_key_check. PostgreSQL: a count of every table (which reads
// every heap page) and, when the amcheck extension can be installed,
// bt_index_check with heapallindexed on every B-tree index of the schema.
// It returns what was wrong, and whether amcheck ran.
func Integrity(ctx context.Context, d *db.DB) (problems []string, amcheck bool, err error) {
	q := d.Writer()
	if d.Engine == db.SQLite {
		rows, err := q.QueryContext(ctx, `PRAGMA integrity_check`)
		if err != nil {
			return nil, false, fmt.Errorf("integrity_check: %w", err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return nil, false, err
			}
			if s != "ok" {
				problems = append(problems, "integrity_check: "+s)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, false, err
		}
		rows, err = q.QueryContext(ctx, `PRAGMA foreign_key_check`)
		if err != nil {
			return nil, false, fmt.Errorf("foreign_key_check: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var table, parent string
			var rowid, fk any
			if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
				return nil, false, err
			}
			problems = append(problems, fmt.Sprintf("foreign_key_check: %s row %v refers to a missing %s", table, rowid, parent))
		}
		return problems, false, rows.Err()
	}

	tables, err := names(ctx, q, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`)
	if err != nil {
		return nil, false, err
	}
	for _, t := range tables {
		var n int64
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM "`+t+`"`).Scan(&n); err != nil {
			problems = append(problems, fmt.Sprintf("count(*) over %s: %v", t, err))
		}
	}
	// The extension is per database and lives in the schema it was first
	// created in (tests share a database, a schema each): call it there.
	var ext string
	if _, err := q.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS amcheck`); err != nil {
		return problems, false, nil // not installed, or not allowed: the counts stand alone
	}
	if err := q.QueryRowContext(ctx, `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
		WHERE e.extname = 'amcheck'`).Scan(&ext); err != nil {
		return problems, false, nil
	}
	indexes, err := names(ctx, q, `SELECT c.oid::regclass::text FROM pg_index i
		JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace ns ON ns.oid = c.relnamespace
		WHERE am.amname = 'btree' AND ns.nspname = current_schema() AND i.indisvalid AND i.indisready ORDER BY 1`)
	if err != nil {
		return nil, false, err
	}
	for _, ix := range indexes {
		if _, err := q.ExecContext(ctx, `SELECT "`+ext+`".bt_index_check($1::regclass, true)`, ix); err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && (pgErr.Code == "42883" || pgErr.Code == "3F000") {
				return problems, false, nil // the extension went away under us (another test's schema)
			}
			problems = append(problems, fmt.Sprintf("bt_index_check(%s): %v", ix, err))
		}
	}
	return problems, true, nil
}

func names(ctx context.Context, q db.Querier, query string) ([]string, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
