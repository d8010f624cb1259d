package telemetry

import (
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Transport wraps an outbound HTTP transport (webhook deliveries,
// connector calls) with a client span under the recording span of the
// request's context, and sends that span's W3C traceparent, so that the
// receiver can continue the trace. Without a recording span it only
// forwards the request.
type Transport struct {
	// Base sends the request; http.DefaultTransport when nil.
	Base http.RoundTripper
	// Name is the span's name, such as "webhook.deliver".
	Name string
}

// RoundTrip sends r.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	ctx, span, ok := Child(r.Context(), t.Name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("http.request.method", r.Method),
			attribute.String("server.address", r.URL.Hostname())))
	if !ok {
		return base.RoundTrip(r)
	}
	// The request is the caller's: RoundTrip must not change it.
	r = r.Clone(ctx)
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(r.Header))
	resp, err := base.RoundTrip(r)
	if err != nil {
		End(span, err)
		return nil, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= 400 {
		span.SetStatus(codes.Error, resp.Status)
	}
	span.End()
	return resp, nil
}
