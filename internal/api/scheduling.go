package api

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/web"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// The calendar: appointment types, rooms, clinicians' availability,
// appointments and the waitlist. Instants travel as RFC 3339; output is in
// UTC, with the start also given in the practice's time zone (local_start),
// which is the zone recurring series and availability windows follow.
// Availability windows and waitlist times are wall-clock times ("09:00") in
// that zone. Lists here are short (one calendar range, one practice's setup)
// and come as one page.

// Appointment types.

// AppointmentType is a kind of appointment the practice books.
type AppointmentType struct {
	ID                int64  `json:"id"`
	Name              string `json:"name"`
	DurationMinutes   int    `json:"duration_minutes"`
	ServiceCode       string `json:"service_code"`
	Color             string `json:"color"`
	Kind              string `json:"kind"`
	Capacity          int    `json:"capacity"`
	TelehealthAllowed bool   `json:"telehealth_allowed"`
	OnlineBookable    bool   `json:"online_bookable"`
	Active            bool   `json:"active"`
	Version           int64  `json:"version"`
}

func typeJSON(t scheduling.Type) AppointmentType {
	return AppointmentType{ID: t.ID, Name: t.Name, DurationMinutes: t.DurationMinutes, ServiceCode: t.ServiceCode, Color: t.Color,
		Kind: string(t.Kind), Capacity: t.Capacity, TelehealthAllowed: t.TelehealthAllowed, OnlineBookable: t.OnlineBookable,
		Active: t.Active, Version: t.Version}
}

// AppointmentTypeInput is the body of POST /appointment-types, and with a
// version of PUT /appointment-types/{id}. telehealth_allowed and active
// default to true; capacity 0 takes the kind's default.
type AppointmentTypeInput struct {
	Name              string `json:"name"`
	DurationMinutes   int    `json:"duration_minutes"`
	ServiceCode       string `json:"service_code"`
	Color             string `json:"color"`
	Kind              string `json:"kind"`
	Capacity          int    `json:"capacity"`
	TelehealthAllowed *bool  `json:"telehealth_allowed"`
	OnlineBookable    bool   `json:"online_bookable"`
	Active            *bool  `json:"active"`
	Version           int64  `json:"version"`
}

func (in AppointmentTypeInput) version() int64 { return in.Version }

func (in AppointmentTypeInput) appointmentType(id int64) scheduling.Type {
	return scheduling.Type{ID: id, Name: in.Name, DurationMinutes: in.DurationMinutes, ServiceCode: in.ServiceCode, Color: in.Color,
		Kind: scheduling.Kind(in.Kind), Capacity: in.Capacity, TelehealthAllowed: boolOr(in.TelehealthAllowed, true),
		OnlineBookable: in.OnlineBookable, Active: boolOr(in.Active, true), Version: in.Version}
}

// ListAppointmentTypes lists the appointment types, active first.
func (h *Handler) ListAppointmentTypes(w http.ResponseWriter, r *http.Request) {
	ts, err := h.Scheduling.Types(r.Context(), actor(r))
	respondList(h, w, r, ts, err, typeJSON)
}

// CreateAppointmentType adds an appointment type.
func (h *Handler) CreateAppointmentType(w http.ResponseWriter, r *http.Request) { h.saveType(w, r, 0) }

// UpdateAppointmentType replaces an appointment type if the version still
// matches.
func (h *Handler) UpdateAppointmentType(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "appointment type")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.saveType(w, r, id)
}

// saveType saves the body as appointment type id, or as a new type when id
// is 0, and answers with the type as stored.
func (h *Handler) saveType(w http.ResponseWriter, r *http.Request, id int64) {
	in, err := decodeVersioned[AppointmentTypeInput](r, "appointment type", id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a := actor(r)
	saved, err := h.Scheduling.SaveType(r.Context(), a, in.appointmentType(id))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The service has no read of one type; the list is a practice's few.
	ts, err := h.Scheduling.Types(r.Context(), a)
	t, err := find(ts, err, "appointment type", func(t scheduling.Type) bool { return t.ID == saved })
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if id == 0 {
		setLocation(w, "/api/v1/appointment-types/", saved)
	}
	web.JSON(w, savedStatus(id), typeJSON(t))
}

// Rooms.

// Room is a bookable room at a location.
type Room struct {
	ID           int64  `json:"id"`
	LocationID   int64  `json:"location_id"`
	LocationName string `json:"location_name"`
	Name         string `json:"name"`
	Active       bool   `json:"active"`
}

// ListRooms lists the rooms by location and name.
func (h *Handler) ListRooms(w http.ResponseWriter, r *http.Request) {
	rs, err := h.Scheduling.Rooms(r.Context(), actor(r))
	respondList(h, w, r, rs, err, func(rm scheduling.Room) Room { return Room(rm) })
}

// Availability.

// Window is a weekly availability window in the practice's time zone.
type Window struct {
	ID         int64  `json:"id,omitempty"`
	LocationID int64  `json:"location_id"`
	Weekday    int    `json:"weekday"`
	Start      string `json:"start"`
	End        string `json:"end"`
}

// Exception is time off or extra hours outside the weekly template.
type Exception struct {
	ID          int64     `json:"id"`
	ClinicianID int64     `json:"clinician_id"`
	LocationID  int64     `json:"location_id"`
	Kind        string    `json:"kind"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Reason      string    `json:"reason"`
}

func exceptionJSON(e scheduling.Exception) Exception {
	return Exception{ID: e.ID, ClinicianID: e.ClinicianID, LocationID: e.LocationID, Kind: e.Kind, Start: e.Start.UTC(), End: e.End.UTC(), Reason: e.Reason}
}

// Availability is a clinician's weekly template and exceptions.
type Availability struct {
	ClinicianID int64       `json:"clinician_id"`
	TimeZone    string      `json:"time_zone"`
	Windows     []Window    `json:"windows"`
	Exceptions  []Exception `json:"exceptions"`
}

// wallClock writes minutes after midnight as "15:04"; 1440 is "24:00".
func wallClock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// parseWallClock reads "HH:MM" (00:00 to 24:00) as minutes after midnight.
func parseWallClock(s string) (int, bool) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || len(hh) != 2 || len(mm) != 2 || err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h*60+m > 1440 {
		return 0, false
	}
	return h*60 + m, true
}

// parseTime reads an RFC 3339 instant for field, collecting a problem in bad.
func parseTime(field, v string, bad map[string]string) time.Time {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
	if err != nil {
		bad[field] = "use RFC 3339, such as 2026-01-31T15:00:00Z"
	}
	return t
}

func invalidIf(bad map[string]string) error {
	if len(bad) > 0 {
		return apperr.Invalid("Check the highlighted fields.", bad)
	}
	return nil
}

// GetAvailability returns a clinician's weekly template and their
// exceptions (those ending after ?since=, every one without it).
func (h *Handler) GetAvailability(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "clinician")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var since time.Time
	bad := map[string]string{}
	if v := r.URL.Query().Get("since"); v != "" {
		since = parseTime("since", v, bad)
	}
	if err := invalidIf(bad); err != nil {
		h.fail(w, r, err)
		return
	}
	h.answerAvailability(w, r, id, since, http.StatusOK)
}

func (h *Handler) answerAvailability(w http.ResponseWriter, r *http.Request, clinicianID int64, since time.Time, status int) {
	av, err := h.Scheduling.AvailabilityOf(r.Context(), actor(r), clinicianID, since)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	loc, err := h.Scheduling.Zone(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := Availability{ClinicianID: clinicianID, TimeZone: loc.String(), Windows: make([]Window, len(av.Windows)), Exceptions: make([]Exception, len(av.Exceptions))}
	for i, wd := range av.Windows {
		out.Windows[i] = Window{ID: wd.ID, LocationID: wd.LocationID, Weekday: int(wd.Weekday), Start: wallClock(wd.StartMinute), End: wallClock(wd.EndMinute)}
	}
	for i, e := range av.Exceptions {
		out.Exceptions[i] = exceptionJSON(e)
	}
	web.JSON(w, status, out)
}

// WeeklyTemplate is the body of PUT /clinicians/{id}/availability: the
// whole template, which replaces the old one.
type WeeklyTemplate struct {
	Windows []Window `json:"windows"`
}

// SetAvailability replaces a clinician's weekly template: an administrator's
// for anyone, a clinician's for themself.
func (h *Handler) SetAvailability(w http.ResponseWriter, r *http.Request) {
	var in WeeklyTemplate
	id, err := idAndBody(r, "id", "clinician", &in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ws := make([]scheduling.Window, len(in.Windows))
	for i, wd := range in.Windows {
		from, ok1 := parseWallClock(wd.Start)
		to, ok2 := parseWallClock(wd.End)
		if !ok1 || !ok2 || wd.Weekday < 0 || wd.Weekday > 6 {
			h.fail(w, r, apperr.Invalid("Check the highlighted fields.", map[string]string{"windows": fmt.Sprintf(
				"Window %d: give weekday as 0 (Sunday) to 6 and start and end as HH:MM.", i+1)}))
			return
		}
		ws[i] = scheduling.Window{LocationID: wd.LocationID, Weekday: time.Weekday(wd.Weekday), StartMinute: from, EndMinute: to}
	}
	if err := h.Scheduling.SetWeeklyTemplate(r.Context(), actor(r), id, ws); err != nil {
		h.fail(w, r, err)
		return
	}
	h.answerAvailability(w, r, id, time.Time{}, http.StatusOK)
}

// ExceptionInput is the body of POST /clinicians/{id}/availability/exceptions.
type ExceptionInput struct {
	LocationID int64  `json:"location_id"`
	Kind       string `json:"kind"`
	Start      string `json:"start"`
	End        string `json:"end"`
	Reason     string `json:"reason"`
}

// AddException records a clinician's time off or extra hours.
func (h *Handler) AddException(w http.ResponseWriter, r *http.Request) {
	var in ExceptionInput
	id, err := idAndBody(r, "id", "clinician", &in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	bad := map[string]string{}
	e := scheduling.Exception{ClinicianID: id, LocationID: in.LocationID, Kind: in.Kind, Reason: in.Reason,
		Start: parseTime("start", in.Start, bad), End: parseTime("end", in.End, bad)}
	if err := invalidIf(bad); err != nil {
		h.fail(w, r, err)
		return
	}
	a := actor(r)
	if e.ID, err = h.Scheduling.AddException(r.Context(), a, e); err != nil {
		h.fail(w, r, err)
		return
	}
	// Read it back as stored (the reason trimmed).
	av, err := h.Scheduling.AvailabilityOf(r.Context(), a, id, e.Start)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if i := slices.IndexFunc(av.Exceptions, func(x scheduling.Exception) bool { return x.ID == e.ID }); i >= 0 {
		e = av.Exceptions[i]
	}
	web.JSON(w, http.StatusCreated, exceptionJSON(e))
}

// Appointments.

// Attendee is one client of an appointment. Name and initials are empty, and
// hidden true, for a client the token's user may not see.
type Attendee struct {
	ClientID   int64  `json:"client_id"`
	Attendance string `json:"attendance"`
	Name       string `json:"name"`
	Initials   string `json:"initials"`
	Hidden     bool   `json:"hidden"`
}

// Appointment is one appointment (an occurrence of a series is one too).
type Appointment struct {
	ID             int64      `json:"id"`
	SeriesID       int64      `json:"series_id"`
	RRule          string     `json:"rrule"`
	ClinicianID    int64      `json:"clinician_id"`
	ClinicianName  string     `json:"clinician_name"`
	TypeID         int64      `json:"type_id"`
	TypeName       string     `json:"type_name"`
	Kind           string     `json:"kind"`
	ServiceCode    string     `json:"service_code"`
	Color          string     `json:"color"`
	LocationID     int64      `json:"location_id"`
	LocationName   string     `json:"location_name"`
	RoomID         int64      `json:"room_id"`
	RoomName       string     `json:"room_name"`
	Telehealth     bool       `json:"telehealth"`
	VideoURL       string     `json:"video_url"`
	Start          time.Time  `json:"start"`
	End            time.Time  `json:"end"`
	LocalStart     string     `json:"local_start"`
	TimeZone       string     `json:"time_zone"`
	Minutes        int        `json:"minutes"`
	Status         string     `json:"status"`
	CancelledBy    string     `json:"cancelled_by"`
	LateCancel     bool       `json:"late_cancel"`
	FeeCents       int64      `json:"fee_cents"`
	StatusReason   string     `json:"status_reason"`
	RescheduledTo  int64      `json:"rescheduled_to"`
	CheckedInAt    *time.Time `json:"checked_in_at"`
	CheckedOutAt   *time.Time `json:"checked_out_at"`
	Capacity       int        `json:"capacity"`
	FrontDeskNote  string     `json:"front_desk_note"`
	OverrideReason string     `json:"override_reason"`
	Clients        []Attendee `json:"clients"`
	Hidden         bool       `json:"hidden"`
	Version        int64      `json:"version"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func appointmentJSON(ap scheduling.Appointment, loc *time.Location) Appointment {
	cs := make([]Attendee, len(ap.Clients))
	for i, c := range ap.Clients {
		cs[i] = Attendee(c)
	}
	return Appointment{ID: ap.ID, SeriesID: ap.SeriesID, RRule: ap.RRule, ClinicianID: ap.ClinicianID, ClinicianName: ap.ClinicianName,
		TypeID: ap.TypeID, TypeName: ap.TypeName, Kind: string(ap.Kind), ServiceCode: ap.ServiceCode, Color: ap.TypeColor,
		LocationID: ap.LocationID, LocationName: ap.LocationName, RoomID: ap.RoomID, RoomName: ap.RoomName, Telehealth: ap.Telehealth,
		VideoURL: ap.VideoURL, Start: ap.Start.UTC(), End: ap.End.UTC(), LocalStart: ap.Start.In(loc).Format(time.RFC3339), TimeZone: loc.String(),
		Minutes: ap.Minutes(), Status: string(ap.Status), CancelledBy: ap.CancelledBy, LateCancel: ap.LateCancel, FeeCents: ap.FeeCents,
		StatusReason: ap.StatusReason, RescheduledTo: ap.RescheduledTo, CheckedInAt: optionalTime(ap.CheckedInAt),
		CheckedOutAt: optionalTime(ap.CheckedOutAt), Capacity: ap.Capacity, FrontDeskNote: ap.FrontDeskNote, OverrideReason: ap.OverlapReason,
		Clients: cs, Hidden: ap.HiddenFromUser, Version: ap.Version, CreatedAt: ap.CreatedAt.UTC(), UpdatedAt: ap.UpdatedAt.UTC()}
}

// AppointmentResult is what a booking or a change answers: the appointment
// asked about as it now is (for a booking the first one booked, for a
// reschedule the new one), every appointment the change touched, and the
// warnings staff may book through (outside availability).
type AppointmentResult struct {
	Appointment Appointment `json:"appointment"`
	IDs         []int64     `json:"ids"`
	SeriesID    int64       `json:"series_id"`
	Warnings    []string    `json:"warnings"`
}

// appointment reads one appointment as the API shows it.
func (h *Handler) appointment(r *http.Request, id int64) (Appointment, error) {
	ctx := r.Context()
	ap, err := h.Scheduling.Get(ctx, actor(r), id)
	if err != nil {
		return Appointment{}, err
	}
	loc, err := h.Scheduling.Zone(ctx)
	if err != nil {
		return Appointment{}, err
	}
	return appointmentJSON(ap, loc), nil
}

func (h *Handler) answerAppointment(w http.ResponseWriter, r *http.Request, id int64, res AppointmentResult, status int) {
	ap, err := h.appointment(r, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res.Appointment = ap
	res.IDs, res.Warnings = nonNil(res.IDs), nonNil(res.Warnings)
	if status == http.StatusCreated {
		setLocation(w, "/api/v1/appointments/", id)
	}
	web.JSON(w, status, res)
}

// queryIDs reads every value of the query parameter name as an id.
func queryIDs(r *http.Request, name string, bad map[string]string) []int64 {
	var out []int64
	for _, v := range r.URL.Query()[name] {
		for _, part := range strings.Split(v, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil || id <= 0 {
				bad[name] = "not an id"
				continue
			}
			out = append(out, id)
		}
	}
	return out
}

// ListAppointments lists appointments overlapping [from, to): on the
// calendar, for some clinicians, rooms or a location (a range of up to six
// weeks); or one client's (client_id, any range). Clients the token's user
// may not see are hidden.
func (h *Handler) ListAppointments(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	bad := map[string]string{}
	var rg scheduling.Range
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &rg.From}, {"to", &rg.To}} {
		if v := q.Get(p.name); v == "" {
			bad[p.name] = "required"
		} else {
			*p.dst = parseTime(p.name, v, bad)
		}
	}
	rg.ClinicianIDs, rg.RoomIDs = queryIDs(r, "clinician_id", bad), queryIDs(r, "room_id", bad)
	clientIDs, locationIDs := queryIDs(r, "client_id", bad), queryIDs(r, "location_id", bad)
	if len(clientIDs) > 1 {
		bad["client_id"] = "one client at a time"
	}
	if len(locationIDs) > 1 {
		bad["location_id"] = "one location at a time"
	} else if len(locationIDs) == 1 {
		rg.LocationID = locationIDs[0]
	}
	switch v := q.Get("include_cancelled"); v {
	case "", "false":
	case "true":
		rg.IncludeCancelled = true
	default:
		bad["include_cancelled"] = "true or false"
	}
	if len(bad) > 0 {
		h.fail(w, r, apperr.Invalid("Some query parameters are not valid.", bad))
		return
	}
	ctx, a := r.Context(), actor(r)
	var aps []scheduling.Appointment
	var err error
	if len(clientIDs) == 1 {
		if !rg.To.After(rg.From) {
			h.fail(w, r, apperr.Invalid("Some query parameters are not valid.", map[string]string{"to": "must be after from"}))
			return
		}
		aps, err = h.Scheduling.ClientAppointments(ctx, a, clientIDs[0])
		aps = slices.DeleteFunc(aps, func(ap scheduling.Appointment) bool { return !inRange(ap, rg) })
		slices.SortStableFunc(aps, func(x, y scheduling.Appointment) int {
			return cmp.Or(x.Start.Compare(y.Start), cmp.Compare(x.ClinicianID, y.ClinicianID), cmp.Compare(x.ID, y.ID))
		})
	} else {
		aps, err = h.Scheduling.Calendar(ctx, a, rg)
	}
	if err != nil {
		h.fail(w, r, renameFields(err, map[string]string{"range": "to"}))
		return
	}
	loc, err := h.Scheduling.Zone(ctx)
	respondList(h, w, r, aps, err, func(ap scheduling.Appointment) Appointment { return appointmentJSON(ap, loc) })
}

// inRange applies a calendar range's filters to one client's appointment.
func inRange(ap scheduling.Appointment, rg scheduling.Range) bool {
	switch {
	case !ap.Start.Before(rg.To) || !ap.End.After(rg.From):
		return false
	case len(rg.ClinicianIDs) > 0 && !slices.Contains(rg.ClinicianIDs, ap.ClinicianID):
		return false
	case len(rg.RoomIDs) > 0 && !slices.Contains(rg.RoomIDs, ap.RoomID):
		return false
	case rg.LocationID != 0 && ap.LocationID != rg.LocationID:
		return false
	}
	return rg.IncludeCancelled || ap.Status.Blocks()
}

// GetAppointment returns one appointment; the read is audited per client.
func (h *Handler) GetAppointment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "appointment")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ap, err := h.appointment(r, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, ap)
}

// NewAppointment is the body of POST /appointments: one appointment, or a
// series when rrule is set.
type NewAppointment struct {
	ClinicianID    int64   `json:"clinician_id"`
	ClientIDs      []int64 `json:"client_ids"`
	TypeID         int64   `json:"type_id"`
	LocationID     int64   `json:"location_id"`
	RoomID         int64   `json:"room_id"`
	Telehealth     bool    `json:"telehealth"`
	VideoURL       string  `json:"video_url"`
	Start          string  `json:"start"`
	Minutes        int     `json:"minutes"`
	RRule          string  `json:"rrule"`
	FrontDeskNote  string  `json:"front_desk_note"`
	OverrideReason string  `json:"override_reason"`
}

// BookAppointment books one appointment or a recurring series, all or
// nothing: 409 naming the clashes when any occurrence would double-book.
func (h *Handler) BookAppointment(w http.ResponseWriter, r *http.Request) {
	var in NewAppointment
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	bad := map[string]string{}
	start := parseTime("start", in.Start, bad)
	if err := invalidIf(bad); err != nil {
		h.fail(w, r, err)
		return
	}
	b, err := h.Scheduling.Book(r.Context(), actor(r), scheduling.Booking{ClinicianID: in.ClinicianID, ClientIDs: in.ClientIDs, TypeID: in.TypeID,
		LocationID: in.LocationID, RoomID: in.RoomID, Telehealth: in.Telehealth, VideoURL: in.VideoURL, Start: start, Minutes: in.Minutes,
		RRule: in.RRule, FrontDeskNote: in.FrontDeskNote, OverrideReason: in.OverrideReason})
	if err != nil {
		h.fail(w, r, renameFields(err, bookingFields))
		return
	}
	h.answerAppointment(w, r, b.IDs[0], AppointmentResult{IDs: b.IDs, SeriesID: b.SeriesID, Warnings: b.Warnings}, http.StatusCreated)
}

// bookingFields are the API's names for the service's field names.
var bookingFields = map[string]string{"clinician": "clinician_id", "clients": "client_ids", "type": "type_id", "location": "location_id", "room": "room_id"}

// AppointmentMove is the body of POST /appointments/{id}/move. Omitted
// fields keep the appointment's current values; version is required.
type AppointmentMove struct {
	Start          *string `json:"start"`
	Minutes        *int    `json:"minutes"`
	ClinicianID    *int64  `json:"clinician_id"`
	LocationID     *int64  `json:"location_id"`
	RoomID         *int64  `json:"room_id"`
	Telehealth     *bool   `json:"telehealth"`
	VideoURL       *string `json:"video_url"`
	FrontDeskNote  *string `json:"front_desk_note"`
	Scope          string  `json:"scope"`
	Version        int64   `json:"version"`
	OverrideReason string  `json:"override_reason"`
}

// valueOr is *p, or def when p was omitted.
func valueOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// MoveAppointment changes an appointment's time, place or details (or those
// of this and following, or all open occurrences of its series).
func (h *Handler) MoveAppointment(w http.ResponseWriter, r *http.Request) {
	var in AppointmentMove
	id, err := idAndBody(r, "id", "appointment", &in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if in.Version <= 0 {
		h.fail(w, r, apperr.Invalid("Send the version of the appointment you are moving.", map[string]string{"version": "required"}))
		return
	}
	ctx, a := r.Context(), actor(r)
	cur, err := h.Scheduling.Get(ctx, a, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ch := scheduling.Change{Start: cur.Start, Minutes: valueOr(in.Minutes, cur.Minutes()), ClinicianID: valueOr(in.ClinicianID, cur.ClinicianID),
		LocationID: valueOr(in.LocationID, cur.LocationID), RoomID: valueOr(in.RoomID, cur.RoomID), Telehealth: valueOr(in.Telehealth, cur.Telehealth),
		VideoURL: valueOr(in.VideoURL, cur.VideoURL), FrontDeskNote: valueOr(in.FrontDeskNote, cur.FrontDeskNote), Scope: scheduling.Scope(in.Scope),
		Version: in.Version, OverrideReason: in.OverrideReason}
	if in.Start != nil {
		bad := map[string]string{}
		ch.Start = parseTime("start", *in.Start, bad)
		if err := invalidIf(bad); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if in.LocationID != nil && in.RoomID == nil && *in.LocationID != cur.LocationID {
		ch.RoomID = 0 // the old room is at the old location
	}
	b, err := h.Scheduling.Move(ctx, a, id, ch)
	if err != nil {
		h.fail(w, r, renameFields(err, bookingFields))
		return
	}
	h.answerAppointment(w, r, id, AppointmentResult{IDs: b.IDs, SeriesID: b.SeriesID, Warnings: b.Warnings}, http.StatusOK)
}

// AppointmentStatus is the body of POST /appointments/{id}/status.
type AppointmentStatus struct {
	To          string `json:"to"`
	Reason      string `json:"reason"`
	CancelledBy string `json:"cancelled_by"`
	Version     int64  `json:"version"`
	Scope       string `json:"scope"`
	WaiveFee    bool   `json:"waive_fee"`
}

// SetAppointmentStatus moves an appointment through its lifecycle.
func (h *Handler) SetAppointmentStatus(w http.ResponseWriter, r *http.Request) {
	var in AppointmentStatus
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	h.setStatus(w, r, in)
}

// AppointmentCancel is the body of POST /appointments/{id}/cancel.
type AppointmentCancel struct {
	Reason      string `json:"reason"`
	CancelledBy string `json:"cancelled_by"`
	Version     int64  `json:"version"`
	Scope       string `json:"scope"`
	WaiveFee    bool   `json:"waive_fee"`
}

// CancelAppointment cancels an appointment (or this and following, or all
// open occurrences of its series): a status change to cancelled.
func (h *Handler) CancelAppointment(w http.ResponseWriter, r *http.Request) {
	var in AppointmentCancel
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	h.setStatus(w, r, AppointmentStatus{To: string(scheduling.Cancelled), Reason: in.Reason, CancelledBy: in.CancelledBy,
		Version: in.Version, Scope: in.Scope, WaiveFee: in.WaiveFee})
}

func (h *Handler) setStatus(w http.ResponseWriter, r *http.Request, in AppointmentStatus) {
	id, err := pathID(r, "id", "appointment")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.Scheduling.SetStatus(r.Context(), actor(r), id, scheduling.StatusChange{To: scheduling.Status(in.To), Reason: in.Reason,
		CancelledBy: in.CancelledBy, Version: in.Version, Scope: scheduling.Scope(in.Scope), WaiveFee: in.WaiveFee})
	if err != nil {
		h.fail(w, r, renameFields(err, map[string]string{"status": "to"}))
		return
	}
	h.answerAppointment(w, r, id, AppointmentResult{IDs: res.IDs}, http.StatusOK)
}

// AppointmentReschedule is the body of POST /appointments/{id}/reschedule.
type AppointmentReschedule struct {
	Start   string `json:"start"`
	Version int64  `json:"version"`
	Reason  string `json:"reason"`
}

// RescheduleAppointment books the appointment again at a new start and
// marks the original rescheduled; it answers with the new appointment.
func (h *Handler) RescheduleAppointment(w http.ResponseWriter, r *http.Request) {
	var in AppointmentReschedule
	id, err := idAndBody(r, "id", "appointment", &in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	bad := map[string]string{}
	start := parseTime("start", in.Start, bad)
	if in.Version <= 0 {
		bad["version"] = "required"
	}
	if err := invalidIf(bad); err != nil {
		h.fail(w, r, err)
		return
	}
	newID, err := h.Scheduling.Reschedule(r.Context(), actor(r), id, start, in.Version, in.Reason)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.answerAppointment(w, r, newID, AppointmentResult{IDs: []int64{id, newID}}, http.StatusCreated)
}

// Waitlist.

// WaitlistEntry is a client waiting for a slot. Days are weekdays, 0
// (Sunday) to 6; earliest and latest bound the start, in the practice's time
// zone.
type WaitlistEntry struct {
	ID          int64     `json:"id"`
	ClientID    int64     `json:"client_id"`
	ClientName  string    `json:"client_name"`
	ClinicianID int64     `json:"clinician_id"`
	Days        []int     `json:"days"`
	Earliest    string    `json:"earliest"`
	Latest      string    `json:"latest"`
	Modality    string    `json:"modality"`
	Urgency     string    `json:"urgency"`
	Note        string    `json:"note"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
}

func waitlistJSON(e scheduling.WaitlistEntry) WaitlistEntry {
	days := make([]int, len(e.Days))
	for i, d := range e.Days {
		days[i] = int(d)
	}
	return WaitlistEntry{ID: e.ID, ClientID: e.ClientID, ClientName: e.ClientName, ClinicianID: e.ClinicianID, Days: days,
		Earliest: wallClock(e.EarliestMinute), Latest: wallClock(e.LatestMinute), Modality: e.Modality, Urgency: e.Urgency, Note: e.Note,
		Status: e.Status, CreatedAt: e.CreatedAt.UTC()}
}

// ListWaitlist lists the clients waiting or offered a slot that the token's
// user may see, most urgent and longest waiting first.
func (h *Handler) ListWaitlist(w http.ResponseWriter, r *http.Request) {
	es, err := h.Scheduling.Waitlist(r.Context(), actor(r))
	respondList(h, w, r, es, err, waitlistJSON)
}

// WaitlistInput is the body of POST /waitlist. Omitted days mean Monday to
// Friday, omitted times the whole day.
type WaitlistInput struct {
	ClientID    int64  `json:"client_id"`
	ClinicianID int64  `json:"clinician_id"`
	Days        []int  `json:"days"`
	Earliest    string `json:"earliest"`
	Latest      string `json:"latest"`
	Modality    string `json:"modality"`
	Urgency     string `json:"urgency"`
	Note        string `json:"note"`
}

// AddToWaitlist puts a client on the waitlist.
func (h *Handler) AddToWaitlist(w http.ResponseWriter, r *http.Request) {
	var in WaitlistInput
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	e := scheduling.WaitlistEntry{ClientID: in.ClientID, ClinicianID: in.ClinicianID, Modality: in.Modality, Urgency: in.Urgency, Note: in.Note}
	bad := map[string]string{}
	for _, d := range in.Days {
		if d < 0 || d > 6 {
			bad["days"] = "weekdays are 0 (Sunday) to 6"
		}
		e.Days = append(e.Days, time.Weekday(d))
	}
	for _, t := range []struct {
		name, v string
		dst     *int
	}{{"earliest", in.Earliest, &e.EarliestMinute}, {"latest", in.Latest, &e.LatestMinute}} {
		if t.v == "" {
			continue
		}
		m, ok := parseWallClock(t.v)
		if !ok {
			bad[t.name] = "HH:MM, 00:00 to 24:00"
		}
		*t.dst = m
	}
	if err := invalidIf(bad); err != nil {
		h.fail(w, r, err)
		return
	}
	a := actor(r)
	id, err := h.Scheduling.AddToWaitlist(r.Context(), a, e)
	if err != nil {
		h.fail(w, r, renameFields(err, map[string]string{"clinician": "clinician_id", "times": "latest"}))
		return
	}
	// Read it back as stored, with the service's defaults.
	es, err := h.Scheduling.Waitlist(r.Context(), a)
	added, err := find(es, err, "waitlist entry", func(e scheduling.WaitlistEntry) bool { return e.ID == id })
	respond(h, w, r, http.StatusCreated, added, err, waitlistJSON)
}

// WaitlistStatus is the body of POST /waitlist/{id}/status.
type WaitlistStatus struct {
	Status string `json:"status"`
}

// SetWaitlistStatus marks a waitlist entry booked, removed or waiting again.
func (h *Handler) SetWaitlistStatus(w http.ResponseWriter, r *http.Request) {
	var in WaitlistStatus
	id, err := idAndBody(r, "id", "waitlist entry", &in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Scheduling.SetWaitlistStatus(r.Context(), actor(r), id, in.Status); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
