package event

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/audit"
)

// Prune deletes the events written before before whose webhook deliveries
// have all ended, with those deliveries, and says how many went; an audit
// record says what was pruned. An event
// a publisher in publishers (the buses configured: NATSPublisher when
// NATS_URL is set) has not published yet stays, however old: the outbox
// is where it waits until the bus is back. A tenant other than uuid.Nil
// limits it to that tenant's events.
func (s *Service) Prune(ctx context.Context, tenant uuid.UUID, before time.Time, publishers []string) (int64, error) {
	var only *uuid.UUID
	if tenant != uuid.Nil {
		only = &tenant
	}
	if publishers == nil {
		publishers = []string{}
	}
	var n int64
	prune := func(q *db.Queries) error {
		var err error
		n, err = q.PruneEvents(ctx, db.PruneEventsParams{Before: before, Publishers: publishers, Tenant: only})
		if err != nil || n == 0 {
			return err
		}
		// Of all tenants, the record is the platform's (no tenant's chain).
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "events.pruned", EntityType: "events",
			After: map[string]any{"before": before.UTC(), "keptFor": publishers, "pruned": n}})
	}
	var err error
	if tenant != uuid.Nil {
		err = db.InTenantTx(ctx, s.pool, tenant, prune)
	} else {
		err = db.InTx(ctx, s.pool, prune)
	}
	if err != nil {
		return 0, fmt.Errorf("event: prune: %w", err)
	}
	return n, nil
}
