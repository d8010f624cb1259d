package compliance

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
)

// Service answers what applies to a tenant's customers and keeps their
// custom compliance fields.
type Service struct {
	pool    *pgxpool.Pool
	crypt   *fieldcrypt.Keys
	catalog *Catalog
	now     func() time.Time
}

// NewService returns the service over the packs of catalog.
func NewService(pool *pgxpool.Pool, crypt *fieldcrypt.Keys, catalog *Catalog, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{pool: pool, crypt: crypt, catalog: catalog, now: now}
}

// Catalog is the packs there are.
func (s *Service) Catalog() *Catalog { return s.catalog }

func enablementOf(r db.CompliancePack) (Enablement, error) {
	e := Enablement{PackID: r.PackID, Version: r.PackVersion, Countries: r.Countries}
	if err := json.Unmarshal(r.Overrides, &e.Overrides); err != nil {
		return e, fmt.Errorf("compliance: pack %s: overrides: %w", r.PackID, err)
	}
	return e, nil
}

func enablements(ctx context.Context, q *db.Queries, tenant uuid.UUID) ([]Enablement, error) {
	rows, err := q.CompliancePacks(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]Enablement, 0, len(rows))
	for _, r := range rows {
		e, err := enablementOf(r)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Enabled lists the packs the tenant enabled.
func (s *Service) Enabled(ctx context.Context, tenant uuid.UUID) ([]Enablement, error) {
	var out []Enablement
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		out, err = enablements(ctx, q, tenant)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("compliance: enabled packs: %w", err)
	}
	return out, nil
}

// Policy is the effective policy for a customer of tenant living in
// country (ISO 3166 alpha-2) at risk level (LOW, MEDIUM, HIGH): the pack
// the tenant enabled for the country with its overrides, else ciam's
// defaults (DefaultPolicy). Policy.Retention holds the retention periods
// in days per record kind ("cdd_records", "documents", "transactions"),
// Policy.RescreenDays the re-screening interval, Policy.Fields and
// Policy.Required the custom fields, Policy.EDD the EDD triggers, and
// Policy.Pack the pack in force (id, version, overrides hash). Bad
// arguments are a validation error naming "country" or "riskLevel".
func (s *Service) Policy(ctx context.Context, tenant uuid.UUID, country, risk string) (Policy, error) {
	country, risk = strings.ToUpper(strings.TrimSpace(country)), strings.ToUpper(strings.TrimSpace(risk))
	var fe apperr.Fields
	if !validCountry(country) {
		fe.Add("country", "must be an ISO 3166 alpha-2 country code such as BR or DE")
	}
	if !slices.Contains(RiskLevels, risk) {
		fe.Add("riskLevel", "must be LOW, MEDIUM or HIGH")
	}
	if err := fe.Err(); err != nil {
		return Policy{}, err
	}
	var out Policy
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		out, err = s.policyIn(ctx, q, tenant, country, risk)
		return err
	})
	if err != nil {
		return Policy{}, fmt.Errorf("compliance: policy: %w", err)
	}
	return out, nil
}

// policyIn is Policy inside q's transaction, for valid arguments.
func (s *Service) policyIn(ctx context.Context, q *db.Queries, tenant uuid.UUID, country, risk string) (Policy, error) {
	all, err := enablements(ctx, q, tenant)
	if err != nil {
		return Policy{}, err
	}
	for _, e := range all {
		if !slices.Contains(e.Countries, country) {
			continue
		}
		p, ok := s.catalog.Get(e.PackID)
		if !ok {
			// A pack file removed from the repository leaves its
			// enablement without effect; the portal shows it.
			continue
		}
		pol := policyOf(p, e.Overrides, country, risk)
		// The version recorded is the one the enablement was approved
		// against when the file has moved on since.
		pol.Pack.Version = e.Version
		return pol, nil
	}
	return DefaultPolicy(country, risk), nil
}

// residence is the country whose pack applies to a customer: where they
// live, else their nationality.
func residence(addressCountry, nationality string) string {
	if addressCountry != "" {
		return addressCountry
	}
	return nationality
}

// RetentionIn is the policy of the pack tenant enabled for customers
// living in country, read inside q's transaction, for the retention job:
// its Retention and RetentionRules (the periods do not depend on the risk
// level). ok is false where no pack is enabled for the country or the
// country is no ISO 3166 code: the tenant's own retention settings apply.
func (s *Service) RetentionIn(ctx context.Context, q *db.Queries, tenant uuid.UUID, country string) (pol Policy, ok bool, err error) {
	country = strings.ToUpper(strings.TrimSpace(country))
	if !validCountry(country) {
		return Policy{}, false, nil
	}
	pol, err = s.policyIn(ctx, q, tenant, country, "LOW")
	if err != nil {
		return Policy{}, false, err
	}
	return pol, pol.Pack.ID != "", nil
}

// InForce is the pack in force for customer cust (at risk level risk)
// inside q's transaction, as recorded with a KYC decision, and whether
// its EDD triggers apply to the customer (pep: they are a declared or
// matched politically exposed person).
func (s *Service) InForce(ctx context.Context, q *db.Queries, tenant, cust uuid.UUID, risk string, pep bool) (PackRef, bool, error) {
	c, err := q.CustomerByID(ctx, db.CustomerByIDParams{TenantID: tenant, ID: cust})
	if err != nil {
		return PackRef{}, false, err
	}
	var addr struct {
		Country string `json:"country"`
	}
	_ = json.Unmarshal(c.Address, &addr)
	country := residence(strings.ToUpper(addr.Country), c.Nationality)
	if !validCountry(country) || !slices.Contains(RiskLevels, risk) {
		return PackRef{}, false, nil
	}
	pol, err := s.policyIn(ctx, q, tenant, country, risk)
	if err != nil {
		return PackRef{}, false, err
	}
	return pol.Pack, pol.Pack.ID != "" && pol.NeedsEDD(c.Nationality, country, pep), nil
}

// KindPackSet is the change request kind of enabling, changing or
// disabling a regulatory pack: a four-eyes change.
const KindPackSet = "compliance.pack.set"

// PackTarget is the target type of KindPackSet; the target is the pack id.
const PackTarget = "compliance_pack"

// PackApplier applies KindPackSet change requests.
type PackApplier struct{ S *Service }

// packState is a pack's enablement as the approval page shows it: the
// effective values, so that the diff reads as the pack page does.
type packState struct {
	Pack           string              `json:"pack"`
	Enabled        bool                `json:"enabled"`
	Countries      []string            `json:"countries"`
	RetentionDays  map[string]int      `json:"retentionDays,omitempty"`
	RescreenDays   map[string]int      `json:"rescreenDays,omitempty"`
	RequiredFields map[string][]string `json:"requiredFields,omitempty"`
	TenantFields   []string            `json:"tenantFields,omitempty"`
}

func stateOf(p Pack, e *Enablement) packState {
	st := packState{Pack: p.Name + " (" + p.ID + " " + p.Version + ")", Countries: []string{}}
	if e == nil {
		return st
	}
	st.Enabled, st.Countries = true, e.Countries
	st.Pack = p.Name + " (" + p.ID + " " + e.Version + ")"
	pol := policyOf(p, e.Overrides, "", "LOW")
	st.RetentionDays = pol.Retention
	st.RescreenDays = map[string]int{}
	for _, r := range RiskLevels {
		st.RescreenDays[r] = policyOf(p, e.Overrides, "", r).RescreenDays
	}
	st.RequiredFields = map[string][]string{}
	for _, f := range append(slices.Clone(p.Fields), e.Overrides.Fields...) {
		req := f.RequiredAt
		if r, ok := e.Overrides.Required[f.Name]; ok {
			req = r
		}
		if len(req) == 0 {
			req = []string{"optional"}
		}
		st.RequiredFields[f.Name] = req
	}
	for _, f := range e.Overrides.Fields {
		st.TenantFields = append(st.TenantFields, fmt.Sprintf("%s: %s (%s, %s)", f.Name, f.Label, f.Format, strings.Join(f.Countries, " ")))
	}
	return st
}

func (a PackApplier) load(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (Pack, *Enablement, []Enablement, error) {
	p, ok := a.S.catalog.Get(target)
	if !ok {
		return Pack{}, nil, nil, apperr.New(apperr.NotFound, "no such regulatory pack")
	}
	all, err := enablements(ctx, q, tenant)
	if err != nil {
		return p, nil, nil, err
	}
	for i := range all {
		if all[i].PackID == target {
			return p, &all[i], all, nil
		}
	}
	return p, nil, all, nil
}

// Current is the pack's enablement now.
func (a PackApplier) Current(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (json.RawMessage, error) {
	p, e, _, err := a.load(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	return json.Marshal(stateOf(p, e))
}

func (a PackApplier) check(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (Pack, PackChange, *Enablement, error) {
	var c PackChange
	if err := json.Unmarshal(payload, &c); err != nil {
		return Pack{}, c, nil, apperr.New(apperr.Invalid, "the change is not readable")
	}
	p, e, all, err := a.load(ctx, q, tenant, target)
	if err != nil {
		return p, c, nil, err
	}
	if c.Disable && e == nil {
		return p, c, nil, apperr.New(apperr.Conflict, "the pack %s is not enabled", p.Name)
	}
	if err := checkChange(p, &c, all); err != nil {
		return p, c, nil, err
	}
	return p, c, e, nil
}

// Check validates the change and says what the enablement becomes.
func (a PackApplier) Check(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	p, c, _, err := a.check(ctx, q, tenant, target, payload)
	if err != nil {
		return nil, err
	}
	if c.Disable {
		return json.Marshal(stateOf(p, nil))
	}
	return json.Marshal(stateOf(p, &Enablement{PackID: p.ID, Version: p.Version, Countries: c.Countries, Overrides: c.Overrides}))
}

// Apply enables, changes or disables the pack, audited as the approving
// employee, with a config.changed event.
func (a PackApplier) Apply(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	p, c, e, err := a.check(ctx, q, tenant, target, payload)
	if err != nil {
		return nil, err
	}
	before := stateOf(p, e)
	var after packState
	if c.Disable {
		if _, err := q.DeleteCompliancePack(ctx, db.DeleteCompliancePackParams{TenantID: tenant, PackID: p.ID}); err != nil {
			return nil, err
		}
		after = stateOf(p, nil)
	} else {
		overrides, err := json.Marshal(c.Overrides)
		if err != nil {
			return nil, err
		}
		if _, err := q.UpsertCompliancePack(ctx, db.UpsertCompliancePackParams{TenantID: tenant, PackID: p.ID, PackVersion: p.Version,
			Countries: c.Countries, Overrides: overrides, OverridesHash: c.Overrides.Hash(), UpdatedBy: actor.From(ctx).Name}); err != nil {
			return nil, err
		}
		after = stateOf(p, &Enablement{PackID: p.ID, Version: p.Version, Countries: c.Countries, Overrides: c.Overrides})
	}
	ref := PackRef{ID: p.ID, Version: p.Version, OverridesHash: c.Overrides.Hash()}
	if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: KindPackSet, EntityType: PackTarget, EntityID: p.ID,
		Before: before, After: map[string]any{"state": after, "pack": ref, "overrides": c.Overrides}}); err != nil {
		return nil, err
	}
	if _, err := event.Write(ctx, q, event.Event{TenantID: tenant, Type: "config.changed", EntityType: PackTarget, EntityID: p.ID,
		Payload: map[string]any{"change": KindPackSet, "pack": ref, "countries": c.Countries, "enabled": !c.Disable}}); err != nil {
		return nil, err
	}
	return json.Marshal(after)
}

// RescreenDays is the tenant's re-screening interval in days by country
// and risk level under the packs it enabled, for the periodic monitoring:
// nil when it enabled none; ok is false for a country no pack covers.
func (s *Service) RescreenDays(ctx context.Context, tenant uuid.UUID) (func(country, risk string) (int, bool), error) {
	all, err := s.Enabled(ctx, tenant)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	cache := map[string]int{}
	return func(country, risk string) (int, bool) {
		key := country + "/" + risk
		if d, ok := cache[key]; ok {
			return d, d > 0
		}
		d := 0
		for _, e := range all {
			if p, ok := s.catalog.Get(e.PackID); ok && slices.Contains(e.Countries, country) && slices.Contains(RiskLevels, risk) {
				d = policyOf(p, e.Overrides, country, risk).RescreenDays
				break
			}
		}
		cache[key] = d
		return d, d > 0
	}, nil
}
