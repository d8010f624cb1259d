// Package approval is the four-eyes mechanism: a maker proposes a change
// to something sensitive, a different employee approves or rejects it with
// a reason, and approval applies the change in the same transaction —
// refused as stale when the target changed since the proposal. The
// changes themselves are defined by the packages that own them, as
// Appliers registered here.
package approval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/event"
)

// Applier defines one kind of change.
type Applier interface {
	// Current is the target's state now, as JSON, or NotFound.
	Current(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (json.RawMessage, error)
	// Check validates payload against the target's state and returns what
	// the target would become, for the diff. It changes nothing.
	Check(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error)
	// Apply makes the change inside q's transaction and returns the new
	// state. ctx carries the approving employee as the actor.
	Apply(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error)
}

// AfterApplier is an Applier with work to do once an approved change is
// committed (for example screening a customer again). Its failure does not
// undo the change: it is recorded in the audit trail for someone to act on.
type AfterApplier interface {
	AfterApply(ctx context.Context, tenant uuid.UUID, target string) error
}

// Statuses of a change request.
const (
	StatusPending   = "PENDING"
	StatusApproved  = "APPROVED"
	StatusRejected  = "REJECTED"
	StatusCancelled = "CANCELLED"
	StatusStale     = "STALE"
)

// Request is a change request.
type Request struct {
	ID             uuid.UUID
	TenantID       uuid.UUID
	Kind           string
	TargetType     string
	TargetID       string
	Title          string
	Payload        json.RawMessage
	Before         json.RawMessage
	After          json.RawMessage
	Status         string
	MakerType      string
	MakerID        string
	MakerName      string
	MakerReason    string
	CheckerID      string
	CheckerName    string
	DecisionReason string
	CreatedAt      time.Time
	DecidedAt      *time.Time
}

func fromRow(r db.ChangeRequest) Request {
	req := Request{ID: r.ID, TenantID: r.TenantID, Kind: r.Kind, TargetType: r.TargetType, TargetID: r.TargetID,
		Title: r.Title, Payload: r.Payload, Before: r.Before, After: r.After, Status: r.Status, MakerType: r.MakerType,
		MakerID: r.MakerID, MakerName: r.MakerName, MakerReason: r.MakerReason, CreatedAt: r.CreatedAt, DecidedAt: r.DecidedAt}
	if r.CheckerID != nil {
		req.CheckerID = *r.CheckerID
	}
	if r.CheckerName != nil {
		req.CheckerName = *r.CheckerName
	}
	if r.DecisionReason != nil {
		req.DecisionReason = *r.DecisionReason
	}
	return req
}

type kindInfo struct {
	applier    Applier
	targetType string
}

// Service runs change requests.
type Service struct {
	pool  *pgxpool.Pool
	mu    sync.RWMutex
	kinds map[string]kindInfo
}

// NewService returns a Service on pool with no kinds registered.
func NewService(pool *pgxpool.Pool) *Service {
	return &Service{pool: pool, kinds: map[string]kindInfo{}}
}

// Register makes kind of change available; its targets are of targetType.
func (s *Service) Register(kind, targetType string, a Applier) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kinds[kind] = kindInfo{applier: a, targetType: targetType}
}

func (s *Service) kind(kind string) (kindInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.kinds[kind]
	if !ok {
		return kindInfo{}, fmt.Errorf("approval: unknown kind %q", kind)
	}
	return k, nil
}

// version fingerprints a target's state.
func version(state json.RawMessage) string {
	sum := sha256.Sum256(state)
	return hex.EncodeToString(sum[:])
}

// Propose records a change request by the actor in ctx. Nothing changes
// until a different employee approves it.
func (s *Service) Propose(ctx context.Context, tenant uuid.UUID, kind, target, title string, payload any, reason string) (Request, error) {
	k, err := s.kind(kind)
	if err != nil {
		return Request{}, err
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return Request{}, fmt.Errorf("approval: payload: %w", err)
	}
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) > 1000 {
		return Request{}, apperr.Validation(apperr.FieldError{Field: "reason", Issue: "must be at most 1000 characters"})
	}
	maker := actor.From(ctx)
	var out Request
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		before, err := k.applier.Current(ctx, q, tenant, target)
		if err != nil {
			return err
		}
		after, err := k.applier.Check(ctx, q, tenant, target, raw)
		if err != nil {
			return err
		}
		row, err := q.InsertChangeRequest(ctx, db.InsertChangeRequestParams{
			ID: uuid.New(), TenantID: tenant, Kind: kind, TargetType: k.targetType, TargetID: target, Title: title,
			Payload: raw, Before: before, After: after, TargetVersion: version(before),
			MakerType: string(maker.Kind), MakerID: maker.ID, MakerName: maker.Name, MakerReason: reason,
		})
		if err != nil {
			return err
		}
		out = fromRow(row)
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "approval.requested", EntityType: "change_request",
			EntityID: row.ID.String(), ReasonCode: kind, Before: before,
			After: map[string]any{"kind": kind, "target": k.targetType + ":" + target, "proposed": json.RawMessage(after), "reason": reason}})
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return Request{}, err
		}
		return Request{}, fmt.Errorf("approval: propose: %w", err)
	}
	return out, nil
}

// Decision is an approval or a rejection.
type Decision string

// The decisions.
const (
	Approve Decision = "APPROVE"
	Reject  Decision = "REJECT"
)

// Decide approves or rejects request id as the employee in ctx, with a
// reason. Approval applies the change atomically. The maker can never
// decide their own request; of two deciders at once, one wins and the
// other is told; a target changed since the proposal makes the request
// stale and nothing is applied.
func (s *Service) Decide(ctx context.Context, tenant, id uuid.UUID, d Decision, reason string) (Request, error) {
	reason = strings.TrimSpace(reason)
	var fe apperr.Fields
	if d != Approve && d != Reject {
		fe.Add("decision", "must be APPROVE or REJECT")
	}
	if reason == "" {
		fe.Add("reason", "is required: say why, for the audit trail")
	} else if len([]rune(reason)) > 1000 {
		fe.Add("reason", "must be at most 1000 characters")
	}
	if err := fe.Err(); err != nil {
		return Request{}, err
	}
	checker := actor.From(ctx)
	if checker.Kind != actor.Employee {
		return Request{}, apperr.New(apperr.Forbidden, "only an employee may decide a change request")
	}
	var (
		out   Request
		stale bool
	)
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.ChangeRequestForUpdate(ctx, db.ChangeRequestForUpdateParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		req := fromRow(row)
		if req.Status != StatusPending {
			by := ""
			if req.CheckerName != "" {
				by = " by " + req.CheckerName
			}
			return apperr.New(apperr.Conflict, "this request was already %s%s", strings.ToLower(req.Status), by).WithAPI("ALREADY_DECIDED")
		}
		if req.MakerType == string(actor.Employee) && req.MakerID == checker.ID {
			return apperr.New(apperr.Forbidden, "you proposed this change: another employee must decide it").WithAPI("SELF_APPROVAL")
		}
		k, err := s.kind(req.Kind)
		if err != nil {
			return err
		}
		decide := func(status string, after json.RawMessage) error {
			updated, err := q.DecideChangeRequest(ctx, db.DecideChangeRequestParams{TenantID: tenant, ID: id, Status: status,
				CheckerID: &checker.ID, CheckerName: &checker.Name, DecisionReason: &reason, After: after})
			out = fromRow(updated)
			return err
		}
		common := map[string]any{"kind": req.Kind, "target": req.TargetType + ":" + req.TargetID, "makerId": req.MakerID,
			"makerName": req.MakerName, "checkerId": checker.ID, "checkerName": checker.Name, "reason": reason}
		if d == Reject {
			if err := decide(StatusRejected, nil); err != nil {
				return err
			}
			return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "approval.rejected", EntityType: "change_request",
				EntityID: id.String(), ReasonCode: req.Kind, After: common})
		}
		current, err := k.applier.Current(ctx, q, tenant, req.TargetID)
		if err != nil {
			return err
		}
		if version(current) != row.TargetVersion {
			stale = true
			if err := decide(StatusStale, nil); err != nil {
				return err
			}
			return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "approval.stale", EntityType: "change_request",
				EntityID: id.String(), ReasonCode: req.Kind, Before: req.Before, After: current})
		}
		after, err := k.applier.Apply(ctx, q, tenant, req.TargetID, req.Payload)
		if err != nil {
			return err
		}
		if err := decide(StatusApproved, after); err != nil {
			return err
		}
		common["applied"] = json.RawMessage(after)
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "approval.approved", EntityType: "change_request",
			EntityID: id.String(), ReasonCode: req.Kind, Before: req.Before, After: common}); err != nil {
			return err
		}
		_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "config.changed", EntityType: req.TargetType, EntityID: req.TargetID,
			Payload: map[string]any{"changeRequestId": id, "kind": req.Kind, "target": req.TargetType + ":" + req.TargetID,
				"before": json.RawMessage(req.Before), "after": json.RawMessage(after), "makerId": req.MakerID, "checkerId": checker.ID}})
		return err
	})
	if db.IsNotFound(err) {
		return Request{}, apperr.New(apperr.NotFound, "no such change request")
	}
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return Request{}, err
		}
		return Request{}, fmt.Errorf("approval: decide: %w", err)
	}
	if stale {
		return out, apperr.New(apperr.Conflict, "the target changed since this request was made, so it was not applied; propose it again").WithAPI("STALE_REQUEST")
	}
	if out.Status == StatusApproved {
		if k, err := s.kind(out.Kind); err == nil {
			if after, ok := k.applier.(AfterApplier); ok {
				if err := after.AfterApply(ctx, tenant, out.TargetID); err != nil {
					_ = db.InTenantTx(context.WithoutCancel(ctx), s.pool, tenant, func(q *db.Queries) error {
						return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "approval.after_apply_failed", EntityType: "change_request",
							EntityID: id.String(), ReasonCode: out.Kind, After: map[string]any{"error": err.Error()}})
					})
				}
			}
		}
	}
	return out, nil
}

// Cancel withdraws a pending request; only its maker may.
func (s *Service) Cancel(ctx context.Context, tenant, id uuid.UUID) (Request, error) {
	who := actor.From(ctx)
	var out Request
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.ChangeRequestForUpdate(ctx, db.ChangeRequestForUpdateParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		if row.Status != StatusPending {
			return apperr.New(apperr.Conflict, "this request was already %s", strings.ToLower(row.Status))
		}
		if row.MakerID != who.ID {
			return apperr.New(apperr.Forbidden, "only the employee who proposed a change may withdraw it")
		}
		reason := "withdrawn by the maker"
		updated, err := q.DecideChangeRequest(ctx, db.DecideChangeRequestParams{TenantID: tenant, ID: id, Status: StatusCancelled,
			CheckerID: &who.ID, CheckerName: &who.Name, DecisionReason: &reason})
		if err != nil {
			return err
		}
		out = fromRow(updated)
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "approval.cancelled", EntityType: "change_request", EntityID: id.String(), ReasonCode: row.Kind})
	})
	if db.IsNotFound(err) {
		return Request{}, apperr.New(apperr.NotFound, "no such change request")
	}
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return Request{}, err
		}
		return Request{}, fmt.Errorf("approval: cancel: %w", err)
	}
	return out, nil
}

// Get returns one request.
func (s *Service) Get(ctx context.Context, tenant, id uuid.UUID) (Request, error) {
	var out Request
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.ChangeRequestByID(ctx, db.ChangeRequestByIDParams{TenantID: tenant, ID: id})
		out = fromRow(row)
		return err
	})
	if db.IsNotFound(err) {
		return Request{}, apperr.New(apperr.NotFound, "no such change request")
	}
	if err != nil {
		return Request{}, fmt.Errorf("approval: get: %w", err)
	}
	return out, nil
}

// Page is a page of requests.
type Page struct {
	Requests []Request
	Total    int64
}

// List returns requests, pending first then newest; status and kind
// filter when not empty.
func (s *Service) List(ctx context.Context, tenant uuid.UUID, status, kind string, limit, offset int) (Page, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var p Page
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.ListChangeRequests(ctx, db.ListChangeRequestsParams{TenantID: tenant, Status: status, Kind: kind, MaxRows: int32(limit), Skip: int32(offset)})
		if err != nil {
			return err
		}
		for _, r := range rows {
			p.Requests = append(p.Requests, fromRow(r))
		}
		p.Total, err = q.CountChangeRequests(ctx, db.CountChangeRequestsParams{TenantID: tenant, Status: status, Kind: kind})
		return err
	})
	if err != nil {
		return Page{}, fmt.Errorf("approval: list: %w", err)
	}
	return p, nil
}

// PendingFor returns the pending requests on targets of targetType, by
// target id, so pages can say "pending approval".
func (s *Service) PendingFor(ctx context.Context, tenant uuid.UUID, targetType string, ids []string) (map[string][]Request, error) {
	out := map[string][]Request{}
	if len(ids) == 0 {
		return out, nil
	}
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.PendingForTarget(ctx, db.PendingForTargetParams{TenantID: tenant, TargetType: targetType, TargetIds: ids})
		for _, r := range rows {
			out[r.TargetID] = append(out[r.TargetID], fromRow(r))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("approval: pending: %w", err)
	}
	return out, nil
}

// Queue is the approvals queue's size and oldest item, for the dashboard.
func (s *Service) Queue(ctx context.Context, tenant uuid.UUID) (int64, *time.Time, error) {
	var row db.OldestPendingRow
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		row, err = q.OldestPending(ctx, tenant)
		return err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("approval: queue: %w", err)
	}
	if t, ok := row.Oldest.(time.Time); ok {
		return row.Pending, &t, nil
	}
	return row.Pending, nil, nil
}
