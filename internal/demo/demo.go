// Package demo seeds the demo tenant and its employees, one per role, that
// `make run` and the browser tests sign in with. Seeding is idempotent.
package demo

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
)

//go:embed employees.json
var raw []byte

// Person is a demo account at the local identity provider.
type Person struct {
	Login string `json:"login"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"`
}

// Data is the demo data set: the tenant, its employees, and people the
// identity provider knows but no tenant does.
type Data struct {
	Tenant struct {
		ID       uuid.UUID `json:"id"`
		Slug     string    `json:"slug"`
		Name     string    `json:"name"`
		TimeZone string    `json:"timeZone"`
	} `json:"tenant"`
	Password  string   `json:"password"`
	Employees []Person `json:"employees"`
	Outsiders []Person `json:"outsiders"`
}

// Load parses the embedded demo data.
func Load() Data {
	var d Data
	if err := json.Unmarshal(raw, &d); err != nil {
		panic(fmt.Sprintf("demo: employees.json: %v", err)) // fixed at build time
	}
	return d
}

// Seed creates the demo tenant, its employees and its categorisation where
// they do not exist yet.
func Seed(ctx context.Context, tenants *tenant.Service, employees *staff.Service, customers *customer.Service) (Data, error) {
	d := Load()
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "demo seed"})
	if _, err := tenants.Get(ctx, d.Tenant.ID); apperr.CodeOf(err) == apperr.NotFound {
		if _, err := tenants.Create(ctx, tenant.CreateParams{ID: d.Tenant.ID, Slug: d.Tenant.Slug, Name: d.Tenant.Name, TimeZone: d.Tenant.TimeZone}, nil); err != nil {
			return d, fmt.Errorf("demo: tenant: %w", err)
		}
	} else if err != nil {
		return d, fmt.Errorf("demo: tenant: %w", err)
	}
	existing, err := employees.List(ctx, d.Tenant.ID)
	if err != nil {
		return d, fmt.Errorf("demo: employees: %w", err)
	}
	have := map[string]bool{}
	for _, e := range existing {
		have[e.Email] = true
	}
	for _, p := range d.Employees {
		if have[p.Email] {
			continue
		}
		_, err := employees.Create(ctx, d.Tenant.ID, staff.CreateParams{Email: p.Email, Name: p.Name, Roles: []staff.Role{staff.Role(p.Role)}})
		if err != nil {
			return d, fmt.Errorf("demo: employee %s: %w", p.Email, err)
		}
	}
	if err := customers.DefineCategories(ctx, d.Tenant.ID, Categories()); err != nil {
		return d, fmt.Errorf("demo: categories: %w", err)
	}
	return d, nil
}
