package report

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/staff"
)

// Schedule runs a report every day, week or month.
type Schedule struct {
	ID         uuid.UUID
	Definition string
	Title      string
	Format     string
	Filters    Values
	Every      string
	Roles      []staff.Role
	CreatedBy  string
	NextRunAt  time.Time
	LastRunID  *uuid.UUID
}

func (s *Service) scheduleOf(r db.ReportSchedule) Schedule {
	out := Schedule{ID: r.ID, Definition: r.Definition, Title: r.Definition, Format: r.Format, Every: r.Every, CreatedBy: r.CreatedBy,
		NextRunAt: r.NextRunAt, LastRunID: r.LastRunID}
	if d, err := s.Catalog.Get(r.Definition); err == nil {
		out.Title = d.Title
	}
	_ = json.Unmarshal(r.Filters, &out.Filters)
	for _, role := range r.Roles {
		out.Roles = append(out.Roles, staff.Role(role))
	}
	return out
}

// AddSchedule runs req every period from the next period on, audited.
func (s *Service) AddSchedule(ctx context.Context, tenant uuid.UUID, req Request, every string) (Schedule, error) {
	d, vals, err := s.check(req)
	if err != nil {
		return Schedule{}, err
	}
	if every != Daily && every != Weekly && every != Monthly {
		return Schedule{}, apperr.Validation(apperr.FieldError{Field: "every", Issue: "choose daily, weekly or monthly"})
	}
	filters, err := json.Marshal(vals)
	if err != nil {
		return Schedule{}, err
	}
	var out Schedule
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.ReportInsertSchedule(ctx, db.ReportInsertScheduleParams{ID: uuid.New(), TenantID: tenant, Definition: d.ID, Format: req.Format,
			Filters: filters, Every: every, Roles: rolesOf(req.Roles), CreatedBy: actor.From(ctx).Name, NextRunAt: next(every, s.now())})
		if err != nil {
			return err
		}
		out = s.scheduleOf(row)
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "report.scheduled", EntityType: "report_schedule", EntityID: row.ID.String(),
			ReasonCode: "REPORT_SCHEDULE", After: map[string]any{"definition": d.ID, "format": req.Format, "filters": vals, "every": every, "roles": req.Roles}})
	})
	if err != nil {
		return Schedule{}, fmt.Errorf("report: schedule: %w", err)
	}
	return out, nil
}

// Schedules are the tenant's active schedules.
func (s *Service) Schedules(ctx context.Context, tenant uuid.UUID) ([]Schedule, error) {
	var out []Schedule
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.ReportSchedules(ctx, tenant)
		for _, r := range rows {
			out = append(out, s.scheduleOf(r))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("report: schedules: %w", err)
	}
	return out, nil
}

// StopSchedule ends a schedule, audited.
func (s *Service) StopSchedule(ctx context.Context, tenant, id uuid.UUID) error {
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.ReportStopSchedule(ctx, db.ReportStopScheduleParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "report.schedule_stopped", EntityType: "report_schedule", EntityID: id.String(),
			ReasonCode: "REPORT_SCHEDULE", Before: map[string]any{"definition": row.Definition, "every": row.Every}})
	})
	if db.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "no such schedule")
	}
	if err != nil {
		return fmt.Errorf("report: stop schedule: %w", err)
	}
	return nil
}

// TickEvery is how often the periodic job queues due schedules and
// deletes expired files.
const TickEvery = time.Minute

// TickArgs is the periodic job.
type TickArgs struct{}

// Kind implements river.JobArgs.
func (TickArgs) Kind() string { return "report.tick" }

// TickWorker works TickArgs jobs.
type TickWorker struct {
	river.WorkerDefaults[TickArgs]
	S *Service
}

// Work queues the runs of due schedules and the jobs of subject access
// exports left waiting, and deletes expired files.
func (w *TickWorker) Work(ctx context.Context, _ *river.Job[TickArgs]) error {
	if _, err := w.S.RunDue(ctx); err != nil {
		return err
	}
	if _, err := w.S.QueueWaiting(ctx); err != nil {
		return err
	}
	_, err := w.S.Expire(ctx)
	return err
}

func (s *Service) tenants(ctx context.Context) ([]uuid.UUID, error) {
	var out []uuid.UUID
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		var err error
		out, err = q.ActiveTenantIDs(ctx)
		return err
	})
	return out, err
}

// RunDue starts a run of every schedule whose time has come, in every
// tenant, and moves each to its next time; it returns the runs started.
// Without a queue the runs are made at once.
func (s *Service) RunDue(ctx context.Context) ([]uuid.UUID, error) {
	tenants, err := s.tenants(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: due schedules: %w", err)
	}
	var started []uuid.UUID
	for _, tenant := range tenants {
		tctx := actor.With(ctx, actor.Actor{Kind: actor.System, Name: "report schedule", TenantID: tenant})
		var ids []uuid.UUID
		err := db.InTenantTxPgx(tctx, s.pool, tenant, func(tx pgx.Tx, q *db.Queries) error {
			ids = nil
			due, err := q.ReportDueSchedules(tctx, db.ReportDueSchedulesParams{TenantID: tenant, Now: s.now()})
			if err != nil {
				return err
			}
			for _, sc := range due {
				sched := s.scheduleOf(sc)
				d, err := s.Catalog.Get(sc.Definition)
				if err != nil {
					continue // a definition since removed: the schedule waits
				}
				run, err := s.insertRun(tctx, tx, q, tenant, d, Request{Definition: d.ID, Format: sc.Format, Roles: sched.Roles}, sched.Filters, &sc.ID)
				if err != nil {
					return err
				}
				n := next(sc.Every, sc.NextRunAt)
				for !n.After(s.now()) {
					n = next(sc.Every, n)
				}
				if err := q.ReportAdvanceSchedule(tctx, db.ReportAdvanceScheduleParams{TenantID: tenant, ID: sc.ID, NextRunAt: n, LastRunID: &run.ID}); err != nil {
					return err
				}
				ids = append(ids, run.ID)
			}
			return nil
		})
		if err != nil {
			return started, fmt.Errorf("report: due schedules: %w", err)
		}
		for _, id := range ids {
			if s.Jobs == nil {
				if err := s.Work(tctx, tenant, id); err != nil {
					return started, err
				}
			}
			started = append(started, id)
		}
	}
	return started, nil
}

// Expire deletes the files of every run and subject access export whose
// retention has ended, in every tenant, each deletion audited; it returns
// how many it deleted.
func (s *Service) Expire(ctx context.Context) (int, error) {
	tenants, err := s.tenants(ctx)
	if err != nil {
		return 0, fmt.Errorf("report: expire: %w", err)
	}
	n := 0
	for _, tenant := range tenants {
		tctx := actor.With(ctx, actor.Actor{Kind: actor.System, Name: "report retention", TenantID: tenant})
		for {
			var done int
			err := db.InTenantTx(tctx, s.pool, tenant, func(q *db.Queries) error {
				done = 0
				rows, err := q.ReportExpiredRuns(tctx, db.ReportExpiredRunsParams{TenantID: tenant, Now: s.now(), MaxRows: 100})
				if err != nil {
					return err
				}
				for _, r := range rows {
					if err := q.ReportDeleteChunks(tctx, db.ReportDeleteChunksParams{TenantID: tenant, RunID: r.ID}); err != nil {
						return err
					}
					if err := q.ReportExpireRun(tctx, db.ReportExpireRunParams{TenantID: tenant, ID: r.ID}); err != nil {
						return err
					}
					if err := audit.Write(tctx, q, audit.Entry{TenantID: tenant, Action: "report.expired", EntityType: TargetType, EntityID: r.ID.String(),
						ReasonCode: "RETENTION", Before: map[string]any{"definition": r.Definition, "format": r.Format, "bytes": r.Bytes, "expiresAt": r.ExpiresAt}}); err != nil {
						return err
					}
					done++
				}
				return nil
			})
			if err != nil {
				return n, fmt.Errorf("report: expire: %w", err)
			}
			n += done
			if done < 100 {
				break
			}
		}
		done, err := s.expireExports(tctx, tenant)
		n += done
		if err != nil {
			return n, fmt.Errorf("report: expire subject exports: %w", err)
		}
	}
	return n, nil
}
