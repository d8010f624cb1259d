package customer

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
)

// KindUnlock is the change request kind of unlocking a locked customer:
// a four-eyes change.
const KindUnlock = "customer.unlock"

// UnlockRequest is the payload of an unlock request.
type UnlockRequest struct {
	Reason string `json:"reason"`
}

// UnlockApplier unlocks a locked customer under four-eyes.
type UnlockApplier struct {
	Now func() time.Time
}

type standingState struct {
	Status     string `json:"status"`
	Permission string `json:"permission"`
}

func (UnlockApplier) load(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (db.Customer, error) {
	return customerTarget(ctx, q, tenant, target)
}

// customerTarget reads the customer a change request targets (its id as
// text): not found for anything else.
func customerTarget(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (db.Customer, error) {
	id, err := uuid.Parse(target)
	if err != nil {
		return db.Customer{}, errNotFound()
	}
	row, err := q.CustomerByID(ctx, db.CustomerByIDParams{TenantID: tenant, ID: id})
	if db.IsNotFound(err) {
		return row, errNotFound()
	}
	return row, err
}

// Current is the customer's standing now.
func (a UnlockApplier) Current(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (json.RawMessage, error) {
	row, err := a.load(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	return json.Marshal(standingState{Status: row.Status, Permission: row.Permission})
}

// Check refuses a customer that is not locked, and a missing reason, and
// says what the standing becomes.
func (a UnlockApplier) Check(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	var req UnlockRequest
	_ = json.Unmarshal(payload, &req)
	if strings.TrimSpace(req.Reason) == "" {
		return nil, apperr.Validation(apperr.FieldError{Field: "reason", Issue: "is required: say why, for the audit trail"})
	}
	row, err := a.load(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	if row.Status != StatusLocked {
		return nil, apperr.New(apperr.Conflict, "the customer is not locked (status %s)", row.Status).WithAPI("INVALID_STATUS_TRANSITION")
	}
	next := standingState{Status: StatusActive, Permission: PermissionSendAndReceive}
	if row.PreviousStatus != nil {
		next.Status = *row.PreviousStatus
	}
	if row.PreviousPermission != nil {
		next.Permission = *row.PreviousPermission
	}
	return json.Marshal(next)
}

// Apply unlocks, audited as the approving employee.
func (a UnlockApplier) Apply(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	var req UnlockRequest
	_ = json.Unmarshal(payload, &req)
	id, err := uuid.Parse(target)
	if err != nil {
		return nil, errNotFound()
	}
	c, err := changeStandingInTx(ctx, q, tenant, id, ActionUnlock, req.Reason, a.Now())
	if err != nil {
		return nil, err
	}
	return json.Marshal(standingState{Status: c.Status, Permission: c.Permission})
}
