package screening

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
)

// JobInserter queues a job inside a transaction: the River client, or an
// insert-only one in a process that runs no workers (the command line).
type JobInserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// RescreenArgs is the job that re-screens every active subject against
// what a version added and changed. A load queues it in the transaction
// that makes the version current.
type RescreenArgs struct {
	VersionID uuid.UUID `json:"versionId"`
}

// Kind names the job.
func (RescreenArgs) Kind() string { return "screening.rescreen" }

// RescreenWorker runs RescreenArgs jobs.
type RescreenWorker struct {
	river.WorkerDefaults[RescreenArgs]
	S        *Service
	Subjects Subjects
}

// Timeout lets a re-screening of a large customer base finish: 100,000
// customers take seconds, but a busy machine may take minutes.
func (w *RescreenWorker) Timeout(*river.Job[RescreenArgs]) time.Duration { return 30 * time.Minute }

// Work brings the index up to date (the version may have been loaded by
// another process) and re-screens. Hits are written idempotently, so a
// retry after a failure half-way adds only what is missing.
func (w *RescreenWorker) Work(ctx context.Context, job *river.Job[RescreenArgs]) error {
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "continuous re-screening"})
	if _, err := w.S.Refresh(ctx); err != nil {
		return err
	}
	_, err := w.S.Rescreen(ctx, job.Args.VersionID, w.Subjects)
	if c := apperr.CodeOf(err); c == apperr.NotFound || c == apperr.Conflict {
		return river.JobCancel(err) // no such version, or a refused one: trying again will not help
	}
	return err
}

// LoadArgs is the job that loads an uploaded list.
type LoadArgs struct {
	UploadID uuid.UUID `json:"uploadId"`
}

// Kind names the job.
func (LoadArgs) Kind() string { return "screening.load" }

// LoadWorker runs LoadArgs jobs.
type LoadWorker struct {
	river.WorkerDefaults[LoadArgs]
	S *Service
}

// Timeout lets a large list load on a busy machine.
func (w *LoadWorker) Timeout(*river.Job[LoadArgs]) time.Duration { return 15 * time.Minute }

// Work loads the upload. A refused list is an outcome, not a failure: the
// upload records it and the job ends. Other failures are retried; the last
// attempt's failure is recorded on the upload.
func (w *LoadWorker) Work(ctx context.Context, job *river.Job[LoadArgs]) error {
	err := w.S.runUpload(ctx, job.Args.UploadID)
	var final *uploadFailure
	if errors.As(err, &final) {
		return river.JobCancel(err)
	}
	if err != nil && job.Attempt >= job.MaxAttempts {
		w.S.failUpload(context.WithoutCancel(ctx), job.Args.UploadID, "the load failed: "+err.Error())
	}
	return err
}
