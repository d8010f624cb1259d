package screening

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// tokenKind says how much a name token counts.
type tokenKind uint8

const (
	kindWord     tokenKind = iota // an ordinary name word
	kindInitial                   // a single letter standing for a word
	kindParticle                  // AL, BIN, DE, VAN, ...: part of a name, weak evidence
	kindLegal                     // LTD, CORP, LLC, ...: says what sort of body, not which
	kindGeneric                   // TRADING, INTERNATIONAL, BANK, ...: says what a business does, not which
)

// Weights of the token kinds in a name's score.
const (
	weightWord     = 1.0
	weightInitial  = 0.5
	weightParticle = 0.3
	weightLegal    = 0.1
	weightGeneric  = 0.5
)

func (k tokenKind) weight() float64 {
	switch k {
	case kindInitial:
		return weightInitial
	case kindParticle:
		return weightParticle
	case kindLegal:
		return weightLegal
	case kindGeneric:
		return weightGeneric
	default:
		return weightWord
	}
}

// String names the kind in explanations and test failures.
func (k tokenKind) String() string {
	switch k {
	case kindInitial:
		return "initial"
	case kindParticle:
		return "particle"
	case kindLegal:
		return "legal form"
	case kindGeneric:
		return "generic business word"
	default:
		return "word"
	}
}

// honorifics are titles that say nothing about who someone is; they are
// dropped wherever they stand ("AL ZAWAHIRI, Dr. Ayman", "SAIFULLAH, Qari"),
// unless nothing else is left. Words that are also names (AMIR, GENERAL,
// MAJOR, HON) are not in the list.
var honorifics = wordSet(`MR MRS MS MISS MISTER MADAM MADAME MME MLLE DR DOCTOR PROF PROFESSOR SIR DAME
	SHEIKH SHEIK SHAIKH SHAYKH SHEIKHA HAJI HAJJI HADJI ALHAJ ALHAJI ALHAJJ MULLAH MULLA MAULAVI MAULVI MAWLAWI MOLVI
	MAULANA MAWLANA QARI MUFTI USTAD USTADZ USTAZ
	REV REVEREND HONOURABLE HONORABLE
	COL COLONEL MAJ CAPT LT LIEUTENANT CMDR ADM ADMIRAL BRIG BRIGADIER SGT SERGEANT`)

// legalForms are words naming a kind of company or body.
var legalForms = wordSet(`LTD LIMITED CORP CORPORATION INC INCORPORATED LLC LLP LP PLC CO COMPANY CIA
	SA SAS SARL SPA SRL SL SLU SAC SCA SAU SAPI SOCIEDAD ANONIMA
	GMBH AG KG OHG UG EV BV NV VOF
	AB OY OYJ AS ASA APS
	OOO ZAO OAO PAO PJSC OJSC CJSC JSC TOO AO
	PTE PVT PTY BHD SDN TBK
	FZE FZCO FZC FZLLC DMCC WLL
	KFT ZRT DOO DD SP ZOO
	CV RL EIRL LTDA ESTABLISHMENT EST`)

// genericWords are words many company names share. They count half: two
// businesses both called something INTERNATIONAL TRADING are not the same
// business.
var genericWords = wordSet(`INTERNATIONAL INTL TRADING TRADE GENERAL GROUP INDUSTRIES INDUSTRY INDUSTRIAL HOLDING HOLDINGS
	BANK SHIPPING SERVICES SERVICE ENTERPRISE ENTERPRISES INVESTMENT INVESTMENTS GLOBAL COMMERCIAL DEVELOPMENT
	TECHNOLOGY TECHNOLOGIES ENGINEERING CONSTRUCTION IMPORT EXPORT MARINE PETROLEUM OIL GAS ENERGY FINANCE
	FINANCIAL CAPITAL LOGISTICS TRANSPORT NATIONAL UNITED FOREIGN FOUNDATION ASSOCIATION ORGANIZATION
	ORGANISATION AGENCY MANAGEMENT CONSULTING PARTNERS SOLUTIONS SYSTEMS PRODUCTS MANUFACTURING`)

// legalSynonyms spell legal forms one way, so that LIMITED pairs with LTD.
var legalSynonyms = map[string]string{
	"LIMITED": "LTD", "CORPORATION": "CORP", "INCORPORATED": "INC", "COMPANY": "CO", "CIA": "CO",
	"ESTABLISHMENT": "EST", "SOCIEDAD": "SA", "ANONIMA": "SA",
}

// longLegalForms are the legal forms long enough to recognise when
// misspelt (LIMITDE, CORPORATOIN).
var longLegalForms = []string{"LIMITED", "CORPORATION", "INCORPORATED", "COMPANY", "ESTABLISHMENT"}

func misspeltLegalForm(w string) (string, bool) {
	if len(w) < 6 {
		return "", false
	}
	for _, f := range longLegalForms {
		if jaroWinkler(w, f) >= 0.93 {
			if canon, ok := legalSynonyms[f]; ok {
				return canon, true
			}
			return f, true
		}
	}
	return "", false
}

// particles are short words that are part of names in many languages but
// say little on their own.
var particles = wordSet(`AL EL UL UD AD AS ASH AR AN AZ AT BIN BINT BN IBN BEN BENT
	DE DEL DELA DELLA DEI DES DA DAS DI DO DOS DU LA LE LES LOS LAS VAN VON DER DEN TER TEN
	THE OF AND FOR ET`)

func wordSet(s string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// letterFolds spells letters that have no decomposition in plain Latin.
var letterFolds = map[rune]string{
	'ß': "SS", 'Æ': "AE", 'æ': "AE", 'Ø': "O", 'ø': "O", 'Œ': "OE", 'œ': "OE",
	'Ł': "L", 'ł': "L", 'Đ': "D", 'đ': "D", 'Ð': "D", 'ð': "D", 'Þ': "TH", 'þ': "TH",
	'ı': "I", 'Ħ': "H", 'ħ': "H",
	// Cyrillic, romanised as the lists usually do.
	'А': "A", 'Б': "B", 'В': "V", 'Г': "G", 'Д': "D", 'Е': "E", 'Ё': "E", 'Ж': "ZH", 'З': "Z",
	'И': "I", 'Й': "Y", 'К': "K", 'Л': "L", 'М': "M", 'Н': "N", 'О': "O", 'П': "P", 'Р': "R",
	'С': "S", 'Т': "T", 'У': "U", 'Ф': "F", 'Х': "KH", 'Ц': "TS", 'Ч': "CH", 'Ш': "SH", 'Щ': "SHCH",
	'Ъ': "", 'Ы': "Y", 'Ь': "", 'Э': "E", 'Ю': "YU", 'Я': "YA", 'І': "I", 'Ї': "YI", 'Є': "YE", 'Ґ': "G",
}

// foldName turns a name into upper-case words of letters and digits
// separated by single spaces: diacritics go, Cyrillic is romanised,
// apostrophes and dots join (O'BRIEN, S.A.), other punctuation separates.
func foldName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true // at the start, or after a separator
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == '\'' || r == '’' || r == '‘' || r == 'ʼ' || r == '`' || r == '.' || r == 'ʻ':
			continue
		}
		if f, ok := letterFolds[unicode.ToUpper(r)]; ok {
			b.WriteString(f)
			space = false
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToUpper(r))
			space = false
			continue
		}
		if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}

// token is one word of an analysed name.
type token struct {
	text   string
	kind   tokenKind
	weight float64
	// translit is the word with the spellings that transliterations of one
	// letter disagree on written one way (DZHOKHAR and JOKHAR as JOHAR);
	// it is text when there is nothing to rewrite.
	translit string
	phon     string
}

// translitRules write one way the sounds that romanisations of Russian,
// Ukrainian and the languages written in Cyrillic spell differently: Дж as
// DZH, DJ or J; Ч as CH, TCH, TSCH or TSH; Ж as ZH or J; Х as KH or H; Ю as
// YU or IU; Я as YA or IA. The longest spelling is tried first.
//
// The phonetic key is made from the word rewritten by the rules other
// than KH as H: the key drops an H after the first letter anyway, and
// keeping the K keeps KHAN apart from HAN and the keys as selective as
// they were.
var translitRules = []struct {
	from, to string
	key      bool // applies to the phonetic key too
}{
	{"TSCH", "CH", true}, {"DZH", "J", true}, {"TCH", "CH", true}, {"TSH", "CH", true}, {"DJ", "J", true},
	{"ZH", "J", true}, {"KH", "H", false}, {"IU", "YU", true}, {"IA", "YA", true},
}

// translitFold rewrites w by translitRules, left to right.
func translitFold(w string) string { return foldRules(w, false) }

// foldRules rewrites w by translitRules, left to right; with forKey only by
// those that apply to the phonetic key.
func foldRules(w string, forKey bool) string {
	if !strings.ContainsAny(w, "HJI") {
		return w // every rule's spelling has one of these letters
	}
	var b []byte
	for i := 0; i < len(w); {
		matched := false
		for _, r := range translitRules {
			if forKey && !r.key {
				continue
			}
			if strings.HasPrefix(w[i:], r.from) {
				if b == nil {
					b = append(make([]byte, 0, len(w)), w[:i]...)
				}
				b = append(b, r.to...)
				i += len(r.from)
				matched = true
				break
			}
		}
		if !matched {
			if b != nil {
				b = append(b, w[i])
			}
			i++
		}
	}
	if b == nil {
		return w
	}
	return string(b)
}

// analyse folds a name and classifies its words. Titles are dropped unless
// nothing else is left.
func analyse(name string) []token {
	words := strings.Fields(foldName(name))
	out := make([]token, 0, len(words))
	for _, w := range words {
		if !honorifics[w] {
			out = append(out, newToken(w))
		}
	}
	if len(out) == 0 {
		for _, w := range words {
			out = append(out, newToken(w))
		}
	}
	return out
}

func newToken(w string) token {
	k := kindWord
	switch {
	case len(w) == 1 && w[0] >= 'A' && w[0] <= 'Z':
		k = kindInitial
	case legalForms[w]:
		k = kindLegal
		if canon, ok := legalSynonyms[w]; ok {
			w = canon
		}
	case particles[w]:
		k = kindParticle
	case genericWords[w]:
		k = kindGeneric
	default:
		if canon, ok := misspeltLegalForm(w); ok {
			k, w = kindLegal, canon
		}
	}
	return wordToken(w, k, k.weight())
}

// wordToken makes the token of word w with its transliteration and
// phonetic keys.
func wordToken(w string, k tokenKind, weight float64) token {
	return token{text: w, kind: k, weight: weight, translit: translitFold(w), phon: phoneticKey(foldRules(w, true))}
}

// phoneticKey is a consonant skeleton that many transliterations of one
// name share (MOHAMMED, MUHAMMAD, MOHAMED → MMT; QADHAFI, GADDAFI → KTF):
// vowels and H, W, Y are dropped after the first letter, similar consonants
// share a code, and a consonant repeated without a vowel between counts once.
// A leading vowel (or Y) is kept as A so that OSAMA and USAMA agree; a
// leading W is read as V.
func phoneticKey(w string) string {
	if len(w) < 2 {
		return w
	}
	var b [32]byte
	n := 0
	prev := byte(0)
	for i := 0; i < len(w) && n < len(b); i++ {
		c := consonantCode(w[i])
		if i == 0 {
			switch w[0] {
			case 'A', 'E', 'I', 'O', 'U', 'Y':
				c = 'A'
			case 'H':
				c = 'H'
			case 'W':
				c = 'F'
			}
			b[n] = c
			n++
			prev = c
			continue
		}
		if c != 0 && c != prev {
			b[n] = c
			n++
		}
		prev = c
	}
	return string(b[:n])
}

func consonantCode(c byte) byte {
	switch c {
	case 'A', 'E', 'I', 'O', 'U', 'Y', 'H', 'W':
		return 0
	case 'B', 'P':
		return 'B'
	case 'F', 'V':
		return 'F'
	case 'C', 'K', 'Q', 'G':
		return 'K'
	case 'D', 'T':
		return 'T'
	case 'S', 'Z', 'X':
		return 'S'
	case 'J':
		return 'J'
	case 'L':
		return 'L'
	case 'M':
		return 'M'
	case 'N':
		return 'N'
	case 'R':
		return 'R'
	default:
		return c // digits and letters of other scripts stand for themselves
	}
}

// deletions are the strings made by leaving out one character of w: two
// words within one edit of each other share one of them, or one is the
// other's deletion.
func deletions(w string) []string {
	out := make([]string, 0, len(w))
	for i := 0; i < len(w); i++ {
		if i > 0 && w[i] == w[i-1] {
			continue // the same string as the deletion before
		}
		out = append(out, w[:i]+w[i+1:])
	}
	return out
}
