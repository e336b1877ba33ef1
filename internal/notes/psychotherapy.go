package notes

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Psychotherapy notes (45 CFR 164.501) are the clinician's private process
// notes: a table of their own that no other query joins, readable only by
// their author, never in exports or the API. Administrators can learn that
// some exist for a client (PsychotherapyNoteCount), not what they say.

// PsychotherapyNote is a private process note.
type PsychotherapyNote struct {
	ID            int64
	ClientID      int64
	AppointmentID int64
	Text          string
	Version       int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// PsychotherapyAAD binds a sealed psychotherapy note to its row.
func PsychotherapyAAD(id int64) string { return fmt.Sprintf("psychotherapy_notes.body:%d", id) }

// authorizeAuthor checks a clinician's write access to the client; every
// psychotherapy-note access is audited, refusals included.
func (s *Service) authorizeAuthor(ctx context.Context, a access.Actor, clientID int64, ev *audit.Event) error {
	_, err := s.audit.AuthorizeClient(ctx, a, access.PermClinicalWrite, clientID, ev)
	return err
}

// SavePsychotherapyNote creates (ID 0) or updates the author's own
// psychotherapy note; an update needs the version the author saw.
// Errors: forbidden, invalid, not_found, conflict.
func (s *Service) SavePsychotherapyNote(ctx context.Context, a access.Actor, p PsychotherapyNote) (int64, error) {
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "psychotherapy_note"}
	if p.ID != 0 {
		ev.Action, ev.ObjectID = audit.ActionUpdate, audit.ObjectIDOf(p.ID)
	}
	if err := s.authorizeAuthor(ctx, a, p.ClientID, &ev); err != nil {
		return 0, err
	}
	p.Text = strings.TrimSpace(p.Text)
	if p.Text == "" || utf8.RuneCountInString(p.Text) > 50000 {
		return 0, apperr.Invalid("Write the note (up to 50,000 characters).", map[string]string{"text": "Required."})
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := db.Micros(s.clock.Now())
		if p.ID == 0 {
			if err := tx.QueryRowContext(ctx, `INSERT INTO psychotherapy_notes (client_id, author_id, appointment_id, body, created_at, updated_at)
				VALUES ($1, $2, $3, '', $4, $4) RETURNING id`, p.ClientID, a.UserID, nullID(p.AppointmentID), now).Scan(&id); err != nil {
				return err
			}
		} else {
			var author int64
			err := tx.QueryRowContext(ctx, `SELECT author_id FROM psychotherapy_notes WHERE id = $1 AND client_id = $2`, p.ID, p.ClientID).Scan(&author)
			if err == sql.ErrNoRows || (err == nil && author != a.UserID) {
				return apperr.NotFound("psychotherapy note")
			}
			if err != nil {
				return err
			}
			id = p.ID
		}
		sealed, err := s.sealer.EncryptTx(ctx, tx, []byte(p.Text), PsychotherapyAAD(id))
		if err != nil {
			return err
		}
		q := `UPDATE psychotherapy_notes SET body = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND version = $4`
		args := []any{sealed, now, id, p.Version}
		if p.ID == 0 {
			q, args = `UPDATE psychotherapy_notes SET body = $1, updated_at = $2 WHERE id = $3`, []any{sealed, now, id}
		}
		r, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return apperr.Conflict("This note was saved elsewhere since you opened it. Reload before saving again.")
		}
		ev.ObjectID = audit.ObjectIDOf(id)
		return s.audit.Record(ctx, tx, a, ev)
	})
	return id, wrap(err)
}

// PsychotherapyNotes lists the author's own psychotherapy notes for a
// client, with their text. Nobody else's are ever returned.
func (s *Service) PsychotherapyNotes(ctx context.Context, a access.Actor, clientID int64) ([]PsychotherapyNote, error) {
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "psychotherapy_note", Detail: "own notes"}
	if err := s.authorizeAuthor(ctx, a, clientID, &ev); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, COALESCE(appointment_id, 0), body, version, created_at, updated_at FROM psychotherapy_notes
		WHERE client_id = $1 AND author_id = $2 ORDER BY created_at DESC, id DESC`, clientID, a.UserID)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []PsychotherapyNote
	for rows.Next() {
		p := PsychotherapyNote{ClientID: clientID}
		var sealed string
		var created, updated int64
		if err := rows.Scan(&p.ID, &p.AppointmentID, &sealed, &p.Version, &created, &updated); err != nil {
			return nil, wrap(err)
		}
		text, err := s.sealer.Decrypt(ctx, sealed, PsychotherapyAAD(p.ID))
		if err != nil {
			return nil, wrap(err)
		}
		p.Text, p.CreatedAt, p.UpdatedAt = string(text), db.Time(created), db.Time(updated)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	return out, wrap(s.audit.RecordAlone(ctx, a, ev))
}

// PsychotherapyNoteCount tells an administrator how many psychotherapy notes
// exist for a client, without any of their content.
func (s *Service) PsychotherapyNoteCount(ctx context.Context, a access.Actor, clientID int64) (int, error) {
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "psychotherapy_note", Detail: "count only"}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermUsersManage, clientID, &ev); err != nil {
		return 0, err
	}
	var n int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM psychotherapy_notes WHERE client_id = $1`, clientID).Scan(&n); err != nil {
		return 0, wrap(err)
	}
	return n, wrap(s.audit.RecordAlone(ctx, a, ev))
}
