package evidence

import (
	"regexp"
	"strings"
	"time"
)

// VisualZone is what a document's printed, labelled fields say, for
// documents without an MRZ (driver's licences). Fields not found are
// empty or zero.
type VisualZone struct {
	Surname        string    `json:"surname,omitempty"`
	GivenNames     string    `json:"givenNames,omitempty"`
	FullName       string    `json:"fullName,omitempty"`
	DocumentNumber string    `json:"documentNumber,omitempty"`
	DateOfBirth    time.Time `json:"dateOfBirth"`
	Expiry         time.Time `json:"expiry"`
}

// Name is the holder's name as printed: the full name, or the given names
// and surname.
func (v VisualZone) Name() string {
	if v.FullName != "" {
		return v.FullName
	}
	return strings.TrimSpace(v.GivenNames + " " + v.Surname)
}

// The labels of the visual zone, most specific first so that "Date of
// birth" is not read as a bare "Name" or "No.".
var vizLabels = []struct {
	field string
	re    *regexp.Regexp
}{
	{"dob", regexp.MustCompile(`(?i)^(date of birth|birth ?date|d\.?o\.?b\.?|born)\b`)},
	{"expiry", regexp.MustCompile(`(?i)^(date of expiry|expiry date|expiration date|expiry|expires|exp\.?|valid until|valid thru|valid to)(\b|$)`)},
	{"number", regexp.MustCompile(`(?i)^(passport no\.?|passport number|document no\.?|document number|licen[cs]e no\.?|licen[cs]e number|driver licen[cs]e no\.?|dl no\.?|dln|dl|id no\.?|card no\.?|no\.)(\s|:|$)`)},
	{"given", regexp.MustCompile(`(?i)^(given names?|first names?|forenames?|fn)(\b|$)`)},
	{"surname", regexp.MustCompile(`(?i)^(surname|last name|family name|ln)(\b|$)`)},
	{"name", regexp.MustCompile(`(?i)^(full name|name)(\b|$)`)},
}

// fieldNumber is the number EU and US licences print before a field
// (1., 4b., 4d); OCR noise before a numbered field (a photo's edge read as
// letters) goes with it.
var (
	fieldNumber      = regexp.MustCompile(`^\s*\d{1,2}[a-d]?[.)]?\s+`)
	noisyFieldNumber = regexp.MustCompile(`^.*?\s\d{1,2}[a-d]?[.)]\s+`)
)

func stripFieldNumber(s string) string {
	if loc := fieldNumber.FindStringIndex(s); loc != nil {
		return s[loc[1]:]
	}
	if loc := noisyFieldNumber.FindStringIndex(s); loc != nil {
		return s[loc[1]:]
	}
	return s
}

// ReadVisualZone reads labelled fields from OCR text: "Surname: DOE",
// "4b. Expiry 15.04.2032", or a label alone on its line with the value on
// the next. Dates are read as FindDates does.
func ReadVisualZone(text string, monthFirst bool) VisualZone {
	var v VisualZone
	lines := strings.Split(text, "\n")
	for i, raw := range lines {
		line := strings.TrimSpace(stripFieldNumber(raw))
		for _, l := range vizLabels {
			loc := l.re.FindStringIndex(line)
			if loc == nil {
				continue
			}
			value := strings.TrimSpace(strings.TrimLeft(line[loc[1]:], " :.-/"))
			if value == "" && i+1 < len(lines) {
				value = strings.TrimSpace(stripFieldNumber(lines[i+1]))
			}
			setVisual(&v, l.field, value, monthFirst)
			break
		}
	}
	return v
}

func setVisual(v *VisualZone, field, value string, monthFirst bool) {
	date := func() time.Time {
		if d := FindDates(value, monthFirst); len(d) > 0 {
			return d[0].Time
		}
		return time.Time{}
	}
	switch field {
	case "dob":
		if v.DateOfBirth.IsZero() {
			v.DateOfBirth = date()
		}
	case "expiry":
		if v.Expiry.IsZero() {
			v.Expiry = date()
		}
	case "number":
		if f := strings.Fields(value); v.DocumentNumber == "" && len(f) > 0 {
			v.DocumentNumber = strings.ToUpper(strings.Trim(f[0], ":.,"))
		}
	case "given":
		if v.GivenNames == "" {
			v.GivenNames = nameValue(value)
		}
	case "surname":
		if v.Surname == "" {
			v.Surname = nameValue(value)
		}
	case "name":
		if v.FullName == "" {
			v.FullName = nameValue(value)
		}
	}
}

// nameValue keeps the letters, spaces, hyphens and apostrophes of a name.
func nameValue(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '-' || r == '\'' || r == '’':
			b.WriteRune(r)
		case r >= '0' && r <= '9', r == ':' || r == '|':
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// CompareVisualZone says which of the MRZ's fields the rest of the page's
// text does not show: surname, given names, document number, date of birth
// and expiry, each searched for in the printed text outside the MRZ's own
// lines. A forged visual zone over a genuine MRZ (or the reverse) shows
// here.
func CompareVisualZone(m MRZ, text string) []string {
	var rest []string
	for _, l := range strings.Split(text, "\n") {
		s := mrzChars(l)
		if len(s) >= 26 && strings.Count(s, "<") >= 3 {
			continue
		}
		rest = append(rest, l)
	}
	body := strings.Join(rest, "\n")
	norm := " " + strings.Join(nameTokens(body), " ") + " "
	compact := strings.ReplaceAll(strings.ToUpper(body), " ", "")
	has := func(name string) bool {
		toks := nameTokens(name)
		if len(toks) == 0 {
			return true
		}
		return strings.Contains(norm, " "+strings.Join(toks, " ")+" ")
	}
	dates := FindDates(body, false)
	hasDate := func(t time.Time) bool {
		for _, d := range dates {
			if d.Time.Equal(t) {
				return true
			}
		}
		return false
	}
	var missing []string
	if !has(m.Surname) {
		missing = append(missing, "surname")
	}
	if !has(m.GivenNames) {
		missing = append(missing, "givenNames")
	}
	if m.DocumentNumber != "" && !strings.Contains(compact, m.DocumentNumber) {
		missing = append(missing, "documentNumber")
	}
	if !m.DateOfBirth.IsZero() && !hasDate(m.DateOfBirth) {
		missing = append(missing, "dateOfBirth")
	}
	if !m.Expiry.IsZero() && !hasDate(m.Expiry) {
		missing = append(missing, "expiry")
	}
	return missing
}
