package aml

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/interpreter"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Transaction is the transaction being screened.
type Transaction struct {
	ID           string
	Type         string
	Direction    string
	Channel      string
	Currency     string
	Amount       decimal.Decimal
	At           time.Time
	Counterparty Counterparty
}

// Past is an earlier transaction as aggregates see it. Amounts are
// integers of 1/10,000: Units in the transaction's currency, RefUnits in
// euros (when HasRef).
type Past struct {
	At        time.Time
	Direction string
	Type      string
	Channel   string
	Currency  string
	Units     int64
	RefUnits  int64
	HasRef    bool
	CPKey     string
	CPCountry string
}

// Limits are a customer's limits from activation; nil when not set.
type Limits struct {
	Daily         *decimal.Decimal
	ApprovalAbove *decimal.Decimal
	// Currency is the wallet's; limits of a wallet without one are in euros.
	Currency string
}

// Customer is the customer as rules see them.
type Customer struct {
	ID          uuid.UUID
	RiskLevel   string
	Country     string
	Nationality string
	Status      string
	// TransactionMonitoring is the categorisation's transactionMonitoring
	// (REAL_TIME, BATCH_DAILY); "" when it sets none.
	TransactionMonitoring string
	Limits                Limits
	// Location is the tenant's time zone: a daily limit is per local day.
	Location *time.Location
}

// scopeCountry is the country a rule's scope matches.
func (c Customer) scopeCountry() string {
	if c.Country != "" {
		return c.Country
	}
	return c.Nationality
}

// Input is one screening's facts: the transaction, the customer, and the
// customer's earlier transactions inside the longest window the rules
// need, oldest first.
type Input struct {
	Tx       Transaction
	Customer Customer
	Window   []Past
}

// Source answers what a screening needs beyond its window, each question
// bounded by an index: only rules that ask cause a read.
type Source interface {
	// CounterpartyWindow is every customer's transactions with the
	// counterparty key in [since, until), oldest first.
	CounterpartyWindow(ctx context.Context, key string, since, until time.Time) ([]Past, error)
	// LastBefore is when the customer's latest transaction before t
	// happened; false when there was none.
	LastBefore(ctx context.Context, customer uuid.UUID, t time.Time) (time.Time, bool, error)
	// CounterpartySeen reports whether the customer had a transaction with
	// the counterparty key before t.
	CounterpartySeen(ctx context.Context, customer uuid.UUID, key string, t time.Time) (bool, error)
}

// SanctionsResult is what screening a counterparty found.
type SanctionsResult struct {
	// Checked is false when the name could not be screened; Reason says
	// why. An unchecked counterparty never counts as a match.
	Checked bool
	Reason  string
	// Matched is a match; Possible a possible match (at or above the
	// tenant's possible-match threshold).
	Matched  bool
	Possible bool
	Score    float64
	Evidence any
}

// CounterpartyScreener screens a counterparty against sanctions lists.
type CounterpartyScreener interface {
	// The counterparty's account, when an IBAN, a BIC or a wallet address,
	// is screened as an identifier along with its name.
	ScreenCounterparty(ctx context.Context, tenant uuid.UUID, cp Counterparty) (SanctionsResult, error)
}

// Hit is a rule that triggered, with the values that made it.
type Hit struct {
	// RuleKey is the rule's id, or limit:daily / limit:approval for the
	// customer's own limits.
	RuleKey string
	RuleID  uuid.UUID
	Name    string
	Version int
	Outcome Outcome
	Score   int
	Values  map[string]any
}

// Failure is a rule that could not be evaluated.
type Failure struct {
	RuleID  uuid.UUID
	Name    string
	Version int
	Err     string
}

// Result is a screening's outcome.
type Result struct {
	Decision Outcome
	// Score is the triggered rules' scores added up, at most 100.
	Score     int
	Hits      []Hit
	Failures  []Failure
	Evaluated int
	// Notes say what could not be checked (no counterparty to screen, no
	// screening service, no exchange rate for a limit, ...).
	Notes []string
}

// Built-in rules: the customer's limits from activation, and the
// screening of a named counterparty against sanctions lists.
const (
	LimitDailyKey    = "limit:daily"
	LimitApprovalKey = "limit:approval"
	SanctionsKey     = "sanctions:counterparty"
	limitDailyScore  = 80
	limitReviewScore = 50
	sanctionsScore   = 100
	possibleScore    = 60
)

// evaluation is one screening in progress; it is the value of the hidden
// __ctx variable, so that the context functions reach it.
type evaluation struct {
	ctx      context.Context
	tenant   uuid.UUID
	rs       *RuleSet
	in       *Input
	src      Source
	screener CounterpartyScreener

	cpKey string
	vars  map[string]ref.Val

	memo      map[memoKey]ref.Val
	cpWindow  []Past
	cpLoaded  bool
	sanctions *SanctionsResult
	notes     []string

	// rec collects the values the rule being evaluated computed; they
	// are written out only for the rules that trigger.
	rec *[]recorded
}

// memoKey names one computation of a screening: a function and its
// arguments. Filters are interned, so their pointers compare.
type memoKey struct {
	fn  string
	w   time.Duration
	cur string
	f   *filter
}

func (k memoKey) String() string {
	switch k.fn {
	case "amount_in":
		return fmt.Sprintf("amount_in(%q)", k.cur)
	case "count_over":
		return fmt.Sprintf("count_over(%s, %s)", k.w, k.f.key())
	case "sum_over":
		return fmt.Sprintf("sum_over(%s, %s, %s)", k.w, k.cur, k.f.key())
	}
	return k.fn + "()"
}

// recorded is one value a rule computed, named by its memoKey or, for
// lookups that are not memoised, by text.
type recorded struct {
	key  memoKey
	text string
	val  any
}

func (e *evaluation) ConvertToNative(reflect.Type) (any, error) {
	return nil, fmt.Errorf("the screening context has no native form")
}
func (e *evaluation) ConvertToType(ref.Type) ref.Val { return types.NewErr("no conversion") }
func (e *evaluation) Equal(ref.Val) ref.Val          { return types.False }
func (e *evaluation) Type() ref.Type                 { return contextRuntime }
func (e *evaluation) Value() any                     { return e }

// ResolveName implements interpreter.Activation.
func (e *evaluation) ResolveName(name string) (any, bool) {
	if name == ctxVar {
		return e, true
	}
	v, ok := e.vars[name]
	return v, ok
}

// Parent implements interpreter.Activation.
func (e *evaluation) Parent() interpreter.Activation { return nil }

func (e *evaluation) note(s string) {
	if !slices.Contains(e.notes, s) {
		e.notes = append(e.notes, s)
	}
}

func (e *evaluation) record(key memoKey, v any) {
	if e.rec != nil {
		*e.rec = append(*e.rec, recorded{key: key, val: v})
	}
}

func (e *evaluation) recordText(key string, v any) {
	if e.rec != nil {
		*e.rec = append(*e.rec, recorded{text: key, val: v})
	}
}

// values writes out what the rule just evaluated computed and read.
func (e *evaluation) values(rec []recorded, vars []string) map[string]any {
	out := make(map[string]any, len(rec)+len(vars))
	for _, r := range rec {
		k := r.text
		if k == "" {
			k = r.key.String()
		}
		if v, ok := r.val.(ref.Val); ok {
			out[k] = plain(v)
		} else {
			out[k] = r.val
		}
	}
	for _, name := range vars {
		out[name] = plain(e.vars[name])
	}
	return out
}

// Evaluate runs every rule of rs and the customer's limits on in. A rule
// that fails is reported in the result and never stops the others.
func Evaluate(ctx context.Context, tenant uuid.UUID, rs *RuleSet, in *Input, src Source, screener CounterpartyScreener) Result {
	tx := in.Tx
	e := &evaluation{ctx: ctx, tenant: tenant, rs: rs, in: in, src: src, screener: screener,
		cpKey: tx.Counterparty.Key(), memo: map[memoKey]ref.Val{}}
	e.vars = map[string]ref.Val{
		"tx.amount": newDec(tx.Amount), "tx.currency": types.String(tx.Currency), "tx.type": types.String(tx.Type),
		"tx.direction": types.String(tx.Direction), "tx.channel": types.String(tx.Channel),
		"tx.time": types.Timestamp{Time: tx.At}, "tx.id": types.String(tx.ID),
		"counterparty.name": types.String(tx.Counterparty.Name), "counterparty.country": types.String(tx.Counterparty.Country),
		"counterparty.account": types.String(tx.Counterparty.Account),
		"customer.id":          types.String(in.Customer.ID.String()), "customer.risk_level": types.String(in.Customer.RiskLevel),
		"customer.country": types.String(in.Customer.scopeCountry()), "customer.nationality": types.String(in.Customer.Nationality),
		"customer.status": types.String(in.Customer.Status), "customer.transaction_monitoring": types.String(in.Customer.TransactionMonitoring),
	}
	var res Result
	country := in.Customer.scopeCountry()
	// Values are collected in one scratch list, written out for the rules
	// that trigger.
	scratch := make([]recorded, 0, 16)
	for _, r := range rs.Rules {
		if !r.Def.Scope.Matches(country, tx.Type, in.Customer.RiskLevel, tx.Channel) {
			continue
		}
		res.Evaluated++
		if r.compileErr != "" {
			res.Failures = append(res.Failures, Failure{RuleID: r.ID, Name: r.Def.Name, Version: r.Version, Err: r.compileErr})
			continue
		}
		scratch = scratch[:0]
		e.rec = &scratch
		out, _, err := r.prog.prg.Eval(e)
		if err == nil {
			if b, ok := out.(types.Bool); ok {
				if b {
					res.Hits = append(res.Hits, Hit{RuleKey: r.ID.String(), RuleID: r.ID, Name: r.Def.Name, Version: r.Version,
						Outcome: r.Def.Outcome, Score: r.Def.Score, Values: e.values(scratch, r.prog.vars)})
				}
				continue
			}
			err = fmt.Errorf("the condition gave %v, not true or false", out)
		}
		res.Failures = append(res.Failures, Failure{RuleID: r.ID, Name: r.Def.Name, Version: r.Version, Err: err.Error()})
	}
	e.rec = nil
	if rs.withLimits {
		res.Hits = append(res.Hits, e.limits()...)
		if h := e.sanctionsCheck(); h != nil {
			res.Hits = append(res.Hits, *h)
		}
	}
	res.Decision = Allow
	for _, h := range res.Hits {
		if h.Outcome.Rank() > res.Decision.Rank() {
			res.Decision = h.Outcome
		}
		res.Score += h.Score
	}
	res.Score = min(res.Score, 100)
	res.Notes = e.notes
	return res
}

// plain is a CEL value as JSON shows it: decimals as exact strings.
func plain(v ref.Val) any {
	switch x := v.(type) {
	case celDecimal:
		return x.d.String()
	case types.Timestamp:
		return x.Time.UTC().Format(time.RFC3339)
	case types.Duration:
		return x.Duration.String()
	case nil:
		return nil
	}
	return v.Value()
}

// limits are the customer's limits from activation, as rules. They apply
// to money going out.
func (e *evaluation) limits() []Hit {
	tx, lim := e.in.Tx, e.in.Customer.Limits
	if tx.Direction != "OUT" || (lim.Daily == nil && lim.ApprovalAbove == nil) {
		return nil
	}
	cur := lim.Currency
	if cur == "" {
		cur = ReferenceCurrency
	}
	amount, ok := e.rs.Rates.Convert(tx.Amount, tx.Currency, cur)
	if !ok {
		e.note(fmt.Sprintf("limits not checked: no exchange rate from %s to %s", tx.Currency, cur))
		return nil
	}
	var hits []Hit
	if lim.ApprovalAbove != nil && amount.GreaterThan(*lim.ApprovalAbove) {
		hits = append(hits, Hit{RuleKey: LimitApprovalKey, Name: "Requires approval above", Version: 1, Outcome: Review,
			Score: limitReviewScore, Values: map[string]any{"amount": amount.String(), "currency": cur,
				"requiresApprovalAbove": lim.ApprovalAbove.String()}})
	}
	if lim.Daily != nil {
		loc := e.in.Customer.Location
		if loc == nil {
			loc = time.UTC
		}
		local := tx.At.In(loc)
		dayStart := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
		dayEnd := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, loc)
		spent, skipped, ok := e.sumUnits(e.in.Window, dayStart, dayEnd, cur, func(p *Past) bool { return p.Direction == "OUT" })
		if !ok {
			e.note(fmt.Sprintf("daily limit not checked: no exchange rate for %s", cur))
			return hits
		}
		if skipped > 0 {
			e.note(fmt.Sprintf("daily limit: %d earlier transaction(s) without an exchange rate left out", skipped))
		}
		total := spent.Add(amount)
		if total.GreaterThan(*lim.Daily) {
			hits = append(hits, Hit{RuleKey: LimitDailyKey, Name: "Daily limit", Version: 1, Outcome: Block, Score: limitDailyScore,
				Values: map[string]any{"amount": amount.String(), "currency": cur, "spentToday": total.String(), "dailyLimit": lim.Daily.String()}})
		}
	}
	return hits
}

// sanctionsCheck screens a named counterparty: a match blocks, a possible
// match is reviewed. A counterparty that could not be screened is said so
// in the notes, never taken for a match.
func (e *evaluation) sanctionsCheck() *Hit {
	cp := e.in.Tx.Counterparty
	if strings.TrimSpace(cp.Name) == "" {
		return nil
	}
	r, err := e.screen()
	if err != nil {
		e.note("sanctions not checked: " + err.Error())
		return nil
	}
	if !r.Checked || (!r.Matched && !r.Possible) {
		return nil
	}
	h := &Hit{RuleKey: SanctionsKey, Name: "Counterparty on a sanctions list", Version: 1, Outcome: Block, Score: sanctionsScore,
		Values: map[string]any{"counterparty": cp.Name, "status": "MATCH", "score": r.Score, "evidence": r.Evidence}}
	if !r.Matched {
		h.Name, h.Outcome, h.Score = "Counterparty possibly on a sanctions list", Review, possibleScore
		h.Values["status"] = "POSSIBLE_MATCH"
	}
	return h
}

// sumUnits adds up the rows of win in [since, until) that keep passes, in
// cur: rows in cur exactly, others through their euro amount. skipped
// counts rows that could not be converted; ok is false when cur itself
// has no rate and some row needed one.
func (e *evaluation) sumUnits(win []Past, since, until time.Time, cur string, keep func(*Past) bool) (sum decimal.Decimal, skipped int, ok bool) {
	var same, ref int64
	i := sort.Search(len(win), func(i int) bool { return !win[i].At.Before(since) })
	for ; i < len(win) && win[i].At.Before(until); i++ {
		p := &win[i]
		if !keep(p) {
			continue
		}
		switch {
		case p.Currency == cur:
			same += p.Units
		case p.HasRef:
			ref += p.RefUnits
		default:
			skipped++
		}
	}
	sum = fromUnits(same)
	if ref != 0 {
		rate, has := e.rs.Rates.EUR(cur)
		if !has {
			return decimal.Decimal{}, skipped, false
		}
		sum = sum.Add(fromUnits(ref).DivRound(rate, 4))
	}
	return sum, skipped, true
}

// --------------------------------------------------------- context functions

func contextDecls() []cel.EnvOption {
	c, d, s, i, b := contextCEL, decimalCEL, cel.StringType, cel.IntType, cel.BoolType
	dur := cel.DurationType
	m := cel.MapType(cel.StringType, cel.DynType)
	call := func(f func(e *evaluation, args []ref.Val) ref.Val) cel.OverloadOpt {
		return cel.FunctionBinding(func(args ...ref.Val) ref.Val {
			e, ok := args[0].(*evaluation)
			if !ok {
				return types.NewErr("no screening context")
			}
			return f(e, args[1:])
		})
	}
	return []cel.EnvOption{
		cel.Function("amount_in", cel.MemberOverload("ctx_amount_in", []*cel.Type{c, s}, d, call((*evaluation).amountIn))),
		cel.Function("count_over",
			cel.MemberOverload("ctx_count_over", []*cel.Type{c, dur}, i, call((*evaluation).countOver)),
			cel.MemberOverload("ctx_count_over_filter", []*cel.Type{c, dur, m}, i, call((*evaluation).countOver))),
		cel.Function("sum_over",
			cel.MemberOverload("ctx_sum_over", []*cel.Type{c, dur, s}, d, call((*evaluation).sumOver)),
			cel.MemberOverload("ctx_sum_over_filter", []*cel.Type{c, dur, s, m}, d, call((*evaluation).sumOver))),
		cel.Function("idle_days", cel.MemberOverload("ctx_idle_days", []*cel.Type{c}, i, call((*evaluation).idleDays))),
		cel.Function("new_counterparty", cel.MemberOverload("ctx_new_counterparty", []*cel.Type{c}, b, call((*evaluation).newCounterparty))),
		cel.Function("on_list", cel.MemberOverload("ctx_on_list", []*cel.Type{c, s}, b, call((*evaluation).onList))),
		cel.Function("on_any_list", cel.MemberOverload("ctx_on_any_list", []*cel.Type{c}, b, call((*evaluation).onAnyList))),
		cel.Function("sanctions_match", cel.MemberOverload("ctx_sanctions_match", []*cel.Type{c}, b, call((*evaluation).sanctionsMatch))),
		cel.Function("sanctions_score", cel.MemberOverload("ctx_sanctions_score", []*cel.Type{c}, cel.DoubleType, call((*evaluation).sanctionsScore))),
	}
}

func (e *evaluation) amountIn(args []ref.Val) ref.Val {
	cur := string(args[0].(types.String))
	key := memoKey{fn: "amount_in", cur: cur}
	if v, ok := e.memo[key]; ok {
		e.record(key, v)
		return v
	}
	v, ok := e.rs.Rates.Convert(e.in.Tx.Amount, e.in.Tx.Currency, strings.ToUpper(cur))
	if !ok {
		return types.NewErr("no exchange rate between %s and %s: set one on the AML rules page", e.in.Tx.Currency, cur)
	}
	out := newDec(v)
	e.memo[key] = out
	e.record(key, out)
	return out
}

// filter is a count_over / sum_over filter, read from its map.
type filter struct {
	by        string
	direction string
	types     []string
	channels  []string
	countries []string
	currency  string
	atLeast   *decimal.Decimal
	below     *decimal.Decimal
}

func (f filter) key() string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+": "+v)
		}
	}
	if f.by != "customer" {
		add("by", f.by)
	}
	add("direction", f.direction)
	add("type", strings.Join(f.types, "|"))
	add("channel", strings.Join(f.channels, "|"))
	add("countries", strings.Join(f.countries, "|"))
	if f.atLeast != nil {
		add("at_least", f.atLeast.String()+" "+f.currency)
	}
	if f.below != nil {
		add("below", f.below.String()+" "+f.currency)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// filters interns parsed filters: by the filter's CEL value when it is a
// constant of a compiled rule (the same pointer at every evaluation), and
// by what it says, so that equal filters share one pointer. A filter built
// from values of the transaction is new at every evaluation: past a bound
// nothing more is interned, which only costs memoisation.
var (
	filters      sync.Map
	filtersCount atomic.Int64
)

const maxInterned = 10_000

type filterValue struct {
	v   ref.Val
	cur string
}

// filterOf is the filter of v, with defaultCurrency for sums.
func filterOf(v ref.Val, defaultCurrency string) (*filter, error) {
	byValue := v != nil && reflect.ValueOf(v).Kind() == reflect.Pointer
	if byValue {
		if f, ok := filters.Load(filterValue{v, defaultCurrency}); ok {
			return f.(*filter), nil
		}
	}
	f, err := readFilter(v, defaultCurrency)
	if err != nil {
		return nil, err
	}
	if filtersCount.Load() >= maxInterned {
		return &f, nil
	}
	got, loaded := filters.LoadOrStore(f.key()+"|"+f.currency, &f)
	if !loaded {
		filtersCount.Add(1)
	}
	if byValue {
		filters.Store(filterValue{v, defaultCurrency}, got)
		filtersCount.Add(1)
	}
	return got.(*filter), nil
}

func readFilter(v ref.Val, defaultCurrency string) (filter, error) {
	f := filter{by: "customer", currency: defaultCurrency}
	if v == nil {
		return f, nil
	}
	mp, ok := v.(traits.Mapper)
	if !ok {
		return f, fmt.Errorf("the filter is not a map")
	}
	it := mp.Iterator()
	for it.HasNext() == types.True {
		k := it.Next()
		key, ok := k.(types.String)
		if !ok {
			return f, fmt.Errorf("filter keys are strings")
		}
		val := mp.Get(k)
		var err error
		switch string(key) {
		case "by":
			f.by, err = filterString(val)
		case "direction":
			f.direction, err = filterString(val)
		case "currency":
			f.currency, err = filterString(val)
		case "type":
			f.types, err = filterStrings(val)
		case "channel":
			f.channels, err = filterStrings(val)
		case "countries":
			f.countries, err = filterStrings(val)
		case "at_least":
			f.atLeast, err = filterAmount(val)
		case "below":
			f.below, err = filterAmount(val)
		default:
			err = fmt.Errorf("unknown filter key %q", string(key))
		}
		if err != nil {
			return f, fmt.Errorf("filter %q: %w", string(key), err)
		}
	}
	if f.by != "customer" && f.by != "counterparty" && f.by != "country" {
		return f, fmt.Errorf(`filter "by" is "customer", "counterparty" or "country", not %q`, f.by)
	}
	if (f.atLeast != nil || f.below != nil) && f.currency == "" {
		return f, fmt.Errorf(`filter: say the "currency" of at_least and below`)
	}
	return f, nil
}

func filterString(v ref.Val) (string, error) {
	s, ok := v.(types.String)
	if !ok {
		return "", fmt.Errorf("must be a string")
	}
	return string(s), nil
}

func filterStrings(v ref.Val) ([]string, error) {
	if s, ok := v.(types.String); ok {
		return []string{string(s)}, nil
	}
	l, ok := v.(traits.Lister)
	if !ok {
		return nil, fmt.Errorf("must be a string or a list of strings")
	}
	var out []string
	it := l.Iterator()
	for it.HasNext() == types.True {
		s, ok := it.Next().(types.String)
		if !ok {
			return nil, fmt.Errorf("must be a list of strings")
		}
		out = append(out, string(s))
	}
	return out, nil
}

func filterAmount(v ref.Val) (*decimal.Decimal, error) {
	switch x := v.(type) {
	case celDecimal:
		return &x.d, nil
	case types.Int:
		d := decimal.NewFromInt(int64(x))
		return &d, nil
	case types.String:
		d, err := decimal.NewFromString(string(x))
		if err != nil {
			return nil, fmt.Errorf("%q is not a decimal number", string(x))
		}
		return &d, nil
	}
	return nil, fmt.Errorf("must be an integer, a decimal or a decimal string")
}

// matcher decides which transactions an aggregate counts.
type matcher struct {
	f       filter
	country string
	// thresholds in the filter's currency (same) and in euros (ref); a
	// threshold whose currency has no rate leaves rows in other currencies
	// out, counted in skipped.
	minSame, belowSame int64
	minRef, belowRef   int64
	refOK              bool
}

func (e *evaluation) newMatcher(f filter) matcher {
	m := matcher{f: f, country: e.in.Tx.Counterparty.Country}
	if f.atLeast == nil && f.below == nil {
		return m
	}
	rate, ok := e.rs.Rates.EUR(f.currency)
	m.refOK = ok
	if f.atLeast != nil {
		m.minSame = unitsCeil(*f.atLeast)
		if ok {
			m.minRef = unitsCeil(f.atLeast.Mul(rate))
		}
	}
	if f.below != nil {
		m.belowSame = unitsCeil(*f.below)
		if ok {
			m.belowRef = unitsCeil(f.below.Mul(rate))
		}
	}
	return m
}

// attrs reports whether p passes the filter's non-amount conditions.
func (m *matcher) attrs(p *Past) bool {
	f := &m.f
	if f.direction != "" && p.Direction != f.direction {
		return false
	}
	if len(f.types) > 0 && !slices.Contains(f.types, p.Type) {
		return false
	}
	if len(f.channels) > 0 && !slices.Contains(f.channels, p.Channel) {
		return false
	}
	if len(f.countries) > 0 && !slices.Contains(f.countries, p.CPCountry) {
		return false
	}
	if f.by == "country" && p.CPCountry != m.country {
		return false
	}
	return true
}

// amount reports whether p passes the filter's amount bounds; convertible
// is false when that could not be judged.
func (m *matcher) amount(p *Past) (pass, convertible bool) {
	if m.f.atLeast == nil && m.f.below == nil {
		return true, true
	}
	var v, lo, hi int64
	switch {
	case p.Currency == m.f.currency:
		v, lo, hi = p.Units, m.minSame, m.belowSame
	case p.HasRef && m.refOK:
		v, lo, hi = p.RefUnits, m.minRef, m.belowRef
	default:
		return false, false
	}
	if m.f.atLeast != nil && v < lo {
		return false, true
	}
	if m.f.below != nil && v >= hi {
		return false, true
	}
	return true, true
}

// current is the transaction being screened as a Past.
func (e *evaluation) current() Past {
	tx := e.in.Tx
	p := Past{At: tx.At, Direction: tx.Direction, Type: tx.Type, Channel: tx.Channel, Currency: tx.Currency,
		Units: unitsOf(tx.Amount), CPKey: e.cpKey, CPCountry: tx.Counterparty.Country}
	if ref, ok := e.rs.Rates.Convert(tx.Amount, tx.Currency, ReferenceCurrency); ok {
		p.RefUnits, p.HasRef = unitsOf(ref), true
	}
	return p
}

// rows is the history an aggregate reads, and whether it applies at all.
func (e *evaluation) rows(f filter, since time.Time) ([]Past, bool, error) {
	switch f.by {
	case "counterparty":
		if e.cpKey == "" {
			return nil, false, nil
		}
		if !e.cpLoaded {
			w := e.rs.cpWindow
			if w <= 0 {
				w = MaxWindow
			}
			rows, err := e.src.CounterpartyWindow(e.ctx, e.cpKey, e.in.Tx.At.Add(-w), e.in.Tx.At.Add(w+time.Microsecond))
			if err != nil {
				return nil, false, err
			}
			e.cpWindow, e.cpLoaded = rows, true
		}
		return e.cpWindow, true, nil
	case "country":
		if e.in.Tx.Counterparty.Country == "" {
			return nil, false, nil
		}
	}
	return e.in.Window, true, nil
}

// aggregate counts and sums (in cur) the transactions of the window that
// pass f, the current one included. The window is every transaction
// screened before this one and stamped within window of it, on either
// side: one stamped the same instant counts (a burst is what a
// structuring script sends), and so does one stamped later that arrived
// first (a script sending its stamps backwards would otherwise never be
// counted).
func (e *evaluation) aggregate(window time.Duration, f filter, cur string) (count int64, sum decimal.Decimal, err error) {
	since, until := e.in.Tx.At.Add(-window), e.in.Tx.At.Add(window)
	rows, applies, err := e.rows(f, since)
	if err != nil || !applies {
		return 0, decimal.Zero, err
	}
	m := e.newMatcher(f)
	var same, ref int64
	skipped := 0
	add := func(p *Past) {
		if !m.attrs(p) {
			return
		}
		pass, convertible := m.amount(p)
		if !convertible {
			skipped++
			return
		}
		if !pass {
			return
		}
		count++
		switch {
		case cur == "":
		case p.Currency == cur:
			same += p.Units
		case p.HasRef:
			ref += p.RefUnits
		default:
			skipped++
		}
	}
	i := sort.Search(len(rows), func(i int) bool { return !rows[i].At.Before(since) })
	for ; i < len(rows) && !rows[i].At.After(until); i++ {
		add(&rows[i])
	}
	cp := e.current()
	add(&cp)
	if skipped > 0 {
		e.note(fmt.Sprintf("%d transaction(s) in another currency without an exchange rate were left out of an aggregate", skipped))
	}
	if cur == "" {
		return count, decimal.Zero, nil
	}
	sum = fromUnits(same)
	if ref != 0 {
		rate, ok := e.rs.Rates.EUR(cur)
		if !ok {
			return 0, decimal.Zero, fmt.Errorf("no exchange rate for %s: set one on the AML rules page", cur)
		}
		sum = sum.Add(fromUnits(ref).DivRound(rate, 4))
	}
	return count, sum, nil
}

func windowOf(v ref.Val) time.Duration {
	if d, ok := v.(types.Duration); ok {
		return d.Duration
	}
	return 0
}

func (e *evaluation) countOver(args []ref.Val) ref.Val {
	w := windowOf(args[0])
	var fv ref.Val
	if len(args) > 1 {
		fv = args[1]
	}
	f, err := filterOf(fv, "")
	if err != nil {
		return types.NewErr("count_over: %v", err)
	}
	key := memoKey{fn: "count_over", w: w, f: f}
	if v, ok := e.memo[key]; ok {
		e.record(key, v)
		return v
	}
	if w <= 0 || w > MaxWindow {
		return types.NewErr("count_over: the window must be between 0 and %d days", int(MaxWindow.Hours()/24))
	}
	n, _, err := e.aggregate(w, *f, "")
	if err != nil {
		return types.NewErr("count_over: %v", err)
	}
	e.memo[key] = types.Int(n)
	e.record(key, types.Int(n))
	return types.Int(n)
}

func (e *evaluation) sumOver(args []ref.Val) ref.Val {
	w := windowOf(args[0])
	cur := strings.ToUpper(string(args[1].(types.String)))
	var fv ref.Val
	if len(args) > 2 {
		fv = args[2]
	}
	f, err := filterOf(fv, cur)
	if err != nil {
		return types.NewErr("sum_over: %v", err)
	}
	key := memoKey{fn: "sum_over", w: w, cur: cur, f: f}
	if v, ok := e.memo[key]; ok {
		e.record(key, v)
		return v
	}
	if w <= 0 || w > MaxWindow {
		return types.NewErr("sum_over: the window must be between 0 and %d days", int(MaxWindow.Hours()/24))
	}
	_, sum, err := e.aggregate(w, *f, cur)
	if err != nil {
		return types.NewErr("sum_over: %v", err)
	}
	out := newDec(sum)
	e.memo[key] = out
	e.record(key, out)
	return out
}

func (e *evaluation) idleDays([]ref.Val) ref.Val {
	key := memoKey{fn: "idle_days"}
	if v, ok := e.memo[key]; ok {
		e.record(key, v)
		return v
	}
	var (
		last  time.Time
		found bool
	)
	if n := len(e.in.Window); n > 0 {
		// Rows stamped after this one arrived before it: the customer
		// was not idle.
		last, found = e.in.Window[n-1].At, true
		if last.After(e.in.Tx.At) {
			last = e.in.Tx.At
		}
	} else {
		var err error
		last, found, err = e.src.LastBefore(e.ctx, e.in.Customer.ID, e.in.Tx.At)
		if err != nil {
			return types.NewErr("idle_days: %v", err)
		}
	}
	days := int64(-1)
	if found {
		days = int64(e.in.Tx.At.Sub(last) / (24 * time.Hour))
	}
	e.memo[key] = types.Int(days)
	e.record(key, types.Int(days))
	return types.Int(days)
}

func (e *evaluation) newCounterparty([]ref.Val) ref.Val {
	key := memoKey{fn: "new_counterparty"}
	if v, ok := e.memo[key]; ok {
		e.record(key, v)
		return v
	}
	var isNew bool
	if e.cpKey != "" {
		// A shadow run's window knows its counterparties; live screening
		// reads fewer columns and asks the index.
		seen := slices.ContainsFunc(e.in.Window, func(p Past) bool { return p.CPKey == e.cpKey })
		if !seen {
			var err error
			seen, err = e.src.CounterpartySeen(e.ctx, e.in.Customer.ID, e.cpKey, e.in.Tx.At)
			if err != nil {
				return types.NewErr("new_counterparty: %v", err)
			}
		}
		isNew = !seen
	}
	e.memo[key] = types.Bool(isNew)
	e.record(key, types.Bool(isNew))
	return types.Bool(isNew)
}

func (e *evaluation) onList(args []ref.Val) ref.Val {
	name := string(args[0].(types.String))
	l, ok := e.rs.Lists.get(name)
	if !ok {
		return types.NewErr("there is no custom list named %q", name)
	}
	entry, hit := l.match(e.in.Tx.Counterparty)
	key := fmt.Sprintf("on_list(%q)", l.Name)
	if hit {
		e.recordText(key, entry)
	} else {
		e.recordText(key, false)
	}
	return types.Bool(hit)
}

func (e *evaluation) onAnyList([]ref.Val) ref.Val {
	for _, l := range e.rs.Lists.all() {
		if entry, hit := l.match(e.in.Tx.Counterparty); hit {
			e.recordText("on_any_list()", l.Name+": "+entry)
			return types.True
		}
	}
	e.recordText("on_any_list()", false)
	return types.False
}

func (e *evaluation) screen() (*SanctionsResult, error) {
	if e.sanctions != nil {
		return e.sanctions, nil
	}
	cp := e.in.Tx.Counterparty
	switch {
	case strings.TrimSpace(cp.Name) == "":
		e.sanctions = &SanctionsResult{Reason: "no counterparty name to screen"}
	case e.screener == nil:
		e.sanctions = &SanctionsResult{Reason: "sanctions screening is not available"}
	default:
		r, err := e.screener.ScreenCounterparty(e.ctx, e.tenant, cp)
		if err != nil {
			return nil, err
		}
		e.sanctions = &r
	}
	if !e.sanctions.Checked {
		e.note("sanctions not checked: " + e.sanctions.Reason)
	}
	return e.sanctions, nil
}

func (e *evaluation) sanctionsMatch([]ref.Val) ref.Val {
	r, err := e.screen()
	if err != nil {
		return types.NewErr("sanctions_match: %v", err)
	}
	switch {
	case !r.Checked:
		e.recordText("sanctions_match()", "NOT_CHECKED: "+r.Reason)
	case r.Matched:
		e.recordText("sanctions_match()", map[string]any{"matched": true, "score": r.Score, "evidence": r.Evidence})
	default:
		e.recordText("sanctions_match()", false)
	}
	return types.Bool(r.Checked && r.Matched)
}

func (e *evaluation) sanctionsScore([]ref.Val) ref.Val {
	r, err := e.screen()
	if err != nil {
		return types.NewErr("sanctions_score: %v", err)
	}
	if !r.Checked {
		e.recordText("sanctions_score()", "NOT_CHECKED: "+r.Reason)
		return types.Double(0)
	}
	e.recordText("sanctions_score()", r.Score)
	return types.Double(r.Score)
}
