package screening

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// labelledCase is one line of testdata/labelled.jsonl, written by
// internal/labelgen from the real lists.
type labelledCase struct {
	ID       string `json:"id"`
	Label    string `json:"label"` // match or no_match
	Category string `json:"category"`
	Query    struct {
		Name        string `json:"name"`
		Type        string `json:"type"`
		DateOfBirth string `json:"dateOfBirth"`
		Country     string `json:"country"`
	} `json:"query"`
	Source    string `json:"source"`
	EntryID   string `json:"entryId"`
	EntryName string `json:"entryName"`
}

func readLabelled(t testing.TB) []labelledCase {
	t.Helper()
	f, err := os.Open("testdata/labelled.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelledCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c labelledCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// TestLabelledPrecisionRecall screens every labelled query against OFAC
// 2021, the UN list and the PEP list and counts whether its entry is among
// the matches at the possible-match threshold: a labelled match found is a
// true positive, a labelled non-match found a false positive.
func TestLabelledPrecisionRecall(t *testing.T) {
	cases := readLabelled(t)
	ix := BuildIndex(realLists(t))
	type tally struct{ tp, fn, fp, tn int }
	var all tally
	byCat := map[string]*tally{}
	var misses []string
	for _, c := range cases {
		q := Query{Name: c.Query.Name, Type: EntryType(c.Query.Type), DateOfBirth: c.Query.DateOfBirth, Country: c.Query.Country}
		found := false
		var got []string
		for _, m := range ix.Search(q, SearchOptions{}) {
			if m.Source == c.Source && m.EntryID == c.EntryID {
				found = true
				got = append(got, fmt.Sprintf("%.3f via %q", m.Score, m.MatchedName))
			}
		}
		cat := byCat[c.Category]
		if cat == nil {
			cat = &tally{}
			byCat[c.Category] = cat
		}
		switch {
		case c.Label == "match" && found:
			all.tp++
			cat.tp++
		case c.Label == "match":
			all.fn++
			cat.fn++
			misses = append(misses, fmt.Sprintf("missed %s %s: %q (%s %s %q)", c.ID, c.Category, c.Query.Name, c.Source, c.EntryID, c.EntryName))
		case found:
			all.fp++
			cat.fp++
			misses = append(misses, fmt.Sprintf("false positive %s %s: %q (%s %s %q) %s", c.ID, c.Category, c.Query.Name, c.Source, c.EntryID, c.EntryName, strings.Join(got, ", ")))
		default:
			all.tn++
			cat.tn++
		}
	}
	cats := make([]string, 0, len(byCat))
	for k := range byCat {
		cats = append(cats, k)
	}
	slices.Sort(cats)
	for _, k := range cats {
		c := byCat[k]
		t.Logf("%-26s match found %3d missed %3d | non-match found %3d rejected %3d", k, c.tp, c.fn, c.fp, c.tn)
	}
	for _, m := range misses {
		t.Log(m)
	}
	precision := float64(all.tp) / float64(all.tp+all.fp)
	recall := float64(all.tp) / float64(all.tp+all.fn)
	t.Logf("labelled set: %d matches, %d non-matches; at the possible-match threshold %.2f: precision %.3f, recall %.3f",
		all.tp+all.fn, all.fp+all.tn, DefaultPossibleThreshold, precision, recall)
	if all.tp+all.fn < 300 || all.fp+all.tn < 300 {
		t.Errorf("the labelled set needs at least 300 matches and 300 non-matches")
	}
	if recall < 0.95 || precision < 0.90 {
		t.Errorf("precision %.3f, recall %.3f; want precision >= 0.90 and recall >= 0.95", precision, recall)
	}
}

// realLists parses OFAC 2021, the UN list and the PEP list.
func realLists(tb testing.TB) []List {
	tb.Helper()
	var lists []List
	for _, l := range []struct {
		format Format
		path   string
	}{{FormatOFAC, "ofac-2021"}, {FormatUN, "un/consolidated.xml"}, {FormatSenzing, "pep/us_congress_senzing.jsonl"}} {
		p, err := Parse(l.format, dataPath(tb, l.path))
		if err != nil {
			tb.Fatal(err)
		}
		lists = append(lists, List{Ref: ListRef{Source: p.Source.ID, Kind: p.Source.Kind, Version: 1}, Entries: p.Entries})
	}
	return lists
}
