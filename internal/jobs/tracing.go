package jobs

import (
	"context"
	"encoding/json"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/telemetry"
)

// metadataTraceparent is the job metadata key holding the W3C traceparent
// of the span that inserted the job (or that the inserter set).
const metadataTraceparent = telemetry.JobMetadataKey

// tracing carries a trace across the queue: an insert made under a
// recording span writes that span's traceparent into the job's metadata,
// and the job is worked in a span that continues it (a job inserted
// outside any trace, such as a periodic one, starts its own). The job's
// span is its kind; its audit records carry its trace id.
type tracing struct {
	river.MiddlewareDefaults
	tracer trace.Tracer
}

func newTracing(tp trace.TracerProvider) *tracing {
	return &tracing{tracer: telemetry.Tracer(tp)}
}

// InsertMany stamps each job with the inserting span's traceparent, unless
// the job already carries one (it was queued for an earlier trace).
func (t *tracing) InsertMany(ctx context.Context, params []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return doInner(ctx)
	}
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	tp := carrier.Get(metadataTraceparent)
	if tp == "" {
		return doInner(ctx)
	}
	for _, p := range params {
		meta := map[string]any{}
		if len(p.Metadata) > 0 {
			if err := json.Unmarshal(p.Metadata, &meta); err != nil {
				continue // not an object: leave it as the inserter wrote it
			}
		}
		if _, ok := meta[metadataTraceparent]; ok {
			continue
		}
		meta[metadataTraceparent] = tp
		if b, err := json.Marshal(meta); err == nil {
			p.Metadata = b
		}
	}
	return doInner(ctx)
}

// Work runs the job in its span.
func (t *tracing) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	var meta struct {
		Traceparent string `json:"traceparent"` // metadataTraceparent
	}
	if len(job.Metadata) > 0 {
		_ = json.Unmarshal(job.Metadata, &meta) // a job without one starts a trace of its own
	}
	if meta.Traceparent != "" {
		ctx = propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{metadataTraceparent: meta.Traceparent})
	}
	ctx, span := t.tracer.Start(ctx, job.Kind, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("messaging.system", "river"), attribute.String("river.job.kind", job.Kind),
			attribute.Int64("river.job.id", job.ID), attribute.Int("river.job.attempt", job.Attempt),
			attribute.String("messaging.destination.name", job.Queue)))
	if sc := span.SpanContext(); sc.IsValid() && actor.Trace(ctx) == "" {
		ctx = actor.WithTrace(ctx, sc.TraceID().String())
	}
	err := doInner(ctx)
	telemetry.End(span, err)
	return err
}
