package screening

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// ListRef names one version of one list.
type ListRef struct {
	Source    string    `json:"source"`
	Kind      string    `json:"kind"` // SANCTIONS or PEP
	Version   int       `json:"version"`
	VersionID uuid.UUID `json:"versionId"`
	LoadedAt  time.Time `json:"loadedAt"`
	Entries   int       `json:"entries"`
}

// List is a version of a list with its entries, what an Index is built
// from.
type List struct {
	Ref     ListRef
	Entries []Entry
}

// Index finds list entries whose names are like a name asked about. It is
// built once from the lists' current versions and is then read-only, so
// any number of searches may run on it at once.
//
// Candidates come from the words of the names, not from a scan: each
// distinct word of the lists is indexed by itself, by its phonetic key and
// by its one-character deletions, and each word knows the names it is in.
// A search looks up the words near each word of the query (exact, same
// phonetic key, or one edit away), keeps those similar enough, and scores
// only the names that contain them.
type Index struct {
	lists   []ListRef
	entries []indexedEntry
	names   []indexedName
	// weights holds each name's weights apart from the names, so that
	// bounding thousands of candidates reads little memory.
	weights []nameWeights
	byType  [len(entryTypes)]*wordIndex
	// byIdent finds entries by an identifier's kind and value (see
	// identKey); the issuing country is compared when both have one.
	byIdent map[string][]int32
	scratch sync.Pool
}

type indexedEntry struct {
	list      int32
	entry     Entry
	hash      []byte
	dobs      []dateRange
	countries []string
	// names[nameLo:nameHi] are the entry's indexed names.
	nameLo, nameHi int32
	// nameKeys are the entry's names as sorted words, for telling the same
	// person on two lists (see resolve.go).
	nameKeys []string
}

type nameWeights struct {
	wsum, looseW float32
}

type indexedName struct {
	entry int32
	alias bool
	text  string
	toks  []token
	wsum  float64
	// looseW is the weight of the words no retrieval reaches (initials,
	// particles, legal forms), which may still pair when the name is scored.
	looseW float64
	// familyFirst is the number of words written before a comma, the
	// family name of "HASSAN, Mohamed"; 0 when the name is in its natural
	// order.
	familyFirst uint8
	// thin is true for a name of one word and initials ("HASSAN, M"): an
	// initial of it that pairs with a word counts as the whole word it
	// leaves unknown, so that it cannot outweigh full names.
	thin bool
}

// natural is the place of the name's word pos when the name is read in its
// natural order, the words after a comma first: in "HASSAN, Mohamed"
// MOHAMED is first and HASSAN second.
func (n *indexedName) natural(pos uint8) uint8 {
	k := n.familyFirst
	if k == 0 {
		return pos
	}
	if pos < k {
		return pos + uint8(len(n.toks)) - k
	}
	return pos - k
}

// familyWords is the number of words of name before its first comma, when
// words follow the comma.
func familyWords(name string, toks int) uint8 {
	i := strings.IndexByte(name, ',')
	if i < 0 {
		return 0
	}
	k := len(analyse(name[:i]))
	if k == 0 || k >= toks {
		return 0
	}
	return uint8(k)
}

// wordIndex indexes the words of the names of one entry type.
type wordIndex struct {
	words    []token
	ids      map[string]int32
	postings [][]posting // by word id: the names the word is in
	byPhon   map[string][]int32
	byDel    map[string][]int32
}

// posting says that a word is in a name at pos; span is 2 for the joined
// form of the name's words pos and pos+1 (KYONG-SU as KYONGSU).
type posting struct {
	name      int32
	pos, span uint8
	list      uint16 // the name's list, so that a search can skip lists without looking the name up
}

// Words this short get no deletion keys: one edit turns them into too many
// other words. Words one shorter are still found as the deletion of a
// longer one.
const minDeletionLen = 4

// Names are cut to this many words; nobody's name is longer.
const maxNameTokens = 16

// BuildIndex indexes the entries of lists.
func BuildIndex(lists []List) *Index {
	ix := &Index{byIdent: map[string][]int32{}}
	for t := range ix.byType {
		ix.byType[t] = &wordIndex{ids: map[string]int32{}, byPhon: map[string][]int32{}, byDel: map[string][]int32{}}
	}
	for li, l := range lists {
		ref := l.Ref
		ref.Entries = len(l.Entries)
		ix.lists = append(ix.lists, ref)
		for _, e := range l.Entries {
			ix.addEntry(int32(li), e)
		}
	}
	nNames, nEntries := len(ix.names), len(ix.entries)
	ix.scratch.New = func() any {
		return &scratch{
			nameSlots:  make([]stampedSlot, nNames),
			entryStamp: make([]uint32, nEntries),
			entrySlot:  make([]int32, nEntries),
		}
	}
	return ix
}

func (ix *Index) addEntry(list int32, e Entry) {
	t := e.Type.index()
	if t < 0 {
		return
	}
	ie := indexedEntry{list: list, entry: e, hash: e.Hash()}
	for _, d := range e.DatesOfBirth {
		if r, ok := parseDate(d); ok {
			ie.dobs = append(ie.dobs, r)
		}
	}
	for _, c := range e.Countries {
		if code, ok := countryCode(c); ok && !slices.Contains(ie.countries, code) {
			ie.countries = append(ie.countries, code)
		}
	}
	entryID := int32(len(ix.entries))
	ie.nameLo = int32(len(ix.names))
	ix.entries = append(ix.entries, ie)
	defer ix.finishEntry(entryID)

	wi := ix.byType[t]
	seen := map[string]bool{}
	for i, name := range append([]string{e.Name}, e.Aliases...) {
		toks := analyse(name)
		if len(toks) == 0 {
			continue
		}
		if len(toks) > maxNameTokens {
			toks = toks[:maxNameTokens]
		}
		key := joinTokens(toks)
		if seen[key] {
			continue
		}
		seen[key] = true
		nameID := int32(len(ix.names))
		n := indexedName{entry: entryID, alias: i > 0, text: name, toks: toks, familyFirst: familyWords(name, len(toks))}
		for pos, tok := range toks {
			n.wsum += tok.weight
			id := wi.add(tok)
			if tok.kind != kindWord && tok.kind != kindGeneric {
				n.looseW += tok.weight
			}
			wi.postings[id] = append(wi.postings[id], posting{name: nameID, pos: uint8(pos), span: 1, list: uint16(list)})
			for span := 2; span <= 3; span++ {
				if j, ok := join(toks, pos, span); ok {
					id := wi.add(j)
					wi.postings[id] = append(wi.postings[id], posting{name: nameID, pos: uint8(pos), span: uint8(span), list: uint16(list)})
				}
			}
		}
		words, initials := 0, 0
		for _, tok := range toks {
			switch tok.kind {
			case kindInitial:
				initials++
			case kindWord, kindGeneric:
				words++
			}
		}
		n.thin = words == 1 && initials > 0
		ix.names = append(ix.names, n)
		ix.weights = append(ix.weights, nameWeights{wsum: float32(n.wsum), looseW: float32(n.looseW)})
	}
}

func joinTokens(toks []token) string {
	b := make([]byte, 0, 32)
	for i, t := range toks {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, t.text...)
	}
	return string(b)
}

// add returns the id of tok's word, adding the word when it is new.
func (wi *wordIndex) add(tok token) int32 {
	if id, ok := wi.ids[tok.text]; ok {
		return id
	}
	id := int32(len(wi.words))
	wi.ids[tok.text] = id
	wi.words = append(wi.words, tok)
	wi.postings = append(wi.postings, nil)
	if tok.kind == kindInitial {
		return id // initials pair when names are scored, never as keys
	}
	if len(tok.phon) >= 2 {
		wi.byPhon[tok.phon] = append(wi.byPhon[tok.phon], id)
	}
	if len(tok.text) >= minDeletionLen-1 {
		wi.byDel[tok.text] = append(wi.byDel[tok.text], id)
	}
	if len(tok.text) >= minDeletionLen {
		for _, d := range deletions(tok.text) {
			wi.byDel[d] = append(wi.byDel[d], id)
		}
	}
	return id
}

// join reads span neighbouring words from pos as one: names are written
// ABDUL RAHMAN and ABDULRAHMAN, KYONG-SU and KYONGSU, ABD-AL-HAMID and
// ABDALHAMID. Two words join when they are words or particles, not both
// particles; three only around a particle (ABD AL HAMID). Initials and
// legal forms never join.
func join(toks []token, pos, span int) (token, bool) {
	if pos+span > len(toks) {
		return token{}, false
	}
	part := toks[pos : pos+span]
	ok := func(t token) bool { return t.kind == kindWord || t.kind == kindParticle || t.kind == kindGeneric }
	switch span {
	case 2:
		if !ok(part[0]) || !ok(part[1]) || part[0].kind == kindParticle && part[1].kind == kindParticle {
			return token{}, false
		}
	case 3:
		if !ok(part[0]) || part[1].kind != kindParticle || !ok(part[2]) || part[0].kind == kindParticle || part[2].kind == kindParticle {
			return token{}, false
		}
	default:
		return token{}, false
	}
	var text string
	weight := 0.0
	for _, t := range part {
		text += t.text
		weight += t.weight
	}
	return wordToken(text, kindWord, weight), true
}

// near returns the ids of the indexed words that may be similar to tok:
// the same word, the same phonetic key, or one edit away.
func (wi *wordIndex) near(tok token, buf []int32) []int32 {
	buf = buf[:0]
	if id, ok := wi.ids[tok.text]; ok {
		buf = append(buf, id)
	}
	if len(tok.phon) >= 2 {
		buf = append(buf, wi.byPhon[tok.phon]...)
	}
	if len(tok.text) >= minDeletionLen-1 {
		buf = append(buf, wi.byDel[tok.text]...)
		if len(tok.text) >= minDeletionLen {
			for _, d := range deletions(tok.text) {
				buf = append(buf, wi.byDel[d]...)
			}
		}
	}
	slices.Sort(buf)
	return slices.Compact(buf)
}

// Lists are the list versions the index was built from.
func (ix *Index) Lists() []ListRef { return slices.Clone(ix.lists) }

// Len is the number of entries indexed.
func (ix *Index) Len() int { return len(ix.entries) }
