package crashtest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/gen"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/crypto"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

var at = time.Date(2027, 6, 1, 15, 0, 0, 0, time.UTC)

// whole is a stored appointment with everything a booking writes.
func whole(clinician, client int64, start time.Time) *appointmentRow {
	return &appointmentRow{ClinicianID: clinician, Start: start.UnixMicro(), End: start.Add(slot).UnixMicro(), Status: "scheduled", Blocks: true,
		Clients: []int64{client}, Events: 1, CreateAudit: true}
}

func signedRow(version int64, hash string) *noteRow {
	return &noteRow{AuthorID: 5, Status: "signed", Version: version, Hash: hash, SignedAt: true, SignedBy: true, BodyLen: 90, CreateAudit: true, SignAudit: true}
}

var hash = strings.Repeat("ab", 32)

func TestCompare(t *testing.T) {
	booking := Booking{ID: 10, ClinicianID: 5, ClientID: 7, Start: at, End: at.Add(slot)}
	body := map[string]string{"summary": "x"}
	tests := []struct {
		name     string
		stored   state
		bookings []Booking
		notes    []NoteAck
		want     []Finding
	}{
		{"OK", state{
			appointments: map[int64]*appointmentRow{10: whole(5, 7, at), 11: whole(5, 8, at.Add(slot))}, // 11 committed unanswered
			notes:        map[int64]*noteRow{20: signedRow(3, hash)},
		}, []Booking{booking}, []NoteAck{{ID: 20, AuthorID: 5, Step: NoteSigned, Version: 3, Body: body, Hash: hash}}, nil},
		{"SignatureCommittedUnanswered", state{notes: map[int64]*noteRow{20: signedRow(3, hash)}},
			nil, []NoteAck{{ID: 20, AuthorID: 5, Step: NoteSaved, Version: 2, Body: body}}, nil},
		{"LostBooking", state{appointments: map[int64]*appointmentRow{10: whole(5, 7, at)}},
			[]Booking{booking, {ID: 4242, ClinicianID: 5, ClientID: 7, Start: at.Add(slot), End: at.Add(2 * slot)}}, nil,
			[]Finding{{Lost: true, Detail: "appointment 4242 (clinician 5, 2027-06-01 15:10) was acknowledged but is not stored"}}},
		{"LostClient", state{appointments: map[int64]*appointmentRow{10: {ClinicianID: 5, Start: at.UnixMicro(), End: at.Add(slot).UnixMicro(),
			Status: "scheduled", Blocks: true, Clients: []int64{8}, Events: 1, CreateAudit: true}}}, []Booking{booking}, nil,
			[]Finding{{Lost: true, Detail: "appointment 10 lost its client 7 (has [8])"}}},
		{"LostSignature", state{notes: map[int64]*noteRow{20: {AuthorID: 5, Status: "draft", Version: 2, BodyLen: 90, CreateAudit: true}}},
			nil, []NoteAck{{ID: 20, AuthorID: 5, Step: NoteSigned, Version: 3, Body: body, Hash: hash}},
			[]Finding{{Lost: true, Detail: `note 20 is draft at version 2 with hash "", acknowledged signed at version 3 with hash "` + hash + `"`}}},
		{"LostSave", state{notes: map[int64]*noteRow{20: {AuthorID: 5, Status: "draft", Version: 1, BodyLen: 90, CreateAudit: true}}},
			nil, []NoteAck{{ID: 20, AuthorID: 5, Step: NoteSaved, Version: 2, Body: body}},
			[]Finding{{Lost: true, Detail: "note 20 is at version 1, its save acknowledged version 2"}}},
		{"LostNote", state{}, nil, []NoteAck{{ID: 21, Step: NoteCreated, Version: 1}},
			[]Finding{{Lost: true, Detail: "note 21 was acknowledged created but is not stored"}}},
		{"HalfWrittenAppointment", state{appointments: map[int64]*appointmentRow{12: {ClinicianID: 5, Start: at.UnixMicro(), End: at.Add(slot).UnixMicro(),
			Status: "scheduled", Blocks: true}}}, nil, nil,
			[]Finding{
				{Detail: "half-written: appointment 12 has no appointment_clients row"},
				{Detail: "half-written: appointment 12 has no appointment_events row"},
				{Detail: "half-written: appointment 12 has no audit entry for its creation"},
			}},
		{"HalfWrittenSignature", state{notes: map[int64]*noteRow{22: {AuthorID: 5, Status: "signed", Version: 3, BodyLen: 90, CreateAudit: true}}}, nil, nil,
			[]Finding{
				{Detail: `half-written: note 22 is signed without its content hash, signer or time (hash "")`},
				{Detail: "half-written: note 22 is signed without an audit entry for the signature"},
			}},
		{"DoubleBooking", state{appointments: map[int64]*appointmentRow{10: whole(5, 7, at), 13: whole(5, 8, at.Add(5*time.Minute))}}, []Booking{booking}, nil,
			[]Finding{{Detail: "double booking: clinician 5 has appointments 10 and 13 at the same time"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.stored.appointments == nil {
				tt.stored.appointments = map[int64]*appointmentRow{}
			}
			if tt.stored.notes == nil {
				tt.stored.notes = map[int64]*noteRow{}
			}
			l := NewLedger()
			for _, b := range tt.bookings {
				l.Booked(b)
			}
			for _, n := range tt.notes {
				l.Note(n)
			}
			bookings, notes := l.snapshot()
			got := compare(&tt.stored, bookings, notes)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("compare (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheck books an appointment through the scheduling service on a
// generated practice, then checks the real database: the booking is found
// whole; an acknowledged id that was never stored is reported lost; and so
// is the booking once its client row is deleted behind the service's back.
func TestCheck(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		clk := clock.System{}
		if err := gen.Run(ctx, d, crypto.NewKeyring(d, crypto.GenerateMasterKey(), clk), gen.Tiny, 1, nil); err != nil {
			t.Fatal(err)
		}
		var base Baseline
		var clinician, client, typeID int64
		for q, dst := range map[string][]any{
			`SELECT max(id) FROM appointments`: {&base.Appointment},
			`SELECT max(id) FROM notes`:        {&base.Note},
			`SELECT max(seq) FROM audit_log`:   {&base.AuditSeq},
			`SELECT primary_clinician_id, id FROM clients WHERE status = 'active' AND primary_clinician_id IS NOT NULL ORDER BY id LIMIT 1`: {&clinician, &client},
			`SELECT id FROM appointment_types WHERE kind = 'individual' ORDER BY id LIMIT 1`:                                                {&typeID},
		} {
			if err := d.Read().QueryRowContext(ctx, q).Scan(dst...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		start := time.Now().UTC().Truncate(time.Hour).AddDate(1, 6, 0)
		sched := scheduling.NewService(d, clk, audit.NewLog(d, clk, access.Policy{}))
		b, err := sched.Book(ctx, access.Actor{System: true}, scheduling.Booking{ClinicianID: clinician, ClientIDs: []int64{client}, TypeID: typeID,
			Telehealth: true, Start: start, Minutes: 10})
		if err != nil {
			t.Fatalf("book: %v", err)
		}
		l := NewLedger()
		l.Booked(Booking{ID: b.IDs[0], ClinicianID: clinician, ClientID: client, Start: start, End: start.Add(slot)})
		check := func() []Finding {
			t.Helper()
			fs, err := Check(ctx, d, base, l)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			return fs
		}
		if fs := check(); len(fs) != 0 {
			t.Fatalf("Check after a whole booking = %v, want nothing", fs)
		}
		if problems, _, err := Integrity(ctx, d); err != nil || len(problems) != 0 {
			t.Errorf("Integrity = %v, %v; want nothing", problems, err)
		}

		const fabricated = 987654
		l.Booked(Booking{ID: fabricated, ClinicianID: clinician, ClientID: client, Start: start.Add(slot), End: start.Add(2 * slot)})
		fs := check()
		if len(fs) != 1 || !fs[0].Lost || !strings.Contains(fs[0].Detail, "appointment 987654") {
			t.Errorf("Check with a fabricated acknowledged id = %v, want one lost write naming it", fs)
		}

		if _, err := d.Writer().ExecContext(ctx, `DELETE FROM appointment_clients WHERE appointment_id = $1`, b.IDs[0]); err != nil {
			t.Fatal(err)
		}
		var lost, half int
		for _, f := range check() {
			switch {
			case f.Lost:
				lost++
			case strings.Contains(f.Detail, "half-written"):
				half++
			}
		}
		if lost != 2 || half != 1 {
			t.Errorf("Check after deleting the client row: %d lost, %d half-written; want 2 and 1", lost, half)
		}
	})
}
