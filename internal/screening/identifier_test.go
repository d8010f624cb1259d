package screening

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIdentifiersRoundTripAndTidy(t *testing.T) {
	e := Entry{ID: "1", Type: Individual, Name: "X", Identifiers: []Identifier{
		{Kind: PassportNumber, Value: "ab 123-456", Country: "ir"},
		{Kind: PassportNumber, Value: "AB123456", Country: "IR"},
		{Kind: CryptoAddress, Value: "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"},
		{Kind: NationalID, Value: " - "},
	}}
	e.tidy()
	want := []Identifier{
		{Kind: PassportNumber, Value: "AB123456", Country: "IR"},
		{Kind: CryptoAddress, Value: "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"},
	}
	if diff := cmp.Diff(want, e.Identifiers); diff != "" {
		t.Fatalf("tidy (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, parseIdentifierStrings(identifierStrings(e.Identifiers))); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	plain := Entry{ID: "1", Type: Individual, Name: "X"}
	withID := plain
	withID.Identifiers = want
	if string(plain.Hash()) == string(withID.Hash()) {
		t.Fatal("an identifier does not change the hash")
	}
}
