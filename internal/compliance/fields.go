package compliance

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/kyc"
)

// formatOf is the validator of field f.
func formatOf(f FieldDef) Format {
	if f.Format == "pattern" {
		pf, err := patternFormat(f.Pattern)
		if err == nil {
			return pf
		}
	}
	return formats[f.Format]
}

// fieldAAD binds a sealed field value to its row.
func fieldAAD(tenant, cust uuid.UUID, field string) []byte {
	return []byte("compliance-field:" + tenant.String() + ":" + cust.String() + ":" + field)
}

type checkedField struct {
	def    FieldDef
	path   string
	value  string
	masked string
}

// CheckFields checks a registration's or a profile change's custom
// compliance fields against the policy in force for the customer's
// country and risk level: unknown names, values failing their format
// and, at registration, required fields and required profile fields
// missing are problems naming their paths.
func (s *Service) CheckFields(ctx context.Context, q *db.Queries, in customer.FieldsInput) (customer.FieldsCheck, error) {
	var out customer.FieldsCheck
	country := strings.ToUpper(in.Country)
	if !validCountry(country) || !slices.Contains(RiskLevels, in.RiskLevel) {
		// The country's own problem is reported by registration.
		if len(in.Values) > 0 && !validCountry(country) {
			for name := range in.Values {
				out.Problems.Add(customer.FieldComplianceFields+"."+name, "cannot be checked without a valid country of residence or nationality")
			}
		}
		return out, nil
	}
	pol, err := s.policyIn(ctx, q, in.Tenant, country, in.RiskLevel)
	if err != nil {
		return out, err
	}
	names := make([]string, 0, len(in.Values))
	for n := range in.Values {
		names = append(names, n)
	}
	sort.Strings(names)
	var fields []checkedField
	for _, name := range names {
		path := customer.FieldComplianceFields + "." + name
		def, ok := pol.Field(name)
		if !ok {
			known := make([]string, 0, len(pol.Fields))
			for _, f := range pol.Fields {
				known = append(known, f.Name)
			}
			if len(known) == 0 {
				out.Problems.Add(path, "is not a compliance field for customers in %s: none is defined there", country)
			} else {
				out.Problems.Add(path, "is not a compliance field for customers in %s (these are: %s)", country, strings.Join(known, ", "))
			}
			continue
		}
		raw := in.Values[name]
		if strings.TrimSpace(raw) == "" {
			if slices.Contains(pol.Required, name) {
				out.Problems.Add(path, "is required for a %s-risk customer in %s: %s", strings.ToLower(in.RiskLevel), country, def.Label)
			} else if in.Partial {
				out.Problems.Add(path, "cannot be cleared once given")
			}
			continue
		}
		f := formatOf(def)
		v, issue := f.Check(raw)
		if issue != "" {
			out.Problems.Add(path, "%s", issue)
			continue
		}
		masked := f.Mask(v)
		if !def.Sensitive {
			masked = v
		}
		fields = append(fields, checkedField{def: def, path: path, value: v, masked: masked})
	}
	if !in.Partial {
		for _, name := range pol.Required {
			if _, given := in.Values[name]; !given {
				def, _ := pol.Field(name)
				out.Problems.Add(customer.FieldComplianceFields+"."+name, "is required for a %s-risk customer in %s: %s (%s)",
					strings.ToLower(in.RiskLevel), country, def.Label, formatOf(def).Label)
			}
		}
		for _, p := range pol.ProfileFields {
			if in.Given != nil && !in.Given(p) {
				out.Problems.Add(p, "is required for a %s-risk customer in %s under %s", strings.ToLower(in.RiskLevel), country, pol.PackName)
			}
		}
	}
	if len(fields) > 0 {
		out.Store = func(ctx context.Context, q *db.Queries, cust, vr uuid.UUID) (map[string]any, error) {
			return s.storeFields(ctx, q, in.Tenant, cust, vr, country, pol.Pack, fields)
		}
	}
	return out, nil
}

// storeFields keeps checked values for customer cust: those that
// identify the person as virtual documents of verification vr (a value
// the customer has already is left as it is), the others in
// compliance_field_values, sealed when sensitive. It returns the masked
// values it changed by path, and audits them (masked) as one record.
func (s *Service) storeFields(ctx context.Context, q *db.Queries, tenant, cust, vr uuid.UUID, country string, pack PackRef, fields []checkedField) (map[string]any, error) {
	changed := map[string]any{}
	for _, f := range fields {
		if sub := f.def.VirtualDocument; sub != "" {
			purpose := kyc.VirtualMACPurpose(kyc.TypeVirtual, sub)
			dup, err := q.VirtualDocumentExists(ctx, db.VirtualDocumentExistsParams{TenantID: tenant, CustomerID: cust, Kind: kyc.TypeVirtual,
				SubType: sub, Macs: s.crypt.MACs(purpose, []byte(f.value))})
			if err != nil {
				return nil, err
			}
			if dup {
				continue
			}
			id := uuid.New()
			if _, err := q.InsertVirtualDocument(ctx, db.InsertVirtualDocumentParams{ID: id, TenantID: tenant, CustomerID: cust, VerificationRequestID: vr,
				Kind: kyc.TypeVirtual, SubType: sub, Country: country, ValueSealed: s.crypt.Seal([]byte(f.value), kyc.VirtualAAD(id)),
				ValueMac: s.crypt.MAC(purpose, []byte(f.value)), Masked: f.masked, Status: kyc.DocValid, KeyID: s.crypt.ActiveID()}); err != nil {
				return nil, err
			}
			if err := q.SetVirtualDocumentField(ctx, db.SetVirtualDocumentFieldParams{TenantID: tenant, ID: id, ComplianceField: f.def.Name}); err != nil {
				return nil, err
			}
			if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "document.uploaded", EntityType: "virtual_document", EntityID: id.String(),
				After: map[string]any{"verificationRequestId": vr, "customerId": cust, "type": kyc.TypeVirtual, "subType": sub, "country": country,
					"masked": f.masked, "status": kyc.DocValid, "complianceField": f.def.Name}}); err != nil {
				return nil, err
			}
			changed[f.path] = f.masked
			continue
		}
		p := db.UpsertComplianceFieldValueParams{TenantID: tenant, CustomerID: cust, Field: f.def.Name, Masked: f.masked}
		if f.def.Sensitive {
			p.ValueSealed, p.KeyID = s.crypt.Seal([]byte(f.value), fieldAAD(tenant, cust, f.def.Name)), s.crypt.ActiveID()
		} else {
			p.ValueText = f.value
		}
		if err := q.UpsertComplianceFieldValue(ctx, p); err != nil {
			return nil, err
		}
		changed[f.path] = f.masked
	}
	if len(changed) == 0 {
		return changed, nil
	}
	err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "customer.compliance_fields.set", EntityType: "customer", EntityID: cust.String(),
		After: map[string]any{"fields": changed, "pack": pack}})
	return changed, err
}

// CustomerField is one of a customer's custom compliance fields as the
// customer's page shows it.
type CustomerField struct {
	Name  string
	Label string
	// Value is the value in full when the caller asked to open sensitive
	// values, else Masked; a value that is not sensitive is always in full.
	Value     string
	Masked    string
	Sensitive bool
	// VirtualDocument is the sub-type the value is kept as, "" when it is
	// not a virtual document.
	VirtualDocument string
	UpdatedAt       time.Time
}

// CustomerFields are customer cust's custom compliance fields, by name
// (the newest virtual document of each field). With open, sensitive values
// are opened; the caller decides (internal/pii) who may see them.
func (s *Service) CustomerFields(ctx context.Context, tenant, cust uuid.UUID, open bool) ([]CustomerField, error) {
	var (
		docs    []db.VirtualDocument
		vals    []db.ComplianceFieldValue
		enabled []Enablement
	)
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		if docs, err = q.ComplianceFieldDocuments(ctx, db.ComplianceFieldDocumentsParams{TenantID: tenant, CustomerID: cust}); err != nil {
			return err
		}
		if vals, err = q.ComplianceFieldValues(ctx, db.ComplianceFieldValuesParams{TenantID: tenant, CustomerID: cust}); err != nil {
			return err
		}
		enabled, err = enablements(ctx, q, tenant)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("compliance: customer fields: %w", err)
	}
	labels := map[string]string{}
	for _, p := range s.catalog.List() {
		for _, f := range p.Fields {
			labels[f.Name] = f.Label
		}
	}
	for _, e := range enabled {
		for _, f := range e.Overrides.Fields {
			labels[f.Name] = f.Label
		}
	}
	label := func(name string) string {
		if l, ok := labels[name]; ok {
			return l
		}
		return name
	}
	var out []CustomerField
	seen := map[string]bool{}
	for _, d := range docs {
		if seen[d.ComplianceField] {
			continue
		}
		seen[d.ComplianceField] = true
		f := CustomerField{Name: d.ComplianceField, Label: label(d.ComplianceField), Masked: d.Masked, Value: d.Masked, Sensitive: true,
			VirtualDocument: d.SubType, UpdatedAt: d.UpdatedAt}
		if open {
			b, err := s.crypt.Open(d.ValueSealed, kyc.VirtualAAD(d.ID))
			if err != nil {
				return nil, fmt.Errorf("compliance: field %s: %w", d.ComplianceField, err)
			}
			f.Value = string(b)
		}
		out = append(out, f)
	}
	for _, v := range vals {
		f := CustomerField{Name: v.Field, Label: label(v.Field), Masked: v.Masked, Value: v.ValueText, Sensitive: v.ValueSealed != nil, UpdatedAt: v.UpdatedAt}
		if f.Sensitive {
			f.Value = v.Masked
			if open {
				b, err := s.crypt.Open(v.ValueSealed, fieldAAD(tenant, cust, v.Field))
				if err != nil {
					return nil, fmt.Errorf("compliance: field %s: %w", v.Field, err)
				}
				f.Value = string(b)
			}
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
