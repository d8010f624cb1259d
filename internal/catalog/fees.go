package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/customer"
)

// How a fee is worked out.
//
// A fee rule names up to five dimensions — transaction type, country,
// currency, channel and customer category — each empty for "any". A rule
// matches a transaction when each dimension it names equals the
// transaction's. Of the matching ACTIVE rules whose effective-from moment
// has come, the winner is:
//
//  1. the most specific: the one naming the most dimensions;
//  2. on a tie, the one naming the weightiest dimension, weights in this
//     order: customer category, transaction type, channel, country,
//     currency (a category's own price beats a general one);
//  3. then the latest effective-from (a newer version supersedes an older
//     one with the same dimensions);
//  4. then the most recently created.
//
// The winner prices the amount: the tier whose range holds the amount
// (from inclusive, up to exclusive) gives the fixed part and the
// percentage for the whole amount; an amount in no tier uses the rule's
// own fixed part and percentage. fee = fixed + amount × percentage / 100,
// raised to the minimum, lowered to the maximum, then rounded half up to
// the currency's minor unit — once, on the final fee. The breakdown shows
// the fixed and percentage parts each rounded the same way.

// Fee rule statuses.
const (
	FeeActive   = "ACTIVE"
	FeeInactive = "INACTIVE"
)

// FeeStatuses lists the statuses of a fee rule.
var FeeStatuses = []string{FeeActive, FeeInactive}

// Fee rule states, as the portal lists them.
const (
	StateInEffect   = "IN_EFFECT"
	StateScheduled  = "SCHEDULED"
	StateSuperseded = "SUPERSEDED"
	StateInactive   = "INACTIVE"
)

// FeeStates lists the states of a fee rule.
var FeeStates = []string{StateInEffect, StateScheduled, StateSuperseded, StateInactive}

// Limits of a fee rule.
const (
	maxFeeName = 100
	maxTiers   = 10
	maxAmount  = 1e15
)

// Change request kinds of fee rules: both are four-eyes changes.
const (
	KindFeeCreate = "catalog.fee.create"
	KindFeeUpdate = "catalog.fee.update"
)

// FeeTarget is the approval target type (and audit entity type) of fee
// rules.
const FeeTarget = "fee_rule"

// Tier is a band of amounts with its own price.
type Tier struct {
	From       decimal.Decimal     `json:"from"`
	UpTo       decimal.NullDecimal `json:"upTo"` // null: no upper bound
	Fixed      decimal.Decimal     `json:"fixed"`
	Percentage decimal.Decimal     `json:"percentage"`
}

// Holds reports whether amount is in the tier's range.
func (t Tier) Holds(amount decimal.Decimal) bool {
	return amount.GreaterThanOrEqual(t.From) && (!t.UpTo.Valid || amount.LessThan(t.UpTo.Decimal))
}

// FeeRuleSpec is what a fee rule says: what a maker proposes and an
// approval applies. Dimensions are empty for "any"; Percentage is in
// percent (1.5 is 1.5 %).
type FeeRuleSpec struct {
	Name             string              `json:"name"`
	TransactionType  string              `json:"transactionType"`
	Country          string              `json:"country"`
	Currency         string              `json:"currency"`
	Channel          string              `json:"channel"`
	CustomerCategory string              `json:"customerCategory"`
	Fixed            decimal.Decimal     `json:"fixed"`
	Percentage       decimal.Decimal     `json:"percentage"`
	Minimum          decimal.NullDecimal `json:"minimum"`
	Maximum          decimal.NullDecimal `json:"maximum"`
	Tiers            []Tier              `json:"tiers"`
	EffectiveFrom    time.Time           `json:"effectiveFrom"`
	Status           string              `json:"status"`
}

// FeeRule is a stored fee rule.
type FeeRule struct {
	FeeRuleSpec
	ID uuid.UUID
	// State is IN_EFFECT, SCHEDULED, SUPERSEDED or INACTIVE (lists only).
	State     string
	TierCount int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Dimensions lists the dimensions the rule names, as "name=value".
func (r FeeRuleSpec) Dimensions() []string {
	var out []string
	for _, d := range []struct{ k, v string }{{"category", r.CustomerCategory}, {"type", r.TransactionType},
		{"channel", r.Channel}, {"country", r.Country}, {"currency", r.Currency}} {
		if d.v != "" {
			out = append(out, d.k+"="+d.v)
		}
	}
	return out
}

// specificity ranks a rule: the number of dimensions it names, then their
// weight (see the order above).
func (r FeeRuleSpec) specificity() (int, int) {
	n, w := 0, 0
	for i, v := range []string{r.Currency, r.Country, r.Channel, r.TransactionType, r.CustomerCategory} {
		if v != "" {
			n++
			w |= 1 << i
		}
	}
	return n, w
}

// outranks reports whether rule a wins over b for the same transaction.
func outranks(a, b FeeRule) bool {
	an, aw := a.specificity()
	bn, bw := b.specificity()
	switch {
	case an != bn:
		return an > bn
	case aw != bw:
		return aw > bw
	case !a.EffectiveFrom.Equal(b.EffectiveFrom):
		return a.EffectiveFrom.After(b.EffectiveFrom)
	case !a.CreatedAt.Equal(b.CreatedAt):
		return a.CreatedAt.After(b.CreatedAt)
	default:
		return a.ID.String() > b.ID.String()
	}
}

// pickRule is the winning rule among candidates that match.
func pickRule(candidates []FeeRule) (FeeRule, bool) {
	if len(candidates) == 0 {
		return FeeRule{}, false
	}
	best := candidates[0]
	for _, c := range candidates[1:] {
		if outranks(c, best) {
			best = c
		}
	}
	return best, true
}

// Limits applied to a fee.
const (
	LimitMinimum = "MINIMUM"
	LimitMaximum = "MAXIMUM"
)

// Quote is the price of one transaction.
type Quote struct {
	Fee      decimal.Decimal
	Currency string
	Amount   decimal.Decimal
	// Fixed and PercentagePart are the two parts, each rounded to the
	// currency's minor unit; Rate is the percentage applied.
	Fixed          decimal.Decimal
	PercentagePart decimal.Decimal
	Rate           decimal.Decimal
	// Tier is the tier that priced the amount, nil for the rule's own
	// price.
	Tier *Tier
	// Limit is MINIMUM or MAXIMUM when one of them set the fee.
	Limit         string
	RuleID        uuid.UUID
	RuleName      string
	EffectiveFrom time.Time
}

// Price works out the fee rule r asks for amount in currency (see the
// package's rules at the top of this file).
func Price(r FeeRule, amount decimal.Decimal, currency string) Quote {
	q := Quote{Currency: currency, Amount: amount, RuleID: r.ID, RuleName: r.Name, EffectiveFrom: r.EffectiveFrom}
	fixed, rate := r.Fixed, r.Percentage
	for i := range r.Tiers {
		if r.Tiers[i].Holds(amount) {
			t := r.Tiers[i]
			q.Tier = &t
			fixed, rate = t.Fixed, t.Percentage
			break
		}
	}
	pct := amount.Mul(rate).Div(decimal.NewFromInt(100))
	fee := fixed.Add(pct)
	if r.Minimum.Valid && fee.LessThan(r.Minimum.Decimal) {
		fee, q.Limit = r.Minimum.Decimal, LimitMinimum
	}
	if r.Maximum.Valid && fee.GreaterThan(r.Maximum.Decimal) {
		fee, q.Limit = r.Maximum.Decimal, LimitMaximum
	}
	q.Fee = RoundFee(fee, currency)
	q.Fixed = RoundFee(fixed, currency)
	q.PercentagePart = RoundFee(pct, currency)
	q.Rate = rate
	return q
}

// QuoteRequest asks what a transaction costs. Field names are the API's
// query parameters; CustomerID, when set, gives the customer's category.
type QuoteRequest struct {
	TransactionType string
	Country         string
	Currency        string
	Channel         string
	Category        string
	CustomerID      string
	Amount          string
}

// Quote prices a transaction with the tenant's fee rules in effect now. A
// transaction no rule matches is NotFound with API code
// NO_APPLICABLE_FEE_RULE.
func (s *Service) Quote(ctx context.Context, tenant uuid.UUID, req QuoteRequest) (Quote, error) {
	var fe apperr.Fields
	tt := normCode(req.TransactionType)
	switch {
	case tt == "":
		fe.Add("transactionType", "is required, e.g. TRANSFER")
	case !codePattern.MatchString(tt):
		fe.Add("transactionType", "must be a code of capitals, digits and underscores, e.g. TRANSFER")
	}
	cur := strings.ToUpper(strings.TrimSpace(req.Currency))
	switch {
	case cur == "":
		fe.Add("currency", "is required: an ISO 4217 code such as GBP")
	case !ValidCurrency(cur):
		fe.Add("currency", "%q is not an ISO 4217 currency", req.Currency)
	}
	country := strings.ToUpper(strings.TrimSpace(req.Country))
	if country != "" && !customer.ValidCountry(country) {
		fe.Add("country", "%q is not an ISO 3166 alpha-2 country code", req.Country)
	}
	channel := normCode(req.Channel)
	if channel != "" && !codePattern.MatchString(channel) {
		fe.Add("channel", "must be a code of capitals, digits and underscores, e.g. MOBILE")
	}
	category := normCode(req.Category)
	if category != "" && !codePattern.MatchString(category) {
		fe.Add("category", "must be a category name of capitals, digits and underscores")
	}
	var customerID uuid.UUID
	if req.CustomerID != "" {
		id, err := uuid.Parse(req.CustomerID)
		switch {
		case err != nil:
			fe.Add("customerId", "must be a customer id (UUID)")
		case category != "":
			fe.Add("category", "give customerId or category, not both")
		default:
			customerID = id
		}
	}
	amount, problem := decimal.Zero, ""
	if strings.TrimSpace(req.Amount) == "" {
		problem = "is required, e.g. 100.00"
	} else if amount, problem = parseAmount(strings.TrimSpace(req.Amount)); problem == "" {
		switch minor, ok := MinorUnits(cur); {
		case amount.IsZero():
			problem = "must be more than zero"
		case amount.GreaterThanOrEqual(decimal.NewFromFloat(maxAmount)):
			problem = "is too large"
		case ok && decimals(amount) > minor:
			problem = fmt.Sprintf("has more decimals than %s allows (%d)", cur, minor)
		}
	}
	if problem != "" {
		fe.Add("amount", "%s", problem)
	}
	if err := fe.Err(); err != nil {
		return Quote{}, err
	}
	var (
		winner FeeRule
		found  bool
	)
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		if customerID != uuid.Nil {
			name, err := q.CustomerCategoryName(ctx, db.CustomerCategoryNameParams{TenantID: tenant, ID: customerID})
			if db.IsNotFound(err) {
				return apperr.Validation(apperr.FieldError{Field: "customerId", Issue: "no such customer"})
			}
			if err != nil {
				return err
			}
			category = name
		}
		rows, err := q.FeeCandidates(ctx, db.FeeCandidatesParams{TenantID: tenant, At: s.now(), TransactionType: tt,
			Country: country, Currency: cur, Channel: channel, CustomerCategory: category})
		if err != nil {
			return err
		}
		candidates := make([]FeeRule, 0, len(rows))
		for _, r := range rows {
			candidates = append(candidates, feeRuleOf(r))
		}
		winner, found = pickRule(candidates)
		if !found {
			return nil
		}
		tiers, err := q.FeeTiersOf(ctx, db.FeeTiersOfParams{TenantID: tenant, RuleIds: []uuid.UUID{winner.ID}})
		winner.Tiers = tiersOf(tiers)
		return err
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return Quote{}, err
		}
		return Quote{}, fmt.Errorf("catalog: quote: %w", err)
	}
	if !found {
		return Quote{}, apperr.New(apperr.NotFound, "no fee rule applies to a %s in %s%s", tt, cur, describe(country, channel, category)).
			WithAPI("NO_APPLICABLE_FEE_RULE")
	}
	return Price(winner, amount, cur), nil
}

func describe(country, channel, category string) string {
	var parts []string
	if country != "" {
		parts = append(parts, "country "+country)
	}
	if channel != "" {
		parts = append(parts, "channel "+channel)
	}
	if category != "" {
		parts = append(parts, "category "+category)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func feeRuleOf(r db.FeeRule) FeeRule {
	return FeeRule{ID: r.ID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, FeeRuleSpec: FeeRuleSpec{
		Name: r.Name, TransactionType: r.TransactionType, Country: r.Country, Currency: r.Currency, Channel: r.Channel,
		CustomerCategory: r.CustomerCategory, Fixed: r.FixedAmount, Percentage: r.Percentage, Minimum: r.MinimumFee,
		Maximum: r.MaximumFee, EffectiveFrom: r.EffectiveFrom, Status: r.Status, Tiers: []Tier{}}}
}

func tiersOf(rows []db.FeeTier) []Tier {
	out := make([]Tier, 0, len(rows))
	for _, t := range rows {
		out = append(out, Tier{From: t.FromAmount, UpTo: t.UpTo, Fixed: t.FixedAmount, Percentage: t.Percentage})
	}
	return out
}

// FeeRuleInput is a fee rule as typed into the portal's form: every number
// a string, so that each problem can be named beside its field.
type FeeRuleInput struct {
	Name             string
	TransactionType  string
	Country          string
	Currency         string
	Channel          string
	CustomerCategory string
	Fixed            string
	Percentage       string
	Minimum          string
	Maximum          string
	// EffectiveFrom is a date (YYYY-MM-DD): the rule applies from the
	// start of that day in the tenant's time zone. Empty: today.
	EffectiveFrom string
	Active        bool
	// Tiers are the form's tier rows; wholly empty rows are ignored.
	Tiers []TierInput
}

// TierInput is one tier row of the form.
type TierInput struct {
	From, UpTo, Fixed, Percentage string
}

func (t TierInput) empty() bool {
	return strings.TrimSpace(t.From+t.UpTo+t.Fixed+t.Percentage) == ""
}

// ParseFeeRule reads and validates a form. Problems are named by the
// fields of the API's JSON paths: name, fixed, tiers[2].upTo, ... loc is
// the tenant's time zone; now decides what "today" is.
func ParseFeeRule(in FeeRuleInput, loc *time.Location, now time.Time) (FeeRuleSpec, error) {
	var fe apperr.Fields
	spec := FeeRuleSpec{
		Name: strings.TrimSpace(in.Name), TransactionType: normCode(in.TransactionType), Country: strings.ToUpper(strings.TrimSpace(in.Country)),
		Currency: strings.ToUpper(strings.TrimSpace(in.Currency)), Channel: normCode(in.Channel),
		CustomerCategory: normCode(in.CustomerCategory), Status: FeeInactive, Tiers: []Tier{},
	}
	if in.Active {
		spec.Status = FeeActive
	}
	amount := func(field, s string, required bool) decimal.NullDecimal {
		s = strings.TrimSpace(s)
		if s == "" {
			if required {
				return decimal.NullDecimal{Decimal: decimal.Zero, Valid: true}
			}
			return decimal.NullDecimal{}
		}
		d, problem := parseAmount(s)
		if problem != "" {
			fe.Add(field, "%s", problem)
			return decimal.NullDecimal{}
		}
		return decimal.NullDecimal{Decimal: d, Valid: true}
	}
	spec.Fixed = amount("fixed", in.Fixed, true).Decimal
	spec.Percentage = amount("percentage", in.Percentage, true).Decimal
	spec.Minimum = amount("minimum", in.Minimum, false)
	spec.Maximum = amount("maximum", in.Maximum, false)
	for i, t := range in.Tiers {
		if t.empty() {
			continue
		}
		p := fmt.Sprintf("tiers[%d].", i)
		if strings.TrimSpace(t.From) == "" {
			fe.Add(p+"from", "is required: where the tier starts, e.g. 0")
		}
		tier := Tier{From: amount(p+"from", t.From, true).Decimal, UpTo: amount(p+"upTo", t.UpTo, false),
			Fixed: amount(p+"fixed", t.Fixed, true).Decimal, Percentage: amount(p+"percentage", t.Percentage, true).Decimal}
		spec.Tiers = append(spec.Tiers, tier)
	}
	switch d := strings.TrimSpace(in.EffectiveFrom); d {
	case "":
		y, m, day := now.In(loc).Date()
		spec.EffectiveFrom = time.Date(y, m, day, 0, 0, 0, 0, loc)
	default:
		t, err := time.ParseInLocation("2006-01-02", d, loc)
		if err != nil {
			fe.Add("effectiveFrom", "must be a date, YYYY-MM-DD")
		}
		spec.EffectiveFrom = t
	}
	// Rows that did not parse are already reported; the rest is checked
	// as a whole, with tier problems named by the form's row numbers.
	if len(fe) > 0 {
		for _, f := range validateFee(spec, tierRows(in.Tiers)) {
			if !fe.Has(f.Field) && !strings.HasPrefix(f.Field, "tiers[") {
				fe = append(fe, f)
			}
		}
		return spec, fe.Err()
	}
	if errs := validateFee(spec, tierRows(in.Tiers)); len(errs) > 0 {
		return spec, errs.Err()
	}
	return spec, nil
}

// tierRows maps each tier of the spec to its row in the form.
func tierRows(rows []TierInput) []int {
	var out []int
	for i, t := range rows {
		if !t.empty() {
			out = append(out, i)
		}
	}
	return out
}

// validateFee checks a rule as a whole. rows maps tier i to the row that
// names it in problems (nil: tier i is row i).
func validateFee(r FeeRuleSpec, rows []int) apperr.Fields {
	var fe apperr.Fields
	switch n := len([]rune(r.Name)); {
	case n == 0:
		fe.Add("name", "is required, e.g. Domestic transfers")
	case n > maxFeeName:
		fe.Add("name", "must be at most %d characters", maxFeeName)
	}
	for _, c := range []struct{ field, v, example string }{{"transactionType", r.TransactionType, "TRANSFER"},
		{"channel", r.Channel, "MOBILE"}, {"customerCategory", r.CustomerCategory, "VIP_INDIVIDUAL"}} {
		if c.v != "" && !codePattern.MatchString(c.v) {
			fe.Add(c.field, "must be a code of capitals, digits and underscores, e.g. %s; leave empty for any", c.example)
		}
	}
	if r.Country != "" && !customer.ValidCountry(r.Country) {
		fe.Add("country", "%q is not an ISO 3166 alpha-2 country code; leave empty for any", r.Country)
	}
	scale := int32(maxScale)
	if r.Currency != "" {
		if n, ok := MinorUnits(r.Currency); ok {
			scale = n
		} else {
			fe.Add("currency", "%q is not an ISO 4217 currency; leave empty for any", r.Currency)
		}
	}
	unit := "the currency"
	if r.Currency != "" {
		unit = r.Currency
	}
	money := func(field string, v decimal.Decimal) {
		switch {
		case fe.Has(field):
		case v.IsNegative():
			fe.Add(field, "must not be negative")
		case v.GreaterThanOrEqual(decimal.NewFromFloat(maxAmount)):
			fe.Add(field, "is too large")
		case decimals(v) > scale:
			fe.Add(field, "has more decimals than %s allows (%d)", unit, scale)
		}
	}
	percent := func(field string, v decimal.Decimal) {
		switch {
		case fe.Has(field):
		case v.IsNegative() || v.GreaterThan(decimal.NewFromInt(100)):
			fe.Add(field, "must be between 0 and 100 (percent)")
		case decimals(v) > 4:
			fe.Add(field, "may have at most 4 decimals")
		}
	}
	money("fixed", r.Fixed)
	percent("percentage", r.Percentage)
	if r.Minimum.Valid {
		money("minimum", r.Minimum.Decimal)
	}
	if r.Maximum.Valid {
		money("maximum", r.Maximum.Decimal)
	}
	if r.Minimum.Valid && r.Maximum.Valid && r.Maximum.Decimal.LessThan(r.Minimum.Decimal) && !fe.Has("maximum") {
		fe.Add("maximum", "must not be less than the minimum (%s)", r.Minimum.Decimal)
	}
	if len(r.Tiers) > maxTiers {
		fe.Add("tiers", "at most %d tiers", maxTiers)
	}
	row := func(i int) string {
		if i < len(rows) {
			return fmt.Sprintf("tiers[%d].", rows[i])
		}
		return fmt.Sprintf("tiers[%d].", i)
	}
	order := make([]int, len(r.Tiers))
	for i, t := range r.Tiers {
		order[i] = i
		p := row(i)
		money(p+"from", t.From)
		if t.UpTo.Valid {
			money(p+"upTo", t.UpTo.Decimal)
			if !fe.Has(p+"upTo") && !t.UpTo.Decimal.GreaterThan(t.From) {
				fe.Add(p+"upTo", "must be more than where the tier starts (%s)", t.From)
			}
		}
		money(p+"fixed", t.Fixed)
		percent(p+"percentage", t.Percentage)
	}
	slices.SortFunc(order, func(a, b int) int { return r.Tiers[a].From.Cmp(r.Tiers[b].From) })
	for k := 1; k < len(order); k++ {
		prev, cur := r.Tiers[order[k-1]], r.Tiers[order[k]]
		if !prev.UpTo.Valid || prev.UpTo.Decimal.GreaterThan(cur.From) {
			field := row(order[k]) + "from"
			if !fe.Has(field) {
				fe.Add(field, "overlaps the tier that starts at %s", prev.From)
			}
		}
	}
	if r.EffectiveFrom.IsZero() && !fe.Has("effectiveFrom") {
		fe.Add("effectiveFrom", "is required")
	}
	if r.Status != FeeActive && r.Status != FeeInactive {
		fe.Add("status", "must be ACTIVE or INACTIVE")
	}
	return fe
}

// sortTiers orders tiers by where they start.
func sortTiers(ts []Tier) []Tier {
	out := slices.Clone(ts)
	slices.SortFunc(out, func(a, b Tier) int { return a.From.Cmp(b.From) })
	return out
}

// FeeFilter narrows and orders the fee rule list.
type FeeFilter struct {
	Query           string
	TransactionType string
	Currency        string
	Country         string
	Channel         string
	State           string
	// Sort is "" (by transaction type, newest effective first), "name",
	// "effective" or "updated".
	Sort          string
	Limit, Offset int
}

// FeeSorts are the orders of the fee rule list.
var FeeSorts = []string{"", "name", "effective", "updated"}

// FeeRules lists the tenant's fee rules with their states now.
func (s *Service) FeeRules(ctx context.Context, tenant uuid.UUID, f FeeFilter) (Page[FeeRule], error) {
	var fe apperr.Fields
	if f.State != "" && !slices.Contains(FeeStates, f.State) {
		fe.Add("state", "unknown state %q", f.State)
	}
	if !slices.Contains(FeeSorts, f.Sort) {
		fe.Add("sort", "unknown order %q", f.Sort)
	}
	if err := fe.Err(); err != nil {
		return Page[FeeRule]{}, err
	}
	limit, offset := pageBounds(f.Limit, f.Offset)
	var p Page[FeeRule]
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.ListFeeRules(ctx, db.ListFeeRulesParams{TenantID: tenant, At: s.now(), Q: likePattern(f.Query),
			TransactionType: normCode(f.TransactionType), Currency: strings.ToUpper(strings.TrimSpace(f.Currency)),
			Country: strings.ToUpper(strings.TrimSpace(f.Country)), Channel: normCode(f.Channel), State: f.State,
			Sort: f.Sort, MaxRows: limit, Skip: offset})
		for _, r := range rows {
			p.Total = r.Total
			p.Rows = append(p.Rows, FeeRule{ID: r.ID, State: r.State, TierCount: int(r.TierCount), CreatedAt: r.CreatedAt,
				UpdatedAt: r.UpdatedAt, FeeRuleSpec: FeeRuleSpec{Name: r.Name, TransactionType: r.TransactionType,
					Country: r.Country, Currency: r.Currency, Channel: r.Channel, CustomerCategory: r.CustomerCategory,
					Fixed: r.FixedAmount, Percentage: r.Percentage, Minimum: r.MinimumFee, Maximum: r.MaximumFee,
					EffectiveFrom: r.EffectiveFrom, Status: r.Status}})
		}
		return err
	})
	if err != nil {
		return Page[FeeRule]{}, fmt.Errorf("catalog: fee rules: %w", err)
	}
	return p, nil
}

// FeeRule returns one rule with its tiers and its state now.
func (s *Service) FeeRule(ctx context.Context, tenant, id uuid.UUID) (FeeRule, error) {
	var out FeeRule
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		out, err = loadFeeRule(ctx, q, tenant, id)
		if err != nil {
			return err
		}
		now := s.now()
		switch {
		case out.Status == FeeInactive:
			out.State = StateInactive
		case out.EffectiveFrom.After(now):
			out.State = StateScheduled
		default:
			superseded, err := q.FeeRuleSuperseded(ctx, db.FeeRuleSupersededParams{TenantID: tenant, ID: id, At: now})
			if err != nil {
				return err
			}
			out.State = StateInEffect
			if superseded {
				out.State = StateSuperseded
			}
		}
		return nil
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return FeeRule{}, err
		}
		return FeeRule{}, fmt.Errorf("catalog: fee rule: %w", err)
	}
	return out, nil
}

func errNoFeeRule() error { return apperr.New(apperr.NotFound, "no such fee rule") }

func loadFeeRule(ctx context.Context, q *db.Queries, tenant, id uuid.UUID) (FeeRule, error) {
	row, err := q.FeeRuleByID(ctx, db.FeeRuleByIDParams{TenantID: tenant, ID: id})
	if db.IsNotFound(err) {
		return FeeRule{}, errNoFeeRule()
	}
	if err != nil {
		return FeeRule{}, err
	}
	r := feeRuleOf(row)
	tiers, err := q.FeeTiersOf(ctx, db.FeeTiersOfParams{TenantID: tenant, RuleIds: []uuid.UUID{id}})
	r.Tiers = tiersOf(tiers)
	r.TierCount = len(r.Tiers)
	return r, err
}

// feeState is a rule as the approval's diff and the audit trail show it.
type feeState struct {
	Name             string   `json:"name"`
	TransactionType  string   `json:"transactionType"`
	Country          string   `json:"country"`
	Currency         string   `json:"currency"`
	Channel          string   `json:"channel"`
	CustomerCategory string   `json:"customerCategory"`
	Fixed            string   `json:"fixed"`
	Percentage       string   `json:"percentage"`
	Minimum          string   `json:"minimum"`
	Maximum          string   `json:"maximum"`
	Tiers            []string `json:"tiers"`
	EffectiveFrom    string   `json:"effectiveFrom"`
	Status           string   `json:"status"`
}

func anyOr(v string) string {
	if v == "" {
		return "any"
	}
	return v
}

func nullOr(v decimal.NullDecimal, none string) string {
	if !v.Valid {
		return none
	}
	return v.Decimal.String()
}

// TierText describes a tier in words: "0 – 1000: 0.5 + 1.2 %".
func TierText(t Tier) string {
	return fmt.Sprintf("%s – %s: %s + %s %%", t.From, nullOr(t.UpTo, "∞"), t.Fixed, t.Percentage)
}

func stateOf(r FeeRuleSpec) feeState {
	st := feeState{Name: r.Name, TransactionType: anyOr(r.TransactionType), Country: anyOr(r.Country), Currency: anyOr(r.Currency),
		Channel: anyOr(r.Channel), CustomerCategory: anyOr(r.CustomerCategory), Fixed: r.Fixed.String(),
		Percentage: r.Percentage.String(), Minimum: nullOr(r.Minimum, "none"), Maximum: nullOr(r.Maximum, "none"),
		Tiers: []string{}, EffectiveFrom: r.EffectiveFrom.UTC().Format(time.RFC3339), Status: r.Status}
	for _, t := range sortTiers(r.Tiers) {
		st.Tiers = append(st.Tiers, TierText(t))
	}
	return st
}

// FeeApplier makes fee rule changes under four-eyes: creating a rule
// (Create) or changing one. The target is the rule's id, chosen by the
// maker for a new rule.
type FeeApplier struct {
	Create bool
}

func (a FeeApplier) current(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (*FeeRule, uuid.UUID, error) {
	id, err := uuid.Parse(target)
	if err != nil {
		return nil, id, errNoFeeRule()
	}
	r, err := loadFeeRule(ctx, q, tenant, id)
	switch {
	case apperr.CodeOf(err) == apperr.NotFound && a.Create:
		return nil, id, nil
	case err != nil:
		return nil, id, err
	case a.Create:
		return nil, id, apperr.New(apperr.Conflict, "a fee rule with this id already exists")
	}
	return &r, id, nil
}

// Current is the rule now: null before a new rule exists.
func (a FeeApplier) Current(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (json.RawMessage, error) {
	r, _, err := a.current(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return json.RawMessage("null"), nil
	}
	return json.Marshal(stateOf(r.FeeRuleSpec))
}

func specOf(payload json.RawMessage) (FeeRuleSpec, error) {
	var spec FeeRuleSpec
	if err := json.Unmarshal(payload, &spec); err != nil {
		return spec, apperr.New(apperr.Invalid, "the fee rule could not be read")
	}
	if spec.Tiers == nil {
		spec.Tiers = []Tier{}
	}
	if fe := validateFee(spec, nil); len(fe) > 0 {
		return spec, fe.Err()
	}
	return spec, nil
}

// Check validates the proposed rule and returns it as it would be.
func (a FeeApplier) Check(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	if _, _, err := a.current(ctx, q, tenant, target); err != nil {
		return nil, err
	}
	spec, err := specOf(payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(stateOf(spec))
}

// Apply writes the rule and its tiers, audited as the approving employee.
func (a FeeApplier) Apply(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	before, id, err := a.current(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	spec, err := specOf(payload)
	if err != nil {
		return nil, err
	}
	action := "catalog.fee.updated"
	if a.Create {
		action = "catalog.fee.created"
		_, err = q.InsertFeeRule(ctx, db.InsertFeeRuleParams{ID: id, TenantID: tenant, Name: spec.Name, TransactionType: spec.TransactionType,
			Country: spec.Country, Currency: spec.Currency, Channel: spec.Channel, CustomerCategory: spec.CustomerCategory,
			FixedAmount: spec.Fixed, Percentage: spec.Percentage, MinimumFee: spec.Minimum, MaximumFee: spec.Maximum,
			EffectiveFrom: spec.EffectiveFrom, Status: spec.Status})
	} else {
		_, err = q.UpdateFeeRule(ctx, db.UpdateFeeRuleParams{ID: id, TenantID: tenant, Name: spec.Name, TransactionType: spec.TransactionType,
			Country: spec.Country, Currency: spec.Currency, Channel: spec.Channel, CustomerCategory: spec.CustomerCategory,
			FixedAmount: spec.Fixed, Percentage: spec.Percentage, MinimumFee: spec.Minimum, MaximumFee: spec.Maximum,
			EffectiveFrom: spec.EffectiveFrom, Status: spec.Status})
	}
	if err != nil {
		return nil, err
	}
	if err := q.DeleteFeeTiers(ctx, db.DeleteFeeTiersParams{TenantID: tenant, RuleID: id}); err != nil {
		return nil, err
	}
	for i, t := range sortTiers(spec.Tiers) {
		if err := q.InsertFeeTier(ctx, db.InsertFeeTierParams{ID: uuid.New(), TenantID: tenant, RuleID: id, Position: int32(i),
			FromAmount: t.From, UpTo: t.UpTo, FixedAmount: t.Fixed, Percentage: t.Percentage}); err != nil {
			return nil, err
		}
	}
	var beforeState any
	if before != nil {
		beforeState = stateOf(before.FeeRuleSpec)
	}
	after := stateOf(spec)
	if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: action, EntityType: FeeTarget, EntityID: id.String(),
		ReasonCode: "FOUR_EYES_APPROVED", Before: beforeState, After: after}); err != nil {
		return nil, err
	}
	return json.Marshal(after)
}
