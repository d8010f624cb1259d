// Package customerauth authenticates a tenant's customers: password
// sign-in with a race-free temporary lockout, the one-time-code step when
// the tenant asks for it, sessions as rotating refresh-token families with
// reuse detection, transaction PINs, one-time codes for sensitive actions
// and TOTP authenticator apps. Secrets (passwords, PINs, codes, TOTP
// secrets) never reach logs, the audit trail or error messages.
package customerauth

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/metrics"
)

// Service authenticates customers.
type Service struct {
	pool  *pgxpool.Pool
	keys  *credential.KeyRing
	crypt *fieldcrypt.Keys
	now   func() time.Time
	// HashParams are argon2id's parameters for new PINs.
	HashParams credential.Argon2Params
	// Metrics counts failed sign-ins and lockouts; nil counts nothing.
	Metrics *metrics.Metrics
}

// NewService returns a Service issuing access tokens with keys and sealing
// TOTP secrets with crypt.
func NewService(pool *pgxpool.Pool, keys *credential.KeyRing, crypt *fieldcrypt.Keys, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{pool: pool, keys: keys, crypt: crypt, now: now, HashParams: credential.DefaultArgon2}
}

// inTx runs fn in one tenant transaction and then returns the refusal fn
// recorded, if any. A refusal that must leave a trace (an attempt counted,
// a session revoked) commits what fn wrote before it is returned.
func (s *Service) inTx(ctx context.Context, tenant uuid.UUID, op string, fn func(q *db.Queries, refuse func(error)) error) error {
	var refusal error
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		refusal = nil
		return fn(q, func(e error) { refusal = e })
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return err
		}
		return fmt.Errorf("customerauth: %s: %w", op, err)
	}
	return refusal
}

// customerActive refuses a customer an employee has locked or closed, or
// whose credentials are disabled.
func customerActive(customerStatus, credentialStatus string) error {
	switch {
	case customerStatus == customer.StatusLocked:
		return apperr.New(apperr.Forbidden, "this customer's account is locked; the customer should contact support").WithAPI("ACCOUNT_DISABLED")
	case customerStatus == customer.StatusClosed || customerStatus == customer.StatusErased:
		return apperr.New(apperr.Forbidden, "this customer's account is closed").WithAPI("ACCOUNT_DISABLED")
	case credentialStatus != "" && credentialStatus != "ACTIVE":
		return apperr.New(apperr.Forbidden, "this customer's sign-in is disabled; the customer should contact support").WithAPI("ACCOUNT_DISABLED")
	}
	return nil
}

func errCustomerNotFound() error {
	return apperr.New(apperr.NotFound, "no such customer").WithAPI("CUSTOMER_NOT_FOUND")
}

// authState reads what the PIN, OTP and TOTP flows need of a customer and
// locks their credential row for the rest of the transaction.
func authState(ctx context.Context, q *db.Queries, tenant, id uuid.UUID) (db.CustomerAuthStateRow, error) {
	st, err := q.CustomerAuthState(ctx, db.CustomerAuthStateParams{TenantID: tenant, CustomerID: id})
	if db.IsNotFound(err) {
		return st, errCustomerNotFound()
	}
	return st, err
}

// writeAudit is audit.Write for a customer.
func writeAudit(ctx context.Context, q *db.Queries, tenant uuid.UUID, customerID uuid.UUID, action, reason string, before, after any) error {
	id := ""
	if customerID != uuid.Nil {
		id = customerID.String()
	}
	return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: action, EntityType: "customer", EntityID: id,
		ReasonCode: reason, Before: before, After: after})
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// retryIn is how long until t, at least a second.
func retryIn(t, now time.Time) time.Duration {
	if d := t.Sub(now); d > time.Second {
		return d
	}
	return time.Second
}
