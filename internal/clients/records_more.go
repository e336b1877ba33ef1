package clients

import (
	"context"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// SetAuthorizationUsage records how many of an authorisation's visits are
// used. Until scheduling counts them, the front desk or a biller keeps the
// number current from the payer's portal. Front desk, billers,
// administrators. Errors: forbidden, invalid, not_found.
func (s *Service) SetAuthorizationUsage(ctx context.Context, a access.Actor, clientID, authID int64, visitsUsed int) error {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "prior_authorization", ObjectID: audit.ObjectIDOf(authID), Detail: "visits used"}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermInsuranceWrite, clientID, &ev); err != nil {
		return err
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		var authorized int
		err := tx.QueryRowContext(ctx, `SELECT a.visits_authorized FROM prior_authorizations a JOIN insurance_policies p ON p.id = a.policy_id
			WHERE a.id = $1 AND p.client_id = $2`, authID, clientID).Scan(&authorized)
		if err != nil {
			return apperr.NotFound("authorization")
		}
		if visitsUsed < 0 || visitsUsed > authorized {
			return apperr.Invalid("Please correct the highlighted fields.", map[string]string{"visits_used": "Visits used must be between 0 and the visits authorised."})
		}
		if _, err := tx.ExecContext(ctx, `UPDATE prior_authorizations SET visits_used = $1 WHERE id = $2`, visitsUsed, authID); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, a, ev)
	}))
}

// Unrelate removes the link between two clients, both ways. Like Relate, the
// actor must be allowed to change both records. Errors: forbidden, not_found.
func (s *Service) Unrelate(ctx context.Context, a access.Actor, clientID, relatedID int64) error {
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermClientsWrite, relatedID, &audit.Event{Action: audit.ActionDelete, ObjectType: "client_relation"}); err != nil {
		return err
	}
	ev := audit.Event{Action: audit.ActionDelete, ObjectType: "client_relation", ObjectID: audit.ObjectIDOf(relatedID)}
	_, err := s.changeClient(ctx, a, clientID, ev, func(tx *db.Tx) (int64, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM client_relations WHERE (client_id = $1 AND related_id = $2) OR (client_id = $2 AND related_id = $1)`,
			clientID, relatedID)
		if err != nil {
			return 0, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return 0, apperr.NotFound("relation")
		}
		return relatedID, nil
	})
	return err
}
