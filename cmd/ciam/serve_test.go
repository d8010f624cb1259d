package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ciamhq/ciam/db/dbtest"
)

// ciam serve with METRICS_ADDR serves /metrics there, and only there: the
// public address answers 404, the metrics address serves nothing else, and
// the series count the public address's requests and the queue's jobs.
func TestServeMetricsOnItsOwnAddress(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	appPort, metricsPort := freePort(t), freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", appPort)
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)
	logs := &syncBuffer{}
	env := map[string]string{
		"HTTP_ADDR":             fmt.Sprintf("127.0.0.1:%d", appPort),
		"METRICS_ADDR":          fmt.Sprintf("127.0.0.1:%d", metricsPort),
		"PUBLIC_URL":            base,
		"DATABASE_URL":          dbtest.URL(t),
		"SESSION_KEYS":          "bWV0cmljcy10ZXN0LW1ldHJpY3MtdGVzdC1tZXRyaWNzLXRlc3QtbWV0cmljcw==",
		"OIDC_ISSUER":           "http://127.0.0.1:1", // never asked: no one signs in
		"OIDC_CLIENT_ID":        "ciam",
		"OIDC_CLIENT_SECRET":    "secret",
		"LOG_FORMAT":            "text",
		"FIELD_ENCRYPTION_KEYS": "b1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"ciam", "serve"}, func(k string) string { return env[k] }, logs, logs)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if t.Failed() {
			t.Logf("server output:\n%s", logs)
		}
	})
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if code, _ := get(base + "/readyz"); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready\n%s", logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The public address has no /metrics: the portal sends a stranger to
	// sign in (here its provider is unreachable, so 503), the API answers 404.
	if code, body := get(base + "/metrics"); code == http.StatusOK || strings.Contains(body, "ciam_http_requests_total") {
		t.Errorf("public /metrics: %d, serving metrics", code)
	}
	if code, _ := get(base + "/api/v2.1/metrics"); code != http.StatusNotFound {
		t.Errorf("public /api/v2.1/metrics: %d, want 404", code)
	}
	if code, _ := get(strings.TrimSuffix(metricsURL, "/metrics") + "/readyz"); code != http.StatusNotFound {
		t.Errorf("the metrics address serves the application: /readyz %d", code)
	}
	want := []string{
		`ciam_http_requests_total{code="200",route="GET /readyz"} `,
		`ciam_http_requests_total{code="404",route="unmatched"} 1`,
		`ciam_job_duration_seconds_count{kind="webhook.pump"} `,
		`ciam_db_pool_max_connections `,
	}
	var body string
	for {
		var code int
		code, body = get(metricsURL)
		missing := false
		for _, w := range want {
			missing = missing || !strings.Contains(body, w)
		}
		if code == http.StatusOK && !missing {
			break
		}
		if time.Now().After(deadline) {
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("metrics lack %q", w)
				}
			}
			t.Fatalf("metrics: %d\n%s", code, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
