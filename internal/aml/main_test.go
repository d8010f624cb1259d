package aml

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/approval"
	"github.com/ciamhq/ciam/internal/tenant"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// fixture is a tenant of its own with the AML service on a real database.
type fixture struct {
	t         testing.TB
	s         *Service
	approvals *approval.Service
	pool      *pgxpool.Pool
	tenant    uuid.UUID
	maker     context.Context
	checker   context.Context
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	pool := dbtest.Pool(t)
	sys := actor.With(context.Background(), actor.Actor{Kind: actor.System, Name: "test"})
	tn, err := tenant.NewService(pool).Create(sys, tenant.CreateParams{Slug: "aml-" + uuid.NewString()[:8], Name: "AML Test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	approvals := approval.NewService(pool)
	s := NewService(pool, approvals, nil)
	f := &fixture{t: t, s: s, approvals: approvals, pool: pool, tenant: tn.ID}
	f.maker = actor.With(context.Background(), actor.Actor{Kind: actor.Employee, ID: uuid.NewString(), Name: "Maker", TenantID: tn.ID})
	f.checker = actor.With(context.Background(), actor.Actor{Kind: actor.Employee, ID: uuid.NewString(), Name: "Checker", TenantID: tn.ID})
	return f
}

// customer adds a customer of the fixture's tenant, as the owner would.
func (f *fixture) customer(risk, country string) uuid.UUID {
	f.t.Helper()
	id := uuid.New()
	addr, _ := json.Marshal(map[string]string{"country": country, "city": "Somewhere"})
	_, err := dbtest.OwnerPool(f.t).Exec(context.Background(), `
		INSERT INTO customers (id, tenant_id, email, first_name, last_name, date_of_birth, nationality, address, status, permission, risk_level)
		VALUES ($1, $2, $3, 'Test', 'Customer', '1990-01-01', $4, $5, 'ACTIVE', 'SEND-AND-RECEIVE', $6)`,
		id, f.tenant, id.String()[:8]+"@example.com", country, addr, risk)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// limits gives the customer a wallet with limits, as activation would.
func (f *fixture) limits(customer uuid.UUID, daily, above, currency string) {
	f.t.Helper()
	_, err := dbtest.OwnerPool(f.t).Exec(context.Background(), `
		INSERT INTO wallets (id, tenant_id, customer_id, status, currency, daily_limit, requires_approval_above, limits_source, activated_at)
		VALUES ($1, $2, $3, 'ACTIVE', $4, nullif($5, '')::numeric, nullif($6, '')::numeric, 'RISK_MITIGATION', now())`,
		uuid.New(), f.tenant, customer, currency, daily, above)
	if err != nil {
		f.t.Fatal(err)
	}
}

// rule creates a rule and puts it in force the real way: a shadow run,
// a proposal by one employee and the approval of another.
func (f *fixture) rule(d Definition) uuid.UUID {
	f.t.Helper()
	if d.Name == "" {
		d.Name = "rule " + uuid.NewString()[:4]
	}
	if d.Outcome == "" {
		d.Outcome = Review
	}
	if d.Score == 0 {
		d.Score = 40
	}
	v, err := f.s.CreateRule(f.maker, f.tenant, d)
	if err != nil {
		f.t.Fatalf("create rule %q: %v", d.Expression, err)
	}
	f.publish(v.RuleID, v.Version)
	return v.RuleID
}

func (f *fixture) publish(rule uuid.UUID, version int) {
	f.t.Helper()
	if _, err := f.s.StartShadowRun(f.maker, f.tenant, rule, version, 1); err != nil {
		f.t.Fatalf("shadow: %v", err)
	}
	req, err := f.s.ProposePublish(f.maker, f.tenant, rule, version, "test")
	if err != nil {
		f.t.Fatalf("propose: %v", err)
	}
	if _, err := f.approvals.Decide(f.checker, f.tenant, req.ID, approval.Approve, "looks right"); err != nil {
		f.t.Fatalf("approve: %v", err)
	}
}

// tx is a transaction to screen.
type tx struct {
	customer  uuid.UUID
	at        time.Time
	amount    string
	currency  string
	direction string
	typ       string
	cp        *Counterparty
}

func (f *fixture) screen(x tx) Screening {
	f.t.Helper()
	s, err := f.try(x)
	if err != nil {
		f.t.Fatalf("screen %+v: %v", x, err)
	}
	return s
}

var seq int

func (f *fixture) try(x tx) (Screening, error) {
	seq++
	in := ScreenInput{CustomerID: x.customer.String(), TransactionID: fmt.Sprintf("t-%d-%s", seq, uuid.NewString()[:8]),
		Type: x.typ, Direction: x.direction, Amount: x.amount, Currency: x.currency, Channel: "MOBILE",
		Timestamp: x.at.UTC().Format(time.RFC3339Nano), Counterparty: x.cp}
	if in.Type == "" {
		in.Type = "TRANSFER"
	}
	if in.Direction == "" {
		in.Direction = "OUT"
	}
	if in.Currency == "" {
		in.Currency = "EUR"
	}
	ctx := actor.With(context.Background(), actor.Actor{Kind: actor.APIClient, ID: "client", Name: "API client", TenantID: f.tenant})
	return f.s.Screen(ctx, f.tenant, in)
}

// fired reports whether rule triggered in s.
func fired(s Screening, rule uuid.UUID) bool {
	for _, h := range s.Hits {
		if h.RuleID == rule {
			return true
		}
	}
	return false
}

func hitOf(s Screening, key string) *Hit {
	for i := range s.Hits {
		if s.Hits[i].RuleKey == key {
			return &s.Hits[i]
		}
	}
	return nil
}
