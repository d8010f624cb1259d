package web

import (
	"context"
	"log/slog"

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
	return t.Handler.Handle(ctx, r)
}

func (t traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceHandler{t.Handler.WithAttrs(attrs)}
}

func (t traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{t.Handler.WithGroup(name)}
}
