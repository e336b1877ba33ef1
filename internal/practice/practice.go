// Package practice holds the practice's settings and its locations: the
// facts claims, schedules and sessions depend on (tax ID, group NPI, time
// zone, MFA policy, idle time-out).
package practice

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/npi"
	"github.com/mentalspace/mentalspace/internal/platform/postal"
)

// Address is a postal address.
type Address = postal.Address

// Settings are the practice-wide settings.
type Settings struct {
	Name               string
	Address            Address
	Phone              string
	TaxID              string
	GroupNPI           string
	TimeZone           string
	RequireMFAForAll   bool
	SessionIdleMinutes int
	Version            int64
	UpdatedAt          time.Time
}

// Location is a place where the practice sees clients.
type Location struct {
	ID             int64
	Name           string
	Address        Address
	PlaceOfService string
	Active         bool
}

// PlacesOfService are the CMS place-of-service codes an outpatient
// mental-health practice uses.
var PlacesOfService = []struct{ Code, Label string }{
	{"11", "11 Office"},
	{"02", "02 Telehealth (not in the client's home)"},
	{"10", "10 Telehealth in the client's home"},
	{"03", "03 School"},
	{"12", "12 Home"},
	{"22", "22 On-campus outpatient hospital"},
	{"53", "53 Community mental health center"},
	{"99", "99 Other place of service"},
}

// ErrNoPractice is returned before setup has created the practice.
var ErrNoPractice = apperr.NotFound("practice")

var (
	taxIDPattern = regexp.MustCompile(`^\d{2}-?\d{7}$`)
)

// Normalize trims the settings' text.
func (s *Settings) Normalize() {
	s.Name = strings.TrimSpace(s.Name)
	s.Address.Normalize()
	s.Phone = strings.TrimSpace(s.Phone)
	s.TaxID = strings.TrimSpace(s.TaxID)
	s.GroupNPI = strings.TrimSpace(s.GroupNPI)
	s.TimeZone = strings.TrimSpace(s.TimeZone)
	if s.TimeZone == "" {
		s.TimeZone = "America/New_York"
	}
	if s.SessionIdleMinutes == 0 {
		s.SessionIdleMinutes = 15
	}
}

// Validate returns an invalid error listing every problem.
func (s Settings) Validate() error {
	f := map[string]string{}
	if s.Name == "" {
		f["name"] = "Enter the practice name."
	} else if utf8.RuneCountInString(s.Name) > 200 {
		f["name"] = "Keep the name under 200 characters."
	}
	s.Address.Validate(f, "")
	if s.TaxID != "" && !taxIDPattern.MatchString(s.TaxID) {
		f["tax_id"] = "A tax ID (EIN) has 9 digits, such as 12-3456789."
	}
	if s.GroupNPI != "" && !npi.Valid(s.GroupNPI) {
		f["group_npi"] = "This is not a valid NPI: it needs 10 digits with a correct check digit."
	}
	if _, err := time.LoadLocation(s.TimeZone); err != nil || !strings.Contains(s.TimeZone, "/") {
		f["time_zone"] = "Choose a time zone such as America/New_York."
	}
	if s.SessionIdleMinutes < 5 || s.SessionIdleMinutes > 60 {
		f["session_idle_minutes"] = "Choose between 5 and 60 minutes."
	}
	if len(f) > 0 {
		return apperr.Invalid("Please correct the highlighted fields.", f)
	}
	return nil
}

// Validate returns an invalid error listing every problem.
func (l Location) Validate() error {
	f := map[string]string{}
	if strings.TrimSpace(l.Name) == "" {
		f["name"] = "Enter the location's name."
	}
	l.Address.Validate(f, "")
	ok := false
	for _, p := range PlacesOfService {
		ok = ok || p.Code == l.PlaceOfService
	}
	if !ok {
		f["place_of_service"] = "Choose a place-of-service code."
	}
	if len(f) > 0 {
		return apperr.Invalid("Please correct the highlighted fields.", f)
	}
	return nil
}

// Get reads the settings; ErrNoPractice before setup.
func Get(ctx context.Context, q db.Querier) (Settings, error) {
	var s Settings
	var updated int64
	err := q.QueryRowContext(ctx, `SELECT name, address_line1, address_line2, city, state, postal_code, phone, tax_id, group_npi,
		time_zone, require_mfa_all, session_idle_minutes, version, updated_at FROM practice WHERE id = 1`).Scan(
		&s.Name, &s.Address.Line1, &s.Address.Line2, &s.Address.City, &s.Address.State, &s.Address.PostalCode,
		&s.Phone, &s.TaxID, &s.GroupNPI, &s.TimeZone, &s.RequireMFAForAll, &s.SessionIdleMinutes, &s.Version, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return s, ErrNoPractice
	}
	if err != nil {
		return s, fmt.Errorf("get practice: %w", err)
	}
	s.UpdatedAt = db.Time(updated)
	return s, nil
}

// Create inserts the practice row inside tx; a conflict when it already exists.
func Create(ctx context.Context, tx *db.Tx, s Settings, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO practice (id, name, address_line1, address_line2, city, state, postal_code, phone,
		tax_id, group_npi, time_zone, require_mfa_all, session_idle_minutes, version, created_at, updated_at)
		VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $13)`,
		s.Name, s.Address.Line1, s.Address.Line2, s.Address.City, s.Address.State, s.Address.PostalCode, s.Phone,
		s.TaxID, s.GroupNPI, s.TimeZone, s.RequireMFAForAll, s.SessionIdleMinutes, db.Micros(now))
	if db.IsUniqueViolation(err) {
		return apperr.Conflict("This practice has already been set up.")
	}
	if err != nil {
		return fmt.Errorf("create practice: %w", err)
	}
	return nil
}

// Service manages the settings page.
type Service struct {
	db    *db.DB
	clock clock.Clock
	audit *audit.Log
}

// NewService returns the practice service.
func NewService(d *db.DB, c clock.Clock, l *audit.Log) *Service {
	return &Service{db: d, clock: c, audit: l}
}

// Settings returns the settings for any signed-in staff member.
// Errors: forbidden, not_found before setup.
func (s *Service) Settings(ctx context.Context, a access.Actor) (Settings, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermSettingsRead, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "practice"}); err != nil {
		return Settings{}, err
	}
	st, err := Get(ctx, s.db.Read())
	if err != nil {
		return st, apperr.As(err)
	}
	return st, nil
}

// UpdateSettings saves new settings if in.Version still matches (optimistic
// concurrency). Administrators only. Errors: forbidden, invalid, conflict.
func (s *Service) UpdateSettings(ctx context.Context, a access.Actor, in Settings) error {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "practice", ObjectID: "1"}
	role, err := s.audit.Authorize(ctx, a, access.PermSettingsManage, access.Target{}, ev)
	if err != nil {
		return err
	}
	in.Normalize()
	if err := in.Validate(); err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		old, err := Get(ctx, tx)
		if err != nil {
			return err
		}
		if old.Version != in.Version {
			return apperr.Conflict("Someone else changed the settings while you were editing. Review their change, then save again.")
		}
		res, err := tx.ExecContext(ctx, `UPDATE practice SET name = $1, address_line1 = $2, address_line2 = $3, city = $4, state = $5,
			postal_code = $6, phone = $7, tax_id = $8, group_npi = $9, time_zone = $10, require_mfa_all = $11,
			session_idle_minutes = $12, version = version + 1, updated_at = $13 WHERE id = 1 AND version = $14`,
			in.Name, in.Address.Line1, in.Address.Line2, in.Address.City, in.Address.State, in.Address.PostalCode, in.Phone,
			in.TaxID, in.GroupNPI, in.TimeZone, in.RequireMFAForAll, in.SessionIdleMinutes, db.Micros(s.clock.Now()), in.Version)
		if err != nil {
			return fmt.Errorf("update practice: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 { // a concurrent save of this version won
			return apperr.Conflict("Someone else changed the settings while you were editing. Review their change, then save again.")
		}
		ev.Role, ev.Detail = role, "fields "+strings.Join(changedSettings(old, in), ",")
		return s.audit.Record(ctx, tx, a, ev)
	})
	return wrap(err)
}

func changedSettings(a, b Settings) []string {
	var out []string
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("name", a.Name != b.Name)
	add("address", a.Address != b.Address)
	add("phone", a.Phone != b.Phone)
	add("tax_id", a.TaxID != b.TaxID)
	add("group_npi", a.GroupNPI != b.GroupNPI)
	add("time_zone", a.TimeZone != b.TimeZone)
	add("require_mfa_all", a.RequireMFAForAll != b.RequireMFAForAll)
	add("session_idle_minutes", a.SessionIdleMinutes != b.SessionIdleMinutes)
	return out
}

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return apperr.As(err)
}

// Locations lists every location, active first. Any staff member.
func (s *Service) Locations(ctx context.Context, a access.Actor) ([]Location, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermSettingsRead, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "location"}); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, name, address_line1, address_line2, city, state, postal_code, place_of_service, active
		FROM locations ORDER BY active DESC, name`)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	var out []Location
	for rows.Next() {
		var l Location
		if err := rows.Scan(&l.ID, &l.Name, &l.Address.Line1, &l.Address.Line2, &l.Address.City, &l.Address.State,
			&l.Address.PostalCode, &l.PlaceOfService, &l.Active); err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// SaveLocation creates (ID 0) or updates a location. Administrators only.
// Errors: forbidden, invalid, not_found.
func (s *Service) SaveLocation(ctx context.Context, a access.Actor, l Location) (int64, error) {
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "location"}
	if l.ID != 0 {
		ev.Action, ev.ObjectID = audit.ActionUpdate, audit.ObjectIDOf(l.ID)
	}
	role, err := s.audit.Authorize(ctx, a, access.PermSettingsManage, access.Target{}, ev)
	if err != nil {
		return 0, err
	}
	l.Name = strings.TrimSpace(l.Name)
	l.Address.Normalize()
	if err := l.Validate(); err != nil {
		return 0, err
	}
	now := db.Micros(s.clock.Now())
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if l.ID == 0 {
			err := tx.QueryRowContext(ctx, `INSERT INTO locations (name, address_line1, address_line2, city, state, postal_code,
				place_of_service, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
				l.Name, l.Address.Line1, l.Address.Line2, l.Address.City, l.Address.State, l.Address.PostalCode,
				l.PlaceOfService, l.Active, now).Scan(&l.ID)
			if err != nil {
				return fmt.Errorf("create location: %w", err)
			}
			ev.ObjectID = audit.ObjectIDOf(l.ID)
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE locations SET name = $1, address_line1 = $2, address_line2 = $3, city = $4,
				state = $5, postal_code = $6, place_of_service = $7, active = $8, updated_at = $9 WHERE id = $10`,
				l.Name, l.Address.Line1, l.Address.Line2, l.Address.City, l.Address.State, l.Address.PostalCode,
				l.PlaceOfService, l.Active, now, l.ID)
			if err != nil {
				return fmt.Errorf("update location: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return apperr.NotFound("location")
			}
		}
		ev.Role = role
		return s.audit.Record(ctx, tx, a, ev)
	})
	return l.ID, wrap(err)
}

// Name returns the practice's name for page headers, or "" before setup.
// It is public: the sign-in page shows it.
func (s *Service) Name(ctx context.Context) string {
	var name string
	_ = s.db.Read().QueryRowContext(ctx, `SELECT name FROM practice WHERE id = 1`).Scan(&name)
	return name
}

// SetLocationActive retires a location or brings it back; locations are
// never deleted because appointments and claims will refer to them.
// Administrators only. Errors: forbidden, not_found.
func (s *Service) SetLocationActive(ctx context.Context, a access.Actor, id int64, active bool) error {
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "location", ObjectID: audit.ObjectIDOf(id), Detail: "fields active"}
	role, err := s.audit.Authorize(ctx, a, access.PermSettingsManage, access.Target{}, ev)
	if err != nil {
		return err
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE locations SET active = $1, updated_at = $2 WHERE id = $3`, active, db.Micros(s.clock.Now()), id)
		if err != nil {
			return fmt.Errorf("update location: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFound("location")
		}
		ev.Role = role
		return s.audit.Record(ctx, tx, a, ev)
	}))
}
