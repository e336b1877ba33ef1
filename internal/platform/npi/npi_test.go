package npi

import "testing"

func TestValid(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"1234567893", true}, // CMS's worked example
		{"1234567890", false},
		{"123456789", false},
		{"12345678931", false},
		{"12345678a3", false},
		{"", false},
		{"1245319599", true},
	}
	for _, tt := range tests {
		if got := Valid(tt.in); got != tt.want {
			t.Errorf("Valid(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
