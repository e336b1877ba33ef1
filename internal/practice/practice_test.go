package practice

import (
	"context"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

var (
	admin     = access.Actor{UserID: 1, Roles: []access.Role{access.RoleAdmin}}
	clinician = access.Actor{UserID: 2, Roles: []access.Role{access.RoleClinician}}
)

// aPractice creates the practice row as setup does.
func aPractice(t *testing.T, d *db.DB) (*Service, *audit.Log) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	l := audit.NewLog(d, clk, access.Policy{})
	s := Settings{Name: "Harbour Counselling"}
	s.Normalize()
	if err := d.InTx(context.Background(), func(tx *db.Tx) error { return Create(context.Background(), tx, s, clk.Now()) }); err != nil {
		t.Fatal(err)
	}
	return NewService(d, clk, l), l
}

func TestSettings(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := Get(ctx, d.Read()); err != ErrNoPractice {
			t.Fatalf("Get before setup err = %v, want ErrNoPractice", err)
		}
		svc, l := aPractice(t, d)
		if svc.Name(ctx) != "Harbour Counselling" {
			t.Errorf("Name = %q", svc.Name(ctx))
		}
		st, err := svc.Settings(ctx, clinician)
		if err != nil || st.SessionIdleMinutes != 15 || st.TimeZone != "America/New_York" || st.Version != 1 {
			t.Fatalf("Settings = %+v, %v", st, err)
		}
		tests := []struct {
			name  string
			edit  func(*Settings)
			field string
		}{
			{"ErrNameRequired", func(s *Settings) { s.Name = " " }, "name"},
			{"ErrTaxID", func(s *Settings) { s.TaxID = "12-34" }, "tax_id"},
			{"ErrGroupNPI", func(s *Settings) { s.GroupNPI = "1234567890" }, "group_npi"},
			{"ErrTimeZone", func(s *Settings) { s.TimeZone = "Nowhere/Special" }, "time_zone"},
			{"ErrIdle", func(s *Settings) { s.SessionIdleMinutes = 240 }, "session_idle_minutes"},
			{"ErrState", func(s *Settings) { s.Address.State = "New York" }, "state"},
			{"ErrZip", func(s *Settings) { s.Address.PostalCode = "1234" }, "postal_code"},
		}
		for _, tt := range tests {
			in := st
			tt.edit(&in)
			if err := svc.UpdateSettings(ctx, admin, in); apperr.As(err).Fields[tt.field] == "" {
				t.Errorf("%s: err = %v, want a %s field error", tt.name, err, tt.field)
			}
		}
		in := st
		in.GroupNPI, in.TaxID, in.RequireMFAForAll = "1245319599", "12-3456789", true
		if err := svc.UpdateSettings(ctx, clinician, in); !apperr.Is(err, apperr.CodeForbidden) {
			t.Fatalf("clinician update err = %v, want forbidden", err)
		}
		if err := svc.UpdateSettings(ctx, admin, in); err != nil {
			t.Fatal(err)
		}
		// The same version again is a conflict: someone saved in between.
		if err := svc.UpdateSettings(ctx, admin, in); !apperr.Is(err, apperr.CodeConflict) {
			t.Fatalf("stale update err = %v, want conflict", err)
		}
		got, _ := Get(ctx, d.Read())
		if !got.RequireMFAForAll || got.GroupNPI != "1245319599" || got.Version != 2 {
			t.Errorf("after update = %+v", got)
		}
		page, err := l.Find(ctx, admin, audit.Filter{Action: audit.ActionUpdate, UserID: admin.UserID})
		if err != nil || page.Total != 1 || page.Entries[0].Detail != "fields tax_id,group_npi,require_mfa_all" {
			t.Errorf("update audit = %+v, %v", page.Entries, err)
		}
	})
}

func TestLocations(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		svc, _ := aPractice(t, d)
		if _, err := svc.SaveLocation(ctx, admin, Location{Name: "Office", PlaceOfService: "77"}); apperr.As(err).Fields["place_of_service"] == "" {
			t.Fatalf("bad POS err = %v", err)
		}
		id, err := svc.SaveLocation(ctx, admin, Location{Name: "Office", PlaceOfService: "11", Active: true, Address: Address{City: "Albany", State: "ny"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SaveLocation(ctx, admin, Location{Name: "Telehealth", PlaceOfService: "10", Active: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SaveLocation(ctx, clinician, Location{Name: "X", PlaceOfService: "11"}); !apperr.Is(err, apperr.CodeForbidden) {
			t.Fatalf("clinician save err = %v", err)
		}
		if err := svc.SetLocationActive(ctx, admin, id, false); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetLocationActive(ctx, admin, 999, false); !apperr.Is(err, apperr.CodeNotFound) {
			t.Fatalf("missing location err = %v", err)
		}
		locs, err := svc.Locations(ctx, clinician)
		if err != nil || len(locs) != 2 || locs[0].Name != "Telehealth" || locs[1].Active || locs[1].Address.State != "NY" {
			t.Fatalf("Locations = %+v, %v (want active first, state upper-cased)", locs, err)
		}
	})
}
