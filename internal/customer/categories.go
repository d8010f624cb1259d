package customer

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
)

// Category is a customer category with its features.
type Category struct {
	ID          uuid.UUID
	Name        string
	Description string
	RiskLevel   string // "" when the category sets none
	IsActive    bool
	Features    []Feature
}

// Feature is something a category carries, with its parameters.
type Feature struct {
	ID         uuid.UUID
	Code       string
	Name       string
	Parameters []Parameter
}

// Parameter is one setting of a feature.
type Parameter struct {
	ID            uuid.UUID
	Name          string
	Mandatory     bool
	AllowedValues []string // empty: any value
}

// Hierarchy returns the tenant's categories with their features and
// parameters.
func (s *Service) Hierarchy(ctx context.Context, tenant uuid.UUID) ([]Category, error) {
	var out []Category
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		out, err = hierarchy(ctx, q, tenant)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("customer: categories: %w", err)
	}
	return out, nil
}

func hierarchy(ctx context.Context, q *db.Queries, tenant uuid.UUID) ([]Category, error) {
	rows, err := q.CategoryHierarchy(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []Category
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].ID != r.CategoryID {
			c := Category{ID: r.CategoryID, Name: r.CategoryName, Description: r.CategoryDescription, IsActive: r.IsActive}
			if r.RiskLevel != nil {
				c.RiskLevel = *r.RiskLevel
			}
			out = append(out, c)
		}
		cat := &out[len(out)-1]
		if r.FeatureID == nil {
			continue
		}
		if len(cat.Features) == 0 || cat.Features[len(cat.Features)-1].ID != *r.FeatureID {
			cat.Features = append(cat.Features, Feature{ID: *r.FeatureID, Code: deref(r.FeatureCode), Name: deref(r.FeatureName)})
		}
		f := &cat.Features[len(cat.Features)-1]
		if r.ParameterID != nil {
			f.Parameters = append(f.Parameters, Parameter{ID: *r.ParameterID, Name: deref(r.ParameterName),
				Mandatory: r.Mandatory != nil && *r.Mandatory, AllowedValues: r.AllowedValues})
		}
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// CategorizationInput is the categorisation a registration asks for.
type CategorizationInput struct {
	ID        string
	Name      string
	IsActive  *bool
	Relations []FeatureRelation
}

// FeatureRelation turns one feature of the category on or off, with its
// parameter values.
type FeatureRelation struct {
	FeatureID   string
	FeatureCode string
	Enabled     bool
	Parameters  []ParameterValue
}

// ParameterValue is one parameter's value.
type ParameterValue struct {
	Name  string
	Value string
}

// AppliedCategorization is a validated categorisation, stored with the
// customer and echoed by the API.
type AppliedCategorization struct {
	ID                       uuid.UUID         `json:"id"`
	Name                     string            `json:"name"`
	IsActive                 bool              `json:"isActive"`
	RiskLevel                string            `json:"riskLevel,omitempty"`
	CategoryFeatureRelations []AppliedRelation `json:"categoryFeatureRelations"`
}

// AppliedRelation is one validated feature relation.
type AppliedRelation struct {
	Feature         AppliedFeature     `json:"feature"`
	Enabled         bool               `json:"enabled"`
	Parametrization []AppliedParameter `json:"parametrization"`
}

// AppliedFeature names a feature.
type AppliedFeature struct {
	ID   uuid.UUID `json:"id"`
	Code string    `json:"code"`
}

// AppliedParameter is a parameter's value.
type AppliedParameter struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// validateCategorization checks in against the tenant's hierarchy: the
// category exists and is active, each feature exists for the tenant and
// belongs to the category, every mandatory parameter of an enabled feature
// is given, and every value is one of the allowed values.
func validateCategorization(fe *apperr.Fields, p string, in *CategorizationInput, cats []Category) *AppliedCategorization {
	if p == "" {
		p = "categorization"
	}
	var cat *Category
	id, idErr := uuid.Parse(strings.TrimSpace(in.ID))
	for i := range cats {
		if (idErr == nil && cats[i].ID == id) || (in.ID == "" && in.Name != "" && cats[i].Name == in.Name) {
			cat = &cats[i]
		}
	}
	switch {
	case in.ID == "" && in.Name == "":
		fe.Add(p+".id", "is required: the id of one of the tenant's categories")
		return nil
	case cat == nil && in.ID != "":
		fe.Add(p+".id", "is not a category of this tenant")
		return nil
	case cat == nil:
		fe.Add(p+".name", "is not a category of this tenant")
		return nil
	}
	if in.Name != "" && in.Name != cat.Name {
		fe.Add(p+".name", "does not match the category %s (%s)", cat.ID, cat.Name)
	}
	if !cat.IsActive || (in.IsActive != nil && !*in.IsActive) {
		fe.Add(p+".isActive", "the category %s is not active", cat.Name)
	}
	applied := &AppliedCategorization{ID: cat.ID, Name: cat.Name, IsActive: cat.IsActive, RiskLevel: cat.RiskLevel,
		CategoryFeatureRelations: []AppliedRelation{}}
	seen := map[uuid.UUID]bool{}
	for i, rel := range in.Relations {
		rp := fmt.Sprintf("%s.categoryFeatureRelations[%d]", p, i)
		var feat *Feature
		fid, fidErr := uuid.Parse(strings.TrimSpace(rel.FeatureID))
		for j := range cat.Features {
			f := &cat.Features[j]
			if (fidErr == nil && f.ID == fid) || (rel.FeatureID == "" && rel.FeatureCode != "" && f.Code == rel.FeatureCode) {
				feat = f
			}
		}
		if feat == nil {
			if rel.FeatureID == "" && rel.FeatureCode == "" {
				fe.Add(rp+".feature.id", "is required")
			} else if exists(cats, fid, rel.FeatureCode) {
				fe.Add(rp+".feature", "the feature is not part of the category %s", cat.Name)
			} else {
				fe.Add(rp+".feature", "is not a feature of this tenant")
			}
			continue
		}
		if rel.FeatureCode != "" && rel.FeatureCode != feat.Code {
			fe.Add(rp+".feature.code", "does not match the feature %s (%s)", feat.ID, feat.Code)
		}
		if seen[feat.ID] {
			fe.Add(rp+".feature", "the feature %s is given twice", feat.Code)
			continue
		}
		seen[feat.ID] = true
		ar := AppliedRelation{Feature: AppliedFeature{ID: feat.ID, Code: feat.Code}, Enabled: rel.Enabled, Parametrization: []AppliedParameter{}}
		given := map[string]string{}
		for k, pv := range rel.Parameters {
			pp := fmt.Sprintf("%s.parametrization[%d]", rp, k)
			idx := slices.IndexFunc(feat.Parameters, func(x Parameter) bool { return x.Name == pv.Name })
			if idx < 0 {
				fe.Add(pp+".name", "%q is not a parameter of %s", pv.Name, feat.Code)
				continue
			}
			if _, dup := given[pv.Name]; dup {
				fe.Add(pp+".name", "%q is given twice", pv.Name)
				continue
			}
			given[pv.Name] = pv.Value
			param := feat.Parameters[idx]
			if len(param.AllowedValues) > 0 && !slices.Contains(param.AllowedValues, pv.Value) {
				fe.Add(pp+".value", "%q is not allowed for %s; use one of %s", pv.Value, pv.Name, strings.Join(param.AllowedValues, ", "))
			} else {
				checkParameterValue(fe, pp+".value", pv.Name, pv.Value)
			}
			ar.Parametrization = append(ar.Parametrization, AppliedParameter{Name: pv.Name, Value: pv.Value})
		}
		if rel.Enabled {
			for _, param := range feat.Parameters {
				if _, ok := given[param.Name]; param.Mandatory && !ok {
					fe.Add(rp+".parametrization", "the mandatory parameter %q of %s is missing", param.Name, feat.Code)
				}
			}
		}
		applied.CategoryFeatureRelations = append(applied.CategoryFeatureRelations, ar)
	}
	return applied
}

func exists(cats []Category, id uuid.UUID, code string) bool {
	for _, c := range cats {
		for _, f := range c.Features {
			if f.ID == id || (code != "" && f.Code == code) {
				return true
			}
		}
	}
	return false
}

func marshalApplied(a *AppliedCategorization) []byte {
	if a == nil {
		return nil
	}
	b, _ := json.Marshal(a)
	return b
}

// CategorySpec describes a category to define, with its features.
type CategorySpec struct {
	ID          uuid.UUID
	Name        string
	Description string
	RiskLevel   string
	Features    []FeatureSpec
}

// FeatureSpec describes a feature and its parameters.
type FeatureSpec struct {
	ID         uuid.UUID
	Code       string
	Name       string
	Parameters []Parameter
}

// DefineCategories creates the categories and features of specs that do
// not exist yet (by name and code), linking features to categories. It is
// idempotent: the demo seed and tests use it.
func (s *Service) DefineCategories(ctx context.Context, tenant uuid.UUID, specs []CategorySpec) error {
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		existing, err := hierarchy(ctx, q, tenant)
		if err != nil {
			return err
		}
		features := map[string]uuid.UUID{}
		cats := map[string]uuid.UUID{}
		for _, c := range existing {
			cats[c.Name] = c.ID
			for _, f := range c.Features {
				features[f.Code] = f.ID
			}
		}
		for _, spec := range specs {
			catID, ok := cats[spec.Name]
			if !ok {
				if spec.ID == uuid.Nil {
					spec.ID = uuid.New()
				}
				var risk *string
				if spec.RiskLevel != "" {
					risk = &spec.RiskLevel
				}
				row, err := q.CreateCategory(ctx, db.CreateCategoryParams{ID: spec.ID, TenantID: tenant, Name: spec.Name,
					Description: spec.Description, RiskLevel: risk, IsActive: true})
				if err != nil {
					return err
				}
				catID = row.ID
				cats[spec.Name] = catID
				if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "category.created", EntityType: "category",
					EntityID: catID.String(), After: spec}); err != nil {
					return err
				}
			}
			for _, f := range spec.Features {
				fid, ok := features[f.Code]
				if !ok {
					if f.ID == uuid.Nil {
						f.ID = uuid.New()
					}
					row, err := q.CreateFeature(ctx, db.CreateFeatureParams{ID: f.ID, TenantID: tenant, Code: f.Code, Name: f.Name})
					if db.IsUniqueViolation(err, "") {
						continue
					}
					if err != nil {
						return err
					}
					fid = row.ID
					features[f.Code] = fid
					for i, p := range f.Parameters {
						allowed := p.AllowedValues
						if allowed == nil {
							allowed = []string{}
						}
						if _, err := q.CreateFeatureParameter(ctx, db.CreateFeatureParameterParams{ID: uuid.New(), TenantID: tenant,
							FeatureID: fid, Name: p.Name, Mandatory: p.Mandatory, AllowedValues: allowed, Position: int32(i)}); err != nil {
							return err
						}
					}
				}
				if err := q.LinkCategoryFeature(ctx, db.LinkCategoryFeatureParams{TenantID: tenant, CategoryID: catID, FeatureID: fid}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("customer: define categories: %w", err)
	}
	return nil
}
