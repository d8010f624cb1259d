package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Queued collects statements of a transaction whose results nobody reads
// (audit records, outbox events) and sends them in one round trip with
// Send: a thousand of them cost one wait on the database, not a thousand.
// A statement's failure is known only when Send returns.
type Queued struct {
	b pgx.Batch
}

// Queries returns the queries that queue on qd: Exec statements answer an
// empty command tag, QueryRow statements a row whose Scan sets nothing.
// Use them only with callers that ignore what a statement returns.
func (qd *Queued) Queries() *Queries { return New(queuedDBTX{qd}) }

// Len is the number of statements queued.
func (qd *Queued) Len() int { return qd.b.Len() }

// Send sends the queued statements on q's transaction, in the order they
// were queued, and returns the first failure.
func (qd *Queued) Send(ctx context.Context, q *Queries) error {
	if qd.b.Len() == 0 {
		return nil
	}
	var br pgx.BatchResults
	switch d := q.db.(type) {
	case *leading:
		if !d.begun {
			// Begin first: the batch cannot carry the transaction's start.
			if _, err := d.Exec(ctx, "SELECT 1"); err != nil {
				return err
			}
		} else if err := d.settle(); err != nil {
			return err
		}
		if d.ended {
			return errEnded
		}
		br = d.conn.SendBatch(ctx, &qd.b)
	case interface {
		SendBatch(context.Context, *pgx.Batch) pgx.BatchResults
	}:
		br = d.SendBatch(ctx, &qd.b)
	default:
		return fmt.Errorf("db: queued statements on a %T", q.db)
	}
	err := br.Close()
	qd.b = pgx.Batch{}
	return err
}

// queuedDBTX is the DBTX of Queued.Queries.
type queuedDBTX struct{ qd *Queued }

func (x queuedDBTX) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	x.qd.b.Queue(sql, args...)
	return pgconn.CommandTag{}, nil
}

func (x queuedDBTX) QueryRow(_ context.Context, sql string, args ...any) pgx.Row {
	x.qd.b.Queue(sql, args...)
	return unreadRow{}
}

func (x queuedDBTX) Query(context.Context, string, ...any) (pgx.Rows, error) {
	return nil, errors.New("db: a queued statement's rows cannot be read")
}

func (x queuedDBTX) CopyFrom(context.Context, pgx.Identifier, []string, pgx.CopyFromSource) (int64, error) {
	return 0, errors.New("db: COPY cannot be queued")
}

// unreadRow is the row of a queued QueryRow: nothing to scan yet, nor ever.
type unreadRow struct{}

func (unreadRow) Scan(...any) error { return nil }
