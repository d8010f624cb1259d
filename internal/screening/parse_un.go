package screening

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// The UN source.
var unSource = Source{ID: "UN_CONSOLIDATED", Name: "UN Security Council Consolidated List", Kind: KindSanctions, Format: FormatUN}

type unAlias struct {
	Quality string `xml:"QUALITY"`
	Name    string `xml:"ALIAS_NAME"`
}

type unAddress struct {
	Country string `xml:"COUNTRY"`
}

type unDate struct {
	Type     string `xml:"TYPE_OF_DATE"`
	Date     string `xml:"DATE"`
	Year     string `xml:"YEAR"`
	FromYear string `xml:"FROM_YEAR"`
	ToYear   string `xml:"TO_YEAR"`
}

// unRecord holds the fields an INDIVIDUAL or an ENTITY may have.
type unRecord struct {
	DataID         string      `xml:"DATAID"`
	First          string      `xml:"FIRST_NAME"`
	Second         string      `xml:"SECOND_NAME"`
	Third          string      `xml:"THIRD_NAME"`
	Fourth         string      `xml:"FOURTH_NAME"`
	ListType       string      `xml:"UN_LIST_TYPE"`
	Reference      string      `xml:"REFERENCE_NUMBER"`
	Comments       string      `xml:"COMMENTS1"`
	OriginalScript string      `xml:"NAME_ORIGINAL_SCRIPT"`
	Nationalities  []string    `xml:"NATIONALITY>VALUE"`
	IndAliases     []unAlias   `xml:"INDIVIDUAL_ALIAS"`
	EntAliases     []unAlias   `xml:"ENTITY_ALIAS"`
	IndAddresses   []unAddress `xml:"INDIVIDUAL_ADDRESS"`
	EntAddresses   []unAddress `xml:"ENTITY_ADDRESS"`
	Births         []unDate    `xml:"INDIVIDUAL_DATE_OF_BIRTH"`
}

func parseUN(path string) (Parsed, error) {
	name := filepath.Base(path)
	sum := newChecksum()
	b, err := readFile(path, sum)
	if err != nil {
		return Parsed{}, err
	}
	p := Parsed{Source: unSource, FileName: name, Checksum: hexSum(sum)}
	dec := xml.NewDecoder(bytes.NewReader(b))
	fail := func(err error) error {
		line, _ := dec.InputPos()
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return &FormatError{File: name, Line: se.Line, Msg: "broken XML: " + se.Msg}
		}
		return &FormatError{File: name, Line: line, Msg: err.Error()}
	}
	depth, rootClosed, sawRoot := 0, false, false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Parsed{}, fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if sawRoot {
					return Parsed{}, fail(errors.New("a second root element"))
				}
				if t.Name.Local != "CONSOLIDATED_LIST" {
					return Parsed{}, fail(fmt.Errorf("root element is %s, want CONSOLIDATED_LIST", t.Name.Local))
				}
				sawRoot = true
				for _, a := range t.Attr {
					if a.Name.Local == "dateGenerated" {
						if at, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(a.Value)); err == nil {
							at = at.UTC()
							p.PublishedAt = &at
						}
					}
				}
			}
			if t.Name.Local == "INDIVIDUAL" || t.Name.Local == "ENTITY" {
				line, _ := dec.InputPos()
				var rec unRecord
				if err := dec.DecodeElement(&rec, &t); err != nil {
					return Parsed{}, fail(err)
				}
				e, err := rec.entry(t.Name.Local == "INDIVIDUAL")
				if err != nil {
					return Parsed{}, &FormatError{File: name, Line: line, Msg: err.Error()}
				}
				p.Entries = append(p.Entries, e)
				continue // DecodeElement consumed the end element
			}
			depth++
		case xml.EndElement:
			depth--
			if depth == 0 {
				rootClosed = true
			}
		}
	}
	if !rootClosed {
		line, _ := dec.InputPos()
		return Parsed{}, &FormatError{File: name, Line: line, Msg: "the file ends before CONSOLIDATED_LIST is closed (is it cut short?)"}
	}
	return p, nil
}

func (r unRecord) entry(individual bool) (Entry, error) {
	id := strings.TrimSpace(r.DataID)
	if id == "" {
		return Entry{}, errors.New("a record without DATAID")
	}
	name := strings.Join(strings.Fields(strings.Join([]string{r.First, r.Second, r.Third, r.Fourth}, " ")), " ")
	if name == "" {
		return Entry{}, fmt.Errorf("DATAID %s has no name", id)
	}
	e := Entry{ID: id, Type: Entity, Name: name, Remarks: strings.TrimSpace(r.Comments)}
	aliases, addresses := r.EntAliases, r.EntAddresses
	if individual {
		e.Type = Individual
		aliases, addresses = r.IndAliases, r.IndAddresses
	}
	for _, a := range aliases {
		// The UN marks some aliases as of low quality: too vague to identify
		// anyone. A single word of low quality ("Mohammad") would match half
		// the world, so those are left out.
		if strings.EqualFold(strings.TrimSpace(a.Quality), "Low") && len(strings.Fields(a.Name)) < 2 {
			continue
		}
		e.Aliases = append(e.Aliases, a.Name)
	}
	if r.OriginalScript != "" {
		e.Aliases = append(e.Aliases, r.OriginalScript)
	}
	if r.ListType != "" {
		e.Programs = append(e.Programs, strings.TrimSpace(r.ListType))
	}
	for _, n := range r.Nationalities {
		if code, ok := countryCode(n); ok {
			e.Countries = append(e.Countries, code)
		}
	}
	for _, a := range addresses {
		if code, ok := countryCode(a.Country); ok {
			e.Countries = append(e.Countries, code)
		}
	}
	for _, d := range r.Births {
		if s, ok := d.iso(); ok {
			e.DatesOfBirth = append(e.DatesOfBirth, s)
		}
	}
	return e, nil
}

// iso turns a UN date of birth into the stored form.
func (d unDate) iso() (string, bool) {
	date := strings.TrimSpace(d.Date)
	if len(date) > 10 {
		date = date[:10] // some carry a time
	}
	year := strings.TrimSpace(d.Year)
	var s string
	switch {
	case strings.TrimSpace(d.FromYear) != "" && strings.TrimSpace(d.ToYear) != "":
		s = strings.TrimSpace(d.FromYear) + "/" + strings.TrimSpace(d.ToYear)
	case date != "":
		s = date
	case year != "":
		s = year
	default:
		return "", false
	}
	if strings.EqualFold(strings.TrimSpace(d.Type), "APPROXIMATELY") {
		s = "~" + s
	}
	_, ok := parseDate(s)
	return s, ok
}
