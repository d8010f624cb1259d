// Package catalog is what a tenant offers and runs on: fees and charges
// (rules per transaction type, country, currency, channel and customer
// category, with tiers, minimum and maximum and effective dates), its
// branches and pay points (found near a place), and its connectors to
// outside services (configuration, sealed secrets, health). Changes to
// fee rules and connector secrets are four-eyes changes: this package
// defines them as approval Appliers; the rest are plain audited changes.
package catalog

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
)

// Service runs the catalog of one database.
type Service struct {
	pool *pgxpool.Pool
	keys *fieldcrypt.Keys
	now  func() time.Time
	// AllowPrivateNetworks lets "test connection" reach loopback and
	// private addresses (development and tests); false in production, so
	// a connector cannot be used to probe internal services.
	AllowPrivateNetworks bool
	// CheckTimeout bounds one connection test; 5 s when zero.
	CheckTimeout time.Duration
	// CheckEvery is how often an enabled connector is checked by the
	// periodic check. CheckThreshold consecutive failures pause its
	// periodic checks for CheckBackOff, doubling with each further
	// failure up to CheckBackOffCap.
	CheckEvery      time.Duration
	CheckThreshold  int
	CheckBackOff    time.Duration
	CheckBackOffCap time.Duration
}

// NewService returns the catalog on pool. keys seal connector secrets;
// now is the clock (time.Now when nil).
func NewService(pool *pgxpool.Pool, keys *fieldcrypt.Keys, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{pool: pool, keys: keys, now: now, CheckEvery: 5 * time.Minute, CheckThreshold: 3,
		CheckBackOff: 5 * time.Minute, CheckBackOffCap: 6 * time.Hour}
}

// Page is one page of a list and the number of rows matching in all.
type Page[T any] struct {
	Rows  []T
	Total int64
}

// codePattern is the shape of the codes rules match on: transaction
// types, channels, customer categories, branch services.
var codePattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,63}$`)

// normCode upper-cases and trims a code.
func normCode(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// likePattern escapes s for an ILIKE '%s%' search.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(strings.TrimSpace(s))
}

// pageBounds clamps a page request.
func pageBounds(limit, offset int) (int32, int32) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return int32(limit), int32(max(offset, 0))
}

// recordChange writes the audit record of a plain change and, when the
// change is to configuration, its config.changed event, in q's
// transaction.
func (s *Service) recordChange(ctx context.Context, q *db.Queries, tenant uuid.UUID, action, entityType string, id uuid.UUID, before, after any, configChanged bool) error {
	if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: action, EntityType: entityType, EntityID: id.String(),
		ReasonCode: "CONFIG_CHANGE", Before: before, After: after}); err != nil {
		return err
	}
	if !configChanged {
		return nil
	}
	_, err := event.Write(ctx, q, event.Event{TenantID: tenant, Type: "config.changed", EntityType: entityType, EntityID: id.String(),
		Payload: map[string]any{"area": "catalog", "change": action, "entityType": entityType, "entityId": id,
			"before": before, "after": after, "timestamp": s.now().UTC().Format(time.RFC3339)}})
	return err
}
