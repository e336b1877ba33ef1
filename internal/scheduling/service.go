package scheduling

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Hook is told, inside the transaction, about every appointment that was
// booked, moved or changed status, so that work hanging off an appointment
// (reminders) is rescheduled atomically with it.
type Hook interface {
	AppointmentChangedTx(ctx context.Context, tx *db.Tx, appointmentID int64) error
}

// Service is the calendar.
type Service struct {
	db    *db.DB
	clock clock.Clock
	audit *audit.Log
	hooks []Hook
}

// NewService returns the scheduling service.
func NewService(d *db.DB, c clock.Clock, l *audit.Log) *Service {
	return &Service{db: d, clock: c, audit: l}
}

// AddHook registers h; call before serving.
func (s *Service) AddHook(h Hook) { s.hooks = append(s.hooks, h) }

func (s *Service) changed(ctx context.Context, tx *db.Tx, ids ...int64) error {
	for _, h := range s.hooks {
		for _, id := range ids {
			if err := h.AppointmentChangedTx(ctx, tx, id); err != nil {
				return err
			}
		}
	}
	return nil
}

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return apperr.As(err)
}

// Zone is the practice's time zone, read each time so that every instance
// behind a load balancer follows a change at once.
func (s *Service) Zone(ctx context.Context) (*time.Location, error) {
	return zoneOf(ctx, s.db.Read())
}

func zoneOf(ctx context.Context, q db.Querier) (*time.Location, error) {
	var name string
	err := q.QueryRowContext(ctx, `SELECT time_zone FROM practice WHERE id = 1`).Scan(&name)
	if err == sql.ErrNoRows {
		return time.UTC, nil
	}
	if err != nil {
		return nil, fmt.Errorf("practice time zone: %w", err)
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("practice time zone %q: %w", name, err)
	}
	zones.Store(name, loc)
	return loc, nil
}

// zones keeps the locations loaded, by name: time.LoadLocation reads and
// parses the zone file on every call, a twentieth of a booking's CPU time
// (docs/PERFORMANCE.md, "Benchmarks").
var zones sync.Map

// appointmentColumns is what loadAppointments selects, in scan order.
const appointmentColumns = `a.id, COALESCE(a.series_id, 0), a.clinician_id, u.name, u.credentials, a.type_id, t.name, t.color, t.kind, t.service_code,
	COALESCE(a.location_id, 0), COALESCE(l.name, ''), COALESCE(a.room_id, 0), COALESCE(r.name, ''), a.telehealth, a.video_url,
	a.starts_at, a.ends_at, a.status, a.cancelled_by, a.late_cancel, a.fee_cents, a.status_reason, COALESCE(a.rescheduled_to, 0),
	a.checked_in_at, a.checked_out_at, a.capacity, a.front_desk_note, a.overlap_reason, a.version, a.created_at, a.updated_at,
	COALESCE(sr.rrule, '')`

const appointmentFrom = ` FROM appointments a
	JOIN users u ON u.id = a.clinician_id
	JOIN appointment_types t ON t.id = a.type_id
	LEFT JOIN locations l ON l.id = a.location_id
	LEFT JOIN rooms r ON r.id = a.room_id
	LEFT JOIN appointment_series sr ON sr.id = a.series_id`

func scanAppointment(rows interface{ Scan(...any) error }) (Appointment, error) {
	var ap Appointment
	var name, credentials, kind, status string
	var start, end, created, updated int64
	var in, out sql.NullInt64
	err := rows.Scan(&ap.ID, &ap.SeriesID, &ap.ClinicianID, &name, &credentials, &ap.TypeID, &ap.TypeName, &ap.TypeColor, &kind, &ap.ServiceCode,
		&ap.LocationID, &ap.LocationName, &ap.RoomID, &ap.RoomName, &ap.Telehealth, &ap.VideoURL,
		&start, &end, &status, &ap.CancelledBy, &ap.LateCancel, &ap.FeeCents, &ap.StatusReason, &ap.RescheduledTo,
		&in, &out, &ap.Capacity, &ap.FrontDeskNote, &ap.OverlapReason, &ap.Version, &created, &updated, &ap.RRule)
	if err != nil {
		return ap, err
	}
	ap.ClinicianName = strings.TrimSpace(name + " " + credentials)
	if credentials != "" {
		ap.ClinicianName = name + ", " + credentials
	}
	ap.Kind, ap.Status = Kind(kind), Status(status)
	ap.Start, ap.End, ap.CreatedAt, ap.UpdatedAt = db.Time(start), db.Time(end), db.Time(created), db.Time(updated)
	ap.CheckedInAt, ap.CheckedOutAt = db.NullTime(in), db.NullTime(out)
	return ap, nil
}

// loadAppointments reads the appointments matching where (which may use
// args) with their clients, ordered by start. Names are filled for every
// client; callers hide what the viewer may not see.
func loadAppointments(ctx context.Context, q db.Querier, where string, args ...any) ([]Appointment, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+appointmentColumns+appointmentFrom+` WHERE `+where+` ORDER BY a.starts_at, a.clinician_id, a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("appointments: %w", err)
	}
	var out []Appointment
	index := map[int64]int{}
	for rows.Next() {
		ap, err := scanAppointment(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		index[ap.ID] = len(out)
		out = append(out, ap)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	rows, err = q.QueryContext(ctx, `SELECT ac.appointment_id, ac.client_id, ac.attendance, c.first_name, c.preferred_name, c.last_name
		FROM appointments a JOIN appointment_clients ac ON ac.appointment_id = a.id JOIN clients c ON c.id = ac.client_id
		WHERE `+where+` ORDER BY ac.appointment_id, c.last_name, c.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("appointment clients: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var apID int64
		var at Attendee
		var first, preferred, last string
		if err := rows.Scan(&apID, &at.ClientID, &at.Attendance, &first, &preferred, &last); err != nil {
			return nil, err
		}
		if preferred != "" {
			first = preferred
		}
		at.Name = first + " " + last
		at.Initials = initial(first) + initial(last)
		if i, ok := index[apID]; ok {
			out[i].Clients = append(out[i].Clients, at)
		}
	}
	return out, rows.Err()
}

func initial(s string) string {
	for _, r := range s {
		return strings.ToUpper(string(r)) + "."
	}
	return ""
}

// hideClients blanks the names of clients a may not see and reports the ids
// of those a may.
func hideClients(ctx context.Context, q db.Querier, a access.Actor, now time.Time, aps []Appointment) ([]int64, error) {
	var ids []int64
	for _, ap := range aps {
		for _, c := range ap.Clients {
			ids = append(ids, c.ClientID)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	visible, err := clients.Visible(ctx, q, a, now, ids)
	if err != nil {
		return nil, err
	}
	var seen []int64
	for i := range aps {
		hidden := 0
		for j := range aps[i].Clients {
			c := &aps[i].Clients[j]
			if visible[c.ClientID] {
				seen = append(seen, c.ClientID)
				continue
			}
			c.Name, c.Initials, c.Hidden = "", "", true
			hidden++
		}
		if hidden > 0 && hidden == len(aps[i].Clients) {
			aps[i].HiddenFromUser = true
			aps[i].FrontDeskNote, aps[i].VideoURL, aps[i].StatusReason = "", "", ""
		}
	}
	slices.Sort(seen)
	return slices.Compact(seen), nil
}

// Get returns one appointment. Reading it is a read of each client's data:
// the viewer needs access to at least one of them (the others stay hidden),
// and the read is audited per client.
func (s *Service) Get(ctx context.Context, a access.Actor, id int64) (Appointment, error) {
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "appointment", ObjectID: audit.ObjectIDOf(id)}
	if _, err := s.audit.Authorize(ctx, a, access.PermScheduleRead, access.Target{}, ev); err != nil {
		return Appointment{}, err
	}
	// Read first, then record the reads: the write transaction (SQLite's one
	// writer) is held only for the audit entries.
	aps, err := loadAppointments(ctx, s.db.Read(), `a.id = $1`, id)
	if err != nil {
		return Appointment{}, wrap(err)
	}
	if len(aps) == 0 {
		return Appointment{}, apperr.NotFound("appointment")
	}
	seen, err := hideClients(ctx, s.db.Read(), a, s.clock.Now(), aps)
	if err != nil {
		return Appointment{}, wrap(err)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error { return s.recordReads(ctx, tx, a, ev, seen) })
	return aps[0], wrap(err)
}

// recordReads writes one read entry per client whose data was shown.
func (s *Service) recordReads(ctx context.Context, tx *db.Tx, a access.Actor, ev audit.Event, clientIDs []int64) error {
	for _, c := range clientIDs {
		e := ev
		e.ClientID = c
		if err := s.audit.Record(ctx, tx, a, e); err != nil {
			return err
		}
	}
	return nil
}

// Range selects appointments for a calendar view.
type Range struct {
	From, To     time.Time
	ClinicianIDs []int64 // empty: every clinician
	RoomIDs      []int64 // empty: every room
	LocationID   int64
	// IncludeCancelled keeps cancelled, no-show and rescheduled appointments.
	IncludeCancelled bool
}

// MaxRange bounds a calendar query (a month view and a little more).
const MaxRange = 42 * 24 * time.Hour

// Calendar lists the appointments in r. Clients the viewer may not see are
// shown without names ("Busy"). One audit entry records the view, with the
// number of clients whose names it showed; reading a client's chart or an
// appointment is audited per client.
func (s *Service) Calendar(ctx context.Context, a access.Actor, r Range) ([]Appointment, error) {
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "calendar"}
	if _, err := s.audit.Authorize(ctx, a, access.PermScheduleRead, access.Target{}, ev); err != nil {
		return nil, err
	}
	if !r.To.After(r.From) || r.To.Sub(r.From) > MaxRange {
		return nil, apperr.Invalid("Choose a range of up to six weeks.", map[string]string{"range": "Too long or empty."})
	}
	where, args, planFixed := rangeWhere(s.db.Engine, r)
	var out []Appointment
	load := func(q db.Querier) (err error) {
		out, err = loadAppointments(ctx, q, where, args...)
		return err
	}
	var err error
	if planFixed {
		err = s.db.ReadGenericPlans(ctx, load)
	} else {
		err = load(s.db.Read())
	}
	if err != nil {
		return nil, wrap(err)
	}
	seen, err := hideClients(ctx, s.db.Read(), a, s.clock.Now(), out)
	if err != nil {
		return nil, wrap(err)
	}
	if len(seen) > 0 {
		ev.Detail = fmt.Sprintf("%s to %s, %d clients shown", r.From.UTC().Format(time.RFC3339), r.To.UTC().Format(time.RFC3339), len(seen))
		if err := s.audit.RecordAlone(ctx, a, ev); err != nil {
			return nil, wrap(err)
		}
	}
	return out, nil
}

// rangeWhere is the filter of a calendar query on appointments a.
//
// On PostgreSQL a calendar of chosen clinicians walks each one's
// (clinician_id, starts_at) index. Left to itself, the planner reads the
// whole practice's appointments of the range by start and drops the other
// clinicians' (it costs that walk as cheap because starts follow the table's
// order), so the view grows with the practice rather than with the
// calendar: ten times the rows at 500 clinicians. The LATERAL subquery,
// kept apart by OFFSET 0, is run once per clinician. SQLite's planner takes
// the clinician index for the plain IN list.
//
// planFixed says the filter is that LATERAL form, whose plan does not
// depend on the values: PostgreSQL should then plan it once (see
// db.ReadGenericPlans). At the large practice's size it otherwise planned
// the day view's two statements on every call, 2.7 ms each, against 0.02 ms
// for the generic plan, which also ran no slower. The other forms are
// planned for their values: a generic plan of the time range alone reads
// the whole series table.
func rangeWhere(engine db.Engine, r Range) (string, []any, bool) {
	from, to := db.Micros(r.From), db.Micros(r.To)
	// span is the time filter on the appointments called p.
	span := func(p string) string {
		f := fmt.Sprintf(`%[1]s.starts_at > $1 AND %[1]s.starts_at < $2 AND %[1]s.ends_at > $3`, p)
		if !r.IncludeCancelled {
			f += ` AND ` + p + `.blocks`
		}
		return f
	}
	args := []any{from - int64(MaxMinutes)*60e6, to, from}
	var where []string
	planFixed := false
	in := func(col string, ids []int64) {
		marks := make([]string, len(ids))
		for i, id := range ids {
			args = append(args, id)
			marks[i] = fmt.Sprintf("$%d", len(args))
		}
		where = append(where, col+` IN (`+strings.Join(marks, ",")+`)`)
	}
	if len(r.ClinicianIDs) > 0 && engine == db.Postgres {
		list := make([]string, len(r.ClinicianIDs))
		for i, id := range r.ClinicianIDs {
			list[i] = strconv.FormatInt(id, 10)
		}
		args = append(args, "{"+strings.Join(list, ",")+"}")
		where = append(where, fmt.Sprintf(`a.id IN (SELECT ap.id FROM unnest(CAST($%d AS BIGINT[])) AS k(id)
			CROSS JOIN LATERAL (SELECT o.id FROM appointments o WHERE o.clinician_id = k.id AND %s OFFSET 0) ap)`, len(args), span("o")))
		planFixed = true
	} else {
		where = append(where, span("a"))
		if len(r.ClinicianIDs) > 0 {
			in("a.clinician_id", r.ClinicianIDs)
		}
	}
	if len(r.RoomIDs) > 0 {
		in("a.room_id", r.RoomIDs)
	}
	if r.LocationID != 0 {
		args = append(args, r.LocationID)
		where = append(where, fmt.Sprintf(`a.location_id = $%d`, len(args)))
	}
	return strings.Join(where, " AND "), args, planFixed
}

// ClientAppointments lists one client's appointments, newest first, for the
// chart. Errors: forbidden.
func (s *Service) ClientAppointments(ctx context.Context, a access.Actor, clientID int64) ([]Appointment, error) {
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "client", ObjectID: audit.ObjectIDOf(clientID), Detail: "section appointments"}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermScheduleRead, clientID, &ev); err != nil {
		return nil, err
	}
	out, err := loadAppointments(ctx, s.db.Read(), `a.id IN (SELECT appointment_id FROM appointment_clients WHERE client_id = $1)`, clientID)
	if err != nil {
		return nil, wrap(err)
	}
	if _, err := hideClients(ctx, s.db.Read(), a, s.clock.Now(), out); err != nil {
		return nil, wrap(err)
	}
	if err := s.audit.RecordAlone(ctx, a, ev); err != nil {
		return nil, wrap(err)
	}
	slices.Reverse(out)
	return out, nil
}

// Clinician is someone who can be booked.
type Clinician struct {
	ID          int64
	Name        string
	Credentials string
}

// Clinicians lists the active staff who see clients (clinicians, associates
// and supervisors), by name.
func (s *Service) Clinicians(ctx context.Context, a access.Actor) ([]Clinician, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermScheduleRead, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "clinicians"}); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT u.id, u.name, u.credentials FROM users u
		WHERE u.status = 'active' AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role IN ('clinician', 'associate', 'supervisor'))
		ORDER BY u.name, u.id`)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []Clinician
	for rows.Next() {
		var c Clinician
		if err := rows.Scan(&c.ID, &c.Name, &c.Credentials); err != nil {
			return nil, wrap(err)
		}
		out = append(out, c)
	}
	return out, wrap(rows.Err())
}
