package scheduling

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// StatusChange moves an appointment through its lifecycle.
type StatusChange struct {
	To Status
	// Reason is required to cancel; kept for every change.
	Reason string
	// CancelledBy is "client" or "clinician" when To is Cancelled.
	CancelledBy string
	// Version is the appointment's version as the user saw it; 0 skips the
	// check (one-click changes on the today board, which are idempotent).
	Version int64
	// Scope cancels this and following, or all open occurrences of a series.
	Scope Scope
	// WaiveFee records a late cancellation or no-show without its fee.
	WaiveFee bool
}

// StatusResult says what a change did.
type StatusResult struct {
	IDs []int64
	// LateCancel is set when a client cancelled inside the practice's window.
	LateCancel bool
	// FeeCents is the fee recorded (late cancellation or no-show).
	FeeCents int64
}

// FeePreview is what a cancellation or no-show would charge now, so that the
// screen can say it before the user confirms.
func (s *Service) FeePreview(ctx context.Context, ap Appointment, to Status, cancelledBy string) (late bool, feeCents int64, err error) {
	p, err := policyOf(ctx, s.db.Read())
	if err != nil {
		return false, 0, wrap(err)
	}
	late, fee := fee(p, ap.Start, s.clock.Now(), to, cancelledBy)
	return late, fee, nil
}

// fee applies the policy: a client's cancellation inside the window is late
// and carries the late-cancel fee; a no-show carries the no-show fee. A
// clinician's cancellation never charges the client.
func fee(p Policy, start, now time.Time, to Status, cancelledBy string) (bool, int64) {
	switch {
	case to == NoShow:
		return false, p.NoShowFeeCents
	case to == Cancelled && cancelledBy == "client" && start.Sub(now) < time.Duration(p.LateCancelHours)*time.Hour:
		return true, p.LateCancelFeeCents
	}
	return false, 0
}

// SetStatus changes an appointment's status along an allowed transition,
// recording check-in and check-out times, late cancellation and the fee.
// Going back to scheduled from cancelled or no-show needs the slot to be free.
// Errors: forbidden, invalid, not_found, conflict.
func (s *Service) SetStatus(ctx context.Context, a access.Actor, id int64, c StatusChange) (StatusResult, error) {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "appointment", ObjectID: audit.ObjectIDOf(id)}
	if _, err := s.audit.Authorize(ctx, a, access.PermScheduleWrite, access.Target{}, ev); err != nil {
		return StatusResult{}, err
	}
	cur, err := s.current(ctx, id)
	if err != nil {
		return StatusResult{}, err
	}
	if caseloadOnly(a) && cur.ClinicianID != a.UserID {
		return StatusResult{}, s.deny(ctx, a, ev, "changing another clinician's appointment")
	}
	clientIDs := attendeeIDs(cur)
	events, err := s.authorizeClients(ctx, a, access.PermScheduleWrite, ev, clientIDs)
	if err != nil {
		return StatusResult{}, err
	}
	c.Reason, c.CancelledBy = clean(c.Reason), clean(c.CancelledBy)
	if !slices.Contains(Statuses, c.To) || c.To == Rescheduled {
		return StatusResult{}, fieldError("status", "Choose a status.")
	}
	if c.To == Cancelled {
		if c.CancelledBy != "client" && c.CancelledBy != "clinician" {
			return StatusResult{}, fieldError("cancelled_by", "Say who cancelled: the client or the clinician.")
		}
		if c.Reason == "" {
			return StatusResult{}, fieldError("reason", "Give a reason for the cancellation.")
		}
	}
	if len(c.Reason) > 500 {
		return StatusResult{}, fieldError("reason", "Keep the reason under 500 characters.")
	}
	if c.Scope == "" {
		c.Scope = ScopeOne
	}
	if c.Scope != ScopeOne && c.To != Cancelled {
		return StatusResult{}, fieldError("scope", "Only a cancellation applies to several occurrences.")
	}
	loc, err := s.Zone(ctx)
	if err != nil {
		return StatusResult{}, wrap(err)
	}
	now := s.clock.Now()
	var out StatusResult
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res := resources{ClinicianID: cur.ClinicianID, RoomID: cur.RoomID, ClientIDs: clientIDs}
		if err := lock(ctx, tx, res); err != nil {
			return err
		}
		var version int64
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT version, status FROM appointments WHERE id = $1`, id).Scan(&version, &status); err != nil {
			return err
		}
		from := Status(status)
		if from == c.To {
			out.IDs = []int64{id}
			return nil // already there: a repeated click changes nothing
		}
		if c.Version != 0 && version != c.Version {
			return apperr.Conflict("Someone else changed this appointment since you opened it. Reload to see their change.")
		}
		if !CanBecome(from, c.To) {
			return apperr.Conflict(fmt.Sprintf("A %s appointment cannot become %s.", strings.ToLower(from.Label()), strings.ToLower(c.To.Label())))
		}
		if c.To == Scheduled && !from.Blocks() {
			cs, err := clashes(ctx, tx, res, cur.Start, cur.End, []int64{id})
			if err != nil {
				return err
			}
			if err := refuseClashes(cs, false, loc); err != nil {
				return err
			}
		}
		targets := []target{{id: id, start: cur.Start}}
		if c.Scope != ScopeOne && cur.SeriesID != 0 {
			var err error
			if targets, err = seriesTargets(ctx, tx, cur, c.Scope, now, loc); err != nil {
				return err
			}
		}
		p, err := policyOf(ctx, tx)
		if err != nil {
			return err
		}
		for _, t := range targets {
			late, fee := fee(p, t.start, now, c.To, c.CancelledBy)
			if c.WaiveFee {
				fee = 0
			}
			if t.id == id {
				out.LateCancel, out.FeeCents = late, fee
			}
			if err := setStatus(ctx, tx, a, t.id, c, late, fee, now); err != nil {
				return err
			}
			out.IDs = append(out.IDs, t.id)
		}
		for _, e := range events {
			e.Detail = strings.TrimSpace(fmt.Sprintf("%s status %s to %s%s", e.Detail, from, c.To, scopeDetail(c.Scope, len(targets))))
			if out.LateCancel {
				e.Detail += " (late)"
			}
			if err := s.audit.Record(ctx, tx, a, e); err != nil {
				return err
			}
		}
		return s.changed(ctx, tx, out.IDs...)
	})
	if err != nil {
		return StatusResult{}, wrap(err)
	}
	return out, nil
}

func setStatus(ctx context.Context, tx *db.Tx, a access.Actor, id int64, c StatusChange, late bool, fee int64, now time.Time) error {
	var from string
	if err := tx.QueryRowContext(ctx, `SELECT status FROM appointments WHERE id = $1`, id).Scan(&from); err != nil {
		return err
	}
	cancelledBy := ""
	if c.To == Cancelled {
		cancelledBy = c.CancelledBy
	}
	set := `status = $1, blocks = $2, cancelled_by = $3, late_cancel = $4, fee_cents = $5, status_reason = $6, version = version + 1, updated_at = $7`
	switch c.To {
	case CheckedIn:
		set += `, checked_in_at = COALESCE(checked_in_at, $7)`
	case Completed:
		set += `, checked_out_at = $7`
	case Scheduled, Confirmed:
		set += `, checked_in_at = NULL, checked_out_at = NULL`
	}
	if _, err := tx.ExecContext(ctx, `UPDATE appointments SET `+set+` WHERE id = $8`,
		string(c.To), c.To.Blocks(), cancelledBy, late, fee, c.Reason, db.Micros(now), id); err != nil {
		return err
	}
	if c.To == Cancelled || c.To == NoShow {
		if _, err := tx.ExecContext(ctx, `UPDATE appointment_clients SET attendance = $1 WHERE appointment_id = $2 AND attendance = 'expected'`,
			map[Status]string{Cancelled: "cancelled", NoShow: "absent"}[c.To], id); err != nil {
			return err
		}
	}
	if c.To == Scheduled {
		if _, err := tx.ExecContext(ctx, `UPDATE appointment_clients SET attendance = 'expected' WHERE appointment_id = $1 AND attendance IN ('cancelled', 'absent')`, id); err != nil {
			return err
		}
	}
	return statusEvent(ctx, tx, a, id, Status(from), c.To, c.Reason, now)
}

// Attendance values.
var Attendances = []string{"expected", "attended", "absent", "cancelled"}

// SetAttendance records one client's attendance at a (group) appointment.
// Errors: forbidden, invalid, not_found.
func (s *Service) SetAttendance(ctx context.Context, a access.Actor, appointmentID, clientID int64, attendance string) error {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "appointment", ObjectID: audit.ObjectIDOf(appointmentID), Detail: "changed attendance"}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermScheduleWrite, clientID, &ev); err != nil {
		return err
	}
	if !slices.Contains(Attendances, attendance) {
		return fieldError("attendance", "Choose expected, attended, absent or cancelled.")
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE appointment_clients SET attendance = $1 WHERE appointment_id = $2 AND client_id = $3`, attendance, appointmentID, clientID)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return apperr.NotFound("appointment client")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE appointments SET version = version + 1, updated_at = $1 WHERE id = $2`, db.Micros(s.clock.Now()), appointmentID); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, a, ev)
	}))
}

// AddAttendee adds a client to a group appointment with room to spare.
// Errors: forbidden, invalid, not_found, conflict.
func (s *Service) AddAttendee(ctx context.Context, a access.Actor, appointmentID, clientID int64, overrideReason string) error {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "appointment", ObjectID: audit.ObjectIDOf(appointmentID), Detail: "added client"}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermScheduleWrite, clientID, &ev); err != nil {
		return err
	}
	cur, err := s.current(ctx, appointmentID)
	if err != nil {
		return err
	}
	if err := checkClients(ctx, s.db.Read(), []int64{clientID}); err != nil {
		return wrap(err)
	}
	loc, err := s.Zone(ctx)
	if err != nil {
		return wrap(err)
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		res := resources{ClinicianID: cur.ClinicianID, ClientIDs: []int64{clientID}}
		if err := lock(ctx, tx, res); err != nil {
			return err
		}
		var n, capacity int
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM appointment_clients WHERE appointment_id = a.id AND attendance <> 'cancelled'), a.capacity, a.status
			FROM appointments a WHERE a.id = $1`, appointmentID).Scan(&n, &capacity, &status); err != nil {
			return err
		}
		if !Status(status).Open() && Status(status) != CheckedIn {
			return apperr.Conflict("Clients can be added only before the session starts.")
		}
		if n >= capacity {
			return apperr.Conflict(fmt.Sprintf("The session is full (%d of %d).", n, capacity))
		}
		cs, err := clashes(ctx, tx, resources{ClientIDs: []int64{clientID}}, cur.Start, cur.End, []int64{appointmentID})
		if err != nil {
			return err
		}
		var clientClashes []clash
		for _, c := range cs {
			if c.What == "client" {
				clientClashes = append(clientClashes, c)
			}
		}
		if err := refuseClashes(clientClashes, clean(overrideReason) != "", loc); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO appointment_clients (appointment_id, client_id, starts_at) SELECT id, $2, starts_at FROM appointments WHERE id = $1
			ON CONFLICT (appointment_id, client_id) DO UPDATE SET attendance = 'expected'`, appointmentID, clientID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE appointments SET version = version + 1, updated_at = $1 WHERE id = $2`, db.Micros(s.clock.Now()), appointmentID); err != nil {
			return err
		}
		if err := s.audit.Record(ctx, tx, a, ev); err != nil {
			return err
		}
		return s.changed(ctx, tx, appointmentID)
	}))
}
