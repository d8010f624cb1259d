// Package telemetry is ciam's observability wiring, done once at start:
// OpenTelemetry tracing exported over OTLP when an endpoint is configured,
// and the small helpers the other packages use to add their spans.
//
// Only the server span and job spans are started from a configured
// provider; everything below them (SQL, outbound HTTP) starts its span from
// the provider of the span already in the context, and only when that span
// is recording. With tracing off nothing records, so the hot path pays a
// context look-up and no more.
package telemetry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// ScopeName is the instrumentation scope of every span ciam starts.
const ScopeName = "github.com/ciamhq/ciam"

// Options say where traces go.
type Options struct {
	// Endpoint is the OTLP/HTTP collector's base URL
	// (OTEL_EXPORTER_OTLP_ENDPOINT); empty turns tracing off.
	Endpoint string
	// ServiceName is the service.name resource attribute.
	ServiceName string
	// SampleRatio is the share of new traces kept (parent-based: a
	// continued trace follows its parent's decision).
	SampleRatio float64
	// Exporter, when set, receives the spans instead of an OTLP exporter
	// (tests give an in-memory one); the spans are exported synchronously,
	// so that a test sees them as soon as they end.
	Exporter sdktrace.SpanExporter
}

// Tracing is the process's tracer provider and how to flush it.
type Tracing struct {
	// Provider starts the server's and the jobs' spans: a no-op one when
	// tracing is off.
	Provider trace.TracerProvider
	shutdown func(context.Context) error
}

// Off is tracing turned off: a no-op provider.
func Off() *Tracing {
	return &Tracing{Provider: noop.NewTracerProvider(), shutdown: func(context.Context) error { return nil }}
}

// NewTracing builds the provider Options ask for.
func NewTracing(ctx context.Context, o Options) (*Tracing, error) {
	if o.Endpoint == "" && o.Exporter == nil {
		return Off(), nil
	}
	if o.ServiceName == "" {
		o.ServiceName = "ciam"
	}
	var span sdktrace.TracerProviderOption
	if o.Exporter != nil {
		span = sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(o.Exporter))
	} else {
		// The exporter reads OTEL_EXPORTER_OTLP_HEADERS (and the other
		// standard OTEL_EXPORTER_OTLP_* settings) from the environment
		// itself; the endpoint comes from the configuration.
		// OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base URL: traces
		// go to its /v1/traces, as the OTLP specification has it (given
		// whole, the exporter would post to the URL as it is).
		u, err := url.Parse(o.Endpoint)
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTEL_EXPORTER_OTLP_ENDPOINT: %w", err)
		}
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.JoinPath("v1/traces").String()))
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP exporter: %w", err)
		}
		span = sdktrace.WithBatcher(exp)
	}
	tp := sdktrace.NewTracerProvider(span,
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(o.SampleRatio))),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", o.ServiceName))))
	return &Tracing{Provider: tp, shutdown: tp.Shutdown}, nil
}

// Shutdown flushes the spans not yet exported and stops the provider.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil || t.shutdown == nil {
		return nil
	}
	return t.shutdown(ctx)
}

// Tracer is the provider's tracer for ciam's spans; a no-op one for nil.
func Tracer(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	return tp.Tracer(ScopeName)
}

// Enabled reports whether tp records anything at all: false for nil and
// for the no-op provider of tracing turned off.
func Enabled(tp trace.TracerProvider) bool {
	switch tp.(type) {
	case nil, noop.TracerProvider:
		return false
	}
	return true
}

// Child starts a span under the recording span in ctx, from that span's
// own provider; when nothing in ctx records, it starts nothing and reports
// false (the returned span is then the non-recording one in ctx).
func Child(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span, bool) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, parent, false
	}
	ctx, span := parent.TracerProvider().Tracer(ScopeName).Start(ctx, name, opts...)
	return ctx, span, true
}

// End records err, if any, on span and ends it.
func End(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// TenantKey is the attribute naming the tenant a span acted for.
const TenantKey = attribute.Key("ciam.tenant_id")

// SetTenant names, on the recording span in ctx, the tenant the work is
// for. The tenant id is no customer's personal data; nothing that is goes
// on a span.
func SetTenant(ctx context.Context, id uuid.UUID) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() && id != uuid.Nil {
		span.SetAttributes(TenantKey.String(id.String()))
	}
}

// Traceparent is the W3C traceparent of the span in ctx, for work that
// continues the trace later (a job queued afterwards); "" without one.
func Traceparent(ctx context.Context) string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	return c.Get("traceparent")
}

// JobMetadataKey is the key of a job's metadata holding the traceparent
// its span continues (internal/jobs reads it).
const JobMetadataKey = "traceparent"

// JobMetadata is a job's metadata carrying traceparent; nil for "".
func JobMetadata(traceparent string) []byte {
	if traceparent == "" {
		return nil
	}
	b, _ := json.Marshal(map[string]string{JobMetadataKey: traceparent})
	return b
}
