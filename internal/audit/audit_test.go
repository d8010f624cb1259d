package audit_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/tenant"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

func newTenant(t *testing.T) uuid.UUID {
	t.Helper()
	tn, err := tenant.NewService(dbtest.Pool(t)).Create(t.Context(), tenant.CreateParams{Slug: "t-" + uuid.NewString()[:8], Name: "Test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tn.ID
}

func write(t *testing.T, tenantID uuid.UUID, action string, after any) {
	t.Helper()
	ctx := actor.WithTrace(actor.With(t.Context(), actor.Actor{Kind: actor.Employee, ID: "e1", Name: "Ana"}), "trace-1")
	err := db.InTenantTx(ctx, dbtest.Pool(t), tenantID, func(q *db.Queries) error {
		return audit.Write(ctx, q, audit.Entry{TenantID: tenantID, Action: action, EntityType: "thing", EntityID: "1",
			ReasonCode: "TEST", Before: map[string]any{"n": 0}, After: after})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func verify(t *testing.T) audit.Report {
	t.Helper()
	rep, err := audit.Verify(t.Context(), dbtest.OwnerPool(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func brokenIn(rep audit.Report, chain uuid.UUID) *audit.Break {
	for _, b := range rep.Broken {
		if b.ChainID == chain {
			return &b
		}
	}
	return nil
}

func TestRecordsCarryActorTraceAndChain(t *testing.T) {
	tn := newTenant(t)
	write(t, tn, "thing.changed", map[string]any{"n": 1})
	write(t, tn, "thing.changed", map[string]any{"n": 2})
	page, err := audit.NewService(dbtest.Pool(t)).List(t.Context(), tn, audit.Filter{Action: "thing."})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 2 || len(page.Records) != 2 {
		t.Fatalf("got %d records (total %d); want 2", len(page.Records), page.Total)
	}
	r := page.Records[0] // newest first
	if r.ActorName != "Ana" || r.ActorType != "EMPLOYEE" || r.TraceID != "trace-1" || r.ReasonCode != "TEST" {
		t.Errorf("record = %+v; want actor Ana (EMPLOYEE), trace-1, TEST", r)
	}
	var after map[string]int
	if err := json.Unmarshal(r.After, &after); err != nil || after["n"] != 2 {
		t.Errorf("after = %s; want {\"n\":2}", r.After)
	}
	if page.Records[0].Seq != page.Records[1].Seq+1 {
		t.Errorf("seqs %d, %d; want consecutive", page.Records[0].Seq, page.Records[1].Seq)
	}
	if b := brokenIn(verify(t), tn); b != nil {
		t.Fatalf("fresh chain reported broken: %s", b)
	}
}

func TestDatabaseRefusesUpdateAndDelete(t *testing.T) {
	tn := newTenant(t)
	write(t, tn, "thing.changed", nil)
	for name, p := range map[string]db.DBTX{"app": dbtest.Pool(t), "owner": dbtest.OwnerPool(t)} {
		for _, stmt := range []string{
			"UPDATE audit_log SET action = 'forged' WHERE tenant_id = $1",
			"DELETE FROM audit_log WHERE tenant_id = $1",
		} {
			_, err := p.Exec(t.Context(), stmt, tn)
			if err == nil {
				t.Errorf("%s: %q succeeded; the audit trail must refuse it", name, stmt)
			}
		}
	}
	if _, err := dbtest.OwnerPool(t).Exec(t.Context(), "TRUNCATE audit_log"); err == nil {
		t.Error("TRUNCATE audit_log succeeded; it must be refused")
	}
}

// tamper changes the database behind the triggers' back, as an attacker
// with the owner's password could.
func tamper(t *testing.T, stmt string, args ...any) {
	t.Helper()
	ctx := t.Context()
	tx, err := dbtest.OwnerPool(t).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, s := range []string{"ALTER TABLE audit_log DISABLE TRIGGER USER", stmt, "ALTER TABLE audit_log ENABLE TRIGGER USER"} {
		a := []any{}
		if s == stmt {
			a = args
		}
		if _, err := tx.Exec(ctx, s, a...); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyFindsTheFirstAlteredRecord(t *testing.T) {
	tn := newTenant(t)
	for i := range 5 {
		write(t, tn, "thing.changed", map[string]any{"n": i})
	}
	// tenant.created is seq 1; the written records are 2..6. Alter seq 4.
	tamper(t, `UPDATE audit_log SET after = '{"n": 999}' WHERE chain_id = $1 AND seq = 4`, tn)
	b := brokenIn(verify(t), tn)
	if b == nil {
		t.Fatal("altered record not detected")
	}
	if b.Seq != 4 || !strings.Contains(b.Reason, "altered") {
		t.Fatalf("break = %s; want record 4 altered", b)
	}
}

func TestVerifyFindsDeletedRecords(t *testing.T) {
	t.Run("in the middle", func(t *testing.T) {
		tn := newTenant(t)
		for i := range 4 {
			write(t, tn, "thing.changed", map[string]any{"n": i})
		}
		tamper(t, `DELETE FROM audit_log WHERE chain_id = $1 AND seq = 3`, tn)
		b := brokenIn(verify(t), tn)
		if b == nil || b.Seq != 3 || !strings.Contains(b.Reason, "missing") {
			t.Fatalf("break = %v; want record 3 missing", b)
		}
	})
	t.Run("at the end", func(t *testing.T) {
		tn := newTenant(t)
		for i := range 3 {
			write(t, tn, "thing.changed", map[string]any{"n": i})
		}
		tamper(t, `DELETE FROM audit_log WHERE chain_id = $1 AND seq = 4`, tn)
		b := brokenIn(verify(t), tn)
		if b == nil || b.Seq != 4 {
			t.Fatalf("break = %v; want record 4 missing at the end", b)
		}
	})
	t.Run("relinked", func(t *testing.T) {
		// Deleting a record and renumbering the rest still breaks the links.
		tn := newTenant(t)
		for i := range 3 {
			write(t, tn, "thing.changed", map[string]any{"n": i})
		}
		tamper(t, `DELETE FROM audit_log WHERE chain_id = $1 AND seq = 2`, tn)
		tamper(t, `UPDATE audit_log SET seq = seq - 1 WHERE chain_id = $1 AND seq > 2`, tn)
		tamper(t, `UPDATE audit_chain_heads SET seq = seq - 1 WHERE chain_id = $1`, tn)
		b := brokenIn(verify(t), tn)
		if b == nil || b.Seq != 2 {
			t.Fatalf("break = %v; want record 2 (no longer links)", b)
		}
	})
}

func TestTenantCannotReadAnotherTenantsTrail(t *testing.T) {
	a, b := newTenant(t), newTenant(t)
	write(t, b, "secret.changed", nil)
	page, err := audit.NewService(dbtest.Pool(t)).List(t.Context(), a, audit.Filter{Action: "secret."})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 0 {
		t.Fatalf("tenant A saw %d of tenant B's records", page.Total)
	}
}
