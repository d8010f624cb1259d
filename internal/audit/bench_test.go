package audit_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/shred"
	"github.com/ciamhq/ciam/internal/tenant"
)

// BenchmarkAuditChain measures how the per-tenant audit chain serialises
// writers: each operation is a change's transaction (an audit record and
// its event, committed), made by 16 writers at once, all in one tenant
// (every record waits for the one before it on the tenant's chain) or
// spread over 16 tenants (chains of their own); and over 16 tenants with
// a customer's personal values sealed in each record and event.
//
//	go test ./internal/audit/ -run '^$' -bench AuditChain -benchtime 3000x
func BenchmarkAuditChain(b *testing.B) {
	pool := dbtest.Pool(b)
	tenants := make([]uuid.UUID, 16)
	for i := range tenants {
		tn, err := tenant.NewService(pool).Create(b.Context(), tenant.CreateParams{Slug: "b-" + uuid.NewString()[:8], Name: "Bench"}, nil)
		if err != nil {
			b.Fatal(err)
		}
		tenants[i] = tn.ID
	}
	for _, spread := range []int{1, 16} {
		name := map[int]string{1: "one_tenant", 16: "16_tenants"}[spread]
		b.Run(name, func(b *testing.B) {
			var next atomic.Int64
			b.SetParallelism(8) // 8 × GOMAXPROCS (2 here) = 16 writers
			began := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := next.Add(1)
					tn := tenants[int(n)%spread]
					ctx := actor.With(b.Context(), actor.Actor{Kind: actor.System, Name: "bench", TenantID: tn})
					err := db.InTenantTx(ctx, pool, tn, func(q *db.Queries) error {
						if err := audit.Write(ctx, q, audit.Entry{TenantID: tn, Action: "bench.changed", EntityType: "thing", EntityID: "1",
							Before: map[string]any{"n": n - 1}, After: map[string]any{"n": n}}); err != nil {
							return err
						}
						_, err := event.Write(ctx, q, event.Event{TenantID: tn, Type: "config.changed", EntityType: "thing", EntityID: "1",
							Payload: map[string]any{"n": n}})
						return err
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "changes/s")
		})
	}
	// The same over 16 tenants, each record a customer's with personal
	// values, sealed under the customer's data key (package shred): a key
	// per customer, opened once and then cached.
	keys, err := fieldcrypt.New("b1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		b.Fatal(err)
	}
	shred.Install(keys)
	customers := make([]uuid.UUID, len(tenants))
	for i, tn := range tenants {
		customers[i] = uuid.New()
		if _, err := dbtest.OwnerPool(b).Exec(b.Context(), `INSERT INTO customers (id, tenant_id, email, first_name, last_name, date_of_birth,
			nationality, status, permission, risk_level) VALUES ($1, $2, $3, 'A', 'B', '1990-01-01', 'GB', 'ACTIVE', 'RECEIVE', 'LOW')`,
			customers[i], tn, customers[i].String()+"@example.com"); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("16_tenants_customer_sealed", func(b *testing.B) {
		var next atomic.Int64
		b.SetParallelism(8)
		began := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n := next.Add(1)
				i := int(n) % len(tenants)
				tn, cust := tenants[i], customers[i]
				ctx := actor.With(b.Context(), actor.Actor{Kind: actor.System, Name: "bench", TenantID: tn})
				err := db.InTenantTx(ctx, pool, tn, func(q *db.Queries) error {
					if err := audit.Write(ctx, q, audit.Entry{TenantID: tn, Action: "bench.changed", EntityType: "customer", EntityID: cust.String(),
						Before: map[string]any{"email": "a@example.com", "status": "ACTIVE"},
						After:  map[string]any{"email": "b@example.com", "firstName": "Bea", "status": "ACTIVE", "n": n}}); err != nil {
						return err
					}
					_, err := event.Write(ctx, q, event.Event{TenantID: tn, Type: "customer.changed", EntityType: "customer", EntityID: cust.String(),
						Payload: map[string]any{"customerId": cust, "email": "b@example.com", "n": n}})
					return err
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "changes/s")
	})
}
