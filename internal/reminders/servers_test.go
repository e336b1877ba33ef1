package reminders_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mentalspace/mentalspace/internal/reminders"
)

// mailServer is a real SMTP server in the test process that keeps what it
// receives. It can refuse messages to make the sender retry or give up.
type mailServer struct {
	Host string
	Port int
	// RootCAs trusts the server's certificate when it speaks TLS.
	RootCAs *x509.CertPool

	mu       sync.Mutex
	messages []receivedMail
	// tempFailures is how many more DATA commands get a 451.
	tempFailures int
	// rejectRcpt answers every RCPT with 550.
	rejectRcpt bool
	// user and pass, when set, are required (AUTH PLAIN).
	user, pass string
	// onData runs (unlocked) before a message is accepted.
	onData func()
}

type receivedMail struct {
	From string
	To   []string
	Data []byte
}

// newMailServer starts a plain SMTP server on a loopback port; with tlsMode
// "starttls" it offers STARTTLS with a certificate for 127.0.0.1.
func newMailServer(t *testing.T, tlsMode string) *mailServer {
	t.Helper()
	m := &mailServer{Host: "127.0.0.1"}
	s := smtp.NewServer(m)
	s.Domain = "localhost"
	s.AllowInsecureAuth = tlsMode == "none"
	if tlsMode == "starttls" {
		// httptest's certificate is for 127.0.0.1; its client trusts it.
		hs := httptest.NewUnstartedServer(nil)
		hs.StartTLS()
		s.TLSConfig = &tls.Config{Certificates: hs.TLS.Certificates}
		m.RootCAs = hs.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
		hs.Close()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.Port = ln.Addr().(*net.TCPAddr).Port
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	return m
}

func (m *mailServer) mailer(t *testing.T, tlsMode string) *reminders.SMTPMailer {
	t.Helper()
	mm, err := reminders.NewSMTPMailer(reminders.MailConfig{Host: m.Host, Port: m.Port, Username: m.user, Password: m.pass,
		From: practiceName + " <reminders@harbour.example>", TLS: tlsMode, RootCAs: m.RootCAs})
	if err != nil {
		t.Fatal(err)
	}
	return mm
}

func (m *mailServer) received() []receivedMail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]receivedMail(nil), m.messages...)
}

func (m *mailServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{m: m}, nil }

type mailSession struct {
	m      *mailServer
	authed bool
	from   string
	to     []string
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.m.user || pass != s.m.pass {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.m.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.m.mu.Lock()
	reject := s.m.rejectRcpt
	s.m.mu.Unlock()
	if reject {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.m.onData != nil {
		s.m.onData()
	}
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	if s.m.tempFailures > 0 {
		s.m.tempFailures--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	}
	s.m.messages = append(s.m.messages, receivedMail{From: s.from, To: s.to, Data: data})
	return nil
}

func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }

// parsedMail is a received message's headers and decoded text.
type parsedMail struct {
	Header netmail.Header
	Text   string
}

func parseMail(t *testing.T, raw []byte) parsedMail {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(msg.Body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return parsedMail{Header: msg.Header, Text: strings.ReplaceAll(string(text), "\r\n", "\n")}
}

// smsAPI is a Twilio-compatible Messages endpoint that keeps what it is sent.
type smsAPI struct {
	URL string

	mu    sync.Mutex
	texts []sentText
	// status, when set, is answered instead of 201 with the code and message.
	status int
}

type sentText struct{ To, From, Body string }

const (
	smsSID   = "AC0123456789"
	smsToken = "sms-token-secret"
	smsFrom  = "+15550102000"
)

func newSMSAPI(t *testing.T) *smsAPI {
	t.Helper()
	a := &smsAPI{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+smsSID+"/Messages.json" || !ok || user != smsSID || pass != smsToken {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]any{"code": 20003, "message": "Authenticate", "status": 401})
			return
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if a.status != 0 {
			w.WriteHeader(a.status)
			_ = json.NewEncoder(w).Encode(map[string]any{"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": a.status})
			return
		}
		a.texts = append(a.texts, sentText{To: r.PostFormValue("To"), From: r.PostFormValue("From"), Body: r.PostFormValue("Body")})
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"sid": "SM" + strings.Repeat("0", 30) + string(rune('0'+len(a.texts))), "status": "queued", "error_code": nil, "error_message": nil})
	}))
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	return a
}

func (a *smsAPI) texter(t *testing.T) *reminders.TwilioTexter {
	t.Helper()
	tx, err := reminders.NewTwilioTexter(reminders.TextConfig{BaseURL: a.URL, AccountSID: smsSID, AuthToken: smsToken, From: smsFrom})
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func (a *smsAPI) sent() []sentText {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]sentText(nil), a.texts...)
}
