package clients

import (
	"context"
	"fmt"
	"strings"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// SupervisionLink is one supervisor of a staff member: a supervisee may have
// several, one of them primary (who co-signs their notes), each for a date
// range (empty dates are open). Supervisors see their supervisees' clients
// while a link is in force.
type SupervisionLink struct {
	SupervisorID   int64
	SupervisorName string
	Primary        bool
	StartsOn       string
	EndsOn         string
}

// SetSupervisors links a supervisee to supervisors with open date ranges,
// the first one primary.
func (s *Service) SetSupervisors(ctx context.Context, a access.Actor, superviseeID int64, supervisorIDs []int64) error {
	links := make([]SupervisionLink, len(supervisorIDs))
	for i, id := range supervisorIDs {
		links[i] = SupervisionLink{SupervisorID: id, Primary: i == 0}
	}
	return s.SetSupervision(ctx, a, superviseeID, links)
}

// SetSupervision replaces a staff member's supervision links. Each
// supervisor must hold the supervisor role; exactly one link is primary
// when there are any. Administrators (users.manage). Errors: forbidden, invalid.
func (s *Service) SetSupervision(ctx context.Context, a access.Actor, superviseeID int64, links []SupervisionLink) error {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "supervision", ObjectID: audit.ObjectIDOf(superviseeID)}
	role, err := s.audit.Authorize(ctx, a, access.PermUsersManage, access.Target{}, ev)
	if err != nil {
		return err
	}
	f := map[string]string{}
	primaries := 0
	seen := map[int64]bool{}
	for i, l := range links {
		l.StartsOn, l.EndsOn = strings.TrimSpace(l.StartsOn), strings.TrimSpace(l.EndsOn)
		links[i] = l
		key := fmt.Sprintf("supervisor_%d", i+1)
		switch {
		case l.SupervisorID == superviseeID:
			f[key] = "Nobody supervises themselves."
		case seen[l.SupervisorID]:
			f[key] = "This supervisor is listed twice."
		case l.StartsOn != "" && !validDate(l.StartsOn), l.EndsOn != "" && !validDate(l.EndsOn):
			f[key] = "Give dates as YYYY-MM-DD."
		case l.StartsOn != "" && l.EndsOn != "" && l.EndsOn < l.StartsOn:
			f[key] = "The link ends before it starts."
		}
		seen[l.SupervisorID] = true
		if l.Primary {
			primaries++
		}
	}
	if len(links) > 0 && primaries != 1 {
		f["primary"] = "Choose exactly one primary supervisor."
	}
	if len(f) > 0 {
		return apperr.Invalid("Check the supervision links.", f)
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		for i, l := range links {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM user_roles WHERE user_id = $1 AND role = 'supervisor'`, l.SupervisorID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return apperr.Invalid("Check the supervision links.", map[string]string{fmt.Sprintf("supervisor_%d", i+1): "Choose a staff member with the supervisor role."})
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM supervision WHERE supervisee_id = $1`, superviseeID); err != nil {
			return err
		}
		for _, l := range links {
			if _, err := tx.ExecContext(ctx, `INSERT INTO supervision (supervisor_id, supervisee_id, is_primary, starts_on, ends_on) VALUES ($1, $2, $3, $4, $5)`,
				l.SupervisorID, superviseeID, l.Primary, l.StartsOn, l.EndsOn); err != nil {
				return err
			}
		}
		ev.Role = role
		ev.Detail = fmt.Sprintf("%d supervisors", len(links))
		return s.audit.Record(ctx, tx, a, ev)
	}))
}

// Supervision lists a staff member's supervision links, primary first.
func (s *Service) Supervision(ctx context.Context, a access.Actor, superviseeID int64) ([]SupervisionLink, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermUsersRead, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "supervision"}); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT s.supervisor_id, u.name, s.is_primary, s.starts_on, s.ends_on FROM supervision s JOIN users u ON u.id = s.supervisor_id
		WHERE s.supervisee_id = $1 ORDER BY s.is_primary DESC, u.name`, superviseeID)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []SupervisionLink
	for rows.Next() {
		var l SupervisionLink
		if err := rows.Scan(&l.SupervisorID, &l.SupervisorName, &l.Primary, &l.StartsOn, &l.EndsOn); err != nil {
			return nil, wrap(err)
		}
		out = append(out, l)
	}
	return out, wrap(rows.Err())
}
