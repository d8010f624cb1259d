package compliance

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ciamhq/ciam/internal/fieldcrypt"
)

// Format is a validator of a custom field's value: it takes what the
// caller sent and returns the value normalised (what is stored, sealed
// when sensitive) or a problem in words that never repeats the value.
type Format struct {
	Name string
	// Label says in words what the format accepts, for the requirements
	// endpoint and the portal.
	Label string
	// Pattern is a regular expression of the accepted shape (separators
	// allowed), published so that apps can check as the user types; the
	// checksum is only the server's.
	Pattern string
	// Example is a published valid test number.
	Example string
	// Checksum names the check the number carries, "" when none.
	Checksum string
	check    func(string) (string, string)
}

// Check validates s.
func (f Format) Check(s string) (string, string) { return f.check(strings.TrimSpace(s)) }

// Mask is what lists and the audit trail show of a normalised value.
func (f Format) Mask(v string) string { return fieldcrypt.Mask(v, 4) }

// formats are the validators a pack or a tenant may name. "pattern" is a
// tenant's own regular expression; "text" and "date" take any short text
// and a YYYY-MM-DD date.
var formats = map[string]Format{
	"br_cpf": {Name: "br_cpf", Label: "a Brazilian CPF: 11 digits, as NNN.NNN.NNN-NN or without separators; both check digits (mod 11) are verified",
		Pattern: `^\d{3}\.?\d{3}\.?\d{3}-?\d{2}$`, Example: "529.982.247-25", Checksum: "mod 11, twice", check: checkCPF},
	"de_tax_id": {Name: "de_tax_id", Label: "a German Steuerliche Identifikationsnummer: 11 digits, not starting with 0, one digit repeated two or three times in the first ten, check digit ISO 7064 MOD 11,10",
		Pattern: `^[1-9]\d{10}$`, Example: "86095742719", Checksum: "ISO 7064 MOD 11,10", check: checkSteuerID},
	"in_aadhaar": {Name: "in_aadhaar", Label: "an Indian Aadhaar number: 12 digits, not starting with 0 or 1, Verhoeff check digit",
		Pattern: `^[2-9]\d{3}\s?\d{4}\s?\d{4}$`, Example: "2341 2341 2346", Checksum: "Verhoeff", check: checkAadhaar},
	"in_pan": {Name: "in_pan", Label: "an Indian PAN of a person: five letters (the fourth is P), four digits and a letter, e.g. ABCPE1234F",
		Pattern: `^[A-Za-z]{3}[Pp][A-Za-z]\d{4}[A-Za-z]$`, Example: "ABCPE1234F", check: checkPAN},
	"uk_nino": {Name: "uk_nino", Label: "a UK National Insurance number: two letters as HMRC allocates them, six digits and A, B, C or D",
		Pattern: `^[A-CEGHJ-PR-TW-Za-ceghj-pr-tw-z][A-CEGHJ-NPR-TW-Za-ceghj-npr-tw-z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-Da-d]$`, Example: "AB 12 34 56 C", check: checkNINO},
	"us_ssn": {Name: "us_ssn", Label: "a US Social Security number: AAA-GG-SSSS, with an area, group and serial the SSA issues",
		Pattern: `^\d{3}-?\d{2}-?\d{4}$`, Example: "536-22-1234", check: checkSSN},
	"es_dni": {Name: "es_dni", Label: "a Spanish DNI (8 digits and the check letter) or NIE (X, Y or Z, 7 digits and the check letter)",
		Pattern: `^([0-9]{8}|[XYZxyz][0-9]{7})-?[A-Za-z]$`, Example: "12345678Z", Checksum: "mod 23 letter", check: checkDNI},
	"text": {Name: "text", Label: "text of at most 200 characters", check: checkText},
	"date": {Name: "date", Label: "a date, YYYY-MM-DD", Pattern: `^\d{4}-\d{2}-\d{2}$`, Example: "2024-01-31", check: checkDate},
}

// FormatNamed is the validator of that name, and whether there is one.
// "pattern" is not here: its validator is made from the field's pattern.
func FormatNamed(name string) (Format, bool) {
	f, ok := formats[name]
	return f, ok
}

// FormatNames lists the validators a field may name, "pattern" last.
func FormatNames() []string {
	var out []string
	for k := range formats {
		out = append(out, k)
	}
	slices.Sort(out)
	return append(out, "pattern")
}

// patternFormat is the validator of a tenant's own regular expression:
// the whole value must match it.
func patternFormat(pattern string) (Format, error) {
	if len(pattern) > 200 {
		return Format{}, fmt.Errorf("must be at most 200 characters")
	}
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return Format{}, fmt.Errorf("is not a regular expression: %v", err)
	}
	return Format{Name: "pattern", Label: "text matching the tenant's pattern", Pattern: "^(?:" + pattern + ")$", check: func(s string) (string, string) {
		if len(s) > 200 || !re.MatchString(s) {
			return "", "does not have the expected format"
		}
		return s, ""
	}}, nil
}

var separators = regexp.MustCompile(`[\s\-./]`)

func digitsOnly(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// checkCPF takes a CPF with or without its dots and dash: 11 digits, not
// all the same, whose two check digits are each 11 minus the remainder of
// the weighted sum (weights 10..2, then 11..2) by 11, 0 when that is 10
// or more.
func checkCPF(s string) (string, string) {
	d := separators.ReplaceAllString(s, "")
	if len(d) != 11 || !digitsOnly(d) {
		return "", "must be a CPF: 11 digits, as NNN.NNN.NNN-NN"
	}
	if strings.Count(d, d[:1]) == 11 {
		return "", "is not a CPF: eleven equal digits are never issued"
	}
	check := func(n int) int {
		sum := 0
		for i := 0; i < n; i++ {
			sum += int(d[i]-'0') * (n + 1 - i)
		}
		r := 11 - sum%11
		if r >= 10 {
			return 0
		}
		return r
	}
	if check(9) != int(d[9]-'0') || check(10) != int(d[10]-'0') {
		return "", "is not a valid CPF: the check digits do not match"
	}
	return d[:3] + "." + d[3:6] + "." + d[6:9] + "-" + d[9:], ""
}

// checkSteuerID takes a German tax id: 11 digits, the first not 0; in
// the first ten exactly one digit occurs two or three times (three not
// all in a row) and the others at most once; the eleventh is the ISO 7064
// MOD 11,10 check digit of the first ten.
func checkSteuerID(s string) (string, string) {
	d := separators.ReplaceAllString(s, "")
	if len(d) != 11 || !digitsOnly(d) {
		return "", "must be a German tax id: 11 digits"
	}
	if d[0] == '0' {
		return "", "is not a German tax id: it never starts with 0"
	}
	counts := map[rune]int{}
	for _, c := range d[:10] {
		counts[c]++
	}
	repeated := 0
	for c, n := range counts {
		switch {
		case n == 2:
			repeated++
		case n == 3:
			repeated++
			if strings.Contains(d[:10], strings.Repeat(string(c), 3)) {
				return "", "is not a German tax id: no digit stands three times in a row"
			}
		case n > 3:
			return "", "is not a German tax id: a digit occurs more than three times"
		}
	}
	if repeated != 1 {
		return "", "is not a German tax id: exactly one digit must occur twice or three times in the first ten"
	}
	product := 10
	for _, c := range d[:10] {
		sum := (int(c-'0') + product) % 10
		if sum == 0 {
			sum = 10
		}
		product = (sum * 2) % 11
	}
	check := 11 - product
	if check == 10 {
		check = 0
	}
	if check != int(d[10]-'0') {
		return "", "is not a valid German tax id: the check digit does not match"
	}
	return d, ""
}

// The Verhoeff tables: multiplication in the dihedral group D5, the
// permutation by position, and the inverse.
var (
	verhoeffD = [10][10]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
		{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}}
	verhoeffP = [8][10]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}}
)

// verhoeffValid reports whether the digits d, check digit last, pass
// Verhoeff's check.
func verhoeffValid(d string) bool {
	c := 0
	for i := 0; i < len(d); i++ {
		c = verhoeffD[c][verhoeffP[i%8][int(d[len(d)-1-i]-'0')]]
	}
	return c == 0
}

// checkAadhaar takes an Aadhaar number: 12 digits (spaces allowed), the
// first neither 0 nor 1, the last the Verhoeff check digit.
func checkAadhaar(s string) (string, string) {
	d := separators.ReplaceAllString(s, "")
	if len(d) != 12 || !digitsOnly(d) {
		return "", "must be an Aadhaar number: 12 digits"
	}
	if d[0] == '0' || d[0] == '1' {
		return "", "is not an Aadhaar number: it never starts with 0 or 1"
	}
	if !verhoeffValid(d) {
		return "", "is not a valid Aadhaar number: the check digit does not match"
	}
	return d, ""
}

var panRE = regexp.MustCompile(`^[A-Z]{3}([A-Z])[A-Z][0-9]{4}[A-Z]$`)

// checkPAN takes an Indian Permanent Account Number of an individual:
// five letters, four digits (not 0000) and a letter, the fourth letter P
// (the holder is a person).
func checkPAN(s string) (string, string) {
	t := strings.ToUpper(separators.ReplaceAllString(s, ""))
	m := panRE.FindStringSubmatch(t)
	if m == nil {
		return "", "must be a PAN: five letters, four digits and a letter, e.g. ABCPE1234F"
	}
	if m[1] != "P" {
		return "", fmt.Sprintf("is not the PAN of a person: the fourth letter is %s, and a person's is P", m[1])
	}
	if t[5:9] == "0000" {
		return "", "is not a PAN: its number is never 0000"
	}
	return t, ""
}

var ninoRE = regexp.MustCompile(`^([A-Z])([A-Z])(\d{6})([A-Z])$`)

// checkNINO takes a National Insurance number as HMRC allocates them: the
// first letter not D, F, I, Q, U or V, the second not D, F, I, O, Q, U or
// V, not the prefixes BG, GB, KN, NK, NT, TN or ZZ, six digits and a
// suffix A to D.
func checkNINO(s string) (string, string) {
	t := strings.ToUpper(separators.ReplaceAllString(s, ""))
	m := ninoRE.FindStringSubmatch(t)
	if m == nil {
		return "", "must be a National Insurance number: two letters, six digits and A, B, C or D (e.g. AB 12 34 56 C)"
	}
	switch {
	case strings.Contains("DFIQUV", m[1]):
		return "", fmt.Sprintf("is not a National Insurance number: no number begins with %s", m[1])
	case strings.Contains("DFIOQUV", m[2]):
		return "", fmt.Sprintf("is not a National Insurance number: %s is never its second letter", m[2])
	case slices.Contains([]string{"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}, m[1]+m[2]):
		return "", fmt.Sprintf("is not a National Insurance number: the prefix %s%s is not allocated", m[1], m[2])
	case !strings.Contains("ABCD", m[4]):
		return "", "is not a National Insurance number: the last letter is A, B, C or D"
	}
	return t, ""
}

var ssnRE = regexp.MustCompile(`^(\d{3})-?(\d{2})-?(\d{4})$`)

// checkSSN takes a Social Security number, AAA-GG-SSSS or 9 digits: area
// neither 000, 666 nor 900–999, group not 00, serial not 0000, and not
// one of the numbers the SSA voided after they were published (078-05-1120,
// 219-09-9999) or that advertisements use (123-45-6789).
func checkSSN(s string) (string, string) {
	m := ssnRE.FindStringSubmatch(strings.ReplaceAll(s, " ", "-"))
	if m == nil {
		return "", "must be a US Social Security number: AAA-GG-SSSS or 9 digits"
	}
	area, group, serial := m[1], m[2], m[3]
	v := area + "-" + group + "-" + serial
	switch {
	case area == "000" || area == "666" || area[0] == '9':
		return "", "is not an issued SSN: the area number (first three digits) cannot be 000, 666 or 900–999"
	case group == "00":
		return "", "is not an issued SSN: the group number (digits 4 and 5) cannot be 00"
	case serial == "0000":
		return "", "is not an issued SSN: the serial number (last four digits) cannot be 0000"
	case v == "078-05-1120" || v == "219-09-9999" || v == "123-45-6789":
		return "", "is a published example number, never a person's SSN"
	}
	return v, ""
}

var (
	dniRE = regexp.MustCompile(`^(\d{8})([A-Z])$`)
	nieRE = regexp.MustCompile(`^([XYZ])(\d{7})([A-Z])$`)
)

// checkDNI takes a Spanish DNI or NIE: the letter is the number (an NIE's
// X, Y, Z read as 0, 1, 2) modulo 23 in TRWAGMYFPDXBNJZSQVHLCKE.
func checkDNI(s string) (string, string) {
	t := strings.ToUpper(separators.ReplaceAllString(s, ""))
	num, letter := "", ""
	if m := dniRE.FindStringSubmatch(t); m != nil {
		num, letter = m[1], m[2]
	} else if m := nieRE.FindStringSubmatch(t); m != nil {
		num, letter = string(rune('0'+strings.Index("XYZ", m[1])))+m[2], m[3]
	} else {
		return "", "must be a DNI (8 digits and a letter) or an NIE (X, Y or Z, 7 digits and a letter)"
	}
	n := 0
	for _, c := range num {
		n = n*10 + int(c-'0')
	}
	if string("TRWAGMYFPDXBNJZSQVHLCKE"[n%23]) != letter {
		return "", "is not a valid DNI or NIE: the check letter does not match the number"
	}
	return t, ""
}

func checkText(s string) (string, string) {
	if len([]rune(s)) > 200 {
		return "", "must be at most 200 characters"
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", "must be printable text, without control characters"
		}
	}
	return s, ""
}

func checkDate(s string) (string, string) {
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return "", "must be a date as YYYY-MM-DD"
	}
	return s, ""
}
