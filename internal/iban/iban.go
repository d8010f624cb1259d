// Package iban builds and checks International Bank Account Numbers
// (ISO 13616): the mod-97 check digits, the length each country uses, and
// the construction of a new IBAN from a tenant's country and bank code.
package iban

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// lengths is the IBAN length of each country that uses one (the SWIFT
// IBAN registry). A country missing here is checked against the general
// bounds of 15 to 34 characters.
var lengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
	"CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24,
	"FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21,
	"HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21,
	"LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30,
	"NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
	"SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}

var shape = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$`)

// Normalize removes spaces and upper-cases s, as IBANs are compared.
func Normalize(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// Valid reports whether s (spaces allowed) is a well-formed IBAN: the
// country's length and check digits that make the whole number
// congruent to 1 modulo 97.
func Valid(s string) bool {
	s = Normalize(s)
	if !shape.MatchString(s) || len(s) > 34 {
		return false
	}
	if n, ok := lengths[s[:2]]; ok && len(s) != n {
		return false
	}
	return mod97(s[4:]+s[:4]) == 1
}

// CheckDigits are the two digits that make country + digits + bban a
// valid IBAN: 98 minus the remainder of bban + country + "00" modulo 97.
func CheckDigits(country, bban string) string {
	return fmt.Sprintf("%02d", 98-mod97(strings.ToUpper(bban+country)+"00"))
}

// mod97 is the remainder modulo 97 of s read as a number with letters
// worth 10 (A) to 35 (Z), computed piecewise so any length fits.
func mod97(s string) int {
	r := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			r = (r*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			r = (r*100 + int(c-'A') + 10) % 97
		default:
			return -1
		}
	}
	return r
}

// Format groups an IBAN in blocks of four, as it is printed.
func Format(s string) string {
	s = Normalize(s)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Scheme is how this product builds the basic bank account number (BBAN)
// of one country: the tenant's bank code followed by an account number.
// Only countries whose BBAN carries no national check digit are offered,
// so that every IBAN built is valid without a bank's own algorithm.
type Scheme struct {
	Country string
	// BankCode is the tenant setting's format; BankCodeDoc says it in words.
	BankCode    *regexp.Regexp
	BankCodeDoc string
	// AccountDigits is the length of the account number drawn for a new
	// IBAN.
	AccountDigits int
}

// Schemes are the countries IBANs can be built for:
//
//	GB, IE  bank code = 4-letter bank identifier + 6-digit sort code (e.g. WEST123456), account 8 digits
//	DE      bank code = 8-digit Bankleitzahl (e.g. 37040044), account 10 digits
//	NL      bank code = 4-letter bank identifier (e.g. ABNA), account 10 digits
//	AT      bank code = 5-digit Bankleitzahl, account 11 digits
//	CH      bank code = 5-digit clearing number, account 12 digits
var Schemes = map[string]Scheme{
	"GB": {"GB", regexp.MustCompile(`^[A-Z]{4}[0-9]{6}$`), "4 letters and a 6-digit sort code, e.g. WEST123456", 8},
	"IE": {"IE", regexp.MustCompile(`^[A-Z]{4}[0-9]{6}$`), "4 letters and a 6-digit sort code, e.g. AIBK931152", 8},
	"DE": {"DE", regexp.MustCompile(`^[0-9]{8}$`), "the 8-digit Bankleitzahl, e.g. 37040044", 10},
	"NL": {"NL", regexp.MustCompile(`^[A-Z]{4}$`), "the 4-letter bank identifier, e.g. ABNA", 10},
	"AT": {"AT", regexp.MustCompile(`^[0-9]{5}$`), "the 5-digit Bankleitzahl, e.g. 19043", 11},
	"CH": {"CH", regexp.MustCompile(`^[0-9]{5}$`), "the 5-digit clearing number, e.g. 00762", 12},
}

// Errors of New.
var (
	ErrCountry  = errors.New("iban: no IBAN scheme for this country")
	ErrBankCode = errors.New("iban: the bank code does not fit the country's format")
	ErrAccount  = errors.New("iban: the account number does not fit the country's format")
)

// New builds the IBAN of account at bankCode in country.
func New(country, bankCode, account string) (string, error) {
	sc, ok := Schemes[country]
	if !ok {
		return "", fmt.Errorf("%w %q", ErrCountry, country)
	}
	bankCode = strings.ToUpper(strings.TrimSpace(bankCode))
	if !sc.BankCode.MatchString(bankCode) {
		return "", fmt.Errorf("%w: %s wants %s", ErrBankCode, country, sc.BankCodeDoc)
	}
	if len(account) != sc.AccountDigits || strings.Trim(account, "0123456789") != "" {
		return "", fmt.Errorf("%w: %s wants %d digits", ErrAccount, country, sc.AccountDigits)
	}
	bban := bankCode + account
	return country + CheckDigits(country, bban) + bban, nil
}

// Generate builds a new IBAN at bankCode in country with a random account
// number; the caller retries on the rare collision.
func Generate(country, bankCode string) (string, error) {
	sc, ok := Schemes[country]
	if !ok {
		return "", fmt.Errorf("%w %q", ErrCountry, country)
	}
	var b strings.Builder
	for range sc.AccountDigits {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", fmt.Errorf("iban: %w", err)
		}
		b.WriteByte(byte('0' + d.Int64()))
	}
	return New(country, bankCode, b.String())
}

// PlaceholderBankCode is the bank code used for a tenant that has not set
// one yet: derived from seed (the tenant's id) so that it is stable, in
// the country's format. IBANs built with it are well-formed but name no
// real bank; a tenant going live sets its own bank code.
func PlaceholderBankCode(country string, seed []byte) (string, error) {
	sc, ok := Schemes[country]
	if !ok {
		return "", fmt.Errorf("%w %q", ErrCountry, country)
	}
	sum := sha256.Sum256(seed)
	digits := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteByte('0' + sum[i]%10)
		}
		return b.String()
	}
	var code string
	switch country {
	case "GB", "IE":
		code = "CIAM" + digits(6)
	case "NL":
		code = "CIAM"
	case "DE":
		code = digits(8)
	default:
		code = digits(5)
	}
	if !sc.BankCode.MatchString(code) {
		return "", fmt.Errorf("%w: placeholder %q", ErrBankCode, code)
	}
	return code, nil
}
