package api

import "testing"

func TestGuidePhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+12125551234", "+1(212)555-1234"},
		{"+447911123456", "+44(7911)12-3456"},
		{"+4930123456", "+49(30)12-3456"},
		{"not a number", "not a number"},
	}
	for _, tc := range tests {
		if got := GuidePhone(tc.in); got != tc.want {
			t.Errorf("GuidePhone(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestOverallStatus(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, docMissing},
		{[]string{docValid, docValid}, docValid},
		{[]string{docValid, docReviewing}, docReviewing},
		{[]string{docValid, docMissing, docReviewing}, docMissing},
		{[]string{docMissing, docInvalid}, docInvalid},
	}
	for _, tc := range tests {
		if got := overallStatus(tc.in); got != tc.want {
			t.Errorf("overallStatus(%v) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
