package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/ciamhq/ciam/internal/actor"
)

// LogHandler adds the request's trace id (and the traceparent its caller
// sent, if any) to every record logged with its context, so that a log
// line and an audit record can be matched.
func LogHandler(h slog.Handler) slog.Handler { return traceHandler{h} }

type traceHandler struct{ slog.Handler }

func (t traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := actor.Trace(ctx); id != "" {
		r.AddAttrs(slog.String("trace_id", id))
	}
	if tp := actor.CallerTrace(ctx); tp != "" {
		r.AddAttrs(slog.String("caller_traceparent", tp))
	}
	if r.Level >= slog.LevelError {
		recordOnSpan(ctx, r)
	}
	return t.Handler.Handle(ctx, r)
}

// recordOnSpan records an error logged at the boundary (once, as STYLE.md
// asks) on the request's span too, so that the trace shows what failed
// where the log says it: the message, with the "error" (or "panic")
// attribute when there is one.
func recordOnSpan(ctx context.Context, r slog.Record) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	err := errors.New(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "error" && a.Key != "panic" {
			return true
		}
		if e, ok := a.Value.Any().(error); ok {
			err = fmt.Errorf("%s: %w", r.Message, e)
		} else {
			err = fmt.Errorf("%s: %v", r.Message, a.Value)
		}
		return false
	})
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
}

func (t traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceHandler{t.Handler.WithAttrs(attrs)}
}

func (t traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{t.Handler.WithGroup(name)}
}
