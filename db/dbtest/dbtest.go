// Package dbtest gives each test package a fresh database of its own,
// cloned from a template that has every migration applied. The server
// under test reaches it exactly as in production: as the owner for
// migrations, as ciam_app (row-level security on) for everything else.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
)

var (
	mu     sync.Mutex
	pkgURL string
	pools  = map[string]*pgxpool.Pool{}
)

// maxConns bounds each shared pool: test packages run side by side on one
// server.
const maxConns = 8

// Run is a TestMain: it creates the package's database, runs the tests and
// drops the database again.
//
//	func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }
func Run(m *testing.M) int {
	admin := os.Getenv("DATABASE_URL")
	if admin == "" {
		fmt.Fprintln(os.Stderr, "dbtest: DATABASE_URL is not set; run the tests with `make test`, which starts PostgreSQL")
		return 2
	}
	ctx := context.Background()
	name, err := create(ctx, admin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 2
	}
	pkgURL = withDatabase(admin, name)
	code := m.Run()
	for _, p := range pools {
		p.Close()
	}
	if err := drop(ctx, admin, name); err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
	}
	return code
}

// URL is the package database's URL, logging in as its owner.
func URL(tb testing.TB) string {
	tb.Helper()
	if pkgURL == "" {
		tb.Fatal("dbtest: no database; call dbtest.Run from TestMain")
	}
	return pkgURL
}

// Pool is a pool on the package database acting as the application role,
// so row-level security applies as it does in the server.
func Pool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	return open(tb, db.DefaultAppRole)
}

// OwnerPool is a pool acting as the tables' owner, for tests that must see
// past row-level security (audit verification, tampering).
func OwnerPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	return open(tb, "")
}

// open returns the package's shared pool acting as role.
func open(tb testing.TB, role string) *pgxpool.Pool {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if p, ok := pools[role]; ok {
		return p
	}
	u, err := url.Parse(URL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("pool_max_conns", fmt.Sprint(maxConns))
	u.RawQuery = q.Encode()
	p, err := db.Open(context.Background(), u.String(), role)
	if err != nil {
		tb.Fatal(err)
	}
	pools[role] = p
	return p
}

func withDatabase(u, name string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return u
	}
	parsed.Path = "/" + name
	return parsed.String()
}

// templateName changes whenever a migration does.
func templateName() (string, error) {
	h := sha256.New()
	// The job queue's migrations come with its module version.
	h.Write([]byte("river v0.51.1"))
	err := fs.WalkDir(db.MigrationFS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(db.MigrationFS(), path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return "ciam_tmpl_" + hex.EncodeToString(h.Sum(nil))[:16], err
}

func create(ctx context.Context, admin string) (string, error) {
	tmpl, err := templateName()
	if err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("connect to DATABASE_URL: %w", err)
	}
	defer conn.Close(ctx)
	// Test packages run in parallel processes: one at a time here.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtext('ciam dbtest'))"); err != nil {
		return "", err
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(hashtext('ciam dbtest'))") //nolint:errcheck

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", tmpl).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		cleanStale(ctx, conn, tmpl)
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+tmpl); err != nil {
			return "", fmt.Errorf("create template: %w", err)
		}
		if _, err := db.Migrate(ctx, withDatabase(admin, tmpl)); err != nil {
			_, _ = conn.Exec(ctx, "DROP DATABASE "+tmpl)
			return "", fmt.Errorf("migrate template: %w", err)
		}
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := fmt.Sprintf("ciam_test_%d_%s", time.Now().Unix(), hex.EncodeToString(b[:]))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tmpl); err != nil {
		return "", fmt.Errorf("clone template: %w", err)
	}
	return name, nil
}

// cleanStale drops templates of older migrations and test databases left
// behind by runs that were killed.
func cleanStale(ctx context.Context, conn *pgx.Conn, keep string) {
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE 'ciam\\_tmpl\\_%' OR datname LIKE 'ciam\\_test\\_%'")
	if err != nil {
		return
	}
	names, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	cutoff := time.Now().Add(-2 * time.Hour).Unix()
	for _, n := range names {
		if n == keep {
			continue
		}
		if strings.HasPrefix(n, "ciam_test_") {
			var ts int64
			if _, err := fmt.Sscanf(n, "ciam_test_%d_", &ts); err != nil || ts > cutoff {
				continue
			}
		}
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+n+" WITH (FORCE)")
	}
}

func drop(ctx context.Context, admin, name string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	return err
}

// FreshURL is the URL of a database of the test's own, cloned from the
// migrated template like the package's and dropped when the test ends: for
// a test whose servers change platform data (lists, keys) the package's
// other tests would see.
func FreshURL(tb testing.TB) string {
	tb.Helper()
	admin := os.Getenv("DATABASE_URL")
	name, err := create(context.Background(), admin)
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	tb.Cleanup(func() {
		if err := drop(context.Background(), admin, name); err != nil {
			tb.Logf("dbtest: %v", err)
		}
	})
	return withDatabase(admin, name)
}
