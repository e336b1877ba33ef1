package auth

import (
	"bufio"
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
)

// MinPasswordLength is the shortest password accepted (OWASP ASVS, NIST 800-63B).
const MinPasswordLength = 12

// argonParams follow the OWASP recommendation for argon2id (m=64 MiB
// would be stronger; 19 MiB, t=2 keeps a login near 50 ms on two shared cores).
var argonParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// commonPasswords is our own list of passwords that are long enough to pass the
// length rule yet appear in public breach corpora or follow their patterns.
// Checked after normalising (lower case, common substitutions, trailing digits
// and symbols stripped), so "Password2024!" matches "password".
//
//go:embed common_passwords.txt
var commonPasswordsText string

var commonPasswords = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsText))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m[line] = true
		m[normalizePassword(line)] = true
	}
	return m
})

// normalizePassword folds a password to the shape the list is checked in.
func normalizePassword(pw string) string {
	trim := func(s string) string {
		return strings.TrimRightFunc(s, func(r rune) bool { return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) })
	}
	pw = trim(strings.ToLower(pw))
	pw = trim(strings.NewReplacer("@", "a", "4", "a", "3", "e", "1", "i", "!", "i", "0", "o", "$", "s", "5", "s", "7", "t").Replace(pw))
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, pw)
}

// CheckPassword returns a message for the person choosing the password, or ""
// when it is acceptable. email and name are the account's own, which must not
// make up the password.
func CheckPassword(pw, email, name string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLength:
		return "Use at least 12 characters. A few unrelated words make a strong, memorable password."
	case n > 256:
		return "Use at most 256 characters."
	}
	lower := strings.ToLower(pw)
	norm := normalizePassword(pw)
	if commonPasswords()[lower] || commonPasswords()[norm] {
		return "This password is too common: it appears in lists of leaked passwords. Choose another."
	}
	if len(norm) < 6 || isRepetitive(lower) {
		return "This password is too predictable (repeated or sequential characters). Choose another."
	}
	local, _, _ := strings.Cut(strings.ToLower(email), "@")
	for _, part := range append(strings.Fields(strings.ToLower(name)), local, "mentalspace") {
		if utf8.RuneCountInString(part) >= 4 && strings.Contains(norm, normalizePassword(part)) && len(norm)-len(normalizePassword(part)) < 8 {
			return "The password must not be built on your name, email or the product name. Choose another."
		}
	}
	return ""
}

// isRepetitive catches "aaaaaaaaaaaa", "abcabcabcabc" and "123456789012".
func isRepetitive(s string) bool {
	r := []rune(s)
	for period := 1; period <= 4 && period < len(r); period++ {
		same := true
		for i := period; i < len(r); i++ {
			if r[i] != r[i-period] {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	seq := 0
	for i := 1; i < len(r); i++ {
		if d := r[i] - r[i-1]; d == 1 || d == -1 || (r[i] == '0' && r[i-1] == '9') {
			seq++
		}
	}
	return seq >= len(r)-2
}

// HashPassword hashes pw with argon2id.
func HashPassword(pw string) (string, error) {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2id.CreateHash(pw, argonParams)
}

// dummyHash is compared against when no account matches, so that a login for
// an unknown email costs the same time as one for a known email.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("not-a-real-password-for-timing")
	return h
})

// verifyPassword reports whether pw matches hash; an empty hash is checked
// against the dummy so the time taken is the same.
func verifyPassword(pw, hash string) bool {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	if hash == "" {
		_, _ = argon2id.ComparePasswordAndHash(pw, dummyHash())
		return false
	}
	ok, err := argon2id.ComparePasswordAndHash(pw, hash)
	return err == nil && ok
}
