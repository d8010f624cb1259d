package kyc

import (
	"context"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/customer"
)

// autoActivate activates customer cust right after their verification was
// approved, when the tenant turned automatic activation on (guide 004's
// "Automatic Activation"), with the default activation options. The
// approval stands whatever happens here: a failure (say, an IBAN the
// tenant's country cannot have) is recorded in the audit trail, and the
// account can still be activated by Step 4.
func (s *Service) autoActivate(ctx context.Context, tenant, cust uuid.UUID) {
	var on bool
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		st, err := customer.LoadSettings(ctx, q, tenant)
		on = st.AutoActivate
		return err
	})
	if err != nil || !on {
		return
	}
	if _, err := s.Activate(ctx, tenant, cust, DefaultActivation); err != nil {
		_ = db.InTenantTx(context.WithoutCancel(ctx), s.pool, tenant, func(q *db.Queries) error {
			return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "customer.activation.failed", EntityType: "customer",
				EntityID: cust.String(), ReasonCode: "AUTO_ACTIVATION", After: map[string]any{"error": err.Error()}})
		})
	}
}
