package scheduling

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

func TestBookRefusesDoubleBooking(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		first := p.book("frontdesk", p.booking("clinician", "ana", at(2026, 3, 3, 10, 0)))
		if len(first.IDs) != 1 || len(first.Warnings) != 0 {
			t.Fatalf("booked = %+v", first)
		}
		cases := []struct {
			name    string
			b       Booking
			code    apperr.Code
			message string
		}{
			{"same clinician, overlapping", p.booking("clinician", "ben", at(2026, 3, 3, 10, 30)), apperr.CodeConflict, "clinician is already booked"},
			{"same room, other clinician", p.booking("other", "dee", at(2026, 3, 3, 10, 52)), apperr.CodeConflict, "room is already booked"},
			{"same client, other clinician and room", func() Booking {
				b := p.booking("other", "ana", at(2026, 3, 3, 10, 0))
				b.RoomID = p.room[1]
				return b
			}(), apperr.CodeConflict, "client already has an appointment"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := p.svc.Book(ctx, p.staff["admin"], c.b)
				if apperr.CodeOf(err) != c.code || !strings.Contains(err.Error(), c.message) {
					t.Fatalf("err = %v, want %s containing %q", err, c.code, c.message)
				}
			})
		}
		// Back to back is not an overlap; a client overlap passes with a reason.
		p.book("frontdesk", p.booking("clinician", "ben", at(2026, 3, 3, 10, 53)))
		b := p.booking("other", "ana", at(2026, 3, 3, 10, 0))
		b.RoomID, b.OverrideReason = p.room[1], "Joint session agreed with both clinicians"
		p.book("admin", b)
		if n := p.count(`SELECT count(*) FROM appointments`); n != 3 {
			t.Errorf("appointments = %d, want 3", n)
		}
		if n := p.count(`SELECT count(*) FROM appointments WHERE overlap_reason <> ''`); n != 1 {
			t.Errorf("overridden = %d, want 1", n)
		}
	})
}

// TestParallelBookingsOfOneSlot fires many bookings of the same clinician's
// slot at once (each for a different client, in a different room): exactly
// one may win.
func TestParallelBookingsOfOneSlot(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		keys := []string{"ana", "ben", "cy"}
		const n = 24
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		var other []error
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := p.booking("clinician", keys[i%3], at(2026, 3, 4, 14, 0).Add(time.Duration(i%4)*10*time.Minute))
				b.RoomID = p.room[i%2]
				<-start
				_, err := p.svc.Book(ctx, p.staff["frontdesk"], b)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case apperr.Is(err, apperr.CodeConflict):
					conflicts++
				default:
					other = append(other, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if wins != 1 || conflicts != n-1 || len(other) > 0 {
			t.Fatalf("wins = %d, conflicts = %d, other errors = %v", wins, conflicts, other)
		}
		if c := p.count(`SELECT count(*) FROM appointments WHERE blocks`); c != 1 {
			t.Fatalf("%d appointments hold the slot", c)
		}
	})
}

// TestParallelMovesIntoOneSlot moves several existing appointments into the
// same free slot at once: exactly one lands.
func TestParallelMovesIntoOneSlot(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		var ids []int64
		for i, key := range []string{"ana", "ben", "cy"} {
			ids = append(ids, p.book("frontdesk", p.booking("clinician", key, at(2026, 3, 5, 9+i, 0))).IDs[0])
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for _, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := p.svc.Move(ctx, p.staff["frontdesk"], id, Change{Start: at(2026, 3, 5, 15, 0), ClinicianID: p.staff["clinician"].UserID,
					LocationID: p.office, RoomID: p.room[0], Version: 1})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					wins++
				} else if !apperr.Is(err, apperr.CodeConflict) {
					t.Errorf("move: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d moves landed in one slot", wins)
		}
	})
}

func TestWeeklySeriesKeepsLocalTimeAcrossDaylightSaving(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		b := p.booking("clinician", "ana", at(2026, 3, 2, 10, 0))
		b.RRule = "FREQ=WEEKLY;COUNT=4"
		out := p.book("frontdesk", b)
		if len(out.IDs) != 4 || out.SeriesID == 0 {
			t.Fatalf("series = %+v", out)
		}
		aps, err := p.svc.Calendar(ctx, p.staff["frontdesk"], Range{From: at(2026, 3, 1, 0, 0), To: at(2026, 4, 1, 0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		var offsets []int
		for _, ap := range aps {
			local := ap.Start.In(ny)
			if local.Hour() != 10 || local.Minute() != 0 || local.Weekday() != time.Monday {
				t.Errorf("occurrence at %v, want Monday 10:00 local", local)
			}
			_, off := local.Zone()
			offsets = append(offsets, off/3600)
		}
		if len(offsets) != 4 || offsets[0] != -5 || offsets[1] != -4 {
			t.Errorf("UTC offsets = %v, want EST then EDT", offsets)
		}

		// Fall back: a biweekly series in October–November stays at 10:00.
		p.clk.Set(at(2026, 10, 20, 9, 0))
		b = p.booking("clinician", "ben", at(2026, 10, 26, 10, 0))
		b.RRule = "FREQ=WEEKLY;INTERVAL=2;UNTIL=20261201T000000Z"
		out = p.book("frontdesk", b)
		for _, id := range out.IDs {
			ap, _ := p.svc.Get(ctx, p.staff["frontdesk"], id)
			if h := ap.Start.In(ny).Hour(); h != 10 {
				t.Errorf("fall-back occurrence at %v", ap.Start.In(ny))
			}
		}
		if len(out.IDs) != 3 {
			t.Errorf("biweekly occurrences = %d, want 3", len(out.IDs))
		}
	})
}

func TestBadInputChangesNothing(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		base := func() Booking { return p.booking("clinician", "ana", at(2026, 3, 3, 10, 0)) }
		cases := []struct {
			name  string
			edit  func(*Booking)
			field string
		}{
			{"zero duration", func(b *Booking) { b.Minutes = -5 }, "minutes"},
			{"absurd duration", func(b *Booking) { b.Minutes = 24 * 60 }, "minutes"},
			{"invalid rrule", func(b *Booking) { b.RRule = "FREQ=SOMETIMES;COUNT=3" }, "rrule"},
			{"endless rrule", func(b *Booking) { b.RRule = "FREQ=WEEKLY" }, "rrule"},
			{"yearly rrule", func(b *Booking) { b.RRule = "FREQ=YEARLY;COUNT=2" }, "rrule"},
			{"series in a DST gap", func(b *Booking) { b.Start, b.RRule = at(2026, 3, 1, 2, 30), "FREQ=DAILY;COUNT=10" }, "start"},
			{"room elsewhere", func(b *Booking) { b.RoomID = 999 }, "room"},
			{"no location, in person", func(b *Booking) { b.LocationID, b.RoomID = 0, 0 }, "location"},
			{"two clients, individual", func(b *Booking) { b.ClientIDs = append(b.ClientIDs, p.client["ben"]) }, "clients"},
			{"intake by video", func(b *Booking) { b.TypeID, b.LocationID, b.RoomID = p.types[Intake], p.video, 0 }, "telehealth"},
			{"plain http video link", func(b *Booking) { b.VideoURL = "http://meet.example.org/x" }, "video_url"},
			{"years ahead", func(b *Booking) { b.Start = at(2030, 1, 7, 10, 0) }, "start"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				b := base()
				c.edit(&b)
				_, err := p.svc.Book(ctx, p.staff["frontdesk"], b)
				if apperr.CodeOf(err) != apperr.CodeInvalid || apperr.As(err).Fields[c.field] == "" {
					t.Fatalf("err = %v (fields %v), want invalid %s", err, apperr.As(err).Fields, c.field)
				}
			})
		}
		if _, err := LocalTime("2026-03-08", "02:30", ny); apperr.CodeOf(err) != apperr.CodeInvalid {
			t.Errorf("time in the spring-forward gap: err = %v", err)
		}
		if n := p.count(`SELECT count(*) FROM appointments`); n != 0 {
			t.Errorf("bad input saved %d appointments", n)
		}
	})
}

func TestStatusLifecycle(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		p.clk.Set(at(2026, 3, 3, 9, 0))
		fd := p.staff["frontdesk"]
		id := p.book("frontdesk", p.booking("clinician", "ana", at(2026, 3, 3, 10, 0))).IDs[0]
		steps := []struct {
			to   Status
			ok   bool
			want string
		}{
			{Completed, false, "cannot become"},
			{Confirmed, true, ""},
			{CheckedIn, true, ""},
			{InSession, true, ""},
			{Completed, true, ""},
			{Cancelled, false, "cannot become"},
		}
		for _, s := range steps {
			_, err := p.svc.SetStatus(ctx, fd, id, StatusChange{To: s.to, CancelledBy: "client", Reason: "x"})
			if (err == nil) != s.ok || (err != nil && !strings.Contains(err.Error(), s.want)) {
				t.Fatalf("to %s: err = %v", s.to, err)
			}
		}
		ap, _ := p.svc.Get(ctx, fd, id)
		if ap.CheckedInAt.IsZero() || ap.CheckedOutAt.IsZero() || ap.Status != Completed {
			t.Errorf("after the session: %+v", ap)
		}
		if n := p.count(`SELECT count(*) FROM appointment_events WHERE appointment_id = $1`, id); n != 5 {
			t.Errorf("history rows = %d, want 5", n)
		}
		// A completed appointment cannot be moved.
		_, err := p.svc.Move(ctx, fd, id, Change{Start: at(2026, 3, 3, 15, 0), ClinicianID: ap.ClinicianID, LocationID: p.office, Version: ap.Version})
		if !apperr.Is(err, apperr.CodeConflict) {
			t.Errorf("moving a completed appointment: %v", err)
		}
	})
}

func TestLateCancellationAndNoShowFees(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		pol, _ := p.svc.Policy(ctx, p.staff["admin"])
		pol.LateCancelFeeCents, pol.NoShowFeeCents = 5000, 7500
		if err := p.svc.SavePolicy(ctx, p.staff["admin"], pol); err != nil {
			t.Fatal(err)
		}
		fd := p.staff["frontdesk"]
		early := p.book("frontdesk", p.booking("clinician", "ana", at(2026, 3, 6, 10, 0))).IDs[0]
		late := p.book("frontdesk", p.booking("clinician", "ben", at(2026, 3, 2, 20, 0))).IDs[0]
		byClinician := p.book("frontdesk", p.booking("clinician", "cy", at(2026, 3, 2, 16, 0))).IDs[0]
		noShow := p.book("frontdesk", p.booking("other", "dee", at(2026, 3, 2, 9, 30))).IDs[0]
		cases := []struct {
			id       int64
			change   StatusChange
			late     bool
			feeCents int64
		}{
			{early, StatusChange{To: Cancelled, CancelledBy: "client", Reason: "Travel"}, false, 0},
			{late, StatusChange{To: Cancelled, CancelledBy: "client", Reason: "Sick"}, true, 5000},
			{byClinician, StatusChange{To: Cancelled, CancelledBy: "clinician", Reason: "Clinician ill"}, false, 0},
			{noShow, StatusChange{To: NoShow}, false, 7500},
		}
		for _, c := range cases {
			res, err := p.svc.SetStatus(ctx, fd, c.id, c.change)
			if err != nil || res.LateCancel != c.late || res.FeeCents != c.feeCents {
				t.Errorf("%d: result %+v, err %v; want late %v fee %d", c.id, res, err, c.late, c.feeCents)
			}
		}
		// A cancellation needs a reason and who cancelled.
		other := p.book("frontdesk", p.booking("clinician", "ana", at(2026, 3, 9, 10, 0))).IDs[0]
		if _, err := p.svc.SetStatus(ctx, fd, other, StatusChange{To: Cancelled}); apperr.CodeOf(err) != apperr.CodeInvalid {
			t.Errorf("cancel without who: %v", err)
		}
		// The freed slot can be booked; reinstating the cancelled one then clashes.
		p.book("frontdesk", p.booking("clinician", "cy", at(2026, 3, 6, 10, 0)))
		if _, err := p.svc.SetStatus(ctx, fd, early, StatusChange{To: Scheduled}); !apperr.Is(err, apperr.CodeConflict) {
			t.Errorf("reinstating into a taken slot: %v", err)
		}
		// A cancelled appointment cannot be moved.
		ap, _ := p.svc.Get(ctx, fd, early)
		if _, err := p.svc.Move(ctx, fd, early, Change{Start: at(2026, 3, 6, 15, 0), ClinicianID: ap.ClinicianID, LocationID: p.office, Version: ap.Version}); !apperr.Is(err, apperr.CodeConflict) {
			t.Errorf("moving a cancelled appointment: %v", err)
		}
	})
}

func TestSeriesEdits(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		fd := p.staff["frontdesk"]
		b := p.booking("clinician", "ana", at(2026, 3, 2, 10, 0))
		b.RRule = "FREQ=WEEKLY;COUNT=6"
		ids := p.book("frontdesk", b).IDs
		// Move the third and following to Tuesdays at 14:00.
		third, _ := p.svc.Get(ctx, fd, ids[2])
		out, err := p.svc.Move(ctx, fd, ids[2], Change{Start: at(2026, 3, 17, 14, 0), ClinicianID: third.ClinicianID, LocationID: p.office,
			RoomID: p.room[1], Scope: ScopeFollowing, Version: third.Version})
		if err != nil || len(out.IDs) != 4 {
			t.Fatalf("move following: %+v %v", out, err)
		}
		for i, id := range ids {
			ap, _ := p.svc.Get(ctx, fd, id)
			local := ap.Start.In(ny)
			wantDay, wantHour := time.Monday, 10
			if i >= 2 {
				wantDay, wantHour = time.Tuesday, 14
			}
			if local.Weekday() != wantDay || local.Hour() != wantHour {
				t.Errorf("occurrence %d at %v", i, local)
			}
		}
		// Cancel this and following from the fifth.
		res, err := p.svc.SetStatus(ctx, fd, ids[4], StatusChange{To: Cancelled, CancelledBy: "client", Reason: "Ending therapy", Scope: ScopeFollowing})
		if err != nil || len(res.IDs) != 2 {
			t.Fatalf("cancel following: %+v %v", res, err)
		}
		// A move that would hit another client's appointment is refused as a whole.
		p.book("frontdesk", p.booking("clinician", "ben", at(2026, 3, 3, 11, 0)))
		first, _ := p.svc.Get(ctx, fd, ids[0])
		_, err = p.svc.Move(ctx, fd, ids[0], Change{Start: at(2026, 3, 3, 11, 0), ClinicianID: first.ClinicianID, LocationID: p.office,
			RoomID: p.room[0], Scope: ScopeAll, Version: first.Version})
		if !apperr.Is(err, apperr.CodeConflict) {
			t.Fatalf("series move into a clash: %v", err)
		}
		// A stale version is refused.
		_, err = p.svc.Move(ctx, fd, ids[0], Change{Start: at(2026, 3, 2, 12, 0), ClinicianID: first.ClinicianID, LocationID: p.office, Version: first.Version - 1})
		if !apperr.Is(err, apperr.CodeConflict) || !strings.Contains(err.Error(), "Someone else") {
			t.Errorf("stale move: %v", err)
		}
		p.clientStartsAgree()
	})
}

// TestClientClashFollowsMove: the client overlap check reads the start held
// with each client (appointment_clients.starts_at), so a move must carry it.
func TestClientClashFollowsMove(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		fd := p.staff["frontdesk"]
		b := p.booking("clinician", "ana", at(2026, 3, 2, 10, 0))
		b.RRule = "FREQ=WEEKLY;COUNT=3"
		ids := p.book("frontdesk", b).IDs
		first, _ := p.svc.Get(ctx, fd, ids[0])
		// A day later, beyond the check's look-back (MaxMinutes) from the old time.
		if _, err := p.svc.Move(ctx, fd, ids[0], Change{Start: at(2026, 3, 3, 14, 0), ClinicianID: first.ClinicianID, LocationID: p.office,
			RoomID: p.room[0], Scope: ScopeAll, Version: first.Version}); err != nil {
			t.Fatal(err)
		}
		elsewhere := func(start time.Time) Booking {
			b := p.booking("other", "ana", start)
			b.RoomID = p.room[1]
			return b
		}
		for week := range 3 {
			// The new time is taken for the client; the old one is free.
			_, err := p.svc.Book(ctx, fd, elsewhere(at(2026, 3, 3+7*week, 14, 20)))
			if !apperr.Is(err, apperr.CodeConflict) || !strings.Contains(err.Error(), "client already has an appointment") {
				t.Errorf("week %d: booking the client at the moved time: %v, want a client clash", week, err)
			}
			p.book("frontdesk", elsewhere(at(2026, 3, 2+7*week, 10, 0)))
		}
		p.clientStartsAgree()
	})
}

func TestGroupAttendanceAndCapacity(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		fd := p.staff["frontdesk"]
		b := Booking{ClinicianID: p.staff["clinician"].UserID, ClientIDs: []int64{p.client["ana"], p.client["ben"]}, TypeID: p.types[Group],
			LocationID: p.office, RoomID: p.room[1], Start: at(2026, 3, 4, 17, 0)}
		out := p.book("frontdesk", b)
		if len(out.Warnings) != 1 {
			t.Errorf("warnings = %v, want one: 17:00 is outside availability", out.Warnings)
		}
		id := out.IDs[0]
		if err := p.svc.AddAttendee(ctx, fd, id, p.client["cy"], ""); err != nil {
			t.Fatal(err)
		}
		if err := p.svc.AddAttendee(ctx, fd, id, p.client["dee"], ""); !apperr.Is(err, apperr.CodeConflict) {
			t.Errorf("fourth client in a group of three: %v", err)
		}
		if err := p.svc.SetAttendance(ctx, fd, id, p.client["ben"], "absent"); err != nil {
			t.Fatal(err)
		}
		ap, _ := p.svc.Get(ctx, fd, id)
		att := map[int64]string{}
		for _, c := range ap.Clients {
			att[c.ClientID] = c.Attendance
		}
		if len(ap.Clients) != 3 || att[p.client["ben"]] != "absent" || att[p.client["ana"]] != "expected" {
			t.Errorf("attendance = %v", att)
		}
		p.clientStartsAgree()
	})
}

func TestAccessRules(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		cases := []struct {
			name string
			who  string
			b    Booking
			code apperr.Code
		}{
			{"clinician books own client", "clinician", p.booking("clinician", "ana", at(2026, 3, 3, 10, 0)), ""},
			{"clinician books on a colleague's calendar", "clinician", p.booking("other", "dee", at(2026, 3, 3, 12, 0)), apperr.CodeForbidden},
			{"clinician books a client not on caseload", "clinician", p.booking("clinician", "dee", at(2026, 3, 3, 13, 0)), apperr.CodeForbidden},
			{"biller books", "biller", p.booking("clinician", "ana", at(2026, 3, 3, 14, 0)), apperr.CodeForbidden},
			{"front desk books anyone", "frontdesk", p.booking("other", "dee", at(2026, 3, 3, 15, 0)), ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := p.svc.Book(ctx, p.staff[c.who], c.b)
				if (c.code == "" && err != nil) || (c.code != "" && apperr.CodeOf(err) != c.code) {
					t.Fatalf("err = %v, want %q", err, c.code)
				}
			})
		}
		if n := p.count(`SELECT count(*) FROM audit_log WHERE outcome = 'denied' AND object_type = 'appointment'`); n != 3 {
			t.Errorf("denied entries = %d, want 3", n)
		}
		// On the all-clinicians calendar, a clinician sees a colleague's client as busy.
		aps, err := p.svc.Calendar(ctx, p.staff["clinician"], Range{From: at(2026, 3, 3, 0, 0), To: at(2026, 3, 4, 0, 0)})
		if err != nil || len(aps) != 2 {
			t.Fatalf("calendar: %d, %v", len(aps), err)
		}
		for _, ap := range aps {
			hidden := ap.ClinicianID != p.staff["clinician"].UserID
			if ap.HiddenFromUser != hidden || (hidden && ap.Clients[0].Name != "") {
				t.Errorf("appointment %d: hidden %v, name %q", ap.ID, ap.HiddenFromUser, ap.Clients[0].Name)
			}
		}
		// Booking and calendar reads are audited against the clients.
		if n := p.count(`SELECT count(*) FROM audit_log WHERE object_type = 'appointment' AND action = 'create' AND outcome = 'success' AND client_id IS NOT NULL`); n != 2 {
			t.Errorf("create entries = %d, want 2", n)
		}
		if n := p.count(`SELECT count(*) FROM audit_log WHERE object_type = 'calendar'`); n != 1 {
			t.Errorf("calendar entries = %d, want 1", n)
		}
	})
}

func TestWaitlistMatchesFreedSlot(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		fd := p.staff["frontdesk"]
		id := p.book("frontdesk", p.booking("clinician", "ana", at(2026, 3, 4, 10, 0))).IDs[0]
		add := func(key string, e WaitlistEntry) int64 {
			e.ClientID = p.client[key]
			wid, err := p.svc.AddToWaitlist(ctx, fd, e)
			if err != nil {
				t.Fatal(err)
			}
			return wid
		}
		want := add("ben", WaitlistEntry{Days: []time.Weekday{time.Wednesday}, EarliestMinute: 9 * 60, LatestMinute: 12 * 60, Urgency: "urgent"})
		add("cy", WaitlistEntry{Days: []time.Weekday{time.Thursday}})                                                      // wrong day
		add("dee", WaitlistEntry{ClinicianID: p.staff["other"].UserID})                                                    // wrong clinician
		add("eli", WaitlistEntry{Modality: "telehealth"})                                                                  // wrong modality
		also := add("cy", WaitlistEntry{EarliestMinute: 8 * 60, LatestMinute: 11 * 60, Modality: "in_person"})             // matches
		if _, err := p.svc.AddToWaitlist(ctx, fd, WaitlistEntry{ClientID: p.client["ana"], Modality: "bus"}); err == nil { // bad input
			t.Error("a bad modality was accepted")
		}
		if _, err := p.svc.SetStatus(ctx, fd, id, StatusChange{To: Cancelled, CancelledBy: "client", Reason: "Moved away"}); err != nil {
			t.Fatal(err)
		}
		ms, err := p.svc.Matches(ctx, fd, id)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, m := range ms {
			got = append(got, m.ID)
		}
		if len(got) != 2 || got[0] != want || got[1] != also {
			t.Fatalf("matches = %v, want [%d %d] (urgent first)", got, want, also)
		}
		if _, err := p.svc.Offer(ctx, fd, want, id); err != nil {
			t.Fatal(err)
		}
		if n := p.count(`SELECT count(*) FROM waitlist WHERE status = 'offered'`); n != 1 {
			t.Errorf("offered = %d", n)
		}
	})
}
