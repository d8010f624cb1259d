package kyc

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// stripMarks makes an accent stripper. A transform.Chain keeps state while
// it works, so each call takes its own: the checks run concurrently.
func stripMarks() transform.Transformer {
	return transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}

// nameTokens normalises a name for comparison: accents, case and
// punctuation are ignored and the order does not matter.
func nameTokens(s string) []string {
	out, _, err := transform.String(stripMarks(), s)
	if err != nil {
		out = s
	}
	out = strings.ToLower(out)
	return strings.FieldsFunc(out, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// icaoTransliteration is ICAO 9303's recommended transliteration of the
// Latin letters that decompose into no base letter and mark (Part 3,
// section 6), as MRZs print them: Müller is MUELLER, Søren SOEREN.
var icaoTransliteration = strings.NewReplacer(
	"ä", "ae", "ö", "oe", "ü", "ue", "Ä", "AE", "Ö", "OE", "Ü", "UE",
	"ß", "ss", "ø", "oe", "Ø", "OE", "å", "aa", "Å", "AA", "æ", "ae", "Æ", "AE",
	"þ", "th", "Þ", "TH", "đ", "d", "Đ", "D", "ł", "l", "Ł", "L", "œ", "oe", "Œ", "OE", "ı", "i",
)

// NameMatch compares a document's name with the registered one: the
// Sørensen–Dice overlap of their tokens (0..1), and whether the first and
// last names both appear on the document, in any order. The registered
// name is tried as written (accents dropped) and as ICAO transliterates
// it, and the better reading counts.
func NameMatch(document, first, middle, last string) (score float64, firstAndLast bool) {
	s1, b1 := nameMatch(document, first, middle, last)
	t := icaoTransliteration.Replace
	s2, b2 := nameMatch(document, t(first), t(middle), t(last))
	if b2 && !b1 || (b1 == b2 && s2 > s1) {
		return s2, b2
	}
	return s1, b1
}

func nameMatch(document, first, middle, last string) (score float64, firstAndLast bool) {
	doc := nameTokens(document)
	reg := nameTokens(first + " " + middle + " " + last)
	if len(doc) == 0 || len(reg) == 0 {
		return 0, false
	}
	have := map[string]int{}
	for _, t := range doc {
		have[t]++
	}
	common := 0
	for _, t := range reg {
		if have[t] > 0 {
			have[t]--
			common++
		}
	}
	contains := func(part string) bool {
		toks := nameTokens(part)
		if len(toks) == 0 {
			return false
		}
		set := map[string]bool{}
		for _, t := range doc {
			set[t] = true
		}
		for _, t := range toks {
			if !set[t] {
				return false
			}
		}
		return true
	}
	return 2 * float64(common) / float64(len(doc)+len(reg)), contains(first) && contains(last)
}

// addressTokens normalises an address for comparison.
func addressTokens(s string) map[string]bool {
	set := map[string]bool{}
	for _, t := range nameTokens(s) {
		set[t] = true
	}
	return set
}
