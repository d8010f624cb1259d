// Package labels turns the codes the system keeps into the words a person
// reads: statuses, durations, screening list names, amounts and the
// people who did something. Every portal page shows these through here,
// so one code reads the same everywhere.
package labels

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ciamhq/ciam/internal/currency"
	"github.com/shopspring/decimal"
)

// statuses are the codes whose words are not the code in sentence case.
var statuses = map[string]string{
	"SUBMITTED|REVIEWING": "In review",
	"SUBMITTED|VALID":     "Valid",
	"SUBMITTED|INVALID":   "Invalid",
	"REVIEWING":           "In review",
	"PENDING_REVIEW":      "Waiting for review",
	"NOT_CHECKED":         "Not checked",
	"PEP_MATCH_POSSIBLE":  "Possible PEP match",
	"SAR_DRAFT":           "SAR draft",
	"KYC":                 "KYC",
	"AML":                 "AML",
	"PEP":                 "PEP",
	"SAR":                 "SAR",
}

// Status is a status code as words: "In review" for SUBMITTED|REVIEWING,
// "Pending approval" for PENDING_APPROVAL.
func Status(code string) string {
	if w, ok := statuses[code]; ok {
		return w
	}
	return sentence(code)
}

// sentence writes a code such as FALSE_POSITIVE as "False positive",
// keeping the abbreviations (PEP, SAR, IBAN) in capitals.
func sentence(code string) string {
	if code == "" {
		return ""
	}
	words := strings.FieldsFunc(code, func(r rune) bool { return r == '_' || r == '|' || r == '-' })
	for i, w := range words {
		if abbreviations[w] {
			continue
		}
		w = strings.ToLower(w)
		if i == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		words[i] = w
	}
	return strings.Join(words, " ")
}

var abbreviations = map[string]bool{"PEP": true, "SAR": true, "KYC": true, "AML": true, "IBAN": true, "OTP": true, "PIN": true,
	"API": true, "US": true, "UK": true, "EU": true, "UN": true, "OFAC": true, "SDN": true, "SMS": true, "TOTP": true, "MRZ": true, "ID": true}

// Duration is d as a person says it: "15 minutes", "30 days",
// "1 hour 30 minutes"; 0 is "none".
func Duration(d time.Duration) string {
	if d == 0 {
		return "none"
	}
	neg := d < 0
	if neg {
		d = -d
	}
	var parts []string
	for _, u := range durationUnits {
		if n := d / u.d; n > 0 {
			parts = append(parts, plural(int64(n), u.name))
			d -= n * u.d
		}
	}
	if d > 0 || len(parts) == 0 {
		parts = append(parts, d.String())
	}
	out := strings.Join(parts, " ")
	if neg {
		out = "minus " + out
	}
	return out
}

var durationUnits = []struct {
	name string
	d    time.Duration
}{
	{"day", 24 * time.Hour}, {"hour", time.Hour}, {"minute", time.Minute}, {"second", time.Second},
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.FormatInt(n, 10) + " " + unit + "s"
}

var durationPart = regexp.MustCompile(`^(\d+)\s*(d|days?|h|hours?|hrs?|m|mins?|minutes?|s|secs?|seconds?)$`)

// ParseDuration reads what Duration writes ("15 minutes", "1 hour 30
// minutes", "30 days"), short forms ("15 min", "2 h", "30d") and Go's
// ("15m0s", "720h").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "none" {
		return 0, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	s = strings.NewReplacer(",", " ", " and ", " ").Replace(s)
	fields := strings.Fields(s)
	// Join each number with its unit: "15", "minutes" → "15 minutes".
	var total time.Duration
	for i := 0; i < len(fields); i++ {
		part := fields[i]
		if _, err := strconv.Atoi(part); err == nil && i+1 < len(fields) {
			part += " " + fields[i+1]
			i++
		}
		m := durationPart.FindStringSubmatch(part)
		if m == nil {
			return 0, fmt.Errorf("labels: %q is not a duration", s)
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		switch m[2][0] {
		case 'd':
			total += time.Duration(n) * 24 * time.Hour
		case 'h':
			total += time.Duration(n) * time.Hour
		case 'm':
			total += time.Duration(n) * time.Minute
		case 's':
			total += time.Duration(n) * time.Second
		}
	}
	if len(fields) == 0 {
		return 0, fmt.Errorf("labels: empty duration")
	}
	return total, nil
}

// knownLists are list names for sources whose files name them by code.
var knownLists = map[string]string{
	"OFAC_SDN":        "OFAC Specially Designated Nationals",
	"UN_CONSOLIDATED": "UN Security Council Consolidated List",
	"OS_US_CONGRESS":  "US Congress",
}

// ListName is a screening list as a person names it, with its kind:
// "US Congress (PEP)" for OS_US_CONGRESS. name is the list's own name
// when it has one other than its code.
func ListName(id, name, kind string) string {
	n := strings.TrimSpace(name)
	if n == "" || n == id {
		if k, ok := knownLists[id]; ok {
			n = k
		} else {
			// OpenSanctions datasets are named OS_<dataset>.
			n = sentenceTitle(strings.TrimPrefix(id, "OS_"))
		}
	}
	switch strings.ToUpper(kind) {
	case "PEP":
		return n + " (PEP)"
	case "SANCTIONS":
		return n + " (sanctions)"
	}
	return n
}

// sentenceTitle writes GB_HOUSE_OF_LORDS as "GB House Of Lords": a
// first word of two letters is a country code and stays in capitals.
func sentenceTitle(code string) string {
	words := strings.FieldsFunc(code, func(r rune) bool { return r == '_' || r == '-' })
	for i, w := range words {
		if abbreviations[w] || (i == 0 && len(w) == 2) {
			continue
		}
		w = strings.ToLower(w)
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

// MinorUnits is how many decimals an amount in cur is written with
// (ISO 4217: 2 for EUR, 0 for JPY, 3 for KWD); 2 for an unknown code.
func MinorUnits(cur string) int32 {
	if n, ok := currency.MinorUnits(cur); ok {
		return n
	}
	return 2
}

// Amount is an amount with its currency to the currency's minor units:
// "537.50 EUR", never "537.5 EUR" (internal/currency writes it).
func Amount(v decimal.Decimal, cur string) string { return currency.Format(v, cur) }

// AmountText is Amount for an amount kept as text; text that is not a
// number is shown as it is.
func AmountText(v, cur string) string { return currency.FormatText(strings.TrimSpace(v), cur) }

// Person is who did something as a person reads it: the name alone,
// without the e-mail address and id some records keep beside it
// ("Ana Analyst <ana@example.com> (uuid)");
// "an employee" when there is no name.
func Person(recorded string) string {
	s := strings.TrimSpace(recorded)
	for {
		if i := strings.LastIndex(s, " ("); i > 0 && strings.HasSuffix(s, ")") {
			s = strings.TrimSpace(s[:i])
		} else if i := strings.LastIndex(s, " <"); i > 0 && strings.HasSuffix(s, ">") {
			s = strings.TrimSpace(s[:i])
		} else {
			break
		}
	}
	if s == "" || looksLikeID(s) {
		return "an employee"
	}
	return s
}

var uuidLike = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func looksLikeID(s string) bool { return uuidLike.MatchString(s) }
