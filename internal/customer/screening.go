package customer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/screening"
)

// screeningPage is how many customers are read per transaction while
// re-screening.
const screeningPage = 5000

// ScreeningSubjects gives every tenant's customers to continuous
// re-screening: each one not closed, onboarding included.
func (s *Service) ScreeningSubjects() screening.Subjects { return screeningSubjects{s} }

type screeningSubjects struct{ s *Service }

// EachActive walks the active tenants one at a time, reading each one's
// customers in its own transactions (row-level security applies as for any
// request of that tenant), a page at a time, and hands each customer to fn
// outside the transaction: fn may write.
func (x screeningSubjects) EachActive(ctx context.Context, fn func(screening.Subject) error) error {
	var tenants []uuid.UUID
	err := db.InTx(ctx, x.s.pool, func(q *db.Queries) error {
		var err error
		tenants, err = q.ActiveTenantIDs(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("customer: screening subjects: %w", err)
	}
	for _, tenant := range tenants {
		after := uuid.Nil
		for {
			var rows []db.ScreenableCustomersRow
			err := db.InTenantTx(ctx, x.s.pool, tenant, func(q *db.Queries) error {
				var err error
				rows, err = q.ScreenableCustomers(ctx, db.ScreenableCustomersParams{TenantID: tenant, AfterID: after, MaxRows: screeningPage})
				return err
			})
			if err != nil {
				return fmt.Errorf("customer: screening subjects: %w", err)
			}
			for _, r := range rows {
				if err := fn(subjectOf(tenant, r)); err != nil {
					return err
				}
			}
			if len(rows) < screeningPage {
				break
			}
			after = rows[len(rows)-1].ID
		}
	}
	return nil
}

func subjectOf(tenant uuid.UUID, r db.ScreenableCustomersRow) screening.Subject {
	name := strings.Join(strings.Fields(r.FirstName+" "+r.MiddleName+" "+r.LastName), " ")
	return screening.Subject{ID: r.ID, TenantID: tenant, Name: name, Type: screening.Individual,
		DateOfBirth: r.DateOfBirth.Format(time.DateOnly), Country: r.Nationality}
}
