package scheduling

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Why the overlap check is safe under concurrency:
//
// SQLite has one writer (every write transaction starts with BEGIN
// IMMEDIATE), so a check and the insert that follows it cannot interleave
// with another booking.
//
// PostgreSQL runs transactions side by side. Before it checks, a booking takes
// a transaction-scoped advisory lock for the clinician, the room and each
// client it touches, always in the same order (so two bookings cannot
// deadlock), and holds them until commit. A second booking of the same
// clinician or room waits, then runs its check after the first committed, and
// under READ COMMITTED each statement sees every commit that came before it.
// The locks live in the database, so this holds across any number of
// application servers.

// Lock classes, in the high bits of the advisory lock key so that clinician 7
// and room 7 are different locks. 0x4d53 ("MS") keeps the keys apart from
// other users of advisory locks (River, migrations).
const (
	lockClinician int64 = 1
	lockRoom      int64 = 2
	lockClient    int64 = 3
)

type lockKey int64

func keyOf(class, id int64) lockKey { return lockKey(0x4d53<<48 | class<<40 | id) }

// resources is what a booking occupies.
type resources struct {
	ClinicianID int64
	RoomID      int64
	ClientIDs   []int64
}

func (r resources) keys() []lockKey {
	var keys []lockKey
	if r.ClinicianID != 0 {
		keys = append(keys, keyOf(lockClinician, r.ClinicianID))
	}
	if r.RoomID != 0 {
		keys = append(keys, keyOf(lockRoom, r.RoomID))
	}
	for _, c := range r.ClientIDs {
		keys = append(keys, keyOf(lockClient, c))
	}
	return keys
}

// lock takes the advisory locks for every resource in rs, in key order.
func lock(ctx context.Context, tx *db.Tx, rs ...resources) error {
	if tx.Engine != db.Postgres {
		return nil
	}
	var keys []lockKey
	for _, r := range rs {
		keys = append(keys, r.keys()...)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	// One round trip for all of them, taken in key order: unnest yields the
	// sorted array's elements in order, and each is locked as it comes.
	ks := make([]int64, len(keys))
	for i, k := range keys {
		ks[i] = int64(k)
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS t(k)`, ks); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	return nil
}

// LockClient takes the lock a booking takes for a client, for other
// packages' changes that must not interleave with one (reminder
// preferences).
func LockClient(ctx context.Context, tx *db.Tx, clientID int64) error {
	return lock(ctx, tx, resources{ClientIDs: []int64{clientID}})
}

// clash is an existing appointment in the way.
type clash struct {
	AppointmentID int64
	What          string // clinician, room or client
	ClientID      int64
	Start, End    time.Time
}

// clashes finds the holding appointments that overlap [start, end) for the
// clinician, the room or any client, ignoring the appointments in skip (the
// ones being moved). The start bound (start − MaxMinutes) keeps each query to
// a short index range however long the history is.
func clashes(ctx context.Context, q db.Querier, r resources, start, end time.Time, skip []int64) ([]clash, error) {
	s, e := db.Micros(start), db.Micros(end)
	lookback := s - int64(MaxMinutes)*int64(time.Minute/time.Microsecond)
	// One statement, one part per resource: each part is its own index range
	// (appointments_clinician, appointments_room, appointment_clients_client,
	// which holds each appointment's start for this), and asking once holds
	// the writer for less than asking three times.
	skipSQL, args := notIn("a.id", skip, 4)
	args = append([]any{s, e, lookback}, args...)
	param := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	const window = ` AND a.blocks AND a.starts_at < $2 AND a.starts_at > $3 AND a.ends_at > $1`
	query := `SELECT 'clinician', a.id, 0, a.starts_at, a.ends_at FROM appointments a
		WHERE a.clinician_id = ` + param(r.ClinicianID) + window + skipSQL
	if r.RoomID != 0 {
		query += `
		UNION ALL SELECT 'room', a.id, 0, a.starts_at, a.ends_at FROM appointments a
		WHERE a.room_id = ` + param(r.RoomID) + window + skipSQL
	}
	for _, c := range r.ClientIDs {
		query += `
		UNION ALL SELECT 'client', a.id, ac.client_id, a.starts_at, a.ends_at FROM appointment_clients ac JOIN appointments a ON a.id = ac.appointment_id
		WHERE ac.client_id = ` + param(c) + ` AND ac.starts_at < $2 AND ac.starts_at > $3 AND ac.attendance <> 'cancelled'` + window + skipSQL
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("overlap: %w", err)
	}
	defer rows.Close()
	var out []clash
	for rows.Next() {
		var c clash
		var cs, ce int64
		if err := rows.Scan(&c.What, &c.AppointmentID, &c.ClientID, &cs, &ce); err != nil {
			return nil, err
		}
		c.Start, c.End = db.Time(cs), db.Time(ce)
		out = append(out, c)
	}
	return out, rows.Err()
}

// clashesAt is clashes for every occurrence of a booking: starts, each lasting
// length.
func clashesAt(ctx context.Context, q db.Querier, r resources, starts []time.Time, length time.Duration) ([]clash, error) {
	var all []clash
	for _, st := range starts {
		cs, err := clashes(ctx, q, r, st, st.Add(length), nil)
		if err != nil {
			return nil, err
		}
		all = append(all, cs...)
	}
	return all, nil
}

// notIn renders "AND col NOT IN ($n, …)" for ids, numbering from first.
func notIn(col string, ids []int64, first int) (string, []any) {
	if len(ids) == 0 {
		return "", nil
	}
	marks := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		marks[i] = fmt.Sprintf("$%d", first+i)
		args[i] = id
	}
	return " AND " + col + " NOT IN (" + strings.Join(marks, ",") + ")", args
}
