package clients

import (
	"context"
	"fmt"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
)

// Clinician is a staff member who can hold a caseload: a primary clinician
// or care team member, as pickers and the chart name them.
type Clinician struct {
	ID          int64
	Name        string
	Credentials string
	Active      bool
}

// DisplayName is the name with credentials.
func (c Clinician) DisplayName() string {
	if c.Credentials == "" {
		return c.Name
	}
	return c.Name + ", " + c.Credentials
}

// Clinicians lists the staff with a clinical role (clinician, associate,
// supervisor), active first, by name: the people checkStaff accepts, for the
// care-team pickers, plus disabled ones so that charts still name them. Anyone
// who may read clients: front desk register clients without the right to
// read staff accounts. Staff names are not client data, so only a refusal is
// audited. Errors: forbidden.
func (s *Service) Clinicians(ctx context.Context, a access.Actor) ([]Clinician, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermClientsRead, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "clinician"}); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT u.id, u.name, u.credentials, u.status FROM users u
		WHERE EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role IN ('clinician', 'associate', 'supervisor'))
		ORDER BY CASE WHEN u.status = 'active' THEN 0 ELSE 1 END, u.name, u.id`)
	if err != nil {
		return nil, apperr.Internal(fmt.Errorf("list clinicians: %w", err))
	}
	defer rows.Close()
	var out []Clinician
	for rows.Next() {
		var c Clinician
		var status string
		if err := rows.Scan(&c.ID, &c.Name, &c.Credentials, &status); err != nil {
			return nil, apperr.Internal(err)
		}
		c.Active = status == "active"
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}
