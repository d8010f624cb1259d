package aml

import (
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/shopspring/decimal"
	"golang.org/x/text/currency"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Currencies. A rule states the currency of its amounts ("1,000 EUR").
// Transactions in another currency are converted with the tenant's rate
// table: each rate says what one unit of a currency is worth in euros, the
// reference currency, so any two currencies convert through it. A tenant
// that has set no rate for a currency gets the built-in indicative rate
// below, if there is one; a conversion with no rate at all is never
// guessed: the rule that needed it fails, visibly, and the others run on.
// Every stored transaction keeps its amount in euros at the rate of the
// day it was screened, which is what sums across currencies add.

// ReferenceCurrency is the currency rates are expressed in.
const ReferenceCurrency = "EUR"

// unitScale is the fixed point of amounts held as integers: 1/10,000 of a
// unit, the precision of stored amounts (numeric(24, 4)).
const unitScale = 10_000

// BuiltInRates are indicative euro values of common currencies, used where
// a tenant has not set its own. They are deliberately round and approximate:
// tenants that convert for real set their own rates in the portal.
var BuiltInRates = map[string]string{
	"EUR": "1", "USD": "0.92", "GBP": "1.17", "CHF": "1.05", "JPY": "0.0062", "CAD": "0.68", "AUD": "0.61",
	"SEK": "0.088", "NOK": "0.086", "DKK": "0.134", "PLN": "0.23", "CZK": "0.040", "HUF": "0.0025", "RON": "0.20",
	"NGN": "0.0006", "KES": "0.0071", "ZAR": "0.05", "INR": "0.011", "CNY": "0.13", "AED": "0.25",
}

// validCurrency reports whether code is an ISO 4217 currency code.
func validCurrency(code string) bool {
	if len(code) != 3 || strings.ToUpper(code) != code {
		return false
	}
	_, err := currency.ParseISO(code)
	return err == nil
}

// Rate is one currency's euro value and where it comes from.
type Rate struct {
	Currency   string
	EURPerUnit decimal.Decimal
	// Tenant is true for a rate the tenant set, false for a built-in one.
	Tenant    bool
	UpdatedBy string
}

// Rates converts between currencies.
type Rates struct {
	eur map[string]decimal.Decimal
}

// newRates is the built-in rates overridden by the tenant's.
func newRates(tenant map[string]decimal.Decimal) Rates {
	r := Rates{eur: map[string]decimal.Decimal{}}
	for c, v := range BuiltInRates {
		r.eur[c] = decimal.RequireFromString(v)
	}
	for c, v := range tenant {
		r.eur[c] = v
	}
	r.eur[ReferenceCurrency] = decimal.NewFromInt(1)
	return r
}

// EUR is what one unit of cur is worth in euros.
func (r Rates) EUR(cur string) (decimal.Decimal, bool) {
	v, ok := r.eur[cur]
	return v, ok
}

// Convert converts amount from one currency to another, rounded to four
// places; false when a rate is missing.
func (r Rates) Convert(amount decimal.Decimal, from, to string) (decimal.Decimal, bool) {
	if from == to {
		return amount, true
	}
	f, ok1 := r.eur[from]
	t, ok2 := r.eur[to]
	if !ok1 || !ok2 {
		return decimal.Decimal{}, false
	}
	return amount.Mul(f).DivRound(t, 4), true
}

// units is d as an integer of 1/10,000, rounded up (ceiling): for an
// integer x, x >= units(d) exactly when x >= d * 10,000.
func unitsCeil(d decimal.Decimal) int64 {
	return d.Shift(4).Ceil().IntPart()
}

// unitsOf is an amount of at most four places as an integer of 1/10,000.
func unitsOf(d decimal.Decimal) int64 { return d.Shift(4).Round(0).IntPart() }

// fromUnits is an integer of 1/10,000 as a decimal.
func fromUnits(u int64) decimal.Decimal { return decimal.New(u, -4) }

// Names and accounts are matched after normalisation: a name loses case,
// accents and punctuation and its words are sorted ("Müller, Hans" is
// "hans muller"); an account loses case, spaces and separators.

// stripMarks hands out accent strippers: a transform.Chain keeps state
// while it works, so one must not serve two goroutines at once.
var stripMarks = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

// NormalizeName is the form custom-list names are matched in.
func NormalizeName(s string) string {
	tr := stripMarks.Get().(transform.Transformer)
	t, _, err := transform.String(tr, s)
	stripMarks.Put(tr)
	if err != nil {
		t = s
	}
	words := strings.FieldsFunc(strings.ToLower(t), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	sort.Strings(words)
	return strings.Join(words, " ")
}

// NormalizeAccount is the form custom-list accounts are matched in.
func NormalizeAccount(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Counterparty is the other side of a transaction.
type Counterparty struct {
	Name    string
	Country string
	Account string
}

// Key identifies the counterparty across transactions: its account when
// known, else its name; "" when neither was given.
func (c Counterparty) Key() string {
	if a := NormalizeAccount(c.Account); a != "" {
		return "a:" + a
	}
	if n := NormalizeName(c.Name); n != "" {
		return "n:" + n
	}
	return ""
}
