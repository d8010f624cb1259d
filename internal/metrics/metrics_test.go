package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A nil *Metrics records nothing and does not fail: code that runs
// without metrics calls it freely.
func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	m.Route("GET /x").Observe(200, time.Millisecond)
	m.Unmatched().Observe(404, time.Millisecond)
	m.RateLimited("token")
	m.SignInFailed(Customer, "WRONG_PASSWORD", true)
	m.AMLDecision("ALLOW", false)
	m.WebhookDelivery("DELIVERED")
	if m.JobMiddleware() != nil {
		t.Error("a nil *Metrics has a job middleware")
	}
}

// The counters count what they are told, by the labels they are given,
// and the handler serves them in the text format.
func TestCountersByLabel(t *testing.T) {
	m := New(Options{})
	r := m.Route("GET /customers/{id}")
	for _, code := range []int{200, 200, 404, 200} {
		r.Observe(code, 10*time.Millisecond)
	}
	if m.Route("GET /customers/{id}") != r {
		t.Error("a route's series are made twice")
	}
	m.RateLimited("token")
	m.RateLimited("token")
	m.RateLimited("login")
	m.SignInFailed(Customer, "WRONG_PASSWORD", false)
	m.SignInFailed(Customer, "WRONG_PASSWORD", true)
	m.AMLDecision("BLOCK", false)
	m.AMLDecision("BLOCK", true)
	m.WebhookDelivery("PENDING")
	m.WebhookDelivery("DEAD")
	got := map[string]float64{
		"200":             testutil.ToFloat64(m.requests.WithLabelValues("GET /customers/{id}", "200")),
		"404":             testutil.ToFloat64(m.requests.WithLabelValues("GET /customers/{id}", "404")),
		"limit token":     testutil.ToFloat64(m.rateLimited.WithLabelValues("token")),
		"limit login":     testutil.ToFloat64(m.rateLimited.WithLabelValues("login")),
		"wrong password":  testutil.ToFloat64(m.signInFails.WithLabelValues(Customer, "WRONG_PASSWORD")),
		"lockouts":        testutil.ToFloat64(m.lockouts.WithLabelValues(Customer)),
		"block":           testutil.ToFloat64(m.amlDecision.WithLabelValues("BLOCK")),
		"webhook retry":   testutil.ToFloat64(m.webhooks.WithLabelValues(Retry)),
		"webhook dead":    testutil.ToFloat64(m.webhooks.WithLabelValues(Dead)),
		"webhook success": testutil.ToFloat64(m.webhooks.WithLabelValues(Delivered)),
	}
	want := map[string]float64{"200": 3, "404": 1, "limit token": 2, "limit login": 1, "wrong password": 2, "lockouts": 1,
		"block": 1, "webhook retry": 1, "webhook dead": 1, "webhook success": 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counters (-want +got):\n%s", diff)
	}

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, line := range []string{
		`ciam_rate_limited_total{limit="token"} 2`,
		`ciam_http_request_duration_seconds_count{route="GET /customers/{id}"} 4`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, line) {
			t.Errorf("the handler does not serve %q", line)
		}
	}
}
