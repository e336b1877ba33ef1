package clients

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Payer is an insurance company or plan administrator claims go to.
type Payer struct {
	ID                   int64
	Name                 string
	ElectronicID         string // the clearinghouse payer ID
	ClaimFilingIndicator string // X12 claim filing indicator: CI, BL, MB, MC, HM, CH, VA…
	Address              Address
	Phone                string
	Active               bool
	Version              int64
}

// ClaimFilingIndicators are the X12 5010 codes an outpatient practice meets.
var ClaimFilingIndicators = []struct{ Code, Label string }{
	{"CI", "Commercial insurance"}, {"BL", "Blue Cross / Blue Shield"}, {"HM", "HMO"}, {"MB", "Medicare Part B"},
	{"MC", "Medicaid"}, {"CH", "TRICARE (CHAMPUS)"}, {"VA", "Veterans Affairs"}, {"WC", "Workers' compensation"},
	{"12", "PPO"}, {"13", "POS"}, {"ZZ", "Other / mutually defined"},
}

// Policy ranks.
const (
	Primary   = 1
	Secondary = 2
	Tertiary  = 3
)

// Relationships of the subscriber to the client.
var Relationships = []string{"self", "spouse", "child", "other"}

// Policy is one of a client's insurance policies.
type Policy struct {
	ID                int64
	ClientID          int64
	PayerID           int64
	PayerName         string
	Rank              int
	Relationship      string
	SubscriberFirst   string
	SubscriberLast    string
	SubscriberBirth   string
	SubscriberSex     string
	SubscriberAddress string
	MemberID          string
	GroupNumber       string
	PlanName          string
	EffectiveDate     string
	EndDate           string
	CopayCents        int64
	CoinsuranceBP     int64 // basis points: 2000 = 20 %
	DeductibleCents   int64
	Active            bool
	Version           int64
	Authorizations    []Authorization
}

// Authorization is a payer's prior authorisation of a number of visits.
type Authorization struct {
	ID               int64
	PolicyID         int64
	Number           string
	VisitsAuthorized int
	VisitsUsed       int
	StartDate        string
	EndDate          string
	ServiceCodes     []string
}

// Warning is what the chart shows about an authorisation that needs attention.
func (a Authorization) Warning(today string) string {
	left := a.VisitsAuthorized - a.VisitsUsed
	end, _ := time.Parse(time.DateOnly, a.EndDate)
	now, _ := time.Parse(time.DateOnly, today)
	switch {
	case today > a.EndDate:
		return "Expired " + a.EndDate
	case left <= 0:
		return "No authorised visits left"
	case end.Sub(now) <= 14*24*time.Hour:
		return fmt.Sprintf("Expires %s", a.EndDate)
	case left <= 2 || left*5 <= a.VisitsAuthorized:
		return fmt.Sprintf("%d of %d visits left", left, a.VisitsAuthorized)
	}
	return ""
}

var (
	payerIDPattern  = regexp.MustCompile(`^[A-Za-z0-9]{2,10}$`)
	memberIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{1,29}$`)
	cptPattern      = regexp.MustCompile(`^\d{4}[0-9A-Z]$`)
)

func (p *Payer) normalize() {
	p.Name, p.Phone = clean(p.Name), clean(p.Phone)
	p.ElectronicID = strings.ToUpper(strings.TrimSpace(p.ElectronicID))
	p.ClaimFilingIndicator = strings.ToUpper(strings.TrimSpace(p.ClaimFilingIndicator))
	if p.ClaimFilingIndicator == "" {
		p.ClaimFilingIndicator = "CI"
	}
	p.Address.Normalize()
}

func (p Payer) validate() error {
	f := map[string]string{}
	if p.Name == "" || utf8.RuneCountInString(p.Name) > 120 {
		f["name"] = "Enter the payer's name (up to 120 characters)."
	}
	if p.ElectronicID != "" && !payerIDPattern.MatchString(p.ElectronicID) {
		f["electronic_id"] = "A payer ID has 2 to 10 letters or digits, such as 60054."
	}
	if !slices.ContainsFunc(ClaimFilingIndicators, func(c struct{ Code, Label string }) bool { return c.Code == p.ClaimFilingIndicator }) {
		f["claim_filing_indicator"] = "Choose from the list."
	}
	p.Address.Validate(f, "")
	if p.Phone != "" && PhoneDigits(p.Phone) == "" {
		f["phone"] = "Enter a 10-digit phone number."
	}
	if len(f) > 0 {
		return apperr.Invalid("Please correct the highlighted fields.", f)
	}
	return nil
}

// SavePayer creates (ID 0) or updates a payer (optimistic on Version).
// Administrators and billers. Errors: forbidden, invalid, not_found, conflict.
func (s *Service) SavePayer(ctx context.Context, a access.Actor, p Payer) (int64, error) {
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "payer"}
	if p.ID != 0 {
		ev.Action, ev.ObjectID = audit.ActionUpdate, audit.ObjectIDOf(p.ID)
	}
	role, err := s.audit.Authorize(ctx, a, access.PermPayersManage, access.Target{}, ev)
	if err != nil {
		return 0, err
	}
	p.normalize()
	if err := p.validate(); err != nil {
		return 0, err
	}
	now := db.Micros(s.clock.Now())
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		args := []any{p.Name, p.ElectronicID, p.ClaimFilingIndicator, p.Address.Line1, p.Address.Line2, p.Address.City, p.Address.State,
			p.Address.PostalCode, p.Phone, p.Active, now}
		if p.ID == 0 {
			if err := tx.QueryRowContext(ctx, `INSERT INTO payers (name, electronic_id, claim_filing_indicator, address_line1, address_line2,
				city, state, postal_code, phone, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
				RETURNING id`, args...).Scan(&p.ID); err != nil {
				return fmt.Errorf("insert payer: %w", err)
			}
			ev.ObjectID = audit.ObjectIDOf(p.ID)
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE payers SET name = $1, electronic_id = $2, claim_filing_indicator = $3, address_line1 = $4,
				address_line2 = $5, city = $6, state = $7, postal_code = $8, phone = $9, active = $10, updated_at = $11, version = version + 1
				WHERE id = $12 AND version = $13`, append(args, p.ID, p.Version)...)
			if err != nil {
				return fmt.Errorf("update payer: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return apperr.Conflict("This payer was changed by someone else, or no longer exists. Reload and try again.")
			}
		}
		ev.Role = role
		return s.audit.Record(ctx, tx, a, ev)
	})
	return p.ID, wrap(err)
}

// Payers lists the payer directory, active first, by name. Any staff member
// who may read insurance. Errors: forbidden.
func (s *Service) Payers(ctx context.Context, a access.Actor) ([]Payer, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermInsuranceRead, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "payer"}); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, name, electronic_id, claim_filing_indicator, address_line1, address_line2, city, state,
		postal_code, phone, active, version FROM payers ORDER BY active DESC, name, id`)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	var out []Payer
	for rows.Next() {
		var p Payer
		if err := rows.Scan(&p.ID, &p.Name, &p.ElectronicID, &p.ClaimFilingIndicator, &p.Address.Line1, &p.Address.Line2, &p.Address.City,
			&p.Address.State, &p.Address.PostalCode, &p.Phone, &p.Active, &p.Version); err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, p)
	}
	return out, wrap(rows.Err())
}

func (p *Policy) normalize() {
	for _, f := range []*string{&p.SubscriberFirst, &p.SubscriberLast, &p.SubscriberAddress, &p.GroupNumber, &p.PlanName} {
		*f = clean(*f)
	}
	p.MemberID = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(p.MemberID), " ", ""))
	p.Relationship = strings.TrimSpace(p.Relationship)
	if p.Relationship == "" {
		p.Relationship = "self"
	}
	if p.Relationship == "self" {
		p.SubscriberFirst, p.SubscriberLast, p.SubscriberBirth, p.SubscriberSex, p.SubscriberAddress = "", "", "", "", ""
	}
}

func (p Policy) validate(today string) error {
	f := map[string]string{}
	if p.PayerID == 0 {
		f["payer"] = "Choose the payer."
	}
	if p.Rank < Primary || p.Rank > Tertiary {
		f["rank"] = "Choose primary, secondary or tertiary."
	}
	if !slices.Contains(Relationships, p.Relationship) {
		f["relationship"] = "Choose the subscriber's relationship to the client."
	}
	if p.Relationship != "self" {
		if p.SubscriberFirst == "" || p.SubscriberLast == "" {
			f["subscriber_name"] = "Enter the subscriber's first and last name."
		}
		if _, err := time.Parse(time.DateOnly, p.SubscriberBirth); err != nil || p.SubscriberBirth > today {
			f["subscriber_birth"] = "Enter the subscriber's date of birth (YYYY-MM-DD, not in the future)."
		}
	}
	if !memberIDPattern.MatchString(p.MemberID) {
		f["member_id"] = "A member ID has 2 to 30 letters, digits or hyphens, as printed on the card."
	}
	if _, err := time.Parse(time.DateOnly, p.EffectiveDate); err != nil {
		f["effective_date"] = "Enter the date coverage starts (YYYY-MM-DD)."
	}
	if p.EndDate != "" {
		if _, err := time.Parse(time.DateOnly, p.EndDate); err != nil || p.EndDate < p.EffectiveDate {
			f["end_date"] = "The end date must be a date on or after the start."
		}
	}
	if p.CopayCents < 0 || p.CopayCents > 100000 {
		f["copay"] = "Enter a copay between $0 and $1,000."
	}
	if p.CoinsuranceBP < 0 || p.CoinsuranceBP > 10000 {
		f["coinsurance"] = "Enter coinsurance between 0 and 100 %."
	}
	if p.DeductibleCents < 0 || p.DeductibleCents > 10000000 {
		f["deductible"] = "Enter a deductible between $0 and $100,000."
	}
	if len(f) > 0 {
		return apperr.Invalid("Please correct the highlighted fields.", f)
	}
	return nil
}

// SavePolicy adds (ID 0) or updates a client's policy. Only one active policy
// may hold each rank. Front desk, billers, administrators.
// Errors: forbidden, invalid, not_found, conflict.
func (s *Service) SavePolicy(ctx context.Context, a access.Actor, p Policy) (int64, error) {
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "insurance_policy"}
	if p.ID != 0 {
		ev.Action, ev.ObjectID = audit.ActionUpdate, audit.ObjectIDOf(p.ID)
	}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermInsuranceWrite, p.ClientID, &ev); err != nil {
		return 0, err
	}
	p.normalize()
	if err := p.validate(s.today()); err != nil {
		return 0, err
	}
	now := db.Micros(s.clock.Now())
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM clients WHERE id = $1`, p.ClientID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFound("client") // not the foreign key's internal error
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM payers WHERE id = $1`, p.PayerID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.Invalid("Please correct the highlighted fields.", map[string]string{"payer": "Choose a payer from the directory."})
		}
		if p.Active {
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM insurance_policies WHERE client_id = $1 AND rank = $2 AND active AND id <> $3`,
				p.ClientID, p.Rank, p.ID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return apperr.Invalid("Please correct the highlighted fields.", map[string]string{"rank": "The client already has an active policy at this rank; end it or choose another rank."})
			}
		}
		args := []any{p.PayerID, p.Rank, p.Relationship, p.SubscriberFirst, p.SubscriberLast, p.SubscriberBirth, p.SubscriberSex,
			p.SubscriberAddress, p.MemberID, p.GroupNumber, p.PlanName, p.EffectiveDate, p.EndDate, p.CopayCents, p.CoinsuranceBP,
			p.DeductibleCents, p.Active, now}
		if p.ID == 0 {
			if err := tx.QueryRowContext(ctx, `INSERT INTO insurance_policies (payer_id, rank, relationship, subscriber_first, subscriber_last,
				subscriber_birth, subscriber_sex, subscriber_address, member_id, group_number, plan_name, effective_date, end_date, copay_cents,
				coinsurance_bp, deductible_cents, active, created_at, updated_at, client_id)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19) RETURNING id`,
				append(args, p.ClientID)...).Scan(&p.ID); err != nil {
				return fmt.Errorf("insert policy: %w", err)
			}
			ev.ObjectID = audit.ObjectIDOf(p.ID)
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE insurance_policies SET payer_id = $1, rank = $2, relationship = $3, subscriber_first = $4,
				subscriber_last = $5, subscriber_birth = $6, subscriber_sex = $7, subscriber_address = $8, member_id = $9, group_number = $10,
				plan_name = $11, effective_date = $12, end_date = $13, copay_cents = $14, coinsurance_bp = $15, deductible_cents = $16,
				active = $17, updated_at = $18, version = version + 1 WHERE id = $19 AND client_id = $20 AND version = $21`,
				append(args, p.ID, p.ClientID, p.Version)...)
			if err != nil {
				return fmt.Errorf("update policy: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return apperr.Conflict("This policy was changed by someone else, or no longer exists. Reload and try again.")
			}
		}
		return s.audit.Record(ctx, tx, a, ev)
	})
	return p.ID, wrap(err)
}

// AddAuthorization records a prior authorisation on a policy.
// Front desk, billers, administrators. Errors: forbidden, invalid, not_found.
func (s *Service) AddAuthorization(ctx context.Context, a access.Actor, clientID int64, au Authorization) (int64, error) {
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "prior_authorization"}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermInsuranceWrite, clientID, &ev); err != nil {
		return 0, err
	}
	au.Number = strings.TrimSpace(au.Number)
	f := map[string]string{}
	if au.Number == "" || len(au.Number) > 50 {
		f["number"] = "Enter the authorisation number."
	}
	if au.VisitsAuthorized <= 0 || au.VisitsAuthorized > 999 {
		f["visits_authorized"] = "Enter how many visits are authorised (1 to 999)."
	}
	if au.VisitsUsed < 0 || au.VisitsUsed > au.VisitsAuthorized {
		f["visits_used"] = "Visits used must be between 0 and the visits authorised."
	}
	_, e1 := time.Parse(time.DateOnly, au.StartDate)
	_, e2 := time.Parse(time.DateOnly, au.EndDate)
	if e1 != nil || e2 != nil || au.EndDate < au.StartDate {
		f["dates"] = "Enter a start and an end date (YYYY-MM-DD), the end on or after the start."
	}
	for _, c := range au.ServiceCodes {
		if !cptPattern.MatchString(c) {
			f["service_codes"] = "Service codes are 5-character CPT codes, such as 90837."
		}
	}
	if len(f) > 0 {
		return 0, apperr.Invalid("Please correct the highlighted fields.", f)
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM insurance_policies WHERE id = $1 AND client_id = $2`, au.PolicyID, clientID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFound("policy")
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO prior_authorizations (policy_id, number, visits_authorized, visits_used, start_date, end_date,
			service_codes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, au.PolicyID, au.Number, au.VisitsAuthorized,
			au.VisitsUsed, au.StartDate, au.EndDate, strings.Join(au.ServiceCodes, ","), db.Micros(s.clock.Now())).Scan(&au.ID); err != nil {
			return err
		}
		ev.ObjectID = audit.ObjectIDOf(au.ID)
		return s.audit.Record(ctx, tx, a, ev)
	})
	return au.ID, wrap(err)
}

// Policies returns a client's policies by rank, with authorisations; the
// read is audited (section insurance). Errors: forbidden.
func (s *Service) Policies(ctx context.Context, a access.Actor, clientID int64) ([]Policy, error) {
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "client", ObjectID: audit.ObjectIDOf(clientID), Detail: "section insurance"}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermInsuranceRead, clientID, &ev); err != nil {
		return nil, err
	}
	var out []Policy
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT p.id, p.client_id, p.payer_id, y.name, p.rank, p.relationship, p.subscriber_first,
			p.subscriber_last, p.subscriber_birth, p.subscriber_sex, p.subscriber_address, p.member_id, p.group_number, p.plan_name,
			p.effective_date, p.end_date, p.copay_cents, p.coinsurance_bp, p.deductible_cents, p.active, p.version
			FROM insurance_policies p JOIN payers y ON y.id = p.payer_id WHERE p.client_id = $1 ORDER BY p.active DESC, p.rank, p.id`, clientID)
		if err != nil {
			return err
		}
		byID := map[int64]int{}
		for rows.Next() {
			var p Policy
			if err := rows.Scan(&p.ID, &p.ClientID, &p.PayerID, &p.PayerName, &p.Rank, &p.Relationship, &p.SubscriberFirst, &p.SubscriberLast,
				&p.SubscriberBirth, &p.SubscriberSex, &p.SubscriberAddress, &p.MemberID, &p.GroupNumber, &p.PlanName, &p.EffectiveDate,
				&p.EndDate, &p.CopayCents, &p.CoinsuranceBP, &p.DeductibleCents, &p.Active, &p.Version); err != nil {
				rows.Close()
				return err
			}
			byID[p.ID] = len(out)
			out = append(out, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT a.id, a.policy_id, a.number, a.visits_authorized, a.visits_used, a.start_date, a.end_date, a.service_codes
			FROM prior_authorizations a JOIN insurance_policies p ON p.id = a.policy_id WHERE p.client_id = $1 ORDER BY a.end_date DESC, a.id`, clientID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var au Authorization
			var codes string
			if err := rows.Scan(&au.ID, &au.PolicyID, &au.Number, &au.VisitsAuthorized, &au.VisitsUsed, &au.StartDate, &au.EndDate, &codes); err != nil {
				return err
			}
			if codes != "" {
				au.ServiceCodes = strings.Split(codes, ",")
			}
			i := byID[au.PolicyID]
			out[i].Authorizations = append(out[i].Authorizations, au)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, a, ev)
	})
	return out, wrap(err)
}
