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

func readLabelled(t testing.TB) []labelledCase { return readLabelledFile(t, "testdata/labelled.jsonl") }

func readLabelledFile(t testing.TB, path string) []labelledCase {
	t.Helper()
	f, err := os.Open(path)
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

// quality is what a labelled set says of the matcher at some thresholds.
type quality struct {
	positives, found int // labelled matches, and those whose entry was found
	negatives, fp    int // labelled non-matches, and those that matched
	misses, fps      []string
}

func (q quality) recall() float64 { return float64(q.found) / float64(q.positives) }
func (q quality) fpRate() float64 { return float64(q.fp) / float64(q.negatives) }

// measure screens every case. A labelled match counts as found when its
// entry is among the matches; a labelled non-match with an entry counts as
// a false positive when that entry is among them, and a clean name (a
// non-match with no entry: a name no list holds) when anything is.
func measure(ix *Index, cases []labelledCase, opts SearchOptions) quality {
	return measureWith(func(q Query) []Match { return ix.Search(q, opts) }, cases)
}

// measureWith is measure with any search: the index's, or the service's
// with a tenant's settings.
func measureWith(search func(Query) []Match, cases []labelledCase) quality {
	var q quality
	for _, c := range cases {
		ms := search(Query{Name: c.Query.Name, Type: EntryType(c.Query.Type), DateOfBirth: c.Query.DateOfBirth, Country: c.Query.Country})
		var hit []string
		for _, m := range ms {
			if c.EntryID == "" || m.Source == c.Source && m.EntryID == c.EntryID {
				hit = append(hit, fmt.Sprintf("%s %s %q %.3f via %q", m.Source, m.EntryID, m.Name, m.Score, m.MatchedName))
			}
		}
		switch {
		case c.Label == "match":
			q.positives++
			if len(hit) > 0 {
				q.found++
			} else {
				q.misses = append(q.misses, fmt.Sprintf("missed %s %s: %q (%s %s %q)", c.ID, c.Category, c.Query.Name, c.Source, c.EntryID, c.EntryName))
			}
		default:
			q.negatives++
			if len(hit) > 0 {
				q.fp++
				q.fps = append(q.fps, fmt.Sprintf("false positive %s %s: %q matched %s", c.ID, c.Category, c.Query.Name, strings.Join(hit, "; ")))
			}
		}
	}
	return q
}

// labelledSets are the labelled sets: the generated one and the one of the
// classes of mistakes (testdata/labelled_classes.jsonl: Russian-style
// transliterations, particles written together or apart, East Asian names
// in either order, given names that are also surnames, each marked with
// the entry it must find, and clean names of many cultures that no list
// holds and that must match nothing).
var labelledSets = []string{"testdata/labelled.jsonl", "testdata/labelled_classes.jsonl"}

// TestLabelledQuality prints recall and false-positive rate at the default
// tenant thresholds (settings.go: a tenant that set none screens with
// DefaultPossibleThreshold and DefaultMatchThreshold) on each labelled set
// and on both together, and holds the set of the classes of mistakes to
// the same bar as the generated one.
func TestLabelledQuality(t *testing.T) {
	ix := BuildIndex(realLists(t))
	var all []labelledCase
	for _, path := range labelledSets {
		cases := readLabelledFile(t, path)
		all = append(all, cases...)
		for _, th := range []float64{DefaultPossibleThreshold, DefaultMatchThreshold} {
			q := measure(ix, cases, SearchOptions{PossibleThreshold: th})
			t.Logf("%s at %.2f: %d matches, recall %.3f; %d non-matches, false-positive rate %.3f",
				path, th, q.positives, q.recall(), q.negatives, q.fpRate())
			if th != DefaultPossibleThreshold {
				continue
			}
			for _, m := range append(q.misses, q.fps...) {
				t.Log("  ", m)
			}
			if path == "testdata/labelled_classes.jsonl" {
				if q.positives < 150 || q.negatives < 150 {
					t.Errorf("%s has %d matches and %d clean names; want at least 150 of each", path, q.positives, q.negatives)
				}
				if q.recall() < 0.95 || q.fpRate() > 0.05 {
					t.Errorf("%s: recall %.3f, false-positive rate %.3f; want recall >= 0.95 and false positives <= 0.05", path, q.recall(), q.fpRate())
				}
			}
		}
	}
	q := measure(ix, all, SearchOptions{})
	t.Logf("both sets at %.2f: %d matches, recall %.3f; %d non-matches, false-positive rate %.3f",
		DefaultPossibleThreshold, q.positives, q.recall(), q.negatives, q.fpRate())
}

// BenchmarkLabelledQuality prints the labelled sets' figures as a tenant
// sees them: every case screened through Service.Search for a tenant that
// kept the default settings (settings.go), against OFAC 2021, the UN list
// and the PEP list loaded through the database.
//
//	go test ./internal/screening/ -run '^$' -bench LabelledQuality -benchtime 1x
func BenchmarkLabelledQuality(b *testing.B) {
	svc, tn := benchService(b)
	ctx := b.Context()
	set, err := svc.Settings(ctx, tn)
	if err != nil {
		b.Fatal(err)
	}
	search := func(q Query) []Match {
		res, err := svc.Search(ctx, tn, q)
		if err != nil {
			b.Fatalf("%q: %v", q.Name, err)
		}
		return res.Matches
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, path := range labelledSets {
			q := measureWith(search, readLabelledFile(b, path))
			name := strings.TrimSuffix(strings.TrimPrefix(path, "testdata/"), ".jsonl")
			b.ReportMetric(q.recall(), name+"-recall")
			b.ReportMetric(q.fpRate(), name+"-fp-rate")
			b.Logf("%s at the tenant's possible-match threshold %.2f: %d matches, %d found, recall %.3f; %d non-matches, %d matched, false-positive rate %.3f",
				path, set.PossibleThreshold, q.positives, q.found, q.recall(), q.negatives, q.fp, q.fpRate())
		}
	}
}
