package clients

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/clinical"
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
	// Scheduling: the duplicate's appointments become the survivor's (an
	// appointment both were in keeps the survivor's row).
	`INSERT INTO appointment_clients (appointment_id, client_id, attendance, starts_at) SELECT appointment_id, $1, attendance, starts_at FROM appointment_clients
		WHERE client_id = $2 ON CONFLICT (appointment_id, client_id) DO NOTHING`,
	`DELETE FROM appointment_clients WHERE client_id = $2`,
	`UPDATE waitlist SET client_id = $1 WHERE client_id = $2`,
	`UPDATE reminders SET client_id = $1 WHERE client_id = $2
		AND NOT EXISTS (SELECT 1 FROM reminders r WHERE r.client_id = $1 AND r.appointment_id = reminders.appointment_id)`,
	`DELETE FROM reminders WHERE client_id = $2`,
	`INSERT INTO reminder_preferences (client_id, email, sms) SELECT $1, email, sms FROM reminder_preferences WHERE client_id = $2
		ON CONFLICT (client_id) DO NOTHING`,
	`DELETE FROM reminder_preferences WHERE client_id = $2`,
	// Clinical record: notes, diagnoses, medications, risk assessments and
	// psychotherapy notes are sealed under their own row ids, so they move
	// as they are; a note's signature does not cover which record it is
	// filed in. The safety plan is keyed by client and moves in Merge.
	`UPDATE diagnoses SET client_id = $1 WHERE client_id = $2`,
	`UPDATE medications SET client_id = $1 WHERE client_id = $2`,
	`UPDATE notes SET client_id = $1 WHERE client_id = $2`,
	`UPDATE risk_assessments SET client_id = $1 WHERE client_id = $2`,
	`UPDATE psychotherapy_notes SET client_id = $1 WHERE client_id = $2`,
}

// moveSafetyPlan gives the survivor the duplicate's safety plan when it has
// none of its own, sealed again for its new row. When both have one, the
// survivor's stays current and the duplicate's stays readable on the merged
// record.
func (s *Service) moveSafetyPlan(ctx context.Context, tx *db.Tx, survivorID, duplicateID int64) error {
	var sealed string
	err := tx.QueryRowContext(ctx, `SELECT body FROM safety_plans WHERE client_id = $1 AND NOT EXISTS (SELECT 1 FROM safety_plans WHERE client_id = $2)`,
		duplicateID, survivorID).Scan(&sealed)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	plain, err := s.sealer.DecryptTx(ctx, tx, sealed, clinical.SafetyPlanAAD(duplicateID))
	if err != nil {
		return err
	}
	if sealed, err = s.sealer.EncryptTx(ctx, tx, plain, clinical.SafetyPlanAAD(survivorID)); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE safety_plans SET client_id = $1, body = $2 WHERE client_id = $3`, survivorID, sealed, duplicateID)
	return err
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
		if err := s.moveSafetyPlan(ctx, tx, survivorID, duplicateID); err != nil {
			return fmt.Errorf("merge: safety plan: %w", err)
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
