package aml

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

func compiler(t testing.TB) *Compiler {
	t.Helper()
	c, err := NewCompiler()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Every kind of the form editor, with its defaults, generates a condition
// that compiles.
func TestEveryFormKindCompiles(t *testing.T) {
	c := compiler(t)
	for _, k := range FormKinds {
		t.Run(k.Kind, func(t *testing.T) {
			f := DefaultForm(k.Kind)
			if k.Kind == KindList {
				f.Params["lists"] = "Blocked accounts"
			}
			expr, err := f.Expression()
			if err != nil {
				t.Fatalf("expression: %v", err)
			}
			if iss := c.Check(expr); iss != nil {
				t.Fatalf("%s: %v", expr, iss)
			}
		})
	}
}

func TestFormExpressions(t *testing.T) {
	tests := []struct {
		kind   string
		params map[string]string
		want   string
	}{
		{KindAmount, map[string]string{"threshold": "1000", "currency": "EUR", "direction": "OUT"},
			`tx.direction == "OUT" && amount_in("EUR") >= 1000`},
		{KindVelocity, map[string]string{"measure": "count", "by": "customer", "window_hours": "24", "limit": "5", "currency": "EUR", "min_amount": "1000", "direction": "OUT"},
			`count_over(duration("24h"), {"direction": "OUT", "currency": "EUR", "at_least": 1000}) > 5`},
		{KindVelocity, map[string]string{"measure": "sum", "by": "counterparty", "window_hours": "168", "limit": "25000.50", "currency": "USD"},
			`sum_over(duration("168h"), "USD", {"by": "counterparty"}) > dec("25000.5")`},
		{KindStructuring, map[string]string{"threshold": "10000", "currency": "EUR", "margin_percent": "10", "window_hours": "72", "min_count": "3"},
			`amount_in("EUR") >= 9000 && amount_in("EUR") < 10000 && count_over(duration("72h"), {"currency": "EUR", "at_least": 9000, "below": 10000}) >= 3`},
		{KindNewHighRisk, map[string]string{"countries": "ir, kp"}, `new_counterparty() && counterparty.country in ["IR", "KP"]`},
		{KindList, map[string]string{"sanctions": "no", "lists": "Mules, Blocked"}, `on_list("Mules") || on_list("Blocked")`},
	}
	for _, tc := range tests {
		got, err := Form{Kind: tc.kind, Params: tc.params}.Expression()
		if err != nil || got != tc.want {
			t.Errorf("%s %v:\n got  %s (%v)\n want %s", tc.kind, tc.params, got, err, tc.want)
		}
	}
	if _, err := (Form{Kind: KindAmount, Params: map[string]string{"threshold": "-5", "currency": "EURO"}}).Expression(); err == nil ||
		!strings.Contains(err.Error(), "some fields") {
		t.Errorf("bad parameters: %v", err)
	}
}

// Problems are reported where they are, one-based.
func TestCompileIssuesHaveTheirPosition(t *testing.T) {
	c := compiler(t)
	tests := []struct {
		expr      string
		line, col int
		says      string
	}{
		{"tx.amount > 1000 &&\n  tx.amount > \"x\"", 2, 13, "“>” cannot be used between an amount and text"},
		{"tx.amont > 5", 1, 1, "is not a known name"},
		{`count_over(duration("24h"), {"direction": "SIDEWAYS"}) > 1`, 1, 43, `"direction" is "IN" or "OUT"`},
		{`count_over(duration("24h"), {"colour": "red"}) > 1`, 1, 30, "unknown filter key"},
		{`count_over(duration("2400h")) > 1`, 1, 20, "at most 90 days"},
		{`count_over(tx.time - tx.time) > 1`, 1, 20, "constant"},
		{`amount_in("EURO") > 1`, 1, 11, "ISO 4217"},
		{`tx.amount + 1`, 1, 1, "true or false"},
		{`tx.amount > 1000.0`, 1, 11, "“>” cannot be used between an amount and a floating-point number"},
		{nested(5), 1, 1, "too long to evaluate"},
	}
	for _, tc := range tests {
		iss := c.Check(tc.expr)
		if len(iss) == 0 {
			t.Errorf("%q compiled", tc.expr)
			continue
		}
		if iss[0].Line != tc.line || iss[0].Column != tc.col || !strings.Contains(iss[0].Message, tc.says) {
			t.Errorf("%q: %v; want line %d column %d ~ %q", tc.expr, iss[0], tc.line, tc.col, tc.says)
		}
	}
}

// nested is n comprehensions inside each other over ten values each.
func nested(n int) string {
	list := "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"
	e := "v0 >= 0"
	for i := n - 1; i >= 0; i-- {
		e = fmt.Sprintf("%s.all(v%d, %s)", list, i, e)
	}
	return e
}

// Conditions with the usual string functions and a small loop compile.
func TestOrdinaryConditionsAreNotTooCostly(t *testing.T) {
	c := compiler(t)
	for _, e := range []string{
		`counterparty.name.contains("LTD") && counterparty.name.startsWith("A") && customer.country != counterparty.country`,
		`["IR", "KP", "MM", "SY"].exists(c, counterparty.country == c) && amount_in("EUR") > 100`,
		nested(2),
	} {
		if iss := c.Check(e); iss != nil {
			t.Errorf("%s: %v", e, iss)
		}
	}
}

// The analysis finds the windows one read must cover.
func TestWindowsAreKnownAtCompileTime(t *testing.T) {
	c := compiler(t)
	p, iss := c.compiled(`count_over(duration("24h")) > 1 || sum_over(duration("720h"), "EUR", {"by": "counterparty"}) > 5 || count_over(duration("48h"), {"by": "country"}) > 2`)
	if iss != nil {
		t.Fatal(iss)
	}
	if p.window != 48*time.Hour || p.cpWindow != 720*time.Hour {
		t.Errorf("window %v, counterparty window %v", p.window, p.cpWindow)
	}
}

// Decimals compare and compute exactly, with integers and with each other,
// whether they are amounts (four places) or results of a division.
func TestDecimalsAreExact(t *testing.T) {
	c := compiler(t)
	tests := map[string]bool{
		`tx.amount == dec("1000.10")`:                true,
		`tx.amount > 1000 && tx.amount < 1001`:       true,
		`tx.amount >= 1000`:                          true,
		`tx.amount > dec("1000.1")`:                  false,
		`tx.amount >= dec("1000.1000")`:              true,
		`tx.amount * 3 == dec("3000.30")`:            true,
		`tx.amount / 3 > dec("333.36666666")`:        true,
		`tx.amount / 3 == dec("333.36666667")`:       true,
		`-tx.amount < -1000`:                         true,
		`dec("0.1") + dec("0.2") == dec("0.3")`:      true,
		`dec("123456789012345678901234567890") > 1`:  true,
		`dec("-123456789012345678901234567890") < 0`: true,
		`is_multiple_of(tx.amount, dec("0.1"))`:      true,
		`is_multiple_of(tx.amount, 10)`:              false,
	}
	var rules []ActiveRule
	var exprs []string
	for e := range tests {
		exprs = append(exprs, e)
		rules = append(rules, ActiveRule{ID: uuid.New(), Version: 1, Def: Definition{Name: e, Expression: e, Outcome: Warn}})
	}
	rs := c.NewRuleSet(1, rules, newRates(nil), NewLists(nil, nil))
	in := &Input{Tx: Transaction{Type: "TRANSFER", Direction: "OUT", Currency: "EUR", Amount: decimal.RequireFromString("1000.10"), At: time.Now()}}
	res := Evaluate(context.Background(), uuid.Nil, rs, in, nil, nil)
	if len(res.Failures) > 0 {
		t.Fatalf("failures: %+v", res.Failures)
	}
	fired := map[string]bool{}
	for _, h := range res.Hits {
		fired[h.Name] = true
	}
	for _, e := range exprs {
		if fired[e] != tests[e] {
			t.Errorf("%s = %v; want %v", e, fired[e], tests[e])
		}
	}
}
