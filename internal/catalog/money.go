package catalog

import (
	"regexp"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/internal/currency"
)

// maxScale is the most digits after the point a stored amount keeps
// (numeric(20, 4)); a rule for any currency may use them all.
const maxScale = 4

// ValidCurrency reports whether code is an active ISO 4217 currency.
func ValidCurrency(code string) bool {
	_, ok := currency.MinorUnits(code)
	return ok
}

// MinorUnits is the number of decimals of currency (ISO 4217), and
// whether the currency is known.
func MinorUnits(code string) (int32, bool) { return currency.MinorUnits(code) }

// Currencies lists the known currency codes, sorted.
func Currencies() []string {
	out := currency.Priced()
	sort.Strings(out)
	return out
}

// RoundFee rounds a fee to currency's minor unit, half up: 0.005 GBP is
// 0.01, 0.5 JPY is 1, 0.0005 KWD is 0.001. Fees are never negative, so
// half up and half away from zero are the same. It is applied once, to
// the final fee after the minimum and maximum.
func RoundFee(fee decimal.Decimal, code string) decimal.Decimal {
	n, ok := currency.MinorUnits(code)
	if !ok {
		n = 2
	}
	return fee.Round(n)
}

// FormatAmount writes v with exactly code's number of decimals, as the
// API shows amounts ("1.50", "150", "1.500").
func FormatAmount(v decimal.Decimal, code string) string { return currency.Digits(v, code) }

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
