package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

func init() {
	mine := []string{"calendar", "today", "appointment_form", "appointment_show", "appointment_status"}
	pageNames = append(pageNames, mine...)
	for _, n := range mine {
		pageParts[n] = []string{"templates/client_parts.html", "templates/appointment_parts.html"}
	}
	// The chart lists the client's appointments with the same rows.
	pageParts["client_chart"] = append(pageParts["client_chart"], "templates/appointment_parts.html")
}

// How much of a large practice one calendar page shows at once; the name
// filter and the pager reach the rest.
const (
	calMaxDayColumns = 12 // clinician or room columns in the day view
	calMaxWeekRows   = 25 // rows of the compact multi-clinician week
	calMaxPickable   = 40 // clinician checkboxes in the filter form
)

// apptChip is how an appointment's status looks: icon, word and colour
// (UI.md §5, §10).
func apptChip(ap scheduling.Appointment) chip {
	switch ap.Status {
	case scheduling.Scheduled:
		return chip{"info", "○", "Scheduled"}
	case scheduling.Confirmed:
		return chip{"info", "✓", "Confirmed"}
	case scheduling.CheckedIn:
		return chip{"review", "➜", "Checked in"}
	case scheduling.InSession:
		return chip{"ok", "●", "In session"}
	case scheduling.Completed:
		return chip{"ok", "✔", "Completed"}
	case scheduling.Cancelled:
		switch {
		case ap.LateCancel:
			return chip{"warn", "◷", "Late cancel"}
		case ap.CancelledBy == "clinician":
			return chip{"neutral", "⊘", "Cancelled by clinician"}
		}
		return chip{"neutral", "⊘", "Cancelled by client"}
	case scheduling.NoShow:
		return chip{"danger", "✕", "No-show"}
	case scheduling.Rescheduled:
		return chip{"neutral", "↷", "Rescheduled"}
	}
	return chip{"neutral", "", ap.Status.Label()}
}

// apptDollars formats cents.
func apptDollars(cents int64) string { return fmt.Sprintf("$%d.%02d", cents/100, cents%100) }

// apptView is one appointment as the calendar, the today board, the chart
// and the appointment page show it, in the practice's zone.
type apptView struct {
	ID          int64
	Href        string
	Date        string // Tue 1 Dec 2026
	DateISO     string
	Time        string // 10:00–10:50
	Who         string // client names, or Busy
	Hidden      bool
	Clients     []scheduling.Attendee
	ClinicianID int64
	Clinician   string
	Type        string
	Service     string
	Place       string
	LocationID  int64
	RoomID      int64
	Telehealth  bool
	VideoURL    string
	Note        string
	Chip        chip
	Status      string
	// Off is set for appointments that no longer hold their slot
	// (cancelled, no-show, rescheduled): hatched and struck through.
	Off     bool
	Fee     string
	Color   string // the type's colour, for calendar.js
	Stripe  int    // the palette stripe used without script
	Movable bool
	Version int64
	Series  bool
	// Grid placement: local minutes after midnight, length, and the classes
	// that position the block (a fixed set: the CSP forbids style attributes).
	Start, Minutes int
	Pos            string
	lane           int
	// Exact and Length are the true start (local minutes) and length, which
	// calendar.js moves from.
	Exact, Length int
}

func newApptView(ap scheduling.Appointment, loc *time.Location) apptView {
	st, en := ap.Start.In(loc), ap.End.In(loc)
	v := apptView{ID: ap.ID, Href: "/appointments/" + strconv.FormatInt(ap.ID, 10), Date: st.Format("Mon 2 Jan 2006"), DateISO: st.Format(time.DateOnly),
		Time: st.Format("15:04") + "–" + en.Format("15:04"), Clients: ap.Clients, ClinicianID: ap.ClinicianID, Clinician: ap.ClinicianName,
		Type: ap.TypeName, Service: ap.ServiceCode, LocationID: ap.LocationID, RoomID: ap.RoomID, Telehealth: ap.Telehealth, VideoURL: ap.VideoURL,
		Note: ap.FrontDeskNote, Chip: apptChip(ap), Status: string(ap.Status), Off: !ap.Status.Blocks(), Color: ap.TypeColor,
		Stripe: int(ap.TypeID % 6), Movable: ap.Status.Open(), Version: ap.Version, Series: ap.SeriesID != 0,
		Start: st.Hour()*60 + st.Minute(), Minutes: ap.Minutes()}
	var names []string
	hidden := 0
	for _, c := range ap.Clients {
		if c.Hidden {
			hidden++
			continue
		}
		names = append(names, c.Name)
	}
	switch {
	case len(names) == 0:
		v.Who, v.Hidden = "Busy", true
	case hidden > 0:
		v.Who = strings.Join(names, ", ") + fmt.Sprintf(" and %d more", hidden)
	default:
		v.Who = strings.Join(names, ", ")
	}
	switch {
	case ap.Telehealth && ap.LocationName != "":
		v.Place = "Telehealth · " + ap.LocationName
	case ap.Telehealth:
		v.Place = "Telehealth"
	case ap.RoomName != "":
		v.Place = ap.LocationName + " · " + ap.RoomName
	default:
		v.Place = ap.LocationName
	}
	if ap.FeeCents > 0 {
		v.Fee = apptDollars(ap.FeeCents)
	}
	return v
}

// place positions v in a day column running from dayStart to dayEnd, in
// five-minute steps.
func (v *apptView) place(ap scheduling.Appointment, dayStart, dayEnd time.Time, loc *time.Location) {
	from, to := 0, 24*60
	if ap.Start.After(dayStart) {
		l := ap.Start.In(loc)
		from = l.Hour()*60 + l.Minute()
	}
	if ap.End.Before(dayEnd) {
		l := ap.End.In(loc)
		to = l.Hour()*60 + l.Minute()
	}
	v.Exact, v.Length = from, ap.Minutes()
	from = from / 5 * 5
	to = (to + 4) / 5 * 5
	if to <= from {
		to = min(from+5, 24*60)
	}
	v.Start, v.Minutes = from, to-from
	v.Pos = calSpanClasses(from, to-from)
}

// calSpanClasses are the classes that place a span starting at local minute
// from and lasting minutes (see the Calendar section of app.css).
func calSpanClasses(from, minutes int) string {
	return fmt.Sprintf("h%d m%d dh%d dm%d", from/60, from%60, minutes/60, minutes%60)
}

// calLayLanes puts overlapping blocks of one column side by side. Blocks must
// be sorted by start.
func calLayLanes(bs []apptView) {
	for i := 0; i < len(bs); {
		end := bs[i].Start + bs[i].Minutes
		var lanes []int // each lane's end
		j := i
		for ; j < len(bs) && (j == i || bs[j].Start < end); j++ {
			lane := slices.IndexFunc(lanes, func(e int) bool { return e <= bs[j].Start })
			if lane < 0 {
				lane = len(lanes)
				lanes = append(lanes, 0)
			}
			lanes[lane] = bs[j].Start + bs[j].Minutes
			bs[j].lane = lane
			end = max(end, bs[j].Start+bs[j].Minutes)
		}
		for k := i; k < j; k++ {
			bs[k].Pos += fmt.Sprintf(" lane-%d lanes-%d", min(bs[k].lane, 3), min(len(lanes), 4))
		}
		i = j
	}
}

// calState is the calendar's filter, all of it in the query string so that
// a view can be bookmarked (UI.md §1.5).
type calState struct {
	View          string // day or week
	Date          time.Time
	AsList        bool
	Rooms         bool
	Q             string
	Location      int64
	Clinicians    []int64
	Page          int
	HideCancelled bool
}

func (s calState) href(mod func(*calState)) string {
	c := s
	c.Clinicians = slices.Clone(s.Clinicians)
	if mod != nil {
		mod(&c)
	}
	v := url.Values{"view": {c.View}, "date": {c.Date.Format(time.DateOnly)}}
	if c.AsList {
		v.Set("as", "list")
	}
	if c.Rooms {
		v.Set("rooms", "1")
	}
	if c.Q != "" {
		v.Set("q", c.Q)
	}
	if c.Location != 0 {
		v.Set("location", strconv.FormatInt(c.Location, 10))
	}
	for _, id := range c.Clinicians {
		v.Add("clinician", strconv.FormatInt(id, 10))
	}
	if c.Page > 0 {
		v.Set("page", strconv.Itoa(c.Page))
	}
	if c.HideCancelled {
		v.Set("cancelled", "0")
	}
	return "/calendar?" + v.Encode()
}

// calColumn is one column of the time grid: a clinician, a room or a day.
type calColumn struct {
	Title, Sub  string
	ClinicianID int64
	RoomID      int64
	LocationID  int64
	Date        string
	NewHref     string
	Today       bool
	Blocks      []apptView
	// Bands are the classes of the clinician's available hours; Off of their
	// time off.
	Bands []string
	Off   []string
}

type calHourMark struct {
	Label, Class string
}

// calCompactRow is one clinician's (or room's) week in the compact layout.
type calCompactRow struct {
	Title, Href string
	Days        [][]apptView
}

type calDayHead struct {
	Label, Href string
	Today       bool
}

type calAgendaDay struct {
	Label string
	Items []apptView
}

type calendarPage struct {
	Page
	State                                    calState
	View                                     string
	Heading                                  string
	AsList, Rooms                            bool
	Date                                     string
	PrevHref, NextHref, TodayHref            string
	DayHref, WeekHref, ListHref, GridHref    string
	RoomsHref, CliniciansHref, CancelledHref string
	HideCancelled                            bool
	Q                                        string
	Locations                                []choice
	Pickable                                 []choice
	PickMore                                 int
	Selected                                 []string
	// The time grid (day view, or the week of one clinician or room).
	Grid      bool
	Columns   []calColumn
	Hours     []calHourMark
	GridClass string
	FirstHour int
	HourCount int
	NowPos    string
	// The compact week of several clinicians or rooms.
	Compact []calCompactRow
	Days    []calDayHead
	Agenda  []calAgendaDay
	// Paging through many clinicians or rooms.
	Showing   string
	PrevPage  string
	NextPage  string
	CanBook   bool
	NoColumns string
	Count     int
}

func calMidnight(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

func calAddDays(t time.Time, n int) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day()+n, 0, 0, 0, 0, t.Location())
}

func calQueryIDs(vs []string) []int64 {
	var out []int64
	for _, v := range vs {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// booksForOthers reports whether a may book for other clinicians (front desk,
// administrators); the others book only on their own calendar.
func booksForOthers(a access.Actor) bool {
	return a.Has(access.RoleAdmin) || a.Has(access.RoleFrontDesk)
}

// ShowCalendar is the calendar: a day or week of clinicians or rooms, as a
// time grid or an agenda list, filtered by the query string.
func (h *Handler) ShowCalendar(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), current(r).Actor
	loc, err := h.Scheduling.Zone(ctx)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	now := h.Clock.Now().In(loc)
	today := calMidnight(now, loc)
	q := r.URL.Query()
	st := calState{View: "day", Date: today, AsList: q.Get("as") == "list", Rooms: q.Get("rooms") == "1", Q: strings.TrimSpace(q.Get("q")),
		Clinicians: calQueryIDs(q["clinician"]), HideCancelled: q.Get("cancelled") == "0"}
	if q.Get("view") == "week" {
		st.View = "week"
	}
	if d, err := time.ParseInLocation(time.DateOnly, q.Get("date"), loc); err == nil {
		st.Date = calMidnight(d, loc)
	}
	st.Location, _ = strconv.ParseInt(q.Get("location"), 10, 64)
	st.Page, _ = strconv.Atoi(q.Get("page"))
	st.Page = max(st.Page, 0)
	if len([]rune(st.Q)) > 60 {
		st.Q = string([]rune(st.Q)[:60])
	}

	from, days := st.Date, 1
	if st.View == "week" {
		from, days = calAddDays(st.Date, -((int(st.Date.Weekday())+6)%7)), 7
	}
	to := calAddDays(from, days)

	p := &calendarPage{State: st, View: st.View, AsList: st.AsList, Rooms: st.Rooms, Date: st.Date.Format(time.DateOnly), Q: st.Q,
		HideCancelled: st.HideCancelled, CanBook: h.Audit.Policy().Can(a, access.PermScheduleWrite)}
	step := days
	p.PrevHref = st.href(func(c *calState) { c.Date, c.Page = calAddDays(st.Date, -step), 0 })
	p.NextHref = st.href(func(c *calState) { c.Date, c.Page = calAddDays(st.Date, step), 0 })
	p.TodayHref = st.href(func(c *calState) { c.Date = today })
	p.DayHref = st.href(func(c *calState) { c.View, c.Page = "day", 0 })
	p.WeekHref = st.href(func(c *calState) { c.View, c.Page = "week", 0 })
	p.ListHref = st.href(func(c *calState) { c.AsList = true })
	p.GridHref = st.href(func(c *calState) { c.AsList = false })
	p.RoomsHref = st.href(func(c *calState) { c.Rooms, c.Page = true, 0 })
	p.CliniciansHref = st.href(func(c *calState) { c.Rooms, c.Page = false, 0 })
	p.CancelledHref = st.href(func(c *calState) { c.HideCancelled = !st.HideCancelled })
	if st.View == "week" {
		p.Heading = "Week of " + from.Format("Monday 2 January 2006")
	} else {
		p.Heading = st.Date.Format("Monday 2 January 2006")
	}

	locs, err := h.Practice.Locations(ctx, a)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	for _, l := range locs {
		if l.Active || l.ID == st.Location {
			p.Locations = append(p.Locations, choice{Value: strconv.FormatInt(l.ID, 10), Label: l.Name, Checked: l.ID == st.Location})
		}
	}

	// The columns (or rows): clinicians or rooms.
	type lane struct {
		title, sub         string
		clinician, room    int64
		location           int64
		newQuery, viewHref string
	}
	var all []lane
	rng := scheduling.Range{From: from, To: to, LocationID: st.Location, IncludeCancelled: !st.HideCancelled}
	if st.Rooms {
		rooms, err := h.Scheduling.Rooms(ctx, a)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		for _, rm := range rooms {
			if !rm.Active || (st.Location != 0 && rm.LocationID != st.Location) {
				continue
			}
			id := strconv.FormatInt(rm.ID, 10)
			all = append(all, lane{title: rm.Name, sub: rm.LocationName, room: rm.ID, location: rm.LocationID,
				newQuery: "room=" + id + "&location=" + strconv.FormatInt(rm.LocationID, 10)})
		}
		if len(all) == 0 {
			p.NoColumns = "No rooms to show. An administrator adds rooms under Scheduling setup."
		}
	} else {
		clinicians, err := h.Scheduling.Clinicians(ctx, a)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		matches := func(c scheduling.Clinician) bool {
			return st.Q == "" || strings.Contains(clients.Fold(c.Name+" "+c.Credentials), clients.Fold(st.Q))
		}
		var selected []scheduling.Clinician
		switch {
		case len(st.Clinicians) > 0:
			for _, c := range clinicians {
				if slices.Contains(st.Clinicians, c.ID) {
					selected = append(selected, c)
				}
			}
		case st.Q != "":
			for _, c := range clinicians {
				if matches(c) {
					selected = append(selected, c)
				}
			}
		default:
			// Clinicians start on their own calendar; the front desk on everyone's.
			i := slices.IndexFunc(clinicians, func(c scheduling.Clinician) bool { return c.ID == a.UserID })
			if i >= 0 && !booksForOthers(a) {
				selected = clinicians[i : i+1]
			} else {
				selected = clinicians
			}
		}
		for _, c := range clinicians {
			checked := slices.Contains(st.Clinicians, c.ID)
			if !matches(c) && !checked {
				continue
			}
			if len(p.Pickable) >= calMaxPickable && !checked {
				p.PickMore++
				continue
			}
			p.Pickable = append(p.Pickable, choice{Value: strconv.FormatInt(c.ID, 10), Label: calClinicianLabel(c), Checked: checked})
		}
		for _, c := range selected {
			id := strconv.FormatInt(c.ID, 10)
			all = append(all, lane{title: c.Name, sub: c.Credentials, clinician: c.ID, newQuery: "clinician=" + id,
				viewHref: st.href(func(s *calState) { s.Clinicians, s.Q, s.Page = []int64{c.ID}, "", 0 })})
			p.Selected = append(p.Selected, c.Name)
		}
		if len(all) == 0 {
			p.NoColumns = "No clinician matches. Clear the name filter or choose clinicians from the list."
			if len(clinicians) == 0 {
				p.NoColumns = "No clinicians yet. An administrator adds them under Staff."
			}
		}
	}

	// Page through many columns or rows.
	per := calMaxDayColumns
	if st.View == "week" {
		per = calMaxWeekRows
	}
	if st.AsList {
		per = calMaxWeekRows
	}
	pages := (len(all) + per - 1) / per
	if st.Page >= pages {
		st.Page = max(pages-1, 0)
	}
	shown := all[min(st.Page*per, len(all)):min((st.Page+1)*per, len(all))]
	if pages > 1 {
		what := "clinicians"
		if st.Rooms {
			what = "rooms"
		}
		p.Showing = fmt.Sprintf("Showing %s %d–%d of %d.", what, st.Page*per+1, st.Page*per+len(shown), len(all))
		if st.Page > 0 {
			p.PrevPage = st.href(func(c *calState) { c.Page = st.Page - 1 })
		}
		if st.Page < pages-1 {
			p.NextPage = st.href(func(c *calState) { c.Page = st.Page + 1 })
		}
	}
	for _, l := range shown {
		if l.room != 0 {
			rng.RoomIDs = append(rng.RoomIDs, l.room)
		} else {
			rng.ClinicianIDs = append(rng.ClinicianIDs, l.clinician)
		}
	}

	var aps []scheduling.Appointment
	if len(shown) > 0 {
		if aps, err = h.Scheduling.Calendar(ctx, a, rng); err != nil {
			h.Error(w, r, err)
			return
		}
	}
	p.Count = len(aps)
	p.Page = h.base(w, r, "Calendar")

	if st.AsList {
		for d := from; d.Before(to); d = calAddDays(d, 1) {
			day := calAgendaDay{Label: d.Format("Monday 2 January")}
			for _, ap := range aps {
				if ap.Start.In(loc).Format(time.DateOnly) == d.Format(time.DateOnly) {
					day.Items = append(day.Items, newApptView(ap, loc))
				}
			}
			p.Agenda = append(p.Agenda, day)
		}
		h.render(w, r, http.StatusOK, "calendar", p)
		return
	}

	inLane := func(l lane, ap scheduling.Appointment) bool {
		if l.room != 0 {
			return ap.RoomID == l.room
		}
		return ap.ClinicianID == l.clinician
	}
	first, last := 7, 20
	column := func(l lane, dayStart time.Time) calColumn {
		dayEnd := calAddDays(dayStart, 1)
		c := calColumn{Title: l.title, Sub: l.sub, ClinicianID: l.clinician, RoomID: l.room, LocationID: l.location,
			Date: dayStart.Format(time.DateOnly), Today: dayStart.Equal(today)}
		if p.CanBook {
			c.NewHref = "/appointments/new?" + l.newQuery + "&date=" + c.Date
		}
		for _, ap := range aps {
			if inLane(l, ap) && ap.Start.Before(dayEnd) && ap.End.After(dayStart) {
				v := newApptView(ap, loc)
				v.place(ap, dayStart, dayEnd, loc)
				first = min(first, v.Start/60)
				last = max(last, (v.Start+v.Minutes+59)/60)
				c.Blocks = append(c.Blocks, v)
			}
		}
		calLayLanes(c.Blocks)
		return c
	}

	switch {
	case st.View == "day":
		p.Grid = true
		for _, l := range shown {
			c := column(l, from)
			if l.clinician != 0 {
				lo, hi, err := h.availabilityBands(r, &c, l.clinician, from, st.Location)
				if err != nil {
					h.Error(w, r, err)
					return
				}
				first, last = min(first, lo/60), max(last, (hi+59)/60)
			}
			p.Columns = append(p.Columns, c)
		}
	case len(shown) == 1:
		// One clinician's or room's week: a column per day.
		p.Grid = true
		l := shown[0]
		for d := from; d.Before(to); d = calAddDays(d, 1) {
			c := column(l, d)
			c.Title, c.Sub = d.Format("Mon 2 Jan"), l.title
			if l.clinician != 0 {
				lo, hi, err := h.availabilityBands(r, &c, l.clinician, d, st.Location)
				if err != nil {
					h.Error(w, r, err)
					return
				}
				first, last = min(first, lo/60), max(last, (hi+59)/60)
			}
			p.Columns = append(p.Columns, c)
		}
	default:
		// Several clinicians' weeks: a compact row each.
		for d := from; d.Before(to); d = calAddDays(d, 1) {
			p.Days = append(p.Days, calDayHead{Label: d.Format("Mon 2 Jan"), Today: d.Equal(today),
				Href: st.href(func(c *calState) { c.View, c.Date, c.Page = "day", d, 0 })})
		}
		for _, l := range shown {
			row := calCompactRow{Title: l.title, Href: l.viewHref, Days: make([][]apptView, days)}
			if l.room != 0 && l.sub != "" {
				row.Title = l.title + " · " + l.sub
			}
			for _, ap := range aps {
				if !inLane(l, ap) {
					continue
				}
				i := int(calMidnight(ap.Start, loc).Sub(from).Hours()+12) / 24 // whole days, across a DST change
				if i >= 0 && i < days {
					row.Days[i] = append(row.Days[i], newApptView(ap, loc))
				}
			}
			p.Compact = append(p.Compact, row)
		}
	}
	if p.Grid {
		p.FirstHour, p.HourCount = first, last-first
		p.GridClass = fmt.Sprintf("first-%d hours-%d", first, last-first)
		for hr := first; hr < last; hr++ {
			p.Hours = append(p.Hours, calHourMark{Label: fmt.Sprintf("%02d:00", hr), Class: calSpanClasses(hr*60, 60)})
		}
		if !now.Before(from) && now.Before(to) {
			m := now.Hour()*60 + now.Minute()
			if m >= first*60 && m < last*60 {
				p.NowPos = calSpanClasses(m, 0)
			}
		}
	}
	h.render(w, r, http.StatusOK, "calendar", p)
}

func calClinicianLabel(c scheduling.Clinician) string {
	if c.Credentials == "" {
		return c.Name
	}
	return c.Name + ", " + c.Credentials
}

// availabilityBands shades a clinician's working hours on the column's day
// (at the chosen location, when one is), and their time off. It returns the
// hours the windows span, in local minutes, for the grid to show.
func (h *Handler) availabilityBands(r *http.Request, c *calColumn, clinicianID int64, day time.Time, location int64) (lo, hi int, err error) {
	av, err := h.Scheduling.AvailabilityOf(r.Context(), current(r).Actor, clinicianID, day)
	if err != nil {
		return 0, 0, err
	}
	lo, hi = 24*60, 0
	for _, w := range av.Windows {
		if w.Weekday == day.Weekday() && (location == 0 || w.LocationID == location) {
			c.Bands = append(c.Bands, calSpanClasses(w.StartMinute/5*5, (w.EndMinute-w.StartMinute+4)/5*5))
			lo, hi = min(lo, w.StartMinute), max(hi, w.EndMinute)
		}
	}
	end := calAddDays(day, 1)
	for _, e := range av.Exceptions {
		if e.Kind != "off" || !e.Start.Before(end) || !e.End.After(day) {
			continue
		}
		v := apptView{}
		v.place(scheduling.Appointment{Start: e.Start, End: e.End}, day, end, day.Location())
		c.Off = append(c.Off, v.Pos)
	}
	return lo, hi, nil // no window: 24:00 and 00:00, which leave the grid's hours as they are
}
