// Package listfuzz fuzzes the list parsers. It is a package of its own so
// that its fuzz workers start without the screening tests' database.
package listfuzz

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/screening/screeningtest"
)

// The list parsers read files published by others and uploaded by
// administrators: whatever the bytes, a parse ends in entries or a
// refusal, never a panic, and what it accepts is whole (every entry has an
// id and a name).

// seedLines is the first n lines of a shipped list file, a real seed.
func seedLines(f *testing.F, rel string, n int) []byte {
	f.Helper()
	b, err := os.ReadFile(screeningtest.Path(f, rel))
	if err != nil {
		f.Fatal(err)
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	if len(lines) > n {
		lines = lines[:n]
	}
	return bytes.Join(lines, nil)
}

func checkParsed(t *testing.T, p screening.Parsed, err error) {
	t.Helper()
	if err != nil {
		if len(p.Entries) != 0 {
			t.Fatalf("a refused list kept %d entries", len(p.Entries))
		}
		return
	}
	for _, e := range p.Entries {
		if e.ID == "" || strings.TrimSpace(e.Name) == "" || !slices.Contains([]screening.EntryType{screening.Individual, screening.Entity, screening.Vessel, screening.Aircraft}, e.Type) {
			t.Fatalf("accepted an entry without id, name or type: %+v", e)
		}
	}
}

func FuzzParseOFAC(f *testing.F) {
	f.Add(seedLines(f, "ofac-2021/sdn.csv", 5), seedLines(f, "ofac-2021/add.csv", 5), seedLines(f, "ofac-2021/alt.csv", 5))
	f.Add([]byte("36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\"\n"), []byte("36,25\n"), []byte("36,12,\"aka\",\"A\",-0-\n"))
	f.Add([]byte("x,\"\",,\n\"unterminated"), []byte{}, []byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, sdn, add, alt []byte) {
		dir := t.TempDir()
		for name, b := range map[string][]byte{"sdn.csv": sdn, "add.csv": add, "alt.csv": alt} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		p, err := screening.Parse(screening.FormatOFAC, dir)
		checkParsed(t, p, err)
	})
}

func FuzzParseUN(f *testing.F) {
	head := seedLines(f, "un/consolidated.xml", 60)
	f.Add(head)
	f.Add(append(head, []byte("</INDIVIDUAL></INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>")...))
	f.Add([]byte(`<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>A</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaaaaaa">]><CONSOLIDATED_LIST>&a;</CONSOLIDATED_LIST>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "consolidated.xml")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := screening.Parse(screening.FormatUN, path)
		checkParsed(t, p, err)
	})
}

func FuzzParseSenzing(f *testing.F) {
	f.Add(seedLines(f, "pep/us_congress_senzing.jsonl", 4))
	f.Add([]byte(`{"DATA_SOURCE":"X","RECORD_ID":"1","RECORD_TYPE":"PERSON","NAMES":[{"NAME_TYPE":"PRIMARY","NAME_FULL":"A B"}]}` + "\n"))
	f.Add([]byte("{\"RECORD_ID\":\"\u0000\"}\n{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "list.jsonl")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := screening.Parse(screening.FormatSenzing, path)
		checkParsed(t, p, err)
	})
}
