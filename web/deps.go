package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/approval"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/cases"
	"github.com/ciamhq/ciam/internal/catalog"
	"github.com/ciamhq/ciam/internal/compliance"
	"github.com/ciamhq/ciam/internal/config"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/customerauth"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/evidence"
	"github.com/ciamhq/ciam/internal/evidence/face"
	"github.com/ciamhq/ciam/internal/kyc"
	"github.com/ciamhq/ciam/internal/metrics"
	"github.com/ciamhq/ciam/internal/ratelimit"
	"github.com/ciamhq/ciam/internal/report"
	"github.com/ciamhq/ciam/internal/retention"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/shred"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
	"github.com/ciamhq/ciam/web/api"
)

// NewDeps builds every service the server needs on pool, wired together:
// the one place that knows which package provides what. now is the clock
// (time.Now when nil).
func NewDeps(cfg config.Config, logger *slog.Logger, pool *pgxpool.Pool, now func() time.Time) Deps {
	return newDeps(cfg, logger, pool, now, nil)
}

// newDeps is NewDeps with a screening service to share (nil: a new one).
// The service holds the lists' index in memory, so tests share one.
func newDeps(cfg config.Config, logger *slog.Logger, pool *pgxpool.Pool, now func() time.Time, lists *screening.Service) Deps {
	if lists == nil {
		lists = screening.NewService(pool)
	}
	if now == nil {
		now = time.Now
	}
	// Customers' personal values in audit records and events are sealed
	// under their data keys (package shred), sealed in turn by the field
	// keys.
	dataKeys := shred.Install(cfg.FieldKeys)
	var publisher *event.Publisher
	if cfg.NATS.URL != "" {
		publisher = event.NewPublisher(pool, event.NATSConfig{URL: cfg.NATS.URL, Stream: cfg.NATS.Stream,
			SubjectPrefix: cfg.NATS.SubjectPrefix, CredsFile: cfg.NATS.CredsFile}, logger)
	}
	mo := metrics.Options{Pool: pool, ReviewSLA: kyc.ReviewSLA, Logger: logger}
	if publisher != nil {
		mo.NATSLag = func(ctx context.Context) (int64, time.Time, bool, error) {
			l, err := publisher.Lag(ctx)
			return l.Events, l.Oldest, l.Down, err
		}
	}
	meters := metrics.New(mo)
	tenants := tenant.NewService(pool)
	limiter := ratelimit.New(pool, now)
	tenants.OnForget(limiter.Forget)
	keys := credential.NewKeyRing(pool, cfg.FieldKeys, cfg.PublicURL.String(), now)
	clients := credential.NewAPIClients(pool, keys)
	customers := customer.NewService(pool, now)
	customers.Screen = func(ctx context.Context, sub screening.Subject) (int, error) {
		res, err := lists.ScreenSubject(ctx, sub)
		return len(res.NewHits), err
	}
	auth := customerauth.NewService(pool, keys, cfg.FieldKeys, now)
	auth.Metrics = meters
	webhooks := event.NewWebhooks(pool, cfg.FieldKeys)
	webhooks.AllowPrivateNetworks = cfg.WebhookAllowPrivate
	var store kyc.Storage = kyc.PostgresStorage{}
	if cfg.DocumentStorage == "folder" {
		store = kyc.FolderStorage{Dir: cfg.DocumentDir}
	}
	verifications := kyc.NewService(pool, cfg.FieldKeys, store, customers, now)
	verifications.Screener = kyc.ListScreener{Lists: lists}
	// Documents are read with tesseract and poppler. Without them nothing
	// is read: identity and address checks say NOT_CHECKED and every
	// verification goes to people.
	if reader, err := evidence.NewReader(evidence.ReaderOptions{}); err != nil {
		logger.Warn("documents will not be read; verifications go to people", "error", err)
	} else {
		verifications.Reader = reader
	}
	// Faces are compared by a node worker started on first use.
	if faces, err := face.Start(context.Background(), cfg.FaceModelsDir); err != nil {
		logger.Warn("selfies will not be compared; they go to people", "error", err)
		verifications.FacesUnavailable = err.Error()
	} else {
		verifications.Faces = faces
	}
	reportCatalog := report.MustCatalog()
	rules := compliance.NewService(pool, cfg.FieldKeys, compliance.MustCatalog(func(id string) bool {
		_, err := reportCatalog.Get(id)
		return err == nil
	}), now)
	customers.Compliance = rules
	// Retention periods come from the pack enabled for a customer's
	// country, else from the tenant's settings.
	keeper := retention.NewService(pool, dataKeys, store)
	keeper.Policy = retention.PackPolicy{Packs: rules}
	keeper.IdempotencyKeep = api.IdempotencyKeep
	customers.RescreenDays = rules.RescreenDays
	verifications.PackInForce = func(ctx context.Context, q *db.Queries, tenant, cust uuid.UUID, risk string, pep bool) (any, bool, error) {
		return rules.InForce(ctx, q, tenant, cust, risk, pep)
	}
	approvals := approval.NewService(pool)
	approvals.Register(compliance.KindPackSet, compliance.PackTarget, compliance.PackApplier{S: rules})
	approvals.Register(staff.KindRoleGrant, "staff", staff.RoleApplier{Grant: true})
	approvals.Register(staff.KindRoleRevoke, "staff", staff.RoleApplier{Grant: false})
	approvals.Register(customer.KindUnlock, "customer", customer.UnlockApplier{Now: now})
	approvals.Register(customer.KindWalletLimits, customer.WalletTarget, walletLimits)
	approvals.Register(customer.KindIdentityCorrection, "customer", customer.IdentityApplier{S: customers})
	approvals.Register(tenant.KindPasswordPolicy, "tenant", tenant.PolicyApplier{})
	approvals.Register(retention.KindSettings, "tenant", retention.SettingsApplier{})
	cat := catalog.NewService(pool, cfg.FieldKeys, now)
	cat.AllowPrivateNetworks = cfg.WebhookAllowPrivate
	approvals.Register(catalog.KindFeeCreate, catalog.FeeTarget, catalog.FeeApplier{Create: true})
	approvals.Register(catalog.KindFeeUpdate, catalog.FeeTarget, catalog.FeeApplier{})
	approvals.Register(catalog.KindConnectorSecret, catalog.ConnectorTarget, catalog.SecretApplier{Keys: cfg.FieldKeys, Now: now})
	monitoring := aml.NewService(pool, approvals, now)
	monitoring.Screener = aml.SanctionsScreener{S: lists}
	monitoring.Metrics = meters
	if cfg.ScreeningFetch {
		lists.FetchEnabled = true
	}
	if meters != nil {
		lists.Metrics = meters
	}
	employees := staff.NewService(pool)
	employees.Metrics = meters
	cs := cases.NewService(pool, cfg.FieldKeys, now)
	audits := audit.NewService(pool)
	events := event.NewService(pool)
	reports := report.NewService(pool, cfg.FieldKeys, now)
	reports.Subjects = &report.Subjects{Customers: customers, Auth: auth, KYC: verifications, Screening: lists, AML: monitoring,
		Cases: cs, Audit: audits, Events: events,
		ComplianceFields: func(ctx context.Context, tenant, cust uuid.UUID) (any, error) {
			return rules.CustomerFields(ctx, tenant, cust, true)
		}}
	approvals.Register(report.KindSubjectAccess, "customer", report.SubjectApplier{S: reports})
	return Deps{
		Config:       cfg,
		Logger:       logger,
		Pool:         pool,
		Now:          now,
		Tenants:      tenants,
		Staff:        employees,
		Audit:        audits,
		OIDC:         NewOIDC(cfg.OIDC, nil),
		Keys:         keys,
		APIClients:   clients,
		Customers:    customers,
		CustomerAuth: auth,
		Approvals:    approvals,
		Preferences:  tenant.NewPreferenceService(pool, tenants),
		Webhooks:     webhooks,
		KYC:          verifications,
		Catalog:      cat,
		Screening:    lists,
		AML:          monitoring,
		Cases:        cs,
		NATS:         publisher,
		Reports:      reports,
		Compliance:   rules,
		Retention:    keeper,
		Metrics:      meters,
		API: api.New(api.Deps{Logger: logger, Pool: pool, Tenants: tenants, Keys: keys, Crypt: cfg.FieldKeys, Clients: clients, Now: now,
			Customers: customers, CustomerSession: customers.SessionCheck, Events: events, KYC: verifications, Approvals: approvals,
			Documents: customerDocuments(verifications), Auth: auth, Compliance: rules, Catalog: cat, Screening: lists, AML: monitoring,
			Limiter: limiter, Metrics: meters}),
	}
}

// documentCountry is the country whose document requirements apply to c:
// where they live, else their nationality.
func documentCountry(c customer.Customer) string {
	if c.Address.Country != "" {
		return c.Address.Country
	}
	return c.Nationality
}

// customerDocuments gives GET /customers/{id} its document slots: the
// latest document of each type, and each required type not given yet as
// MISSING, from the documents and requirements the customer was read with;
// then the customer's virtual and social documents, read from kyc.
func customerDocuments(kycs *kyc.Service) func(context.Context, customer.Detail) ([]api.DocumentStatus, error) {
	return func(ctx context.Context, d customer.Detail) ([]api.DocumentStatus, error) {
		out, err := physicalDocuments(d)
		if err != nil {
			return nil, err
		}
		values, err := kycs.CustomerValueDocuments(ctx, d.Customer.TenantID, d.Customer.ID)
		if err != nil {
			return nil, err
		}
		for _, v := range values {
			kind := api.DocVirtual
			if v.Kind == kyc.TypeSocial {
				kind = api.DocSocial
			}
			out = append(out, api.DocumentStatus{ID: v.ID.String(), Type: v.SubType, Status: v.Status, LastUpdated: v.UpdatedAt,
				Kind: kind, Value: v.Display})
		}
		return out, nil
	}
}

// physicalDocuments are the customer's physical document slots.
func physicalDocuments(d customer.Detail) ([]api.DocumentStatus, error) {
	c := d.Customer
	slots, err := kyc.CustomerDocumentSlots(d.Documents, d.Requirements, c.CIPTag, documentCountry(c), c.RiskLevel, c.CreatedAt)
	if err != nil {
		return nil, err
	}
	// The slot of a type is its latest document: the first of that type,
	// as the documents come newest first.
	var docs []struct{ ID, Type string }
	if err := json.Unmarshal(d.Documents, &docs); err != nil {
		return nil, fmt.Errorf("customer documents: %w", err)
	}
	latest := map[string]string{}
	for _, doc := range docs {
		if _, ok := latest[doc.Type]; !ok {
			latest[doc.Type] = doc.ID
		}
	}
	out := make([]api.DocumentStatus, len(slots))
	for i, sl := range slots {
		out[i] = api.DocumentStatus{Type: sl.Type, Status: sl.Status, LastUpdated: sl.UpdatedAt, Kind: api.DocPhysical}
		if sl.Status != kyc.DocMissing {
			out[i].ID = latest[sl.Type]
		}
	}
	return out, nil
}
