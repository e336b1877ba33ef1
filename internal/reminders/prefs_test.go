package reminders_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
	"github.com/mentalspace/mentalspace/internal/reminders"
)

// auditCount counts the audit entries about a client's reminder preferences.
func (p *aPractice) auditCount(clientID int64, action, outcome, detail string) int {
	p.t.Helper()
	var n int
	err := p.d.Read().QueryRowContext(context.Background(), `SELECT count(*) FROM audit_log
		WHERE object_type = 'reminder_preferences' AND client_id = $1 AND action = $2 AND outcome = $3 AND ($4 = '' OR detail = $4)`,
		clientID, action, outcome, detail).Scan(&n)
	if err != nil {
		p.t.Fatal(err)
	}
	return n
}

// TestSetPreferencesResyncsReminders: a client with an email and a phone that
// may text, an appointment three days ahead and one whose reminders went out
// already. Turning a channel off removes its waiting reminders and keeps the
// sent ones; turning it back on makes them again.
func TestSetPreferencesResyncsReminders(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := newPractice(t, d, "48,2")
		smtp, sms := newMailServer(t, "none"), newSMSAPI(t)
		svc, _ := p.service(smtp.mailer(t, "none"), sms.texter(t), true, 0, nil)
		ana := p.aClient("Ana", "", "Quintero", "ana@example.com", textable("(555) 201-3344"))
		ahead := p.book(time.Now().Add(72*time.Hour).Truncate(time.Minute), p.typeID, ana)
		sent := p.book(time.Now().Add(96*time.Hour).Truncate(time.Minute), p.typeID, ana)
		if _, err := d.Writer().ExecContext(ctx, `UPDATE reminders SET status = 'sent', attempts = 1, sent_at = 1 WHERE appointment_id = $1`, sent); err != nil {
			t.Fatal(err)
		}

		got, err := svc.Preferences(ctx, p.frontdesk, ana)
		if diff := cmp.Diff(reminders.Prefs{Email: true, SMS: true, HasEmail: true, CanText: true}, got); err != nil || diff != "" {
			t.Fatalf("preferences before any choice (-want +got):\n%s%v", diff, err)
		}

		steps := []struct {
			name        string
			email, sms  bool
			wantPending []string
		}{
			{"SMSOff", true, false, []string{"email:pending", "email:pending"}},
			{"EmailOff", false, true, []string{"sms:pending", "sms:pending"}},
			{"BothOff", false, false, nil},
			{"BothOn", true, true, []string{"email:pending", "sms:pending", "email:pending", "sms:pending"}},
		}
		for _, s := range steps {
			if err := svc.SetPreferences(ctx, p.frontdesk, ana, s.email, s.sms); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if diff := cmp.Diff(s.wantPending, statusOf(p.reminders(ahead))); diff != "" {
				t.Errorf("%s: reminders of the appointment ahead (-want +got):\n%s", s.name, diff)
			}
			if diff := cmp.Diff([]string{"email:sent", "sms:sent", "email:sent", "sms:sent"}, statusOf(p.reminders(sent))); diff != "" {
				t.Errorf("%s: sent reminders changed (-want +got):\n%s", s.name, diff)
			}
			got, err := svc.Preferences(ctx, p.frontdesk, ana)
			want := reminders.Prefs{Email: s.email, SMS: s.sms, Set: true, HasEmail: true, CanText: true}
			if diff := cmp.Diff(want, got); err != nil || diff != "" {
				t.Errorf("%s: preferences (-want +got):\n%s%v", s.name, diff, err)
			}
		}
		// Every reminder made again has its send job.
		jobs := p.sendJobs()
		for _, r := range p.reminders(ahead) {
			if _, ok := jobs[r.ID]; !ok {
				t.Errorf("reminder %+v has no send job", r)
			}
		}
	})
}

// TestSetPreferencesBooksWithChoice: an appointment booked after the choice
// follows it.
func TestSetPreferencesBooksWithChoice(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := newPractice(t, d, "24")
		svc, _ := p.service(newMailServer(t, "none").mailer(t, "none"), newSMSAPI(t).texter(t), true, 0, nil)
		ana := p.aClient("Ana", "", "Quintero", "ana@example.com", textable("(555) 201-3344"))
		if err := svc.SetPreferences(ctx, p.frontdesk, ana, false, true); err != nil {
			t.Fatal(err)
		}
		id := p.book(time.Now().Add(72*time.Hour), p.typeID, ana)
		if diff := cmp.Diff([]string{"sms:pending"}, statusOf(p.reminders(id))); diff != "" {
			t.Errorf("reminders (-want +got):\n%s", diff)
		}
	})
}

// TestPreferencesAccess: the client's clinician and the front desk may set
// the preferences, a clinician without the client may neither read nor set
// them, and every read, change and refusal is in the audit log.
func TestPreferencesAccess(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := newPractice(t, d, "24")
		svc, _ := p.service(nil, nil, true, 0, nil)
		ana := p.aClient("Ana", "", "Quintero", "", textable("(555) 201-3344"))
		id := p.book(time.Now().Add(72*time.Hour), p.typeID, ana)

		other := p.clinician
		other.UserID += 1000 // a clinician without Ana on their caseload
		if err := svc.SetPreferences(ctx, other, ana, true, false); !apperr.Is(err, apperr.CodeForbidden) {
			t.Errorf("SetPreferences by a clinician without the client: %v, want forbidden", err)
		}
		if _, err := svc.Preferences(ctx, other, ana); !apperr.Is(err, apperr.CodeForbidden) {
			t.Errorf("Preferences by a clinician without the client: %v, want forbidden", err)
		}
		if got := statusOf(p.reminders(id)); !cmp.Equal(got, []string{"sms:skipped"}) {
			t.Errorf("a refused change touched the reminders: %v", got)
		}
		if n := p.auditCount(ana, "update", "denied", ""); n != 1 {
			t.Errorf("%d denied update entries, want 1", n)
		}
		if n := p.auditCount(ana, "read", "denied", ""); n != 1 {
			t.Errorf("%d denied read entries, want 1", n)
		}

		if err := svc.SetPreferences(ctx, p.clinician, ana, true, false); err != nil {
			t.Fatalf("SetPreferences by the client's clinician: %v", err)
		}
		if got := p.reminders(id); len(got) != 0 {
			t.Errorf("texts off left %v", statusOf(got))
		}
		if n := p.auditCount(ana, "update", "success", "email on, texts off"); n != 1 {
			t.Errorf("%d update entries, want 1", n)
		}
		got, err := svc.Preferences(ctx, p.frontdesk, ana)
		if want := (reminders.Prefs{Email: true, SMS: false, Set: true, HasEmail: false, CanText: true}); err != nil || got != want {
			t.Errorf("Preferences = %+v, %v; want %+v", got, err, want)
		}
		if n := p.auditCount(ana, "read", "success", ""); n != 1 {
			t.Errorf("%d read entries, want 1", n)
		}

		if err := svc.SetPreferences(ctx, p.frontdesk, ana+100, true, true); !apperr.Is(err, apperr.CodeNotFound) {
			t.Errorf("SetPreferences of an unknown client: %v, want not_found", err)
		}
	})
}
