package customergen_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/customer/customergen"
)

// A search that matches more customers than the count's cap says so
// (TotalCapped, Total at the cap) and still lists, page after page, in both
// orders and under a filter, exactly the customers an uncapped search in
// the database lists; one under the cap keeps its exact count.
func TestSearchPastTheCountCap(t *testing.T) {
	owner := dbtest.OwnerPool(t)
	tn := newTenant(t)
	const n = 2600
	if _, err := customergen.Generate(sys, owner, customergen.Options{Tenant: tn, Count: n, Seed: 11}); err != nil {
		t.Fatal(err)
	}
	// Another tenant's customers share every word: they must never show.
	if _, err := customergen.Generate(sys, owner, customergen.Options{Tenant: newTenant(t), Count: 1500, Seed: 11}); err != nil {
		t.Fatal(err)
	}
	customers := customer.NewService(dbtest.Pool(t), nil)
	ctx := actor.With(context.Background(), actor.Actor{Kind: actor.Employee, ID: uuid.NewString(), Name: "test", TenantID: tn})

	// want is the whole ordered list of matches, from the tables' owner.
	want := func(t *testing.T, like, status, sort string) []uuid.UUID {
		t.Helper()
		order := "created_at DESC, id DESC"
		if sort == customer.SortName {
			order = "lower(last_name), lower(first_name), id"
		}
		rows, err := owner.Query(t.Context(), `SELECT id FROM customers WHERE tenant_id = $1 AND NOT is_hidden AND search_key LIKE $2
			AND ($3 = '' OR status = $3) ORDER BY `+order, tn, like, status)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []uuid.UUID
		for rows.Next() {
			var id uuid.UUID
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		return out
	}

	tests := []struct {
		name, q, like, status, sort string
		capped                      bool
		limit                       int // 0: 200
	}{
		{"every e-mail address, newest first", "example", "%example%", "", customer.SortNewest, true, 0},
		{"every e-mail address, by name", "example", "%example%", "", customer.SortName, true, 0},
		{"every e-mail address of the active, newest first", "example", "%example%", customer.StatusActive, customer.SortNewest, true, 0},
		{"a last name, under the cap", "wilson", "%wilson%", "", customer.SortNewest, false, 0},
		{"a last name, under the cap, five at a time", "wilson", "%wilson%", "", customer.SortNewest, false, 5},
		{"a last name of the active, under the cap, five at a time", "wilson", "%wilson%", customer.StatusActive, customer.SortNewest, false, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			all := want(t, tc.like, tc.status, tc.sort)
			if tc.capped != (len(all) > customer.CountCap) || len(all) == 0 {
				t.Fatalf("%d customers match %s; the case needs them %s the cap", len(all), tc.like, map[bool]string{true: "over", false: "under"}[tc.capped])
			}
			limit := tc.limit
			if limit == 0 {
				limit = 200
			}
			var got []uuid.UUID
			after := uuid.Nil
			for page := 0; page < 4; page++ {
				res, err := customers.Search(ctx, tn, customer.SearchFilter{Query: tc.q, Status: tc.status, Sort: tc.sort, After: after, Limit: limit})
				if err != nil {
					t.Fatal(err)
				}
				wantTotal := int64(min(len(all), customer.CountCap))
				if res.Total != wantTotal || res.TotalCapped != tc.capped {
					t.Fatalf("page %d: total %d (capped %v); want %d (capped %v)", page, res.Total, res.TotalCapped, wantTotal, tc.capped)
				}
				for _, c := range res.Customers {
					got = append(got, c.ID)
				}
				if after = res.Next; after == uuid.Nil {
					break
				}
			}
			if len(got) < min(len(all), 4*limit) {
				t.Fatalf("listed %d", len(got))
			}
			if diff := cmp.Diff(all[:len(got)], got); diff != "" {
				t.Errorf("pages differ from the ordered matches (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("a cursor from another search", func(t *testing.T) {
		res, err := customers.Search(ctx, tn, customer.SearchFilter{Query: "example", After: uuid.New(), Limit: 10})
		if err != nil || len(res.Customers) != 0 {
			t.Errorf("after an unknown customer: %d rows, %v; want none", len(res.Customers), err)
		}
	})
}
