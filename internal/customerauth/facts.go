package customerauth

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
)

// Facts is what is known of a customer's login without its secrets: no
// password, PIN or TOTP secret, nor any hash of one.
type Facts struct {
	CredentialID      uuid.UUID  `json:"credentialId"`
	Status            string     `json:"status"`
	PasswordChangedAt time.Time  `json:"passwordChangedAt"`
	FailedLogins      int        `json:"failedLogins"`
	LockedUntil       *time.Time `json:"lockedUntil"`
	LastLoginAt       *time.Time `json:"lastLoginAt"`
	HasPIN            bool       `json:"hasPin"`
	PINSetAt          *time.Time `json:"pinSetAt"`
	PINFailures       int        `json:"pinFailures"`
	PINLocked         bool       `json:"pinLocked"`
	TOTPConfirmedAt   *time.Time `json:"authenticatorConfirmedAt"`
	CreatedAt         time.Time  `json:"createdAt"`
}

// CredentialFacts is what is known of customer's login, for their subject
// access export; NotFound when they have no login.
func (s *Service) CredentialFacts(ctx context.Context, tenant, customer uuid.UUID) (Facts, error) {
	var r db.CustomerCredentialFactsRow
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		r, err = q.CustomerCredentialFacts(ctx, db.CustomerCredentialFactsParams{TenantID: tenant, CustomerID: customer})
		return err
	})
	if db.IsNotFound(err) {
		return Facts{}, apperr.New(apperr.NotFound, "the customer has no login")
	}
	if err != nil {
		return Facts{}, fmt.Errorf("customerauth: credential facts: %w", err)
	}
	return Facts{CredentialID: r.ID, Status: r.Status, PasswordChangedAt: r.PasswordChangedAt, FailedLogins: int(r.FailedLogins),
		LockedUntil: r.LockedUntil, LastLoginAt: r.LastLoginAt, HasPIN: r.HasPin, PINSetAt: r.PinSetAt, PINFailures: int(r.PinFailures),
		PINLocked: r.PinLocked, TOTPConfirmedAt: r.TotpConfirmedAt, CreatedAt: r.CreatedAt}, nil
}
