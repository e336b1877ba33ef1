package crashtest

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// Booking is an appointment the server acknowledged (201 with its id).
type Booking struct {
	ID, ClinicianID, ClientID int64
	Start, End                time.Time
}

// NoteStep is how far a note's acknowledged life has got.
type NoteStep int

// The steps of a note, in order.
const (
	NoteCreated NoteStep = iota + 1 // POST /notes answered 201
	NoteSaved                       // PUT /notes/{id} answered 200
	NoteSigned                      // POST /notes/{id}/sign answered 200, signed
)

func (s NoteStep) String() string {
	return [...]string{"", "created", "saved", "signed"}[s]
}

// NoteAck is the last acknowledged state of a note: what the server said it
// stored.
type NoteAck struct {
	ID       int64
	AuthorID int64
	Step     NoteStep
	Version  int64
	Body     map[string]string // as saved; empty for a new draft
	Hash     string            // content hash, once signed
}

// Ledger records every write the server acknowledged, and only those: a
// request that got no answer (the server was killed first) may or may not
// have committed, and the checks allow both. Safe for concurrent use.
type Ledger struct {
	mu       sync.Mutex
	bookings map[int64]Booking
	notes    map[int64]NoteAck
	// touched lists notes whose acknowledged state changed since they were
	// last checked through the API.
	touched map[int64]bool
	// Acks counts acknowledged writes; Refused counts deliberately
	// conflicting bookings the server refused, as it must.
	acks    Acks
	refused int
}

// Acks counts acknowledged writes by kind.
type Acks struct {
	Bookings, Drafts, Saves, Signatures int
}

// Total is the number of acknowledged writes.
func (a Acks) Total() int { return a.Bookings + a.Drafts + a.Saves + a.Signatures }

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{bookings: map[int64]Booking{}, notes: map[int64]NoteAck{}, touched: map[int64]bool{}}
}

// Booked records an acknowledged booking.
func (l *Ledger) Booked(b Booking) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bookings[b.ID] = b
	l.acks.Bookings++
}

// Refused records a conflicting booking the server refused.
func (l *Ledger) Refused() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refused++
}

// Note records a note's newly acknowledged state.
func (l *Ledger) Note(n NoteAck) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n.Body = maps.Clone(n.Body)
	l.notes[n.ID] = n
	l.touched[n.ID] = true
	switch n.Step {
	case NoteCreated:
		l.acks.Drafts++
	case NoteSaved:
		l.acks.Saves++
	case NoteSigned:
		l.acks.Signatures++
	}
}

// Touched returns the notes changed since the last call, and forgets them.
func (l *Ledger) Touched() []NoteAck {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]NoteAck, 0, len(l.touched))
	for id := range l.touched {
		out = append(out, l.notes[id])
	}
	clear(l.touched)
	slices.SortFunc(out, func(x, y NoteAck) int { return int(x.ID - y.ID) })
	return out
}

// Counts returns the acknowledged writes and refused conflicts so far.
func (l *Ledger) Counts() (Acks, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acks, l.refused
}

// snapshot copies the ledger's records for a check.
func (l *Ledger) snapshot() (map[int64]Booking, map[int64]NoteAck) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.bookings), maps.Clone(l.notes)
}
