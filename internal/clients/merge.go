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

// mergeMoves are the statements that move a duplicate's linked records to
// the record that stays ($1 = survivor, $2 = duplicate). Every table that
// refers to clients.id must appear here: a later domain (appointments,
// notes, billing) adds its own lines.
var mergeMoves = []string{
	`UPDATE client_phones SET client_id = $1, position = position + 100 WHERE client_id = $2`,
	`INSERT INTO client_care_team (client_id, user_id, search_last, search_first, search_preferred)
		SELECT c.id, t.user_id, c.search_last, c.search_first, c.search_preferred FROM client_care_team t, clients c
		WHERE t.client_id = $2 AND c.id = $1 ON CONFLICT (client_id, user_id) DO NOTHING`,
	`DELETE FROM client_care_team WHERE client_id = $2`,
	`UPDATE client_alerts SET client_id = $1 WHERE client_id = $2`,
	`UPDATE client_contacts SET client_id = $1 WHERE client_id = $2`,
	`UPDATE client_consents SET client_id = $1 WHERE client_id = $2`,
	`UPDATE insurance_policies SET client_id = $1, active = FALSE WHERE client_id = $2`,
	`UPDATE break_glass SET client_id = $1 WHERE client_id = $2`,
	`INSERT INTO client_relations (client_id, related_id, kind) SELECT $1, related_id, kind FROM client_relations
		WHERE client_id = $2 AND related_id <> $1 ON CONFLICT (client_id, related_id) DO NOTHING`,
	`INSERT INTO client_relations (client_id, related_id, kind) SELECT client_id, $1, kind FROM client_relations
		WHERE related_id = $2 AND client_id <> $1 ON CONFLICT (client_id, related_id) DO NOTHING`,
	`DELETE FROM client_relations WHERE client_id = $2 OR related_id = $2`,
}

// Merge folds the duplicate record into the survivor: every linked record
// moves, the duplicate's insurance policies arrive inactive (to be reviewed,
// since ranks may clash), and the duplicate stays as a pointer that search
// no longer shows. Both records get an audit entry. Administrators only.
// Errors: forbidden, invalid, not_found, conflict.
func (s *Service) Merge(ctx context.Context, a access.Actor, survivorID, duplicateID int64) error {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "client", ObjectID: audit.ObjectIDOf(survivorID), Detail: "merged in client " + audit.ObjectIDOf(duplicateID)}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermClientsMerge, survivorID, &ev); err != nil {
		return err
	}
	if survivorID == duplicateID {
		return apperr.Invalid("Choose two different records.", map[string]string{"duplicate": "Choose the other record."})
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, id := range []int64{survivorID, duplicateID} {
			var merged *int64
			if err := tx.QueryRowContext(ctx, `SELECT merged_into FROM clients WHERE id = $1`+tx.ForUpdate(), id).Scan(&merged); err != nil {
				return apperr.NotFound("client")
			}
			if merged != nil {
				return apperr.Conflict("One of these records was already merged into another.")
			}
		}
		for _, q := range mergeMoves {
			args := []any{survivorID, duplicateID}
			if !strings.Contains(q, "$1") { // PostgreSQL refuses a parameter it cannot type
				q, args = strings.ReplaceAll(q, "$2", "$1"), args[1:]
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("merge: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE clients SET merged_into = $1, status = 'inactive', version = version + 1, updated_at = $2 WHERE id = $3`,
			survivorID, db.Micros(s.clock.Now()), duplicateID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE clients SET version = version + 1, updated_at = $1 WHERE id = $2`, db.Micros(s.clock.Now()), survivorID); err != nil {
			return err
		}
		if err := s.audit.Record(ctx, tx, a, ev); err != nil {
			return err
		}
		dup := ev
		dup.ObjectID, dup.ClientID, dup.Detail = audit.ObjectIDOf(duplicateID), duplicateID, "merged into client "+audit.ObjectIDOf(survivorID)
		return s.audit.Record(ctx, tx, a, dup)
	}))
}
