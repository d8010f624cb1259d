package screening

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The lists added with fetching from the publishers, parsed from the real
// files (OFAC Consolidated, BIS DPL, the CSL sample) and from fixtures
// written from the published schemas (EU FSF, UK Sanctions List).

func entryByID(t *testing.T, p Parsed, id string) Entry {
	t.Helper()
	for _, e := range p.Entries {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("%s: no entry %s", p.Source.ID, id)
	return Entry{}
}

func hasID(e Entry, kind IdentifierKind, value, country string) bool {
	return slices.Contains(e.Identifiers, Identifier{Kind: kind, Value: value, Country: country})
}

func TestParseOFACConsolidated(t *testing.T) {
	p, err := Parse(FormatOFACCons, dataPath(t, "ofac-consolidated"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Source.ID != "OFAC_CONSOLIDATED" || p.Source.Kind != KindSanctions || len(p.Checksum) != 64 {
		t.Errorf("source = %+v, checksum %q", p.Source, p.Checksum)
	}
	// The data README says 441; cons_prim.csv has 442 lines, one entry each.
	if len(p.Entries) != 442 {
		t.Errorf("entries = %d; want 442", len(p.Entries))
	}
	e := entryByID(t, p, "9640")
	if e.Name != "ABU TEIR, Mohammed" || e.Type != Individual || !slices.Contains(e.Programs, "NS-PLC") ||
		!slices.Contains(e.DatesOfBirth, "1951") || !slices.Contains(e.Aliases, "ABU TAIR, Mohammed Mahmud") {
		t.Errorf("entry 9640 = %+v", e)
	}
	// Identifiers from the remarks, continued in cons_comments.csv.
	sber := entryByID(t, p, "17018")
	if !hasID(sber, TaxID, "7707083893", "RU") {
		t.Errorf("entry 17018 identifiers = %v; want the tax id 7707083893 (Russia) from the comments", sber.Identifiers)
	}
	if _, err := Parse(FormatOFAC, dataPath(t, "ofac-consolidated")); err == nil {
		t.Error("the consolidated files read as the SDN list")
	}
}

func TestParseDPL(t *testing.T) {
	p, err := Parse(FormatDPL, dataPath(t, "us-bis-dpl/dpl.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Source.ID != "US_BIS_DPL" || p.Published == "" {
		t.Errorf("source = %+v, published %q", p.Source, p.Published)
	}
	// 546 rows; a name with several addresses is one entry.
	if len(p.Entries) < 400 || len(p.Entries) >= 546 {
		t.Errorf("entries = %d; want the rows merged by name", len(p.Entries))
	}
	var air *Entry
	for i := range p.Entries {
		if p.Entries[i].Name == "AIR FREIGHT LTD" {
			air = &p.Entries[i]
		}
	}
	if air == nil {
		t.Fatal("AIR FREIGHT LTD is missing")
	}
	if air.Type != Entity || !strings.HasPrefix(air.ID, "DPL-") || air.ListedOn != "2019-06-05" ||
		!slices.Contains(air.Countries, "IQ") || !slices.Contains(air.Countries, "AE") || !slices.Contains(air.Programs, "DPL") {
		t.Errorf("AIR FREIGHT LTD = %+v", *air)
	}
	for _, e := range p.Entries {
		if e.Name == "ADRIAN MANUEL HERNANDEZ" && (e.Type != Individual || e.ListedOn != "2017-10-16") {
			t.Errorf("ADRIAN MANUEL HERNANDEZ = %+v", e)
		}
	}
	// The same content gives the same ids.
	q, _ := Parse(FormatDPL, dataPath(t, "us-bis-dpl/dpl.txt"))
	if q.Entries[0].ID != p.Entries[0].ID {
		t.Error("ids differ between two reads")
	}
}

func TestParseCSL(t *testing.T) {
	p, err := Parse(FormatCSL, dataPath(t, "us-csl-sample/csl.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Source.ID != "US_CSL" || len(p.Entries) < 100 || len(p.Entries) > 115 {
		t.Errorf("source %s, entries = %d; want up to the 115 rows", p.Source.ID, len(p.Entries))
	}
	subs := map[string]int{}
	for _, e := range p.Entries {
		subs[e.Programs[0]]++
	}
	for _, sub := range []string{"SDN", "SSI", "EL", "DPL", "DTC", "ISN", "PLC", "UVL", "CAP"} {
		if subs[sub] == 0 {
			t.Errorf("no entry keeps the sub-list %s as its first program (%v)", sub, subs)
		}
	}
	e := entryByID(t, p, "SDN-20264")
	if e.Name != "200G PSA HOLDINGS LLC" || e.Type != Entity || !slices.Contains(e.Programs, "SDNTK") ||
		!hasID(e, TaxID, "800890696", "US") || !slices.Contains(e.Countries, "US") {
		t.Errorf("SDN-20264 = %+v", e)
	}
	v := entryByID(t, p, "SDN-23156")
	if v.Type != Vessel || !hasID(v, IMONumber, "8898831", "") {
		t.Errorf("SDN-23156 = %+v", v)
	}
	for _, e := range p.Entries {
		for _, id := range e.Identifiers {
			if strings.Contains(strings.ToLower(id.Value), "http") || strings.Contains(id.Value, "@") {
				t.Errorf("%s: a website or e-mail taken for an identifier: %v", e.ID, id)
			}
		}
	}
	withStart := 0
	for _, e := range p.Entries {
		if e.ListedOn != "" {
			withStart++
		}
	}
	if withStart == 0 {
		t.Error("no entry keeps its start_date as listing date")
	}
}

func TestParseEU(t *testing.T) {
	p, err := Parse(FormatEU, dataPath(t, "eu/fsf.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Source.ID != "EU_FSF" || len(p.Entries) != 4 || p.Published != "2026-03-02" {
		t.Fatalf("source %s, %d entries, published %q", p.Source.ID, len(p.Entries), p.Published)
	}
	s := entryByID(t, p, "13")
	if s.Name != "Saddam Hussein Al-Tikriti" || s.Type != Individual || !slices.Contains(s.DatesOfBirth, "1937-04-28") ||
		!slices.Contains(s.Countries, "IQ") || !slices.Equal(s.Programs, []string{"IRQ"}) || s.ListedOn != "2003-07-08" {
		t.Errorf("entry 13 = %+v", s)
	}
	// A weak one-word alias is too vague to keep; a weak two-word one is kept.
	if slices.Contains(s.Aliases, "Saddam") || !slices.Contains(s.Aliases, "Abu Ali") {
		t.Errorf("aliases = %v", s.Aliases)
	}
	o := entryByID(t, p, "1097")
	if !hasID(o, PassportNumber, "OR801335", "AF") || !hasID(o, NationalID, "1234567", "AF") || len(o.Identifiers) != 2 {
		t.Errorf("entry 1097 identifiers = %v (the known-false passport must be left out)", o.Identifiers)
	}
	if !slices.Contains(o.DatesOfBirth, "~1960") || o.ListedOn != "2001-03-08" {
		t.Errorf("entry 1097 = %+v", o)
	}
	b := entryByID(t, p, "4135")
	if b.Type != Entity || !hasID(b, BIC, "SINAIRTH", "IR") || b.ListedOn != "2012-03-24" || !slices.Contains(b.Aliases, "بانک سینا") {
		t.Errorf("entry 4135 = %+v", b)
	}
}

func TestParseUK(t *testing.T) {
	p, err := Parse(FormatUK, dataPath(t, "uk/uk-sanctions-list.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Source.ID != "UK_SANCTIONS_LIST" || len(p.Entries) != 4 || p.Published != "2026-03-02" {
		t.Fatalf("source %s, %d entries, published %q", p.Source.ID, len(p.Entries), p.Published)
	}
	a := entryByID(t, p, "AFG0006")
	if a.Name != "MOHAMMAD HASSAN AKHUND" || !slices.Equal(a.DatesOfBirth, []string{"1955", "1958"}) || a.ListedOn != "2001-01-25" ||
		!slices.Contains(a.Aliases, "Mullah Mohammad Hassan") || !slices.Contains(a.Aliases, "محمد حسن آخوند") ||
		!slices.Contains(a.Countries, "AF") || !strings.Contains(a.Programs[0], "Afghanistan") {
		t.Errorf("AFG0006 = %+v", a)
	}
	v := entryByID(t, p, "RUS0251")
	if !hasID(v, PassportNumber, "100000001", "RU") || !hasID(v, NationalID, "7700000000", "RU") || !slices.Equal(v.DatesOfBirth, []string{"1952-10-07"}) {
		t.Errorf("RUS0251 = %+v", v)
	}
	r := entryByID(t, p, "RUS0263")
	if r.Type != Entity || !slices.Contains(r.Aliases, "ROSNEFT") || !hasID(r, RegistrationID, "1027700043502", "") {
		t.Errorf("RUS0263 = %+v", r)
	}
	s := entryByID(t, p, "RUS1899")
	if s.Type != Vessel || !hasID(s, IMONumber, "9402108", "") || !slices.Contains(s.Countries, "PA") {
		t.Errorf("RUS1899 = %+v", s)
	}
}

func TestParseSenzingIdentifiersAndCollections(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "senzing.json")
	lines := []string{
		`{"DATA_SOURCE":"OS_EU_FSF","RECORD_ID":"NK-1","RECORD_TYPE":"PERSON","NAMES":[{"NAME_TYPE":"PRIMARY","NAME_FULL":"Ivan Petrov"}],"DATES":[{"DATE_OF_BIRTH":"1970-01-02"}],"RISKS":[{"TOPIC":"sanction"}],"IDENTIFIERS":[{"PASSPORT_NUMBER":"72 1234567","PASSPORT_COUNTRY":"RU"},{"NATIONAL_ID_NUMBER":"4510-123456","NATIONAL_ID_COUNTRY":"ru"},{"OTHER_ID_TYPE":"OPEN_SANCTIONS","OTHER_ID_NUMBER":"NK-1"}]}`,
		`{"DATA_SOURCE":"OS_GB_FCDO","RECORD_ID":"NK-2","RECORD_TYPE":"ORGANIZATION","NAMES":[{"NAME_TYPE":"PRIMARY","NAME_ORG":"Acme Export LLC"}],"TAX_ID_NUMBER":"7701234567","TAX_ID_COUNTRY":"RU","RISKS":[{"TOPIC":"sanction"}]}`,
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	// Two DATA_SOURCEs: refused as one list, read as a collection.
	if _, err := Parse(FormatSenzing, path); err == nil {
		t.Error("a file mixing DATA_SOURCEs loaded as one source")
	}
	p, err := ParseAs(FormatSenzing, path, Source{ID: "OPENSANCTIONS_DEFAULT", Name: "OpenSanctions", Kind: KindSanctions})
	if err != nil {
		t.Fatal(err)
	}
	if p.Source.ID != "OPENSANCTIONS_DEFAULT" || p.Source.Format != FormatSenzing || len(p.Entries) != 2 {
		t.Fatalf("parsed = %+v", p.Source)
	}
	e := p.Entries[0]
	if !hasID(e, PassportNumber, "721234567", "RU") || !hasID(e, NationalID, "4510123456", "RU") || len(e.Identifiers) != 2 {
		t.Errorf("NK-1 identifiers = %v", e.Identifiers)
	}
	if e.Programs[0] != "OS_EU_FSF" || !slices.Contains(e.Programs, "sanction") {
		t.Errorf("NK-1 programs = %v; want its dataset first", e.Programs)
	}
	if o := p.Entries[1]; o.Type != Entity || !hasID(o, TaxID, "7701234567", "RU") {
		t.Errorf("NK-2 = %+v", o)
	}
	// The shipped PEP list has no document numbers, only OpenSanctions' own
	// ids, which name the record, not a document, and Wikidata ids, kept
	// (as OTHER) because they join one person across lists.
	pep, err := Parse(FormatSenzing, dataPath(t, "pep/us_congress_senzing.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range pep.Entries {
		for _, id := range e.Identifiers {
			if id.Kind != OtherID || !wikidataID.MatchString(id.Value) {
				t.Fatalf("%s: identifier %v from a record id", e.ID, id)
			}
		}
	}
}

var wikidataID = regexp.MustCompile(`^Q[0-9]+$`)

func TestParseNewFormatsRefuseBrokenFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cut := func(rel string, frac float64) string {
		b, err := os.ReadFile(dataPath(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		return write("cut-"+filepath.Base(rel), string(b[:int(float64(len(b))*frac)]))
	}
	tests := []struct {
		name   string
		format Format
		path   string
		want   string
	}{
		{"EU cut short", FormatEU, cut("eu/fsf.xml", 0.6), "fsf.xml"},
		{"UK cut short", FormatUK, cut("uk/uk-sanctions-list.xml", 0.6), "uk-sanctions-list.xml"},
		{"UK wrong root", FormatUK, write("uk.xml", `<export></export>`), "want Designations"},
		{"EU no name", FormatEU, write("eu.xml", `<export><sanctionEntity logicalId="1"><subjectType code="person"/></sanctionEntity></export>`), "has no name"},
		{"CSL not a CSL", FormatCSL, write("x.csv", "a,b\n1,2\n"), "no source column"},
		{"CSL short row", FormatCSL, cut("us-csl-sample/csl.csv", 0.5), "line"},
		{"DPL wrong header", FormatDPL, write("d.txt", "\"Nom\"\t\"x\"\t\"x\"\t\"x\"\t\"x\"\t\"x\"\t\"x\"\t\"x\"\t\"x\"\t\"x\"\t\"x\"\t\"x\"\n"), "want Name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.format, tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v; want it to say %q", err, tc.want)
			}
		})
	}
}
