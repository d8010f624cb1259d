package report

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

var testKeys = func() *fieldcrypt.Keys {
	k, err := fieldcrypt.Parse("t1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	if err != nil {
		panic(err)
	}
	return k
}()

// tenantWithCustomers makes a tenant with n customers, written straight
// into the table in one statement (registration is tested elsewhere).
func tenantWithCustomers(tb testing.TB, n int) uuid.UUID {
	tb.Helper()
	ctx := actor.With(context.Background(), actor.Actor{Kind: actor.System, Name: "test"})
	tn, err := tenant.NewService(dbtest.Pool(tb)).Create(ctx, tenant.CreateParams{Slug: "r-" + uuid.NewString()[:8], Name: "Report Test Ltd"}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	// The portal's trigram search index makes a bulk load of customers
	// slow and plays no part in an extract: this package's own database
	// goes without it.
	if _, err := dbtest.OwnerPool(tb).Exec(ctx, `DROP INDEX IF EXISTS customers_search_trgm`); err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	defer func() { tb.Logf("loaded %d customers in %s", n, time.Since(start).Round(time.Millisecond)) }()
	_, err = dbtest.OwnerPool(tb).Exec(ctx, `
		INSERT INTO customers (id, tenant_id, email, first_name, last_name, date_of_birth, nationality, phone_number, address,
		                       status, permission, risk_level)
		SELECT gen_random_uuid(), $1, 'c' || i || '@example.com', 'First' || i, 'Last' || i, date '1970-01-01' + (i % 15000),
		       (ARRAY['GB','DE','FR','BR','IN'])[1 + i % 5], '+4479' || lpad(i::text, 8, '0'),
		       jsonb_build_object('street', 'High Street', 'streetNumber', (i % 200)::text, 'city', 'London', 'postalCode', 'N1 1AA',
		                          'country', (ARRAY['GB','DE','FR','BR','IN'])[1 + i % 5]),
		       'ACTIVE', 'SEND-AND-RECEIVE', (ARRAY['LOW','MEDIUM','HIGH'])[1 + i % 3]
		FROM generate_series(1, $2::int) AS i`, tn.ID, n)
	if err != nil {
		tb.Fatal(err)
	}
	// As autovacuum would after such a load: without statistics the
	// planner takes the table for small and sorts it whole for each page.
	if _, err := dbtest.OwnerPool(tb).Exec(ctx, `ANALYZE customers`); err != nil {
		tb.Fatal(err)
	}
	return tn.ID
}

// peakHeap samples the heap while fn runs and returns how far it grew
// above where it stood before (after a collection). The collector runs at
// GOGC 20 meanwhile, so that what is measured is what fn keeps, not
// garbage a collector slowed by a busy machine has not reached yet (at the
// default 100 the heap in use may be twice what is live).
func peakHeap(fn func()) (growth uint64) {
	defer debug.SetGCPercent(debug.SetGCPercent(20))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapInuse, ms.HeapInuse
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak - base
}

func extract(tb testing.TB, pool *pgxpool.Pool, s *Service, tn uuid.UUID, format string) Run {
	tb.Helper()
	ctx := actor.With(context.Background(), actor.Actor{Kind: actor.Employee, Name: "bench", TenantID: tn})
	run, err := s.Start(ctx, tn, Request{Definition: "customers_by_risk", Format: format, Roles: []staff.Role{staff.Auditor}})
	if err != nil {
		tb.Fatal(err)
	}
	if run.Status != Done {
		tb.Fatalf("run %s: %s", run.Status, run.LastError)
	}
	return run
}

// An extract of 50,000 customers streams: the heap grows by less than a
// fixed bound, the same bound BenchmarkExtractMillionRows stays under
// with twenty times the rows (docs/PERFORMANCE.md).
func TestExtractStreamsInBoundedMemory(t *testing.T) {
	const rows = 50_000
	tn := tenantWithCustomers(t, rows)
	pool := dbtest.Pool(t)
	s := NewService(pool, testKeys, nil)
	for _, tc := range []struct {
		format string
		bound  uint64
	}{
		// CSV: a page of rows and a chunk of the file at a time.
		{CSV, 24 << 20},
		// XLSX: excelize keeps up to 16 MiB of sheet XML in a buffer
		// (which grows by doubling) before it spills to a temporary file.
		{XLSX, 96 << 20},
	} {
		t.Run(tc.format, func(t *testing.T) {
			var run Run
			growth := peakHeap(func() { run = extract(t, pool, s, tn, tc.format) })
			t.Logf("%s: %d rows, %d bytes, heap grew by at most %.1f MiB", tc.format, run.Processed, run.Bytes, float64(growth)/(1<<20))
			if run.Processed != rows {
				t.Fatalf("%d rows, want %d", run.Processed, rows)
			}
			if growth > tc.bound {
				t.Errorf("heap grew by %d bytes; want at most %d", growth, tc.bound)
			}
			// The stored file is the one hashed, chunk by chunk.
			var n int64
			err := s.Download(context.Background(), tn, run.ID, []staff.Role{staff.Auditor}, func(Run) io.Writer { return countWriter{&n} })
			if err != nil || n != run.Bytes {
				t.Errorf("downloaded %d bytes of %d: %v", n, run.Bytes, err)
			}
		})
	}
}

type countWriter struct{ n *int64 }

func (c countWriter) Write(p []byte) (int, error) { *c.n += int64(len(p)); return len(p), nil }

// BenchmarkExtractMillionRows extracts 1,000,000 customers to CSV and to
// XLSX and reports rows/s, the heap's peak growth and the process's peak
// resident size. Not part of the normal tests (go test -bench runs it):
//
//	go test ./internal/report/ -run '^$' -bench ExtractMillionRows -benchtime 1x
func BenchmarkExtractMillionRows(b *testing.B) {
	const rows = 1_000_000
	tn := tenantWithCustomers(b, rows)
	pool := dbtest.Pool(b)
	s := NewService(pool, testKeys, nil)
	for _, format := range []string{CSV, XLSX} {
		b.Run(format, func(b *testing.B) {
			for b.Loop() {
				var run Run
				t0 := time.Now()
				growth := peakHeap(func() { run = extract(b, pool, s, tn, format) })
				el := time.Since(t0)
				var ru syscall.Rusage
				_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
				b.ReportMetric(float64(run.Processed)/el.Seconds(), "rows/s")
				b.ReportMetric(float64(growth)/(1<<20), "MiB-heap-peak")
				b.ReportMetric(float64(ru.Maxrss)/1024, "MiB-maxrss")
				fmt.Printf("%s: %d rows in %s = %.0f rows/s; file %.1f MiB; heap peak growth %.1f MiB; max RSS %.1f MiB\n",
					format, run.Processed, el.Round(time.Millisecond), float64(run.Processed)/el.Seconds(), float64(run.Bytes)/(1<<20),
					float64(growth)/(1<<20), float64(ru.Maxrss)/1024)
			}
		})
	}
}
