package scheduling

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// setup runs a change to the practice's scheduling setup: authorised for
// schedule.manage, in one transaction with its audit entry.
func (s *Service) setup(ctx context.Context, a access.Actor, ev audit.Event, fn func(tx *db.Tx) (int64, error)) (int64, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermScheduleManage, access.Target{}, ev); err != nil {
		return 0, err
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if id, err = fn(tx); err != nil {
			return err
		}
		if ev.ObjectID == "" {
			ev.ObjectID = audit.ObjectIDOf(id)
		}
		return s.audit.Record(ctx, tx, a, ev)
	})
	return id, wrap(err)
}

const typeColumns = `id, name, duration_minutes, service_code, color, kind, capacity, telehealth_allowed, online_bookable, active, version`

func scanType(r interface{ Scan(...any) error }) (Type, error) {
	var t Type
	var kind string
	err := r.Scan(&t.ID, &t.Name, &t.DurationMinutes, &t.ServiceCode, &t.Color, &kind, &t.Capacity, &t.TelehealthAllowed, &t.OnlineBookable, &t.Active, &t.Version)
	t.Kind = Kind(kind)
	return t, err
}

func typeByID(ctx context.Context, q db.Querier, id int64) (Type, error) {
	t, err := scanType(q.QueryRowContext(ctx, `SELECT `+typeColumns+` FROM appointment_types WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return Type{}, apperr.NotFound("appointment type")
	}
	return t, err
}

// Types lists the appointment types, active first.
func (s *Service) Types(ctx context.Context, a access.Actor) ([]Type, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermScheduleRead, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "appointment_type"}); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+typeColumns+` FROM appointment_types ORDER BY active DESC, name`)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []Type
	for rows.Next() {
		t, err := scanType(rows)
		if err != nil {
			return nil, wrap(err)
		}
		out = append(out, t)
	}
	return out, wrap(rows.Err())
}

func (t *Type) validate() error {
	t.Name, t.ServiceCode, t.Color = clean(t.Name), strings.ToUpper(clean(t.ServiceCode)), strings.ToLower(clean(t.Color))
	if t.Color == "" {
		t.Color = "#2f6f8f"
	}
	if t.Capacity == 0 {
		t.Capacity = map[Kind]int{Individual: 1, Intake: 1, Couple: 2, Group: 8}[t.Kind]
	}
	f := map[string]string{}
	if t.Name == "" || len(t.Name) > 80 {
		f["name"] = "Give the type a name (up to 80 characters)."
	}
	if t.DurationMinutes < 5 || t.DurationMinutes > MaxMinutes {
		f["duration_minutes"] = fmt.Sprintf("A duration is between 5 and %d minutes.", MaxMinutes)
	}
	if !servicePattern.MatchString(t.ServiceCode) {
		f["service_code"] = "A service code is a five-character CPT or HCPCS code, e.g. 90834."
	}
	if !colorPattern.MatchString(t.Color) {
		f["color"] = "A colour is written #rrggbb."
	}
	if !slices.ContainsFunc(Kinds, func(k struct {
		Kind  Kind
		Label string
	}) bool {
		return k.Kind == t.Kind
	}) {
		f["kind"] = "Choose individual, couple / family, group or intake."
	}
	switch {
	case t.Capacity < 1 || t.Capacity > 50:
		f["capacity"] = "Capacity is between 1 and 50 clients."
	case (t.Kind == Individual || t.Kind == Intake) && t.Capacity != 1:
		f["capacity"] = "Individual and intake appointments are for one client."
	}
	if len(f) > 0 {
		return apperr.Invalid("Check the highlighted fields.", f)
	}
	return nil
}

// SaveType creates (ID 0) or updates an appointment type; an update needs the
// version the editor saw. Errors: forbidden, invalid, conflict.
func (s *Service) SaveType(ctx context.Context, a access.Actor, t Type) (int64, error) {
	if err := t.validate(); err != nil {
		return 0, err
	}
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "appointment_type"}
	if t.ID != 0 {
		ev.Action, ev.ObjectID = audit.ActionUpdate, audit.ObjectIDOf(t.ID)
	}
	return s.setup(ctx, a, ev, func(tx *db.Tx) (int64, error) {
		now := db.Micros(s.clock.Now())
		if t.ID == 0 {
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO appointment_types (name, duration_minutes, service_code, color, kind, capacity, telehealth_allowed, online_bookable, active, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9, $9) RETURNING id`,
				t.Name, t.DurationMinutes, t.ServiceCode, t.Color, string(t.Kind), t.Capacity, t.TelehealthAllowed, t.OnlineBookable, now).Scan(&id)
			if db.IsUniqueViolation(err) {
				return 0, fieldError("name", "There is already a type with this name.")
			}
			return id, err
		}
		r, err := tx.ExecContext(ctx, `UPDATE appointment_types SET name = $1, duration_minutes = $2, service_code = $3, color = $4, kind = $5, capacity = $6,
			telehealth_allowed = $7, online_bookable = $8, active = $9, version = version + 1, updated_at = $10 WHERE id = $11 AND version = $12`,
			t.Name, t.DurationMinutes, t.ServiceCode, t.Color, string(t.Kind), t.Capacity, t.TelehealthAllowed, t.OnlineBookable, t.Active, now, t.ID, t.Version)
		if db.IsUniqueViolation(err) {
			return 0, fieldError("name", "There is already a type with this name.")
		}
		if err != nil {
			return 0, err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return 0, apperr.Conflict("This type was changed by someone else, or no longer exists. Reload and try again.")
		}
		return t.ID, nil
	})
}

// Rooms lists the rooms with their locations.
func (s *Service) Rooms(ctx context.Context, a access.Actor) ([]Room, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermScheduleRead, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "room"}); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT r.id, r.location_id, l.name, r.name, r.active FROM rooms r JOIN locations l ON l.id = r.location_id ORDER BY l.name, r.name`)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []Room
	for rows.Next() {
		var r Room
		if err := rows.Scan(&r.ID, &r.LocationID, &r.LocationName, &r.Name, &r.Active); err != nil {
			return nil, wrap(err)
		}
		out = append(out, r)
	}
	return out, wrap(rows.Err())
}

// SaveRoom adds a room (ID 0) or renames, moves or (de)activates one.
// Errors: forbidden, invalid.
func (s *Service) SaveRoom(ctx context.Context, a access.Actor, r Room) (int64, error) {
	r.Name = clean(r.Name)
	if r.Name == "" || len(r.Name) > 60 {
		return 0, fieldError("name", "Give the room a name (up to 60 characters).")
	}
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "room"}
	if r.ID != 0 {
		ev.Action, ev.ObjectID = audit.ActionUpdate, audit.ObjectIDOf(r.ID)
	}
	return s.setup(ctx, a, ev, func(tx *db.Tx) (int64, error) {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM locations WHERE id = $1`, r.LocationID).Scan(&n); err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, fieldError("location", "Choose a location.")
		}
		var id int64
		var err error
		if r.ID == 0 {
			err = tx.QueryRowContext(ctx, `INSERT INTO rooms (location_id, name, active, created_at) VALUES ($1, $2, TRUE, $3) RETURNING id`,
				r.LocationID, r.Name, db.Micros(s.clock.Now())).Scan(&id)
		} else {
			id = r.ID
			var res sql.Result
			res, err = tx.ExecContext(ctx, `UPDATE rooms SET location_id = $1, name = $2, active = $3 WHERE id = $4`, r.LocationID, r.Name, r.Active, r.ID)
			if err == nil {
				if n, _ := res.RowsAffected(); n == 0 {
					return 0, apperr.NotFound("room")
				}
			}
		}
		if db.IsUniqueViolation(err) {
			return 0, fieldError("name", "This location already has a room with that name.")
		}
		return id, err
	})
}

// Window is a weekly availability window, in local minutes after midnight.
type Window struct {
	ID          int64
	LocationID  int64
	Weekday     time.Weekday
	StartMinute int
	EndMinute   int
}

// Exception is time off or extra hours outside the weekly template.
type Exception struct {
	ID          int64
	ClinicianID int64
	LocationID  int64
	Kind        string // off or extra
	Start, End  time.Time
	Reason      string
}

// Availability is a clinician's weekly template and exceptions.
type Availability struct {
	ClinicianID int64
	Windows     []Window
	Exceptions  []Exception
}

// mayEditAvailability: schedule.manage for anyone, or a clinician for
// themself.
func (s *Service) mayEditAvailability(ctx context.Context, a access.Actor, clinicianID int64, ev audit.Event) error {
	p := access.PermScheduleManage
	if a.UserID == clinicianID && !a.System {
		p = access.PermScheduleWrite
	}
	_, err := s.audit.Authorize(ctx, a, p, access.Target{}, ev)
	return err
}

// AvailabilityOf returns a clinician's template and the exceptions from
// since on.
func (s *Service) AvailabilityOf(ctx context.Context, a access.Actor, clinicianID int64, since time.Time) (Availability, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermScheduleRead, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "availability"}); err != nil {
		return Availability{}, err
	}
	out := Availability{ClinicianID: clinicianID}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, location_id, weekday, start_minute, end_minute FROM availability WHERE clinician_id = $1 ORDER BY weekday, start_minute`, clinicianID)
	if err != nil {
		return out, wrap(err)
	}
	for rows.Next() {
		var w Window
		var wd int
		if err := rows.Scan(&w.ID, &w.LocationID, &wd, &w.StartMinute, &w.EndMinute); err != nil {
			rows.Close()
			return out, wrap(err)
		}
		w.Weekday = time.Weekday(wd)
		out.Windows = append(out.Windows, w)
	}
	rows.Close()
	rows, err = s.db.Read().QueryContext(ctx, `SELECT id, clinician_id, COALESCE(location_id, 0), kind, starts_at, ends_at, reason FROM availability_exceptions
		WHERE clinician_id = $1 AND ends_at > $2 ORDER BY starts_at`, clinicianID, db.Micros(since))
	if err != nil {
		return out, wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Exception
		var st, en int64
		if err := rows.Scan(&e.ID, &e.ClinicianID, &e.LocationID, &e.Kind, &st, &en, &e.Reason); err != nil {
			return out, wrap(err)
		}
		e.Start, e.End = db.Time(st), db.Time(en)
		out.Exceptions = append(out.Exceptions, e)
	}
	return out, wrap(rows.Err())
}

// SetWeeklyTemplate replaces a clinician's weekly template. Windows on the
// same day may not overlap. Errors: forbidden, invalid.
func (s *Service) SetWeeklyTemplate(ctx context.Context, a access.Actor, clinicianID int64, ws []Window) error {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "availability", ObjectID: audit.ObjectIDOf(clinicianID)}
	if err := s.mayEditAvailability(ctx, a, clinicianID, ev); err != nil {
		return err
	}
	slices.SortFunc(ws, func(x, y Window) int {
		if x.Weekday != y.Weekday {
			return int(x.Weekday - y.Weekday)
		}
		return x.StartMinute - y.StartMinute
	})
	for i, w := range ws {
		if w.Weekday < 0 || w.Weekday > 6 || w.StartMinute < 0 || w.EndMinute > 1440 || w.EndMinute <= w.StartMinute {
			return fieldError("windows", "Each window needs a day and a start before its end.")
		}
		if i > 0 && ws[i-1].Weekday == w.Weekday && ws[i-1].EndMinute > w.StartMinute {
			return fieldError("windows", fmt.Sprintf("Two windows overlap on %s.", w.Weekday))
		}
	}
	_, err := s.setupAs(ctx, a, ev, func(tx *db.Tx) (int64, error) {
		if _, err := tx.ExecContext(ctx, `DELETE FROM availability WHERE clinician_id = $1`, clinicianID); err != nil {
			return 0, err
		}
		for _, w := range ws {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM locations WHERE id = $1`, w.LocationID).Scan(&n); err != nil {
				return 0, err
			}
			if n == 0 {
				return 0, fieldError("windows", "Choose a location for each window.")
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO availability (clinician_id, location_id, weekday, start_minute, end_minute, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				clinicianID, w.LocationID, int(w.Weekday), w.StartMinute, w.EndMinute, db.Micros(s.clock.Now())); err != nil {
				return 0, err
			}
		}
		return clinicianID, nil
	})
	return err
}

// setupAs is setup without its own authorisation (the caller did it).
func (s *Service) setupAs(ctx context.Context, a access.Actor, ev audit.Event, fn func(tx *db.Tx) (int64, error)) (int64, error) {
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if id, err = fn(tx); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, a, ev)
	})
	return id, wrap(err)
}

// AddException records time off or extra hours. Errors: forbidden, invalid.
func (s *Service) AddException(ctx context.Context, a access.Actor, e Exception) (int64, error) {
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "availability_exception"}
	if err := s.mayEditAvailability(ctx, a, e.ClinicianID, ev); err != nil {
		return 0, err
	}
	e.Reason = clean(e.Reason)
	if e.Kind != "off" && e.Kind != "extra" {
		return 0, fieldError("kind", "Choose time off or extra hours.")
	}
	if !e.End.After(e.Start) {
		return 0, fieldError("end", "The end must be after the start.")
	}
	if e.End.Sub(e.Start) > 366*24*time.Hour {
		return 0, fieldError("end", "An exception lasts at most a year.")
	}
	if len(e.Reason) > 200 {
		return 0, fieldError("reason", "Keep the reason under 200 characters.")
	}
	return s.setupAs(ctx, a, ev, func(tx *db.Tx) (int64, error) {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO availability_exceptions (clinician_id, location_id, kind, starts_at, ends_at, reason, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, e.ClinicianID, nullID(e.LocationID), e.Kind, db.Micros(e.Start), db.Micros(e.End), e.Reason,
			db.Micros(s.clock.Now())).Scan(&id)
		return id, err
	})
}

// RemoveException deletes an exception. Errors: forbidden, not_found.
func (s *Service) RemoveException(ctx context.Context, a access.Actor, clinicianID, id int64) error {
	ev := audit.Event{Action: audit.ActionDelete, ObjectType: "availability_exception", ObjectID: audit.ObjectIDOf(id)}
	if err := s.mayEditAvailability(ctx, a, clinicianID, ev); err != nil {
		return err
	}
	_, err := s.setupAs(ctx, a, ev, func(tx *db.Tx) (int64, error) {
		r, err := tx.ExecContext(ctx, `DELETE FROM availability_exceptions WHERE id = $1 AND clinician_id = $2`, id, clinicianID)
		if err != nil {
			return 0, err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return 0, apperr.NotFound("exception")
		}
		return id, nil
	})
	return err
}

// availabilityWarnings lists the starts that fall outside the clinician's
// availability: not inside a template window on that local weekday (or inside
// time off), unless covered by extra hours.
func availabilityWarnings(ctx context.Context, q db.Querier, clinicianID int64, starts []time.Time, length time.Duration, loc *time.Location) ([]string, error) {
	if len(starts) == 0 {
		return nil, nil
	}
	type win struct{ wd, from, to int }
	var windows []win
	rows, err := q.QueryContext(ctx, `SELECT weekday, start_minute, end_minute FROM availability WHERE clinician_id = $1`, clinicianID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var w win
		if err := rows.Scan(&w.wd, &w.from, &w.to); err != nil {
			rows.Close()
			return nil, err
		}
		windows = append(windows, w)
	}
	rows.Close()
	first, last := slices.MinFunc(starts, time.Time.Compare), slices.MaxFunc(starts, time.Time.Compare)
	type exc struct {
		kind       string
		start, end int64
	}
	var excs []exc
	rows, err = q.QueryContext(ctx, `SELECT kind, starts_at, ends_at FROM availability_exceptions WHERE clinician_id = $1 AND ends_at > $2 AND starts_at < $3`,
		clinicianID, db.Micros(first), db.Micros(last.Add(length)))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e exc
		if err := rows.Scan(&e.kind, &e.start, &e.end); err != nil {
			rows.Close()
			return nil, err
		}
		excs = append(excs, e)
	}
	rows.Close()
	var out []string
	for _, st := range starts {
		s, e := db.Micros(st), db.Micros(st.Add(length))
		ok := false
		local := st.In(loc)
		from := local.Hour()*60 + local.Minute()
		to := from + int(length/time.Minute)
		for _, w := range windows {
			if w.wd == int(local.Weekday()) && w.from <= from && to <= w.to {
				ok = true
			}
		}
		for _, x := range excs {
			if x.kind == "off" && x.start < e && x.end > s {
				ok = false
			}
		}
		for _, x := range excs {
			if x.kind == "extra" && x.start <= s && e <= x.end {
				ok = true
			}
		}
		if !ok {
			out = append(out, "Outside the clinician's availability: "+When(st, loc)+".")
		}
	}
	if len(out) > 5 {
		out = append(out[:5], fmt.Sprintf("And %d more outside availability.", len(out)-5))
	}
	return out, nil
}

func policyOf(ctx context.Context, q db.Querier) (Policy, error) {
	var p Policy
	var hours string
	err := q.QueryRowContext(ctx, `SELECT late_cancel_hours, no_show_fee_cents, late_cancel_fee_cents, reminder_hours, version FROM scheduling_policy WHERE id = 1`).
		Scan(&p.LateCancelHours, &p.NoShowFeeCents, &p.LateCancelFeeCents, &hours, &p.Version)
	if err != nil {
		return p, fmt.Errorf("scheduling policy: %w", err)
	}
	p.ReminderHours, _ = ParseHours(hours)
	return p, nil
}

// ParseHours reads a list of reminder offsets such as "48, 2".
func ParseHours(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		h, err := strconv.Atoi(part)
		if err != nil || h < 1 || h > 336 {
			return nil, fieldError("reminder_hours", "Reminder times are whole hours before the appointment, between 1 and 336, separated by commas.")
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	if len(out) > 4 {
		return nil, fieldError("reminder_hours", "At most four reminders per appointment.")
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out, nil
}

// Policy returns the scheduling policy.
func (s *Service) Policy(ctx context.Context, a access.Actor) (Policy, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermScheduleRead, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "scheduling_policy"}); err != nil {
		return Policy{}, err
	}
	p, err := policyOf(ctx, s.db.Read())
	return p, wrap(err)
}

// SavePolicy updates the scheduling policy; Version must match.
// Errors: forbidden, invalid, conflict.
func (s *Service) SavePolicy(ctx context.Context, a access.Actor, p Policy) error {
	f := map[string]string{}
	if p.LateCancelHours < 0 || p.LateCancelHours > 168 {
		f["late_cancel_hours"] = "The late-cancel window is between 0 and 168 hours."
	}
	if p.NoShowFeeCents < 0 || p.NoShowFeeCents > 100000 {
		f["no_show_fee"] = "The no-show fee is between $0 and $1,000."
	}
	if p.LateCancelFeeCents < 0 || p.LateCancelFeeCents > 100000 {
		f["late_cancel_fee"] = "The late-cancel fee is between $0 and $1,000."
	}
	if len(p.ReminderHours) > 4 {
		f["reminder_hours"] = "At most four reminders per appointment."
	}
	for _, h := range p.ReminderHours {
		if h < 1 || h > 336 {
			f["reminder_hours"] = "Reminder times are between 1 and 336 hours before."
		}
	}
	if len(f) > 0 {
		return apperr.Invalid("Check the highlighted fields.", f)
	}
	hours := make([]string, len(p.ReminderHours))
	for i, h := range p.ReminderHours {
		hours[i] = strconv.Itoa(h)
	}
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "scheduling_policy", ObjectID: "1"}
	_, err := s.setup(ctx, a, ev, func(tx *db.Tx) (int64, error) {
		r, err := tx.ExecContext(ctx, `UPDATE scheduling_policy SET late_cancel_hours = $1, no_show_fee_cents = $2, late_cancel_fee_cents = $3, reminder_hours = $4,
			version = version + 1, updated_at = $5 WHERE id = 1 AND version = $6`,
			p.LateCancelHours, p.NoShowFeeCents, p.LateCancelFeeCents, strings.Join(hours, ","), db.Micros(s.clock.Now()), p.Version)
		if err != nil {
			return 0, err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return 0, apperr.Conflict("The policy was changed by someone else. Reload and try again.")
		}
		return 1, nil
	})
	return err
}
