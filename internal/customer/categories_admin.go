package customer

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/event"
)

// Tenant administrators edit the categorisation in the portal: each change
// is one transaction with an audit record (before and after) and a
// config.changed event. Changes apply to registrations from then on;
// customers keep the categorisation they registered with.

var (
	codePattern      = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,63}$`)
	parameterPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)
)

// Limits of the categorisation's texts.
const (
	maxDescription   = 500
	maxFeatureName   = 100
	maxAllowedValues = 50
	maxAllowedValue  = 64
)

// CategoryInput is a category as an administrator creates or edits it.
type CategoryInput struct {
	Name        string // only when creating; names do not change, API clients send them
	Description string
	RiskLevel   string // "" when the category sets none
	IsActive    bool
}

// FeatureInput is a new feature.
type FeatureInput struct {
	Code string
	Name string
}

// ParameterInput is a new parameter of a feature.
type ParameterInput struct {
	Name      string
	Mandatory bool
	// AllowedValues is a comma-separated list; empty allows any value.
	AllowedValues string
}

func categoryOf(r db.CustomerCategory) Category {
	c := Category{ID: r.ID, Name: r.Name, Description: r.Description, IsActive: r.IsActive}
	if r.RiskLevel != nil {
		c.RiskLevel = *r.RiskLevel
	}
	return c
}

// snapshot is what the audit trail records of a category.
func (c Category) snapshot() map[string]any {
	return map[string]any{"name": c.Name, "description": c.Description, "riskLevel": c.RiskLevel, "isActive": c.IsActive}
}

func checkCategory(fe *apperr.Fields, in *CategoryInput, creating bool) {
	in.Name = strings.ToUpper(strings.TrimSpace(in.Name))
	in.Description = strings.TrimSpace(in.Description)
	in.RiskLevel = strings.ToUpper(strings.TrimSpace(in.RiskLevel))
	if creating {
		switch {
		case in.Name == "":
			fe.Add("name", "is required")
		case !codePattern.MatchString(in.Name):
			fe.Add("name", "use 2 to 64 capital letters, digits and underscores, starting with a letter, e.g. HIGH_RISK_INDIVIDUAL")
		}
	}
	if len([]rune(in.Description)) > maxDescription {
		fe.Add("description", "must be at most %d characters", maxDescription)
	}
	if in.RiskLevel != "" && !slices.Contains(RiskLevels, in.RiskLevel) {
		fe.Add("riskLevel", "must be LOW, MEDIUM or HIGH, or none")
	}
}

// configChanged writes the audit record and the config.changed event of a
// categorisation change.
func (s *Service) configChanged(ctx context.Context, q *db.Queries, tenant uuid.UUID, action, entityType string, entityID uuid.UUID, before, after any) error {
	if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: action, EntityType: entityType, EntityID: entityID.String(),
		ReasonCode: "CONFIG_CHANGE", Before: before, After: after}); err != nil {
		return err
	}
	_, err := event.Write(ctx, q, event.Event{TenantID: tenant, Type: "config.changed", EntityType: entityType, EntityID: entityID.String(),
		Payload: map[string]any{"area": "categorization", "change": action, "entityType": entityType, "entityId": entityID,
			"timestamp": s.now().UTC().Format(time.RFC3339)}})
	return err
}

// CreateCategory adds a category.
func (s *Service) CreateCategory(ctx context.Context, tenant uuid.UUID, in CategoryInput) (Category, error) {
	var fe apperr.Fields
	checkCategory(&fe, &in, true)
	if err := fe.Err(); err != nil {
		return Category{}, err
	}
	var out Category
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.CreateCategory(ctx, db.CreateCategoryParams{ID: uuid.New(), TenantID: tenant, Name: in.Name,
			Description: in.Description, RiskLevel: optional(in.RiskLevel), IsActive: in.IsActive})
		if err != nil {
			return err
		}
		out = categoryOf(row)
		return s.configChanged(ctx, q, tenant, "category.created", "category", out.ID, nil, out.snapshot())
	})
	if db.IsUniqueViolation(err, "") {
		return Category{}, apperr.Validation(apperr.FieldError{Field: "name", Issue: "a category named " + in.Name + " already exists"})
	}
	if err != nil {
		return Category{}, fmt.Errorf("customer: create category: %w", err)
	}
	return out, nil
}

// UpdateCategory changes a category's description, risk level and whether
// it is active; its name stays.
func (s *Service) UpdateCategory(ctx context.Context, tenant, id uuid.UUID, in CategoryInput) (Category, error) {
	var fe apperr.Fields
	checkCategory(&fe, &in, false)
	if err := fe.Err(); err != nil {
		return Category{}, err
	}
	return s.changeCategory(ctx, tenant, id, func(c *Category) { c.Description, c.RiskLevel, c.IsActive = in.Description, in.RiskLevel, in.IsActive })
}

// SetCategoryActive activates or deactivates a category. Registrations
// cannot choose an inactive category; customers in it keep it.
func (s *Service) SetCategoryActive(ctx context.Context, tenant, id uuid.UUID, active bool) (Category, error) {
	return s.changeCategory(ctx, tenant, id, func(c *Category) { c.IsActive = active })
}

func (s *Service) changeCategory(ctx context.Context, tenant, id uuid.UUID, change func(c *Category)) (Category, error) {
	var out Category
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.CategoryForUpdate(ctx, db.CategoryForUpdateParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		before := categoryOf(row)
		after := before
		change(&after)
		if after.Description == before.Description && after.RiskLevel == before.RiskLevel && after.IsActive == before.IsActive {
			out = before
			return nil // nothing changed, nothing to record
		}
		row, err = q.UpdateCategory(ctx, db.UpdateCategoryParams{TenantID: tenant, ID: id, Description: after.Description,
			RiskLevel: optional(after.RiskLevel), IsActive: after.IsActive})
		if err != nil {
			return err
		}
		out = categoryOf(row)
		action := "category.updated"
		if before.IsActive != out.IsActive && before.Description == out.Description && before.RiskLevel == out.RiskLevel {
			action = "category.deactivated"
			if out.IsActive {
				action = "category.activated"
			}
		}
		return s.configChanged(ctx, q, tenant, action, "category", id, before.snapshot(), out.snapshot())
	})
	if db.IsNotFound(err) {
		return Category{}, errNoCategory()
	}
	if err != nil {
		return Category{}, fmt.Errorf("customer: change category: %w", err)
	}
	return out, nil
}

func errNoCategory() error { return apperr.New(apperr.NotFound, "no such category") }

func errNoFeature() error { return apperr.New(apperr.NotFound, "no such feature") }

// Features returns every feature of the tenant with its parameters,
// whether or not a category carries it.
func (s *Service) Features(ctx context.Context, tenant uuid.UUID) ([]Feature, error) {
	var out []Feature
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.FeatureList(ctx, tenant)
		for _, r := range rows {
			if len(out) == 0 || out[len(out)-1].ID != r.FeatureID {
				out = append(out, Feature{ID: r.FeatureID, Code: r.Code, Name: r.Name})
			}
			if r.ParameterID != nil {
				f := &out[len(out)-1]
				f.Parameters = append(f.Parameters, Parameter{ID: *r.ParameterID, Name: deref(r.ParameterName),
					Mandatory: r.Mandatory != nil && *r.Mandatory, AllowedValues: r.AllowedValues})
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("customer: features: %w", err)
	}
	return out, nil
}

// CreateFeature adds a feature that categories may then carry.
func (s *Service) CreateFeature(ctx context.Context, tenant uuid.UUID, in FeatureInput) (Feature, error) {
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	in.Name = strings.TrimSpace(in.Name)
	var fe apperr.Fields
	switch {
	case in.Code == "":
		fe.Add("code", "is required")
	case !codePattern.MatchString(in.Code):
		fe.Add("code", "use 2 to 64 capital letters, digits and underscores, starting with a letter, e.g. TRANSACTION_LIMITS")
	}
	switch {
	case in.Name == "":
		fe.Add("name", "is required")
	case len([]rune(in.Name)) > maxFeatureName:
		fe.Add("name", "must be at most %d characters", maxFeatureName)
	}
	if err := fe.Err(); err != nil {
		return Feature{}, err
	}
	var out Feature
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.CreateFeature(ctx, db.CreateFeatureParams{ID: uuid.New(), TenantID: tenant, Code: in.Code, Name: in.Name})
		if err != nil {
			return err
		}
		out = Feature{ID: row.ID, Code: row.Code, Name: row.Name}
		return s.configChanged(ctx, q, tenant, "feature.created", "feature", out.ID, nil, map[string]any{"code": out.Code, "name": out.Name})
	})
	if db.IsUniqueViolation(err, "") {
		return Feature{}, apperr.Validation(apperr.FieldError{Field: "code", Issue: "a feature with the code " + in.Code + " already exists"})
	}
	if err != nil {
		return Feature{}, fmt.Errorf("customer: create feature: %w", err)
	}
	return out, nil
}

// AttachFeature lets a category carry a feature.
func (s *Service) AttachFeature(ctx context.Context, tenant, categoryID, featureID uuid.UUID) error {
	return s.link(ctx, tenant, categoryID, featureID, true)
}

// DetachFeature removes a feature from a category. Customers registered
// with it keep their values.
func (s *Service) DetachFeature(ctx context.Context, tenant, categoryID, featureID uuid.UUID) error {
	return s.link(ctx, tenant, categoryID, featureID, false)
}

func (s *Service) link(ctx context.Context, tenant, categoryID, featureID uuid.UUID, attach bool) error {
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		cat, err := q.CategoryForUpdate(ctx, db.CategoryForUpdateParams{TenantID: tenant, ID: categoryID})
		if db.IsNotFound(err) {
			return errNoCategory()
		}
		if err != nil {
			return err
		}
		feat, err := q.FeatureByID(ctx, db.FeatureByIDParams{TenantID: tenant, ID: featureID})
		if db.IsNotFound(err) {
			return apperr.Validation(apperr.FieldError{Field: "feature", Issue: "is not a feature of this tenant"})
		}
		if err != nil {
			return err
		}
		p := map[string]any{"category": cat.Name, "feature": feat.Code}
		if attach {
			n, err := q.AttachCategoryFeature(ctx, db.AttachCategoryFeatureParams{TenantID: tenant, CategoryID: categoryID, FeatureID: featureID})
			if err != nil {
				return err
			}
			if n == 0 {
				return apperr.Validation(apperr.FieldError{Field: "feature", Issue: feat.Code + " is already part of " + cat.Name})
			}
			return s.configChanged(ctx, q, tenant, "category.feature.attached", "category", categoryID, nil, p)
		}
		n, err := q.DetachCategoryFeature(ctx, db.DetachCategoryFeatureParams{TenantID: tenant, CategoryID: categoryID, FeatureID: featureID})
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.New(apperr.Conflict, "%s is not part of %s", feat.Code, cat.Name)
		}
		return s.configChanged(ctx, q, tenant, "category.feature.detached", "category", categoryID, p, nil)
	})
	if _, ok := apperr.As(err); ok {
		return err
	}
	if err != nil {
		return fmt.Errorf("customer: link feature: %w", err)
	}
	return nil
}

// ParseAllowedValues splits a comma-separated list, trimming each value
// and dropping empty ones.
func ParseAllowedValues(s string) []string {
	out := []string{}
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// AddParameter adds a parameter to a feature, after the existing ones.
func (s *Service) AddParameter(ctx context.Context, tenant, featureID uuid.UUID, in ParameterInput) (Parameter, error) {
	in.Name = strings.TrimSpace(in.Name)
	allowed := ParseAllowedValues(in.AllowedValues)
	var fe apperr.Fields
	switch {
	case in.Name == "":
		fe.Add("name", "is required")
	case !parameterPattern.MatchString(in.Name):
		fe.Add("name", "use up to 64 letters, digits and underscores, starting with a letter, e.g. dailyLimit")
	}
	seen := map[string]bool{}
	for _, v := range allowed {
		switch {
		case len([]rune(v)) > maxAllowedValue:
			fe.Add("allowedValues", "each value must be at most %d characters", maxAllowedValue)
		case seen[v]:
			fe.Add("allowedValues", "%q is given twice", v)
		}
		if fe.Has("allowedValues") {
			break
		}
		seen[v] = true
	}
	if len(allowed) > maxAllowedValues && !fe.Has("allowedValues") {
		fe.Add("allowedValues", "at most %d values", maxAllowedValues)
	}
	if err := fe.Err(); err != nil {
		return Parameter{}, err
	}
	var out Parameter
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		feat, err := q.FeatureByID(ctx, db.FeatureByIDParams{TenantID: tenant, ID: featureID})
		if db.IsNotFound(err) {
			return errNoFeature()
		}
		if err != nil {
			return err
		}
		pos, err := q.NextParameterPosition(ctx, db.NextParameterPositionParams{TenantID: tenant, FeatureID: featureID})
		if err != nil {
			return err
		}
		row, err := q.CreateFeatureParameter(ctx, db.CreateFeatureParameterParams{ID: uuid.New(), TenantID: tenant, FeatureID: featureID,
			Name: in.Name, Mandatory: in.Mandatory, AllowedValues: allowed, Position: pos})
		if err != nil {
			return err
		}
		out = Parameter{ID: row.ID, Name: row.Name, Mandatory: row.Mandatory, AllowedValues: row.AllowedValues}
		return s.configChanged(ctx, q, tenant, "feature.parameter.added", "feature", featureID, nil,
			map[string]any{"feature": feat.Code, "name": out.Name, "mandatory": out.Mandatory, "allowedValues": out.AllowedValues})
	})
	if db.IsUniqueViolation(err, "") {
		return Parameter{}, apperr.Validation(apperr.FieldError{Field: "name", Issue: "the feature already has a parameter " + in.Name})
	}
	if _, ok := apperr.As(err); ok {
		return Parameter{}, err
	}
	if err != nil {
		return Parameter{}, fmt.Errorf("customer: add parameter: %w", err)
	}
	return out, nil
}

// RemoveParameter removes a parameter from a feature. Customers
// registered with a value for it keep the value.
func (s *Service) RemoveParameter(ctx context.Context, tenant, featureID, parameterID uuid.UUID) error {
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		feat, err := q.FeatureByID(ctx, db.FeatureByIDParams{TenantID: tenant, ID: featureID})
		if err != nil {
			return err
		}
		row, err := q.DeleteFeatureParameter(ctx, db.DeleteFeatureParameterParams{TenantID: tenant, FeatureID: featureID, ID: parameterID})
		if err != nil {
			return err
		}
		return s.configChanged(ctx, q, tenant, "feature.parameter.removed", "feature", featureID,
			map[string]any{"feature": feat.Code, "name": row.Name, "mandatory": row.Mandatory, "allowedValues": row.AllowedValues}, nil)
	})
	if db.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "no such parameter")
	}
	if err != nil {
		return fmt.Errorf("customer: remove parameter: %w", err)
	}
	return nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
