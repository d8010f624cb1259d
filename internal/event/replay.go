package event

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
)

// Stored is an event as written.
type Stored struct {
	ID         uuid.UUID
	Position   int64
	Type       string
	Version    int32
	EntityType string
	EntityID   string
	TraceID    string
	Payload    json.RawMessage
	OccurredAt time.Time
}

// Service reads a tenant's events back.
type Service struct {
	pool *pgxpool.Pool
}

// NewService returns a Service on pool.
func NewService(pool *pgxpool.Pool) *Service { return &Service{pool: pool} }

// After returns up to limit of tenant's events after position, oldest
// first: the replay of GET /events.
func (s *Service) After(ctx context.Context, tenant uuid.UUID, position int64, limit int) ([]Stored, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []Stored
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.ListEventsAfter(ctx, db.ListEventsAfterParams{TenantID: tenant, AfterPosition: position, MaxRows: int32(limit)})
		for _, r := range rows {
			out = append(out, Stored{ID: r.ID, Position: r.Position, Type: r.Type, Version: r.Version, EntityType: r.EntityType,
				EntityID: r.EntityID, TraceID: r.TraceID, Payload: withoutSecrets(r.Type, r.Payload), OccurredAt: r.OccurredAt})
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("event: replay: %w", err)
	}
	return out, nil
}

// secretFields are the payload fields replay leaves out: a one-time code
// goes to the customer through the tenant's notification connector (the
// webhook subscribers of its event) and nowhere else, so that reading the
// events is not a way to sign in as a customer.
var secretFields = map[string][]string{
	"customer.otp.requested": {"code"},
}

func withoutSecrets(typ string, payload json.RawMessage) json.RawMessage {
	fields, ok := secretFields[typ]
	if !ok {
		return payload
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		return json.RawMessage(`{}`) // unreadable: show nothing rather than the secret
	}
	for _, f := range fields {
		delete(m, f)
	}
	out, err := json.Marshal(m)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return out
}
