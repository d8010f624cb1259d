package iban

import (
	"errors"
	"testing"
)

// Published example IBANs: valid, with their country's length.
var known = []string{
	"GB82 WEST 1234 5698 7654 32",
	"DE89 3704 0044 0532 0130 00",
	"GB29 NWBK 6016 1331 9268 19",
	"NL91 ABNA 0417 1643 00",
	"AT61 1904 3002 3457 3201",
	"CH93 0076 2011 6238 5295 7",
	"IE29 AIBK 9311 5212 3456 78",
	"FR14 2004 1010 0505 0001 3M02 606",
	"BE68 5390 0754 7034",
	"NO93 8601 1117 947",
	"MT84 MALT 0110 0001 2345 MTLC AST0 01S",
}

func TestValidKnownIBANs(t *testing.T) {
	for _, s := range known {
		if !Valid(s) {
			t.Errorf("Valid(%q) = false", s)
		}
	}
}

func TestInvalidIBANs(t *testing.T) {
	for _, s := range []string{
		"GB82 WEST 1234 5698 7654 33",   // one digit off
		"GB28 WEST 1234 5698 7654 32",   // wrong check digits
		"DE89 3704 0044 0532 0130 0",    // too short for DE
		"DE89 3704 0044 0532 0130 000",  // too long for DE
		"GB82 WEST 1234 5698 7654 3!",   // not alphanumeric
		"82GB WEST 1234 5698 7654 32",   // country not first
		"",                              // empty
		"GB00",                          // too short anywhere
		"XX82 WEST 1234 5698 7654 32 1", // unknown country, bad digits
	} {
		if Valid(s) {
			t.Errorf("Valid(%q) = true", s)
		}
	}
}

func TestNewRebuildsKnownIBANs(t *testing.T) {
	tests := []struct{ country, bank, account, want string }{
		{"GB", "WEST123456", "98765432", "GB82WEST12345698765432"},
		{"DE", "37040044", "0532013000", "DE89370400440532013000"},
		{"NL", "ABNA", "0417164300", "NL91ABNA0417164300"},
		{"AT", "19043", "00234573201", "AT611904300234573201"},
		{"CH", "00762", "011623852957", "CH9300762011623852957"},
	}
	for _, tc := range tests {
		got, err := New(tc.country, tc.bank, tc.account)
		if err != nil || got != tc.want {
			t.Errorf("New(%s, %s, %s) = %q, %v; want %q", tc.country, tc.bank, tc.account, got, err, tc.want)
		}
	}
}

func TestNewRefusesWhatDoesNotFit(t *testing.T) {
	if _, err := New("FR", "20041", "123"); !errors.Is(err, ErrCountry) {
		t.Errorf("FR: %v", err)
	}
	if _, err := New("GB", "WEST12", "12345678"); !errors.Is(err, ErrBankCode) {
		t.Errorf("short GB bank code: %v", err)
	}
	if _, err := New("DE", "37040044", "12"); !errors.Is(err, ErrAccount) {
		t.Errorf("short DE account: %v", err)
	}
}

func TestGenerateIsAlwaysValid(t *testing.T) {
	for country := range Schemes {
		bank, err := PlaceholderBankCode(country, []byte("tenant "+country))
		if err != nil {
			t.Fatal(err)
		}
		for range 200 {
			s, err := Generate(country, bank)
			if err != nil || !Valid(s) || s[:2] != country {
				t.Fatalf("Generate(%s, %s) = %q, %v", country, bank, s, err)
			}
		}
	}
}

func TestFormat(t *testing.T) {
	if got := Format("gb82west12345698765432"); got != "GB82 WEST 1234 5698 7654 32" {
		t.Errorf("Format = %q", got)
	}
}
