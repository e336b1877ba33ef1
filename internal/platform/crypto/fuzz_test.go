package crypto_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mentalspace/mentalspace/internal/platform/crypto"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

// FuzzDecrypt feeds Decrypt arbitrary text: it must never panic, and nothing
// but the one genuine value with its own aad may open.
func FuzzDecrypt(f *testing.F) {
	d := dbtest.Open(f, db.SQLite)
	k, _, _ := newKeyring(f, d)
	const aad = "users.totp_secret:1"
	good := encrypt(f, k, "secret", aad)
	id, _ := crypto.KeyID(good)
	for _, s := range []string{good, "", "v1.", "v1..", "v1." + id + ".", "v1." + id + ".AAAA", "v1.zz.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", good[:len(good)-1], good + "A", strings.ToUpper(good)} {
		f.Add(s, aad)
	}
	f.Add(good, "users.totp_secret:2")
	f.Fuzz(func(t *testing.T, value, aadIn string) {
		pt, err := k.Decrypt(context.Background(), value, aadIn)
		if err == nil && (value != good || aadIn != aad || string(pt) != "secret") {
			t.Fatalf("Decrypt(%q, %q) opened", value, aadIn)
		}
	})
}

// FuzzParseMasterKey: no panic, and an accepted key has exactly one text form.
func FuzzParseMasterKey(f *testing.F) {
	f.Add(crypto.GenerateMasterKey().Encode())
	f.Add("k:AAAA")
	f.Add(":")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := crypto.ParseMasterKey(s)
		if err != nil {
			return
		}
		if m.Encode() != strings.TrimSpace(s) {
			t.Fatalf("ParseMasterKey accepted a second text form of %v", m)
		}
	})
}
