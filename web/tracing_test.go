package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/telemetry"
	"github.com/ciamhq/ciam/web/api"
)

// newTracedHarness is a harness whose server and jobs trace into an
// in-memory exporter, wired as serve wires the OTLP one; its logger adds
// the trace id as serve's does.
func newTracedHarness(t *testing.T) (*harness, *tracetest.InMemoryExporter, *logBuffer) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	h, logs := newHarnessTracingTo(t, exp)
	return h, exp, logs
}

func newHarnessTracingTo(t testing.TB, exp sdktrace.SpanExporter) (*harness, *logBuffer) {
	t.Helper()
	tr, err := telemetry.NewTracing(t.Context(), telemetry.Options{Exporter: exp, SampleRatio: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Shutdown(t.Context()) })
	logs := &logBuffer{}
	h := newHarnessWith(t, func(d *Deps) {
		d.Tracing = tr.Provider
		d.Logger = slog.New(LogHandler(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	})
	return h, logs
}

// traceReceiver is a webhook endpoint that keeps the traceparent of each
// delivery.
type traceReceiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []string
}

func newTraceReceiver(t *testing.T) *traceReceiver {
	rc := &traceReceiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.got = append(rc.got, r.Header.Get("traceparent"))
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// inTrace is the traceparent received for trace id, or "".
func (rc *traceReceiver) inTrace(id string) string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, tp := range rc.got {
		if strings.HasPrefix(tp, "00-"+id+"-") {
			return tp
		}
	}
	return ""
}

func spansOf(exp *tracetest.InMemoryExporter, id string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range exp.GetSpans() {
		if s.SpanContext.TraceID().String() == id {
			out = append(out, s)
		}
	}
	return out
}

func attr(s tracetest.SpanStub, key string) (attribute.Value, bool) {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func serverSpan(t *testing.T, spans []tracetest.SpanStub) tracetest.SpanStub {
	t.Helper()
	for _, s := range spans {
		if s.SpanKind == trace.SpanKindServer {
			return s
		}
	}
	t.Fatalf("no server span among %d", len(spans))
	return tracetest.SpanStub{}
}

// One registration through the real API, traced: the server span named
// for its route with status and tenant, its SQL statements by sqlc name
// (and nothing of the customer's), the delivery job of the webhook it
// causes continuing the same trace, the delivery's client span whose
// traceparent the receiver got, and the same trace id in the log and in
// the audit record.
func TestTracingOfARegistration(t *testing.T) {
	h, exp, logs := newTracedHarness(t)
	h.s.Webhooks.AllowPrivateNetworks = true
	dt := h.demoTenant()
	c := h.cookieFor(h.employeeOf(dt.ID, staff.TenantAdmin))
	rc := newTraceReceiver(t)
	h.subscribe(c, rc.srv.URL+"/hooks", "customer.registered")
	h.startJobs()

	tok := h.adminToken(dt, credential.ScopeCustomersWrite)
	body := variant(t, nil)
	resp, out := h.apiCall("POST", registerPath, dt.Slug, tok, body, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %v", resp.StatusCode, out)
	}
	id := resp.Header.Get("X-Trace-ID")

	// The delivery is made by the jobs; wait for the receiver to get it.
	var received string
	for deadline := time.Now().Add(30 * time.Second); received == "" && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		received = rc.inTrace(id)
	}
	if received == "" {
		t.Fatalf("no delivery carried a traceparent of trace %s", id)
	}
	var spans []tracetest.SpanStub
	var deliver, send tracetest.SpanStub
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		spans = spansOf(exp, id)
		deliver, send = tracetest.SpanStub{}, tracetest.SpanStub{}
		for _, s := range spans {
			switch s.Name {
			case "webhook.deliver":
				deliver = s
			case "webhook.send":
				send = s
			}
		}
		if deliver.Name != "" && send.Name != "" {
			break // the job's span ends after its client span
		}
	}

	srv := serverSpan(t, spans)
	pattern := "POST " + registerPath
	if srv.Name != pattern {
		t.Errorf("server span %q; want %q", srv.Name, pattern)
	}
	if v, _ := attr(srv, "http.route"); v.AsString() != pattern {
		t.Errorf("http.route %q; want %q", v.AsString(), pattern)
	}
	if v, _ := attr(srv, "http.response.status_code"); v.AsInt64() != http.StatusCreated {
		t.Errorf("status attribute %d; want 201", v.AsInt64())
	}
	if v, _ := attr(srv, string(telemetry.TenantKey)); v.AsString() != dt.ID.String() {
		t.Errorf("tenant attribute %q; want %q", v.AsString(), dt.ID)
	}

	// The registration's statements, children of the server span.
	sql := map[string]bool{}
	for _, s := range spans {
		if s.Parent.SpanID() == srv.SpanContext.SpanID() && s.SpanKind == trace.SpanKindClient {
			for _, name := range strings.Split(s.Name, " + ") { // a batch names its statements
				sql[name] = true
			}
		}
	}
	for _, name := range []string{"CreateCustomer", "InsertAudit", "InsertEvent", "CreateDeliveriesForEvent"} {
		if !sql[name] {
			t.Errorf("no SQL span %s under the server span; have %v", name, sql)
		}
	}
	// No span carries what the customer sent.
	email := body[strings.Index(body, `"c-`)+1:]
	email = email[:strings.IndexByte(email, '"')]
	for _, s := range spans {
		for _, kv := range s.Attributes {
			if strings.Contains(kv.Value.Emit(), email) {
				t.Errorf("span %s carries the customer's e-mail in %s", s.Name, kv.Key)
			}
		}
	}

	// The delivery job continues the request's trace; its client span is
	// the parent the receiver was told.
	if deliver.Name == "" || send.Name == "" {
		t.Fatalf("no delivery job span or no client span in the trace: %d spans", len(spans))
	}
	if deliver.Parent.SpanID() != srv.SpanContext.SpanID() {
		t.Errorf("delivery job's parent %s; want the server span %s", deliver.Parent.SpanID(), srv.SpanContext.SpanID())
	}
	if v, _ := attr(deliver, "river.job.kind"); v.AsString() != "webhook.deliver" {
		t.Errorf("job kind attribute %q", v.AsString())
	}
	if send.Parent.SpanID() != deliver.SpanContext.SpanID() {
		t.Errorf("client span's parent %s; want the job's span %s", send.Parent.SpanID(), deliver.SpanContext.SpanID())
	}
	if want := "00-" + id + "-" + send.SpanContext.SpanID().String() + "-01"; received != want {
		t.Errorf("receiver got traceparent %q; want %q", received, want)
	}
	jobSQL := false
	for _, s := range spans {
		if strings.Contains(s.Name, "WebhookDeliveryForWork") && s.Parent.SpanID() == deliver.SpanContext.SpanID() {
			jobSQL = true
		}
	}
	if !jobSQL {
		t.Error("no SQL span WebhookDeliveryForWork under the delivery job")
	}

	// The log and the audit record carry the span's trace id.
	if !strings.Contains(logs.String(), "trace_id="+id) {
		t.Errorf("no log line with trace_id=%s", id)
	}
	var auditTrace string
	if err := dbOwner(t).QueryRow(t.Context(), `SELECT trace_id FROM audit_log WHERE tenant_id = $1 AND entity_id = $2 ORDER BY seq LIMIT 1`,
		dt.ID, data(out)["customerId"]).Scan(&auditTrace); err != nil {
		t.Fatal(err)
	}
	if auditTrace != id || auditTrace != srv.SpanContext.TraceID().String() {
		t.Errorf("audit trace_id %q; want the span's %q", auditTrace, srv.SpanContext.TraceID())
	}
}

// A caller's traceparent becomes the request's parent, and its trace id
// the one in the audit, only through a trusted proxy; from anyone else it
// is a link, and the trace is the server's own.
func TestTracingCallerTraceparent(t *testing.T) {
	h, exp, _ := newTracedHarness(t)
	tok := h.adminToken(h.tenant, credential.ScopeCustomersWrite)
	const callerTrace, callerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	const tp = "00-" + callerTrace + "-" + callerSpan + "-01"
	register := func(t *testing.T) (string, string, tracetest.SpanStub) {
		t.Helper()
		resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, tok, variant(t, func(m map[string]any) { delete(m, "categorization") }),
			map[string]string{"traceparent": tp})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("register: %d %v", resp.StatusCode, out)
		}
		id := resp.Header.Get("X-Trace-ID")
		var auditTrace, auditCaller string
		if err := dbOwner(t).QueryRow(t.Context(), `SELECT trace_id, caller_traceparent FROM audit_log
			WHERE tenant_id = $1 AND entity_id = $2 ORDER BY seq LIMIT 1`, h.tenant.ID, data(out)["customerId"]).Scan(&auditTrace, &auditCaller); err != nil {
			t.Fatal(err)
		}
		if auditTrace != id || auditCaller != tp {
			t.Errorf("audit trace_id %q, caller_traceparent %q; want %q and %q", auditTrace, auditCaller, id, tp)
		}
		return id, auditTrace, serverSpan(t, spansOf(exp, id))
	}

	t.Run("untrusted peer: a link", func(t *testing.T) {
		id, _, srv := register(t)
		if id == callerTrace {
			t.Fatalf("the caller's trace id became the trace id")
		}
		if srv.Parent.IsValid() {
			t.Errorf("server span has parent %s; want none", srv.Parent.SpanID())
		}
		if len(srv.Links) != 1 || srv.Links[0].SpanContext.TraceID().String() != callerTrace ||
			srv.Links[0].SpanContext.SpanID().String() != callerSpan {
			t.Errorf("links %+v; want one to the caller's span", srv.Links)
		}
	})
	t.Run("trusted proxy: continued", func(t *testing.T) {
		h.s.Config.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
		t.Cleanup(func() { h.s.Config.TrustedProxies = nil })
		id, auditTrace, srv := register(t)
		if id != callerTrace || auditTrace != callerTrace {
			t.Errorf("trace id %q (audit %q); want the caller's %s", id, auditTrace, callerTrace)
		}
		if srv.Parent.SpanID().String() != callerSpan || !srv.Parent.IsRemote() {
			t.Errorf("server span's parent %s; want the caller's span %s", srv.Parent.SpanID(), callerSpan)
		}
		if len(srv.Links) != 0 {
			t.Errorf("links %+v; want none", srv.Links)
		}
	})
}

// A job a request queues carries the request's span as its parent: a
// list upload from the portal queues its load, whose metadata holds the
// server span's traceparent; the portal span names the employee's tenant.
func TestTracingJobQueuedByARequest(t *testing.T) {
	h, exp, _ := newTracedHarness(t)
	_, op := h.signIn(staff.PlatformOperator)
	resp := h.upload(op, "senzing", map[string][]byte{"file": []byte("{}")})
	if resp.StatusCode >= 400 {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	id := resp.Header.Get("X-Trace-ID")
	srv := serverSpan(t, spansOf(exp, id))
	if v, _ := attr(srv, string(telemetry.TenantKey)); v.AsString() != h.tenant.ID.String() {
		t.Errorf("tenant attribute %q; want %q", v.AsString(), h.tenant.ID)
	}
	var kind, tp string
	if err := dbOwner(t).QueryRow(t.Context(), `SELECT kind, metadata->>'traceparent' FROM river_job
		WHERE metadata->>'traceparent' LIKE $1`, "00-"+id+"-%").Scan(&kind, &tp); err != nil {
		t.Fatalf("no job queued with the request's traceparent: %v", err)
	}
	if want := "00-" + id + "-" + srv.SpanContext.SpanID().String() + "-01"; kind != "screening.load" || tp != want {
		t.Errorf("job %s with traceparent %q; want screening.load with %q", kind, tp, want)
	}
}

// A failure is the span's error: a panic behind the real middleware is
// answered 500, and the server span records it with its status.
func TestTracingRecordsAFailure(t *testing.T) {
	h, exp, _ := newTracedHarness(t)
	boom := h.s.traceRequests(h.s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })))
	rec := newRecorder()
	boom.ServeHTTP(rec, newRequest("POST", api.Prefix+"/events"))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d; want 500", rec.Code)
	}
	srv := serverSpan(t, spansOf(exp, rec.Header().Get("X-Trace-ID")))
	if srv.Status.Code != codes.Error {
		t.Errorf("span status %v; want Error", srv.Status)
	}
	if v, _ := attr(srv, "http.response.status_code"); v.AsInt64() != http.StatusInternalServerError {
		t.Errorf("status attribute %d; want 500", v.AsInt64())
	}
	recorded := false
	for _, ev := range srv.Events {
		for _, kv := range ev.Attributes {
			if kv.Key == "exception.message" && strings.Contains(kv.Value.AsString(), "boom") {
				recorded = true
			}
		}
	}
	if !recorded {
		t.Errorf("the panic is not recorded on the span: %+v", srv.Events)
	}
}

// A connector check is an outbound call with its own client span under
// the request's, whose traceparent the connector's service receives.
func TestTracingConnectorCheck(t *testing.T) {
	h, exp, _ := newTracedHarness(t)
	h.s.Catalog.AllowPrivateNetworks = true
	_, mc := h.signIn(staff.TenantAdmin)
	rc := newTraceReceiver(t)
	page := h.newConnector(&mc, "SMS_SENDER", "Traced SMS", map[string]string{"baseUrl": rc.srv.URL + "/v1", "senderId": "ACME"})
	resp := h.post(page+"/test", url.Values{}, mc)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("test connection: %d", resp.StatusCode)
	}
	id := resp.Header.Get("X-Trace-ID")
	spans := spansOf(exp, id)
	srv := serverSpan(t, spans)
	var check tracetest.SpanStub
	for _, s := range spans {
		if s.Name == "connector.check" {
			check = s
		}
	}
	if check.Name == "" || check.Parent.SpanID() != srv.SpanContext.SpanID() || check.SpanKind != trace.SpanKindClient {
		t.Fatalf("no client span connector.check under the server span: %+v", check)
	}
	if got, want := rc.inTrace(id), "00-"+id+"-"+check.SpanContext.SpanID().String()+"-01"; got != want {
		t.Errorf("the connector got traceparent %q; want %q", got, want)
	}
}

// BenchmarkGetCustomerTraced is BenchmarkGetCustomer with tracing on,
// every request sampled, its spans (server and SQL) exported to nowhere:
// what recording the spans costs.
func BenchmarkGetCustomerTraced(b *testing.B) {
	h, _ := newHarnessTracingTo(b, tracetest.NewNoopExporter())
	tok := h.adminToken(h.tenant, credential.ScopeCustomersRead, credential.ScopeCustomersWrite)
	id, _ := h.newCustomer(tok)
	u := h.srv.URL + "/api/v2.1/customers/" + id
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", u, nil)
			req.Header.Set("X-Tenant-ID", h.tenant.Slug)
			req.Header.Set("Authorization", "Bearer "+tok)
			benchDo(b, req, http.StatusOK)
		}
	})
}
