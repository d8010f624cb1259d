package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/approval"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/staff"
)

// demoRules are the demo tenant's AML rules: one of each common kind.
var demoRules = []aml.Definition{
	{Name: "Large transfer", Description: "A single transaction of 10,000 EUR or more.",
		Expression: `amount_in("EUR") >= 10000`, Outcome: aml.Review, Score: 60},
	{Name: "Many large transfers in a day", Description: "More than 5 outgoing transfers above 1,000 EUR in 24 hours.",
		Expression: `count_over(duration("24h"), {"direction": "OUT", "currency": "EUR", "at_least": 1000}) > 5`, Outcome: aml.Review, Score: 70},
	{Name: "Structuring just under 10,000 EUR", Description: "Amounts just under the reporting threshold, repeated within three days.",
		Expression: `amount_in("EUR") >= 9000 && amount_in("EUR") < 10000 && count_over(duration("72h"), {"currency": "EUR", "at_least": 9000, "below": 10000}) >= 2`,
		Outcome:    aml.Review, Score: 70},
	{Name: "New counterparty in a high-risk country", Description: "The first payment to a counterparty in a country under sanctions.",
		Expression: `new_counterparty() && counterparty.country in ["IR", "KP", "MM", "SY"]`, Outcome: aml.Block, Score: 90},
	{Name: "Round amount", Description: "A round amount of 5,000 or more.",
		Expression: `tx.amount >= 5000 && is_multiple_of(tx.amount, 1000)`, Outcome: aml.Warn, Score: 20},
}

// demoPayment is one screened transaction of the demo: customer (an index
// into the demo customers), how long ago, and what.
type demoPayment struct {
	customer  int
	ago       time.Duration
	direction string
	amount    string
	payee     string
	country   string
}

func demoPayments() []demoPayment {
	var out []demoPayment
	// Everyday payments of two customers over the last two weeks.
	for i := range 14 {
		out = append(out,
			demoPayment{0, time.Duration(14-i) * 24 * time.Hour, "OUT", fmt.Sprintf("%d.%02d", 20+i*37%400, i*13%100), "Corner Grocer", "GB"},
			demoPayment{1, time.Duration(14-i)*24*time.Hour + 3*time.Hour, "OUT", fmt.Sprintf("%d.50", 60+i*53%700), "City Transport", "DE"})
	}
	out = append(out, demoPayment{1, 10 * 24 * time.Hour, "IN", "3200.00", "Employer Payroll", "DE"})
	// Six large transfers in a day: the sixth goes to review.
	for i := range 6 {
		out = append(out, demoPayment{2, time.Duration(20-3*i) * time.Hour, "OUT", fmt.Sprintf("%d.00", 1200+i*150), "Quick Cash Ltd", "GB"})
	}
	// One large transfer, also a round amount.
	out = append(out, demoPayment{3, 30 * time.Hour, "OUT", "15000.00", "Harbour Motors", "GB"})
	// Just under the threshold, twice in two days.
	out = append(out, demoPayment{4, 50 * time.Hour, "OUT", "9500.00", "Atlas Trading", "AE"},
		demoPayment{4, 6 * time.Hour, "OUT", "9800.00", "Atlas Trading", "AE"})
	// A first payment to a counterparty in a sanctioned country: blocked.
	out = append(out, demoPayment{5, 2 * time.Hour, "OUT", "750.00", "Persian Carpets Co", "IR"})
	// A round amount alone: a warning, no alert.
	out = append(out, demoPayment{6, 4 * 24 * time.Hour, "OUT", "6000.00", "Lakeside Builders", "GB"})
	return out
}

// SeedAML gives the demo tenant AML rules, each run in shadow and published
// under four-eyes by two demo employees (the senior reviewer proposes, the
// tenant admin approves),
// and a fortnight of screened transactions that raise a few alerts, if the
// tenant has no rule of its own yet. lists screens the counterparties.
func SeedAML(ctx context.Context, pool *pgxpool.Pool, d Data, lists aml.CounterpartyScreener, employees *staff.Service, customers *customer.Service) (int, error) {
	approvals := approval.NewService(pool)
	monitoring := aml.NewService(pool, approvals, time.Now)
	monitoring.Screener = lists
	tenant := d.Tenant.ID
	loc, err := time.LoadLocation(d.Tenant.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	ov, err := monitoring.Overview(ctx, tenant, loc, time.Now())
	if err != nil {
		return 0, fmt.Errorf("demo: aml: %w", err)
	}
	for _, r := range ov.Rules {
		if !r.BuiltIn {
			return 0, nil
		}
	}

	staffList, err := employees.List(ctx, tenant)
	if err != nil {
		return 0, fmt.Errorf("demo: aml: %w", err)
	}
	as := func(role string) (context.Context, error) {
		for _, p := range d.Employees {
			if p.Role != role {
				continue
			}
			for _, e := range staffList {
				if strings.EqualFold(e.Email, p.Email) {
					// The audit trail says the seed acted in their name.
					return actor.With(ctx, actor.Actor{Kind: actor.Employee, ID: e.ID.String(), Name: e.Name + " (demo seed)", TenantID: tenant}), nil
				}
			}
		}
		return nil, fmt.Errorf("demo: aml: no demo employee with role %s", role)
	}
	maker, err := as(string(staff.SeniorReviewer))
	if err != nil {
		return 0, err
	}
	checker, err := as(string(staff.TenantAdmin))
	if err != nil {
		return 0, err
	}
	for _, def := range demoRules {
		v, err := monitoring.CreateRule(maker, tenant, def)
		if err != nil {
			return 0, fmt.Errorf("demo: rule %q: %w", def.Name, err)
		}
		// The lifecycle of every rule: a shadow run first (here at once,
		// without a job queue), then publication under four-eyes.
		if _, err := monitoring.StartShadowRun(maker, tenant, v.RuleID, v.Version, 30); err != nil {
			return 0, fmt.Errorf("demo: shadow run %q: %w", def.Name, err)
		}
		req, err := monitoring.ProposePublish(maker, tenant, v.RuleID, v.Version, "Demo rule")
		if err != nil {
			return 0, fmt.Errorf("demo: propose %q: %w", def.Name, err)
		}
		if _, err := approvals.Decide(checker, tenant, req.ID, approval.Approve, "Reviewed for the demo"); err != nil {
			return 0, fmt.Errorf("demo: approve %q: %w", def.Name, err)
		}
	}

	page, err := customers.Search(ctx, tenant, customer.SearchFilter{Sort: customer.SortName, Limit: len(demoCustomers)})
	if err != nil {
		return 0, fmt.Errorf("demo: aml: %w", err)
	}
	var ids []uuid.UUID
	for _, c := range page.Customers {
		if c.Status == customer.StatusPendingVerification {
			ids = append(ids, c.ID)
		}
	}
	channel := actor.With(ctx, actor.Actor{Kind: actor.System, Name: "demo seed", TenantID: tenant})
	now := time.Now().UTC()
	n := 0
	for i, p := range demoPayments() {
		if p.customer >= len(ids) {
			continue
		}
		in := aml.ScreenInput{CustomerID: ids[p.customer].String(), TransactionID: fmt.Sprintf("demo-%03d", i), Type: "TRANSFER",
			Direction: p.direction, Amount: p.amount, Currency: "EUR", Channel: "MOBILE", Timestamp: now.Add(-p.ago).Format(time.RFC3339),
			Counterparty: &aml.Counterparty{Name: p.payee, Country: p.country, Account: fmt.Sprintf("%s%018d", p.country, len(p.payee)*7919)}}
		if _, err := monitoring.Screen(channel, tenant, in); err != nil {
			return n, fmt.Errorf("demo: screen %s: %w", in.TransactionID, err)
		}
		n++
	}
	return n, nil
}
