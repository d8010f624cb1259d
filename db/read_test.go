package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
)

// OneStatement acts for its tenant under row-level security, in one round
// trip, sends one statement only, and leaves no tenant on the connection.
func TestOneStatementActsForItsTenantOnly(t *testing.T) {
	ctx := t.Context()
	owner := dbtest.OwnerPool(t)
	a := seedTenant(t, owner, "read-a-"+uuid.NewString()[:8])
	b := seedTenant(t, owner, "read-b-"+uuid.NewString()[:8])
	u := dbtest.URL(t)
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	pool, err := db.Open(context.Background(), u+sep+"pool_max_conns=1", db.DefaultAppRole) // one connection: the next use is the same one
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	staffOf := func(acting, of uuid.UUID, slug string) error {
		return db.OneStatement(ctx, pool, acting, func(q *db.Queries) error {
			_, err := q.StaffByEmail(ctx, db.StaffByEmailParams{TenantID: of, Email: slug + "@example.com"})
			return err
		})
	}
	var slugA, slugB string
	if err := owner.QueryRow(ctx, "SELECT (SELECT slug FROM tenants WHERE id = $1), (SELECT slug FROM tenants WHERE id = $2)", a, b).Scan(&slugA, &slugB); err != nil {
		t.Fatal(err)
	}
	if err := staffOf(a, a, slugA); err != nil {
		t.Fatalf("own employee: %v", err)
	}
	if err := staffOf(a, b, slugB); !db.IsNotFound(err) {
		t.Fatalf("another tenant's employee: %v; want not found", err)
	}

	// The connection keeps no tenant afterwards.
	var setting string
	if err := pool.QueryRow(ctx, "SELECT coalesce(current_setting('app.tenant_id', true), '')").Scan(&setting); err != nil {
		t.Fatal(err)
	}
	if setting != "" {
		t.Fatalf("after OneStatement the connection acts for %q", setting)
	}

	// A second statement is refused, and the first still answers.
	err = db.OneStatement(ctx, pool, a, func(q *db.Queries) error {
		if _, err := q.StaffByEmail(ctx, db.StaffByEmailParams{TenantID: a, Email: slugA + "@example.com"}); err != nil {
			return err
		}
		_, err := q.StaffByEmail(ctx, db.StaffByEmailParams{TenantID: a, Email: slugA + "@example.com"})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "one statement") {
		t.Fatalf("second statement: %v", err)
	}
	// For no tenant, tenant-owned rows are invisible, as in InTx.
	if err := staffOf(uuid.Nil, a, slugA); !db.IsNotFound(err) {
		t.Fatalf("no tenant: %v; want not found", err)
	}
}
