package event

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/shred"
)

// Stored is an event as written.
type Stored struct {
	ID uuid.UUID
	// Position orders all tenants' events together; Seq is the event's
	// number among its tenant's own (1, 2, 3, ...), the replay cursor.
	Position   int64
	Seq        int64
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

// After returns up to limit of tenant's events after its event number
// seq, oldest first: the replay of GET /events. The numbers count the
// tenant's events only, and are given in commit order (see migration
// 00025), so a reader that resumes after the last number it read misses
// nothing committed since.
func (s *Service) After(ctx context.Context, tenant uuid.UUID, seq int64, limit int) ([]Stored, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []Stored
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.ListEventsAfter(ctx, db.ListEventsAfterParams{TenantID: tenant, AfterSeq: seq, MaxRows: int32(limit)})
		if err != nil {
			return err
		}
		open := shred.Installed().Opener(q, tenant)
		for _, r := range rows {
			payload, err := open.JSON(ctx, r.Payload)
			if err != nil {
				return err
			}
			out = append(out, Stored{ID: r.ID, Position: r.Position, Seq: r.TenantSeq, Type: r.Type, Version: r.Version, EntityType: r.EntityType,
				EntityID: r.EntityID, TraceID: r.TraceID, Payload: withoutSecrets(r.Type, payload), OccurredAt: r.OccurredAt})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("event: replay: %w", err)
	}
	return out, nil
}

// About returns up to limit of tenant's events after its event number
// seq, oldest first, that are about one of entityIDs or whose payload
// names customer as its customerId: the events of a subject access
// export. Payloads are as the replay gives them.
func (s *Service) About(ctx context.Context, tenant, customer uuid.UUID, entityIDs []string, seq int64, limit int) ([]Stored, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []Stored
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.ListEventsAbout(ctx, db.ListEventsAboutParams{TenantID: tenant, AfterSeq: seq, EntityIds: entityIDs,
			CustomerID: customer.String(), MaxRows: int32(limit)})
		for _, r := range rows {
			out = append(out, Stored{ID: r.ID, Position: r.Position, Seq: r.TenantSeq, Type: r.Type, Version: r.Version, EntityType: r.EntityType,
				EntityID: r.EntityID, TraceID: r.TraceID, Payload: withoutSecrets(r.Type, r.Payload), OccurredAt: r.OccurredAt})
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("event: about: %w", err)
	}
	return out, nil
}

// SeqAfterPosition turns a cursor from before tenants had their own event
// numbers, a position in the sequence all tenants shared, into the
// tenant's event number to resume after: every event of the tenant with a
// greater position comes after it (a few already read may come again,
// which their event ids let a reader skip; none is missed).
func (s *Service) SeqAfterPosition(ctx context.Context, tenant uuid.UUID, position int64) (int64, error) {
	var seq int64
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		seq, err = q.EventSeqBeforePosition(ctx, db.EventSeqBeforePositionParams{TenantID: tenant, AfterPosition: position})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("event: replay: old cursor: %w", err)
	}
	return seq, nil
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
