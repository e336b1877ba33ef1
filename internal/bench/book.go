package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// bookTarget is the S1 target on SQLite: bookings per second at
// least this fraction of L at the same concurrency.
const bookTarget = 0.7

// book measures S1: the front desk books single sessions through
// scheduling.Service.Book (authorisation, checks, overlap queries, insert,
// audit entry, commit), first with one writer, then with Writers, a tenth
// of whom (at least two) race for the same slot, one slot after another.
// The others book free slots of their own. Then every appointment the run
// booked is checked against every other: two blocking appointments of one
// clinician or one room that overlap fail the run.
func (r *runner) book(ctx context.Context) error {
	var afterID, lastEnd int64
	// The last start plus the longest appointment bounds every end: max(ends_at)
	// has no index and would read all of a large practice's appointments.
	if err := r.d.Read().QueryRowContext(ctx, `SELECT COALESCE(max(id), 0), COALESCE(max(starts_at), 0) FROM appointments`).Scan(&afterID, &lastEnd); err != nil {
		return err
	}
	lastEnd += int64(scheduling.MaxMinutes) * int64(time.Minute/time.Microsecond)
	g, err := newGrid(r.p, r.clock.Now(), db.Time(lastEnd))
	if err != nil {
		return err
	}
	check := &BookingCheck{AfterID: afterID}
	r.rep.Booking = check
	var booked, conflicts, unexpected, calls atomic.Int64
	bookOne := func(ctx context.Context, w int, b scheduling.Booking, contended bool) error {
		a := r.p.desks[w%len(r.p.desks)].actor
		a.RequestID = fmt.Sprintf("bench-%012x", calls.Add(1))
		_, err := r.schedule.Book(ctx, a, b)
		switch {
		case err == nil:
			booked.Add(1)
		case apperr.Is(err, apperr.CodeConflict):
			conflicts.Add(1)
			if !contended {
				unexpected.Add(1)
			}
		default:
			return fmt.Errorf("book: %w", err)
		}
		return nil
	}

	r.logf("S1: booking, 1 writer")
	s, err := r.drive(ctx, 1, func(ctx context.Context, w int) error { return bookOne(ctx, w, g.next(), false) })
	if err != nil {
		return err
	}
	single := result(Book, "S1/1", 1, s, booked.Load(), "bookings/s")
	if err := r.versusLimit(ctx, &single); err != nil {
		return err
	}
	r.add(single)

	hot := contenders(r.o.Writers)
	r.logf("S1: booking, %d writers, %d of them on one slot at a time", r.o.Writers, hot)
	check.Booked, check.Conflicts = booked.Load(), conflicts.Load()
	booked.Store(0)
	conflicts.Store(0)
	commits0, txs0 := r.d.GroupCommits()
	s, err = r.drive(ctx, r.o.Writers, func(ctx context.Context, w int) error {
		if w >= hot {
			return bookOne(ctx, w, g.next(), false)
		}
		// Whoever tries the current contended slot moves everyone on to
		// the next, whether they got it or not.
		h := g.hot.Load()
		err := bookOne(ctx, w, g.contended(h), true)
		g.hot.CompareAndSwap(h, h+1)
		return err
	})
	check.Booked += booked.Load()
	check.Conflicts += conflicts.Load()
	if err != nil {
		return err
	}
	many := result(Book, fmt.Sprintf("S1/%d", r.o.Writers), r.o.Writers, s, booked.Load(), "bookings/s")
	if err := r.versusLimit(ctx, &many); err != nil {
		return err
	}
	many.Note = fmt.Sprintf("%d writers on one slot at a time: %d refused as clashes", hot, conflicts.Load())
	if n := unexpected.Load(); n > 0 {
		many.Note += fmt.Sprintf("; %d refusals of free slots", n)
	}
	if commits, txs := r.d.GroupCommits(); commits > commits0 {
		// SQLite's group commit: how many transactions shared each commit.
		many.Note += fmt.Sprintf("; %.1f transactions per commit", float64(txs-txs0)/float64(commits-commits0))
	}
	if r.d.Engine == db.SQLite {
		many.Target, many.Met = fmt.Sprintf("≥ %.1f × L", bookTarget), met(many.Ratio >= bookTarget)
	} else {
		many.Target = "(SQLite only)"
	}

	r.logf("S1: checking for double bookings")
	if check.DoubleBookings, err = DoubleBookings(ctx, r.d.Read(), afterID); err != nil {
		return err
	}
	many.Note += fmt.Sprintf("; double bookings: %d", check.DoubleBookings)
	r.add(many)
	return nil
}

// contenders is how many of n writers race for one slot: a tenth, and at
// least two when there are four or more writers.
func contenders(n int) int {
	h := (n + 5) / 10
	if h < 2 && n >= 4 {
		h = 2
	}
	return h
}

// DoubleBookings counts the pairs of blocking appointments of one clinician
// or one room that overlap, where at least one of the two has an id above
// afterID (the older ones are the generator's, checked by its own tests).
// Each pair is a self-join of appointments on the clinician, or the room,
// bounded by the longest possible appointment so that it stays an index
// range however long the history.
func DoubleBookings(ctx context.Context, q db.Querier, afterID int64) (int64, error) {
	const overlap = ` b.id <> a.id AND b.blocks AND b.starts_at < a.ends_at AND b.ends_at > a.starts_at
		AND b.starts_at > a.starts_at - $2 AND (b.id <= $1 OR b.id < a.id)`
	var n int64
	err := q.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM appointments a JOIN appointments b ON b.clinician_id = a.clinician_id AND`+overlap+`
			WHERE a.id > $1 AND a.blocks)
		+ (SELECT count(*) FROM appointments a JOIN appointments b ON b.room_id = a.room_id AND`+overlap+`
			WHERE a.id > $1 AND a.blocks AND a.room_id IS NOT NULL)`,
		afterID, int64(scheduling.MaxMinutes)*int64(time.Minute/time.Microsecond)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("double bookings: %w", err)
	}
	return n, nil
}

// grid hands out the slots S1 books, in weeks after every appointment the
// practice has: cell k is clinician k mod n at the (k div n)-th weekday
// hour from 08:00 to 16:00, in the clinician's own room (telehealth for
// clinicians beyond the rooms), for a client no other booking at that
// time has. The contended slots are the evenings (18:00 to 20:00) laid out
// the same way, so they never meet the others.
type grid struct {
	p       *practice
	monday  time.Time
	minutes int
	k, hot  atomic.Int64
}

func newGrid(p *practice, now, lastEnd time.Time) (*grid, error) {
	from := now
	if lastEnd.After(from) {
		from = lastEnd
	}
	from = from.In(p.zone)
	// The Monday after next: past every appointment and today.
	day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, p.zone)
	monday := day.AddDate(0, 0, 7+(8-int(day.Weekday()))%7)
	// Book takes dates up to two years ahead; leave half a year for this run.
	if monday.After(now.AddDate(1, 6, 0)) {
		return nil, fmt.Errorf("the calendar is booked up to %s, too close to the two years ahead Book allows: use a fresh copy of the generated database",
			from.Format(time.DateOnly))
	}
	return &grid{p: p, monday: monday, minutes: 50}, nil
}

// next returns the next free cell's booking.
func (g *grid) next() scheduling.Booking {
	k := int(g.k.Add(1) - 1)
	n := len(g.p.clinicians)
	slot := k / n
	return g.booking(k%n, slot/45, slot%45/9, 8+slot%9, g.p.clients[k%len(g.p.clients)])
}

// contended returns the booking of contended cell h.
func (g *grid) contended(h int64) scheduling.Booking {
	k := int(h)
	n := len(g.p.clinicians)
	slot := k / n
	return g.booking(k%n, slot/15, slot%15/3, 18+slot%3, g.p.clients[(k+len(g.p.clients)/2)%len(g.p.clients)])
}

func (g *grid) booking(clinician, week, weekday, hour int, client int64) scheduling.Booking {
	b := scheduling.Booking{ClinicianID: g.p.clinicians[clinician].actor.UserID, ClientIDs: []int64{client}, TypeID: g.p.typeID,
		Start: time.Date(g.monday.Year(), g.monday.Month(), g.monday.Day()+7*week+weekday, hour, 0, 0, 0, g.p.zone), Minutes: g.minutes}
	if clinician < len(g.p.rooms) {
		b.LocationID, b.RoomID = g.p.rooms[clinician].locationID, g.p.rooms[clinician].id
	} else {
		b.Telehealth = true
	}
	return b
}
