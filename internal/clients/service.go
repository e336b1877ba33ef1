package clients

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Sealer encrypts a value inside the caller's transaction (the platform
// keyring implements it).
type Sealer interface {
	EncryptTx(ctx context.Context, tx *db.Tx, plaintext []byte, aad string) (string, error)
	DecryptTx(ctx context.Context, tx *db.Tx, value string, aad string) ([]byte, error)
}

// SSNAAD binds a sealed SSN to its client row.
func SSNAAD(id int64) string { return fmt.Sprintf("clients.ssn:%d", id) }

// BreakGlassFor is how long emergency access lasts.
const BreakGlassFor = time.Hour

// Service is the client record.
type Service struct {
	db     *db.DB
	clock  clock.Clock
	audit  *audit.Log
	sealer Sealer
	// Location is the practice's time zone, for "today" in date checks.
	Location *time.Location
}

// NewService returns the client service.
func NewService(d *db.DB, c clock.Clock, l *audit.Log, s Sealer) *Service {
	return &Service{db: d, clock: c, audit: l, sealer: s, Location: time.UTC}
}

func (s *Service) today() string { return s.clock.Now().In(s.Location).Format(time.DateOnly) }

// CaseloadRule is the access policy's per-client rule: clinicians and
// associates reach the clients on their caseload, supervisors also their
// supervisees' clients, and any of them a client they opened through
// break-the-glass while the grant lasts. Other roles are not limited by it.
func CaseloadRule(d *db.DB, c clock.Clock) access.ClientRule {
	return func(ctx context.Context, a access.Actor, r access.Role, p access.Permission, clientID int64) (access.Grant, error) {
		if !slices.Contains(access.CaseloadRoles, r) {
			return access.Granted, nil
		}
		var onCaseload, emergency bool
		err := d.Read().QueryRowContext(ctx, `SELECT
			EXISTS (SELECT 1 FROM clients c WHERE c.id = $1 AND `+caseloadSQL("$2", r == access.RoleSupervisor, c.Now())+`),
			EXISTS (SELECT 1 FROM break_glass WHERE user_id = $2 AND client_id = $1 AND expires_at > $3)`,
			clientID, a.UserID, db.Micros(c.Now())).Scan(&onCaseload, &emergency)
		switch {
		case err != nil:
			return access.Refused, fmt.Errorf("caseload rule: %w", err)
		case onCaseload:
			return access.Granted, nil
		case emergency:
			return access.GrantedInEmergency, nil
		}
		return access.Refused, nil
	}
}

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return apperr.As(err)
}

// Create registers a client and assigns the MRN. Front desk, administrators,
// clinicians and associates. A client whose name and birth date match an
// existing one is refused (conflict, field "duplicate") unless
// in.AllowDuplicate. Errors: forbidden, invalid, conflict.
func (s *Service) Create(ctx context.Context, a access.Actor, in Input) (Client, error) {
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "client"}
	role, err := s.audit.Authorize(ctx, a, access.PermClientsWrite, access.Target{}, ev)
	if err != nil {
		return Client{}, err
	}
	in.normalize()
	if err := in.validate(s.today()); err != nil {
		return Client{}, err
	}
	if in.StatusDate == "" {
		in.StatusDate = s.today()
	}
	// A clinician or associate who registers a client and names nobody else
	// takes them on, or they could not see whom they registered.
	if in.PrimaryClinicianID == 0 && (role == access.RoleClinician || role == access.RoleAssociate) {
		in.PrimaryClinicianID = a.UserID
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := checkStaff(ctx, tx, in); err != nil {
			return err
		}
		if !in.AllowDuplicate {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM clients WHERE search_last = $1 AND search_first = $2 AND birth_date = $3`,
				Fold(in.LastName), Fold(in.FirstName), in.BirthDate).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return &apperr.Error{Code: apperr.CodeConflict, Message: "A client with the same name and date of birth is already registered. Search for them first; if this is a different person, confirm and save again.",
					Fields: map[string]string{"duplicate": "Same name and date of birth as an existing client."}}
			}
		}
		mrn, err := nextMRN(ctx, tx)
		if err != nil {
			return err
		}
		now := db.Micros(s.clock.Now())
		last4, sealed := "", ""
		if id, err = writeClient(ctx, tx, 0, mrn, in, "", now, 0); err != nil {
			return err
		}
		if digits, ok := validSSN(in.SSN); ok {
			if sealed, err = s.sealer.EncryptTx(ctx, tx, []byte(digits), SSNAAD(id)); err != nil {
				return err
			}
			last4 = digits[5:]
			if _, err := tx.ExecContext(ctx, `UPDATE clients SET ssn = $1, ssn_last4 = $2 WHERE id = $3`, sealed, last4, id); err != nil {
				return err
			}
		}
		if err := replacePhones(ctx, tx, id, in.Phones); err != nil {
			return err
		}
		if err := replaceCareTeam(ctx, tx, id, careTeam(in)); err != nil {
			return err
		}
		ev.Role, ev.ObjectID, ev.ClientID = role, audit.ObjectIDOf(id), id
		return s.audit.Record(ctx, tx, a, ev)
	})
	if err != nil {
		return Client{}, wrap(err)
	}
	c, err := findClient(ctx, s.db.Read(), id)
	return c, wrap(err)
}

// careTeam drops the primary clinician and repeats from the care team.
func careTeam(in Input) []int64 {
	var out []int64
	for _, id := range in.CareTeam {
		if id != 0 && id != in.PrimaryClinicianID && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// checkStaff refuses a primary clinician or care team member who is not an
// active clinician, associate or supervisor, and an unknown location.
func checkStaff(ctx context.Context, tx *db.Tx, in Input) error {
	f := map[string]string{}
	check := func(uid int64, field string) error {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users u JOIN user_roles r ON r.user_id = u.id
			WHERE u.id = $1 AND u.status = 'active' AND r.role IN ('clinician', 'associate', 'supervisor')`, uid).Scan(&n)
		if err == nil && n == 0 {
			f[field] = "Choose an active clinician."
		}
		return err
	}
	if in.PrimaryClinicianID != 0 {
		if err := check(in.PrimaryClinicianID, "primary_clinician"); err != nil {
			return err
		}
	}
	for _, uid := range in.CareTeam {
		if err := check(uid, "care_team"); err != nil {
			return err
		}
	}
	if in.LocationID != 0 {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM locations WHERE id = $1`, in.LocationID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			f["location"] = "Choose a location from the list."
		}
	}
	if len(f) > 0 {
		return apperr.Invalid("Please correct the highlighted fields.", f)
	}
	return nil
}

// Sections of the record, named in audit entries of reads.
const (
	SectionChart        = "chart"
	SectionDemographics = "demographics"
	SectionContacts     = "contacts"
)

// Get returns a client's record; the read is audited with the section shown.
// Staff whose role covers the client (caseload for clinicians).
// Errors: forbidden, not_found.
func (s *Service) Get(ctx context.Context, a access.Actor, id int64, section string) (Client, error) {
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "client", ObjectID: audit.ObjectIDOf(id), Detail: "section " + section}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermClientsRead, id, &ev); err != nil {
		return Client{}, err
	}
	var c Client
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if c, err = findClient(ctx, tx, id); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, a, ev)
	})
	return c, wrap(err)
}

// Update saves a client's record if version still matches. SSN: empty keeps
// it, "-" removes it. Errors: forbidden, invalid, not_found, conflict.
func (s *Service) Update(ctx context.Context, a access.Actor, id int64, in Input, version int64) error {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "client", ObjectID: audit.ObjectIDOf(id)}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermClientsWrite, id, &ev); err != nil {
		return err
	}
	in.normalize()
	if err := in.validate(s.today()); err != nil {
		return err
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		old, err := findClient(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.Version != version {
			return apperr.Conflict("Someone else changed this client while you were editing. Your changes are below: review the record, then save again.")
		}
		if in.StatusDate == "" || in.Status != old.Status && in.StatusDate == old.StatusDate {
			in.StatusDate = s.today()
		}
		if err := checkStaff(ctx, tx, in); err != nil {
			return err
		}
		last4 := old.SSNLast4
		changed := changedFields(old, in)
		switch digits, ok := validSSN(in.SSN); {
		case in.SSN == "-":
			last4 = ""
			if _, err := tx.ExecContext(ctx, `UPDATE clients SET ssn = '' WHERE id = $1`, id); err != nil {
				return err
			}
			changed = append(changed, "ssn")
		case ok:
			sealed, err := s.sealer.EncryptTx(ctx, tx, []byte(digits), SSNAAD(id))
			if err != nil {
				return err
			}
			last4 = digits[5:]
			if _, err := tx.ExecContext(ctx, `UPDATE clients SET ssn = $1 WHERE id = $2`, sealed, id); err != nil {
				return err
			}
			changed = append(changed, "ssn")
		}
		if _, err := writeClient(ctx, tx, id, "", in, last4, db.Micros(s.clock.Now()), version); err != nil {
			return err
		}
		if err := replacePhones(ctx, tx, id, in.Phones); err != nil {
			return err
		}
		if err := replaceCareTeam(ctx, tx, id, careTeam(in)); err != nil {
			return err
		}
		ev.Detail = strings.TrimSpace(ev.Detail + " fields " + strings.Join(changed, ","))
		return s.audit.Record(ctx, tx, a, ev)
	}))
}

// changedFields names what an update changes, for the audit entry.
func changedFields(old Client, in Input) []string {
	var out []string
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("name", old.FirstName != in.FirstName || old.MiddleName != in.MiddleName || old.LastName != in.LastName || old.Suffix != in.Suffix)
	add("preferred_name", old.PreferredName != in.PreferredName)
	add("pronouns", old.Pronouns != in.Pronouns)
	add("birth_date", old.BirthDate != in.BirthDate)
	add("sex", old.Sex != in.Sex)
	add("gender_identity", old.GenderIdentity != in.GenderIdentity)
	add("sexual_orientation", old.SexualOrientation != in.SexualOrientation)
	add("race_ethnicity", strings.Join(old.Races, ",") != strings.Join(in.Races, ",") || old.Ethnicity != in.Ethnicity)
	add("language", old.Language != in.Language || old.InterpreterNeeded != in.InterpreterNeeded)
	add("marital_employment", old.MaritalStatus != in.MaritalStatus || old.EmploymentStatus != in.EmploymentStatus)
	add("email", old.Email != in.Email)
	add("address", old.Address != in.Address)
	add("phones", !slices.Equal(old.Phones, in.Phones))
	add("status", old.Status != in.Status)
	add("referral_source", old.ReferralSource != in.ReferralSource)
	add("primary_clinician", old.PrimaryClinicianID != in.PrimaryClinicianID)
	add("care_team", !slices.Equal(old.CareTeam, careTeam(in)))
	add("location", old.LocationID != in.LocationID)
	return out
}

// BreakGlass gives the actor emergency access to a client outside their
// caseload for BreakGlassFor, after stating a reason (kept with the grant,
// not in the audit log: it is free text). Clinicians, associates and
// supervisors. Errors: forbidden, invalid, not_found.
func (s *Service) BreakGlass(ctx context.Context, a access.Actor, clientID int64, reason string) error {
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "break_glass", ClientID: clientID, Detail: audit.EmergencyDetail + " access granted"}
	role, err := s.audit.Authorize(ctx, a, access.PermClientsBreakGlass, access.Target{}, ev)
	if err != nil {
		return err
	}
	reason = clean(reason)
	if utf8.RuneCountInString(reason) < 10 || utf8.RuneCountInString(reason) > 500 {
		return apperr.Invalid("Please correct the highlighted fields.", map[string]string{"reason": "Say why you need this chart now, in 10 to 500 characters."})
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM clients WHERE id = $1`, clientID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFound("client")
		}
		now := s.clock.Now()
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO break_glass (user_id, client_id, reason, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			a.UserID, clientID, reason, db.Micros(now), db.Micros(now.Add(BreakGlassFor))).Scan(&id); err != nil {
			return err
		}
		ev.Role, ev.ObjectID = role, audit.ObjectIDOf(id)
		return s.audit.Record(ctx, tx, a, ev)
	}))
}
