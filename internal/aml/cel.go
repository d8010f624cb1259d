package aml

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/parser"
)

// What a rule's condition can read. Each is documented for the editor's
// reference panel.

// Var is one variable of a condition.
type Var struct {
	Name string
	Type string
	Doc  string
}

// Vars are the variables a condition can read.
var Vars = []Var{
	{"tx.amount", "decimal", "the amount, in tx.currency"},
	{"tx.currency", "string", "ISO 4217 code, e.g. EUR"},
	{"tx.type", "string", "e.g. TRANSFER, CARD_PAYMENT, CASH_WITHDRAWAL"},
	{"tx.direction", "string", "IN or OUT"},
	{"tx.channel", "string", "e.g. MOBILE, WEB, BRANCH"},
	{"tx.time", "timestamp", "when the transaction happened"},
	{"tx.id", "string", "the caller's transactionId"},
	{"counterparty.name", "string", `"" when none was given`},
	{"counterparty.country", "string", "ISO 3166 alpha-2, or \"\""},
	{"counterparty.account", "string", "IBAN or account number, or \"\""},
	{"customer.id", "string", "the customer's id"},
	{"customer.risk_level", "string", "LOW, MEDIUM or HIGH"},
	{"customer.country", "string", "country of residence (nationality when unknown)"},
	{"customer.nationality", "string", "ISO 3166 alpha-2"},
	{"customer.status", "string", "ACTIVE, LOCKED, ..."},
	{"customer.transaction_monitoring", "string", "the categorisation's transactionMonitoring (REAL_TIME, BATCH_DAILY), \"\" when it sets none"},
}

// Func is one function a condition can call.
type Func struct {
	Signature string
	Doc       string
}

// Funcs are the functions a condition can call beyond CEL's own.
var Funcs = []Func{
	{`dec("9999.99") → decimal`, "an exact decimal constant; decimals compare with decimals and integers"},
	{`amount_in("EUR") → decimal`, "the amount converted to a currency with the tenant's rates"},
	{`count_over(duration("24h"), {filter}) → int`, "how many of the customer's transactions in the window match, this one included"},
	{`sum_over(duration("168h"), "EUR", {filter}) → decimal`, "their total in a currency, this one included"},
	{`idle_days() → int`, "whole days since the customer's previous transaction; -1 for a first one"},
	{`new_counterparty() → bool`, "the customer never dealt with this counterparty before"},
	{`on_list("name") → bool`, "the counterparty's name or account is on that custom list"},
	{`on_any_list() → bool`, "… on any of the tenant's custom lists"},
	{`sanctions_match() → bool`, "the counterparty matched a sanctions list (false when it could not be checked)"},
	{`sanctions_score() → double`, "the best sanctions score, 0 to 1"},
	{`is_multiple_of(tx.amount, 1000) → bool`, "a round amount"},
}

// FilterKeys are the keys of a count_over / sum_over filter.
var FilterKeys = []Var{
	{"by", "string", `"customer" (default), "counterparty" (every customer's transactions with this counterparty) or "country" (the customer's transactions with counterparties in this one's country)`},
	{"direction", "string", "IN or OUT"},
	{"type", "string or list", "transaction types"},
	{"channel", "string or list", "channels"},
	{"countries", "list", "counterparty countries"},
	{"currency", "string", "the currency of at_least and below (sum_over: its own by default)"},
	{"at_least", "int, decimal or string", "only transactions of at least this amount"},
	{"below", "int, decimal or string", "only transactions below this amount"},
}

// MaxWindow is the longest window an aggregate may look back: it bounds
// what one screening reads.
const MaxWindow = 90 * 24 * time.Hour

// ctxVar is the hidden variable through which the functions that need the
// screening's context (history, rates, lists) reach it: count_over(…) is
// rewritten to __ctx.count_over(…) when the condition is parsed.
const ctxVar = "__ctx"

var (
	contextCEL     = cel.OpaqueType("aml.context")
	contextRuntime = types.NewObjectType("aml.context")
)

// contextFuncs are rewritten to member calls on ctxVar.
var contextFuncs = []string{"amount_in", "count_over", "sum_over", "idle_days", "new_counterparty", "on_list",
	"on_any_list", "sanctions_match", "sanctions_score"}

func contextMacro(name string) cel.Macro {
	return cel.GlobalVarArgMacro(name, func(eh parser.ExprHelper, _ ast.Expr, args []ast.Expr) (ast.Expr, *common.Error) {
		return eh.NewMemberCall(name, eh.NewIdent(ctxVar), args...), nil
	})
}

// newEnv declares the variables, the decimal type and the functions. The
// functions' implementations live in eval.go.
func newEnv() (*cel.Env, error) {
	opts := []cel.EnvOption{cel.Variable(ctxVar, contextCEL)}
	for _, v := range Vars {
		t := cel.StringType
		switch v.Type {
		case "decimal":
			t = decimalCEL
		case "timestamp":
			t = cel.TimestampType
		}
		opts = append(opts, cel.Variable(v.Name, t))
	}
	var macros []cel.Macro
	for _, f := range contextFuncs {
		macros = append(macros, contextMacro(f))
	}
	opts = append(opts, cel.Macros(macros...))
	opts = append(opts, decimalDecls()...)
	opts = append(opts, contextDecls()...)
	return cel.NewEnv(opts...)
}

// Issue is one problem with a condition, at a position in it (1-based;
// zero when it concerns the whole condition).
type Issue struct {
	Line    int
	Column  int
	Message string
}

func (i Issue) String() string {
	if i.Line == 0 {
		return i.Message
	}
	return fmt.Sprintf("line %d, column %d: %s", i.Line, i.Column, i.Message)
}

// Issues is a condition's problems.
type Issues []Issue

func (is Issues) Error() string {
	var parts []string
	for _, i := range is {
		parts = append(parts, i.String())
	}
	return strings.Join(parts, "; ")
}

// aggregate is one count_over or sum_over call, as the analysis finds it.
type aggregate struct {
	window time.Duration
	by     string
}

// analysis is what a compiled condition needs at run time.
type analysis struct {
	// window is the longest window of the customer's own history the
	// condition reads; cpWindow, of a counterparty's (every customer's).
	window, cpWindow time.Duration
	// vars are the variables the condition reads, reported with its hits.
	vars []string
}

// Compiled is a condition ready to run.
type Compiled struct {
	prg cel.Program
	analysis
}

// costLimit refuses a condition that could run away (nested
// comprehensions over long literals).
const costLimit = 100_000

// maxStringSize bounds the strings a condition reads (names, accounts,
// codes), for the cost estimate.
const maxStringSize = 256

// costEstimator tells CEL's cost estimate what it cannot know: how long the
// variables' strings can be, and that the context functions are one step
// for the condition (their work is bounded by the window, in Go).
type costEstimator struct{}

func (costEstimator) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	if t := n.Type(); t != nil && t.TypeName() == decimalCEL.TypeName() {
		return &checker.SizeEstimate{Min: 1, Max: 1} // a number, compared in one step
	}
	if len(n.Path()) > 0 {
		return &checker.SizeEstimate{Min: 0, Max: maxStringSize}
	}
	return nil
}

func (costEstimator) EstimateCallCost(function, _ string, target *checker.AstNode, _ []checker.AstNode) *checker.CallEstimate {
	if target != nil && slices.Contains(contextFuncs, function) {
		return &checker.CallEstimate{CostEstimate: checker.CostEstimate{Min: 1, Max: 1}}
	}
	return nil
}

func costText(n uint64, err error) string {
	if err != nil || n == math.MaxUint64 {
		return "unbounded"
	}
	return strconv.FormatUint(n, 10)
}

// compile checks and plans a condition.
func compile(env *cel.Env, src string) (*Compiled, Issues) {
	if strings.TrimSpace(src) == "" {
		return nil, Issues{{Message: "write a condition, or build one with the form"}}
	}
	if len(src) > 8000 {
		return nil, Issues{{Message: "the condition is longer than 8,000 characters"}}
	}
	checked, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		var out Issues
		for _, e := range iss.Errors() {
			out = append(out, issueAt(e.Location, plainMessage(e.Message)))
		}
		return nil, out
	}
	if t := checked.OutputType(); !t.IsExactType(cel.BoolType) {
		return nil, Issues{{Line: 1, Column: 1, Message: fmt.Sprintf("the condition must be true or false, not %s", typeName(t))}}
	}
	a, out := analyse(checked.NativeRep())
	if len(out) > 0 {
		return nil, out
	}
	// The worst case is bounded when the rule is written, not tracked at
	// every evaluation: that costs a quarter of the evaluation time.
	est, err := env.EstimateCost(checked, costEstimator{})
	if err != nil || est.Max > costLimit {
		return nil, Issues{{Line: 1, Column: 1, Message: fmt.Sprintf("the condition could take too long to evaluate (worst case %s steps, at most %d): loop over fewer values", costText(est.Max, err), costLimit)}}
	}
	prg, err := env.Program(checked, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, Issues{{Message: err.Error()}}
	}
	return &Compiled{prg: prg, analysis: a}, nil
}

func typeName(t *cel.Type) string {
	if t == nil {
		return "unknown"
	}
	return t.String()
}

func issueAt(loc common.Location, msg string) Issue {
	if loc == nil || loc.Line() <= 0 {
		return Issue{Message: msg}
	}
	return Issue{Line: loc.Line(), Column: loc.Column() + 1, Message: msg}
}

// analyse walks a checked condition: the windows its aggregates need
// (which must be constants, so that one read serves every rule), the
// filters they use (checked key by key), and the variables it reads.
func analyse(a *ast.AST) (analysis, Issues) {
	var (
		out    analysis
		issues Issues
		info   = a.SourceInfo()
	)
	at := func(e ast.Expr, format string, args ...any) {
		issues = append(issues, issueAt(info.GetStartLocation(e.ID()), fmt.Sprintf(format, args...)))
	}
	for _, ref := range a.ReferenceMap() {
		if ref.Name != "" && ref.Name != ctxVar && ref.Value == nil && !slices.Contains(out.vars, ref.Name) {
			for _, v := range Vars {
				if v.Name == ref.Name {
					out.vars = append(out.vars, ref.Name)
				}
			}
		}
	}
	slices.Sort(out.vars)
	ast.PreOrderVisit(a.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() != ast.CallKind {
			return
		}
		call := e.AsCall()
		fn := call.FunctionName()
		if !call.IsMemberFunction() || call.Target().Kind() != ast.IdentKind || call.Target().AsIdent() != ctxVar {
			return
		}
		args := call.Args()
		switch fn {
		case "count_over", "sum_over":
			if len(args) == 0 {
				return // the checker has said so
			}
			w, ok := literalDuration(args[0])
			switch {
			case !ok:
				at(args[0], `the window must be written as a constant, e.g. duration("24h")`)
				return
			case w <= 0:
				at(args[0], "the window must be longer than zero")
				return
			case w > MaxWindow:
				at(args[0], "the window may be at most %d days", int(MaxWindow.Hours()/24))
				return
			}
			agg := aggregate{window: w, by: "customer"}
			filter := len(args) - 1
			if fn == "sum_over" {
				filter = 2
				if len(args) > 1 {
					if s, ok := literalString(args[1]); ok && !validCurrency(s) {
						at(args[1], "%q is not an ISO 4217 currency code", s)
					}
				}
			}
			if filter >= 1 && filter < len(args) {
				checkFilter(args[filter], &agg, at)
			}
			if agg.by == "counterparty" {
				out.cpWindow = max(out.cpWindow, w)
			} else {
				out.window = max(out.window, w)
			}
		case "amount_in":
			if len(args) == 1 {
				if s, ok := literalString(args[0]); ok && !validCurrency(s) {
					at(args[0], "%q is not an ISO 4217 currency code", s)
				}
			}
		}
	}))
	return out, issues
}

func literalString(e ast.Expr) (string, bool) {
	if e.Kind() != ast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

// literalDuration reads duration("…") with a constant string ("24h",
// "90m"; CEL's durations know no days: a week is "168h").
func literalDuration(e ast.Expr) (time.Duration, bool) {
	if e.Kind() != ast.CallKind {
		return 0, false
	}
	c := e.AsCall()
	if c.FunctionName() != "duration" || c.IsMemberFunction() || len(c.Args()) != 1 {
		return 0, false
	}
	s, ok := literalString(c.Args()[0])
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, false
	}
	return d, true
}

// checkFilter validates a filter map literal key by key.
func checkFilter(e ast.Expr, agg *aggregate, at func(ast.Expr, string, ...any)) {
	if e.Kind() != ast.MapKind {
		at(e, `the filter must be written out as a map, e.g. {"direction": "OUT"}`)
		return
	}
	for _, ent := range e.AsMap().Entries() {
		me := ent.AsMapEntry()
		key, ok := literalString(me.Key())
		if !ok {
			at(me.Key(), "filter keys are constant strings")
			continue
		}
		v := me.Value()
		switch key {
		case "by":
			s, ok := literalString(v)
			if !ok || (s != "customer" && s != "counterparty" && s != "country") {
				at(v, `"by" is "customer", "counterparty" or "country"`)
				continue
			}
			agg.by = s
		case "direction":
			if s, ok := literalString(v); ok && s != "IN" && s != "OUT" {
				at(v, `"direction" is "IN" or "OUT"`)
			}
		case "currency":
			if s, ok := literalString(v); ok && !validCurrency(s) {
				at(v, "%q is not an ISO 4217 currency code", s)
			}
		case "type", "channel", "countries", "at_least", "below":
		default:
			var names []string
			for _, k := range FilterKeys {
				names = append(names, k.Name)
			}
			at(me.Key(), "unknown filter key %q; use %s", key, strings.Join(names, ", "))
		}
	}
}
