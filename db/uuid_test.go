package db_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ciamhq/ciam/db/dbtest"
)

// uuid.UUID values go to PostgreSQL and come back unchanged, alone, in
// arrays, as NULL, over both wire formats.
func TestUUIDRoundTrip(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := t.Context()
	a, b := uuid.New(), uuid.New()
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		var got uuid.UUID
		var text string
		if err := pool.QueryRow(ctx, "SELECT $1::uuid, $1::uuid::text", mode, a).Scan(&got, &text); err != nil {
			t.Fatalf("mode %v: %v", mode, err)
		}
		if got != a || text != a.String() {
			t.Errorf("mode %v: got %s (%s); want %s", mode, got, text, a)
		}
		if mode != pgx.QueryExecModeSimpleProtocol { // pgx cannot type an array parameter without the statement's description
			var arr []uuid.UUID
			if err := pool.QueryRow(ctx, "SELECT $1::uuid[]", mode, []uuid.UUID{a, b}).Scan(&arr); err != nil {
				t.Fatalf("mode %v array: %v", mode, err)
			}
			if len(arr) != 2 || arr[0] != a || arr[1] != b {
				t.Errorf("mode %v array: %v", mode, arr)
			}
		}
		var none *uuid.UUID = &b
		if err := pool.QueryRow(ctx, "SELECT NULL::uuid", mode).Scan(&none); err != nil || none != nil {
			t.Errorf("mode %v NULL: %v, %v", mode, none, err)
		}
		var nilParam *uuid.UUID
		var isNull bool
		if err := pool.QueryRow(ctx, "SELECT $1::uuid IS NULL", mode, nilParam).Scan(&isNull); err != nil || !isNull {
			t.Errorf("mode %v nil pointer parameter: %v, %v", mode, isNull, err)
		}
		if err := pool.QueryRow(ctx, "SELECT NULL::uuid", mode).Scan(&got); err != nil || got != uuid.Nil {
			t.Errorf("mode %v: NULL into uuid.UUID: %s, %v; want uuid.Nil as uuid.UUID's own Scan gives", mode, got, err)
		}
	}
}
