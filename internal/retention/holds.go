package retention

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/event"
)

// LegalHold is a hold a compliance officer set on a customer.
type LegalHold struct {
	ID             uuid.UUID
	Reason         string
	SetByName      string
	SetAt          time.Time
	ReleasedByName string
	ReleasedReason string
	ReleasedAt     *time.Time
}

// Open reports whether the hold is still in force.
func (h LegalHold) Open() bool { return h.ReleasedAt == nil }

// CustomerHolds is everything that holds a customer: the kinds in force
// and the compliance officers' holds, newest first.
type CustomerHolds struct {
	Hold  Hold
	Holds []LegalHold
}

// Holds returns what holds customer now.
func (s *Service) Holds(ctx context.Context, tenant, customer uuid.UUID) (CustomerHolds, error) {
	var out CustomerHolds
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		if out.Hold, err = holdOf(q, ctx, tenant, customer); err != nil {
			return err
		}
		rows, err := q.CustomerLegalHolds(ctx, db.CustomerLegalHoldsParams{TenantID: tenant, CustomerID: customer})
		for _, r := range rows {
			out.Holds = append(out.Holds, holdFrom(r))
		}
		return err
	})
	if err != nil {
		return CustomerHolds{}, fmt.Errorf("retention: holds: %w", err)
	}
	return out, nil
}

func holdFrom(r db.LegalHold) LegalHold {
	h := LegalHold{ID: r.ID, Reason: r.Reason, SetByName: r.SetByName, SetAt: r.SetAt, ReleasedAt: r.ReleasedAt}
	if r.ReleasedByName != nil {
		h.ReleasedByName = *r.ReleasedByName
	}
	if r.ReleasedReason != nil {
		h.ReleasedReason = *r.ReleasedReason
	}
	return h
}

func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	var fe apperr.Fields
	if reason == "" {
		fe.Add("reason", "is required: say why, for the audit trail")
	} else if len([]rune(reason)) > 500 {
		fe.Add("reason", "must be at most 500 characters")
	}
	return reason, fe.Err()
}

// SetHold puts customer on legal hold with a reason, audited: until it is
// released the customer is not erased and their documents stay.
func (s *Service) SetHold(ctx context.Context, tenant, customer uuid.UUID, reason string, now time.Time) (LegalHold, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return LegalHold{}, err
	}
	a := actor.From(ctx)
	var out LegalHold
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.CustomerForErasure(ctx, db.CustomerForErasureParams{TenantID: tenant, ID: customer})
		if err != nil {
			return err
		}
		if row.Status == "ERASED" {
			return apperr.New(apperr.Conflict, "the customer is erased: there is nothing left to hold")
		}
		if _, err := q.OpenLegalHold(ctx, db.OpenLegalHoldParams{TenantID: tenant, CustomerID: customer}); err == nil {
			return apperr.New(apperr.Conflict, "the customer is already on legal hold")
		} else if !db.IsNotFound(err) {
			return err
		}
		h, err := q.CreateLegalHold(ctx, db.CreateLegalHoldParams{ID: uuid.New(), TenantID: tenant, CustomerID: customer, Reason: reason,
			SetBy: a.ID, SetByName: a.Name, SetAt: now})
		if err != nil {
			return err
		}
		out = holdFrom(h)
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "customer.legal_hold.set", EntityType: "customer",
			EntityID: customer.String(), ReasonCode: "LEGAL_HOLD", After: map[string]any{"holdId": h.ID, "reason": reason}}); err != nil {
			return err
		}
		_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer.legal_hold.set", EntityType: "customer",
			EntityID: customer.String(), Payload: map[string]any{"customerId": customer, "holdId": h.ID}})
		return err
	})
	if db.IsNotFound(err) {
		return LegalHold{}, apperr.New(apperr.NotFound, "no such customer")
	}
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return LegalHold{}, err
		}
		return LegalHold{}, fmt.Errorf("retention: set hold: %w", err)
	}
	return out, nil
}

// ReleaseHold ends customer's open legal hold with a reason, audited.
func (s *Service) ReleaseHold(ctx context.Context, tenant, customer uuid.UUID, reason string, now time.Time) (LegalHold, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return LegalHold{}, err
	}
	a := actor.From(ctx)
	var out LegalHold
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		h, err := q.ReleaseLegalHold(ctx, db.ReleaseLegalHoldParams{TenantID: tenant, CustomerID: customer, ReleasedBy: &a.ID,
			ReleasedByName: &a.Name, ReleasedReason: &reason, ReleasedAt: &now})
		if db.IsNotFound(err) {
			return apperr.New(apperr.Conflict, "the customer is not on legal hold")
		}
		if err != nil {
			return err
		}
		out = holdFrom(h)
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "customer.legal_hold.released", EntityType: "customer",
			EntityID: customer.String(), ReasonCode: "LEGAL_HOLD_RELEASED",
			Before: map[string]any{"holdId": h.ID, "reason": h.Reason}, After: map[string]any{"holdId": h.ID, "releaseReason": reason}}); err != nil {
			return err
		}
		_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer.legal_hold.released", EntityType: "customer",
			EntityID: customer.String(), Payload: map[string]any{"customerId": customer, "holdId": h.ID}})
		return err
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return LegalHold{}, err
		}
		return LegalHold{}, fmt.Errorf("retention: release hold: %w", err)
	}
	return out, nil
}
