package catalog

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/tenant"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func nd(s string) decimal.NullDecimal {
	if s == "" {
		return decimal.NullDecimal{}
	}
	return decimal.NullDecimal{Decimal: dec(s), Valid: true}
}

func TestRoundFeePerCurrency(t *testing.T) {
	for _, tc := range []struct{ in, cur, want string }{
		{"0.005", "GBP", "0.01"}, {"0.0049", "GBP", "0"}, {"1.125", "EUR", "1.13"},
		{"0.5", "JPY", "1"}, {"149.49", "JPY", "149"}, {"2.5", "KRW", "3"},
		{"0.0005", "KWD", "0.001"}, {"1.2344", "BHD", "1.234"}, {"1.23456", "CLF", "1.2346"},
	} {
		if got := RoundFee(dec(tc.in), tc.cur); !got.Equal(dec(tc.want)) {
			t.Errorf("RoundFee(%s %s) = %s; want %s", tc.in, tc.cur, got, tc.want)
		}
	}
	if got := FormatAmount(dec("1.5"), "KWD"); got != "1.500" {
		t.Errorf("FormatAmount = %s", got)
	}
	if got := FormatAmount(dec("150"), "JPY"); got != "150" {
		t.Errorf("FormatAmount = %s", got)
	}
}

func TestPriceTiersMinimumMaximum(t *testing.T) {
	rule := FeeRule{ID: uuid.New(), FeeRuleSpec: FeeRuleSpec{Name: "tiered", Fixed: dec("1"), Percentage: dec("2"),
		Minimum: nd("0.50"), Maximum: nd("25"),
		Tiers: []Tier{
			{From: dec("100"), UpTo: nd("1000"), Fixed: dec("0.30"), Percentage: dec("1.5")},
			{From: dec("1000"), Fixed: dec("0"), Percentage: dec("1")},
		}}}
	for _, tc := range []struct {
		amount, fee, fixed, pct, limit string
		tier                           bool
	}{
		{amount: "10", fee: "1.20", fixed: "1.00", pct: "0.20"},                   // below every tier: the rule's own price
		{amount: "0.01", fee: "1.00", fixed: "1.00", pct: "0.00"},                 // 1.0002 rounds down
		{amount: "100", fee: "1.80", fixed: "0.30", pct: "1.50", tier: true},      // tier from is inclusive
		{amount: "999.99", fee: "15.30", fixed: "0.30", pct: "15.00", tier: true}, // 0.30 + 14.99985 = 15.29985
		{amount: "1000", fee: "10.00", fixed: "0.00", pct: "10.00", tier: true},   // up to is exclusive
		{amount: "3000", fee: "25.00", fixed: "0.00", pct: "30.00", tier: true, limit: LimitMaximum},
	} {
		q := Price(rule, dec(tc.amount), "GBP")
		if FormatAmount(q.Fee, "GBP") != tc.fee || FormatAmount(q.Fixed, "GBP") != tc.fixed || FormatAmount(q.PercentagePart, "GBP") != tc.pct ||
			q.Limit != tc.limit || (q.Tier != nil) != tc.tier {
			t.Errorf("amount %s: fee %s fixed %s pct %s limit %q tier %v; want %s %s %s %q %v", tc.amount,
				q.Fee, q.Fixed, q.PercentagePart, q.Limit, q.Tier != nil, tc.fee, tc.fixed, tc.pct, tc.limit, tc.tier)
		}
	}
	minOnly := FeeRule{FeeRuleSpec: FeeRuleSpec{Percentage: dec("0.1"), Minimum: nd("2")}}
	if q := Price(minOnly, dec("50"), "USD"); !q.Fee.Equal(dec("2")) || q.Limit != LimitMinimum {
		t.Errorf("minimum: %s %s", q.Fee, q.Limit)
	}
	// JPY: the fee is rounded to whole yen once, after the limits.
	if q := Price(FeeRule{FeeRuleSpec: FeeRuleSpec{Percentage: dec("1.25")}}, dec("1234"), "JPY"); q.Fee.String() != "15" {
		t.Errorf("JPY fee = %s; want 15 (15.425 rounded)", q.Fee)
	}
}

func TestMostSpecificRuleWins(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2025, 1, d, 0, 0, 0, 0, time.UTC) }
	general := FeeRule{ID: uuid.New(), FeeRuleSpec: FeeRuleSpec{Name: "general", EffectiveFrom: day(20)}}
	transfers := FeeRule{ID: uuid.New(), FeeRuleSpec: FeeRuleSpec{Name: "transfers", TransactionType: "TRANSFER", EffectiveFrom: day(1)}}
	gbTransfers := FeeRule{ID: uuid.New(), FeeRuleSpec: FeeRuleSpec{Name: "gb", TransactionType: "TRANSFER", Country: "GB", EffectiveFrom: day(1)}}
	vip := FeeRule{ID: uuid.New(), FeeRuleSpec: FeeRuleSpec{Name: "vip", CustomerCategory: "VIP", EffectiveFrom: day(1)}}
	gbpTransfers := FeeRule{ID: uuid.New(), FeeRuleSpec: FeeRuleSpec{Name: "gbp", TransactionType: "TRANSFER", Currency: "GBP", EffectiveFrom: day(1)}}
	newer := gbTransfers
	newer.ID, newer.Name, newer.EffectiveFrom = uuid.New(), "gb v2", day(10)
	for _, tc := range []struct {
		name string
		in   []FeeRule
		want string
	}{
		{"more dimensions", []FeeRule{general, transfers, gbTransfers}, "gb"},
		{"category outweighs type", []FeeRule{transfers, vip}, "vip"},
		{"country outweighs currency", []FeeRule{gbpTransfers, gbTransfers}, "gb"},
		{"latest effective of the same dimensions", []FeeRule{gbTransfers, newer}, "gb v2"},
		{"specificity before effective date", []FeeRule{general, transfers}, "transfers"},
	} {
		got, ok := pickRule(tc.in)
		if !ok || got.Name != tc.want {
			t.Errorf("%s: picked %q; want %q", tc.name, got.Name, tc.want)
		}
	}
}

func TestParseFeeRuleNamesEachProblem(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/London")
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	_, err := ParseFeeRule(FeeRuleInput{Name: "", TransactionType: "bad type", Currency: "GBP", Country: "UK", Fixed: "0.123",
		Percentage: "101", Minimum: "5", Maximum: "2", EffectiveFrom: "2025-13-01",
		Tiers: []TierInput{{}, {From: "100", UpTo: "50"}, {From: "x"}, {From: "0", Fixed: "1"}}}, loc, now)
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.Invalid {
		t.Fatalf("err = %v", err)
	}
	got := map[string]string{}
	for _, f := range e.Fields {
		got[f.Field] = f.Issue
	}
	for _, f := range []string{"name", "transactionType", "country", "fixed", "percentage", "maximum", "effectiveFrom", "tiers[2].from"} {
		if got[f] == "" {
			t.Errorf("no problem named %s; got %v", f, got)
		}
	}
	// A good form: today in the tenant's zone, tiers sorted, codes upper-cased.
	spec, err := ParseFeeRule(FeeRuleInput{Name: "Transfers", TransactionType: "transfer", Currency: "gbp", Fixed: "0.50",
		Percentage: "1.25", Active: true, Tiers: []TierInput{{From: "1000", Percentage: "1"}, {From: "0", UpTo: "1000", Fixed: "0.20"}}}, loc, now)
	if err != nil {
		t.Fatal(err)
	}
	if spec.TransactionType != "TRANSFER" || spec.Currency != "GBP" || spec.Status != FeeActive ||
		!spec.EffectiveFrom.Equal(time.Date(2025, 5, 31, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("spec = %+v", spec)
	}
	// Overlapping tiers are named by their row.
	_, err = ParseFeeRule(FeeRuleInput{Name: "x", Tiers: []TierInput{{From: "0", UpTo: "500"}, {From: "400"}}}, loc, now)
	if e, _ := apperr.As(err); e == nil || len(e.Fields) != 1 || e.Fields[0].Field != "tiers[1].from" {
		t.Errorf("overlap: %v", err)
	}
	// JPY rules take whole amounts only.
	_, err = ParseFeeRule(FeeRuleInput{Name: "x", Currency: "JPY", Fixed: "0.5"}, loc, now)
	if e, _ := apperr.As(err); e == nil || e.Fields[0].Field != "fixed" {
		t.Errorf("JPY decimals: %v", err)
	}
}

// fixture is a service on the package's database with a fresh tenant.
type fixture struct {
	svc    *Service
	tenant uuid.UUID
	clock  time.Time
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	pool := dbtest.Pool(t)
	keys, err := fieldcrypt.New("t1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	tn, err := tenant.NewService(pool).Create(t.Context(), tenant.CreateParams{Slug: "cat-" + uuid.NewString()[:8], Name: "Catalog Test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{tenant: tn.ID, clock: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	f.svc = NewService(pool, keys, func() time.Time { return f.clock })
	return f
}

// addRule stores a rule as an approval would and returns its id.
func (f *fixture) addRule(t testing.TB, spec FeeRuleSpec) uuid.UUID {
	t.Helper()
	if spec.Status == "" {
		spec.Status = FeeActive
	}
	if spec.EffectiveFrom.IsZero() {
		spec.EffectiveFrom = f.clock.Add(-24 * time.Hour)
	}
	if spec.Tiers == nil {
		spec.Tiers = []Tier{}
	}
	payload, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	err = db.InTenantTx(ctx, f.svc.pool, f.tenant, func(q *db.Queries) error {
		_, err := FeeApplier{Create: true}.Apply(ctx, q, f.tenant, id.String(), payload)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestQuoteWithStoredRules(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	general := f.addRule(t, FeeRuleSpec{Name: "Any transfer", TransactionType: "TRANSFER", Fixed: dec("1"), Percentage: dec("1")})
	gb := f.addRule(t, FeeRuleSpec{Name: "GB transfers", TransactionType: "TRANSFER", Country: "GB", Currency: "GBP",
		Fixed: dec("0.20"), Percentage: dec("0.5"), Minimum: nd("0.50"), Maximum: nd("10"),
		Tiers: []Tier{{From: dec("5000"), Fixed: dec("0"), Percentage: dec("0.1")}}})
	scheduled := f.addRule(t, FeeRuleSpec{Name: "GB transfers from July", TransactionType: "TRANSFER", Country: "GB", Currency: "GBP",
		Fixed: dec("0.25"), Percentage: dec("0.5"), EffectiveFrom: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)})
	f.addRule(t, FeeRuleSpec{Name: "Retired", TransactionType: "TRANSFER", Country: "GB", Currency: "GBP", Channel: "MOBILE", Status: FeeInactive})

	q, err := f.svc.Quote(ctx, f.tenant, QuoteRequest{TransactionType: "transfer", Country: "GB", Currency: "GBP", Amount: "100", Channel: "MOBILE"})
	if err != nil {
		t.Fatal(err)
	}
	if q.RuleID != gb || q.Fee.String() != "0.7" {
		t.Errorf("quote = rule %s fee %s; want GB rule, 0.70", q.RuleName, q.Fee)
	}
	if q, _ := f.svc.Quote(ctx, f.tenant, QuoteRequest{TransactionType: "TRANSFER", Country: "GB", Currency: "GBP", Amount: "20000"}); q.Fee.String() != "10" || q.Limit != LimitMaximum {
		t.Errorf("tier + maximum: %s %s", q.Fee, q.Limit)
	}
	if q, _ := f.svc.Quote(ctx, f.tenant, QuoteRequest{TransactionType: "TRANSFER", Country: "FR", Currency: "EUR", Amount: "100"}); q.RuleID != general {
		t.Errorf("FR picked %s", q.RuleName)
	}
	// In July the scheduled rule takes over.
	f.clock = time.Date(2025, 7, 1, 0, 0, 1, 0, time.UTC)
	if q, _ := f.svc.Quote(ctx, f.tenant, QuoteRequest{TransactionType: "TRANSFER", Country: "GB", Currency: "GBP", Amount: "100"}); q.RuleID != scheduled {
		t.Errorf("July picked %s", q.RuleName)
	}
	page, err := f.svc.FeeRules(ctx, f.tenant, FeeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, r := range page.Rows {
		states[r.Name] = r.State
	}
	if states["GB transfers"] != StateSuperseded || states["GB transfers from July"] != StateInEffect || states["Retired"] != StateInactive {
		t.Errorf("states = %v", states)
	}
	_, err = f.svc.Quote(ctx, f.tenant, QuoteRequest{TransactionType: "CASH_OUT", Currency: "GBP", Amount: "1"})
	if e, ok := apperr.As(err); !ok || e.Code != apperr.NotFound || e.APICode != "NO_APPLICABLE_FEE_RULE" {
		t.Errorf("no rule: %v", err)
	}
}
