package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/telemetry"
	"github.com/ciamhq/ciam/internal/tenant"
)

// CustomerSessionCheck returns nil when customer's session may still act:
// the customer is not LOCKED or CLOSED and the session is not revoked.
type CustomerSessionCheck func(ctx context.Context, tenant, customer uuid.UUID, session string) error

// Principal is who is calling.
type Principal struct {
	// Kind is credential.KindClient or credential.KindCustomer; empty on
	// tenant-public routes, where nobody is authenticated yet.
	Kind     string
	TenantID uuid.UUID
	// ClientID is the api_clients.id of an admin token.
	ClientID uuid.UUID
	// CustomerID is the customer of a customer token.
	CustomerID uuid.UUID
	SessionID  string
	Scopes     []string
}

type principalKey struct{}
type tenantKey struct{}

// PrincipalFrom is the authenticated caller of a request.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// TenantFrom is the tenant X-Tenant-ID resolved to.
func TenantFrom(ctx context.Context) (tenant.Tenant, bool) {
	t, ok := ctx.Value(tenantKey{}).(tenant.Tenant)
	return t, ok
}

// Access rules of API routes, as web/routes.go writes them:
//
//	"api-public"               no token, no tenant (token endpoint, keys, spec)
//	"tenant-public"            X-Tenant-ID and no token: the customer's app
//	                           signing in (the guard ignores any token)
//	"scope:S"                  an admin token holding scope S
//	"customer"                 a customer token
//	"scope:S|customer"         either
type Access string

// Access rules without a token.
const (
	AccessPublic       Access = "api-public"
	AccessTenantPublic Access = "tenant-public"
)

// Parse splits an access rule into the scope an admin token needs ("" for
// none accepted) and whether a customer token is accepted.
func (a Access) Parse() (scope string, customer bool) {
	for _, part := range strings.Split(string(a), "|") {
		switch {
		case part == "customer":
			customer = true
		case strings.HasPrefix(part, "scope:"):
			scope = strings.TrimPrefix(part, "scope:")
		}
	}
	return scope, customer
}

var (
	errNoTenant   = apperr.New(apperr.Malformed, "send the X-Tenant-ID header with your tenant's slug or id").WithAPI("INVALID_REQUEST")
	errNoToken    = apperr.New(apperr.Unauthenticated, "send an Authorization: Bearer token (or X-Auth-Token)").WithAPI("UNAUTHENTICATED")
	errWrongTenat = apperr.New(apperr.Forbidden, "this token was issued for another tenant").WithAPI("FORBIDDEN")
	// errCertificateBound refuses a certificate-bound token (RFC 8705) on a
	// connection without its client certificate.
	errCertificateBound = apperr.New(apperr.Unauthenticated, "this token is bound to a client certificate: call over TLS with that certificate").WithAPI("INVALID_TOKEN")
)

// tenantOf resolves the request's X-Tenant-ID to an active tenant.
func (a *API) tenantOf(r *http.Request) (tenant.Tenant, error) {
	ref := strings.TrimSpace(r.Header.Get("X-Tenant-ID"))
	if ref == "" {
		return tenant.Tenant{}, errNoTenant
	}
	t, err := a.Tenants.Resolve(r.Context(), ref)
	if err != nil {
		return tenant.Tenant{}, err
	}
	telemetry.SetTenant(r.Context(), t.ID)
	if t.Status != "ACTIVE" {
		return tenant.Tenant{}, apperr.New(apperr.Forbidden, "this tenant is suspended").WithAPI("TENANT_SUSPENDED")
	}
	return t, nil
}

// Guard wraps h with tenant resolution and token checks for access.
func (a *API) Guard(access Access, h http.Handler) http.Handler {
	switch access {
	case AccessPublic:
		return h
	case AccessTenantPublic:
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t, err := a.tenantOf(r)
			if err != nil {
				a.WriteError(w, r, err)
				return
			}
			ctx := actor.With(r.Context(), actor.Actor{Kind: actor.Anonymous, Name: "customer app", TenantID: t.ID})
			ctx = context.WithValue(ctx, tenantKey{}, t)
			ctx = context.WithValue(ctx, principalKey{}, Principal{TenantID: t.ID})
			h.ServeHTTP(w, r.WithContext(ctx))
		})
	}
	scope, customerOK := access.Parse()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := a.tenantOf(r)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		raw, ok := bearerToken(r)
		if !ok {
			a.WriteError(w, r, errNoToken)
			return
		}
		claims, err := a.Keys.Verify(r.Context(), raw)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		if claims.TenantID != t.ID {
			a.WriteError(w, r, errWrongTenat)
			return
		}
		if claims.CertThumbprint != "" && !credential.SameThumbprint(claims.CertThumbprint, PeerThumbprint(r)) {
			a.WriteError(w, r, errCertificateBound)
			return
		}
		p := Principal{Kind: claims.Kind, TenantID: t.ID, Scopes: claims.Scopes, SessionID: claims.SessionID}
		subject, err := uuid.Parse(claims.Subject)
		if err != nil {
			a.WriteError(w, r, apperr.New(apperr.Unauthenticated, "the bearer token is not valid for this API").WithAPI("INVALID_TOKEN"))
			return
		}
		ctx := r.Context()
		switch claims.Kind {
		case credential.KindClient:
			if scope == "" || !claims.HasScope(scope) {
				a.WriteError(w, r, insufficient(scope, customerOK))
				return
			}
			active, err := a.Clients.Active(ctx, t.ID, subject)
			if err != nil {
				a.WriteError(w, r, err)
				return
			}
			if !active {
				a.WriteError(w, r, apperr.New(apperr.Unauthenticated, "this API client has been revoked").WithAPI("INVALID_TOKEN"))
				return
			}
			p.ClientID = subject
			ctx = actor.With(ctx, actor.Actor{Kind: actor.APIClient, ID: subject.String(), Name: "API client", TenantID: t.ID})
		case credential.KindCustomer:
			if !customerOK {
				a.WriteError(w, r, insufficient(scope, false))
				return
			}
			if a.CustomerSession == nil {
				a.WriteError(w, r, apperr.New(apperr.Unauthenticated, "customer tokens are not accepted here").WithAPI("INVALID_TOKEN"))
				return
			}
			if err := a.CustomerSession(ctx, t.ID, subject, claims.SessionID); err != nil {
				a.WriteError(w, r, err)
				return
			}
			p.CustomerID = subject
			ctx = actor.With(ctx, actor.Actor{Kind: actor.Customer, ID: subject.String(), Name: "customer", TenantID: t.ID})
		}
		ctx = context.WithValue(ctx, tenantKey{}, t)
		ctx = context.WithValue(ctx, principalKey{}, p)
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// bearerToken is the request's token: from Authorization: Bearer, or from
// X-Auth-Token as guide 000 calls it (the token alone, or with "Bearer "
// before it). Authorization wins when both are sent. The scheme is matched
// without regard to case, as RFC 7235 has it (bearer, BEARER).
func bearerToken(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		raw, ok := cutBearer(h)
		return raw, ok && raw != ""
	}
	h := strings.TrimSpace(r.Header.Get("X-Auth-Token"))
	if raw, ok := cutBearer(h); ok {
		h = raw
	}
	return h, h != ""
}

// cutBearer is the credentials after a Bearer scheme in h, and whether h
// has that scheme.
func cutBearer(h string) (string, bool) {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

func insufficient(scope string, customerOK bool) error {
	switch {
	case scope == "":
		return apperr.New(apperr.Forbidden, "this call takes a customer token").WithAPI("INSUFFICIENT_SCOPE")
	case customerOK:
		return apperr.New(apperr.Forbidden, "this call needs the scope %s or a customer token", scope).WithAPI("INSUFFICIENT_SCOPE")
	default:
		return apperr.New(apperr.Forbidden, "this call needs the scope %s", scope).WithAPI("INSUFFICIENT_SCOPE")
	}
}

// OwnCustomer refuses a customer token acting on another customer; admin
// tokens may act on any customer of their tenant.
func OwnCustomer(ctx context.Context, customer uuid.UUID) error {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return apperr.New(apperr.Unauthenticated, "not signed in")
	}
	if p.Kind == credential.KindCustomer && p.CustomerID != customer {
		// As for an id of another tenant: the customer does not exist for them.
		return apperr.New(apperr.NotFound, "no such customer").WithAPI("CUSTOMER_NOT_FOUND")
	}
	return nil
}
