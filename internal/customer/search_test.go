package customer

import (
	"testing"

	"github.com/google/uuid"
)

func TestMatcherReadsWhatWasTyped(t *testing.T) {
	id := uuid.MustParse("5b1f3c2e-9a47-4d6b-8e21-7c4f0a9d3b61")
	tests := []struct {
		q    string
		want matcher
	}{
		{"", matcher{}},
		{"   ", matcher{}},
		{"Ana  Lopez", matcher{search: true, byText: true, pattern: "%ana%lopez%"}},
		{"ana.lopez@example.com", matcher{search: true, byText: true, pattern: "%ana.lopez@example.com%"}},
		{"50%_off", matcher{search: true, byText: true, pattern: `%50\%\_off%`}},
		{"07911 123456", matcher{search: true, byText: true, pattern: "%7911123456%"}},
		{"+44 (0)7911-123456", matcher{search: true, byText: true, pattern: "%447911123456%"}},
		{id.String(), matcher{search: true, byID: true, id: id}},
		{"5b1f3c2e", matcher{search: true, byText: true, pattern: "%5b1f3c2e%"}},
		{"gb33 bukb 2020 1555 5555 55", matcher{search: true, byText: true, byIBAN: true, iban: "GB33BUKB20201555555555",
			pattern: "%gb33%bukb%2020%1555%5555%55%"}},
		{"lo", matcher{tooShort: true}},
		{"li wu", matcher{tooShort: true}},
		{"li wei", matcher{search: true, byText: true, pattern: "%li%wei%"}},
		{"12345", matcher{search: true, byText: true, pattern: "%12345%"}}, // too few digits for a phone: text
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			got := matcherFor(tc.q)
			if got != tc.want {
				t.Errorf("matcherFor(%q)\n got %+v\nwant %+v", tc.q, got, tc.want)
			}
		})
	}
}
