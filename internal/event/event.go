// Package event writes business events to the transactional outbox, in the
// same transaction as the change they describe, and reads them back for
// replay and delivery.
package event

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/shred"
	"github.com/ciamhq/ciam/internal/telemetry"
)

// Event is a business event about to be written.
type Event struct {
	TenantID   uuid.UUID
	Type       string // e.g. customer.registered
	Version    int32  // schema version of Payload; 1 when zero
	EntityType string
	EntityID   string
	Payload    any
}

// Write appends ev to the outbox inside q's transaction and returns its id.
func Write(ctx context.Context, q *db.Queries, ev Event) (uuid.UUID, error) {
	payload, err := json.Marshal(ev.Payload)
	if err != nil {
		return uuid.Nil, fmt.Errorf("event: %s: payload: %w", ev.Type, err)
	}
	if ev.Version == 0 {
		ev.Version = 1
	}
	// A customer's personal values are sealed under their data key: the
	// events table keeps them only as long as the customer is not erased.
	// They are opened for the subscribers, NATS and replay.
	if customer := customerOfEvent(ev, payload); customer != uuid.Nil {
		if payload, err = shred.Installed().SealJSON(ctx, q, ev.TenantID, customer, payload); err != nil {
			return uuid.Nil, fmt.Errorf("event: %s: payload: %w", ev.Type, err)
		}
	}
	id := uuid.New()
	_, err = q.InsertEvent(ctx, db.InsertEventParams{
		ID:         id,
		TenantID:   ev.TenantID,
		Type:       ev.Type,
		Version:    ev.Version,
		EntityType: ev.EntityType,
		EntityID:   ev.EntityID,
		TraceID:    actor.Trace(ctx),
		Payload:    payload,
	})
	if err != nil {
		return uuid.Nil, fmt.Errorf("event: %s: %w", ev.Type, err)
	}
	// The deliveries to the tenant's subscriptions are made in the same
	// transaction: the event cannot exist without them, nor they without it.
	// Each keeps the trace it was made in, for the job that delivers it.
	if _, err := q.CreateDeliveriesForEvent(ctx, db.CreateDeliveriesForEventParams{TenantID: ev.TenantID, EventID: id, EventType: ev.Type,
		Traceparent: telemetry.Traceparent(ctx)}); err != nil {
		return uuid.Nil, fmt.Errorf("event: %s: deliveries: %w", ev.Type, err)
	}
	return id, nil
}

// customerOfEvent is the customer an event is about: its entity when that
// is a customer, otherwise the customerId of its payload.
func customerOfEvent(ev Event, payload []byte) uuid.UUID {
	if ev.EntityType == "customer" {
		if id, err := uuid.Parse(ev.EntityID); err == nil {
			return id
		}
	}
	var m struct {
		CustomerID string `json:"customerId"`
	}
	if json.Unmarshal(payload, &m) == nil {
		if id, err := uuid.Parse(m.CustomerID); err == nil {
			return id
		}
	}
	return uuid.Nil
}
