package screening

import (
	"math"
	"slices"
	"testing"
)

func TestFoldName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"José Müller-Lüdenscheidt", "JOSE MULLER LUDENSCHEIDT"},
		{"AL ZAWAHIRI, Dr. Ayman", "AL ZAWAHIRI DR AYMAN"},
		{"O'Brien", "OBRIEN"},
		{"S.A. de C.V.", "SA DE CV"},
		{"Łukasz Żółć", "LUKASZ ZOLC"},
		{"Владимир Путин", "VLADIMIR PUTIN"},
		{"  many   spaces ", "MANY SPACES"},
		{"Straße", "STRASSE"},
	}
	for _, tc := range tests {
		if got := foldName(tc.in); got != tc.want {
			t.Errorf("foldName(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestAnalyse(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		words []string
		kinds []tokenKind
	}{
		{"title dropped", "Dr. Ayman al-Zawahiri", []string{"AYMAN", "AL", "ZAWAHIRI"}, []tokenKind{kindWord, kindParticle, kindWord}},
		{"title after the comma", "SAIFULLAH, Qari", []string{"SAIFULLAH"}, []tokenKind{kindWord}},
		{"only a title stays", "Sheikh", []string{"SHEIKH"}, []tokenKind{kindWord}},
		{"legal forms spelt one way", "Acme Trading Limited", []string{"ACME", "TRADING", "LTD"}, []tokenKind{kindWord, kindGeneric, kindLegal}},
		{"misspelt legal form", "Kala Limitde", []string{"KALA", "LTD"}, []tokenKind{kindWord, kindLegal}},
		{"initials", "J. R. R. Tolkien", []string{"J", "R", "R", "TOLKIEN"}, []tokenKind{kindInitial, kindInitial, kindInitial, kindWord}},
		{"a single-letter word is an initial, not a particle", "E. Perez y Gomez", []string{"E", "PEREZ", "Y", "GOMEZ"}, []tokenKind{kindInitial, kindWord, kindInitial, kindWord}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var words []string
			var kinds []tokenKind
			for _, tok := range analyse(tc.in) {
				words = append(words, tok.text)
				kinds = append(kinds, tok.kind)
			}
			if !slices.Equal(words, tc.words) || !slices.Equal(kinds, tc.kinds) {
				t.Errorf("analyse(%q) = %v %v; want %v %v", tc.in, words, kinds, tc.words, tc.kinds)
			}
		})
	}
}

func TestPhoneticKey(t *testing.T) {
	same := [][]string{
		{"MOHAMMED", "MUHAMMAD", "MOHAMED", "MOHAMMAD"},
		{"QADHAFI", "GADDAFI", "KADHAFI", "QADDAFI"},
		{"OSAMA", "USAMA"},
		{"YOUSSEF", "YUSUF"},
		{"WLADIMIR", "VLADIMIR"},
	}
	for _, group := range same {
		for _, w := range group[1:] {
			if phoneticKey(w) != phoneticKey(group[0]) {
				t.Errorf("phoneticKey(%s) = %s, phoneticKey(%s) = %s; want equal", w, phoneticKey(w), group[0], phoneticKey(group[0]))
			}
		}
	}
	for _, pair := range [][2]string{{"ALI", "WALI"}, {"HASSAN", "ASSAN"}, {"SMITH", "SCHMIDT"}} {
		if phoneticKey(pair[0]) == phoneticKey(pair[1]) {
			t.Errorf("phoneticKey(%s) = phoneticKey(%s) = %s; want different", pair[0], pair[1], phoneticKey(pair[0]))
		}
	}
}

func TestJaroWinkler(t *testing.T) {
	// Reference values from Winkler's papers.
	tests := []struct {
		a, b string
		want float64
	}{
		{"MARTHA", "MARHTA", 0.961},
		{"DWAYNE", "DUANE", 0.840},
		{"DIXON", "DICKSONX", 0.813},
		{"SMITH", "SMITH", 1},
		{"ABC", "XYZ", 0},
		{"", "A", 0},
	}
	for _, tc := range tests {
		got := jaroWinkler(tc.a, tc.b)
		if math.Abs(got-tc.want) > 0.0005 {
			t.Errorf("jaroWinkler(%q, %q) = %.4f; want %.3f", tc.a, tc.b, got, tc.want)
		}
		if back := jaroWinkler(tc.b, tc.a); math.Abs(back-got) > 1e-9 {
			t.Errorf("jaroWinkler is not symmetric on %q, %q: %.4f and %.4f", tc.a, tc.b, got, back)
		}
	}
}

func TestListDate(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"15 Sep 1973", "1973-09-15", true},
		{"Sep 1973", "1973-09", true},
		{"1943", "1943", true},
		{"circa 1970", "~1970", true},
		{"1960 to 1965", "1960/1965", true},
		{"01 Jan 1960 to 31 Dec 1965.", "1960-01-01/1965-12-31", true},
		{"30 Feb 1970", "", false},
		{"sometime", "", false},
	}
	for _, tc := range tests {
		got, ok := listDate(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("listDate(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDOBFactor(t *testing.T) {
	list := func(ds ...string) []dateRange {
		var out []dateRange
		for _, d := range ds {
			r, ok := parseDate(d)
			if !ok {
				t.Fatalf("parseDate(%q) failed", d)
			}
			out = append(out, r)
		}
		return out
	}
	tests := []struct {
		query string
		list  []dateRange
		want  float64
	}{
		{"1973-09-15", list("1973-09-15"), dobSameDay},
		{"1973-09-15", list("1973"), dobConsistent},
		{"1973", list("1973-09-15"), dobConsistent},
		{"1971-06-01", list("~1970"), dobConsistent},
		{"1962-03-03", list("1960/1965"), dobConsistent},
		{"1973-09-15", list("1973-10-01"), dobClose},
		{"1950-01-01", list("1973-09-15"), dobDifferent},
		{"1950-01-01", list("1973-09-15", "1950-01-01"), dobSameDay}, // the best of several
	}
	for _, tc := range tests {
		q, _ := parseDate(tc.query)
		if got, why := dobFactor(q, tc.list); got != tc.want || why == "" {
			t.Errorf("dobFactor(%s, %v) = %v %q; want %v", tc.query, tc.list, got, why, tc.want)
		}
	}
}

func TestCountryCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"us", "US"}, {"IRN", "IR"}, {"Iran", "IR"}, {"Korea, North", "KP"}, {"Democratic People's Republic of Korea", "KP"},
		{"Russia", "RU"}, {"Burma", "MM"}, {"Congo, Democratic Republic of the", "CD"}, {"Côte d'Ivoire", "CI"},
		{"possibly Palestinian", "PS"}, {"Man, Isle of", "IM"},
	}
	for _, tc := range tests {
		if got, ok := countryCode(tc.in); !ok || got != tc.want {
			t.Errorf("countryCode(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	for _, bad := range []string{"XX", "Atlantis", ""} {
		if got, ok := countryCode(bad); ok {
			t.Errorf("countryCode(%q) = %q; want none", bad, got)
		}
	}
}

func TestTranslitFold(t *testing.T) {
	same := [][]string{
		{"DZHOKHAR", "JOKHAR", "DJOKHAR", "JOHAR"},
		{"MEDVEDCHUK", "MEDVEDTCHUK", "MEDVEDTSCHUK"},
		{"ZHUKOV", "JUKOV"},
		{"YURI", "IURI"},
		{"YAKOV", "IAKOV"},
	}
	for _, g := range same {
		for _, w := range g[1:] {
			if translitFold(w) != translitFold(g[0]) {
				t.Errorf("translitFold(%s) = %s, translitFold(%s) = %s; want equal", w, translitFold(w), g[0], translitFold(g[0]))
			}
		}
	}
	for _, w := range []string{"SMITH", "MARTIN", "ABDUL"} {
		if translitFold(w) != w {
			t.Errorf("translitFold(%s) = %s; want it unchanged", w, translitFold(w))
		}
	}
}
