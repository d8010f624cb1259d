package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/calendar"
	"github.com/ciamhq/ciam/internal/shred"
)

// Record is one audit record as people read it.
type Record struct {
	ID         uuid.UUID
	Seq        int64
	OccurredAt time.Time
	ActorType  string
	ActorID    string
	ActorName  string
	TraceID    string
	// CallerTraceparent is the W3C traceparent the caller sent, as sent:
	// given by the caller, not vouched for by the server.
	CallerTraceparent string
	Action            string
	EntityType        string
	EntityID          string
	ReasonCode        string
	Before            json.RawMessage
	After             json.RawMessage
}

// Filter narrows a listing. Zero values match everything.
type Filter struct {
	Actor      string // part of the actor's name, or the exact actor id
	Action     string // an action or its prefix, e.g. "staff."
	EntityType string
	EntityID   string
	Since      *time.Time
	Until      *time.Time
	BeforeSeq  int64 // keyset cursor: records older than this one
	Limit      int
}

// Page is one page of records, newest first.
type Page struct {
	Records []Record
	Total   int64
	// NextBeforeSeq is the cursor of the next (older) page; 0 when none.
	NextBeforeSeq int64
}

// Service reads a tenant's audit trail.
type Service struct {
	pool *pgxpool.Pool
}

// NewService returns a Service on pool.
func NewService(pool *pgxpool.Pool) *Service { return &Service{pool: pool} }

// List returns a page of tenant's records matching f.
func (s *Service) List(ctx context.Context, tenant uuid.UUID, f Filter) (Page, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var page Page
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var before *int64
		if f.BeforeSeq > 0 {
			before = &f.BeforeSeq
		}
		rows, err := q.ListAudit(ctx, db.ListAuditParams{
			TenantID: tenant, Actor: f.Actor, Action: f.Action, EntityType: f.EntityType, EntityID: f.EntityID,
			Since: f.Since, Until: f.Until, BeforeSeq: before, MaxRows: int32(f.Limit + 1),
		})
		if err != nil {
			return err
		}
		total, err := q.CountAudit(ctx, db.CountAuditParams{
			TenantID: tenant, Actor: f.Actor, Action: f.Action, EntityType: f.EntityType, EntityID: f.EntityID,
			Since: f.Since, Until: f.Until,
		})
		if err != nil {
			return err
		}
		page.Total = total
		if len(rows) > f.Limit {
			rows = rows[:f.Limit]
			page.NextBeforeSeq = rows[len(rows)-1].Seq
		}
		open := shred.Installed().Opener(q, tenant)
		for _, r := range rows {
			rec, err := opened(ctx, open, Record(r))
			if err != nil {
				return err
			}
			page.Records = append(page.Records, rec)
		}
		return nil
	})
	if err != nil {
		return Page{}, fmt.Errorf("audit: list: %w", err)
	}
	return page, nil
}

// Get returns one of tenant's records.
func (s *Service) Get(ctx context.Context, tenant, id uuid.UUID) (Record, error) {
	var rec Record
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		r, err := q.AuditByID(ctx, db.AuditByIDParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		rec, err = opened(ctx, shred.Installed().Opener(q, tenant), Record(r))
		return err
	})
	if db.IsNotFound(err) {
		return Record{}, apperr.New(apperr.NotFound, "no such audit record")
	}
	if err != nil {
		return Record{}, fmt.Errorf("audit: get: %w", err)
	}
	return rec, nil
}

// opened is r with its sealed personal values opened, or shown as
// shred.Erased where the customer was erased.
func opened(ctx context.Context, open *shred.Opener, r Record) (Record, error) {
	var err error
	if r.Before, err = open.JSON(ctx, r.Before); err != nil {
		return r, err
	}
	r.After, err = open.JSON(ctx, r.After)
	return r, err
}

// DayCount is how many records a day of the tenant's calendar has.
type DayCount struct {
	Day   time.Time
	Count int64
}

// PerDay counts tenant's records for each of the last days days, in loc's
// calendar, oldest first; days without records count zero.
func (s *Service) PerDay(ctx context.Context, tenant uuid.UUID, loc *time.Location, now time.Time, days int) ([]DayCount, error) {
	run := calendar.Last(days, now, loc)
	out := make([]DayCount, days)
	for i := range out {
		out[i].Day = run.Day(i)
	}
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.AuditPerDay(ctx, db.AuditPerDayParams{TimeZone: loc.String(), TenantID: tenant, Since: run.First})
		for _, r := range rows {
			if i, ok := run.Index(r.Day); ok {
				out[i].Count = r.Records
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("audit: per day: %w", err)
	}
	return out, nil
}

// Record writes e on its own, in a transaction of its own: for what reads
// without changing anything yet must leave a trace (an export).
func (s *Service) Record(ctx context.Context, e Entry) error {
	return db.InTenantTx(ctx, s.pool, e.TenantID, func(q *db.Queries) error { return Write(ctx, q, e) })
}

// ActionCounts is how many records of each of actions tenant has since a
// time; an action without records counts 0.
func (s *Service) ActionCounts(ctx context.Context, tenant uuid.UUID, since time.Time, actions ...string) (map[string]int64, error) {
	out := make(map[string]int64, len(actions))
	for _, a := range actions {
		out[a] = 0
	}
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.AuditActionCounts(ctx, db.AuditActionCountsParams{TenantID: tenant, Since: since, Actions: actions})
		for _, r := range rows {
			out[r.Action] = r.Records
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("audit: action counts: %w", err)
	}
	return out, nil
}

// EntityEvent is the last of some actions recorded on an entity.
type EntityEvent struct {
	EntityID string
	Action   string
	At       time.Time
}

// LatestOn lists the entities of entityType that actions were recorded on
// since a time, each with the last such action, newest first, at most
// limit.
func (s *Service) LatestOn(ctx context.Context, tenant uuid.UUID, entityType string, since time.Time, limit int, actions ...string) ([]EntityEvent, error) {
	var out []EntityEvent
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.AuditLatestEntities(ctx, db.AuditLatestEntitiesParams{TenantID: tenant, Since: since, Actions: actions, EntityType: entityType})
		for _, r := range rows {
			out = append(out, EntityEvent{EntityID: r.EntityID, Action: r.Action, At: r.OccurredAt})
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("audit: latest on %s: %w", entityType, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
