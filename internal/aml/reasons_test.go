package aml

import "testing"

// A reason's code is made from its label: what a person typed, as an
// upper-case identifier the database accepts.
func TestClosingReasonCodeOfLabel(t *testing.T) {
	tests := []struct{ label, want string }{
		{"Duplicate alert", "DUPLICATE_ALERT"},
		{"Explained, no SAR", "EXPLAINED_NO_SAR"},
		{"  SAR filed / draft  ", "SAR_FILED_DRAFT"},
		{"2nd line review", "R_2ND_LINE_REVIEW"},
		{"Überweisung geprüft", "BERWEISUNG_GEPR_FT"},
		{"---", ""},
		{"Ложное срабатывание", ""}, // AddClosingReason gives it a code of its own
		{"A very long reason that goes on and on beyond forty characters", "A_VERY_LONG_REASON_THAT_GOES_ON_AND_ON_B"},
	}
	for _, tc := range tests {
		t.Run(tc.label, func(t *testing.T) {
			got := codeOf(tc.label)
			if got != tc.want {
				t.Errorf("codeOf(%q) = %q; want %q", tc.label, got, tc.want)
			}
			if got != "" && !reasonCode.MatchString(got) {
				t.Errorf("codeOf(%q) = %q, which the database refuses", tc.label, got)
			}
		})
	}
}
