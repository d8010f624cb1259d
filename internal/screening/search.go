package screening

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Query is a name to screen, with what else is known about its bearer.
type Query struct {
	Name string
	// Type restricts the search to one kind of entry; empty searches all.
	Type EntryType
	// DateOfBirth is YYYY-MM-DD, YYYY-MM or YYYY; optional.
	DateOfBirth string
	// Country is an ISO 3166-1 alpha-2 code (nationality or residence);
	// optional.
	Country string
	// Identifiers are the subject's documents and codes (passport, national
	// id, BIC, IBAN, wallet address, ...); optional. One equal to an
	// entry's makes the entry a MATCH.
	Identifiers []Identifier
}

// MatchStatus says how strong a match is.
type MatchStatus string

// The match statuses, as the API spells them.
const (
	StatusMatch         MatchStatus = "MATCH"
	StatusPossibleMatch MatchStatus = "POSSIBLE_MATCH"
)

// Default thresholds of a tenant that has set none.
const (
	DefaultMatchThreshold    = 0.92
	DefaultPossibleThreshold = 0.80
)

// Match is a list entry found for a query.
type Match struct {
	EntryID     string
	Source      string
	ListKind    string // SANCTIONS or PEP
	ListVersion int
	Name        string // the entry's primary name
	MatchedName string // the name or alias that matched
	Type        EntryType
	Score       float64
	Status      MatchStatus
	Explanation Explanation

	// Sources are the entries, on this list and others, found to be this
	// same match's subject (see resolve.go), this one first. Always at
	// least this one.
	Sources []MatchSource

	versionID uuid.UUID
	entryHash []byte
	entry     int32
}

// Explanation says why a name matched: which of the entry's names, how the
// words paired, and what each factor added.
type Explanation struct {
	MatchedName     string      `json:"matchedName"`
	NameKind        string      `json:"nameKind"` // PRIMARY or ALIAS
	QueryTokens     []string    `json:"queryTokens"`
	MatchedTokens   []string    `json:"matchedTokens"`
	Pairs           []TokenPair `json:"pairs"`
	UnpairedQuery   []string    `json:"unpairedQuery"`
	UnpairedMatched []string    `json:"unpairedMatched"`
	Factors         []Factor    `json:"factors"`
	Score           float64     `json:"score"`
}

// TokenPair is one word of the query paired with one word of the matched
// name.
type TokenPair struct {
	Query       string  `json:"query"`
	Matched     string  `json:"matched"`
	JaroWinkler float64 `json:"jaroWinkler"`
	// Phonetic is true when both words have the same phonetic key, which
	// raises their similarity.
	Phonetic bool `json:"phonetic"`
	// Initial is true when one word is the other's initial.
	Initial    bool    `json:"initial"`
	Similarity float64 `json:"similarity"`
	// Weight is what the pair counts for: low for legal forms and particles.
	Weight float64 `json:"weight"`
}

// Factor is one contribution to a score.
type Factor struct {
	Factor       string  `json:"factor"` // name, dateOfBirth, country, or bounds when the sum left 0..1
	Detail       string  `json:"detail"`
	Contribution float64 `json:"contribution"`
}

// SearchOptions are a tenant's settings for a search.
type SearchOptions struct {
	// Sources limits the search to these sources; nil searches all.
	Sources           map[string]bool
	MatchThreshold    float64
	PossibleThreshold float64
	// EnhancedThreshold is the tenant's possible-match threshold for
	// enhanced screening; 0: derived (EnhancedPossible).
	EnhancedThreshold float64
	// Limit caps the number of matches; 0 means no cap.
	Limit int
}

func (o SearchOptions) withDefaults() SearchOptions {
	if o.MatchThreshold == 0 {
		o.MatchThreshold = DefaultMatchThreshold
	}
	if o.PossibleThreshold == 0 {
		o.PossibleThreshold = DefaultPossibleThreshold
	}
	return o
}

// Token pairs less similar than pairMin do not pair: a word that merely
// shares some letters with another is not evidence.
const pairMin = 0.80

// initialSim is the similarity of an initial and a word it may stand for.
const initialSim = 0.90

// phoneticBoost moves the Jaro-Winkler similarity of two words with the
// same phonetic key this share of the way to 1, when they are already at
// least phoneticMinJW alike: HASSAN and HUSAYN share a key but are two names.
const (
	phoneticBoost = 0.3
	phoneticMinJW = 0.75
)

// Country agreement moves a score by this much.
const (
	countrySame      = 0.03
	countryDifferent = -0.03
)

// maxBoost is the most the factors can add to a name's score.
const maxBoost = dobSameDay + countrySame

// translitSim is the similarity of two words that differ only in how a
// transliteration spells a letter (DZHOKHAR and JOKHAR, YURI and IURI).
const translitSim = 0.95

// shortWordLen is the length up to which a word is short: one letter
// changed in a short word gives another name (KANG and WANG, MING and
// YING), so two short words that differ pair only when they sound alike
// or are at least shortWordMinJW alike.
const (
	shortWordLen   = 4
	shortWordMinJW = 0.90
)

// wordSim compares two words. jw is their Jaro-Winkler similarity.
// Particles and legal forms pair only with themselves. A single letter
// pairs with a word it is the initial of when initials is true, which it is
// for the names of people only: in "A & M TRADING" the A is no initial.
func wordSim(q, c token, initials bool) (sim, jw float64, phonetic, initial bool) {
	if q.text == c.text {
		return 1, 1, false, false
	}
	if q.kind == kindParticle || q.kind == kindLegal || c.kind == kindParticle || c.kind == kindLegal {
		return 0, 0, false, false
	}
	if q.kind == kindInitial || c.kind == kindInitial {
		if initials && q.text[0] == c.text[0] {
			return initialSim, 0, false, true
		}
		return 0, 0, false, false
	}
	jw = nameJW(q.text, c.text)
	if q.translit != q.text || c.translit != c.text {
		if q.translit == c.translit {
			return max(jw, translitSim), jw, true, false
		}
		jw = max(jw, nameJW(q.translit, c.translit))
	}
	sim = jw
	if len(q.phon) >= 2 && q.phon == c.phon && jw >= phoneticMinJW && comparableLengths(q.text, c.text) {
		phonetic = true
		sim = jw + (1-jw)*phoneticBoost
	}
	if len(q.text) <= shortWordLen && len(c.text) <= shortWordLen && q.phon != c.phon && jw < shortWordMinJW {
		return 0, jw, false, false
	}
	return sim, jw, phonetic, false
}

// nameJW is the Jaro-Winkler similarity of two words, without the bonus
// for a common prefix when one word is less than prefixMinShare of the
// other's length: CORP is the start of CORPORACION, ABDUL of ABDALLAH, and
// neither is the other name.
func nameJW(a, b string) float64 {
	if !comparableLengths(a, b) {
		return jaro(a, b)
	}
	return jaroWinkler(a, b)
}

// comparableLengths says whether the shorter of a and b is at least
// prefixMinShare of the longer. Words of very different lengths get
// neither the prefix bonus nor the phonetic one: ABDUL and ABDALLAH share
// a consonant skeleton and are two names.
func comparableLengths(a, b string) bool {
	short, long := len(a), len(b)
	if short > long {
		short, long = long, short
	}
	return short*prefixMinShareDen >= long*prefixMinShareNum
}

// prefixMinShare is prefixMinShareNum/prefixMinShareDen: 3/4.
const (
	prefixMinShareNum = 3
	prefixMinShareDen = 4
)

// pairRec is a candidate pairing of the query's words q..q+qSpan-1 with
// the name's words pos..pos+nSpan-1 (a span is 2 or 3 when words are read
// as one).
type pairRec struct {
	q, qSpan   uint8
	pos, nSpan uint8
	sim, jw    float32
	phon       bool
	initial    bool
	next       int32 // the name's next pair in scratch.pairs, or -1
}

func spanMask(first, span uint8) uint32 { return (uint32(1)<<span - 1) << first }

// candName is a name a search met, with its recorded pairs and the words
// on each side they cover.
type candName struct {
	name         int32
	first        int32
	qMask, nMask uint32
}

type entryBest struct {
	entry int32
	name  int32
	score float64
}

// scratch is one search's working memory, reused through a pool so that a
// search allocates little. Stamps mark which slots belong to the current
// search, so nothing needs clearing between searches.
type scratch struct {
	gen        uint32
	nameSlots  []stampedSlot
	entryStamp []uint32
	entrySlot  []int32
	cands      []candName
	pairs      []pairRec
	best       []entryBest
	near       []int32
	matrix     []pairRec
	chosen     []pairRec
}

// stampedSlot is a slot of the current search when its stamp is the
// search's generation.
type stampedSlot struct {
	stamp uint32
	slot  int32
}

func (s *scratch) reset() {
	s.gen++
	if s.gen == 0 { // wrapped: old stamps could collide
		clear(s.nameSlots)
		clear(s.entryStamp)
		s.gen = 1
	}
	s.cands = s.cands[:0]
	s.pairs = s.pairs[:0]
	s.best = s.best[:0]
}

// queryUnit is a word of the query, or two neighbouring words read as one,
// that candidates are looked up by.
type queryUnit struct {
	tok         token
	first, span uint8
}

// preparedQuery is a query analysed once for all the names it meets.
type preparedQuery struct {
	toks      []token
	wsum      float64
	looseW    float64     // weight of the words that find no candidates
	retrieve  []bool      // words that find candidates (the others pair when names are scored)
	units     []queryUnit // what candidates are looked up by
	dob       *dateRange
	country   string
	typeIndex int // -1: every type
	ids       []Identifier
}

func prepare(q Query) (preparedQuery, bool) {
	p := preparedQuery{typeIndex: -1}
	p.toks = analyse(q.Name)
	if len(p.toks) > maxNameTokens {
		p.toks = p.toks[:maxNameTokens]
	}
	if len(p.toks) == 0 {
		return p, false
	}
	p.retrieve = make([]bool, len(p.toks))
	found := false
	for i, t := range p.toks {
		p.wsum += t.weight
		if t.kind == kindWord || t.kind == kindGeneric {
			p.retrieve[i], found = true, true
		}
	}
	if !found { // a name of only particles or legal forms still searches by them
		for i, t := range p.toks {
			if t.kind != kindInitial {
				p.retrieve[i], found = true, true
			}
		}
	}
	if !found {
		return p, false
	}
	for i, t := range p.toks {
		if !p.retrieve[i] {
			p.looseW += t.weight
		}
	}
	for i, t := range p.toks {
		if p.retrieve[i] {
			p.units = append(p.units, queryUnit{tok: t, first: uint8(i), span: 1})
		}
		for span := 2; span <= 3; span++ {
			if j, ok := join(p.toks, i, span); ok {
				p.units = append(p.units, queryUnit{tok: j, first: uint8(i), span: uint8(span)})
			}
		}
	}
	if q.DateOfBirth != "" {
		if d, ok := parseDate(q.DateOfBirth); ok {
			p.dob = &d
		}
	}
	if q.Country != "" {
		if code, ok := countryCode(q.Country); ok {
			p.country = code
		}
	}
	if q.Type != "" {
		p.typeIndex = q.Type.index()
	}
	p.ids = tidyIdentifiers(q.Identifiers)
	return p, true
}

// Search returns the entries matching q at or above the possible-match
// threshold, best first. A query with no usable word finds nothing.
func (ix *Index) Search(q Query, opts SearchOptions) []Match {
	opts = opts.withDefaults()
	p, ok := prepare(q)
	if !ok {
		return nil
	}
	s := ix.scratch.Get().(*scratch)
	defer ix.scratch.Put(s)
	s.reset()

	allowed := make([]bool, len(ix.lists))
	for i, l := range ix.lists {
		allowed[i] = opts.Sources == nil || opts.Sources[l.Source]
	}
	for t, wi := range ix.byType {
		if p.typeIndex >= 0 && p.typeIndex != t {
			continue
		}
		ix.collect(s, wi, &p, allowed)
	}
	// The factors add at most maxBoost: names below this cannot make it.
	floor := opts.PossibleThreshold - maxBoost
	for i := range s.cands {
		c := &s.cands[i]
		if ix.upperBound(&p, c) < floor {
			continue
		}
		score := ix.scoreName(s, &p, *c, nil)
		if score < floor {
			continue
		}
		e := ix.names[c.name].entry
		if s.entryStamp[e] != s.gen {
			s.entryStamp[e] = s.gen
			s.entrySlot[e] = int32(len(s.best))
			s.best = append(s.best, entryBest{entry: e, name: c.name, score: score})
			continue
		}
		if b := &s.best[s.entrySlot[e]]; score > b.score {
			b.name, b.score = c.name, score
		}
	}
	if len(p.ids) > 0 {
		ix.identifierCandidates(s, &p, allowed)
	}
	var out []Match
	for _, b := range s.best {
		m, ok := ix.match(s, &p, b, opts)
		if ok {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b Match) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		return cmp.Compare(a.EntryID, b.EntryID)
	})
	out = ix.resolve(out)
	if opts.Limit > 0 && len(out) > opts.Limit {
		out = out[:opts.Limit]
	}
	return out
}

// collect finds, for every unit of the query, the indexed words similar
// enough to pair with it, and records the pairs against each name those
// words are in.
func (ix *Index) collect(s *scratch, wi *wordIndex, p *preparedQuery, allowed []bool) {
	for _, u := range p.units {
		s.near = wi.near(u.tok, s.near)
		for _, id := range s.near {
			sim, jw, phon, _ := wordSim(u.tok, wi.words[id], true)
			if sim < pairMin {
				continue
			}
			qm := spanMask(u.first, u.span)
			single := sim
			splitKey, splitVal := uint16(0), 0.0
			if u.span > 1 {
				single = min(sim, splitSim(wi.words[id], p.toks[u.first:u.first+u.span]))
			}
			for _, post := range wi.postings[id] {
				if u.span > 1 && post.span > 1 {
					continue // two joined pairs say what their words say
				}
				if !allowed[post.list] {
					continue
				}
				sim := single
				if post.span > 1 {
					// The parts of a joined word are known by their
					// lengths; most postings of one share them.
					toks := ix.names[post.name].toks
					parts := toks[post.pos : post.pos+post.span]
					key := uint16(len(parts[0].text))<<8 | uint16(len(parts[1].text))
					if key != splitKey {
						splitKey, splitVal = key, splitSim(u.tok, parts)
					}
					sim = min(sim, splitVal)
				}
				if sim < pairMin {
					continue
				}
				n := post.name
				ns := &s.nameSlots[n]
				if ns.stamp != s.gen {
					ns.stamp, ns.slot = s.gen, int32(len(s.cands))
					s.cands = append(s.cands, candName{name: n, first: -1})
				}
				c := &s.cands[ns.slot]
				s.pairs = append(s.pairs, pairRec{
					q: u.first, qSpan: u.span, pos: post.pos, nSpan: post.span,
					sim: float32(sim), jw: float32(jw), phon: phon, next: c.first,
				})
				c.first = int32(len(s.pairs) - 1)
				c.qMask |= qm
				c.nMask |= spanMask(post.pos, post.span)
			}
		}
	}
}

// splitSim checks a word against words it may be written together from
// (ALHASSAN and AL HASSAN): the word is cut where the parts' lengths say,
// give or take a letter, and each piece compared with its part. The best
// cut's weakest piece is the similarity: ALHASSAN is AL HASSAN, not ALI
// HASSAN (AL is a particle, ALI a name), and ABDUL is not ABU THALE.
func splitSim(w token, parts []token) float64 {
	text := w.text
	best := 0.0
	switch len(parts) {
	case 2:
		l := len(parts[0].text)
		for cut := l - 1; cut <= l+1; cut++ {
			if cut <= 0 || cut >= len(text) {
				continue
			}
			a := pieceSim(text[:cut], parts[0])
			if a <= best || a < pairMin {
				continue
			}
			best = max(best, min(a, pieceSim(text[cut:], parts[1])))
		}
	case 3:
		l0, l1 := len(parts[0].text), len(parts[1].text)
		for c1 := l0 - 1; c1 <= l0+1; c1++ {
			if c1 <= 0 || c1 >= len(text) {
				continue
			}
			a := pieceSim(text[:c1], parts[0])
			if a <= best || a < pairMin {
				continue
			}
			for c2 := c1 + l1 - 1; c2 <= c1+l1+1; c2++ {
				if c2 <= c1 || c2 >= len(text) {
					continue
				}
				b := pieceSim(text[c1:c2], parts[1])
				if min(a, b) <= best || b < pairMin {
					continue
				}
				best = max(best, min(a, b, pieceSim(text[c2:], parts[2])))
			}
		}
	}
	return best
}

// pieceSim compares a piece of a word written together with the word it
// stands for. A piece is no word of its own, so it gets no phonetic help,
// and a short one must be nearly the word: ALH is not ALI.
func pieceSim(piece string, part token) float64 {
	if piece == part.text {
		return 1
	}
	if particles[piece] || legalForms[piece] || part.kind == kindParticle || part.kind == kindLegal || part.kind == kindInitial {
		return 0
	}
	tl := translitFold(piece)
	if tl == part.translit {
		return 1
	}
	jw := nameJW(tl, part.translit)
	if (len(piece) <= shortWordLen || len(part.text) <= shortWordLen) && jw < shortWordMinJW {
		return 0
	}
	return jw
}

// upperBound is the most a candidate name could score: as if every word
// that could still pair (in a recorded pair, or a word that takes no part
// in retrieval) paired perfectly, each of the name's paired words counting
// the most a word weighs.
func (ix *Index) upperBound(p *preparedQuery, c *candName) float64 {
	w := ix.weights[c.name]
	qw := p.looseW
	for m := c.qMask; m != 0; m &= m - 1 {
		qw += p.toks[bits.TrailingZeros32(m)].weight
	}
	nw := math.Min(float64(w.wsum), float64(w.looseW)+float64(bits.OnesCount32(c.nMask))*weightWord)
	return (qw/p.wsum + nw/float64(w.wsum)) / 2
}

func spanWeight(toks []token, first, span uint8) float64 {
	w := 0.0
	for i := first; i < first+span; i++ {
		w += toks[i].weight
	}
	return w
}

func spanText(toks []token, first, span uint8) string {
	if span == 1 {
		return toks[first].text
	}
	parts := make([]string, 0, span)
	for i := first; i < first+span; i++ {
		parts = append(parts, toks[i].text)
	}
	return strings.Join(parts, " ")
}

// scoreName scores one candidate name: the recorded pairs plus those of the
// words that did not take part in retrieval (initials, particles, legal
// forms), paired greedily best first, each word at most once. The score is
// the mean of the share of the query's weight paired and the share of the
// name's weight paired, each pair counting its similarity. With exp not nil
// it also fills in the explanation.
func (ix *Index) scoreName(s *scratch, p *preparedQuery, c candName, exp *Explanation) float64 {
	n := &ix.names[c.name]
	initials := ix.entries[n.entry].entry.Type == Individual
	m := s.matrix[:0]
	for i := c.first; i >= 0; i = s.pairs[i].next {
		m = append(m, s.pairs[i])
	}
	for qi, qt := range p.toks {
		for pos, nt := range n.toks {
			// Retrieval words were paired with the name's other words when
			// candidates were collected; what is left are the pairs of the
			// other query words, and with the name's initials.
			if p.retrieve[qi] && nt.kind != kindInitial {
				continue
			}
			sim, jw, phon, initial := wordSim(qt, nt, initials)
			if sim >= pairMin {
				m = append(m, pairRec{q: uint8(qi), qSpan: 1, pos: uint8(pos), nSpan: 1,
					sim: float32(sim), jw: float32(jw), phon: phon, initial: initial})
			}
		}
	}
	slices.SortFunc(m, func(a, b pairRec) int {
		if c := cmp.Compare(b.sim, a.sim); c != 0 {
			return c
		}
		wa := spanWeight(p.toks, a.q, a.qSpan) + spanWeight(n.toks, a.pos, a.nSpan)
		wb := spanWeight(p.toks, b.q, b.qSpan) + spanWeight(n.toks, b.pos, b.nSpan)
		if c := cmp.Compare(wb, wa); c != 0 {
			return c
		}
		if c := cmp.Compare(a.q, b.q); c != 0 {
			return c
		}
		return cmp.Compare(a.pos, b.pos)
	})
	var qUsed, nUsed uint32
	chosen := s.chosen[:0]
	for _, r := range m {
		qm, nm := spanMask(r.q, r.qSpan), spanMask(r.pos, r.nSpan)
		if qUsed&qm != 0 || nUsed&nm != 0 {
			continue
		}
		qUsed |= qm
		nUsed |= nm
		chosen = append(chosen, r)
	}
	crossed := crossedPairs(n, chosen)
	reordered := false
	var qCover, nCover float64
	nWeight := n.wsum
	for i, r := range chosen {
		qw, nw := spanWeight(p.toks, r.q, r.qSpan), spanWeight(n.toks, r.pos, r.nSpan)
		if r.initial {
			// An initial stands for a word without saying which: the
			// word it pairs with counts no more than the initial does.
			qw, nw = min(qw, nw), min(qw, nw)
			if n.thin && n.toks[r.pos].kind == kindInitial {
				nWeight += weightWord - weightInitial
			}
		}
		sim := float64(r.sim)
		if crossed&(1<<i) != 0 && !r.initial && sim < 1 {
			// Words paired out of their order that are not the same
			// word count their difference twice, and do not pair at all
			// when only their sound made them pair: in HASSAN MAHMOUD,
			// HASSAN is the given name, and MAHMOUD is not MOHAMED of
			// "HASSAN, Mohamed".
			if float64(r.jw) < pairMin {
				sim = 0
			} else {
				sim = max(0, 1-2*(1-sim))
			}
			reordered = true
		}
		qCover += sim * qw
		nCover += sim * nw
		if exp != nil {
			exp.Pairs = append(exp.Pairs, TokenPair{
				Query: spanText(p.toks, r.q, r.qSpan), Matched: spanText(n.toks, r.pos, r.nSpan),
				JaroWinkler: round3(float64(r.jw)), Phonetic: r.phon, Initial: r.initial,
				Similarity: round3(sim), Weight: round3(math.Min(qw, nw)),
			})
		}
	}
	s.chosen = chosen
	s.matrix = m
	score := (qCover/p.wsum + nCover/nWeight) / 2
	if exp != nil {
		exp.MatchedName = n.text
		exp.NameKind = "PRIMARY"
		if n.alias {
			exp.NameKind = "ALIAS"
		}
		for i, t := range p.toks {
			exp.QueryTokens = append(exp.QueryTokens, t.text)
			if qUsed&(1<<i) == 0 {
				exp.UnpairedQuery = append(exp.UnpairedQuery, t.text)
			}
		}
		for i, t := range n.toks {
			exp.MatchedTokens = append(exp.MatchedTokens, t.text)
			if nUsed&(1<<i) == 0 {
				exp.UnpairedMatched = append(exp.UnpairedMatched, t.text)
			}
		}
		detail := "share of the query's words paired " + ftoa(qCover/p.wsum) +
			", of the matched name's words " + ftoa(nCover/nWeight) + "; the name scores their mean"
		if reordered {
			detail += "; words paired out of their order that are not the same count their difference twice"
		}
		exp.Factors = append(exp.Factors, Factor{Factor: "name", Detail: detail, Contribution: round3(score)})
	}
	return score
}

// crossedPairs marks the pairs (bit i for chosen[i]) whose words stand in
// the opposite order in the query and in the name read in its natural
// order. Up to 32 pairs are looked at; names are shorter.
func crossedPairs(n *indexedName, chosen []pairRec) uint32 {
	var out uint32
	for i := 0; i < len(chosen) && i < 32; i++ {
		a := chosen[i]
		for j := i + 1; j < len(chosen) && j < 32; j++ {
			b := chosen[j]
			if (a.q < b.q) != (n.natural(a.pos) < n.natural(b.pos)) {
				out |= 1<<i | 1<<j
			}
		}
	}
	return out
}

// match applies the date of birth and country to an entry's best name
// score and, when the result reaches the possible-match threshold, makes
// the Match with its explanation.
func (ix *Index) match(s *scratch, p *preparedQuery, b entryBest, opts SearchOptions) (Match, bool) {
	ie := &ix.entries[b.entry]
	score := b.score
	var factors []Factor
	if p.dob != nil && len(ie.dobs) > 0 {
		delta, detail := dobFactor(*p.dob, ie.dobs)
		score += delta
		factors = append(factors, Factor{Factor: "dateOfBirth", Detail: detail, Contribution: delta})
	}
	if p.country != "" && len(ie.countries) > 0 {
		if slices.Contains(ie.countries, p.country) {
			score += countrySame
			factors = append(factors, Factor{Factor: "country", Detail: p.country + " is among the entry's countries", Contribution: countrySame})
		} else {
			score += countryDifferent
			factors = append(factors, Factor{Factor: "country", Detail: p.country + " is not among the entry's countries (" + strings.Join(ie.countries, ", ") + ")", Contribution: countryDifferent})
		}
	}
	score, factors = identifierFactor(p, ie, score, factors, opts)
	if bounded := math.Max(0, math.Min(1, score)); bounded != score {
		factors = append(factors, Factor{Factor: "bounds", Detail: "a score lies between 0 and 1", Contribution: round3(bounded - score)})
		score = bounded
	}
	score = round3(score)
	if score < opts.PossibleThreshold {
		return Match{}, false
	}
	var exp Explanation
	ix.scoreName(s, p, candName{name: b.name, first: ix.firstPair(s, b.name)}, &exp)
	exp.Factors = append(exp.Factors, factors...)
	exp.Score = score
	// The API describes these as arrays, empty when every word paired.
	if exp.UnpairedQuery == nil {
		exp.UnpairedQuery = []string{}
	}
	if exp.UnpairedMatched == nil {
		exp.UnpairedMatched = []string{}
	}
	status := StatusPossibleMatch
	if score >= opts.MatchThreshold {
		status = StatusMatch
	}
	ref := ix.lists[ie.list]
	return Match{
		EntryID:     ie.entry.ID,
		Source:      ref.Source,
		ListKind:    ref.Kind,
		ListVersion: ref.Version,
		Name:        ie.entry.Name,
		MatchedName: ix.names[b.name].text,
		Type:        ie.entry.Type,
		Score:       score,
		Status:      status,
		Explanation: exp,
		Sources: []MatchSource{{Source: ref.Source, EntryID: ie.entry.ID, ListKind: ref.Kind, ListVersion: ref.Version,
			Name: ie.entry.Name, Score: score, Status: status}},
		versionID: ref.VersionID,
		entryHash: ie.hash,
		entry:     b.entry,
	}, true
}

func (ix *Index) firstPair(s *scratch, name int32) int32 {
	if ns := s.nameSlots[name]; ns.stamp == s.gen {
		return s.cands[ns.slot].first
	}
	return -1
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

func ftoa(f float64) string { return strconv.FormatFloat(round3(f), 'f', -1, 64) }
