// Package postal is the US postal address that practices, locations, clients
// and payers share, with the one set of rules for reading what was typed.
package postal

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Address is a postal address.
type Address struct {
	Line1, Line2, City, State, PostalCode string
}

var (
	statePattern = regexp.MustCompile(`^[A-Z]{2}$`)
	zipPattern   = regexp.MustCompile(`^\d{5}(-\d{4})?$`)
)

func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

// Normalize trims what was typed and upper-cases the state.
func (a *Address) Normalize() {
	a.Line1, a.Line2, a.City = clean(a.Line1), clean(a.Line2), clean(a.City)
	a.State = strings.ToUpper(strings.TrimSpace(a.State))
	a.PostalCode = strings.TrimSpace(a.PostalCode)
}

// Validate adds a message per problem to fields, under prefix+"state",
// prefix+"postal_code", prefix+"line1" and so on. Every part is optional.
func (a Address) Validate(fields map[string]string, prefix string) {
	if a.State != "" && !statePattern.MatchString(a.State) {
		fields[prefix+"state"] = "Use the two-letter state code, such as NY."
	}
	if a.PostalCode != "" && !zipPattern.MatchString(a.PostalCode) {
		fields[prefix+"postal_code"] = "Use a 5-digit ZIP code or ZIP+4 (12345-6789)."
	}
	for k, v := range map[string]string{"line1": a.Line1, "line2": a.Line2, "city": a.City} {
		if utf8.RuneCountInString(v) > 200 {
			fields[prefix+k] = "Keep this under 200 characters."
		}
	}
}
