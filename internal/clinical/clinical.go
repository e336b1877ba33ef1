// Package clinical keeps the clinical facts about a client outside notes:
// the diagnosis list (ICD-10-CM, with history), medications, structured risk
// assessments and the safety plan. Risk assessments and safety plans are
// sealed with the field encryption.
package clinical

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/icd10"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Sealer encrypts and decrypts values bound to their rows (the platform
// keyring implements it).
type Sealer interface {
	EncryptTx(ctx context.Context, tx *db.Tx, plaintext []byte, aad string) (string, error)
	Decrypt(ctx context.Context, value string, aad string) ([]byte, error)
}

// Service is the clinical record outside notes.
type Service struct {
	db     *db.DB
	clock  clock.Clock
	audit  *audit.Log
	sealer Sealer
	// Location is the practice's time zone, for "today".
	Location *time.Location
}

// NewService returns the clinical service.
func NewService(d *db.DB, c clock.Clock, l *audit.Log, s Sealer) *Service {
	return &Service{db: d, clock: c, audit: l, sealer: s, Location: time.UTC}
}

func (s *Service) today() string { return s.clock.Now().In(s.Location).Format(time.DateOnly) }

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return apperr.As(err)
}

func clean(v string) string { return strings.TrimSpace(v) }

func validDate(v string) bool { _, err := time.Parse(time.DateOnly, v); return err == nil }

// change authorises a write to one client's clinical data, runs fn in a
// transaction and records ev there.
func (s *Service) change(ctx context.Context, a access.Actor, p access.Permission, clientID int64, ev audit.Event, fn func(tx *db.Tx) (int64, error)) (int64, error) {
	if _, err := s.audit.AuthorizeClient(ctx, a, p, clientID, &ev); err != nil {
		return 0, err
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM clients WHERE id = $1`, clientID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFound("client")
		}
		var err error
		if id, err = fn(tx); err != nil {
			return err
		}
		if ev.ObjectID == "" && id != 0 {
			ev.ObjectID = audit.ObjectIDOf(id)
		}
		return s.audit.Record(ctx, tx, a, ev)
	})
	return id, wrap(err)
}

// read authorises and audits a read of one section of a client's clinical data.
func (s *Service) read(ctx context.Context, a access.Actor, p access.Permission, clientID int64, section string, fn func() error) error {
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "client", ObjectID: audit.ObjectIDOf(clientID), Detail: "section " + section}
	if _, err := s.audit.AuthorizeClient(ctx, a, p, clientID, &ev); err != nil {
		return err
	}
	if err := fn(); err != nil {
		return wrap(err)
	}
	return wrap(s.audit.RecordAlone(ctx, a, ev))
}

func actorID(a access.Actor) any {
	if a.System {
		return nil
	}
	return a.UserID
}

// Diagnosis statuses.
var DiagnosisStatuses = []string{"active", "resolved", "ruled_out"}

// Diagnosis is one entry of a client's diagnosis list.
type Diagnosis struct {
	ID        int64
	ClientID  int64
	Code      string // without the dot
	Title     string
	Rank      int // 1 is primary
	Onset     string
	Resolved  string
	Status    string
	AddedBy   string
	Version   int64
	UpdatedAt time.Time
}

// Dotted is the code with its dot.
func (d Diagnosis) Dotted() string { return icd10.Dotted(d.Code) }

// RankLabel names the rank: primary, secondary, …
func (d Diagnosis) RankLabel() string {
	switch d.Rank {
	case 1:
		return "Primary"
	case 2:
		return "Secondary"
	case 3:
		return "Tertiary"
	}
	return fmt.Sprintf("#%d", d.Rank)
}

// DiagnosisInput is a new or changed diagnosis.
type DiagnosisInput struct {
	Code     string
	Rank     int
	Onset    string
	Resolved string
	Status   string
	Version  int64 // for changes
}

func (in *DiagnosisInput) validate(today string, isNew bool) (icd10.Code, error) {
	in.Onset, in.Resolved, in.Status = clean(in.Onset), clean(in.Resolved), clean(in.Status)
	if in.Status == "" {
		in.Status = "active"
	}
	f := map[string]string{}
	code, ok := icd10.Lookup(in.Code)
	if isNew && !ok {
		f["code"] = "Choose a billable ICD-10-CM code (FY2026). A category such as F33 needs its full code, e.g. F33.1."
	}
	if in.Rank < 1 || in.Rank > 12 {
		f["rank"] = "Rank is 1 (primary) to 12."
	}
	if !slices.Contains(DiagnosisStatuses, in.Status) {
		f["status"] = "Choose active, resolved or ruled out."
	}
	if in.Onset != "" && (!validDate(in.Onset) || in.Onset > today) {
		f["onset"] = "Give the onset as a date that is not in the future."
	}
	if in.Resolved != "" && (!validDate(in.Resolved) || in.Resolved > today || (in.Onset != "" && in.Resolved < in.Onset)) {
		f["resolved"] = "Give the resolved date as a date after the onset and not in the future."
	}
	if in.Status == "resolved" && in.Resolved == "" {
		in.Resolved = today
	}
	if len(f) > 0 {
		return code, apperr.Invalid("Check the highlighted fields.", f)
	}
	return code, nil
}

func history(ctx context.Context, tx *db.Tx, a access.Actor, id int64, change string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO diagnosis_history (diagnosis_id, change, code, rank, status, onset, resolved, user_id, at)
		SELECT id, $1, code, rank, status, onset, resolved, $2, $3 FROM diagnoses WHERE id = $4`, change, actorID(a), db.Micros(now), id)
	return err
}

// AddDiagnosis adds a billable code to a client's list. Errors: forbidden,
// invalid, not_found, conflict (the code is already on the list).
func (s *Service) AddDiagnosis(ctx context.Context, a access.Actor, clientID int64, in DiagnosisInput) (int64, error) {
	code, err := in.validate(s.today(), true)
	if err != nil {
		return 0, err
	}
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "diagnosis", Detail: "code " + code.Dotted()}
	return s.change(ctx, a, access.PermClinicalWrite, clientID, ev, func(tx *db.Tx) (int64, error) {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM diagnoses WHERE client_id = $1 AND code = $2 AND status = 'active'`, clientID, code.Code).Scan(&n); err != nil {
			return 0, err
		}
		if n > 0 {
			return 0, &apperr.Error{Code: apperr.CodeConflict, Message: "This diagnosis is already on the list.", Fields: map[string]string{"code": "Already listed."}}
		}
		now := s.clock.Now()
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO diagnoses (client_id, code, title, rank, onset, resolved, status, added_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`, clientID, code.Code, code.Title, in.Rank, in.Onset, in.Resolved, in.Status,
			actorID(a), db.Micros(now)).Scan(&id); err != nil {
			return 0, err
		}
		return id, history(ctx, tx, a, id, "added", now)
	})
}

// UpdateDiagnosis changes a diagnosis's rank, dates or status (the code of a
// diagnosis never changes: add the new one and resolve or rule out the old).
// Errors: forbidden, invalid, not_found, conflict (stale version).
func (s *Service) UpdateDiagnosis(ctx context.Context, a access.Actor, clientID, id int64, in DiagnosisInput) error {
	if _, err := in.validate(s.today(), false); err != nil {
		return err
	}
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "diagnosis", ObjectID: audit.ObjectIDOf(id), Detail: "changed rank, dates, status"}
	_, err := s.change(ctx, a, access.PermClinicalWrite, clientID, ev, func(tx *db.Tx) (int64, error) {
		now := s.clock.Now()
		r, err := tx.ExecContext(ctx, `UPDATE diagnoses SET rank = $1, onset = $2, resolved = $3, status = $4, version = version + 1, updated_at = $5
			WHERE id = $6 AND client_id = $7 AND version = $8`, in.Rank, in.Onset, in.Resolved, in.Status, db.Micros(now), id, clientID, in.Version)
		if err != nil {
			return 0, err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return 0, apperr.Conflict("This diagnosis was changed by someone else, or no longer exists. Reload and try again.")
		}
		return id, history(ctx, tx, a, id, "changed", now)
	})
	return err
}

// Diagnoses lists a client's diagnoses, active first, by rank. Billers may
// read them (diagnoses.read). Errors: forbidden.
func (s *Service) Diagnoses(ctx context.Context, a access.Actor, clientID int64) ([]Diagnosis, error) {
	var out []Diagnosis
	err := s.read(ctx, a, access.PermDiagnosesRead, clientID, "diagnoses", func() error {
		var err error
		out, err = diagnosesOf(ctx, s.db.Read(), clientID)
		return err
	})
	return out, err
}

func diagnosesOf(ctx context.Context, q db.Querier, clientID int64) ([]Diagnosis, error) {
	rows, err := q.QueryContext(ctx, `SELECT d.id, d.client_id, d.code, d.title, d.rank, d.onset, d.resolved, d.status, COALESCE(u.name, ''), d.version, d.updated_at
		FROM diagnoses d LEFT JOIN users u ON u.id = d.added_by WHERE d.client_id = $1
		ORDER BY CASE d.status WHEN 'active' THEN 0 ELSE 1 END, d.rank, d.id`, clientID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Diagnosis
	for rows.Next() {
		var d Diagnosis
		var updated int64
		if err := rows.Scan(&d.ID, &d.ClientID, &d.Code, &d.Title, &d.Rank, &d.Onset, &d.Resolved, &d.Status, &d.AddedBy, &d.Version, &updated); err != nil {
			return nil, err
		}
		d.UpdatedAt = db.Time(updated)
		out = append(out, d)
	}
	return out, rows.Err()
}

// ActiveDiagnoses is the list notes point into, without audit (the caller
// audits the read it is part of).
func ActiveDiagnoses(ctx context.Context, q db.Querier, clientID int64) ([]Diagnosis, error) {
	all, err := diagnosesOf(ctx, q, clientID)
	return slices.DeleteFunc(all, func(d Diagnosis) bool { return d.Status != "active" }), err
}

// HistoryEntry is one past state of a diagnosis.
type HistoryEntry struct {
	Change   string
	Code     string
	Rank     int
	Status   string
	Onset    string
	Resolved string
	By       string
	At       time.Time
}

// DiagnosisHistory lists the states of one diagnosis, oldest first.
func (s *Service) DiagnosisHistory(ctx context.Context, a access.Actor, clientID, id int64) ([]HistoryEntry, error) {
	var out []HistoryEntry
	err := s.read(ctx, a, access.PermDiagnosesRead, clientID, "diagnosis history", func() error {
		rows, err := s.db.Read().QueryContext(ctx, `SELECT h.change, h.code, h.rank, h.status, h.onset, h.resolved, COALESCE(u.name, ''), h.at
			FROM diagnosis_history h JOIN diagnoses d ON d.id = h.diagnosis_id LEFT JOIN users u ON u.id = h.user_id
			WHERE h.diagnosis_id = $1 AND d.client_id = $2 ORDER BY h.id`, id, clientID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h HistoryEntry
			var at int64
			if err := rows.Scan(&h.Change, &h.Code, &h.Rank, &h.Status, &h.Onset, &h.Resolved, &h.By, &at); err != nil {
				return err
			}
			h.At = db.Time(at)
			out = append(out, h)
		}
		return rows.Err()
	})
	return out, err
}

// Medication is one medication on a client's list.
type Medication struct {
	ID         int64
	Name       string
	Dose       string
	Frequency  string
	Prescriber string
	Start      string
	Stop       string
	Notes      string
	Version    int64
}

func (m *Medication) validate(today string) error {
	m.Name, m.Dose, m.Frequency, m.Prescriber = clean(m.Name), clean(m.Dose), clean(m.Frequency), clean(m.Prescriber)
	m.Start, m.Stop, m.Notes = clean(m.Start), clean(m.Stop), clean(m.Notes)
	f := map[string]string{}
	if m.Name == "" || utf8.RuneCountInString(m.Name) > 120 {
		f["name"] = "Give the medication's name."
	}
	for k, v := range map[string]string{"dose": m.Dose, "frequency": m.Frequency, "prescriber": m.Prescriber} {
		if utf8.RuneCountInString(v) > 120 {
			f[k] = "Keep this under 120 characters."
		}
	}
	if m.Start != "" && (!validDate(m.Start) || m.Start > today) {
		f["start"] = "Give the start as a date that is not in the future."
	}
	if m.Stop != "" && (!validDate(m.Stop) || (m.Start != "" && m.Stop < m.Start)) {
		f["stop"] = "Give the stop date as a date after the start."
	}
	if utf8.RuneCountInString(m.Notes) > 1000 {
		f["notes"] = "Keep the notes under 1,000 characters."
	}
	if len(f) > 0 {
		return apperr.Invalid("Check the highlighted fields.", f)
	}
	return nil
}

// SaveMedication adds (ID 0) or updates a medication. Errors: forbidden,
// invalid, not_found, conflict.
func (s *Service) SaveMedication(ctx context.Context, a access.Actor, clientID int64, m Medication) (int64, error) {
	if err := m.validate(s.today()); err != nil {
		return 0, err
	}
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "medication"}
	if m.ID != 0 {
		ev.Action, ev.ObjectID = audit.ActionUpdate, audit.ObjectIDOf(m.ID)
	}
	return s.change(ctx, a, access.PermClinicalWrite, clientID, ev, func(tx *db.Tx) (int64, error) {
		now := db.Micros(s.clock.Now())
		if m.ID == 0 {
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO medications (client_id, name, dose, frequency, prescriber, start_date, stop_date, notes, added_by, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`, clientID, m.Name, m.Dose, m.Frequency, m.Prescriber, m.Start, m.Stop, m.Notes,
				actorID(a), now).Scan(&id)
			return id, err
		}
		r, err := tx.ExecContext(ctx, `UPDATE medications SET name = $1, dose = $2, frequency = $3, prescriber = $4, start_date = $5, stop_date = $6, notes = $7,
			version = version + 1, updated_at = $8 WHERE id = $9 AND client_id = $10 AND version = $11`,
			m.Name, m.Dose, m.Frequency, m.Prescriber, m.Start, m.Stop, m.Notes, now, m.ID, clientID, m.Version)
		if err != nil {
			return 0, err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return 0, apperr.Conflict("This medication was changed by someone else. Reload and try again.")
		}
		return m.ID, nil
	})
}

// Medications lists a client's medications, current first.
func (s *Service) Medications(ctx context.Context, a access.Actor, clientID int64) ([]Medication, error) {
	var out []Medication
	err := s.read(ctx, a, access.PermClinicalRead, clientID, "medications", func() error {
		rows, err := s.db.Read().QueryContext(ctx, `SELECT id, name, dose, frequency, prescriber, start_date, stop_date, notes, version FROM medications
			WHERE client_id = $1 ORDER BY CASE WHEN stop_date = '' THEN 0 ELSE 1 END, name`, clientID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m Medication
			if err := rows.Scan(&m.ID, &m.Name, &m.Dose, &m.Frequency, &m.Prescriber, &m.Start, &m.Stop, &m.Notes, &m.Version); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}

// Risk levels, lowest first.
var RiskLevels = []string{"none", "low", "moderate", "high", "imminent"}

// Elevated reports whether a level calls for the chart header's flag.
func Elevated(level string) bool {
	return level == "moderate" || level == "high" || level == "imminent"
}

// Risk is a structured risk assessment.
type Risk struct {
	ID                int64     `json:"-"`
	SuicidalIdeation  string    `json:"suicidal_ideation"` // none, passive, active
	HomicidalIdeation string    `json:"homicidal_ideation"`
	Plan              bool      `json:"plan"`
	Intent            bool      `json:"intent"`
	Means             bool      `json:"means"`
	History           string    `json:"history"`
	ProtectiveFactors string    `json:"protective_factors"`
	Level             string    `json:"-"`
	Notes             string    `json:"notes"`
	AssessedBy        string    `json:"-"`
	AssessedAt        time.Time `json:"-"`
}

// Ideations are the answers for suicidal and homicidal ideation.
var Ideations = []string{"none", "passive", "active"}

func (r *Risk) validate() error {
	f := map[string]string{}
	if !slices.Contains(Ideations, r.SuicidalIdeation) {
		f["suicidal_ideation"] = "Choose none, passive or active."
	}
	if !slices.Contains(Ideations, r.HomicidalIdeation) {
		f["homicidal_ideation"] = "Choose none, passive or active."
	}
	if !slices.Contains(RiskLevels, r.Level) {
		f["level"] = "Choose the overall risk level."
	}
	if (r.Plan || r.Intent) && r.SuicidalIdeation == "none" && r.HomicidalIdeation == "none" {
		f["plan"] = "A plan or intent goes with suicidal or homicidal ideation: check the answers."
	}
	for k, v := range map[string]string{"history": r.History, "protective_factors": r.ProtectiveFactors, "notes": r.Notes} {
		if utf8.RuneCountInString(v) > 4000 {
			f[k] = "Keep this under 4,000 characters."
		}
	}
	if len(f) > 0 {
		return apperr.Invalid("Check the highlighted fields.", f)
	}
	return nil
}

// RiskAAD binds a sealed risk assessment to its row.
func RiskAAD(id int64) string { return fmt.Sprintf("risk_assessments.body:%d", id) }

// SafetyPlanAAD binds a sealed safety plan to its client.
func SafetyPlanAAD(clientID int64) string { return fmt.Sprintf("safety_plans.body:%d", clientID) }

// AssessRisk records a risk assessment. Errors: forbidden, invalid, not_found.
func (s *Service) AssessRisk(ctx context.Context, a access.Actor, clientID int64, r Risk) (int64, error) {
	if err := r.validate(); err != nil {
		return 0, err
	}
	body, _ := json.Marshal(r)
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "risk_assessment", Detail: "level " + r.Level}
	return s.change(ctx, a, access.PermClinicalWrite, clientID, ev, func(tx *db.Tx) (int64, error) {
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO risk_assessments (client_id, risk_level, body, assessed_by, assessed_at) VALUES ($1, $2, '', $3, $4) RETURNING id`,
			clientID, r.Level, actorID(a), db.Micros(s.clock.Now())).Scan(&id); err != nil {
			return 0, err
		}
		sealed, err := s.sealer.EncryptTx(ctx, tx, body, RiskAAD(id))
		if err != nil {
			return 0, err
		}
		_, err = tx.ExecContext(ctx, `UPDATE risk_assessments SET body = $1 WHERE id = $2`, sealed, id)
		return id, err
	})
}

// LatestRisk returns the client's most recent risk assessment, or a zero
// Risk with Level "" when none was made.
func (s *Service) LatestRisk(ctx context.Context, a access.Actor, clientID int64) (Risk, error) {
	var r Risk
	err := s.read(ctx, a, access.PermClinicalRead, clientID, "risk", func() error {
		var sealed string
		var at int64
		err := s.db.Read().QueryRowContext(ctx, `SELECT r.id, r.risk_level, r.body, COALESCE(u.name, ''), r.assessed_at FROM risk_assessments r
			LEFT JOIN users u ON u.id = r.assessed_by WHERE r.client_id = $1 ORDER BY r.assessed_at DESC, r.id DESC LIMIT 1`, clientID).
			Scan(&r.ID, &r.Level, &sealed, &r.AssessedBy, &at)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		plain, err := s.sealer.Decrypt(ctx, sealed, RiskAAD(r.ID))
		if err != nil {
			return err
		}
		level, by := r.Level, r.AssessedBy
		if err := json.Unmarshal(plain, &r); err != nil {
			return err
		}
		r.Level, r.AssessedBy, r.AssessedAt = level, by, db.Time(at)
		return nil
	})
	return r, err
}

// RiskLevel is the latest assessed level, for the chart header, without the
// assessment's content (and so without its own audit entry: the chart's read
// is audited).
func RiskLevel(ctx context.Context, q db.Querier, clientID int64) (string, error) {
	var level string
	err := q.QueryRowContext(ctx, `SELECT risk_level FROM risk_assessments WHERE client_id = $1 ORDER BY assessed_at DESC, id DESC LIMIT 1`, clientID).Scan(&level)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return level, err
}

// SafetyPlan is a client's safety plan.
type SafetyPlan struct {
	WarningSigns     string    `json:"warning_signs"`
	CopingStrategies string    `json:"coping_strategies"`
	Contacts         string    `json:"contacts"` // people and professionals to call
	MeansRestriction string    `json:"means_restriction"`
	ReasonsForLiving string    `json:"reasons_for_living"`
	Version          int64     `json:"-"`
	UpdatedBy        string    `json:"-"`
	UpdatedAt        time.Time `json:"-"`
	Exists           bool      `json:"-"`
}

// SaveSafetyPlan writes the safety plan; Version must match the stored one
// (0 for the first). Errors: forbidden, invalid, not_found, conflict.
func (s *Service) SaveSafetyPlan(ctx context.Context, a access.Actor, clientID int64, p SafetyPlan) error {
	f := map[string]string{}
	for k, v := range map[string]*string{"warning_signs": &p.WarningSigns, "coping_strategies": &p.CopingStrategies, "contacts": &p.Contacts,
		"means_restriction": &p.MeansRestriction, "reasons_for_living": &p.ReasonsForLiving} {
		*v = clean(*v)
		if utf8.RuneCountInString(*v) > 4000 {
			f[k] = "Keep this under 4,000 characters."
		}
	}
	if p.WarningSigns == "" || p.Contacts == "" {
		f["warning_signs"] = "A safety plan names at least the warning signs and whom to contact."
	}
	if len(f) > 0 {
		return apperr.Invalid("Check the highlighted fields.", f)
	}
	body, _ := json.Marshal(p)
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "safety_plan", ObjectID: audit.ObjectIDOf(clientID)}
	_, err := s.change(ctx, a, access.PermClinicalWrite, clientID, ev, func(tx *db.Tx) (int64, error) {
		sealed, err := s.sealer.EncryptTx(ctx, tx, body, SafetyPlanAAD(clientID))
		if err != nil {
			return 0, err
		}
		now := db.Micros(s.clock.Now())
		var r sql.Result
		if p.Version == 0 {
			r, err = tx.ExecContext(ctx, `INSERT INTO safety_plans (client_id, body, updated_by, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (client_id) DO NOTHING`,
				clientID, sealed, actorID(a), now)
		} else {
			r, err = tx.ExecContext(ctx, `UPDATE safety_plans SET body = $1, updated_by = $2, updated_at = $3, version = version + 1 WHERE client_id = $4 AND version = $5`,
				sealed, actorID(a), now, clientID, p.Version)
		}
		if err != nil {
			return 0, err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return 0, apperr.Conflict("The safety plan was changed by someone else. Reload to see it, then make your change again.")
		}
		return clientID, nil
	})
	return err
}

// SafetyPlanOf returns the client's safety plan (Exists false when none).
func (s *Service) SafetyPlanOf(ctx context.Context, a access.Actor, clientID int64) (SafetyPlan, error) {
	var p SafetyPlan
	err := s.read(ctx, a, access.PermClinicalRead, clientID, "safety plan", func() error {
		var sealed string
		var at int64
		err := s.db.Read().QueryRowContext(ctx, `SELECT p.body, p.version, COALESCE(u.name, ''), p.updated_at FROM safety_plans p LEFT JOIN users u ON u.id = p.updated_by
			WHERE p.client_id = $1`, clientID).Scan(&sealed, &p.Version, &p.UpdatedBy, &at)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		plain, err := s.sealer.Decrypt(ctx, sealed, SafetyPlanAAD(clientID))
		if err != nil {
			return err
		}
		v, by := p.Version, p.UpdatedBy
		if err := json.Unmarshal(plain, &p); err != nil {
			return err
		}
		p.Version, p.UpdatedBy, p.UpdatedAt, p.Exists = v, by, db.Time(at), true
		return nil
	})
	return p, err
}
