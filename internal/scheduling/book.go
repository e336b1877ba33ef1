package scheduling

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Booking is a request for a new appointment or recurring series.
type Booking struct {
	ClinicianID int64
	ClientIDs   []int64
	TypeID      int64
	LocationID  int64 // may be 0 for telehealth
	RoomID      int64 // optional
	Telehealth  bool
	VideoURL    string
	Start       time.Time
	Minutes     int    // 0: the type's default duration
	RRule       string // optional RFC 5545 rule, e.g. FREQ=WEEKLY;COUNT=10
	// FrontDeskNote is for scheduling remarks, never clinical content.
	FrontDeskNote string
	// OverrideReason lets a client have overlapping appointments (never a
	// clinician or room).
	OverrideReason string
	// Online bookings (the client portal) must fall inside availability.
	Online bool
}

// Booked is the result of a booking or move.
type Booked struct {
	IDs      []int64
	SeriesID int64
	// Warnings are things staff may book through but should know: outside
	// the clinician's availability, over an authorisation's visits.
	Warnings []string
}

// Scope says which occurrences of a series an edit touches.
type Scope string

// The scopes.
const (
	ScopeOne       Scope = "one"
	ScopeFollowing Scope = "following"
	ScopeAll       Scope = "all"
)

// appointment details checked at booking and moving.
type details struct {
	ClinicianID, TypeID, LocationID, RoomID int64
	Telehealth                              bool
	VideoURL, FrontDeskNote                 string
	Minutes                                 int
}

// caseloadOnly reports whether a books only through a caseload role, and so
// only on their own calendar.
func caseloadOnly(a access.Actor) bool {
	return !a.System && !a.Has(access.RoleAdmin) && !a.Has(access.RoleFrontDesk)
}

func fieldError(field, msg string) error {
	return apperr.Invalid(msg, map[string]string{field: msg})
}

// checkDetails validates d against the database and returns the type.
func checkDetails(ctx context.Context, q db.Querier, d *details, clientCount int) (Type, error) {
	f := map[string]string{}
	d.VideoURL, d.FrontDeskNote = clean(d.VideoURL), clean(d.FrontDeskNote)
	t, err := typeByID(ctx, q, d.TypeID)
	if apperr.Is(err, apperr.CodeNotFound) || (err == nil && !t.Active) {
		f["type"] = "Choose an appointment type."
	} else if err != nil {
		return t, err
	}
	if d.Minutes == 0 {
		d.Minutes = t.DurationMinutes
	}
	if d.Minutes < 5 || d.Minutes > MaxMinutes {
		f["minutes"] = fmt.Sprintf("An appointment lasts between 5 minutes and %d hours.", MaxMinutes/60)
	}
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM users u WHERE u.id = $1 AND u.status = 'active'
		AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role IN ('clinician', 'associate', 'supervisor'))`, d.ClinicianID).Scan(&n); err != nil {
		return t, err
	}
	if n == 0 {
		f["clinician"] = "Choose an active clinician."
	}
	if d.LocationID != 0 {
		var pos string
		var active bool
		err := q.QueryRowContext(ctx, `SELECT place_of_service, active FROM locations WHERE id = $1`, d.LocationID).Scan(&pos, &active)
		switch {
		case err == sql.ErrNoRows || (err == nil && !active):
			f["location"] = "Choose an active location."
		case err != nil:
			return t, err
		case pos == "02" || pos == "10":
			d.Telehealth = true
		}
	} else if !d.Telehealth {
		f["location"] = "Choose a location, or make it a telehealth appointment."
	}
	if d.RoomID != 0 {
		var loc int64
		var active bool
		err := q.QueryRowContext(ctx, `SELECT location_id, active FROM rooms WHERE id = $1`, d.RoomID).Scan(&loc, &active)
		switch {
		case err == sql.ErrNoRows || (err == nil && (!active || loc != d.LocationID)):
			f["room"] = "Choose an active room at the appointment's location."
		case err != nil:
			return t, err
		}
	}
	if d.Telehealth && t.ID != 0 && !t.TelehealthAllowed {
		f["telehealth"] = "This appointment type is in person only."
	}
	if d.VideoURL != "" {
		if u, err := url.Parse(d.VideoURL); err != nil || u.Scheme != "https" || u.Host == "" {
			f["video_url"] = "Give the video link as an https:// address."
		}
	}
	if utf8.RuneCountInString(d.FrontDeskNote) > 1000 {
		f["front_desk_note"] = "Keep the note under 1,000 characters."
	}
	if t.ID != 0 && (clientCount < 1 || clientCount > t.Capacity) {
		if t.Capacity == 1 {
			f["clients"] = "Choose one client."
		} else {
			f["clients"] = fmt.Sprintf("Choose between 1 and %d clients.", t.Capacity)
		}
	}
	if len(f) > 0 {
		return t, apperr.Invalid("Check the highlighted fields.", f)
	}
	return t, nil
}

func checkClients(ctx context.Context, q db.Querier, ids []int64) error {
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			return fieldError("clients", "The same client is listed twice.")
		}
		seen[id] = true
		var n int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM clients WHERE id = $1 AND merged_into IS NULL`, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFound("client")
		}
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func actorID(a access.Actor) any {
	if a.System {
		return nil
	}
	return a.UserID
}

// When formats an instant for messages, in the practice's zone.
func When(t time.Time, loc *time.Location) string { return t.In(loc).Format("Mon 2 Jan 2006 15:04") }

// refuseClashes turns overlaps into a conflict error. Client overlaps pass
// when override is set.
func refuseClashes(cs []clash, override bool, loc *time.Location) error {
	var msgs []string
	for _, c := range cs {
		if c.What == "client" && override {
			continue
		}
		span := When(c.Start, loc) + "–" + c.End.In(loc).Format("15:04")
		switch c.What {
		case "clinician":
			msgs = append(msgs, "the clinician is already booked "+span)
		case "room":
			msgs = append(msgs, "the room is already booked "+span)
		case "client":
			msgs = append(msgs, "a client already has an appointment "+span+" (give a reason to book anyway)")
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	slices.Sort(msgs)
	msgs = slices.Compact(msgs)
	if len(msgs) > 5 {
		msgs = append(msgs[:5], fmt.Sprintf("and %d more", len(msgs)-5))
	}
	msg := "Not booked: " + strings.Join(msgs, "; ") + "."
	return &apperr.Error{Code: apperr.CodeConflict, Message: msg, Fields: map[string]string{"start": msg}}
}

// authorizeClients checks a's access to every client for p, returning the
// events (with break-the-glass flags) to record.
func (s *Service) authorizeClients(ctx context.Context, a access.Actor, p access.Permission, ev audit.Event, ids []int64) ([]audit.Event, error) {
	out := make([]audit.Event, 0, len(ids))
	for _, id := range ids {
		e := ev
		if _, err := s.audit.AuthorizeClient(ctx, a, p, id, &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Book books one appointment, or every occurrence of a recurring series. It
// is all or nothing: when any occurrence would double-book the clinician, the
// room or (without an override reason) a client, nothing is booked and the
// error names the clashes. Errors: forbidden, invalid, not_found, conflict.
func (s *Service) Book(ctx context.Context, a access.Actor, b Booking) (Booked, error) {
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "appointment"}
	if _, err := s.audit.Authorize(ctx, a, access.PermScheduleWrite, access.Target{}, ev); err != nil {
		return Booked{}, err
	}
	if caseloadOnly(a) && b.ClinicianID != a.UserID {
		ev.Outcome, ev.Detail = audit.Denied, "booking on another clinician's calendar"
		if err := s.audit.RecordAlone(ctx, a, ev); err != nil {
			return Booked{}, wrap(err)
		}
		return Booked{}, apperr.Forbidden()
	}
	b.OverrideReason = clean(b.OverrideReason)
	events, err := s.authorizeClients(ctx, a, access.PermScheduleWrite, ev, b.ClientIDs)
	if err != nil {
		return Booked{}, err
	}
	loc, err := s.Zone(ctx)
	if err != nil {
		return Booked{}, wrap(err)
	}
	d := details{ClinicianID: b.ClinicianID, TypeID: b.TypeID, LocationID: b.LocationID, RoomID: b.RoomID, Telehealth: b.Telehealth,
		VideoURL: b.VideoURL, FrontDeskNote: b.FrontDeskNote, Minutes: b.Minutes}
	t, err := checkDetails(ctx, s.db.Read(), &d, len(b.ClientIDs))
	if err != nil {
		return Booked{}, err
	}
	if err := checkClients(ctx, s.db.Read(), b.ClientIDs); err != nil {
		return Booked{}, wrap(err)
	}
	if b.Online && !t.OnlineBookable {
		return Booked{}, fieldError("type", "This appointment type cannot be booked online.")
	}
	starts := []time.Time{b.Start.In(loc)}
	if clean(b.RRule) != "" {
		if starts, err = Occurrences(b.RRule, b.Start.In(loc)); err != nil {
			return Booked{}, err
		}
	}
	now := s.clock.Now()
	if err := checkStart(starts[0], now, a); err != nil {
		return Booked{}, err
	}
	length := time.Duration(d.Minutes) * time.Minute
	res := resources{ClinicianID: d.ClinicianID, RoomID: d.RoomID, ClientIDs: b.ClientIDs}
	// Working hours are advice (except online, where they are the offer), so
	// they are read before the transaction: the writer is held only for what
	// must not interleave.
	warn, err := availabilityWarnings(ctx, s.db.Read(), d.ClinicianID, starts, length, loc)
	if err != nil {
		return Booked{}, wrap(err)
	}
	if b.Online && len(warn) > 0 {
		return Booked{}, fieldError("start", "That time is not open for online booking. Choose one of the offered times.")
	}
	// A first look on a reader, before the writer is taken: a slot already
	// taken is refused without holding it, and the index pages that the
	// check and the inserts will need are in memory by then, so in a database
	// larger than memory the wait for the disk is not spent holding the one
	// writer. The check inside the transaction is the one that decides.
	seen, err := clashesAt(ctx, s.db.Read(), res, starts, length)
	if err != nil {
		return Booked{}, wrap(err)
	}
	if err := refuseClashes(seen, b.OverrideReason != "", loc); err != nil {
		return Booked{}, err
	}
	var out Booked
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lock(ctx, tx, res); err != nil {
			return err
		}
		all, err := clashesAt(ctx, tx, res, starts, length)
		if err != nil {
			return err
		}
		if err := refuseClashes(all, b.OverrideReason != "", loc); err != nil {
			return err
		}
		out.Warnings = warn
		overlap := ""
		if len(all) > 0 {
			overlap = b.OverrideReason
		}
		if len(starts) > 1 {
			if err := tx.QueryRowContext(ctx, `INSERT INTO appointment_series (rrule, time_zone, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
				strings.TrimPrefix(strings.ToUpper(clean(b.RRule)), "RRULE:"), loc.String(), actorID(a), db.Micros(now)).Scan(&out.SeriesID); err != nil {
				return err
			}
		}
		for _, st := range starts {
			id, err := insertAppointment(ctx, tx, a, out.SeriesID, d, t.Capacity, st, st.Add(length), overlap, b.ClientIDs, now)
			if err != nil {
				return err
			}
			out.IDs = append(out.IDs, id)
		}
		for _, e := range events {
			e.ObjectID = audit.ObjectIDOf(out.IDs[0])
			e.Detail = strings.TrimSpace(e.Detail + bookingDetail(len(starts), overlap != ""))
			if err := s.audit.Record(ctx, tx, a, e); err != nil {
				return err
			}
		}
		return s.changed(ctx, tx, out.IDs...)
	})
	if err != nil {
		return Booked{}, wrap(err)
	}
	return out, nil
}

func bookingDetail(n int, override bool) string {
	d := ""
	if n > 1 {
		d = fmt.Sprintf(" series of %d", n)
	}
	if override {
		d += " client overlap overridden"
	}
	return d
}

// checkStart refuses absurd dates: more than two years ahead, or (except for
// the system, which imports history) more than a year back.
func checkStart(start, now time.Time, a access.Actor) error {
	if start.After(now.AddDate(2, 0, 0)) {
		return fieldError("start", "Book at most two years ahead.")
	}
	if !a.System && start.Before(now.AddDate(-1, 0, 0)) {
		return fieldError("start", "That date is more than a year ago.")
	}
	return nil
}

func insertAppointment(ctx context.Context, tx *db.Tx, a access.Actor, seriesID int64, d details, capacity int, start, end time.Time, overlap string, clientIDs []int64, now time.Time) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO appointments (series_id, clinician_id, type_id, location_id, room_id, telehealth, video_url,
			starts_at, ends_at, status, blocks, capacity, front_desk_note, overlap_reason, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'scheduled', TRUE, $10, $11, $12, $13, $14, $14) RETURNING id`,
		nullID(seriesID), d.ClinicianID, d.TypeID, nullID(d.LocationID), nullID(d.RoomID), d.Telehealth, d.VideoURL,
		db.Micros(start), db.Micros(end), capacity, d.FrontDeskNote, overlap, actorID(a), db.Micros(now)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert appointment: %w", err)
	}
	for _, c := range clientIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO appointment_clients (appointment_id, client_id, starts_at) VALUES ($1, $2, $3)`, id, c, db.Micros(start)); err != nil {
			return 0, fmt.Errorf("insert appointment client: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO appointment_events (appointment_id, from_status, to_status, user_id, at) VALUES ($1, '', 'scheduled', $2, $3)`,
		id, actorID(a), db.Micros(now)); err != nil {
		return 0, err
	}
	return id, nil
}

// Change is an edit of an appointment's time, place or details: the new
// values, whole. For a series (Scope following or all) the time change is
// applied as a shift of the local date and a new local time of day to every
// open occurrence in scope, so the series stays at the same wall-clock time.
type Change struct {
	Start         time.Time
	Minutes       int
	ClinicianID   int64
	LocationID    int64
	RoomID        int64
	Telehealth    bool
	VideoURL      string
	FrontDeskNote string
	Scope         Scope
	// Version is the appointment's version as the editor saw it.
	Version        int64
	OverrideReason string
}

// Move changes an appointment (or occurrences of its series) under the same
// no-double-booking rule as Book. Only scheduled or confirmed appointments
// move. Errors: forbidden, invalid, not_found, conflict (clash or stale version).
func (s *Service) Move(ctx context.Context, a access.Actor, id int64, ch Change) (Booked, error) {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "appointment", ObjectID: audit.ObjectIDOf(id)}
	if _, err := s.audit.Authorize(ctx, a, access.PermScheduleWrite, access.Target{}, ev); err != nil {
		return Booked{}, err
	}
	loc, err := s.Zone(ctx)
	if err != nil {
		return Booked{}, wrap(err)
	}
	if ch.Scope == "" {
		ch.Scope = ScopeOne
	}
	if !slices.Contains([]Scope{ScopeOne, ScopeFollowing, ScopeAll}, ch.Scope) {
		return Booked{}, fieldError("scope", "Choose this appointment, this and following, or all.")
	}
	cur, err := s.current(ctx, id)
	if err != nil {
		return Booked{}, err
	}
	if caseloadOnly(a) && (cur.ClinicianID != a.UserID || ch.ClinicianID != a.UserID) {
		return Booked{}, s.deny(ctx, a, ev, "moving another clinician's appointment")
	}
	clientIDs := attendeeIDs(cur)
	events, err := s.authorizeClients(ctx, a, access.PermScheduleWrite, ev, clientIDs)
	if err != nil {
		return Booked{}, err
	}
	if !cur.Status.Open() {
		return Booked{}, apperr.Conflict(fmt.Sprintf("A %s appointment cannot be moved.", strings.ToLower(cur.Status.Label())))
	}
	d := details{ClinicianID: ch.ClinicianID, TypeID: cur.TypeID, LocationID: ch.LocationID, RoomID: ch.RoomID, Telehealth: ch.Telehealth,
		VideoURL: ch.VideoURL, FrontDeskNote: ch.FrontDeskNote, Minutes: ch.Minutes}
	if _, err := checkDetails(ctx, s.db.Read(), &d, len(clientIDs)); err != nil {
		return Booked{}, err
	}
	newStart := ch.Start.In(loc)
	if err := checkWallClock(newStart, newStart.Year(), newStart.Month(), newStart.Day(), newStart.Hour(), newStart.Minute()); err != nil {
		return Booked{}, err
	}
	now := s.clock.Now()
	if err := checkStart(newStart, now, a); err != nil {
		return Booked{}, err
	}
	ch.OverrideReason = clean(ch.OverrideReason)
	length := time.Duration(d.Minutes) * time.Minute
	old := cur.Start.In(loc)
	dayShift := int(civil(newStart).Sub(civil(old)).Hours() / 24)
	var out Booked
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res := resources{ClinicianID: d.ClinicianID, RoomID: d.RoomID, ClientIDs: clientIDs}
		if err := lock(ctx, tx, res); err != nil {
			return err
		}
		var version int64
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT version, status FROM appointments WHERE id = $1`, id).Scan(&version, &status); err != nil {
			return err
		}
		if version != ch.Version {
			return apperr.Conflict("Someone else changed this appointment since you opened it. Reload to see their change, then move it again.")
		}
		if !Status(status).Open() {
			return apperr.Conflict("This appointment is no longer open and cannot be moved.")
		}
		targets := []target{{id: id, start: old}}
		if ch.Scope != ScopeOne && cur.SeriesID != 0 {
			var err error
			if targets, err = seriesTargets(ctx, tx, cur, ch.Scope, now, loc); err != nil {
				return err
			}
		}
		skip := make([]int64, len(targets))
		for i, t := range targets {
			skip[i] = t.id
			ns := time.Date(t.start.Year(), t.start.Month(), t.start.Day()+dayShift, newStart.Hour(), newStart.Minute(), 0, 0, loc)
			if t.id == id {
				ns = newStart
			}
			if err := checkWallClock(ns, ns.Year(), ns.Month(), ns.Day(), newStart.Hour(), newStart.Minute()); err != nil {
				return err
			}
			targets[i].newStart = ns
		}
		var all []clash
		var starts []time.Time
		for _, t := range targets {
			cs, err := clashes(ctx, tx, res, t.newStart, t.newStart.Add(length), skip)
			if err != nil {
				return err
			}
			all = append(all, cs...)
			starts = append(starts, t.newStart)
		}
		if err := refuseClashes(all, ch.OverrideReason != "", loc); err != nil {
			return err
		}
		warn, err := availabilityWarnings(ctx, tx, d.ClinicianID, starts, length, loc)
		if err != nil {
			return err
		}
		out.Warnings, out.SeriesID = warn, cur.SeriesID
		overlap := ""
		if len(all) > 0 {
			overlap = ch.OverrideReason
		}
		for _, t := range targets {
			if _, err := tx.ExecContext(ctx, `UPDATE appointments SET clinician_id = $1, location_id = $2, room_id = $3, telehealth = $4, video_url = $5,
				front_desk_note = $6, starts_at = $7, ends_at = $8, overlap_reason = $9, version = version + 1, updated_at = $10 WHERE id = $11`,
				d.ClinicianID, nullID(d.LocationID), nullID(d.RoomID), d.Telehealth, d.VideoURL, d.FrontDeskNote,
				db.Micros(t.newStart), db.Micros(t.newStart.Add(length)), overlap, db.Micros(now), t.id); err != nil {
				return err
			}
			// The clients' copy of the start, which their overlap check reads.
			if _, err := tx.ExecContext(ctx, `UPDATE appointment_clients SET starts_at = $1 WHERE appointment_id = $2`, db.Micros(t.newStart), t.id); err != nil {
				return err
			}
			out.IDs = append(out.IDs, t.id)
		}
		fields := changedFields(cur, d, newStart, length)
		for _, e := range events {
			e.Detail = strings.TrimSpace(e.Detail + " changed " + strings.Join(fields, ", ") + scopeDetail(ch.Scope, len(targets)))
			if err := s.audit.Record(ctx, tx, a, e); err != nil {
				return err
			}
		}
		return s.changed(ctx, tx, out.IDs...)
	})
	if err != nil {
		return Booked{}, wrap(err)
	}
	return out, nil
}

func scopeDetail(sc Scope, n int) string {
	if sc == ScopeOne {
		return ""
	}
	return fmt.Sprintf("; %s occurrences (%d)", sc, n)
}

func changedFields(cur Appointment, d details, start time.Time, length time.Duration) []string {
	var f []string
	add := func(changed bool, name string) {
		if changed {
			f = append(f, name)
		}
	}
	add(!cur.Start.Equal(start), "start")
	add(cur.End.Sub(cur.Start) != length, "duration")
	add(cur.ClinicianID != d.ClinicianID, "clinician")
	add(cur.LocationID != d.LocationID, "location")
	add(cur.RoomID != d.RoomID, "room")
	add(cur.Telehealth != d.Telehealth, "telehealth")
	add(cur.VideoURL != d.VideoURL, "video_url")
	add(cur.FrontDeskNote != d.FrontDeskNote, "front_desk_note")
	if len(f) == 0 {
		f = []string{"nothing"}
	}
	return f
}

// civil is t's local calendar date at UTC midnight, for counting days.
func civil(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

type target struct {
	id              int64
	start, newStart time.Time
}

// seriesTargets lists the open occurrences an edit of cur with scope reaches:
// from cur on (following), or every open occurrence not yet past (all, which
// always includes cur).
func seriesTargets(ctx context.Context, tx *db.Tx, cur Appointment, scope Scope, now time.Time, loc *time.Location) ([]target, error) {
	from := db.Micros(cur.Start)
	if scope == ScopeAll {
		from = min(db.Micros(now), from)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, starts_at FROM appointments WHERE series_id = $1 AND starts_at >= $2
		AND status IN ('scheduled', 'confirmed') ORDER BY starts_at`, cur.SeriesID, from)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []target
	for rows.Next() {
		var t target
		var st int64
		if err := rows.Scan(&t.id, &st); err != nil {
			return nil, err
		}
		t.start = db.Time(st).In(loc)
		out = append(out, t)
	}
	return out, rows.Err()
}

// current reads an appointment without access checks or audit, for the
// service's own use.
func (s *Service) current(ctx context.Context, id int64) (Appointment, error) {
	aps, err := loadAppointments(ctx, s.db.Read(), `a.id = $1`, id)
	if err != nil {
		return Appointment{}, wrap(err)
	}
	if len(aps) == 0 {
		return Appointment{}, apperr.NotFound("appointment")
	}
	return aps[0], nil
}

func attendeeIDs(ap Appointment) []int64 {
	ids := make([]int64, len(ap.Clients))
	for i, c := range ap.Clients {
		ids[i] = c.ClientID
	}
	return ids
}

func (s *Service) deny(ctx context.Context, a access.Actor, ev audit.Event, why string) error {
	ev.Outcome, ev.Detail = audit.Denied, why
	if err := s.audit.RecordAlone(ctx, a, ev); err != nil {
		return wrap(err)
	}
	return apperr.Forbidden()
}

// Reschedule books the appointment again at start (same clinician, clients,
// place and length) and marks the original rescheduled, linked to the new
// one. Errors: forbidden, invalid, not_found, conflict.
func (s *Service) Reschedule(ctx context.Context, a access.Actor, id int64, start time.Time, version int64, reason string) (int64, error) {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "appointment", ObjectID: audit.ObjectIDOf(id)}
	if _, err := s.audit.Authorize(ctx, a, access.PermScheduleWrite, access.Target{}, ev); err != nil {
		return 0, err
	}
	cur, err := s.current(ctx, id)
	if err != nil {
		return 0, err
	}
	if caseloadOnly(a) && cur.ClinicianID != a.UserID {
		return 0, s.deny(ctx, a, ev, "rescheduling another clinician's appointment")
	}
	clientIDs := attendeeIDs(cur)
	events, err := s.authorizeClients(ctx, a, access.PermScheduleWrite, ev, clientIDs)
	if err != nil {
		return 0, err
	}
	loc, err := s.Zone(ctx)
	if err != nil {
		return 0, wrap(err)
	}
	start = start.In(loc)
	if err := checkWallClock(start, start.Year(), start.Month(), start.Day(), start.Hour(), start.Minute()); err != nil {
		return 0, err
	}
	now := s.clock.Now()
	if err := checkStart(start, now, a); err != nil {
		return 0, err
	}
	length := cur.End.Sub(cur.Start)
	d := details{ClinicianID: cur.ClinicianID, TypeID: cur.TypeID, LocationID: cur.LocationID, RoomID: cur.RoomID, Telehealth: cur.Telehealth,
		VideoURL: cur.VideoURL, FrontDeskNote: cur.FrontDeskNote, Minutes: int(length / time.Minute)}
	var newID int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res := resources{ClinicianID: d.ClinicianID, RoomID: d.RoomID, ClientIDs: clientIDs}
		if err := lock(ctx, tx, res); err != nil {
			return err
		}
		var v int64
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT version, status FROM appointments WHERE id = $1`, id).Scan(&v, &status); err != nil {
			return err
		}
		if v != version {
			return apperr.Conflict("Someone else changed this appointment since you opened it. Reload and try again.")
		}
		if !Status(status).Open() {
			return apperr.Conflict("Only a scheduled or confirmed appointment can be rescheduled.")
		}
		cs, err := clashes(ctx, tx, res, start, start.Add(length), []int64{id})
		if err != nil {
			return err
		}
		if err := refuseClashes(cs, false, loc); err != nil {
			return err
		}
		if newID, err = insertAppointment(ctx, tx, a, 0, d, cur.Capacity, start, start.Add(length), "", clientIDs, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE appointments SET status = 'rescheduled', blocks = FALSE, rescheduled_to = $1, status_reason = $2,
			version = version + 1, updated_at = $3 WHERE id = $4`, newID, clean(reason), db.Micros(now), id); err != nil {
			return err
		}
		if err := statusEvent(ctx, tx, a, id, Status(status), Rescheduled, clean(reason), now); err != nil {
			return err
		}
		for _, e := range events {
			e.Detail = strings.TrimSpace(e.Detail + fmt.Sprintf(" rescheduled to appointment %d", newID))
			if err := s.audit.Record(ctx, tx, a, e); err != nil {
				return err
			}
		}
		return s.changed(ctx, tx, id, newID)
	})
	return newID, wrap(err)
}

func statusEvent(ctx context.Context, tx *db.Tx, a access.Actor, id int64, from, to Status, reason string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO appointment_events (appointment_id, from_status, to_status, reason, user_id, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, string(from), string(to), reason, actorID(a), db.Micros(now))
	return err
}
