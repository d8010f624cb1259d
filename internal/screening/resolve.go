package screening

import (
	"slices"
)

// MatchSource is one list entry behind a match. A person on several lists
// is one match with a source for each entry.
type MatchSource struct {
	Source      string      `json:"source"`
	EntryID     string      `json:"entryId"`
	ListKind    string      `json:"listKind"`
	ListVersion int         `json:"listVersion"`
	Name        string      `json:"name"`
	Score       float64     `json:"score"`
	Status      MatchStatus `json:"status"`
}

// Identifiers shorter than this do not join entries: "12345" may be a
// number on two lists for two people.
const minJoinIdentifier = 6

// resolve merges the matches that are one subject on several lists: two
// entries of the same type and kind of list, on different lists, are one
// when they share an identifier, or a name (its words in any order) and
// an exact date of birth. The best-scoring match stands for the group and
// lists every entry in Sources. matches are best first, and stay so.
func (ix *Index) resolve(matches []Match) []Match {
	if len(matches) < 2 {
		return matches
	}
	parent := make([]int, len(matches))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	for i := range matches {
		for j := i + 1; j < len(matches); j++ {
			if find(i) != find(j) && ix.sameSubject(&matches[i], &matches[j]) {
				a, b := find(i), find(j)
				parent[max(a, b)] = min(a, b) // the better match stands for the group
			}
		}
	}
	out := matches[:0:0]
	slot := map[int]int{}
	for i := range matches {
		r := find(i)
		if k, ok := slot[r]; ok {
			out[k].Sources = append(out[k].Sources, matches[i].Sources...)
			continue
		}
		slot[r] = len(out)
		out = append(out, matches[i])
	}
	return out
}

func (ix *Index) sameSubject(a, b *Match) bool {
	if a.Source == b.Source || a.Type != b.Type || a.ListKind != b.ListKind {
		return false
	}
	ea, eb := &ix.entries[a.entry], &ix.entries[b.entry]
	for _, x := range ea.entry.Identifiers {
		if len(x.Value) < minJoinIdentifier {
			continue
		}
		if slices.ContainsFunc(eb.entry.Identifiers, func(y Identifier) bool { return sameIdentifier(x, y) }) {
			return true
		}
	}
	sameDay := false
	for _, d := range ea.dobs {
		if d.exactDay() && slices.ContainsFunc(eb.dobs, func(e dateRange) bool { return e.exactDay() && e.lo == d.lo }) {
			sameDay = true
			break
		}
	}
	if !sameDay {
		return false
	}
	for _, k := range ea.nameKeys {
		if slices.Contains(eb.nameKeys, k) {
			return true
		}
	}
	return false
}
