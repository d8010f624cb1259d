package compliance

import (
	"testing"
	"testing/fstest"

	"github.com/ciamhq/ciam/internal/report"
)

// Every validator takes published valid numbers and refuses the same
// numbers with a check digit off by one, the wrong length, or the
// prefixes and ranges never issued.
func TestFormats(t *testing.T) {
	cases := []struct {
		format string
		good   map[string]string // input -> normalised
		bad    []string
	}{
		{"br_cpf", map[string]string{"529.982.247-25": "529.982.247-25", "52998224725": "529.982.247-25", "111.444.777-35": "111.444.777-35"},
			[]string{"529.982.247-26", "529.982.247-15", "5299822472", "529982247250", "111.111.111-11", "529.982.247-2X", ""}},
		{"de_tax_id", map[string]string{"86095742719": "86095742719", "47 036 892 816": "47036892816", "65929970489": "65929970489"},
			[]string{"86095742718", "86095742710", "8609574271", "06095742719", "12345678903", "11145678908", "11123456780"}},
		{"in_aadhaar", map[string]string{"2341 2341 2346": "234123412346", "999941057058": "999941057058"},
			[]string{"234123412347", "234123412345", "23412341234", "134123412346", "034123412346"}},
		{"in_pan", map[string]string{"ABCPE1234F": "ABCPE1234F", "abcpe1234f": "ABCPE1234F"},
			[]string{"ABCCE1234F", "ABCPE123F", "ABCPE12345", "ABCPE0000F", "1BCPE1234F"}},
		{"uk_nino", map[string]string{"AB 12 34 56 C": "AB123456C", "ab123456d": "AB123456D"},
			[]string{"QQ123456C", "DA123456A", "AO123456A", "GB123456A", "NK123456A", "TN123456A", "ZZ123456A", "AB123456E", "AB12345C"}},
		{"us_ssn", map[string]string{"536-22-1234": "536-22-1234", "536221234": "536-22-1234"},
			[]string{"000-22-1234", "666-22-1234", "900-22-1234", "536-00-1234", "536-22-0000", "078-05-1120", "219-09-9999", "123-45-6789", "53622123", "5362212345"}},
		{"es_dni", map[string]string{"12345678Z": "12345678Z", "X1234567L": "X1234567L"},
			[]string{"12345678A", "X1234567M", "1234567Z"}},
		{"date", map[string]string{"2024-01-31": "2024-01-31"}, []string{"2024-02-30", "31.01.2024"}},
	}
	for _, tc := range cases {
		t.Run(tc.format, func(t *testing.T) {
			f, ok := FormatNamed(tc.format)
			if !ok {
				t.Fatalf("no format %s", tc.format)
			}
			for in, want := range tc.good {
				got, issue := f.Check(in)
				if issue != "" || got != want {
					t.Errorf("Check(%q) = %q, %q; want %q", in, got, issue, want)
				}
			}
			for _, in := range tc.bad {
				if got, issue := f.Check(in); issue == "" {
					t.Errorf("Check(%q) = %q: accepted, want refused", in, got)
				}
			}
			if f.Example != "" {
				if _, issue := f.Check(f.Example); issue != "" {
					t.Errorf("the published example %q is refused: %s", f.Example, issue)
				}
			}
		})
	}
}

// Every shipped pack loads and passes its checks against the report
// definitions there are; a broken file fails the load, naming the file
// and the property.
func TestPacksLoad(t *testing.T) {
	reports := report.MustCatalog()
	exists := func(id string) bool { _, err := reports.Get(id); return err == nil }
	c, err := LoadCatalog(nil, exists)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"eu_amld", "uk_mlr_2017", "us_bsa_cip", "br_bcb_3978", "in_rbi_kyc"} {
		if _, ok := c.Get(id); !ok {
			t.Errorf("pack %s not shipped", id)
		}
	}
	good, _ := packFiles.ReadFile("packs/br_bcb_3978.json")
	broken := map[string]string{
		"not JSON":         `{"id": "x"`,
		"unknown property": `{"id": "xx", "retentionYears": 5}`,
		"bad format":       replace(string(good), `"format": "br_cpf"`, `"format": "br_cpf_v2"`),
		"short retention":  replace(string(good), `"days": 3652, "after": "relationship_end", "citation": "BCB Circular 3.978/2020 art. 67: at least`, `"days": 0, "after": "relationship_end", "citation": "x`),
		"unknown report":   replace(string(good), `"sars"]`, `"sars", "coaf_monthly"]`),
		"bad country":      replace(string(good), `"countries": ["BR"],`, `"countries": ["XX"],`),
		"bad measure":      replace(string(good), `"MANUAL_REVIEW",`, `"CALL_THE_POLICE",`),
	}
	for name, body := range broken {
		_, err := LoadCatalog(fstest.MapFS{"packs/broken.json": {Data: []byte(body)}}, exists)
		if err == nil {
			t.Errorf("%s: loaded", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func replace(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	panic("not found: " + old)
}
