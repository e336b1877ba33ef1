package scheduling

import (
	"fmt"
	"strings"
	"time"

	"github.com/teambition/rrule-go"

	"github.com/mentalspace/mentalspace/internal/platform/apperr"
)

// LocalTime reads a date ("2026-03-08") and a wall-clock time ("10:00") in
// loc. A time that does not exist there (the hour skipped when clocks spring
// forward) is refused rather than silently moved; in the repeated hour when
// clocks fall back, the first (daylight) instant is taken.
func LocalTime(date, clock string, loc *time.Location) (time.Time, error) {
	w, err := time.Parse("2006-01-02 15:04", strings.TrimSpace(date)+" "+strings.TrimSpace(clock))
	if err != nil {
		return time.Time{}, apperr.Invalid("Enter the date as YYYY-MM-DD and the time as HH:MM.", map[string]string{"start": "Not a date and time."})
	}
	d := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), 0, 0, loc)
	if err := checkWallClock(d, w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute()); err != nil {
		return time.Time{}, err
	}
	return d, nil
}

// checkWallClock refuses t when it is not the wall-clock time asked for,
// which happens only inside a daylight-saving gap.
func checkWallClock(t time.Time, y int, m time.Month, d, hh, mm int) error {
	if t.Year() != y || t.Month() != m || t.Day() != d || t.Hour() != hh || t.Minute() != mm {
		return apperr.Invalid(fmt.Sprintf("%04d-%02d-%02d %02d:%02d does not exist in the practice's time zone: the clocks skip that hour for daylight saving. Choose another time.", y, m, d, hh, mm),
			map[string]string{"start": "This local time does not exist (daylight-saving change)."})
	}
	return nil
}

// MaxOccurrences bounds a recurring series (two years of weekly sessions).
const MaxOccurrences = 104

// Occurrences expands rule from the first start, in first's location, and
// returns the local start of every occurrence. The rule must end (COUNT or
// UNTIL) within MaxOccurrences. An occurrence that would fall in a
// daylight-saving gap is refused, naming its date.
func Occurrences(rule string, first time.Time) ([]time.Time, error) {
	rule = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(rule)), "RRULE:")
	bad := func(msg string) error { return apperr.Invalid(msg, map[string]string{"rrule": msg}) }
	if rule == "" {
		return nil, bad("Give a repeat rule.")
	}
	if strings.ContainsAny(rule, "\r\n") || strings.Contains(rule, "DTSTART") {
		return nil, bad("The repeat rule must be one RRULE line without DTSTART.")
	}
	if !strings.Contains(rule, "COUNT=") && !strings.Contains(rule, "UNTIL=") {
		return nil, bad("A repeating appointment needs an end: a number of sessions (COUNT) or a last date (UNTIL).")
	}
	opt, err := rrule.StrToROptionInLocation(rule, first.Location())
	if err != nil {
		return nil, bad("The repeat rule is not a valid RFC 5545 RRULE: " + err.Error())
	}
	switch opt.Freq {
	case rrule.DAILY, rrule.WEEKLY, rrule.MONTHLY:
	default:
		return nil, bad("Appointments repeat daily, weekly or monthly.")
	}
	if opt.Count > MaxOccurrences {
		return nil, bad(fmt.Sprintf("A series has at most %d sessions.", MaxOccurrences))
	}
	opt.Dtstart = first
	r, err := rrule.NewRRule(*opt)
	if err != nil {
		return nil, bad("The repeat rule is not valid: " + err.Error())
	}
	var out []time.Time
	next := r.Iterator()
	for t, ok := next(); ok; t, ok = next() {
		if len(out) == MaxOccurrences {
			return nil, bad(fmt.Sprintf("A series has at most %d sessions; end it sooner.", MaxOccurrences))
		}
		t = t.In(first.Location())
		if err := checkWallClock(t, t.Year(), t.Month(), t.Day(), first.Hour(), first.Minute()); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, bad("The repeat rule gives no sessions from the first date.")
	}
	return out, nil
}
