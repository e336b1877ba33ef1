package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/platform/config"
	"github.com/mentalspace/mentalspace/internal/practice"
)

// demoMarker marks a directory the demo made, so it only ever wipes its own.
const demoMarker = ".mentalspace-demo"

// DemoPassword signs in every demo account. The demo runs on loopback only.
const DemoPassword = "harbor lantern meadow"

var demoStaff = []struct {
	Email, Name, Credentials, NPI string
	Roles                         []access.Role
}{
	{"admin@demo.mentalspace.test", "Alex Rivera", "", "", []access.Role{access.RoleAdmin}},
	{"clinician@demo.mentalspace.test", "Dana Okafor", "LCSW", "1234567893", []access.Role{access.RoleClinician}},
	{"supervisor@demo.mentalspace.test", "Morgan Lee", "PhD", "1245319599", []access.Role{access.RoleClinician, access.RoleSupervisor}},
	{"associate@demo.mentalspace.test", "Sam Patel", "LPC-A", "", []access.Role{access.RoleAssociate}},
	{"priya.raman@demo.mentalspace.test", "Priya Raman", "PsyD", "1246813574", []access.Role{access.RoleClinician}},
	{"luis.ortega@demo.mentalspace.test", "Luis Ortega", "LMFT", "1357924681", []access.Role{access.RoleClinician}},
	{"frontdesk@demo.mentalspace.test", "Jordan Kim", "", "", []access.Role{access.RoleFrontDesk}},
	{"biller@demo.mentalspace.test", "Riley Chen", "", "", []access.Role{access.RoleBiller}},
}

func cmdDemo(ctx context.Context, args []string, getenv func(string) string, s stdio) error {
	cfg := config.Default()
	cfg.DataDir = "./mentalspace-demo"
	fs := newFlagSet("demo", "[--addr host:port] [--data-dir DIR]", s)
	check := commonFlags(fs, &cfg, getenv)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := check(); err != nil {
		return err
	}
	if !cfg.LoopbackAddr() {
		return errors.New("the demo has published passwords: it listens on loopback only (e.g. --addr 127.0.0.1:8080)")
	}
	if cfg.DatabaseURL != "" {
		return errors.New("the demo runs on its own SQLite database; unset MENTALSPACE_DATABASE_URL")
	}
	if err := freshDemoDir(cfg.DataDir); err != nil {
		return err
	}
	return serve(ctx, cfg, s, func(e *env, url string) error {
		start := time.Now()
		notes, err := seedDemo(ctx, e)
		if err != nil {
			return err
		}
		e.log.Info("demo practice seeded", "ms", time.Since(start).Milliseconds())
		// Passkeys are bound to a host name, so the demo shows the localhost form.
		if _, port, err := net.SplitHostPort(strings.TrimPrefix(url, "http://")); err == nil {
			url = "http://localhost:" + port
		}
		fmt.Fprintf(s.out, "\nMentalSpace demo is running: %s\n\n", url)
		fmt.Fprintf(s.out, "Sign in with any of these (password for all: %s):\n", DemoPassword)
		for _, u := range demoStaff {
			fmt.Fprintf(s.out, "  %-36s %-22s %s\n", u.Email, joinRoles(u.Roles), notes[u.Email])
		}
		fmt.Fprintln(s.out, "\nAdministrators set up two-step sign-in at first sign-in. Data is in", cfg.DataDir, "and is wiped on the next `demo`. Ctrl-C stops.")
		return nil
	})
}

// freshDemoDir empties dir if the demo made it, and refuses anything else.
func freshDemoDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			return fmt.Errorf("%s exists and was not made by the demo: choose another --data-dir", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, demoMarker), []byte("made by `mentalspace demo`; wiped on the next run\n"), 0o600)
}

// seedDemo sets up the demo practice: staff, locations, clients and the
// calendar. It returns a note for each account saying which clients it sees.
func seedDemo(ctx context.Context, e *env) (map[string]string, error) {
	first := demoStaff[0]
	admin, err := e.auth.Setup(ctx, system(), auth.SetupInput{
		Practice: practice.Settings{Name: "Riverside Counseling Group (demo)", TimeZone: "America/Chicago", Phone: "(312) 555-0148",
			TaxID: "12-3456789", GroupNPI: "1245319599",
			Address: practice.Address{Line1: "200 W Riverside Ave", City: "Chicago", State: "IL", PostalCode: "60606"}},
		Admin:    auth.Profile{Email: first.Email, Name: first.Name},
		Password: DemoPassword,
	})
	if err != nil {
		return nil, describe(err)
	}
	ids := map[string]int64{first.Email: admin.ID}
	for _, u := range demoStaff[1:] {
		nu, err := e.auth.CreateUser(ctx, system(), auth.Profile{Email: u.Email, Name: u.Name, Credentials: u.Credentials, NPI: u.NPI, Roles: u.Roles}, DemoPassword)
		if err != nil {
			return nil, describe(err)
		}
		ids[u.Email] = nu.ID
	}
	var locations []int64
	for _, l := range []practice.Location{
		{Name: "Riverside office", PlaceOfService: "11", Active: true, Address: practice.Address{Line1: "200 W Riverside Ave", City: "Chicago", State: "IL", PostalCode: "60606"}},
		{Name: "Telehealth", PlaceOfService: "10", Active: true},
	} {
		id, err := e.practice.SaveLocation(ctx, system(), l)
		if err != nil {
			return nil, describe(err)
		}
		locations = append(locations, id)
	}
	caseloads, total, err := seedDemoClients(ctx, e, ids, locations)
	if err != nil {
		return nil, err
	}
	if err := seedDemoSchedule(ctx, e, ids, caseloads); err != nil {
		return nil, err
	}
	if err := seedDemoNotes(ctx, e, ids); err != nil {
		return nil, err
	}
	notes := map[string]string{}
	for _, u := range demoStaff {
		own := caseloads[ids[u.Email]]
		var supervised map[int64]bool
		if u.Email == "supervisor@demo.mentalspace.test" {
			supervised = caseloads[ids["associate@demo.mentalspace.test"]]
		}
		more := 0
		for id := range supervised {
			if !own[id] {
				more++
			}
		}
		notes[u.Email] = caseloadLine(u.Roles, len(own), more, total)
	}
	return notes, nil
}
