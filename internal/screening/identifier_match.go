package screening

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ciamhq/ciam/internal/apperr"
)

// Bounds on a query's identifiers.
const (
	maxQueryIdentifiers = 20
	maxIdentifierLen    = 100
)

// IdentifierKinds are the kinds a query may give, as the API spells them.
var IdentifierKinds = []IdentifierKind{PassportNumber, NationalID, TaxID, IMONumber, CallSign, BIC, IBAN, CryptoAddress, RegistrationID, OtherID}

// validateIdentifiers checks a query's identifiers, naming each problem by
// its place in the list (identifiers[1].kind), and returns them with their
// kinds in upper case.
func validateIdentifiers(ids []Identifier, fe *apperr.Fields) []Identifier {
	if len(ids) > maxQueryIdentifiers {
		fe.Add("identifiers", "give at most %d identifiers", maxQueryIdentifiers)
		return ids
	}
	out := make([]Identifier, len(ids))
	for i, id := range ids {
		at := fmt.Sprintf("identifiers[%d].", i)
		kind := IdentifierKind(strings.ToUpper(strings.TrimSpace(string(id.Kind))))
		out[i] = Identifier{Kind: kind, Value: id.Value, Country: id.Country}
		if !slices.Contains(IdentifierKinds, kind) {
			fe.Add(at+"kind", "use one of %s", strings.Join(kindNames(), ", "))
		}
		switch v := strings.TrimSpace(id.Value); {
		case v == "":
			fe.Add(at+"value", "give the number or code")
		case len(v) > maxIdentifierLen:
			fe.Add(at+"value", "an identifier may have at most %d characters", maxIdentifierLen)
		case NormaliseIdentifier(kind, v) == "":
			fe.Add(at+"value", "the value has no letters or digits")
		}
		if c := strings.ToUpper(strings.TrimSpace(id.Country)); c != "" && (len(c) != 2 || !knownAlpha2[c]) {
			fe.Add(at+"country", "use an ISO 3166-1 alpha-2 code such as US, or leave it out")
		}
	}
	return out
}

// usableIdentifiers keeps the identifiers of a subject that a query takes,
// with their countries as alpha-2 codes (an MRZ writes alpha-3): a
// subject's documents come from the product itself, and one it cannot
// use is left out rather than failing the screening.
func usableIdentifiers(ids []Identifier) []Identifier {
	var out []Identifier
	for _, id := range ids {
		id.Kind = IdentifierKind(strings.ToUpper(strings.TrimSpace(string(id.Kind))))
		v := strings.TrimSpace(id.Value)
		if !slices.Contains(IdentifierKinds, id.Kind) || len(v) > maxIdentifierLen || NormaliseIdentifier(id.Kind, v) == "" {
			continue
		}
		id.Country, _ = countryCode(id.Country)
		if len(out) < maxQueryIdentifiers {
			out = append(out, id)
		}
	}
	return out
}

func kindNames() []string {
	out := make([]string, len(IdentifierKinds))
	for i, k := range IdentifierKinds {
		out[i] = string(k)
	}
	return out
}

// How an identifier moves a score. An equal identifier is the strongest
// evidence there is: it lifts the match to at least the tenant's match
// threshold. A different document of the same kind from the same country,
// with an exact date of birth on both sides to compare, says the list
// means someone else.
const (
	identifierSame     = 0.10
	identifierConflict = -0.10
)

// conflictKinds are the identifiers a person holds one of per issuing
// country at a time, so that a different one is evidence against: two
// wallets or two registration numbers are no contradiction.
var conflictKinds = map[IdentifierKind]bool{PassportNumber: true, NationalID: true, TaxID: true}

func identKey(kind IdentifierKind, value string) string { return string(kind) + "\x00" + value }

// sameIdentifier reports whether two normalised identifiers are one:
// the same kind and value, and the same issuing country when both say.
func sameIdentifier(a, b Identifier) bool {
	return a.Kind == b.Kind && a.Value == b.Value && (a.Country == "" || b.Country == "" || a.Country == b.Country)
}

// finishEntry indexes what needs an entry's names and identifiers once
// they are in: its name range, its name keys and its identifiers.
func (ix *Index) finishEntry(id int32) {
	ie := &ix.entries[id]
	ie.nameHi = int32(len(ix.names))
	ie.entry.Identifiers = tidyIdentifiers(ie.entry.Identifiers)
	for n := ie.nameLo; n < ie.nameHi; n++ {
		words := make([]string, 0, len(ix.names[n].toks))
		for _, t := range ix.names[n].toks {
			words = append(words, t.text)
		}
		slices.Sort(words)
		if k := strings.Join(words, " "); !slices.Contains(ie.nameKeys, k) {
			ie.nameKeys = append(ie.nameKeys, k)
		}
	}
	for _, x := range ie.entry.Identifiers {
		k := identKey(x.Kind, NormaliseIdentifier(x.Kind, x.Value))
		if l := ix.byIdent[k]; len(l) == 0 || l[len(l)-1] != id {
			ix.byIdent[k] = append(l, id)
		}
	}
}

// identifierCandidates adds to the search's entries those that carry one
// of the query's identifiers, whatever their names score: a wallet
// address or a passport number found on a list is for a person to see.
// Each such entry comes with its best-scoring name.
func (ix *Index) identifierCandidates(s *scratch, p *preparedQuery, allowed []bool) {
	for _, q := range p.ids {
		for _, e := range ix.byIdent[identKey(q.Kind, q.Value)] {
			ie := &ix.entries[e]
			if !allowed[ie.list] || p.typeIndex >= 0 && ie.entry.Type.index() != p.typeIndex {
				continue
			}
			if !slices.ContainsFunc(ie.entry.Identifiers, func(x Identifier) bool { return sameIdentifier(q, x) }) {
				continue // the same number from another country
			}
			if s.entryStamp[e] == s.gen {
				continue // found by its name already
			}
			best := entryBest{entry: e, name: ie.nameLo, score: -1}
			for n := ie.nameLo; n < ie.nameHi; n++ {
				score := ix.scoreName(s, p, candName{name: n, first: ix.firstPair(s, n)}, nil)
				if score > best.score {
					best.name, best.score = n, score
				}
			}
			if best.score < 0 {
				continue // an entry with no name to score
			}
			s.entryStamp[e] = s.gen
			s.entrySlot[e] = int32(len(s.best))
			s.best = append(s.best, best)
		}
	}
}

// identifierFactor applies the query's identifiers to an entry's score:
// an equal one lifts it to a MATCH; a conflicting one lowers it when both
// dates of birth are exact days, and is only reported otherwise.
func identifierFactor(p *preparedQuery, ie *indexedEntry, score float64, factors []Factor, opts SearchOptions) (float64, []Factor) {
	if len(p.ids) == 0 || len(ie.entry.Identifiers) == 0 {
		return score, factors
	}
	var same, conflict []string
	for _, q := range p.ids {
		for _, x := range ie.entry.Identifiers {
			switch {
			case sameIdentifier(q, x):
				same = append(same, describeIdentifier(x))
			case conflictKinds[q.Kind] && q.Kind == x.Kind && q.Country != "" && q.Country == x.Country:
				// The subject's own number stays out of the explanation.
				conflict = append(conflict, "the subject's "+describeIdentifier(Identifier{Kind: q.Kind, Country: q.Country})+" is not the entry's "+describeIdentifier(x))
			}
		}
	}
	if len(same) > 0 {
		target := max(score+identifierSame, opts.MatchThreshold)
		factors = append(factors, Factor{Factor: "identifier",
			Detail:       "the entry has the same " + strings.Join(same, ", ") + ": an identifier match is a MATCH",
			Contribution: round3(target - score)})
		return target, factors
	}
	if len(conflict) == 0 {
		return score, factors
	}
	exact := p.dob != nil && p.dob.exactDay() && slices.ContainsFunc(ie.dobs, dateRange.exactDay)
	if !exact {
		factors = append(factors, Factor{Factor: "identifier",
			Detail:       strings.Join(conflict, "; ") + "; not counted: it lowers a score only with an exact date of birth on both sides",
			Contribution: 0})
		return score, factors
	}
	factors = append(factors, Factor{Factor: "identifier",
		Detail:       strings.Join(conflict, "; ") + ", with exact dates of birth on both sides: the entry is likely someone else",
		Contribution: identifierConflict})
	return score + identifierConflict, factors
}

// identifierWords name the kinds in explanations.
var identifierWords = map[IdentifierKind]string{
	PassportNumber: "passport", NationalID: "national id", TaxID: "tax id", IMONumber: "IMO number",
	CallSign: "call sign", BIC: "BIC", IBAN: "IBAN", CryptoAddress: "wallet address",
	RegistrationID: "registration number", OtherID: "identifier",
}

func describeIdentifier(x Identifier) string {
	w, ok := identifierWords[x.Kind]
	if !ok {
		w = strings.ToLower(string(x.Kind))
	}
	s := w
	if x.Value != "" {
		s += " " + x.Value
	}
	if x.Country != "" {
		s += " (" + x.Country + ")"
	}
	return s
}
