// Package web is the HTTP side of ciam: the portal's handlers, sign-in
// through OpenID Connect, sessions, middleware and the one route table
// (routes.go) that names the permission every route needs.
package web

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/trace"

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
	"github.com/ciamhq/ciam/internal/kyc"
	"github.com/ciamhq/ciam/internal/metrics"
	"github.com/ciamhq/ciam/internal/report"
	"github.com/ciamhq/ciam/internal/retention"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
	"github.com/ciamhq/ciam/static"
	"github.com/ciamhq/ciam/web/api"
)

// Deps is everything the server needs; NewServer takes nothing from
// globals.
type Deps struct {
	Config  config.Config
	Logger  *slog.Logger
	Pool    *pgxpool.Pool
	Tenants *tenant.Service
	Staff   *staff.Service
	Audit   *audit.Service
	// OIDC signs employees in; NewOIDC builds it from the configuration.
	OIDC *OIDC
	// API serves the customer API.
	API        *api.API
	Keys       *credential.KeyRing
	APIClients *credential.APIClients
	Customers  *customer.Service
	// CustomerAuth signs customers in and runs their PINs and one-time
	// codes (the portal resets PINs with it).
	CustomerAuth *customerauth.Service
	Approvals    *approval.Service
	// Preferences are the organisation settings and the password policy.
	Preferences *tenant.PreferenceService
	Webhooks    *event.Webhooks
	KYC         *kyc.Service
	// AML is transaction monitoring: rules, screening, alerts.
	AML *aml.Service
	// Cases groups a customer's alerts and hits into investigations.
	Cases *cases.Service
	// Catalog holds fees, branches and pay points, and connectors.
	Catalog *catalog.Service
	// Screening screens names, keeps the hits queue and loads the lists.
	Screening *screening.Service
	// Reports runs reporting extracts and builds goAML reports.
	Reports *report.Service
	// Compliance holds the regulatory packs, the policy in force and the custom compliance fields.
	Compliance *compliance.Service
	// Retention applies retention periods, erases customers and keeps
	// legal holds.
	Retention *retention.Service
	// NATS publishes the outbox to NATS JetStream; nil without NATS_URL.
	// The caller runs it (serve starts NATS.Run); its Lag is for metrics.
	NATS *event.Publisher
	// Metrics counts and times requests and the rest (served by cmd on
	// METRICS_ADDR, never by this handler); nil records nothing.
	Metrics *metrics.Metrics
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Tracing starts the requests' spans (telemetry.NewTracing); nil:
	// none, and trace ids of the server's own making.
	Tracing trace.TracerProvider
}

type server struct {
	Deps
	store        *sessions.CookieStore
	assetVersion string
	routeAccess  map[string]Access
	crossOrigin  *http.CrossOriginProtection
	routeMetrics map[string]*metrics.Route
}

// NewServer builds the whole HTTP handler: portal, sign-in, health checks
// and static assets, with middleware around them.
func NewServer(d Deps) http.Handler {
	_, h := newServer(d)
	return h
}

func newServer(d Deps) (*server, http.Handler) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	s := &server{
		Deps:         d,
		store:        newSessionStore(d.Config),
		assetVersion: static.Version(),
		crossOrigin:  http.NewCrossOriginProtection(),
	}
	s.crossOrigin.SetDenyHandler(http.HandlerFunc(s.handleCrossOriginDenied))
	mux := http.NewServeMux()
	s.routeAccess = map[string]Access{}
	routes := s.routes()
	s.routeMetrics = routeMetrics(d.Metrics, routes)
	for _, rt := range routes {
		s.routeAccess[rt.Pattern] = rt.Access
		mux.Handle(rt.Pattern, routeSpan(rt.Pattern, s.guard(rt)))
	}
	// Requests are measured inside clientAddress, which hands the mux a
	// copy of the request: the mux writes the route pattern into the one
	// measureRequests holds. Refusals of bad text are measured too.
	var h http.Handler = s.measureRequests(s.refuseBadText(mux, s.apiFallback(mux)))
	h = s.clientAddress(h)
	h = s.securityHeaders(h)
	h = s.logRequests(h)
	h = s.recoverPanics(h)
	h = s.traceRequests(h)
	return s, h
}
