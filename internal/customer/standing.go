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

// Standing changes an employee or an API client may make.
const (
	ActionDeactivate = "DEACTIVATE"
	ActionReactivate = "REACTIVATE"
	ActionLock       = "LOCK"
	ActionUnlock     = "UNLOCK"
	ActionClose      = "CLOSE"
)

// StandingActions lists them in the order the portal offers them.
var StandingActions = []string{ActionDeactivate, ActionReactivate, ActionLock, ActionUnlock, ActionClose}

// Allowed reports which standing actions apply to a customer now.
func (c Customer) Allowed(action string) bool {
	switch action {
	case ActionDeactivate:
		return c.Status == StatusActive || c.Status == StatusPendingVerification
	case ActionReactivate:
		return c.Status == StatusInactive
	case ActionLock:
		return c.Status != StatusLocked && c.Status != StatusClosed && c.Status != StatusErased
	case ActionUnlock:
		return c.Status == StatusLocked
	case ActionClose:
		return c.Status != StatusClosed && c.Status != StatusErased
	}
	return false
}

// ChangeStanding applies action to customer id with a reason. LOCK and
// CLOSE end every session of the customer: their tokens stop working at
// their next call. Every change is audited and writes a
// customer.standing.changed event.
func (s *Service) ChangeStanding(ctx context.Context, tenant, id uuid.UUID, action, reason string) (Customer, error) {
	action = strings.ToUpper(strings.TrimSpace(action))
	reason = strings.TrimSpace(reason)
	var fe apperr.Fields
	valid := false
	for _, a := range StandingActions {
		valid = valid || a == action
	}
	if !valid {
		fe.Add("action", "must be one of %s", strings.Join(StandingActions, ", "))
	}
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
		var err error
		out, err = changeStandingInTx(ctx, q, tenant, id, action, reason, s.now())
		return err
	})
	if db.IsNotFound(err) {
		return Customer{}, errNotFound()
	}
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return Customer{}, err
		}
		return Customer{}, fmt.Errorf("customer: standing: %w", err)
	}
	return out, nil
}

func changeStandingInTx(ctx context.Context, q *db.Queries, tenant, id uuid.UUID, action, reason string, now time.Time) (Customer, error) {
	var out Customer
	err := func() error {
		row, err := q.CustomerForUpdate(ctx, db.CustomerForUpdateParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		before := fromRow(row)
		if !before.Allowed(action) {
			return apperr.New(apperr.Conflict, "a customer whose status is %s cannot be %s", before.Status, pastTense(action)).WithAPI("INVALID_STATUS_TRANSITION")
		}
		p := db.SetCustomerStandingParams{TenantID: tenant, ID: id, PreviousStatus: row.PreviousStatus, PreviousPermission: row.PreviousPermission}
		remember := func() {
			p.PreviousStatus, p.PreviousPermission = &row.Status, &row.Permission
		}
		restore := func() {
			p.Status, p.Permission = StatusActive, PermissionSendAndReceive
			if row.PreviousStatus != nil {
				p.Status = *row.PreviousStatus
			}
			if row.PreviousPermission != nil {
				p.Permission = *row.PreviousPermission
			}
			p.PreviousStatus, p.PreviousPermission = nil, nil
		}
		switch action {
		case ActionDeactivate:
			remember()
			p.Status, p.Permission = StatusInactive, row.Permission
			if row.Permission == PermissionSendAndReceive {
				p.Permission = PermissionReceive
			}
		case ActionReactivate, ActionUnlock:
			restore()
		case ActionLock:
			remember()
			p.Status, p.Permission = StatusLocked, PermissionLocked
		case ActionClose:
			p.Status, p.Permission = StatusClosed, PermissionClosed
			// The retention period of a closed customer runs from now.
			p.ClosedAt = &now
		}
		updated, err := q.SetCustomerStanding(ctx, p)
		if err != nil {
			return err
		}
		out = fromRow(updated)
		if action == ActionLock || action == ActionClose {
			if _, err := q.RevokeCustomerSessions(ctx, db.RevokeCustomerSessionsParams{TenantID: tenant, CustomerID: id, Reason: &action}); err != nil {
				return err
			}
		}
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "customer." + strings.ToLower(action), EntityType: "customer",
			EntityID: id.String(), ReasonCode: "STANDING_" + action,
			Before: map[string]any{"status": before.Status, "permission": before.Permission},
			After:  map[string]any{"status": out.Status, "permission": out.Permission, "reason": reason}}); err != nil {
			return err
		}
		_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer.standing.changed", EntityType: "customer", EntityID: id.String(),
			Payload: map[string]any{"customerId": id, "action": action, "previousStatus": before.Status, "currentStatus": out.Status,
				"previousPermission": before.Permission, "currentPermission": out.Permission, "timestamp": now.UTC().Format(time.RFC3339)}})
		return err
	}()
	return out, err
}

func pastTense(action string) string {
	switch action {
	case ActionDeactivate:
		return "deactivated"
	case ActionReactivate:
		return "reactivated"
	case ActionLock:
		return "locked"
	case ActionUnlock:
		return "unlocked"
	default:
		return "closed"
	}
}

// SessionCheck returns nil when customer's token may still act: the
// customer is neither LOCKED nor CLOSED, and the session (when the token
// names one) is neither revoked nor expired.
func (s *Service) SessionCheck(ctx context.Context, tenant, customer uuid.UUID, session string) error {
	var sid *uuid.UUID
	if session != "" {
		id, err := uuid.Parse(session)
		if err != nil {
			return errRevoked("the session is not valid")
		}
		sid = &id
	}
	var st db.CustomerSessionStateRow
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		st, err = q.CustomerSessionState(ctx, db.CustomerSessionStateParams{TenantID: tenant, CustomerID: customer, SessionID: sid})
		return err
	})
	if db.IsNotFound(err) {
		return errRevoked("the customer no longer exists")
	}
	if err != nil {
		return fmt.Errorf("customer: session check: %w", err)
	}
	switch {
	case st.Status == StatusLocked:
		return errRevoked("the customer's account is locked")
	case st.Status == StatusClosed || st.Status == StatusErased:
		return errRevoked("the customer's account is closed")
	case sid != nil && st.ExpiresAt == nil:
		return errRevoked("the session does not exist")
	case st.RevokedAt != nil:
		return errRevoked("the session has ended")
	case st.ExpiresAt != nil && s.now().After(*st.ExpiresAt):
		return errRevoked("the session has expired")
	}
	return nil
}

func errRevoked(msg string) error {
	return apperr.New(apperr.Unauthenticated, "%s", msg).WithAPI("TOKEN_REVOKED")
}
