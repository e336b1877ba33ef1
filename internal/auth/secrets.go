package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// newToken returns a random token with prefix; 32 bytes of entropy.
func newToken(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return prefix + strings.ToLower(b32.EncodeToString(b))
}

// hashToken is how session ids, API tokens and recovery codes are stored:
// they carry full entropy, so a fast hash is enough and a stolen table
// yields nothing usable.
func hashToken(t string) string {
	s := sha256.Sum256([]byte(t))
	return hex.EncodeToString(s[:])
}

// newRecoveryCodes returns a fresh set of recovery codes.
func newRecoveryCodes() []string {
	codes := make([]string, RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
	}
	return codes
}

// newRecoveryCode returns a code such as "k3fq-9mzt-x2pa".
func newRecoveryCode() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	s := strings.ToLower(b32.EncodeToString(b))[:12]
	return s[:4] + "-" + s[4:8] + "-" + s[8:12]
}

func normalizeRecoveryCode(s string) string {
	s = strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(s), " ", ""), "-", ""))
	if len(s) != 12 {
		return s
	}
	return s[:4] + "-" + s[4:8] + "-" + s[8:12]
}
