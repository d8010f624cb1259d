// Package api is the customer API under /api/v2.1/ and the OAuth token
// endpoint: its own authentication (bearer JWTs), tenant resolution from
// X-Tenant-ID, the error envelope, hardened JSON decoding, idempotency and
// the DTOs of API.md. Routes are listed in web/routes.go.
package api

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/approval"
	"github.com/ciamhq/ciam/internal/catalog"
	"github.com/ciamhq/ciam/internal/compliance"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/customerauth"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/kyc"
	"github.com/ciamhq/ciam/internal/metrics"
	"github.com/ciamhq/ciam/internal/ratelimit"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/tenant"
)

// Prefix is where the versioned API lives.
const Prefix = "/api/v2.1"

// Deps is what the API needs.
type Deps struct {
	Logger  *slog.Logger
	Pool    *pgxpool.Pool
	Tenants *tenant.Service
	Keys    *credential.KeyRing
	// Crypt seals stored idempotent responses: they may hold tokens.
	Crypt   *fieldcrypt.Keys
	Clients *credential.APIClients
	// CustomerSession, when set, says whether a customer token's customer
	// and session are still good (a LOCKED or CLOSED customer, or a
	// revoked session, is refused at once).
	CustomerSession CustomerSessionCheck
	Customers       *customer.Service
	Events          *event.Service
	// Approvals holds four-eyes changes (customer unlocks).
	Approvals *approval.Service
	KYC       *kyc.Service
	// Compliance, when set, adds the regulatory pack in force to the
	// compliance requirements (its profile and custom fields).
	Compliance *compliance.Service
	// AML screens transactions against the tenant's rules.
	AML *aml.Service
	// Auth signs customers in and runs their PINs and one-time codes.
	Auth *customerauth.Service
	// Catalog prices transactions and finds branches and pay points.
	Catalog *catalog.Service
	// Documents, when set, gives a customer's document slots (the KYC
	// capability): physical ones from d, virtual and social ones read with
	// ctx; otherwise the defaults per risk level show as MISSING.
	Documents func(ctx context.Context, d customer.Detail) ([]DocumentStatus, error)
	// Screening screens names against the sanctions and PEP lists.
	Screening *screening.Service
	// Limiter, when set, enforces the tenant's rate limits on the token
	// endpoint, customer sign-in and its codes, and registration.
	Limiter *ratelimit.Limiter
	// Metrics counts rate-limit refusals; nil counts nothing.
	Metrics *metrics.Metrics
	Now     func() time.Time
}

// API serves the JSON API.
type API struct {
	Deps
}

// New returns the API.
func New(d Deps) *API {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return &API{Deps: d}
}
