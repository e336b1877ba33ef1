package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/gen"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// ErrNotGenerated is returned for a database that is not a practice made by
// package gen: a run writes, and must never touch real data.
var ErrNotGenerated = errors.New("this is not a practice made by `mentalspace gen` (every staff email ends in @" + gen.StaffDomain +
	"): the benchmark writes, run it on a copy of a generated database")

// practice is what the scenarios need to know of the generated practice.
type practice struct {
	size       Practice
	zone       *time.Location
	desks      []staffer // front desk
	clinicians []staffer // active staff who see clients, by id
	rooms      []room    // active rooms, by id
	typeID     int64     // the individual session type booked
	clients    []int64   // clients that may be booked, by id
}

type staffer struct {
	actor             access.Actor
	name, credentials string
}

type room struct{ id, locationID int64 }

func loadPractice(ctx context.Context, d *db.DB, sched *scheduling.Service) (*practice, error) {
	q := d.Read()
	var staff, strangers int64
	if err := q.QueryRowContext(ctx, `SELECT count(*), COALESCE(sum(CASE WHEN email LIKE $1 THEN 0 ELSE 1 END), 0) FROM users`,
		"%@"+gen.StaffDomain).Scan(&staff, &strangers); err != nil {
		return nil, fmt.Errorf("staff: %w", err)
	}
	if staff == 0 || strangers != 0 {
		return nil, ErrNotGenerated
	}
	p := &practice{}
	var err error
	if p.zone, err = sched.Zone(ctx); err != nil {
		return nil, err
	}

	roles := map[int64][]access.Role{}
	rows, err := q.QueryContext(ctx, `SELECT user_id, role FROM user_roles ORDER BY user_id, role`)
	if err != nil {
		return nil, fmt.Errorf("roles: %w", err)
	}
	for rows.Next() {
		var id int64
		var role string
		if err := rows.Scan(&id, &role); err != nil {
			rows.Close()
			return nil, err
		}
		roles[id] = append(roles[id], access.Role(role))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT id, name, credentials FROM users WHERE status = 'active' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	for rows.Next() {
		var s staffer
		if err := rows.Scan(&s.actor.UserID, &s.name, &s.credentials); err != nil {
			rows.Close()
			return nil, err
		}
		s.actor.Roles = roles[s.actor.UserID]
		s.actor.IP, s.actor.UserAgent = "127.0.0.1", "mentalspace-bench"
		switch {
		case s.actor.Has(access.RoleFrontDesk):
			p.desks = append(p.desks, s)
		case slices.ContainsFunc(access.CaseloadRoles, s.actor.Has):
			p.clinicians = append(p.clinicians, s)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(p.desks) == 0 || len(p.clinicians) < 2 {
		return nil, fmt.Errorf("the practice has %d front desk staff and %d clinicians: too few to measure", len(p.desks), len(p.clinicians))
	}

	rows, err = q.QueryContext(ctx, `SELECT r.id, r.location_id FROM rooms r JOIN locations l ON l.id = r.location_id
		WHERE r.active AND l.active ORDER BY r.id`)
	if err != nil {
		return nil, fmt.Errorf("rooms: %w", err)
	}
	for rows.Next() {
		var rm room
		if err := rows.Scan(&rm.id, &rm.locationID); err != nil {
			rows.Close()
			return nil, err
		}
		p.rooms = append(p.rooms, rm)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := q.QueryRowContext(ctx, `SELECT id FROM appointment_types WHERE kind = 'individual' AND capacity = 1 AND active
		AND telehealth_allowed ORDER BY id LIMIT 1`).Scan(&p.typeID); err != nil {
		return nil, fmt.Errorf("an individual appointment type: %w", err)
	}
	// Enough clients that no two bookings at one time share one (see grid).
	rows, err = q.QueryContext(ctx, `SELECT id FROM clients WHERE merged_into IS NULL ORDER BY id LIMIT 20000`)
	if err != nil {
		return nil, fmt.Errorf("clients: %w", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		p.clients = append(p.clients, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(p.clients) < 2*len(p.clinicians) {
		return nil, fmt.Errorf("the practice has %d clients for %d clinicians: too few to book", len(p.clients), len(p.clinicians))
	}

	p.size.Clinicians = int64(len(p.clinicians))
	if err := q.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM clients), (SELECT count(*) FROM appointments),
		(SELECT count(*) FROM notes), (SELECT seq FROM audit_head WHERE id = 1)`).
		Scan(&p.size.Clients, &p.size.Appointments, &p.size.Notes, &p.size.AuditEntries); err != nil {
		return nil, fmt.Errorf("counts: %w", err)
	}
	return p, nil
}
