package ui

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/practice"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// Scheduling setup (appointment types, rooms, the policy, links to each
// clinician's availability) and the availability editor.

func init() {
	pageNames = append(pageNames, "schedule_setup", "availability")
	for _, n := range []string{"schedule_setup", "availability"} {
		pageParts[n] = append(pageParts[n], "templates/client_parts.html")
	}
}

// typeRow is an appointment type as the setup table shows it.
type typeRow struct {
	scheduling.Type
	KindLabel string
}

// roomRow is a room with what was typed into its rename box.
type roomRow struct {
	scheduling.Room
	Value, Error string
}

// roomGroup is a location's rooms.
type roomGroup struct {
	Location practice.Location
	Rooms    []roomRow
}

type scheduleSetupPage struct {
	Page
	Types []typeRow
	// Editing is the type the form edits; nil when it adds one.
	Editing     *scheduling.Type
	TypeVersion int64
	TypeForm    Form
	Kinds       []choice
	RoomGroups  []roomGroup
	// RoomLocations are the active locations a room can be added to.
	RoomLocations []choice
	RoomForm      Form
	// RoomEditID and RoomEditForm carry a rename that failed.
	RoomEditID    int64
	RoomEditForm  Form
	PolicyForm    Form
	PolicyVersion int64
	Clinicians    []scheduling.Clinician
}

func kindLabel(k scheduling.Kind) string {
	for _, c := range scheduling.Kinds {
		if c.Kind == k {
			return c.Label
		}
	}
	return string(k)
}

func checked(b bool) string {
	if b {
		return "1"
	}
	return ""
}

// centsText shows cents as dollars for an input: 2500 → "25.00".
func centsText(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }

func typeForm(t scheduling.Type) Form {
	return Form{Values: map[string]string{
		"type_name": t.Name, "type_duration_minutes": strconv.Itoa(t.DurationMinutes), "type_service_code": t.ServiceCode,
		"type_color": t.Color, "type_kind": string(t.Kind), "type_capacity": strconv.Itoa(t.Capacity),
		"type_telehealth": checked(t.TelehealthAllowed), "type_online": checked(t.OnlineBookable), "type_active": checked(t.Active),
	}, Errors: map[string]string{}}
}

func schedulingPolicyForm(p scheduling.Policy) Form {
	hours := make([]string, len(p.ReminderHours))
	for i, h := range p.ReminderHours {
		hours[i] = strconv.Itoa(h)
	}
	return Form{Values: map[string]string{
		"late_cancel_hours": strconv.Itoa(p.LateCancelHours), "no_show_fee": centsText(p.NoShowFeeCents),
		"late_cancel_fee": centsText(p.LateCancelFeeCents), "reminder_hours": strings.Join(hours, ", "),
	}, Errors: map[string]string{}}
}

// failed puts a form's problems into the page's error summary too.
func (p *Page) failed(f Form) {
	p.Form = Form{Errors: f.Errors, Message: f.Message}
}

// renderScheduleSetup fills whatever the caller left empty and renders.
func (h *Handler) renderScheduleSetup(w http.ResponseWriter, r *http.Request, status int, p *scheduleSetupPage) {
	ctx, a := r.Context(), current(r).Actor
	types, err := h.Scheduling.Types(ctx, a)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	rooms, err := h.Scheduling.Rooms(ctx, a)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	locs, err := h.Practice.Locations(ctx, a)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if p.Clinicians, err = h.Scheduling.Clinicians(ctx, a); err != nil {
		h.Error(w, r, err)
		return
	}
	if p.PolicyForm.Values == nil {
		pol, err := h.Scheduling.Policy(ctx, a)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		p.PolicyForm, p.PolicyVersion = schedulingPolicyForm(pol), pol.Version
	}
	form := p.Form
	p.Page = h.base(w, r, "Scheduling setup")
	p.Form = form
	for _, t := range types {
		p.Types = append(p.Types, typeRow{Type: t, KindLabel: kindLabel(t.Kind)})
	}
	if p.TypeForm.Values == nil {
		p.TypeForm = typeForm(scheduling.Type{DurationMinutes: 53, Color: "#2f6f8f", Kind: scheduling.Individual, TelehealthAllowed: true})
		p.TypeForm.Values["type_capacity"] = ""
	}
	for _, k := range scheduling.Kinds {
		p.Kinds = append(p.Kinds, choice{Value: string(k.Kind), Label: k.Label, Checked: string(k.Kind) == p.TypeForm.Values["type_kind"]})
	}
	if p.RoomForm.Values == nil {
		p.RoomForm = Form{Values: map[string]string{}, Errors: map[string]string{}}
	}
	for _, l := range locs {
		g := roomGroup{Location: l}
		for _, rm := range rooms {
			if rm.LocationID != l.ID {
				continue
			}
			row := roomRow{Room: rm, Value: rm.Name}
			if rm.ID == p.RoomEditID {
				row.Value, row.Error = p.RoomEditForm.Values["name"], p.RoomEditForm.Errors[fmt.Sprintf("room_%d_name", rm.ID)]
			}
			g.Rooms = append(g.Rooms, row)
		}
		if l.Active || len(g.Rooms) > 0 {
			p.RoomGroups = append(p.RoomGroups, g)
		}
		if l.Active {
			p.RoomLocations = append(p.RoomLocations, choice{Value: strconv.FormatInt(l.ID, 10), Label: l.Name,
				Checked: strconv.FormatInt(l.ID, 10) == p.RoomForm.Values["room_location"]})
		}
	}
	h.render(w, r, status, "schedule_setup", p)
}

// ShowScheduleSetup shows appointment types, rooms, the policy and the
// clinicians whose availability can be edited.
func (h *Handler) ShowScheduleSetup(w http.ResponseWriter, r *http.Request) {
	h.renderScheduleSetup(w, r, http.StatusOK, &scheduleSetupPage{})
}

// findType returns the type with id from the current list.
func (h *Handler) findType(r *http.Request, id int64) (scheduling.Type, error) {
	types, err := h.Scheduling.Types(r.Context(), current(r).Actor)
	if err != nil {
		return scheduling.Type{}, err
	}
	for _, t := range types {
		if t.ID == id {
			return t, nil
		}
	}
	return scheduling.Type{}, apperr.NotFound("appointment type")
}

// EditAppointmentType shows the setup page with one type in the form.
func (h *Handler) EditAppointmentType(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var t scheduling.Type
	if err == nil {
		t, err = h.findType(r, id)
	}
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.renderScheduleSetup(w, r, http.StatusOK, &scheduleSetupPage{Editing: &t, TypeVersion: t.Version, TypeForm: typeForm(t)})
}

// wholeOr reads a whole number; empty is empty, anything else unreadable is
// bad (a value the service refuses with the field's own message).
func wholeOr(s string, empty, bad int) int {
	if s == "" {
		return empty
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return bad
	}
	return n
}

// SaveAppointmentType adds a type (POST /schedule/setup/types) or updates
// one (POST /schedule/setup/types/{id}) against the version the form showed.
func (h *Handler) SaveAppointmentType(w http.ResponseWriter, r *http.Request) {
	var id int64
	if r.PathValue("id") != "" {
		var err error
		if id, err = pathID(r); err != nil {
			h.Error(w, r, err)
			return
		}
	}
	f := newForm(r, "type_name", "type_duration_minutes", "type_service_code", "type_color", "type_kind", "type_capacity")
	for _, n := range []string{"type_telehealth", "type_online", "type_active"} {
		f.Values[n] = checked(r.PostFormValue(n) == "1")
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	t := scheduling.Type{ID: id, Name: f.Values["type_name"], DurationMinutes: wholeOr(f.Values["type_duration_minutes"], -1, -1),
		ServiceCode: f.Values["type_service_code"], Color: f.Values["type_color"], Kind: scheduling.Kind(f.Values["type_kind"]),
		Capacity: wholeOr(f.Values["type_capacity"], 0, -1), TelehealthAllowed: f.Values["type_telehealth"] == "1",
		OnlineBookable: f.Values["type_online"] == "1", Active: id == 0 || f.Values["type_active"] == "1", Version: version}
	_, err := h.Scheduling.SaveType(r.Context(), current(r).Actor, t)
	p := &scheduleSetupPage{TypeForm: f, TypeVersion: version}
	if id != 0 {
		p.Editing = &t
	}
	switch {
	case err == nil:
		msg := "Appointment type added."
		if id != 0 {
			msg = "Appointment type saved."
		}
		h.redirect(w, r, "/schedule/setup#types", msg)
	case apperr.Is(err, apperr.CodeInvalid):
		f.fail(err, "type_")
		p.TypeForm = f
		p.failed(f)
		h.renderScheduleSetup(w, r, http.StatusUnprocessableEntity, p)
	case apperr.Is(err, apperr.CodeConflict) && id != 0:
		cur, ferr := h.findType(r, id)
		if ferr != nil {
			h.Error(w, r, ferr)
			return
		}
		// Keep what was typed; the next save overwrites the other change.
		p.TypeVersion = cur.Version
		p.Form.Message = "Someone else changed this appointment type while you were editing. Your changes are below: check them against the list, then save again."
		h.renderScheduleSetup(w, r, http.StatusConflict, p)
	default:
		h.Error(w, r, err)
	}
}

// SaveScheduleRoom adds a room (POST /schedule/setup/rooms) or renames,
// retires or restores one (POST /schedule/setup/rooms/{id}).
func (h *Handler) SaveScheduleRoom(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), current(r).Actor
	if r.PathValue("id") == "" {
		f := newForm(r, "room_name", "room_location")
		loc, _ := strconv.ParseInt(f.Values["room_location"], 10, 64)
		if _, err := h.Scheduling.SaveRoom(ctx, a, scheduling.Room{LocationID: loc, Name: f.Values["room_name"]}); err != nil {
			if !apperr.Is(err, apperr.CodeInvalid) {
				h.Error(w, r, err)
				return
			}
			f.fail(err, "room_")
			p := &scheduleSetupPage{RoomForm: f}
			p.failed(f)
			h.renderScheduleSetup(w, r, http.StatusUnprocessableEntity, p)
			return
		}
		h.redirect(w, r, "/schedule/setup#rooms", "Room added.")
		return
	}
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, "name", "location", "active")
	loc, _ := strconv.ParseInt(f.Values["location"], 10, 64)
	active := f.Values["active"] == "1"
	if _, err := h.Scheduling.SaveRoom(ctx, a, scheduling.Room{ID: id, LocationID: loc, Name: f.Values["name"], Active: active}); err != nil {
		if !apperr.Is(err, apperr.CodeInvalid) {
			h.Error(w, r, err)
			return
		}
		f.fail(err, fmt.Sprintf("room_%d_", id))
		p := &scheduleSetupPage{RoomEditID: id, RoomEditForm: f}
		p.failed(f)
		h.renderScheduleSetup(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	msg := "Room saved."
	if r.PostFormValue("toggle") == "1" {
		msg = "Room retired. It can no longer be booked; restore it at any time."
		if active {
			msg = "Room restored."
		}
	}
	h.redirect(w, r, "/schedule/setup#rooms", msg)
}

// SaveSchedulingPolicy saves the late-cancellation window, the fees and the
// reminder times.
func (h *Handler) SaveSchedulingPolicy(w http.ResponseWriter, r *http.Request) {
	f := newForm(r, "late_cancel_hours", "no_show_fee", "late_cancel_fee", "reminder_hours")
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	in := scheduling.Policy{LateCancelHours: wholeOr(f.Values["late_cancel_hours"], -1, -1), NoShowFeeCents: parseCents(f.Values["no_show_fee"]),
		LateCancelFeeCents: parseCents(f.Values["late_cancel_fee"]), Version: version}
	hours, herr := scheduling.ParseHours(f.Values["reminder_hours"])
	in.ReminderHours = hours
	if herr != nil {
		in.ReminderHours = []int{0} // refused, so the other fields are checked too
	}
	ctx, a := r.Context(), current(r).Actor
	err := h.Scheduling.SavePolicy(ctx, a, in)
	p := &scheduleSetupPage{PolicyForm: f, PolicyVersion: version}
	switch {
	case err == nil:
		h.redirect(w, r, "/schedule/setup#policy", "Scheduling policy saved.")
	case apperr.Is(err, apperr.CodeInvalid):
		f.fail(err, "")
		if herr != nil {
			f.Errors["reminder_hours"] = apperr.As(herr).Fields["reminder_hours"]
		}
		p.PolicyForm = f
		p.failed(f)
		h.renderScheduleSetup(w, r, http.StatusUnprocessableEntity, p)
	case apperr.Is(err, apperr.CodeConflict):
		cur, perr := h.Scheduling.Policy(ctx, a)
		if perr != nil {
			h.Error(w, r, perr)
			return
		}
		p.PolicyVersion = cur.Version
		p.Form.Message = "Someone else changed the scheduling policy while you were editing. Your changes are below: check them, then save again."
		h.renderScheduleSetup(w, r, http.StatusConflict, p)
	default:
		h.Error(w, r, err)
	}
}

// windowRow is one row of the weekly template editor.
type windowRow struct {
	N                  int
	Start, End         string
	Days, Locations    []choice
	DayError, RowError string
}

// exceptionRow is time off or extra hours as listed.
type exceptionRow struct {
	ID                         int64
	Off                        bool
	From, To, Location, Reason string
}

type availabilityPage struct {
	Page
	Clinician scheduling.Clinician
	Self      bool
	CanEdit   bool
	Zone      string
	Rows      []windowRow
	RowCount  int
	// TemplateError is a problem with the template as a whole (overlaps).
	TemplateError string
	Exceptions    []exceptionRow
	ExForm        Form
	ExKinds       []choice
	ExLocations   []choice
}

// minWindowRows is how many rows the template editor offers at least; it
// always has three empty ones to add to.
const (
	minWindowRows = 7
	maxWindowRows = 50
)

func midnight(t time.Time) bool { return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 }

// clockText shows minutes after midnight as HH:MM; the end of the day is 00:00.
func clockText(m int) string { return fmt.Sprintf("%02d:%02d", m/60%24, m%60) }

// parseClock reads HH:MM as minutes after midnight.
func parseClock(s string) (int, bool) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

var weekdayOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

func dayChoices(selected string) []choice {
	out := make([]choice, len(weekdayOrder))
	for i, d := range weekdayOrder {
		v := strconv.Itoa(int(d))
		out[i] = choice{Value: v, Label: d.String(), Checked: v == selected}
	}
	return out
}

func locationChoices(locs []practice.Location, selected string) []choice {
	var out []choice
	for _, l := range locs {
		v := strconv.FormatInt(l.ID, 10)
		if !l.Active && v != selected {
			continue
		}
		label := l.Name
		if !l.Active {
			label += " (retired)"
		}
		out = append(out, choice{Value: v, Label: label, Checked: v == selected})
	}
	return out
}

// availabilityClinician finds the bookable person whose availability the path names.
func (h *Handler) availabilityClinician(r *http.Request) (scheduling.Clinician, error) {
	id, err := pathID(r)
	if err != nil {
		return scheduling.Clinician{}, err
	}
	list, err := h.Scheduling.Clinicians(r.Context(), current(r).Actor)
	if err != nil {
		return scheduling.Clinician{}, err
	}
	for _, c := range list {
		if c.ID == id {
			return c, nil
		}
	}
	return scheduling.Clinician{}, apperr.NotFound("clinician")
}

// renderAvailability shows a clinician's template and exceptions; rows and
// the exception form keep what was typed when given.
func (h *Handler) renderAvailability(w http.ResponseWriter, r *http.Request, status int, p *availabilityPage) {
	ctx, a := r.Context(), current(r).Actor
	c, err := h.availabilityClinician(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	av, err := h.Scheduling.AvailabilityOf(ctx, a, c.ID, h.Clock.Now())
	if err != nil {
		h.Error(w, r, err)
		return
	}
	loc, err := h.Scheduling.Zone(ctx)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	locs, err := h.Practice.Locations(ctx, a)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	form := p.Form
	name := c.Name
	if c.Credentials != "" {
		name += ", " + c.Credentials
	}
	p.Page = h.base(w, r, "Availability: "+name)
	p.Form, p.Clinician, p.Zone = form, c, loc.String()
	p.Self = a.UserID == c.ID
	p.CanEdit = h.Audit.Policy().Can(a, access.PermScheduleManage) || p.Self && h.Audit.Policy().Can(a, access.PermScheduleWrite)
	firstLoc := ""
	if lc := locationChoices(locs, ""); len(lc) > 0 {
		firstLoc = lc[0].Value
	}
	if p.Rows == nil {
		for i, win := range av.Windows {
			l := strconv.FormatInt(win.LocationID, 10)
			p.Rows = append(p.Rows, windowRow{N: i + 1, Start: clockText(win.StartMinute), End: clockText(win.EndMinute),
				Days: dayChoices(strconv.Itoa(int(win.Weekday))), Locations: locationChoices(locs, l)})
		}
		for n := len(p.Rows) + 1; n <= max(len(av.Windows)+3, minWindowRows); n++ {
			p.Rows = append(p.Rows, windowRow{N: n, Days: dayChoices(""), Locations: locationChoices(locs, firstLoc)})
		}
	}
	p.RowCount = len(p.Rows)
	for _, e := range av.Exceptions {
		from, to := e.Start.In(loc), e.End.In(loc)
		row := exceptionRow{ID: e.ID, Off: e.Kind == "off", From: from.Format("Mon 2 Jan 2006 15:04"), To: to.Format("Mon 2 Jan 2006 15:04"), Reason: e.Reason}
		if midnight(from) && midnight(to) {
			// Whole days: name the first and last day.
			row.From, row.To = from.Format("Mon 2 Jan 2006")+", all day", to.AddDate(0, 0, -1).Format("Mon 2 Jan 2006")+", all day"
		}
		for _, l := range locs {
			if l.ID == e.LocationID {
				row.Location = l.Name
			}
		}
		p.Exceptions = append(p.Exceptions, row)
	}
	if p.ExForm.Values == nil {
		p.ExForm = Form{Values: map[string]string{"ex_kind": "off"}, Errors: map[string]string{}}
	}
	p.ExKinds = []choice{{Value: "off", Label: "Time off", Checked: p.ExForm.Values["ex_kind"] != "extra"},
		{Value: "extra", Label: "Extra hours", Checked: p.ExForm.Values["ex_kind"] == "extra"}}
	p.ExLocations = locationChoices(locs, p.ExForm.Values["ex_location"])
	h.render(w, r, status, "availability", p)
}

// ShowAvailability shows a clinician's weekly template and exceptions.
// Anyone who books may look; the clinician and schedulers may change them.
func (h *Handler) ShowAvailability(w http.ResponseWriter, r *http.Request) {
	h.renderAvailability(w, r, http.StatusOK, &availabilityPage{})
}

func availabilityPath(id int64) string { return "/schedule/availability/" + strconv.FormatInt(id, 10) }

// SaveWeeklyTemplate replaces the clinician's weekly template with the
// filled rows of the editor. Rows left empty are dropped.
func (h *Handler) SaveWeeklyTemplate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	ctx, a := r.Context(), current(r).Actor
	locs, err := h.Practice.Locations(ctx, a)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	n := min(max(wholeOr(r.PostFormValue("rows"), 0, 0), 0), maxWindowRows)
	p := &availabilityPage{}
	f := Form{Values: map[string]string{}, Errors: map[string]string{}}
	var ws []scheduling.Window
	for i := 1; i <= n; i++ {
		key := func(s string) string { return fmt.Sprintf("w%d_%s", i, s) }
		day, l, start, end := r.PostFormValue(key("day")), r.PostFormValue(key("location")), r.PostFormValue(key("start")), r.PostFormValue(key("end"))
		row := windowRow{N: i, Start: start, End: end, Days: dayChoices(day), Locations: locationChoices(locs, l)}
		if day != "" || strings.TrimSpace(start) != "" || strings.TrimSpace(end) != "" {
			wd := wholeOr(day, -1, -1)
			from, okFrom := parseClock(start)
			to, okTo := parseClock(end)
			if to == 0 {
				to = 24 * 60 // 00:00 as an end is midnight
			}
			locID, _ := strconv.ParseInt(l, 10, 64)
			switch {
			case wd < 0 || wd > 6:
				row.DayError = "Choose a day."
				f.Errors[key("day")] = fmt.Sprintf("Row %d: choose a day.", i)
			case !okFrom || !okTo:
				row.RowError = "Give the start and end as HH:MM."
				f.Errors[key("start")] = fmt.Sprintf("Row %d: give the start and end as HH:MM.", i)
			case to <= from:
				row.RowError = "The end must be after the start."
				f.Errors[key("start")] = fmt.Sprintf("Row %d: the end must be after the start.", i)
			default:
				ws = append(ws, scheduling.Window{LocationID: locID, Weekday: time.Weekday(wd), StartMinute: from, EndMinute: to})
			}
		}
		p.Rows = append(p.Rows, row)
	}
	if len(f.Errors) == 0 {
		err = h.Scheduling.SetWeeklyTemplate(ctx, a, id, ws)
		if err == nil {
			h.redirect(w, r, availabilityPath(id), "Weekly hours saved.")
			return
		}
		if !apperr.Is(err, apperr.CodeInvalid) {
			h.Error(w, r, err)
			return
		}
		f.fail(err, "")
		p.TemplateError = f.Errors["windows"]
	}
	// Keep three empty rows to add to.
	for len(p.Rows) < n+3 && len(p.Rows) < maxWindowRows {
		p.Rows = append(p.Rows, windowRow{N: len(p.Rows) + 1, Days: dayChoices(""), Locations: locationChoices(locs, "")})
	}
	p.failed(f)
	h.renderAvailability(w, r, http.StatusUnprocessableEntity, p)
}

// AddAvailabilityException records time off or extra hours. Times are local
// to the practice; empty times mean whole days.
func (h *Handler) AddAvailabilityException(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	ctx, a := r.Context(), current(r).Actor
	f := newForm(r, "ex_kind", "ex_start_date", "ex_start_time", "ex_end_date", "ex_end_time", "ex_location", "ex_reason")
	loc, err := h.Scheduling.Zone(ctx)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	e := scheduling.Exception{ClinicianID: id, Kind: f.Values["ex_kind"], Reason: f.Values["ex_reason"]}
	e.LocationID, _ = strconv.ParseInt(f.Values["ex_location"], 10, 64)
	startTime, endDate, endTime := f.Values["ex_start_time"], f.Values["ex_end_date"], f.Values["ex_end_time"]
	if startTime == "" {
		startTime = "00:00"
	}
	if endDate == "" {
		endDate = f.Values["ex_start_date"]
	}
	wholeDay := endTime == ""
	if wholeDay {
		endTime = "00:00"
	}
	if e.Start, err = scheduling.LocalTime(f.Values["ex_start_date"], startTime, loc); err != nil {
		f.fail(err, "")
		f.moveError("start", "ex_start_date")
	}
	if e.End, err = scheduling.LocalTime(endDate, endTime, loc); err != nil {
		f.fail(err, "")
		f.moveError("start", "ex_end_date")
	} else if wholeDay {
		e.End = time.Date(e.End.Year(), e.End.Month(), e.End.Day()+1, 0, 0, 0, 0, loc)
	}
	if len(f.Errors) == 0 {
		_, err = h.Scheduling.AddException(ctx, a, e)
		if err == nil {
			msg := "Time off added."
			if e.Kind == "extra" {
				msg = "Extra hours added."
			}
			h.redirect(w, r, availabilityPath(id)+"#exceptions", msg)
			return
		}
		if !apperr.Is(err, apperr.CodeInvalid) {
			h.Error(w, r, err)
			return
		}
		f.fail(err, "ex_")
		f.moveError("ex_end", "ex_end_date")
	}
	p := &availabilityPage{ExForm: f}
	p.failed(f)
	h.renderAvailability(w, r, http.StatusUnprocessableEntity, p)
}

// RemoveAvailabilityException deletes time off or extra hours.
func (h *Handler) RemoveAvailabilityException(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var ex int64
	if err == nil {
		ex, err = strconv.ParseInt(r.PathValue("exception"), 10, 64)
		if err != nil {
			err = apperr.NotFound("exception")
		}
	}
	if err == nil {
		err = h.Scheduling.RemoveException(r.Context(), current(r).Actor, id, ex)
	}
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.redirect(w, r, availabilityPath(id)+"#exceptions", "Removed.")
}
