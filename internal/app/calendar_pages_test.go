package app

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
	"github.com/mentalspace/mentalspace/internal/practice"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// calZone is the test practice's time zone.
var calZone = func() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return loc
}()

// calStart is where the test clock starts: Monday 30 November 2026, 08:00
// in New York.
var calStart = time.Date(2026, 11, 30, 8, 0, 0, 0, calZone)

// calPractice is a practice in New York on a clock the test moves: a main
// office with a room; a 53-minute individual type and a group type; a $75
// late-cancel fee (inside 24 hours) and a $100 no-show fee; two clinicians
// who work weekdays 09:00–17:00 at the office, Casey with clients Pepa and
// Rosa and Olive with Ivan; front desk Dana and a biller.
type calPractice struct {
	ta                 *testApp
	clk                *clock.Fake
	location, room     int64
	individual, group  int64
	casey, olive       auth.User
	pepa, rosa, ivan   clients.Client
	desk, clin, biller string // sign-in emails
}

func newCalPractice(t *testing.T, e db.Engine) *calPractice {
	t.Helper()
	clk := clock.NewFake(calStart)
	ta := newEmptyTestAppOn(t, e, clk)
	ctx, sys := context.Background(), access.Actor{System: true}
	if _, err := ta.Auth.Setup(ctx, sys, auth.SetupInput{
		Practice: practice.Settings{Name: "Test Practice", TimeZone: "America/New_York"},
		Admin:    auth.Profile{Email: "admin@example.org", Name: "Ada Admin"}, Password: testPassword,
	}); err != nil {
		t.Fatal(err)
	}
	cp := &calPractice{ta: ta, clk: clk, desk: "dana@example.org", clin: "casey@example.org", biller: "biller@example.org"}
	var err error
	if cp.location, err = ta.App.Practice.SaveLocation(ctx, sys, practice.Location{Name: "Main office", PlaceOfService: "11", Active: true,
		Address: practice.Address{Line1: "1 Main St", City: "Albany", State: "NY", PostalCode: "12207"}}); err != nil {
		t.Fatal(err)
	}
	if cp.room, err = ta.Scheduling.SaveRoom(ctx, sys, scheduling.Room{LocationID: cp.location, Name: "Room 1"}); err != nil {
		t.Fatal(err)
	}
	if cp.individual, err = ta.Scheduling.SaveType(ctx, sys, scheduling.Type{Name: "Psychotherapy", DurationMinutes: 53, ServiceCode: "90834",
		Color: "#6b4596", Kind: scheduling.Individual, TelehealthAllowed: true}); err != nil {
		t.Fatal(err)
	}
	if cp.group, err = ta.Scheduling.SaveType(ctx, sys, scheduling.Type{Name: "Skills group", DurationMinutes: 90, ServiceCode: "90853",
		Kind: scheduling.Group, Capacity: 6}); err != nil {
		t.Fatal(err)
	}
	pol, err := ta.Scheduling.Policy(ctx, sys)
	if err != nil {
		t.Fatal(err)
	}
	pol.LateCancelHours, pol.LateCancelFeeCents, pol.NoShowFeeCents = 24, 7500, 10000
	if err := ta.Scheduling.SavePolicy(ctx, sys, pol); err != nil {
		t.Fatal(err)
	}
	cp.casey = ta.addStaff("casey@example.org", "Casey Care", access.RoleClinician)
	cp.olive = ta.addStaff("olive@example.org", "Olive Other", access.RoleClinician)
	ta.addStaff(cp.desk, "Dana Desk", access.RoleFrontDesk)
	ta.addUser(cp.biller, access.RoleBiller)
	for _, u := range []auth.User{cp.casey, cp.olive} {
		var week []scheduling.Window
		for d := time.Monday; d <= time.Friday; d++ {
			week = append(week, scheduling.Window{LocationID: cp.location, Weekday: d, StartMinute: 9 * 60, EndMinute: 17 * 60})
		}
		if err := ta.Scheduling.SetWeeklyTemplate(ctx, sys, u.ID, week); err != nil {
			t.Fatal(err)
		}
	}
	cp.pepa = ta.aClientOf(cp.casey.ID, "Josefina", "Pepa", "Núñez", "1990-04-02")
	cp.rosa = ta.aClientOf(cp.casey.ID, "Rosa", "", "Parks-Lee", "1985-02-11")
	cp.ivan = ta.aClientOf(cp.olive.ID, "Ivan", "", "Stone", "1979-09-09")
	return cp
}

// booking is the form for a 53-minute session at the office.
func (cp *calPractice) booking(clinicianID int64, c clients.Client, date, clock string) url.Values {
	return url.Values{"clinician": {itoa(clinicianID)}, "client": {itoa(c.ID)}, "type": {itoa(cp.individual)}, "location": {itoa(cp.location)},
		"room": {itoa(cp.room)}, "date": {date}, "time": {clock}, "repeat": {"none"}, "front_desk_note": {"Parking pass at reception"}}
}

// with returns a copy of v with the given pairs set ("" deletes).
func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			out.Del(kv[i])
			continue
		}
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// appointmentID reads the id from the page's URL after a booking redirect.
func appointmentID(t *testing.T, resp *http.Response) int64 {
	t.Helper()
	m := regexp.MustCompile(`^/appointments/(\d+)$`).FindStringSubmatch(resp.Request.URL.Path)
	if m == nil {
		t.Fatalf("not on an appointment page: %s", resp.Request.URL)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

func mustStatusCode(t *testing.T, b *browser, want int, what string) {
	t.Helper()
	if b.status != want {
		t.Fatalf("%s: status %d, want %d; page:\n%s", what, b.status, want, tail(b.last, 2500))
	}
}

// between returns the part of the page between two markers.
func between(page, from, to string) string {
	i := strings.Index(page, from)
	if i < 0 {
		return ""
	}
	rest := page[i:]
	if j := strings.Index(rest, to); j >= 0 {
		return rest[:j]
	}
	return rest
}

// Booking through the form on both engines: a booking, a clash refused with
// the input kept, a client overlap that needs a reason, the hour the clocks
// skip, weekly and monthly series, a warning outside availability, and who
// may book for whom.
func TestCalendarBookingPages(t *testing.T) {
	for _, engine := range dbtest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			if engine == db.Postgres {
				dbtest.PostgresSchema(t) // skips, or fails under CI, without a server
			}
			cp := newCalPractice(t, engine)
			users := map[string]*browser{}
			for _, email := range []string{cp.desk, cp.clin, cp.biller} {
				users[email] = cp.ta.browser()
				users[email].signIn(email)
			}
			desk := users[cp.desk]

			// The form prefilled from a free slot and a chart's Schedule link.
			desk.get("/appointments/new?clinician=" + itoa(cp.casey.ID) + "&date=2026-12-01&time=10:00&client=" + itoa(cp.pepa.ID))
			mustStatusCode(t, desk, http.StatusOK, "new appointment form")
			mustContain(t, desk, `<option value="`+itoa(cp.casey.ID)+`" selected>Casey Care</option>`, `value="2026-12-01"`, `value="10:00"`,
				`<option value="`+itoa(cp.pepa.ID)+`" selected>Pepa Núñez · MS-`, "Every month on the 1st Tuesday", `name="override_reason"`, `name="mrns"`)

			steps := []struct {
				name     string
				as       string
				method   string
				path     string
				form     url.Values
				status   int
				want     []string
				dontWant []string
			}{
				{"OK", cp.desk, "POST", "/appointments", cp.booking(cp.casey.ID, cp.pepa, "2026-12-01", "10:00"), http.StatusOK,
					[]string{"Appointment booked.", `<a href="/clients/` + itoa(cp.pepa.ID) + `">Pepa Núñez</a>`, "Casey Care", "Tuesday 1 December 2026, 10:00–10:53 (53 min)",
						"Main office · Room 1", "○</span> Scheduled", "Parking pass at reception", "America/New_York", "Booked"}, nil},
				{"ClinicianClashKeepsInput", cp.desk, "POST", "/appointments",
					with(cp.booking(cp.casey.ID, cp.rosa, "2026-12-01", "10:30"), "front_desk_note", "Interpreter <booked>"), http.StatusConflict,
					[]string{"Not booked: the clinician is already booked Tue 1 Dec 2026 10:00–10:53", `id="error-summary"`, `href="#f-time"`,
						`id="f-time" name="time" type="time" value="10:30"`, ">Interpreter &lt;booked&gt;</textarea>", `<option value="` + itoa(cp.rosa.ID) + `" selected>`}, nil},
				{"ClientOverlapNeedsReason", cp.desk, "POST", "/appointments", with(cp.booking(cp.olive.ID, cp.pepa, "2026-12-01", "10:15"), "room", ""),
					http.StatusConflict, []string{"a client already has an appointment Tue 1 Dec 2026 10:00–10:53 (give a reason to book anyway)"}, nil},
				{"ClientOverlapWithReason", cp.desk, "POST", "/appointments",
					with(cp.booking(cp.olive.ID, cp.pepa, "2026-12-01", "10:15"), "room", "", "override_reason", "Joint session, family asked"), http.StatusOK,
					[]string{"Appointment booked.", "Olive Other"}, nil},
				{"DaylightSavingGap", cp.desk, "POST", "/appointments", cp.booking(cp.casey.ID, cp.pepa, "2027-03-14", "02:30"), http.StatusUnprocessableEntity,
					[]string{"2027-03-14 02:30 does not exist in the practice&#39;s time zone", `href="#f-time">This local time does not exist`, `value="2027-03-14"`, `value="02:30"`}, []string{"Appointment booked."}},
				{"Invalid", cp.desk, "POST", "/appointments", with(cp.booking(cp.casey.ID, cp.pepa, "2026-12-02", "09:00"), "type", "", "video_url", "http://x"),
					http.StatusUnprocessableEntity, []string{"Choose an appointment type.", "Give the video link as an https:// address.", `value="http://x"`}, nil},
				{"Weekly", cp.desk, "POST", "/appointments", with(cp.booking(cp.casey.ID, cp.rosa, "2026-12-02", "14:00"), "repeat", "weekly", "count", "4"),
					http.StatusOK, []string{"Series booked: 4 appointments.", "Part of a series", "Every week, 4 sessions"}, nil},
				{"MonthlyBySecondTuesday", cp.desk, "POST", "/appointments",
					with(cp.booking(cp.olive.ID, cp.ivan, "2026-12-08", "11:00"), "repeat", "monthly", "until", "2027-03-31"), http.StatusOK,
					[]string{"Series booked: 4 appointments.", "Every month on the 2nd Tuesday, until Wed 31 Mar 2027"}, nil},
				{"CountAndUntil", cp.desk, "POST", "/appointments",
					with(cp.booking(cp.olive.ID, cp.ivan, "2026-12-09", "11:00"), "repeat", "weekly", "count", "3", "until", "2027-01-31"), http.StatusUnprocessableEntity,
					[]string{"Give a number of sessions or a last date, not both."}, nil},
				{"OutsideAvailabilityWarns", cp.desk, "POST", "/appointments", cp.booking(cp.casey.ID, cp.pepa, "2026-12-03", "18:00"), http.StatusOK,
					[]string{"Appointment booked. Please note: Outside the clinician&#39;s availability: Thu 3 Dec 2026 18:00."}, nil},
				{"ClinicianOwnCalendar", cp.clin, "POST", "/appointments", cp.booking(cp.casey.ID, cp.pepa, "2026-12-04", "09:00"), http.StatusOK,
					[]string{"Appointment booked."}, nil},
				{"ClinicianOtherCalendar", cp.clin, "POST", "/appointments", cp.booking(cp.olive.ID, cp.pepa, "2026-12-04", "11:00"), http.StatusForbidden,
					[]string{"You do not have permission"}, []string{"Appointment booked."}},
				{"BillerForm", cp.biller, "GET", "/appointments/new", nil, http.StatusForbidden, nil, []string{`action="/appointments"`}},
				{"BillerBooks", cp.biller, "POST", "/appointments", cp.booking(cp.casey.ID, cp.pepa, "2026-12-04", "13:00"), http.StatusForbidden, nil, nil},
			}
			for _, s := range steps {
				b := users[s.as]
				if s.method == "GET" {
					b.get(s.path)
				} else {
					b.post(s.path, s.form)
				}
				if b.status != s.status {
					t.Errorf("%s: status %d, want %d\n%s", s.name, b.status, s.status, tail(b.last, 1500))
					continue
				}
				for _, w := range s.want {
					if !strings.Contains(b.last, w) {
						t.Errorf("%s: page lacks %q", s.name, w)
					}
				}
				for _, w := range s.dontWant {
					if strings.Contains(b.last, w) {
						t.Errorf("%s: page contains %q", s.name, w)
					}
				}
			}
			// The clinician's form offers only their own calendar.
			users[cp.clin].get("/appointments/new")
			mustContain(t, users[cp.clin], `<option value="`+itoa(cp.casey.ID)+`" selected>Casey Care</option>`)
			mustNotContain(t, users[cp.clin], "Olive Other")
		})
	}
}

// The calendar's views, the appointment page's status changes with the fee
// preview, stale edits, moves, reschedules, the waitlist for a freed slot,
// the today board and the chart's appointments.
func TestCalendarAppointmentPages(t *testing.T) {
	for _, engine := range dbtest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			if engine == db.Postgres {
				dbtest.PostgresSchema(t)
			}
			cp := newCalPractice(t, engine)
			ctx, sys := context.Background(), access.Actor{System: true}
			desk := cp.ta.browser()
			desk.signIn(cp.desk)
			book := func(b *browser, form url.Values) int64 {
				t.Helper()
				resp := b.post("/appointments", form)
				mustStatusCode(t, b, http.StatusOK, "book")
				return appointmentID(t, resp)
			}
			tue := book(desk, cp.booking(cp.casey.ID, cp.pepa, "2026-12-01", "10:00"))
			tuesPath := "/appointments/" + itoa(tue)
			book(desk, with(cp.booking(cp.olive.ID, cp.ivan, "2026-12-01", "13:00"), "room", "", "location", "", "telehealth", "1",
				"video_url", "https://video.example.org/room/42"))
			today := book(desk, with(cp.booking(cp.casey.ID, cp.rosa, "2026-11-30", "10:00"), "front_desk_note", ""))

			// Views: a day of every clinician, a week, rooms, the agenda list.
			desk.get("/calendar?view=day&date=2026-12-01")
			mustStatusCode(t, desk, http.StatusOK, "day view")
			mustContain(t, desk, "Tuesday 1 December 2026", `<strong>Casey Care</strong>`, `<strong>Olive Other</strong>`, `class="cal-block st-scheduled`,
				"h10 m0 dh0 dm55 lane-0 lanes-1", `data-movable="1"`, "Pepa Núñez", "Ivan Stone", "▶</span> Video", "10:00–10:53",
				`data-new="/appointments/new?clinician=`+itoa(cp.casey.ID)+`&amp;date=2026-12-01"`, `class="cal-band h9 m0 dh8 dm0"`, `src="/static/calendar.js"`,
				`first-7 hours-13`)
			mustNotContain(t, desk, `style="`, "cal-now") // no style attributes (CSP); not today
			desk.get("/calendar?view=day&date=2026-11-30")
			mustContain(t, desk, `class="cal-now h8 m0`, "Rosa Parks-Lee")
			desk.get("/calendar?view=week&date=2026-12-01&clinician=" + itoa(cp.casey.ID))
			mustContain(t, desk, "Week of Monday 30 November 2026", "<strong>Mon 30 Nov</strong>", "<strong>Sun 6 Dec</strong>", "Pepa Núñez")
			mustNotContain(t, desk, "Ivan Stone")
			desk.get("/calendar?view=week&date=2026-12-01")
			mustContain(t, desk, `id="cal-week"`, `<th scope="row"><a href="/calendar?clinician=`, "Casey Care", "Olive Other", "Ivan Stone")
			desk.get("/calendar?view=day&date=2026-12-01&rooms=1")
			mustContain(t, desk, "<strong>Room 1</strong>", "Pepa Núñez", `data-room="`+itoa(cp.room)+`"`)
			mustNotContain(t, desk, "Ivan Stone") // telehealth, no room
			desk.get("/calendar?view=day&date=2026-12-01&as=list")
			mustContain(t, desk, `class="compact appt-table"`, "Pepa Núñez", "Ivan Stone", `aria-current="page">Agenda list`)
			desk.get("/calendar?view=day&date=2026-12-01&q=oliv")
			mustContain(t, desk, "<strong>Olive Other</strong>", "Ivan Stone")
			mustNotContain(t, desk, "<strong>Casey Care</strong>", "Pepa Núñez")
			desk.get("/calendar?view=day&date=not-a-date")
			mustContain(t, desk, "Monday 30 November 2026")

			// A clinician sees their own clients by name, others' as busy.
			cb := cp.ta.browser()
			cb.signIn(cp.clin)
			cb.get("/calendar?view=day&date=2026-12-01&clinician=" + itoa(cp.casey.ID) + "&clinician=" + itoa(cp.olive.ID))
			mustContain(t, cb, "Pepa Núñez", "Busy")
			mustNotContain(t, cb, "Ivan Stone", "video.example.org")

			// The appointment page: next statuses, each fee previewed.
			desk.get(tuesPath)
			mustContain(t, desk, ">Confirm</button>", ">Check in</button>", "Cancel: client cancelled… <span class=\"small\">(No fee)</span>",
				"No-show… <span class=\"small\">($100.00 fee)</span>", `name="version" value="1"`, `id="move-form"`, "Reschedule")
			desk.post(tuesPath+"/status", url.Values{"to": {"confirmed"}, "version": {"1"}})
			mustContain(t, desk, "Status changed to confirmed.", "✓</span> Confirmed", "Scheduled → Confirmed", "Dana Desk")
			desk.post(tuesPath+"/status", url.Values{"to": {"checked_in"}, "version": {"1"}})
			mustStatusCode(t, desk, http.StatusConflict, "stale status change")
			mustContain(t, desk, "Someone else changed this appointment", "✓</span> Confirmed")

			// Cancelled by the client more than a day ahead: no fee.
			desk.get(tuesPath + "/status?to=cancelled&by=client")
			mustContain(t, desk, "Cancelled 24 hours or more ahead: no fee will be recorded.", ">Cancel appointment</button>")
			// Three hours later it is late: the page says so before confirming.
			cp.clk.Advance(3 * time.Hour)
			desk.signIn(cp.desk) // the idle session ended on the moved clock
			desk.get(tuesPath + "/status?to=cancelled&by=client")
			mustContain(t, desk, "This is a late cancellation (less than 24 hours ahead): a $75.00 fee will be recorded.",
				"Cancel appointment and record $75.00 fee", `name="waive_fee"`)
			desk.post(tuesPath+"/status", url.Values{"to": {"cancelled"}, "cancelled_by": {"client"}, "version": {"2"}, "reason": {""}})
			mustStatusCode(t, desk, http.StatusUnprocessableEntity, "cancel without a reason")
			mustContain(t, desk, "Give a reason for the cancellation.", "a $75.00 fee will be recorded")
			desk.get("/appointments/" + itoa(today) + "/status?to=no_show")
			mustContain(t, desk, "A no-show fee of $100.00 will be recorded. It is charged to the client and never billed to insurance.")

			// A waitlist client who wants Tuesday mornings sees the freed slot.
			wl, err := cp.ta.Scheduling.AddToWaitlist(ctx, sys, scheduling.WaitlistEntry{ClientID: cp.ivan.ID, Days: []time.Weekday{time.Tuesday},
				EarliestMinute: 9 * 60, LatestMinute: 12 * 60, Urgency: "soon"})
			if err != nil {
				t.Fatal(err)
			}
			desk.post(tuesPath+"/status", url.Values{"to": {"cancelled"}, "cancelled_by": {"client"}, "version": {"2"}, "reason": {"Car broke down"}})
			mustStatusCode(t, desk, http.StatusOK, "late cancellation")
			mustContain(t, desk, "Appointment cancelled. A $75.00 fee was recorded.", "◷</span> Late cancel", "Late cancellation: a $75.00 fee was recorded.",
				"Car broke down", `id="waitlist-matches"`, "Ivan Stone", "Offer this slot")
			desk.post(tuesPath+"/offers", url.Values{"waitlist_id": {itoa(wl)}})
			mustContain(t, desk, "The slot was offered.")

			// The chart lists the client's appointments with a Schedule link.
			desk.get("/clients/" + itoa(cp.pepa.ID))
			mustContain(t, desk, `<a href="#appointments">Appointments</a>`, `href="/appointments/new?client=`+itoa(cp.pepa.ID)+`">Schedule</a>`,
				"Tue 1 Dec 2026", "◷</span> Late cancel", "$75.00 fee")

			// Moves: by drag (JSON) and by the form, with the version.
			cb.signIn(cp.clin) // after the clock moved
			fri := book(cb, cp.booking(cp.casey.ID, cp.pepa, "2026-12-04", "09:00"))
			friPath := "/appointments/" + itoa(fri)
			moveJSON := func(v url.Values) (int, string) {
				req, _ := http.NewRequest("POST", cp.ta.URL+friPath+"/move", strings.NewReader(v.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Accept", "application/json")
				req.Header.Set("X-CSRF-Token", cb.csrf)
				cb.do(req)
				return cb.status, cb.last
			}
			if code, body := moveJSON(url.Values{"version": {"1"}, "date": {"2026-12-04"}, "time": {"09:30"}, "minutes": {"60"}, "scope": {"one"}}); code != http.StatusOK || !strings.Contains(body, `"ok": true`) {
				t.Fatalf("drag move: %d %s", code, body)
			}
			if code, body := moveJSON(url.Values{"version": {"1"}, "time": {"11:00"}}); code != http.StatusConflict || !strings.Contains(body, "Someone else changed this appointment") {
				t.Errorf("stale drag move: %d %s", code, body)
			}
			if code, body := moveJSON(url.Values{"version": {"2"}, "clinician": {itoa(cp.olive.ID)}}); code != http.StatusForbidden {
				t.Errorf("drag onto another clinician's column: %d %s", code, body)
			}
			cb.get(friPath)
			mustContain(t, cb, "Friday 4 December 2026, 09:30–10:30 (60 min)", "Appointment changed: now Fri 4 Dec 2026 09:30.")
			stale := url.Values{"version": {"1"}, "telehealth_shown": {"1"}, "date": {"2026-12-04"}, "time": {"12:00"}, "minutes": {"45"},
				"clinician": {itoa(cp.casey.ID)}, "location": {itoa(cp.location)}, "room": {itoa(cp.room)}, "front_desk_note": {"Moved at the client's request"}, "scope": {"one"}}
			cb.post(friPath+"/move", stale)
			mustStatusCode(t, cb, http.StatusConflict, "stale move form")
			mustContain(t, cb, "Someone else changed this appointment", `id="f-time" name="time" type="time" value="12:00"`, `value="45"`,
				"Moved at the client&#39;s request</textarea>", `name="version" value="2"`)
			cb.post(friPath+"/move", with(stale, "version", "2"))
			mustContain(t, cb, "Appointment changed: now Fri 4 Dec 2026 12:00.", "12:00–12:45 (45 min)")
			cb.post(friPath+"/reschedule", url.Values{"version": {"3"}, "new_date": {"2026-12-07"}, "new_time": {"09:00"}, "reason": {"Clinician training"}})
			mustContain(t, cb, "Rescheduled to Mon 7 Dec 2026 09:00.", "Monday 7 December 2026, 09:00–09:45")
			cb.get(friPath)
			mustContain(t, cb, "↷</span> Rescheduled", "Open the new appointment", "Clinician training")

			// The today board: check in with one click, twice (idempotent).
			desk.get("/today")
			mustStatusCode(t, desk, http.StatusOK, "today")
			if col := between(desk.last, `id="col-expected"`, `id="col-checked-in"`); !strings.Contains(col, "Rosa Parks-Lee") || !strings.Contains(col, ">Check in<") {
				t.Errorf("expected column lacks Rosa with a Check in button:\n%s", col)
			}
			for range 2 {
				desk.post("/appointments/"+itoa(today)+"/status", url.Values{"to": {"checked_in"}, "version": {"0"}, "return": {"/today"}})
				mustStatusCode(t, desk, http.StatusOK, "check in from the board")
				mustContain(t, desk, "Checked in.", `id="today-board"`)
				if col := between(desk.last, `id="col-checked-in"`, `id="col-in-session"`); !strings.Contains(col, "Rosa Parks-Lee") || !strings.Contains(col, ">Start session<") {
					t.Errorf("checked-in column lacks Rosa:\n%s", col)
				}
			}
			desk.get("/today?location=" + itoa(cp.location))
			mustContain(t, desk, "Rosa Parks-Lee", `selected>Main office</option>`)
			// An open redirect is not possible through the board's return field.
			desk.post("/appointments/"+itoa(today)+"/status", url.Values{"to": {"in_session"}, "version": {"0"}, "return": {"//evil.example/today"}})
			mustContain(t, desk, "Status changed to in session.", "Appointment ")

			// A group: two clients by MRN, attendance per client, one more
			// added by MRN, and an MRN no one has.
			resp := desk.post("/appointments", with(cp.booking(cp.casey.ID, cp.pepa, "2026-12-10", "15:00"), "type", itoa(cp.group), "client", "",
				"mrns", cp.rosa.MRN+", "+strings.ToLower(cp.ivan.MRN), "room", ""))
			mustStatusCode(t, desk, http.StatusOK, "book a group")
			group := "/appointments/" + itoa(appointmentID(t, resp))
			mustContain(t, desk, "Skills group", `id="h-attendance"`, "Rosa Parks-Lee", "Ivan Stone", `name="attendee_mrn"`)
			desk.post(group+"/attendance", url.Values{"client_id": {itoa(cp.rosa.ID)}, "attendance": {"attended"}})
			mustContain(t, desk, "Attendance saved.", `<option value="attended" selected>Attended</option>`)
			desk.post(group+"/attendees", url.Values{"attendee_mrn": {cp.pepa.MRN}})
			mustContain(t, desk, "Client added to the appointment.", `<a href="/clients/`+itoa(cp.pepa.ID)+`">Pepa Núñez</a>`)
			desk.post(group+"/attendees", url.Values{"attendee_mrn": {"MS-999999"}})
			mustStatusCode(t, desk, http.StatusUnprocessableEntity, "unknown MRN")
			mustContain(t, desk, "No client you may book has MRN MS-999999.", `value="MS-999999"`)

			// Billers read the calendar but get no buttons.
			bb := cp.ta.browser()
			bb.signIn(cp.biller)
			bb.get(tuesPath)
			mustStatusCode(t, bb, http.StatusOK, "biller reads an appointment")
			mustNotContain(t, bb, ">Confirm</button>", `id="move-form"`, "Offer this slot")
			bb.post(tuesPath+"/status", url.Values{"to": {"scheduled"}, "version": {"0"}})
			mustStatusCode(t, bb, http.StatusForbidden, "biller changes a status")
		})
	}
}
