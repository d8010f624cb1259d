package customer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/event"
)

// PermissionMakeItGoAway is the network permission of a customer taken out
// of the platform's indexes (guide 002): hidden from search and lists,
// still on record and reachable by their id.
const PermissionMakeItGoAway = "MAKE-IT-GO-AWAY"

// ActionMakeItGoAway is the standing change that sets it.
const ActionMakeItGoAway = "MAKE_IT_GO_AWAY"

// Hide gives customer id the permission MAKE-IT-GO-AWAY and hides them
// from search and lists, with a reason. It cannot be undone from the
// portal: the record stays for whoever holds its id. Audited, with a
// customer.standing.changed event, in one transaction.
func (s *Service) Hide(ctx context.Context, tenant, id uuid.UUID, reason string) (Customer, error) {
	reason = strings.TrimSpace(reason)
	var fe apperr.Fields
	if reason == "" {
		fe.Add("reason", "is required: say why, for the audit trail")
	} else if len([]rune(reason)) > 500 {
		fe.Add("reason", "must be at most 500 characters")
	}
	if err := fe.Err(); err != nil {
		return Customer{}, err
	}
	var out Customer
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.CustomerForUpdate(ctx, db.CustomerForUpdateParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		before := fromRow(row)
		if before.IsHidden {
			return apperr.New(apperr.Conflict, "this customer is already hidden (%s)", PermissionMakeItGoAway).WithAPI("INVALID_STATUS_TRANSITION")
		}
		updated, err := q.HideCustomer(ctx, db.HideCustomerParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		out = fromRow(updated)
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "customer.make_it_go_away", EntityType: "customer",
			EntityID: id.String(), ReasonCode: "STANDING_" + ActionMakeItGoAway,
			Before: map[string]any{"status": before.Status, "permission": before.Permission, "isHidden": before.IsHidden},
			After:  map[string]any{"status": out.Status, "permission": out.Permission, "isHidden": out.IsHidden, "reason": reason}}); err != nil {
			return err
		}
		_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer.standing.changed", EntityType: "customer", EntityID: id.String(),
			Payload: map[string]any{"customerId": id, "action": ActionMakeItGoAway, "previousStatus": before.Status, "currentStatus": out.Status,
				"previousPermission": before.Permission, "currentPermission": out.Permission, "isHidden": true,
				"timestamp": s.now().UTC().Format(time.RFC3339)}})
		return err
	})
	if db.IsNotFound(err) {
		return Customer{}, errNotFound()
	}
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return Customer{}, err
		}
		return Customer{}, fmt.Errorf("customer: hide: %w", err)
	}
	return out, nil
}
