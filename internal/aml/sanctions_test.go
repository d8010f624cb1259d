package aml

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/screening"
)

// A counterparty's account is screened as an identifier: a wallet address
// or a BIC on a list is a MATCH whatever name the payment gives.
func TestCounterpartyAccountIsScreenedAsAnIdentifier(t *testing.T) {
	f := newFixture(t)
	lists := screening.NewService(f.pool)
	src := "AML_ID_TEST_" + strings.ToUpper(uuid.NewString()[:8])
	_, err := lists.LoadParsed(f.maker, screening.Parsed{
		Source: screening.Source{ID: src, Name: "Identifier test list", Kind: screening.KindSanctions, Format: screening.FormatSenzing},
		Entries: []screening.Entry{
			{ID: "w1", Type: screening.Individual, Name: "YAN, Xiaobing", Identifiers: []screening.Identifier{{Kind: screening.CryptoAddress, Value: "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h"}}},
			{ID: "b1", Type: screening.Entity, Name: "HAVIN BANK LIMITED", Identifiers: []screening.Identifier{{Kind: screening.BIC, Value: "HAVIGB2L"}}},
		},
		Checksum: "test", FileName: "test",
	}, screening.LoadOptions{AllowShrink: true})
	if err != nil {
		t.Fatal(err)
	}
	sc := SanctionsScreener{S: lists}
	tests := []struct {
		cp    Counterparty
		entry string
	}{
		{Counterparty{Name: "Golden Exchange Services", Account: "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h"}, "w1"},
		{Counterparty{Name: "Northern Trading", Account: "havigb2l"}, "b1"},
		{Counterparty{Name: "Golden Exchange Services", Account: "GB82 WEST 1234 5698 7654 32"}, ""},
	}
	for _, tc := range tests {
		r, err := sc.ScreenCounterparty(f.maker, f.tenant, tc.cp)
		if err != nil {
			t.Fatal(err)
		}
		if tc.entry == "" {
			if r.Matched || r.Possible {
				t.Errorf("%+v: %+v; want no match", tc.cp, r)
			}
			continue
		}
		ev, _ := r.Evidence.(map[string]any)
		if !r.Matched || ev["entryId"] != tc.entry || ev["source"] != src || ev["identifier"] == nil {
			t.Errorf("%+v: %+v; want a MATCH on %s by identifier", tc.cp, r, tc.entry)
		}
	}
}
