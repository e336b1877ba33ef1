package crypto

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// MasterKeyFile is the key file's name inside the data directory.
const MasterKeyFile = "master.key"

// MasterKey seals data keys. It prints as its id only (fmt, %v, %#v, %d…), so
// logging one by mistake does not leak it; Encode is the one way to the secret.
// The zero value is no key.
type MasterKey struct {
	id string
	// secret holds the 32 key bytes. It is a pointer to a string, not an array
	// or slice, because fmt prints such a pointer as an address under every
	// verb and at every depth, even inside a struct that holds a MasterKey in
	// an unexported field (where fmt calls no methods).
	secret *string
}

func newMasterKey(id string, raw []byte) MasterKey {
	s := string(raw)
	return MasterKey{id: id, secret: &s}
}

// bytes returns a copy of the key bytes.
func (m MasterKey) bytes() []byte { return []byte(*m.secret) }

// GenerateMasterKey returns a new random master key with a random id.
func GenerateMasterKey() MasterKey {
	// crypto/rand.Read never fails (it crashes the program instead).
	raw := make([]byte, keySize)
	_, _ = rand.Read(raw)
	id := make([]byte, 6)
	_, _ = rand.Read(id)
	return newMasterKey("mk-"+hex.EncodeToString(id), raw)
}

// ParseMasterKey reads the text form "<id>:<base64 key>" (see the package
// doc). Surrounding white space is ignored. Its errors never echo s.
func ParseMasterKey(s string) (MasterKey, error) {
	s = strings.TrimSpace(s)
	id, b64, ok := strings.Cut(s, ":")
	if !ok {
		return MasterKey{}, errors.New(`master key: want "<id>:<base64 of 32 bytes>"`)
	}
	if !validID(id) {
		return MasterKey{}, errors.New("master key: the id must be 1 to 64 of A-Z a-z 0-9 _ -")
	}
	// The decoder skips line breaks; refusing them keeps one key, one text.
	if strings.ContainsAny(b64, " \t\r\n") {
		return MasterKey{}, errors.New("master key: white space inside the key")
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil || len(raw) != keySize {
		return MasterKey{}, errors.New("master key: the key must be 32 bytes in standard padded base64")
	}
	return newMasterKey(id, raw), nil
}

// ID names the key; it is not secret.
func (m MasterKey) ID() string { return m.id }

// IsZero reports whether m is the zero value, no key at all.
func (m MasterKey) IsZero() bool { return m.secret == nil }

// equal reports whether m and o are the same key, id and bytes.
func (m MasterKey) equal(o MasterKey) bool {
	if m.IsZero() || o.IsZero() {
		return m.IsZero() == o.IsZero()
	}
	return m.id == o.id && subtle.ConstantTimeCompare(m.bytes(), o.bytes()) == 1
}

// Encode returns the secret text form "<id>:<base64 key>" for the key file or
// the environment, or "" for the zero key. Never log it.
func (m MasterKey) Encode() string {
	if m.IsZero() {
		return ""
	}
	return m.id + ":" + base64.StdEncoding.EncodeToString(m.bytes())
}

// String returns a redacted form naming the id only.
func (m MasterKey) String() string { return "MasterKey(" + m.id + ")" }

// GoString is String, so %#v does not print the key bytes.
func (m MasterKey) GoString() string { return m.String() }

// Format prints String for every verb: without it %d or %x would print the
// key bytes field by field.
func (m MasterKey) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, m.String()) }

// LoadMasterKey returns the master key. A non-empty envValue (the text form,
// from the environment) wins: deployments that keep secrets out of the disk
// use it. Otherwise the key is read from <dataDir>/master.key, which is created
// with mode 0600 on first start. A key file readable or writable by group or
// others is refused, as ssh refuses such private keys: it opens every
// encrypted field.
func LoadMasterKey(dataDir, envValue string) (MasterKey, error) {
	if strings.TrimSpace(envValue) != "" {
		m, err := ParseMasterKey(envValue)
		if err != nil {
			return MasterKey{}, fmt.Errorf("master key from the environment: %w", err)
		}
		return m, nil
	}
	if dataDir == "" {
		return MasterKey{}, errors.New("load master key: no data directory and no key in the environment")
	}
	path := filepath.Join(dataDir, MasterKeyFile)
	m, err := readMasterKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return m, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return MasterKey{}, fmt.Errorf("create master key: %w", err)
	}
	m = GenerateMasterKey()
	err = writeNewFile(path, []byte(m.Encode()+"\n"))
	if errors.Is(err, fs.ErrExist) {
		// Another instance sharing the data directory created it first.
		return readMasterKeyFile(path)
	}
	if err != nil {
		return MasterKey{}, fmt.Errorf("create master key: %w", err)
	}
	return m, nil
}

// readMasterKeyFile reads and checks a key file. A missing file is reported
// as fs.ErrNotExist.
func readMasterKeyFile(path string) (MasterKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return MasterKey{}, fmt.Errorf("read master key: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return MasterKey{}, fmt.Errorf("read master key: %s has mode %04o; it must be readable by its owner only (chmod 600)", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return MasterKey{}, fmt.Errorf("read master key: %w", err)
	}
	m, err := ParseMasterKey(string(b))
	if err != nil {
		return MasterKey{}, fmt.Errorf("read %s: %w", path, err)
	}
	return m, nil
}

// writeNewFile writes data to path with mode 0600, atomically and without
// replacing an existing file (that is fs.ErrExist): the data goes to a
// temporary file first, is synced, and is then hard-linked into place, so no
// reader ever sees a half-written key and a concurrent creator cannot be
// overwritten.
func writeNewFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename or link in dir durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
