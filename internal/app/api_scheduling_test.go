package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/api"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
	"github.com/mentalspace/mentalspace/internal/practice"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// aPracticeOffice adds an office location with one room, as an
// administrator sets them up.
func aPracticeOffice(t *testing.T, ta *testApp) (locationID, roomID int64) {
	t.Helper()
	ctx, sys := context.Background(), access.Actor{System: true}
	locationID, err := ta.App.Practice.SaveLocation(ctx, sys, practice.Location{Name: "Main office", PlaceOfService: "11", Active: true,
		Address: practice.Address{Line1: "1 Main St", City: "Albany", State: "NY", PostalCode: "12207"}})
	if err != nil {
		t.Fatal(err)
	}
	if roomID, err = ta.Scheduling.SaveRoom(ctx, sys, scheduling.Room{LocationID: locationID, Name: "Room 1"}); err != nil {
		t.Fatal(err)
	}
	return locationID, roomID
}

// aClientOf registers a client whose primary clinician is clinicianID.
func aClientOf(t *testing.T, ta *testApp, first string, clinicianID int64) int64 {
	t.Helper()
	c, err := ta.Clients.Create(context.Background(), access.Actor{System: true}, clients.Input{FirstName: first, LastName: "Sample",
		BirthDate: "1990-04-02", PrimaryClinicianID: clinicianID, AllowDuplicate: true})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// nextWeekday is the first day of weekday at least a week from now, at
// hh:mm in loc.
func nextWeekday(loc *time.Location, wd time.Weekday, hh, mm int) time.Time {
	d := time.Now().In(loc).AddDate(0, 0, 7)
	for d.Weekday() != wd {
		d = d.AddDate(0, 0, 1)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, loc)
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func idPath(prefix string, id int64) string { return prefix + strconv.FormatInt(id, 10) }

// The scheduling API end to end on both engines: an administrator sets up a
// type, a clinician her hours; the front desk books a single appointment and
// the clinician a weekly series; the calendar lists them by range,
// clinician and client; moves, cancellations, status changes and a
// reschedule follow the version and clash rules; bad input, other
// clinicians' calendars and roles without schedule.write are refused; the
// waitlist takes and lets go of a client.
func TestAPIScheduling(t *testing.T) {
	for _, engine := range dbtest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			if engine == db.Postgres {
				dbtest.PostgresSchema(t) // skips, or fails under CI, without a server
			}
			ta := newTestApp(t, engine)
			ta.addUser("frontdesk@example.org", access.RoleFrontDesk)
			ta.addUser("biller@example.org", access.RoleBiller)
			dana := ta.addUser("dana@example.org", access.RoleClinician)
			eli := ta.addUser("eli@example.org", access.RoleClinician)
			var bodies []string
			admin := ta.apiAs(t, "admin@example.org", &bodies)
			desk := ta.apiAs(t, "frontdesk@example.org", &bodies)
			billerAPI := ta.apiAs(t, "biller@example.org", &bodies)
			danaAPI := ta.apiAs(t, "dana@example.org", &bodies)
			eliAPI := ta.apiAs(t, "eli@example.org", &bodies)
			office, room := aPracticeOffice(t, ta)
			loc, err := time.LoadLocation("America/New_York")
			if err != nil {
				t.Fatal(err)
			}

			// Setup: a type (stale versions refused), rooms, Dana's hours.
			var individual api.AppointmentType
			st, where := admin.call("POST", "/api/v1/appointment-types", map[string]any{"name": "Individual 53", "duration_minutes": 53,
				"service_code": "90834", "kind": "individual", "color": "#336699"}, &individual)
			if st != http.StatusCreated || where != idPath("/api/v1/appointment-types/", individual.ID) {
				t.Fatalf("create type = %d at %q", st, where)
			}
			want := api.AppointmentType{ID: individual.ID, Name: "Individual 53", DurationMinutes: 53, ServiceCode: "90834", Color: "#336699",
				Kind: "individual", Capacity: 1, TelehealthAllowed: true, Active: true, Version: 1}
			if diff := cmp.Diff(want, individual); diff != "" {
				t.Errorf("created type (-want +got):\n%s", diff)
			}
			typePath := idPath("/api/v1/appointment-types/", individual.ID)
			upd := map[string]any{"name": "Individual psychotherapy, 53 min", "duration_minutes": 53, "service_code": "90834", "kind": "individual",
				"color": "#336699", "version": 1}
			if st, _ := admin.call("PUT", typePath, upd, &individual); st != http.StatusOK || individual.Version != 2 {
				t.Errorf("update type = %d %+v", st, individual)
			}
			if st, _ := admin.call("PUT", typePath, upd, nil); st != http.StatusConflict {
				t.Errorf("stale type update = %d, want 409", st)
			}
			var types api.List[api.AppointmentType]
			if st, _ := desk.call("GET", "/api/v1/appointment-types", nil, &types); st != http.StatusOK || !cmp.Equal(types.Data, []api.AppointmentType{individual}) {
				t.Errorf("types = %d %+v", st, types.Data)
			}
			var rooms api.List[api.Room]
			if st, _ := billerAPI.call("GET", "/api/v1/rooms", nil, &rooms); st != http.StatusOK ||
				!cmp.Equal(rooms.Data, []api.Room{{ID: room, LocationID: office, LocationName: "Main office", Name: "Room 1", Active: true}}) {
				t.Errorf("rooms = %d %+v", st, rooms.Data)
			}
			danaHours := idPath("/api/v1/clinicians/", dana.ID) + "/availability"
			weekdays := []map[string]any{}
			for wd := 1; wd <= 5; wd++ {
				weekdays = append(weekdays, map[string]any{"location_id": office, "weekday": wd, "start": "09:00", "end": "17:00"})
			}
			var hours api.Availability
			if st, _ := danaAPI.call("PUT", danaHours, map[string]any{"windows": weekdays}, &hours); st != http.StatusOK ||
				len(hours.Windows) != 5 || hours.Windows[0].Start != "09:00" || hours.Windows[0].End != "17:00" || hours.TimeZone != "America/New_York" {
				t.Errorf("Dana sets her hours = %d %+v", st, hours)
			}
			if st, _ := eliAPI.call("PUT", danaHours, map[string]any{"windows": weekdays[:1]}, nil); st != http.StatusForbidden {
				t.Errorf("Eli sets Dana's hours = %d, want 403", st)
			}
			// The test's week: a Monday at least a week ahead.
			monday := nextWeekday(loc, time.Monday, 10, 0)
			day := func(offset, hh, mm int) time.Time {
				d := monday.AddDate(0, 0, offset)
				return time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, loc)
			}
			holiday := day(4, 0, 0)
			var off api.Exception
			if st, _ := admin.call("POST", danaHours+"/exceptions", map[string]any{"kind": "off", "start": rfc(holiday),
				"end": rfc(day(5, 0, 0)), "reason": " Conference "}, &off); st != http.StatusCreated ||
				off.Reason != "Conference" || !off.Start.Equal(holiday) || off.ClinicianID != dana.ID {
				t.Errorf("time off = %d %+v", st, off)
			}
			if st, _ := desk.call("GET", danaHours, nil, &hours); st != http.StatusOK || len(hours.Windows) != 5 || len(hours.Exceptions) != 1 {
				t.Errorf("Dana's availability = %d %+v", st, hours)
			}

			// Booking: one appointment by the front desk, a weekly series
			// by Dana herself.
			kai := aClientOf(t, ta, "Kai", dana.ID)
			var single api.AppointmentResult
			st, where = desk.call("POST", "/api/v1/appointments", map[string]any{"clinician_id": dana.ID, "client_ids": []int64{kai},
				"type_id": individual.ID, "location_id": office, "room_id": room, "start": monday.Format(time.RFC3339), "front_desk_note": "Parking validated"}, &single)
			if st != http.StatusCreated || where != idPath("/api/v1/appointments/", single.Appointment.ID) {
				t.Fatalf("book = %d at %q: %+v", st, where, single)
			}
			got := single.Appointment
			if !got.Start.Equal(monday) || !got.End.Equal(monday.Add(53*time.Minute)) || got.LocalStart != monday.Format(time.RFC3339) ||
				got.TimeZone != "America/New_York" || got.Minutes != 53 || got.Status != "scheduled" || got.RoomName != "Room 1" ||
				got.ServiceCode != "90834" || got.FrontDeskNote != "Parking validated" || got.Version != 1 || got.CheckedInAt != nil ||
				!cmp.Equal(got.Clients, []api.Attendee{{ClientID: kai, Attendance: "expected", Name: "Kai Sample", Initials: "K.S."}}) ||
				!cmp.Equal(single.IDs, []int64{got.ID}) || len(single.Warnings) != 0 {
				t.Errorf("booked appointment: %+v", single)
			}
			if !strings.Contains(bodies[len(bodies)-1], `"start": "`+monday.UTC().Format(time.RFC3339)+`"`) {
				t.Errorf("start is not written in UTC: %s", bodies[len(bodies)-1])
			}
			tuesday := day(1, 14, 0)
			var series api.AppointmentResult
			if st, _ := danaAPI.call("POST", "/api/v1/appointments", map[string]any{"clinician_id": dana.ID, "client_ids": []int64{kai},
				"type_id": individual.ID, "location_id": office, "start": rfc(tuesday), "rrule": "FREQ=WEEKLY;COUNT=4"}, &series); st != http.StatusCreated ||
				len(series.IDs) != 4 || series.SeriesID == 0 || series.Appointment.RRule != "FREQ=WEEKLY;COUNT=4" {
				t.Fatalf("book series = %d %+v", st, series)
			}
			// A session on Dana's day off books with a warning.
			var late api.AppointmentResult
			if st, _ := desk.call("POST", "/api/v1/appointments", map[string]any{"clinician_id": dana.ID, "client_ids": []int64{kai},
				"type_id": individual.ID, "location_id": office, "start": rfc(day(4, 11, 0))}, &late); st != http.StatusCreated || len(late.Warnings) != 1 {
				t.Errorf("book outside hours = %d, warnings %v", st, late.Warnings)
			}

			// Listing by range, clinician and client.
			list := func(caller apiCaller, query string) []api.Appointment {
				t.Helper()
				var page api.List[api.Appointment]
				if st, _ := caller.call("GET", "/api/v1/appointments?"+query, nil, &page); st != http.StatusOK {
					t.Fatalf("list %s as %s = %d", query, caller.name, st)
				}
				return page.Data
			}
			ids := func(aps []api.Appointment) []int64 {
				out := []int64{}
				for _, ap := range aps {
					out = append(out, ap.ID)
				}
				return out
			}
			from, to := monday.Add(-time.Hour), tuesday.AddDate(0, 0, 28)
			rangeQuery := "from=" + rfc(from) + "&to=" + rfc(to)
			// Monday, Tuesday, Friday, then the series' other Tuesdays.
			wantAll := []int64{single.Appointment.ID, series.IDs[0], late.Appointment.ID, series.IDs[1], series.IDs[2], series.IDs[3]}
			if got := ids(list(desk, rangeQuery)); !cmp.Equal(got, wantAll) {
				t.Errorf("calendar = %v, want %v", got, wantAll)
			}
			if got := ids(list(desk, rangeQuery+"&clinician_id="+strconv.FormatInt(dana.ID, 10)+"&location_id="+strconv.FormatInt(office, 10))); !cmp.Equal(got, wantAll) {
				t.Errorf("Dana's calendar = %v, want %v", got, wantAll)
			}
			if got := ids(list(desk, rangeQuery+"&clinician_id="+strconv.FormatInt(eli.ID, 10))); len(got) != 0 {
				t.Errorf("Eli's calendar = %v, want none", got)
			}
			if got := ids(list(desk, rangeQuery+"&room_id="+strconv.FormatInt(room, 10))); !cmp.Equal(got, []int64{single.Appointment.ID}) {
				t.Errorf("room's calendar = %v", got)
			}
			firstWeek := "from=" + rfc(monday) + "&to=" + rfc(tuesday.Add(time.Hour))
			if got := ids(list(danaAPI, firstWeek+"&client_id="+strconv.FormatInt(kai, 10))); !cmp.Equal(got, wantAll[:2]) {
				t.Errorf("Kai's first week = %v, want %v", got, wantAll[:2])
			}
			// Eli sees Dana's slots as busy, without Kai's name.
			for _, ap := range list(eliAPI, rangeQuery) {
				if !ap.Hidden || ap.Clients[0].Name != "" || !ap.Clients[0].Hidden || ap.FrontDeskNote != "" {
					t.Errorf("Eli sees %+v", ap)
				}
			}
			if st, _ := eliAPI.call("GET", "/api/v1/appointments?"+firstWeek+"&client_id="+strconv.FormatInt(kai, 10), nil, nil); st != http.StatusForbidden {
				t.Errorf("Eli lists Kai's appointments = %d, want 403", st)
			}

			// Moving: a stale version is refused, then the move goes
			// through and keeps what it did not name.
			apPath := idPath("/api/v1/appointments/", single.Appointment.ID)
			var e apiError
			if st, _ := desk.call("POST", apPath+"/move", map[string]any{"start": rfc(monday.Add(time.Hour)), "version": 7}, &e); st != http.StatusConflict || e.Error.Code != "conflict" {
				t.Errorf("stale move = %d %+v", st, e)
			}
			var moved api.AppointmentResult
			if st, _ := desk.call("POST", apPath+"/move", map[string]any{"start": rfc(monday.Add(time.Hour)), "minutes": 60, "version": 1}, &moved); st != http.StatusOK ||
				!moved.Appointment.Start.Equal(monday.Add(time.Hour)) || moved.Appointment.Minutes != 60 || moved.Appointment.Version != 2 ||
				moved.Appointment.RoomID != room || moved.Appointment.FrontDeskNote != "Parking validated" {
				t.Errorf("move = %d %+v", st, moved)
			}
			// Onto the series' first occurrence: a clash.
			if st, _ := desk.call("POST", apPath+"/move", map[string]any{"start": rfc(tuesday.Add(30 * time.Minute)), "version": 2}, &e); st != http.StatusConflict ||
				!strings.Contains(e.Error.Message, "clinician is already booked") {
				t.Errorf("move onto a booked slot = %d %+v", st, e)
			}
			// The series from its second occurrence moves an hour later.
			var shifted api.AppointmentResult
			if st, _ := danaAPI.call("POST", idPath("/api/v1/appointments/", series.IDs[1])+"/move", map[string]any{
				"start": rfc(tuesday.AddDate(0, 0, 7).Add(time.Hour)), "scope": "following", "version": 1}, &shifted); st != http.StatusOK ||
				!cmp.Equal(shifted.IDs, series.IDs[1:]) || shifted.Appointment.LocalStart != tuesday.AddDate(0, 0, 7).Add(time.Hour).Format(time.RFC3339) {
				t.Errorf("move following = %d %+v", st, shifted)
			}

			// Status changes, cancellation and reschedule.
			var res api.AppointmentResult
			if st, _ := desk.call("POST", apPath+"/status", map[string]any{"to": "confirmed", "version": 2}, &res); st != http.StatusOK ||
				res.Appointment.Status != "confirmed" || res.Appointment.Version != 3 {
				t.Errorf("confirm = %d %+v", st, res)
			}
			if st, _ := desk.call("POST", apPath+"/status", map[string]any{"to": "completed", "version": 3}, &e); st != http.StatusConflict {
				t.Errorf("confirmed to completed = %d %+v", st, e)
			}
			if st, _ := desk.call("POST", apPath+"/cancel", map[string]any{"reason": "Sick", "version": 3}, &e); st != http.StatusUnprocessableEntity ||
				e.Error.Fields["cancelled_by"] == "" {
				t.Errorf("cancel without who = %d %+v", st, e)
			}
			if st, _ := desk.call("POST", apPath+"/cancel", map[string]any{"reason": "Sick", "cancelled_by": "client", "version": 3}, &res); st != http.StatusOK ||
				res.Appointment.Status != "cancelled" || res.Appointment.CancelledBy != "client" || res.Appointment.LateCancel ||
				res.Appointment.StatusReason != "Sick" || res.Appointment.Clients[0].Attendance != "cancelled" {
				t.Errorf("cancel = %d %+v", st, res)
			}
			if got := ids(list(desk, rangeQuery)); len(got) != len(wantAll)-1 {
				t.Errorf("calendar after the cancellation = %v", got)
			}
			if got := list(desk, rangeQuery+"&include_cancelled=true"); len(got) != len(wantAll) || got[0].Status != "cancelled" {
				t.Errorf("calendar with cancellations = %v", ids(got))
			}
			var again api.AppointmentResult
			if st, _ := danaAPI.call("POST", idPath("/api/v1/appointments/", series.IDs[0])+"/reschedule", map[string]any{
				"start": rfc(tuesday.Add(-3 * time.Hour)), "version": 1, "reason": "Client asked"}, &again); st != http.StatusCreated ||
				again.Appointment.ID == series.IDs[0] || !again.Appointment.Start.Equal(tuesday.Add(-3*time.Hour)) || again.Appointment.SeriesID != 0 {
				t.Errorf("reschedule = %d %+v", st, again)
			}
			var old api.Appointment
			if st, _ := danaAPI.call("GET", idPath("/api/v1/appointments/", series.IDs[0]), nil, &old); st != http.StatusOK ||
				old.Status != "rescheduled" || old.RescheduledTo != again.Appointment.ID {
				t.Errorf("rescheduled original = %d %+v", st, old)
			}
			var rest api.AppointmentResult
			if st, _ := danaAPI.call("POST", idPath("/api/v1/appointments/", series.IDs[2])+"/cancel", map[string]any{
				"reason": "Clinician on leave", "cancelled_by": "clinician", "scope": "following", "version": 2}, &rest); st != http.StatusOK ||
				!cmp.Equal(rest.IDs, series.IDs[2:]) {
				t.Errorf("cancel following = %d %+v", st, rest)
			}

			// Bad input: the one error shape naming the field; nothing booked.
			before := rowCount(t, ta, "appointments")
			book := func(over map[string]any) map[string]any {
				b := map[string]any{"clinician_id": dana.ID, "client_ids": []int64{kai}, "type_id": individual.ID, "location_id": office,
					"start": rfc(day(2, 9, 0))}
				for k, v := range over {
					b[k] = v
				}
				return b
			}
			for _, tt := range []struct {
				name   string
				body   any
				status int
				field  string
			}{
				{"ErrRRuleWithoutEnd", book(map[string]any{"rrule": "FREQ=WEEKLY"}), http.StatusUnprocessableEntity, "rrule"},
				{"ErrRRuleNotARule", book(map[string]any{"rrule": "FREQ=SOMETIMES;COUNT=3"}), http.StatusUnprocessableEntity, "rrule"},
				{"ErrRRuleYearly", book(map[string]any{"rrule": "FREQ=YEARLY;COUNT=3"}), http.StatusUnprocessableEntity, "rrule"},
				{"ErrStart", book(map[string]any{"start": "next Wednesday"}), http.StatusUnprocessableEntity, "start"},
				{"ErrNoClient", book(map[string]any{"client_ids": []int64{}}), http.StatusUnprocessableEntity, "client_ids"},
				{"ErrType", book(map[string]any{"type_id": 999999}), http.StatusUnprocessableEntity, "type_id"},
				{"ErrRoomElsewhere", book(map[string]any{"location_id": 0, "telehealth": true, "room_id": room}), http.StatusUnprocessableEntity, "room_id"},
				{"ErrUnknownClient", book(map[string]any{"client_ids": []int64{999999}}), http.StatusNotFound, ""},
				{"ErrUnknownField", `{"clinician_id": 1, "colour": "red"}`, http.StatusUnprocessableEntity, ""},
			} {
				t.Run(tt.name, func(t *testing.T) {
					var e apiError
					st, _ := desk.call("POST", "/api/v1/appointments", tt.body, &e)
					wantCode := map[int]string{http.StatusUnprocessableEntity: "invalid", http.StatusNotFound: "not_found"}[tt.status]
					if st != tt.status || e.Error.Code != wantCode || e.Error.Message == "" || (tt.field != "" && e.Error.Fields[tt.field] == "") {
						t.Errorf("status %d, error %+v; want %d %s naming %q", st, e, tt.status, wantCode, tt.field)
					}
				})
			}
			for _, q := range []string{"", "from=" + rfc(from), rangeQuery + "&clinician_id=dana", "from=" + rfc(from) + "&to=" + rfc(from.AddDate(0, 3, 0))} {
				if st, _ := desk.call("GET", "/api/v1/appointments?"+q, nil, &e); st != http.StatusUnprocessableEntity || len(e.Error.Fields) == 0 {
					t.Errorf("list ?%s = %d %+v, want 422 naming fields", q, st, e)
				}
			}
			if n := rowCount(t, ta, "appointments"); n != before {
				t.Errorf("bad input booked %d appointments", n-before)
			}

			// Who may book: billers not at all, Eli not on Dana's calendar.
			for _, c := range []apiCaller{billerAPI, eliAPI} {
				if st, _ := c.call("POST", "/api/v1/appointments", book(nil), &e); st != http.StatusForbidden || e.Error.Code != "forbidden" {
					t.Errorf("%s books for Dana = %d %+v", c.name, st, e)
				}
			}
			if st, _ := billerAPI.call("POST", apPath+"/status", map[string]any{"to": "scheduled"}, nil); st != http.StatusForbidden {
				t.Errorf("biller changes a status = %d", st)
			}
			if st, _ := eliAPI.call("POST", idPath("/api/v1/appointments/", late.Appointment.ID)+"/cancel", map[string]any{
				"reason": "x", "cancelled_by": "clinician"}, nil); st != http.StatusForbidden {
				t.Errorf("Eli cancels Dana's appointment = %d", st)
			}
			if st, _ := danaAPI.call("POST", "/api/v1/appointment-types", map[string]any{"name": "Mine", "duration_minutes": 30, "kind": "individual"}, nil); st != http.StatusForbidden {
				t.Errorf("clinician adds a type = %d", st)
			}
			if n := rowCount(t, ta, "appointments"); n != before {
				t.Errorf("refused requests booked %d appointments", n-before)
			}

			// The waitlist.
			mia := aClientOf(t, ta, "Mia", dana.ID)
			var entry api.WaitlistEntry
			if st, _ := desk.call("POST", "/api/v1/waitlist", map[string]any{"client_id": mia, "clinician_id": dana.ID, "days": []int{2, 4},
				"earliest": "15:00", "latest": "18:30", "modality": "in_person", "urgency": "soon", "note": "After school"}, &entry); st != http.StatusCreated {
				t.Fatalf("add to waitlist = %d", st)
			}
			wantEntry := api.WaitlistEntry{ID: entry.ID, ClientID: mia, ClientName: "Mia Sample", ClinicianID: dana.ID, Days: []int{2, 4},
				Earliest: "15:00", Latest: "18:30", Modality: "in_person", Urgency: "soon", Note: "After school", Status: "waiting", CreatedAt: entry.CreatedAt}
			if diff := cmp.Diff(wantEntry, entry); diff != "" {
				t.Errorf("waitlist entry (-want +got):\n%s", diff)
			}
			if st, _ := desk.call("POST", "/api/v1/waitlist", map[string]any{"client_id": mia, "earliest": "9am"}, &e); st != http.StatusUnprocessableEntity ||
				e.Error.Fields["earliest"] == "" {
				t.Errorf("bad waitlist time = %d %+v", st, e)
			}
			var waiting api.List[api.WaitlistEntry]
			if st, _ := danaAPI.call("GET", "/api/v1/waitlist", nil, &waiting); st != http.StatusOK || !cmp.Equal(waiting.Data, []api.WaitlistEntry{wantEntry}) {
				t.Errorf("waitlist = %d %+v", st, waiting.Data)
			}
			if eliAPI.call("GET", "/api/v1/waitlist", nil, &waiting); len(waiting.Data) != 0 {
				t.Errorf("Eli sees Dana's waiting client: %+v", waiting.Data)
			}
			if st, _ := desk.call("POST", idPath("/api/v1/waitlist/", entry.ID)+"/status", map[string]any{"status": "booked"}, nil); st != http.StatusNoContent {
				t.Errorf("mark booked = %d", st)
			}
			if desk.call("GET", "/api/v1/waitlist", nil, &waiting); len(waiting.Data) != 0 {
				t.Errorf("waitlist after booking = %+v", waiting.Data)
			}
		})
	}
}

// Twenty requests for one clinician's slot at once, each for a different
// client, over HTTP on both engines: exactly one is booked, the others get
// 409, and the database holds one appointment in the slot.
func TestAPISchedulingParallelBookings(t *testing.T) {
	for _, engine := range dbtest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			if engine == db.Postgres {
				dbtest.PostgresSchema(t) // skips, or fails under CI, without a server
			}
			ta := newTestApp(t, engine)
			ctx := context.Background()
			ta.addUser("frontdesk@example.org", access.RoleFrontDesk)
			dana := ta.addUser("dana@example.org", access.RoleClinician)
			office, _ := aPracticeOffice(t, ta)
			typeID, err := ta.Scheduling.SaveType(ctx, access.Actor{System: true}, scheduling.Type{Name: "Individual", DurationMinutes: 53, Kind: scheduling.Individual})
			if err != nil {
				t.Fatal(err)
			}
			token, _, err := ta.Auth.CreateTokenFor(ctx, access.Actor{System: true}, "frontdesk@example.org", "test")
			if err != nil {
				t.Fatal(err)
			}
			loc, _ := time.LoadLocation("America/New_York")
			start := nextWeekday(loc, time.Thursday, 11, 0)
			const n = 20
			bodies := make([]string, n)
			for i := range bodies {
				// Each a little different in length, all over the same hour.
				b, _ := json.Marshal(map[string]any{"clinician_id": dana.ID, "client_ids": []int64{aClientOf(t, ta, fmt.Sprintf("Client%d", i), dana.ID)},
					"type_id": typeID, "location_id": office, "start": rfc(start.Add(time.Duration(i%3) * 10 * time.Minute)), "minutes": 45})
				bodies[i] = string(b)
			}
			statuses := make([]int, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			ready := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-ready
					req, _ := http.NewRequest("POST", ta.URL+"/api/v1/appointments", strings.NewReader(bodies[i]))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						errs[i] = err
						return
					}
					resp.Body.Close()
					statuses[i] = resp.StatusCode
				})
			}
			close(ready)
			wg.Wait()
			count := map[int]int{}
			for i, st := range statuses {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
				count[st]++
			}
			if diff := cmp.Diff(map[int]int{http.StatusCreated: 1, http.StatusConflict: n - 1}, count); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if got := rowCount(t, ta, "appointments"); got != 1 {
				t.Errorf("%d appointments booked, want 1", got)
			}
		})
	}
}
