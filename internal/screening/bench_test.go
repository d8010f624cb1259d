package screening

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
)

// The benchmarks print the figures docs/PERFORMANCE.md records:
//
//	go test ./internal/screening/ -run '^$' -bench 'Screening' -benchtime 20000x
//	go test ./internal/screening/ -run '^$' -bench 'Rescreen100k' -benchtime 1x
//	go test ./internal/screening/ -run '^$' -bench 'LabelledQuality' -benchtime 1x

var (
	benchGiven = []string{"John", "Mary", "Robert", "Patricia", "Michael", "Linda", "William", "Elizabeth", "David",
		"Barbara", "Mohammed", "Ali", "Ahmed", "Fatima", "Aisha", "Omar", "Hassan", "Abdul", "Yusuf", "Khalid",
		"Jose", "Maria", "Juan", "Carlos", "Luis", "Ana", "Pedro", "Sofia", "Wei", "Li", "Ming", "Hiroshi", "Yuki",
		"Olga", "Ivan", "Sergei", "Natalia", "Dmitri", "Pierre", "Anna", "Hans", "Greta", "Lars", "Ingrid", "Kim",
		"Ravi", "Priya", "Arjun", "Kwame", "Amara", "Chinedu", "Nguyen", "Thanh", "Tomasz", "Zofia", "Sarah", "Daniel"}
	benchFamily = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Martinez", "Hernandez",
		"Lopez", "Gonzalez", "Rodriguez", "Khan", "Ali", "Hussein", "Ahmed", "Rahman", "Hassan", "Ivanov", "Petrov",
		"Smirnov", "Mueller", "Schmidt", "Schneider", "Rossi", "Russo", "Dubois", "Martin", "Nguyen", "Tran", "Kim",
		"Lee", "Park", "Chen", "Wang", "Zhang", "Patel", "Singh", "Sharma", "Okafor", "Mensah", "Silva", "Santos",
		"Kowalski", "Novak", "Yilmaz", "Kaya", "Cohen", "Levi", "Murphy", "Kelly", "Tanaka", "Sato", "Haddad"}
	benchCountries = []string{"US", "GB", "DE", "FR", "ES", "IT", "NG", "GH", "IN", "PK", "CN", "VN", "MX", "BR", "TR", "AE", "EG", "RU"}
)

// syntheticName is an ordinary customer's name: two or three common words.
func syntheticName(rng *rand.Rand) string {
	name := benchGiven[rng.IntN(len(benchGiven))] + " " + benchFamily[rng.IntN(len(benchFamily))]
	if rng.IntN(3) == 0 {
		name = benchGiven[rng.IntN(len(benchGiven))] + " " + name
	}
	return name
}

func syntheticDOB(rng *rand.Rand) string {
	return fmt.Sprintf("%d-%02d-%02d", 1940+rng.IntN(65), 1+rng.IntN(12), 1+rng.IntN(28))
}

// benchQueries is a mix like a customer base's: four in five ordinary names
// that mostly match nothing, one in five a labelled query made from the
// lists.
func benchQueries(tb testing.TB, n int) []Query {
	tb.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	labelled := readLabelled(tb)
	out := make([]Query, 0, n)
	for i := 0; i < n; i++ {
		if i%5 == 0 {
			c := labelled[rng.IntN(len(labelled))]
			out = append(out, Query{Name: c.Query.Name, Type: EntryType(c.Query.Type), DateOfBirth: c.Query.DateOfBirth, Country: c.Query.Country})
			continue
		}
		out = append(out, Query{Name: syntheticName(rng), Type: Individual, DateOfBirth: syntheticDOB(rng),
			Country: benchCountries[rng.IntN(len(benchCountries))]})
	}
	return out
}

var benchLoad struct {
	once   sync.Once
	svc    *Service
	tenant uuid.UUID
	err    error
}

// benchService is a Service with OFAC 2021, the UN list and the PEP list
// loaded through the database, and a tenant with the default settings.
func benchService(b *testing.B) (*Service, uuid.UUID) {
	b.Helper()
	benchLoad.once.Do(func() {
		svc := NewService(dbtest.Pool(b))
		for _, l := range []struct {
			f Format
			p string
		}{{FormatOFAC, "ofac-2021"}, {FormatUN, "un/consolidated.xml"}, {FormatSenzing, "pep/us_congress_senzing.jsonl"}} {
			if _, err := svc.Load(b.Context(), l.f, dataPath(b, l.p), LoadOptions{AllowShrink: true}); err != nil {
				benchLoad.err = err
				return
			}
		}
		benchLoad.svc, benchLoad.tenant = svc, newTenant(b)
	})
	if benchLoad.err != nil {
		b.Fatal(benchLoad.err)
	}
	return benchLoad.svc, benchLoad.tenant
}

// BenchmarkScreeningSearch screens one name at a time through the service,
// as the API does, and reports the latency of each.
func BenchmarkScreeningSearch(b *testing.B) {
	svc, tn := benchService(b)
	qs := benchQueries(b, 10000)
	ctx := b.Context()
	if _, err := svc.Search(ctx, tn, qs[0]); err != nil { // builds the index, caches the settings
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	matched := 0
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		res, err := svc.Search(ctx, tn, qs[i%len(qs)])
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Matches) > 0 {
			matched++
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
	rate := float64(len(lat)) / elapsed.Seconds()
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(rate, "names/s")
	ix, _ := svc.index(ctx)
	b.Logf("%d names against %d entries (OFAC 2021, UN, PEP): p50 %v, p99 %v, max %v, %.0f names/s on one goroutine; %d%% had a match",
		len(lat), ix.Len(), p50, p99, lat[len(lat)-1], rate, 100*matched/len(lat))
}

// BenchmarkScreeningSearchParallel screens names on every core at once.
func BenchmarkScreeningSearchParallel(b *testing.B) {
	svc, tn := benchService(b)
	qs := benchQueries(b, 10000)
	ctx := b.Context()
	if _, err := svc.Search(ctx, tn, qs[0]); err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	next := 0
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			q := qs[next%len(qs)]
			next++
			mu.Unlock()
			if _, err := svc.Search(ctx, tn, q); err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "names/s")
	b.Logf("%d names on %d goroutines: %.0f names/s", b.N, runtime.GOMAXPROCS(0), float64(b.N)/elapsed.Seconds())
}

// BenchmarkRescreen100k re-screens 100,000 customers of three tenants
// after the 2021 SDN list replaces the 2019 one: every customer against
// the entries 2021 added or changed. One customer in 200 bears the name of
// such an entry, so hits are written too.
func BenchmarkRescreen100k(b *testing.B) {
	svc := NewService(dbtest.Pool(b))
	ctx := b.Context()
	if _, err := svc.Load(ctx, FormatOFAC, dataPath(b, "ofac-2019"), LoadOptions{AllowShrink: true}); err != nil {
		b.Fatal(err)
	}
	update, err := svc.Load(ctx, FormatOFAC, dataPath(b, "ofac-2021"), LoadOptions{AllowShrink: true})
	if err != nil {
		b.Fatal(err)
	}
	changed, err := svc.Changes(ctx, update.Version.ID, "ADDED", 10000)
	if err != nil {
		b.Fatal(err)
	}
	var listed []string
	for _, c := range changed {
		if c.Type == Individual {
			listed = append(listed, c.Name)
		}
	}
	tenants := []uuid.UUID{newTenant(b), newTenant(b), newTenant(b)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rng := rand.New(rand.NewPCG(uint64(i), 100000))
		subjects := make(fakeSubjects, 100000)
		for j := range subjects {
			name := syntheticName(rng)
			if j%200 == 0 {
				name = listed[rng.IntN(len(listed))]
			}
			subjects[j] = Subject{ID: uuid.New(), TenantID: tenants[j%len(tenants)], Name: name, DateOfBirth: syntheticDOB(rng)}
		}
		res, err := svc.Rescreen(ctx, update.Version.ID, subjects)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.Elapsed.Seconds(), "s/rescreen")
		b.ReportMetric(float64(res.NewHits), "hits")
		b.Logf("re-screened %d customers against the %d entries OFAC 2021 added or changed in %v; %d new hits written",
			res.Subjects, res.Entries, res.Elapsed.Round(time.Millisecond), res.NewHits)
	}
}

// BenchmarkIndexSearch screens names against the index alone, without the
// service around it: the matching's own cost.
func BenchmarkIndexSearch(b *testing.B) {
	ix := BuildIndex(realLists(b))
	qs := benchQueries(b, 10000)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		ix.Search(qs[i%len(qs)], SearchOptions{})
		lat = append(lat, time.Since(t0))
	}
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "names/s")
}
