package crypto_test

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mentalspace/mentalspace/internal/platform/crypto"
)

func TestLoadMasterKeyCreatesFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // not there yet
	m1, err := crypto.LoadMasterKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, crypto.MasterKeyFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", got)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), m1.Encode()+"\n"; got != want {
		t.Errorf("key file holds %d bytes, not the encoded key", len(got))
	}
	m2, err := crypto.LoadMasterKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if m2.Encode() != m1.Encode() {
		t.Errorf("reloaded key %v differs from created key %v", m2, m1)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data directory holds %d entries, want only the key file", len(entries))
	}
}

func TestLoadMasterKeyEnvWins(t *testing.T) {
	dir := t.TempDir()
	inFile, err := crypto.LoadMasterKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	inEnv := crypto.GenerateMasterKey()
	got, err := crypto.LoadMasterKey(dir, "  "+inEnv.Encode()+"\n")
	if err != nil {
		t.Fatal(err)
	}
	if got.Encode() != inEnv.Encode() || got.Encode() == inFile.Encode() {
		t.Errorf("LoadMasterKey = %v, want the environment's %v", got, inEnv)
	}

	// With an environment value no key file is created.
	empty := t.TempDir()
	if _, err := crypto.LoadMasterKey(empty, inEnv.Encode()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(empty, crypto.MasterKeyFile)); !os.IsNotExist(err) {
		t.Errorf("key file created although the environment holds the key (stat err = %v)", err)
	}
}

func TestLoadMasterKeyRefusesOpenFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := crypto.LoadMasterKey(dir, ""); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, crypto.MasterKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := crypto.LoadMasterKey(dir, ""); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("LoadMasterKey of a 0644 file: err = %v, want a refusal", err)
	}
}

func TestLoadMasterKeyBadEnvValue(t *testing.T) {
	_, err := crypto.LoadMasterKey(t.TempDir(), "not a key")
	if err == nil || strings.Contains(err.Error(), "not a key") {
		t.Errorf("err = %v, want an error that does not echo the value", err)
	}
}

func TestParseMasterKey(t *testing.T) {
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"OK", "prod-2026:" + key, true},
		{"OKSurroundingSpace", "\n prod_1:" + key + "\r\n", true},
		{"ErrNoColon", key, false},
		{"ErrEmptyID", ":" + key, false},
		{"ErrIDWithDot", "a.b:" + key, false},
		{"ErrShortKey", "k:" + base64.StdEncoding.EncodeToString([]byte("short")), false},
		{"ErrUnpadded", "k:" + strings.TrimRight(key, "="), false},
		{"ErrURLAlphabet", "k:" + strings.NewReplacer("+", "-", "/", "_").Replace(base64.StdEncoding.EncodeToString([]byte{0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff})), false},
		{"ErrInnerNewline", "k:" + key[:20] + "\n" + key[20:], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := crypto.ParseMasterKey(tt.in)
			if tt.ok {
				if err != nil {
					t.Fatalf("ParseMasterKey: %v", err)
				}
				if got, want := m.Encode(), strings.TrimSpace(tt.in); got != want {
					t.Errorf("Encode after Parse differs from the input")
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseMasterKey succeeded, want an error")
			}
			if len(tt.in) > 8 && strings.Contains(err.Error(), strings.TrimSpace(tt.in)[2:]) {
				t.Errorf("error %q echoes the input", err)
			}
		})
	}
}

func TestMasterKeyDoesNotPrint(t *testing.T) {
	m := crypto.GenerateMasterKey()
	_, b64, _ := strings.Cut(m.Encode(), ":")
	raw, _ := base64.StdEncoding.DecodeString(b64)
	secrets := []string{b64, hex.EncodeToString(raw), fmt.Sprint(raw), fmt.Sprintf("%d", raw[:4])[1:]}
	type holder struct {
		Exported   crypto.MasterKey
		unexported crypto.MasterKey
	}
	h := holder{m, m}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X"} {
		for _, v := range []any{m, &m, h, &h} {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				if strings.Contains(out, strings.Trim(s, "[]")) {
					t.Errorf("Sprintf(%q, %T) = %q reveals the key", verb, v, out)
				}
			}
		}
	}
	if got, want := m.String(), "MasterKey("+m.ID()+")"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
