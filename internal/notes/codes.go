package notes

import "slices"

// timedCodes are the psychotherapy codes chosen by the session's length.
var timedCodes = []string{"90832", "90834", "90837", "90846", "90847", "90839"}

// SuggestCode applies the time-based code rule to a session of minutes:
// psychotherapy 16–37 → 90832, 38–52 → 90834, 53 or more → 90837; couples
// and family therapy from 26 minutes → 90847 (with the client present);
// crisis 30–74 → 90839 (each further 30 minutes adds 90840). Intake is
// 90791 and group 90853 whatever the length. An empty result means the
// session is too short for a psychotherapy code.
func SuggestCode(kind Kind, minutes int) string {
	switch kind {
	case Intake:
		return "90791"
	case GroupNote:
		return "90853"
	case CouplesFamily:
		if minutes >= 26 {
			return "90847"
		}
		return ""
	case Crisis:
		if minutes >= 30 {
			return "90839"
		}
		return ""
	case ProgressSOAP, ProgressDAP, ProgressBIRP, PlanReview:
		switch {
		case minutes >= 53:
			return "90837"
		case minutes >= 38:
			return "90834"
		case minutes >= 16:
			return "90832"
		}
	}
	return ""
}

// CrisisAddOns is how many 90840 units a crisis session of minutes adds.
func CrisisAddOns(minutes int) int {
	if minutes < 75 {
		return 0
	}
	return (minutes-75)/30 + 1
}

// CodeMismatch reports whether code disagrees with the time rule for a
// session of minutes: only the time-based codes are checked.
func CodeMismatch(kind Kind, code string, minutes int) bool {
	if !slices.Contains(timedCodes, code) {
		return false
	}
	if code == "90846" && kind == CouplesFamily {
		return minutes < 26
	}
	return SuggestCode(kind, minutes) != code
}
