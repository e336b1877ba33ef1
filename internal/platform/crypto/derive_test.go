package crypto_test

import (
	"bytes"
	"testing"

	"github.com/mentalspace/mentalspace/internal/platform/crypto"
)

func TestDerive(t *testing.T) {
	m := crypto.GenerateMasterKey()
	again, err := crypto.ParseMasterKey(m.Encode())
	if err != nil {
		t.Fatal(err)
	}
	a, b := m.Derive("reminder-links"), again.Derive("reminder-links")
	if len(a) != 32 || !bytes.Equal(a, b) {
		t.Errorf("the same master key and purpose gave different keys (%d bytes)", len(a))
	}
	if bytes.Equal(a, m.Derive("other")) {
		t.Error("two purposes gave the same key")
	}
	if bytes.Equal(a, crypto.GenerateMasterKey().Derive("reminder-links")) {
		t.Error("two master keys gave the same key")
	}
}
