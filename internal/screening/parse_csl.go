package screening

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// The US Consolidated Screening List source: eleven lists of the
// Departments of Commerce, State and the Treasury in one file.
var cslSource = Source{ID: "US_CSL", Name: "US Consolidated Screening List", Kind: KindSanctions, Format: FormatCSL}

// The CSL columns the parser reads; the file has more.
var cslRequired = []string{"source", "entity_number", "type", "programs", "name", "addresses", "start_date", "remarks",
	"alt_names", "citizenships", "dates_of_birth", "nationalities", "ids"}

// cslAbbrev is a sub-list's short name: the letters in brackets of its
// source column, "Entity List (EL) - Bureau of Industry and Security".
var cslAbbrev = regexp.MustCompile(`\(([A-Z0-9-]+)\)`)

// parseCSL reads the Consolidated Screening List CSV. Each row keeps the
// sub-list that lists it (its source column) as its first program and in
// its id, since entity numbers are unique only within a sub-list and most
// sub-lists have none.
func parseCSL(path string) (Parsed, error) {
	name := filepath.Base(path)
	sum := newChecksum()
	b, err := readFile(path, sum)
	if err != nil {
		return Parsed{}, err
	}
	p := Parsed{Source: cslSource, FileName: name, Checksum: hexSum(sum)}
	r := csv.NewReader(bytes.NewReader(bytes.TrimLeft(b, "\ufeff")))
	header, err := r.Read()
	if err != nil {
		return p, dplError(name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, c := range cslRequired {
		if _, ok := col[c]; !ok {
			return p, &FormatError{File: name, Line: 1, Msg: fmt.Sprintf("no %s column: is this the Consolidated Screening List CSV?", c)}
		}
	}
	r.FieldsPerRecord = len(header)
	seen := map[string]int{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				return p, &FormatError{File: name, Line: pe.StartLine, Msg: fmt.Sprintf("wrong number of fields: want %d, as the header has", len(header))}
			}
			return p, dplError(name, err)
		}
		line, _ := r.FieldPos(0)
		f := func(c string) string { return strings.TrimSpace(rec[col[c]]) }
		e, err := cslEntry(f)
		if err != nil {
			return p, &FormatError{File: name, Line: line, Msg: err.Error()}
		}
		// A sub-list without entity numbers may list a name twice (once
		// per address); the rows are one entry.
		if i, dup := seen[e.ID]; dup {
			o := &p.Entries[i]
			o.Aliases = append(o.Aliases, e.Aliases...)
			o.Countries = append(o.Countries, e.Countries...)
			o.DatesOfBirth = append(o.DatesOfBirth, e.DatesOfBirth...)
			o.Identifiers = append(o.Identifiers, e.Identifiers...)
			continue
		}
		seen[e.ID] = len(p.Entries)
		p.Entries = append(p.Entries, e)
	}
	return p, nil
}

func cslEntry(f func(string) string) (Entry, error) {
	src, full := f("source"), collapseSpace(f("name"))
	if src == "" {
		return Entry{}, errors.New("a row without a source (the list that names it)")
	}
	if full == "" {
		return Entry{}, errors.New("a row without a name")
	}
	abbr := src
	if m := cslAbbrev.FindStringSubmatch(src); m != nil {
		abbr = m[1]
	}
	abbr = sourceID(abbr)
	id := f("entity_number")
	if id == "" {
		sum := sha256.Sum256([]byte(strings.ToUpper(full)))
		id = hex.EncodeToString(sum[:6])
	}
	e := Entry{ID: abbr + "-" + id, Name: full, Programs: []string{abbr}, Remarks: f("remarks")}
	switch t := strings.ToLower(f("type")); t {
	case "individual":
		e.Type = Individual
	case "entity":
		e.Type = Entity
	case "vessel":
		e.Type = Vessel
	case "aircraft":
		e.Type = Aircraft
	case "":
		e.Type = guessType(full)
	default:
		return Entry{}, fmt.Errorf("%s: unknown type %q", e.ID, t)
	}
	for _, prog := range splitSemi(f("programs")) {
		if !slices.Contains(e.Programs, prog) {
			e.Programs = append(e.Programs, prog)
		}
	}
	e.Aliases = splitSemi(f("alt_names"))
	for _, d := range splitSemi(f("dates_of_birth")) {
		if s, ok := anyListDate(d); ok {
			e.DatesOfBirth = append(e.DatesOfBirth, s)
		}
	}
	for _, c := range append(splitSemi(f("citizenships")), splitSemi(f("nationalities"))...) {
		if code, ok := countryCode(c); ok {
			e.Countries = append(e.Countries, code)
		}
	}
	for _, a := range splitSemi(f("addresses")) {
		parts := strings.Split(a, ",")
		if code, ok := countryCode(parts[len(parts)-1]); ok {
			e.Countries = append(e.Countries, code)
		}
	}
	for _, raw := range splitSemi(f("ids")) {
		if id, ok := cslIdentifier(raw); ok {
			e.Identifiers = append(e.Identifiers, id)
		}
	}
	if d, ok := anyListDate(f("start_date")); ok {
		e.ListedOn = d
	}
	return e, nil
}

// cslIdentifier reads one of the CSL's ids, "[country, ]number, type":
// "US, 80-0890696, Tax ID No.", "IMO 8898831, Vessel Registration
// Identification".
func cslIdentifier(raw string) (Identifier, bool) {
	parts := strings.Split(raw, ", ")
	if len(parts) < 2 {
		return Identifier{}, false
	}
	kind, ok := identifierKind(parts[len(parts)-1])
	if !ok {
		return Identifier{}, false
	}
	id := Identifier{Kind: kind, Value: strings.Join(parts[:len(parts)-1], ", ")}
	if len(parts) >= 3 {
		if code, ok := countryCode(parts[0]); ok {
			id.Country = code
			id.Value = strings.Join(parts[1:len(parts)-1], ", ")
		}
	}
	if kind == IMONumber {
		id.Value = strings.TrimPrefix(strings.TrimSpace(id.Value), "IMO ")
	}
	return id, true
}

func splitSemi(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ";") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// anyListDate reads a date as the newer lists write it: ISO 8601 (whole
// or partial), or as OFAC does ("15 Sep 1973", "circa 1970").
func anyListDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	if isoDate.MatchString(s) {
		_, ok := parseDate(s)
		return s, ok
	}
	if len(s) > 10 && isoDate.MatchString(s[:10]) && s[10] == 'T' {
		return s[:10], true
	}
	return listDate(s)
}
