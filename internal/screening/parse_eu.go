package screening

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// The EU financial sanctions source: the Commission's consolidated list
// of persons, groups and entities subject to EU financial sanctions.
var euSource = Source{ID: "EU_FSF", Name: "EU Financial Sanctions (consolidated list)", Kind: KindSanctions, Format: FormatEU}

// euEntity holds the parts of a sanctionEntity of the FSF XML export
// (namespace http://eu.europa.ec/fpi/fsd/export) that matter here.
type euEntity struct {
	LogicalID   string   `xml:"logicalId,attr"`
	EURef       string   `xml:"euReferenceNumber,attr"`
	UNID        string   `xml:"unitedNationId,attr"`
	Designation string   `xml:"designationDate,attr"`
	Remark      []string `xml:"remark"`
	Regulations []struct {
		Programme       string `xml:"programme,attr"`
		PublicationDate string `xml:"publicationDate,attr"`
		EntryIntoForce  string `xml:"entryIntoForceDate,attr"`
		NumberTitle     string `xml:"numberTitle,attr"`
	} `xml:"regulation"`
	SubjectType struct {
		Code string `xml:"code,attr"`
	} `xml:"subjectType"`
	Names []struct {
		Whole  string `xml:"wholeName,attr"`
		First  string `xml:"firstName,attr"`
		Middle string `xml:"middleName,attr"`
		Last   string `xml:"lastName,attr"`
		Strong string `xml:"strong,attr"`
	} `xml:"nameAlias"`
	Citizenships []struct {
		Country string `xml:"countryIso2Code,attr"`
	} `xml:"citizenship"`
	Births []struct {
		Date    string `xml:"birthdate,attr"`
		Year    string `xml:"year,attr"`
		Month   string `xml:"monthOfYear,attr"`
		Day     string `xml:"dayOfMonth,attr"`
		Circa   string `xml:"circa,attr"`
		Country string `xml:"countryIso2Code,attr"`
	} `xml:"birthdate"`
	Identifications []struct {
		Number     string `xml:"number,attr"`
		Latin      string `xml:"latinNumber,attr"`
		TypeCode   string `xml:"identificationTypeCode,attr"`
		TypeDesc   string `xml:"identificationTypeDescription,attr"`
		Country    string `xml:"countryIso2Code,attr"`
		KnownFalse string `xml:"knownFalse,attr"`
	} `xml:"identification"`
	Addresses []struct {
		Country string `xml:"countryIso2Code,attr"`
	} `xml:"address"`
}

// parseEU reads the EU financial sanctions file (FSF) XML: an export root
// holding one sanctionEntity per listed person, group or entity.
func parseEU(path string) (Parsed, error) {
	name := filepath.Base(path)
	sum := newChecksum()
	b, err := readFile(path, sum)
	if err != nil {
		return Parsed{}, err
	}
	p := Parsed{Source: euSource, FileName: name, Checksum: hexSum(sum)}
	err = walkXML(name, b, "export", func(root xml.StartElement) {
		for _, a := range root.Attr {
			if a.Name.Local == "generationDate" {
				p.Published, _ = anyListDate(a.Value)
			}
		}
	}, map[string]func(*xml.Decoder, xml.StartElement) error{"sanctionEntity": func(dec *xml.Decoder, start xml.StartElement) error {
		var r euEntity
		if err := dec.DecodeElement(&r, &start); err != nil {
			return err
		}
		e, err := r.entry()
		if err != nil {
			return err
		}
		p.Entries = append(p.Entries, e)
		return nil
	}})
	return p, err
}

func (r euEntity) entry() (Entry, error) {
	id := strings.TrimSpace(r.LogicalID)
	if id == "" {
		return Entry{}, errors.New("a sanctionEntity without logicalId")
	}
	e := Entry{ID: id}
	switch c := strings.ToLower(strings.TrimSpace(r.SubjectType.Code)); c {
	case "person":
		e.Type = Individual
	case "enterprise", "entity", "organisation", "organization", "":
		e.Type = Entity
	case "vessel":
		e.Type = Vessel
	case "aircraft":
		e.Type = Aircraft
	default:
		return Entry{}, fmt.Errorf("sanctionEntity %s: unknown subjectType %q", id, c)
	}
	for _, n := range r.Names {
		full := strings.TrimSpace(n.Whole)
		if full == "" {
			full = collapseSpace(n.First + " " + n.Middle + " " + n.Last)
		}
		if full == "" {
			continue
		}
		// The first strong name is the entry's name; weak ones (too vague
		// to identify anyone, as the EU marks them) are kept when they have
		// two words or more.
		switch {
		case e.Name == "" && n.Strong != "false":
			e.Name = full
		case n.Strong == "false" && len(strings.Fields(full)) < 2:
		default:
			e.Aliases = append(e.Aliases, full)
		}
	}
	if e.Name == "" && len(e.Aliases) > 0 {
		e.Name, e.Aliases = e.Aliases[0], e.Aliases[1:]
	}
	if e.Name == "" {
		return Entry{}, fmt.Errorf("sanctionEntity %s has no name", id)
	}
	for _, c := range r.Citizenships {
		if code, ok := countryCode(c.Country); ok {
			e.Countries = append(e.Countries, code)
		}
	}
	for _, a := range r.Addresses {
		if code, ok := countryCode(a.Country); ok {
			e.Countries = append(e.Countries, code)
		}
	}
	for _, bd := range r.Births {
		d := strings.TrimSpace(bd.Date)
		if d == "" && bd.Year != "" {
			d = bd.Year
			if bd.Month != "" {
				d += fmt.Sprintf("-%02s", bd.Month)
				d = strings.ReplaceAll(d, " ", "0")
			}
		}
		if s, ok := anyListDate(d); ok {
			if bd.Circa == "true" {
				s = "~" + s
			}
			e.DatesOfBirth = append(e.DatesOfBirth, s)
		}
	}
	for _, doc := range r.Identifications {
		if doc.KnownFalse == "true" {
			continue
		}
		number := strings.TrimSpace(doc.Latin)
		if number == "" {
			number = strings.TrimSpace(doc.Number)
		}
		kind, ok := identifierKind(doc.TypeDesc)
		if code, known := euIDTypes[strings.ToLower(doc.TypeCode)]; known {
			kind, ok = code, true
		}
		if ok && number != "" {
			e.Identifiers = append(e.Identifiers, Identifier{Kind: kind, Value: number, Country: doc.Country})
		}
	}
	var remarks []string
	for _, s := range r.Remark {
		if s = strings.TrimSpace(s); s != "" {
			remarks = append(remarks, s)
		}
	}
	for _, reg := range r.Regulations {
		if prog := strings.TrimSpace(reg.Programme); prog != "" {
			e.Programs = append(e.Programs, prog)
		}
		if d, ok := anyListDate(reg.PublicationDate); ok && (e.ListedOn == "" || d < e.ListedOn) {
			e.ListedOn = d
		}
	}
	if d, ok := anyListDate(r.Designation); ok {
		e.ListedOn = d
	}
	if ref := strings.TrimSpace(r.EURef); ref != "" {
		remarks = append([]string{"EU reference " + ref}, remarks...)
	}
	e.Remarks = strings.Join(remarks, "; ")
	return e, nil
}

// euIDTypes maps the FSF's identificationTypeCode onto identifier kinds.
var euIDTypes = map[string]IdentifierKind{
	"passport": PassportNumber, "id": NationalID, "nationalid": NationalID, "ssn": NationalID,
	"tax": TaxID, "fiscalcode": TaxID, "swiftbic": BIC, "regnumber": RegistrationID, "imo": IMONumber,
}

// walkXML checks that b is one element named root, tells onRoot its
// start, and hands each element named in items to its function to decode. A broken
// or cut-short file is a FormatError naming the line.
func walkXML(name string, b []byte, root string, onRoot func(xml.StartElement), items map[string]func(*xml.Decoder, xml.StartElement) error) error {
	dec := xml.NewDecoder(bytes.NewReader(b))
	fail := func(err error) error {
		line, _ := dec.InputPos()
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return &FormatError{File: name, Line: se.Line, Msg: "broken XML: " + se.Msg}
		}
		return &FormatError{File: name, Line: line, Msg: err.Error()}
	}
	depth, sawRoot, closed := 0, false, false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if sawRoot {
					return fail(errors.New("a second root element"))
				}
				if t.Name.Local != root {
					return fail(fmt.Errorf("root element is %s, want %s", t.Name.Local, root))
				}
				sawRoot = true
				if onRoot != nil {
					onRoot(t)
				}
			}
			if onItem := items[t.Name.Local]; depth > 0 && onItem != nil {
				line, _ := dec.InputPos()
				if err := onItem(dec, t); err != nil {
					var se *xml.SyntaxError
					if errors.As(err, &se) {
						return fail(err)
					}
					return &FormatError{File: name, Line: line, Msg: err.Error()}
				}
				continue // the item's end element is consumed
			}
			depth++
		case xml.EndElement:
			depth--
			if depth == 0 {
				closed = true
			}
		}
	}
	if !closed {
		line, _ := dec.InputPos()
		return &FormatError{File: name, Line: line, Msg: fmt.Sprintf("the file ends before %s is closed (is it cut short?)", root)}
	}
	return nil
}
