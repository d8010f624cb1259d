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
	"strings"
	"time"
)

// The BIS Denied Persons List source.
var dplSource = Source{ID: "US_BIS_DPL", Name: "US BIS Denied Persons List", Kind: KindSanctions, Format: FormatDPL}

// The DPL's columns, by header name.
var dplColumns = []string{"Name", "Street_Address", "City", "State", "Country", "Postal_Code", "Effective_Date",
	"Expiration_Date", "Standard_Order", "Last_Update", "Action", "FR_Citation"}

// parseDPL reads the Denied Persons List: tab-separated, quoted, with a
// header row, one row per name and address. The list has no ids and
// repeats a name once per address, so the rows of one name are one entry,
// whose id is derived from the name.
func parseDPL(path string) (Parsed, error) {
	name := filepath.Base(path)
	sum := newChecksum()
	b, err := readFile(path, sum)
	if err != nil {
		return Parsed{}, err
	}
	p := Parsed{Source: dplSource, FileName: name, Checksum: hexSum(sum)}
	r := csv.NewReader(bytes.NewReader(bytes.TrimLeft(b, "\ufeff")))
	r.Comma = '\t'
	r.FieldsPerRecord = len(dplColumns)
	header, err := r.Read()
	if err != nil {
		return p, dplError(name, err)
	}
	for i, want := range dplColumns {
		if !strings.EqualFold(strings.TrimSpace(header[i]), want) {
			return p, &FormatError{File: name, Line: 1, Msg: fmt.Sprintf("column %d is %q, want %s", i+1, header[i], want)}
		}
	}
	byName := map[string]int{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return p, dplError(name, err)
		}
		line, _ := r.FieldPos(0)
		full := collapseSpace(rec[0])
		if full == "" {
			return p, &FormatError{File: name, Line: line, Msg: "a row without a Name"}
		}
		key := strings.ToUpper(full)
		i, seen := byName[key]
		if !seen {
			sum := sha256.Sum256([]byte(key))
			e := Entry{ID: "DPL-" + hex.EncodeToString(sum[:6]), Type: guessType(full), Name: full, Programs: []string{"DPL"}}
			i = len(p.Entries)
			byName[key] = i
			p.Entries = append(p.Entries, e)
		}
		e := &p.Entries[i]
		if code, ok := countryCode(rec[4]); ok {
			e.Countries = append(e.Countries, code)
		}
		if d, ok := usDate(rec[6]); ok && (e.ListedOn == "" || d < e.ListedOn) {
			e.ListedOn = d
		}
		if fr := strings.TrimSpace(rec[11]); fr != "" && !strings.Contains(e.Remarks, fr) {
			if e.Remarks != "" {
				e.Remarks += "; "
			}
			e.Remarks += fr
		}
		// The newest Last_Update is the list's date; the real file has a
		// typo in the future (3017), which is no date of it.
		if d := strings.TrimSpace(rec[9]); isoDate.MatchString(d) && d > p.Published && d <= time.Now().Format("2006-01-02") {
			p.Published = d
		}
	}
	return p, nil
}

func dplError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		msg := pe.Err.Error()
		switch {
		case errors.Is(pe.Err, csv.ErrFieldCount):
			msg = fmt.Sprintf("wrong number of fields: want %d", len(dplColumns))
		case errors.Is(pe.Err, csv.ErrQuote), errors.Is(pe.Err, csv.ErrBareQuote):
			msg = "a quoted field is not closed (is the file cut short?)"
		}
		return &FormatError{File: name, Line: pe.StartLine, Msg: msg}
	}
	if errors.Is(err, io.EOF) {
		return &FormatError{File: name, Msg: "the file is empty"}
	}
	return fmt.Errorf("screening: read %s: %w", name, err)
}

var usDateRe = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})$`)

// usDate turns an American MM/DD/YYYY date into ISO 8601.
func usDate(s string) (string, bool) {
	m := usDateRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", false
	}
	out := fmt.Sprintf("%s-%02s-%02s", m[3], m[1], m[2])
	out = strings.ReplaceAll(out, " ", "0")
	_, _, ok := parseISODate(out)
	return out, ok
}

// organisationWords are words that mark a name as a body's, for lists
// that do not say whether they name a person or a body.
var organisationWords = regexp.MustCompile(`(?i)\b(LTD|LIMITED|INC|INCORPORATED|LLC|L\.L\.C|CORP|CORPORATION|CO|COMPANY|GMBH|AG|S\.?A|SARL|S\.?R\.?L|B\.?V|N\.?V|PLC|LLP|LP|PTE|PVT|FZE|FZCO|JSC|OJSC|PJSC|OOO|ZAO|AO|TRADING|INDUSTRIES|INDUSTRY|INDUSTRIAL|ENTERPRISES?|INTERNATIONAL|GROUP|HOLDINGS?|AIRLINES?|AVIATION|LOGISTICS|TECHNOLOGY|TECHNOLOGIES|ELECTRONICS|SOLUTIONS|SERVICES|SYSTEMS|EXPORTS?|IMPORTS?|FREIGHT|SHIPPING|MARINE|BANK|INSTITUTE|UNIVERSITY|ACADEMY|LABORATORY|CENTER|CENTRE|FACTORY|PLANT|BUREAU|MINISTRY|AGENCY|ORGANI[SZ]ATION|ASSOCIATION|FOUNDATION|PARTNERS)\b`)

// guessType says whether a name is a body's or a person's, by its words.
func guessType(name string) EntryType {
	if organisationWords.MatchString(name) {
		return Entity
	}
	return Individual
}
