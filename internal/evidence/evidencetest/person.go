// Package evidencetest renders the documents the tests need: passport data
// pages and ID cards with valid or broken machine-readable zones, driver's
// licences, utility bills as text PDFs and as scans, and the malformed files
// an attacker sends (truncated images, decompression bombs, polyglots, PDFs
// with JavaScript or embedded files). Everything is made in memory and is
// deterministic: the same person gives the same bytes, so tests and the demo
// seed can rely on it. It uses only fonts that ship inside Go modules.
package evidencetest

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Person is who a rendered identity document belongs to. Zero fields take
// the defaults of Sample.
type Person struct {
	Surname    string
	GivenNames string
	// Nationality and IssuingState are ICAO three-letter codes (UTO is
	// ICAO's fictitious Utopia).
	Nationality  string
	IssuingState string
	DateOfBirth  time.Time
	// Sex is M, F or X.
	Sex            string
	Issued         time.Time
	Expiry         time.Time
	DocumentNumber string
	// PersonalNumber is the optional data of a TD3 line 2 (up to 14
	// characters) or of a TD1 line 1.
	PersonalNumber string
}

// Sample is the person the tests use when they do not care who it is.
func Sample() Person {
	return Person{
		Surname:        "ERIKSSON",
		GivenNames:     "ANNA MARIA",
		Nationality:    "UTO",
		IssuingState:   "UTO",
		DateOfBirth:    time.Date(1974, 8, 12, 0, 0, 0, 0, time.UTC),
		Sex:            "F",
		Issued:         time.Date(2022, 4, 16, 0, 0, 0, 0, time.UTC),
		Expiry:         time.Date(2032, 4, 15, 0, 0, 0, 0, time.UTC),
		DocumentNumber: "L898902C3",
		PersonalNumber: "ZE184226B",
	}
}

func (p Person) withDefaults() Person {
	s := Sample()
	if p.Surname == "" {
		p.Surname = s.Surname
	}
	if p.GivenNames == "" {
		p.GivenNames = s.GivenNames
	}
	if p.Nationality == "" {
		p.Nationality = s.Nationality
	}
	if p.IssuingState == "" {
		p.IssuingState = p.Nationality
	}
	if p.DateOfBirth.IsZero() {
		p.DateOfBirth = s.DateOfBirth
	}
	if p.Sex == "" {
		p.Sex = s.Sex
	}
	if p.Expiry.IsZero() {
		p.Expiry = s.Expiry
	}
	if p.Issued.IsZero() {
		p.Issued = p.Expiry.AddDate(-10, 0, 1)
	}
	if p.DocumentNumber == "" {
		p.DocumentNumber = s.DocumentNumber
	}
	p.Surname = strings.ToUpper(p.Surname)
	p.GivenNames = strings.ToUpper(p.GivenNames)
	return p
}

// checkDigit is ICAO 9303's check digit (weights 7, 3, 1, modulo 10). The
// package keeps its own copy so it does not depend on the code it tests.
func checkDigit(s string) byte {
	w := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		v := 0
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		}
		sum += v * w[i%3]
	}
	return byte('0' + sum%10)
}

// field upper-cases s, turns spaces and punctuation into fillers and pads
// or cuts it to n characters.
func field(s string, n int) string {
	var b strings.Builder
	for _, r := range transliterate(s) {
		switch {
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('<')
		}
	}
	out := b.String()
	if len(out) > n {
		return out[:n]
	}
	return out + strings.Repeat("<", n-len(out))
}

// transliterate writes s in the MRZ's letters the way ICAO 9303 part 3
// recommends for the commonest Latin letters: marks dropped, Ä Ö Ü as AE
// OE UE, ß as SS, Æ as AE, Ø as OE.
func transliterate(s string) string {
	s = strings.NewReplacer("Ä", "AE", "Ö", "OE", "Ü", "UE", "ä", "AE", "ö", "OE", "ü", "UE", "ß", "SS",
		"Æ", "AE", "æ", "AE", "Ø", "OE", "ø", "OE").Replace(s)
	t := transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	if out, _, err := transform.String(t, s); err == nil {
		s = out
	}
	return strings.ToUpper(s)
}

func names(p Person, n int) string {
	return field(p.Surname+"<<"+p.GivenNames, n)
}

func yymmdd(t time.Time) string { return t.Format("060102") }

// TD3 is a passport's MRZ for p: two lines of 44 characters.
func TD3(p Person) [2]string {
	p = p.withDefaults()
	l1 := "P<" + field(p.IssuingState, 3) + names(p, 39)
	doc := field(p.DocumentNumber, 9)
	pn := field(p.PersonalNumber, 14)
	pnCheck := checkDigit(pn)
	if strings.Trim(pn, "<") == "" {
		pnCheck = '<'
	}
	l2 := doc + string(checkDigit(doc)) + field(p.Nationality, 3) +
		yymmdd(p.DateOfBirth) + string(checkDigit(yymmdd(p.DateOfBirth))) + field(p.Sex, 1) +
		yymmdd(p.Expiry) + string(checkDigit(yymmdd(p.Expiry))) + pn + string(pnCheck)
	composite := l2[0:10] + l2[13:20] + l2[21:43]
	l2 += string(checkDigit(composite))
	return [2]string{l1, l2}
}

// TD1 is an ID card's MRZ for p: three lines of 30 characters.
func TD1(p Person) [3]string {
	p = p.withDefaults()
	doc := field(p.DocumentNumber, 9)
	l1 := "I<" + field(p.IssuingState, 3) + doc + string(checkDigit(doc)) + field(p.PersonalNumber, 15)
	l2 := yymmdd(p.DateOfBirth) + string(checkDigit(yymmdd(p.DateOfBirth))) + field(p.Sex, 1) +
		yymmdd(p.Expiry) + string(checkDigit(yymmdd(p.Expiry))) + field(p.Nationality, 3) + strings.Repeat("<", 11)
	composite := l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
	l2 += string(checkDigit(composite))
	l3 := names(p, 30)
	return [3]string{l1, l2, l3}
}

// BreakDigit returns line with the check digit at index i changed to
// another digit, the way a forger who edits a field without recomputing
// its check digit leaves it.
func BreakDigit(line string, i int) string {
	c := line[i]
	next := byte('0')
	if c >= '0' && c <= '9' {
		next = '0' + (c-'0'+5)%10
	}
	return line[:i] + string(next) + line[i+1:]
}

// date renders a date the way passports print it: 12 AUG 1974.
func date(t time.Time) string {
	return fmt.Sprintf("%02d %s %d", t.Day(), strings.ToUpper(t.Format("Jan")), t.Year())
}
