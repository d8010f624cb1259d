package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ciamhq/ciam/db/dbtest"
)

func TestAuditVerifyCommand(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.URL(t)}
	getenv := func(k string) string { return env[k] }
	var out bytes.Buffer
	ctx := context.Background()
	if err := run(ctx, []string{"ciam", "tenants", "create", "--slug", "verify_me", "--name", "Verify Me", "--admin", "boss@verify.example"}, getenv, &out, &out); err != nil {
		t.Fatalf("tenants create: %v\n%s", err, &out)
	}
	out.Reset()
	if err := run(ctx, []string{"ciam", "audit", "verify"}, getenv, &out, &out); err != nil || !strings.Contains(out.String(), "audit trail intact") {
		t.Fatalf("verify on an intact trail: %v\n%s", err, &out)
	}
	owner := dbtest.OwnerPool(t)
	_, err := owner.Exec(ctx, `DO $$ BEGIN
		ALTER TABLE audit_log DISABLE TRIGGER USER;
		UPDATE audit_log SET actor_name = 'someone else' WHERE action = 'staff.created' AND after->>'email' = 'boss@verify.example';
		ALTER TABLE audit_log ENABLE TRIGGER USER;
	END $$`)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = run(ctx, []string{"ciam", "audit", "verify"}, getenv, &out, &out)
	if err == nil || !strings.Contains(out.String(), "BROKEN") || !strings.Contains(out.String(), "record 2") {
		t.Fatalf("verify after tampering: %v\n%s", err, &out)
	}
}

func TestTenantsCreateNamesBadFields(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.URL(t)}
	var out bytes.Buffer
	err := run(context.Background(), []string{"ciam", "tenants", "create", "--slug", "Bad Slug", "--name", ""}, func(k string) string { return env[k] }, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "slug:") || !strings.Contains(err.Error(), "name:") {
		t.Fatalf("err = %v; want slug and name named", err)
	}
}

func TestCustomersGenerateCommand(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.URL(t)}
	getenv := func(k string) string { return env[k] }
	var out bytes.Buffer
	ctx := context.Background()
	if err := run(ctx, []string{"ciam", "tenants", "create", "--slug", "gen_cmd", "--name", "Generated"}, getenv, &out, &out); err != nil {
		t.Fatalf("tenants create: %v\n%s", err, &out)
	}
	out.Reset()
	if err := run(ctx, []string{"ciam", "customers", "generate", "--tenant", "gen_cmd", "--count", "2500", "--seed", "3"}, getenv, &out, &out); err != nil ||
		!strings.Contains(out.String(), "2500 customers made for gen_cmd") {
		t.Fatalf("generate: %v\n%s", err, &out)
	}
	var n int
	if err := dbtest.OwnerPool(t).QueryRow(ctx, `SELECT count(*) FROM customers c JOIN tenants t ON t.id = c.tenant_id WHERE t.slug = 'gen_cmd'`).Scan(&n); err != nil || n != 2500 {
		t.Fatalf("customers = %d, %v; want 2500", n, err)
	}
	for _, bad := range [][]string{{"--count", "10"}, {"--tenant", "gen_cmd", "--count", "0"}, {"--tenant", "no_such_tenant", "--count", "5"}} {
		if err := run(ctx, append([]string{"ciam", "customers", "generate"}, bad...), getenv, &out, &out); err == nil {
			t.Errorf("generate %v: no error", bad)
		}
	}
}
