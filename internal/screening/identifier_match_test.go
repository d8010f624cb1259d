package screening

import (
	"slices"
	"strings"
	"sync"
	"testing"
)

var (
	realIndexOnce sync.Once
	realIndexV    *Index
)

// realIndex is the index of the lists shipped in the repository, built
// once for the tests that need it.
func realIndex(t *testing.T) *Index {
	t.Helper()
	realIndexOnce.Do(func() { realIndexV = BuildIndex(realLists(t)) })
	return realIndexV
}

func findMatch(ms []Match, source, id string) *Match {
	for i := range ms {
		for _, s := range ms[i].Sources {
			if s.Source == source && s.EntryID == id {
				return &ms[i]
			}
		}
	}
	return nil
}

func factorOf(m *Match, name string) *Factor {
	for i := range m.Explanation.Factors {
		if m.Explanation.Factors[i].Factor == name {
			return &m.Explanation.Factors[i]
		}
	}
	return nil
}

func TestIdentifierMatchRaisesToMatch(t *testing.T) {
	ix := realIndex(t)
	// "Jimmy Joseph Cherizier" is only like OFAC's "CHERIZIER, Jimmy";
	// with the national id the list gives him (0018439897, Haiti) it is a
	// MATCH.
	ofac := SearchOptions{Sources: map[string]bool{"OFAC_SDN": true}}
	q := Query{Name: "Jimmy Joseph Cherizier", Type: Individual}
	plain := findMatch(ix.Search(q, ofac), "OFAC_SDN", "30582")
	if plain == nil || plain.Status != StatusPossibleMatch {
		t.Fatalf("without an identifier: %+v; want a POSSIBLE_MATCH", plain)
	}
	q.Identifiers = []Identifier{{Kind: NationalID, Value: "0018-439897", Country: "ht"}}
	m := findMatch(ix.Search(q, ofac), "OFAC_SDN", "30582")
	if m == nil || m.Status != StatusMatch || m.Score <= plain.Score {
		t.Fatalf("with the national id: %+v; want a MATCH above %v", m, plain.Score)
	}
	f := factorOf(m, "identifier")
	if f == nil || !strings.Contains(f.Detail, "national id 0018439897 (HT)") || f.Contribution <= 0 {
		t.Fatalf("identifier factor = %+v", f)
	}

	// The same number issued by another country is another document.
	q.Identifiers = []Identifier{{Kind: NationalID, Value: "0018439897", Country: "FR"}}
	if m := findMatch(ix.Search(q, ofac), "OFAC_SDN", "30582"); m == nil || m.Status != StatusPossibleMatch || factorOf(m, "identifier") != nil {
		t.Fatalf("a French number: %+v; want the plain POSSIBLE_MATCH", m)
	}
	// A passport number is never a national id.
	q.Identifiers = []Identifier{{Kind: PassportNumber, Value: "0018439897"}}
	if m := findMatch(ix.Search(q, ofac), "OFAC_SDN", "30582"); m == nil || m.Status != StatusPossibleMatch {
		t.Fatalf("as a passport: %+v", m)
	}
}

func TestIdentifierFindsEntryWhateverTheName(t *testing.T) {
	ix := realIndex(t)
	// A wallet in an AML transaction: the counterparty's name is nothing
	// like YAN Xiaobing's, the address is his (OFAC 25308).
	q := Query{Name: "Golden Exchange Services", Identifiers: []Identifier{{Kind: CryptoAddress, Value: "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h"}}}
	m := findMatch(ix.Search(q, SearchOptions{}), "OFAC_SDN", "25308")
	if m == nil || m.Status != StatusMatch || factorOf(m, "identifier") == nil {
		t.Fatalf("wallet: %+v; want a MATCH by identifier", m)
	}
	// Wallet addresses are case-sensitive.
	q.Identifiers[0].Value = strings.ToLower(q.Identifiers[0].Value)
	if m := findMatch(ix.Search(q, SearchOptions{}), "OFAC_SDN", "25308"); m != nil {
		t.Fatalf("a lower-cased address matched: %+v", m)
	}
	// A BIC of a counterparty bank (HAVIN BANK, OFAC 906).
	q = Query{Name: "Some Bank", Identifiers: []Identifier{{Kind: BIC, Value: "havigb2l"}}}
	if m := findMatch(ix.Search(q, SearchOptions{}), "OFAC_SDN", "906"); m == nil || m.Status != StatusMatch {
		t.Fatalf("BIC: %+v", m)
	}
	// A type filter still holds: a vessel's IMO number finds no person.
	q = Query{Name: "Artavil", Type: Individual, Identifiers: []Identifier{{Kind: IMONumber, Value: "IMO 9187629"}}}
	if ms := ix.Search(q, SearchOptions{}); len(ms) != 0 {
		t.Fatalf("an IMO number found people: %+v", ms)
	}
}

func TestConflictingIdentifierLowersWithExactDOB(t *testing.T) {
	ix := realIndex(t)
	ofac := SearchOptions{Sources: map[string]bool{"OFAC_SDN": true}}
	q := Query{Name: "Jimmy Cherizier", Type: Individual, DateOfBirth: "1977-03-30"}
	base := findMatch(ix.Search(q, ofac), "OFAC_SDN", "30582")
	if base == nil {
		t.Fatal("no match on his name and date of birth")
	}
	// Another Haitian passport than the list's PP3227493.
	q.Identifiers = []Identifier{{Kind: PassportNumber, Value: "RD1234567", Country: "HT"}}
	m := findMatch(ix.Search(q, ofac), "OFAC_SDN", "30582")
	if m == nil {
		t.Fatal("the conflicting passport removed the match")
	}
	f := factorOf(m, "identifier")
	if f == nil || f.Contribution != identifierConflict || !strings.Contains(f.Detail, "passport PP3227493 (HT)") || strings.Contains(f.Detail, "RD1234567") {
		t.Fatalf("identifier factor = %+v", f)
	}
	if m.Score >= base.Score {
		t.Fatalf("score %v; want below %v", m.Score, base.Score)
	}
	// With only a year of birth the conflict is told, not counted.
	q.DateOfBirth = "1977"
	m = findMatch(ix.Search(q, ofac), "OFAC_SDN", "30582")
	if m == nil {
		t.Fatal("no match with the year")
	}
	if f := factorOf(m, "identifier"); f == nil || f.Contribution != 0 || !strings.Contains(f.Detail, "not counted") {
		t.Fatalf("identifier factor with a year = %+v", f)
	}
	// A passport of another country is no conflict.
	q.Identifiers[0].Country = "US"
	q.DateOfBirth = "1977-03-30"
	if m := findMatch(ix.Search(q, ofac), "OFAC_SDN", "30582"); m == nil || factorOf(m, "identifier") != nil || m.Score != base.Score {
		t.Fatalf("a US passport: %+v", m)
	}
}

func TestEntityResolutionAcrossRealLists(t *testing.T) {
	ix := realIndex(t)
	tests := []struct {
		name  string
		q     Query
		want  []MatchSource // source and entry id
		joins string
	}{
		// OFAC 30582 and UN 6908911: the same national id, name and date of birth.
		{"Jimmy Cherizier", Query{Name: "Jimmy Cherizier", Type: Individual}, []MatchSource{{Source: "OFAC_SDN", EntryID: "30582"}, {Source: "UN_CONSOLIDATED", EntryID: "6908911"}}, "identifier"},
		// OFAC 7867 and UN 6908072: passport NO34409129.
		{"Tariq Aziz", Query{Name: "Tariq Aziz", Type: Individual, DateOfBirth: "1936-07-01"}, []MatchSource{{Source: "OFAC_SDN", EntryID: "7867"}, {Source: "UN_CONSOLIDATED", EntryID: "6908072"}}, "identifier"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms := ix.Search(tc.q, SearchOptions{})
			m := findMatch(ms, tc.want[0].Source, tc.want[0].EntryID)
			if m == nil {
				t.Fatalf("no match: %+v", ms)
			}
			var got []string
			for _, s := range m.Sources {
				got = append(got, s.Source+" "+s.EntryID)
			}
			for _, w := range tc.want {
				if !slices.Contains(got, w.Source+" "+w.EntryID) {
					t.Errorf("sources %v lack %s %s", got, w.Source, w.EntryID)
				}
				n := 0
				for _, x := range ms {
					if x.Source == w.Source && x.EntryID == w.EntryID {
						n++
					}
				}
				if n > 1 {
					t.Errorf("%s %s is a match of its own as well", w.Source, w.EntryID)
				}
			}
			if m.Sources[0].Source != m.Source || m.Sources[0].EntryID != m.EntryID {
				t.Errorf("the first source %+v is not the match's own entry %s %s", m.Sources[0], m.Source, m.EntryID)
			}
		})
	}
}

func TestEntityResolutionRules(t *testing.T) {
	ix := BuildIndex([]List{
		{Ref: ListRef{Source: "A", Kind: KindSanctions, Version: 1}, Entries: []Entry{
			{ID: "a1", Type: Individual, Name: "PETROV, Ivan Sergeyevich", DatesOfBirth: []string{"1970-05-01"}},
			{ID: "a2", Type: Individual, Name: "KOVAC, Marko", Identifiers: []Identifier{{Kind: PassportNumber, Value: "P 1234567", Country: "RS"}}},
			{ID: "a3", Type: Individual, Name: "HORVAT, Ana", DatesOfBirth: []string{"1980"}},
			{ID: "a4", Type: Individual, Name: "NOVAK, Luka", Identifiers: []Identifier{{Kind: NationalID, Value: "12345", Country: "SI"}}},
		}},
		{Ref: ListRef{Source: "B", Kind: KindSanctions, Version: 1}, Entries: []Entry{
			{ID: "b1", Type: Individual, Name: "Ivan Sergeyevich Petrov", DatesOfBirth: []string{"1970-05-01"}},
			{ID: "b2", Type: Individual, Name: "Marko Kovač", Identifiers: []Identifier{{Kind: PassportNumber, Value: "p1234567"}}},
			{ID: "b3", Type: Individual, Name: "Ana Horvat", DatesOfBirth: []string{"1980"}},
			{ID: "b4", Type: Individual, Name: "Luka Novak", Identifiers: []Identifier{{Kind: NationalID, Value: "12345", Country: "SI"}}},
			{ID: "b5", Type: Individual, Name: "Ivan Sergeyevich Petrov", DatesOfBirth: []string{"1971-02-02"}},
		}},
		{Ref: ListRef{Source: "P", Kind: KindPEP, Version: 1}, Entries: []Entry{
			{ID: "p1", Type: Individual, Name: "Ivan Sergeyevich Petrov", DatesOfBirth: []string{"1970-05-01"}},
		}},
	})
	groups := func(name string) map[string][]string {
		out := map[string][]string{}
		for _, m := range ix.Search(Query{Name: name, Type: Individual}, SearchOptions{}) {
			for _, s := range m.Sources {
				out[m.EntryID] = append(out[m.EntryID], s.EntryID)
			}
		}
		return out
	}
	tests := []struct {
		name string
		want int // matches left
		same []string
	}{
		// Name in another order and the same day of birth: one. Another
		// day of birth (b5) is another man; a PEP entry stays apart, so that
		// the PEP verdict sees it.
		{"Ivan Sergeyevich Petrov", 3, []string{"a1", "b1"}},
		// A shared passport, one side without a country.
		{"Marko Kovac", 1, []string{"a2", "b2"}},
		// Only a year of birth: not enough to say they are one.
		{"Ana Horvat", 2, nil},
		// A five-digit number joins nobody.
		{"Luka Novak", 2, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := groups(tc.name)
			if len(g) != tc.want {
				t.Fatalf("groups = %v; want %d", g, tc.want)
			}
			if tc.same != nil {
				found := false
				for _, members := range g {
					slices.Sort(members)
					if slices.Equal(members, tc.same) {
						found = true
					}
				}
				if !found {
					t.Fatalf("groups = %v; want %v together", g, tc.same)
				}
			}
		})
	}
}
