package app

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// sysActor is MentalSpace itself, for fixtures and checks behind the pages.
var sysActor = access.Actor{System: true}

// aLocation adds an office through the settings page and returns its id.
func (ta *testApp) aLocation(b *browser, name string) string {
	ta.t.Helper()
	b.post("/settings/locations", url.Values{"loc_name": {name}, "loc_place_of_service": {"11"}})
	var id string
	if err := ta.DB.Read().QueryRowContext(context.Background(), `SELECT CAST(id AS TEXT) FROM locations WHERE name = $1`, name).Scan(&id); err != nil {
		ta.t.Fatal(err)
	}
	return id
}

func mustStatus(t *testing.T, b *browser, want int, what string) {
	t.Helper()
	if b.status != want {
		t.Fatalf("%s: status %d, want %d\n%.2000s", what, b.status, want, b.last)
	}
}

// Appointment types (a bad service code keeps the input; a stale edit is a
// conflict), rooms and the policy, as an administrator; refused to the
// front desk and clinicians.
func TestScheduleSetupPages(t *testing.T) {
	ta := newTestApp(t, db.SQLite)
	ctx := context.Background()
	b := ta.browser()
	b.signIn("admin@example.org")
	loc := ta.aLocation(b, "Main office")

	b.get("/schedule/setup")
	mustStatus(t, b, http.StatusOK, "setup page")
	mustContain(t, b, "<h1>Scheduling setup</h1>", "No appointment types yet.", "Add an appointment type", `name="type_service_code"`,
		`type="color"`, `value="53"`, "Add a room", `<option value="`+loc+`">Main office</option>`, `name="late_cancel_hours" type="number" value="24"`,
		`value="48, 2"`)

	// A bad service code: 422, everything typed kept, the error linked.
	typ := url.Values{"type_name": {"Individual <53>"}, "type_duration_minutes": {"53"}, "type_service_code": {"9083"}, "type_color": {"#6b4596"},
		"type_kind": {"individual"}, "type_telehealth": {"1"}}
	b.post("/schedule/setup/types", typ)
	mustStatus(t, b, http.StatusUnprocessableEntity, "bad service code")
	mustContain(t, b, `id="error-summary"`, `href="#f-type_service_code"`, "five-character CPT or HCPCS code", `value="Individual &lt;53&gt;"`,
		`id="f-type_service_code" name="type_service_code" type="text" value="9083"`, `value="#6b4596"`, `name="type_telehealth" value="1" checked`,
		`<option value="individual" selected>`)
	typ.Set("type_service_code", "90834")
	b.post("/schedule/setup/types", typ)
	mustContain(t, b, "Appointment type added.", "Individual &lt;53&gt;", "90834", "53 min", `fill="#6b4596"`)
	types, err := ta.Scheduling.Types(ctx, sysActor)
	if err != nil || len(types) != 1 || types[0].ServiceCode != "90834" || !types[0].TelehealthAllowed || types[0].OnlineBookable {
		t.Fatalf("types = %+v, %v", types, err)
	}
	id := itoa(types[0].ID)

	// Editing against a stale version is a conflict that keeps the input.
	b.get("/schedule/setup/types/" + id)
	mustContain(t, b, "Edit “Individual &lt;53&gt;”", `action="/schedule/setup/types/`+id+`"`, `name="type_active" value="1" checked`)
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(b.last)[1]
	if _, err := ta.Scheduling.SaveType(ctx, sysActor, scheduling.Type{ID: types[0].ID, Name: "Individual 53", DurationMinutes: 53, ServiceCode: "90834",
		Kind: scheduling.Individual, Active: true, Version: types[0].Version}); err != nil {
		t.Fatal(err)
	}
	edit := url.Values{"version": {version}, "type_name": {"Psychotherapy 53"}, "type_duration_minutes": {"53"}, "type_service_code": {"90834"},
		"type_color": {"#1d5c70"}, "type_kind": {"individual"}, "type_active": {"1"}, "type_online": {"1"}}
	b.post("/schedule/setup/types/"+id, edit)
	mustStatus(t, b, http.StatusConflict, "stale edit")
	mustContain(t, b, "Someone else changed this appointment type", `value="Psychotherapy 53"`)
	b.post("/schedule/setup/types/"+id, url.Values{"version": {regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(b.last)[1]},
		"type_name": edit["type_name"], "type_duration_minutes": {"53"}, "type_service_code": {"90834"}, "type_color": {"#1d5c70"},
		"type_kind": {"individual"}, "type_active": {"1"}, "type_online": {"1"}})
	mustContain(t, b, "Appointment type saved.", "Psychotherapy 53")

	// Rooms: add, a duplicate refused, rename, retire and restore.
	b.post("/schedule/setup/rooms", url.Values{"room_location": {loc}, "room_name": {"Room 1"}})
	mustContain(t, b, "Room added.", `value="Room 1"`, "✓</span> Bookable")
	b.post("/schedule/setup/rooms", url.Values{"room_location": {loc}, "room_name": {"Room 1"}})
	mustStatus(t, b, http.StatusUnprocessableEntity, "duplicate room")
	mustContain(t, b, "This location already has a room with that name.", `href="#f-room_name"`)
	rooms, _ := ta.Scheduling.Rooms(ctx, sysActor)
	room := itoa(rooms[0].ID)
	b.post("/schedule/setup/rooms/"+room, url.Values{"location": {loc}, "name": {""}, "active": {"1"}})
	mustStatus(t, b, http.StatusUnprocessableEntity, "empty room name")
	mustContain(t, b, `id="f-room_`+room+`_name" name="name" type="text" value=""`, "Give the room a name")
	b.post("/schedule/setup/rooms/"+room, url.Values{"location": {loc}, "name": {"Blue room"}, "active": {"1"}})
	mustContain(t, b, "Room saved.", `value="Blue room"`)
	b.post("/schedule/setup/rooms/"+room, url.Values{"location": {loc}, "name": {"Blue room"}, "active": {"0"}, "toggle": {"1"}})
	mustContain(t, b, "Room retired.", "Retired</span>", "Restore")
	if rooms, _ := ta.Scheduling.Rooms(ctx, sysActor); rooms[0].Active || rooms[0].Name != "Blue room" {
		t.Errorf("room = %+v", rooms[0])
	}

	// The policy: dollars to cents, reminder hours; a bad list keeps the input.
	b.post("/schedule/setup/policy", url.Values{"version": {"1"}, "late_cancel_hours": {"48"}, "no_show_fee": {"$75"}, "late_cancel_fee": {"50.5"}, "reminder_hours": {"every day"}})
	mustStatus(t, b, http.StatusUnprocessableEntity, "bad reminder hours")
	mustContain(t, b, "Reminder times are whole hours", `value="every day"`, `value="$75"`)
	b.post("/schedule/setup/policy", url.Values{"version": {"1"}, "late_cancel_hours": {"48"}, "no_show_fee": {"$75"}, "late_cancel_fee": {"50.5"}, "reminder_hours": {"2, 72"}})
	mustContain(t, b, "Scheduling policy saved.", `value="75.00"`, `value="50.50"`, `value="72, 2"`)
	pol, err := ta.Scheduling.Policy(ctx, sysActor)
	if err != nil || pol.LateCancelHours != 48 || pol.NoShowFeeCents != 7500 || pol.LateCancelFeeCents != 5050 || len(pol.ReminderHours) != 2 {
		t.Errorf("policy = %+v, %v", pol, err)
	}
	b.post("/schedule/setup/policy", url.Values{"version": {"1"}, "late_cancel_hours": {"12"}, "no_show_fee": {"0"}, "late_cancel_fee": {"0"}, "reminder_hours": {"24"}})
	mustStatus(t, b, http.StatusConflict, "stale policy")
	mustContain(t, b, "Someone else changed the scheduling policy", `value="12"`)

	// Front desk and clinicians may not set scheduling up.
	for _, who := range []struct {
		email string
		role  access.Role
	}{{"frontdesk@example.org", access.RoleFrontDesk}, {"clinician@example.org", access.RoleClinician}} {
		u := ta.addUser(who.email, who.role)
		ob := ta.browser()
		ob.signIn(who.email)
		ob.get("/schedule/setup")
		mustStatus(t, ob, http.StatusForbidden, string(who.role)+" opens setup")
		ob.post("/schedule/setup/rooms", url.Values{"room_location": {loc}, "room_name": {"Room 9"}})
		mustStatus(t, ob, http.StatusForbidden, string(who.role)+" adds a room")
		if n := deniedEntries(t, ta, u.ID, "GET /schedule/setup"); n != 1 {
			t.Errorf("%s: %d denied entries, want 1", who.role, n)
		}
	}
}

// The weekly template and exceptions: an administrator edits anyone's, a
// clinician their own only (and finds it from My account).
func TestAvailabilityPages(t *testing.T) {
	ta := newTestApp(t, db.SQLite)
	ctx := context.Background()
	admin := ta.browser()
	admin.signIn("admin@example.org")
	loc := ta.aLocation(admin, "Main office")
	casey := ta.addStaff("casey@example.org", "Casey Care", access.RoleClinician)
	dana := ta.addStaff("dana@example.org", "Dana Diaz", access.RoleClinician)
	path := "/schedule/availability/" + itoa(casey.ID)

	admin.get("/schedule/setup")
	mustContain(t, admin, `<a href="`+path+`">Casey Care</a>`)
	admin.get(path)
	mustStatus(t, admin, http.StatusOK, "availability page")
	mustContain(t, admin, "Availability: Casey Care", "America/New_York", `name="rows" value="7"`, `id="f-w7_day"`, "No time off or extra hours")

	week := url.Values{"rows": {"7"},
		"w1_day": {"1"}, "w1_location": {loc}, "w1_start": {"09:00"}, "w1_end": {"12:00"},
		"w2_day": {"1"}, "w2_location": {loc}, "w2_start": {"13:00"}, "w2_end": {"17:00"},
		"w3_day": {"3"}, "w3_location": {loc}, "w3_start": {"10:00"}, "w3_end": {"00:00"},
		"w4_day": {""}, "w4_location": {loc}, "w4_start": {""}, "w4_end": {""}}
	// A row with its times the wrong way round, then overlapping rows.
	bad := url.Values{}
	for k, v := range week {
		bad[k] = v
	}
	bad.Set("w2_end", "08:00")
	admin.post(path, bad)
	mustStatus(t, admin, http.StatusUnprocessableEntity, "end before start")
	mustContain(t, admin, "Row 2: the end must be after the start.", `href="#f-w2_start"`, `id="f-w2_end" name="w2_end" type="time" value="08:00"`)
	bad.Set("w2_start", "11:00")
	bad.Set("w2_end", "14:00")
	admin.post(path, bad)
	mustStatus(t, admin, http.StatusUnprocessableEntity, "overlap")
	mustContain(t, admin, "Two windows overlap on Monday.", `id="f-windows"`)
	admin.post(path, week)
	mustContain(t, admin, "Weekly hours saved.", `value="13:00"`, `name="rows" value="7"`)
	av, err := ta.Scheduling.AvailabilityOf(ctx, sysActor, casey.ID, time.Now())
	if err != nil || len(av.Windows) != 3 || av.Windows[2].Weekday != time.Wednesday || av.Windows[2].StartMinute != 600 || av.Windows[2].EndMinute != 1440 {
		t.Fatalf("windows = %+v, %v", av.Windows, err)
	}

	// Time off for a whole day, in the practice's zone.
	ny, _ := time.LoadLocation("America/New_York")
	day := time.Now().In(ny).AddDate(0, 1, 0)
	date := day.Format(time.DateOnly)
	admin.post(path+"/exceptions", url.Values{"ex_kind": {"off"}, "ex_start_date": {date}, "ex_reason": {"Conference"}, "ex_end_time": {""}})
	mustContain(t, admin, "Time off added.", "Conference", "Time off</span>", day.Format("Mon 2 Jan 2006")+", all day")
	av, _ = ta.Scheduling.AvailabilityOf(ctx, sysActor, casey.ID, time.Now())
	if len(av.Exceptions) != 1 || !av.Exceptions[0].Start.Equal(time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, ny)) ||
		av.Exceptions[0].End.Sub(av.Exceptions[0].Start) < 23*time.Hour {
		t.Fatalf("exceptions = %+v", av.Exceptions)
	}
	admin.post(path+"/exceptions", url.Values{"ex_kind": {"extra"}, "ex_start_date": {date}, "ex_start_time": {"18:00"}, "ex_end_time": {"17:00"}})
	mustStatus(t, admin, http.StatusUnprocessableEntity, "extra hours ending before they start")
	mustContain(t, admin, "The end must be after the start.", `href="#f-ex_end_date"`, `value="18:00"`, `value="extra" checked`)
	admin.post(path+"/exceptions/"+itoa(av.Exceptions[0].ID)+"/remove", nil)
	mustContain(t, admin, "Removed.", "No time off or extra hours")

	// Casey keeps their own hours, found from My account; not Dana's.
	cb := ta.browser()
	cb.signIn("casey@example.org")
	cb.get("/account")
	mustContain(t, cb, `<a href="`+path+`">My availability</a>`, "Calendar feed")
	cb.get(path)
	mustContain(t, cb, "<h1>My availability</h1>", `action="`+path+`"`)
	week.Set("w1_start", "08:00")
	week.Del("csrf_token") // the administrator's
	cb.post(path, week)
	mustContain(t, cb, "Weekly hours saved.", `value="08:00"`)
	other := "/schedule/availability/" + itoa(dana.ID)
	cb.get(other)
	mustStatus(t, cb, http.StatusOK, "reading a colleague's hours")
	mustNotContain(t, cb, `action="`+other+`"`)
	cb.post(other, week)
	mustStatus(t, cb, http.StatusForbidden, "editing a colleague's hours")
	cb.post(other+"/exceptions", url.Values{"ex_kind": {"off"}, "ex_start_date": {date}})
	mustStatus(t, cb, http.StatusForbidden, "a colleague's time off")
	if av, _ := ta.Scheduling.AvailabilityOf(ctx, sysActor, dana.ID, time.Now()); len(av.Windows)+len(av.Exceptions) != 0 {
		t.Errorf("dana's availability changed: %+v", av)
	}
	// A biller has no availability and may not open the page.
	ta.addUser("biller@example.org", access.RoleBiller)
	bb := ta.browser()
	bb.signIn("biller@example.org")
	bb.get(path)
	mustStatus(t, bb, http.StatusForbidden, "biller")
	bb.get("/account")
	mustNotContain(t, bb, "My availability", "Calendar feed")
}

// The waitlist: added by MRN (prefilled from ?client=), listed with the
// preferences, marked booked with Undo; a bad MRN keeps the input.
func TestWaitlistPages(t *testing.T) {
	ta := newTestApp(t, db.SQLite)
	casey := ta.addStaff("casey@example.org", "Casey Care", access.RoleClinician)
	ta.addUser("frontdesk@example.org", access.RoleFrontDesk)
	c := ta.aClientOf(casey.ID, "Josefina", "Pepa", "Núñez", "1990-04-02")
	b := ta.browser()
	b.signIn("frontdesk@example.org")
	b.get("/waitlist")
	mustStatus(t, b, http.StatusOK, "waitlist")
	mustContain(t, b, "No one is waiting.", `<option value="`+itoa(casey.ID)+`">Casey Care</option>`, `value="1" id="f-days" checked> Monday`, `value="0"> Sunday`)
	b.get("/waitlist?client=" + itoa(c.ID))
	mustContain(t, b, "Adding <strong>Pepa Núñez</strong> ("+c.MRN+")", `name="mrn" type="text" value="`+c.MRN+`"`)

	add := url.Values{"mrn": {"MS-999999"}, "clinician": {itoa(casey.ID)}, "days": {"1", "3"}, "earliest": {"09:00"}, "latest": {"12:00"},
		"modality": {"telehealth"}, "urgency": {"soon"}, "note": {"Fridays off work"}}
	b.post("/waitlist", add)
	mustStatus(t, b, http.StatusUnprocessableEntity, "unknown MRN")
	mustContain(t, b, "No client you can see has this MRN.", `value="MS-999999"`, `value="3" checked> Wednesday`, `value="5"> Friday`,
		`<option value="telehealth" selected>`, `value="Fridays off work"`)
	add.Set("mrn", strings.ToLower(c.MRN))
	add.Del("days")
	b.post("/waitlist", add)
	mustStatus(t, b, http.StatusUnprocessableEntity, "no days")
	mustContain(t, b, "Choose at least one day")
	add["days"] = []string{"1", "3"}
	b.post("/waitlist", add)
	mustContain(t, b, "Added to the waitlist.", "Waiting (1)", "Pepa Núñez", "Casey Care", "Mon, Wed · 09:00–12:00 · Video", "Soon</span>",
		"Waiting</span>", "Fridays off work", "None yet")
	entries, err := ta.Scheduling.Waitlist(context.Background(), sysActor)
	if err != nil || len(entries) != 1 || entries[0].EarliestMinute != 540 || entries[0].LatestMinute != 720 || entries[0].ClinicianID != casey.ID {
		t.Fatalf("waitlist = %+v, %v", entries, err)
	}
	id := itoa(entries[0].ID)
	b.post("/waitlist/"+id+"/status", url.Values{"status": {"booked"}})
	mustContain(t, b, "Marked as booked", `action="/waitlist/`+id+`/status"`, "Undo", "Waiting (0)")
	b.post("/waitlist/"+id+"/status", url.Values{"status": {"waiting"}})
	mustContain(t, b, "The client is back on the waitlist.", "Waiting (1)")

	// A biller does not keep the waitlist.
	ta.addUser("biller@example.org", access.RoleBiller)
	bb := ta.browser()
	bb.signIn("biller@example.org")
	bb.get("/waitlist")
	mustStatus(t, bb, http.StatusForbidden, "biller")
}

// The calendar feed over HTTP with no session: made and revoked on My
// account, shown once, initials only, audited as the owner's read.
func TestCalendarFeedOverHTTP(t *testing.T) {
	ta := newTestApp(t, db.SQLite)
	ctx := context.Background()
	admin := ta.browser()
	admin.signIn("admin@example.org")
	loc := ta.aLocation(admin, "Main office")
	casey := ta.addStaff("casey@example.org", "Casey Care", access.RoleClinician)
	c := ta.aClientOf(casey.ID, "Josefina", "Pepa", "Núñez", "1990-04-02")
	typeID, err := ta.Scheduling.SaveType(ctx, sysActor, scheduling.Type{Name: "Individual 53", DurationMinutes: 53, ServiceCode: "90834", Kind: scheduling.Individual})
	if err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	day := time.Now().In(ny).AddDate(0, 0, 3)
	start := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, ny)
	locID, _ := strconv.ParseInt(loc, 10, 64)
	booked, err := ta.Scheduling.Book(ctx, sysActor, scheduling.Booking{ClinicianID: casey.ID, ClientIDs: []int64{c.ID}, TypeID: typeID, LocationID: locID, Start: start})
	if err != nil {
		t.Fatal(err)
	}

	b := ta.browser()
	b.signIn("casey@example.org")
	b.get("/account")
	mustContain(t, b, "No calendar feeds.", "Make a calendar feed")
	b.post("/account/feeds", nil)
	mustStatus(t, b, http.StatusOK, "make a feed")
	m := regexp.MustCompile(`id="new-feed-url">(http://[^<]+/feeds/([A-Za-z0-9_-]{43})\.ics)<`).FindStringSubmatch(b.last)
	if m == nil {
		t.Fatalf("no feed address on the page:\n%.3000s", b.last)
	}
	feedURL := m[1]
	mustContain(t, b, "Copy your calendar feed address now", `href="webcal://`, "Initials")
	b.get("/account")
	mustNotContain(t, b, m[2])

	fetch := func(u string) (int, http.Header, string) {
		t.Helper()
		resp, err := http.Get(u) // no cookies, no session
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(body)
	}
	status, h, body := fetch(feedURL)
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/calendar") || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("feed: %d %v\n%s", status, h, body)
	}
	host := strings.Split(strings.TrimPrefix(ta.URL, "http://"), ":")[0]
	for _, want := range []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:", "BEGIN:VTIMEZONE", "UID:appointment-" + itoa(booked.IDs[0]) + "@" + host,
		"DTSTART;TZID=America/New_York:" + start.Format("20060102") + "T100000", "SUMMARY:P.N. · Individual 53", "LOCATION:Main office"} {
		if !strings.Contains(body, want) {
			t.Errorf("feed lacks %q:\n%s", want, body)
		}
	}
	for _, name := range []string{"Núñez", "Josefina", "Pepa"} {
		if strings.Contains(body, name) {
			t.Errorf("feed names the client (%q)", name)
		}
	}
	page, err := ta.Audit.Find(ctx, sysActor, audit.Filter{UserID: casey.ID, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	reads := 0
	for _, e := range page.Entries {
		if e.ObjectType == "calendar_feed" && e.Action == audit.ActionRead && e.Detail == "calendar feed" && e.Outcome == audit.Success {
			reads++
		}
	}
	if reads != 1 {
		t.Errorf("%d audited feed reads by the owner, want 1", reads)
	}

	// Anything else under /feeds/ is a bare 404, never a sign-in page.
	for _, u := range []string{ta.URL + "/feeds/" + m[2], ta.URL + "/feeds/" + strings.Repeat("A", 43) + ".ics", ta.URL + "/feeds/x.ics"} {
		if status, h, _ := fetch(u); status != http.StatusNotFound || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d %v, want 404 no-store", u, status, h)
		}
	}

	// Revoked: 404 from then on.
	b.get("/account")
	rev := regexp.MustCompile(`action="(/account/feeds/\d+/revoke)"`).FindStringSubmatch(b.last)
	if rev == nil {
		t.Fatal("no revoke button")
	}
	b.post(rev[1], nil)
	mustContain(t, b, "The calendar feed was revoked.", "No calendar feeds.")
	if status, _, _ := fetch(feedURL); status != http.StatusNotFound {
		t.Errorf("revoked feed: status %d, want 404", status)
	}
	// Front desk have no feed to make.
	ta.addUser("frontdesk@example.org", access.RoleFrontDesk)
	fb := ta.browser()
	fb.signIn("frontdesk@example.org")
	fb.post("/account/feeds", nil)
	mustStatus(t, fb, http.StatusForbidden, "front desk feed")
}
