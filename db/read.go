package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// OneStatement runs fn, which must send exactly one statement, in a single
// round trip: for tenant, the tenant is set and the statement runs in the
// same implicit transaction (a pipeline that PostgreSQL commits at its
// end), so row-level security applies as in InTenantTx without a BEGIN and
// a COMMIT of their own; for uuid.Nil it acts for no tenant, as InTx. It
// suits the hottest paths; fn's second statement fails.
func OneStatement(ctx context.Context, pool *pgxpool.Pool, tenant uuid.UUID, fn func(q *Queries) error) error {
	one := &oneStatement{pool: pool, tenant: tenant}
	err := fn(New(one))
	if cerr := one.close(); err == nil {
		err = cerr
	}
	return err
}

// oneStatement is the DBTX of OneStatement: it sends its one statement in
// a batch behind the tenant's set_config.
type oneStatement struct {
	pool   *pgxpool.Pool
	tenant uuid.UUID
	br     pgx.BatchResults
}

var errSecondStatement = errors.New("db: OneStatement sends one statement")

func (o *oneStatement) send(ctx context.Context, sql string, args []any) error {
	if o.br != nil {
		return errSecondStatement
	}
	b := &pgx.Batch{}
	if o.tenant != uuid.Nil {
		b.Queue("SELECT set_config('app.tenant_id', $1, true)", o.tenant.String())
	}
	b.Queue(sql, args...)
	o.br = o.pool.SendBatch(ctx, b)
	if o.tenant != uuid.Nil {
		if _, err := o.br.Exec(); err != nil {
			return fmt.Errorf("db: set tenant: %w", err)
		}
	}
	return nil
}

func (o *oneStatement) close() error {
	if o.br == nil {
		return nil
	}
	return o.br.Close()
}

func (o *oneStatement) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := o.send(ctx, sql, args); err != nil {
		return pgconn.CommandTag{}, err
	}
	return o.br.Exec()
}

func (o *oneStatement) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := o.send(ctx, sql, args); err != nil {
		return nil, err
	}
	return o.br.Query()
}

func (o *oneStatement) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := o.send(ctx, sql, args); err != nil {
		return errRow{err}
	}
	return o.br.QueryRow()
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func (o *oneStatement) CopyFrom(context.Context, pgx.Identifier, []string, pgx.CopyFromSource) (int64, error) {
	return 0, errors.New("db: OneStatement cannot copy")
}
