package aml

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/approval"
	"github.com/ciamhq/ciam/internal/metrics"
)

// JobInserter queues a job inside a transaction (the River client).
type JobInserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Service runs AML monitoring for every tenant.
type Service struct {
	pool      *pgxpool.Pool
	now       func() time.Time
	compiler  *Compiler
	approvals *approval.Service

	// Screener screens counterparties against sanctions lists; without
	// one, sanctions conditions say "not checked" and never match.
	Screener CounterpartyScreener
	// Jobs queues shadow runs; without it they run at once, in the
	// request that starts them.
	Jobs JobInserter
	// Metrics counts the decisions; nil counts nothing.
	Metrics *metrics.Metrics

	mu   sync.Mutex
	sets map[uuid.UUID]*RuleSet
	// windows are the recent histories of the customers this server
	// screens.
	windows *windows
}

// NewService returns the service on pool; proposals of rule changes go
// through approvals, which it teaches this package's kinds of change.
func NewService(pool *pgxpool.Pool, approvals *approval.Service, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	c, err := NewCompiler()
	if err != nil {
		panic(err) // the condition language is fixed at build time
	}
	s := &Service{pool: pool, now: now, compiler: c, approvals: approvals, sets: map[uuid.UUID]*RuleSet{}, windows: newWindows(windowRows)}
	for _, kind := range []string{KindPublish, KindRollback, KindDeactivate} {
		approvals.Register(kind, TargetType, RuleApplier{kind: kind, s: s})
	}
	return s
}

// CheckExpression compiles a condition and returns its problems with
// their positions, for the editor.
func (s *Service) CheckExpression(expr string) Issues { return s.compiler.Check(expr) }

// definitionOf reads a stored version.
func definitionOf(v db.AmlRuleVersion) Definition {
	d := Definition{Name: v.Name, Description: v.Description, Expression: v.Expression, Outcome: Outcome(v.Outcome), Score: int(v.Score)}
	_ = json.Unmarshal(v.Scope, &d.Scope)
	if len(v.Form) > 0 && string(v.Form) != "null" {
		var f Form
		if json.Unmarshal(v.Form, &f) == nil && f.Kind != "" {
			d.Form = &f
		}
	}
	return d
}

// ruleSet is the tenant's rule set at revision, compiled once per
// revision and shared; q reads it when the cached one is stale.
func (s *Service) ruleSet(ctx context.Context, q *db.Queries, tenant uuid.UUID, revision int64) (*RuleSet, error) {
	s.mu.Lock()
	rs := s.sets[tenant]
	s.mu.Unlock()
	if rs != nil && rs.Revision == revision {
		return rs, nil
	}
	rows, err := q.AMLActiveRules(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var rules []ActiveRule
	for _, v := range rows {
		rules = append(rules, ActiveRule{ID: v.RuleID, Version: int(v.Version), Def: definitionOf(v)})
	}
	rates, lists, err := s.ratesAndLists(ctx, q, tenant)
	if err != nil {
		return nil, err
	}
	rs = s.compiler.NewRuleSet(revision, rules, rates, lists)
	rs.withLimits = true
	s.mu.Lock()
	if cur := s.sets[tenant]; cur == nil || cur.Revision <= revision {
		s.sets[tenant] = rs
	}
	s.mu.Unlock()
	return rs, nil
}

func (s *Service) ratesAndLists(ctx context.Context, q *db.Queries, tenant uuid.UUID) (Rates, Lists, error) {
	rateRows, err := q.AMLRates(ctx, tenant)
	if err != nil {
		return Rates{}, Lists{}, err
	}
	own := map[string]decimal.Decimal{}
	for _, r := range rateRows {
		own[r.Currency] = r.EurPerUnit
	}
	names, err := q.AMLListNames(ctx, tenant)
	if err != nil {
		return Rates{}, Lists{}, err
	}
	entryRows, err := q.AMLAllListEntries(ctx, tenant)
	if err != nil {
		return Rates{}, Lists{}, err
	}
	var entries []ListEntry
	for _, e := range entryRows {
		entries = append(entries, ListEntry{List: e.ListName, Kind: e.Kind, Value: e.Value})
	}
	return newRates(own), NewLists(names, entries), nil
}

// bump records that what screening does changed, so that every server
// reloads its rules.
func bump(ctx context.Context, q *db.Queries, tenant uuid.UUID) error {
	_, err := q.AMLBumpRevision(ctx, tenant)
	return err
}

// querySource answers a screening's questions from the database, inside
// its transaction.
type querySource struct {
	q      *db.Queries
	tenant uuid.UUID
}

func pastOf(at time.Time, direction, typ, channel, currency string, units int64, refUnits *int64, key, country string) Past {
	p := Past{At: at, Direction: direction, Type: typ, Channel: channel, Currency: currency, Units: units, CPKey: key, CPCountry: country}
	if refUnits != nil {
		p.RefUnits, p.HasRef = *refUnits, true
	}
	return p
}

// CounterpartyWindow implements Source.
func (s querySource) CounterpartyWindow(ctx context.Context, key string, since, until time.Time) ([]Past, error) {
	rows, err := s.q.AMLCounterpartyWindow(ctx, db.AMLCounterpartyWindowParams{TenantID: s.tenant, CounterpartyKey: key, Since: since, Until: until})
	if err != nil {
		return nil, err
	}
	out := make([]Past, len(rows))
	for i, r := range rows {
		out[i] = pastOf(r.OccurredAt, r.Direction, r.Type, r.Channel, r.Currency, r.AmountUnits, r.AmountRefUnits, "", r.CounterpartyCountry)
	}
	return out, nil
}

// LastBefore implements Source.
func (s querySource) LastBefore(ctx context.Context, customer uuid.UUID, t time.Time) (time.Time, bool, error) {
	at, err := s.q.AMLLastBefore(ctx, db.AMLLastBeforeParams{TenantID: s.tenant, CustomerID: customer, Before: t})
	if db.IsNotFound(err) {
		return time.Time{}, false, nil
	}
	return at, err == nil, err
}

// CounterpartySeen implements Source.
func (s querySource) CounterpartySeen(ctx context.Context, customer uuid.UUID, key string, t time.Time) (bool, error) {
	return s.q.AMLCounterpartySeen(ctx, db.AMLCounterpartySeenParams{TenantID: s.tenant, CustomerID: customer, CounterpartyKey: key, Before: t})
}

// poolSource answers a shadow run's questions, each in a transaction of
// its own.
type poolSource struct {
	s      *Service
	tenant uuid.UUID
}

func (p poolSource) in(ctx context.Context, fn func(src querySource) error) error {
	return db.InTenantTx(ctx, p.s.pool, p.tenant, func(q *db.Queries) error { return fn(querySource{q: q, tenant: p.tenant}) })
}

// CounterpartyWindow implements Source.
func (p poolSource) CounterpartyWindow(ctx context.Context, key string, since, until time.Time) (out []Past, err error) {
	err = p.in(ctx, func(src querySource) error {
		out, err = src.CounterpartyWindow(ctx, key, since, until)
		return err
	})
	return out, err
}

// LastBefore implements Source.
func (p poolSource) LastBefore(ctx context.Context, customer uuid.UUID, t time.Time) (at time.Time, found bool, err error) {
	err = p.in(ctx, func(src querySource) error {
		at, found, err = src.LastBefore(ctx, customer, t)
		return err
	})
	return at, found, err
}

// CounterpartySeen implements Source.
func (p poolSource) CounterpartySeen(ctx context.Context, customer uuid.UUID, key string, t time.Time) (seen bool, err error) {
	err = p.in(ctx, func(src querySource) error {
		seen, err = src.CounterpartySeen(ctx, customer, key, t)
		return err
	})
	return seen, err
}

// customerOf is the customer as rules see them.
func customerOf(row db.AMLScreenSubjectRow) Customer {
	c := Customer{ID: row.ID, RiskLevel: row.RiskLevel, Country: row.Country, Nationality: row.Nationality, Status: row.Status,
		TransactionMonitoring: row.TransactionMonitoring}
	if row.DailyLimit.Valid {
		d := row.DailyLimit.Decimal
		c.Limits.Daily = &d
	}
	if row.RequiresApprovalAbove.Valid {
		d := row.RequiresApprovalAbove.Decimal
		c.Limits.ApprovalAbove = &d
	}
	if row.WalletCurrency != nil {
		c.Limits.Currency = *row.WalletCurrency
	}
	c.Location = time.UTC
	if loc, err := time.LoadLocation(row.TimeZone); err == nil {
		c.Location = loc
	}
	return c
}

// windowSince is where a customer's window starts: the longest window of
// the rules, or the start of the local day when a daily limit applies.
func windowSince(rs *RuleSet, c Customer, at time.Time) time.Time {
	since := at.Add(-rs.window)
	if rs.withLimits && c.Limits.Daily != nil {
		local := at.In(c.Location)
		day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, c.Location)
		if day.Before(since) {
			since = day
		}
	}
	return since
}

// windowUntil is where the history a screening at reads ends: its
// longest window after it (aggregates look both ways, see aggregate), at
// least to the end of its day (the daily limit; 25 hours on a change of
// clock), inclusive.
func windowUntil(rs *RuleSet, at time.Time) time.Time {
	return at.Add(max(rs.window, 26*time.Hour) + time.Microsecond)
}

func errf(format string, args ...any) error { return fmt.Errorf("aml: "+format, args...) }
