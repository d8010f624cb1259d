package screening

import (
	"encoding/xml"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// The UK Sanctions List source, published by the Foreign, Commonwealth &
// Development Office: every UK designation (financial, trade, transport,
// immigration sanctions).
var ukSource = Source{ID: "UK_SANCTIONS_LIST", Name: "UK Sanctions List", Kind: KindSanctions, Format: FormatUK}

// ukName is one of a designation's names, in up to six parts (Name6 is
// the family name, or a body's whole name).
type ukName struct {
	Parts [6]string
	Type  string
}

func (n *ukName) UnmarshalXML(dec *xml.Decoder, start xml.StartElement) error {
	var raw struct {
		Name1, Name2, Name3, Name4, Name5, Name6 string
		NameType                                 string
	}
	if err := dec.DecodeElement(&raw, &start); err != nil {
		return err
	}
	n.Parts = [6]string{raw.Name1, raw.Name2, raw.Name3, raw.Name4, raw.Name5, raw.Name6}
	n.Type = raw.NameType
	return nil
}

func (n ukName) full() string { return collapseSpace(strings.Join(n.Parts[:], " ")) }

// ukDesignation holds the parts of a Designation that matter here.
type ukDesignation struct {
	UniqueID         string   `xml:"UniqueID"`
	DateDesignated   string   `xml:"DateDesignated"`
	LastUpdated      string   `xml:"LastUpdated"`
	UNReference      string   `xml:"UNReferenceNumber"`
	Names            []ukName `xml:"Names>Name"`
	NonLatinNames    []string `xml:"NonLatinNames>NonLatinName>NameNonLatinScript"`
	RegimeName       string   `xml:"RegimeName"`
	Kind             string   `xml:"IndividualEntityShip"`
	SanctionsImposed string   `xml:"SanctionsImposed"`
	OtherInformation string   `xml:"OtherInformation"`
	AddressCountries []string `xml:"Addresses>Address>AddressCountry"`
	Individuals      []struct {
		DOBs          []string `xml:"DOBs>DOB"`
		Nationalities []string `xml:"Nationalities>Nationality"`
		Passports     []struct {
			Number string `xml:"PassportNumber"`
			Info   string `xml:"PassportAdditionalInformation"`
		} `xml:"PassportDetails>PassportDetail"`
		NationalIDs []struct {
			Number string `xml:"NationalIdentifierNumber"`
			Info   string `xml:"NationalIdentifierAdditionalInformation"`
		} `xml:"NationalIdentifierDetails>NationalIdentifier"`
	} `xml:"IndividualDetails>Individual"`
	Entities []struct {
		RegistrationNumbers []string `xml:"RegistrationNumbers>RegistrationNumber"`
	} `xml:"EntityDetails>Entity"`
	Ships []struct {
		IMONumbers []string `xml:"IMONumbers>IMONumber"`
		Flags      []string `xml:"CurrentBelievedFlagOfShips>CurrentBelievedFlagOfShip"`
	} `xml:"ShipDetails>Ship"`
}

// parseUK reads the UK Sanctions List XML: a Designations root with the
// date it was generated and one Designation per person, body or ship.
func parseUK(path string) (Parsed, error) {
	name := filepath.Base(path)
	sum := newChecksum()
	b, err := readFile(path, sum)
	if err != nil {
		return Parsed{}, err
	}
	p := Parsed{Source: ukSource, FileName: name, Checksum: hexSum(sum)}
	err = walkXML(name, b, "Designations", nil, map[string]func(*xml.Decoder, xml.StartElement) error{
		"DateGenerated": func(dec *xml.Decoder, start xml.StartElement) error {
			var s string
			if err := dec.DecodeElement(&s, &start); err != nil {
				return err
			}
			if d, ok := ukDate(s); ok {
				p.Published = d
			}
			return nil
		},
		"Designation": func(dec *xml.Decoder, start xml.StartElement) error {
			var r ukDesignation
			if err := dec.DecodeElement(&r, &start); err != nil {
				return err
			}
			e, err := r.entry()
			if err != nil {
				return err
			}
			p.Entries = append(p.Entries, e)
			return nil
		},
	})
	return p, err
}

func (r ukDesignation) entry() (Entry, error) {
	id := strings.TrimSpace(r.UniqueID)
	if id == "" {
		return Entry{}, errors.New("a Designation without UniqueID")
	}
	e := Entry{ID: id, Remarks: strings.TrimSpace(r.OtherInformation)}
	switch k := strings.ToLower(strings.TrimSpace(r.Kind)); k {
	case "individual":
		e.Type = Individual
	case "entity":
		e.Type = Entity
	case "ship":
		e.Type = Vessel
	default:
		return Entry{}, fmt.Errorf("designation %s: unknown IndividualEntityShip %q", id, r.Kind)
	}
	for _, n := range r.Names {
		full := n.full()
		if full == "" {
			continue
		}
		if e.Name == "" && strings.EqualFold(strings.TrimSpace(n.Type), "Primary Name") {
			e.Name = full
			continue
		}
		e.Aliases = append(e.Aliases, full)
	}
	if e.Name == "" && len(e.Aliases) > 0 {
		e.Name, e.Aliases = e.Aliases[0], e.Aliases[1:]
	}
	if e.Name == "" {
		return Entry{}, fmt.Errorf("designation %s has no name", id)
	}
	e.Aliases = append(e.Aliases, r.NonLatinNames...)
	if reg := strings.TrimSpace(r.RegimeName); reg != "" {
		e.Programs = append(e.Programs, reg)
	}
	if d, ok := ukDate(r.DateDesignated); ok {
		e.ListedOn = d
	}
	for _, c := range r.AddressCountries {
		if code, ok := countryCode(c); ok {
			e.Countries = append(e.Countries, code)
		}
	}
	for _, ind := range r.Individuals {
		for _, d := range ind.DOBs {
			if s, ok := ukDate(d); ok {
				e.DatesOfBirth = append(e.DatesOfBirth, s)
			}
		}
		for _, n := range ind.Nationalities {
			if code, ok := countryCode(n); ok {
				e.Countries = append(e.Countries, code)
			}
		}
		for _, pp := range ind.Passports {
			e.Identifiers = append(e.Identifiers, Identifier{Kind: PassportNumber, Value: pp.Number, Country: infoCountry(pp.Info)})
		}
		for _, n := range ind.NationalIDs {
			e.Identifiers = append(e.Identifiers, Identifier{Kind: NationalID, Value: n.Number, Country: infoCountry(n.Info)})
		}
	}
	for _, ent := range r.Entities {
		for _, n := range ent.RegistrationNumbers {
			e.Identifiers = append(e.Identifiers, Identifier{Kind: RegistrationID, Value: n})
		}
	}
	for _, s := range r.Ships {
		for _, n := range s.IMONumbers {
			e.Identifiers = append(e.Identifiers, Identifier{Kind: IMONumber, Value: n})
		}
		for _, f := range s.Flags {
			if code, ok := countryCode(f); ok {
				e.Countries = append(e.Countries, code)
			}
		}
	}
	return e, nil
}

// infoCountry finds the issuing country in a document's additional
// information ("Iran", "issued by Russia"), when it names one.
func infoCountry(s string) string {
	if code, ok := countryCode(strings.Trim(strings.TrimSpace(s), "()")); ok {
		return code
	}
	return ""
}

// ukDate reads a UK list date, DD/MM/YYYY, where an unknown day or month
// is written dd or mm: "dd/mm/1950" is 1950, "dd/07/1950" July 1950.
func ukDate(s string) (string, bool) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) != 3 {
		return anyListDate(s)
	}
	year := strings.TrimSpace(parts[2])
	if len(year) > 4 {
		year = year[:4] // some carry a time
	}
	if _, err := strconv.Atoi(year); err != nil || len(year) != 4 {
		return "", false
	}
	out := year
	if m, err := strconv.Atoi(parts[1]); err == nil {
		out += fmt.Sprintf("-%02d", m)
		if d, err := strconv.Atoi(parts[0]); err == nil {
			out += fmt.Sprintf("-%02d", d)
		}
	}
	_, _, ok := parseISODate(out)
	return out, ok
}
