package retention

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/ciamhq/ciam/db"
)

// RunArgs is the periodic retention job.
type RunArgs struct{}

// Kind names the job.
func (RunArgs) Kind() string { return "retention.run" }

// RunEvery is how often the retention job runs.
const RunEvery = 6 * time.Hour

// RunWorker runs RunArgs jobs.
type RunWorker struct {
	river.WorkerDefaults[RunArgs]
	S *Service
	// Now is the job's clock; time.Now when nil.
	Now func() time.Time
}

// Timeout implements river.Worker: a run erases customers one by one.
func (w *RunWorker) Timeout(*river.Job[RunArgs]) time.Duration { return 30 * time.Minute }

// Work applies every active tenant's periods.
func (w *RunWorker) Work(ctx context.Context, _ *river.Job[RunArgs]) error {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	_, err := w.S.Run(ctx, now())
	return err
}

// Run applies every active tenant's periods as they stand at now, and
// returns what it did per tenant.
func (s *Service) Run(ctx context.Context, now time.Time) (map[uuid.UUID]Result, error) {
	var tenants []uuid.UUID
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		var err error
		tenants, err = q.ActiveTenantIDs(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("retention: run: %w", err)
	}
	out := make(map[uuid.UUID]Result, len(tenants))
	for _, t := range tenants {
		res, err := s.RunTenant(ctx, t, now)
		if err != nil {
			return out, err
		}
		out[t] = res
	}
	return out, nil
}
