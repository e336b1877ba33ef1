// Package crypto encrypts sensitive fields (SSNs, note bodies, TOTP secrets…)
// before they reach the database, with AES-256-GCM and envelope keys.
//
// # Keys
//
// A master key (32 random bytes) lives outside the database: in an
// environment variable or in the key file <dataDir>/master.key. It only seals
// data keys. Data keys (also 32 random bytes) live in the data_keys table,
// each sealed by the master key; exactly one is active and seals new values.
// A stolen database or backup therefore opens nothing without the master key,
// and rotating the master key rewrites a handful of rows, not every value.
//
// The master key's text form, used both for the environment value (suggested
// name MENTALSPACE_MASTER_KEY) and for the key file, is
//
//	<id>:<base64 of the 32 key bytes, standard alphabet, padded>
//
// for example "prod-2026:q0Vb…44 characters…=". The id is 1 to 64 of
// [A-Za-z0-9_-]; it is recorded beside every data key it seals, so that a
// wrong or lost key is named in the error instead of failing mysteriously, and
// it names the backup file when the key is rotated. An operator can make one
// with: echo "prod-$(date +%Y%m%d):$(openssl rand -base64 32)".
//
// # Values
//
// An encrypted value is the text
//
//	v1.<data key id>.<base64url, unpadded, of nonce(12) || ciphertext || tag(16)>
//
// The data key id travels with the value so that values written before a
// rotation still open. Every value is bound by AES-GCM's additional data to
// the place it is stored (the caller's aad, e.g. "users.totp_secret:42"), so a
// value copied into another row or column fails to open.
//
// Errors from this package never contain plaintext, aad or key material.
package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"strings"
)

// The errors Decrypt returns, wrapped with context; test with errors.Is.
var (
	// ErrMalformed means the value is not in the v1 format at all.
	ErrMalformed = errors.New("not an encrypted value")
	// ErrUnknownKey means the value names a data key that is not in the database.
	ErrUnknownKey = errors.New("unknown data key")
	// ErrAuthentication means the value was altered, or is being opened with
	// other aad than it was sealed with (moved from another row or column).
	ErrAuthentication = errors.New("encrypted value failed authentication")
	// ErrWrongMaster means a data key is sealed by another master key than the
	// one loaded: the key file or environment value is wrong or was replaced.
	ErrWrongMaster = errors.New("data key is sealed by a different master key")
)

const (
	keySize = 32 // AES-256
	// overhead is GCM's random nonce plus its tag.
	overhead = 12 + 16
	// prefix starts every value; the version lets the format change later.
	prefix = "v1."
)

// valueEncoding is URL-safe so values survive in URLs and file names, and
// strict so that one ciphertext has exactly one text form.
var valueEncoding = base64.RawURLEncoding.Strict()

// newAEAD returns AES-256-GCM that draws a random 96-bit nonce for every Seal
// and prepends it, so no caller can ever reuse a nonce.
func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != keySize {
		return nil, errors.New("key is not 32 bytes")
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(b)
}

// dataKey is an unwrapped data key, ready to seal and open values.
type dataKey struct {
	id   string
	aead cipher.AEAD
}

// additional is the GCM additional data of a value: the header as well as the
// caller's aad, so the version and key id cannot be changed either.
func additional(keyID, aad string) []byte {
	return []byte(prefix + keyID + "." + aad)
}

func (dk dataKey) seal(plaintext []byte, aad string) string {
	sealed := dk.aead.Seal(nil, nil, plaintext, additional(dk.id, aad))
	return prefix + dk.id + "." + valueEncoding.EncodeToString(sealed)
}

func (dk dataKey) open(sealed []byte, aad string) ([]byte, error) {
	pt, err := dk.aead.Open(nil, nil, sealed, additional(dk.id, aad))
	if err != nil {
		return nil, ErrAuthentication
	}
	return pt, nil
}

// parse splits a value into its key id and sealed bytes.
func parse(value string) (keyID string, sealed []byte, err error) {
	rest, ok := strings.CutPrefix(value, prefix)
	if !ok {
		return "", nil, ErrMalformed
	}
	keyID, body, ok := strings.Cut(rest, ".")
	if !ok || !validID(keyID) {
		return "", nil, ErrMalformed
	}
	sealed, err = valueEncoding.DecodeString(body)
	if err != nil || len(sealed) < overhead {
		return "", nil, ErrMalformed
	}
	return keyID, sealed, nil
}

// KeyID returns the id of the data key that sealed value, without opening it.
// Callers use it to count or find values still under a retired key.
func KeyID(value string) (string, error) {
	id, _, err := parse(value)
	return id, err
}

// validID reports whether s is a usable key id: short, and safe in values
// (no '.'), in SQL parameters and in file names.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
