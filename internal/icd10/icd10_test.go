package icd10

import "testing"

func TestLookup(t *testing.T) {
	cases := []struct {
		in, code, title string
		ok              bool
	}{
		{"F33.1", "F331", "Major depressive disorder, recurrent, moderate", true},
		{"f331", "F331", "Major depressive disorder, recurrent, moderate", true},
		{"F43.81", "F4381", "Prolonged grief disorder", true},
		{"F50.013", "F50013", "Anorexia nervosa, restricting type, extreme", true},
		{"F33", "", "", false},    // a category, not billable
		{"F43.8", "", "", false},  // retired after FY2022
		{"F50.01", "", "", false}, // retired: now has a sixth character
		{"Z63.0", "Z630", "Problems in relationship with spouse or partner", true},
	}
	for _, c := range cases {
		got, ok := Lookup(c.in)
		if ok != c.ok || got.Code != c.code || (c.ok && got.Title != c.title) {
			t.Errorf("Lookup(%q) = %+v, %v", c.in, got, ok)
		}
	}
	if n := Len(); n != 74719 {
		t.Errorf("Len = %d", n)
	}
	for _, c := range codes {
		if c.Code[0] == 'F' && c.Title == Unavailable {
			t.Errorf("%s has no title", c.Code)
		}
	}
}

func TestSearch(t *testing.T) {
	byCode := Search("F41.", 20)
	if len(byCode) == 0 || byCode[0].Code != "F410" {
		t.Fatalf("Search(F41.) = %v", byCode)
	}
	words := Search("generalized anx", 5)
	if len(words) == 0 || words[0].Code != "F411" {
		t.Fatalf("Search(generalized anx) = %v", words)
	}
	for _, c := range Search("depress recurrent", 10) {
		if c.Code[0] != 'F' {
			t.Errorf("mental-health codes should come first: %v", c)
		}
	}
	if got := Search("ssion", 5); len(got) != 0 { // only word prefixes match
		t.Errorf("word prefixes only: %v", got)
	}
	if Search("", 5) != nil || Search("!!", 5) != nil {
		t.Error("empty queries return nothing")
	}
}
