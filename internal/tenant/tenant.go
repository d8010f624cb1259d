// Package tenant owns tenants: their slug ↔ UUID resolution (the
// X-Tenant-ID header), creation by the platform operator, and their
// organisation settings.
package tenant

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
)

// Tenant is one fintech using the platform.
type Tenant struct {
	ID        uuid.UUID
	Slug      string
	Name      string
	Status    string
	TimeZone  string
	CreatedAt time.Time
}

func fromRow(r db.Tenant) Tenant {
	return Tenant{ID: r.ID, Slug: r.Slug, Name: r.Name, Status: r.Status, TimeZone: r.TimeZone, CreatedAt: r.CreatedAt}
}

// Location is the tenant's time zone, UTC when it cannot be loaded.
func (t Tenant) Location() *time.Location {
	if loc, err := time.LoadLocation(t.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// Service manages tenants.
type Service struct {
	pool  *pgxpool.Pool
	cache sync.Map // ref (slug or id) → cached
	ttl   time.Duration
	// forgetters are told when a tenant's settings changed here, so that
	// caches of other services drop what they keep of it.
	forgetters []func(uuid.UUID)
}

// OnForget registers f to be called whenever Forget is: f drops what its
// service keeps of the tenant. Call it while wiring, before serving.
func (s *Service) OnForget(f func(uuid.UUID)) { s.forgetters = append(s.forgetters, f) }

type cached struct {
	t       Tenant
	expires time.Time
}

// NewService returns a Service on pool.
func NewService(pool *pgxpool.Pool) *Service {
	return &Service{pool: pool, ttl: 30 * time.Second}
}

// ErrNotFound is the contract's unknown-tenant error.
func errNotFound() error {
	return apperr.New(apperr.NotFound, "unknown tenant").WithAPI("TENANT_NOT_FOUND")
}

// Resolve finds a tenant by slug or UUID, as X-Tenant-ID carries either.
// Results are cached briefly: resolution is on every API call's path.
func (s *Service) Resolve(ctx context.Context, ref string) (Tenant, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return Tenant{}, errNotFound()
	}
	if c, ok := s.cache.Load(ref); ok && time.Now().Before(c.(cached).expires) {
		return c.(cached).t, nil
	}
	var row db.Tenant
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		var err error
		if id, perr := uuid.Parse(ref); perr == nil {
			row, err = q.TenantByID(ctx, id)
		} else {
			row, err = q.TenantBySlug(ctx, strings.ToLower(ref))
		}
		return err
	})
	if db.IsNotFound(err) {
		return Tenant{}, errNotFound()
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("tenant: resolve: %w", err)
	}
	t := fromRow(row)
	s.cache.Store(ref, cached{t: t, expires: time.Now().Add(s.ttl)})
	return t, nil
}

// Forget drops a tenant from the resolution cache after it changed.
func (s *Service) Forget(id uuid.UUID) {
	for _, f := range s.forgetters {
		f(id)
	}
	s.cache.Range(func(k, v any) bool {
		if v.(cached).t.ID == id {
			s.cache.Delete(k)
		}
		return true
	})
}

// Get returns the tenant with id.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Tenant, error) {
	return s.Resolve(ctx, id.String())
}

// List returns every tenant, for the platform operator.
func (s *Service) List(ctx context.Context) ([]Tenant, error) {
	var out []Tenant
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		rows, err := q.ListTenants(ctx)
		for _, r := range rows {
			out = append(out, fromRow(r))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("tenant: list: %w", err)
	}
	return out, nil
}

// CreateParams describes a new tenant.
type CreateParams struct {
	ID       uuid.UUID // optional; a new one when zero
	Slug     string
	Name     string
	TimeZone string // optional; UTC when empty
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{1,62}$`)

// Create makes a tenant and writes the first record of its audit chain.
// then, when not nil, runs in the same transaction (acting for the new
// tenant), so that what it adds — a first administrator — exists exactly
// when the tenant does.
func (s *Service) Create(ctx context.Context, p CreateParams, then func(q *db.Queries, t Tenant) error) (Tenant, error) {
	p.Slug = strings.ToLower(strings.TrimSpace(p.Slug))
	p.Name = strings.TrimSpace(p.Name)
	p.TimeZone = strings.TrimSpace(p.TimeZone)
	if p.TimeZone == "" {
		p.TimeZone = "UTC"
	}
	var fe apperr.Fields
	if !slugPattern.MatchString(p.Slug) {
		fe.Add("slug", "use 2 to 63 lower-case letters, digits, _ or -, starting with a letter or digit")
	}
	if _, err := uuid.Parse(p.Slug); err == nil {
		fe.Add("slug", "must not look like a UUID")
	}
	if p.Name == "" || len(p.Name) > 200 {
		fe.Add("name", "give a name of 1 to 200 characters")
	}
	if _, err := time.LoadLocation(p.TimeZone); err != nil {
		fe.Add("timeZone", "not a known time zone, e.g. Europe/London")
	}
	if err := fe.Err(); err != nil {
		return Tenant{}, err
	}
	if p.ID == uuid.Nil {
		p.ID = uuid.New()
	}
	var row db.Tenant
	err := db.InTenantTx(ctx, s.pool, p.ID, func(q *db.Queries) error {
		var err error
		row, err = q.CreateTenant(ctx, db.CreateTenantParams{ID: p.ID, Slug: p.Slug, Name: p.Name, TimeZone: p.TimeZone})
		if err != nil {
			return err
		}
		err = audit.Write(ctx, q, audit.Entry{
			TenantID: row.ID, Action: "tenant.created", EntityType: "tenant", EntityID: row.ID.String(),
			After: map[string]any{"slug": row.Slug, "name": row.Name, "timeZone": row.TimeZone},
		})
		if err != nil || then == nil {
			return err
		}
		return then(q, fromRow(row))
	})
	if db.IsUniqueViolation(err, "tenants_slug_key") {
		return Tenant{}, apperr.Validation(apperr.FieldError{Field: "slug", Issue: "already taken"})
	}
	if db.IsUniqueViolation(err, "tenants_pkey") {
		return Tenant{}, apperr.New(apperr.Conflict, "a tenant with id %s already exists", p.ID)
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("tenant: create: %w", err)
	}
	return fromRow(row), nil
}
