package aml

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
)

// benchRules are 50 rules as a tenant might have them: 10 of them read
// history (velocity, sums, dormancy, new counterparty), 40 look at the
// transaction alone.
func benchRules() []Definition {
	rules := []Definition{
		expr(`count_over(duration("24h"), {"direction": "OUT", "currency": "EUR", "at_least": 1000}) > 5`),
		expr(`sum_over(duration("24h"), "EUR", {"direction": "OUT"}) > 15000`),
		expr(`sum_over(duration("168h"), "EUR", {"direction": "OUT"}) > 50000`),
		expr(`count_over(duration("720h")) > 400`),
		expr(`amount_in("EUR") >= 9000 && amount_in("EUR") < 10000 && count_over(duration("72h"), {"currency": "EUR", "at_least": 9000, "below": 10000}) >= 3`),
		expr(`tx.direction == "OUT" && sum_over(duration("48h"), "EUR", {"direction": "IN"}) >= 1000 && amount_in("EUR") >= sum_over(duration("48h"), "EUR", {"direction": "IN"}) * dec("0.9")`),
		expr(`count_over(duration("48h"), {"by": "country"}) >= 10`),
		expr(`idle_days() >= 180`),
		expr(`new_counterparty() && counterparty.country in ["IR", "KP", "MM"]`),
		expr(`sum_over(duration("720h"), "USD", {"type": ["TRANSFER", "P2P"], "channel": "MOBILE"}) > 200000`),
	}
	for i := range 40 {
		var e string
		switch i % 8 {
		case 0:
			e = fmt.Sprintf(`amount_in("EUR") >= %d`, 20000+i*1000)
		case 1:
			e = fmt.Sprintf(`tx.direction == "OUT" && amount_in("USD") > %d`, 15000+i*500)
		case 2:
			e = fmt.Sprintf(`tx.amount >= %d && is_multiple_of(tx.amount, 1000)`, 5000+i*100)
		case 3:
			e = `counterparty.country in ["IR", "KP", "MM", "SY", "CU"]`
		case 4:
			e = fmt.Sprintf(`customer.risk_level == "HIGH" && amount_in("EUR") > %d`, 3000+i*10)
		case 5:
			e = `tx.type == "CASH_WITHDRAWAL" && tx.channel == "ATM" && tx.amount > 2500`
		case 6:
			e = `on_any_list()`
		default:
			e = fmt.Sprintf(`tx.currency != "EUR" && amount_in("EUR") > %d && counterparty.country != customer.country`, 8000+i*100)
		}
		d := expr(e)
		if i%5 == 0 {
			d.Scope = Scope{Types: []string{"TRANSFER", "P2P"}}
		}
		rules = append(rules, d)
	}
	return rules
}

// benchFixture is a tenant with the 50 rules in force and a customer with
// 10,000 earlier transactions over a year, 100 counterparties.
func benchFixture(b *testing.B) (*fixture, uuid.UUID) {
	b.Helper()
	f := newFixture(b)
	for i, d := range benchRules() {
		d.Name, d.Outcome, d.Score = fmt.Sprintf("bench %02d", i), Warn, 1
		f.rule(d)
	}
	f.list("Blocked", "ACCOUNT", "GB00BLOCK0000000001")
	c := f.customer("MEDIUM", "GB")
	_, err := dbtest.OwnerPool(b).Exec(context.Background(), `
		INSERT INTO aml_transactions (id, tenant_id, customer_id, transaction_ref, request_hash, type, direction, amount, currency,
			amount_units, amount_ref_units, channel, occurred_at, counterparty_name, counterparty_country, counterparty_account, counterparty_key,
			decision, score)
		SELECT gen_random_uuid(), $1, $2, 'hist-' || g, '\x00', (ARRAY['TRANSFER','CARD_PAYMENT','P2P','CASH_WITHDRAWAL'])[1 + g % 4],
			CASE WHEN g % 3 = 0 THEN 'IN' ELSE 'OUT' END, 10 + (g * 7919) % 4000, 'EUR', (10 + (g * 7919) % 4000) * 10000,
			(10 + (g * 7919) % 4000) * 10000,
			(ARRAY['MOBILE','WEB','ATM'])[1 + g % 3], now() - make_interval(secs => g * 3153.6),
			'Counterparty ' || (g % 100), (ARRAY['GB','DE','FR','NG','US'])[1 + g % 5], 'GB00CP' || lpad((g % 100)::text, 12, '0'),
			'a:GB00CP' || lpad((g % 100)::text, 12, '0'), 'ALLOW', 0
		FROM generate_series(1, 10000) g`, f.tenant, c)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = dbtest.OwnerPool(b).Exec(context.Background(), "ANALYZE aml_transactions")
	return f, c
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	slices.Sort(d)
	return d[len(d)/2], d[len(d)*99/100]
}

func report(b *testing.B, what string, d []time.Duration) {
	p50, p99 := percentiles(d)
	b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
	b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
	fmt.Printf("%s: %d evaluations, p50 %v, p99 %v\n", what, len(d), p50.Round(time.Microsecond), p99.Round(time.Microsecond))
}

// BenchmarkScreen is one screening in process, end to end: the customer's
// lock, their window of history, 50 rules and the limits, and the stored
// transaction with its hits — one database transaction.
func BenchmarkScreen(b *testing.B) {
	f, c := benchFixture(b)
	ctx := actor.With(context.Background(), actor.Actor{Kind: actor.APIClient, ID: "bench", Name: "bench", TenantID: f.tenant})
	cps := []*Counterparty{nil, {Name: "Counterparty 7", Country: "DE", Account: "GB00CP000000000007"}, {Name: "New One", Country: "FR"}}
	var lat []time.Duration
	i := 0
	for b.Loop() {
		i++
		in := ScreenInput{CustomerID: c.String(), TransactionID: fmt.Sprintf("b-%d-%s", i, uuid.NewString()[:6]), Type: "TRANSFER", Direction: "OUT",
			Amount: fmt.Sprintf("%d.%02d", 50+i%900, i%100), Currency: []string{"EUR", "USD", "GBP"}[i%3], Channel: "MOBILE",
			Timestamp: time.Now().UTC().Format(time.RFC3339Nano), Counterparty: cps[i%3]}
		start := time.Now()
		s, err := f.s.Screen(ctx, f.tenant, in)
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Failures) > 0 {
			b.Fatalf("failures: %+v", s.Failures)
		}
	}
	report(b, "screen (end to end, in process)", lat)
}

// BenchmarkEvaluate is the rules alone on a window already read: what the
// engine costs beside the database.
func BenchmarkEvaluate(b *testing.B) {
	f, c := benchFixture(b)
	ctx := context.Background()
	var (
		rs  *RuleSet
		in  *Input
		src querySource
	)
	err := db.InTenantTx(ctx, f.pool, f.tenant, func(q *db.Queries) error {
		subject, err := q.AMLScreenSubject(ctx, db.AMLScreenSubjectParams{TenantID: f.tenant, ID: c, After: -1})
		if err != nil {
			return err
		}
		if rs, err = f.s.ruleSet(ctx, q, f.tenant, subject.Revision); err != nil {
			return err
		}
		now := time.Now().UTC()
		cust := customerOf(subject)
		src = querySource{q: q, tenant: f.tenant}
		in = &Input{Tx: Transaction{ID: "e", Type: "TRANSFER", Direction: "OUT", Channel: "MOBILE", Currency: "USD", At: now,
			Counterparty: Counterparty{Name: "Counterparty 7", Country: "DE", Account: "GB00CP000000000007"}}, Customer: cust}
		in.Window, err = f.s.windows.read(ctx, q, f.tenant, c, windowSince(rs, cust, now), now)
		if err != nil {
			return err
		}
		if len(rs.Rules) != 50 || len(in.Window) < 800 {
			return fmt.Errorf("%d rules, window of %d", len(rs.Rules), len(in.Window))
		}
		var lat []time.Duration
		i := 0
		for b.Loop() {
			i++
			in.Tx.Amount = decimal.New(int64(100+i%5000), 0)
			start := time.Now()
			res := Evaluate(ctx, f.tenant, rs, in, src, nil)
			lat = append(lat, time.Since(start))
			if len(res.Failures) > 0 {
				return fmt.Errorf("failures: %+v", res.Failures)
			}
		}
		report(b, fmt.Sprintf("evaluate (50 rules, window of %d transactions)", len(in.Window)), lat)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
