package screening

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOFACIdentifiersFromRealList(t *testing.T) {
	p, err := Parse(FormatOFAC, dataPath(t, "ofac-2021"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id   string
		want []Identifier
	}{
		// "Passport 1084010 (Egypt); alt. Passport 19820215"
		{"2676", []Identifier{{PassportNumber, "1084010", "EG"}, {PassportNumber, "19820215", ""}}},
		// "Passport PP3227493 (Haiti) expires 21 Oct 2019; National ID No. 0018439897 (Haiti)."
		{"30582", []Identifier{{PassportNumber, "PP3227493", "HT"}, {NationalID, "0018439897", "HT"}}},
		// "Cedula No. 13642033 (Colombia)"
		{"10407", []Identifier{{NationalID, "13642033", "CO"}}},
		// "SWIFT/BIC HAVIGB2L"
		{"906", []Identifier{{BIC, "HAVIGB2L", ""}, {RegistrationID, "01074897", "GB"}}},
	}
	for _, tc := range tests {
		e := findEntry(t, p.Entries, tc.id)
		if diff := cmp.Diff(tc.want, e.Identifiers); diff != "" {
			t.Errorf("entry %s (%s) identifiers (-want +got):\n%s", tc.id, e.Name, diff)
		}
	}
	// A vessel: the call sign column, "Other Vessel Call Sign" and the IMO
	// number of "Vessel Registration Identification IMO 8517425".
	progres := findEntry(t, p.Entries, "23423")
	for _, want := range []Identifier{{CallSign, "9HB4398", ""}, {CallSign, "5IM713", ""}} {
		if !slices.Contains(progres.Identifiers, want) {
			t.Errorf("PROGRES identifiers %v lack %v", progres.Identifiers, want)
		}
	}
	if !slices.ContainsFunc(progres.Identifiers, func(id Identifier) bool { return id.Kind == IMONumber }) {
		t.Errorf("PROGRES has no IMO number: %v", progres.Identifiers)
	}
	// Wallet addresses keep their case: "Digital Currency Address - XBT 12QtD5BF...".
	yan := findEntry(t, p.Entries, "25308")
	if !slices.Contains(yan.Identifiers, Identifier{CryptoAddress, "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h", ""}) {
		t.Errorf("YAN Xiaobing identifiers = %v", yan.Identifiers)
	}
	// "Passport issued 21 Jun 1992 in Amman, Jordan." names no number and
	// "Email Address" is no identifier here: neither makes one.
	count := map[IdentifierKind]int{}
	for _, e := range p.Entries {
		for _, id := range e.Identifiers {
			count[id.Kind]++
			if id.Value == "" || len(id.Value) < 2 {
				t.Errorf("entry %s: identifier %v", e.ID, id)
			}
		}
	}
	// The 2021 list gives 1,542 passport numbers, 70 call signs, 96 wallet
	// addresses, 409 IMO numbers, 21 BICs (counted from its remarks).
	for kind, min := range map[IdentifierKind]int{PassportNumber: 1500, NationalID: 1300, IMONumber: 400, CryptoAddress: 90, BIC: 20, CallSign: 60, TaxID: 250} {
		if count[kind] < min {
			t.Errorf("%s identifiers = %d; want at least %d", kind, count[kind], min)
		}
	}
}

func TestUNIdentifiersFromRealList(t *testing.T) {
	p, err := Parse(FormatUN, dataPath(t, "un/consolidated.xml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id   string
		want []Identifier
	}{
		// <TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT><NUMBER>OB 0243318</NUMBER>
		// <ISSUING_COUNTRY>Democratic Republic of the Congo</ISSUING_COUNTRY>
		{"6908012", []Identifier{{PassportNumber, "OB0243318", "CD"}}},
		// National Identification Number 1-78-09-44621-80 (FARDC ID)
		{"6908010", []Identifier{{NationalID, "178094462180", ""}}},
		// Two passports of Tanzania, one expired: both are his.
		{"6908994", []Identifier{{PassportNumber, "AB850901", "TZ"}, {PassportNumber, "AB187304", "TZ"}}},
	}
	for _, tc := range tests {
		e := findEntry(t, p.Entries, tc.id)
		if diff := cmp.Diff(tc.want, e.Identifiers); diff != "" {
			t.Errorf("entry %s (%s) identifiers (-want +got):\n%s", tc.id, e.Name, diff)
		}
	}
	n := 0
	for _, e := range p.Entries {
		n += len(e.Identifiers)
	}
	if n < 440 { // 308 passports and 153 national ids, some without a number
		t.Errorf("UN identifiers = %d; want at least 440", n)
	}
}

func TestSenzingIdentifiers(t *testing.T) {
	p, err := Parse(FormatSenzing, dataPath(t, "pep/us_congress_senzing.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	// {"TRUSTED_ID_TYPE":"WIKIDATA","TRUSTED_ID_NUMBER":"Q101196632"}: kept;
	// {"OTHER_ID_TYPE":"OPEN_SANCTIONS", ...} repeats the record id: dropped.
	e := findEntry(t, p.Entries, "Q101196632")
	if diff := cmp.Diff([]Identifier{{OtherID, "Q101196632", ""}}, e.Identifiers); diff != "" {
		t.Errorf("Jake Auchincloss identifiers (-want +got):\n%s", diff)
	}
	if mc := findEntry(t, p.Entries, "NK-AQ4HymsADSK2D63MkyTqfC"); len(mc.Identifiers) != 0 {
		t.Errorf("an OPEN_SANCTIONS id became an identifier: %v", mc.Identifiers)
	}

	// OpenSanctions' exports of sanctions lists carry documents: in
	// IDENTIFIERS and, as Senzing allows, at the top level.
	var r senzingRecord
	line := `{"DATA_SOURCE":"OS_TEST","RECORD_ID":"x1","RECORD_TYPE":"PERSON","NAMES":[{"NAME_TYPE":"PRIMARY","NAME_FULL":"Ivan Petrov"}],` +
		`"PASSPORT_NUMBER":"75 1234567","PASSPORT_COUNTRY":"Russia",` +
		`"IDENTIFIERS":[{"NATIONAL_ID_NUMBER":"123-456","NATIONAL_ID_COUNTRY":"ru"},{"TAX_ID_NUMBER":"7701","TAX_ID_COUNTRY":"RU"},{"OTHER_ID_TYPE":"IMO","OTHER_ID_NUMBER":"IMO 9187629"}]}`
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		t.Fatal(err)
	}
	got, err := r.entry()
	if err != nil {
		t.Fatal(err)
	}
	got.tidy()
	want := []Identifier{{PassportNumber, "751234567", "RU"}, {NationalID, "123456", "RU"}, {TaxID, "7701", "RU"}, {IMONumber, "9187629", ""}}
	if diff := cmp.Diff(want, got.Identifiers); diff != "" {
		t.Errorf("identifiers (-want +got):\n%s", diff)
	}
}
