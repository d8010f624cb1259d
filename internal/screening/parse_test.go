package screening

import (
	"slices"
	"testing"
	"time"
)

func TestParseRealLists(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		path   string
		source string
		kind   string
		byType map[EntryType]int
	}{
		{"OFAC 2021", FormatOFAC, "ofac-2021", "OFAC_SDN", KindSanctions, map[EntryType]int{Individual: 4620, Entity: 3673, Vessel: 406, Aircraft: 277}},
		// The data README says 7,378, the line count of sdn.csv; its last
		// line has no newline, and it holds 7,379 distinct ent_nums.
		{"OFAC 2019", FormatOFAC, "ofac-2019", "OFAC_SDN", KindSanctions, map[EntryType]int{Individual: 3845, Entity: 2994, Vessel: 323, Aircraft: 217}},
		{"UN", FormatUN, "un/consolidated.xml", "UN_CONSOLIDATED", KindSanctions, map[EntryType]int{Individual: 730, Entity: 273}},
		{"PEP", FormatSenzing, "pep/us_congress_senzing.jsonl", "OS_US_CONGRESS", KindPEP, map[EntryType]int{Individual: 1319}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.format, dataPath(t, tc.path))
			if err != nil {
				t.Fatal(err)
			}
			got := map[EntryType]int{}
			for _, e := range p.Entries {
				got[e.Type]++
			}
			total := 0
			for _, n := range tc.byType {
				total += n
			}
			if len(p.Entries) != total {
				t.Errorf("entries = %d; want %d", len(p.Entries), total)
			}
			for typ, want := range tc.byType {
				if got[typ] != want {
					t.Errorf("%s entries = %d; want %d", typ, got[typ], want)
				}
			}
			if p.Source.ID != tc.source || p.Source.Kind != tc.kind {
				t.Errorf("source = %+v; want %s %s", p.Source, tc.source, tc.kind)
			}
			if len(p.Checksum) != 64 {
				t.Errorf("checksum = %q", p.Checksum)
			}
		})
	}
}

func TestParseOFACEntry(t *testing.T) {
	p, err := Parse(FormatOFAC, dataPath(t, "ofac-2021"))
	if err != nil {
		t.Fatal(err)
	}
	e := findEntry(t, p.Entries, "4108")
	if e.Name != "RODRIGUEZ OREJUELA, Miguel Angel" || e.Type != Individual {
		t.Errorf("entry 4108 = %q %s", e.Name, e.Type)
	}
	if want := []string{"1943-11-23", "1943-07-15"}; !slices.Equal(e.DatesOfBirth, want) {
		t.Errorf("dates of birth = %v; want %v", e.DatesOfBirth, want)
	}
	if !slices.Contains(e.Programs, "SDNT") {
		t.Errorf("programs = %v", e.Programs)
	}
	bank := findEntry(t, p.Entries, "306")
	if bank.Type != Entity || !slices.Contains(bank.Aliases, "NATIONAL BANK OF CUBA") || !slices.Contains(bank.Countries, "CH") {
		t.Errorf("entry 306 = %+v", bank)
	}
	iraj := findEntry(t, p.Entries, "30182")
	if !slices.Contains(iraj.Countries, "IR") || !slices.Equal(iraj.Programs, []string{"SDGT", "IRGC", "IFSR"}) {
		t.Errorf("entry 30182 = %+v", iraj)
	}
}

func TestParseUNEntry(t *testing.T) {
	p, err := Parse(FormatUN, dataPath(t, "un/consolidated.xml"))
	if err != nil {
		t.Fatal(err)
	}
	e := findEntry(t, p.Entries, "6907994")
	if e.Name != "FRANK KAKOLELE BWAMBALE" || !slices.Contains(e.Aliases, "AIGLE BLANC") || !slices.Contains(e.Countries, "CD") {
		t.Errorf("entry 6907994 = %+v", e)
	}
	badege := findEntry(t, p.Entries, "6907993")
	if !slices.Equal(badege.DatesOfBirth, []string{"1971"}) {
		t.Errorf("dates of birth = %v", badege.DatesOfBirth)
	}
	adf := findEntry(t, p.Entries, "6908402")
	if adf.Type != Entity || !slices.Contains(adf.Aliases, "Allied Democratic Forces") {
		t.Errorf("entry 6908402 = %+v", adf)
	}
}

func TestParseSenzingEntry(t *testing.T) {
	p, err := Parse(FormatSenzing, dataPath(t, "pep/us_congress_senzing.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	e := findEntry(t, p.Entries, "NK-AQ4HymsADSK2D63MkyTqfC")
	if e.Name != "Jennifer L. McClellan" || !slices.Equal(e.DatesOfBirth, []string{"1972"}) || !slices.Equal(e.Countries, []string{"US"}) {
		t.Errorf("entry = %+v", e)
	}
}

func findEntry(t *testing.T, entries []Entry, id string) Entry {
	t.Helper()
	for _, e := range entries {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("no entry %s", id)
	return Entry{}
}

// The UN file says when it was generated: the version's publication date.
// The OFAC CSV files and the Senzing lines carry none.
func TestParsePublicationDate(t *testing.T) {
	un, err := Parse(FormatUN, dataPath(t, "un/consolidated.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if at, ok := PublishedTime(un.Published); !ok || !at.Equal(time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("UN published %q, want 2026-02-27", un.Published)
	}
	ofac, err := Parse(FormatOFAC, dataPath(t, "ofac-2021"))
	if err != nil {
		t.Fatal(err)
	}
	if ofac.Published != "" {
		t.Errorf("OFAC published %q, want none: its CSV files carry no date", ofac.Published)
	}
}
