package telemetry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Spans reach the collector at the base URL's /v1/traces, with the
// headers of OTEL_EXPORTER_OTLP_HEADERS, and Shutdown flushes what is
// still batched.
func TestOTLPExportOnShutdown(t *testing.T) {
	var mu sync.Mutex
	var paths, keys []string
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.Path)
		keys = append(keys, r.Header.Get("Api-Key"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "api-key=k1")

	tr, err := NewTracing(t.Context(), Options{Endpoint: collector.URL, SampleRatio: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !Enabled(tr.Provider) {
		t.Fatal("tracing with an endpoint is not enabled")
	}
	_, span := Tracer(tr.Provider).Start(t.Context(), "one")
	span.End()
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) != 1 || paths[0] != "POST /v1/traces" || keys[0] != "k1" {
		t.Errorf("collector got %v with api-key %v; want one POST /v1/traces with k1", paths, keys)
	}
}

// Without an endpoint tracing is off: a no-op provider.
func TestTracingOffWithoutEndpoint(t *testing.T) {
	tr, err := NewTracing(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if Enabled(tr.Provider) {
		t.Error("tracing without an endpoint is enabled")
	}
	_, span := Tracer(tr.Provider).Start(t.Context(), "x")
	if span.IsRecording() || span.SpanContext().IsValid() {
		t.Error("the no-op provider records")
	}
}
