package metrics

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// kycStages names the KYC pipeline's stage each job kind runs; the
// intake (the upload) is an HTTP request and is timed as its route.
var kycStages = map[string]string{
	"kyc.evidence": "evidence",
	"kyc.check":    "checks",
	"kyc.route":    "routing",
}

// JobMiddleware times every job the queue works, by kind: how long it
// waited past its scheduled time, how long the attempt ran, whether it
// failed, and for the KYC pipeline's jobs the stage's duration. Nil on a
// nil *Metrics.
func (m *Metrics) JobMiddleware() rivertype.WorkerMiddleware {
	if m == nil {
		return nil
	}
	return &jobMiddleware{m: m}
}

type jobMiddleware struct {
	river.MiddlewareDefaults
	m *Metrics
}

func (j *jobMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	start := time.Now()
	if job.AttemptedAt != nil {
		j.m.jobWait.WithLabelValues(job.Kind).Observe(max(job.AttemptedAt.Sub(job.ScheduledAt), 0).Seconds())
	}
	err := doInner(ctx)
	took := time.Since(start).Seconds()
	j.m.jobDuration.WithLabelValues(job.Kind).Observe(took)
	if stage, ok := kycStages[job.Kind]; ok {
		j.m.kycStage.WithLabelValues(stage).Observe(took)
	}
	if err != nil {
		j.m.jobFailures.WithLabelValues(job.Kind).Inc()
	}
	return err
}
