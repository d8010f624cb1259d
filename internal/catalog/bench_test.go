package catalog

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ciamhq/ciam/db"

	"github.com/ciamhq/ciam/internal/actor"
)

// BenchmarkFeeQuote prices one transaction against 200 rules (every
// combination of a few types, countries, currencies and channels, some
// tiered), as GET /fees/quote does.
func BenchmarkFeeQuote(b *testing.B) {
	f := newFixture(b)
	types := []string{"TRANSFER", "CASH_OUT", "CASH_IN", "BILL_PAYMENT", "P2P"}
	countries := []string{"", "GB", "FR", "DE", "KE"}
	currencies := []string{"", "GBP", "EUR", "KES"}
	channels := []string{"", "MOBILE"}
	n := 0
	for _, tt := range types {
		for _, c := range countries {
			for _, cur := range currencies {
				for _, ch := range channels {
					spec := FeeRuleSpec{Name: fmt.Sprintf("rule %d", n), TransactionType: tt, Country: c, Currency: cur, Channel: ch,
						Fixed: dec("0.5"), Percentage: dec("1.2"), Minimum: nd("1"), Maximum: nd("50")}
					if n%3 == 0 {
						spec.Tiers = []Tier{{From: dec("0"), UpTo: nd("100"), Fixed: dec("0.1")}, {From: dec("100"), Percentage: dec("0.9")}}
					}
					f.addRule(b, spec)
					n++
				}
			}
		}
	}
	ctx := b.Context()
	req := QuoteRequest{TransactionType: "TRANSFER", Country: "GB", Currency: "GBP", Channel: "MOBILE", Amount: "250.00"}
	if _, err := f.svc.Quote(ctx, f.tenant, req); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.svc.Quote(ctx, f.tenant, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNearestBranches finds the 10 nearest of 20,000 active points
// spread over Great Britain, from central London.
func BenchmarkNearestBranches(b *testing.B) {
	f := newFixture(b)
	ctx := actor.With(b.Context(), actor.Actor{Kind: actor.System, Name: "bench"})
	rng := rand.New(rand.NewPCG(1, 2))
	const total = 20000
	batch := make([][]any, 0, total)
	for i := range total {
		lat := 50.0 + rng.Float64()*8.5
		lon := -5.5 + rng.Float64()*7.3
		typ := BranchTypes[i%3]
		batch = append(batch, []any{fmt.Sprintf("P%05d", i), typ, lat, lon})
	}
	if err := f.bulkBranches(b, batch); err != nil {
		b.Fatal(err)
	}
	q := NearQuery{Near: "51.5074,-0.1278", Type: TypePayPoint, Limit: "10"}
	if got, err := f.svc.NearestBranches(ctx, f.tenant, q); err != nil || len(got) != 10 {
		b.Fatalf("%d %v", len(got), err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.svc.NearestBranches(ctx, f.tenant, q); err != nil {
			b.Fatal(err)
		}
	}
}

// bulkBranches inserts active branches (code, type, lat, lon) in one
// statement.
func (f *fixture) bulkBranches(b *testing.B, rows [][]any) error {
	var codes, types []string
	var lats, lons []float64
	for _, r := range rows {
		codes = append(codes, r[0].(string))
		types = append(types, r[1].(string))
		lats = append(lats, r[2].(float64))
		lons = append(lons, r[3].(float64))
	}
	return db.InTenantTxPgx(b.Context(), f.svc.pool, f.tenant, func(tx pgx.Tx, _ *db.Queries) error {
		_, err := tx.Exec(b.Context(), `
			INSERT INTO branches (id, tenant_id, code, name, type, latitude, longitude, services)
			SELECT gen_random_uuid(), $1, c, c, t, la, lo, '{CASH_OUT}'
			FROM unnest($2::text[], $3::text[], $4::float8[], $5::float8[]) AS x(c, t, la, lo)`,
			f.tenant, codes, types, lats, lons)
		if err == nil {
			_, err = tx.Exec(b.Context(), "ANALYZE branches")
		}
		return err
	})
}
