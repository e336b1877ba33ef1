package scheduling

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// WaitlistEntry is a client waiting for a slot.
type WaitlistEntry struct {
	ID          int64
	ClientID    int64
	ClientName  string // empty when the viewer may not see the client
	ClinicianID int64  // 0: any clinician
	Days        []time.Weekday
	// EarliestMinute and LatestMinute bound the start, in local minutes.
	EarliestMinute int
	LatestMinute   int
	Modality       string // any, in_person, telehealth
	Urgency        string // routine, soon, urgent
	Note           string
	Status         string // waiting, offered, booked, removed
	CreatedAt      time.Time
	// Offers are the freed slots offered to this client, oldest first.
	Offers []WaitlistOffer
}

// WaitlistOffer is a freed slot offered to a waiting client.
type WaitlistOffer struct {
	ID          int64
	ClinicianID int64
	Start, End  time.Time
	Status      string // offered, accepted, declined, withdrawn
	CreatedAt   time.Time
}

// The waitlist's choices.
var (
	Modalities = []string{"any", "in_person", "telehealth"}
	Urgencies  = []string{"routine", "soon", "urgent"}
)

func daysMask(ds []time.Weekday) int {
	m := 0
	for _, d := range ds {
		m |= 1 << d
	}
	return m
}

func maskDays(m int) []time.Weekday {
	var out []time.Weekday
	for d := time.Sunday; d <= time.Saturday; d++ {
		if m&(1<<d) != 0 {
			out = append(out, d)
		}
	}
	return out
}

// AddToWaitlist puts a client on the waitlist. Errors: forbidden, invalid, not_found.
func (s *Service) AddToWaitlist(ctx context.Context, a access.Actor, e WaitlistEntry) (int64, error) {
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "waitlist"}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermScheduleWrite, e.ClientID, &ev); err != nil {
		return 0, err
	}
	e.Note = clean(e.Note)
	if e.Modality == "" {
		e.Modality = "any"
	}
	if e.Urgency == "" {
		e.Urgency = "routine"
	}
	if len(e.Days) == 0 {
		e.Days = []time.Weekday{1, 2, 3, 4, 5}
	}
	if e.LatestMinute == 0 {
		e.LatestMinute = 1440
	}
	f := map[string]string{}
	if !slices.Contains(Modalities, e.Modality) {
		f["modality"] = "Choose in person, telehealth or either."
	}
	if !slices.Contains(Urgencies, e.Urgency) {
		f["urgency"] = "Choose routine, soon or urgent."
	}
	if e.EarliestMinute < 0 || e.LatestMinute > 1440 || e.LatestMinute <= e.EarliestMinute {
		f["times"] = "The earliest time must be before the latest."
	}
	if len(e.Note) > 500 {
		f["note"] = "Keep the note under 500 characters."
	}
	if len(f) > 0 {
		return 0, apperr.Invalid("Check the highlighted fields.", f)
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := checkClients(ctx, tx, []int64{e.ClientID}); err != nil {
			return err
		}
		if e.ClinicianID != 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE id = $1 AND status = 'active'`, e.ClinicianID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return fieldError("clinician", "Choose an active clinician, or any.")
			}
		}
		now := db.Micros(s.clock.Now())
		if err := tx.QueryRowContext(ctx, `INSERT INTO waitlist (client_id, clinician_id, days, earliest_minute, latest_minute, modality, urgency, note, added_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`, e.ClientID, nullID(e.ClinicianID), daysMask(e.Days), e.EarliestMinute, e.LatestMinute,
			e.Modality, e.Urgency, e.Note, actorID(a), now).Scan(&id); err != nil {
			return err
		}
		ev.ObjectID = audit.ObjectIDOf(id)
		return s.audit.Record(ctx, tx, a, ev)
	})
	return id, wrap(err)
}

const waitlistColumns = `w.id, w.client_id, c.first_name, c.preferred_name, c.last_name, COALESCE(w.clinician_id, 0), w.days, w.earliest_minute, w.latest_minute,
	w.modality, w.urgency, w.note, w.status, w.created_at`

func (s *Service) loadWaitlist(ctx context.Context, a access.Actor, where string, args ...any) ([]WaitlistEntry, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+waitlistColumns+` FROM waitlist w JOIN clients c ON c.id = w.client_id WHERE `+where+`
		ORDER BY CASE w.urgency WHEN 'urgent' THEN 0 WHEN 'soon' THEN 1 ELSE 2 END, w.created_at, w.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []WaitlistEntry
	var ids []int64
	for rows.Next() {
		var e WaitlistEntry
		var first, preferred, last string
		var days int
		var created int64
		if err := rows.Scan(&e.ID, &e.ClientID, &first, &preferred, &last, &e.ClinicianID, &days, &e.EarliestMinute, &e.LatestMinute,
			&e.Modality, &e.Urgency, &e.Note, &e.Status, &created); err != nil {
			return nil, err
		}
		if preferred != "" {
			first = preferred
		}
		e.ClientName, e.Days, e.CreatedAt = first+" "+last, maskDays(days), db.Time(created)
		out = append(out, e)
		ids = append(ids, e.ClientID)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	visible, err := visibleClients(ctx, s, a, ids)
	if err != nil {
		return nil, err
	}
	// The waitlist shows only the clients the viewer may see.
	out = slices.DeleteFunc(out, func(e WaitlistEntry) bool { return !visible[e.ClientID] })
	return out, s.attachOffers(ctx, out)
}

// attachOffers fills each entry's offers.
func (s *Service) attachOffers(ctx context.Context, es []WaitlistEntry) error {
	if len(es) == 0 {
		return nil
	}
	index := make(map[int64]int, len(es))
	marks := make([]string, len(es))
	args := make([]any, len(es))
	for i, e := range es {
		index[e.ID], marks[i], args[i] = i, fmt.Sprintf("$%d", i+1), e.ID
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT waitlist_id, id, clinician_id, starts_at, ends_at, status, created_at FROM waitlist_offers
		WHERE waitlist_id IN (`+strings.Join(marks, ",")+`) ORDER BY created_at, id`, args...)
	if err != nil {
		return fmt.Errorf("waitlist offers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var wid, start, end, created int64
		var o WaitlistOffer
		if err := rows.Scan(&wid, &o.ID, &o.ClinicianID, &start, &end, &o.Status, &created); err != nil {
			return err
		}
		o.Start, o.End, o.CreatedAt = db.Time(start), db.Time(end), db.Time(created)
		es[index[wid]].Offers = append(es[index[wid]].Offers, o)
	}
	return rows.Err()
}

// Waitlist lists the clients waiting (and those offered a slot), most urgent
// and longest waiting first. Errors: forbidden.
func (s *Service) Waitlist(ctx context.Context, a access.Actor) ([]WaitlistEntry, error) {
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "waitlist"}
	if _, err := s.audit.Authorize(ctx, a, access.PermScheduleRead, access.Target{}, ev); err != nil {
		return nil, err
	}
	out, err := s.loadWaitlist(ctx, a, `w.status IN ('waiting', 'offered')`)
	if err != nil {
		return nil, wrap(err)
	}
	if len(out) > 0 {
		ev.Detail = fmt.Sprintf("%d clients shown", len(out))
		if err := s.audit.RecordAlone(ctx, a, ev); err != nil {
			return nil, wrap(err)
		}
	}
	return out, nil
}

// Matches lists the waitlist entries that fit a freed slot: the clinician (or
// any), the local weekday and start time, and the modality.
func (s *Service) Matches(ctx context.Context, a access.Actor, appointmentID int64) ([]WaitlistEntry, error) {
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "waitlist", Detail: fmt.Sprintf("matches for appointment %d", appointmentID)}
	if _, err := s.audit.Authorize(ctx, a, access.PermScheduleRead, access.Target{}, ev); err != nil {
		return nil, err
	}
	ap, err := s.current(ctx, appointmentID)
	if err != nil {
		return nil, err
	}
	loc, err := s.Zone(ctx)
	if err != nil {
		return nil, wrap(err)
	}
	local := ap.Start.In(loc)
	minute := local.Hour()*60 + local.Minute()
	modality := "in_person"
	if ap.Telehealth {
		modality = "telehealth"
	}
	waiting := attendeeIDs(ap)
	skip, skipArgs := notIn("w.client_id", waiting, 5)
	out, err := s.loadWaitlist(ctx, a, `w.status = 'waiting' AND (w.clinician_id IS NULL OR w.clinician_id = $1)
		AND (w.days / $2) % 2 = 1 AND w.earliest_minute <= $3 AND w.latest_minute > $3 AND w.modality IN ('any', $4)`+skip,
		append([]any{ap.ClinicianID, 1 << local.Weekday(), minute, modality}, skipArgs...)...)
	if err != nil {
		return nil, wrap(err)
	}
	if len(out) > 0 {
		ev.Detail += fmt.Sprintf(", %d clients shown", len(out))
		if err := s.audit.RecordAlone(ctx, a, ev); err != nil {
			return nil, wrap(err)
		}
	}
	return out, nil
}

// Offer records that the freed slot of appointment freedID was offered to a
// waitlist entry; the client accepts later (through the portal or by phone,
// when staff book it). Errors: forbidden, not_found, conflict.
func (s *Service) Offer(ctx context.Context, a access.Actor, waitlistID, freedID int64) (int64, error) {
	var clientID int64
	var status string
	if err := s.db.Read().QueryRowContext(ctx, `SELECT client_id, status FROM waitlist WHERE id = $1`, waitlistID).Scan(&clientID, &status); err != nil {
		return 0, wrap(notFound(err, "waitlist entry"))
	}
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "waitlist_offer"}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermScheduleWrite, clientID, &ev); err != nil {
		return 0, err
	}
	ap, err := s.current(ctx, freedID)
	if err != nil {
		return 0, err
	}
	if ap.Status.Blocks() {
		return 0, apperr.Conflict("That slot is not free: the appointment was not cancelled.")
	}
	if status != "waiting" && status != "offered" {
		return 0, apperr.Conflict("This client is no longer waiting.")
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := db.Micros(s.clock.Now())
		if err := tx.QueryRowContext(ctx, `INSERT INTO waitlist_offers (waitlist_id, clinician_id, starts_at, ends_at, freed_by, offered_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, waitlistID, ap.ClinicianID, db.Micros(ap.Start), db.Micros(ap.End), freedID, actorID(a), now).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE waitlist SET status = 'offered', updated_at = $1 WHERE id = $2`, now, waitlistID); err != nil {
			return err
		}
		ev.ObjectID = audit.ObjectIDOf(id)
		return s.audit.Record(ctx, tx, a, ev)
	})
	return id, wrap(err)
}

// SetWaitlistStatus marks an entry booked, removed or waiting again.
// Errors: forbidden, invalid, not_found.
func (s *Service) SetWaitlistStatus(ctx context.Context, a access.Actor, waitlistID int64, status string) error {
	if !slices.Contains([]string{"waiting", "booked", "removed"}, status) {
		return fieldError("status", "Choose waiting, booked or removed.")
	}
	var clientID int64
	if err := s.db.Read().QueryRowContext(ctx, `SELECT client_id FROM waitlist WHERE id = $1`, waitlistID).Scan(&clientID); err != nil {
		return wrap(notFound(err, "waitlist entry"))
	}
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "waitlist", ObjectID: audit.ObjectIDOf(waitlistID), Detail: "status " + status}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermScheduleWrite, clientID, &ev); err != nil {
		return err
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE waitlist SET status = $1, updated_at = $2 WHERE id = $3`, status, db.Micros(s.clock.Now()), waitlistID); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, a, ev)
	}))
}

func notFound(err error, what string) error {
	if err != nil && strings.Contains(err.Error(), "no rows") {
		return apperr.NotFound(what)
	}
	return err
}

func visibleClients(ctx context.Context, s *Service, a access.Actor, ids []int64) (map[int64]bool, error) {
	slices.Sort(ids)
	return clients.Visible(ctx, s.db.Read(), a, s.clock.Now(), slices.Compact(ids))
}
