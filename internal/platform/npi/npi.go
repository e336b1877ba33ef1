// Package npi checks National Provider Identifiers.
package npi

// Valid reports whether s is a 10-digit NPI whose last digit is the Luhn check
// digit computed over the prefix "80840" and the first nine digits.
func Valid(s string) bool {
	if len(s) != 10 {
		return false
	}
	digits := "80840" + s[:9]
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if (len(digits)-1-i)%2 == 0 { // double every second digit from the right, starting with the rightmost of the prefix+body
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	c := s[9]
	if c < '0' || c > '9' {
		return false
	}
	return (sum+int(c-'0'))%10 == 0
}
