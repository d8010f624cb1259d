// Package jobs runs the background work of every capability on a
// PostgreSQL-backed queue (River): webhook deliveries and, as they arrive,
// verification checks and re-screening. Jobs are inserted in the same
// transaction as the change that needs them.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/trace"

	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/catalog"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/kyc"
	"github.com/ciamhq/ciam/internal/metrics"
	"github.com/ciamhq/ciam/internal/report"
	"github.com/ciamhq/ciam/internal/retention"
	"github.com/ciamhq/ciam/internal/screening"
)

// CheckTick is how often the periodic connector check looks for connectors
// due a check; each is checked every catalog.Service.CheckEvery.
const CheckTick = time.Minute

// Config says what runs.
type Config struct {
	Logger   *slog.Logger
	Webhooks *event.Webhooks
	KYC      *kyc.Service
	// AML runs shadow runs of rules.
	AML *aml.Service
	// Screening loads uploaded lists and re-screens Subjects after each
	// load; optional.
	Screening *screening.Service
	Subjects  screening.Subjects
	// Customers, when set, are screened again as their categorisation's
	// monitoring asks (customer.MonitorArgs, every customer.MonitorEvery).
	Customers *customer.Service
	// Catalog, when set, checks its enabled connectors periodically
	// (catalog.CheckArgs, every CheckTick).
	Catalog *catalog.Service
	// Reports, when set, makes report extracts and subject access exports
	// as jobs, and every report.TickEvery queues the runs of due schedules
	// and deletes expired files.
	Reports *report.Service
	// Retention, when set, applies every tenant's retention periods every
	// retention.RunEvery.
	Retention *retention.Service
	// PumpEvery is how often unqueued webhook deliveries are queued.
	PumpEvery time.Duration
	// Workers is how many jobs run at once per queue.
	Workers int
	// Metrics times every job and counts failures and webhook outcomes;
	// nil records nothing.
	Metrics *metrics.Metrics
	// Tracing starts the jobs' spans; nil: none.
	Tracing trace.TracerProvider
	// RescueAfter is how long a job may run before it is taken for stuck
	// (its worker killed mid-job) and run again; at least JobTimeout.
	// Zero is DefaultRescueAfter.
	RescueAfter time.Duration
}

// JobTimeout is the time-out of a job whose worker sets none of its own.
const JobTimeout = time.Minute

// DefaultRescueAfter is RescueAfter when none is given: twice JobTimeout,
// so that a job that merely runs long is not run twice. Jobs with a longer
// time-out of their own are rescued only once that has passed.
const DefaultRescueAfter = 2 * JobTimeout

// Runner is the started queue.
type Runner struct {
	Client *river.Client[pgx.Tx]
}

// New builds the queue's client on pool; Start runs it.
func New(pool *pgxpool.Pool, c Config) (*Runner, error) {
	if c.PumpEvery <= 0 {
		c.PumpEvery = time.Second
	}
	if c.Workers <= 0 {
		c.Workers = 10
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.RescueAfter == 0 {
		c.RescueAfter = DefaultRescueAfter
	}
	if c.RescueAfter < JobTimeout {
		return nil, fmt.Errorf("jobs: rescue after %s: want at least the job time-out, %s", c.RescueAfter, JobTimeout)
	}
	if c.Screening != nil && c.Subjects == nil {
		return nil, errors.New("jobs: screening needs the subjects to re-screen")
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &event.PumpWorker{W: c.Webhooks})
	river.AddWorker(workers, &event.DeliverWorker{W: c.Webhooks, Logger: c.Logger, Metrics: c.Metrics})
	river.AddWorker(workers, &kyc.EvidenceWorker{S: c.KYC})
	river.AddWorker(workers, &kyc.CheckWorker{S: c.KYC})
	river.AddWorker(workers, &kyc.RouteWorker{S: c.KYC})
	if c.AML != nil {
		river.AddWorker(workers, &aml.ShadowWorker{S: c.AML})
	}
	if c.Screening != nil {
		river.AddWorker(workers, &screening.LoadWorker{S: c.Screening})
		river.AddWorker(workers, &screening.RescreenWorker{S: c.Screening, Subjects: c.Subjects})
		river.AddWorker(workers, &screening.FetchWorker{S: c.Screening})
	}
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(c.PumpEvery), func() (river.JobArgs, *river.InsertOpts) {
			return event.PumpArgs{}, &river.InsertOpts{MaxAttempts: 1}
		}, &river.PeriodicJobOpts{RunOnStart: true}),
	}
	if c.Screening != nil && c.Screening.FetchEnabled {
		// Sources due a fetch are fetched one after another by one job;
		// a fetch that fails is recorded on its source and alerts.
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(screening.FetchTick), func() (river.JobArgs, *river.InsertOpts) {
			return screening.FetchArgs{}, &river.InsertOpts{MaxAttempts: 1}
		}, &river.PeriodicJobOpts{RunOnStart: true}))
	}
	if c.Customers != nil {
		river.AddWorker(workers, &customer.MonitorWorker{S: c.Customers})
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(customer.MonitorEvery), func() (river.JobArgs, *river.InsertOpts) {
			return customer.MonitorArgs{}, &river.InsertOpts{MaxAttempts: 1}
		}, &river.PeriodicJobOpts{RunOnStart: true}))
	}
	if c.Catalog != nil {
		river.AddWorker(workers, &catalog.CheckWorker{S: c.Catalog})
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(CheckTick), func() (river.JobArgs, *river.InsertOpts) {
			return catalog.CheckArgs{}, &river.InsertOpts{MaxAttempts: 1}
		}, &river.PeriodicJobOpts{RunOnStart: true}))
	}
	if c.Reports != nil {
		river.AddWorker(workers, &report.RunWorker{S: c.Reports})
		river.AddWorker(workers, &report.SubjectWorker{S: c.Reports})
		river.AddWorker(workers, &report.TickWorker{S: c.Reports})
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(report.TickEvery), func() (river.JobArgs, *river.InsertOpts) {
			return report.TickArgs{}, &river.InsertOpts{MaxAttempts: 1}
		}, &river.PeriodicJobOpts{RunOnStart: true}))
	}
	if c.Retention != nil {
		river.AddWorker(workers, &retention.RunWorker{S: c.Retention})
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(retention.RunEvery), func() (river.JobArgs, *river.InsertOpts) {
			return retention.RunArgs{}, &river.InsertOpts{MaxAttempts: 1}
		}, &river.PeriodicJobOpts{RunOnStart: true}))
	}
	// The job's span first, so that what the metrics time runs inside it.
	middleware := []rivertype.Middleware{newTracing(c.Tracing)}
	if c.Metrics != nil {
		middleware = append(middleware, c.Metrics.JobMiddleware())
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger:     c.Logger,
		Middleware: middleware,
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: c.Workers},
			event.Queue:        {MaxWorkers: c.Workers},
		},
		Workers:                     workers,
		PeriodicJobs:                periodic,
		JobTimeout:                  JobTimeout,
		RescueStuckJobsAfter:        c.RescueAfter,
		FetchCooldown:               50 * time.Millisecond,
		FetchPollInterval:           250 * time.Millisecond,
		CompletedJobRetentionPeriod: 24 * time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	if c.KYC != nil {
		c.KYC.Jobs = client
	}
	if c.AML != nil {
		c.AML.Jobs = client
	}
	if c.Screening != nil {
		c.Screening.Jobs = client
	}
	if c.Reports != nil {
		c.Reports.Jobs = client
	}
	return &Runner{Client: client}, nil
}

// Start runs the workers until Stop.
func (r *Runner) Start(ctx context.Context) error { return r.Client.Start(ctx) }

// Stop lets running jobs finish, up to ctx's deadline.
func (r *Runner) Stop(ctx context.Context) error { return r.Client.Stop(ctx) }

// NewInserter is a client of the queue that only inserts jobs, for a
// process that runs no workers (the command line): the jobs it queues are
// worked by a running server on the same database.
func NewInserter(pool *pgxpool.Pool) (*river.Client[pgx.Tx], error) {
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Middleware: []rivertype.Middleware{newTracing(nil)}})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return client, nil
}
