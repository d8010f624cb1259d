package screening

import (
	"slices"
	"strings"
	"unicode"
)

// IdentifierKind is what an identifier on a list (or given by a customer)
// is: a passport number is only ever compared with a passport number.
type IdentifierKind string

// The identifier kinds. Parsers map their lists' own words onto these.
const (
	PassportNumber IdentifierKind = "PASSPORT"
	NationalID     IdentifierKind = "NATIONAL_ID"
	TaxID          IdentifierKind = "TAX_ID"
	IMONumber      IdentifierKind = "IMO"
	CallSign       IdentifierKind = "CALL_SIGN"
	BIC            IdentifierKind = "BIC"
	IBAN           IdentifierKind = "IBAN"
	CryptoAddress  IdentifierKind = "CRYPTO_ADDRESS"
	RegistrationID IdentifierKind = "REGISTRATION"
	OtherID        IdentifierKind = "OTHER"
)

// Identifier is one document number or code of an entry. Value is kept
// normalised (see NormaliseIdentifier); Country is the issuing country's
// ISO 3166-1 alpha-2 code when known.
type Identifier struct {
	Kind    IdentifierKind
	Value   string
	Country string
}

// NormaliseIdentifier reduces an identifier to the characters that carry
// it: letters and digits, upper case. "AB 123-456" and "ab123456" are one
// number; an IMO number loses its "IMO" prefix. Crypto addresses are case-sensitive in some currencies, so they
// keep their case.
func NormaliseIdentifier(kind IdentifierKind, v string) string {
	var b strings.Builder
	for _, r := range v {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if kind != CryptoAddress {
				r = unicode.ToUpper(r)
			}
			b.WriteRune(r)
		}
	}
	out := b.String()
	if kind == IMONumber {
		// "IMO 9187629" and "9187629" are one ship.
		out = strings.TrimPrefix(out, "IMO")
	}
	return out
}

// String is the identifier as stored: "KIND:COUNTRY:VALUE".
func (id Identifier) String() string {
	return string(id.Kind) + ":" + id.Country + ":" + id.Value
}

func identifierStrings(ids []Identifier) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

func parseIdentifierStrings(xs []string) []Identifier {
	var out []Identifier
	for _, x := range xs {
		kind, rest, ok := strings.Cut(x, ":")
		if !ok {
			continue
		}
		country, value, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		out = append(out, Identifier{Kind: IdentifierKind(kind), Country: country, Value: value})
	}
	return out
}

// tidyIdentifiers normalises values and drops empty and repeated ones.
func tidyIdentifiers(ids []Identifier) []Identifier {
	out := make([]Identifier, 0, len(ids))
	for _, id := range ids {
		id.Value = NormaliseIdentifier(id.Kind, id.Value)
		id.Country = strings.ToUpper(strings.TrimSpace(id.Country))
		if len(id.Country) == 3 { // an MRZ's issuing state
			id.Country, _ = countryCode(id.Country)
		}
		if id.Kind == "" {
			id.Kind = OtherID
		}
		if id.Value != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
