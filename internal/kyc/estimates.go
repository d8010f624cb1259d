package kyc

import (
	"context"
	"fmt"
	"math"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
)

// The estimates customer apps are told until a tenant has decided enough
// verifications of its own (guide 004's figures).
const (
	DefaultProcessingEstimate = "2-5 minutes"
	DefaultReviewEstimate     = "24-48 hours"
	// estimateSample is how many decisions of a kind in the last 30 days
	// the tenant's own figures need before they replace the default.
	estimateSample = 5
)

// Estimates are how long a verification takes, as guide 004 says it
// ("2-5 minutes", "24-48 hours"), from the tenant's decisions of the last
// 30 days (the 25th to the 75th percentile).
type Estimates struct {
	Processing string // documents received → automated decision
	Review     string // review queue → a reviewer's decision
}

// Estimates reads the tenant's recent figures.
func (s *Service) Estimates(ctx context.Context, tenant uuid.UUID) (Estimates, error) {
	var row db.RecentVerificationDurationsRow
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		row, err = q.RecentVerificationDurations(ctx, tenant)
		return err
	})
	if err != nil {
		return Estimates{}, fmt.Errorf("kyc: estimates: %w", err)
	}
	out := Estimates{Processing: DefaultProcessingEstimate, Review: DefaultReviewEstimate}
	if row.Automated >= estimateSample {
		out.Processing = durationRange(row.AutomatedP25, row.AutomatedP75)
	}
	if row.Reviewed >= estimateSample {
		out.Review = durationRange(row.ReviewedP25, row.ReviewedP75)
	}
	return out, nil
}

// durationRange says a range of seconds in the unit that suits it:
// "1-2 minutes", "3-20 hours", "2-4 days".
func durationRange(lo, hi float64) string {
	unit, size := "minutes", 60.0
	switch {
	case hi > 72*3600:
		unit, size = "days", 86400
	case hi > 2*3600:
		unit, size = "hours", 3600
	}
	a := max(1, int(math.Floor(lo/size)))
	b := max(a+1, int(math.Ceil(hi/size)))
	return fmt.Sprintf("%d-%d %s", a, b, unit)
}
