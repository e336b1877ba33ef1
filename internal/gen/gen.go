// Package gen fills an empty database with a deterministic synthetic
// practice for benchmarks, load tests and demonstrations at scale: staff with
// supervisors, offices and rooms, payers, clients with believable
// demographics, insurance and consents, years of weekly and biweekly
// appointment series with cancellations, no-shows and groups, diagnoses,
// signed notes with sealed bodies, and the hash-chained audit entries that
// all of it would have written.
//
// It writes rows in bulk (db.BulkInsert: COPY on PostgreSQL), bypassing the
// services, but writes what they would have written: the same columns, the
// folded search keys, notes whose content hash notes.Service.Verify accepts,
// and an audit log audit.Verify accepts, in time order. No clinician, room or
// client is ever booked twice at once: each clinician works a weekly grid of
// hour slots, and a course of treatment holds one slot (every week, or every
// other week) for its length.
//
// The same seed, size and today give the same rows, except what is sealed
// (fresh nonces, and data keys of the database's own).
package gen

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Password signs in every generated staff account.
const Password = "harbor lantern meadow"

// TimeZone is the generated practice's time zone.
const TimeZone = "America/Chicago"

// ErrNotEmpty is returned for a database that already holds a practice.
var ErrNotEmpty = errors.New("the database is not empty: gen fills only a new, migrated database")

// Sealer seals note bodies and risk assessments (crypto.Keyring does).
type Sealer interface {
	Encrypt(ctx context.Context, plaintext []byte, aad string) (string, error)
}

// Report says how far a run has got.
type Report struct {
	// Phase is "setup", "practice", "finishing" or "done".
	Phase string
	// Done of Total clients are registered; the rest of the practice
	// (appointments, notes, audit entries) keeps pace with them.
	Done, Total int64
	// Rows is how many rows have been handed to the database so far.
	Rows int64
	// Counts is the rows written per table, in the last report only.
	Counts map[string]int64
}

// Progress receives reports, from the caller's goroutine: a few times a
// second at most while the practice is generated, and once per phase.
type Progress func(Report)

// Run fills d, an empty migrated database of either engine, with a practice
// of the given size made from seed. Note bodies and risk assessments are
// sealed with sealer. progress may be nil. On an error the database holds
// part of a practice: start again on a new one.
func Run(ctx context.Context, d *db.DB, sealer Sealer, size Size, seed uint64, progress Progress) error {
	if err := size.validate(); err != nil {
		return err
	}
	if size.Today.IsZero() {
		size.Today = DefaultToday
	}
	if progress == nil {
		progress = func(Report) {}
	}
	var n int64
	if err := d.Read().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM clients) + (SELECT count(*) FROM practice)
		+ (SELECT count(*) FROM appointments) + (SELECT seq FROM audit_head WHERE id = 1)`).Scan(&n); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	if n != 0 {
		return ErrNotEmpty
	}
	progress(Report{Phase: "setup", Total: int64(size.Clients)})
	g, err := newGenerator(size, seed)
	if err != nil {
		return err
	}
	g.ctx, g.d, g.sealer, g.progress = ctx, d, sealer, progress
	// One hash for every account: argon2id is slow on purpose.
	if g.passwordHash, err = auth.HashPassword(Password); err != nil {
		return fmt.Errorf("generate: hash password: %w", err)
	}
	if err := g.setupPractice(); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	if g.chain, err = audit.NewChain(ctx, d.Read()); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	if d.Engine == db.SQLite {
		// A bulk load: no fsync per commit, and a large page cache for the
		// indexes. The writer is one connection, so these stay on it until
		// they are set back.
		cache := 256 << 10 // KiB
		if size.Clients >= 100_000 {
			cache = 1 << 20
		}
		for _, p := range []string{`PRAGMA synchronous = OFF`, fmt.Sprintf(`PRAGMA cache_size = -%d`, cache)} {
			if _, err := d.Writer().ExecContext(ctx, p); err != nil {
				return fmt.Errorf("generate: %w", err)
			}
		}
		defer d.Writer().ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = -2000`)
		defer d.Writer().ExecContext(context.WithoutCancel(ctx), `PRAGMA synchronous = FULL`)
	}
	g.l = newLoader(ctx, d)
	if err := g.generate(); err != nil {
		g.l.abort()
		return fmt.Errorf("generate: %w", err)
	}
	g.drainEntries(time.Time{})
	if err := g.l.close(ctx); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	progress(Report{Phase: "finishing", Done: int64(size.Clients), Total: int64(size.Clients), Rows: g.l.total})
	if err := g.finish(); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	counts := map[string]int64{}
	for i, t := range tables {
		counts[t.name] = g.l.counts[i]
	}
	progress(Report{Phase: "done", Done: int64(size.Clients), Total: int64(size.Clients), Rows: g.l.total, Counts: counts})
	return nil
}

// generator is one run's state. Everything random comes from r and the
// client generator, drawn in a fixed order, which is what makes a seed
// reproducible.
type generator struct {
	ctx          context.Context
	d            *db.DB
	sealer       Sealer
	progress     Progress
	size         Size
	seed         uint64
	r            *rand.Rand
	cg           *ClientGen
	loc          *time.Location
	passwordHash string
	l            *loader
	chain        *audit.Chain

	// The timeline: week 0 starts on start (a Monday, 00:00 local); now is
	// 12:30 on Today; setupAt is when the practice was set up.
	start, now, setupAt, notesFrom time.Time

	practice
	ids          counters
	tasks        taskQueue
	entries      entryQueue
	entrySeq     int64
	lastReport   time.Time
	nextClient   *Client // generated ahead (a partner looked at)
	nextClientID int64
	clientsDone  int64
	err          error // the first error of a step that cannot return one
}

// counters hand out ids, one sequence per table.
type counters struct {
	appointment, series, note, diagnosis, medication, policy, consent, contact, alert, waitlist, risk int64
}

func newGenerator(size Size, seed uint64) (*generator, error) {
	loc, err := time.LoadLocation(TimeZone)
	if err != nil {
		return nil, fmt.Errorf("time zone: %w", err)
	}
	g := &generator{size: size, seed: seed, r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), loc: loc}
	today := time.Date(size.Today.Year(), size.Today.Month(), size.Today.Day(), 0, 0, 0, 0, loc)
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	g.start = monday.AddDate(0, 0, -7*size.HistoryWeeks)
	g.now = time.Date(today.Year(), today.Month(), today.Day(), 12, 30, 0, 0, loc)
	g.setupAt = time.Date(g.start.Year(), g.start.Month(), g.start.Day()-14, 9, 0, 0, 0, loc)
	g.notesFrom = g.now.AddDate(0, -size.NotesMonths, 0)
	return g, nil
}

// week returns the index of the week t falls in.
func (g *generator) week(t time.Time) int {
	y, m, d := t.In(g.loc).Date()
	days := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(time.Date(g.start.Year(), g.start.Month(), g.start.Day(), 0, 0, 0, 0, time.UTC)).Hours()) / 24
	if days < 0 {
		return (days - 6) / 7
	}
	return days / 7
}

// at is day d (0 = Monday) of week w at h:m.
func (g *generator) at(w, d, h, m int) time.Time {
	return time.Date(g.start.Year(), g.start.Month(), g.start.Day()+7*w+d, h, m, 0, 0, g.loc)
}

// report calls progress at most four times a second.
func (g *generator) report() {
	if t := time.Now(); t.Sub(g.lastReport) >= 250*time.Millisecond {
		g.lastReport = t
		g.progress(Report{Phase: "practice", Done: g.clientsDone, Total: int64(g.size.Clients), Rows: g.l.total})
	}
}

// finish makes the database ready for use: the chain head, the MRN counter,
// sequences and statistics on PostgreSQL, the WAL folded in on SQLite.
func (g *generator) finish() error {
	ctx, d := g.ctx, g.d
	if err := g.chain.SaveHead(ctx, d); err != nil {
		return err
	}
	if err := d.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE mrn_counter SET next = $1 WHERE id = 1`, g.size.Clients+1)
		return err
	}); err != nil {
		return fmt.Errorf("mrn counter: %w", err)
	}
	if d.Engine == db.Postgres {
		for _, t := range tables {
			if t.seq {
				if _, err := d.Pool.Exec(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT max(id) FROM %s))`, t.name, t.name)); err != nil {
					return fmt.Errorf("sequence of %s: %w", t.name, err)
				}
			}
		}
		// As autovacuum would after a load this size: statistics for the
		// planner, and the visibility map that index-only scans need.
		for _, t := range tables {
			if _, err := d.Pool.Exec(ctx, `VACUUM (ANALYZE) `+t.name); err != nil {
				return fmt.Errorf("vacuum %s: %w", t.name, err)
			}
		}
		return nil
	}
	if _, err := d.Writer().ExecContext(ctx, `PRAGMA synchronous = FULL`); err != nil {
		return err
	}
	// Fold the WAL into the file, so the database stands alone.
	if _, err := d.Writer().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// templates creates the built-in note templates (as serve would at start)
// and returns their ids by kind.
func ensureTemplates(ctx context.Context, d *db.DB, at time.Time) (map[notes.Kind]int64, error) {
	if err := notes.NewService(d, clock.NewFake(at), nil, nil, nil).EnsureTemplates(ctx); err != nil {
		return nil, fmt.Errorf("note templates: %w", err)
	}
	rows, err := d.Read().QueryContext(ctx, `SELECT kind, id FROM note_templates WHERE builtin ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("note templates: %w", err)
	}
	defer rows.Close()
	out := map[notes.Kind]int64{}
	for rows.Next() {
		var kind string
		var id int64
		if err := rows.Scan(&kind, &id); err != nil {
			return nil, err
		}
		if _, ok := out[notes.Kind(kind)]; !ok {
			out[notes.Kind(kind)] = id
		}
	}
	return out, rows.Err()
}

// taskQueue orders the simulation's work by time: registering the next
// client, an appointment's events, a day's sign-ins.
type task struct {
	at   int64 // microseconds
	seq  int64
	kind taskKind
	occ  *occurrence
}

type taskKind uint8

const (
	taskClient taskKind = iota
	taskOccurrence
	taskDay
)

type taskQueue struct {
	items []task
	seq   int64
}

func (q *taskQueue) Len() int { return len(q.items) }
func (q *taskQueue) Less(i, j int) bool {
	a, b := &q.items[i], &q.items[j]
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}
func (q *taskQueue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }
func (q *taskQueue) Push(x any)    { q.items = append(q.items, x.(task)) }
func (q *taskQueue) Pop() any {
	t := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	return t
}

func (q *taskQueue) add(t time.Time, kind taskKind, occ *occurrence) {
	q.seq++
	heap.Push(q, task{at: t.UnixMicro(), seq: q.seq, kind: kind, occ: occ})
}

// entryQueue holds audit entries made ahead of their time (a note signed
// two days after the session was generated with it) until every earlier
// entry is known: the log is written in time order.
type queuedEntry struct {
	at  int64
	seq int64
	e   *audit.Entry
}

type entryQueue []queuedEntry

func (q entryQueue) Len() int { return len(q) }
func (q entryQueue) Less(i, j int) bool {
	return q[i].at < q[j].at || (q[i].at == q[j].at && q[i].seq < q[j].seq)
}
func (q entryQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *entryQueue) Push(x any)   { *q = append(*q, x.(queuedEntry)) }
func (q *entryQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// drainEntries chains and writes every queued entry before t (all of them
// for the zero time).
func (g *generator) drainEntries(before time.Time) {
	limit := before.UnixMicro()
	for len(g.entries) > 0 && (before.IsZero() || g.entries[0].at < limit) {
		q := heap.Pop(&g.entries).(queuedEntry)
		g.chain.Next(q.e)
		g.l.add("audit_log", audit.Values(q.e)...)
	}
}
