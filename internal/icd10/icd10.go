// Package icd10 is the ICD-10-CM FY2026 code set, shipped in the binary:
// every billable code with its title, looked up by code (with or without the
// dot) or searched by words. Only billable codes are in the set; a category
// such as F33 alone is not, and codes retired since are absent (records that
// already carry one keep the title stored with them).
package icd10

import (
	"bufio"
	"bytes"
	_ "embed"
	"slices"
	"strings"
	"sync"
	"unicode"
)

//go:embed data/icd10cm-fy2026-codes.tsv
var codesTSV []byte

// titlesAdded names the mental-health codes added in FY2023–FY2026, which the
// code list carries without a title.
//
//go:embed data/titles-added.tsv
var titlesTSV []byte

// Code is one billable code.
type Code struct {
	Code  string // without the dot: F331
	Title string
	lower string
}

// Dotted is the code as people write it: F33.1.
func (c Code) Dotted() string { return Dotted(c.Code) }

// Dotted inserts the dot after the category.
func Dotted(code string) string {
	if len(code) <= 3 {
		return code
	}
	return code[:3] + "." + code[3:]
}

// Unavailable is shown for a code with no known title.
const Unavailable = "description unavailable"

var (
	once  sync.Once
	codes []Code
	index map[string]int
)

func load() {
	titles := map[string]string{}
	for line := range bytes.Lines(titlesTSV) {
		if c, t, ok := strings.Cut(strings.TrimSpace(string(line)), "\t"); ok && !strings.HasPrefix(c, "#") {
			titles[c] = t
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(codesTSV))
	codes = make([]Code, 0, 75_000)
	for sc.Scan() {
		c, t, _ := strings.Cut(sc.Text(), "\t")
		if c == "" {
			continue
		}
		if t == "" {
			t = titles[c]
		}
		if t == "" {
			t = Unavailable
		}
		codes = append(codes, Code{Code: c, Title: t, lower: strings.ToLower(t)})
	}
	slices.SortFunc(codes, func(a, b Code) int { return strings.Compare(a.Code, b.Code) })
	index = make(map[string]int, len(codes))
	for i, c := range codes {
		index[c.Code] = i
	}
}

// Normalize turns "f33.1 " into "F331".
func Normalize(code string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(code), ".", ""))
}

// Lookup finds a billable code, written with or without the dot.
func Lookup(code string) (Code, bool) {
	once.Do(load)
	i, ok := index[Normalize(code)]
	if !ok {
		return Code{}, false
	}
	return codes[i], true
}

// Len is the number of billable codes.
func Len() int {
	once.Do(load)
	return len(codes)
}

// looksLikeCode: a letter then digits (and perhaps letters), as typed.
func looksLikeCode(q string) bool {
	q = Normalize(q)
	if len(q) < 2 || !unicode.IsLetter(rune(q[0])) || !unicode.IsDigit(rune(q[1])) {
		return false
	}
	return !strings.ContainsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// Search returns up to limit codes: by code prefix when q looks like a code,
// otherwise those whose title holds every word of q as a word prefix, mental
// and behavioural codes (F) first, then factors influencing health (Z).
func Search(q string, limit int) []Code {
	once.Do(load)
	q = strings.TrimSpace(q)
	if q == "" || limit <= 0 {
		return nil
	}
	if looksLikeCode(q) {
		p := Normalize(q)
		i, _ := slices.BinarySearchFunc(codes, p, func(c Code, t string) int { return strings.Compare(c.Code, t) })
		var out []Code
		for ; i < len(codes) && strings.HasPrefix(codes[i].Code, p) && len(out) < limit; i++ {
			out = append(out, codes[i])
		}
		return out
	}
	words := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) == 0 {
		return nil
	}
	var f, z, other []Code
	for _, c := range codes {
		if !matchesWords(c.lower, words) {
			continue
		}
		switch c.Code[0] {
		case 'F':
			f = append(f, c)
		case 'Z':
			z = append(z, c)
		default:
			if len(other) < limit {
				other = append(other, c)
			}
		}
		if len(f) >= limit {
			break
		}
	}
	out := append(append(f, z...), other...)
	return out[:min(limit, len(out))]
}

func matchesWords(title string, words []string) bool {
	for _, w := range words {
		i := strings.Index(title, w)
		for i > 0 && unicode.IsLetter(rune(title[i-1])) {
			j := strings.Index(title[i+1:], w)
			if j < 0 {
				i = -1
				break
			}
			i += 1 + j
		}
		if i < 0 {
			return false
		}
	}
	return true
}
