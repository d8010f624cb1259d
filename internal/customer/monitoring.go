package customer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/screening"
)

// MonitorArgs is the periodic job that screens customers again as their
// categorisation's monitoring parameter asks (DAILY, WEEKLY, MONTHLY) or,
// where the tenant enabled a regulatory pack for the customer's country,
// as often as the pack's re-screening days for their risk level ask (the
// stricter of the two), besides the re-screening every list change brings.
type MonitorArgs struct{}

// Kind names the job.
func (MonitorArgs) Kind() string { return "customer.monitor" }

// MonitorWorker runs MonitorArgs jobs.
type MonitorWorker struct {
	river.WorkerDefaults[MonitorArgs]
	S *Service
}

// Work screens the customers that are due.
func (w *MonitorWorker) Work(ctx context.Context, _ *river.Job[MonitorArgs]) error {
	_, err := w.S.Monitor(ctx)
	return err
}

// MonitorEvery is how often the monitoring job looks for customers due.
const MonitorEvery = time.Hour

// Monitor screens again every categorised customer of every active tenant
// whose monitoring interval has passed since they were last monitored (or
// who never were), with the stricter threshold when their categorisation
// asks for it, and records when. It returns how many it screened.
func (s *Service) Monitor(ctx context.Context) (int, error) {
	if s.Screen == nil {
		return 0, nil
	}
	var tenants []uuid.UUID
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		var err error
		tenants, err = q.ActiveTenantIDs(ctx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("customer: monitor: %w", err)
	}
	now := s.now()
	n := 0
	for _, tenant := range tenants {
		tctx := actor.With(ctx, actor.Actor{Kind: actor.System, Name: "monitoring", TenantID: tenant})
		var packDays func(country, risk string) (int, bool)
		if s.RescreenDays != nil {
			var err error
			if packDays, err = s.RescreenDays(tctx, tenant); err != nil {
				return n, fmt.Errorf("customer: monitor: %w", err)
			}
		}
		after := uuid.Nil
		for {
			var rows []db.MonitoredCustomersRow
			err := db.InTenantTx(tctx, s.pool, tenant, func(q *db.Queries) error {
				var err error
				rows, err = q.MonitoredCustomers(tctx, db.MonitoredCustomersParams{TenantID: tenant, AfterID: after, MaxRows: screeningPage,
					Everyone: packDays != nil})
				return err
			})
			if err != nil {
				return n, fmt.Errorf("customer: monitor: %w", err)
			}
			for _, r := range rows {
				p := ProfileOf(r.Categorization)
				days, reason := MonitoringIntervals[p.Monitoring], "MONITORING_"+p.Monitoring
				if packDays != nil {
					country := r.Country
					if country == "" {
						country = r.Nationality
					}
					// The pack's interval for the risk level, when it is
					// the stricter.
					if d, ok := packDays(strings.ToUpper(country), r.RiskLevel); ok && (days == 0 || d < days) {
						days, reason = d, "MONITORING_PACK"
					}
				}
				if days == 0 || (r.MonitoredAt != nil && now.Sub(*r.MonitoredAt) < time.Duration(days)*24*time.Hour) {
					continue
				}
				name := strings.Join(strings.Fields(r.FirstName+" "+r.MiddleName+" "+r.LastName), " ")
				sub := screening.Subject{ID: r.ID, TenantID: tenant, Name: name, Type: screening.Individual,
					DateOfBirth: r.DateOfBirth.Format(time.DateOnly), Country: r.Nationality, Enhanced: p.Enhanced()}
				hits, err := s.Screen(tctx, sub)
				if err != nil {
					return n, fmt.Errorf("customer: monitor %s: %w", r.ID, err)
				}
				err = db.InTenantTx(tctx, s.pool, tenant, func(q *db.Queries) error {
					if err := q.MarkMonitored(tctx, db.MarkMonitoredParams{TenantID: tenant, ID: r.ID, At: &now}); err != nil {
						return err
					}
					return audit.Write(tctx, q, audit.Entry{TenantID: tenant, Action: "customer.monitored", EntityType: "customer",
						EntityID: r.ID.String(), ReasonCode: reason,
						After: map[string]any{"monitoring": p.Monitoring, "intervalDays": days, "enhanced": p.Enhanced(), "newHits": hits}})
				})
				if err != nil {
					return n, fmt.Errorf("customer: monitor %s: %w", r.ID, err)
				}
				n++
			}
			if len(rows) < screeningPage {
				break
			}
			after = rows[len(rows)-1].ID
		}
	}
	return n, nil
}
