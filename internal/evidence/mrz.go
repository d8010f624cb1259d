package evidence

import (
	"image"
	"strings"
	"time"
)

// The MRZ formats of ICAO 9303.
const (
	FormatTD1 = "TD1" // ID cards: three lines of 30 characters
	FormatTD2 = "TD2" // older ID cards and visas: two lines of 36
	FormatTD3 = "TD3" // passports: two lines of 44
)

// MRZ is what a machine-readable zone says, with each check digit.
type MRZ struct {
	Format string   `json:"format"`
	Lines  []string `json:"lines"`
	// DocumentCode is the first two characters (P<, I<, ID, ...) without
	// fillers.
	DocumentCode   string `json:"documentCode"`
	IssuingState   string `json:"issuingState"`
	Surname        string `json:"surname"`
	GivenNames     string `json:"givenNames"`
	DocumentNumber string `json:"documentNumber"`
	Nationality    string `json:"nationality"`
	// DateOfBirth and Expiry are zero when the digits are not a date; the
	// raw YYMMDD is in BirthDigits and ExpiryDigits.
	DateOfBirth  time.Time `json:"dateOfBirth"`
	BirthDigits  string    `json:"birthDigits"`
	Expiry       time.Time `json:"expiry"`
	ExpiryDigits string    `json:"expiryDigits"`
	// Sex is M, F or X (unspecified).
	Sex string `json:"sex"`
	// OptionalData is the personal number (TD3) or the optional data
	// fields, fillers removed.
	OptionalData string  `json:"optionalData,omitempty"`
	Checks       []Check `json:"checks"`
	// Valid is true when every check digit agrees and both dates are
	// dates.
	Valid bool `json:"valid"`
	// Box is where the MRZ is on the image, when OCR gave word boxes
	// (zero otherwise).
	Box image.Rectangle `json:"box"`
}

// Check is one check digit of an MRZ: the digit computed from the field
// (Expected) and the one printed (Found).
type Check struct {
	Field    string `json:"field"`
	Expected string `json:"expected"`
	Found    string `json:"found"`
	Valid    bool   `json:"valid"`
}

// The fields a Check names.
const (
	CheckDocumentNumber = "documentNumber"
	CheckDateOfBirth    = "dateOfBirth"
	CheckExpiry         = "expiryDate"
	CheckOptionalData   = "optionalData"
	CheckComposite      = "composite"
)

// FailedChecks names the fields whose check digit does not agree.
func (m *MRZ) FailedChecks() []string {
	var out []string
	for _, c := range m.Checks {
		if !c.Valid {
			out = append(out, c.Field)
		}
	}
	return out
}

// CheckDigit is ICAO 9303's check digit of s: each character's value
// (digits as themselves, A-Z as 10-35, the filler < as 0) weighted 7, 3, 1
// in turn, summed, modulo 10.
func CheckDigit(s string) byte {
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

// layout describes a format: its line count and length, and for each line
// a class per position (A alphabetic, N numeric, X either) that decides
// how OCR confusions are undone.
type layout struct {
	format  string
	length  int
	classes []string
}

func classes(spec ...any) string {
	var b strings.Builder
	for i := 0; i < len(spec); i += 2 {
		b.WriteString(strings.Repeat(spec[i].(string), spec[i+1].(int)))
	}
	return b.String()
}

var layouts = []layout{
	{FormatTD3, 44, []string{
		classes("A", 44),
		classes("X", 9, "N", 1, "A", 3, "N", 7, "A", 1, "N", 7, "X", 14, "N", 2),
	}},
	{FormatTD2, 36, []string{
		classes("A", 36),
		classes("X", 9, "N", 1, "A", 3, "N", 7, "A", 1, "N", 7, "X", 7, "N", 1),
	}},
	{FormatTD1, 30, []string{
		classes("A", 5, "X", 9, "N", 1, "X", 15),
		classes("N", 7, "A", 1, "N", 7, "A", 3, "X", 11, "N", 1),
		classes("A", 30),
	}},
}

var (
	toDigit  = map[byte]byte{'O': '0', 'Q': '0', 'D': '0', 'U': '0', 'I': '1', 'L': '1', 'Z': '2', 'S': '5', 'G': '6', 'T': '7', 'B': '8'}
	toLetter = map[byte]byte{'0': 'O', '1': 'I', '2': 'Z', '5': 'S', '6': 'G', '8': 'B'}
)

// normalise undoes OCR's usual confusions where the field's class allows
// only digits or only letters; alphanumeric fields are left as read.
func normalise(line, class string) string {
	b := []byte(line)
	for i := range b {
		switch class[i] {
		case 'N':
			if d, ok := toDigit[b[i]]; ok {
				b[i] = d
			}
		case 'A':
			if l, ok := toLetter[b[i]]; ok {
				b[i] = l
			}
		}
	}
	return string(b)
}

// mrzChars keeps what can be in an MRZ from an OCR line: spaces OCR puts
// between groups go, lookalikes of the filler become <.
func mrzChars(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '<':
			b.WriteRune(r)
		case r == '«' || r == '‹' || r == '≤' || r == '„':
			b.WriteByte('<')
		case r == ' ' || r == '\t':
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// fitLength brings an OCR line to n characters by growing or shrinking its
// longest run of fillers (OCR most often miscounts a long run of <), or
// failing that by padding or cutting its end.
func fitLength(s string, n int) string {
	if len(s) == n {
		return s
	}
	start, best := -1, 0
	for i := 0; i < len(s); {
		if s[i] != '<' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] == '<' {
			j++
		}
		if j-i > best {
			start, best = i, j-i
		}
		i = j
	}
	d := n - len(s)
	switch {
	case d > 0 && best >= 2:
		return s[:start] + strings.Repeat("<", d) + s[start:]
	case d < 0 && best+d >= 1:
		return s[:start] + s[start-d:]
	case d > 0:
		return s + strings.Repeat("<", d)
	default:
		return s[:n]
	}
}

// FindMRZ looks for a machine-readable zone in OCR'd lines and parses the
// first one it finds. Lines may carry OCR's noise (spaces, lookalikes of
// <, lengths off by a few fillers); ok is false when no MRZ-shaped lines
// are there.
func FindMRZ(lines []string) (MRZ, bool) {
	m, _, ok := findMRZ(lines)
	return m, ok
}

// findMRZ is FindMRZ that also says which of lines the MRZ came from.
func findMRZ(lines []string) (MRZ, []int, bool) {
	var cand []string
	var idx []int
	for i, l := range lines {
		s := mrzChars(l)
		if len(s) >= 26 && len(s) <= 50 && strings.Count(s, "?") <= 2 && (strings.Contains(s, "<<") || strings.Count(s, "<") >= 3) {
			cand = append(cand, strings.ReplaceAll(s, "?", "<"))
			idx = append(idx, i)
		}
	}
	var best MRZ
	var used []int
	found := false
	for _, lay := range layouts {
		k := len(lay.classes)
		for i := 0; i+k <= len(cand); i++ {
			if idx[i+k-1]-idx[i] > 2*(k-1) { // lines must be (nearly) adjacent
				continue
			}
			ok := true
			for j := 0; j < k; j++ {
				if abs(len(cand[i+j])-lay.length) > 4 {
					ok = false
				}
			}
			if !ok {
				continue
			}
			m, err := parseLayout(lay, cand[i:i+k])
			if err != nil {
				continue
			}
			if !found || passed(m) > passed(best) {
				best, used, found = m, idx[i:i+k], true
			}
		}
		if found {
			return best, used, true
		}
	}
	return MRZ{}, nil, false
}

func passed(m MRZ) int {
	n := 0
	for _, c := range m.Checks {
		if c.Valid {
			n++
		}
	}
	return n
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// errNotMRZ is parseLayout's answer to lines that are not of its format.
type errNotMRZ string

func (e errNotMRZ) Error() string { return "evidence: not an MRZ: " + string(e) }

// ParseMRZ parses exact MRZ lines (two of 44, two of 36 or three of 30),
// applying the same normalisation as FindMRZ.
func ParseMRZ(lines []string) (MRZ, error) {
	for _, lay := range layouts {
		if len(lines) != len(lay.classes) {
			continue
		}
		match := true
		for _, l := range lines {
			if len(mrzChars(l)) != lay.length {
				match = false
			}
		}
		if match {
			clean := make([]string, len(lines))
			for i, l := range lines {
				clean[i] = mrzChars(l)
			}
			return parseLayout(lay, clean)
		}
	}
	return MRZ{}, errNotMRZ("lines are not TD1, TD2 or TD3")
}

func parseLayout(lay layout, raw []string) (MRZ, error) {
	lines := make([]string, len(raw))
	for i, l := range raw {
		lines[i] = normalise(fitLength(l, lay.length), lay.classes[i])
	}
	m := MRZ{Format: lay.format, Lines: lines}
	check := func(field, value string, digit byte) {
		c := Check{Field: field, Expected: string(CheckDigit(value)), Found: string(digit)}
		c.Valid = c.Expected == c.Found
		if field == CheckOptionalData && strings.Trim(value, "<") == "" && (digit == '<' || digit == '0') {
			c.Valid, c.Expected = true, string(digit)
		}
		m.Checks = append(m.Checks, c)
	}
	var names string
	// OCR confuses O, Q and D with 0 (and I with 1, ...) in the
	// alphanumeric document number; when its check digit fails, the one
	// reading that differs by a single such confusion and agrees is taken.
	// This changes how the number is read, never whether a digit agrees
	// with what is printed.
	switch lay.format {
	case FormatTD3, FormatTD2:
		lines[1] = repairField(lines[1], 0, 9, 9)
	case FormatTD1:
		lines[0] = repairField(lines[0], 5, 14, 14)
	}
	m.Lines = lines
	switch lay.format {
	case FormatTD3, FormatTD2:
		l1, l2 := lines[0], lines[1]
		if !isLetter(l1[0]) {
			return MRZ{}, errNotMRZ("document code")
		}
		m.DocumentCode = strings.TrimRight(l1[0:2], "<")
		m.IssuingState = strings.TrimRight(l1[2:5], "<")
		names = l1[5:]
		m.DocumentNumber = strings.TrimRight(l2[0:9], "<")
		m.Nationality = strings.TrimRight(l2[10:13], "<")
		m.BirthDigits, m.Sex, m.ExpiryDigits = l2[13:19], l2[20:21], l2[21:27]
		check(CheckDocumentNumber, l2[0:9], l2[9])
		check(CheckDateOfBirth, l2[13:19], l2[19])
		check(CheckExpiry, l2[21:27], l2[27])
		if lay.format == FormatTD3 {
			m.OptionalData = strings.Trim(l2[28:42], "<")
			check(CheckOptionalData, l2[28:42], l2[42])
			check(CheckComposite, l2[0:10]+l2[13:20]+l2[21:43], l2[43])
		} else {
			m.OptionalData = strings.Trim(l2[28:35], "<")
			check(CheckComposite, l2[0:10]+l2[13:20]+l2[21:35], l2[35])
		}
	case FormatTD1:
		l1, l2, l3 := lines[0], lines[1], lines[2]
		if !isLetter(l1[0]) {
			return MRZ{}, errNotMRZ("document code")
		}
		m.DocumentCode = strings.TrimRight(l1[0:2], "<")
		m.IssuingState = strings.TrimRight(l1[2:5], "<")
		number, digit, optional := l1[5:14], l1[14], l1[15:30]
		if digit == '<' {
			// A number longer than nine characters goes on in the optional
			// data, its check digit last before the first filler.
			rest := strings.SplitN(optional, "<", 2)[0]
			if len(rest) >= 2 {
				number, digit = number+rest[:len(rest)-1], rest[len(rest)-1]
				optional = optional[len(rest):]
			}
		}
		m.DocumentNumber = strings.TrimRight(number, "<")
		check(CheckDocumentNumber, number, digit)
		m.BirthDigits, m.Sex, m.ExpiryDigits = l2[0:6], l2[7:8], l2[8:14]
		check(CheckDateOfBirth, l2[0:6], l2[6])
		check(CheckExpiry, l2[8:14], l2[14])
		m.Nationality = strings.TrimRight(l2[15:18], "<")
		m.OptionalData = strings.Trim(strings.Trim(optional, "<")+"<"+strings.Trim(l2[18:29], "<"), "<")
		check(CheckComposite, l1[5:30]+l2[0:7]+l2[8:15]+l2[18:29], l2[29])
		names = l3
	}
	sur, given, _ := strings.Cut(names, "<<")
	// Only one double filler is a separator (between the primary and the
	// secondary identifier); from the next one on the field is filler, so
	// a character read there is a misread '<' (OCR took one for a K).
	if i := strings.Index(given, "<<"); i >= 0 {
		given = given[:i]
	}
	m.Surname = strings.TrimSpace(strings.ReplaceAll(strings.Trim(sur, "<"), "<", " "))
	m.GivenNames = strings.TrimSpace(strings.ReplaceAll(strings.Trim(given, "<"), "<", " "))
	if m.Sex == "<" {
		m.Sex = "X"
	}
	var okBirth, okExpiry bool
	m.DateOfBirth, okBirth = mrzDate(m.BirthDigits, true)
	m.Expiry, okExpiry = mrzDate(m.ExpiryDigits, false)
	m.Valid = passed(m) == len(m.Checks) && okBirth && okExpiry
	return m, nil
}

// confusable lists what OCR may have read instead of each character, the
// likelier first: a Q in a document number is almost always a misread 0.
var confusable = map[byte][]byte{
	'Q': {'0', 'O'}, 'O': {'0', 'Q', 'D'}, '0': {'O', 'Q', 'D'}, 'D': {'0', 'O'},
	'I': {'1', 'L'}, '1': {'I', 'L'}, 'L': {'1', 'I'}, 'S': {'5'}, '5': {'S'},
	'B': {'8'}, '8': {'B'}, 'Z': {'2'}, '2': {'Z'}, 'G': {'6'}, '6': {'G'},
}

// repairField returns line with line[from:to] changed by the one
// confusable substitution that makes its check digit at digit agree; when
// several do, the likeliest (Q read for 0 before 0 read for D) if it is the
// only one that likely. Otherwise line is unchanged.
func repairField(line string, from, to, digit int) string {
	if CheckDigit(line[from:to]) == line[digit] {
		return line
	}
	best, bestRank, ties := "", 99, 0
	for i := from; i < to; i++ {
		for rank, alt := range confusable[line[i]] {
			if line[i] == 'Q' && rank == 0 {
				rank = -1 // Q for 0 beats every other confusion
			}
			try := line[:i] + string(alt) + line[i+1:]
			if CheckDigit(try[from:to]) != line[digit] {
				continue
			}
			switch {
			case rank < bestRank:
				best, bestRank, ties = try, rank, 1
			case rank == bestRank:
				ties++
			}
		}
	}
	if ties == 1 {
		return best
	}
	return line
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' }

// mrzDate reads YYMMDD. A birth year after this year is last century's; an
// expiry is taken in 2000-2069, else the 1900s.
func mrzDate(s string, birth bool) (time.Time, bool) {
	t, err := time.Parse("060102", s)
	if err != nil {
		return time.Time{}, false
	}
	y := t.Year() % 100
	if birth {
		if y > time.Now().Year()%100 {
			t = t.AddDate(1900+y-t.Year(), 0, 0)
		} else {
			t = t.AddDate(2000+y-t.Year(), 0, 0)
		}
	} else if y >= 70 {
		t = t.AddDate(1900+y-t.Year(), 0, 0)
	} else {
		t = t.AddDate(2000+y-t.Year(), 0, 0)
	}
	return t, true
}
