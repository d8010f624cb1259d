package screening

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// senzingRecord holds the fields of Senzing's entity format that matter
// here; the format has many more.
type senzingRecord struct {
	DataSource string `json:"DATA_SOURCE"`
	RecordID   string `json:"RECORD_ID"`
	RecordType string `json:"RECORD_TYPE"`
	Names      []struct {
		Type   string `json:"NAME_TYPE"`
		Full   string `json:"NAME_FULL"`
		First  string `json:"NAME_FIRST"`
		Middle string `json:"NAME_MIDDLE"`
		Last   string `json:"NAME_LAST"`
		Org    string `json:"NAME_ORG"`
	} `json:"NAMES"`
	Dates []struct {
		DateOfBirth string `json:"DATE_OF_BIRTH"`
	} `json:"DATES"`
	Countries []struct {
		Nationality  string `json:"NATIONALITY"`
		Citizenship  string `json:"CITIZENSHIP"`
		Registration string `json:"REGISTRATION_COUNTRY"`
	} `json:"COUNTRIES"`
	Addresses []struct {
		Country string `json:"ADDR_COUNTRY"`
	} `json:"ADDRESSES"`
	Risks []struct {
		Topic string `json:"TOPIC"`
	} `json:"RISKS"`
	Identifiers []senzingIdentifier `json:"IDENTIFIERS"`
	// Senzing allows identifiers at the top level of a record too.
	senzingIdentifier
}

// maxSenzingLine bounds one JSON line.
const maxSenzingLine = 16 << 20

func parseSenzing(path string) (Parsed, error) { return parseSenzingAs(path, Source{}) }

// parseSenzingAs reads a Senzing file as the source as, when given: a
// collection (OpenSanctions' default export) mixes the DATA_SOURCEs of
// its datasets, each kept as its entries' first program.
func parseSenzingAs(path string, as Source) (Parsed, error) {
	name := filepath.Base(path)
	sum := newChecksum()
	b, err := readFile(path, sum)
	if err != nil {
		return Parsed{}, err
	}
	p := Parsed{FileName: name, Checksum: hexSum(sum)}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), maxSenzingLine)
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var r senzingRecord
		if err := json.Unmarshal(text, &r); err != nil {
			return p, &FormatError{File: name, Line: line, Msg: "broken JSON: " + err.Error()}
		}
		e, err := r.entry()
		if err != nil {
			return p, &FormatError{File: name, Line: line, Msg: err.Error()}
		}
		src := sourceID(r.DataSource)
		switch {
		case as.ID != "":
			p.Source = as
			if src != "" {
				e.Programs = append([]string{src}, e.Programs...)
			}
			p.Entries = append(p.Entries, e)
			continue
		case src == "":
			return p, &FormatError{File: name, Line: line, Msg: "no DATA_SOURCE"}
		case p.Source.ID == "":
			p.Source = Source{ID: src, Name: strings.TrimSpace(r.DataSource), Kind: KindSanctions, Format: FormatSenzing}
		case p.Source.ID != src:
			return p, &FormatError{File: name, Line: line, Msg: fmt.Sprintf("DATA_SOURCE %q differs from the file's first record (%q): load one source at a time", r.DataSource, p.Source.Name)}
		}
		for _, risk := range r.Risks {
			if strings.HasPrefix(risk.Topic, "role.pep") {
				p.Source.Kind = KindPEP
			}
		}
		p.Entries = append(p.Entries, e)
	}
	if err := sc.Err(); err != nil {
		return p, &FormatError{File: name, Msg: err.Error()}
	}
	return p, nil
}

func (r senzingRecord) entry() (Entry, error) {
	id := strings.TrimSpace(r.RecordID)
	if id == "" {
		return Entry{}, errors.New("no RECORD_ID")
	}
	e := Entry{ID: id}
	switch strings.ToUpper(strings.TrimSpace(r.RecordType)) {
	case "PERSON", "":
		e.Type = Individual
	case "ORGANIZATION", "ORGANISATION", "COMPANY":
		e.Type = Entity
	case "VESSEL":
		e.Type = Vessel
	case "AIRCRAFT":
		e.Type = Aircraft
	default:
		return Entry{}, fmt.Errorf("RECORD_ID %s: unknown RECORD_TYPE %q", id, r.RecordType)
	}
	// The first PRIMARY name is the entry's name, every other one an alias.
	var names []string
	primary := -1
	for _, n := range r.Names {
		full := strings.TrimSpace(n.Full)
		if full == "" {
			full = strings.TrimSpace(n.Org)
		}
		if full == "" {
			full = strings.Join(strings.Fields(n.First+" "+n.Middle+" "+n.Last), " ")
		}
		if full == "" {
			continue
		}
		if primary < 0 && strings.EqualFold(n.Type, "PRIMARY") {
			primary = len(names)
		}
		names = append(names, full)
	}
	if primary < 0 {
		primary = 0
	}
	for i, n := range names {
		if i == primary {
			e.Name = n
		} else {
			e.Aliases = append(e.Aliases, n)
		}
	}
	if e.Name == "" {
		return Entry{}, fmt.Errorf("RECORD_ID %s has no name", id)
	}
	for _, d := range r.Dates {
		if s := strings.TrimSpace(d.DateOfBirth); s != "" {
			if _, ok := parseDate(s); ok {
				e.DatesOfBirth = append(e.DatesOfBirth, s)
			}
		}
	}
	for _, c := range r.Countries {
		for _, v := range []string{c.Nationality, c.Citizenship, c.Registration} {
			if code, ok := countryCode(v); ok {
				e.Countries = append(e.Countries, code)
			}
		}
	}
	for _, a := range r.Addresses {
		if code, ok := countryCode(a.Country); ok {
			e.Countries = append(e.Countries, code)
		}
	}
	for _, risk := range r.Risks {
		e.Programs = append(e.Programs, risk.Topic)
	}
	for _, x := range append([]senzingIdentifier{r.senzingIdentifier}, r.Identifiers...) {
		e.Identifiers = append(e.Identifiers, x.identifiers(id)...)
	}
	return e, nil
}
