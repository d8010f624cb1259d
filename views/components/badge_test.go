package components

import (
	"bytes"
	"testing"
)

// Issue 15, problem 5: badges printed raw codes (SUBMITTED|REVIEWING).
// A status code in a badge is shown in words; words stay as they are.
func TestBadgeShowsWordsNotCodes(t *testing.T) {
	for _, tc := range []struct{ text, want, code string }{
		{"SUBMITTED|REVIEWING", "In review", "SUBMITTED|REVIEWING"},
		{"PENDING_REVIEW", "Waiting for review", "PENDING_REVIEW"},
		{"IN_PROGRESS", "In progress", "IN_PROGRESS"},
		{"APPROVED", "Approved", "APPROVED"},
		{"HIGH", "High", "HIGH"},
		{"PEP", "PEP", "PEP"},
		{"SEND-AND-RECEIVE", "Send and receive", "SEND-AND-RECEIVE"},
		{"GB", "GB", ""},
		{"active v3", "active v3", ""},
		{"Hidden from search", "Hidden from search", ""},
	} {
		t.Run(tc.text, func(t *testing.T) {
			var b bytes.Buffer
			if err := Badge("gray", tc.text).Render(t.Context(), &b); err != nil {
				t.Fatal(err)
			}
			d := b.String()
			if !bytes.Contains(b.Bytes(), []byte(">"+tc.want+"</span>")) {
				t.Errorf("Badge(%q) = %s; want the words %q", tc.text, d, tc.want)
			}
			hasCode := bytes.Contains(b.Bytes(), []byte(`data-code="`))
			if hasCode != (tc.code != "") {
				t.Errorf("Badge(%q) = %s; data-code wanted: %v", tc.text, d, tc.code != "")
			}
			b.Reset()
			if err := IconBadge("gray", "lock", tc.text).Render(t.Context(), &b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(b.Bytes(), []byte(tc.want)) || (tc.code != "" && bytes.Contains(b.Bytes(), []byte(">"+tc.code))) {
				t.Errorf("IconBadge(%q) = %s; want %q", tc.text, b.String(), tc.want)
			}
		})
	}
}
