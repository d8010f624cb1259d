package db_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
)

// A connection ended by the administrator (pg_terminate_backend, a fast
// shutdown), one that cannot be opened and one whose time ran out are the
// database being away; a refusal of what was asked is not.
func TestIsUnavailable(t *testing.T) {
	ctx := t.Context()
	owner := dbtest.OwnerPool(t)
	conn, err := pgx.Connect(ctx, dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := owner.Exec(ctx, "SELECT pg_terminate_backend($1)", conn.PgConn().PID()); err != nil {
		t.Fatal(err)
	}
	_, terminated := conn.Exec(ctx, "SELECT 1")

	_, refused := pgx.Connect(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")

	expired, cancel := context.WithTimeout(ctx, 0)
	defer cancel()
	_, late := owner.Exec(expired, "SELECT 1")

	_, divide := owner.Exec(ctx, "SELECT 1/0")

	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"terminated by the administrator", terminated, true},
		{"connection refused", refused, true},
		{"time ran out", late, true},
		{"shutting down", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{"cannot connect now", &pgconn.PgError{Code: "57P03", Message: "the database system is shutting down"}, true},
		{"connection exception", fmt.Errorf("db: commit: %w", &pgconn.PgError{Code: "08006"}), true},
		{"dropped mid-answer", fmt.Errorf("db: begin: %w", io.ErrUnexpectedEOF), true},
		{"division by zero", divide, false},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, false},
		{"no row", pgx.ErrNoRows, false},
		{"a bug", errors.New("db: something else"), false},
		{"nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want && tc.err == nil {
				t.Fatal("the operation did not fail")
			}
			if got := db.IsUnavailable(tc.err); got != tc.want {
				t.Errorf("IsUnavailable(%v) = %v; want %v", tc.err, got, tc.want)
			}
		})
	}
}
