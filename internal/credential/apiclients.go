package credential

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/event"
)

// The scopes an API client may hold.
const (
	ScopeCustomersRead      = "customers:read"
	ScopeCustomersWrite     = "customers:write"
	ScopeVerificationWrite  = "verification:write"
	ScopeVerificationReview = "verification:review"
	ScopeScreening          = "screening:search"
	ScopeAML                = "aml:screen"
	ScopeCatalogRead        = "catalog:read"
	ScopeEventsRead         = "events:read"
	// ScopeCustomersOAuth takes customer tokens to act on a customer's
	// behalf (POST /customers/{id}/oauth).
	ScopeCustomersOAuth = "customers:oauth"
)

// ScopeVerificationReviewHigh lets a client decide HIGH-risk reviews, as
// the SENIOR_REVIEWER role lets an employee; it works with
// ScopeVerificationReview.
const ScopeVerificationReviewHigh = "verification:review_high_risk"

// Scopes lists every scope with what it allows, in the order the portal
// offers them.
var Scopes = []struct{ Name, Info string }{
	{ScopeCustomersRead, "Read customers, their standing and the categorisation hierarchy"},
	{ScopeCustomersWrite, "Register customers, change their standing, set PINs and send OTPs"},
	{ScopeVerificationWrite, "Upload KYC documents and read verification status"},
	{ScopeVerificationReview, "Decide verification reviews and activate customers"},
	{ScopeVerificationReviewHigh, "Also decide HIGH-risk verification reviews (with verification:review), as a senior reviewer does"},
	{ScopeScreening, "Screen names against sanctions and PEP lists"},
	{ScopeAML, "Screen transactions against AML rules"},
	{ScopeCatalogRead, "Read fees, branches, pay points and compliance requirements"},
	{ScopeEventsRead, "Replay business events"},
	{ScopeCustomersOAuth, "Take a short customer token to act on a customer's behalf"},
}

// ValidScope reports whether s is a known scope.
func ValidScope(s string) bool {
	for _, sc := range Scopes {
		if sc.Name == s {
			return true
		}
	}
	return false
}

// APIClient is a tenant backend's OAuth client.
type APIClient struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	ClientID   string
	Name       string
	Scopes     []string
	SecretHint string
	Status     string
	CreatedAt  time.Time
	RotatedAt  *time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
	// CertThumbprint binds the client to a client certificate: its
	// x5t#S256 (see Thumbprint); "" when the client is not bound.
	CertThumbprint string
}

func clientFrom(r db.ApiClient) APIClient {
	return APIClient{ID: r.ID, TenantID: r.TenantID, ClientID: r.ClientID, Name: r.Name, Scopes: r.Scopes,
		SecretHint: r.SecretHint, Status: r.Status, CreatedAt: r.CreatedAt, RotatedAt: r.RotatedAt,
		RevokedAt: r.RevokedAt, LastUsedAt: r.LastUsedAt, CertThumbprint: deref(r.CertThumbprint)}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// APIClients manages API clients and issues their tokens.
type APIClients struct {
	pool *pgxpool.Pool
	keys *KeyRing
	// TokenTTL is the life of an admin token.
	TokenTTL time.Duration
	// StatusTTL is how long Active remembers a client's status. A
	// revocation made through this service takes effect here at once; one
	// made by another server takes effect here within StatusTTL.
	StatusTTL time.Duration
	status    sync.Map // uuid.UUID → clientStatus
	revoked   sync.Map // uuid.UUID → struct{}: revoked here; never active again
	// tenants remembers the tenant of client ids seen: a client never
	// moves to another tenant, so the answer never goes stale.
	tenants     sync.Map // string → uuid.UUID
	tenantsSize atomic.Int64
}

// maxRememberedClients bounds the client ids TenantOf remembers.
const maxRememberedClients = 100_000

type clientStatus struct {
	active  bool
	expires time.Time
}

// NewAPIClients returns the service.
func NewAPIClients(pool *pgxpool.Pool, keys *KeyRing) *APIClients {
	return &APIClients{pool: pool, keys: keys, TokenTTL: 15 * time.Minute, StatusTTL: 2 * time.Second}
}

func newSecret() (secret string, hash []byte, hint string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	secret = "cs_" + base64.RawURLEncoding.EncodeToString(b[:])
	h := sha256.Sum256([]byte(secret))
	return secret, h[:], secret[len(secret)-4:]
}

func normaliseScopes(scopes []string) ([]string, error) {
	var out []string
	for _, s := range scopes {
		for _, f := range strings.Fields(s) {
			if !ValidScope(f) {
				return nil, apperr.Validation(apperr.FieldError{Field: "scopes", Issue: fmt.Sprintf("unknown scope %q", f)})
			}
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	if len(out) == 0 {
		return nil, apperr.Validation(apperr.FieldError{Field: "scopes", Issue: "choose at least one scope"})
	}
	slices.Sort(out)
	return out, nil
}

// Create makes a client and returns it with its secret, which is shown
// this once and stored only as a hash.
func (s *APIClients) Create(ctx context.Context, tenant uuid.UUID, name string, scopes []string) (APIClient, string, error) {
	return s.CreateBound(ctx, tenant, name, scopes, "")
}

// CreateBound is Create of a client bound to a client certificate:
// certificate is what ParseThumbprint reads, "" for an unbound client.
func (s *APIClients) CreateBound(ctx context.Context, tenant uuid.UUID, name string, scopes []string, certificate string) (APIClient, string, error) {
	name = strings.TrimSpace(name)
	var fe apperr.Fields
	if name == "" || len([]rune(name)) > 120 {
		fe.Add("name", "give the client a name of 1 to 120 characters")
	}
	scopes, err := normaliseScopes(scopes)
	if e, ok := apperr.As(err); ok {
		fe = append(fe, e.Fields...)
	}
	thumb, err := ParseThumbprint("certificate", certificate)
	if e, ok := apperr.As(err); ok {
		fe = append(fe, e.Fields...)
	}
	if err := fe.Err(); err != nil {
		return APIClient{}, "", err
	}
	secret, hash, hint := newSecret()
	var b [10]byte
	_, _ = rand.Read(b[:])
	clientID := "cl_" + hex.EncodeToString(b[:])
	var created APIClient
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.CreateAPIClient(ctx, db.CreateAPIClientParams{ID: uuid.New(), TenantID: tenant, ClientID: clientID,
			Name: name, Scopes: scopes, SecretHash: hash, SecretHint: hint, CreatedBy: actorStaffID(ctx), CertThumbprint: nullable(thumb)})
		if err != nil {
			return err
		}
		created = clientFrom(row)
		after := map[string]any{"clientId": clientID, "name": name, "scopes": scopes}
		if thumb != "" {
			after["certThumbprint"] = thumb
		}
		return s.record(ctx, q, created, "api_client.created", nil, after)
	})
	if err != nil {
		return APIClient{}, "", fmt.Errorf("credential: create api client: %w", err)
	}
	return created, secret, nil
}

func (s *APIClients) record(ctx context.Context, q *db.Queries, c APIClient, action string, before, after any) error {
	if err := audit.Write(ctx, q, audit.Entry{TenantID: c.TenantID, Action: action, EntityType: "api_client",
		EntityID: c.ID.String(), Before: before, After: after}); err != nil {
		return err
	}
	_, err := event.Write(ctx, q, event.Event{TenantID: c.TenantID, Type: "config.changed", EntityType: "api_client",
		EntityID: c.ID.String(), Payload: map[string]any{"change": action, "clientId": c.ClientID}})
	return err
}

func actorStaffID(ctx context.Context) *uuid.UUID {
	a := actor.From(ctx)
	if a.Kind != actor.Employee {
		return nil
	}
	id, err := uuid.Parse(a.ID)
	if err != nil {
		return nil
	}
	return &id
}

// List returns the tenant's clients, active first.
func (s *APIClients) List(ctx context.Context, tenant uuid.UUID) ([]APIClient, error) {
	var out []APIClient
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.ListAPIClients(ctx, tenant)
		for _, r := range rows {
			out = append(out, clientFrom(r))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("credential: list api clients: %w", err)
	}
	return out, nil
}

// Rotate gives client id a new secret, shown this once; the old secret
// stops working at once.
func (s *APIClients) Rotate(ctx context.Context, tenant, id uuid.UUID) (APIClient, string, error) {
	secret, hash, hint := newSecret()
	var c APIClient
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.RotateAPIClientSecret(ctx, db.RotateAPIClientSecretParams{TenantID: tenant, ID: id, SecretHash: hash, SecretHint: hint})
		if err != nil {
			return err
		}
		c = clientFrom(row)
		return s.record(ctx, q, c, "api_client.secret_rotated", nil, map[string]any{"secretHint": hint})
	})
	if db.IsNotFound(err) {
		return APIClient{}, "", apperr.New(apperr.NotFound, "no such active API client")
	}
	if err != nil {
		return APIClient{}, "", fmt.Errorf("credential: rotate api client: %w", err)
	}
	return c, secret, nil
}

// Revoke stops client id for good: no new tokens, and its live tokens are
// refused from their next call.
func (s *APIClients) Revoke(ctx context.Context, tenant, id uuid.UUID) error {
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.RevokeAPIClient(ctx, db.RevokeAPIClientParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		return s.record(ctx, q, clientFrom(row), "api_client.revoked", map[string]any{"status": "ACTIVE"}, map[string]any{"status": "REVOKED"})
	})
	if db.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "no such active API client")
	}
	if err != nil {
		return fmt.Errorf("credential: revoke api client: %w", err)
	}
	s.revoked.Store(id, struct{}{})
	return nil
}

// SetCertificate binds client id to the certificate given (what
// ParseThumbprint reads), or unbinds it when certificate is empty. Tokens
// already issued keep the binding they were issued with until they
// expire.
func (s *APIClients) SetCertificate(ctx context.Context, tenant, id uuid.UUID, certificate string) (APIClient, error) {
	thumb, err := ParseThumbprint("certificate", certificate)
	if err != nil {
		return APIClient{}, err
	}
	var c APIClient
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		before, err := q.APIClientByID(ctx, db.APIClientByIDParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		row, err := q.SetAPIClientCertificate(ctx, db.SetAPIClientCertificateParams{TenantID: tenant, ID: id, CertThumbprint: nullable(thumb)})
		if err != nil {
			return err
		}
		c = clientFrom(row)
		action := "api_client.certificate_bound"
		if thumb == "" {
			action = "api_client.certificate_unbound"
		}
		return s.record(ctx, q, c, action, map[string]any{"certThumbprint": deref(before.CertThumbprint)}, map[string]any{"certThumbprint": thumb})
	})
	if db.IsNotFound(err) {
		return APIClient{}, apperr.New(apperr.NotFound, "no such active API client")
	}
	if err != nil {
		return APIClient{}, fmt.Errorf("credential: api client certificate: %w", err)
	}
	return c, nil
}

// errInvalidClient is the OAuth error for a bad client id or secret.
func errInvalidClient() error {
	return apperr.New(apperr.Unauthenticated, "client authentication failed").WithAPI("invalid_client")
}

// Token authenticates a client by id and secret and issues an admin token
// for the requested scopes (all of the client's when none are asked).
// presented is the x5t#S256 of the client certificate of the request's
// TLS connection, "" without one: a client bound to a certificate must
// present it, and its token is bound to it (RFC 8705).
func (s *APIClients) Token(ctx context.Context, clientID, secret string, requested []string, presented string) (string, Claims, error) {
	var row db.APIClientForTokenRow
	err := db.OneStatement(ctx, s.pool, uuid.Nil, func(q *db.Queries) error {
		var err error
		row, err = q.APIClientForToken(ctx, clientID)
		return err
	})
	if db.IsNotFound(err) {
		return "", Claims{}, errInvalidClient()
	}
	if err != nil {
		return "", Claims{}, fmt.Errorf("credential: token: %w", err)
	}
	h := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(h[:], row.SecretHash) != 1 || row.Status != "ACTIVE" {
		return "", Claims{}, errInvalidClient()
	}
	if row.CertThumbprint != "" && !SameThumbprint(row.CertThumbprint, presented) {
		return "", Claims{}, errInvalidClient()
	}
	scopes := row.Scopes
	if len(requested) > 0 {
		scopes = nil
		for _, r := range requested {
			if !slices.Contains(row.Scopes, r) {
				return "", Claims{}, apperr.New(apperr.Invalid, "the client may not use scope %q", r).WithAPI("invalid_scope")
			}
			scopes = append(scopes, r)
		}
	}
	raw, claims, err := s.keys.Issue(ctx, Claims{Kind: KindClient, Subject: row.ID.String(), TenantID: row.TenantID, Scopes: scopes,
		CertThumbprint: row.CertThumbprint}, s.TokenTTL)
	if err != nil {
		return "", Claims{}, err
	}
	_ = db.OneStatement(ctx, s.pool, row.TenantID, func(q *db.Queries) error {
		return q.TouchAPIClient(ctx, db.TouchAPIClientParams{TenantID: row.TenantID, ID: row.ID})
	})
	return raw, claims, nil
}

// TenantOf is the tenant of the client whose client_id is clientID, or
// uuid.Nil when there is none (or it cannot be read): the tenant whose
// rate limits a token request is held to.
func (s *APIClients) TenantOf(ctx context.Context, clientID string) uuid.UUID {
	if t, ok := s.tenants.Load(clientID); ok {
		return t.(uuid.UUID)
	}
	var row db.APIClientForTokenRow
	err := db.OneStatement(ctx, s.pool, uuid.Nil, func(q *db.Queries) error {
		var err error
		row, err = q.APIClientForToken(ctx, clientID)
		return err
	})
	if err != nil {
		return uuid.Nil
	}
	if s.tenantsSize.Load() < maxRememberedClients {
		if _, loaded := s.tenants.LoadOrStore(clientID, row.TenantID); !loaded {
			s.tenantsSize.Add(1)
		}
	}
	return row.TenantID
}

// Active reports whether client id of tenant may still call the API.
func (s *APIClients) Active(ctx context.Context, tenant, id uuid.UUID) (bool, error) {
	if _, gone := s.revoked.Load(id); gone {
		return false, nil
	}
	if c, ok := s.status.Load(id); ok && time.Now().Before(c.(clientStatus).expires) {
		return c.(clientStatus).active, nil
	}
	active, err := s.active(ctx, tenant, id)
	if err == nil && s.StatusTTL > 0 {
		s.status.Store(id, clientStatus{active: active, expires: time.Now().Add(s.StatusTTL)})
	}
	return active, err
}

func (s *APIClients) active(ctx context.Context, tenant, id uuid.UUID) (bool, error) {
	var status string
	err := db.OneStatement(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		status, err = q.APIClientStatus(ctx, db.APIClientStatusParams{TenantID: tenant, ID: id})
		return err
	})
	if db.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("credential: client status: %w", err)
	}
	return status == "ACTIVE", nil
}
