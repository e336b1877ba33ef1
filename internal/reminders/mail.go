package reminders

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// MailConfig says how to reach the SMTP server.
type MailConfig struct {
	Host     string
	Port     int
	Username string // empty: no authentication
	Password string
	// From is the sender, e.g. "Practice <reminders@example.org>".
	From string
	// TLS is "none", "starttls" (required) or "tls" (implicit, usually port 465).
	TLS string
	// RootCAs verifies the server's certificate; nil uses the system's.
	RootCAs *x509.CertPool
	// Timeout bounds connecting and each command; 0 means 30 seconds.
	Timeout time.Duration
}

// SMTPMailer sends email through one SMTP server with go-mail, one
// connection per message: reminders trickle out one job at a time, and a
// fresh connection never trips over a server that dropped an idle one.
type SMTPMailer struct {
	cfg    MailConfig
	domain string // of the sender, for Message-IDs
}

// NewSMTPMailer checks cfg and returns the mailer.
func NewSMTPMailer(cfg MailConfig) (*SMTPMailer, error) {
	if cfg.Host == "" {
		return nil, errors.New("smtp: no host")
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("smtp: port %d out of range", cfg.Port)
	}
	switch cfg.TLS {
	case "none", "starttls", "tls":
	default:
		return nil, fmt.Errorf("smtp: TLS mode %q is not none, starttls or tls", cfg.TLS)
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp: sender address: %w", err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	return &SMTPMailer{cfg: cfg, domain: domain}, nil
}

// SendEmail sends m and returns its Message-ID. Refusals with a permanent
// (5xx) SMTP code are marked Permanent; everything else (connection, TLS,
// 4xx) may succeed on a retry.
func (s *SMTPMailer) SendEmail(ctx context.Context, m EmailMessage) (string, error) {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(s.cfg.From); err != nil {
		return "", Permanent(fmt.Errorf("smtp: sender: %w", err))
	}
	if err := msg.To(m.To); err != nil {
		return "", Permanent(errors.New("smtp: the recipient address is not valid"))
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	msg.SetMessageIDWithValue(hex.EncodeToString(id) + "@" + s.domain)
	msg.SetBodyString(mail.TypeTextPlain, m.Text)

	opts := []mail.Option{
		mail.WithPort(s.cfg.Port),
		mail.WithTimeout(s.cfg.Timeout),
		mail.WithTLSConfig(&tls.Config{ServerName: s.cfg.Host, RootCAs: s.cfg.RootCAs, MinVersion: tls.VersionTLS12}),
	}
	switch s.cfg.TLS {
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case "starttls":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "tls":
		opts = append(opts, mail.WithSSL())
	}
	if s.cfg.Username != "" {
		// The strongest mechanism the server offers; PLAIN and LOGIN only
		// over TLS (or to localhost).
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(s.cfg.Username), mail.WithPassword(s.cfg.Password))
	}
	c, err := mail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return "", Permanent(fmt.Errorf("smtp: %w", err))
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *mail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
			return "", Permanent(fmt.Errorf("smtp: %w", err))
		}
		return "", fmt.Errorf("smtp: %w", err)
	}
	return msg.GetMessageID(), nil
}
