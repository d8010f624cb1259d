package aml

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
)

func BenchmarkZZInsert(b *testing.B) {
	f, c := benchFixture(b)
	ctx := context.Background()
	run := func(name string, hits int, fn func(q *db.Queries, i int) error) {
		var d []time.Duration
		for i := 0; i < 500; i++ {
			err := db.InTenantTx(ctx, f.pool, f.tenant, func(q *db.Queries) error {
				t0 := time.Now()
				err := fn(q, i)
				d = append(d, time.Since(t0))
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		fmt.Printf("%-20s p50 %v p99 %v\n", name, d[len(d)/2], d[len(d)*99/100])
	}
	params := func(i, hits int, prefix string) db.AMLInsertTransactionParams {
		p := db.AMLInsertTransactionParams{ID: uuid.New(), TenantID: f.tenant, CustomerID: c, TransactionRef: fmt.Sprintf("%s-%d-%s", prefix, i, uuid.NewString()[:6]),
			RequestHash: []byte{1}, Type: "TRANSFER", Direction: "OUT", Amount: decimal.New(int64(100+i), 0), Currency: "EUR", AmountUnits: int64(100+i) * 10000,
			Channel: "MOBILE", OccurredAt: time.Now(), Decision: "ALLOW", Triggered: []byte("[]"), Notes: []byte("[]"), CreatedAt: time.Now(),
			HitKeys: []string{}, HitVersions: []int32{}, HitOutcomes: []string{}, FailedRules: []uuid.UUID{}, FailedVersions: []int32{}, FailedMessages: []string{}}
		for h := 0; h < hits; h++ {
			p.HitKeys = append(p.HitKeys, uuid.NewString())
			p.HitVersions = append(p.HitVersions, 1)
			p.HitOutcomes = append(p.HitOutcomes, "WARN")
		}
		return p
	}
	for range 2 {
		run("cte, 0 hits", 0, func(q *db.Queries, i int) error { _, err := q.AMLInsertTransaction(ctx, params(i, 0, "a")); return err })
		run("cte, 3 hits", 3, func(q *db.Queries, i int) error { _, err := q.AMLInsertTransaction(ctx, params(i, 3, "b")); return err })
		run("select 1", 0, func(q *db.Queries, i int) error { _, err := q.AMLRevision(ctx, f.tenant); return err })
	}
}
