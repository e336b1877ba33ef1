package clients

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Visible reports which of ids a may see by name, in one query: every one for
// the system and for a role that is not bound to a caseload (administrator,
// front desk, biller), otherwise those on a's caseload (with supervisees' for
// a supervisor) and those opened through break-the-glass until now. Screens
// that list other people's appointments (the calendar) use it to show "Busy"
// instead of a name.
func Visible(ctx context.Context, q db.Querier, a access.Actor, now time.Time, ids []int64) (map[int64]bool, error) {
	out := make(map[int64]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	if seesAll(a) {
		for _, id := range ids {
			out[id] = true
		}
		return out, nil
	}
	if !slices.ContainsFunc(a.Roles, func(r access.Role) bool { return slices.Contains(access.CaseloadRoles, r) }) {
		return out, nil
	}
	args := []any{a.UserID, db.Micros(now)}
	marks := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		marks[i] = fmt.Sprintf("$%d", i+3)
	}
	rows, err := q.QueryContext(ctx, `SELECT c.id FROM clients c WHERE c.id IN (`+strings.Join(marks, ",")+`)
		AND (`+caseloadSQL("$1", a.Has(access.RoleSupervisor), now)+`
			OR EXISTS (SELECT 1 FROM break_glass b WHERE b.user_id = $1 AND b.client_id = c.id AND b.expires_at > $2))`, args...)
	if err != nil {
		return nil, fmt.Errorf("visible clients: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}
