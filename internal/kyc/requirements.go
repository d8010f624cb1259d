package kyc

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/event"
)

// Document types and sub-types the API knows.
var (
	DocumentTypes = []string{"IDENTITY_DOCUMENT", "PROOF_OF_ADDRESS", "SELFIE", "SOURCE_OF_FUNDS"}
	identitySubs  = []string{"PASSPORT", "NATIONAL_ID", "DRIVERS_LICENSE"}
	addressSubs   = []string{"UTILITY_BILL", "BANK_STATEMENT", "TAX_STATEMENT", "RENTAL_AGREEMENT"}
	fundsSubs     = []string{"BANK_STATEMENT", "PAYSLIP", "TAX_RETURN", "SALE_CONTRACT", "INHERITANCE_DOCUMENT"}
)

// Requirement is one document a customer must or may provide.
type Requirement struct {
	ID uuid.UUID
	// CIPTag is the Customer Identification Program the row belongs to;
	// 1 is the tenant's default program.
	CIPTag     int
	Country    string // "*" for every country
	RiskLevel  string
	Type       string
	SubTypes   []string
	Required   bool
	MaxAgeDays int // 0: no limit

	anySubType bool // an extra document's requirement takes any sub-type
}

// DefaultRequirements are API.md's defaults per risk level: LOW an identity
// document, selfie optional; MEDIUM also a proof of address under three
// months and a selfie; HIGH also the source of funds (and a person decides).
func DefaultRequirements(risk string) []Requirement {
	id := Requirement{Country: "*", RiskLevel: risk, Type: "IDENTITY_DOCUMENT", SubTypes: identitySubs, Required: true}
	selfie := Requirement{Country: "*", RiskLevel: risk, Type: "SELFIE", Required: risk != "LOW"}
	poa := Requirement{Country: "*", RiskLevel: risk, Type: "PROOF_OF_ADDRESS", SubTypes: addressSubs, Required: true, MaxAgeDays: 90}
	sof := Requirement{Country: "*", RiskLevel: risk, Type: "SOURCE_OF_FUNDS", SubTypes: fundsSubs, Required: true}
	switch risk {
	case "LOW":
		return []Requirement{id, selfie}
	case "MEDIUM":
		return []Requirement{id, poa, selfie}
	default:
		return []Requirement{id, poa, selfie, sof}
	}
}

// DefaultCIP is every tenant's default Customer Identification Program.
const DefaultCIP = 1

// MaxCIP is the highest CIP tag (guide 002 speaks of up to 3,000).
const MaxCIP = 3000

// requirementsFor picks the tenant's requirements of program cip for a
// country and risk level: the program's rows for the country, else its
// rows for every country; a program with neither falls back to the
// default program the same way; else the defaults.
func requirementsFor(rows []db.KycRequirement, cip int, country, risk string) []Requirement {
	if cip != DefaultCIP {
		if out := requirementsOf(rows, cip, country, risk); len(out) > 0 {
			return out
		}
	}
	if out := requirementsOf(rows, DefaultCIP, country, risk); len(out) > 0 {
		return out
	}
	return DefaultRequirements(risk)
}

// requirementsOf is program cip's rows for a country and risk level: the
// country's own, else those for every country; nil when it has none.
func requirementsOf(rows []db.KycRequirement, cip int, country, risk string) []Requirement {
	pick := func(c string) []Requirement {
		var out []Requirement
		for _, r := range rows {
			if int(r.CipTag) == max(cip, DefaultCIP) && r.Country == c && r.RiskLevel == risk {
				req := Requirement{ID: r.ID, CIPTag: int(r.CipTag), Country: r.Country, RiskLevel: r.RiskLevel, Type: r.DocType, SubTypes: r.SubTypes, Required: r.Required}
				if r.MaxAgeDays != nil {
					req.MaxAgeDays = int(*r.MaxAgeDays)
				}
				out = append(out, req)
			}
		}
		return out
	}
	if out := pick(country); len(out) > 0 {
		return out
	}
	return pick("*")
}

// accepted is the requirement that governs a document of type t given by
// a customer whose own requirements are reqs: their requirement of that
// type, or, for an extra document their requirements do not ask for (a
// utility bill from a LOW customer), what the tenant accepts of that type
// in country at any risk level. ok is false when the tenant accepts the
// type for no one.
func accepted(rows []db.KycRequirement, reqs []Requirement, cip int, country, t string) (Requirement, bool) {
	if i := slices.IndexFunc(reqs, func(r Requirement) bool { return r.Type == t }); i >= 0 {
		return reqs[i], true
	}
	var out Requirement
	found := false
	for _, level := range []string{"LOW", "MEDIUM", "HIGH"} {
		for _, r := range requirementsFor(rows, cip, country, level) {
			if r.Type != t {
				continue
			}
			if !found {
				out = Requirement{Country: r.Country, Type: t, MaxAgeDays: r.MaxAgeDays}
			}
			found = true
			if len(r.SubTypes) == 0 {
				out.SubTypes, out.anySubType = nil, true
			}
			if !out.anySubType {
				for _, st := range r.SubTypes {
					if !slices.Contains(out.SubTypes, st) {
						out.SubTypes = append(out.SubTypes, st)
					}
				}
			}
			if r.MaxAgeDays > 0 && (out.MaxAgeDays == 0 || r.MaxAgeDays < out.MaxAgeDays) {
				out.MaxAgeDays = r.MaxAgeDays
			}
		}
	}
	return out, found
}

// Requirements returns the documents program cip requires in country at
// risk level.
func (s *Service) Requirements(ctx context.Context, tenant uuid.UUID, cip int, country, risk string) ([]Requirement, error) {
	var fe apperr.Fields
	country, risk = strings.ToUpper(strings.TrimSpace(country)), strings.ToUpper(strings.TrimSpace(risk))
	if country == "" || (country != "*" && len(country) != 2) {
		fe.Add("country", "must be an ISO 3166 alpha-2 country code")
	}
	if !slices.Contains([]string{"LOW", "MEDIUM", "HIGH"}, risk) {
		fe.Add("riskLevel", "must be LOW, MEDIUM or HIGH")
	}
	if cip < DefaultCIP || cip > MaxCIP {
		fe.Add("cipTag", "must be a CIP tag from 1 to %d", MaxCIP)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var rows []db.KycRequirement
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		rows, err = q.KYCRequirements(ctx, tenant)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("kyc: requirements: %w", err)
	}
	return requirementsFor(rows, cip, country, risk), nil
}

// AllRequirements lists the tenant's own requirement rows, for the portal.
func (s *Service) AllRequirements(ctx context.Context, tenant uuid.UUID) ([]Requirement, error) {
	var rows []db.KycRequirement
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		rows, err = q.KYCRequirements(ctx, tenant)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("kyc: requirements: %w", err)
	}
	var out []Requirement
	for _, r := range rows {
		req := Requirement{ID: r.ID, CIPTag: int(r.CipTag), Country: r.Country, RiskLevel: r.RiskLevel, Type: r.DocType, SubTypes: r.SubTypes, Required: r.Required}
		if r.MaxAgeDays != nil {
			req.MaxAgeDays = int(*r.MaxAgeDays)
		}
		out = append(out, req)
	}
	return out, nil
}

// SetRequirement adds or changes one of the tenant's requirement rows,
// audited, with a config.changed event.
func (s *Service) SetRequirement(ctx context.Context, tenant uuid.UUID, r Requirement) (Requirement, error) {
	r.Country = strings.ToUpper(strings.TrimSpace(r.Country))
	r.Type = strings.ToUpper(strings.TrimSpace(r.Type))
	var fe apperr.Fields
	if r.Country != "*" && (len(r.Country) != 2 || strings.ToUpper(r.Country) != r.Country) {
		fe.Add("country", "must be * or an ISO 3166 alpha-2 country code")
	}
	if !slices.Contains([]string{"LOW", "MEDIUM", "HIGH"}, r.RiskLevel) {
		fe.Add("riskLevel", "must be LOW, MEDIUM or HIGH")
	}
	if !slices.Contains(DocumentTypes, r.Type) {
		fe.Add("type", "must be one of %s", strings.Join(DocumentTypes, ", "))
	}
	if r.MaxAgeDays < 0 || r.MaxAgeDays > 3650 {
		fe.Add("maxAgeDays", "must be between 0 (no limit) and 3650")
	}
	if r.CIPTag == 0 {
		r.CIPTag = DefaultCIP
	}
	if r.CIPTag < DefaultCIP || r.CIPTag > MaxCIP {
		fe.Add("cipTag", "must be a CIP tag from 1 to %d", MaxCIP)
	}
	for _, st := range r.SubTypes {
		if st == "" || strings.ToUpper(st) != st {
			fe.Add("subTypes", "use upper-case names such as PASSPORT")
			break
		}
	}
	if err := fe.Err(); err != nil {
		return Requirement{}, err
	}
	if r.ID == uuid.Nil {
		r.ID = uuid.New()
	}
	var maxAge *int32
	if r.MaxAgeDays > 0 {
		v := int32(r.MaxAgeDays)
		maxAge = &v
	}
	if r.SubTypes == nil {
		r.SubTypes = []string{}
	}
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.UpsertKYCRequirement(ctx, db.UpsertKYCRequirementParams{ID: r.ID, TenantID: tenant, CipTag: int32(r.CIPTag), Country: r.Country,
			RiskLevel: r.RiskLevel, DocType: r.Type, SubTypes: r.SubTypes, Required: r.Required, MaxAgeDays: maxAge})
		if err != nil {
			return err
		}
		r.ID = row.ID
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "kyc.requirement.set", EntityType: "kyc_requirement",
			EntityID: row.ID.String(), After: r}); err != nil {
			return err
		}
		_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "config.changed", EntityType: "kyc_requirement", EntityID: row.ID.String(),
			Payload: map[string]any{"change": "kyc.requirement.set", "requirement": r}})
		return err
	})
	if err != nil {
		return Requirement{}, fmt.Errorf("kyc: set requirement: %w", err)
	}
	return r, nil
}

// DeleteRequirement removes one of the tenant's requirement rows.
func (s *Service) DeleteRequirement(ctx context.Context, tenant, id uuid.UUID) error {
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		n, err := q.DeleteKYCRequirement(ctx, db.DeleteKYCRequirementParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.New(apperr.NotFound, "no such requirement")
		}
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "kyc.requirement.deleted", EntityType: "kyc_requirement", EntityID: id.String()})
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return err
		}
		return fmt.Errorf("kyc: delete requirement: %w", err)
	}
	return nil
}
