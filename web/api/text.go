package api

import (
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ciamhq/ciam/internal/apperr"
)

// TextProblem says what is wrong with s as text the server keeps: a NUL
// character (PostgreSQL refuses it in text and jsonb) or bytes that are not
// UTF-8 (which would otherwise be stored as U+FFFD, silently). It returns ""
// when s is fine.
func TextProblem(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL character"
	}
	return ""
}

// BadText is the 400 INVALID_REQUEST for field, whose text has problem.
func BadText(field, problem string) *apperr.Error {
	e := malformed(fmt.Sprintf("%s %s", field, problem))
	e.Fields = []apperr.FieldError{{Field: field, Issue: problem}}
	return e
}

// CheckValues refuses form fields or query parameters whose names or values
// are not text the server keeps, naming the field. Names are checked in
// order, so the answer is the same for the same request.
func CheckValues(v url.Values) error {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if p := TextProblem(k); p != "" {
			return BadText(printable(k), "is a field name that "+p)
		}
		for _, val := range v[k] {
			if p := TextProblem(val); p != "" {
				return BadText(k, p)
			}
		}
	}
	return nil
}

// CheckMultipart is CheckValues for a multipart form, file names included.
func CheckMultipart(f *multipart.Form) error {
	if f == nil {
		return nil
	}
	if err := CheckValues(f.Value); err != nil {
		return err
	}
	for k, files := range f.File {
		if p := TextProblem(k); p != "" {
			return BadText(printable(k), "is a field name that "+p)
		}
		for _, fh := range files {
			if p := TextProblem(fh.Filename); p != "" {
				return BadText(k, "has a file name that "+p)
			}
		}
	}
	return nil
}

// printable is s with bytes that are not UTF-8 and NULs shown as escapes,
// fit to quote in a message.
func printable(s string) string {
	q := strconv.QuoteToASCII(s)
	return q[1 : len(q)-1]
}

// scanJSONText walks the raw JSON in b and refuses what encoding/json lets
// through: strings (keys or values) with invalid UTF-8, a lone UTF-16
// surrogate or a NUL (escaped as \u0000 or not), and an object that holds
// the same key twice, at any depth (the decoder would keep the last one,
// so that two readers of one body could see two different requests). The
// error names the field by its path from the root. Malformed JSON is left
// to the decoder, which says where it breaks.
func scanJSONText(b []byte) error {
	s := jsonScanner{b: b}
	s.skipSpace()
	if err := s.value(""); err != nil {
		return err
	}
	return nil
}

type jsonScanner struct {
	b []byte
	i int
	// broken is set on a syntax error: the scan stops and the decoder
	// reports it.
	broken bool
	// depth is how deeply nested the scan is; past maxDepth it stops, as
	// the decoder refuses such bodies anyway (and the stack stays small).
	depth int
}

const maxDepth = 1000

func (s *jsonScanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScanner) value(path string) error {
	if s.i >= len(s.b) {
		s.broken = true
		return nil
	}
	switch s.b[s.i] {
	case '{', '[':
		if s.depth++; s.depth > maxDepth {
			return malformed(fmt.Sprintf("the body is nested more than %d levels deep", maxDepth))
		}
		defer func() { s.depth-- }()
		if s.b[s.i] == '{' {
			return s.object(path)
		}
		return s.array(path)
	case '"':
		_, problem := s.str()
		if problem != "" {
			return BadText(fieldName(path), problem)
		}
		return nil
	default:
		// A number, true, false or null: nothing to check.
		for s.i < len(s.b) && !strings.ContainsRune(",]} \t\n\r", rune(s.b[s.i])) {
			s.i++
		}
		return nil
	}
}

func (s *jsonScanner) object(path string) error {
	s.i++ // {
	seen := map[string]bool{}
	for {
		s.skipSpace()
		if s.i >= len(s.b) {
			s.broken = true
			return nil
		}
		if s.b[s.i] == '}' {
			s.i++
			return nil
		}
		if s.b[s.i] != '"' {
			s.broken = true
			return nil
		}
		key, problem := s.str()
		if s.broken {
			return nil
		}
		p := key
		if path != "" {
			p = path + "." + key
		}
		if problem != "" {
			return BadText(fieldName(path), "has a field name that "+problem+": "+printable(key))
		}
		// encoding/json matches a key to a field without regard to case
		// ("Email" fills email), so keys that differ only in case are the
		// same field given twice.
		folded := strings.ToLower(strings.ToUpper(key))
		if seen[folded] {
			e := malformed(fmt.Sprintf("field %s is given twice; send each field once", p))
			e.Fields = []apperr.FieldError{{Field: p, Issue: "is given more than once"}}
			return e
		}
		seen[folded] = true
		s.skipSpace()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			s.broken = true
			return nil
		}
		s.i++
		s.skipSpace()
		if err := s.value(p); err != nil || s.broken {
			return err
		}
		s.skipSpace()
		if s.i < len(s.b) && s.b[s.i] == ',' {
			s.i++
			continue
		}
		if s.i < len(s.b) && s.b[s.i] == '}' {
			s.i++
			return nil
		}
		s.broken = true
		return nil
	}
}

func (s *jsonScanner) array(path string) error {
	s.i++ // [
	for n := 0; ; n++ {
		s.skipSpace()
		if s.i < len(s.b) && s.b[s.i] == ']' && n == 0 {
			s.i++
			return nil
		}
		if err := s.value(fmt.Sprintf("%s[%d]", path, n)); err != nil || s.broken {
			return err
		}
		s.skipSpace()
		if s.i < len(s.b) && s.b[s.i] == ',' {
			s.i++
			continue
		}
		if s.i < len(s.b) && s.b[s.i] == ']' {
			s.i++
			return nil
		}
		s.broken = true
		return nil
	}
}

// str reads the string at s.i and returns it decoded (with what cannot
// be decoded replaced) and, when it is not text the server keeps, the
// problem.
func (s *jsonScanner) str() (string, string) {
	start := s.i
	s.i++ // "
	problem := ""
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			raw := s.b[start:s.i]
			var out string
			if err := json.Unmarshal(raw, &out); err != nil {
				s.broken = true
				return "", ""
			}
			return out, problem
		case c == '\\':
			if s.i+1 >= len(s.b) {
				s.broken = true
				return "", ""
			}
			if s.b[s.i+1] != 'u' {
				s.i += 2
				continue
			}
			r, ok := s.hex4(s.i + 2)
			if !ok {
				s.broken = true
				return "", ""
			}
			s.i += 6
			switch {
			case r == 0:
				problem = first(problem, "contains a NUL character")
			case r >= 0xD800 && r <= 0xDBFF:
				// A high surrogate must be followed by a low one.
				lo, ok := rune(0), false
				if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					lo, ok = s.hex4(s.i + 2)
				}
				if ok && lo >= 0xDC00 && lo <= 0xDFFF {
					s.i += 6
				} else {
					problem = first(problem, "contains a lone UTF-16 surrogate")
				}
			case r >= 0xDC00 && r <= 0xDFFF:
				problem = first(problem, "contains a lone UTF-16 surrogate")
			}
		case c < 0x20:
			// A control character must be escaped: a syntax error.
			s.broken = true
			return "", ""
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, size := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && size <= 1 {
				problem = first(problem, "is not valid UTF-8")
			}
			s.i += size
		}
	}
	s.broken = true
	return "", ""
}

func (s *jsonScanner) hex4(at int) (rune, bool) {
	if at+4 > len(s.b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(s.b[at:at+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// fieldName is path as a field name; the body itself when path is the root.
func fieldName(path string) string {
	if path == "" {
		return "body"
	}
	return printable(path)
}
