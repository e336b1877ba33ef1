package clients

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

const clientColumns = `c.id, c.mrn, c.first_name, c.middle_name, c.last_name, c.suffix, c.preferred_name, c.pronouns, c.birth_date,
	c.sex, c.gender_identity, c.sexual_orientation, c.races, c.ethnicity, c.language, c.interpreter_needed, c.marital_status,
	c.employment_status, c.email, c.address_line1, c.address_line2, c.city, c.state, c.postal_code, c.ssn_last4, c.status,
	c.status_date, c.referral_source, COALESCE(c.primary_clinician_id, 0), COALESCE(c.location_id, 0), c.version, c.created_at, c.updated_at`

func scanClient(row interface{ Scan(...any) error }) (Client, error) {
	var c Client
	var races, status string
	var created, updated int64
	err := row.Scan(&c.ID, &c.MRN, &c.FirstName, &c.MiddleName, &c.LastName, &c.Suffix, &c.PreferredName, &c.Pronouns, &c.BirthDate,
		&c.Sex, &c.GenderIdentity, &c.SexualOrientation, &races, &c.Ethnicity, &c.Language, &c.InterpreterNeeded, &c.MaritalStatus,
		&c.EmploymentStatus, &c.Email, &c.Address.Line1, &c.Address.Line2, &c.Address.City, &c.Address.State, &c.Address.PostalCode,
		&c.SSNLast4, &status, &c.StatusDate, &c.ReferralSource, &c.PrimaryClinicianID, &c.LocationID, &c.Version, &created, &updated)
	if races != "" {
		c.Races = strings.Split(races, ",")
	}
	c.Status, c.CreatedAt, c.UpdatedAt = Status(status), db.Time(created), db.Time(updated)
	return c, err
}

// findClient loads a client with phones and care team.
func findClient(ctx context.Context, q db.Querier, id int64) (Client, error) {
	c, err := scanClient(q.QueryRowContext(ctx, `SELECT `+clientColumns+` FROM clients c WHERE c.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, apperr.NotFound("client")
	}
	if err != nil {
		return c, fmt.Errorf("find client: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT kind, number, can_text, can_voicemail FROM client_phones WHERE client_id = $1 ORDER BY position`, id)
	if err != nil {
		return c, fmt.Errorf("find client phones: %w", err)
	}
	for rows.Next() {
		var p Phone
		if err := rows.Scan(&p.Kind, &p.Number, &p.CanText, &p.CanVoicemail); err != nil {
			rows.Close()
			return c, err
		}
		c.Phones = append(c.Phones, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, err
	}
	rows, err = q.QueryContext(ctx, `SELECT user_id FROM client_care_team WHERE client_id = $1 ORDER BY user_id`, id)
	if err != nil {
		return c, fmt.Errorf("find care team: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var uid int64
		if err := rows.Scan(&uid); err != nil {
			return c, err
		}
		c.CareTeam = append(c.CareTeam, uid)
	}
	return c, rows.Err()
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// nextMRN takes the next medical record number in tx.
func nextMRN(ctx context.Context, tx *db.Tx) (string, error) {
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT next FROM mrn_counter WHERE id = 1`+tx.ForUpdate()).Scan(&n); err != nil {
		return "", fmt.Errorf("next mrn: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE mrn_counter SET next = next + 1 WHERE id = 1`); err != nil {
		return "", fmt.Errorf("next mrn: %w", err)
	}
	return fmt.Sprintf("MS-%06d", n), nil
}

// writeClient inserts (id 0) or updates the client's own row; it returns the id.
// An update applies only to version; a concurrent save of the same version
// makes it a conflict.
func writeClient(ctx context.Context, tx *db.Tx, id int64, mrn string, in Input, ssnLast4 string, now int64, version int64) (int64, error) {
	args := []any{in.FirstName, in.MiddleName, in.LastName, in.Suffix, in.PreferredName, in.Pronouns, in.BirthDate,
		in.Sex, in.GenderIdentity, in.SexualOrientation, strings.Join(in.Races, ","), in.Ethnicity, in.Language, in.InterpreterNeeded,
		in.MaritalStatus, in.EmploymentStatus, in.Email, in.Address.Line1, in.Address.Line2, in.Address.City, in.Address.State,
		in.Address.PostalCode, ssnLast4, string(in.Status), in.StatusDate, in.ReferralSource, nullID(in.PrimaryClinicianID),
		nullID(in.LocationID), Fold(in.LastName), Fold(in.FirstName), Fold(in.PreferredName), now}
	if id == 0 {
		err := tx.QueryRowContext(ctx, `INSERT INTO clients (first_name, middle_name, last_name, suffix, preferred_name, pronouns, birth_date,
			sex, gender_identity, sexual_orientation, races, ethnicity, language, interpreter_needed, marital_status, employment_status,
			email, address_line1, address_line2, city, state, postal_code, ssn_last4, status, status_date, referral_source,
			primary_clinician_id, location_id, search_last, search_first, search_preferred, created_at, updated_at, mrn)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25,
			$26, $27, $28, $29, $30, $31, $32, $32, $33) RETURNING id`, append(args, mrn)...).Scan(&id)
		if err != nil {
			return 0, fmt.Errorf("insert client: %w", err)
		}
		return id, nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE clients SET first_name = $1, middle_name = $2, last_name = $3, suffix = $4, preferred_name = $5,
		pronouns = $6, birth_date = $7, sex = $8, gender_identity = $9, sexual_orientation = $10, races = $11, ethnicity = $12,
		language = $13, interpreter_needed = $14, marital_status = $15, employment_status = $16, email = $17, address_line1 = $18,
		address_line2 = $19, city = $20, state = $21, postal_code = $22, ssn_last4 = $23, status = $24, status_date = $25,
		referral_source = $26, primary_clinician_id = $27, location_id = $28, search_last = $29, search_first = $30,
		search_preferred = $31, updated_at = $32, version = version + 1 WHERE id = $33 AND version = $34`, append(args, id, version)...)
	if err != nil {
		return 0, fmt.Errorf("update client: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return 0, apperr.Conflict("Someone else changed this client while you were editing. Your changes are below: review the record, then save again.")
	}
	return id, nil
}

func replacePhones(ctx context.Context, tx *db.Tx, id int64, phones []Phone) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM client_phones WHERE client_id = $1`, id); err != nil {
		return err
	}
	for i, p := range phones {
		if _, err := tx.ExecContext(ctx, `INSERT INTO client_phones (client_id, position, kind, number, digits, can_text, can_voicemail)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, i, p.Kind, p.Number, PhoneDigits(p.Number), p.CanText, p.CanVoicemail); err != nil {
			return fmt.Errorf("insert phone: %w", err)
		}
	}
	return nil
}

// replaceCareTeam sets the client's care team. It runs after every write of
// the client's row: care team rows carry a copy of the client's folded
// names, for searching a clinician's care-team clients in name order
// (migration 0007), and this is where the copy is refreshed.
func replaceCareTeam(ctx context.Context, tx *db.Tx, id int64, team []int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM client_care_team WHERE client_id = $1`, id); err != nil {
		return err
	}
	for _, uid := range team {
		if _, err := tx.ExecContext(ctx, `INSERT INTO client_care_team (client_id, user_id, search_last, search_first, search_preferred)
			SELECT c.id, u.id, c.search_last, c.search_first, c.search_preferred FROM clients c, users u WHERE c.id = $1 AND u.id = $2`,
			id, uid); err != nil {
			return fmt.Errorf("insert care team: %w", err)
		}
	}
	return nil
}

// caseloadSQL is the condition "client c is on user $N's caseload": primary
// clinician or care team member, and, with supervise, the same for any of
// the user's supervisees under a supervision link in force on today.
func caseloadSQL(user string, supervise bool, today time.Time) string {
	own := `(c.primary_clinician_id = ` + user + ` OR EXISTS (SELECT 1 FROM client_care_team t WHERE t.client_id = c.id AND t.user_id = ` + user + `))`
	if !supervise {
		return own
	}
	return `(` + own + ` OR c.primary_clinician_id IN ` + superviseesSQL(user, today) + `
		OR EXISTS (SELECT 1 FROM client_care_team t WHERE t.client_id = c.id AND t.user_id IN ` + superviseesSQL(user, today) + `))`
}

// superviseesSQL is the set of user $N's supervisees whose link is in force
// on today (an empty start or end date is open). The date goes into the SQL
// as a literal: it is formatted here, never typed by anyone.
func superviseesSQL(user string, today time.Time) string {
	d := "'" + today.UTC().Format(time.DateOnly) + "'"
	return `(SELECT supervisee_id FROM supervision WHERE supervisor_id = ` + user + ` AND starts_on <= ` + d + ` AND (ends_on = '' OR ends_on >= ` + d + `))`
}
