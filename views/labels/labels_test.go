package labels

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestWords(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Status("SUBMITTED|REVIEWING"), "In review"},
		{Status("SUBMITTED|VALID"), "Valid"},
		{Status("PENDING_APPROVAL"), "Pending approval"},
		{Status("CLOSED_FALSE_POSITIVE"), "Closed false positive"},
		{Status("PEP_MATCH_POSSIBLE"), "Possible PEP match"},
		{Status(""), ""},
		{Duration(15 * time.Minute), "15 minutes"},
		{Duration(720 * time.Hour), "30 days"},
		{Duration(90 * time.Minute), "1 hour 30 minutes"},
		{Duration(time.Second), "1 second"},
		{Duration(0), "none"},
		{ListName("OS_US_CONGRESS", "OS_US_CONGRESS", "PEP"), "US Congress (PEP)"},
		{ListName("OFAC_SDN", "OFAC Specially Designated Nationals", "SANCTIONS"), "OFAC Specially Designated Nationals (sanctions)"},
		{ListName("OS_GB_HOUSE_OF_LORDS", "", "PEP"), "GB House Of Lords (PEP)"},
		{Amount(decimal.RequireFromString("537.5"), "EUR"), "537.50 EUR"},
		{Amount(decimal.RequireFromString("15000"), "EUR"), "15000.00 EUR"},
		{Amount(decimal.RequireFromString("1500"), "JPY"), "1500 JPY"},
		{Amount(decimal.RequireFromString("1.5"), "KWD"), "1.500 KWD"},
		{AmountText("537.5", "EUR"), "537.50 EUR"},
		{Person("Ana Analyst (c6c180d2-1b5a-4d39-9a52-4f0e1c9f2b11)"), "Ana Analyst"},
		{Person("c6c180d2-1b5a-4d39-9a52-4f0e1c9f2b11"), "an employee"},
		{Person("system"), "system"},
		{Person("Emp ANALYST <e-1@example.com> (c6c180d2-1b5a-4d39-9a52-4f0e1c9f2b11)"), "Emp ANALYST"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q; want %q", tc.got, tc.want)
		}
	}
}

// What Duration writes, and what people type, reads back.
func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"15 minutes": 15 * time.Minute, "30 days": 720 * time.Hour, "1 hour 30 minutes": 90 * time.Minute,
		"1 hour, 30 minutes": 90 * time.Minute, "2h": 2 * time.Hour, "15m0s": 15 * time.Minute, "720h": 720 * time.Hour,
		"30d": 720 * time.Hour, "90 seconds": 90 * time.Second, "5 min": 5 * time.Minute, " 3 Minutes ": 3 * time.Minute,
	} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, d := range []time.Duration{15 * time.Minute, 720 * time.Hour, 90 * time.Minute, 3 * time.Second, 25 * time.Hour} {
		if got, err := ParseDuration(Duration(d)); err != nil || got != d {
			t.Errorf("round trip of %v: %v, %v", d, got, err)
		}
	}
	for _, bad := range []string{"", "soon", "15 fortnights", "minutes", "1.5 hours"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
}
