package screening

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// The OFAC source.
var ofacSource = Source{ID: "OFAC_SDN", Name: "OFAC Specially Designated Nationals", Kind: KindSanctions, Format: FormatOFAC}

// Columns of OFAC's legacy CSV files, which have no header.
const (
	sdnFields      = 12 // ent_num, name, type, program, title, call_sign, vessel type, tonnage, GRT, vessel flag, vessel owner, remarks
	altFields      = 5  // ent_num, alt_num, alt_type, alt_name, alt_remarks
	addFields      = 6  // ent_num, add_num, address, city/state/postal, country, add_remarks
	commentsFields = 2  // ent_num, remarks continued
)

var (
	ofacDOB         = regexp.MustCompile(`(?:^|;)\s*(?:alt\.\s*)?DOB ([^;]+)`)
	ofacNationality = regexp.MustCompile(`(?:^|;)\s*(?:alt\.\s*)?(?:nationality|citizen) ([^;]+)`)
)

func parseOFAC(dir string) (Parsed, error) {
	sum := newChecksum()
	p := Parsed{Source: ofacSource, FileName: filepath.Base(filepath.Clean(dir))}
	byID := map[string]int{}

	err := readCSV(filepath.Join(dir, "sdn.csv"), sdnFields, sum, func(line int, f []string) error {
		id := ofacField(f[0])
		if _, err := strconv.Atoi(id); err != nil {
			return fmt.Errorf("ent_num %q is not a number", id)
		}
		if _, dup := byID[id]; dup {
			return fmt.Errorf("ent_num %s appears twice", id)
		}
		name := ofacField(f[1])
		if name == "" {
			return fmt.Errorf("ent_num %s has no name", id)
		}
		var t EntryType
		switch kind := strings.ToLower(ofacField(f[2])); kind {
		case "":
			t = Entity
		case "individual":
			t = Individual
		case "vessel":
			t = Vessel
		case "aircraft":
			t = Aircraft
		default:
			return fmt.Errorf("ent_num %s: unknown SDN type %q", id, kind)
		}
		e := Entry{ID: id, Type: t, Name: name, Remarks: ofacField(f[11])}
		for _, prog := range strings.Split(ofacField(f[3]), "] [") {
			e.Programs = append(e.Programs, strings.Trim(prog, "[] "))
		}
		if cs := ofacField(f[5]); cs != "" {
			e.Identifiers = append(e.Identifiers, Identifier{Kind: CallSign, Value: cs})
		}
		if flag := ofacField(f[9]); flag != "" {
			if code, ok := countryCode(flag); ok {
				e.Countries = append(e.Countries, code)
			}
		}
		byID[id] = len(p.Entries)
		p.Entries = append(p.Entries, e)
		return nil
	})
	if err != nil {
		return Parsed{}, err
	}
	entryOf := func(f []string) (*Entry, error) {
		id := ofacField(f[0])
		i, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("ent_num %s is not in sdn.csv (is sdn.csv cut short?)", id)
		}
		return &p.Entries[i], nil
	}
	err = readCSV(filepath.Join(dir, "alt.csv"), altFields, sum, func(line int, f []string) error {
		e, err := entryOf(f)
		if err != nil {
			return err
		}
		if alias := ofacField(f[3]); alias != "" {
			e.Aliases = append(e.Aliases, alias)
		}
		return nil
	})
	if err != nil {
		return Parsed{}, err
	}
	err = readCSV(filepath.Join(dir, "add.csv"), addFields, sum, func(line int, f []string) error {
		e, err := entryOf(f)
		if err != nil {
			return err
		}
		if country := ofacField(f[4]); country != "" {
			if code, ok := countryCode(country); ok {
				e.Countries = append(e.Countries, code)
			}
		}
		return nil
	})
	if err != nil {
		return Parsed{}, err
	}
	// Remarks too long for sdn.csv continue in sdn_comments.csv. Old
	// editions name entries there that have left the list: those are
	// ignored.
	comments := filepath.Join(dir, "sdn_comments.csv")
	if _, statErr := os.Stat(comments); statErr == nil {
		err = readCSV(comments, commentsFields, sum, func(line int, f []string) error {
			if i, ok := byID[ofacField(f[0])]; ok {
				p.Entries[i].Remarks += ofacField(f[1])
			}
			return nil
		})
		if err != nil {
			return Parsed{}, err
		}
	}
	for i := range p.Entries {
		e := &p.Entries[i]
		for _, m := range ofacDOB.FindAllStringSubmatch(e.Remarks, -1) {
			if d, ok := listDate(m[1]); ok {
				e.DatesOfBirth = append(e.DatesOfBirth, d)
			}
		}
		e.Identifiers = append(e.Identifiers, ofacIdentifiers(e.Remarks)...)
		for _, m := range ofacNationality.FindAllStringSubmatch(e.Remarks, -1) {
			if code, ok := countryCode(strings.TrimSuffix(strings.TrimSpace(m[1]), ".")); ok {
				e.Countries = append(e.Countries, code)
			}
		}
	}
	p.Checksum = hexSum(sum)
	return p, nil
}

// ofacField is a field's value; OFAC writes -0- for an empty one.
func ofacField(s string) string {
	s = strings.TrimSpace(s)
	if s == "-0-" {
		return ""
	}
	return s
}

// readCSV reads one OFAC file, calling fn for each record with its line
// number. A record with the wrong number of fields, a broken quote or an
// error from fn stops the read with a FormatError naming the line.
func readCSV(path string, fields int, sum hash.Hash, fn func(line int, f []string) error) error {
	name := filepath.Base(path)
	b, err := readFile(path, sum)
	if err != nil {
		return err
	}
	// The files end with an MS-DOS end-of-file mark.
	b = bytes.TrimRight(b, "\x1a\r\n")
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = fields
	r.ReuseRecord = true
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				msg := pe.Err.Error()
				switch {
				case errors.Is(pe.Err, csv.ErrFieldCount):
					msg = fmt.Sprintf("wrong number of fields: want %d, got %d", fields, len(rec))
				case errors.Is(pe.Err, csv.ErrQuote):
					msg = "a quoted field is not closed (is the file cut short?)"
				}
				return &FormatError{File: name, Line: pe.StartLine, Msg: msg}
			}
			return fmt.Errorf("screening: read %s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		if err := fn(line, rec); err != nil {
			return &FormatError{File: name, Line: line, Msg: err.Error()}
		}
	}
	return nil
}
