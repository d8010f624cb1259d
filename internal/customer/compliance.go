package customer

import (
	"context"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
)

// FieldComplianceFields is where a request carries the customer's custom
// compliance fields (an object of field name to value).
const FieldComplianceFields = ip + ".complianceFields"

// ComplianceFields checks and keeps a customer's custom compliance fields
// (the regulatory pack in force for their country, internal/compliance):
// registration and profile changes call it inside their transactions.
type ComplianceFields interface {
	CheckFields(ctx context.Context, q *db.Queries, in FieldsInput) (FieldsCheck, error)
}

// FieldsInput is what the fields are checked against.
type FieldsInput struct {
	Tenant uuid.UUID
	// Country is the customer's country of residence, else nationality;
	// RiskLevel their risk level.
	Country, RiskLevel string
	Values             map[string]string
	// Partial (a profile change) checks only the values given; a
	// registration also requires every required field and profile field.
	Partial bool
	// Given says whether a registration field (a dotted path such as
	// individualCustomer.occupation) has a value.
	Given func(path string) bool
}

// FieldsCheck is the outcome: the problems, each naming its path, and what
// stores the values once the customer and verification exist. Store
// returns the masked values it changed by path, for the audit record.
type FieldsCheck struct {
	Problems apperr.Fields
	Store    func(ctx context.Context, q *db.Queries, customer, verification uuid.UUID) (map[string]any, error)
}
