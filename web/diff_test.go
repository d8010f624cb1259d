package web

import (
	"encoding/json"
	"strings"
	"testing"
)

// Before/after values read as written: an AML rule's "amount > 1000" is not
// shown as "amount \u003e 1000" to the employee who approves it.
func TestDiffShowsValuesAsWritten(t *testing.T) {
	before := json.RawMessage(`{"expression":"tx.amount > 1000","score":10}`)
	after, _ := json.Marshal(map[string]any{"expression": "tx.amount >= 2000 && tx.currency != \"EUR\"", "score": 10, "note": "<b>&"})
	changes := diffJSON(before, after)
	got := map[string][2]string{}
	for _, c := range changes {
		got[c.Path] = [2]string{c.Before, c.After}
	}
	if g := got["expression"]; g[0] != `"tx.amount > 1000"` || g[1] != `"tx.amount >= 2000 && tx.currency != \"EUR\""` {
		t.Errorf("expression: %q", g)
	}
	if g := got["note"]; g[0] != "—" || g[1] != `"<b>&"` {
		t.Errorf("note: %q", g)
	}
	if _, ok := got["score"]; ok || len(changes) != 2 {
		t.Errorf("changes %+v; want expression and note only", changes)
	}
	if p := pretty(after); !strings.Contains(p, `"tx.amount >= 2000 && tx.currency != \"EUR\""`) || strings.Contains(p, `\u00`) {
		t.Errorf("pretty: %s", p)
	}
}
