// Package scheduling is the practice's calendar: rooms, appointment types,
// clinician availability, appointments (single, recurring, group) with their
// status lifecycle, the waitlist and the scheduling policies.
//
// Instants are stored in UTC and shown in the practice's time zone. Recurring
// series are expanded in that zone, so a weekly 10:00 session stays at 10:00
// local time across daylight-saving changes. No clinician or room is ever
// double-booked: every booking, move and reinstatement takes database locks
// on the clinician, the room and the clients before it checks for overlaps
// (see lock.go).
package scheduling

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

// Status is where an appointment is in its lifecycle.
type Status string

// The statuses.
const (
	Scheduled   Status = "scheduled"
	Confirmed   Status = "confirmed"
	CheckedIn   Status = "checked_in"
	InSession   Status = "in_session"
	Completed   Status = "completed"
	Cancelled   Status = "cancelled"
	NoShow      Status = "no_show"
	Rescheduled Status = "rescheduled"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{Scheduled, Confirmed, CheckedIn, InSession, Completed, Cancelled, NoShow, Rescheduled}

// Label is the status as people read it.
func (s Status) Label() string {
	switch s {
	case Scheduled:
		return "Scheduled"
	case Confirmed:
		return "Confirmed"
	case CheckedIn:
		return "Checked in"
	case InSession:
		return "In session"
	case Completed:
		return "Completed"
	case Cancelled:
		return "Cancelled"
	case NoShow:
		return "No-show"
	case Rescheduled:
		return "Rescheduled"
	}
	return string(s)
}

// Blocks reports whether an appointment in this status holds its slot.
func (s Status) Blocks() bool { return s != Cancelled && s != NoShow && s != Rescheduled }

// Open reports whether the appointment can still be moved or edited: it has
// not started and was not called off.
func (s Status) Open() bool { return s == Scheduled || s == Confirmed }

// transitions lists the allowed status changes. Undoing a mistaken check-in,
// cancellation or no-show goes back to scheduled (and, for the latter two,
// must find the slot still free). Rescheduled is reached only through
// Reschedule, which books the new appointment in the same transaction.
var transitions = map[Status][]Status{
	Scheduled: {Confirmed, CheckedIn, Cancelled, NoShow},
	Confirmed: {Scheduled, CheckedIn, Cancelled, NoShow},
	CheckedIn: {InSession, Completed, Scheduled, Cancelled},
	InSession: {Completed, CheckedIn},
	Completed: {InSession},
	Cancelled: {Scheduled},
	NoShow:    {Scheduled},
}

// CanBecome reports whether from → to is an allowed change.
func CanBecome(from, to Status) bool { return slices.Contains(transitions[from], to) }

// Next lists the statuses an appointment may move to from s.
func (s Status) Next() []Status { return slices.Clone(transitions[s]) }

// Kind is what an appointment type is for.
type Kind string

// The kinds.
const (
	Individual Kind = "individual"
	Couple     Kind = "couple"
	Group      Kind = "group"
	Intake     Kind = "intake"
)

// Kinds lists the kinds with their labels.
var Kinds = []struct {
	Kind  Kind
	Label string
}{{Individual, "Individual"}, {Couple, "Couple / family"}, {Group, "Group"}, {Intake, "Intake"}}

// Type is an appointment type.
type Type struct {
	ID                int64
	Name              string
	DurationMinutes   int
	ServiceCode       string // CPT, e.g. 90834
	Color             string // #rrggbb
	Kind              Kind
	Capacity          int // clients per appointment; groups more than one
	TelehealthAllowed bool
	OnlineBookable    bool
	Active            bool
	Version           int64
}

// Room is a bookable room at a location.
type Room struct {
	ID           int64
	LocationID   int64
	LocationName string
	Name         string
	Active       bool
}

// Attendee is one client of an appointment.
type Attendee struct {
	ClientID   int64
	Attendance string // expected, attended, absent, cancelled
	// Name is the preferred (or first) name and last name; Initials their
	// initials. Both are empty when Hidden: the viewer may not see this client.
	Name     string
	Initials string
	Hidden   bool
}

// Appointment is one appointment (an occurrence of a series is one too).
type Appointment struct {
	ID             int64
	SeriesID       int64
	ClinicianID    int64
	ClinicianName  string
	TypeID         int64
	TypeName       string
	TypeColor      string
	Kind           Kind
	ServiceCode    string
	LocationID     int64
	LocationName   string
	RoomID         int64
	RoomName       string
	Telehealth     bool
	VideoURL       string
	Start, End     time.Time
	Status         Status
	CancelledBy    string // client or clinician
	LateCancel     bool
	FeeCents       int64
	StatusReason   string
	RescheduledTo  int64
	CheckedInAt    time.Time
	CheckedOutAt   time.Time
	Capacity       int
	FrontDeskNote  string
	OverlapReason  string
	Clients        []Attendee
	Version        int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	RRule          string // the series' rule, when SeriesID is set
	HiddenFromUser bool   // every client is hidden from the viewer
}

// Minutes is the appointment's length.
func (a Appointment) Minutes() int { return int(a.End.Sub(a.Start) / time.Minute) }

// Policy is the practice's scheduling policy.
type Policy struct {
	LateCancelHours    int
	NoShowFeeCents     int64
	LateCancelFeeCents int64
	// ReminderHours are the offsets before the start at which reminders go
	// out, e.g. 48 and 2.
	ReminderHours []int
	Version       int64
}

// MaxMinutes bounds an appointment's length; overlap queries rely on it to
// look back only this far.
const MaxMinutes = 8 * 60

var (
	colorPattern   = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	servicePattern = regexp.MustCompile(`^([0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})?$`)
)

func clean(s string) string { return strings.TrimSpace(s) }
