// Package actor carries who is acting, and under which trace id, through a
// request's context, so that audit records and events name them without
// every function taking them as arguments.
package actor

import (
	"context"

	"github.com/google/uuid"
)

// Kind is what sort of party acts.
type Kind string

// The kinds of actor the audit trail knows.
const (
	Employee  Kind = "EMPLOYEE"
	APIClient Kind = "API_CLIENT"
	Customer  Kind = "CUSTOMER"
	System    Kind = "SYSTEM"
	Anonymous Kind = "ANONYMOUS"
)

// Actor is the party behind a change.
type Actor struct {
	Kind     Kind
	ID       string
	Name     string
	TenantID uuid.UUID
}

type actorKey struct{}
type traceKey struct{}

// With returns ctx carrying a.
func With(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// From is the actor in ctx; the system when none was set.
func From(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Kind: System, Name: "system"}
}

// WithTrace returns ctx carrying a trace id.
func WithTrace(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, traceKey{}, id)
}

// Trace is the trace id in ctx, or "".
func Trace(ctx context.Context) string {
	id, _ := ctx.Value(traceKey{}).(string)
	return id
}

type callerTraceKey struct{}

// WithCallerTrace returns ctx carrying the W3C traceparent the caller
// sent. It is the caller's word, kept beside the server's own trace id,
// never in its place.
func WithCallerTrace(ctx context.Context, traceparent string) context.Context {
	return context.WithValue(ctx, callerTraceKey{}, traceparent)
}

// CallerTrace is the caller's traceparent in ctx, or "".
func CallerTrace(ctx context.Context) string {
	tp, _ := ctx.Value(callerTraceKey{}).(string)
	return tp
}
