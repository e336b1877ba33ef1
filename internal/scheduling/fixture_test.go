package scheduling

import (
	"context"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/crypto"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// practice is a test practice in America/New_York with staff, clients, a
// location with two rooms, a telehealth location and appointment types.
type practice struct {
	t        *testing.T
	d        *db.DB
	svc      *Service
	clients  *clients.Service
	clk      *clock.Fake
	loc      *time.Location
	staff    map[string]access.Actor
	client   map[string]int64
	office   int64
	video    int64
	room     [2]int64
	types    map[Kind]int64
	sessions int64 // the 53-minute individual type
}

var ny = mustZone("America/New_York")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func aPractice(t *testing.T, d *db.DB) *practice {
	t.Helper()
	ctx := context.Background()
	// Monday 2 March 2026, 09:00 in New York; clocks spring forward on 8 March.
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, ny))
	l := audit.NewLog(d, clk, access.Policy{ClientRule: clients.CaseloadRule(d, clk)})
	k := crypto.NewKeyring(d, crypto.GenerateMasterKey(), clk)
	p := &practice{t: t, d: d, clk: clk, loc: ny, svc: NewService(d, clk, l), clients: clients.NewService(d, clk, l, k),
		staff: map[string]access.Actor{}, client: map[string]int64{}, types: map[Kind]int64{}}
	p.clients.Location = ny
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.InTx(ctx, func(tx *db.Tx) error {
		now := db.Micros(clk.Now())
		if _, err := tx.ExecContext(ctx, `INSERT INTO practice (id, name, time_zone, created_at, updated_at) VALUES (1, 'Harbor Counseling', 'America/New_York', $1, $1)`, now); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO locations (name, place_of_service, created_at, updated_at) VALUES ('Main office', '11', $1, $1) RETURNING id`, now).Scan(&p.office); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO locations (name, place_of_service, created_at, updated_at) VALUES ('Telehealth', '10', $1, $1) RETURNING id`, now).Scan(&p.video)
	}))
	for _, s := range []struct {
		name string
		role access.Role
	}{{"admin", access.RoleAdmin}, {"clinician", access.RoleClinician}, {"other", access.RoleClinician},
		{"associate", access.RoleAssociate}, {"frontdesk", access.RoleFrontDesk}, {"biller", access.RoleBiller}} {
		var id int64
		must(d.InTx(ctx, func(tx *db.Tx) error {
			if err := tx.QueryRowContext(ctx, `INSERT INTO users (email, name, password_hash, password_changed_at, created_at, updated_at)
				VALUES ($1, $2, 'x', 0, 0, 0) RETURNING id`, s.name+"@example.org", s.name).Scan(&id); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, $2)`, id, string(s.role))
			return err
		}))
		p.staff[s.name] = access.Actor{UserID: id, Roles: []access.Role{s.role}}
	}
	admin := p.staff["admin"]
	for i, name := range []string{"Room 1", "Room 2"} {
		id, err := p.svc.SaveRoom(ctx, admin, Room{LocationID: p.office, Name: name})
		must(err)
		p.room[i] = id
	}
	for _, ty := range []Type{
		{Name: "Individual 53", DurationMinutes: 53, ServiceCode: "90834", Kind: Individual, TelehealthAllowed: true},
		{Name: "Intake", DurationMinutes: 60, ServiceCode: "90791", Kind: Intake},
		{Name: "Couples", DurationMinutes: 50, ServiceCode: "90847", Kind: Couple, TelehealthAllowed: true},
		{Name: "Group", DurationMinutes: 90, ServiceCode: "90853", Kind: Group, Capacity: 3},
	} {
		id, err := p.svc.SaveType(ctx, admin, ty)
		must(err)
		p.types[ty.Kind] = id
	}
	p.sessions = p.types[Individual]
	for _, c := range []struct{ key, first, last, clinician string }{
		{"ana", "Ana", "Lopez", "clinician"}, {"ben", "Ben", "Okafor", "clinician"}, {"cy", "Cy", "Park", "clinician"},
		{"dee", "Dee", "Ray", "other"}, {"eli", "Eli", "Stone", "associate"},
	} {
		cl, err := p.clients.Create(ctx, p.staff["frontdesk"], clients.Input{FirstName: c.first, LastName: c.last, BirthDate: "1990-01-01",
			PrimaryClinicianID: p.staff[c.clinician].UserID, Email: c.key + "@example.org"})
		must(err)
		p.client[c.key] = cl.ID
	}
	// Weekday availability 09:00–17:00 at the office for both clinicians.
	for _, who := range []string{"clinician", "other", "associate"} {
		var ws []Window
		for d := time.Monday; d <= time.Friday; d++ {
			ws = append(ws, Window{LocationID: p.office, Weekday: d, StartMinute: 9 * 60, EndMinute: 17 * 60})
		}
		must(p.svc.SetWeeklyTemplate(ctx, admin, p.staff[who].UserID, ws))
	}
	return p
}

// at is a local time in the practice zone.
func at(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, ny) }

// booking is an individual session for client key with the clinician at start.
func (p *practice) booking(clinician, key string, start time.Time) Booking {
	return Booking{ClinicianID: p.staff[clinician].UserID, ClientIDs: []int64{p.client[key]}, TypeID: p.sessions,
		LocationID: p.office, RoomID: p.room[0], Start: start}
}

func (p *practice) book(who string, b Booking) Booked {
	p.t.Helper()
	out, err := p.svc.Book(context.Background(), p.staff[who], b)
	if err != nil {
		p.t.Fatalf("book: %v", err)
	}
	return out
}

func (p *practice) count(query string, args ...any) int {
	p.t.Helper()
	var n int
	if err := p.d.Read().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		p.t.Fatal(err)
	}
	return n
}

// clientStartsAgree checks that every appointment_clients row holds its
// appointment's start, which the client overlap check reads.
func (p *practice) clientStartsAgree() {
	p.t.Helper()
	if n := p.count(`SELECT count(*) FROM appointment_clients ac JOIN appointments a ON a.id = ac.appointment_id WHERE ac.starts_at <> a.starts_at`); n != 0 {
		p.t.Errorf("%d appointment_clients rows hold another start than their appointment's", n)
	}
}
