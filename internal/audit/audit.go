// Package audit is the append-only, hash-chained audit trail: every state
// change writes a record in the same transaction, naming the actor, the
// trace id, the action, a reason code and the before and after states.
package audit

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/shred"
)

// Entry is one change to record.
type Entry struct {
	// TenantID is the tenant whose chain the record joins; uuid.Nil for
	// events that belong to no tenant (a sign-in nobody knows).
	TenantID   uuid.UUID
	Action     string
	EntityType string
	EntityID   string
	ReasonCode string
	// CustomerID is the customer whose personal values Before and After
	// may hold, when the entity is not the customer itself; those values
	// are sealed under the customer's data key (package shred), so that
	// erasing the customer erases them here too. For a customer entity it
	// is the entity.
	CustomerID uuid.UUID
	Before     any
	After      any
}

// customerOf is the customer whose data key seals e's personal values.
func (e Entry) customerOf() uuid.UUID {
	if e.CustomerID != uuid.Nil {
		return e.CustomerID
	}
	if e.EntityType == "customer" {
		if id, err := uuid.Parse(e.EntityID); err == nil {
			return id
		}
	}
	return uuid.Nil
}

// Write appends e to the audit trail inside q's transaction, with the
// actor, the server's trace id and the caller's traceparent carried by ctx.
func Write(ctx context.Context, q *db.Queries, e Entry) error {
	a := actor.From(ctx)
	before, err := marshal(e.Before)
	if err != nil {
		return fmt.Errorf("audit: %s: before: %w", e.Action, err)
	}
	after, err := marshal(e.After)
	if err != nil {
		return fmt.Errorf("audit: %s: after: %w", e.Action, err)
	}
	var tenant *uuid.UUID
	if e.TenantID != uuid.Nil {
		tenant = &e.TenantID
		// The hash chain covers the sealed form: it still verifies once
		// the customer's key is destroyed.
		if customer := e.customerOf(); customer != uuid.Nil {
			keys := shred.Installed()
			if before, err = keys.SealJSON(ctx, q, e.TenantID, customer, before); err != nil {
				return fmt.Errorf("audit: %s: before: %w", e.Action, err)
			}
			if after, err = keys.SealJSON(ctx, q, e.TenantID, customer, after); err != nil {
				return fmt.Errorf("audit: %s: after: %w", e.Action, err)
			}
		}
	}
	err = q.InsertAudit(ctx, db.InsertAuditParams{
		ID:        uuid.New(),
		TenantID:  tenant,
		ActorType: string(a.Kind),
		ActorID:   a.ID,
		ActorName: a.Name,
		TraceID:   actor.Trace(ctx),
		// The caller's traceparent is recorded as given by the caller,
		// beside the server's trace id.
		CallerTraceparent: actor.CallerTrace(ctx),
		Action:            e.Action,
		EntityType:        e.EntityType,
		EntityID:          e.EntityID,
		ReasonCode:        e.ReasonCode,
		Before:            before,
		After:             after,
	})
	if err != nil {
		return fmt.Errorf("audit: %s: %w", e.Action, err)
	}
	return nil
}

func marshal(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		return raw, nil
	}
	return json.Marshal(v)
}
