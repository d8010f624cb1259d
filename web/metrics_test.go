package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/riverqueue/river"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/jobs"
	"github.com/ciamhq/ciam/internal/metrics"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

// scrape is what the metrics handler at url answers, parsed as Prometheus
// does.
type scrape map[string]*dto.MetricFamily

func scrapeMetrics(t *testing.T, url string) scrape {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	return fams
}

// series is the metric of family name whose labels include labels, or nil.
func (s scrape) series(name string, labels map[string]string) *dto.Metric {
	fam, ok := s[name]
	if !ok {
		return nil
	}
	for _, m := range fam.GetMetric() {
		match := 0
		for _, lp := range m.GetLabel() {
			if v, ok := labels[lp.GetName()]; ok && v == lp.GetValue() {
				match++
			}
		}
		if match == len(labels) {
			return m
		}
	}
	return nil
}

// value is a counter's or gauge's value, 0 when the series is missing.
func (s scrape) value(name string, labels map[string]string) float64 {
	m := s.series(name, labels)
	switch {
	case m == nil:
		return 0
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return 0
}

// count is a histogram's count, 0 when the series is missing.
func (s scrape) count(name string, labels map[string]string) uint64 {
	if m := s.series(name, labels); m != nil && m.Histogram != nil {
		return m.Histogram.GetSampleCount()
	}
	return 0
}

// The metrics say what happened: requests by route pattern and code, with
// their durations; the pool, the queue, the outbox and the lists; failed
// sign-ins; and the public address does not serve them.
func TestMetricsCountWhatHappened(t *testing.T) {
	h := newHarness(t)
	h.loadLists()
	h.s.Webhooks.AllowPrivateNetworks = true
	ms := httptest.NewServer(h.s.Metrics.Handler())
	t.Cleanup(ms.Close)

	admin := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
	_, c := h.signIn(staff.TenantAdmin)
	rc := newReceiver(t, 0)
	h.subscribe(c, rc.srv.URL+"/hooks", "customer.registered")
	// A job due in an hour is queue depth the whole test long.
	inserter, err := jobs.NewInserter(h.pool)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inserter.Insert(t.Context(), event.PumpArgs{}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	before := scrapeMetrics(t, ms.URL)

	getCustomer := "GET " + api.Prefix + "/customers/{id}"
	register := "POST " + api.Prefix + "/customer/individual/registration"
	session := "POST " + api.Prefix + "/customer/session"
	id, email := h.newCustomer(admin) // 201, and a delivery in the outbox
	for range 2 {
		if resp, out := h.apiCall("GET", api.Prefix+"/customers/"+id, h.tenant.Slug, admin, "", nil); resp.StatusCode != 200 {
			t.Fatalf("get customer: %d %v", resp.StatusCode, out)
		}
	}
	if resp, _ := h.apiCall("GET", api.Prefix+"/customers/"+uuid.NewString(), h.tenant.Slug, admin, "", nil); resp.StatusCode != 404 {
		t.Fatalf("get a customer of no one: %d", resp.StatusCode)
	}
	if resp, _ := h.apiCall("GET", api.Prefix+"/no/such/path", h.tenant.Slug, admin, "", nil); resp.StatusCode != 404 {
		t.Fatalf("unknown API path: %d", resp.StatusCode)
	}
	if resp, _ := h.login(email, "Wrong-Passw0rd!"); resp.StatusCode != 401 {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	if resp, _ := h.login("nobody-"+uuid.NewString()[:6]+"@example.com", examplePass); resp.StatusCode != 401 {
		t.Fatalf("unknown e-mail: %d", resp.StatusCode)
	}
	// The public address has no /metrics: a stranger is sent to sign in.
	if resp := h.get("/metrics"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("the public address answers /metrics with %d to %q; want 303 to sign-in", resp.StatusCode, resp.Header.Get("Location"))
	}

	after := scrapeMetrics(t, ms.URL)
	for _, tc := range []struct {
		route, code string
		want        float64
	}{
		{register, "201", 1},
		{getCustomer, "200", 2},
		{getCustomer, "404", 1},
		{"unmatched", "404", 1}, // the API path no route takes
		{"unmatched", "303", 1}, // the public /metrics, to sign-in
		{session, "401", 2},
	} {
		labels := map[string]string{"route": tc.route, "code": tc.code}
		if got := after.value("ciam_http_requests_total", labels) - before.value("ciam_http_requests_total", labels); got != tc.want {
			t.Errorf("ciam_http_requests_total%v went up by %v, want %v", labels, got, tc.want)
		}
	}
	for route, want := range map[string]uint64{getCustomer: 3, register: 1, session: 2} {
		labels := map[string]string{"route": route}
		if got := after.count("ciam_http_request_duration_seconds", labels) - before.count("ciam_http_request_duration_seconds", labels); got != want {
			t.Errorf("ciam_http_request_duration_seconds_count{route=%q} went up by %d, want %d", route, got, want)
		}
	}
	for _, fam := range after {
		for _, m := range fam.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "route" && strings.Contains(lp.GetValue(), id) {
					t.Errorf("a raw path is a label: %s", lp.GetValue())
				}
			}
		}
	}
	for reason, want := range map[string]float64{"WRONG_PASSWORD": 1, "UNKNOWN_EMAIL": 1} {
		labels := map[string]string{"who": "customer", "reason": reason}
		if got := after.value("ciam_signin_failures_total", labels) - before.value("ciam_signin_failures_total", labels); got != want {
			t.Errorf("ciam_signin_failures_total%v went up by %v, want %v", labels, got, want)
		}
	}

	// The database's figures are read at most once per metrics.CacheFor:
	// the scrape before the requests may still answer for this one.
	state := after
	for wait := time.Now().Add(3 * metrics.CacheFor); state.value("ciam_outbox_undelivered", nil) < 1 && time.Now().Before(wait); {
		time.Sleep(200 * time.Millisecond)
		state = scrapeMetrics(t, ms.URL)
	}
	after = state
	if after.series("ciam_db_pool_max_connections", nil) == nil || after.series("ciam_db_pool_connections", map[string]string{"state": "idle"}) == nil ||
		after.series("ciam_db_pool_acquires_total", nil) == nil {
		t.Error("the pool's series are missing")
	}
	if after.value("ciam_metrics_database_read_ok", nil) != 1 {
		t.Fatal("the database figures could not be read")
	}
	if after.series("ciam_outbox_lag_seconds", nil) == nil || after.value("ciam_outbox_lag_seconds", nil) < 0 {
		t.Errorf("outbox lag missing or negative: %v", after.series("ciam_outbox_lag_seconds", nil))
	}
	if after.value("ciam_outbox_undelivered", nil) < 1 {
		t.Errorf("the registration's webhook delivery is not counted as undelivered: %v", after.value("ciam_outbox_undelivered", nil))
	}
	if got := after.value("ciam_jobs", map[string]string{"queue": river.QueueDefault, "state": "scheduled"}); got < 1 {
		t.Errorf("queue depth of scheduled jobs: %v, want at least 1", got)
	}
	if after.series("ciam_review_sla_breaches", nil) == nil {
		t.Error("review SLA breaches missing")
	}
	if after.series("go_goroutines", nil) == nil || after.series("process_cpu_seconds_total", nil) == nil {
		t.Error("Go's and the process's collectors are missing")
	}
	sources, err := h.s.Screening.Sources(actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"}))
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, src := range sources {
		labels := map[string]string{"list": src.ID}
		if after.series("ciam_screening_list_age_seconds", labels) == nil || after.value("ciam_screening_list_age_seconds", labels) < 0 {
			t.Errorf("list age of %s missing or negative", src.ID)
		}
		total += after.value("ciam_screening_list_entries", labels)
	}
	if len(sources) < 3 || total == 0 || after.value("ciam_screening_index_entries", nil) != total {
		t.Errorf("%d lists with %v entries, index %v", len(sources), total, after.value("ciam_screening_index_entries", nil))
	}

	// The queue works the delivery: the job is timed by kind, the delivery
	// counted by outcome, and the outbox empties.
	h.startJobs()
	deadline := time.Now().Add(30 * time.Second)
	for len(rc.calls()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if len(rc.calls()) == 0 {
		t.Fatal("the webhook was not delivered")
	}
	var worked scrape
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		worked = scrapeMetrics(t, ms.URL)
		if worked.value("ciam_webhook_deliveries_total", map[string]string{"outcome": "delivered"}) >= 1 {
			break
		}
	}
	if got := worked.value("ciam_webhook_deliveries_total", map[string]string{"outcome": "delivered"}); got != 1 {
		t.Errorf("delivered webhooks: %v, want 1", got)
	}
	kind := map[string]string{"kind": "webhook.deliver"}
	if worked.count("ciam_job_duration_seconds", kind) < 1 || worked.count("ciam_job_wait_seconds", kind) < 1 {
		t.Errorf("the delivery job is not timed: duration %d, wait %d", worked.count("ciam_job_duration_seconds", kind), worked.count("ciam_job_wait_seconds", kind))
	}
	if worked.count("ciam_job_duration_seconds", map[string]string{"kind": "webhook.pump"}) < 1 {
		t.Error("the pump job is not timed")
	}
}

// A lockout is counted with the failure that caused it, an employee's
// failed sign-in by its reason, an AML decision
// once however often the same transaction is screened, and the KYC
// pipeline's stages are timed as the queue works them.
func TestMetricsCountLockoutsDecisionsAndStages(t *testing.T) {
	h := newHarness(t)
	h.s.Webhooks.AllowPrivateNetworks = true
	ms := httptest.NewServer(h.s.Metrics.Handler())
	t.Cleanup(ms.Close)
	admin := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeCustomersRead, credential.ScopeAML)
	h.settings("login_max_failures = 2, login_lockout = '15 minutes'")
	_, email := h.newCustomer(admin)
	customer := h.amlCustomer(admin)
	before := scrapeMetrics(t, ms.URL)

	for i := range 2 {
		if resp, _ := h.login(email, fmt.Sprintf("Wrong-%d-Passw0rd!", i)); resp.StatusCode != 401 {
			t.Fatalf("wrong password %d: %d", i, resp.StatusCode)
		}
	}
	// An employee's callback without the sign-in it completes.
	if resp := h.get("/auth/callback?code=good-code&state=nope"); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("callback without a flow: %d", resp.StatusCode)
	}
	decision := ""
	body := screenBody(customer, "m-1", "25.00", "EUR", time.Now().UTC().Format(time.RFC3339), nil)
	for range 2 {
		resp, out := h.apiCall("POST", screenPath, h.tenant.Slug, admin, body, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("screen: %d %v", resp.StatusCode, out)
		}
		decision = out["data"].(map[string]any)["decision"].(string)
	}
	after := scrapeMetrics(t, ms.URL)
	diff := func(name string, labels map[string]string) float64 {
		return after.value(name, labels) - before.value(name, labels)
	}
	if got := diff("ciam_signin_failures_total", map[string]string{"who": "customer", "reason": "WRONG_PASSWORD"}); got != 2 {
		t.Errorf("wrong passwords counted: %v, want 2", got)
	}
	if got := diff("ciam_signin_failures_total", map[string]string{"who": "staff", "reason": "STATE_MISSING"}); got != 1 {
		t.Errorf("staff sign-in failures counted: %v, want 1", got)
	}
	if got := diff("ciam_lockouts_total", map[string]string{"who": "customer"}); got != 1 {
		t.Errorf("lockouts counted: %v, want 1", got)
	}
	if got := diff("ciam_aml_decisions_total", map[string]string{"outcome": decision}); got != 1 {
		t.Errorf("AML decisions %s counted: %v, want 1 (the second screening is a replay)", decision, got)
	}

	// The pipeline: a verification's documents go through evidence,
	// checks and routing on the queue.
	dt := h.demoTenant()
	h.startJobs()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeCustomersRead, credential.ScopeVerificationWrite, credential.ScopeVerificationReview)
	_, vr := h.onboarded(dt, tok, func(m map[string]any) { noCategory(m) })
	resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, passport(t, nil), utilityBill(time.Now().AddDate(0, -1, 0)), selfie(t)), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	stages := []string{"evidence", "checks", "routing"}
	deadline := time.Now().Add(60 * time.Second)
	for {
		s := scrapeMetrics(t, ms.URL)
		var missing []string
		for _, st := range stages {
			if s.count("ciam_kyc_stage_duration_seconds", map[string]string{"stage": st}) == 0 {
				missing = append(missing, st)
			}
		}
		if len(missing) == 0 {
			if s.count("ciam_job_duration_seconds", map[string]string{"kind": "kyc.evidence"}) == 0 {
				t.Error("the evidence job is not timed by kind")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("KYC stages never timed: %v", missing)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
