// Command labelgen writes the labelled name pairs the screening tests
// measure precision and recall on: queries made from real list entries the
// way customers' names differ from the lists (transliterations, reordered
// names, missing or extra middle names, typos, initials, aliases, dates of
// birth that agree or not) labelled to match their entry, and near misses
// labelled not to (a common first name alone, a shared surname, shared given
// names, a shared legal form, vessels against people).
//
// It is deterministic: the same lists give the same file. Run it from the
// repository root:
//
//	go run ./internal/screening/internal/labelgen -data ../shared/data/screening \
//	    -out internal/screening/testdata/labelled.jsonl
//
// The variations are made by rules written here, independent of the
// matcher, so that the set measures the matcher rather than mirrors it.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/ciamhq/ciam/internal/screening"
)

// Case is one labelled query.
type Case struct {
	ID       string `json:"id"`
	Label    string `json:"label"` // match or no_match
	Category string `json:"category"`
	Query    struct {
		Name        string `json:"name"`
		Type        string `json:"type,omitempty"`
		DateOfBirth string `json:"dateOfBirth,omitempty"`
		Country     string `json:"country,omitempty"`
	} `json:"query"`
	Source    string `json:"source"`
	EntryID   string `json:"entryId"`
	EntryName string `json:"entryName"`
}

func main() {
	data := flag.String("data", "../shared/data/screening", "folder of the real lists")
	out := flag.String("out", "internal/screening/testdata/labelled.jsonl", "file to write")
	flag.Parse()
	if err := run(*data, *out); err != nil {
		fmt.Fprintln(os.Stderr, "labelgen:", err)
		os.Exit(1)
	}
}

// person is an entry with its name split the way people write theirs.
type person struct {
	src    string
	e      screening.Entry
	given  []string
	family []string
}

func (p person) natural() []string { return append(slices.Clone(p.given), p.family...) }

func run(data, out string) error {
	var all []person
	for _, l := range []struct {
		format screening.Format
		path   string
	}{
		{screening.FormatOFAC, "ofac-2021"},
		{screening.FormatUN, "un/consolidated.xml"},
		{screening.FormatSenzing, "pep/us_congress_senzing.jsonl"},
	} {
		p, err := screening.Parse(l.format, filepath.Join(data, l.path))
		if err != nil {
			return err
		}
		for _, e := range p.Entries {
			all = append(all, split(p.Source.ID, e))
		}
	}
	g := &gen{rng: rand.New(rand.NewPCG(20260301, 4))}
	g.rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	g.positives(all)
	g.negatives(all)

	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	counts := map[string]int{}
	for _, c := range g.cases {
		if err := enc.Encode(c); err != nil {
			return err
		}
		counts[c.Label]++
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Printf("wrote %d cases (%d match, %d no_match) to %s\n", len(g.cases), counts["match"], counts["no_match"], out)
	return nil
}

// split finds given names and family names: OFAC writes "FAMILY, Given",
// the UN the given name first, the PEP list "Given M. Family".
func split(src string, e screening.Entry) person {
	p := person{src: src, e: e}
	words := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
	}
	switch {
	case e.Type != screening.Individual:
		p.given = words(e.Name)
	case strings.Contains(e.Name, ","):
		fam, giv, _ := strings.Cut(e.Name, ",")
		p.family, p.given = words(fam), words(giv)
	case src == "UN_CONSOLIDATED":
		w := words(e.Name)
		p.given, p.family = w[:1], w[1:]
	default:
		w := words(e.Name)
		last := len(w) - 1
		for last > 0 && slices.Contains([]string{"JR", "JR.", "SR", "SR.", "II", "III", "IV"}, strings.ToUpper(w[last])) {
			last--
		}
		p.given, p.family = w[:last], w[last:]
	}
	return p
}

type gen struct {
	rng   *rand.Rand
	cases []Case
}

func (g *gen) add(label, category string, p person, name, typ, dob, country string) {
	c := Case{ID: fmt.Sprintf("%s-%04d", label[:1], len(g.cases)+1), Label: label, Category: category,
		Source: p.src, EntryID: p.e.ID, EntryName: p.e.Name}
	c.Query.Name, c.Query.Type, c.Query.DateOfBirth, c.Query.Country = name, typ, dob, country
	g.cases = append(g.cases, c)
}

// pick runs make on entries until it has made n cases or run out.
func (g *gen) pick(all []person, n int, fn func(p person) bool) {
	made := 0
	start := g.rng.IntN(len(all))
	for i := 0; i < len(all) && made < n; i++ {
		if fn(all[(start+i)%len(all)]) {
			made++
		}
	}
}

func title(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		r := []rune(strings.ToLower(w))
		if len(r) > 0 {
			r[0] = unicode.ToUpper(r[0])
		}
		out[i] = string(r)
	}
	return strings.Join(out, " ")
}

func letters(w string) int {
	n := 0
	for _, r := range w {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}

// isPlainWord says whether w is a word of at least two ASCII letters.
func isPlainWord(w string) bool {
	if letters(w) < 2 {
		return false
	}
	for _, r := range w {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-' || r == '\'') {
			return false
		}
	}
	return true
}

// usable says whether a person's name is plain enough to vary: letters
// only, at least two words.
func usable(p person, minWords int) bool {
	w := p.natural()
	if len(w) < minWords {
		return false
	}
	for _, x := range w {
		if !isPlainWord(x) && !(len(x) == 2 && x[1] == '.') {
			return false
		}
	}
	return true
}

func typeOf(p person) string { return string(p.e.Type) }

// firstDOB is the first full date of birth of an entry, or its first year.
func firstDOB(e screening.Entry) string {
	for _, d := range e.DatesOfBirth {
		if len(d) == 10 {
			return d
		}
	}
	for _, d := range e.DatesOfBirth {
		if len(d) == 4 {
			return d
		}
	}
	return ""
}

// transliterations are spelling changes names undergo between alphabets.
var transliterations = [][2]string{
	{"MOHAMMED", "MUHAMMAD"}, {"MOHAMMAD", "MUHAMMED"}, {"MUHAMMAD", "MOHAMED"}, {"MOHAMED", "MOHAMMAD"},
	{"AHMED", "AHMAD"}, {"AHMAD", "AHMED"}, {"HUSSEIN", "HUSSAIN"}, {"HUSAYN", "HUSSEIN"},
	{"OU", "U"}, {"U", "OU"}, {"EE", "I"}, {"IY", "I"}, {"KH", "H"}, {"Q", "K"}, {"PH", "F"},
	{"SH", "SCH"}, {"CH", "TCH"}, {"J", "DJ"}, {"DH", "D"}, {"TH", "T"}, {"W", "V"}, {"V", "W"},
	{"Y", "I"}, {"I", "Y"}, {"C", "K"}, {"K", "C"}, {"Z", "S"}, {"SS", "S"}, {"S", "SS"},
	{"TT", "T"}, {"LL", "L"}, {"MM", "M"}, {"DD", "D"}, {"EV", "EFF"}, {"OV", "OFF"},
	{"AA", "A"}, {"IE", "I"}, {"EI", "AI"}, {"AI", "EI"}, {"E", "A"}, {"O", "U"},
}

// transliterate applies one rule to one word of at least four letters,
// not at its first letter.
func (g *gen) transliterate(words []string) ([]string, bool) {
	out := slices.Clone(words)
	order := g.rng.Perm(len(words))
	for _, wi := range order {
		w := strings.ToUpper(out[wi])
		if letters(w) < 4 {
			continue
		}
		for _, ri := range g.rng.Perm(len(transliterations)) {
			r := transliterations[ri]
			if len(r[0]) > 3 { // a whole name spelt another way
				if w == r[0] {
					out[wi] = r[1]
					return out, true
				}
				continue
			}
			i := strings.Index(w[1:], r[0])
			if i < 0 {
				continue
			}
			i++
			out[wi] = w[:i] + r[1] + w[i+len(r[0]):]
			return out, true
		}
	}
	return nil, false
}

var accents = map[rune][]rune{
	'A': {'Á', 'À', 'Â', 'Ä', 'Ã'}, 'E': {'É', 'È', 'Ê', 'Ë'}, 'I': {'Í', 'Î', 'Ï'},
	'O': {'Ó', 'Ô', 'Ö', 'Õ'}, 'U': {'Ú', 'Ü', 'Û'}, 'N': {'Ñ'}, 'C': {'Ç'}, 'S': {'Š'}, 'Z': {'Ž'},
}

func (g *gen) accent(words []string) ([]string, bool) {
	out := slices.Clone(words)
	changed := false
	for wi, w := range out {
		r := []rune(strings.ToUpper(w))
		for i := range r {
			if alts, ok := accents[r[i]]; ok && g.rng.IntN(3) == 0 {
				r[i] = alts[g.rng.IntN(len(alts))]
				changed = true
			}
		}
		out[wi] = string(r)
	}
	return out, changed
}

// typo makes one typing mistake in a word of at least five letters, not in
// its first letter.
func (g *gen) typo(words []string) ([]string, bool) { return g.typoAt(words, 5, 1, nil) }

// typoAt makes one typing mistake in a word of at least minLen letters,
// from position from on, in a word not in skip.
func (g *gen) typoAt(words []string, minLen, from int, skip []int) ([]string, bool) {
	out := slices.Clone(words)
	for _, wi := range g.rng.Perm(len(words)) {
		w := []byte(strings.ToUpper(out[wi]))
		if letters(string(w)) < minLen || !isPlainWord(string(w)) || slices.Contains(skip, wi) {
			continue
		}
		i := from + g.rng.IntN(len(w)-from)
		switch g.rng.IntN(4) {
		case 0: // substitution
			c := byte('A' + g.rng.IntN(26))
			if c == w[i] {
				c = 'E'
			}
			w[i] = c
		case 1: // deletion
			w = append(w[:i], w[i+1:]...)
		case 2: // insertion
			w = append(w[:i], append([]byte{byte('A' + g.rng.IntN(26))}, w[i:]...)...)
		default: // transposition
			if i == len(w)-1 {
				i--
			}
			if i < 0 || w[i] == w[i+1] {
				continue
			}
			w[i], w[i+1] = w[i+1], w[i]
		}
		out[wi] = string(w)
		return out, true
	}
	return nil, false
}

var (
	givenPool = []string{"JOHN", "MARY", "ROBERT", "PATRICIA", "MICHAEL", "LINDA", "WILLIAM", "ELIZABETH", "DAVID",
		"BARBARA", "RICHARD", "SUSAN", "THOMAS", "KAREN", "CHARLES", "NANCY", "DANIEL", "LISA", "MATTHEW", "BETTY",
		"PIERRE", "SOPHIE", "HANS", "GRETA", "LARS", "INGRID", "PAOLO", "GIULIA", "PEDRO", "CARMEN", "IGOR", "OLGA",
		"HIROSHI", "YUKI", "WEI", "MEI", "RAVI", "PRIYA", "KWAME", "AMARA", "TOMASZ", "ZOFIA", "BJORN", "FREYA"}
	familyPool = []string{"SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "MILLER", "DAVIS", "WILSON", "TAYLOR",
		"ANDERSON", "THOMPSON", "WHITE", "HARRIS", "CLARK", "LEWIS", "WALKER", "YOUNG", "KING", "WRIGHT", "SCOTT",
		"MUELLER", "SCHNEIDER", "FISCHER", "WEBER", "ROSSI", "BIANCHI", "DUBOIS", "LEFEVRE", "NOVAK", "KOWALSKI",
		"TANAKA", "WATANABE", "NGUYEN", "TRAN", "PATEL", "OKAFOR", "MENSAH", "LINDQVIST", "VIRTANEN", "OLIVEIRA"}
	commonFirst = []string{"MOHAMMED", "MUHAMMAD", "MOHAMMAD", "AHMED", "AHMAD", "ALI", "HASSAN", "HUSSEIN", "OMAR",
		"ABDUL", "IBRAHIM", "YUSUF", "KHALID", "JOSE", "JUAN", "CARLOS", "LUIS", "JOHN", "DAVID", "MARIA", "ANDREI",
		"SERGEI", "VLADIMIR", "ALEXANDER", "KIM", "LI", "ABU", "ABDULLAH", "MAHMOUD", "MUSTAFA"}
	businessPool = []string{"HORIZON", "PACIFIC", "SUNRISE", "GREENFIELD", "NORTHSTAR", "BLUEWATER", "SILVERLINE",
		"EVERGREEN", "PINNACLE", "SUMMIT", "MERIDIAN", "CASCADE", "HARBOURVIEW", "REDWOOD", "KEYSTONE", "LANTERN",
		"OAKRIDGE", "BRIGHTPATH", "FALCONER", "WESTBROOK", "CLEARSKY", "STONEBRIDGE", "MAPLELEAF", "IRONWOOD"}
	joinPrefixes = []string{"ABD", "ABDUL", "ABDEL", "ABDUR", "ABU", "AL", "EL", "BIN", "UL", "NUR", "SAIF", "ZAIN"}
	genericWords = []string{"INTERNATIONAL", "TRADING", "GENERAL", "GROUP", "INDUSTRIES", "INDUSTRIAL", "HOLDING",
		"HOLDINGS", "BANK", "SHIPPING", "SERVICES", "ENTERPRISES", "INVESTMENT", "INVESTMENTS", "GLOBAL", "COMMERCIAL",
		"DEVELOPMENT", "TECHNOLOGY", "ENGINEERING", "CONSTRUCTION", "IMPORT", "EXPORT", "MARINE", "PETROLEUM", "OIL",
		"GAS", "ENERGY", "FINANCE", "FINANCIAL", "CAPITAL", "LOGISTICS", "TRANSPORT", "NATIONAL", "UNITED", "FOREIGN"}
	extraMiddle = []string{"JAMES", "MARIE", "LEE", "ANN", "JOSEPH", "LOUISE", "ALEXANDER", "GRACE", "EDWARD", "ROSE"}
)

// levenshtein is the edit distance of a and b.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// unlike says that w shares nothing with any word of any of p's names: a
// different first letter and at least half its letters different.
func unlike(w string, p person) bool {
	for _, n := range append([]string{p.e.Name}, p.e.Aliases...) {
		for _, x := range strings.FieldsFunc(strings.ToUpper(n), func(r rune) bool { return !unicode.IsLetter(r) }) {
			if x == "" {
				continue
			}
			if x[0] == w[0] || levenshtein(x, w)*2 < max(len(x), len(w)) {
				return false
			}
		}
	}
	return true
}

func (g *gen) choose(pool []string, p person) (string, bool) {
	for _, i := range g.rng.Perm(len(pool)) {
		if unlike(pool[i], p) {
			return pool[i], true
		}
	}
	return "", false
}

// singleWordName says whether any name of p is one word: a one-word query
// rightly matches it.
func singleWordName(p person) bool {
	for _, n := range append([]string{p.e.Name}, p.e.Aliases...) {
		if len(strings.FieldsFunc(n, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })) < 2 {
			return true
		}
	}
	return false
}

func hasWord(p person, w string) bool {
	for _, n := range append([]string{p.e.Name}, p.e.Aliases...) {
		for _, x := range strings.FieldsFunc(strings.ToUpper(n), func(r rune) bool { return !unicode.IsLetter(r) }) {
			if x == w {
				return true
			}
		}
	}
	return false
}

func individual(p person) bool { return p.e.Type == screening.Individual }

func (g *gen) positives(all []person) {
	const n = 50
	g.pick(all, n, func(p person) bool {
		if !individual(p) || !usable(p, 2) {
			return false
		}
		g.add("match", "natural_order", p, title(p.natural()), typeOf(p), "", "")
		return true
	})
	g.pick(all, n, func(p person) bool {
		w := p.natural()
		if !usable(p, 2) {
			return false
		}
		perm := g.rng.Perm(len(w))
		if slices.IsSorted(perm) {
			slices.Reverse(perm)
		}
		out := make([]string, len(w))
		for i, j := range perm {
			out[i] = w[j]
		}
		g.add("match", "reordered", p, title(out), "", "", "")
		return true
	})
	g.pick(all, 2*n, func(p person) bool {
		if !individual(p) || !usable(p, 2) {
			return false
		}
		out, ok := g.transliterate(p.natural())
		if !ok {
			return false
		}
		g.add("match", "transliteration", p, title(out), typeOf(p), "", "")
		return true
	})
	g.pick(all, n/2, func(p person) bool {
		if !individual(p) || !usable(p, 2) {
			return false
		}
		out, ok := g.accent(p.natural())
		if !ok {
			return false
		}
		g.add("match", "diacritics", p, strings.ToLower(strings.Join(out, " ")), typeOf(p), "", "")
		return true
	})
	g.pick(all, n, func(p person) bool {
		w := p.natural()
		if !individual(p) || !usable(p, 4) {
			return false
		}
		i := 1 + g.rng.IntN(len(w)-2)
		out := append(slices.Clone(w[:i]), w[i+1:]...)
		g.add("match", "missing_middle_name", p, title(out), typeOf(p), "", "")
		return true
	})
	g.pick(all, n, func(p person) bool {
		if !individual(p) || !usable(p, 2) || len(p.given) == 0 || len(p.family) == 0 || len(p.natural()) > 3 {
			return false
		}
		extra, ok := g.choose(extraMiddle, p)
		if !ok {
			return false
		}
		out := append(append(slices.Clone(p.given), extra), p.family...)
		g.add("match", "extra_middle_name", p, title(out), typeOf(p), "", "")
		return true
	})
	g.pick(all, 2*n, func(p person) bool {
		if !usable(p, 2) {
			return false
		}
		out, ok := g.typo(p.natural())
		if !ok {
			return false
		}
		g.add("match", "typo", p, title(out), typeOf(p), "", "")
		return true
	})
	g.pick(all, n, func(p person) bool {
		if !individual(p) || !usable(p, 3) || len(p.given) < 1 || len(p.family) < 1 || letters(p.given[0]) < 2 {
			return false
		}
		out := append([]string{p.given[0][:1] + "."}, p.natural()[1:]...)
		g.add("match", "initial", p, title(out), typeOf(p), "", "")
		return true
	})
	g.pick(all, 2*n, func(p person) bool {
		var aliases []string
		for _, a := range p.e.Aliases {
			w := strings.FieldsFunc(a, func(r rune) bool { return r == ' ' || r == ',' })
			ok := len(w) >= 2
			for _, x := range w {
				ok = ok && isPlainWord(x)
			}
			if ok {
				aliases = append(aliases, a)
			}
		}
		if len(aliases) == 0 {
			return false
		}
		a := split(p.src, screening.Entry{Type: p.e.Type, Name: aliases[g.rng.IntN(len(aliases))]})
		g.add("match", "alias", p, title(a.natural()), typeOf(p), "", "")
		return true
	})
	g.pick(all, n, func(p person) bool {
		dob := firstDOB(p.e)
		if !individual(p) || !usable(p, 2) || dob == "" {
			return false
		}
		country := ""
		if len(p.e.Countries) > 0 {
			country = p.e.Countries[0]
		}
		out, _ := g.typo(p.natural())
		if out == nil {
			out = p.natural()
		}
		g.add("match", "dob_agrees", p, title(out), typeOf(p), dob, country)
		return true
	})
	g.pick(all, n, func(p person) bool {
		dob := firstDOB(p.e)
		if !individual(p) || !usable(p, 2) || len(dob) < 4 {
			return false
		}
		year := 0
		fmt.Sscanf(dob[:4], "%d", &year)
		other := fmt.Sprintf("%04d-%02d-%02d", year+15+g.rng.IntN(20), 1+g.rng.IntN(12), 1+g.rng.IntN(28))
		g.add("match", "dob_differs", p, title(p.natural()), typeOf(p), other, "")
		return true
	})
	g.pick(all, n, func(p person) bool {
		if p.e.Type != screening.Entity {
			return false
		}
		name := strings.ToUpper(p.e.Name)
		var out string
		for _, r := range [][2]string{{" LIMITED", " LTD"}, {" LTD.", " LIMITED"}, {" LTD", " LIMITED"}, {" CO., LTD.", ""},
			{", INC.", " INC"}, {" CORPORATION", " CORP"}, {" COMPANY", " CO"}, {" LLC", " L.L.C."}, {", S.A.", " SA"}, {" S.A.", ""}} {
			// whole words only: LTD is not the start of LTDA
			padded := name + " "
			i := strings.Index(padded, r[0]+" ")
			if j := strings.Index(padded, r[0]+","); i < 0 || (j >= 0 && j < i) {
				i = j
			}
			if i >= 0 {
				out = strings.TrimSpace(padded[:i] + r[1] + padded[i+len(r[0]):])
				break
			}
		}
		if out == "" || len(strings.Fields(out)) < 2 {
			return false
		}
		g.add("match", "legal_form_variant", p, strings.ToLower(out), typeOf(p), "", "")
		return true
	})
	g.pick(all, n/2, func(p person) bool {
		if p.e.Type != screening.Vessel || !usable(p, 1) {
			return false
		}
		g.add("match", "vessel", p, title(p.natural()), typeOf(p), "", "")
		return true
	})
	g.pick(all, n, func(p person) bool {
		if !usable(p, 2) {
			return false
		}
		out, ok := g.typoAt(p.natural(), 4, 0, nil)
		if !ok {
			return false
		}
		g.add("match", "typo_anywhere", p, title(out), typeOf(p), "", "")
		return true
	})
	g.pick(all, n, func(p person) bool {
		w := p.natural()
		if !usable(p, 3) {
			return false
		}
		out, ok := g.typo(w)
		if !ok {
			return false
		}
		var changed []int
		for i := range w {
			if !strings.EqualFold(w[i], out[i]) {
				changed = append(changed, i)
			}
		}
		out, ok = g.typoAt(out, 5, 1, changed)
		if !ok {
			return false
		}
		g.add("match", "two_typos", p, title(out), typeOf(p), "", "")
		return true
	})
	g.pick(all, n, func(p person) bool {
		if !individual(p) || !usable(p, 3) {
			return false
		}
		w, ok := g.transliterate(p.natural())
		if !ok {
			return false
		}
		if len(w) >= 4 && g.rng.IntN(2) == 0 {
			i := 1 + g.rng.IntN(len(w)-2)
			w = append(w[:i:i], w[i+1:]...)
		}
		g.rng.Shuffle(len(w), func(i, j int) { w[i], w[j] = w[j], w[i] })
		g.add("match", "combined_variation", p, title(w), typeOf(p), "", "")
		return true
	})
	g.pick(all, n, func(p person) bool {
		if !individual(p) || !usable(p, 2) {
			return false
		}
		// Written together, apart or hyphenated, within the given names
		// or within the family names: ABDUL RAHMAN, ABDULRAHMAN,
		// ABDUL-RAHMAN; KYONG-SU, KYONGSU; AL-ASSAD, AL ASSAD.
		var out []string
		changed := false
		for _, part := range [][]string{p.given, p.family} {
			for i, x := range part {
				x = strings.ToUpper(x)
				switch {
				case strings.Contains(x, "-"):
					parts := strings.Split(x, "-")
					if g.rng.IntN(2) == 0 {
						out = append(out, strings.Join(parts, ""))
					} else {
						out = append(out, parts...)
					}
					changed = true
				case i > 0 && slices.Contains(joinPrefixes, strings.ToUpper(part[i-1])) && g.rng.IntN(2) == 0:
					out[len(out)-1] += x
					changed = true
				default:
					out = append(out, x)
				}
			}
		}
		if !changed || len(out) < 2 {
			return false
		}
		g.add("match", "spacing", p, title(out), typeOf(p), "", "")
		return true
	})
}

func (g *gen) negatives(all []person) {
	const n = 60
	g.pick(all, 2*n, func(p person) bool {
		if !individual(p) || singleWordName(p) {
			return false
		}
		for _, i := range g.rng.Perm(len(commonFirst)) {
			if hasWord(p, commonFirst[i]) {
				g.add("no_match", "common_first_name_alone", p, title([]string{commonFirst[i]}), "INDIVIDUAL", "", "")
				return true
			}
		}
		return false
	})
	g.pick(all, 2*n, func(p person) bool {
		if !individual(p) || len(p.family) == 0 || len(p.family) > 2 || len(p.given) == 0 || !usable(p, 2) {
			return false
		}
		other, ok := g.choose(givenPool, p)
		if !ok {
			return false
		}
		g.add("no_match", "shared_surname", p, title(append([]string{other}, p.family...)), "INDIVIDUAL", "", "")
		return true
	})
	g.pick(all, n, func(p person) bool {
		if !individual(p) || len(p.family) != 1 || len(p.given) != 1 || !usable(p, 2) {
			return false
		}
		other, ok := g.choose(familyPool, p)
		if !ok {
			return false
		}
		g.add("no_match", "shared_given_name", p, title(append(slices.Clone(p.given), other)), "INDIVIDUAL", "", "")
		return true
	})
	g.pick(all, n, func(p person) bool {
		if !individual(p) || len(p.natural()) != 3 || !usable(p, 3) {
			return false
		}
		other, ok := g.choose(familyPool, p)
		if !ok {
			return false
		}
		w := p.natural()
		w[g.rng.IntN(2)] = other
		w[2] = func() string { o, _ := g.choose(givenPool, p); return o }()
		if w[2] == "" {
			return false
		}
		g.add("no_match", "one_word_shared", p, title(w), "INDIVIDUAL", "", "")
		return true
	})
	g.pick(all, n, func(p person) bool {
		if p.e.Type != screening.Entity {
			return false
		}
		words := strings.Fields(strings.ToUpper(strings.NewReplacer(",", " ", ".", "").Replace(p.e.Name)))
		form := ""
		for _, w := range words {
			if slices.Contains([]string{"LTD", "LIMITED", "LLC", "INC", "CORP", "CORPORATION", "GMBH", "SA", "SAS", "AG", "PLC", "JSC", "OOO", "FZE", "FZCO"}, w) {
				form = w
			}
		}
		if form == "" {
			return false
		}
		a, ok1 := g.choose(businessPool, p)
		b, ok2 := g.choose(businessPool, p)
		if !ok1 || !ok2 || a == b {
			return false
		}
		g.add("no_match", "shared_legal_form", p, title([]string{a, b, form}), "ENTITY", "", "")
		return true
	})
	g.pick(all, n, func(p person) bool {
		if p.e.Type != screening.Entity {
			return false
		}
		// Two of the entry's ordinary business words and its legal form,
		// without the words that say which business it is.
		words := strings.Fields(strings.ToUpper(strings.NewReplacer(",", " ", ".", "").Replace(p.e.Name)))
		var generic, other []string
		for _, w := range words {
			if slices.Contains(genericWords, w) {
				generic = append(generic, w)
			} else if letters(w) >= 3 && !slices.Contains([]string{"LTD", "LIMITED", "LLC", "INC", "CORP", "CORPORATION", "CO", "COMPANY", "SA", "SAS",
				"PLC", "JSC", "GMBH", "AG", "FZE", "FZCO", "LLP", "PJSC", "OJSC", "CJSC", "THE", "AND", "OF", "FOR"}, w) {
				other = append(other, w)
			}
		}
		if len(generic) < 2 || len(other) < 1 {
			return false
		}
		g.add("no_match", "generic_business_words", p, title(generic), "ENTITY", "", "")
		return true
	})
	g.pick(all, n/2, func(p person) bool {
		if p.e.Type != screening.Vessel && p.e.Type != screening.Aircraft || !usable(p, 1) {
			return false
		}
		g.add("no_match", "vessel_name_as_person", p, title(p.natural()), "INDIVIDUAL", "", "")
		return true
	})
	g.pick(all, n/2, func(p person) bool {
		if !individual(p) || !usable(p, 2) {
			return false
		}
		g.add("no_match", "person_name_as_vessel", p, title(p.natural()), "VESSEL", "", "")
		return true
	})
}
