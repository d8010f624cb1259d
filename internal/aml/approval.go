package aml

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/approval"
	"github.com/ciamhq/ciam/internal/audit"
)

// Four-eyes changes of a rule: publishing a version, rolling back to one
// that was in force before, and deactivating the rule. Each is proposed by
// one employee and applied when another approves.
const (
	KindPublish    = "aml.rule.publish"
	KindRollback   = "aml.rule.rollback"
	KindDeactivate = "aml.rule.deactivate"
	// TargetType is the change requests' target type: rules.
	TargetType = "aml_rule"
)

// RuleChange is the payload of a rule change request: the version to put
// in force (for a deactivation, the one taken out) and its digest, so that
// exactly what was shown is what gets published.
type RuleChange struct {
	Version int    `json:"version"`
	Digest  string `json:"digest"`
}

// RuleApplier applies one kind of rule change.
type RuleApplier struct {
	kind string
	s    *Service
}

type ruleState struct {
	ActiveVersion *int           `json:"activeVersion"`
	Rule          map[string]any `json:"rule"`
}

func (a RuleApplier) load(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (db.AmlRule, error) {
	id, err := uuid.Parse(target)
	if err != nil {
		return db.AmlRule{}, errRuleNotFound()
	}
	r, err := q.AMLRule(ctx, db.AMLRuleParams{TenantID: tenant, ID: id})
	if db.IsNotFound(err) {
		return r, errRuleNotFound()
	}
	return r, err
}

func stateOf(ctx context.Context, q *db.Queries, tenant uuid.UUID, rule uuid.UUID, active *int32) (ruleState, error) {
	if active == nil {
		return ruleState{}, nil
	}
	v, err := q.AMLVersion(ctx, db.AMLVersionParams{TenantID: tenant, RuleID: rule, Version: *active})
	if err != nil {
		return ruleState{}, err
	}
	n := int(*active)
	return ruleState{ActiveVersion: &n, Rule: versionState(versionOf(v))}, nil
}

// Current is the version in force now.
func (a RuleApplier) Current(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (json.RawMessage, error) {
	r, err := a.load(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	st, err := stateOf(ctx, q, tenant, r.ID, r.ActiveVersion)
	if err != nil {
		return nil, err
	}
	return json.Marshal(st)
}

// next checks the change and says which version will be in force.
func (a RuleApplier) next(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (db.AmlRule, *db.AmlRuleVersion, error) {
	var c RuleChange
	_ = json.Unmarshal(payload, &c)
	r, err := a.load(ctx, q, tenant, target)
	if err != nil {
		return r, nil, err
	}
	active := -1
	if r.ActiveVersion != nil {
		active = int(*r.ActiveVersion)
	}
	if a.kind == KindDeactivate {
		if active < 0 {
			return r, nil, apperr.New(apperr.Conflict, "the rule is not active")
		}
		if c.Version != active {
			return r, nil, apperr.New(apperr.Conflict, "version %d is no longer the active one", c.Version)
		}
		return r, nil, nil
	}
	v, err := q.AMLVersion(ctx, db.AMLVersionParams{TenantID: tenant, RuleID: r.ID, Version: int32(c.Version)})
	if db.IsNotFound(err) {
		return r, nil, apperr.Validation(apperr.FieldError{Field: "version", Issue: fmt.Sprintf("the rule has no version %d", c.Version)})
	}
	if err != nil {
		return r, nil, err
	}
	if c.Version == active {
		return r, nil, apperr.New(apperr.Conflict, "version %d is already the active one", c.Version)
	}
	if c.Digest != "" && c.Digest != v.Digest {
		return r, nil, apperr.New(apperr.Conflict, "version %d changed after it was proposed; propose it again", c.Version)
	}
	switch a.kind {
	case KindPublish:
		if v.PublishedAt != nil {
			return r, nil, apperr.New(apperr.Conflict, "version %d was in force before: roll back to it instead", c.Version)
		}
		done, err := q.AMLShadowDone(ctx, db.AMLShadowDoneParams{TenantID: tenant, RuleID: r.ID, Version: v.Version})
		if err != nil {
			return r, nil, err
		}
		if !done {
			return r, nil, apperr.New(apperr.Conflict, "run version %d in shadow first, to see what it would trigger", c.Version).WithAPI("SHADOW_RUN_REQUIRED")
		}
	case KindRollback:
		if v.PublishedAt == nil {
			return r, nil, apperr.New(apperr.Conflict, "version %d was never in force: publish it instead", c.Version)
		}
	}
	if iss := a.s.compiler.Check(v.Expression); len(iss) > 0 {
		return r, nil, apperr.New(apperr.Conflict, "version %d does not compile: %s", c.Version, iss.Error())
	}
	return r, &v, nil
}

// Check validates the change and returns the rule as it would be.
func (a RuleApplier) Check(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	_, v, err := a.next(ctx, q, tenant, target, payload)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return json.Marshal(ruleState{})
	}
	return json.Marshal(ruleStateOf(v))
}

func ruleStateOf(v *db.AmlRuleVersion) ruleState {
	n := int(v.Version)
	return ruleState{ActiveVersion: &n, Rule: versionState(versionOf(*v))}
}

// Apply puts the version in force (or none), audited as the approving
// employee, and makes every server reload the tenant's rules.
func (a RuleApplier) Apply(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	r, v, err := a.next(ctx, q, tenant, target, payload)
	if err != nil {
		return nil, err
	}
	before, err := stateOf(ctx, q, tenant, r.ID, r.ActiveVersion)
	if err != nil {
		return nil, err
	}
	var after ruleState
	var active *int32
	if v != nil {
		active = &v.Version
		if err := q.AMLMarkPublished(ctx, db.AMLMarkPublishedParams{TenantID: tenant, RuleID: r.ID, Version: v.Version}); err != nil {
			return nil, err
		}
		after = ruleStateOf(v)
	}
	if err := q.AMLSetActiveVersion(ctx, db.AMLSetActiveVersionParams{TenantID: tenant, ID: r.ID, ActiveVersion: active}); err != nil {
		return nil, err
	}
	if err := bump(ctx, q, tenant); err != nil {
		return nil, err
	}
	action := map[string]string{KindPublish: "aml.rule.published", KindRollback: "aml.rule.rolled_back", KindDeactivate: "aml.rule.deactivated"}[a.kind]
	if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: action, EntityType: TargetType, EntityID: r.ID.String(),
		ReasonCode: "FOUR_EYES_APPROVED", Before: before, After: after}); err != nil {
		return nil, err
	}
	return json.Marshal(after)
}

// propose makes a change request of kind for version of rule.
func (s *Service) propose(ctx context.Context, tenant, rule uuid.UUID, kind string, version int, reason string) (approval.Request, error) {
	d, err := s.Rule(ctx, tenant, rule)
	if err != nil {
		return approval.Request{}, err
	}
	if p := d.Pending(); p != nil {
		return approval.Request{}, apperr.New(apperr.Conflict, "a change of this rule is already waiting for approval").WithAPI("CHANGE_PENDING")
	}
	var v *Version
	for i := range d.Versions {
		if d.Versions[i].Version.Version == version {
			v = &d.Versions[i].Version
		}
	}
	if v == nil {
		return approval.Request{}, apperr.Validation(apperr.FieldError{Field: "version", Issue: fmt.Sprintf("the rule has no version %d", version)})
	}
	verb := map[string]string{KindPublish: "Publish", KindRollback: "Roll back to", KindDeactivate: "Deactivate"}[kind]
	title := fmt.Sprintf("%s AML rule “%s” (version %d)", verb, strings.TrimSpace(v.Name), version)
	return s.approvals.Propose(ctx, tenant, kind, rule.String(), title, RuleChange{Version: version, Digest: v.Digest}, reason)
}

// ProposePublish asks for version of rule to be put in force; it needs a
// finished shadow run and a second employee's approval.
func (s *Service) ProposePublish(ctx context.Context, tenant, rule uuid.UUID, version int, reason string) (approval.Request, error) {
	return s.propose(ctx, tenant, rule, KindPublish, version, reason)
}

// ProposeRollback asks for an earlier version of rule to be put back in
// force.
func (s *Service) ProposeRollback(ctx context.Context, tenant, rule uuid.UUID, version int, reason string) (approval.Request, error) {
	return s.propose(ctx, tenant, rule, KindRollback, version, reason)
}

// ProposeDeactivate asks for rule to stop screening.
func (s *Service) ProposeDeactivate(ctx context.Context, tenant, rule uuid.UUID, reason string) (approval.Request, error) {
	d, err := s.Rule(ctx, tenant, rule)
	if err != nil {
		return approval.Request{}, err
	}
	if d.ActiveVersion == nil {
		return approval.Request{}, apperr.New(apperr.Conflict, "the rule is not active")
	}
	return s.propose(ctx, tenant, rule, KindDeactivate, *d.ActiveVersion, reason)
}
