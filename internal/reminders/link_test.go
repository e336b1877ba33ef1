package reminders

import (
	"crypto/hmac"
	"crypto/sha256"
	"testing"
	"time"
)

func testMAC(p []byte) []byte {
	m := hmac.New(sha256.New, []byte("0123456789abcdef0123456789abcdef"))
	m.Write(p)
	return m.Sum(nil)[:macSize]
}

func TestTokenRoundTrip(t *testing.T) {
	s := &Service{key: []byte("0123456789abcdef0123456789abcdef")}
	exp := time.Date(2026, 7, 1, 14, 0, 0, 0, time.UTC)
	tok := s.Token(123456, 789, exp)
	if len(tok) > 50 {
		t.Errorf("token %q is %d characters; texts want short links", tok, len(tok))
	}
	c, err := parseToken(tok, testMAC)
	if err != nil || c.AppointmentID != 123456 || c.ClientID != 789 || !c.Expires.Equal(exp) {
		t.Errorf("parseToken = %+v, %v", c, err)
	}
}

// FuzzParseToken: whatever arrives in the path, parsing neither panics nor
// accepts a token it did not sign.
func FuzzParseToken(f *testing.F) {
	s := &Service{key: []byte("0123456789abcdef0123456789abcdef")}
	f.Add(s.Token(1, 2, time.Unix(1_800_000_000, 0)))
	f.Add("")
	f.Add("AQEC")
	f.Add("____________________________________________________")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := parseToken(tok, testMAC)
		if err != nil {
			return
		}
		if again := s.Token(c.AppointmentID, c.ClientID, c.Expires); again != tok {
			t.Errorf("accepted %q, which is not the token we sign for %+v (%q)", tok, c, again)
		}
	})
}
