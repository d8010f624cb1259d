package catalog

import (
	"strings"
	"testing"
)

// An amount that is nearly right says what to change.
func TestParseAmountSaysWhatToChange(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1.50", ""},
		{"-1.50", "must not be negative"},
		{"+1.50", "without a sign"},
		{"12,50", "a point for decimals"},
		{"1e3", "plain decimal number"},
		{"", "plain decimal number"},
	} {
		_, got := parseAmount(tc.in)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("parseAmount(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
