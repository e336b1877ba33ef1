package crypto

import (
	"crypto/hmac"
	"crypto/sha256"
)

// Derive returns a 32-byte key for one purpose, such as "reminder-links",
// derived from the master key: HMAC-SHA256(master, "mentalspace/" + purpose),
// the extract-free form of HKDF that suits a key which is already uniformly
// random. Every instance sharing the master key derives the same key, and
// keys for different purposes are unrelated. Replacing the master key
// (keys rotate --master) changes every derived key, which ends what they
// signed (outstanding reminder links, for instance). It panics on the zero
// key, a wiring mistake.
func (m MasterKey) Derive(purpose string) []byte {
	if m.IsZero() || purpose == "" {
		panic("crypto: Derive needs a master key and a purpose")
	}
	mac := hmac.New(sha256.New, m.bytes())
	mac.Write([]byte("mentalspace/" + purpose))
	return mac.Sum(nil)
}
