package customer

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/audit"
)

// SensitiveFields are the customer's values shown masked until an
// employee who may reveals them.
var SensitiveFields = []string{"email", "phoneNumber", "alternatePhoneNumber", "dateOfBirth", "address", "annualIncome", "iban"}

// RevealPII returns customer id's detail for showing unmasked, and records
// in the audit trail, in the same transaction, that the acting employee
// saw the sensitive fields.
func (s *Service) RevealPII(ctx context.Context, tenant, id uuid.UUID) (Detail, error) {
	var d Detail
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		if d, err = detail(ctx, q, tenant, id); err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "customer.pii.revealed", EntityType: "customer",
			EntityID: id.String(), ReasonCode: "PII_REVEAL", After: map[string]any{"fields": SensitiveFields}})
	})
	if db.IsNotFound(err) {
		return Detail{}, errNotFound()
	}
	if err != nil {
		return Detail{}, fmt.Errorf("customer: reveal: %w", err)
	}
	return d, nil
}

// Applied is the categorisation stored with the customer at registration;
// ok is false when they were registered without one.
func (c Customer) Applied() (a AppliedCategorization, ok bool, err error) {
	if len(c.Categorization) == 0 || string(c.Categorization) == "null" {
		return a, false, nil
	}
	if err := json.Unmarshal(c.Categorization, &a); err != nil {
		return a, false, fmt.Errorf("customer: categorization of %s: %w", c.ID, err)
	}
	return a, true, nil
}
