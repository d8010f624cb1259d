package db

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultAppRole is the database role the server acts as. It owns no table
// and is subject to row-level security.
const DefaultAppRole = "ciam_app"

// ConnectTimeout bounds opening one connection when DATABASE_URL sets no
// connect_timeout.
const ConnectTimeout = 5 * time.Second

// Open connects a pool to url. When appRole is not empty every connection
// switches to it, so that row-level security applies even when url logs in
// as the tables' owner or a superuser.
func Open(ctx context.Context, url, appRole string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("db: parse DATABASE_URL: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgx's default is one connection per core (at least 4), which
		// leaves the cores idle while transactions wait for their commit
		// to reach the disk; with more, commits are flushed together.
		cfg.MaxConns = int32(max(8, 4*runtime.GOMAXPROCS(0)))
	}
	// Statements get spans under a traced request or job (trace.go).
	cfg.ConnConfig.Tracer = sqlTracer{}
	if cfg.ConnConfig.ConnectTimeout <= 0 {
		// Without connect_timeout in the URL pgx waits up to two minutes
		// for a database that does not answer; requests must fail fast
		// instead (503) while it is away.
		cfg.ConnConfig.ConnectTimeout = ConnectTimeout
	}
	role := ""
	if appRole != "" {
		role = pgx.Identifier{appRole}.Sanitize()
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		registerUUID(c)
		if role == "" {
			return nil
		}
		_, err := c.Exec(ctx, "SET ROLE "+role)
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("db: open: %w", err)
	}
	return pool, nil
}

// Beginner is what starts a transaction: a pool, a connection or an outer
// transaction.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// InTx runs fn in a transaction that acts for no tenant: tenant-owned rows
// are invisible to it. It commits when fn returns nil and rolls back
// otherwise.
func InTx(ctx context.Context, b Beginner, fn func(q *Queries) error) error {
	return inTx(ctx, b, uuid.Nil, fn)
}

// InTenantTx runs fn in a transaction that acts for tenant: row-level
// security lets it see and write only that tenant's rows.
func InTenantTx(ctx context.Context, b Beginner, tenant uuid.UUID, fn func(q *Queries) error) error {
	if tenant == uuid.Nil {
		return errors.New("db: InTenantTx without a tenant")
	}
	return inTx(ctx, b, tenant, fn)
}

// InTenantTxPgx is InTenantTx that also hands fn the transaction itself,
// for libraries that take a pgx.Tx (the job queue's transactional inserts).
func InTenantTxPgx(ctx context.Context, b Beginner, tenant uuid.UUID, fn func(tx pgx.Tx, q *Queries) error) error {
	if tenant == uuid.Nil {
		return errors.New("db: InTenantTxPgx without a tenant")
	}
	return retried(func() error { return runTxPgx(ctx, b, tenant, fn) })
}

// InTxPgx is InTx that also hands fn the transaction itself, for libraries
// that take a pgx.Tx (the job queue's transactional inserts).
func InTxPgx(ctx context.Context, b Beginner, fn func(tx pgx.Tx, q *Queries) error) error {
	return retried(func() error { return runTxPgx(ctx, b, uuid.Nil, fn) })
}

// InTenantTxLocked is InTenantTx whose transaction holds the advisory lock
// key from its start: the round trip that begins the transaction, sets its
// tenant and waits for the lock also carries fn's first statement, and every
// statement of fn sees what the lock's previous holder committed.
func InTenantTxLocked(ctx context.Context, pool *pgxpool.Pool, tenant uuid.UUID, key int64, fn func(q *Queries) error) error {
	if tenant == uuid.Nil {
		return errors.New("db: InTenantTxLocked without a tenant")
	}
	return retried(func() error { return pipelined(ctx, pool, tenant, &key, fn) })
}

// Serialization failures and deadlocks are retried this many times.
const maxAttempts = 4

// retried runs a transaction again while it fails with a serialization
// failure or a deadlock, up to maxAttempts times.
func retried(run func() error) error {
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		if err = run(); !retryable(err) {
			return err
		}
	}
	return err
}

func inTx(ctx context.Context, b Beginner, tenant uuid.UUID, fn func(q *Queries) error) error {
	return retried(func() error { return runTx(ctx, b, tenant, fn) })
}

func runTx(ctx context.Context, b Beginner, tenant uuid.UUID, fn func(q *Queries) error) error {
	if pool, ok := b.(*pgxpool.Pool); ok {
		return pipelined(ctx, pool, tenant, nil, fn)
	}
	return runTxPgx(ctx, b, tenant, func(_ pgx.Tx, q *Queries) error { return fn(q) })
}

// txBeginner is a pool or a connection: what can begin a transaction with
// a statement of its own.
type txBeginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// runTxPgx runs fn in a transaction for tenant (none when uuid.Nil).
func runTxPgx(ctx context.Context, b Beginner, tenant uuid.UUID, fn func(tx pgx.Tx, q *Queries) error) error {
	var (
		tx  pgx.Tx
		err error
	)
	if tb, ok := b.(txBeginner); ok && tenant != uuid.Nil {
		// One round trip begins the transaction and sets its tenant: the
		// UUID's text is hexadecimal digits and dashes only, so it is
		// safe to write into the statement.
		tx, err = tb.BeginTx(ctx, pgx.TxOptions{BeginQuery: "BEGIN; SELECT set_config('app.tenant_id', '" + tenant.String() + "', true)"})
		if err != nil {
			return fmt.Errorf("db: begin: %w", err)
		}
	} else {
		if tx, err = b.Begin(ctx); err != nil {
			return fmt.Errorf("db: begin: %w", err)
		}
		if tenant != uuid.Nil {
			if _, err := tx.Exec(ctx, "SELECT set_config('app.tenant_id', $1, true)", tenant.String()); err != nil {
				tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck
				return fmt.Errorf("db: set tenant: %w", err)
			}
		}
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after commit this is a no-op
	if err := fn(tx, New(tx)); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}

// IsNotFound reports whether err says a query found no row.
func IsNotFound(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// IsUniqueViolation reports whether err is a unique constraint failure,
// optionally of the named constraint or index.
func IsUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return constraint == "" || pgErr.ConstraintName == constraint
	}
	return false
}
