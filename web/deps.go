package web

import (
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/internal/approval"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/config"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/customerauth"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
	"github.com/ciamhq/ciam/web/api"
)

// NewDeps builds every service the server needs on pool, wired together:
// the one place that knows which package provides what. now is the clock
// (time.Now when nil).
func NewDeps(cfg config.Config, logger *slog.Logger, pool *pgxpool.Pool, now func() time.Time) Deps {
	if now == nil {
		now = time.Now
	}
	tenants := tenant.NewService(pool)
	keys := credential.NewKeyRing(pool, cfg.FieldKeys, cfg.PublicURL.String(), now)
	clients := credential.NewAPIClients(pool, keys)
	customers := customer.NewService(pool, now)
	auth := customerauth.NewService(pool, keys, cfg.FieldKeys, now)
	webhooks := event.NewWebhooks(pool, cfg.FieldKeys)
	webhooks.AllowPrivateNetworks = cfg.WebhookAllowPrivate
	approvals := approval.NewService(pool)
	approvals.Register(staff.KindRoleGrant, "staff", staff.RoleApplier{Grant: true})
	approvals.Register(staff.KindRoleRevoke, "staff", staff.RoleApplier{Grant: false})
	return Deps{
		Config:       cfg,
		Logger:       logger,
		Pool:         pool,
		Now:          now,
		Tenants:      tenants,
		Staff:        staff.NewService(pool),
		Audit:        audit.NewService(pool),
		OIDC:         NewOIDC(cfg.OIDC, nil),
		Keys:         keys,
		APIClients:   clients,
		Customers:    customers,
		CustomerAuth: auth,
		Approvals:    approvals,
		Webhooks:     webhooks,
		API: api.New(api.Deps{Logger: logger, Pool: pool, Tenants: tenants, Keys: keys, Clients: clients, Now: now,
			Customers: customers, CustomerSession: customers.SessionCheck, Events: event.NewService(pool), Auth: auth}),
	}
}
