package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// storedPrefs reads a client's reminder_preferences row; ok is false without one.
func storedPrefs(t *testing.T, ta *testApp, clientID int64) (email, sms, ok bool) {
	t.Helper()
	err := ta.DB.Read().QueryRowContext(context.Background(), `SELECT email, sms FROM reminder_preferences WHERE client_id = $1`, clientID).Scan(&email, &sms)
	if err == nil {
		return email, sms, true
	}
	var n int
	if err2 := ta.DB.Read().QueryRowContext(context.Background(), `SELECT count(*) FROM reminder_preferences WHERE client_id = $1`, clientID).Scan(&n); err2 != nil || n != 0 {
		t.Fatalf("read reminder preferences: %v", err)
	}
	return false, false, false
}

// TestReminderPreferencePages: Pepa (no email, a phone that may text) has a
// session on Thursday 3 December at 10:00 with the practice's 48- and 2-hour
// reminders, which this server records as not sent (texts are not set up).
// The front desk turns her texts off on the chart and back on; the
// appointment page lists her reminders with their delivery; a biller may
// read the choice but not change it.
func TestReminderPreferencePages(t *testing.T) {
	for _, engine := range dbtest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			if engine == db.Postgres {
				dbtest.PostgresSchema(t) // skips, or fails under CI, without a server
			}
			ctx := context.Background()
			cp := newCalPractice(t, engine)
			ta, pepa := cp.ta, cp.pepa.ID
			start := time.Date(2026, 12, 3, 10, 0, 0, 0, calZone)
			booked, err := ta.Scheduling.Book(ctx, access.Actor{System: true}, scheduling.Booking{ClinicianID: cp.casey.ID, ClientIDs: []int64{pepa},
				TypeID: cp.individual, LocationID: cp.location, Start: start})
			if err != nil {
				t.Fatal(err)
			}
			appt := booked.IDs[0]
			pending := func() int {
				t.Helper()
				var n int
				if err := ta.DB.Read().QueryRowContext(ctx, `SELECT count(*) FROM reminders WHERE appointment_id = $1 AND status IN ('pending', 'skipped')`, appt).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := pending(); n != 2 {
				t.Fatalf("%d reminders after booking, want 2", n)
			}
			chart, action := "/clients/"+itoa(pepa), "/clients/"+itoa(pepa)+"/reminder-preferences"

			desk := ta.browser()
			desk.signIn(cp.desk)
			desk.get(chart)
			mustStatusCode(t, desk, http.StatusOK, "chart")
			form := between(desk.last, `id="reminder-prefs"`, "</form>")
			if form == "" {
				t.Fatalf("the chart has no reminder preferences form:\n%s", tail(desk.last, 3000))
			}
			for _, want := range []string{`name="email" value="1" checked`, `name="sms" value="1" checked`, "Email reminders", "Text reminders", "No email address on file", "No choice recorded yet"} {
				if !strings.Contains(form, want) {
					t.Errorf("the form lacks %q:\n%s", want, form)
				}
			}
			if strings.Contains(form, "No phone marked") {
				t.Errorf("the form says Pepa has no phone that may text:\n%s", form)
			}

			// Texts off: saved, audited, and her waiting reminders go.
			desk.post(action, url.Values{"email": {"1"}})
			mustStatusCode(t, desk, http.StatusOK, "save preferences")
			mustContain(t, desk, "Reminder preferences saved: email on, texts off.")
			form = between(desk.last, `id="reminder-prefs"`, "</form>")
			if !strings.Contains(form, `name="email" value="1" checked`) || strings.Contains(form, `name="sms" value="1" checked`) || strings.Contains(form, "No choice recorded yet") {
				t.Errorf("the chart does not show the saved choice:\n%s", form)
			}
			if email, sms, ok := storedPrefs(t, ta, pepa); !ok || !email || sms {
				t.Errorf("stored preferences = email %v, sms %v, row %v", email, sms, ok)
			}
			if n := pending(); n != 0 {
				t.Errorf("%d reminders left with texts off, want 0", n)
			}
			var n int
			if err := ta.DB.Read().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE object_type = 'reminder_preferences' AND action = 'update'
				AND outcome = 'success' AND client_id = $1`, pepa).Scan(&n); err != nil || n != 1 {
				t.Errorf("audit entries of the change = %d, %v", n, err)
			}
			// A post without the session's CSRF token changes nothing.
			desk.post(action, url.Values{"csrf_token": {"forged"}, "email": {"1"}, "sms": {"1"}})
			if desk.status != http.StatusForbidden {
				t.Errorf("post without the CSRF token: status %d", desk.status)
			}
			if _, sms, _ := storedPrefs(t, ta, pepa); sms {
				t.Errorf("a forged post turned texts on")
			}
			// Texts back on: her reminders are planned again.
			desk.get(chart)
			desk.post(action, url.Values{"email": {"1"}, "sms": {"1"}})
			mustContain(t, desk, "Reminder preferences saved: email on, texts on.")
			if n := pending(); n != 2 {
				t.Errorf("%d reminders with texts back on, want 2", n)
			}

			// One went out; the other is not sent, and says why.
			due48 := start.Add(-48 * time.Hour)
			if _, err := ta.DB.Writer().ExecContext(ctx, `UPDATE reminders SET status = 'sent', attempts = 1, last_error = '', sent_at = $2
				WHERE appointment_id = $1 AND hours_before = 48`, appt, due48.Add(time.Minute).UnixMicro()); err != nil {
				t.Fatal(err)
			}
			desk.get("/appointments/" + itoa(appt))
			mustStatusCode(t, desk, http.StatusOK, "appointment page")
			table := between(desk.last, `id="reminder-table"`, "</table>")
			rows := []struct{ first, second string }{
				{"48 hours before", "2 hours before"},
				{"Tue 1 Dec 2026 10:00", "Thu 3 Dec 2026 08:00"},
				{"Sent", "Not sent"},
				{"Tue 1 Dec 2026 10:01", "Text reminders are not set up on this server."},
			}
			for _, r := range rows {
				i, j := strings.Index(table, r.first), strings.Index(table, r.second)
				if i < 0 || j < 0 || i > j {
					t.Errorf("the reminders table lacks %q before %q:\n%s", r.first, r.second, table)
				}
			}
			mustContain(t, desk, `<h2 id="h-reminders">Reminders</h2>`, "Text message", "Times are in America/New_York")

			// Another clinician sees the slot, never Pepa's reminders.
			olive := ta.browser()
			olive.signIn("olive@example.org")
			olive.get("/appointments/" + itoa(appt))
			mustNotContain(t, olive, `id="reminder-table"`, "2 hours before")

			// The biller reads the choice but has no form, and a post is refused.
			biller := ta.browser()
			biller.signIn(cp.biller)
			biller.get(chart)
			mustStatusCode(t, biller, http.StatusOK, "biller's chart")
			mustContain(t, biller, "Appointment reminders", `id="reminder-prefs"`)
			mustNotContain(t, biller, `action="`+action+`"`)
			biller.post(action, url.Values{"email": {"1"}})
			if biller.status != http.StatusForbidden {
				t.Errorf("biller's post: status %d, want 403", biller.status)
			}
			if email, sms, _ := storedPrefs(t, ta, pepa); !email || !sms {
				t.Errorf("the biller's post changed the preferences: email %v, sms %v", email, sms)
			}
		})
	}
}
