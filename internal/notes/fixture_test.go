package notes

import (
	"context"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/clinical"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/crypto"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// password is every test user's password for signatures.
const password = "harbor lantern meadow"

// confirmer checks the test password and reads the signer's name (package
// auth's real ConfirmIdentity is tested there).
type confirmer struct{ d *db.DB }

func (c confirmer) ConfirmIdentity(ctx context.Context, a access.Actor, pw, code string) (auth.Signer, error) {
	if pw != password {
		return auth.Signer{}, apperr.Invalid("Please correct the highlighted fields.", map[string]string{"password": "This is not your current password."})
	}
	s := auth.Signer{UserID: a.UserID}
	err := c.d.Read().QueryRowContext(ctx, `SELECT name, credentials FROM users WHERE id = $1`, a.UserID).Scan(&s.Name, &s.Credentials)
	return s, err
}

type practice struct {
	t        *testing.T
	d        *db.DB
	svc      *Service
	clinical *clinical.Service
	clk      *clock.Fake
	staff    map[string]access.Actor
	client   map[string]int64
	typeID   int64
	tmpl     map[Kind]int64
}

func aPractice(t *testing.T, d *db.DB) *practice {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC))
	l := audit.NewLog(d, clk, access.Policy{ClientRule: clients.CaseloadRule(d, clk)})
	k := crypto.NewKeyring(d, crypto.GenerateMasterKey(), clk)
	p := &practice{t: t, d: d, clk: clk, svc: NewService(d, clk, l, k, confirmer{d}), clinical: clinical.NewService(d, clk, l, k),
		staff: map[string]access.Actor{}, client: map[string]int64{}, tmpl: map[Kind]int64{}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []struct {
		name, credentials string
		role              access.Role
	}{{"admin", "", access.RoleAdmin}, {"clinician", "LCSW", access.RoleClinician}, {"other", "PhD", access.RoleClinician},
		{"associate", "ACSW", access.RoleAssociate}, {"supervisor", "LCSW", access.RoleSupervisor}, {"frontdesk", "", access.RoleFrontDesk},
		{"biller", "", access.RoleBiller}} {
		var id int64
		must(d.InTx(ctx, func(tx *db.Tx) error {
			if err := tx.QueryRowContext(ctx, `INSERT INTO users (email, name, credentials, password_hash, password_changed_at, created_at, updated_at)
				VALUES ($1, $2, $3, 'x', 0, 0, 0) RETURNING id`, s.name+"@example.org", s.name, s.credentials).Scan(&id); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, $2)`, id, string(s.role))
			return err
		}))
		p.staff[s.name] = access.Actor{UserID: id, Roles: []access.Role{s.role}}
	}
	must(d.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO supervision (supervisor_id, supervisee_id, is_primary, starts_on) VALUES ($1, $2, TRUE, '2026-01-01')`,
			p.staff["supervisor"].UserID, p.staff["associate"].UserID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO practice (id, name, time_zone, created_at, updated_at) VALUES (1, 'Harbor', 'America/New_York', 0, 0)`)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO locations (id, name, place_of_service, created_at, updated_at) VALUES (1, 'Main', '11', 0, 0)`); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO appointment_types (name, duration_minutes, service_code, kind, created_at, updated_at)
			VALUES ('Individual', 53, '90837', 'individual', 0, 0) RETURNING id`).Scan(&p.typeID)
	}))
	cs := clients.NewService(d, clk, l, k)
	for _, c := range []struct{ key, clinician string }{{"ana", "clinician"}, {"ben", "associate"}, {"cy", "clinician"}} {
		cl, err := cs.Create(ctx, p.staff["frontdesk"], clients.Input{FirstName: c.key, LastName: "Test", BirthDate: "1990-01-01",
			PrimaryClinicianID: p.staff[c.clinician].UserID})
		must(err)
		p.client[c.key] = cl.ID
	}
	must(p.svc.EnsureTemplates(ctx))
	must(p.svc.EnsureTemplates(ctx)) // idempotent
	ts, err := p.svc.Templates(ctx, p.staff["clinician"])
	must(err)
	for _, tm := range ts {
		p.tmpl[tm.Kind] = tm.ID
	}
	return p
}

// appointment adds a completed appointment of the clinician with the
// clients, ending an hour before the clock.
func (p *practice) appointment(clinician string, minutes int, clientKeys ...string) int64 {
	p.t.Helper()
	ctx := context.Background()
	end := p.clk.Now().Add(-time.Hour)
	var id int64
	err := p.d.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO appointments (clinician_id, type_id, location_id, starts_at, ends_at, status, capacity, created_at, updated_at)
			VALUES ($1, $2, 1, $3, $4, 'completed', 8, 0, 0) RETURNING id`, p.staff[clinician].UserID, p.typeID,
			db.Micros(end.Add(-time.Duration(minutes)*time.Minute)), db.Micros(end)).Scan(&id); err != nil {
			return err
		}
		for _, k := range clientKeys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO appointment_clients (appointment_id, client_id, starts_at) SELECT $1, $2, starts_at FROM appointments WHERE id = $1`, id, p.client[k]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		p.t.Fatal(err)
	}
	return id
}

func (p *practice) count(query string, args ...any) int {
	p.t.Helper()
	var n int
	if err := p.d.Read().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		p.t.Fatal(err)
	}
	return n
}

// soap is a complete SOAP body.
func soap() map[string]string {
	b := map[string]string{"subjective": "Reports better sleep.", "objective": "Calm, engaged.", "assessment": "Improving.", "plan": "Continue CBT weekly.",
		"risk.level": "low", "risk.suicidal_ideation": "none", "risk.homicidal_ideation": "none", "progress": "Improved"}
	for _, d := range MSEDomains {
		b["mse."+d.Key] = d.Options[0]
	}
	return b
}
