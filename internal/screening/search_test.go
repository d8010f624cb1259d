package screening

import (
	"slices"
	"testing"
)

// testIndex is a small index of made-up entries for behaviour tests.
func testIndex() *Index {
	return BuildIndex([]List{{
		Ref: ListRef{Source: "TEST", Kind: KindSanctions, Version: 1},
		Entries: []Entry{
			{ID: "1", Type: Individual, Name: "RODRIGUEZ OREJUELA, Miguel Angel", DatesOfBirth: []string{"1943-11-23"}, Countries: []string{"CO"}},
			{ID: "2", Type: Vessel, Name: "MIGUEL ANGEL"},
			{ID: "3", Type: Entity, Name: "ACME TRADING LIMITED", Aliases: []string{"ACME GLOBAL"}},
			{ID: "4", Type: Individual, Name: "KIM, Kyong-Su"},
			{ID: "5", Type: Individual, Name: "AL-MASLI, 'Abd-al-Hamid"},
			{ID: "6", Type: Entity, Name: "SUNRISE SHIPPING LTD"},
		},
	}})
}

func TestSearchBehaviour(t *testing.T) {
	ix := testIndex()
	tests := []struct {
		name string
		q    Query
		want []string // entry ids, best first
	}{
		{"reordered, lower case", Query{Name: "miguel angel rodriguez orejuela"}, []string{"1"}},
		{"a person is no vessel", Query{Name: "Miguel Angel", Type: Individual}, nil},
		{"a vessel is no person", Query{Name: "Miguel Angel", Type: Vessel}, []string{"2"}},
		{"missing middle name", Query{Name: "Miguel Rodriguez Orejuela", Type: Individual}, []string{"1"}},
		{"typos", Query{Name: "Migel Rodrigez Orejuela", Type: Individual}, []string{"1"}},
		{"initial", Query{Name: "M. A. Rodriguez Orejuela", Type: Individual}, []string{"1"}},
		{"alias", Query{Name: "Acme Global"}, []string{"3"}},
		{"legal form spelt otherwise", Query{Name: "ACME TRADING LTD."}, []string{"3"}},
		{"only the legal form in common", Query{Name: "Sunset Travel Limited"}, nil},
		{"only the first name", Query{Name: "Miguel", Type: Individual}, nil},
		{"written together", Query{Name: "Kim Kyongsu"}, []string{"4"}},
		{"written together around a particle", Query{Name: "Abdalhamid al Masli"}, []string{"5"}},
		{"written apart", Query{Name: "Abd al Hamid Almasli"}, []string{"5"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, m := range ix.Search(tc.q, SearchOptions{}) {
				got = append(got, m.EntryID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Search(%+v) = %v; want %v", tc.q, got, tc.want)
			}
		})
	}
}

func TestSearchScoresAndExplains(t *testing.T) {
	ix := testIndex()
	search := func(q Query) Match {
		t.Helper()
		ms := ix.Search(q, SearchOptions{})
		if len(ms) == 0 || ms[0].EntryID != "1" {
			t.Fatalf("Search(%+v) = %+v; want entry 1 first", q, ms)
		}
		return ms[0]
	}
	plain := search(Query{Name: "Migel Angel Rodriguez Orejuela", Type: Individual})
	sameDOB := search(Query{Name: "Migel Angel Rodriguez Orejuela", Type: Individual, DateOfBirth: "1943-11-23", Country: "CO"})
	otherDOB := search(Query{Name: "Migel Angel Rodriguez Orejuela", Type: Individual, DateOfBirth: "1975-01-01", Country: "FR"})
	if !(sameDOB.Score > plain.Score && plain.Score > otherDOB.Score) {
		t.Errorf("scores: same date of birth %.3f, none %.3f, other %.3f; want falling", sameDOB.Score, plain.Score, otherDOB.Score)
	}
	if sameDOB.Status != StatusMatch || otherDOB.Status != StatusPossibleMatch {
		t.Errorf("statuses %s and %s; want MATCH and POSSIBLE_MATCH", sameDOB.Status, otherDOB.Status)
	}
	exp := sameDOB.Explanation
	if exp.MatchedName != "RODRIGUEZ OREJUELA, Miguel Angel" || exp.NameKind != "PRIMARY" || exp.Score != sameDOB.Score {
		t.Errorf("explanation = %+v", exp)
	}
	i := slices.IndexFunc(exp.Pairs, func(p TokenPair) bool { return p.Query == "MIGEL" })
	if i < 0 || exp.Pairs[i].Matched != "MIGUEL" || exp.Pairs[i].JaroWinkler < 0.9 || exp.Pairs[i].Similarity >= 1 {
		t.Errorf("pairs = %+v; want MIGEL paired with MIGUEL", exp.Pairs)
	}
	var factors []string
	total := 0.0
	for _, f := range exp.Factors {
		factors = append(factors, f.Factor)
		total += f.Contribution
	}
	if !slices.Equal(factors, []string{"name", "dateOfBirth", "country", "bounds"}) || total < exp.Score-0.002 || total > exp.Score+0.002 {
		t.Errorf("factors %v add up to %.3f; want name, dateOfBirth, country, bounds adding up to the score %.3f", factors, total, exp.Score)
	}

	strict := ix.Search(Query{Name: "Migel Angel Rodriguez Orejuela"}, SearchOptions{PossibleThreshold: 0.999, MatchThreshold: 0.999})
	if len(strict) != 0 {
		t.Errorf("with a possible-match threshold of 0.999: %+v", strict)
	}
	none := ix.Search(Query{Name: "Rodriguez Orejuela"}, SearchOptions{Sources: map[string]bool{"OTHER": true}})
	if len(none) != 0 {
		t.Errorf("searching another source found %+v", none)
	}
}
