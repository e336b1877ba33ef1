package scheduling

import (
	"context"
	"slices"
	"testing"

	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

// TestCalendarFilters checks which appointments each calendar filter keeps,
// on both engines (PostgreSQL's clinician filter is written differently;
// see rangeWhere), including one that started the evening before and one
// that ended before the day began.
func TestCalendarFilters(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		book := func(room int, b Booking) int64 {
			b.RoomID = p.room[room]
			return p.book("frontdesk", b).IDs[0]
		}
		a := book(0, p.booking("clinician", "ana", at(2026, 3, 3, 10, 0)))
		b := book(1, p.booking("clinician", "ben", at(2026, 3, 3, 11, 0)))
		c := book(1, p.booking("other", "dee", at(2026, 3, 3, 10, 0)))
		cancelled := book(0, p.booking("associate", "eli", at(2026, 3, 3, 12, 0)))
		overnight := p.booking("clinician", "cy", at(2026, 3, 2, 20, 0))
		overnight.Minutes = 300 // until 01:00 on the day
		e := book(0, overnight)
		book(1, p.booking("other", "dee", at(2026, 3, 2, 17, 0)))     // over before the day
		book(0, p.booking("clinician", "ana", at(2026, 3, 4, 10, 0))) // the next day
		if _, err := p.svc.SetStatus(ctx, p.staff["frontdesk"], cancelled, StatusChange{To: Cancelled, Reason: "Unwell", CancelledBy: "client"}); err != nil {
			t.Fatal(err)
		}

		day := Range{From: at(2026, 3, 3, 0, 0), To: at(2026, 3, 4, 0, 0)}
		with := func(f func(r *Range)) Range {
			r := day
			f(&r)
			return r
		}
		clinician, other, associate := p.staff["clinician"].UserID, p.staff["other"].UserID, p.staff["associate"].UserID
		cases := []struct {
			name string
			r    Range
			want []int64
		}{
			{"every clinician", day, []int64{a, b, c, e}},
			{"one clinician", with(func(r *Range) { r.ClinicianIDs = []int64{clinician} }), []int64{a, b, e}},
			{"two clinicians", with(func(r *Range) { r.ClinicianIDs = []int64{clinician, other} }), []int64{a, b, c, e}},
			{"a clinician with only a cancellation", with(func(r *Range) { r.ClinicianIDs = []int64{associate} }), nil},
			{"cancellations kept", with(func(r *Range) { r.ClinicianIDs, r.IncludeCancelled = []int64{associate}, true }), []int64{cancelled}},
			{"every clinician, cancellations kept", with(func(r *Range) { r.IncludeCancelled = true }), []int64{a, b, c, cancelled, e}},
			{"one room", with(func(r *Range) { r.RoomIDs = []int64{p.room[1]} }), []int64{b, c}},
			{"a clinician in a room", with(func(r *Range) { r.ClinicianIDs, r.RoomIDs = []int64{clinician}, []int64{p.room[0]} }), []int64{a, e}},
			{"the office", with(func(r *Range) { r.LocationID = p.office }), []int64{a, b, c, e}},
			{"telehealth", with(func(r *Range) { r.LocationID = p.video }), nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				aps, err := p.svc.Calendar(ctx, p.staff["frontdesk"], tc.r)
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, ap := range aps {
					got = append(got, ap.ID)
					if len(ap.Clients) != 1 || ap.Clients[0].Name == "" {
						t.Errorf("appointment %d: clients %+v", ap.ID, ap.Clients)
					}
				}
				slices.Sort(got)
				want := slices.Clone(tc.want)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("got %v, want %v", got, want)
				}
			})
		}
	})
}

// TestRangeWherePlanFixed: only PostgreSQL's LATERAL walk of chosen
// clinicians is run with generic plans; a time range alone, or rooms or a
// location without clinicians, must be planned for its values.
func TestRangeWherePlanFixed(t *testing.T) {
	for _, tc := range []struct {
		engine db.Engine
		r      Range
		want   bool
	}{
		{db.Postgres, Range{ClinicianIDs: []int64{1, 2}}, true},
		{db.Postgres, Range{ClinicianIDs: []int64{1}, RoomIDs: []int64{3}, LocationID: 4, IncludeCancelled: true}, true},
		{db.Postgres, Range{}, false},
		{db.Postgres, Range{RoomIDs: []int64{3}}, false},
		{db.Postgres, Range{LocationID: 4}, false},
		{db.SQLite, Range{ClinicianIDs: []int64{1, 2}}, false},
	} {
		if _, _, got := rangeWhere(tc.engine, tc.r); got != tc.want {
			t.Errorf("rangeWhere(%s, %+v) planFixed = %v, want %v", tc.engine, tc.r, got, tc.want)
		}
	}
}
