package customer

import (
	"errors"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/nyaruka/phonenumbers"
	"github.com/shopspring/decimal"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/ciamhq/ciam/internal/apperr"
)

// ValidCountry reports whether code is an ISO 3166-1 alpha-2 country code
// (upper case). XK (Kosovo) is accepted as banks use it; UK is not (GB is).
func ValidCountry(code string) bool {
	if len(code) != 2 || strings.ToUpper(code) != code || code == "UK" {
		return false
	}
	r, err := language.ParseRegion(code)
	return err == nil && r.IsCountry() && r.String() == code
}

// CountryName is the English name of a country code.
func CountryName(code string) string {
	r, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	return display.English.Regions().Name(r)
}

// ValidE164 reports whether s is a phone number in E.164 form.
func ValidE164(s string) bool { return PhoneProblem(s) == "" }

// PhoneProblem says what is wrong with s as a phone number in E.164 form,
// or "" when nothing is. The number must have a country's calling code and
// a length that country's numbers have (libphonenumber's metadata), not a
// number range in service: the ranges kept for tests and fiction (the UK's
// +44 7700 900xxx, the US 555-01xx) must pass, as integrations register
// them.
func PhoneProblem(s string) string {
	const form = "must be in E.164 form: + then the country code and the number, digits only, such as +447911123456"
	if !strings.HasPrefix(s, "+") || len(s) < 3 || len(s) > 16 {
		return form
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return form
		}
	}
	n, err := phonenumbers.Parse(s, "")
	if errors.Is(err, phonenumbers.ErrInvalidCountryCode) {
		return "starts with a country code no country has; write + then the country code, such as +44 for the United Kingdom"
	}
	if err != nil {
		return form
	}
	region := phonenumbers.GetRegionCodeForCountryCode(int(n.GetCountryCode()))
	if region == "" || region == "ZZ" || region == "001" {
		region = "+" + strconv.Itoa(int(n.GetCountryCode()))
	}
	switch phonenumbers.IsPossibleNumberWithReason(n) {
	case phonenumbers.IS_POSSIBLE:
		return ""
	case phonenumbers.INVALID_COUNTRY_CODE:
		return "starts with a country code no country has; write + then the country code, such as +44 for the United Kingdom"
	case phonenumbers.TOO_LONG:
		return "has too many digits for a number of " + region
	default: // too short, a local number only, or a length the country does not use
		return "has too few or too many digits for a number of " + region + "; include the area or mobile code"
	}
}

// ValidEmail reports whether s is a plain e-mail address.
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " <>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	_, domain, _ := strings.Cut(s, "@")
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

var namePattern = regexp.MustCompile(`^[\p{L}\p{M}][\p{L}\p{M}' .\-]*$`)

// checkName validates a person's name part.
func checkName(fe *apperr.Fields, field, v string, required bool, max int) {
	switch {
	case v == "" && required:
		fe.Add(field, "is required")
	case v == "":
	case len([]rune(v)) > max:
		fe.Add(field, "must be at most %d characters", max)
	case !namePattern.MatchString(v):
		fe.Add(field, "may contain only letters, spaces, apostrophes, dots and hyphens")
	}
}

// checkText validates optional free text.
func checkText(fe *apperr.Fields, field, v string, required bool, max int) {
	switch {
	case strings.TrimSpace(v) == "" && required:
		fe.Add(field, "is required")
	case len([]rune(v)) > max:
		fe.Add(field, "must be at most %d characters", max)
	case strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) }) >= 0:
		fe.Add(field, "must not contain control characters")
	}
}

// checkDateOfBirth parses a YYYY-MM-DD date of birth: a real date in the
// past, old enough for the tenant and not implausibly old.
func checkDateOfBirth(fe *apperr.Fields, field, v string, now time.Time, minAge int) time.Time {
	if v == "" {
		fe.Add(field, "is required (YYYY-MM-DD)")
		return time.Time{}
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		fe.Add(field, "must be a real date in the form YYYY-MM-DD")
		return time.Time{}
	}
	if !d.Before(now) {
		fe.Add(field, "must be in the past")
		return d
	}
	age := Age(d, now)
	switch {
	case age < minAge:
		fe.Add(field, "the customer must be at least %d years old", minAge)
	case age > 130:
		fe.Add(field, "is more than 130 years ago")
	}
	return d
}

// Age is how many whole years have passed since dob at now.
func Age(dob, now time.Time) int {
	years := now.Year() - dob.Year()
	if now.Month() < dob.Month() || (now.Month() == dob.Month() && now.Day() < dob.Day()) {
		years--
	}
	return years
}

// parseMoney reads a non-negative decimal amount with at most two decimals.
func parseMoney(fe *apperr.Fields, field, v string) *decimal.Decimal {
	if v == "" {
		return nil
	}
	d, err := decimal.NewFromString(v)
	switch {
	case err != nil:
		fe.Add(field, "must be a number, e.g. 55000 or 55000.50")
		return nil
	case d.IsNegative():
		fe.Add(field, "must not be negative")
	case d.Exponent() < -2 && !d.Equal(d.Round(2)):
		fe.Add(field, "must have at most two decimals")
	case d.GreaterThan(decimal.New(1, 15)):
		fe.Add(field, "is too large")
	}
	return &d
}

// AddressTypes are the kinds of address the API accepts.
var AddressTypes = []string{"RESIDENTIAL", "MAILING", "BUSINESS", "OTHER"}

func checkAddress(fe *apperr.Fields, prefix string, a Address) {
	checkText(fe, prefix+".street", a.Street, true, 200)
	checkText(fe, prefix+".streetNumber", a.StreetNumber, false, 20)
	checkText(fe, prefix+".apartment", a.Apartment, false, 40)
	checkText(fe, prefix+".city", a.City, true, 100)
	checkText(fe, prefix+".state", a.State, false, 100)
	checkText(fe, prefix+".postalCode", a.PostalCode, true, 20)
	if !ValidCountry(a.Country) {
		fe.Add(prefix+".country", "must be an ISO 3166 alpha-2 country code such as DE or GB")
	}
	if a.AddressType != "" {
		ok := false
		for _, t := range AddressTypes {
			ok = ok || t == a.AddressType
		}
		if !ok {
			fe.Add(prefix+".addressType", "must be one of %s", strings.Join(AddressTypes, ", "))
		}
	}
}
