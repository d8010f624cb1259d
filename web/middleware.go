package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/a-h/templ"
	"go.opentelemetry.io/otel/trace"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/telemetry"
	"github.com/ciamhq/ciam/web/api"
)

var traceparentRE = regexp.MustCompile(`^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$`)

// traceRequests gives every request a trace id, echoed in X-Trace-ID,
// which lands in logs and audit records: the server span's (tracing.go),
// or one of the server's own making when tracing is off. A caller's W3C
// traceparent, when well-formed, is kept beside it (in the log and in
// audit records, marked as the caller's) but becomes the trace's parent
// only when the request comes through a trusted proxy: whoever calls
// could otherwise set the trace id of the audit trail to anything,
// another request's included.
func (s *server) traceRequests(next http.Handler) http.Handler {
	tracer, on := telemetry.Tracer(s.Tracing), telemetry.Enabled(s.Tracing)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		tp := strings.TrimSpace(r.Header.Get("traceparent"))
		if m := traceparentRE.FindStringSubmatch(tp); m != nil && m[1] != strings.Repeat("0", 32) {
			ctx = actor.WithCallerTrace(ctx, tp)
		} else {
			tp = ""
		}
		id := ""
		var span trace.Span
		if on || tp != "" { // with tracing off a span only continues a trusted caller's trace
			ctx, span = s.startServerSpan(ctx, tracer, r, tp)
			if sc := span.SpanContext(); sc.IsValid() {
				id = sc.TraceID().String()
			}
		}
		if id == "" {
			id = newTraceID()
		}
		ctx = actor.WithTrace(ctx, id)
		w.Header().Set("X-Trace-ID", id)
		if span == nil || !span.IsRecording() {
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		defer func() { endServerSpan(span, sw.status) }()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

func newTraceID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		level := slog.LevelInfo
		if strings.HasPrefix(r.URL.Path, "/static/") || r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			level = slog.LevelDebug
		}
		s.Logger.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Int("bytes", sw.bytes),
			slog.Duration("duration", time.Since(start)))
	})
}

func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.ErrorContext(r.Context(), "panic", slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
				s.answerError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type nonceKey struct{}

// securityHeaders sets the Content-Security-Policy with a fresh nonce, and
// the other headers every response carries.
func (s *server) securityHeaders(next http.Handler) http.Handler {
	formAction := "'self'"
	if u, err := url.Parse(s.Config.OIDC.Issuer); err == nil && u.Host != "" {
		formAction += " " + u.Scheme + "://" + u.Host // sign-out continues at the provider
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [18]byte
		_, _ = rand.Read(b[:])
		nonce := base64.RawStdEncoding.EncodeToString(b[:])
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'nonce-"+nonce+"'; style-src 'self'; "+
			"img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "+
			"frame-ancestors 'none'; form-action "+formAction)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if s.Config.Secure() {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		ctx := templ.WithNonce(r.Context(), nonce)
		ctx = context.WithValue(ctx, nonceKey{}, nonce)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// guard wraps a route's handler with what its Access demands: cross-origin
// protection for the portal, a valid session, and the permission.
func (s *server) guard(rt route) http.Handler {
	h := rt.Handler
	if rt.Access.isAPI() {
		// The API authenticates with bearer tokens, never cookies, so
		// cross-origin requests are not a forgery risk there.
		if method, _, _ := strings.Cut(rt.Pattern, " "); method == http.MethodPost && rt.Access != AccessAPIPublic {
			h = s.API.Idempotent(rt.BodyLimit(), h)
		}
		return s.API.Guard(api.Access(rt.Access), h)
	}
	switch rt.Access {
	case AccessPublic:
		return s.crossOrigin.Handler(h)
	case "":
		// Deny by default: a route that forgot its access is never served.
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.fail(w, r, errForbidden)
		})
	}
	perm := staff.Permission(rt.Access)
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, ok := employeeFrom(r.Context())
		if !ok {
			s.fail(w, r, errForbidden)
			return
		}
		if rt.Access != AccessSignedIn && !emp.Can(perm) {
			s.Logger.InfoContext(r.Context(), "permission denied", slog.String("employee", emp.ID.String()),
				slog.String("permission", string(perm)), slog.String("path", r.URL.Path))
			s.fail(w, r, errForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
	return s.crossOrigin.Handler(s.requireSession(inner))
}

func (s *server) handleCrossOriginDenied(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, errCrossOrigin)
}
