package customergen_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/customer/customergen"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/screening/screeningtest"
	"github.com/ciamhq/ciam/internal/tenant"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

var sys = actor.With(context.Background(), actor.Actor{Kind: actor.System, Name: "test"})

func newTenant(tb testing.TB) uuid.UUID {
	tb.Helper()
	tn, err := tenant.NewService(dbtest.Pool(tb)).Create(sys, tenant.CreateParams{Slug: "gen-" + uuid.NewString()[:8], Name: "Generated customers"}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return tn.ID
}

// listUpdate loads OFAC 2019, then 2021 as the update to re-screen after,
// once per package run, and returns the update's version and the names of
// the individuals it added.
var (
	updateOnce  sync.Once
	updateID    uuid.UUID
	addedNames  []string
	updateError error
)

func listUpdate(tb testing.TB, lists *screening.Service) (uuid.UUID, []string) {
	tb.Helper()
	updateOnce.Do(func() {
		if _, updateError = lists.Load(sys, screening.FormatOFAC, screeningtest.Path(tb, "ofac-2019"), screening.LoadOptions{AllowShrink: true}); updateError != nil {
			return
		}
		var res screening.LoadResult
		if res, updateError = lists.Load(sys, screening.FormatOFAC, screeningtest.Path(tb, "ofac-2021"), screening.LoadOptions{AllowShrink: true}); updateError != nil {
			return
		}
		updateID = res.Version.ID
		var added []screening.Change
		if added, updateError = lists.Changes(sys, updateID, "ADDED", 10000); updateError != nil {
			return
		}
		for _, c := range added {
			if c.Type == screening.Individual {
				addedNames = append(addedNames, c.Name)
			}
		}
	})
	if updateError != nil {
		tb.Fatal(updateError)
	}
	return updateID, addedNames
}

func countCustomers(tb testing.TB, owner *pgxpool.Pool, tn uuid.UUID) (all, screenable int) {
	tb.Helper()
	if err := owner.QueryRow(sys, `SELECT count(*), count(*) FILTER (WHERE status <> 'CLOSED') FROM customers WHERE tenant_id = $1`, tn).Scan(&all, &screenable); err != nil {
		tb.Fatal(err)
	}
	return all, screenable
}

// The generator writes the customers asked for, with unique e-mail
// addresses, through COPY; re-screening them after a list update (the
// real customer reader, the real lists) finds every planted listed name
// and no one closed.
func TestGenerateAndRescreen(t *testing.T) {
	owner, pool := dbtest.OwnerPool(t), dbtest.Pool(t)
	lists := screening.NewService(pool)
	update, listed := listUpdate(t, lists)
	tn := newTenant(t)
	const n = 20000
	got, err := customergen.Generate(sys, owner, customergen.Options{Tenant: tn, Count: n, Seed: 7, Listed: listed, PlantEvery: 500, Batch: 6000})
	if err != nil || got != n {
		t.Fatalf("generated %d, %v; want %d", got, err, n)
	}
	all, screenable := countCustomers(t, owner, tn)
	if all != n || screenable >= n || screenable < n*95/100 {
		t.Fatalf("customers %d, screenable %d; want %d with about 1%% closed", all, screenable, n)
	}
	// The same seed again in another tenant: the same names, no clash.
	if _, err := customergen.Generate(sys, owner, customergen.Options{Tenant: newTenant(t), Count: 100, Seed: 7}); err != nil {
		t.Fatal(err)
	}

	res, err := lists.Rescreen(sys, update, customer.NewService(pool, nil).ScreeningSubjects())
	if err != nil {
		t.Fatal(err)
	}
	if res.Subjects < screenable {
		t.Fatalf("re-screened %d; want at least the %d screenable customers", res.Subjects, screenable)
	}
	var planted []uuid.UUID
	rows, err := owner.Query(sys, `SELECT id FROM customers WHERE tenant_id = $1 AND first_name = '' AND status <> 'CLOSED'`, tn)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		planted = append(planted, id)
	}
	if rows.Err() != nil || len(planted) < n/500*9/10 {
		t.Fatalf("planted %d, %v", len(planted), rows.Err())
	}
	for _, id := range planted {
		hits, err := lists.ListHits(sys, tn, screening.HitFilter{SubjectID: &id})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 {
			t.Errorf("customer %s bears a name the update added and has no hit", id)
		}
	}
	if res.NewHits < len(planted) {
		t.Errorf("new hits %d; want at least %d", res.NewHits, len(planted))
	}
}

// millionCustomers is how many customers the scale benchmarks make:
// CIAM_BENCH_CUSTOMERS, 1,000,000 when unset.
func millionCustomers(b *testing.B) int {
	if v := os.Getenv("CIAM_BENCH_CUSTOMERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("CIAM_BENCH_CUSTOMERS=%q: want a positive number", v)
		}
		return n
	}
	return 1_000_000
}

var (
	scaleOnce   sync.Once
	scaleTenant uuid.UUID
)

// scaleData makes the benchmarks' customers once per run: one tenant
// with all of them, one in 200 bearing a name the update added.
func scaleData(b *testing.B) (uuid.UUID, int) {
	n := millionCustomers(b)
	scaleOnce.Do(func() {
		_, listed := listUpdate(b, screening.NewService(dbtest.Pool(b)))
		scaleTenant = newTenant(b)
		start := time.Now()
		got, err := customergen.Generate(sys, dbtest.OwnerPool(b), customergen.Options{Tenant: scaleTenant, Count: n, Seed: 1, Listed: listed, PlantEvery: 200,
			RebuildIndexes: true})
		if err != nil {
			b.Fatal(err)
		}
		el := time.Since(start)
		b.Logf("made %d customers with COPY in %v (%.0f rows/s)", got, el.Round(time.Millisecond), float64(got)/el.Seconds())
		if _, err := dbtest.OwnerPool(b).Exec(sys, "VACUUM ANALYZE customers"); err != nil {
			b.Fatal(err)
		}
	})
	return scaleTenant, n
}

// BenchmarkMillionRescreen re-screens every customer (1,000,000 unless
// CIAM_BENCH_CUSTOMERS says otherwise), read from the database by the
// real customer reader, against the entries OFAC 2021 added or changed
// since 2019, writing the hits. Run with -benchtime 1x: each iteration
// writes hits only the first time.
func BenchmarkMillionRescreen(b *testing.B) {
	_, n := scaleData(b)
	lists := screening.NewService(dbtest.Pool(b))
	update, _ := listUpdate(b, lists)
	subjects := customer.NewService(dbtest.Pool(b), nil).ScreeningSubjects()
	// Reading alone, for the share of the time that is the database's.
	start, read := time.Now(), 0
	if err := subjects.EachActive(sys, func(screening.Subject) error { read++; return nil }); err != nil {
		b.Fatal(err)
	}
	b.Logf("reading the %d screenable customers alone took %v", read, time.Since(start).Round(time.Millisecond))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := lists.Rescreen(sys, update, subjects)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.Elapsed.Seconds(), "s/rescreen")
		b.ReportMetric(float64(res.Subjects)/res.Elapsed.Seconds(), "customers/s")
		b.Logf("re-screened %d of %d customers against the %d entries OFAC 2021 added or changed in %v (%.0f customers/s); %d new hits",
			res.Subjects, n, res.Entries, res.Elapsed.Round(time.Millisecond), float64(res.Subjects)/res.Elapsed.Seconds(), res.NewHits)
	}
}

// BenchmarkMillionCustomerSearch times the portal's customer search (the
// service the customers page calls, first page of 50 with its total) in a
// tenant of a million customers: names, a last name alone, the start of
// an e-mail address, a phone number, the start of an id. It prints p50,
// p95 and p99.
func BenchmarkMillionCustomerSearch(b *testing.B) {
	tn, _ := scaleData(b)
	owner := dbtest.OwnerPool(b)
	var queries []string
	rows, err := owner.Query(sys, `SELECT first_name, last_name, email, phone_number, id::text FROM customers
		WHERE tenant_id = $1 AND first_name <> '' ORDER BY id LIMIT 200`, tn)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var first, last, email, phone, id string
		if err := rows.Scan(&first, &last, &email, &phone, &id); err != nil {
			b.Fatal(err)
		}
		queries = append(queries, first+" "+last, last, email[:len(email)/2], phone[3:], id[:8])
	}
	if rows.Err() != nil || len(queries) == 0 {
		b.Fatalf("no customers to search for: %v", rows.Err())
	}
	customers := customer.NewService(dbtest.Pool(b), nil)
	ctx := actor.With(context.Background(), actor.Actor{Kind: actor.Employee, ID: uuid.NewString(), Name: "bench", TenantID: tn})
	// Each iteration runs every query (1,000 searches), so that the
	// percentiles mean something at -benchtime 1x.
	kinds := []string{"full name", "last name", "half an e-mail", "phone", "id prefix"}
	byKind := map[string][]time.Duration{}
	lat := make([]time.Duration, 0, b.N*len(queries))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, q := range queries {
			t0 := time.Now()
			res, err := customers.Search(ctx, tn, customer.SearchFilter{Query: q, Limit: 50})
			el := time.Since(t0)
			lat = append(lat, el)
			byKind[kinds[j%len(kinds)]] = append(byKind[kinds[j%len(kinds)]], el)
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Customers) == 0 {
				b.Fatalf("%q found nobody", q)
			}
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p int) float64 { return float64(lat[min(len(lat)-1, len(lat)*p/100)].Microseconds()) / 1000 }
	b.ReportMetric(pct(50), "p50-ms")
	b.ReportMetric(pct(95), "p95-ms")
	b.ReportMetric(pct(99), "p99-ms")
	b.Logf("%d searches: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms", len(lat), pct(50), pct(95), pct(99))
	for _, k := range kinds {
		l := byKind[k]
		slices.Sort(l)
		b.Logf("  %-15s p50 %6.1f ms  p95 %6.1f ms", k, float64(l[len(l)/2].Microseconds())/1000, float64(l[len(l)*95/100].Microseconds())/1000)
	}
}
