package screening

import (
	"strings"
)

// ofacIDLabels maps the labels OFAC's remarks give identifiers onto the
// identifier kinds, longest first so that "Vessel Registration
// Identification IMO" is read before "IMO". A label not here is left in
// the remarks only: "Phone Number" or "Government Gazette Number" identify
// no one.
var ofacIDLabels = []struct {
	label string
	kind  IdentifierKind
}{
	{"Vessel Registration Identification IMO", IMONumber},
	{"Vessel Registration Identification", RegistrationID},
	{"Digital Currency Address -", CryptoAddress},
	{"Other Vessel Call Sign", CallSign},
	{"Turkish Identification Number", NationalID},
	{"National Foreign ID Number", NationalID},
	{"Business Registration Number", RegistrationID},
	{"Commercial Registry Number", RegistrationID},
	{"Chamber of Commerce Number", RegistrationID},
	{"Travel Document Number", PassportNumber},
	{"Birth Certificate Number", OtherID},
	{"Aircraft Tail Number", OtherID},
	{"Registration Number", RegistrationID},
	{"Legal Entity Number", RegistrationID},
	{"UK Company Number", RegistrationID},
	{"Identification Number", OtherID},
	{"National ID No.", NationalID},
	{"Trade License No.", RegistrationID},
	{"Company Number", RegistrationID},
	{"Residency Number", OtherID},
	{"Kenyan ID No.", NationalID},
	{"V.A.T. Number", TaxID},
	{"Cedula No.", NationalID},
	{"Tax ID No.", TaxID},
	{"SWIFT/BIC", BIC},
	{"Passport", PassportNumber},
	{"IMO", IMONumber},
}

// ofacIdentifiers reads the identifiers out of an SDN entry's remarks,
// which list them among other facts, separated by semicolons:
// "DOB 1950; Passport 1084010 (Egypt); alt. Passport 19820215; IMO 9187629".
// The issuing country is the one in parentheses after the number, when
// there is one; "issued ..." and "expires ..." that may follow are dropped.
func ofacIdentifiers(remarks string) []Identifier {
	var out []Identifier
	for _, item := range strings.Split(remarks, ";") {
		item = strings.TrimSpace(item)
		item = strings.TrimPrefix(item, "alt. ")
		for _, l := range ofacIDLabels {
			rest, ok := strings.CutPrefix(item, l.label)
			if !ok || rest == "" || rest[0] != ' ' {
				continue
			}
			if id, ok := ofacIdentifier(l.kind, rest); ok {
				out = append(out, id)
			}
			break
		}
	}
	return out
}

func ofacIdentifier(kind IdentifierKind, rest string) (Identifier, bool) {
	rest = strings.TrimSpace(rest)
	if kind == CryptoAddress {
		// "XBT 12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h": a currency, then the address.
		_, addr, ok := strings.Cut(rest, " ")
		if !ok {
			return Identifier{}, false
		}
		addr = strings.TrimSuffix(strings.TrimSpace(addr), ".")
		return Identifier{Kind: kind, Value: addr}, NormaliseIdentifier(kind, addr) != ""
	}
	value, country := rest, ""
	for _, stop := range []string{" issued", " expires", " Expires", " valid"} {
		if i := strings.Index(value, stop); i >= 0 {
			value = value[:i]
		}
	}
	if i := strings.Index(value, " ("); i >= 0 {
		if j := strings.Index(value[i:], ")"); j > 0 {
			if code, ok := countryCode(value[i+2 : i+j]); ok {
				country = code
			}
		}
		value = value[:i]
	}
	value = strings.TrimSuffix(strings.TrimSpace(value), ".")
	// A number is digits, perhaps with letters; "Passport issued in Amman"
	// names none.
	if !strings.ContainsAny(value, "0123456789") {
		return Identifier{}, false
	}
	return Identifier{Kind: kind, Value: value, Country: country}, true
}

// unDocument is an INDIVIDUAL_DOCUMENT of the UN list.
type unDocument struct {
	Type    string `xml:"TYPE_OF_DOCUMENT"`
	Type2   string `xml:"TYPE_OF_DOCUMENT2"`
	Number  string `xml:"NUMBER"`
	Country string `xml:"ISSUING_COUNTRY"`
}

func (d unDocument) identifier() (Identifier, bool) {
	number := strings.TrimSpace(d.Number)
	if !strings.ContainsAny(number, "0123456789") {
		return Identifier{}, false
	}
	t := strings.ToLower(strings.TrimSpace(d.Type))
	kind := OtherID
	switch {
	case strings.Contains(t, "passport"), strings.Contains(t, "passeport"), strings.Contains(t, "pasaporte"):
		kind = PassportNumber
	case strings.Contains(t, "national identification"):
		kind = NationalID
	}
	country, _ := countryCode(d.Country)
	return Identifier{Kind: kind, Value: number, Country: country}, true
}

// senzingIdentifier is one element of a Senzing record's IDENTIFIERS.
type senzingIdentifier struct {
	PassportNumber  string `json:"PASSPORT_NUMBER"`
	PassportCountry string `json:"PASSPORT_COUNTRY"`
	NationalID      string `json:"NATIONAL_ID_NUMBER"`
	NationalCountry string `json:"NATIONAL_ID_COUNTRY"`
	TaxID           string `json:"TAX_ID_NUMBER"`
	TaxCountry      string `json:"TAX_ID_COUNTRY"`
	OtherType       string `json:"OTHER_ID_TYPE"`
	OtherNumber     string `json:"OTHER_ID_NUMBER"`
	OtherCountry    string `json:"OTHER_ID_COUNTRY"`
	TrustedType     string `json:"TRUSTED_ID_TYPE"`
	TrustedNumber   string `json:"TRUSTED_ID_NUMBER"`
}

// senzingOtherKinds maps OTHER_ID_TYPE values onto identifier kinds.
var senzingOtherKinds = map[string]IdentifierKind{
	"IMO": IMONumber, "SWIFT": BIC, "BIC": BIC, "SWIFT/BIC": BIC, "IBAN": IBAN,
	"CRYPTO": CryptoAddress, "CRYPTO_WALLET": CryptoAddress, "CALL_SIGN": CallSign,
	"REGISTRATION": RegistrationID, "REGISTRATION_NUMBER": RegistrationID, "LEI": RegistrationID,
}

func (s senzingIdentifier) identifiers(recordID string) []Identifier {
	var out []Identifier
	country := func(c string) string { code, _ := countryCode(c); return code }
	if s.PassportNumber != "" {
		out = append(out, Identifier{Kind: PassportNumber, Value: s.PassportNumber, Country: country(s.PassportCountry)})
	}
	if s.NationalID != "" {
		out = append(out, Identifier{Kind: NationalID, Value: s.NationalID, Country: country(s.NationalCountry)})
	}
	if s.TaxID != "" {
		out = append(out, Identifier{Kind: TaxID, Value: s.TaxID, Country: country(s.TaxCountry)})
	}
	// OpenSanctions gives each record its own id as OTHER_ID_TYPE
	// OPEN_SANCTIONS: that is the RECORD_ID again, not a document.
	if s.OtherNumber != "" && !strings.EqualFold(s.OtherType, "OPEN_SANCTIONS") && s.OtherNumber != recordID {
		kind, ok := senzingOtherKinds[strings.ToUpper(strings.TrimSpace(s.OtherType))]
		if !ok {
			kind = OtherID
		}
		out = append(out, Identifier{Kind: kind, Value: s.OtherNumber, Country: country(s.OtherCountry)})
	}
	// A Wikidata id names one person across all of OpenSanctions' sources:
	// kept, so that the same person on two lists is seen as one.
	if s.TrustedNumber != "" && strings.EqualFold(s.TrustedType, "WIKIDATA") {
		out = append(out, Identifier{Kind: OtherID, Value: s.TrustedNumber, Country: ""})
	}
	return out
}
