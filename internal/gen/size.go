package gen

import (
	"fmt"
	"strings"
	"time"
)

// Size is the shape of a generated practice. The counts are exact; how many
// appointments, notes and audit entries follow from them is printed at the
// end of a run (docs/PERFORMANCE.md lists them for each size).
type Size struct {
	Name string
	// Clinicians treat clients: licensed clinicians (some also supervisors)
	// and, one in eight, associates under supervision.
	Clinicians int
	// Clients ever registered, spread evenly over the history.
	Clients int
	// HistoryWeeks is how long the practice has been running before Today.
	// Each clinician works a grid of 50 weekly hour slots (Monday to Friday,
	// 08:00 to 18:00), so clients per clinician and weeks set how full the
	// calendars are: the presets keep them about 80 % full.
	HistoryWeeks int
	// NotesMonths is how far back completed sessions have notes (signed, or
	// drafts for the last few days): sealing note bodies is the costly part
	// of a load, so large practices keep it short. Older completed sessions
	// have none, and the documentation dashboard lists them as missing.
	NotesMonths int
	// Today is the practice's today; generation stops at 12:30 on it, so
	// later appointments are scheduled and earlier ones have happened. Zero
	// means DefaultToday.
	Today time.Time
}

// DefaultToday is the generated practice's today unless Size.Today says
// otherwise: fixed, so that a seed always gives the same rows.
var DefaultToday = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// The preset sizes.
var (
	// Tiny is for tests: a few thousand appointments.
	Tiny = Size{Name: "tiny", Clinicians: 8, Clients: 300, HistoryWeeks: 20, NotesMonths: 12}
	// Small is a group practice two and a half years old. Its clients
	// arrive at Large's rate per clinician and week (1.67), so that both
	// practices' calendars are as full and a day view of 50 clinicians
	// shows about as many appointments at either size.
	Small = Size{Name: "small", Clinicians: 50, Clients: 10_833, HistoryWeeks: 130, NotesMonths: 6}
	// Large is a large group practice with 23 years of records: about 24 M
	// appointments and tens of millions of audit entries.
	Large = Size{Name: "large", Clinicians: 500, Clients: 1_000_000, HistoryWeeks: 1200, NotesMonths: 3}
)

// Sizes lists the presets.
var Sizes = []Size{Tiny, Small, Large}

// SizeNamed returns the preset called name.
func SizeNamed(name string) (Size, error) {
	var names []string
	for _, s := range Sizes {
		if s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return Size{}, fmt.Errorf("unknown size %q: choose %s", name, strings.Join(names, ", "))
}

func (s Size) validate() error {
	switch {
	case s.Clinicians < 3:
		return fmt.Errorf("size %s: at least 3 clinicians", s.Name)
	case s.Clients < 1:
		return fmt.Errorf("size %s: at least one client", s.Name)
	case s.HistoryWeeks < 2:
		return fmt.Errorf("size %s: at least two weeks of history", s.Name)
	case s.NotesMonths < 0:
		return fmt.Errorf("size %s: notes months cannot be negative", s.Name)
	}
	return nil
}
