package catalog

import (
	"regexp"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
)

// minorUnits is ISO 4217: each active currency and the number of digits
// after its decimal point. Funds, precious metals and testing codes are
// left out: nothing is priced in them.
var minorUnits = map[string]int32{
	"AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2, "AUD": 2, "AWG": 2, "AZN": 2,
	"BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BHD": 3, "BIF": 0, "BMD": 2, "BND": 2, "BOB": 2, "BRL": 2,
	"BSD": 2, "BTN": 2, "BWP": 2, "BYN": 2, "BZD": 2, "CAD": 2, "CDF": 2, "CHF": 2, "CLF": 4, "CLP": 0,
	"CNY": 2, "COP": 2, "CRC": 2, "CUP": 2, "CVE": 2, "CZK": 2, "DJF": 0, "DKK": 2, "DOP": 2, "DZD": 2,
	"EGP": 2, "ERN": 2, "ETB": 2, "EUR": 2, "FJD": 2, "FKP": 2, "GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2,
	"GMD": 2, "GNF": 0, "GTQ": 2, "GYD": 2, "HKD": 2, "HNL": 2, "HTG": 2, "HUF": 2, "IDR": 2, "ILS": 2,
	"INR": 2, "IQD": 3, "IRR": 2, "ISK": 0, "JMD": 2, "JOD": 3, "JPY": 0, "KES": 2, "KGS": 2, "KHR": 2,
	"KMF": 0, "KPW": 2, "KRW": 0, "KWD": 3, "KYD": 2, "KZT": 2, "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2,
	"LSL": 2, "LYD": 3, "MAD": 2, "MDL": 2, "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2,
	"MUR": 2, "MVR": 2, "MWK": 2, "MXN": 2, "MYR": 2, "MZN": 2, "NAD": 2, "NGN": 2, "NIO": 2, "NOK": 2,
	"NPR": 2, "NZD": 2, "OMR": 3, "PAB": 2, "PEN": 2, "PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2, "PYG": 0,
	"QAR": 2, "RON": 2, "RSD": 2, "RUB": 2, "RWF": 0, "SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2, "SEK": 2,
	"SGD": 2, "SHP": 2, "SLE": 2, "SOS": 2, "SRD": 2, "SSP": 2, "STN": 2, "SVC": 2, "SYP": 2, "SZL": 2,
	"THB": 2, "TJS": 2, "TMT": 2, "TND": 3, "TOP": 2, "TRY": 2, "TTD": 2, "TWD": 2, "TZS": 2, "UAH": 2,
	"UGX": 0, "USD": 2, "UYI": 0, "UYU": 2, "UYW": 4, "UZS": 2, "VED": 2, "VES": 2, "VND": 0, "VUV": 0,
	"WST": 2, "XAF": 0, "XCD": 2, "XCG": 2, "XOF": 0, "XPF": 0, "YER": 2, "ZAR": 2, "ZMW": 2, "ZWG": 2,
}

// maxScale is the most digits after the point a stored amount keeps
// (numeric(20, 4)); a rule for any currency may use them all.
const maxScale = 4

// ValidCurrency reports whether code is an active ISO 4217 currency.
func ValidCurrency(code string) bool {
	_, ok := minorUnits[code]
	return ok
}

// MinorUnits is the number of decimals of currency (ISO 4217), and
// whether the currency is known.
func MinorUnits(currency string) (int32, bool) {
	n, ok := minorUnits[currency]
	return n, ok
}

// Currencies lists the known currency codes, sorted.
func Currencies() []string {
	out := make([]string, 0, len(minorUnits))
	for c := range minorUnits {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// RoundFee rounds a fee to currency's minor unit, half up: 0.005 GBP is
// 0.01, 0.5 JPY is 1, 0.0005 KWD is 0.001. Fees are never negative, so
// half up and half away from zero are the same. It is applied once, to
// the final fee after the minimum and maximum.
func RoundFee(fee decimal.Decimal, currency string) decimal.Decimal {
	n, ok := minorUnits[currency]
	if !ok {
		n = 2
	}
	return fee.Round(n)
}

// FormatAmount writes v with exactly currency's number of decimals, as the
// API shows amounts ("1.50", "150", "1.500").
func FormatAmount(v decimal.Decimal, currency string) string {
	n, ok := minorUnits[currency]
	if !ok {
		n = 2
	}
	return v.StringFixed(n)
}

// plainDecimal is how people and API clients write amounts: digits, an
// optional point and decimals; no sign, exponent or separators.
var plainDecimal = regexp.MustCompile(`^[0-9]{1,16}(\.[0-9]{1,12})?$`)

// parseAmount reads a non-negative decimal written plainly. It reports a
// problem in words, or "" when s is good.
func parseAmount(s string) (decimal.Decimal, string) {
	if !plainDecimal.MatchString(s) {
		// Say what is wrong with a number that is nearly right.
		switch {
		case strings.HasPrefix(s, "-") && plainDecimal.MatchString(s[1:]):
			return decimal.Zero, "must not be negative: enter 0 or more, such as 1.50"
		case strings.HasPrefix(s, "+") && plainDecimal.MatchString(s[1:]):
			return decimal.Zero, "must be written without a sign, such as 1.50"
		case strings.Count(s, ",") == 1 && plainDecimal.MatchString(strings.Replace(s, ",", ".", 1)):
			return decimal.Zero, "must use a point for decimals, such as 12.50, not a comma"
		}
		return decimal.Zero, "must be a plain decimal number such as 12.50"
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, "must be a plain decimal number such as 12.50"
	}
	return d, ""
}

// decimals is the number of digits after the point v needs; trailing
// zeros do not count (1.50 needs one).
func decimals(v decimal.Decimal) int32 {
	_, frac, ok := strings.Cut(v.String(), ".")
	if !ok {
		return 0
	}
	return int32(len(frac))
}
