package aml

import (
	"strings"
	"testing"
)

// A condition that does not compile is explained in plain words at its
// position, not with the parser's grammar.
func TestConditionProblemsInPlainWords(t *testing.T) {
	c, err := NewCompiler()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		expr        string
		line, col   int
		want, never string
	}{
		{`tx.amount > `, 1, 13, "ends too early", "<EOF>"},
		{`tx.direction == "OUT" &&`, 1, 25, "ends too early", "expecting"},
		{`tx.amount > 5 and true`, 1, 15, "“and” is not expected here", "mismatched"},
		{`(tx.amount > 5`, 1, 15, "a closing “)” is missing", "<EOF>"},
		{`tx.amount > 5)`, 1, 14, "“)” is one too many", "extraneous"},
		{`tx.amount # 5`, 1, 11, "“#” is not part of the condition language", "token recognition"},
		{`foo(1) > 2`, 1, 4, "“foo” is not a known name", "container"},
	} {
		iss := c.Check(tc.expr)
		if len(iss) == 0 {
			t.Errorf("%q compiles", tc.expr)
			continue
		}
		got := iss[0]
		if got.Line != tc.line || got.Column != tc.col || !strings.Contains(got.Message, tc.want) || strings.Contains(iss.Error(), tc.never) {
			t.Errorf("%q: line %d column %d %q; want line %d column %d with %q and without %q", tc.expr, got.Line, got.Column, iss.Error(), tc.line, tc.col, tc.want, tc.never)
		}
	}
}
