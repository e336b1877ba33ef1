// Package config parses MentalSpace's one Config from flags and MENTALSPACE_*
// environment variables. A flag wins over its variable, which wins over the
// default. Secrets are masked whenever the Config is printed.
package config

import (
	"flag"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
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
}

// Default returns the defaults.
func Default() Config {
	return Config{
		Addr: "127.0.0.1:8080", DataDir: "./mentalspace-data", LogLevel: "info", LogFormat: "text",
		DBMaxConns: 10, SessionAbsolute: 12 * time.Hour, ShutdownTimeout: 20 * time.Second,
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
	return nil
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
	return fmt.Sprintf("addr=%s data-dir=%s database-url=%s tls-cert=%s tls-key=%s behind-proxy=%v master-key=%s log-level=%s log-format=%s db-max-conns=%d session-absolute=%s",
		c.Addr, c.DataDir, maskURL(c.DatabaseURL.Reveal()), c.TLSCert, c.TLSKey, c.BehindProxy, c.MasterKey, c.LogLevel, c.LogFormat, c.DBMaxConns, c.SessionAbsolute)
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
