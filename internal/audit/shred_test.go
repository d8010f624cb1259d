package audit_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/shred"
)

// testField is the field key the package's data keys are sealed under.
var testField = func() *fieldcrypt.Keys {
	k, err := fieldcrypt.New("t1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		panic(err)
	}
	return k
}()

// dataKeys installs data keys sealed under testField.
func dataKeys(t *testing.T) *shred.Keys {
	t.Helper()
	return shred.Install(testField)
}

// newCustomer adds a bare customer row to tenant.
func newCustomer(t *testing.T, tenant uuid.UUID) uuid.UUID {
	t.Helper()
	id := uuid.New()
	if _, err := dbtest.OwnerPool(t).Exec(t.Context(), `INSERT INTO customers (id, tenant_id, email, first_name, last_name, date_of_birth, nationality,
		status, permission, risk_level) VALUES ($1, $2, $3, 'A', 'B', '1990-01-01', 'GB', 'ACTIVE', 'RECEIVE', 'LOW')`,
		id, tenant, id.String()+"@example.com"); err != nil {
		t.Fatal(err)
	}
	return id
}

func rawAfter(t *testing.T, id uuid.UUID) string {
	t.Helper()
	var s string
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), `SELECT after::text FROM audit_log WHERE id = $1`, id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func lastID(t *testing.T, tenant uuid.UUID, action string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), `SELECT id FROM audit_log WHERE tenant_id = $1 AND action = $2 ORDER BY seq DESC LIMIT 1`,
		tenant, action).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// A customer's personal values are written to the audit trail sealed
// under their data key, everything else in clear; readers get the values
// back; once the key is destroyed readers get "erased", never an error,
// and the chain still verifies.
func TestPersonalValuesAreSealedAndShredded(t *testing.T) {
	keys := dataKeys(t)
	tn := newTenant(t)
	cust := newCustomer(t, tn)
	pool := dbtest.Pool(t)
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.Employee, ID: "e1", Name: "Ana"})
	after := map[string]any{"email": "wren.aldous@example.org", "firstName": "Wren", "status": "ACTIVE", "riskLevel": "LOW",
		"identity":     map[string]any{"dateOfBirth": "1981-02-03", "address": map[string]any{"street": "Pellow Lane", "country": "GB"}},
		"annualIncome": 52000, "phones": []any{}}
	write := func(action string, e audit.Entry) {
		t.Helper()
		e.TenantID, e.Action = tn, action
		if err := db.InTenantTx(ctx, pool, tn, func(q *db.Queries) error { return audit.Write(ctx, q, e) }); err != nil {
			t.Fatal(err)
		}
	}
	write("customer.changed", audit.Entry{EntityType: "customer", EntityID: cust.String(), After: after})
	// A record of another entity names its customer to be sealed.
	write("document.checked", audit.Entry{EntityType: "document", EntityID: "d1", CustomerID: cust, After: map[string]any{"documentNumber": "ZX9912345", "status": "OK"}})

	raw := rawAfter(t, lastID(t, tn, "customer.changed")) + rawAfter(t, lastID(t, tn, "document.checked"))
	for _, secret := range []string{"wren.aldous", "Wren", "1981-02-03", "Pellow", "52000", "ZX9912345"} {
		if strings.Contains(raw, secret) {
			t.Errorf("%q written in clear: %s", secret, raw)
		}
	}
	for _, clear := range []string{`"status": "ACTIVE"`, `"riskLevel": "LOW"`, `"country": "GB"`, `"status": "OK"`} {
		if !strings.Contains(raw, clear) {
			t.Errorf("%s not in clear: %s", clear, raw)
		}
	}

	svc := audit.NewService(pool)
	got, err := svc.Get(t.Context(), tn, lastID(t, tn, "customer.changed"))
	if err != nil {
		t.Fatal(err)
	}
	var opened map[string]any
	if err := json.Unmarshal(got.After, &opened); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"email": "wren.aldous@example.org", "firstName": "Wren", "status": "ACTIVE", "riskLevel": "LOW",
		"identity":     map[string]any{"dateOfBirth": "1981-02-03", "address": map[string]any{"street": "Pellow Lane", "country": "GB"}},
		"annualIncome": float64(52000), "phones": []any{}}
	if diff := cmp.Diff(want, opened); diff != "" {
		t.Errorf("opened (-want +got):\n%s", diff)
	}

	// Destroyed: "erased" in place of each personal value, on both records.
	if err := db.InTenantTx(ctx, pool, tn, func(q *db.Queries) error { return keys.Destroy(ctx, q, tn, cust, time.Now()) }); err != nil {
		t.Fatal(err)
	}
	page, err := svc.List(t.Context(), tn, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	erased := map[string]string{}
	for _, r := range page.Records {
		erased[r.Action] = string(r.After)
	}
	if a := erased["customer.changed"]; !strings.Contains(a, `"email":"erased"`) || !strings.Contains(a, `"street":"erased"`) ||
		!strings.Contains(a, `"country":"GB"`) || !strings.Contains(a, `"status":"ACTIVE"`) || strings.Contains(a, "Wren") {
		t.Errorf("after erasure: %s", a)
	}
	if a := erased["document.checked"]; !strings.Contains(a, `"documentNumber":"erased"`) {
		t.Errorf("after erasure: %s", a)
	}
	// Written after the erasure: nothing to seal under, so "erased".
	write("customer.changed.again", audit.Entry{EntityType: "customer", EntityID: cust.String(), After: map[string]any{"email": "late@example.org"}})
	if a := rawAfter(t, lastID(t, tn, "customer.changed.again")); a != `{"email": "erased"}` {
		t.Errorf("written after erasure: %s", a)
	}
	// (Other tests of the package break chains of their own on purpose.)
	if b := brokenIn(verify(t), tn); b != nil {
		t.Errorf("chain broken after erasure: %v", b)
	}
}

// A data key made in a transaction that rolls back is not remembered: the
// next transaction makes the key that stays, and what it seals opens.
func TestRolledBackKeyIsNotCached(t *testing.T) {
	dataKeys(t)
	tn := newTenant(t)
	cust := newCustomer(t, tn)
	pool := dbtest.Pool(t)
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	errRollback := errors.New("roll back")
	err := db.InTenantTx(ctx, pool, tn, func(q *db.Queries) error {
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tn, Action: "first", EntityType: "customer", EntityID: cust.String(),
			After: map[string]any{"email": "rolled@example.org"}}); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	if err := db.InTenantTx(ctx, pool, tn, func(q *db.Queries) error {
		return audit.Write(ctx, q, audit.Entry{TenantID: tn, Action: "second", EntityType: "customer", EntityID: cust.String(),
			After: map[string]any{"email": "kept@example.org"}})
	}); err != nil {
		t.Fatal(err)
	}
	// Opened by another server (keys with a cache of their own): the key
	// in the database must be the one that sealed.
	var opened json.RawMessage
	if err := db.InTenantTx(ctx, pool, tn, func(q *db.Queries) error {
		var err error
		opened, err = shred.New(testField).Opener(q, tn).JSON(ctx, json.RawMessage(rawAfter(t, lastID(t, tn, "second"))))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if string(opened) != `{"email":"kept@example.org"}` {
		t.Errorf("opened elsewhere: %s", opened)
	}
}
