package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/practice"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// The demo calendar runs from three months back to one month ahead: the
// practice's appointment types, rooms and hours; each active client's weekly
// or fortnightly series (couples seen together), intakes for the newer ones
// and the inquiries, one weekly group, and a waitlist. What happened is
// replayed through the scheduling service as it would have been recorded:
// past sessions checked in and completed, a few cancelled (some late, with
// the fee) or missed, the group's attendance taken.
//
// The replay uses its own scheduling service on a clock the seeder moves to
// each moment it records (a booking a week before the series starts, a
// check-in five minutes before the session), so that every timestamp and fee
// reads as if the practice had lived those months; the audit log, which has
// its own clock, still says truthfully when the demo wrote them. That service
// has none of the serve command's hooks, so appointment reminders exist only
// for the sessions of the next two days, which the front desk confirms
// through the real service at the end.

// demoWindow is a weekly availability window of a demo clinician.
type demoWindow struct {
	days       []time.Weekday
	from, to   int // local minutes
	telehealth bool
}

var demoHours = map[string][]demoWindow{
	"clinician@demo.mentalspace.test": {
		{[]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday}, 9 * 60, 17 * 60, false},
		{[]time.Weekday{time.Friday}, 9 * 60, 13 * 60, true}},
	"supervisor@demo.mentalspace.test": {
		{[]time.Weekday{time.Monday, time.Wednesday}, 10 * 60, 18 * 60, false},
		{[]time.Weekday{time.Tuesday}, 10 * 60, 18 * 60, true},
		{[]time.Weekday{time.Thursday}, 12 * 60, 19 * 60, false}},
	"associate@demo.mentalspace.test": {
		{[]time.Weekday{time.Monday, time.Wednesday, time.Friday}, 9 * 60, 17 * 60, false},
		{[]time.Weekday{time.Tuesday, time.Thursday}, 9 * 60, 17 * 60, true}},
	"priya.raman@demo.mentalspace.test": {
		{[]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday}, 11 * 60, 19 * 60, false},
		{[]time.Weekday{time.Friday}, 10 * 60, 16 * 60, true}},
	"luis.ortega@demo.mentalspace.test": {
		{[]time.Weekday{time.Tuesday, time.Wednesday, time.Thursday}, 12 * 60, 20 * 60, false},
		{[]time.Weekday{time.Friday}, 9 * 60, 17 * 60, true}},
}

var (
	demoCancelReasons = []string{"Feeling unwell", "Work conflict", "Childcare fell through", "Car trouble", "Family emergency",
		"Travelling", "Forgot about a medical appointment", "Weather"}
	demoClinicianReasons = []string{"Clinician unwell", "Clinician called to a hospital consult"}
)

// demoSlot is a weekly start time on a clinician's hours.
type demoSlot struct {
	wd         time.Weekday
	minute     int
	telehealth bool
}

// demoInterval is a busy span in microseconds.
type demoInterval struct{ start, end int64 }

// demoAppointment is a booked appointment whose outcome the seeder replays.
type demoAppointment struct {
	id          int64
	start, end  time.Time
	clinicianID int64
	clientIDs   []int64
	group       bool
	bookedAt    time.Time
}

// demoClient is an active client as the calendar needs them.
type demoClient struct {
	clients.Client
	adult      bool
	telehealth bool
}

// demoCalendar books the demo practice's calendar.
type demoCalendar struct {
	ctx         context.Context
	e           *env
	svc         *scheduling.Service // on the replay clock
	clk         *clock.Fake
	r           *rand.Rand
	sys         access.Actor
	loc         *time.Location
	now         time.Time
	from, until time.Time // local midnights: the first day shown, the day after the last
	types       map[string]scheduling.Type
	office      int64
	telehealth  int64
	rooms       []int64 // at the office; the group meets in the last
	staff       map[string]int64
	hours       map[int64][]demoWindow
	// busy holds, per resource ("c7", "r2", "p40") and local date, the
	// spans already planned, so that every booking goes through first time.
	busy         map[string]map[string][]demoInterval
	appointments []demoAppointment
	cancelled    map[int64]bool
	counts       map[string]int
}

// seedDemoSchedule fills the demo calendar. staff are the demo accounts by
// email; caseloads each user's clients, as seedDemoClients made them.
func seedDemoSchedule(ctx context.Context, e *env, staff map[string]int64, caseloads map[int64]map[int64]bool) error {
	began := time.Now()
	loc, err := e.schedule.Zone(ctx)
	if err != nil {
		return err
	}
	now := e.clock.Now()
	today := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day(), 0, 0, 0, 0, loc)
	clk := clock.NewFake(now)
	c := &demoCalendar{ctx: ctx, e: e, svc: scheduling.NewService(e.db, clk, e.audit), clk: clk, r: rand.New(rand.NewPCG(2026, 8)),
		sys: system(), loc: loc, now: now, from: today.AddDate(0, -3, 0), until: today.AddDate(0, 1, 1), staff: staff,
		types: map[string]scheduling.Type{}, hours: map[int64][]demoWindow{}, busy: map[string]map[string][]demoInterval{}, cancelled: map[int64]bool{},
		counts: map[string]int{}}
	steps := []func() error{c.setUp, func() error { return c.book(caseloads) }, c.waitlist, c.replay, c.timeOff, c.confirm}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	e.log.Info("demo calendar seeded", "appointments", len(c.appointments), "from", c.from.Format(time.DateOnly),
		"to", c.until.AddDate(0, 0, -1).Format(time.DateOnly), "completed", c.counts["completed"], "cancelled", c.counts["cancelled"],
		"no_shows", c.counts["no_show"], "waitlist", c.counts["waitlist"], "ms", time.Since(began).Milliseconds())
	return nil
}

// at moves the replay clock to t, never past the present.
func (c *demoCalendar) at(t time.Time) {
	if t.After(c.now) {
		t = c.now
	}
	c.clk.Set(t)
}

func (c *demoCalendar) chance(percent int) bool { return c.r.IntN(100) < percent }

// setUp records the policy, the appointment types, the rooms, a telehealth
// location if there is none, and each clinician's weekly hours.
func (c *demoCalendar) setUp() error {
	c.at(c.from.AddDate(0, 0, -14))
	ctx, svc := c.ctx, c.svc
	p, err := svc.Policy(ctx, c.sys)
	if err != nil {
		return describe(err)
	}
	p.LateCancelHours, p.LateCancelFeeCents, p.NoShowFeeCents = 24, 7500, 10000
	if err := svc.SavePolicy(ctx, c.sys, p); err != nil {
		return describe(err)
	}
	for _, t := range []struct {
		key string
		scheduling.Type
	}{
		{"intake", scheduling.Type{Name: "Intake assessment", DurationMinutes: 60, ServiceCode: "90791", Color: "#7a5195", Kind: scheduling.Intake, TelehealthAllowed: true}},
		{"ind53", scheduling.Type{Name: "Individual therapy, 53 min", DurationMinutes: 53, ServiceCode: "90834", Color: "#2f6f8f", Kind: scheduling.Individual, TelehealthAllowed: true, OnlineBookable: true}},
		{"ind60", scheduling.Type{Name: "Individual therapy, 60 min", DurationMinutes: 60, ServiceCode: "90837", Color: "#3f8f6f", Kind: scheduling.Individual, TelehealthAllowed: true, OnlineBookable: true}},
		{"couple", scheduling.Type{Name: "Couples / family therapy", DurationMinutes: 50, ServiceCode: "90847", Color: "#c4762b", Kind: scheduling.Couple, Capacity: 2, TelehealthAllowed: true}},
		{"group", scheduling.Type{Name: "Group therapy", DurationMinutes: 90, ServiceCode: "90853", Color: "#a23b5a", Kind: scheduling.Group, Capacity: 8}},
	} {
		t.Active = true
		id, err := svc.SaveType(ctx, c.sys, t.Type)
		if err != nil {
			return describe(err)
		}
		t.ID = id
		c.types[t.key] = t.Type
	}
	locs, err := c.e.practice.Locations(ctx, c.sys)
	if err != nil {
		return describe(err)
	}
	for _, l := range locs {
		switch {
		case !l.Active:
		case l.PlaceOfService == "02" || l.PlaceOfService == "10":
			if c.telehealth == 0 {
				c.telehealth = l.ID
			}
		default:
			names := []string{"Room 1", "Room 2"}
			if c.office == 0 {
				c.office, names = l.ID, []string{"Lake room", "Prairie room"}
			}
			for _, n := range names {
				id, err := svc.SaveRoom(ctx, c.sys, scheduling.Room{LocationID: l.ID, Name: n})
				if err != nil {
					return describe(err)
				}
				if l.ID == c.office {
					c.rooms = append(c.rooms, id)
				}
			}
		}
	}
	if c.telehealth == 0 {
		if c.telehealth, err = c.e.practice.SaveLocation(ctx, c.sys, practice.Location{Name: "Telehealth", PlaceOfService: "10", Active: true}); err != nil {
			return describe(err)
		}
	}
	if c.office == 0 {
		return fmt.Errorf("demo calendar: the practice has no office")
	}
	for _, u := range demoStaff {
		ws, ok := demoHours[u.Email]
		if !ok {
			continue
		}
		id := c.staff[u.Email]
		var tmpl []scheduling.Window
		for _, w := range ws {
			at := c.office
			if w.telehealth {
				at = c.telehealth
			}
			for _, d := range w.days {
				tmpl = append(tmpl, scheduling.Window{LocationID: at, Weekday: d, StartMinute: w.from, EndMinute: w.to})
			}
		}
		if err := svc.SetWeeklyTemplate(ctx, c.sys, id, tmpl); err != nil {
			return describe(err)
		}
		c.hours[id] = ws
	}
	return nil
}

// clientsWith reads the clients with status whose primary clinician has
// hours.
func (c *demoCalendar) clientsWith(status clients.Status) ([]demoClient, error) {
	var out []demoClient
	for after := int64(0); ; {
		page, err := c.e.clients.Search(c.ctx, c.sys, clients.SearchFilter{Status: status, Limit: 100, AfterID: after})
		if err != nil {
			return nil, describe(err)
		}
		for _, s := range page {
			if _, ok := c.hours[s.PrimaryClinicianID]; !ok {
				continue
			}
			cl, err := c.e.clients.Get(c.ctx, c.sys, s.ID, clients.SectionDemographics)
			if err != nil {
				return nil, describe(err)
			}
			out = append(out, demoClient{Client: cl, adult: cl.Age(c.now) >= 18, telehealth: cl.LocationID == c.telehealth})
		}
		if len(page) < 100 {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// book plans and books the group, the couples, every active client's series
// (after an intake for the newer ones) and the inquiries' intakes.
func (c *demoCalendar) book(caseloads map[int64]map[int64]bool) error {
	active, err := c.clientsWith(clients.StatusActive)
	if err != nil {
		return err
	}
	if err := c.bookGroup(active, caseloads); err != nil {
		return err
	}
	paired := map[int64]bool{}
	luis := c.staff["luis.ortega@demo.mentalspace.test"]
	for _, cl := range active {
		if cl.PrimaryClinicianID != luis || paired[cl.ID] {
			continue
		}
		rel, err := c.e.clients.Relations(c.ctx, c.sys, cl.ID)
		if err != nil {
			return describe(err)
		}
		for _, p := range rel {
			if p.Kind == "partner" && p.PrimaryClinicianID == luis && p.Status == clients.StatusActive && !paired[p.ID] {
				paired[cl.ID], paired[p.ID] = true, true
				if err := c.bookClient(cl, "couple", []int64{cl.ID, p.ID}); err != nil {
					return err
				}
				break
			}
		}
	}
	for _, cl := range active {
		if paired[cl.ID] {
			continue
		}
		kind := "ind53"
		if c.chance(40) {
			kind = "ind60"
		}
		if err := c.bookClient(cl, kind, []int64{cl.ID}); err != nil {
			return err
		}
	}
	inquiries, err := c.clientsWith(clients.StatusInquiry)
	if err != nil {
		return err
	}
	for _, cl := range inquiries {
		day := c.day(c.now).AddDate(0, 0, 2+c.r.IntN(12))
		if _, err := c.bookIntake(cl, day, day.AddDate(0, 0, 10)); err != nil {
			return err
		}
	}
	return nil
}

// day is t's local midnight.
func (c *demoCalendar) day(t time.Time) time.Time {
	l := t.In(c.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, c.loc)
}

// slots lists a clinician's hourly starts, in a shuffled order, on windows
// that suit the client: in person only at the office; children's sessions
// after school when the clinician works late.
func (c *demoCalendar) slots(clinicianID int64, cl demoClient, minutes int) []demoSlot {
	var out, late []demoSlot
	for _, w := range c.hours[clinicianID] {
		if w.telehealth && !cl.telehealth {
			continue
		}
		for _, d := range w.days {
			for m := w.from; m+minutes <= w.to; m += 60 {
				s := demoSlot{d, m, w.telehealth || cl.telehealth}
				if !cl.adult && m >= 15*60 {
					late = append(late, s)
				}
				out = append(out, s)
			}
		}
	}
	c.r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	c.r.Shuffle(len(late), func(i, j int) { late[i], late[j] = late[j], late[i] })
	return append(late, out...)
}

// free reports whether every resource is free over every start.
func (c *demoCalendar) free(resources []string, starts []time.Time, minutes int) bool {
	for _, st := range starts {
		s, e := st.UnixMicro(), st.Add(time.Duration(minutes)*time.Minute).UnixMicro()
		date := st.Format(time.DateOnly)
		for _, r := range resources {
			for _, iv := range c.busy[r][date] {
				if iv.start < e && s < iv.end {
					return false
				}
			}
		}
	}
	return true
}

func (c *demoCalendar) reserve(resources []string, starts []time.Time, minutes int) {
	for _, r := range resources {
		if c.busy[r] == nil {
			c.busy[r] = map[string][]demoInterval{}
		}
		for _, st := range starts {
			date := st.Format(time.DateOnly)
			c.busy[r][date] = append(c.busy[r][date], demoInterval{st.UnixMicro(), st.Add(time.Duration(minutes) * time.Minute).UnixMicro()})
		}
	}
}

func resourcesOf(clinicianID int64, clientIDs []int64) []string {
	out := []string{fmt.Sprintf("c%d", clinicianID)}
	for _, id := range clientIDs {
		out = append(out, fmt.Sprintf("p%d", id))
	}
	return out
}

// reserveBooking books b through the replay service at bookedAt, after
// checking the plan agrees, and remembers each appointment.
func (c *demoCalendar) reserveBooking(b scheduling.Booking, starts []time.Time, bookedAt time.Time, group bool) error {
	res := resourcesOf(b.ClinicianID, b.ClientIDs)
	if b.RoomID != 0 {
		res = append(res, fmt.Sprintf("r%d", b.RoomID))
	}
	c.reserve(res, starts, b.Minutes)
	c.at(bookedAt)
	out, err := c.svc.Book(c.ctx, c.sys, b)
	if err != nil {
		return fmt.Errorf("demo appointment on %s: %w", b.Start.In(c.loc).Format(time.DateTime), describe(err))
	}
	if len(out.IDs) != len(starts) {
		return fmt.Errorf("demo series: %d appointments booked, %d planned", len(out.IDs), len(starts))
	}
	for i, id := range out.IDs {
		c.appointments = append(c.appointments, demoAppointment{id: id, start: starts[i], end: starts[i].Add(time.Duration(b.Minutes) * time.Minute),
			clinicianID: b.ClinicianID, clientIDs: b.ClientIDs, group: group, bookedAt: c.clk.Now()})
	}
	return nil
}

// place finds a free room at the office for the starts, or none.
func (c *demoCalendar) place(starts []time.Time, minutes int, rooms []int64) int64 {
	for _, r := range rooms {
		if c.free([]string{fmt.Sprintf("r%d", r)}, starts, minutes) {
			return r
		}
	}
	return 0
}

// series lists the starts of a weekly (every 1) or fortnightly (every 2)
// series from the first date on or after from at the slot's time, through
// the window, and its rule.
func (c *demoCalendar) series(from time.Time, wd time.Weekday, minute, every int) ([]time.Time, string, error) {
	d := c.day(from)
	for d.Weekday() != wd {
		d = d.AddDate(0, 0, 1)
	}
	first := time.Date(d.Year(), d.Month(), d.Day(), minute/60, minute%60, 0, 0, c.loc)
	n := 0
	for t := first; t.Before(c.until); t = t.AddDate(0, 0, 7*every) {
		n++
	}
	if n == 0 {
		return nil, "", nil
	}
	rule := fmt.Sprintf("FREQ=WEEKLY;COUNT=%d", n)
	if every > 1 {
		rule = fmt.Sprintf("FREQ=WEEKLY;INTERVAL=%d;COUNT=%d", every, n)
	}
	starts, err := scheduling.Occurrences(rule, first)
	return starts, rule, err
}

// bookGroup books a weekly evening group led by the clinician with the most
// active adults on their caseload, with six of them.
func (c *demoCalendar) bookGroup(active []demoClient, caseloads map[int64]map[int64]bool) error {
	var leader int64
	members := map[int64][]int64{}
	for _, cl := range active {
		for id := range c.hours {
			if caseloads[id][cl.ID] && cl.adult {
				members[id] = append(members[id], cl.ID)
			}
		}
	}
	for _, u := range demoStaff {
		id := c.staff[u.Email]
		if _, ok := c.hours[id]; ok && len(members[id]) > len(members[leader]) {
			leader = id
		}
	}
	group := members[leader]
	if len(group) < 3 {
		return nil
	}
	slices.Sort(group)
	c.r.Shuffle(len(group), func(i, j int) { group[i], group[j] = group[j], group[i] })
	group = group[:min(6, len(group))]
	slices.Sort(group)
	// The evening of the leader's latest in-person day.
	var w demoWindow
	for _, x := range c.hours[leader] {
		if !x.telehealth && x.to >= w.to {
			w = x
		}
	}
	t := c.types["group"]
	starts, rule, err := c.series(c.from, w.days[len(w.days)-1], w.to-t.DurationMinutes, 1)
	if err != nil || len(starts) == 0 {
		return err
	}
	b := scheduling.Booking{ClinicianID: leader, ClientIDs: group, TypeID: t.ID, LocationID: c.office, RoomID: c.rooms[len(c.rooms)-1],
		Start: starts[0], Minutes: t.DurationMinutes, RRule: rule, FrontDeskNote: "Skills group: sign-in sheet at the door"}
	return c.reserveBooking(b, starts, starts[0].AddDate(0, 0, -21), true)
}

// bookIntake books an intake at the first free slot between from and by.
func (c *demoCalendar) bookIntake(cl demoClient, from, by time.Time) (time.Time, error) {
	t := c.types["intake"]
	for d := c.day(from); d.Before(by); d = d.AddDate(0, 0, 1) {
		for _, s := range c.slots(cl.PrimaryClinicianID, cl, t.DurationMinutes) {
			if s.wd != d.Weekday() {
				continue
			}
			start := time.Date(d.Year(), d.Month(), d.Day(), s.minute/60, s.minute%60, 0, 0, c.loc)
			if start.Before(from) || !c.free(resourcesOf(cl.PrimaryClinicianID, []int64{cl.ID}), []time.Time{start}, t.DurationMinutes) {
				continue
			}
			b := scheduling.Booking{ClinicianID: cl.PrimaryClinicianID, ClientIDs: []int64{cl.ID}, TypeID: t.ID, Start: start, Minutes: t.DurationMinutes,
				FrontDeskNote: "New client: paperwork before the session"}
			c.modality(&b, s.telehealth, []time.Time{start})
			return start, c.reserveBooking(b, []time.Time{start}, start.AddDate(0, 0, -3-c.r.IntN(8)), false)
		}
	}
	return time.Time{}, nil // the clinician is full: the intake waits
}

// modality makes b a telehealth session, or an in-person one at the office
// in a free room if there is one.
func (c *demoCalendar) modality(b *scheduling.Booking, tele bool, starts []time.Time) {
	if tele {
		b.LocationID, b.Telehealth = c.telehealth, true
		return
	}
	b.LocationID = c.office
	b.RoomID = c.place(starts, b.Minutes, c.rooms)
}

// bookClient books a client's series with their primary clinician: from
// the start of the window, or after an intake when they started later.
func (c *demoCalendar) bookClient(cl demoClient, kind string, clientIDs []int64) error {
	t := c.types[kind]
	from := c.from
	if since, err := time.ParseInLocation(time.DateOnly, cl.StatusDate, c.loc); err == nil && !since.Before(c.from) && kind != "couple" {
		intake, err := c.bookIntake(cl, since, since.AddDate(0, 0, 14))
		if err != nil || intake.IsZero() {
			return err
		}
		from = c.day(intake).AddDate(0, 0, 7)
	}
	every := 1
	if c.chance(45) {
		every = 2
	}
	for _, s := range c.slots(cl.PrimaryClinicianID, cl, t.DurationMinutes) {
		starts, rule, err := c.series(from.AddDate(0, 0, 7*c.r.IntN(every)), s.wd, s.minute, every)
		if err != nil {
			return err
		}
		if len(starts) == 0 || !c.free(resourcesOf(cl.PrimaryClinicianID, clientIDs), starts, t.DurationMinutes) {
			continue
		}
		b := scheduling.Booking{ClinicianID: cl.PrimaryClinicianID, ClientIDs: clientIDs, TypeID: t.ID, Start: starts[0], Minutes: t.DurationMinutes, RRule: rule}
		c.modality(&b, s.telehealth, starts)
		return c.reserveBooking(b, starts, starts[0].AddDate(0, 0, -7).Add(-time.Duration(c.r.IntN(48))*time.Hour), false)
	}
	return nil // no regular slot free: seen as one-offs, which the demo leaves out
}

// waitlist puts the clients waiting for a first appointment on the list.
func (c *demoCalendar) waitlist() error {
	page, err := c.e.clients.Search(c.ctx, c.sys, clients.SearchFilter{Status: clients.StatusWaitlist, Limit: 100})
	if err != nil {
		return describe(err)
	}
	for i, s := range page {
		if i == 8 {
			break
		}
		e := scheduling.WaitlistEntry{ClientID: s.ID, ClinicianID: s.PrimaryClinicianID, Urgency: []string{"routine", "routine", "soon", "urgent"}[c.r.IntN(4)],
			Modality: scheduling.Modalities[c.r.IntN(len(scheduling.Modalities))]}
		if _, ok := c.hours[e.ClinicianID]; !ok {
			e.ClinicianID = 0
		}
		switch c.r.IntN(3) {
		case 0:
			e.Days, e.EarliestMinute, e.LatestMinute, e.Note = []time.Weekday{time.Tuesday, time.Thursday}, 15*60, 19*60, "After school or work only"
		case 1:
			e.EarliestMinute, e.LatestMinute, e.Note = 9*60, 12*60, "Mornings"
		}
		c.at(c.now.Add(-time.Duration(24+c.r.IntN(24*20)) * time.Hour))
		if _, err := c.svc.AddToWaitlist(c.ctx, c.sys, e); err != nil {
			return describe(err)
		}
		c.counts["waitlist"]++
	}
	return nil
}

// status records one change at the moment at.
func (c *demoCalendar) status(id int64, at time.Time, ch scheduling.StatusChange) error {
	c.at(at)
	if _, err := c.svc.SetStatus(c.ctx, c.sys, id, ch); err != nil {
		return fmt.Errorf("demo appointment %d to %s: %w", id, ch.To, describe(err))
	}
	return nil
}

// replay records what became of each appointment: past ones were checked in
// and completed, or cancelled (by the client, late if inside the policy's
// day, or by the clinician) or missed; a session under way is in session;
// a few ahead are cancelled already.
func (c *demoCalendar) replay() error {
	for _, ap := range c.appointments {
		p := c.r.IntN(100)
		switch {
		case ap.start.After(c.now):
			if !ap.group && p < 3 {
				if err := c.cancel(ap, "client", c.now); err != nil {
					return err
				}
			}
		case !ap.group && p < 5:
			at := ap.start.Add(-time.Duration(2+c.r.IntN(96)) * time.Hour)
			if at.Before(ap.bookedAt) {
				at = ap.bookedAt.Add(time.Hour)
			}
			if err := c.cancel(ap, map[bool]string{true: "clinician", false: "client"}[p == 0], at); err != nil {
				return err
			}
		case !ap.group && p < 8:
			if err := c.status(ap.id, ap.start.Add(15*time.Minute), scheduling.StatusChange{To: scheduling.NoShow}); err != nil {
				return err
			}
			c.counts["no_show"]++
		default:
			if err := c.status(ap.id, ap.start.Add(-time.Duration(2+c.r.IntN(10))*time.Minute), scheduling.StatusChange{To: scheduling.CheckedIn}); err != nil {
				return err
			}
			if ap.end.After(c.now) {
				if err := c.status(ap.id, ap.start.Add(time.Minute), scheduling.StatusChange{To: scheduling.InSession}); err != nil {
					return err
				}
				continue
			}
			if err := c.status(ap.id, ap.end.Add(time.Duration(c.r.IntN(5))*time.Minute), scheduling.StatusChange{To: scheduling.Completed}); err != nil {
				return err
			}
			c.counts["completed"]++
			if ap.group {
				for _, id := range ap.clientIDs {
					att := "attended"
					if c.chance(12) {
						att = "absent"
					}
					if err := c.svc.SetAttendance(c.ctx, c.sys, ap.id, id, att); err != nil {
						return describe(err)
					}
				}
			}
		}
	}
	return nil
}

func (c *demoCalendar) cancel(ap demoAppointment, by string, at time.Time) error {
	reason := demoCancelReasons[c.r.IntN(len(demoCancelReasons))]
	if by == "clinician" {
		reason = demoClinicianReasons[c.r.IntN(len(demoClinicianReasons))]
	}
	return c.cancelFor(ap, by, reason, at)
}

func (c *demoCalendar) cancelFor(ap demoAppointment, by, reason string, at time.Time) error {
	c.counts["cancelled"]++
	c.cancelled[ap.id] = true
	return c.status(ap.id, at, scheduling.StatusChange{To: scheduling.Cancelled, CancelledBy: by, Reason: reason})
}

// timeOff gives the first clinician a training day three weeks ahead and
// cancels that day's sessions on their behalf.
func (c *demoCalendar) timeOff() error {
	id := c.staff["clinician@demo.mentalspace.test"]
	d := c.day(c.now).AddDate(0, 0, 21)
	for d.Weekday() != time.Wednesday {
		d = d.AddDate(0, 0, 1)
	}
	c.at(c.now)
	if _, err := c.svc.AddException(c.ctx, c.sys, scheduling.Exception{ClinicianID: id, Kind: "off", Start: d, End: d.AddDate(0, 0, 1),
		Reason: "Training day"}); err != nil {
		return describe(err)
	}
	for _, ap := range c.appointments {
		if ap.clinicianID == id && !ap.start.Before(d) && ap.start.Before(d.AddDate(0, 0, 1)) && !c.cancelled[ap.id] {
			if err := c.cancelFor(ap, "clinician", "Clinician at a training day", c.now); err != nil {
				return err
			}
		}
	}
	return nil
}

// confirm marks the next two days' sessions confirmed through the serving
// scheduling service, whose hooks give them their reminders.
func (c *demoCalendar) confirm() error {
	for _, ap := range c.appointments {
		if ap.start.After(c.now) && ap.start.Before(c.now.Add(48*time.Hour)) && !c.cancelled[ap.id] {
			if _, err := c.e.schedule.SetStatus(c.ctx, c.sys, ap.id, scheduling.StatusChange{To: scheduling.Confirmed}); err != nil {
				return describe(err)
			}
		}
	}
	return nil
}
