package db_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// seedTenant makes a tenant with one employee, as the owner would.
func seedTenant(t *testing.T, owner db.DBTX, slug string) uuid.UUID {
	t.Helper()
	ctx := t.Context()
	id := uuid.New()
	if _, err := owner.Exec(ctx, "INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $3)", id, slug, slug); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(ctx, "INSERT INTO staff (id, tenant_id, email, display_name) VALUES ($1, $2, $3, 'x')",
		uuid.New(), id, slug+"@example.com"); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRowLevelSecurityIsolatesTenantsEvenWithoutWhereClause(t *testing.T) {
	ctx := t.Context()
	owner := dbtest.OwnerPool(t)
	app := dbtest.Pool(t)
	a := seedTenant(t, owner, "rls-a-"+uuid.NewString()[:8])
	b := seedTenant(t, owner, "rls-b-"+uuid.NewString()[:8])

	var seen []uuid.UUID
	// The transaction acts for A exactly as db.InTenantTx sets it up.
	tx, err := app.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT set_config('app.tenant_id', $1, true)", a.String()); err != nil {
		t.Fatal(err)
	}
	// This query forgets the tenant on purpose.
	rows, err := tx.Query(ctx, "SELECT DISTINCT tenant_id FROM staff")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		seen = append(seen, id)
	}
	rows.Close()
	if len(seen) != 1 || seen[0] != a {
		t.Fatalf("under tenant A, SELECT without WHERE saw tenants %v; want only %v", seen, a)
	}
	// Writing a row of tenant B while acting for A is refused.
	_, err = tx.Exec(ctx, "INSERT INTO staff (id, tenant_id, email, display_name) VALUES ($1, $2, 'sneaky@example.com', 'x')", uuid.New(), b)
	if err == nil || !strings.Contains(err.Error(), "row-level security") {
		t.Fatalf("insert into another tenant: err = %v; want a row-level security violation", err)
	}
}

func TestNoTenantSeesNothing(t *testing.T) {
	ctx := t.Context()
	owner := dbtest.OwnerPool(t)
	seedTenant(t, owner, "rls-none-"+uuid.NewString()[:8])
	var n int
	err := db.InTx(ctx, dbtest.Pool(t), func(q *db.Queries) error {
		return dbtest.Pool(t).QueryRow(ctx, "SELECT count(*) FROM staff").Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("without a tenant the app role saw %d staff rows; want 0", n)
	}
}

func TestAppRoleCannotBypassRowLevelSecurity(t *testing.T) {
	ctx := context.Background()
	var super, bypass, owns bool
	err := dbtest.Pool(t).QueryRow(ctx, `
		SELECT r.rolsuper, r.rolbypassrls,
		       EXISTS (SELECT FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user)
		FROM pg_roles r WHERE r.rolname = current_user`).Scan(&super, &bypass, &owns)
	if err != nil {
		t.Fatal(err)
	}
	if super || bypass || owns {
		t.Fatalf("app role: superuser=%v bypassrls=%v owns tables=%v; want all false", super, bypass, owns)
	}
}

func TestInTenantTxRequiresTenant(t *testing.T) {
	err := db.InTenantTx(t.Context(), dbtest.Pool(t), uuid.Nil, func(q *db.Queries) error { return nil })
	if err == nil {
		t.Fatal("InTenantTx with no tenant succeeded")
	}
}
