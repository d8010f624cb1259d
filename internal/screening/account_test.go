package screening

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAccountIdentifiers(t *testing.T) {
	tests := []struct {
		in   string
		want []Identifier
	}{
		{"GB82 WEST 1234 5698 7654 32", []Identifier{{IBAN, "GB82WEST12345698765432", "GB"}}},
		{"GB83 WEST 1234 5698 7654 32", nil}, // a wrong check digit: a domestic number at best
		{"HAVIGB2L", []Identifier{{BIC, "HAVIGB2L", "GB"}}},
		{"havigb2lxxx", []Identifier{{BIC, "HAVIGB2LXXX", "GB"}}},
		{"12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h", []Identifier{{CryptoAddress, "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h", ""}}},
		{"0x7F367cC41522cE07553e823bf3be79A889DEbe1B", []Identifier{{CryptoAddress, "0x7F367cC41522cE07553e823bf3be79A889DEbe1B", ""}}},
		{"12345678", nil},
		{"", nil},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, AccountIdentifiers(tc.in)); diff != "" {
			t.Errorf("AccountIdentifiers(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}
