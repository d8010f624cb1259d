package customerauth

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/tenant"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

const benchPassword = "Bench-Passw0rd!"

// benchService is a Service on the test database with customers whose
// passwords are hashed at the production parameters (DefaultArgon2).
func benchService(tb testing.TB, customers int) (*Service, uuid.UUID, []string) {
	tb.Helper()
	ctx := actor.With(context.Background(), actor.Actor{Kind: actor.System, Name: "bench"})
	pool := dbtest.Pool(tb)
	crypt, err := fieldcrypt.New("b1", bytes.Repeat([]byte{9}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	tn, err := tenant.NewService(pool).Create(ctx, tenant.CreateParams{Slug: "bench-" + uuid.NewString()[:8], Name: "Bench Ltd"}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	cs := customer.NewService(pool, nil)
	var emails []string
	for i := range customers {
		email := fmt.Sprintf("bench-%d-%s@example.com", i, uuid.NewString()[:6])
		_, err := cs.Register(ctx, tn.ID, customer.RegisterInput{Email: email, Password: benchPassword, MatchingPassword: benchPassword,
			FirstName: "Bench", LastName: "Mark", DateOfBirth: "1990-01-01", Nationality: "GB", PhoneNumber: "+447911123456",
			Address: customer.Address{Street: "High Street", City: "London", PostalCode: "N1 1AA", Country: "GB"}})
		if err != nil {
			tb.Fatal(err)
		}
		emails = append(emails, email)
	}
	keys := credential.NewKeyRing(pool, crypt, "http://ciam.bench", nil)
	return NewService(pool, keys, crypt, nil), tn.ID, emails
}

// timed runs op n times on as many goroutines as there are processors and
// returns how long that took.
func timed(tb testing.TB, n int, op func(i int) error) time.Duration {
	tb.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				if err := op(i); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		tb.Fatal(err)
	}
	return time.Since(start)
}

// BenchmarkPasswordLogin compares full password sign-ins (two
// transactions, the hash, a signed access token, a session, a refresh
// token and an audit record) with bare argon2id verifications at
// DefaultArgon2, both on every processor. The target is logins/s ≥ 80%
// of hashes/s.
//
//	go test ./internal/customerauth -run '^$' -bench PasswordLogin -benchtime 200x
func BenchmarkPasswordLogin(b *testing.B) {
	procs := runtime.GOMAXPROCS(0)
	svc, tn, emails := benchService(b, 4*procs)
	hash := credential.Hash(benchPassword, credential.DefaultArgon2)
	ctx := context.Background()
	// Warm up: the signing key, the tenant settings, the connections.
	if _, err := svc.Login(ctx, tn, LoginInput{Email: emails[0], Password: benchPassword}); err != nil {
		b.Fatal(err)
	}
	verify := func(int) error {
		if ok, err := credential.Verify(benchPassword, hash); !ok || err != nil {
			return fmt.Errorf("verify: %v %v", ok, err)
		}
		return nil
	}
	login := func(i int) error {
		res, err := svc.Login(ctx, tn, LoginInput{Email: emails[i%len(emails)], Password: benchPassword, IP: "127.0.0.1"})
		if err == nil && res.Tokens == nil {
			err = fmt.Errorf("login %d gave no tokens", i)
		}
		return err
	}
	b.ResetTimer()
	// Alternating rounds, so that a change of load on the machine weighs
	// on both figures alike.
	const rounds = 4
	var hashTime, loginTime time.Duration
	for r := range rounds {
		n := b.N / rounds
		if r == rounds-1 {
			n = b.N - n*(rounds-1)
		}
		hashTime += timed(b, n, verify)
		loginTime += timed(b, n, login)
	}
	b.StopTimer()
	hashes := float64(b.N) / hashTime.Seconds()
	logins := float64(b.N) / loginTime.Seconds()
	b.ReportMetric(hashes, "hashes/s")
	b.ReportMetric(logins, "logins/s")
	b.ReportMetric(100*logins/hashes, "%_of_hash_rate")
	b.ReportMetric(0, "ns/op")
	if b.N < rounds {
		return // the framework's probe run: too few operations to say anything
	}
	b.Logf("argon2id m=%d KiB t=%d p=%d on %d processors, %d operations each: %.1f hashes/s, %.1f logins/s, logins at %.0f%% of the hash rate",
		credential.DefaultArgon2.MemoryKiB, credential.DefaultArgon2.Time, credential.DefaultArgon2.Threads, procs, b.N, hashes, logins, 100*logins/hashes)
}
