package scheduling

import (
	"context"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Event is one status change in an appointment's history.
type Event struct {
	From, To Status // From is empty for the booking itself
	Reason   string
	UserName string // empty for changes made by the system
	At       time.Time
}

// History lists an appointment's status changes, oldest first, for the
// appointment's page. It records no audit entry of its own: the page reads
// the appointment with Get, which does. Reasons are blanked for a viewer who
// may see none of the appointment's clients. Errors: forbidden, not_found.
func (s *Service) History(ctx context.Context, a access.Actor, id int64) ([]Event, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermScheduleRead, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "appointment", ObjectID: audit.ObjectIDOf(id)}); err != nil {
		return nil, err
	}
	ap, err := s.current(ctx, id)
	if err != nil {
		return nil, err
	}
	aps := []Appointment{ap}
	if _, err := hideClients(ctx, s.db.Read(), a, s.clock.Now(), aps); err != nil {
		return nil, wrap(err)
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT e.from_status, e.to_status, e.reason, COALESCE(u.name, ''), e.at
		FROM appointment_events e LEFT JOIN users u ON u.id = e.user_id WHERE e.appointment_id = $1 ORDER BY e.id`, id)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var from, to string
		var at int64
		if err := rows.Scan(&from, &to, &e.Reason, &e.UserName, &at); err != nil {
			return nil, wrap(err)
		}
		e.From, e.To, e.At = Status(from), Status(to), db.Time(at)
		if aps[0].HiddenFromUser {
			e.Reason = ""
		}
		out = append(out, e)
	}
	return out, wrap(rows.Err())
}
