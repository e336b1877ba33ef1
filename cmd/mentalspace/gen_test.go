package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/gen"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// TestGen fills a new installation with the tiny practice: the audit log
// verifies, a clinician signs in with the printed password and sees their
// week, and a second run refuses the filled database.
func TestGen(t *testing.T) {
	eachEngine(t, func(t *testing.T, e db.Engine) {
		in := newInstall(t, e)
		r := in.mustRun(t, "", "gen", "--size", "tiny", "--seed", "3")
		checkResult(t, r, 0, []string{"Generating the tiny practice (seed 3, today 2026-11-23", "Done in", " appointments, ",
			"appointment_clients", `password is "` + gen.Password + `"`, "admin@" + gen.StaffDomain}, nil)
		if strings.Contains(r.stdout, "\r") {
			t.Errorf("progress drew a bar on a stdout that is not a terminal:\n%q", r.stdout)
		}
		n := in.auditCount(t)
		if !strings.Contains(r.stdout, thousands(int64(n))+" audit entries") {
			t.Errorf("stdout does not give the %d audit entries:\n%s", n, r.stdout)
		}
		checkResult(t, in.run(t, "", "audit", "verify"), 0, []string{"audit log intact: " + strconv.Itoa(n) + " entries verified"}, nil)

		in.withEnv(t, func(e *env) {
			ctx := t.Context()
			var email string
			if err := e.db.Read().QueryRowContext(ctx, `SELECT u.email FROM users u JOIN user_roles r ON r.user_id = u.id
				WHERE r.role = 'clinician' ORDER BY u.id LIMIT 1`).Scan(&email); err != nil {
				t.Fatal(err)
			}
			tok, _, err := e.auth.Login(ctx, auth.LoginInput{Email: email, Password: gen.Password, IP: "127.0.0.1", UserAgent: "test"})
			if err != nil {
				t.Fatalf("sign in %s: %v", email, err)
			}
			a, err := e.auth.Authenticate(ctx, tok, "127.0.0.1", "test", "")
			if err != nil {
				t.Fatal(err)
			}
			loc, _ := time.LoadLocation(gen.TimeZone)
			monday := time.Date(2026, 11, 23, 0, 0, 0, 0, loc)
			aps, err := e.schedule.Calendar(ctx, a.Actor, scheduling.Range{From: monday, To: monday.AddDate(0, 0, 5), ClinicianIDs: []int64{a.Actor.UserID}})
			if err != nil || len(aps) < 10 {
				t.Errorf("the clinician's week: %d appointments, %v; want a full week", len(aps), err)
			}
		})
		// The sign-in and the calendar's read entry continued the chain.
		checkResult(t, in.run(t, "", "audit", "verify"), 0, []string{"audit log intact: " + strconv.Itoa(n+2) + " entries verified"}, nil)
		checkResult(t, in.run(t, "", "gen", "--size", "tiny"), 1, nil, []string{"the database is not empty"})
	})
}

func TestGenUsage(t *testing.T) {
	in := newInstall(t, db.SQLite)
	checkResult(t, in.run(t, "", "gen", "--help"), 0, nil, []string{"Usage: mentalspace gen --size tiny|small|large", "-notes-months", "-seed"})
	checkResult(t, in.run(t, "", "gen"), 1, nil, []string{"give a --size"})
	checkResult(t, in.run(t, "", "gen", "--size", "huge"), 1, nil, []string{`unknown size "huge": choose tiny, small, large`})
	checkResult(t, in.run(t, "", "gen", "--size", "tiny", "--today", "23/11/2026"), 1, nil, []string{"--today: give a date as YYYY-MM-DD"})
	checkResult(t, in.run(t, "", "gen", "--size", "tiny", "--notes-months", "-2"), 1, nil, []string{"give a number of months"})
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -45000: "-45,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
