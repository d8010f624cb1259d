package db

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// sqlTracer gives each statement a span under the recording span of its
// context, from that span's provider: statements outside a traced request
// or job (the queue's own polling) make none, and with tracing off none
// is made at all. A span is named for the statement: sqlc's "-- name: X"
// when the SQL has one, else its first keyword. The SQL's arguments never
// go on a span.
type sqlTracer struct{}

const tracerScope = "github.com/ciamhq/ciam/db"

func sqlSpanStart(ctx context.Context, name string) context.Context {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx
	}
	ctx, _ = parent.TracerProvider().Tracer(tracerScope).Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", "postgresql"), attribute.String("db.query.summary", name)))
	return ctx
}

func sqlSpanEnd(ctx context.Context, err error) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// StatementName is what a span calls sql: sqlc's query name, or the
// statement's first keyword ("BEGIN", "SELECT").
func StatementName(sql string) string {
	s := strings.TrimSpace(sql)
	if rest, ok := strings.CutPrefix(s, "-- name:"); ok {
		rest = strings.TrimSpace(rest)
		if i := strings.IndexAny(rest, " \t\r\n"); i > 0 {
			rest = rest[:i]
		}
		if rest != "" {
			return rest
		}
	}
	if i := strings.IndexAny(s, " \t\r\n;("); i > 0 {
		s = s[:i]
	}
	if s == "" {
		return "SQL"
	}
	return strings.ToUpper(s)
}

func (sqlTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx // before naming: StatementName costs nothing when off
	}
	return sqlSpanStart(ctx, StatementName(d.SQL))
}

func (sqlTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	sqlSpanEnd(ctx, d.Err)
}

func (sqlTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx
	}
	// A batch is named for its statements in order: a transaction's first
	// statement rides behind its BEGIN ("BEGIN + SELECT + CreateCustomer").
	var names []string
	if d.Batch != nil {
		for _, q := range d.Batch.QueuedQueries {
			names = append(names, StatementName(q.SQL))
		}
	}
	if len(names) == 0 {
		names = []string{"batch"}
	}
	return sqlSpanStart(ctx, strings.Join(names, " + "))
}

func (sqlTracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

func (sqlTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchEndData) {
	sqlSpanEnd(ctx, d.Err)
}

func (sqlTracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceCopyFromStartData) context.Context {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx
	}
	return sqlSpanStart(ctx, "COPY "+d.TableName.Sanitize())
}

func (sqlTracer) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, d pgx.TraceCopyFromEndData) {
	sqlSpanEnd(ctx, d.Err)
}
