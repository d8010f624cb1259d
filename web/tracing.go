package web

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/ciamhq/ciam/web/api"
)

// startServerSpan starts the request's server span. A caller's
// traceparent (tp, already checked well-formed) is continued, the span
// its child and its trace id the request's, only when the connection
// comes from a trusted proxy (TRUSTED_PROXIES), which is trusted to have
// set or vetted it; from anyone else the server starts a trace of its own
// and links the caller's span context to it, so that the two can still be
// followed from one to the other.
func (s *server) startServerSpan(ctx context.Context, tracer trace.Tracer, r *http.Request, tp string) (context.Context, trace.Span) {
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer),
		// The route pattern, set by routeSpan, names what was asked; the
		// path itself is left out, as it holds ids.
		trace.WithAttributes(attribute.String("http.request.method", r.Method))}
	if tp != "" {
		remote := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(),
			propagation.MapCarrier{"traceparent": tp, "tracestate": r.Header.Get("tracestate")}))
		switch {
		case !remote.IsValid():
		case api.FromTrustedProxy(r, s.Config.TrustedProxies):
			ctx = trace.ContextWithRemoteSpanContext(ctx, remote)
		default:
			opts = append(opts, trace.WithNewRoot(), trace.WithLinks(trace.Link{SpanContext: remote,
				Attributes: []attribute.KeyValue{attribute.String("ciam.link", "caller_traceparent")}}))
		}
	}
	return tracer.Start(ctx, r.Method, opts...)
}

// endServerSpan records the response's status on span and ends it; a
// 5xx is the span's error.
func endServerSpan(span trace.Span, status int) {
	if status == 0 {
		status = http.StatusOK // nothing written: net/http answers 200
	}
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

// routeSpan names the request's span for the route that serves it
// (http.route is the pattern, never the path with its ids).
func routeSpan(pattern string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if span := trace.SpanFromContext(r.Context()); span.IsRecording() {
			span.SetName(pattern)
			span.SetAttributes(attribute.String("http.route", pattern))
		}
		h.ServeHTTP(w, r)
	})
}
