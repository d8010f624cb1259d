package aml

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/internal/apperr"
)

// The form editor covers the common cases; each kind generates a CEL
// condition from a few parameters. KindExpression is a condition written
// by hand.

// Form is a form-made condition: its kind and parameters as entered.
type Form struct {
	Kind   string            `json:"kind"`
	Params map[string]string `json:"params"`
}

// Form kinds.
const (
	KindExpression  = "expression"
	KindAmount      = "amount"
	KindVelocity    = "velocity"
	KindStructuring = "structuring"
	KindRound       = "round"
	KindInOut       = "in_out"
	KindNewHighRisk = "new_counterparty_high_risk"
	KindDormancy    = "dormancy"
	KindList        = "list"
)

// FormField is one parameter of a form kind.
type FormField struct {
	Name    string
	Label   string
	Hint    string
	Default string
	// Options makes a choice; empty for free input.
	Options []string
	// Optional fields may be left empty.
	Optional bool
}

// FormKind describes a kind for the editor.
type FormKind struct {
	Kind   string
	Label  string
	Doc    string
	Fields []FormField
}

// DefaultHighRisk are the FATF's "call for action" jurisdictions, the
// default of the high-risk-country form; tenants edit the list per rule.
const DefaultHighRisk = "IR, KP, MM"

var currencyField = FormField{Name: "currency", Label: "Currency", Hint: "ISO 4217; other currencies convert with the tenant's rates", Default: "EUR"}

// FormKinds lists the form editor's kinds.
var FormKinds = []FormKind{
	{KindAmount, "Amount threshold", "A single transaction of at least an amount.", []FormField{
		{Name: "threshold", Label: "At least", Default: "10000"}, currencyField,
		{Name: "direction", Label: "Direction", Options: []string{"", "IN", "OUT"}, Optional: true, Hint: "empty: both"},
	}},
	{KindVelocity, "Velocity", "More transactions, or more money, than usual within a window.", []FormField{
		{Name: "measure", Label: "Measure", Options: []string{"count", "sum"}, Default: "count"},
		{Name: "by", Label: "Per", Options: []string{"customer", "counterparty", "country"}, Default: "customer",
			Hint: "counterparty: every customer's transactions with it; country: the customer's with its country"},
		{Name: "window_hours", Label: "Window (hours)", Default: "24"},
		{Name: "limit", Label: "More than", Hint: "a count, or an amount for a sum", Default: "5"},
		currencyField,
		{Name: "min_amount", Label: "Only transactions of at least", Optional: true, Default: "1000"},
		{Name: "direction", Label: "Direction", Options: []string{"", "IN", "OUT"}, Optional: true, Default: "OUT"},
	}},
	{KindStructuring, "Structuring", "Several amounts just under a reporting threshold within a window.", []FormField{
		{Name: "threshold", Label: "Threshold", Default: "10000"}, currencyField,
		{Name: "margin_percent", Label: "Just under: within % below", Default: "10"},
		{Name: "window_hours", Label: "Window (hours)", Default: "72"},
		{Name: "min_count", Label: "At least this many", Default: "3"},
	}},
	{KindRound, "Round amounts", "Large amounts that are exact multiples of a round unit.", []FormField{
		{Name: "min_amount", Label: "At least", Default: "5000"}, currencyField,
		{Name: "unit", Label: "Multiple of", Hint: "in the transaction's own currency", Default: "1000"},
	}},
	{KindInOut, "In and straight out", "Money paid out soon after it came in.", []FormField{
		{Name: "window_hours", Label: "Window (hours)", Default: "48"},
		{Name: "share_percent", Label: "Paid out at least % of what came in", Default: "90"},
		{Name: "min_amount", Label: "Came in at least", Default: "1000"}, currencyField,
	}},
	{KindNewHighRisk, "New counterparty, high-risk country", "A first transaction with a counterparty in a high-risk country.", []FormField{
		{Name: "countries", Label: "High-risk countries", Hint: "ISO 3166 alpha-2, separated by commas", Default: DefaultHighRisk},
	}},
	{KindDormancy, "First transaction after dormancy", "Activity on an account that was quiet for a long time.", []FormField{
		{Name: "idle_days", Label: "Quiet for at least (days)", Default: "180"},
		{Name: "min_amount", Label: "Amount at least", Optional: true, Default: "1000"}, currencyField,
	}},
	{KindList, "List membership", "The counterparty is on a sanctions list or one of the tenant's lists.", []FormField{
		{Name: "sanctions", Label: "Sanctions lists", Options: []string{"yes", "no"}, Default: "yes"},
		{Name: "lists", Label: "Custom lists", Hint: "names of custom lists, separated by commas", Optional: true},
	}},
}

// FormKindOf returns the description of a kind.
func FormKindOf(kind string) (FormKind, bool) {
	for _, k := range FormKinds {
		if k.Kind == kind {
			return k, true
		}
	}
	return FormKind{}, false
}

// DefaultForm is a kind with its default parameters.
func DefaultForm(kind string) Form {
	f := Form{Kind: kind, Params: map[string]string{}}
	if k, ok := FormKindOf(kind); ok {
		for _, fl := range k.Fields {
			f.Params[fl.Name] = fl.Default
		}
	}
	return f
}

// formReader reads parameters, collecting problems under form.<name>.
type formReader struct {
	f  Form
	fe *apperr.Fields
}

func (r formReader) str(name string) string { return strings.TrimSpace(r.f.Params[name]) }

func (r formReader) amount(name string, optional bool) *decimal.Decimal {
	s := r.str(name)
	if s == "" {
		if !optional {
			r.fe.Add("form."+name, "is required")
		}
		return nil
	}
	d, err := decimal.NewFromString(strings.ReplaceAll(s, ",", ""))
	switch {
	case err != nil:
		r.fe.Add("form."+name, "must be a number such as 1000 or 999.99")
	case d.Sign() <= 0:
		r.fe.Add("form."+name, "must be more than zero")
	case d.Exponent() < -4:
		r.fe.Add("form."+name, "may have at most four decimal places")
	default:
		return &d
	}
	return nil
}

func (r formReader) integer(name string, lo, hi int) int {
	n, err := strconv.Atoi(r.str(name))
	if err != nil || n < lo || n > hi {
		r.fe.Add("form."+name, "must be a whole number from %d to %d", lo, hi)
		return 0
	}
	return n
}

func (r formReader) currency() string {
	c := strings.ToUpper(r.str("currency"))
	if !validCurrency(c) {
		r.fe.Add("form.currency", "must be an ISO 4217 currency code such as EUR")
	}
	return c
}

func (r formReader) choice(name string, options ...string) string {
	v := r.str(name)
	for _, o := range options {
		if v == o {
			return v
		}
	}
	r.fe.Add("form."+name, "must be one of %s", strings.Join(options, ", "))
	return ""
}

func (r formReader) direction() string {
	return strings.ToUpper(r.choice("direction", "", "IN", "OUT", "in", "out"))
}

// lit writes an amount as a CEL constant: an integer when it is one.
func lit(d decimal.Decimal) string {
	if d.IsInteger() {
		return d.String()
	}
	return fmt.Sprintf("dec(%q)", d.String())
}

func hoursWindow(hours int) string { return fmt.Sprintf("duration(\"%dh\")", hours) }

// Expression is the condition the form generates, or the parameters'
// problems (fields named form.<parameter>).
func (f Form) Expression() (string, error) {
	var fe apperr.Fields
	r := formReader{f: f, fe: &fe}
	maxHours := int(MaxWindow.Hours())
	var expr string
	switch f.Kind {
	case KindAmount:
		t, cur, dir := r.amount("threshold", false), r.currency(), r.direction()
		if t != nil {
			expr = fmt.Sprintf("amount_in(%q) >= %s", cur, lit(*t))
			if dir != "" {
				expr = fmt.Sprintf("tx.direction == %q && %s", dir, expr)
			}
		}
	case KindVelocity:
		measure := r.choice("measure", "count", "sum")
		by := r.choice("by", "customer", "counterparty", "country")
		hours := r.integer("window_hours", 1, maxHours)
		cur, dir := r.currency(), r.direction()
		minAmt := r.amount("min_amount", true)
		var keys []string
		if by != "customer" && by != "" {
			keys = append(keys, fmt.Sprintf(`"by": %q`, by))
		}
		if dir != "" {
			keys = append(keys, fmt.Sprintf(`"direction": %q`, dir))
		}
		if measure == "count" {
			limit := r.integer("limit", 0, 1_000_000)
			if minAmt != nil {
				keys = append(keys, fmt.Sprintf(`"currency": %q`, cur), fmt.Sprintf(`"at_least": %s`, lit(*minAmt)))
			}
			filter := ""
			if len(keys) > 0 {
				filter = ", {" + strings.Join(keys, ", ") + "}"
			}
			expr = fmt.Sprintf("count_over(%s%s) > %d", hoursWindow(hours), filter, limit)
		} else if measure == "sum" {
			limit := r.amount("limit", false)
			if minAmt != nil {
				keys = append(keys, fmt.Sprintf(`"at_least": %s`, lit(*minAmt)))
			}
			filter := ""
			if len(keys) > 0 {
				filter = ", {" + strings.Join(keys, ", ") + "}"
			}
			if limit != nil {
				expr = fmt.Sprintf("sum_over(%s, %q%s) > %s", hoursWindow(hours), cur, filter, lit(*limit))
			}
		}
	case KindStructuring:
		t, cur := r.amount("threshold", false), r.currency()
		margin := r.integer("margin_percent", 1, 50)
		hours := r.integer("window_hours", 1, maxHours)
		n := r.integer("min_count", 2, 1000)
		if t != nil && margin > 0 {
			lo := t.Mul(decimal.NewFromInt(int64(100 - margin))).Div(decimal.NewFromInt(100)).Round(4)
			expr = fmt.Sprintf(`amount_in(%q) >= %s && amount_in(%q) < %s && count_over(%s, {"currency": %q, "at_least": %s, "below": %s}) >= %d`,
				cur, lit(lo), cur, lit(*t), hoursWindow(hours), cur, lit(lo), lit(*t), n)
		}
	case KindRound:
		minAmt, cur, unit := r.amount("min_amount", false), r.currency(), r.amount("unit", false)
		if minAmt != nil && unit != nil {
			expr = fmt.Sprintf("amount_in(%q) >= %s && is_multiple_of(tx.amount, %s)", cur, lit(*minAmt), lit(*unit))
		}
	case KindInOut:
		hours := r.integer("window_hours", 1, maxHours)
		share := r.integer("share_percent", 1, 100)
		minAmt, cur := r.amount("min_amount", false), r.currency()
		if minAmt != nil {
			in := fmt.Sprintf(`sum_over(%s, %q, {"direction": "IN"})`, hoursWindow(hours), cur)
			ratio := decimal.NewFromInt(int64(share)).Div(decimal.NewFromInt(100))
			expr = fmt.Sprintf(`tx.direction == "OUT" && %s >= %s && amount_in(%q) >= %s * %s`, in, lit(*minAmt), cur, in, fmt.Sprintf("dec(%q)", ratio.String()))
		}
	case KindNewHighRisk:
		var codes []string
		for _, c := range strings.FieldsFunc(strings.ToUpper(r.str("countries")), func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
			if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
				fe.Add("form.countries", "%q is not an ISO 3166 alpha-2 code", c)
				continue
			}
			codes = append(codes, fmt.Sprintf("%q", c))
		}
		if len(codes) == 0 && !fe.Has("form.countries") {
			fe.Add("form.countries", "name at least one country")
		}
		expr = fmt.Sprintf("new_counterparty() && counterparty.country in [%s]", strings.Join(codes, ", "))
	case KindDormancy:
		days := r.integer("idle_days", 1, 3650)
		minAmt := r.amount("min_amount", true)
		expr = fmt.Sprintf("idle_days() >= %d", days)
		if minAmt != nil {
			expr += fmt.Sprintf(" && amount_in(%q) >= %s", r.currency(), lit(*minAmt))
		}
	case KindList:
		sanctions := r.choice("sanctions", "yes", "no")
		var parts []string
		if sanctions == "yes" {
			parts = append(parts, "sanctions_match()")
		}
		for _, l := range strings.Split(r.str("lists"), ",") {
			if l = strings.TrimSpace(l); l != "" {
				parts = append(parts, fmt.Sprintf("on_list(%q)", l))
			}
		}
		if len(parts) == 0 {
			fe.Add("form.lists", "choose sanctions lists, a custom list, or both")
		}
		expr = strings.Join(parts, " || ")
	default:
		fe.Add("form.kind", "unknown kind %q", f.Kind)
	}
	if err := fe.Err(); err != nil {
		return "", err
	}
	return expr, nil
}
