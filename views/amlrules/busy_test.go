package amlrules

import (
	"bytes"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// Issue 15, problem 8: little feedback from htmx. A running shadow run
// polls for itself: one request at a time (a tick while one runs is
// dropped) and its progress shown inside it; a finished run stops.
func TestShadowRunPollsOneAtATimeAndShowsIt(t *testing.T) {
	for _, tc := range []struct {
		name     string
		run      Run
		polls    bool
		wantBusy int
	}{
		{"running", Run{RuleID: "r", ID: "x", Status: "RUNNING", Total: 10, Processed: 3}, true, 1},
		{"finished", Run{RuleID: "r", ID: "x", Status: "DONE", Finished: true}, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := RunBody(tc.run).Render(t.Context(), &b); err != nil {
				t.Fatal(err)
			}
			d, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
			if err != nil {
				t.Fatal(err)
			}
			body := d.Find("#run-body")
			trigger, polls := body.Attr("hx-trigger")
			if polls != tc.polls || (polls && (trigger != "every 1s" || body.AttrOr("hx-sync", "") != "this:drop")) {
				t.Errorf("hx-trigger %q hx-sync %q; want polling %v, one request at a time", trigger, body.AttrOr("hx-sync", ""), tc.polls)
			}
			if tc.polls && !strings.Contains(body.Text(), "3 of 10 transactions") {
				t.Errorf("the progress reads %q; want 3 of 10 transactions", strings.Join(strings.Fields(body.Text()), " "))
			}
			if n := body.Find(`[data-testid="busy"].htmx-indicator`).Length(); n != tc.wantBusy {
				t.Errorf("%d progress indicators inside; want %d", n, tc.wantBusy)
			}
		})
	}
}

// The condition check shows its progress beside its answer, keeps the
// rule from being saved until the answer came, and a newer check
// replaces one still running.
func TestConditionCheckShowsItsProgress(t *testing.T) {
	for _, c := range []Condition{{Kind: "expression", Expression: "tx.amount > 1"}, {Kind: "amount", Params: []Param{{Name: "min", Label: "Minimum"}}}} {
		var b bytes.Buffer
		if err := ConditionSection(c).Render(t.Context(), &b); err != nil {
			t.Fatal(err)
		}
		d, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		sender := d.Find(`[hx-post="/aml/rules/check"]`)
		if sender.Length() != 1 || sender.AttrOr("hx-indicator", "") != "#condition-busy" || sender.AttrOr("hx-disabled-elt", "") != "#save-rule" ||
			sender.AttrOr("hx-sync", "") != "this:replace" {
			t.Errorf("%s: the check's sender: %v", c.Kind, sender.Nodes)
		}
		if d.Find(`#condition-busy.htmx-indicator`).Length() != 1 {
			t.Errorf("%s: no progress beside the check", c.Kind)
		}
		if kind := d.Find(`#rule-kind`); kind.AttrOr("hx-disabled-elt", "") != "#rule-kind, #save-rule" || kind.AttrOr("hx-indicator", "") != "#condition-busy" {
			t.Errorf("%s: the kind switch does not show its progress", c.Kind)
		}
	}
}
