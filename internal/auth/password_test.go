package auth

import "testing"

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name, pw string
		ok       bool
	}{
		{"OK", "violet kettle harbour lamp", true},
		{"OKMixed", "Tq8#mz!Lw2vR", true},
		{"TooShort", "Xk9#mp2", false},
		{"Common", "password1234", false},
		{"CommonDecorated", "P@ssw0rd2024!", false},
		{"CommonLong", "correcthorsebatterystaple", false},
		{"Repeated", "aaaaaaaaaaaaaa", false},
		{"Sequence", "123456789012", false},
		{"Keyboard", "qwertyuiopas", false},
		{"Name", "Rosalind1990!!", false},
		{"Email", "rfranklin2024!", false},
		{"Product", "MentalSpace2026", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := CheckPassword(tt.pw, "rfranklin@example.org", "Rosalind Franklin")
			if (msg == "") != tt.ok {
				t.Errorf("CheckPassword(%q) = %q, want ok=%v", tt.pw, msg, tt.ok)
			}
		})
	}
}

func TestHashAndVerify(t *testing.T) {
	h, err := HashPassword("violet kettle harbour lamp")
	if err != nil {
		t.Fatal(err)
	}
	if !verifyPassword("violet kettle harbour lamp", h) {
		t.Error("right password refused")
	}
	if verifyPassword("violet kettle harbour lam", h) {
		t.Error("wrong password accepted")
	}
	if verifyPassword("anything", "") {
		t.Error("empty hash accepted")
	}
}
