package retention

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/tenant"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// A document due because its customer's closing is past its period is
// not deleted when the customer was reopened after the plan was made: the
// deletion looks at the customer's standing again. Closed again, and past
// the period, it goes.
func TestDocumentOfAReopenedCustomerStays(t *testing.T) {
	pool, owner := dbtest.Pool(t), dbtest.OwnerPool(t)
	sys := actor.With(context.Background(), actor.Actor{Kind: actor.System, Name: "test"})
	tn, err := tenant.NewService(pool).Create(sys, tenant.CreateParams{Slug: "ret-" + uuid.NewString()[:8], Name: "Retention Test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	closed := time.Now().AddDate(0, 0, -40)
	cust, vr, doc := uuid.New(), uuid.New(), uuid.New()
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO customers (id, tenant_id, email, first_name, last_name, date_of_birth, nationality, address, status, permission, risk_level, closed_at)
			VALUES ($1, $2, $3, 'Test', 'Customer', '1990-01-01', 'DE', '{"country": "DE"}', 'ACTIVE', 'CLOSED', 'LOW', $4)`,
			[]any{cust, tn.ID, cust.String()[:8] + "@example.com", closed}},
		{`INSERT INTO verification_requests (id, tenant_id, customer_id, status, risk_level) VALUES ($1, $2, $3, 'APPROVED', 'LOW')`, []any{vr, tn.ID, cust}},
		{`INSERT INTO documents (id, tenant_id, verification_request_id, customer_id, type, mime, size_bytes, sha256, storage, key_id)
			VALUES ($1, $2, $3, $4, 'SELFIE', 'image/jpeg', 3, '\x00', 'postgres', 'k1')`, []any{doc, tn.ID, vr, cust}},
	} {
		if _, err := owner.Exec(t.Context(), stmt.sql, stmt.args...); err != nil {
			t.Fatal(err)
		}
	}
	s := NewService(pool, nil, nil)
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "retention", TenantID: tn.ID})
	p := Periods{DocumentDays: 30, DocumentsAfterClosing: true}
	// Reopened (ACTIVE, its closing time kept): the document stays.
	if deleted, err := s.deleteDocument(ctx, tn.ID, doc, p, time.Now()); err != nil || deleted {
		t.Fatalf("a reopened customer's document: deleted %v, %v; want kept", deleted, err)
	}
	if _, err := owner.Exec(t.Context(), `UPDATE customers SET status = 'CLOSED' WHERE id = $1`, cust); err != nil {
		t.Fatal(err)
	}
	// Closed, within the period (the closing 40 days ago, a 60-day period): it stays.
	if deleted, err := s.deleteDocument(ctx, tn.ID, doc, Periods{DocumentDays: 60, DocumentsAfterClosing: true}, time.Now()); err != nil || deleted {
		t.Fatalf("a document within its period: deleted %v, %v; want kept", deleted, err)
	}
	if deleted, err := s.deleteDocument(ctx, tn.ID, doc, p, time.Now()); err != nil || !deleted {
		t.Fatalf("a closed customer's document past its period: deleted %v, %v; want deleted", deleted, err)
	}
	var n int
	if err := owner.QueryRow(t.Context(), `SELECT count(*) FROM documents WHERE id = $1`, doc).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d documents left, %v", n, err)
	}
}
