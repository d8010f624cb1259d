package ratelimit

import (
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/apperr"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

func newTenant(t *testing.T) uuid.UUID {
	t.Helper()
	id := uuid.New()
	owner := dbtest.OwnerPool(t)
	if _, err := owner.Exec(t.Context(), "INSERT INTO tenants (id, slug, name) VALUES ($1, $2, 'Limits')", id, "rl-"+id.String()[:8]); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(t.Context(), "INSERT INTO tenant_settings (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING", id); err != nil {
		t.Fatal(err)
	}
	return id
}

// Check and Fail take a request's keys in one statement per tenant, and
// name the key that is over its limit.
func TestKeysOfOneCallCountedAndCheckedTogether(t *testing.T) {
	pool := dbtest.Pool(t)
	a, b := newTenant(t), newTenant(t)
	l := New(pool, nil)
	ctx := t.Context()
	loose := NewKey(a, "k", "loose", Limit{Max: 5, WindowSeconds: 600})
	tight := NewKey(a, "k", "tight", Limit{Max: 2, WindowSeconds: 600})
	other := NewKey(b, "k", "tight", Limit{Max: 1, WindowSeconds: 600}) // same name, another tenant
	if err := l.Fail(ctx, loose, tight, other); err != nil {
		t.Fatal(err)
	}
	if _, err := l.CheckWhich(ctx, loose, tight); err != nil {
		t.Fatalf("one failure each, limits 5 and 2: %v", err)
	}
	k, err := l.CheckWhich(ctx, loose, other)
	if apperr.CodeOf(err) != apperr.RateLimited || k.Name != other.Name || k.Tenant != b {
		t.Fatalf("tenant b's key at its limit of 1: key %+v, %v", k, err)
	}
	if err := l.Fail(ctx, tight, loose); err != nil {
		t.Fatal(err)
	}
	k, err = l.CheckWhich(ctx, loose, tight)
	if apperr.CodeOf(err) != apperr.RateLimited || k.Name != tight.Name || k.Tenant != a {
		t.Fatalf("two failures of tight (limit 2): key %+v, %v", k, err)
	}
	// Windows are aligned on the clock, so the rest of this one is
	// anything up to its length.
	if e, _ := apperr.As(err); e.RetryAfter < time.Second || e.RetryAfter > 600*time.Second {
		t.Fatalf("retry after %v, want the rest of the 600 s window", e.RetryAfter)
	}
}

// A tenant's limits are remembered, and read again once forgotten.
func TestLimitsRememberedUntilForgotten(t *testing.T) {
	pool := dbtest.Pool(t)
	tn := newTenant(t)
	l := New(pool, nil)
	l.LimitsTTL = time.Hour
	got, err := l.Limits(t.Context(), tn)
	if err != nil || got != Defaults() {
		t.Fatalf("limits of a tenant without any: %+v %v", got, err)
	}
	if _, err := dbtest.OwnerPool(t).Exec(t.Context(), `UPDATE tenant_settings SET rate_limits = '{"tokenClient":{"max":3,"windowSeconds":60}}' WHERE tenant_id = $1`, tn); err != nil {
		t.Fatal(err)
	}
	if got, _ := l.Limits(t.Context(), tn); got != Defaults() {
		t.Fatalf("read again before the TTL: %+v", got)
	}
	l.Forget(tn)
	got, err = l.Limits(t.Context(), tn)
	if err != nil || got.TokenClient != (Limit{Max: 3, WindowSeconds: 60}) {
		t.Fatalf("after Forget: %+v %v", got.TokenClient, err)
	}
}
