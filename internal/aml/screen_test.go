package aml

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/apperr"
)

// step is one transaction of a constructed history: by customer who (0 to
// 2), ago before now.
type step struct {
	who       int
	ago       time.Duration
	amount    string
	currency  string
	direction string
	cp        *Counterparty
}

const day = 24 * time.Hour

func form(kind string, params map[string]string) Definition {
	f := DefaultForm(kind)
	for k, v := range params {
		f.Params[k] = v
	}
	return Definition{Form: &f}
}

func expr(e string) Definition { return Definition{Expression: e} }

var (
	mule     = &Counterparty{Name: "Quick Cash Ltd", Country: "DE", Account: "DE89 3704 0044 0532 0130 00"}
	other    = &Counterparty{Name: "Corner Shop", Country: "DE", Account: "DE02 1203 0000 0000 2020 51"}
	tehran   = &Counterparty{Name: "Tehran Trading", Country: "IR", Account: "IR06 2960 0000 0000 0100 0123"}
	berlin   = &Counterparty{Name: "Berlin Books", Country: "DE", Account: "DE75 5121 0800 1245 1261 99"}
	lagos    = &Counterparty{Name: "Lagos Imports", Country: "NG"}
	accra    = &Counterparty{Name: "Accra Goods", Country: "GH"}
	listed   = &Counterparty{Name: "Whoever", Account: "gb29nwbk60161331926819"}
	byName   = &Counterparty{Name: "PETROV, Ivan"}
	unlisted = &Counterparty{Name: "Ivan Petrovich", Account: "GB94BARC10201530093459"}
)

// Each kind of rule, on constructed histories: one that must fire, and a
// near miss that must not.
func TestEachRuleKindFiresAndNearMissesDoNot(t *testing.T) {
	cases := []struct {
		name   string
		def    Definition
		setup  func(f *fixture)
		fires  []step
		misses []step
	}{
		{name: "amount threshold", def: form(KindAmount, map[string]string{"threshold": "10000"}),
			fires: []step{{amount: "10000.00"}}, misses: []step{{amount: "9999.99"}}},
		{name: "amount threshold in another currency", def: form(KindAmount, map[string]string{"threshold": "10000"}),
			fires: []step{{amount: "11000", currency: "USD"}}, misses: []step{{amount: "10860", currency: "USD"}}},
		{name: "velocity: more than 5 transfers of 1000 EUR in 24 h",
			def:    form(KindVelocity, map[string]string{"measure": "count", "window_hours": "24", "limit": "5", "min_amount": "1000", "direction": "OUT"}),
			fires:  []step{{ago: 5 * time.Hour, amount: "1500"}, {ago: 4 * time.Hour, amount: "1000"}, {ago: 3 * time.Hour, amount: "2000"}, {ago: 2 * time.Hour, amount: "1500"}, {ago: time.Hour, amount: "1100", currency: "GBP"}, {amount: "1200"}},
			misses: []step{{ago: 25 * time.Hour, amount: "1500"}, {ago: 4 * time.Hour, amount: "1000"}, {ago: 3 * time.Hour, amount: "999.99"}, {ago: 2 * time.Hour, amount: "1500"}, {ago: time.Hour, amount: "1500", direction: "IN"}, {amount: "1200"}}},
		{name: "velocity per counterparty, every customer", def: expr(`count_over(duration("24h"), {"by": "counterparty"}) > 2`),
			fires:  []step{{who: 0, ago: 3 * time.Hour, amount: "100", cp: mule}, {who: 1, ago: 2 * time.Hour, amount: "100", cp: mule}, {who: 2, amount: "100", cp: mule}},
			misses: []step{{who: 0, ago: 3 * time.Hour, amount: "100", cp: mule}, {who: 1, ago: 2 * time.Hour, amount: "100", cp: mule}, {who: 2, amount: "100", cp: other}}},
		{name: "velocity per country", def: expr(`count_over(duration("48h"), {"by": "country"}) >= 3`),
			fires:  []step{{ago: 30 * time.Hour, amount: "100", cp: lagos}, {ago: time.Hour, amount: "100", cp: lagos}, {amount: "100", cp: lagos}},
			misses: []step{{ago: 30 * time.Hour, amount: "100", cp: lagos}, {ago: time.Hour, amount: "100", cp: lagos}, {amount: "100", cp: accra}}},
		{name: "velocity: sum over 5000 EUR in 24 h", def: form(KindVelocity, map[string]string{"measure": "sum", "window_hours": "24", "limit": "5000", "min_amount": "", "direction": "OUT"}),
			fires:  []step{{ago: 2 * time.Hour, amount: "3000", currency: "USD"}, {amount: "2300"}},
			misses: []step{{ago: 2 * time.Hour, amount: "3000"}, {ago: time.Hour, amount: "9000", direction: "IN"}, {amount: "2000"}}},
		{name: "structuring", def: form(KindStructuring, nil),
			fires:  []step{{ago: 50 * time.Hour, amount: "9500"}, {ago: 20 * time.Hour, amount: "9200"}, {amount: "9900"}},
			misses: []step{{ago: 80 * time.Hour, amount: "9500"}, {ago: 20 * time.Hour, amount: "10000"}, {ago: 10 * time.Hour, amount: "9200"}, {amount: "9900"}}},
		{name: "round amounts", def: form(KindRound, nil),
			fires: []step{{amount: "6000.00"}}, misses: []step{{amount: "6000.50"}}},
		{name: "in and straight out", def: form(KindInOut, nil),
			fires:  []step{{ago: 10 * time.Hour, amount: "5000", direction: "IN"}, {amount: "4700"}},
			misses: []step{{ago: 10 * time.Hour, amount: "5000", direction: "IN"}, {amount: "4400"}}},
		{name: "new counterparty in a high-risk country", def: form(KindNewHighRisk, nil),
			fires:  []step{{ago: 100 * day, amount: "50", cp: berlin}, {amount: "50", cp: tehran}},
			misses: []step{{ago: 100 * day, amount: "50", cp: tehran}, {amount: "50", cp: tehran}}},
		{name: "first transaction after dormancy", def: form(KindDormancy, map[string]string{"idle_days": "180", "min_amount": ""}),
			fires:  []step{{ago: 200 * day, amount: "10"}, {amount: "10"}},
			misses: []step{{ago: 200 * day, amount: "10"}, {ago: 170 * day, amount: "10"}, {amount: "10"}}},
		{name: "custom list, by account", def: form(KindList, map[string]string{"sanctions": "no", "lists": "Mules"}),
			setup: func(f *fixture) { f.list("Mules", "ACCOUNT", "GB29 NWBK 6016 1331 9268 19") },
			fires: []step{{amount: "10", cp: listed}}, misses: []step{{amount: "10", cp: unlisted}}},
		{name: "custom list, by name", def: form(KindList, map[string]string{"sanctions": "no", "lists": "Blocked people"}),
			setup: func(f *fixture) { f.list("Blocked people", "NAME", "Ivan Petrov") },
			fires: []step{{amount: "10", cp: byName}}, misses: []step{{amount: "10", cp: unlisted}}},
	}
	for _, tc := range cases {
		for _, want := range []bool{true, false} {
			steps, label := tc.fires, "fires"
			if !want {
				steps, label = tc.misses, "near miss"
			}
			t.Run(tc.name+"/"+label, func(t *testing.T) {
				f := newFixture(t)
				if tc.setup != nil {
					tc.setup(f)
				}
				rule := f.rule(tc.def)
				customers := []uuid.UUID{f.customer("LOW", "GB"), f.customer("LOW", "GB"), f.customer("LOW", "GB")}
				now := time.Now().Add(-time.Minute)
				var last Screening
				for _, st := range steps {
					last = f.screen(tx{customer: customers[st.who], at: now.Add(-st.ago), amount: st.amount, currency: st.currency,
						direction: st.direction, cp: st.cp})
				}
				if got := fired(last, rule); got != want {
					t.Fatalf("fired = %v; want %v (decision %s, hits %+v, failures %+v, notes %v)", got, want, last.Decision, last.Hits, last.Failures, last.Notes)
				}
				if len(last.Failures) > 0 {
					t.Errorf("failures: %+v", last.Failures)
				}
				if want && len(fired2values(last, rule)) == 0 {
					t.Errorf("a hit without the values that made it: %+v", last.Hits)
				}
			})
		}
	}
}

func fired2values(s Screening, rule uuid.UUID) map[string]any {
	for _, h := range s.Hits {
		if h.RuleID == rule {
			return h.Values
		}
	}
	return nil
}

func (f *fixture) list(name, kind, value string) {
	f.t.Helper()
	l, err := f.s.CreateList(f.maker, f.tenant, name, "")
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.s.AddListEntry(f.maker, f.tenant, l.ID, kind, value, "test"); err != nil {
		f.t.Fatal(err)
	}
}

// The velocity rule reports the count that made it fire.
func TestHitsCarryTheirValues(t *testing.T) {
	f := newFixture(t)
	rule := f.rule(expr(`count_over(duration("24h"), {"direction": "OUT"}) > 1 && amount_in("EUR") >= 100`))
	c := f.customer("LOW", "GB")
	now := time.Now().Add(-time.Minute)
	f.screen(tx{customer: c, at: now.Add(-time.Hour), amount: "100"})
	s := f.screen(tx{customer: c, at: now, amount: "250.50"})
	v := fired2values(s, rule)
	if v[`count_over(24h0m0s, {direction: OUT})`] != int64(2) || v[`amount_in("EUR")`] != "250.5" {
		t.Fatalf("values = %v", v)
	}
}

// ALLOW < WARN < REVIEW < BLOCK: the highest triggered outcome decides;
// scores add up to at most 100; REVIEW and BLOCK raise alerts.
func TestTheHighestOutcomeDecides(t *testing.T) {
	f := newFixture(t)
	f.rule(Definition{Expression: "tx.amount >= 100", Outcome: Warn, Score: 10})
	f.rule(Definition{Expression: "tx.amount >= 1000", Outcome: Review, Score: 30})
	f.rule(Definition{Expression: "tx.amount >= 10000", Outcome: Block, Score: 90})
	c := f.customer("LOW", "GB")
	now := time.Now().Add(-time.Minute)
	tests := []struct {
		amount   string
		decision Outcome
		score    int
		alert    bool
	}{
		{"50", Allow, 0, false}, {"500", Warn, 10, false}, {"5000", Review, 40, true}, {"20000", Block, 100, true},
	}
	for _, tc := range tests {
		s := f.screen(tx{customer: c, at: now, amount: tc.amount})
		if s.Decision != tc.decision || s.Score != tc.score || (s.AlertID != nil) != tc.alert {
			t.Errorf("%s: decision %s score %d alert %v; want %s %d %v", tc.amount, s.Decision, s.Score, s.AlertID != nil, tc.decision, tc.score, tc.alert)
		}
	}
	page, err := f.s.Alerts(context.Background(), f.tenant, AlertFilter{})
	if err != nil || page.Total != 2 {
		t.Fatalf("alerts: %d %v", page.Total, err)
	}
	if page.Alerts[0].Severity != "HIGH" || page.Alerts[0].Decision != Block || page.Alerts[1].Severity != "MEDIUM" {
		t.Errorf("alerts not high first: %+v", page.Alerts)
	}
	var events, audits int
	owner := dbtest.OwnerPool(t)
	_ = owner.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM events WHERE tenant_id = $1 AND type = 'aml.alert.created'),
		(SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'aml.alert.created')`, f.tenant).Scan(&events, &audits)
	if events != 2 || audits != 2 {
		t.Errorf("events %d audits %d; want 2 and 2", events, audits)
	}
}

// A rule that fails at run time is reported and never stops the others.
func TestARuleFailingAtRunTimeIsReportedAndOthersRun(t *testing.T) {
	f := newFixture(t)
	broken := f.rule(Definition{Name: "Broken", Expression: `on_list("No such list")`, Outcome: Block, Score: 90})
	dividing := f.rule(Definition{Name: "Divides", Expression: `tx.amount / (count_over(duration("1h")) - 1) > 1`, Outcome: Block, Score: 90})
	working := f.rule(Definition{Name: "Works", Expression: "tx.amount >= 100", Outcome: Review, Score: 30})
	c := f.customer("LOW", "GB")
	s := f.screen(tx{customer: c, at: time.Now().Add(-time.Minute), amount: "500"})
	if s.Decision != Review || !fired(s, working) || len(s.Failures) != 2 {
		t.Fatalf("decision %s hits %+v failures %+v", s.Decision, s.Hits, s.Failures)
	}
	msgs := map[uuid.UUID]string{}
	for _, fl := range s.Failures {
		msgs[fl.RuleID] = fl.Err
	}
	if !strings.Contains(msgs[broken], "no custom list") || !strings.Contains(msgs[dividing], "division by zero") {
		t.Errorf("failures: %v", msgs)
	}
	ov, err := f.s.Overview(context.Background(), f.tenant, time.UTC, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ov.Rules {
		switch r.ID {
		case broken:
			if r.Errors7 != 1 || !strings.Contains(r.LastError, "no custom list") {
				t.Errorf("broken rule on the overview: %+v", r)
			}
		case working:
			if r.Hits7 != 1 || r.Hits30 != 1 || r.Errors7 != 0 {
				t.Errorf("working rule on the overview: %+v", r)
			}
		}
	}
	d, err := f.s.Rule(context.Background(), f.tenant, broken)
	if err != nil || len(d.Errors) != 1 || d.Errors[0].TransactionID == nil || *d.Errors[0].TransactionID != s.ID {
		t.Fatalf("rule errors: %+v %v", d.Errors, err)
	}
}

// A customer's limits from activation apply as rules.
func TestCustomerLimitsApplyAsRules(t *testing.T) {
	f := newFixture(t)
	c := f.customer("MEDIUM", "GB")
	f.limits(c, "1000", "500", "EUR")
	now := time.Now().Add(-time.Minute)
	if s := f.screen(tx{customer: c, at: now, amount: "9000", direction: "IN"}); s.Decision != Allow {
		t.Fatalf("money in: %s %+v", s.Decision, s.Hits)
	}
	s := f.screen(tx{customer: c, at: now.Add(-time.Second), amount: "600"})
	if s.Decision != Review || hitOf(s, LimitApprovalKey) == nil || hitOf(s, LimitDailyKey) != nil {
		t.Fatalf("600 out: %s %+v", s.Decision, s.Hits)
	}
	s = f.screen(tx{customer: c, at: now, amount: "450"})
	h := hitOf(s, LimitDailyKey)
	if s.Decision != Block || h == nil || h.Values["spentToday"] != "1050" || h.Values["dailyLimit"] != "1000" {
		t.Fatalf("450 more: %s %+v", s.Decision, s.Hits)
	}
}

// Bad input is refused with one detail per field, never stored.
func TestBadInputIsRefusedWithDetails(t *testing.T) {
	f := newFixture(t)
	c := f.customer("LOW", "GB")
	now := time.Now()
	tests := []struct {
		name  string
		in    tx
		field string
		says  string
	}{
		{"unknown currency", tx{customer: c, at: now, amount: "10", currency: "XYZ"}, "currency", "unknown currency"},
		{"negative amount", tx{customer: c, at: now, amount: "-10"}, "amount", "negative"},
		{"zero amount", tx{customer: c, at: now, amount: "0"}, "amount", "more than zero"},
		{"not a number", tx{customer: c, at: now, amount: "ten"}, "amount", "decimal number"},
		{"far in the future", tx{customer: c, at: now.Add(48 * time.Hour), amount: "10"}, "timestamp", "future"},
		{"unknown customer", tx{customer: uuid.New(), at: now, amount: "10"}, "customerId", "no such customer"},
		{"bad direction", tx{customer: c, at: now, amount: "10", direction: "UP"}, "direction", "IN or OUT"},
		{"bad counterparty country", tx{customer: c, at: now, amount: "10", cp: &Counterparty{Name: "X", Country: "XX"}}, "counterparty.country", "unknown country"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.try(tc.in)
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != tc.field || !strings.Contains(e.Fields[0].Issue, tc.says) {
				t.Fatalf("err = %v (%+v); want one detail %s ~ %q", err, e, tc.field, tc.says)
			}
		})
	}
	var n int
	_ = dbtest.OwnerPool(t).QueryRow(context.Background(), "SELECT count(*) FROM aml_transactions WHERE tenant_id = $1", f.tenant).Scan(&n)
	if n != 0 {
		t.Errorf("%d transactions stored", n)
	}
}

// The same transactionId again gets the first decision; with other
// details, a conflict.
func TestATransactionIsScreenedOnce(t *testing.T) {
	f := newFixture(t)
	f.rule(Definition{Expression: "tx.amount >= 100", Outcome: Review, Score: 30})
	c := f.customer("LOW", "GB")
	in := ScreenInput{CustomerID: c.String(), TransactionID: "once-1", Type: "TRANSFER", Direction: "OUT", Amount: "150.00", Currency: "EUR",
		Timestamp: time.Now().UTC().Format(time.RFC3339)}
	first, err := f.s.Screen(f.maker, f.tenant, in)
	if err != nil || first.Decision != Review || first.AlertID == nil {
		t.Fatalf("first: %+v %v", first, err)
	}
	again, err := f.s.Screen(f.maker, f.tenant, in)
	if err != nil || !again.Replayed || again.Decision != Review || *again.AlertID != *first.AlertID || len(again.Hits) != 1 {
		t.Fatalf("again: %+v %v", again, err)
	}
	in.Amount = "151.00"
	if _, err := f.s.Screen(f.maker, f.tenant, in); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("other details: %v", err)
	}

	// The same for a transaction allowed, whose row travels with the
	// COMMIT.
	in.TransactionID, in.Amount = "once-2", "50.00"
	first, err = f.s.Screen(f.maker, f.tenant, in)
	if err != nil || first.Decision != Allow || first.Replayed {
		t.Fatalf("first: %+v %v", first, err)
	}
	again, err = f.s.Screen(f.maker, f.tenant, in)
	if err != nil || !again.Replayed || again.Decision != Allow || again.ID != first.ID {
		t.Fatalf("again: %+v %v", again, err)
	}
	in.Amount = "51.00"
	if _, err := f.s.Screen(f.maker, f.tenant, in); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("other details: %v", err)
	}
}

// A rule sees the customer's categorisation's transactionMonitoring as
// customer.transaction_monitoring.
func TestRulesSeeTheTransactionMonitoringOfTheCategorisation(t *testing.T) {
	f := newFixture(t)
	rule := f.rule(expr(`customer.transaction_monitoring == "REAL_TIME" && tx.amount > 500`))
	realTime, batch, none := f.customer("LOW", "GB"), f.customer("LOW", "GB"), f.customer("LOW", "GB")
	categorise := func(id uuid.UUID, value string) {
		cat := fmt.Sprintf(`{"id": %q, "name": "C", "isActive": true, "categoryFeatureRelations": [
			{"feature": {"id": %q, "code": "ENHANCED_AML_MONITORING"}, "enabled": true,
			 "parametrization": [{"name": "riskLevel", "value": "LOW"}, {"name": "transactionMonitoring", "value": %q}]}]}`, uuid.New(), uuid.New(), value)
		if _, err := dbtest.OwnerPool(t).Exec(t.Context(), "UPDATE customers SET categorization = $2 WHERE id = $1", id, cat); err != nil {
			t.Fatal(err)
		}
	}
	categorise(realTime, "REAL_TIME")
	categorise(batch, "BATCH_DAILY")
	now := time.Now().Add(-time.Minute)
	for _, c := range []struct {
		who  uuid.UUID
		want bool
	}{{realTime, true}, {batch, false}, {none, false}} {
		got := f.screen(tx{customer: c.who, at: now, amount: "600"})
		if fired(got, rule) != c.want {
			t.Errorf("customer %s: fired %v; want %v (%+v)", c.who, fired(got, rule), c.want, got.Hits)
		}
	}
}

// A burst is what a structuring script sends: transfers of one instant,
// or stamped backwards, must count towards a velocity rule as a spread of
// them does, each against every transfer screened before it.
func TestBurstsTriggerVelocityRulesAsSpreadsDo(t *testing.T) {
	f := newFixture(t)
	rule := f.rule(Definition{Name: "Many large transfers in a day", Outcome: Review, Score: 70,
		Expression: `count_over(duration("24h"), {"direction": "OUT", "currency": "EUR", "at_least": 1000}) > 5`})
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	for _, tc := range []struct {
		name string
		at   func(i int) time.Time
	}{
		{"a minute apart", func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) }},
		{"the same second", func(int) time.Time { return base }},
		{"the same microsecond", func(int) time.Time { return base.Add(123456 * time.Microsecond) }},
		{"arriving newest first", func(i int) time.Time { return base.Add(-time.Duration(i) * time.Second) }},
		{"arriving out of order", func(i int) time.Time { return base.Add(time.Duration([]int{3, 0, 7, 1, 6, 2, 5, 4}[i]) * time.Second) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := f.customer("LOW", "DE")
			var got []bool
			for i := range 8 {
				got = append(got, fired(f.screen(tx{customer: c, at: tc.at(i), amount: "1234.00"}), rule))
			}
			want := []bool{false, false, false, false, false, true, true, true}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("fired %v; want %v (the sixth and later)", got, want)
			}
		})
	}
	// Transfers of another customer, or a day apart, still do not count.
	c := f.customer("LOW", "DE")
	for i := range 8 {
		at := base.Add(-time.Duration(i) * 25 * time.Hour)
		if fired(f.screen(tx{customer: c, at: at, amount: "1234.00"}), rule) {
			t.Fatalf("transfer %d, a day and more from the others, fired", i)
		}
	}
}
