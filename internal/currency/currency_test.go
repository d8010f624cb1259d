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
