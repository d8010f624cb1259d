package aml

import (
	"strings"
	"testing"
)

// FuzzCompile: whatever a tenant types as a rule's condition, compiling it
// ends in a program or in issues a person can read, each at a position
// inside the condition; never a panic.
func FuzzCompile(f *testing.F) {
	for _, seed := range []string{
		`tx.direction == "OUT" && amount_in("EUR") >= 500`,
		`count_over(duration("24h"), {"direction": "OUT", "min_amount_eur": 1000}) > 5`,
		"tx.amount > 1000 &&\n  tx.amount > \"x\"",
		`tx.amont > 5`,
		`amount_in("EURO") > 1`,
		`tx.amount + 1`,
		nested(5),
		`customer.risk_level == "HIGH" || customer.transaction_monitoring == "REAL_TIME"`,
		`"\u0000" == "\xff"`,
		`((((((((((`,
	} {
		f.Add(seed)
	}
	c, err := NewCompiler()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		iss := c.Check(expr)
		lines := strings.Count(expr, "\n") + 1
		for _, is := range iss {
			if is.Message == "" {
				t.Fatalf("%q: an issue without a message", expr)
			}
			if is.Line < 0 || is.Line > lines || is.Column < 0 {
				t.Fatalf("%q: issue at line %d column %d, outside the condition's %d lines", expr, is.Line, is.Column, lines)
			}
		}
	})
}
