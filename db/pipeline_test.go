package db_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
)

// A transaction's BEGIN, tenant and lock travel with its first statement:
// that statement still waits for the lock and sees what the lock's
// previous holder committed; a failure anywhere leaves nothing behind.
func TestPipelinedTransactions(t *testing.T) {
	ctx := t.Context()
	owner := dbtest.OwnerPool(t)
	pool := dbtest.Pool(t)
	tenant := seedTenant(t, owner, "pipe-"+uuid.NewString()[:8])
	other := seedTenant(t, owner, "pipe-"+uuid.NewString()[:8])
	revision := func() int64 {
		t.Helper()
		var r int64
		if err := db.InTenantTx(ctx, pool, tenant, func(q *db.Queries) error {
			var err error
			r, err = q.AMLRevision(ctx, tenant)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return r
	}
	key := int64(time.Now().UnixNano())

	t.Run("the first statement waits for the lock", func(t *testing.T) {
		holding := make(chan struct{})
		var wg sync.WaitGroup
		var written int64
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.InTenantTxLocked(ctx, pool, tenant, key, func(q *db.Queries) error {
				var err error
				written, err = q.AMLBumpRevision(ctx, tenant)
				close(holding)
				time.Sleep(300 * time.Millisecond) // still holding the lock, not committed
				return err
			})
			if err != nil {
				t.Error(err)
			}
		}()
		<-holding
		var seen int64
		if err := db.InTenantTxLocked(ctx, pool, tenant, key, func(q *db.Queries) error {
			var err error
			seen, err = q.AMLRevision(ctx, tenant)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if seen != written {
			t.Fatalf("under the lock the first statement saw revision %d; the lock's holder committed %d", seen, written)
		}
	})

	t.Run("an error from fn rolls back", func(t *testing.T) {
		before := revision()
		boom := errors.New("boom")
		err := db.InTenantTx(ctx, pool, tenant, func(q *db.Queries) error {
			if _, err := q.AMLBumpRevision(ctx, tenant); err != nil {
				return err
			}
			_, err := q.AMLBumpRevision(ctx, tenant)
			if err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) || revision() != before {
			t.Fatalf("err %v, revision %d → %d", err, before, revision())
		}
	})

	t.Run("a failed statement that fn ignores still rolls back", func(t *testing.T) {
		before := revision()
		for _, first := range []bool{true, false} {
			err := db.InTenantTx(ctx, pool, tenant, func(q *db.Queries) error {
				if !first {
					if _, err := q.AMLBumpRevision(ctx, tenant); err != nil {
						return err
					}
				}
				// Another tenant's row: row-level security refuses it.
				if _, err := q.AMLBumpRevision(ctx, other); err == nil {
					t.Error("wrote another tenant's row")
				}
				return nil
			})
			if !errors.Is(err, pgx.ErrTxCommitRollback) {
				t.Fatalf("failed statement first=%v: commit said %v; want a rollback", first, err)
			}
		}
		if revision() != before {
			t.Fatalf("revision %d → %d after rolled-back transactions", before, revision())
		}
	})

	t.Run("the last statement travels with the COMMIT", func(t *testing.T) {
		before := revision()
		var got []int64
		for _, alone := range []bool{false, true} {
			err := db.InTenantTx(ctx, pool, tenant, func(q *db.Queries) error {
				if !alone {
					if _, err := q.AMLBumpRevision(ctx, tenant); err != nil {
						return err
					}
				}
				r, err := db.Last(q).AMLBumpRevision(ctx, tenant)
				if err != nil {
					return err
				}
				got = append(got, r)
				if _, err := q.AMLRevision(ctx, tenant); err == nil {
					t.Error("a statement after the last one ran")
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if want := []int64{before + 2, before + 3}; revision() != before+3 || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("revisions %v, now %d; want %v", got, revision(), want)
		}

		// A last statement that fails commits nothing, and says so.
		err := db.InTenantTx(ctx, pool, tenant, func(q *db.Queries) error {
			if _, err := q.AMLBumpRevision(ctx, tenant); err != nil {
				return err
			}
			_, err := db.Last(q).AMLBumpRevision(ctx, other)
			return err
		})
		if err == nil || revision() != before+3 {
			t.Fatalf("failed last statement: %v, revision %d; want an error and %d", err, revision(), before+3)
		}
	})

	t.Run("a transaction without statements is nothing", func(t *testing.T) {
		if err := db.InTenantTx(ctx, pool, tenant, func(*db.Queries) error { return nil }); err != nil {
			t.Fatal(err)
		}
		// And the pool's connections are usable, outside any transaction.
		if r := revision(); r < 1 {
			t.Fatalf("revision %d", r)
		}
	})
}
