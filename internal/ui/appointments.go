package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/teambition/rrule-go"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/web"
	"github.com/mentalspace/mentalspace/internal/practice"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// apptFormFields are the booking form's single-value fields.
var apptFormFields = []string{"clinician", "mrns", "type", "location", "room", "video_url", "date", "time", "minutes",
	"repeat", "count", "until", "front_desk_note", "override_reason"}

// apptMaxClientChoices bounds the booking form's client list; MRNs reach the rest.
const apptMaxClientChoices = 100

type apptFormPage struct {
	Page
	Clinicians  []choice
	Clients     []choice
	MoreClients bool
	Types       []choice
	Locations   []choice
	Rooms       []choice
	Repeats     []choice
	Telehealth  bool
}

// apptFailInto copies err into f, renaming the service's field names to the
// form's. A refused start time keeps the service's explanation (a
// daylight-saving gap, say) as the summary's heading.
func apptFailInto(f *Form, err error, rename map[string]string) {
	f.fail(err, "")
	if e := apperr.As(err); e.Code == apperr.CodeInvalid && e.Fields["start"] != "" && f.Message == "" {
		f.Message = e.Message
	}
	for from, to := range rename {
		if msg, ok := f.Errors[from]; ok {
			delete(f.Errors, from)
			f.Errors[to] = msg
		}
	}
}

// apptBookingFields maps the service's field names to the booking form's.
var apptBookingFields = map[string]string{"start": "time", "rrule": "repeat", "clients": "client", "scope": "repeat"}

var apptRRuleDays = []rrule.Weekday{rrule.SU, rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA}

// apptNthWeekday is which of its weekdays in the month t falls on: 1 to 4, or
// -1 for a fifth, which is the month's last.
func apptNthWeekday(t time.Time) int {
	n := (t.Day()-1)/7 + 1
	if n == 5 {
		return -1
	}
	return n
}

func apptMonthlyLabel(t time.Time) string {
	n := apptNthWeekday(t)
	ord := map[int]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", -1: "last"}[n]
	return fmt.Sprintf("Every month on the %s %s", ord, t.Weekday())
}

// apptRuleText says in words how a series repeats, for the rules the
// booking form writes (rrule-go reads them); any other rule is shown as is.
func apptRuleText(rule string, loc *time.Location) string {
	opt, err := rrule.StrToROptionInLocation(rule, loc)
	if err != nil {
		return rule
	}
	var out string
	switch {
	case opt.Freq == rrule.WEEKLY && opt.Interval <= 1:
		out = "Every week"
	case opt.Freq == rrule.WEEKLY:
		out = fmt.Sprintf("Every %d weeks", opt.Interval)
	case opt.Freq == rrule.MONTHLY && len(opt.Byweekday) == 1 && opt.Interval <= 1:
		wd := opt.Byweekday[0]
		ord := map[int]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", -1: "last"}[wd.N()]
		out = fmt.Sprintf("Every month on the %s %s", ord, time.Weekday((wd.Day()+1)%7))
	case opt.Freq == rrule.MONTHLY && opt.Interval <= 1:
		out = "Every month"
	case opt.Freq == rrule.DAILY && opt.Interval <= 1:
		out = "Every day"
	default:
		return rule
	}
	switch {
	case opt.Count > 0:
		out += fmt.Sprintf(", %d sessions", opt.Count)
	case !opt.Until.IsZero():
		out += ", until " + opt.Until.In(loc).Format("Mon 2 Jan 2006")
	}
	return out
}

// apptRepeatRule builds the RFC 5545 rule for the form's repeat choice, from the
// first start (in the practice's zone). rrule-go writes it.
func apptRepeatRule(kind, count, until string, start time.Time) (string, map[string]string) {
	opt := rrule.ROption{}
	switch kind {
	case "", "none":
		return "", nil
	case "weekly":
		opt.Freq = rrule.WEEKLY
	case "biweekly":
		opt.Freq, opt.Interval = rrule.WEEKLY, 2
	case "monthly":
		opt.Freq = rrule.MONTHLY
		opt.Byweekday = []rrule.Weekday{apptRRuleDays[start.Weekday()].Nth(apptNthWeekday(start))}
	default:
		return "", map[string]string{"repeat": "Choose how the appointment repeats."}
	}
	switch {
	case count != "" && until != "":
		return "", map[string]string{"count": "Give a number of sessions or a last date, not both."}
	case count != "":
		n, err := strconv.Atoi(count)
		if err != nil || n < 2 || n > scheduling.MaxOccurrences {
			return "", map[string]string{"count": fmt.Sprintf("Give a number of sessions from 2 to %d.", scheduling.MaxOccurrences)}
		}
		opt.Count = n
	case until != "":
		d, err := time.ParseInLocation(time.DateOnly, until, start.Location())
		if err != nil || !d.After(start) {
			return "", map[string]string{"until": "Give a last date after the first appointment, as YYYY-MM-DD."}
		}
		opt.Until = time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, start.Location()).UTC()
	default:
		return "", map[string]string{"count": "Say how many sessions, or give the last date."}
	}
	return opt.RRuleString(), nil
}

// apptClinicianChoices lists whom a may book for: everyone for the front desk
// and administrators, themself for a clinician (the service enforces it).
func (h *Handler) apptClinicianChoices(r *http.Request, selected string) ([]choice, error) {
	a := current(r).Actor
	list, err := h.Scheduling.Clinicians(r.Context(), a)
	if err != nil {
		return nil, err
	}
	var out []choice
	for _, c := range list {
		id := strconv.FormatInt(c.ID, 10)
		if !booksForOthers(a) && c.ID != a.UserID && id != selected {
			continue
		}
		out = append(out, choice{Value: id, Label: calClinicianLabel(c), Checked: id == selected})
	}
	return out, nil
}

// apptPlaceChoices lists the active locations and rooms (and the chosen ones,
// even if no longer active).
func (h *Handler) apptPlaceChoices(r *http.Request, location, room string) (locs, rooms []choice, err error) {
	ctx, a := r.Context(), current(r).Actor
	ls, err := h.Practice.Locations(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	for _, l := range ls {
		id := strconv.FormatInt(l.ID, 10)
		if l.Active || id == location {
			locs = append(locs, choice{Value: id, Label: l.Name, Checked: id == location})
		}
	}
	rs, err := h.Scheduling.Rooms(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	for _, rm := range rs {
		id := strconv.FormatInt(rm.ID, 10)
		if rm.Active || id == room {
			rooms = append(rooms, choice{Value: id, Label: rm.LocationName + " — " + rm.Name, Checked: id == room})
		}
	}
	return locs, rooms, nil
}

func (h *Handler) renderApptForm(w http.ResponseWriter, r *http.Request, status int, f Form, clientIDs []int64, telehealth bool) {
	ctx, a := r.Context(), current(r).Actor
	v := f.Values
	p := &apptFormPage{Telehealth: telehealth}
	var err error
	if p.Clinicians, err = h.apptClinicianChoices(r, v["clinician"]); err != nil {
		h.Error(w, r, err)
		return
	}
	// The user's clients (a caseload, or the practice's first hundred for
	// the front desk); MRNs reach anyone else.
	found, err := h.Clients.Search(ctx, a, clients.SearchFilter{Limit: apptMaxClientChoices})
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p.MoreClients = len(found) == apptMaxClientChoices
	for _, id := range clientIDs {
		if slices.ContainsFunc(found, func(s clients.Summary) bool { return s.ID == id }) {
			continue
		}
		// A client chosen from their chart (?client=) who is not in the list.
		c, err := h.Clients.Get(ctx, a, id, clients.SectionDemographics)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		found = append([]clients.Summary{{ID: c.ID, MRN: c.MRN, FirstName: c.FirstName, LastName: c.LastName, PreferredName: c.PreferredName, BirthDate: c.BirthDate}}, found...)
	}
	for _, s := range found {
		p.Clients = append(p.Clients, choice{Value: strconv.FormatInt(s.ID, 10), Label: s.DisplayName() + " · " + s.MRN + " · born " + s.BirthDate,
			Checked: slices.Contains(clientIDs, s.ID)})
	}
	types, err := h.Scheduling.Types(ctx, a)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	for _, t := range types {
		id := strconv.FormatInt(t.ID, 10)
		if !t.Active && id != v["type"] {
			continue
		}
		label := fmt.Sprintf("%s · %d min", t.Name, t.DurationMinutes)
		if t.ServiceCode != "" {
			label += " · " + t.ServiceCode
		}
		if !t.TelehealthAllowed {
			label += " · in person only"
		}
		p.Types = append(p.Types, choice{Value: id, Label: label, Checked: id == v["type"]})
	}
	if p.Locations, p.Rooms, err = h.apptPlaceChoices(r, v["location"], v["room"]); err != nil {
		h.Error(w, r, err)
		return
	}
	monthly := "Every month on the same weekday (for example the 2nd Tuesday)"
	if loc, err := h.Scheduling.Zone(ctx); err == nil {
		if d, err := time.ParseInLocation(time.DateOnly, v["date"], loc); err == nil {
			monthly = apptMonthlyLabel(d)
		}
	}
	for _, c := range []choice{{"none", "Does not repeat", false}, {"weekly", "Every week", false}, {"biweekly", "Every 2 weeks", false}, {"monthly", monthly, false}} {
		c.Checked = c.Value == v["repeat"] || (v["repeat"] == "" && c.Value == "none")
		p.Repeats = append(p.Repeats, c)
	}
	p.Page = h.base(w, r, "New appointment")
	p.Form = f
	h.render(w, r, status, "appointment_form", p)
}

// NewAppointment shows the booking form, prefilled from the query string:
// the calendar's free slot (clinician, date, time, room) or a chart's
// "Schedule" link (client).
func (h *Handler) NewAppointment(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), current(r).Actor
	q := r.URL.Query()
	f := Form{Values: map[string]string{}, Errors: map[string]string{}}
	for _, k := range []string{"clinician", "date", "time", "location", "room", "type"} {
		f.Values[k] = strings.TrimSpace(q.Get(k))
	}
	loc, err := h.Scheduling.Zone(ctx)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if _, err := time.Parse(time.DateOnly, f.Values["date"]); err != nil {
		f.Values["date"] = h.Clock.Now().In(loc).Format(time.DateOnly)
	}
	if f.Values["clinician"] == "" && !booksForOthers(a) {
		f.Values["clinician"] = strconv.FormatInt(a.UserID, 10)
	}
	if f.Values["location"] == "" && f.Values["room"] == "" {
		locs, err := h.Practice.Locations(ctx, a)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		active := slices.DeleteFunc(locs, func(l practice.Location) bool { return !l.Active })
		if len(active) == 1 {
			f.Values["location"] = strconv.FormatInt(active[0].ID, 10)
		}
	}
	f.Values["repeat"] = "none"
	h.renderApptForm(w, r, http.StatusOK, f, calQueryIDs(q["client"]), false)
}

// apptClientsByMRN finds the clients a may book by MRN (separated by commas or
// spaces).
func (h *Handler) apptClientsByMRN(r *http.Request, mrns string) ([]int64, string) {
	var ids []int64
	for _, m := range strings.FieldsFunc(mrns, func(c rune) bool { return c == ',' || c == ' ' || c == ';' }) {
		found, err := h.Clients.Search(r.Context(), current(r).Actor, clients.SearchFilter{Query: m, Limit: 2})
		if err != nil || len(found) != 1 || !strings.EqualFold(strings.ReplaceAll(found[0].MRN, "-", ""), strings.ReplaceAll(m, "-", "")) {
			return nil, fmt.Sprintf("No client you may book has MRN %s. Check the number in the client search.", m)
		}
		ids = append(ids, found[0].ID)
	}
	return ids, ""
}

// CreateAppointment books from the form: one appointment or a series. A
// clash comes back as a form error with the input kept; warnings (outside
// availability) come with the flash.
func (h *Handler) CreateAppointment(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), current(r).Actor
	f := newForm(r, apptFormFields...)
	v := f.Values
	telehealth := r.PostFormValue("telehealth") == "1"
	clientIDs := formIDs(r.PostForm["client"])
	if len(clientIDs) > 0 {
		v["client"] = strconv.FormatInt(clientIDs[0], 10)
	}
	fail := func(status int) { h.renderApptForm(w, r, status, f, clientIDs, telehealth) }
	byMRN, msg := h.apptClientsByMRN(r, v["mrns"])
	if msg != "" {
		f.Errors["mrns"] = msg
	}
	ids := slices.Clone(clientIDs)
	for _, id := range byMRN {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	loc, err := h.Scheduling.Zone(ctx)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	start, err := scheduling.LocalTime(v["date"], v["time"], loc)
	if err != nil {
		apptFailInto(&f, err, apptBookingFields)
		fail(http.StatusUnprocessableEntity)
		return
	}
	rule, problems := apptRepeatRule(v["repeat"], v["count"], v["until"], start)
	for k, msg := range problems {
		f.Errors[k] = msg
	}
	minutes := 0
	if v["minutes"] != "" {
		if minutes, err = strconv.Atoi(v["minutes"]); err != nil || minutes <= 0 {
			f.Errors["minutes"] = "Give the length in minutes, or leave it empty for the type's usual length."
		}
	}
	if len(f.Errors) > 0 {
		fail(http.StatusUnprocessableEntity)
		return
	}
	b := scheduling.Booking{ClientIDs: ids, Telehealth: telehealth, VideoURL: v["video_url"], Start: start, Minutes: minutes, RRule: rule,
		FrontDeskNote: v["front_desk_note"], OverrideReason: v["override_reason"]}
	b.ClinicianID, _ = strconv.ParseInt(v["clinician"], 10, 64)
	b.TypeID, _ = strconv.ParseInt(v["type"], 10, 64)
	b.LocationID, _ = strconv.ParseInt(v["location"], 10, 64)
	b.RoomID, _ = strconv.ParseInt(v["room"], 10, 64)
	if b.RoomID != 0 && b.LocationID == 0 {
		// A room names its location.
		if rooms, err := h.Scheduling.Rooms(ctx, a); err == nil {
			if i := slices.IndexFunc(rooms, func(rm scheduling.Room) bool { return rm.ID == b.RoomID }); i >= 0 {
				b.LocationID = rooms[i].LocationID
				v["location"] = strconv.FormatInt(b.LocationID, 10)
			}
		}
	}
	booked, err := h.Scheduling.Book(ctx, a, b)
	if apperr.Is(err, apperr.CodeInvalid) || apperr.Is(err, apperr.CodeConflict) {
		apptFailInto(&f, err, apptBookingFields)
		status := http.StatusUnprocessableEntity
		if apperr.Is(err, apperr.CodeConflict) {
			status = http.StatusConflict
		}
		fail(status)
		return
	}
	if err != nil {
		h.Error(w, r, err)
		return
	}
	flash := "Appointment booked."
	if len(booked.IDs) > 1 {
		flash = fmt.Sprintf("Series booked: %d appointments.", len(booked.IDs))
	}
	if len(booked.Warnings) > 0 {
		flash += " Please note: " + strings.Join(booked.Warnings, " ")
	}
	h.redirect(w, r, "/appointments/"+strconv.FormatInt(booked.IDs[0], 10), flash)
}

// apptAction is a button (or, for changes that may charge the client, a
// link to a confirmation that previews the fee) on the appointment page.
type apptAction struct {
	To, Label, Hint, Href string
	Danger                bool
}

type apptHistoryRow struct {
	When, What, Who, Reason string
}

type apptAttendeeRow struct {
	ClientID   int64
	Name       string
	Hidden     bool
	Attendance string
	Options    []choice
}

type apptMatchRow struct {
	ID      int64
	Name    string
	Urgency chip
	Wants   string
	Note    string
	Offered bool
}

type apptPage struct {
	Page
	A          apptView
	When       string
	Zone       string
	Kind       string
	Rule       string
	Reason     string
	FeeNote    string
	NewHref    string
	History    []apptHistoryRow
	Actions    []apptAction
	CanWrite   bool
	CanMove    bool
	Group      bool
	CanAdd     bool
	Attendees  []apptAttendeeRow
	Matches    []apptMatchRow
	ShowMatch  bool
	Clinicians []choice
	Locations  []choice
	Rooms      []choice
	Telehealth bool
	Scopes     []choice
	// NoteLinks start the session's notes, for its clinician (UI.md: the
	// appointment is the hub).
	NoteLinks []apptNoteLink
	// Reminders are the appointment's reminders and their delivery
	// (reminder_prefs.go), shown to those who read the schedule.
	ShowReminders bool
	Reminders     []apptReminderRow
	// NotBillable marks a completed session still waiting for its final note.
	NotBillable bool
}

type apptNoteLink struct{ Href, Label string }

// apptMoveFields are the move form's single-value fields; the reschedule form
// uses new_date, new_time and reason.
var apptMoveFields = []string{"date", "time", "minutes", "clinician", "location", "room", "video_url", "front_desk_note", "scope", "override_reason", "version"}

var apptMoveRename = map[string]string{"start": "time"}

func apptStatusVerb(from, to scheduling.Status) string {
	switch to {
	case scheduling.Confirmed:
		return "Confirm"
	case scheduling.CheckedIn:
		if from == scheduling.InSession {
			return "Back to checked in"
		}
		return "Check in"
	case scheduling.InSession:
		if from == scheduling.Completed {
			return "Reopen session"
		}
		return "Start session"
	case scheduling.Completed:
		return "Complete"
	case scheduling.Scheduled:
		switch from {
		case scheduling.Confirmed:
			return "Mark unconfirmed"
		case scheduling.CheckedIn:
			return "Undo check-in"
		}
		return "Reinstate"
	}
	return to.Label()
}

// ShowAppointment is one appointment: details, status changes, reschedule
// and edit forms, attendance, history and, once its slot is freed, the
// waitlist clients who would take it.
func (h *Handler) ShowAppointment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.renderAppointment(w, r, http.StatusOK, id, Form{}, nil, false)
}

// renderAppointment shows appointment id. A form that failed comes back in f
// (with telehealth as posted); fresh puts the current version into it after a
// stale edit, so that saving again is deliberate.
func (h *Handler) renderAppointment(w http.ResponseWriter, r *http.Request, status int, id int64, f Form, telehealth *bool, fresh bool) {
	ctx, a := r.Context(), current(r).Actor
	ap, err := h.Scheduling.Get(ctx, a, id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	loc, err := h.Scheduling.Zone(ctx)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	pol := h.Audit.Policy()
	st, en := ap.Start.In(loc), ap.End.In(loc)
	p := &apptPage{A: newApptView(ap, loc), Zone: loc.String(), Reason: ap.StatusReason,
		When: fmt.Sprintf("%s, %s–%s (%d min)", st.Format("Monday 2 January 2006"), st.Format("15:04"), en.Format("15:04"), ap.Minutes()),
		// Clinicians change only their own appointments (the service says so too).
		CanWrite: pol.Can(a, access.PermScheduleWrite) && !ap.HiddenFromUser && (booksForOthers(a) || ap.ClinicianID == a.UserID)}
	p.CanMove = p.CanWrite && ap.Status.Open()
	for _, k := range scheduling.Kinds {
		if k.Kind == ap.Kind {
			p.Kind = k.Label
		}
	}
	if ap.SeriesID != 0 {
		p.Rule = apptRuleText(ap.RRule, loc)
	}
	if ap.RescheduledTo != 0 {
		p.NewHref = "/appointments/" + strconv.FormatInt(ap.RescheduledTo, 10)
	}
	switch {
	case ap.Status == scheduling.Cancelled && ap.LateCancel && ap.FeeCents > 0:
		p.FeeNote = "Late cancellation: a " + apptDollars(ap.FeeCents) + " fee was recorded."
	case ap.Status == scheduling.Cancelled && ap.LateCancel:
		p.FeeNote = "Late cancellation: the fee was waived."
	case ap.Status == scheduling.NoShow && ap.FeeCents > 0:
		p.FeeNote = "No-show: a " + apptDollars(ap.FeeCents) + " fee was recorded."
	}
	events, err := h.Scheduling.History(ctx, a, id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	for _, e := range events {
		row := apptHistoryRow{When: e.At.In(loc).Format("Mon 2 Jan 2006 15:04"), Who: e.UserName, Reason: e.Reason, What: "Booked"}
		if e.From != "" {
			row.What = e.From.Label() + " → " + e.To.Label()
		}
		if row.Who == "" {
			row.Who = "MentalSpace"
		}
		p.History = append(p.History, row)
	}

	if p.CanWrite {
		var clientFee, noShowFee int64
		var late bool
		for _, to := range ap.Status.Next() {
			switch to {
			case scheduling.Cancelled:
				if late, clientFee, err = h.Scheduling.FeePreview(ctx, ap, scheduling.Cancelled, "client"); err != nil {
					h.Error(w, r, err)
					return
				}
				hint := "No fee"
				if late && clientFee > 0 {
					hint = "Late: " + apptDollars(clientFee) + " fee"
				} else if late {
					hint = "Late, no fee"
				}
				base := "/appointments/" + strconv.FormatInt(id, 10) + "/status?to=cancelled&by="
				p.Actions = append(p.Actions, apptAction{To: string(to), Label: "Cancel: client cancelled…", Hint: hint, Href: base + "client", Danger: true},
					apptAction{To: string(to), Label: "Cancel: clinician cancelled…", Hint: "No fee", Href: base + "clinician", Danger: true})
			case scheduling.NoShow:
				if _, noShowFee, err = h.Scheduling.FeePreview(ctx, ap, scheduling.NoShow, ""); err != nil {
					h.Error(w, r, err)
					return
				}
				hint := "No fee"
				if noShowFee > 0 {
					hint = apptDollars(noShowFee) + " fee"
				}
				p.Actions = append(p.Actions, apptAction{To: string(to), Label: "No-show…", Hint: hint, Danger: true,
					Href: "/appointments/" + strconv.FormatInt(id, 10) + "/status?to=no_show"})
			default:
				p.Actions = append(p.Actions, apptAction{To: string(to), Label: apptStatusVerb(ap.Status, to)})
			}
		}
	}

	p.Group = ap.Kind == scheduling.Group || ap.Capacity > 1 || len(ap.Clients) > 1
	if p.Group {
		for _, c := range ap.Clients {
			row := apptAttendeeRow{ClientID: c.ClientID, Name: c.Name, Hidden: c.Hidden, Attendance: c.Attendance}
			if c.Hidden {
				row.Name = "A client not on your caseload"
			}
			for _, at := range scheduling.Attendances {
				row.Options = append(row.Options, choice{Value: at, Label: strings.ToUpper(at[:1]) + at[1:], Checked: at == c.Attendance})
			}
			p.Attendees = append(p.Attendees, row)
		}
		active := 0
		for _, c := range ap.Clients {
			if c.Attendance != "cancelled" {
				active++
			}
		}
		p.CanAdd = p.CanWrite && active < ap.Capacity && (ap.Status.Open() || ap.Status == scheduling.CheckedIn)
	}
	if err := h.apptReminders(r, p, ap, loc); err != nil {
		h.Error(w, r, err)
		return
	}

	// The clinician documents the session from here: a progress note once
	// the client has arrived, a missed-appointment note after a no-show.
	if ap.ClinicianID == a.UserID && h.Audit.Policy().Can(a, access.PermClinicalWrite) {
		switch ap.Status {
		case scheduling.CheckedIn, scheduling.InSession, scheduling.Completed, scheduling.NoShow:
			for _, c := range ap.Clients {
				if c.Hidden || c.Attendance == "cancelled" {
					continue
				}
				label := "Write note"
				if ap.Status == scheduling.NoShow {
					label = "Write missed-appointment note"
				}
				p.NoteLinks = append(p.NoteLinks, apptNoteLink{Label: label + " for " + c.Name,
					Href: "/notes/new?" + url.Values{"client": {strconv.FormatInt(c.ClientID, 10)}, "appointment": {strconv.FormatInt(id, 10)}}.Encode()})
			}
		}
	}

	if ap.Status == scheduling.Completed && h.Notes != nil {
		if p.NotBillable, err = h.Notes.BillingHold(ctx, a, id); err != nil {
			h.Error(w, r, err)
			return
		}
	}

	// A freed slot still ahead: who on the waitlist would take it.
	if p.CanWrite && (ap.Status == scheduling.Cancelled || ap.Status == scheduling.NoShow) && ap.Start.After(h.Clock.Now()) {
		p.ShowMatch = true
		matches, err := h.Scheduling.Matches(ctx, a, id)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		for _, m := range matches {
			p.Matches = append(p.Matches, apptMatchRow{ID: m.ID, Name: m.ClientName, Urgency: apptUrgencyChip(m.Urgency), Wants: apptWaitlistWants(m), Note: m.Note})
		}
	}

	if p.CanMove {
		if f.Values == nil {
			f = Form{Values: map[string]string{
				"date": st.Format(time.DateOnly), "time": st.Format("15:04"), "minutes": strconv.Itoa(ap.Minutes()),
				"clinician": strconv.FormatInt(ap.ClinicianID, 10), "location": idString(ap.LocationID), "room": idString(ap.RoomID),
				"video_url": ap.VideoURL, "front_desk_note": ap.FrontDeskNote, "scope": string(scheduling.ScopeOne),
				"new_date": st.Format(time.DateOnly), "new_time": st.Format("15:04"),
			}, Errors: map[string]string{}}
			p.Telehealth = ap.Telehealth
		} else if telehealth != nil {
			p.Telehealth = *telehealth
		} else {
			p.Telehealth = ap.Telehealth
		}
		if f.Values["version"] == "" || fresh {
			f.Values["version"] = strconv.FormatInt(ap.Version, 10)
		}
		if p.Clinicians, err = h.apptClinicianChoices(r, f.Values["clinician"]); err != nil {
			h.Error(w, r, err)
			return
		}
		if p.Locations, p.Rooms, err = h.apptPlaceChoices(r, f.Values["location"], f.Values["room"]); err != nil {
			h.Error(w, r, err)
			return
		}
		if ap.SeriesID != 0 {
			for _, s := range []choice{{string(scheduling.ScopeOne), "This appointment only", false},
				{string(scheduling.ScopeFollowing), "This and the following appointments", false},
				{string(scheduling.ScopeAll), "All open appointments of the series", false}} {
				s.Checked = s.Value == f.Values["scope"] || (f.Values["scope"] == "" && s.Value == string(scheduling.ScopeOne))
				p.Scopes = append(p.Scopes, s)
			}
		}
	}
	if f.Values == nil {
		f.Values = map[string]string{}
	}
	if f.Values["version"] == "" || fresh {
		f.Values["version"] = strconv.FormatInt(ap.Version, 10)
	}
	// The title names no client: titles stay in browser history.
	p.Page = h.base(w, r, "Appointment "+st.Format("2 Jan 15:04"))
	p.Form = f
	h.render(w, r, status, "appointment_show", p)
}

func apptUrgencyChip(u string) chip {
	switch u {
	case "urgent":
		return chip{"danger", "!", "Urgent"}
	case "soon":
		return chip{"warn", "◷", "Soon"}
	}
	return chip{"neutral", "–", "Routine"}
}

// apptWaitlistWants says when a waitlist entry wants to be seen.
func apptWaitlistWants(e scheduling.WaitlistEntry) string {
	var days []string
	for _, d := range e.Days {
		days = append(days, d.String()[:3])
	}
	hm := func(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }
	out := strings.Join(days, ", ") + " " + hm(e.EarliestMinute) + "–" + hm(e.LatestMinute)
	switch e.Modality {
	case "in_person":
		out += " · in person"
	case "telehealth":
		out += " · telehealth"
	}
	return out
}

// apptFailed shows the appointment again after a refused change: field
// problems and conflicts on the page, with the input kept; anything else as
// an error page.
func (h *Handler) apptFailed(w http.ResponseWriter, r *http.Request, id int64, err error, f Form, rename map[string]string, telehealth *bool) {
	switch {
	case apperr.Is(err, apperr.CodeInvalid):
		apptFailInto(&f, err, rename)
		h.renderAppointment(w, r, http.StatusUnprocessableEntity, id, f, telehealth, false)
	case apperr.Is(err, apperr.CodeConflict):
		apptFailInto(&f, err, rename)
		h.renderAppointment(w, r, http.StatusConflict, id, f, telehealth, true)
	default:
		h.Error(w, r, err)
	}
}

// apptReturn accepts only our own board and calendar as places to go back to.
func apptReturn(s string) string {
	if (strings.HasPrefix(s, "/today") || strings.HasPrefix(s, "/calendar")) && !strings.ContainsAny(s, "\\\r\n") && !strings.HasPrefix(s, "//") {
		return s
	}
	return ""
}

type apptStatusPage struct {
	Page
	A        apptView
	When     string
	To, By   string
	Heading  string
	Preview  string
	Charge   bool
	Button   string
	Scopes   []choice
	Return   string
	Required bool
}

// ShowStatusChange is the confirmation of a cancellation or no-show: it says
// what the change will charge before the user confirms (UI.md §1.8).
func (h *Handler) ShowStatusChange(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	q := r.URL.Query()
	f := Form{Values: map[string]string{"to": q.Get("to"), "cancelled_by": q.Get("by"), "scope": string(scheduling.ScopeOne), "return": apptReturn(q.Get("return"))},
		Errors: map[string]string{}}
	h.renderStatusChange(w, r, http.StatusOK, id, f)
}

func (h *Handler) renderStatusChange(w http.ResponseWriter, r *http.Request, status int, id int64, f Form) {
	ctx, a := r.Context(), current(r).Actor
	ap, err := h.Scheduling.Get(ctx, a, id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	loc, err := h.Scheduling.Zone(ctx)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	to, by := scheduling.Status(f.Values["to"]), f.Values["cancelled_by"]
	if (to != scheduling.Cancelled && to != scheduling.NoShow) || (to == scheduling.Cancelled && by != "client" && by != "clinician") {
		h.Error(w, r, apperr.NotFound("page"))
		return
	}
	if !scheduling.CanBecome(ap.Status, to) {
		h.Error(w, r, apperr.Conflict(fmt.Sprintf("A %s appointment cannot become %s.", strings.ToLower(ap.Status.Label()), strings.ToLower(to.Label()))))
		return
	}
	pol, err := h.Scheduling.Policy(ctx, a)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	late, fee, err := h.Scheduling.FeePreview(ctx, ap, to, by)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	st, en := ap.Start.In(loc), ap.End.In(loc)
	p := &apptStatusPage{A: newApptView(ap, loc), When: fmt.Sprintf("%s, %s–%s", st.Format("Monday 2 January 2006"), st.Format("15:04"), en.Format("15:04")),
		To: string(to), By: by, Charge: fee > 0, Return: f.Values["return"], Required: to == scheduling.Cancelled}
	switch {
	case to == scheduling.NoShow:
		p.Heading, p.Button = "Mark as no-show", "Mark no-show"
		p.Preview = "The practice charges no fee for a no-show: none will be recorded."
		if fee > 0 {
			p.Preview = "A no-show fee of " + apptDollars(fee) + " will be recorded. It is charged to the client and never billed to insurance."
			p.Button = "Mark no-show and record " + apptDollars(fee) + " fee"
		}
	case by == "clinician":
		p.Heading, p.Button = "Cancel: the clinician cancelled", "Cancel appointment"
		p.Preview = "A cancellation by the clinician never charges the client: no fee will be recorded."
	case late && fee > 0:
		p.Heading = "Cancel: the client cancelled"
		p.Preview = fmt.Sprintf("This is a late cancellation (less than %d hours ahead): a %s fee will be recorded.", pol.LateCancelHours, apptDollars(fee))
		p.Button = "Cancel appointment and record " + apptDollars(fee) + " fee"
	case late:
		p.Heading, p.Button = "Cancel: the client cancelled", "Cancel appointment"
		p.Preview = fmt.Sprintf("This is a late cancellation (less than %d hours ahead). The practice charges no fee for it.", pol.LateCancelHours)
	default:
		p.Heading, p.Button = "Cancel: the client cancelled", "Cancel appointment"
		p.Preview = fmt.Sprintf("Cancelled %d hours or more ahead: no fee will be recorded.", pol.LateCancelHours)
	}
	if to == scheduling.Cancelled && ap.SeriesID != 0 {
		for _, s := range []choice{{string(scheduling.ScopeOne), "This appointment only", false},
			{string(scheduling.ScopeFollowing), "This and the following appointments", false},
			{string(scheduling.ScopeAll), "All open appointments of the series", false}} {
			s.Checked = s.Value == f.Values["scope"] || (f.Values["scope"] == "" && s.Value == string(scheduling.ScopeOne))
			p.Scopes = append(p.Scopes, s)
		}
	}
	if f.Values["version"] == "" {
		f.Values["version"] = strconv.FormatInt(ap.Version, 10)
	}
	p.Page = h.base(w, r, p.Heading)
	p.Form = f
	h.render(w, r, status, "appointment_status", p)
}

// ChangeStatus moves an appointment along its lifecycle: the page's
// buttons, the confirmation of a cancellation or no-show, and the today
// board's one-click buttons (version 0: a repeated click changes nothing).
func (h *Handler) ChangeStatus(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, "to", "cancelled_by", "reason", "scope", "version", "return")
	v := f.Values
	v["return"] = apptReturn(v["return"])
	c := scheduling.StatusChange{To: scheduling.Status(v["to"]), Reason: v["reason"], CancelledBy: v["cancelled_by"],
		Scope: scheduling.Scope(v["scope"]), WaiveFee: r.PostFormValue("waive_fee") == "1"}
	c.Version, _ = strconv.ParseInt(v["version"], 10, 64)
	res, err := h.Scheduling.SetStatus(r.Context(), current(r).Actor, id, c)
	if err != nil {
		confirmed := c.To == scheduling.Cancelled || c.To == scheduling.NoShow
		if apperr.Is(err, apperr.CodeInvalid) && confirmed {
			f.fail(err, "")
			h.renderStatusChange(w, r, http.StatusUnprocessableEntity, id, f)
			return
		}
		h.apptFailed(w, r, id, err, Form{Values: map[string]string{}}, nil, nil)
		return
	}
	msg := "Status changed to " + strings.ToLower(c.To.Label()) + "."
	switch {
	case c.To == scheduling.CheckedIn:
		msg = "Checked in."
	case len(res.IDs) > 1:
		msg = fmt.Sprintf("%d appointments cancelled.", len(res.IDs))
	case c.To == scheduling.Cancelled:
		msg = "Appointment cancelled."
	case c.To == scheduling.NoShow:
		msg = "Marked as no-show."
	}
	if res.FeeCents > 0 {
		msg += " A " + apptDollars(res.FeeCents) + " fee was recorded."
	} else if res.LateCancel {
		msg += " Late cancellation recorded without a fee."
	}
	to := v["return"]
	if to == "" {
		to = "/appointments/" + strconv.FormatInt(id, 10)
	}
	h.redirect(w, r, to, msg)
}

// RescheduleAppointment books the appointment again at a new date and time
// and marks the original rescheduled.
func (h *Handler) RescheduleAppointment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	ctx := r.Context()
	f := newForm(r, "new_date", "new_time", "reason", "version")
	rename := map[string]string{"start": "new_time"}
	loc, err := h.Scheduling.Zone(ctx)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	start, err := scheduling.LocalTime(f.Values["new_date"], f.Values["new_time"], loc)
	if err != nil {
		h.apptFailed(w, r, id, err, f, rename, nil)
		return
	}
	version, _ := strconv.ParseInt(f.Values["version"], 10, 64)
	newID, err := h.Scheduling.Reschedule(ctx, current(r).Actor, id, start, version, f.Values["reason"])
	if err != nil {
		h.apptFailed(w, r, id, err, f, rename, nil)
		return
	}
	h.redirect(w, r, "/appointments/"+strconv.FormatInt(newID, 10), "Rescheduled to "+scheduling.When(start, loc)+". The original is kept as rescheduled.")
}

// MoveAppointment edits an appointment's time, length, clinician or place
// (for a series, this one, this and following, or all). The calendar's drag
// posts only what changed, asking for JSON; fields left out keep their
// values. A stale version is a conflict.
func (h *Handler) MoveAppointment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	ctx, a := r.Context(), current(r).Actor
	asJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
	f := newForm(r, apptMoveFields...)
	v := f.Values
	sent := func(k string) bool { _, ok := r.PostForm[k]; return ok }
	var telehealth *bool
	failed := func(err error) {
		if asJSON {
			web.JSONError(w, r, h.Log, err)
			return
		}
		h.apptFailed(w, r, id, err, f, apptMoveRename, telehealth)
	}
	ap, err := h.Scheduling.Get(ctx, a, id)
	if err != nil {
		failed(err)
		return
	}
	loc, err := h.Scheduling.Zone(ctx)
	if err != nil {
		failed(err)
		return
	}
	ch := scheduling.Change{Start: ap.Start, Minutes: ap.Minutes(), ClinicianID: ap.ClinicianID, LocationID: ap.LocationID, RoomID: ap.RoomID,
		Telehealth: ap.Telehealth, VideoURL: ap.VideoURL, FrontDeskNote: ap.FrontDeskNote, Scope: scheduling.Scope(v["scope"]),
		OverrideReason: v["override_reason"]}
	ch.Version, _ = strconv.ParseInt(v["version"], 10, 64)
	if sent("telehealth_shown") {
		t := r.PostFormValue("telehealth") == "1"
		ch.Telehealth, telehealth = t, &t
	}
	if sent("date") || sent("time") {
		st := ap.Start.In(loc)
		date, clock := st.Format(time.DateOnly), st.Format("15:04")
		if sent("date") {
			date = v["date"]
		}
		if sent("time") {
			clock = v["time"]
		}
		if ch.Start, err = scheduling.LocalTime(date, clock, loc); err != nil {
			failed(err)
			return
		}
	}
	if sent("minutes") {
		if ch.Minutes, err = strconv.Atoi(v["minutes"]); err != nil {
			failed(apperr.Invalid("Check the highlighted fields.", map[string]string{"minutes": "Give the length in minutes."}))
			return
		}
	}
	ids := map[string]*int64{"clinician": &ch.ClinicianID, "location": &ch.LocationID, "room": &ch.RoomID}
	for k, p := range ids {
		if sent(k) {
			*p, _ = strconv.ParseInt(v[k], 10, 64)
		}
	}
	if sent("video_url") {
		ch.VideoURL = v["video_url"]
	}
	if sent("front_desk_note") {
		ch.FrontDeskNote = v["front_desk_note"]
	}
	if ch.RoomID != 0 && ch.LocationID == 0 {
		if rooms, err := h.Scheduling.Rooms(ctx, a); err == nil {
			if i := slices.IndexFunc(rooms, func(rm scheduling.Room) bool { return rm.ID == ch.RoomID }); i >= 0 {
				ch.LocationID = rooms[i].LocationID
			}
		}
	}
	booked, err := h.Scheduling.Move(ctx, a, id, ch)
	if err != nil {
		failed(err)
		return
	}
	msg := "Appointment changed: now " + scheduling.When(ch.Start, loc) + "."
	if len(booked.IDs) > 1 {
		msg = fmt.Sprintf("%d appointments of the series changed.", len(booked.IDs))
	}
	if len(booked.Warnings) > 0 {
		msg += " Please note: " + strings.Join(booked.Warnings, " ")
	}
	if asJSON {
		h.flash(w, msg) // the calendar reloads and shows it
		web.JSON(w, http.StatusOK, map[string]any{"ok": true, "message": msg, "warnings": booked.Warnings})
		return
	}
	h.redirect(w, r, "/appointments/"+strconv.FormatInt(id, 10), msg)
}

// SetAttendance records one client's attendance at a group appointment.
func (h *Handler) SetAttendance(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	clientID, _ := strconv.ParseInt(r.PostFormValue("client_id"), 10, 64)
	if err := h.Scheduling.SetAttendance(r.Context(), current(r).Actor, id, clientID, r.PostFormValue("attendance")); err != nil {
		h.apptFailed(w, r, id, err, Form{Values: map[string]string{}}, nil, nil)
		return
	}
	h.redirect(w, r, "/appointments/"+strconv.FormatInt(id, 10), "Attendance saved.")
}

// AddAttendee adds a client, by MRN, to a group appointment with room left.
func (h *Handler) AddAttendee(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, "attendee_mrn", "attendee_override")
	ids, msg := h.apptClientsByMRN(r, f.Values["attendee_mrn"])
	if msg == "" && len(ids) != 1 {
		msg = "Give the MRN of one client."
	}
	if msg != "" {
		h.apptFailed(w, r, id, apperr.Invalid(msg, map[string]string{"attendee_mrn": msg}), f, nil, nil)
		return
	}
	if err := h.Scheduling.AddAttendee(r.Context(), current(r).Actor, id, ids[0], f.Values["attendee_override"]); err != nil {
		h.apptFailed(w, r, id, err, f, map[string]string{"start": "attendee_mrn"}, nil)
		return
	}
	h.redirect(w, r, "/appointments/"+strconv.FormatInt(id, 10), "Client added to the appointment.")
}

// OfferSlot offers the freed slot of a cancelled appointment to a waitlist
// client; the client accepts by phone or through the portal.
func (h *Handler) OfferSlot(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	wl, _ := strconv.ParseInt(r.PostFormValue("waitlist_id"), 10, 64)
	if _, err := h.Scheduling.Offer(r.Context(), current(r).Actor, wl, id); err != nil {
		h.apptFailed(w, r, id, err, Form{Values: map[string]string{}}, nil, nil)
		return
	}
	h.redirect(w, r, "/appointments/"+strconv.FormatInt(id, 10), "The slot was offered. The waitlist entry is marked as offered until the client answers.")
}

// chartPastLimit bounds the chart's list of past appointments.
const chartPastLimit = 20

// chartAppointments fills the chart's Appointments section: upcoming
// soonest first, then the latest past ones, with a Schedule link for those
// who book.
func (h *Handler) chartAppointments(r *http.Request, p *chartPage, clientID int64) error {
	ctx, a := r.Context(), current(r).Actor
	pol := h.Audit.Policy()
	if !pol.Can(a, access.PermScheduleRead) {
		return nil
	}
	p.SeesAppointments, p.CanSchedule = true, pol.Can(a, access.PermScheduleWrite)
	aps, err := h.Scheduling.ClientAppointments(ctx, a, clientID)
	if err != nil {
		return err
	}
	loc, err := h.Scheduling.Zone(ctx)
	if err != nil {
		return err
	}
	now := h.Clock.Now()
	for _, ap := range aps { // newest first
		v := newApptView(ap, loc)
		if ap.End.After(now) {
			p.Upcoming = append([]apptView{v}, p.Upcoming...)
		} else if len(p.Past) < chartPastLimit {
			p.Past = append(p.Past, v)
		}
	}
	return nil
}
