package kyc

import (
	"strings"
	"time"
)

// MRZ is what a passport's machine-readable zone (ICAO 9303, TD3: two
// lines of 44 characters) says.
type MRZ struct {
	DocumentNumber string
	Nationality    string
	Surname        string
	GivenNames     string
	DateOfBirth    time.Time
	Expiry         time.Time
	// Valid is true when every check digit agrees.
	Valid bool
	// Failed names the fields whose check digit did not agree.
	Failed []string
}

// mrzValue is a character's value in the check digit computation.
func mrzValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	default: // '<'
		return 0
	}
}

// CheckDigit is ICAO 9303's check digit: weights 7, 3, 1 repeating,
// modulo 10.
func CheckDigit(s string) byte {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		sum += mrzValue(s[i]) * weights[i%3]
	}
	return byte('0' + sum%10)
}

// ParseTD3 reads a passport MRZ (two lines of 44 characters, separated by
// a newline); ok is false when it is not shaped like one.
func ParseTD3(mrz string) (MRZ, bool) {
	lines := strings.Fields(strings.ToUpper(strings.ReplaceAll(mrz, "\r", "")))
	if len(lines) != 2 || len(lines[0]) != 44 || len(lines[1]) != 44 || lines[0][0] != 'P' {
		return MRZ{}, false
	}
	l1, l2 := lines[0], lines[1]
	for _, l := range lines {
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') && c != '<' {
				return MRZ{}, false
			}
		}
	}
	var m MRZ
	names := strings.SplitN(l1[5:], "<<", 2)
	m.Surname = strings.ReplaceAll(strings.Trim(names[0], "<"), "<", " ")
	if len(names) == 2 {
		m.GivenNames = strings.TrimSpace(strings.ReplaceAll(strings.Trim(names[1], "<"), "<", " "))
	}
	m.DocumentNumber = strings.TrimRight(l2[0:9], "<")
	m.Nationality = strings.TrimRight(l2[10:13], "<")
	check := func(field, value string, digit byte) {
		if CheckDigit(value) != digit {
			m.Failed = append(m.Failed, field)
		}
	}
	check("documentNumber", l2[0:9], l2[9])
	check("dateOfBirth", l2[13:19], l2[19])
	check("expiryDate", l2[21:27], l2[27])
	composite := l2[0:10] + l2[13:20] + l2[21:43]
	check("composite", composite, l2[43])
	if d, err := time.Parse("060102", l2[13:19]); err == nil {
		if d.After(time.Now()) {
			d = d.AddDate(-100, 0, 0)
		}
		m.DateOfBirth = d
	} else {
		m.Failed = append(m.Failed, "dateOfBirth")
	}
	if d, err := time.Parse("060102", l2[21:27]); err == nil {
		m.Expiry = d
	} else {
		m.Failed = append(m.Failed, "expiryDate")
	}
	m.Valid = len(m.Failed) == 0
	return m, true
}
