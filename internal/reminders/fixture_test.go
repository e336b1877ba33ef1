package reminders_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/crypto"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/jobs"
	"github.com/mentalspace/mentalspace/internal/practice"
	"github.com/mentalspace/mentalspace/internal/reminders"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// waitFor bounds every wait for a job: River's scheduler first runs within
// about a second of Start, and a retry due at once is made available at once.
const waitFor = 20 * time.Second

// aPractice is a practice in New York with a front desk, a clinician, an
// office, an individual appointment type and the reminder policy given, on a
// fake clock two days in the past: appointments booked "in 90 minutes" of real
// time then have reminders whose due times have passed by the wall clock River
// uses, so a started runner picks their jobs up at once.
type aPractice struct {
	t          *testing.T
	d          *db.DB
	clk        *clock.Fake
	log        *slog.Logger
	audit      *audit.Log
	sched      *scheduling.Service
	clients    *clients.Service
	key        []byte
	frontdesk  access.Actor
	clinician  access.Actor
	typeID     int64
	groupType  int64
	locationID int64
}

const (
	practiceName  = "Harbour Counselling"
	practicePhone = "(555) 010-2000"
	officeName    = "Main Street Office"
	clinicianName = "Dr Quentin Vale"
	typeName      = "Individual therapy 53"
	serviceCode   = "90837"
)

func newPractice(t *testing.T, d *db.DB, hours string) *aPractice {
	t.Helper()
	ctx := context.Background()
	if err := jobs.Migrate(ctx, d); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Now().Add(-48 * time.Hour))
	l := audit.NewLog(d, clk, access.Policy{ClientRule: clients.CaseloadRule(d, clk)})
	k := crypto.NewKeyring(d, crypto.GenerateMasterKey(), clk)
	p := &aPractice{t: t, d: d, clk: clk, audit: l, sched: scheduling.NewService(d, clk, l), clients: clients.NewService(d, clk, l, k),
		key: crypto.GenerateMasterKey().Derive("reminder-links"),
		log: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))}
	err := d.InTx(ctx, func(tx *db.Tx) error {
		if err := practice.Create(ctx, tx, practice.Settings{Name: practiceName, Phone: practicePhone, TimeZone: "America/New_York", SessionIdleMinutes: 15}, clk.Now()); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO locations (name, place_of_service, created_at, updated_at) VALUES ($1, '11', 0, 0) RETURNING id`, officeName).Scan(&p.locationID); err != nil {
			return err
		}
		for _, s := range []struct {
			name string
			role access.Role
			to   *access.Actor
		}{{"Fran Desk", access.RoleFrontDesk, &p.frontdesk}, {clinicianName, access.RoleClinician, &p.clinician}} {
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO users (email, name, password_hash, password_changed_at, created_at, updated_at)
				VALUES ($1, $2, 'x', 0, 0, 0) RETURNING id`, strings.ReplaceAll(strings.ToLower(s.name), " ", ".")+"@example.org", s.name).Scan(&id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, $2)`, id, string(s.role)); err != nil {
				return err
			}
			*s.to = access.Actor{UserID: id, Roles: []access.Role{s.role}}
		}
		_, err := tx.ExecContext(ctx, `UPDATE scheduling_policy SET reminder_hours = $1, late_cancel_hours = 24, late_cancel_fee_cents = 5000`, hours)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	system := access.Actor{System: true}
	if p.typeID, err = p.sched.SaveType(ctx, system, scheduling.Type{Name: typeName, DurationMinutes: 53, ServiceCode: serviceCode, Kind: scheduling.Individual}); err != nil {
		t.Fatal(err)
	}
	if p.groupType, err = p.sched.SaveType(ctx, system, scheduling.Type{Name: "DBT skills group", DurationMinutes: 90, ServiceCode: "90853", Kind: scheduling.Group, Capacity: 8}); err != nil {
		t.Fatal(err)
	}
	return p
}

// aClient registers a client born in 1990 with the given contact details.
func (p *aPractice) aClient(first, preferred, last, email string, phones ...clients.Phone) int64 {
	p.t.Helper()
	c, err := p.clients.Create(context.Background(), p.frontdesk, clients.Input{FirstName: first, PreferredName: preferred, LastName: last,
		BirthDate: "1990-04-02", Email: email, Phones: phones, PrimaryClinicianID: p.clinician.UserID})
	if err != nil {
		p.t.Fatalf("register %s: %v", last, err)
	}
	return c.ID
}

func textable(number string) clients.Phone {
	return clients.Phone{Kind: "mobile", Number: number, CanText: true}
}

// book books the clinician with the clients at start in the office.
func (p *aPractice) book(start time.Time, typeID int64, clientIDs ...int64) int64 {
	p.t.Helper()
	b, err := p.sched.Book(context.Background(), p.frontdesk, scheduling.Booking{ClinicianID: p.clinician.UserID, ClientIDs: clientIDs,
		TypeID: typeID, LocationID: p.locationID, Start: start})
	if err != nil {
		p.t.Fatalf("book: %v", err)
	}
	return b.IDs[0]
}

// soon is a start in about 90 minutes of real time, on the minute.
func soon() time.Time { return time.Now().Add(90 * time.Minute).Truncate(time.Minute) }

// service builds a reminders service with the given senders, hooked into
// scheduling when hook is set, and its runner (not started, stopped at
// cleanup). A nil backoff retries at once.
func (p *aPractice) service(m reminders.Mailer, tx reminders.Texter, hook bool, maxAttempts int, backoff func(int) time.Duration) (*reminders.Service, *jobs.Runner) {
	p.t.Helper()
	r, err := jobs.New(p.d, p.log, jobs.Options{})
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			p.t.Errorf("stop runner: %v", err)
		}
	})
	if backoff == nil {
		backoff = func(int) time.Duration { return 0 }
	}
	d := reminders.Deps{DB: p.d, Clock: p.clk, Audit: p.audit, Scheduling: p.sched, Log: p.log, Queue: r, LinkKey: p.key,
		BaseURL: "https://ehr.example.org", MaxAttempts: maxAttempts, Backoff: backoff}
	if m != nil {
		d.Mailer = m
	}
	if tx != nil {
		d.Texter = tx
	}
	s, err := reminders.NewService(d)
	if err != nil {
		p.t.Fatal(err)
	}
	jobs.AddWorker(r, &reminders.SendWorker{Service: s})
	if hook {
		p.sched.AddHook(s)
	}
	return s, r
}

func start(t *testing.T, r *jobs.Runner) {
	t.Helper()
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// row is a reminder as stored.
type row struct {
	ID        int64
	ClientID  int64
	Channel   string
	Hours     int
	Due       int64
	Status    string
	Attempts  int
	LastError string
	Provider  string
	Sent      bool
}

func (p *aPractice) reminders(appointmentID int64) []row {
	p.t.Helper()
	rows, err := p.d.Read().QueryContext(context.Background(), `SELECT id, client_id, channel, hours_before, due_at, status, attempts, last_error, provider_id, sent_at IS NOT NULL
		FROM reminders WHERE appointment_id = $1 ORDER BY due_at, client_id, channel, id`, appointmentID)
	if err != nil {
		p.t.Fatal(err)
	}
	defer rows.Close()
	var out []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.ID, &r.ClientID, &r.Channel, &r.Hours, &r.Due, &r.Status, &r.Attempts, &r.LastError, &r.Provider, &r.Sent); err != nil {
			p.t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// sendJobs lists the send jobs by reminder id, with the due time in their
// args and the time River will run them.
func (p *aPractice) sendJobs() map[int64][2]time.Time {
	p.t.Helper()
	args := `CAST(args AS TEXT)`
	if p.d.Engine == db.SQLite {
		args = `json(args)` // River stores JSONB there
	}
	rows, err := p.d.Read().QueryContext(context.Background(), `SELECT `+args+`, scheduled_at FROM river_job WHERE kind = 'reminders.send'`)
	if err != nil {
		p.t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64][2]time.Time{}
	for rows.Next() {
		var raw string
		var at any
		if err := rows.Scan(&raw, &at); err != nil {
			p.t.Fatal(err)
		}
		var args reminders.SendArgs
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			p.t.Fatalf("job args %q: %v", raw, err)
		}
		out[args.ReminderID] = [2]time.Time{db.Time(args.DueAt), asTime(p.t, at)}
	}
	return out
}

// asTime reads River's scheduled_at: a time on PostgreSQL, text on SQLite.
func asTime(t *testing.T, v any) time.Time {
	t.Helper()
	switch x := v.(type) {
	case time.Time:
		return x.UTC()
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
			if tm, err := time.Parse(layout, x); err == nil {
				return tm.UTC()
			}
		}
	case []byte:
		return asTime(t, string(x))
	}
	t.Fatalf("scheduled_at %T %v", v, v)
	return time.Time{}
}

// eventually polls cond until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func statusOf(rs []row) []string {
	var s []string
	for _, r := range rs {
		s = append(s, r.Channel+":"+r.Status)
	}
	return s
}

// tokenOf takes the token out of a reminder link in text.
func tokenOf(t *testing.T, text string) string {
	t.Helper()
	i := strings.Index(text, "https://ehr.example.org/r/")
	if i < 0 {
		t.Fatalf("no link in %q", text)
	}
	link := strings.Fields(text[i:])[0]
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/r/")
}

// counter counts calls, safely.
type counter struct {
	mu sync.Mutex
	n  []int
}

func (c *counter) add(v int) {
	c.mu.Lock()
	c.n = append(c.n, v)
	c.mu.Unlock()
}

func (c *counter) values() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.n...)
}
