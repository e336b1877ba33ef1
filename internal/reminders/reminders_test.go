package reminders_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
	"github.com/mentalspace/mentalspace/internal/reminders"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

func TestBookingCreatesRemindersAndJobs(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		p := newPractice(t, d, "48,2")
		smtp, sms := newMailServer(t, "none"), newSMSAPI(t)
		p.service(smtp.mailer(t, "none"), sms.texter(t), true, 0, nil)
		ana := p.aClient("Ana", "", "Quintero", "ana@example.com", textable("(555) 201-3344"))
		nobody := p.aClient("Bo", "", "Unreachable", "")
		begin := time.Now().Add(72 * time.Hour).Truncate(time.Minute)
		id := p.book(begin, p.typeID, ana)
		got := p.reminders(id)
		want := []string{"email:pending", "sms:pending", "email:pending", "sms:pending"}
		if diff := cmp.Diff(want, statusOf(got)); diff != "" {
			t.Fatalf("reminders (-want +got):\n%s", diff)
		}
		jobs := p.sendJobs()
		if len(jobs) != len(got) {
			t.Fatalf("%d jobs for %d reminders", len(jobs), len(got))
		}
		for _, r := range got {
			due := begin.Add(-time.Duration(r.Hours) * time.Hour)
			if r.Due != due.UnixMicro() || r.ClientID != ana {
				t.Errorf("reminder %+v: want due %v for client %d", r, due, ana)
			}
			j, ok := jobs[r.ID]
			if !ok || !j[0].Equal(due) || !j[1].Equal(due) {
				t.Errorf("job of reminder %d = %v, want due and scheduled at %v", r.ID, j, due)
			}
		}
		if id2 := p.book(begin.Add(2*time.Hour), p.typeID, nobody); len(p.reminders(id2)) != 0 {
			t.Errorf("a client with no email and no textable phone got reminders: %v", p.reminders(id2))
		}
		// Only offsets still ahead: booked 24 hours before, only the 2-hour one.
		late := p.book(p.clk.Now().Add(24*time.Hour), p.typeID, ana)
		for _, r := range p.reminders(late) {
			if r.Hours != 2 {
				t.Errorf("a reminder already past due was made: %+v", r)
			}
		}
		// A change that keeps the time (confirming) keeps the reminders and their jobs.
		if _, err := p.sched.SetStatus(context.Background(), p.frontdesk, id, scheduling.StatusChange{To: scheduling.Confirmed}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got, p.reminders(id)); diff != "" {
			t.Errorf("confirming changed the reminders (-before +after):\n%s", diff)
		}
	})
}

func TestChannelOffRecordsWhy(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		p := newPractice(t, d, "24")
		p.service(nil, nil, true, 0, nil)
		ana := p.aClient("Ana", "", "Quintero", "ana@example.com", textable("(555) 201-3344"))
		id := p.book(time.Now().Add(72*time.Hour), p.typeID, ana)
		got := p.reminders(id)
		if diff := cmp.Diff([]string{"email:skipped", "sms:skipped"}, statusOf(got)); diff != "" {
			t.Fatalf("reminders (-want +got):\n%s", diff)
		}
		if !strings.Contains(got[0].LastError, "not set up") || len(p.sendJobs()) != 0 {
			t.Errorf("skipped reminders: %+v, jobs %v", got, p.sendJobs())
		}
	})
}

// TestWorkerSendsOneEmail runs the worker against a real SMTP server: one
// message per reminder, with the link and nothing beyond the allowed facts.
func TestWorkerSendsOneEmail(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := newPractice(t, d, "24")
		smtp := newMailServer(t, "none")
		svc, runner := p.service(smtp.mailer(t, "none"), nil, true, 0, nil)
		ana := p.aClient("Anastasia", "Ana", "Quintero", "ana@example.com")
		begin := soon()
		id := p.book(begin, p.typeID, ana)
		p.clk.Set(time.Now())
		start(t, runner)
		eventually(t, "the reminder to be sent", func() bool { r := p.reminders(id); return len(r) == 1 && r[0].Status == "sent" })
		time.Sleep(300 * time.Millisecond) // room for a duplicate to show up
		msgs := smtp.received()
		if len(msgs) != 1 {
			t.Fatalf("%d messages, want 1", len(msgs))
		}
		if diff := cmp.Diff([]string{"ana@example.com"}, msgs[0].To); diff != "" {
			t.Errorf("recipients (-want +got):\n%s", diff)
		}
		m := parseMail(t, msgs[0].Data)
		r := p.reminders(id)[0]
		if r.Provider == "" || r.Provider != m.Header.Get("Message-Id") || r.Attempts != 1 || !r.Sent || r.LastError != "" {
			t.Errorf("reminder after sending = %+v; Message-ID %q", r, m.Header.Get("Message-Id"))
		}
		local := begin.In(mustZone(t, "America/New_York"))
		for _, want := range []string{"Hi Ana,", local.Format("Monday, January 2, 2006 at 3:04 PM"), officeName, practiceName, practicePhone, "https://ehr.example.org/r/"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("the email lacks %q:\n%s", want, m.Text)
			}
		}
		all := m.Text + m.Header.Get("Subject")
		for _, phi := range []string{"Quintero", "Anastasia", "1990", clinicianName, "Vale", typeName, serviceCode, "therapy"} {
			if strings.Contains(all, phi) {
				t.Errorf("the email shows %q:\n%s", phi, all)
			}
		}
		// The link in it opens the appointment for this client.
		v, err := svc.OpenLink(ctx, access.Actor{IP: "203.0.113.9"}, tokenOf(t, m.Text))
		if err != nil || v.FirstName != "Ana" || v.Where != officeName {
			t.Errorf("OpenLink = %+v, %v", v, err)
		}
		// The send is in the audit log, as the system, under the client.
		var n int
		if err := d.Read().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE object_type = 'reminder' AND client_id = $1 AND user_id IS NULL`, ana).Scan(&n); err != nil || n != 1 {
			t.Errorf("audit entries for the send = %d, %v", n, err)
		}
	})
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestSMSOnlyWithConsentToText(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := newPractice(t, d, "24")
		sms := newSMSAPI(t)
		_, runner := p.service(nil, sms.texter(t), true, 0, nil)
		consents := p.aClient("Cleo", "", "Marsh", "", textable("555-201-3344"))
		noConsent := p.aClient("Dev", "", "Okafor", "", clients.Phone{Kind: "mobile", Number: "555-201-9999"})
		optedOut := p.aClient("Eli", "", "Stone", "", textable("555-201-7777"))
		if _, err := d.Writer().ExecContext(ctx, `INSERT INTO reminder_preferences (client_id, email, sms) VALUES ($1, TRUE, FALSE)`, optedOut); err != nil {
			t.Fatal(err)
		}
		begin := soon()
		a := p.book(begin, p.typeID, consents)
		b := p.book(begin.Add(time.Hour), p.typeID, noConsent)
		c := p.book(begin.Add(2*time.Hour), p.typeID, optedOut)
		if got := statusOf(p.reminders(a)); !cmp.Equal(got, []string{"sms:pending"}) {
			t.Errorf("consenting client's reminders = %v", got)
		}
		if got := p.reminders(b); len(got) != 0 {
			t.Errorf("a client who did not consent to texts got %v", statusOf(got))
		}
		if got := p.reminders(c); len(got) != 0 {
			t.Errorf("a client who opted out of texts got %v", statusOf(got))
		}
		p.clk.Set(time.Now())
		start(t, runner)
		eventually(t, "the text to be sent", func() bool { r := p.reminders(a); return len(r) == 1 && r[0].Status == "sent" })
		texts := sms.sent()
		if len(texts) != 1 || texts[0].To != "+15552013344" || texts[0].From != smsFrom {
			t.Fatalf("texts = %+v", texts)
		}
		body := texts[0].Body
		for _, want := range []string{"Hi Cleo", officeName, practiceName, "https://ehr.example.org/r/"} {
			if !strings.Contains(body, want) {
				t.Errorf("the text lacks %q: %s", want, body)
			}
		}
		for _, phi := range []string{"Marsh", clinicianName, typeName, serviceCode} {
			if strings.Contains(body, phi) {
				t.Errorf("the text shows %q: %s", phi, body)
			}
		}
		if r := p.reminders(a)[0]; !strings.HasPrefix(r.Provider, "SM") {
			t.Errorf("provider id = %q", r.Provider)
		}
	})
}

func TestRetryAfterSMTPFailure(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		p := newPractice(t, d, "24")
		smtp := newMailServer(t, "none")
		smtp.tempFailures = 1
		var waits counter
		_, runner := p.service(smtp.mailer(t, "none"), nil, true, 0, func(attempt int) time.Duration {
			waits.add(attempt)
			return 50 * time.Millisecond
		})
		id := p.book(soon(), p.typeID, p.aClient("Ana", "", "Quintero", "ana@example.com"))
		p.clk.Set(time.Now())
		start(t, runner)
		eventually(t, "the retried reminder to be sent", func() bool { r := p.reminders(id); return len(r) == 1 && r[0].Status == "sent" })
		time.Sleep(300 * time.Millisecond)
		if n := len(smtp.received()); n != 1 {
			t.Errorf("%d messages delivered, want 1", n)
		}
		if r := p.reminders(id)[0]; r.Attempts != 2 || r.LastError != "" {
			t.Errorf("reminder = %+v, want sent on the second attempt", r)
		}
		if diff := cmp.Diff([]int{1}, waits.values()); diff != "" {
			t.Errorf("backoff consulted after attempts (-want +got):\n%s", diff)
		}
	})
}

func TestFailures(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		p := newPractice(t, d, "24")
		smtp := newMailServer(t, "none")
		smtp.rejectRcpt = true
		_, runner := p.service(smtp.mailer(t, "none"), nil, true, 2, nil)
		refused := p.book(soon(), p.typeID, p.aClient("Ana", "", "Quintero", "gone@example.com"))
		p.clk.Set(time.Now())
		start(t, runner)
		// A permanent refusal (550) fails at once.
		eventually(t, "the refused reminder to fail", func() bool { r := p.reminders(refused); return len(r) == 1 && r[0].Status == "failed" })
		if r := p.reminders(refused)[0]; r.Attempts != 1 || !strings.Contains(r.LastError, "550") {
			t.Errorf("refused reminder = %+v", r)
		}
	})
}

func TestAttemptsCapped(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		p := newPractice(t, d, "24")
		smtp := newMailServer(t, "none")
		smtp.tempFailures = 100
		_, runner := p.service(smtp.mailer(t, "none"), nil, true, 2, nil)
		id := p.book(soon(), p.typeID, p.aClient("Ana", "", "Quintero", "ana@example.com"))
		p.clk.Set(time.Now())
		start(t, runner)
		eventually(t, "the reminder to fail after two attempts", func() bool { r := p.reminders(id); return len(r) == 1 && r[0].Status == "failed" })
		if r := p.reminders(id)[0]; r.Attempts != 2 || !strings.Contains(r.LastError, "451") || len(smtp.received()) != 0 {
			t.Errorf("reminder = %+v, %d delivered", r, len(smtp.received()))
		}
	})
}

// blockingMailer stands for a process that stops in the middle of a send:
// it reports the claim and waits until its job is cancelled.
type blockingMailer struct{ claimed chan struct{} }

func (b blockingMailer) SendEmail(ctx context.Context, _ reminders.EmailMessage) (string, error) {
	close(b.claimed)
	<-ctx.Done()
	return "", ctx.Err()
}

// TestRestartMidSendNeverSendsTwice stops the runner after the claim, before
// the send completed, and starts a new one: the reminder is marked unknown
// and nothing is sent.
func TestRestartMidSendNeverSendsTwice(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		p := newPractice(t, d, "24")
		smtp := newMailServer(t, "none")
		stuck := blockingMailer{claimed: make(chan struct{})}
		_, first := p.service(stuck, nil, true, 0, nil)
		id := p.book(soon(), p.typeID, p.aClient("Ana", "", "Quintero", "ana@example.com"))
		p.clk.Set(time.Now())
		start(t, first)
		select {
		case <-stuck.claimed:
		case <-time.After(waitFor):
			t.Fatal("the first runner never claimed the reminder")
		}
		if r := p.reminders(id)[0]; r.Status != "sending" || r.Attempts != 1 {
			t.Fatalf("after the claim: %+v", r)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := first.Stop(ctx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		if r := p.reminders(id)[0]; r.Status != "sending" {
			t.Fatalf("after the stop: %+v", r)
		}
		_, second := p.service(smtp.mailer(t, "none"), nil, false, 0, nil)
		start(t, second)
		eventually(t, "the interrupted reminder to be marked unknown", func() bool { return p.reminders(id)[0].Status == "unknown" })
		time.Sleep(300 * time.Millisecond)
		if n := len(smtp.received()); n != 0 {
			t.Errorf("%d messages sent after the restart, want none", n)
		}
		if r := p.reminders(id)[0]; r.Attempts != 1 || r.LastError == "" {
			t.Errorf("reminder = %+v", r)
		}
	})
}

func TestCancelAndMoveKeepRemindersInStep(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := newPractice(t, d, "48,2")
		smtp := newMailServer(t, "none")
		svc, _ := p.service(smtp.mailer(t, "none"), nil, true, 0, nil)
		ana := p.aClient("Ana", "", "Quintero", "ana@example.com")
		begin := time.Now().Add(72 * time.Hour).Truncate(time.Minute)
		id := p.book(begin, p.typeID, ana)
		before := p.reminders(id)
		if len(before) != 2 {
			t.Fatalf("reminders = %v", statusOf(before))
		}
		// The 48-hour reminder went out already.
		if _, err := d.Writer().ExecContext(ctx, `UPDATE reminders SET status = 'sent', sent_at = 1 WHERE id = $1`, before[0].ID); err != nil {
			t.Fatal(err)
		}
		ap, err := p.sched.Get(ctx, p.frontdesk, id)
		if err != nil {
			t.Fatal(err)
		}
		moved := begin.Add(24 * time.Hour)
		if _, err := p.sched.Move(ctx, p.frontdesk, id, scheduling.Change{Start: moved, ClinicianID: ap.ClinicianID, LocationID: ap.LocationID, Version: ap.Version}); err != nil {
			t.Fatal(err)
		}
		after := p.reminders(id)
		var dues []time.Time
		for _, r := range after {
			dues = append(dues, time.UnixMicro(r.Due).UTC())
		}
		want := []time.Time{begin.Add(-48 * time.Hour).UTC(), moved.Add(-48 * time.Hour).UTC(), moved.Add(-2 * time.Hour).UTC()}
		if diff := cmp.Diff(want, dues); diff != "" {
			t.Errorf("due times after the move (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"email:sent", "email:pending", "email:pending"}, statusOf(after)); diff != "" {
			t.Errorf("statuses after the move (-want +got):\n%s", diff)
		}
		// The old 2-hour reminder's job finds nothing and sends nothing.
		if err := svc.Send(ctx, before[1].ID, before[1].Due); err != nil || len(smtp.received()) != 0 {
			t.Errorf("stale job: %v, %d messages", err, len(smtp.received()))
		}
		if _, err := p.sched.SetStatus(ctx, p.frontdesk, id, scheduling.StatusChange{To: scheduling.Cancelled, CancelledBy: "clinician", Reason: "Clinician ill"}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"email:sent"}, statusOf(p.reminders(id))); diff != "" {
			t.Errorf("after cancelling (-want +got):\n%s", diff)
		}
		// Reinstating brings them back.
		if _, err := p.sched.SetStatus(ctx, p.frontdesk, id, scheduling.StatusChange{To: scheduling.Scheduled}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"email:sent", "email:pending", "email:pending"}, statusOf(p.reminders(id))); diff != "" {
			t.Errorf("after reinstating (-want +got):\n%s", diff)
		}
	})
}

// TestWorkerRechecksAtSendTime covers changes the hook did not see: the
// worker itself refuses a reminder whose appointment moved or closed.
func TestWorkerRechecksAtSendTime(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := newPractice(t, d, "24")
		smtp := newMailServer(t, "none")
		svc, _ := p.service(smtp.mailer(t, "none"), nil, true, 0, nil)
		ana := p.aClient("Ana", "", "Quintero", "ana@example.com")
		moved := p.book(soon(), p.typeID, ana)
		closed := p.book(soon().Add(2*time.Hour), p.typeID, ana)
		p.clk.Set(time.Now())
		// Behind the service's back: one starts later, the other was completed.
		if _, err := d.Writer().ExecContext(ctx, `UPDATE appointments SET starts_at = starts_at + 3600000000, ends_at = ends_at + 3600000000 WHERE id = $1`, moved); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Writer().ExecContext(ctx, `UPDATE appointments SET status = 'completed' WHERE id = $1`, closed); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{moved, closed} {
			r := p.reminders(id)[0]
			if err := svc.Send(ctx, r.ID, r.Due); err != nil {
				t.Fatal(err)
			}
			if r := p.reminders(id)[0]; r.Status != "skipped" || r.Attempts != 0 || r.LastError == "" {
				t.Errorf("reminder of appointment %d = %+v", id, r)
			}
		}
		if n := len(smtp.received()); n != 0 {
			t.Errorf("%d messages sent", n)
		}
	})
}

func TestStartTLSWithAuth(t *testing.T) {
	p := newPractice(t, dbtest.Open(t, db.SQLite), "24")
	smtp := newMailServer(t, "starttls")
	smtp.user, smtp.pass = "reminders", "smtp-secret"
	_, runner := p.service(smtp.mailer(t, "starttls"), nil, true, 0, nil)
	id := p.book(soon(), p.typeID, p.aClient("Ana", "", "Quintero", "ana@example.com"))
	p.clk.Set(time.Now())
	start(t, runner)
	eventually(t, "the reminder to be sent over STARTTLS", func() bool { r := p.reminders(id); return len(r) == 1 && r[0].Status == "sent" })
	if n := len(smtp.received()); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}

func TestSMSErrors(t *testing.T) {
	api := newSMSAPI(t)
	ctx := context.Background()
	api.status = 400
	_, err := api.texter(t).SendText(ctx, "+15552013344", "hello")
	if err == nil || !reminders.IsPermanent(err) || !strings.Contains(err.Error(), "21211") {
		t.Errorf("400: %v (permanent %v)", err, reminders.IsPermanent(err))
	}
	api.status = 503
	if _, err := api.texter(t).SendText(ctx, "+15552013344", "hello"); err == nil || reminders.IsPermanent(err) {
		t.Errorf("503: %v (permanent %v)", err, reminders.IsPermanent(err))
	}
	bad, _ := reminders.NewTwilioTexter(reminders.TextConfig{BaseURL: api.URL, AccountSID: smsSID, AuthToken: "wrong", From: smsFrom})
	api.status = 0
	if _, err := bad.SendText(ctx, "+15552013344", "hello"); err == nil || reminders.IsPermanent(err) {
		t.Errorf("bad credentials: %v (permanent %v): an operator can fix them, so retry", err, reminders.IsPermanent(err))
	}
}

func TestLinks(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := newPractice(t, d, "24")
		svc, _ := p.service(nil, nil, true, 0, nil)
		meta := access.Actor{IP: "203.0.113.9", UserAgent: "Firefox/140"}
		ana := p.aClient("Anastasia", "Ana", "Quintero", "ana@example.com")
		p.clk.Set(time.Now())
		far := p.book(time.Now().Add(72*time.Hour).Truncate(time.Minute), p.typeID, ana)
		near := p.book(time.Now().Add(5*time.Hour).Truncate(time.Minute), p.typeID, ana)
		status := func(id int64) (scheduling.Status, bool, int64) {
			var s string
			var late bool
			var fee int64
			if err := d.Read().QueryRowContext(ctx, `SELECT status, late_cancel, fee_cents FROM appointments WHERE id = $1`, id).Scan(&s, &late, &fee); err != nil {
				t.Fatal(err)
			}
			return scheduling.Status(s), late, fee
		}
		startOf := func(id int64) time.Time {
			ap, err := p.sched.Get(ctx, p.frontdesk, id)
			if err != nil {
				t.Fatal(err)
			}
			return ap.Start
		}
		farTok := svc.Token(far, ana, startOf(far))

		// Opening shows the appointment and changes nothing.
		v, err := svc.OpenLink(ctx, meta, farTok)
		if err != nil {
			t.Fatal(err)
		}
		if v.FirstName != "Ana" || v.Where != officeName || !v.CanConfirm || !v.CanCancel || v.LateCancel || v.FeeCents != 0 || v.PracticePhone != practicePhone {
			t.Errorf("view = %+v", v)
		}
		if s, _, _ := status(far); s != scheduling.Scheduled {
			t.Errorf("opening the link made it %s", s)
		}

		// Confirm.
		if err := svc.ConfirmByLink(ctx, meta, farTok); err != nil {
			t.Fatal(err)
		}
		if s, _, _ := status(far); s != scheduling.Confirmed {
			t.Errorf("after confirming: %s", s)
		}
		if err := svc.ConfirmByLink(ctx, meta, farTok); err != nil {
			t.Errorf("confirming twice: %v", err)
		}

		// Tampered and foreign tokens say nothing.
		for name, tok := range map[string]string{
			"Flipped":      flip(farTok),
			"Truncated":    farTok[:len(farTok)-2],
			"Empty":        "",
			"Garbage":      "not-a-token",
			"OtherKey":     otherKeyToken(t, p, far, ana, startOf(far)),
			"OtherClient":  svc.Token(far, p.aClient("Bo", "", "Other", "bo@example.com"), startOf(far)),
			"NoSuchAppt":   svc.Token(far+1000, ana, startOf(far)),
			"LongerExpiry": svc.Token(far, ana, startOf(far).Add(time.Hour)), // a valid signature, but see below
		} {
			_, err := svc.OpenLink(ctx, meta, tok)
			if name == "LongerExpiry" {
				// Signed by us, so it opens: expiry is part of what is signed.
				if err != nil {
					t.Errorf("%s: %v", name, err)
				}
				continue
			}
			if !errors.Is(err, reminders.ErrLinkInvalid) {
				t.Errorf("%s: err = %v, want ErrLinkInvalid", name, err)
			}
			if err := svc.ConfirmByLink(ctx, meta, tok); !errors.Is(err, reminders.ErrLinkInvalid) {
				t.Errorf("%s confirm: err = %v", name, err)
			}
		}

		// Late cancellation: the page says so, with the fee; cancelling
		// without having been shown the fee does nothing.
		nearTok := svc.Token(near, ana, startOf(near))
		v, err = svc.OpenLink(ctx, meta, nearTok)
		if err != nil || !v.LateCancel || v.FeeCents != 5000 || v.LateCancelHours != 24 {
			t.Fatalf("late view = %+v, %v", v, err)
		}
		if _, err := svc.CancelByLink(ctx, meta, nearTok, 0); !apperr.Is(err, apperr.CodeConflict) {
			t.Errorf("cancel without seeing the fee: %v", err)
		}
		if s, _, _ := status(near); s != scheduling.Scheduled {
			t.Fatalf("cancelled without seeing the fee: %s", s)
		}
		res, err := svc.CancelByLink(ctx, meta, nearTok, 5000)
		if err != nil || !res.LateCancel || res.FeeCents != 5000 {
			t.Fatalf("late cancel = %+v, %v", res, err)
		}
		if s, late, fee := status(near); s != scheduling.Cancelled || !late || fee != 5000 {
			t.Errorf("appointment after late cancel: %s late=%v fee=%d", s, late, fee)
		}
		var by, reason string
		if err := d.Read().QueryRowContext(ctx, `SELECT cancelled_by, status_reason FROM appointments WHERE id = $1`, near).Scan(&by, &reason); err != nil || by != "client" || reason != reminders.CancelReason {
			t.Errorf("cancelled_by %q reason %q, %v", by, reason, err)
		}
		var audited int
		if err := d.Read().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE object_type = 'appointment' AND object_id = $1 AND action = 'update'
			AND client_id = $2 AND user_agent LIKE 'reminder link%' AND ip = '203.0.113.9' AND detail LIKE '%to cancelled (late)%'`,
			strconv.FormatInt(near, 10), ana).Scan(&audited); err != nil || audited != 1 {
			t.Errorf("audit entries of the cancellation = %d, %v", audited, err)
		}
		if rs := p.reminders(near); len(rs) != 0 {
			t.Errorf("a cancelled appointment kept reminders: %v", statusOf(rs))
		}
		v, err = svc.OpenLink(ctx, meta, nearTok)
		if err != nil || v.Status != scheduling.Cancelled || v.CanCancel || v.CanConfirm || !v.LateCancel || v.FeeCents != 5000 {
			t.Errorf("view after cancelling = %+v, %v", v, err)
		}
		if err := svc.ConfirmByLink(ctx, meta, nearTok); !apperr.Is(err, apperr.CodeConflict) {
			t.Errorf("confirming a cancelled appointment: %v", err)
		}

		// A cancellation outside the window is free.
		if res, err := svc.CancelByLink(ctx, meta, farTok, 0); err != nil || res.LateCancel || res.FeeCents != 0 {
			t.Errorf("early cancel = %+v, %v", res, err)
		}

		// Expired at the start.
		p.clk.Set(startOf(far))
		if _, err := svc.OpenLink(ctx, meta, farTok); !errors.Is(err, reminders.ErrLinkExpired) {
			t.Errorf("at the start: %v, want ErrLinkExpired", err)
		}
		if _, err := svc.CancelByLink(ctx, meta, farTok, 5000); !errors.Is(err, reminders.ErrLinkExpired) {
			t.Errorf("cancel at the start: %v, want ErrLinkExpired", err)
		}
	})
}

func TestGroupSessionLink(t *testing.T) {
	ctx := context.Background()
	p := newPractice(t, dbtest.Open(t, db.SQLite), "24")
	svc, _ := p.service(nil, nil, true, 0, nil)
	a, b := p.aClient("Ana", "", "Quintero", "ana@example.com"), p.aClient("Bo", "", "Other", "bo@example.com")
	p.clk.Set(time.Now())
	begin := time.Now().Add(72 * time.Hour).Truncate(time.Minute)
	id := p.book(begin, p.groupType, a, b)
	tok := svc.Token(id, a, begin)
	v, err := svc.OpenLink(ctx, access.Actor{}, tok)
	if err != nil || !v.Group || v.CanCancel || v.CanConfirm {
		t.Errorf("group view = %+v, %v", v, err)
	}
	if _, err := svc.CancelByLink(ctx, access.Actor{}, tok, 0); !apperr.Is(err, apperr.CodeConflict) {
		t.Errorf("one member cancelled the group: %v", err)
	}
}

func TestForAppointment(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := newPractice(t, d, "48,2")
		svc, _ := p.service(nil, nil, true, 0, nil)
		ana := p.aClient("Ana", "", "Quintero", "ana@example.com")
		id := p.book(time.Now().Add(72*time.Hour), p.typeID, ana)
		got, err := svc.ForAppointment(ctx, p.frontdesk, id)
		if err != nil || len(got) != 2 || got[0].HoursBefore != 48 || got[0].Channel != reminders.Email || got[0].Status != reminders.Skipped || got[0].LastError == "" {
			t.Fatalf("deliveries = %+v, %v", got, err)
		}
		if _, err := svc.ForAppointment(ctx, p.frontdesk, id+100); !apperr.Is(err, apperr.CodeNotFound) {
			t.Errorf("unknown appointment: %v", err)
		}
		// Another clinician sees the appointment's slot but not this client's reminders.
		other := p.clinician
		other.UserID += 1000
		if got, err := svc.ForAppointment(ctx, other, id); err != nil || len(got) != 0 {
			t.Errorf("a clinician without the client saw %+v, %v", got, err)
		}
	})
}

// flip changes one character in the middle of a token.
func flip(tok string) string {
	b := []byte(tok)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// otherKeyToken signs a token with another installation's key.
func otherKeyToken(t *testing.T, p *aPractice, appointmentID, clientID int64, expires time.Time) string {
	t.Helper()
	other := *p
	other.key = []byte(strings.Repeat("k", 32))
	s, _ := other.service(nil, nil, false, 0, nil)
	return s.Token(appointmentID, clientID, expires)
}
