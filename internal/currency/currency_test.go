package currency

import (
	"slices"
	"testing"
)

func TestValid(t *testing.T) {
	if !slices.IsSorted(codes) {
		t.Fatal("codes must stay sorted: Valid searches them")
	}
	for _, c := range []string{"EUR", "GBP", "USD", "CHF", "JPY", "XOF", "ZWG"} {
		if !Valid(c) {
			t.Errorf("Valid(%q) = false", c)
		}
	}
	for _, c := range []string{"", "eur", "EURO", "XXX", "XAU", "XTS", "DEM", "HRK", "ZZZ", "BOV"} {
		if Valid(c) {
			t.Errorf("Valid(%q) = true", c)
		}
	}
}

// Issue 15, problem 5: "537.5 EUR" beside "15000.00 EUR". Every amount is
// written to its currency's minor units.
func TestFormatToMinorUnits(t *testing.T) {
	for _, tc := range []struct{ v, code, want string }{
		{"537.5", "EUR", "537.50 EUR"},
		{"15000", "EUR", "15000.00 EUR"},
		{"150", "JPY", "150 JPY"},
		{"149.5", "JPY", "150 JPY"},
		{"1.5", "KWD", "1.500 KWD"},
		{"0.5", "CLF", "0.5000 CLF"},
		{"2.5", "XYZ", "2.50 XYZ"}, // unknown: two decimals
		{"2.5", "", "2.5"},
		{"not a number", "EUR", "not a number"},
	} {
		if got := FormatText(tc.v, tc.code); got != tc.want {
			t.Errorf("FormatText(%q, %q) = %q; want %q", tc.v, tc.code, got, tc.want)
		}
	}
	for _, c := range codes {
		if _, ok := MinorUnits(c); !ok {
			t.Errorf("a wallet may hold %s, whose minor units are not known", c)
		}
	}
}
