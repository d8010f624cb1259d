package customer

import (
	"strings"
	"testing"
)

// Numbers kept for tests and fiction have their country's length and
// pass; numbers that cannot be any country's say what is wrong.
func TestPhoneProblem(t *testing.T) {
	for _, tc := range []struct {
		number string
		want   string // "" or a part of the message
	}{
		{"+447700900123", ""},  // UK drama range (Ofcom)
		{"+447911123456", ""},  // UK mobile
		{"+12025550123", ""},   // US 555-01xx
		{"+61491570156", ""},   // Australia, ACMA fictional mobile range
		{"+4915112345678", ""}, // Germany mobile
		{"+33612345678", ""},   // France mobile
		{"+81312345678", ""},   // Japan, Tokyo
		{"07700900123", "E.164 form"},
		{"+44 7700 900123", "E.164 form"},
		{"+999123456789", "no country has"},
		{"+4477009", "too few or too many digits for a number of GB"},
		{"+4477009001234567", "E.164 form"},
		{"+447700900123456", "too many digits for a number of GB"},
	} {
		got := PhoneProblem(tc.number)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("PhoneProblem(%q) = %q; want %q", tc.number, got, tc.want)
		}
	}
}
