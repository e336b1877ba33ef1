// Package clients is the client record: identity, demographics, contacts,
// status, the care team, search, and who may see which client (the caseload
// rule the access policy consults). Every read and change is audited with the
// client's id and the section touched, never with values.
package clients

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/postal"
)

// Status is where a client stands with the practice.
type Status string

// The statuses.
const (
	StatusInquiry    Status = "inquiry"
	StatusWaitlist   Status = "waitlist"
	StatusActive     Status = "active"
	StatusInactive   Status = "inactive"
	StatusDischarged Status = "discharged"
)

// Statuses lists them in lifecycle order.
var Statuses = []Status{StatusInquiry, StatusWaitlist, StatusActive, StatusInactive, StatusDischarged}

// Races are the OMB race categories (a client may have several); Ethnicities
// the OMB ethnicity answers. Codes as in CDC Race & Ethnicity code set.
var (
	Races = []struct{ Code, Label string }{
		{"1002-5", "American Indian or Alaska Native"}, {"2028-9", "Asian"}, {"2054-5", "Black or African American"},
		{"2076-8", "Native Hawaiian or Other Pacific Islander"}, {"2106-3", "White"}, {"ASKU", "Declined to answer"},
	}
	Ethnicities = []struct{ Code, Label string }{
		{"2135-2", "Hispanic or Latino"}, {"2186-5", "Not Hispanic or Latino"}, {"ASKU", "Declined to answer"},
	}
	Sexes = []struct{ Code, Label string }{{"F", "Female"}, {"M", "Male"}, {"X", "Non-binary / X"}, {"U", "Unknown"}}
)

// Phone is one of a client's numbers, with what the practice may do with it.
type Phone struct {
	Kind         string // mobile, home, work, other
	Number       string // as typed
	CanText      bool
	CanVoicemail bool
}

// PhoneKinds are the phone types.
var PhoneKinds = []string{"mobile", "home", "work", "other"}

// Address is a postal address.
type Address = postal.Address

// Client is the client record.
type Client struct {
	ID                 int64
	MRN                string
	FirstName          string
	MiddleName         string
	LastName           string
	Suffix             string
	PreferredName      string
	Pronouns           string
	BirthDate          string // YYYY-MM-DD
	Sex                string // administrative sex: F, M, X, U or ""
	GenderIdentity     string
	SexualOrientation  string
	Races              []string
	Ethnicity          string
	Language           string
	InterpreterNeeded  bool
	MaritalStatus      string
	EmploymentStatus   string
	Email              string
	Address            Address
	Phones             []Phone
	SSNLast4           string // the full SSN is sealed and never leaves the service
	Status             Status
	StatusDate         string // YYYY-MM-DD: since when
	ReferralSource     string
	PrimaryClinicianID int64
	CareTeam           []int64 // user ids besides the primary clinician
	LocationID         int64
	Version            int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// DisplayName is the name staff use: preferred first name and legal last name.
func (c Client) DisplayName() string {
	first := c.FirstName
	if c.PreferredName != "" {
		first = c.PreferredName
	}
	return strings.TrimSpace(first + " " + c.LastName)
}

// LegalName is the full legal name.
func (c Client) LegalName() string {
	return strings.Join(strings.Fields(strings.Join([]string{c.FirstName, c.MiddleName, c.LastName, c.Suffix}, " ")), " ")
}

// Age is the client's age in whole years on day.
func (c Client) Age(day time.Time) int {
	b, err := time.Parse(time.DateOnly, c.BirthDate)
	if err != nil {
		return 0
	}
	age := day.Year() - b.Year()
	if day.Month() < b.Month() || (day.Month() == b.Month() && day.Day() < b.Day()) {
		age--
	}
	return age
}

// MaskedSSN shows only the last four digits.
func (c Client) MaskedSSN() string {
	if c.SSNLast4 == "" {
		return ""
	}
	return "•••-••-" + c.SSNLast4
}

// Input is what a form or API call sets. SSN is write-only: empty keeps the
// stored one, "-" removes it.
type Input struct {
	FirstName, MiddleName, LastName, Suffix, PreferredName, Pronouns string
	BirthDate                                                        string
	Sex, GenderIdentity, SexualOrientation                           string
	Races                                                            []string
	Ethnicity, Language                                              string
	InterpreterNeeded                                                bool
	MaritalStatus, EmploymentStatus                                  string
	Email                                                            string
	Address                                                          Address
	Phones                                                           []Phone
	SSN                                                              string
	Status                                                           Status
	StatusDate                                                       string
	ReferralSource                                                   string
	PrimaryClinicianID                                               int64
	CareTeam                                                         []int64
	LocationID                                                       int64
	// AllowDuplicate confirms a registration whose name and birth date match
	// an existing client.
	AllowDuplicate bool
}

var (
	ssnPattern = regexp.MustCompile(`^(\d{3})-?(\d{2})-?(\d{4})$`)
)

func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

// normalize trims what was typed (text is otherwise stored as typed).
func (in *Input) normalize() {
	for _, p := range []*string{&in.FirstName, &in.MiddleName, &in.LastName, &in.Suffix, &in.PreferredName, &in.Pronouns,
		&in.GenderIdentity, &in.SexualOrientation, &in.Language, &in.MaritalStatus, &in.EmploymentStatus,
		&in.ReferralSource} {
		*p = clean(*p)
	}
	in.BirthDate = strings.TrimSpace(in.BirthDate)
	in.StatusDate = strings.TrimSpace(in.StatusDate)
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.Address.Normalize()
	in.SSN = strings.TrimSpace(in.SSN)
	var phones []Phone
	for _, p := range in.Phones {
		p.Number = clean(p.Number)
		if p.Number != "" {
			phones = append(phones, p)
		}
	}
	in.Phones = phones
	if in.Status == "" {
		in.Status = StatusActive
	}
}

// PhoneDigits returns the ten digits of a North American number, or "".
func PhoneDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if len(d) == 11 && d[0] == '1' {
		d = d[1:]
	}
	if len(d) != 10 {
		return ""
	}
	return d
}

// validSSN applies the SSA's rules for numbers that are never issued.
func validSSN(s string) (string, bool) {
	m := ssnPattern.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	area, group, serial := m[1], m[2], m[3]
	if area == "000" || area == "666" || area[0] == '9' || group == "00" || serial == "0000" {
		return "", false
	}
	return area + group + serial, true
}

// validate returns an invalid error naming every problem; today is the
// practice's current date, for dates that cannot be in the future.
func (in Input) validate(today string) error {
	f := map[string]string{}
	if in.FirstName == "" {
		f["first_name"] = "Enter the client's legal first name."
	}
	if in.LastName == "" {
		f["last_name"] = "Enter the client's legal last name."
	}
	for k, v := range map[string]string{"first_name": in.FirstName, "middle_name": in.MiddleName, "last_name": in.LastName,
		"preferred_name": in.PreferredName, "suffix": in.Suffix, "pronouns": in.Pronouns, "referral_source": in.ReferralSource} {
		if utf8.RuneCountInString(v) > 100 {
			f[k] = "Keep this under 100 characters."
		}
	}
	if b, err := time.Parse(time.DateOnly, in.BirthDate); err != nil {
		f["birth_date"] = "Enter the date of birth as YYYY-MM-DD."
	} else if in.BirthDate > today {
		f["birth_date"] = "The date of birth cannot be in the future."
	} else if b.Year() < 1900 {
		f["birth_date"] = "Check the year of birth."
	}
	if in.Sex != "" && !slices.ContainsFunc(Sexes, func(s struct{ Code, Label string }) bool { return s.Code == in.Sex }) {
		f["sex"] = "Choose from the list."
	}
	for _, r := range in.Races {
		if !slices.ContainsFunc(Races, func(x struct{ Code, Label string }) bool { return x.Code == r }) {
			f["races"] = "Choose races from the list."
		}
	}
	if in.Ethnicity != "" && !slices.ContainsFunc(Ethnicities, func(x struct{ Code, Label string }) bool { return x.Code == in.Ethnicity }) {
		f["ethnicity"] = "Choose from the list."
	}
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || !strings.Contains(in.Email[strings.IndexByte(in.Email, '@')+1:], ".") {
			f["email"] = "Enter an email address like name@example.org."
		}
	}
	in.Address.Validate(f, "")
	for i, p := range in.Phones {
		key := fmt.Sprintf("phone_%d", i+1)
		if PhoneDigits(p.Number) == "" {
			f[key] = "Enter a 10-digit phone number, such as (555) 201-3344."
		}
		if !slices.Contains(PhoneKinds, p.Kind) {
			f[key+"_kind"] = "Choose mobile, home, work or other."
		}
	}
	if in.SSN != "" && in.SSN != "-" {
		if _, ok := validSSN(in.SSN); !ok {
			f["ssn"] = "This is not a valid Social Security number (9 digits, not starting with 000, 666 or 9)."
		}
	}
	if !slices.Contains(Statuses, in.Status) {
		f["status"] = "Choose a status from the list."
	}
	if in.StatusDate != "" {
		if _, err := time.Parse(time.DateOnly, in.StatusDate); err != nil {
			f["status_date"] = "Enter the date as YYYY-MM-DD."
		} else if in.StatusDate > today {
			f["status_date"] = "The status date cannot be in the future."
		}
	}
	if len(f) > 0 {
		return apperr.Invalid("Please correct the highlighted fields.", f)
	}
	return nil
}

// fold is how names are compared in search: lower case, accents removed, so
// "José" is found by "jose" and "JOS". A transform.Chain keeps buffers
// between calls and is not safe for concurrent use: each call takes its own
// from the pool.
var folders = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

// Fold returns s folded for search. Safe for concurrent use.
func Fold(s string) string {
	folder := folders.Get().(transform.Transformer)
	out, _, err := transform.String(folder, s)
	folders.Put(folder)
	if err != nil {
		out = s
	}
	return strings.ToLower(strings.Join(strings.Fields(out), " "))
}
