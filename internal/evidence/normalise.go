package evidence

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// nameTokens lower-cases s, strips accents and splits it on anything that
// is not a letter or digit.
func nameTokens(s string) []string {
	t := transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	out = strings.NewReplacer("ß", "ss", "ø", "o", "æ", "ae", "đ", "d", "ł", "l").Replace(strings.ToLower(out))
	return strings.FieldsFunc(out, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}
