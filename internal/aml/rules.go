package aml

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/approval"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/calendar"
	"github.com/ciamhq/ciam/internal/customer"
)

// RiskLevels are the customer risk levels a scope can name.
var RiskLevels = []string{"LOW", "MEDIUM", "HIGH"}

// Version is one version of a rule.
type Version struct {
	RuleID  uuid.UUID
	Version int
	Definition
	Digest      string
	EditedBy    string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	PublishedAt *time.Time
}

func versionOf(v db.AmlRuleVersion) Version {
	return Version{RuleID: v.RuleID, Version: int(v.Version), Definition: definitionOf(v), Digest: v.Digest, EditedBy: v.EditedBy,
		CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, PublishedAt: v.PublishedAt}
}

func errRuleNotFound() error { return apperr.New(apperr.NotFound, "no such rule") }

// cleanList upper-cases, trims, de-duplicates and sorts a scope list,
// reporting values that fail ok under field.
func cleanList(fe *apperr.Fields, field string, in []string, ok func(string) bool, what string) []string {
	var out []string
	for _, v := range in {
		v = strings.ToUpper(strings.TrimSpace(v))
		if v == "" || slices.Contains(out, v) {
			continue
		}
		if !ok(v) {
			fe.Add(field, "%q is not %s", v, what)
			continue
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// CheckDefinition tidies a definition, generates its condition from the
// form when it was made with one, and checks everything: problems are
// named by field (name, outcome, score, scope.countries, form.<parameter>,
// expression — one detail per problem of the condition, with its
// position).
func (s *Service) CheckDefinition(d Definition) (Definition, error) {
	var fe apperr.Fields
	d.Name = strings.TrimSpace(d.Name)
	d.Description = strings.TrimSpace(d.Description)
	switch {
	case d.Name == "":
		fe.Add("name", "is required")
	case len([]rune(d.Name)) > 120:
		fe.Add("name", "must be at most 120 characters")
	}
	if len([]rune(d.Description)) > 2000 {
		fe.Add("description", "must be at most 2,000 characters")
	}
	if !d.Outcome.Valid() {
		fe.Add("outcome", "must be WARN, REVIEW or BLOCK")
	}
	if d.Score < 0 || d.Score > 100 {
		fe.Add("score", "must be from 0 to 100")
	}
	d.Scope.Countries = cleanList(&fe, "scope.countries", d.Scope.Countries, customer.ValidCountry, "an ISO 3166 alpha-2 country code")
	d.Scope.Types = cleanList(&fe, "scope.types", d.Scope.Types, codePattern.MatchString, "a transaction type (letters, digits and _)")
	d.Scope.Channels = cleanList(&fe, "scope.channels", d.Scope.Channels, codePattern.MatchString, "a channel (letters, digits and _)")
	d.Scope.RiskLevels = cleanList(&fe, "scope.riskLevels", d.Scope.RiskLevels, func(v string) bool { return slices.Contains(RiskLevels, v) }, "LOW, MEDIUM or HIGH")
	if d.Form != nil && d.Form.Kind == KindExpression {
		d.Form = nil
	}
	if d.Form != nil {
		expr, err := d.Form.Expression()
		if e, ok := apperr.As(err); ok {
			fe = append(fe, e.Fields...)
		}
		d.Expression = expr
	}
	d.Expression = strings.TrimSpace(d.Expression)
	if d.Expression != "" || !fe.Has("form.kind") {
		for _, is := range s.compiler.Check(d.Expression) {
			fe.Add("expression", "%s", is.String())
		}
	}
	return d, fe.Err()
}

// CreateRule makes a new rule whose version 1 is a draft.
func (s *Service) CreateRule(ctx context.Context, tenant uuid.UUID, d Definition) (Version, error) {
	d, err := s.CheckDefinition(d)
	if err != nil {
		return Version{}, err
	}
	who := actor.From(ctx)
	var out Version
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		id := uuid.New()
		if err := q.AMLInsertRule(ctx, db.AMLInsertRuleParams{ID: id, TenantID: tenant, CreatedBy: who.Name}); err != nil {
			return err
		}
		row, err := insertVersion(ctx, q, tenant, id, 1, d, who.Name)
		if err != nil {
			return err
		}
		out = versionOf(row)
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "aml.rule.created", EntityType: "aml_rule", EntityID: id.String(),
			ReasonCode: "DRAFT", After: versionState(out)})
	})
	if err != nil {
		return Version{}, errf("create rule: %w", err)
	}
	return out, nil
}

func insertVersion(ctx context.Context, q *db.Queries, tenant, rule uuid.UUID, n int, d Definition, by string) (db.AmlRuleVersion, error) {
	scope, _ := json.Marshal(d.Scope)
	var form []byte
	if d.Form != nil {
		form, _ = json.Marshal(d.Form)
	}
	return q.AMLInsertVersion(ctx, db.AMLInsertVersionParams{TenantID: tenant, RuleID: rule, Version: int32(n), Name: d.Name,
		Description: d.Description, Scope: scope, Form: form, Expression: d.Expression, Outcome: string(d.Outcome),
		Score: int32(d.Score), Digest: d.Digest(), EditedBy: by})
}

// versionState is a version as audit records and change requests show it.
func versionState(v Version) map[string]any {
	return map[string]any{"version": v.Version, "name": v.Name, "description": v.Description, "scope": v.Scope.Summary(),
		"condition": v.Expression, "outcome": v.Outcome, "score": v.Score}
}

// editable reports whether version v can still be edited in place: never
// published and never proposed.
func editable(ctx context.Context, q *db.Queries, tenant uuid.UUID, v db.AmlRuleVersion) (bool, error) {
	if v.PublishedAt != nil {
		return false, nil
	}
	proposed, err := q.AMLVersionProposed(ctx, db.AMLVersionProposedParams{TenantID: tenant, RuleID: v.RuleID.String(), Version: v.Version})
	return !proposed, err
}

// SaveDraft saves an edit of a rule: in place while the latest version is
// a draft nobody proposed, else as the next version. Every version that
// was ever proposed or published stays as it was.
func (s *Service) SaveDraft(ctx context.Context, tenant, rule uuid.UUID, d Definition) (Version, error) {
	d, err := s.CheckDefinition(d)
	if err != nil {
		return Version{}, err
	}
	who := actor.From(ctx)
	var out Version
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		if _, err := q.AMLRuleForUpdate(ctx, db.AMLRuleForUpdateParams{TenantID: tenant, ID: rule}); err != nil {
			return err
		}
		latest, err := q.AMLLatestVersion(ctx, db.AMLLatestVersionParams{TenantID: tenant, RuleID: rule})
		if err != nil {
			return err
		}
		before := versionOf(latest)
		if latest.Digest == d.Digest() {
			out = before
			return nil // nothing changed
		}
		inPlace, err := editable(ctx, q, tenant, latest)
		if err != nil {
			return err
		}
		var row db.AmlRuleVersion
		if inPlace {
			scope, _ := json.Marshal(d.Scope)
			var form []byte
			if d.Form != nil {
				form, _ = json.Marshal(d.Form)
			}
			row, err = q.AMLUpdateVersion(ctx, db.AMLUpdateVersionParams{TenantID: tenant, RuleID: rule, Version: latest.Version, Name: d.Name,
				Description: d.Description, Scope: scope, Form: form, Expression: d.Expression, Outcome: string(d.Outcome),
				Score: int32(d.Score), Digest: d.Digest(), EditedBy: who.Name})
		} else {
			row, err = insertVersion(ctx, q, tenant, rule, int(latest.Version)+1, d, who.Name)
		}
		if err != nil {
			return err
		}
		if err := q.AMLTouchRule(ctx, db.AMLTouchRuleParams{TenantID: tenant, ID: rule}); err != nil {
			return err
		}
		out = versionOf(row)
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "aml.rule.draft_saved", EntityType: "aml_rule", EntityID: rule.String(),
			ReasonCode: "DRAFT", Before: versionState(before), After: versionState(out)})
	})
	if db.IsNotFound(err) {
		return Version{}, errRuleNotFound()
	}
	if err != nil {
		return Version{}, errf("save draft: %w", err)
	}
	return out, nil
}

// Version statuses, as the rule page shows them.
const (
	VersionDraft    = "DRAFT"    // editable
	VersionPending  = "PENDING"  // waiting for approval
	VersionActive   = "ACTIVE"   // in force
	VersionRetired  = "RETIRED"  // was in force before
	VersionProposed = "PROPOSED" // proposed once, not published: frozen
)

// VersionInfo is a version with its status.
type VersionInfo struct {
	Version
	Status string
}

// Proposal is a change request made on a rule.
type Proposal struct {
	ID        uuid.UUID
	Kind      string
	Status    string
	Version   int
	Maker     string
	Checker   string
	CreatedAt time.Time
	DecidedAt *time.Time
}

// RuleDetail is one rule with its history.
type RuleDetail struct {
	ID            uuid.UUID
	ActiveVersion *int
	CreatedAt     time.Time
	Versions      []VersionInfo
	// Latest is the newest version; Draft is it when it can be edited in
	// place.
	Latest     Version
	Draft      *Version
	Proposals  []Proposal
	ShadowRuns []ShadowRun
	Errors     []RuleError
}

// Active is the version in force, if any.
func (d RuleDetail) Active() *Version {
	for i := range d.Versions {
		if d.Versions[i].Status == VersionActive {
			return &d.Versions[i].Version
		}
	}
	return nil
}

// Pending is the pending proposal, if any.
func (d RuleDetail) Pending() *Proposal {
	for i := range d.Proposals {
		if d.Proposals[i].Status == approval.StatusPending {
			return &d.Proposals[i]
		}
	}
	return nil
}

// RuleError is one run-time failure of a rule.
type RuleError struct {
	Version       int
	TransactionID *uuid.UUID
	Message       string
	At            time.Time
}

// Rule returns a rule with its versions, proposals, shadow runs and
// latest failures.
func (s *Service) Rule(ctx context.Context, tenant, id uuid.UUID) (RuleDetail, error) {
	var d RuleDetail
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		r, err := q.AMLRule(ctx, db.AMLRuleParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		d = RuleDetail{ID: r.ID, CreatedAt: r.CreatedAt}
		if r.ActiveVersion != nil {
			v := int(*r.ActiveVersion)
			d.ActiveVersion = &v
		}
		reqs, err := q.AMLRuleRequests(ctx, db.AMLRuleRequestsParams{TenantID: tenant, RuleID: id.String()})
		if err != nil {
			return err
		}
		proposed := map[int]string{}
		for _, p := range reqs {
			pr := Proposal{ID: p.ID, Kind: p.Kind, Status: p.Status, Version: int(p.Version), Maker: p.MakerName, CreatedAt: p.CreatedAt, DecidedAt: p.DecidedAt}
			if p.CheckerName != nil {
				pr.Checker = *p.CheckerName
			}
			d.Proposals = append(d.Proposals, pr)
			if _, seen := proposed[pr.Version]; !seen || p.Status == approval.StatusPending {
				proposed[pr.Version] = p.Status
			}
		}
		versions, err := q.AMLVersions(ctx, db.AMLVersionsParams{TenantID: tenant, RuleID: id})
		if err != nil {
			return err
		}
		for i, row := range versions {
			v := versionOf(row)
			st, wasProposed := proposed[v.Version]
			status := VersionDraft
			switch {
			case d.ActiveVersion != nil && *d.ActiveVersion == v.Version:
				status = VersionActive
			case wasProposed && st == approval.StatusPending:
				status = VersionPending
			case v.PublishedAt != nil:
				status = VersionRetired
			case wasProposed:
				status = VersionProposed
			}
			d.Versions = append(d.Versions, VersionInfo{Version: v, Status: status})
			if i == 0 {
				d.Latest = v
				if status == VersionDraft {
					vv := v
					d.Draft = &vv
				}
			}
		}
		runs, err := q.AMLShadowRuns(ctx, db.AMLShadowRunsParams{TenantID: tenant, RuleID: id, MaxRows: 10})
		if err != nil {
			return err
		}
		for _, r := range runs {
			d.ShadowRuns = append(d.ShadowRuns, shadowOf(r))
		}
		errs, err := q.AMLRuleErrors(ctx, db.AMLRuleErrorsParams{TenantID: tenant, RuleID: id, MaxRows: 10})
		if err != nil {
			return err
		}
		for _, e := range errs {
			d.Errors = append(d.Errors, RuleError{Version: int(e.Version), TransactionID: e.TransactionID, Message: e.Message, At: e.CreatedAt})
		}
		return nil
	})
	if db.IsNotFound(err) {
		return RuleDetail{}, errRuleNotFound()
	}
	if err != nil {
		return RuleDetail{}, errf("rule: %w", err)
	}
	return d, nil
}

// Rule statuses on the rules list.
const (
	RuleActive   = "ACTIVE"
	RuleDraft    = "DRAFT"
	RuleInactive = "INACTIVE" // deactivated after being active
)

// RuleSummary is one line of the rules list.
type RuleSummary struct {
	ID            uuid.UUID
	Name          string
	Outcome       Outcome
	Score         int
	Scope         Scope
	Status        string
	ActiveVersion *int
	LatestVersion int
	// NewerDraft is true when a version newer than the active one waits.
	NewerDraft bool
	Pending    bool
	// BuiltIn marks the rules every tenant has: the customers' limits
	// from activation and the screening of counterparties; Doc says what
	// they look at.
	BuiltIn bool
	Doc     string
	Hits7   int64
	Hits30  int64
	// Daily are the hits of each of the last 30 days, oldest first.
	Daily       []int64
	Errors7     int64
	LastError   string
	LastErrorAt *time.Time
}

// BuiltIn is a rule every tenant has.
type BuiltIn struct {
	Key     string
	Name    string
	Outcome Outcome
	Score   int
	Doc     string
}

// BuiltIns are the rules every tenant has, beside its own.
var BuiltIns = []BuiltIn{
	{LimitDailyKey, "Daily limit (from activation)", Block, limitDailyScore, "Customers with a daily limit, money going out"},
	{LimitApprovalKey, "Requires approval above (from activation)", Review, limitReviewScore, "Customers with an approval threshold, money going out"},
	{SanctionsKey, "Counterparty on a sanctions list", Block, sanctionsScore, "Every named counterparty; a possible match is REVIEW, score 60"},
}

// DayDecisions counts a day's decisions.
type DayDecisions struct {
	Day    time.Time
	Counts map[Outcome]int64
}

// Overview is the rules page: every rule with its effect, and the
// decisions of the last 30 days.
type Overview struct {
	Rules     []RuleSummary
	Decisions []DayDecisions
}

// Overview lists the rules with their hit counts and trend, and the
// decisions per day, in the tenant's time zone.
func (s *Service) Overview(ctx context.Context, tenant uuid.UUID, loc *time.Location, now time.Time) (Overview, error) {
	const days = 30
	run := calendar.Last(days, now, loc)
	var ov Overview
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.AMLRuleList(ctx, tenant)
		if err != nil {
			return err
		}
		hits, err := q.AMLRuleHitsByDay(ctx, db.AMLRuleHitsByDayParams{Tz: loc.String(), TenantID: tenant, Since: run.First})
		if err != nil {
			return err
		}
		daily := map[string][]int64{}
		for _, h := range hits {
			i, ok := run.Index(h.Day)
			if !ok {
				continue
			}
			if daily[h.RuleKey] == nil {
				daily[h.RuleKey] = make([]int64, days)
			}
			daily[h.RuleKey][i] += h.Hits
		}
		errStats, err := q.AMLRuleErrorStats(ctx, db.AMLRuleErrorStatsParams{TenantID: tenant, Since: now.Add(-7 * 24 * time.Hour)})
		if err != nil {
			return err
		}
		errs := map[uuid.UUID]db.AMLRuleErrorStatsRow{}
		for _, e := range errStats {
			errs[e.RuleID] = e
		}
		summary := func(key string) RuleSummary {
			rs := RuleSummary{Daily: daily[key]}
			if rs.Daily == nil {
				rs.Daily = make([]int64, days)
			}
			for i, n := range rs.Daily {
				rs.Hits30 += n
				if i >= days-7 {
					rs.Hits7 += n
				}
			}
			return rs
		}
		for _, r := range rows {
			rs := summary(r.ID.String())
			rs.ID, rs.LatestVersion = r.ID, int(r.LatestVersion)
			rs.Name, rs.Outcome, rs.Score, rs.Status = r.Name, Outcome(r.Outcome), int(r.Score), RuleDraft
			_ = json.Unmarshal(r.Scope, &rs.Scope)
			if r.ActiveVersion != nil {
				v := int(*r.ActiveVersion)
				rs.ActiveVersion, rs.Status = &v, RuleActive
				rs.Name, rs.Outcome = *r.ActiveName, Outcome(*r.ActiveOutcome)
				rs.Scope = Scope{}
				_ = json.Unmarshal(r.ActiveScope, &rs.Scope)
				rs.NewerDraft = int(r.LatestVersion) > v && r.LatestPublishedAt == nil
			} else if rs.Hits30 > 0 || r.LatestPublishedAt != nil {
				rs.Status = RuleInactive
			}
			if e, ok := errs[r.ID]; ok {
				rs.Errors7, rs.LastError = e.Errors, e.LastMessage
				at := e.LastAt
				rs.LastErrorAt = &at
			}
			ov.Rules = append(ov.Rules, rs)
		}
		for _, b := range BuiltIns {
			rs := summary(b.Key)
			rs.Name, rs.BuiltIn, rs.Status, rs.LatestVersion = b.Name, true, RuleActive, 1
			rs.Outcome, rs.Score, rs.Scope = b.Outcome, b.Score, Scope{}
			rs.Doc = b.Doc
			ov.Rules = append(ov.Rules, rs)
		}
		decisions, err := q.AMLDecisionsByDay(ctx, db.AMLDecisionsByDayParams{Tz: loc.String(), TenantID: tenant, Since: run.First})
		if err != nil {
			return err
		}
		ov.Decisions = make([]DayDecisions, days)
		for i := range ov.Decisions {
			ov.Decisions[i] = DayDecisions{Day: run.Day(i), Counts: map[Outcome]int64{}}
		}
		for _, d := range decisions {
			if i, ok := run.Index(d.Day); ok {
				ov.Decisions[i].Counts[Outcome(d.Decision)] += d.N
			}
		}
		return nil
	})
	if err != nil {
		return Overview{}, errf("overview: %w", err)
	}
	var ids []string
	for _, r := range ov.Rules {
		if !r.BuiltIn {
			ids = append(ids, r.ID.String())
		}
	}
	pending, err := s.approvals.PendingFor(ctx, tenant, TargetType, ids)
	if err != nil {
		return Overview{}, err
	}
	for i := range ov.Rules {
		ov.Rules[i].Pending = len(pending[ov.Rules[i].ID.String()]) > 0
	}
	return ov, nil
}
