package config

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func parse(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	c := Default()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	check := c.Flags(fs, func(k string) string { return env[k] })
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	return c, check()
}

func TestPrecedence(t *testing.T) {
	c, err := parse(t, nil, nil)
	if err != nil || c.Addr != "127.0.0.1:8080" || c.DataDir != "./mentalspace-data" {
		t.Fatalf("defaults = %+v, %v", c, err)
	}
	c, _ = parse(t, nil, map[string]string{"MENTALSPACE_ADDR": "127.0.0.1:9000"})
	if c.Addr != "127.0.0.1:9000" {
		t.Errorf("env addr = %s", c.Addr)
	}
	c, _ = parse(t, []string{"--addr", "127.0.0.1:9100"}, map[string]string{"MENTALSPACE_ADDR": "127.0.0.1:9000"})
	if c.Addr != "127.0.0.1:9100" {
		t.Errorf("flag addr = %s", c.Addr)
	}
}

func TestSecretsMasked(t *testing.T) {
	c, err := parse(t, []string{"--database-url", "postgres://app:hunter2secret@db.internal:5432/ms"}, map[string]string{"MENTALSPACE_MASTER_KEY": "k1:c2VjcmV0a2V5"})
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	for _, secret := range []string{"hunter2secret", "c2VjcmV0a2V5"} {
		if strings.Contains(s, secret) {
			t.Errorf("String() = %q reveals %q", s, secret)
		}
	}
	if !strings.Contains(s, "db.internal") {
		t.Errorf("String() = %q hides the host", s)
	}
}

func TestQueryPasswordsMasked(t *testing.T) {
	for _, u := range []string{"postgres://app@db/ms?password=hunter2secret", "postgres://app@db/ms?sslpassword=hunter2secret&sslmode=require"} {
		if got := maskURL(u); strings.Contains(got, "hunter2secret") || !strings.Contains(got, "db/ms") {
			t.Errorf("maskURL(%q) = %q", u, got)
		}
	}
}

func TestInvalid(t *testing.T) {
	for _, args := range [][]string{
		{"--addr", "nonsense"},
		{"--tls-cert", "x.pem"},
		{"--database-url", "mysql://x"},
		{"--log-level", "loud"},
		{"--public-url", "http://ehr.example.org"},
		{"--public-url", "ftp://ehr.example.org"},
		{"--public-url", "https://ehr.example.org/some/path"},
	} {
		if _, err := parse(t, args, nil); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if _, err := parse(t, nil, map[string]string{"MENTALSPACE_BEHIND_PROXY": "maybe"}); err == nil {
		t.Error("bad boolean env accepted")
	}
}
