// Package notes is clinical documentation: note templates, drafts with
// version-checked autosave, signing with a content hash, supervisor
// co-signature, addenda and amendments, psychotherapy notes kept apart, and
// the documentation-compliance views. Note bodies are sealed with the field
// encryption; a signed note never changes.
package notes

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/clinical"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Sealer encrypts and decrypts values bound to their rows.
type Sealer interface {
	EncryptTx(ctx context.Context, tx *db.Tx, plaintext []byte, aad string) (string, error)
	Decrypt(ctx context.Context, value string, aad string) ([]byte, error)
}

// Confirmer re-checks a signer's password or code (package auth).
type Confirmer interface {
	ConfirmIdentity(ctx context.Context, a access.Actor, password, code string) (auth.Signer, error)
}

// Service is clinical documentation.
type Service struct {
	db      *db.DB
	clock   clock.Clock
	audit   *audit.Log
	sealer  Sealer
	confirm Confirmer
	// Location is the practice's time zone.
	Location *time.Location
}

// NewService returns the notes service.
func NewService(d *db.DB, c clock.Clock, l *audit.Log, s Sealer, confirm Confirmer) *Service {
	return &Service{db: d, clock: c, audit: l, sealer: s, confirm: confirm, Location: time.UTC}
}

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return apperr.As(err)
}

func actorID(a access.Actor) any {
	if a.System {
		return nil
	}
	return a.UserID
}

// Status is where a note is.
type Status string

// The statuses. A note is final when signed (by an author who needs no
// co-signature) or co-signed.
const (
	Draft          Status = "draft"
	AwaitingCosign Status = "awaiting_cosign"
	Returned       Status = "returned"
	Signed         Status = "signed"
	Cosigned       Status = "cosigned"
)

// Label is the status as the note editor's chip reads.
func (s Status) Label() string {
	return map[Status]string{Draft: "Draft", AwaitingCosign: "Waiting for supervisor", Returned: "Returned", Signed: "Signed", Cosigned: "Co-signed"}[s]
}

// Final reports whether the note is complete.
func (s Status) Final() bool { return s == Signed || s == Cosigned }

// Editable reports whether the author may still change the note.
func (s Status) Editable() bool { return s == Draft || s == Returned }

// Session is a service note's session details.
type Session struct {
	ServiceCode    string
	Modifiers      string
	Start, End     time.Time
	PlaceOfService string
	Participants   string
	DiagnosisIDs   []int64 // into the client's diagnosis list
	// CodeReason explains a service code that disagrees with the time rule.
	CodeReason string
}

// Minutes is the session's length.
func (s Session) Minutes() int {
	if s.Start.IsZero() || s.End.IsZero() {
		return 0
	}
	return int(s.End.Sub(s.Start) / time.Minute)
}

// Note is a note as its readers see it. Body is empty for readers who see
// only service details (billers).
type Note struct {
	ID              int64
	ClientID        int64
	Kind            Kind
	TemplateID      int64
	TemplateName    string
	TemplateVersion int
	AuthorID        int64
	AuthorName      string
	AppointmentID   int64
	GroupKey        int64
	Status          Status
	Body            map[string]string
	BodyHidden      bool
	Session         Session
	ContentHash     string
	SignedBy        int64
	SignedName      string
	SignedAt        time.Time
	SupervisorID    int64
	CosignedBy      int64
	CosignedName    string
	CosignedAt      time.Time
	ReturnComment   string
	ReturnedAt      time.Time
	UnlockedUntil   time.Time
	UnlockReason    string
	Addenda         []Addendum
	Version         int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Addendum is a correction appended to a signed note.
type Addendum struct {
	ID          int64
	Kind        string // addendum or amendment
	Text        string
	Reason      string
	ContentHash string
	AuthorID    int64
	SignedName  string
	SignedAt    time.Time
}

// BodyAAD binds a sealed note body to its row.
func BodyAAD(id int64) string { return fmt.Sprintf("notes.body:%d", id) }

// ReturnAAD binds a supervisor's sealed return comment to its note.
func ReturnAAD(id int64) string { return fmt.Sprintf("notes.return:%d", id) }

// AddendumAAD binds a sealed addendum to its row.
func AddendumAAD(id int64) string { return fmt.Sprintf("note_addenda.body:%d", id) }

const noteColumns = `n.id, n.client_id, n.kind, n.template_id, t.name, t.version, n.author_id, u.name, COALESCE(n.appointment_id, 0), COALESCE(n.group_key, 0),
	n.status, n.body, n.service_code, n.modifiers, n.starts_at, n.ends_at, n.place_of_service, n.participants, n.diagnosis_ids, n.code_reason,
	n.content_hash, COALESCE(n.signed_by, 0), n.signed_name, n.signed_at, COALESCE(n.supervisor_id, 0), COALESCE(n.cosigned_by, 0), n.cosigned_name,
	n.cosigned_at, n.return_comment, n.returned_at, n.unlocked_until, n.unlock_reason, n.version, n.created_at, n.updated_at`

const noteFrom = ` FROM notes n JOIN note_templates t ON t.id = n.template_id JOIN users u ON u.id = n.author_id`

// stored is a note row with its sealed parts still sealed.
type stored struct {
	Note
	sealedBody, sealedReturn string
}

func scanNote(r interface{ Scan(...any) error }) (stored, error) {
	var s stored
	var kind, status, diagnoses string
	var start, end, signed, cosigned, returned, unlocked sql.NullInt64
	var created, updated int64
	err := r.Scan(&s.ID, &s.ClientID, &kind, &s.TemplateID, &s.TemplateName, &s.TemplateVersion, &s.AuthorID, &s.AuthorName, &s.AppointmentID, &s.GroupKey,
		&status, &s.sealedBody, &s.Session.ServiceCode, &s.Session.Modifiers, &start, &end, &s.Session.PlaceOfService, &s.Session.Participants, &diagnoses,
		&s.Session.CodeReason, &s.ContentHash, &s.SignedBy, &s.SignedName, &signed, &s.SupervisorID, &s.CosignedBy, &s.CosignedName,
		&cosigned, &s.sealedReturn, &returned, &unlocked, &s.UnlockReason, &s.Version, &created, &updated)
	if err != nil {
		return s, err
	}
	s.Kind, s.Status = Kind(kind), Status(status)
	s.Session.Start, s.Session.End = db.NullTime(start), db.NullTime(end)
	s.SignedAt, s.CosignedAt, s.ReturnedAt, s.UnlockedUntil = db.NullTime(signed), db.NullTime(cosigned), db.NullTime(returned), db.NullTime(unlocked)
	s.CreatedAt, s.UpdatedAt = db.Time(created), db.Time(updated)
	s.Session.DiagnosisIDs = parseIDs(diagnoses)
	return s, nil
}

func parseIDs(s string) []int64 {
	var out []int64
	for _, p := range strings.Split(s, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func loadNote(ctx context.Context, q db.Querier, id int64) (stored, error) {
	s, err := scanNote(q.QueryRowContext(ctx, `SELECT `+noteColumns+noteFrom+` WHERE n.id = $1`, id))
	if err == sql.ErrNoRows {
		return s, apperr.NotFound("note")
	}
	return s, err
}

// open decrypts a stored note's body, return comment and addenda.
func (s *Service) open(ctx context.Context, st stored) (Note, error) {
	n := st.Note
	plain, err := s.sealer.Decrypt(ctx, st.sealedBody, BodyAAD(n.ID))
	if err != nil {
		return n, err
	}
	if err := json.Unmarshal(plain, &n.Body); err != nil {
		return n, err
	}
	if st.sealedReturn != "" {
		c, err := s.sealer.Decrypt(ctx, st.sealedReturn, ReturnAAD(n.ID))
		if err != nil {
			return n, err
		}
		n.ReturnComment = string(c)
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, kind, body, reason, content_hash, author_id, signed_name, signed_at FROM note_addenda WHERE note_id = $1 ORDER BY id`, n.ID)
	if err != nil {
		return n, err
	}
	defer rows.Close()
	for rows.Next() {
		var ad Addendum
		var sealed string
		var at int64
		if err := rows.Scan(&ad.ID, &ad.Kind, &sealed, &ad.Reason, &ad.ContentHash, &ad.AuthorID, &ad.SignedName, &at); err != nil {
			return n, err
		}
		text, err := s.sealer.Decrypt(ctx, sealed, AddendumAAD(ad.ID))
		if err != nil {
			return n, err
		}
		ad.Text, ad.SignedAt = string(text), db.Time(at)
		n.Addenda = append(n.Addenda, ad)
	}
	return n, rows.Err()
}

// NewNote starts a draft.
type NewNote struct {
	ClientID      int64
	TemplateID    int64
	AppointmentID int64 // the session it documents, if any
}

// appointmentFacts are what a note takes from its appointment.
type appointmentFacts struct {
	ClinicianID int64
	Start, End  time.Time
	CheckedIn   time.Time
	CheckedOut  time.Time
	ServiceCode string
	POS         string
	Telehealth  bool
	Status      string
	Clients     []int64
}

func appointmentOf(ctx context.Context, q db.Querier, id int64) (appointmentFacts, error) {
	var f appointmentFacts
	var start, end int64
	var in, out sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT a.clinician_id, a.starts_at, a.ends_at, a.checked_in_at, a.checked_out_at, t.service_code,
			COALESCE(l.place_of_service, ''), a.telehealth, a.status
		FROM appointments a JOIN appointment_types t ON t.id = a.type_id LEFT JOIN locations l ON l.id = a.location_id WHERE a.id = $1`, id).
		Scan(&f.ClinicianID, &start, &end, &in, &out, &f.ServiceCode, &f.POS, &f.Telehealth, &f.Status)
	if err == sql.ErrNoRows {
		return f, apperr.NotFound("appointment")
	}
	if err != nil {
		return f, err
	}
	f.Start, f.End, f.CheckedIn, f.CheckedOut = db.Time(start), db.Time(end), db.NullTime(in), db.NullTime(out)
	if f.Telehealth && f.POS != "02" && f.POS != "10" {
		f.POS = "10"
	}
	rows, err := q.QueryContext(ctx, `SELECT client_id FROM appointment_clients WHERE appointment_id = $1 AND attendance <> 'cancelled' ORDER BY client_id`, id)
	if err != nil {
		return f, err
	}
	defer rows.Close()
	for rows.Next() {
		var c int64
		if err := rows.Scan(&c); err != nil {
			return f, err
		}
		f.Clients = append(f.Clients, c)
	}
	return f, rows.Err()
}

// CreateDraft starts a note for a client from a template. When it documents
// an appointment, the session details come from it: service code, times
// (check-in and check-out when recorded), place of service, and the client's
// active diagnoses. A group template on a group appointment starts one note
// per attendee, sharing the narrative; the returned id is the caller's
// client's note. Errors: forbidden, invalid, not_found.
func (s *Service) CreateDraft(ctx context.Context, a access.Actor, in NewNote) (int64, error) {
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "note"}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermClinicalWrite, in.ClientID, &ev); err != nil {
		return 0, err
	}
	t, err := templateByID(ctx, s.db.Read(), in.TemplateID)
	if err != nil || !t.Active {
		return 0, apperr.Invalid("Choose a template.", map[string]string{"template": "Choose a template."})
	}
	members := []int64{in.ClientID}
	var sess Session
	if in.AppointmentID != 0 {
		f, err := appointmentOf(ctx, s.db.Read(), in.AppointmentID)
		if err != nil {
			return 0, wrap(err)
		}
		if !slices.Contains(f.Clients, in.ClientID) {
			return 0, apperr.Invalid("That appointment is not this client's.", map[string]string{"appointment": "Not this client's appointment."})
		}
		if f.ClinicianID != a.UserID {
			return 0, apperr.Invalid("Only the appointment's clinician documents it.", map[string]string{"appointment": "Another clinician's appointment."})
		}
		sess = Session{ServiceCode: f.ServiceCode, Start: f.Start, End: f.End, PlaceOfService: f.POS}
		if !f.CheckedIn.IsZero() && !f.CheckedOut.IsZero() && f.CheckedOut.After(f.CheckedIn) {
			sess.Start, sess.End = f.CheckedIn, f.CheckedOut
		}
		if t.Kind == GroupNote {
			members = f.Clients
		}
	}
	// Every member of a group note must be a client the author may write for.
	var events []audit.Event
	for _, c := range members {
		e := audit.Event{Action: audit.ActionCreate, ObjectType: "note"}
		if _, err := s.audit.AuthorizeClient(ctx, a, access.PermClinicalWrite, c, &e); err != nil {
			return 0, err
		}
		events = append(events, e)
	}
	var mine int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		supervisor, err := supervisorOf(ctx, tx, a, s.today())
		if err != nil {
			return err
		}
		groupKey := int64(0)
		for i, c := range members {
			n := sess
			if in.AppointmentID != 0 {
				ds, err := clinical.ActiveDiagnoses(ctx, tx, c)
				if err != nil {
					return err
				}
				for _, d := range ds {
					n.DiagnosisIDs = append(n.DiagnosisIDs, d.ID)
				}
			}
			id, err := s.insertNote(ctx, tx, a, c, t, in.AppointmentID, groupKey, supervisor, n)
			if err != nil {
				return err
			}
			if t.Kind == GroupNote && groupKey == 0 && len(members) > 1 {
				groupKey = id
				if _, err := tx.ExecContext(ctx, `UPDATE notes SET group_key = $1 WHERE id = $1`, id); err != nil {
					return err
				}
			}
			if c == in.ClientID {
				mine = id
			}
			events[i].ObjectID = audit.ObjectIDOf(id)
			events[i].Detail = strings.TrimSpace(events[i].Detail + " " + string(t.Kind))
			if err := s.audit.Record(ctx, tx, a, events[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return mine, wrap(err)
}

func (s *Service) today() string { return s.clock.Now().In(s.Location).Format(time.DateOnly) }

// supervisorOf is the author's supervisor for co-signature: 0 unless the
// author is an associate, who must have an active supervisor link (the
// primary one first).
func supervisorOf(ctx context.Context, q db.Querier, a access.Actor, today string) (int64, error) {
	if !a.Has(access.RoleAssociate) || a.Has(access.RoleClinician) {
		return 0, nil
	}
	var id int64
	err := q.QueryRowContext(ctx, `SELECT supervisor_id FROM supervision WHERE supervisee_id = $1
		AND (starts_on = '' OR starts_on <= $2) AND (ends_on = '' OR ends_on >= $2)
		ORDER BY is_primary DESC, supervisor_id LIMIT 1`, a.UserID, today).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, apperr.Invalid("Your notes need a supervisor's co-signature, and you have no active supervisor. Ask an administrator to link one.", nil)
	}
	return id, err
}

func (s *Service) insertNote(ctx context.Context, tx *db.Tx, a access.Actor, clientID int64, t Template, appointmentID, groupKey, supervisor int64, sess Session) (int64, error) {
	now := db.Micros(s.clock.Now())
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO notes (client_id, kind, template_id, author_id, appointment_id, group_key, status, body, service_code,
			starts_at, ends_at, place_of_service, diagnosis_ids, supervisor_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'draft', '', $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id`,
		clientID, string(t.Kind), t.ID, a.UserID, nullID(appointmentID), nullID(groupKey), sess.ServiceCode,
		db.NullMicros(sess.Start), db.NullMicros(sess.End), sess.PlaceOfService, joinIDs(sess.DiagnosisIDs), nullID(supervisor), now).Scan(&id)
	if err != nil {
		return 0, err
	}
	sealed, err := s.sealer.EncryptTx(ctx, tx, []byte("{}"), BodyAAD(id))
	if err != nil {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE notes SET body = $1 WHERE id = $2`, sealed, id)
	return id, err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// DraftInput is what an autosave or save sends: the whole body and session, and
// the version the editor started from.
type DraftInput struct {
	Body    map[string]string
	Session Session
	Version int64
}

// maxBody bounds a note's text.
const maxBody = 200_000

func checkBody(t Template, body map[string]string) error {
	size := 0
	for k, v := range body {
		size += len(k) + len(v)
		if !utf8.ValidString(v) {
			return apperr.Invalid("The note contains text that is not valid UTF-8.", nil)
		}
	}
	if size > maxBody {
		return apperr.Invalid("The note is too long.", nil)
	}
	return nil
}

// locked reports whether the practice's deadline has locked a draft for its
// author and no supervisor has reopened it.
func (s *Service) locked(ctx context.Context, q db.Querier, n Note) (bool, error) {
	var days int
	if err := q.QueryRowContext(ctx, `SELECT lock_after_days FROM documentation_policy WHERE id = 1`).Scan(&days); err != nil {
		return false, err
	}
	if days == 0 {
		return false, nil
	}
	from := n.CreatedAt
	if !n.Session.End.IsZero() {
		from = n.Session.End
	}
	now := s.clock.Now()
	return now.Sub(from) > time.Duration(days)*24*time.Hour && !now.Before(n.UnlockedUntil), nil
}

var errLocked = apperr.Conflict("This note is past the practice's documentation deadline and is locked. Ask a supervisor or administrator to unlock it.")

// SaveDraft writes a draft's body and session details when Version matches
// the stored one, and returns the new version. A stale save is refused
// (conflict) so that two tabs or two people never overwrite each other; the
// caller keeps the user's text. Saving a group note's shared narrative
// updates every member's draft. Errors: forbidden, invalid, not_found, conflict.
func (s *Service) SaveDraft(ctx context.Context, a access.Actor, id int64, d DraftInput) (int64, error) {
	st, err := loadNote(ctx, s.db.Read(), id)
	if err != nil {
		return 0, wrap(err)
	}
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "note", ObjectID: audit.ObjectIDOf(id), Detail: "draft saved"}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermClinicalWrite, st.ClientID, &ev); err != nil {
		return 0, err
	}
	if st.AuthorID != a.UserID {
		return 0, s.deny(ctx, a, ev, "only the author edits a draft")
	}
	if !st.Status.Editable() {
		return 0, apperr.Conflict("This note is signed and cannot change. Add an addendum instead.")
	}
	if lk, err := s.locked(ctx, s.db.Read(), st.Note); err != nil {
		return 0, wrap(err)
	} else if lk {
		return 0, errLocked
	}
	t, err := templateByID(ctx, s.db.Read(), st.TemplateID)
	if err != nil {
		return 0, wrap(err)
	}
	if err := checkBody(t, d.Body); err != nil {
		return 0, err
	}
	if err := checkSession(d.Session); err != nil {
		return 0, err
	}
	body := keepTemplateKeys(t, d.Body)
	shared := map[string]string{}
	for _, f := range t.Fields {
		if f.Shared {
			shared[f.Key] = body[f.Key]
		}
	}
	var version int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := db.Micros(s.clock.Now())
		plain, _ := json.Marshal(body)
		sealed, err := s.sealer.EncryptTx(ctx, tx, plain, BodyAAD(id))
		if err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `UPDATE notes SET body = $1, service_code = $2, modifiers = $3, starts_at = $4, ends_at = $5, place_of_service = $6,
			participants = $7, diagnosis_ids = $8, code_reason = $9, version = version + 1, updated_at = $10
			WHERE id = $11 AND version = $12 AND status IN ('draft', 'returned')`,
			sealed, strings.ToUpper(strings.TrimSpace(d.Session.ServiceCode)), strings.TrimSpace(d.Session.Modifiers),
			db.NullMicros(d.Session.Start), db.NullMicros(d.Session.End), strings.TrimSpace(d.Session.PlaceOfService), strings.TrimSpace(d.Session.Participants),
			joinIDs(d.Session.DiagnosisIDs), strings.TrimSpace(d.Session.CodeReason), now, id, d.Version)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return apperr.Conflict("This note was saved elsewhere (another tab or person) since you opened it. Your text is kept below: copy what you need, then reload.")
		}
		version = d.Version + 1
		if st.GroupKey != 0 && len(shared) > 0 {
			if err := s.shareNarrative(ctx, tx, st.GroupKey, id, shared, now); err != nil {
				return err
			}
		}
		return s.audit.Record(ctx, tx, a, ev)
	})
	return version, wrap(err)
}

// keepTemplateKeys drops values for keys the template does not have, so a
// note holds only what its template asks.
func keepTemplateKeys(t Template, body map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range body {
		base, _, _ := strings.Cut(k, ".")
		if slices.ContainsFunc(t.Fields, func(f Field) bool { return f.Key == base }) {
			out[k] = v
		}
	}
	return out
}

func checkSession(s Session) error {
	f := map[string]string{}
	if !s.Start.IsZero() && !s.End.IsZero() && !s.End.After(s.Start) {
		f["end"] = "The end time must be after the start time."
	}
	if !s.Start.IsZero() && !s.End.IsZero() && s.End.Sub(s.Start) > 12*time.Hour {
		f["end"] = "A session lasts at most 12 hours."
	}
	if len(s.CodeReason) > 500 {
		f["code_reason"] = "Keep the reason under 500 characters."
	}
	if len(f) > 0 {
		return apperr.Invalid("Check the highlighted fields.", f)
	}
	return nil
}

// shareNarrative copies the shared fields into the other drafts of a group.
func (s *Service) shareNarrative(ctx context.Context, tx *db.Tx, groupKey, except int64, shared map[string]string, now int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, body FROM notes WHERE group_key = $1 AND id <> $2 AND status IN ('draft', 'returned')`, groupKey, except)
	if err != nil {
		return err
	}
	type member struct {
		id     int64
		sealed string
	}
	var ms []member
	for rows.Next() {
		var m member
		if err := rows.Scan(&m.id, &m.sealed); err != nil {
			rows.Close()
			return err
		}
		ms = append(ms, m)
	}
	rows.Close()
	for _, m := range ms {
		plain, err := s.sealer.Decrypt(ctx, m.sealed, BodyAAD(m.id))
		if err != nil {
			return err
		}
		body := map[string]string{}
		if err := json.Unmarshal(plain, &body); err != nil {
			return err
		}
		for k, v := range shared {
			body[k] = v
		}
		plain, _ = json.Marshal(body)
		sealed, err := s.sealer.EncryptTx(ctx, tx, plain, BodyAAD(m.id))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE notes SET body = $1, version = version + 1, updated_at = $2 WHERE id = $3`, sealed, now, m.id); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) deny(ctx context.Context, a access.Actor, ev audit.Event, why string) error {
	ev.Outcome, ev.Detail = audit.Denied, why
	if err := s.audit.RecordAlone(ctx, a, ev); err != nil {
		return wrap(err)
	}
	return apperr.Forbidden()
}

// Get returns a note. Clinical readers get the body; readers with only
// diagnoses.read (billers) get the service details with BodyHidden. Every
// read is audited. Errors: forbidden, not_found.
func (s *Service) Get(ctx context.Context, a access.Actor, id int64) (Note, error) {
	st, err := loadNote(ctx, s.db.Read(), id)
	if err != nil {
		return Note{}, wrap(err)
	}
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "note", ObjectID: audit.ObjectIDOf(id)}
	full := s.audit.Policy().Can(a, access.PermClinicalRead)
	p := access.PermClinicalRead
	if !full {
		p, ev.Detail = access.PermDiagnosesRead, "service details"
	}
	if _, err := s.audit.AuthorizeClient(ctx, a, p, st.ClientID, &ev); err != nil {
		return Note{}, err
	}
	n := st.Note
	if full {
		if n, err = s.open(ctx, st); err != nil {
			return Note{}, wrap(err)
		}
	} else {
		n.BodyHidden = true
	}
	return n, wrap(s.audit.RecordAlone(ctx, a, ev))
}

// ClientNotes lists a client's notes without their bodies, newest first.
// Errors: forbidden.
func (s *Service) ClientNotes(ctx context.Context, a access.Actor, clientID int64) ([]Note, error) {
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "client", ObjectID: audit.ObjectIDOf(clientID), Detail: "section notes"}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermDiagnosesRead, clientID, &ev); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+noteColumns+noteFrom+` WHERE n.client_id = $1 ORDER BY COALESCE(n.starts_at, n.created_at) DESC, n.id DESC`, clientID)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []Note
	for rows.Next() {
		st, err := scanNote(rows)
		if err != nil {
			return nil, wrap(err)
		}
		st.BodyHidden = true
		out = append(out, st.Note)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	return out, wrap(s.audit.RecordAlone(ctx, a, ev))
}

// SignInput is a signature: the signer's password (or authenticator code),
// the version they reviewed, and the attestation.
type SignInput struct {
	Password string
	Code     string
	Version  int64
	Attest   bool
}

// Missing lists the required fields a body leaves empty, as field labels.
func Missing(t Template, body map[string]string) []string {
	var out []string
	for _, f := range t.Fields {
		if !f.Required {
			continue
		}
		switch f.Type {
		case FieldPlan:
			if strings.TrimSpace(body[f.Key+".1.problem"]) == "" || strings.TrimSpace(body[f.Key+".1.goal"]) == "" {
				out = append(out, f.Label)
			}
		case FieldMSE:
			for _, d := range MSEDomains {
				if strings.TrimSpace(body[f.Key+"."+d.Key]) == "" {
					out = append(out, f.Label+": "+d.Label)
				}
			}
		case FieldRisk:
			if strings.TrimSpace(body[f.Key+".level"]) == "" {
				out = append(out, f.Label+": level")
			}
		default:
			if strings.TrimSpace(body[f.Key]) == "" {
				out = append(out, f.Label)
			}
		}
	}
	return out
}

// contentHash is the SHA-256 of the signed content: the note's identity, its
// body, its session details and the signature itself, in a canonical JSON
// form (object keys sorted).
func contentHash(n Note) string {
	// The client is left out on purpose: merging duplicate records moves a
	// note to the surviving record without changing what was signed.
	canon := struct {
		ID, TemplateID         int64
		Kind                   Kind
		Body                   map[string]string
		ServiceCode, Modifiers string
		Start, End             int64
		PlaceOfService         string
		Participants           string
		Diagnoses              []int64
		CodeReason             string
		SignedBy               int64
		SignedName             string
		SignedAt               int64
	}{n.ID, n.TemplateID, n.Kind, n.Body, n.Session.ServiceCode, n.Session.Modifiers, micros(n.Session.Start), micros(n.Session.End),
		n.Session.PlaceOfService, n.Session.Participants, n.Session.DiagnosisIDs, n.Session.CodeReason, n.SignedBy, n.SignedName, micros(n.SignedAt)}
	b, _ := json.Marshal(canon)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return db.Micros(t)
}

func signatureName(sg auth.Signer) string {
	if sg.Credentials != "" {
		return sg.Name + ", " + sg.Credentials
	}
	return sg.Name
}

// Sign signs the author's draft: every required field filled, session times
// in order, a service code that disagrees with the time rule explained, the
// password re-entered. The note is locked with a SHA-256 of its content. An
// associate's note then waits for the supervisor's co-signature.
// Errors: forbidden, invalid, not_found, conflict.
func (s *Service) Sign(ctx context.Context, a access.Actor, id int64, in SignInput) (Note, error) {
	st, err := loadNote(ctx, s.db.Read(), id)
	if err != nil {
		return Note{}, wrap(err)
	}
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "note", ObjectID: audit.ObjectIDOf(id), Detail: "signed"}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermClinicalWrite, st.ClientID, &ev); err != nil {
		return Note{}, err
	}
	if st.AuthorID != a.UserID {
		return Note{}, s.deny(ctx, a, ev, "only the author signs a note")
	}
	if !st.Status.Editable() {
		return Note{}, apperr.Conflict("This note is already signed.")
	}
	if st.Version != in.Version {
		return Note{}, apperr.Conflict("This note changed since you reviewed it. Review it again before signing.")
	}
	if lk, err := s.locked(ctx, s.db.Read(), st.Note); err != nil {
		return Note{}, wrap(err)
	} else if lk {
		return Note{}, errLocked
	}
	n, err := s.open(ctx, st)
	if err != nil {
		return Note{}, wrap(err)
	}
	t, err := templateByID(ctx, s.db.Read(), n.TemplateID)
	if err != nil {
		return Note{}, wrap(err)
	}
	f := map[string]string{}
	if missing := Missing(t, n.Body); len(missing) > 0 {
		f["body"] = "Fill in the required fields: " + strings.Join(missing, "; ") + "."
	}
	if n.Kind.IsService() && n.AppointmentID != 0 {
		if n.Session.Start.IsZero() || n.Session.End.IsZero() || !n.Session.End.After(n.Session.Start) {
			f["end"] = "Give the session's start and end times, the end after the start."
		} else if CodeMismatch(n.Kind, n.Session.ServiceCode, n.Session.Minutes()) && strings.TrimSpace(n.Session.CodeReason) == "" {
			f["code_reason"] = fmt.Sprintf("%d minutes suggests %s, not %s: change the code or explain why.", n.Session.Minutes(),
				orNone(SuggestCode(n.Kind, n.Session.Minutes())), n.Session.ServiceCode)
		}
	}
	if !in.Attest {
		f["attest"] = "Confirm the attestation."
	}
	if len(f) > 0 {
		return Note{}, apperr.Invalid("The note cannot be signed yet.", f)
	}
	signer, err := s.confirm.ConfirmIdentity(ctx, a, in.Password, in.Code)
	if err != nil {
		return Note{}, err
	}
	now := s.clock.Now().Truncate(time.Microsecond)
	n.SignedBy, n.SignedName, n.SignedAt = a.UserID, signatureName(signer), now
	n.ContentHash = contentHash(n)
	status := Signed
	if n.SupervisorID != 0 {
		status = AwaitingCosign
		ev.Detail = "signed, sent for co-signature"
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE notes SET status = $1, content_hash = $2, signed_by = $3, signed_name = $4, signed_at = $5,
			version = version + 1, updated_at = $5 WHERE id = $6 AND version = $7 AND status IN ('draft', 'returned')`,
			string(status), n.ContentHash, a.UserID, n.SignedName, db.Micros(now), id, in.Version)
		if err != nil {
			return err
		}
		if k, _ := r.RowsAffected(); k == 0 {
			return apperr.Conflict("This note changed while you were signing. Review it again.")
		}
		if err := s.recordRisk(ctx, tx, a, n, t); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, a, ev)
	})
	if err != nil {
		return Note{}, wrap(err)
	}
	n.Status, n.Version = status, in.Version+1
	return n, nil
}

func orNone(code string) string {
	if code == "" {
		return "no psychotherapy code"
	}
	return code
}

// recordRisk copies a signed note's risk block into the client's risk
// assessments, so the chart header reflects the latest assessed level.
func (s *Service) recordRisk(ctx context.Context, tx *db.Tx, a access.Actor, n Note, t Template) error {
	for _, f := range t.Fields {
		if f.Type != FieldRisk {
			continue
		}
		level := n.Body[f.Key+".level"]
		if !slices.Contains(clinical.RiskLevels, level) {
			continue
		}
		r := clinical.Risk{SuicidalIdeation: n.Body[f.Key+".suicidal_ideation"], HomicidalIdeation: n.Body[f.Key+".homicidal_ideation"],
			Plan: yes(n.Body[f.Key+".plan"]), Intent: yes(n.Body[f.Key+".intent"]), Means: yes(n.Body[f.Key+".means"]),
			History: n.Body[f.Key+".history"], ProtectiveFactors: n.Body[f.Key+".protective_factors"], Notes: fmt.Sprintf("From note %d", n.ID)}
		body, _ := json.Marshal(r)
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO risk_assessments (client_id, risk_level, body, assessed_by, assessed_at) VALUES ($1, $2, '', $3, $4) RETURNING id`,
			n.ClientID, level, actorID(a), db.Micros(n.SignedAt)).Scan(&id); err != nil {
			return err
		}
		sealed, err := s.sealer.EncryptTx(ctx, tx, body, clinical.RiskAAD(id))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE risk_assessments SET body = $1 WHERE id = $2`, sealed, id); err != nil {
			return err
		}
	}
	return nil
}

func yes(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	return v == "yes" || v == "true" || v == "on"
}

// Cosign is the supervisor's approval of a supervisee's signed note, which
// makes it final. Nobody co-signs their own note. Errors: forbidden,
// invalid, not_found, conflict.
func (s *Service) Cosign(ctx context.Context, a access.Actor, id int64, in SignInput) error {
	st, err := loadNote(ctx, s.db.Read(), id)
	if err != nil {
		return wrap(err)
	}
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "note", ObjectID: audit.ObjectIDOf(id), Detail: "co-signed"}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermNotesCosign, st.ClientID, &ev); err != nil {
		return err
	}
	if st.AuthorID == a.UserID {
		return apperr.Invalid("You cannot co-sign your own note.", map[string]string{"cosign": "Your own note."})
	}
	if ok, err := supervises(ctx, s.db.Read(), a.UserID, st.AuthorID, s.today()); err != nil {
		return wrap(err)
	} else if !ok {
		return s.deny(ctx, a, ev, "not the author's supervisor")
	}
	if st.Status != AwaitingCosign {
		return apperr.Conflict("This note is not waiting for a co-signature.")
	}
	if st.Version != in.Version {
		return apperr.Conflict("This note changed since you opened it. Review it again.")
	}
	if !in.Attest {
		return apperr.Invalid("Confirm that you reviewed the note.", map[string]string{"attest": "Confirm the review."})
	}
	signer, err := s.confirm.ConfirmIdentity(ctx, a, in.Password, in.Code)
	if err != nil {
		return err
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		now := db.Micros(s.clock.Now())
		r, err := tx.ExecContext(ctx, `UPDATE notes SET status = 'cosigned', cosigned_by = $1, cosigned_name = $2, cosigned_at = $3, version = version + 1, updated_at = $3
			WHERE id = $4 AND version = $5 AND status = 'awaiting_cosign'`, a.UserID, signatureName(signer), now, id, in.Version)
		if err != nil {
			return err
		}
		if k, _ := r.RowsAffected(); k == 0 {
			return apperr.Conflict("This note changed while you were co-signing. Review it again.")
		}
		return s.audit.Record(ctx, tx, a, ev)
	}))
}

// supervises reports whether supervisor has an active link to supervisee.
func supervises(ctx context.Context, q db.Querier, supervisor, supervisee int64, today string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM supervision WHERE supervisor_id = $1 AND supervisee_id = $2
		AND (starts_on = '' OR starts_on <= $3) AND (ends_on = '' OR ends_on >= $3)`, supervisor, supervisee, today).Scan(&n)
	return n > 0, err
}

// Return sends a supervisee's note back with comments; the author edits and
// signs again. Errors: forbidden, invalid, not_found, conflict.
func (s *Service) Return(ctx context.Context, a access.Actor, id int64, comment string, version int64) error {
	st, err := loadNote(ctx, s.db.Read(), id)
	if err != nil {
		return wrap(err)
	}
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "note", ObjectID: audit.ObjectIDOf(id), Detail: "returned to author"}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermNotesCosign, st.ClientID, &ev); err != nil {
		return err
	}
	if ok, err := supervises(ctx, s.db.Read(), a.UserID, st.AuthorID, s.today()); err != nil {
		return wrap(err)
	} else if !ok || st.AuthorID == a.UserID {
		return s.deny(ctx, a, ev, "not the author's supervisor")
	}
	comment = strings.TrimSpace(comment)
	if comment == "" || utf8.RuneCountInString(comment) > 4000 {
		return apperr.Invalid("Say what needs changing (up to 4,000 characters).", map[string]string{"comment": "Required."})
	}
	if st.Status != AwaitingCosign {
		return apperr.Conflict("This note is not waiting for a co-signature.")
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		sealed, err := s.sealer.EncryptTx(ctx, tx, []byte(comment), ReturnAAD(id))
		if err != nil {
			return err
		}
		now := db.Micros(s.clock.Now())
		// The author's signature is withdrawn: they sign again after editing.
		r, err := tx.ExecContext(ctx, `UPDATE notes SET status = 'returned', return_comment = $1, returned_at = $2, content_hash = '', signed_by = NULL,
			signed_name = '', signed_at = NULL, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4 AND status = 'awaiting_cosign'`,
			sealed, now, id, version)
		if err != nil {
			return err
		}
		if k, _ := r.RowsAffected(); k == 0 {
			return apperr.Conflict("This note changed since you opened it. Review it again.")
		}
		return s.audit.Record(ctx, tx, a, ev)
	}))
}

// AddendumInput is a correction to a signed note.
type AddendumInput struct {
	Kind     string // addendum (adds information) or amendment (corrects it)
	Text     string
	Reason   string // required for an amendment
	Password string
	Code     string
}

// AddAddendum appends a signed addendum or amendment to a signed note; the
// original stays as it was. The author or their supervisor may add one.
// Errors: forbidden, invalid, not_found, conflict.
func (s *Service) AddAddendum(ctx context.Context, a access.Actor, id int64, in AddendumInput) (int64, error) {
	st, err := loadNote(ctx, s.db.Read(), id)
	if err != nil {
		return 0, wrap(err)
	}
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "note_addendum", ClientID: st.ClientID, Detail: fmt.Sprintf("%s to note %d", in.Kind, id)}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermClinicalWrite, st.ClientID, &ev); err != nil {
		return 0, err
	}
	if st.AuthorID != a.UserID {
		if ok, err := supervises(ctx, s.db.Read(), a.UserID, st.AuthorID, s.today()); err != nil {
			return 0, wrap(err)
		} else if !ok {
			return 0, s.deny(ctx, a, ev, "only the author or their supervisor amends a note")
		}
	}
	if st.Status.Editable() {
		return 0, apperr.Conflict("This note is still a draft: edit it instead.")
	}
	in.Text, in.Reason = strings.TrimSpace(in.Text), strings.TrimSpace(in.Reason)
	f := map[string]string{}
	if in.Kind != "addendum" && in.Kind != "amendment" {
		f["kind"] = "Choose addendum or amendment."
	}
	if in.Text == "" || utf8.RuneCountInString(in.Text) > 20000 {
		f["text"] = "Write the addendum (up to 20,000 characters)."
	}
	if in.Kind == "amendment" && in.Reason == "" {
		f["reason"] = "Say why the note is amended."
	}
	if len(f) > 0 {
		return 0, apperr.Invalid("Check the highlighted fields.", f)
	}
	signer, err := s.confirm.ConfirmIdentity(ctx, a, in.Password, in.Code)
	if err != nil {
		return 0, err
	}
	var aid int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.clock.Now().Truncate(time.Microsecond)
		name := signatureName(signer)
		sum := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%s\x00%s\x00%s\x00%d\x00%s\x00%d", id, in.Kind, in.Text, in.Reason, a.UserID, name, db.Micros(now))))
		if err := tx.QueryRowContext(ctx, `INSERT INTO note_addenda (note_id, kind, body, reason, content_hash, author_id, signed_name, signed_at)
			VALUES ($1, $2, '', $3, $4, $5, $6, $7) RETURNING id`, id, in.Kind, in.Reason, hex.EncodeToString(sum[:]), a.UserID, name, db.Micros(now)).Scan(&aid); err != nil {
			return err
		}
		sealed, err := s.sealer.EncryptTx(ctx, tx, []byte(in.Text), AddendumAAD(aid))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE note_addenda SET body = $1 WHERE id = $2`, sealed, aid); err != nil {
			return err
		}
		ev.ObjectID = audit.ObjectIDOf(aid)
		return s.audit.Record(ctx, tx, a, ev)
	})
	return aid, wrap(err)
}

// Verification says whether a signed note's stored content still matches
// its signature.
type Verification struct {
	Signed  bool
	Matches bool
	Stored  string
	Actual  string
	// Addenda whose stored text no longer matches their hash.
	BadAddenda []int64
}

// Verify recomputes a signed note's content hash from what is stored now.
// Errors: forbidden, not_found.
func (s *Service) Verify(ctx context.Context, a access.Actor, id int64) (Verification, error) {
	n, err := s.Get(ctx, a, id)
	if err != nil {
		return Verification{}, err
	}
	if n.BodyHidden {
		return Verification{}, apperr.Forbidden()
	}
	if n.ContentHash == "" {
		return Verification{}, nil
	}
	v := Verification{Signed: true, Stored: n.ContentHash, Actual: contentHash(n)}
	v.Matches = v.Stored == v.Actual
	for _, ad := range n.Addenda {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%s\x00%s\x00%s\x00%d\x00%s\x00%d", id, ad.Kind, ad.Text, ad.Reason, ad.AuthorID, ad.SignedName, db.Micros(ad.SignedAt))))
		if hex.EncodeToString(sum[:]) != ad.ContentHash {
			v.BadAddenda = append(v.BadAddenda, ad.ID)
			v.Matches = false
		}
	}
	return v, nil
}

// Unlock reopens a draft locked by the documentation deadline for the
// author, for three days, with a reason. Errors: forbidden, invalid, not_found.
func (s *Service) Unlock(ctx context.Context, a access.Actor, id int64, reason string) error {
	st, err := loadNote(ctx, s.db.Read(), id)
	if err != nil {
		return wrap(err)
	}
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "note", ObjectID: audit.ObjectIDOf(id), Detail: "unlocked"}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermNotesUnlock, st.ClientID, &ev); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 500 {
		return apperr.Invalid("Give a reason for unlocking.", map[string]string{"reason": "Required."})
	}
	if !st.Status.Editable() {
		return apperr.Conflict("Only a draft can be unlocked; a signed note takes an addendum.")
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.clock.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE notes SET unlocked_until = $1, unlock_reason = $2, version = version + 1, updated_at = $3 WHERE id = $4`,
			db.Micros(now.Add(72*time.Hour)), reason, db.Micros(now), id); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, a, ev)
	}))
}
