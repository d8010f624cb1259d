package screening

import (
	"bytes"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// Issue 15, problem 8: a list upload that runs polls for itself one
// request at a time and shows its progress inside; a finished one stops.
func TestUploadStatusPollsOneAtATimeAndShowsIt(t *testing.T) {
	for _, tc := range []struct {
		status string
		polls  bool
	}{{"RUNNING", true}, {"DONE", false}, {"FAILED", false}} {
		var b bytes.Buffer
		if err := UploadStatus(Upload{ID: "u", Status: tc.status, Total: 4, Done: 1}).Render(t.Context(), &b); err != nil {
			t.Fatal(err)
		}
		d, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		s := d.Find("#upload-status")
		trigger, polls := s.Attr("hx-trigger")
		if polls != tc.polls || (polls && (trigger != "every 1s" || s.AttrOr("hx-sync", "") != "this:drop")) {
			t.Errorf("%s: hx-trigger %q hx-sync %q; want polling %v, one request at a time", tc.status, trigger, s.AttrOr("hx-sync", ""), tc.polls)
		}
		if n := s.Find(`[data-testid="busy"].htmx-indicator`).Length(); (n == 1) != tc.polls {
			t.Errorf("%s: %d progress indicators inside", tc.status, n)
		}
	}
}
