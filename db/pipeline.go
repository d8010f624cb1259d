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

// pipelined runs fn in a transaction on one of pool's connections, with
// the transaction's BEGIN, its tenant (none for uuid.Nil) and the advisory
// lock *lock (when not nil) sent in the same round trip as fn's first
// statement: PostgreSQL runs them one after the other, each statement with
// a snapshot of its own, so the first statement sees what the lock's
// previous holder committed. It commits when fn returns nil.
func pipelined(ctx context.Context, pool *pgxpool.Pool, tenant uuid.UUID, lock *int64, fn func(q *Queries) error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	// A connection released inside a transaction (fn panicked, or the
	// rollback failed) is closed by the pool, never reused.
	defer conn.Release()
	l := &leading{conn: conn, tenant: tenant, lock: lock}
	if err := fn(New(l)); err != nil {
		l.rollback(ctx)
		return err
	}
	return l.commit(ctx)
}

// leading is the DBTX of pipelined: the first statement goes in a batch
// behind BEGIN and the transaction's settings; later ones straight to the
// connection.
type leading struct {
	conn   *pgxpool.Conn
	tenant uuid.UUID
	lock   *int64
	begun  bool
	// ended is set once the COMMIT is sent, behind the statement Last
	// marked; done once its answer is read, with commitErr.
	ended, done bool
	commitErr   error
	// br holds the first statement's results until the next statement or
	// the end of the transaction reads the batch to its end.
	br pgx.BatchResults
}

var errEnded = errors.New("db: a statement after the transaction's last")

// send sends a statement: the first behind BEGIN and the settings, the last
// (when last) before COMMIT, each in one batch whose results the caller
// reads from l.br; other statements it leaves to the caller, reporting
// false.
func (l *leading) send(ctx context.Context, sql string, args []any, last bool) (bool, error) {
	if l.ended {
		return false, errEnded
	}
	if l.begun {
		if err := l.settle(); err != nil {
			return false, err
		}
		if !last {
			return false, nil
		}
	}
	b := &pgx.Batch{}
	if !l.begun {
		l.begun = true
		b.Queue("BEGIN")
		switch {
		case l.tenant != uuid.Nil && l.lock != nil:
			// One statement: the lock's snapshot matters to no one; the
			// next statement takes its own once the lock is granted.
			b.Queue("SELECT set_config('app.tenant_id', $1, true), pg_advisory_xact_lock($2)", l.tenant.String(), *l.lock)
		case l.tenant != uuid.Nil:
			b.Queue("SELECT set_config('app.tenant_id', $1, true)", l.tenant.String())
		case l.lock != nil:
			b.Queue("SELECT pg_advisory_xact_lock($1)", *l.lock)
		}
	}
	settings := b.Len()
	b.Queue(sql, args...)
	if last {
		b.Queue("COMMIT")
		l.ended = true
	}
	l.br = l.conn.SendBatch(ctx, b)
	for range settings {
		if _, err := l.br.Exec(); err != nil {
			return true, errors.Join(fmt.Errorf("db: begin: %w", err), l.settle())
		}
	}
	return true, nil
}

// finish reads the answer to the COMMIT that followed the last statement,
// once that statement's result is read.
func (l *leading) finish() error {
	if !l.ended || l.done {
		return l.commitErr
	}
	l.done = true
	tag, err := l.br.Exec()
	if serr := l.settle(); err == nil {
		err = serr
	}
	if l.conn.Conn().PgConn().TxStatus() != 'I' {
		// The statement failed, so PostgreSQL skipped the COMMIT: end
		// the failed transaction, and the connection goes back clean.
		_, _ = l.conn.Exec(context.Background(), "ROLLBACK")
	}
	switch {
	case err != nil:
		l.commitErr = fmt.Errorf("db: commit: %w", err)
	case tag.String() == "ROLLBACK":
		l.commitErr = fmt.Errorf("db: commit: %w", pgx.ErrTxCommitRollback)
	}
	return l.commitErr
}

// settle reads what is left of the first statement's batch.
func (l *leading) settle() error {
	if l.br == nil {
		return nil
	}
	err := l.br.Close()
	l.br = nil
	return err
}

func (l *leading) commit(ctx context.Context) error {
	if !l.begun {
		return nil // no statement, no transaction
	}
	if l.ended {
		return l.finish()
	}
	if err := l.settle(); err != nil {
		// The first statement failed and fn went on.
		l.rollback(ctx)
		return fmt.Errorf("db: commit: %w: %w", pgx.ErrTxCommitRollback, err)
	}
	tag, err := l.conn.Exec(ctx, "COMMIT")
	if err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	if tag.String() == "ROLLBACK" {
		// A statement failed and fn went on: PostgreSQL rolled back.
		return fmt.Errorf("db: commit: %w", pgx.ErrTxCommitRollback)
	}
	return nil
}

func (l *leading) rollback(ctx context.Context) {
	if !l.begun {
		return
	}
	if l.ended {
		// Too late: the COMMIT is sent. Last says fn returns right after.
		_ = l.finish()
		return
	}
	_ = l.settle()
	_, _ = l.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
}

func (l *leading) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	first, err := l.send(ctx, sql, args, false)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	if !first {
		return l.conn.Exec(ctx, sql, args...)
	}
	tag, err := l.br.Exec()
	if serr := l.settle(); err == nil {
		err = serr
	}
	return tag, err
}

func (l *leading) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	first, err := l.send(ctx, sql, args, false)
	if err != nil {
		return nil, err
	}
	if !first {
		return l.conn.Query(ctx, sql, args...)
	}
	return l.br.Query()
}

func (l *leading) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	first, err := l.send(ctx, sql, args, false)
	if err != nil {
		return errRow{err}
	}
	if !first {
		return l.conn.QueryRow(ctx, sql, args...)
	}
	return l.br.QueryRow()
}

func (l *leading) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if !l.begun {
		// COPY cannot travel in a batch: begin on its own.
		if _, err := l.Exec(ctx, "SELECT 1"); err != nil {
			return 0, err
		}
	} else if err := l.settle(); err != nil {
		return 0, err
	}
	return l.conn.CopyFrom(ctx, table, columns, src)
}

// Last returns q for the transaction's last statement. In a transaction
// of InTx, InTenantTx or InTenantTxLocked on a pool, the statement travels
// with the COMMIT in one round trip, and the transaction is over once it
// has answered: its result says whether it committed, fn must return right
// after it, and a statement after it fails. Elsewhere it is q itself. It
// takes Exec and QueryRow statements.
func Last(q *Queries) *Queries {
	if l, ok := q.db.(*leading); ok {
		return New(lastStatement{l})
	}
	return q
}

// lastStatement is the DBTX of Last.
type lastStatement struct{ l *leading }

func (s lastStatement) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if _, err := s.l.send(ctx, sql, args, true); err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := s.l.br.Exec()
	if cerr := s.l.finish(); err == nil {
		err = cerr
	}
	return tag, err
}

func (s lastStatement) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if _, err := s.l.send(ctx, sql, args, true); err != nil {
		return errRow{err}
	}
	return lastRow{l: s.l, row: s.l.br.QueryRow()}
}

func (s lastStatement) Query(context.Context, string, ...any) (pgx.Rows, error) {
	return nil, errors.New("db: Last takes Exec and QueryRow statements")
}

func (s lastStatement) CopyFrom(context.Context, pgx.Identifier, []string, pgx.CopyFromSource) (int64, error) {
	return 0, errors.New("db: Last takes Exec and QueryRow statements")
}

// lastRow reads the COMMIT's answer after the row.
type lastRow struct {
	l   *leading
	row pgx.Row
}

func (r lastRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if cerr := r.l.finish(); err == nil {
		err = cerr
	}
	return err
}
