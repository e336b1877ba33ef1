package notes

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
	"github.com/mentalspace/mentalspace/internal/reminders"
)

// inbox is an SMTP server inside the test process that keeps what it receives.
type inbox struct {
	mu   sync.Mutex
	msgs []received
}

type received struct {
	To      []string
	Subject string
	Body    string
}

func (b *inbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{box: b}, nil }

func (b *inbox) all() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

type smtpSession struct {
	box *inbox
	to  []string
}

func (s *smtpSession) Reset()                                    { s.to = nil }
func (s *smtpSession) Logout() error                             { return nil }
func (s *smtpSession) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }
func (s *smtpSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	var body io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(m.Body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, received{To: s.to, Subject: subject, Body: strings.ReplaceAll(string(b), "\r\n", "\n")})
	s.box.mu.Unlock()
	return nil
}

// startSMTP runs an SMTP server on a loopback port and returns the real
// mailer of package reminders pointed at it, adapted to Mailer.
func startSMTP(t *testing.T) (Mailer, *inbox) {
	t.Helper()
	box := &inbox{}
	srv := smtp.NewServer(box)
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	m, err := reminders.NewSMTPMailer(reminders.MailConfig{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port,
		From: "Harbor <no-reply@harbor.example.org>", TLS: "none", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return MailerFunc(func(ctx context.Context, to, subject, text string) error {
		_, err := m.SendEmail(ctx, reminders.EmailMessage{To: to, Subject: subject, Text: text})
		return err
	}), box
}

var countLine = regexp.MustCompile(`(?m)^\s+(Sessions without a note|Notes past the practice's deadline|Drafts not yet signed|Notes waiting for your co-signature|Treatment plans due for review):\s+(\d+)\s*$`)

// counts reads the figures out of a digest.
func counts(t *testing.T, body string) DigestCounts {
	t.Helper()
	var c DigestCounts
	found := 0
	for _, m := range countLine.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[2])
		found++
		switch m[1] {
		case "Sessions without a note":
			c.Missing = n
		case "Notes past the practice's deadline":
			c.Overdue = n
		case "Drafts not yet signed":
			c.Drafts = n
		case "Notes waiting for your co-signature":
			c.AwaitingCosign = n
		case "Treatment plans due for review":
			c.PlansDue = n
		}
	}
	if found != 5 {
		t.Fatalf("the digest has %d count lines:\n%s", found, body)
	}
	return c
}

// The daily digest on both engines: the right counts to the right people,
// no client's name or details in any message, once a day however often it
// runs, a failed send tried again, nothing before the hour or without email.
func TestDigest(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		me, assoc := p.staff["clinician"], p.staff["associate"]
		start := p.clk.Now() // 11:00 in New York

		// A plan signed 100 days ago is due for review.
		p.clk.Set(start.Add(-100 * 24 * time.Hour))
		plan, err := p.svc.CreateDraft(ctx, me, NewNote{ClientID: p.client["ana"], TemplateID: p.tmpl[TreatmentPlan]})
		if err != nil {
			t.Fatal(err)
		}
		v, err := p.svc.SaveDraft(ctx, me, plan, DraftInput{Body: map[string]string{"plan.1.problem": "Low mood", "plan.1.goal": "Fewer low days",
			"modality": "CBT weekly", "review_date": "2026-02-01", "client_agreement": "Yes"}, Version: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.svc.Sign(ctx, me, plan, SignInput{Password: password, Version: v, Attest: true}); err != nil {
			t.Fatal(err)
		}
		// A session four days ago and one today, neither documented; a draft.
		p.clk.Set(start.Add(-4 * 24 * time.Hour))
		p.appointment("clinician", 50, "ana")
		p.clk.Set(start)
		p.appointment("clinician", 50, "cy")
		if _, err := p.svc.CreateDraft(ctx, me, NewNote{ClientID: p.client["cy"], TemplateID: p.tmpl[Contact]}); err != nil {
			t.Fatal(err)
		}
		// The associate's signed note waits for the supervisor.
		an, err := p.svc.CreateDraft(ctx, assoc, NewNote{ClientID: p.client["ben"], TemplateID: p.tmpl[Contact]})
		if err != nil {
			t.Fatal(err)
		}
		v, err = p.svc.SaveDraft(ctx, assoc, an, DraftInput{Body: map[string]string{"contact_with": "School", "method": "Phone", "summary": "Called."}, Version: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.svc.Sign(ctx, assoc, an, SignInput{Password: password, Version: v, Attest: true}); err != nil {
			t.Fatal(err)
		}

		// Off without email.
		if n, err := NewDigest(p.svc, nil, "https://ehr.example.org", nil).Run(ctx); n != 0 || err != nil {
			t.Fatalf("without a mailer: %d %v", n, err)
		}
		mailer, box := startSMTP(t)
		g := NewDigest(p.svc, mailer, "https://ehr.example.org/", nil)
		n, err := g.Run(ctx)
		if err != nil || n != 2 {
			t.Fatalf("run: %d sent, %v", n, err)
		}
		msgs := box.all()
		if len(msgs) != 2 {
			t.Fatalf("%d messages", len(msgs))
		}
		got := map[string]DigestCounts{}
		for _, m := range msgs {
			if len(m.To) != 1 || m.Subject != "Your documentation to-do" {
				t.Errorf("message to %v, subject %q", m.To, m.Subject)
			}
			got[m.To[0]] = counts(t, m.Body)
			if !strings.Contains(m.Body, "https://ehr.example.org/documentation\n") {
				t.Errorf("no link to the dashboard:\n%s", m.Body)
			}
			// Nothing about any client: names, record numbers, birth dates.
			for _, leak := range []*regexp.Regexp{regexp.MustCompile(`\b(ana|ben|cy|Test)\b`), regexp.MustCompile(`MS-\d`), regexp.MustCompile(`1990`),
				regexp.MustCompile(`(?i)school|low mood|called\.`)} {
				if leak.MatchString(m.Subject + "\n" + m.Body) {
					t.Errorf("the digest to %v says %q:\n%s", m.To, leak.FindString(m.Subject+"\n"+m.Body), m.Body)
				}
			}
		}
		want := map[string]DigestCounts{
			"clinician@example.org":  {Missing: 2, Overdue: 1, Drafts: 1, PlansDue: 1},
			"supervisor@example.org": {AwaitingCosign: 1},
		}
		for to, c := range want {
			if got[to] != c {
				t.Errorf("digest to %s = %+v, want %+v", to, got[to], c)
			}
		}

		// Again the same day, and from a second server: nothing more.
		if n, err := g.Run(ctx); n != 0 || err != nil {
			t.Fatalf("second run: %d %v", n, err)
		}
		if n, err := NewDigest(p.svc, mailer, "https://ehr.example.org", nil).Run(ctx); n != 0 || err != nil || len(box.all()) != 2 {
			t.Fatalf("another server's run: %d %v, %d messages", n, err, len(box.all()))
		}
		if c := p.count(`SELECT count(*) FROM audit_log WHERE object_type = 'documentation_digest' AND outcome = 'success'`); c != 2 {
			t.Errorf("%d digest entries", c)
		}

		// The next day: a refused send is recorded, and the next run sends it.
		p.clk.Advance(24 * time.Hour)
		down := NewDigest(p.svc, MailerFunc(func(context.Context, string, string, string) error { return errors.New("451 try later") }), "https://ehr.example.org", nil)
		if n, err := down.Run(ctx); n != 0 || err != nil {
			t.Fatalf("mail server down: %d %v", n, err)
		}
		if c := p.count(`SELECT count(*) FROM audit_log WHERE object_type = 'documentation_digest' AND outcome = 'failed'`); c != 2 {
			t.Errorf("%d failed digest entries", c)
		}
		if n, err := g.Run(ctx); n != 2 || err != nil || len(box.all()) != 4 {
			t.Fatalf("retry: %d %v", n, err)
		}
		if n, _ := g.Run(ctx); n != 0 {
			t.Errorf("third run of the day sent %d", n)
		}

		// Not before the hour: 5:00 in New York the day after.
		p.clk.Set(time.Date(2026, 3, 12, 9, 0, 0, 0, time.UTC))
		if n, err := g.Run(ctx); n != 0 || err != nil {
			t.Errorf("before 7:00: %d %v", n, err)
		}
	})
}
