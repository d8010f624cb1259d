package kyc

import "testing"

func TestNameMatchTransliterationAndOrder(t *testing.T) {
	tests := []struct {
		doc, first, middle, last string
		both                     bool
	}{
		{"MUELLER HANS", "Hans", "", "Müller", true},
		{"HANS MULLER", "Hans", "", "Müller", true},
		{"SOEREN KIERKEGAARD", "Søren", "", "Kierkegaard", true},
		{"DOE JOHN ROBERT", "John", "Robert", "Doe", true},
		{"ANNA MARIA ERIKSSON", "Anna", "", "Eriksson", true},
		{"JANE ROE", "John", "", "Doe", false},
		{"JOHN SMITH", "John", "", "Doe", false},
	}
	for _, tc := range tests {
		if _, both := NameMatch(tc.doc, tc.first, tc.middle, tc.last); both != tc.both {
			t.Errorf("NameMatch(%q, %s %s %s) = %v; want %v", tc.doc, tc.first, tc.middle, tc.last, both, tc.both)
		}
	}
}
