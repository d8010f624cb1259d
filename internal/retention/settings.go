package retention

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
)

// KindSettings is the change request kind of a change to a tenant's
// retention periods: a four-eyes change, as shortening one deletes data.
const KindSettings = "retention.update"

// Settings are the periods of the default policy, as a change request
// carries them.
type Settings struct {
	DocumentDays       int `json:"documentDays"`
	ClosedCustomerDays int `json:"closedCustomerDays"`
}

// Settings returns tenant's retention settings.
func (s *Service) Settings(ctx context.Context, tenant uuid.UUID) (Settings, error) {
	var out Settings
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		p, err := SettingsPolicy{}.Periods(ctx, q, tenant, "")
		out = Settings{DocumentDays: p.DocumentDays, ClosedCustomerDays: p.ClosedCustomerDays}
		return err
	})
	if err != nil {
		return Settings{}, fmt.Errorf("retention: settings: %w", err)
	}
	return out, nil
}

// SettingsApplier applies retention settings under four-eyes; the target
// is the tenant itself.
type SettingsApplier struct{}

// Current is the settings in force.
func (SettingsApplier) Current(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (json.RawMessage, error) {
	p, err := SettingsPolicy{}.Periods(ctx, q, tenant, "")
	if err != nil {
		return nil, err
	}
	return json.Marshal(Settings{DocumentDays: p.DocumentDays, ClosedCustomerDays: p.ClosedCustomerDays})
}

// Check validates the proposed settings.
func (SettingsApplier) Check(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	var st Settings
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, apperr.New(apperr.Malformed, "the retention settings could not be read")
	}
	if err := (Periods{DocumentDays: st.DocumentDays, ClosedCustomerDays: st.ClosedCustomerDays}).Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(st)
}

// Apply puts the settings in force.
func (a SettingsApplier) Apply(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	after, err := a.Check(ctx, q, tenant, target, payload)
	if err != nil {
		return nil, err
	}
	before, err := a.Current(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	var st Settings
	if err := json.Unmarshal(after, &st); err != nil {
		return nil, err
	}
	if err := q.EnsureTenantSettings(ctx, tenant); err != nil {
		return nil, err
	}
	if err := q.UpdateRetentionSettings(ctx, db.UpdateRetentionSettingsParams{TenantID: tenant,
		RetentionDocumentsDays: int32(st.DocumentDays), RetentionClosedDays: int32(st.ClosedCustomerDays)}); err != nil {
		return nil, err
	}
	if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "retention.settings.updated", EntityType: "tenant",
		EntityID: tenant.String(), ReasonCode: "FOUR_EYES_APPROVED", Before: before, After: after}); err != nil {
		return nil, err
	}
	return after, nil
}
