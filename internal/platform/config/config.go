// Package config parses MentalSpace's one Config from flags and MENTALSPACE_*
// environment variables. A flag wins over its variable, which wins over the
// default. Secrets are masked whenever the Config is printed.
package config

import (
	"flag"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Secret is a string that prints masked.
type Secret string

// String masks the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "********"
}

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// Config is everything the binary can be told.
type Config struct {
	Addr        string
	DataDir     string
	DatabaseURL Secret
	TLSCert     string
	TLSKey      string
	// BehindProxy trusts X-Forwarded-For and X-Forwarded-Proto from a reverse
	// proxy on loopback that terminates TLS.
	BehindProxy bool
	// PublicURL is the address people open, such as https://ehr.example.org,
	// when it differs from Addr (behind a proxy). Passkeys are bound to its host.
	PublicURL       string
	MasterKey       Secret
	LogLevel        string
	LogFormat       string
	DBMaxConns      int
	SessionAbsolute time.Duration
	ShutdownTimeout time.Duration

	// Appointment reminders by email: off while SMTPHost is empty.
	SMTPHost     string
	SMTPPort     int
	SMTPUsername string
	SMTPPassword Secret
	// SMTPFrom is the sender, e.g. "Practice <reminders@example.org>".
	SMTPFrom string
	// SMTPTLS is none, starttls (required, the default) or tls (implicit, port 465).
	SMTPTLS string
	// Appointment reminders by text message through a Twilio-compatible
	// API: off while SMSURL is empty.
	SMSURL        string
	SMSAccountSID string
	SMSAuthToken  Secret
	// SMSFrom is the sending number in E.164 form, e.g. +15551234567.
	SMSFrom string
}

// Default returns the defaults.
func Default() Config {
	return Config{
		Addr: "127.0.0.1:8080", DataDir: "./mentalspace-data", LogLevel: "info", LogFormat: "text",
		DBMaxConns: 10, SessionAbsolute: 12 * time.Hour, ShutdownTimeout: 20 * time.Second,
		SMTPPort: 587, SMTPTLS: "starttls",
	}
}

// Flags registers the common flags on fs, with defaults taken from getenv.
// The returned function validates after fs.Parse.
func (c *Config) Flags(fs *flag.FlagSet, getenv func(string) string) func() error {
	env := func(name, def string) string {
		if v := getenv("MENTALSPACE_" + name); v != "" {
			return v
		}
		return def
	}
	var errs []string
	envBool := func(name string, def bool) bool {
		v := env(name, strconv.FormatBool(def))
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("MENTALSPACE_%s: not true or false", name))
		}
		return b
	}
	envInt := func(name string, def int) int {
		n, err := strconv.Atoi(env(name, strconv.Itoa(def)))
		if err != nil {
			errs = append(errs, fmt.Sprintf("MENTALSPACE_%s: not a number", name))
		}
		return n
	}
	envDur := func(name string, def time.Duration) time.Duration {
		d, err := time.ParseDuration(env(name, def.String()))
		if err != nil {
			errs = append(errs, fmt.Sprintf("MENTALSPACE_%s: not a duration such as 12h", name))
		}
		return d
	}
	fs.StringVar(&c.Addr, "addr", env("ADDR", c.Addr), "listen address `host:port` (MENTALSPACE_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", env("DATA_DIR", c.DataDir), "data directory: SQLite database, keys, files (MENTALSPACE_DATA_DIR)")
	fs.Func("database-url", "PostgreSQL `URL` (postgres://…); empty uses SQLite in the data directory (MENTALSPACE_DATABASE_URL)", func(s string) error {
		c.DatabaseURL = Secret(s)
		return nil
	})
	c.DatabaseURL = Secret(env("DATABASE_URL", string(c.DatabaseURL)))
	c.MasterKey = Secret(getenv("MENTALSPACE_MASTER_KEY"))
	fs.StringVar(&c.TLSCert, "tls-cert", env("TLS_CERT", c.TLSCert), "TLS certificate `file` (MENTALSPACE_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", env("TLS_KEY", c.TLSKey), "TLS private key `file` (MENTALSPACE_TLS_KEY)")
	fs.BoolVar(&c.BehindProxy, "behind-proxy", envBool("BEHIND_PROXY", c.BehindProxy), "a TLS-terminating reverse proxy on loopback forwards requests (MENTALSPACE_BEHIND_PROXY)")
	fs.StringVar(&c.PublicURL, "public-url", env("PUBLIC_URL", c.PublicURL), "the `URL` people open, e.g. https://ehr.example.org, when behind a proxy (MENTALSPACE_PUBLIC_URL)")
	fs.StringVar(&c.LogLevel, "log-level", env("LOG_LEVEL", c.LogLevel), "debug, info, warn or error (MENTALSPACE_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("LOG_FORMAT", c.LogFormat), "text or json (MENTALSPACE_LOG_FORMAT)")
	fs.IntVar(&c.DBMaxConns, "db-max-conns", envInt("DB_MAX_CONNS", c.DBMaxConns), "PostgreSQL pool size, SQLite reader pool size (MENTALSPACE_DB_MAX_CONNS)")
	fs.DurationVar(&c.SessionAbsolute, "session-absolute", envDur("SESSION_ABSOLUTE", c.SessionAbsolute), "sessions end this long after sign-in (MENTALSPACE_SESSION_ABSOLUTE)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", envDur("SHUTDOWN_TIMEOUT", c.ShutdownTimeout), "graceful shutdown limit (MENTALSPACE_SHUTDOWN_TIMEOUT)")
	// Reminders. The password and the auth token come from the environment
	// only, like the master key: command lines are visible to every user of
	// the machine (ps, /proc).
	fs.StringVar(&c.SMTPHost, "smtp-host", env("SMTP_HOST", c.SMTPHost), "SMTP server `host` for email reminders; empty turns email off (MENTALSPACE_SMTP_HOST)")
	fs.IntVar(&c.SMTPPort, "smtp-port", envInt("SMTP_PORT", c.SMTPPort), "SMTP server port (MENTALSPACE_SMTP_PORT)")
	fs.StringVar(&c.SMTPUsername, "smtp-username", env("SMTP_USERNAME", c.SMTPUsername), "SMTP user name; the password is MENTALSPACE_SMTP_PASSWORD (MENTALSPACE_SMTP_USERNAME)")
	c.SMTPPassword = Secret(getenv("MENTALSPACE_SMTP_PASSWORD"))
	fs.StringVar(&c.SMTPFrom, "smtp-from", env("SMTP_FROM", c.SMTPFrom), "sender `address` of email reminders, e.g. \"Practice <reminders@example.org>\" (MENTALSPACE_SMTP_FROM)")
	fs.StringVar(&c.SMTPTLS, "smtp-tls", env("SMTP_TLS", c.SMTPTLS), "none, starttls or tls (MENTALSPACE_SMTP_TLS)")
	fs.StringVar(&c.SMSURL, "sms-url", env("SMS_URL", c.SMSURL), "base `URL` of a Twilio-compatible SMS API, e.g. https://api.twilio.com; empty turns texts off (MENTALSPACE_SMS_URL)")
	fs.StringVar(&c.SMSAccountSID, "sms-account-sid", env("SMS_ACCOUNT_SID", c.SMSAccountSID), "SMS account SID; the token is MENTALSPACE_SMS_AUTH_TOKEN (MENTALSPACE_SMS_ACCOUNT_SID)")
	c.SMSAuthToken = Secret(getenv("MENTALSPACE_SMS_AUTH_TOKEN"))
	fs.StringVar(&c.SMSFrom, "sms-from", env("SMS_FROM", c.SMSFrom), "sending `number` in E.164 form, e.g. +15551234567 (MENTALSPACE_SMS_FROM)")
	return func() error {
		if len(errs) > 0 {
			return fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
		}
		return c.Validate()
	}
}

// Validate checks the values together.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("configuration: --addr %q is not host:port", c.Addr)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("configuration: give both --tls-cert and --tls-key, or neither")
	}
	if u := c.DatabaseURL.Reveal(); u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		return fmt.Errorf("configuration: --database-url must start with postgres://")
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("configuration: --public-url must be a URL like https://ehr.example.org")
		}
		if h := u.Hostname(); u.Scheme == "http" && h != "localhost" && net.ParseIP(h) == nil {
			return fmt.Errorf("configuration: --public-url must use https")
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("configuration: --log-level must be debug, info, warn or error")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("configuration: --log-format must be text or json")
	}
	if c.SessionAbsolute < time.Hour || c.SessionAbsolute > 24*time.Hour {
		return fmt.Errorf("configuration: --session-absolute must be between 1h and 24h")
	}
	return c.validateReminders()
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// validateReminders checks the email and SMS settings. Either channel is off
// until its server is named; once it is, everything it needs must be given,
// and --public-url too, since every reminder carries a link back to us.
func (c Config) validateReminders() error {
	if c.SMTPHost != "" {
		if c.SMTPPort < 1 || c.SMTPPort > 65535 {
			return fmt.Errorf("configuration: --smtp-port must be between 1 and 65535")
		}
		switch c.SMTPTLS {
		case "none", "starttls", "tls":
		default:
			return fmt.Errorf("configuration: --smtp-tls must be none, starttls or tls")
		}
		if a, err := mail.ParseAddress(c.SMTPFrom); err != nil || !strings.Contains(a.Address, "@") {
			return fmt.Errorf("configuration: --smtp-from must be an email address when --smtp-host is set")
		}
		if (c.SMTPUsername == "") != (c.SMTPPassword == "") {
			return fmt.Errorf("configuration: give both --smtp-username and MENTALSPACE_SMTP_PASSWORD, or neither")
		}
		if c.SMTPTLS == "none" && c.SMTPPassword != "" && !loopbackHost(c.SMTPHost) {
			return fmt.Errorf("configuration: --smtp-tls none would send the SMTP password in clear; use starttls or tls")
		}
	}
	if c.SMSURL != "" {
		u, err := url.Parse(c.SMSURL)
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopbackHost(u.Hostname()))) || u.RawQuery != "" {
			return fmt.Errorf("configuration: --sms-url must be an https URL such as https://api.twilio.com")
		}
		if c.SMSAccountSID == "" || c.SMSAuthToken == "" {
			return fmt.Errorf("configuration: --sms-url needs --sms-account-sid and MENTALSPACE_SMS_AUTH_TOKEN")
		}
		if !e164.MatchString(c.SMSFrom) {
			return fmt.Errorf("configuration: --sms-from must be a number in E.164 form, e.g. +15551234567")
		}
	}
	if (c.SMTPHost != "" || c.SMSURL != "") && c.PublicURL == "" {
		return fmt.Errorf("configuration: reminders link back to the server: set --public-url")
	}
	return nil
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// SQLitePath is the SQLite database file in the data directory.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "mentalspace.db") }

// TLS reports whether the server terminates TLS itself.
func (c Config) TLS() bool { return c.TLSCert != "" }

// LoopbackAddr reports whether Addr listens on loopback only.
func (c Config) LoopbackAddr() bool {
	host, _, _ := net.SplitHostPort(c.Addr)
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// String prints the configuration with secrets masked.
func (c Config) String() string {
	return fmt.Sprintf("addr=%s data-dir=%s database-url=%s tls-cert=%s tls-key=%s behind-proxy=%v master-key=%s log-level=%s log-format=%s db-max-conns=%d session-absolute=%s"+
		" smtp-host=%s smtp-port=%d smtp-username=%s smtp-password=%s smtp-from=%s smtp-tls=%s sms-url=%s sms-account-sid=%s sms-auth-token=%s sms-from=%s",
		c.Addr, c.DataDir, maskURL(c.DatabaseURL.Reveal()), c.TLSCert, c.TLSKey, c.BehindProxy, c.MasterKey, c.LogLevel, c.LogFormat, c.DBMaxConns, c.SessionAbsolute,
		c.SMTPHost, c.SMTPPort, c.SMTPUsername, c.SMTPPassword, c.SMTPFrom, c.SMTPTLS, maskURL(c.SMSURL), c.SMSAccountSID, c.SMSAuthToken, c.SMSFrom)
}

// maskURL hides passwords in a database URL (in the user part or as a
// password or sslpassword parameter) but keeps host and name, which an
// operator needs to see.
func maskURL(u string) string {
	if u == "" {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	q := p.Query()
	for _, k := range []string{"password", "sslpassword", "sslkey"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
		}
	}
	p.RawQuery = q.Encode()
	return p.Redacted()
}
