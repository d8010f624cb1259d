package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/jobs"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

// startJobs runs the job queue for this harness's database.
func (h *harness) startJobs() {
	h.t.Helper()
	h.s.Webhooks.RetryBase = 100 * time.Millisecond
	r, err := jobs.New(h.pool, jobs.Config{Webhooks: h.s.Webhooks, KYC: h.s.KYC, PumpEvery: 100 * time.Millisecond, Logger: h.s.Logger, Tracing: h.s.Tracing,
		Screening: h.s.Screening, Subjects: h.s.KYC.ScreeningSubjects(h.s.Customers.ScreeningSubjects()), Metrics: h.s.Metrics})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := r.Start(h.t.Context()); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = r.Stop(h.t.Context()) })
}

// receiver is a tenant's webhook endpoint that is down for its first
// failures requests.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	failures int
	got      []received
}

type received struct {
	EventID, Header, Signature string
	Body                       []byte
}

func newReceiver(t *testing.T, failures int) *receiver {
	rc := &receiver{failures: failures}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.got = append(rc.got, received{EventID: r.Header.Get("X-Event-ID"), Signature: r.Header.Get("X-Signature"), Body: body})
		if rc.failures > 0 {
			rc.failures--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) calls() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func (h *harness) subscribe(c *http.Cookie, rawURL string, types ...string) string {
	h.t.Helper()
	resp := h.follow(h.post("/webhooks", url.Values{"url": {rawURL}, "eventTypes": types}, c), c)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("subscribe: %d", resp.StatusCode)
	}
	secret := text(doc(h.t, resp), `[data-testid="revealed-secret"]`)
	if !strings.HasPrefix(secret, "whsec_") {
		h.t.Fatalf("secret %q", secret)
	}
	return secret
}

func TestWebhooksSurviveAReceiverThatIsDownThenUp(t *testing.T) {
	h := newHarness(t)
	h.s.Webhooks.AllowPrivateNetworks = true
	dt := h.demoTenant()
	adminEmp := h.employeeOf(dt.ID, staff.TenantAdmin)
	c := h.cookieFor(adminEmp)
	rc := newReceiver(t, 4)
	secret := h.subscribe(c, rc.srv.URL+"/hooks", "customer.registered")
	h.startJobs()

	tok := h.adminToken(dt, credential.ScopeCustomersWrite)
	want := map[string]bool{}
	for range 3 {
		resp, out := h.apiCall("POST", registerPath, dt.Slug, tok, variant(t, nil), nil)
		if resp.StatusCode != 201 {
			t.Fatalf("register: %d %v", resp.StatusCode, out)
		}
		want[out["data"].(map[string]any)["customerId"].(string)] = true
	}

	deadline := time.Now().Add(30 * time.Second)
	delivered := map[string]bool{} // customer ids whose event was accepted
	for len(delivered) < len(want) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		delivered = map[string]bool{}
		calls := rc.calls()
		for i, call := range calls {
			if i < 4 {
				continue // the first four were refused
			}
			var b event.Body
			_ = json.Unmarshal(call.Body, &b)
			var data struct{ CustomerID string }
			_ = json.Unmarshal(b.Data, &data)
			delivered[data.CustomerID] = true
		}
	}
	if len(delivered) != len(want) {
		t.Fatalf("delivered %d of %d events: %d calls", len(delivered), len(want), len(rc.calls()))
	}
	byEvent := map[string]int{}
	for _, call := range rc.calls() {
		var b event.Body
		if err := json.Unmarshal(call.Body, &b); err != nil {
			t.Fatal(err)
		}
		if call.EventID != b.EventID.String() || b.Event != "customer.registered" {
			t.Errorf("X-Event-ID %s, body eventId %s, event %s", call.EventID, b.EventID, b.Event)
		}
		if !event.VerifySignature(secret, call.Signature, call.Body, time.Now(), 5*time.Minute) {
			t.Errorf("bad signature %q", call.Signature)
		}
		byEvent[call.EventID]++
	}
	repeats := 0
	for _, n := range byEvent {
		if n > 1 {
			repeats++
		}
	}
	if len(byEvent) != 3 || repeats == 0 {
		t.Fatalf("events %v: want 3 distinct ids, retried ones repeating theirs", byEvent)
	}
	// The receiver has every event; the worker records the last delivery
	// just after the receiver answers it, so that is waited for.
	waitUntil(t, "every delivery recorded as delivered", func() bool {
		var pending int
		if err := dbtest.OwnerPool(t).QueryRow(t.Context(), `SELECT count(*) FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
			WHERE d.tenant_id = $1 AND s.url = $2 AND d.status <> 'DELIVERED'`, dt.ID, rc.srv.URL+"/hooks").Scan(&pending); err != nil {
			t.Fatal(err)
		}
		return pending == 0
	})

	// The delivery log shows them, and a re-send delivers the same event id again.
	list := doc(t, h.get("/webhooks", c))
	href, _ := list.Find(`[data-testid="subscription-row"] a`).First().Attr("href")
	log := doc(t, h.get(href, c))
	if n := log.Find(`[data-testid="delivery-row"][data-status="DELIVERED"]`).Length(); n != 3 {
		t.Fatalf("log shows %d delivered rows", n)
	}
	action, _ := log.Find(`[data-testid="delivery-row"] form`).First().Attr("action")
	before := len(rc.calls())
	if resp := h.post(action, nil, c); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("resend: %d", resp.StatusCode)
	}
	for time.Now().Before(deadline) && len(rc.calls()) == before {
		time.Sleep(50 * time.Millisecond)
	}
	calls := rc.calls()
	if len(calls) != before+1 || byEvent[calls[len(calls)-1].EventID] == 0 {
		t.Fatalf("re-send: %d calls, last event %s", len(calls), calls[len(calls)-1].EventID)
	}
}

func TestWebhookDeadAfterMaxAttempts(t *testing.T) {
	h := newHarness(t)
	h.s.Webhooks.AllowPrivateNetworks = true
	h.s.Webhooks.MaxAttempts = 3
	_, c := h.signIn(staff.TenantAdmin)
	rc := newReceiver(t, 1000)
	h.subscribe(c, rc.srv.URL, "config.changed")
	h.startJobs()
	// An approved change writes config.changed.
	_, cc := h.signIn(staff.SeniorReviewer)
	h.approve(h.proposeGrant(c, h.employee(staff.Analyst).ID.String(), "AUDITOR"), cc)

	deadline := time.Now().Add(20 * time.Second)
	var status string
	var attempts int
	for time.Now().Before(deadline) {
		_ = dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT status, attempts FROM webhook_deliveries WHERE tenant_id = $1", h.tenant.ID).Scan(&status, &attempts)
		if status == "DEAD" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status != "DEAD" || attempts != 3 || len(rc.calls()) != 3 {
		t.Fatalf("status %s after %d attempts, %d calls; want DEAD after 3", status, attempts, len(rc.calls()))
	}
}

func TestWebhookSubscriptionValidation(t *testing.T) {
	h := newHarness(t)
	_, c := h.signIn(staff.TenantAdmin)
	for _, tc := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"url": {"ftp://x.example"}}, "wh-url"},
		{url.Values{"url": {"http://plain.example/hook"}}, "wh-url"}, // https only unless private networks are allowed
		{url.Values{"url": {"https://93.184.215.14/hook"}, "eventTypes": {"no.such.event"}}, "eventTypes"},
		{url.Values{"url": {"https://93.184.215.14/" + strings.Repeat("a", 5000)}}, "wh-url"}, // at most 2,048 characters
		{url.Values{"url": {"https://no-such-host.invalid/hook"}}, "wh-url"},                  // the host must resolve
		{url.Values{"url": {"https://localhost/hook"}}, "wh-url"},                             // loopback, by name
		{url.Values{"url": {"https://127.0.0.1/hook"}}, "wh-url"},                             // loopback
		{url.Values{"url": {"https://10.1.2.3/hook"}}, "wh-url"},                              // private
		{url.Values{"url": {"https://169.254.169.254/latest/meta-data"}}, "wh-url"},           // link-local: cloud metadata
		{url.Values{"url": {"https://100.64.0.1/hook"}}, "wh-url"},                            // CGNAT
		{url.Values{"url": {"https://100.127.255.254/hook"}}, "wh-url"},                       // CGNAT, its last address
		{url.Values{"url": {"https://[64:ff9b::a00:1]/hook"}}, "wh-url"},                      // NAT64 of 10.0.0.1
		{url.Values{"url": {"https://[::ffff:10.0.0.1]/hook"}}, "wh-url"},                     // IPv4-mapped private
		{url.Values{"url": {"https://[fd12:3456::1]/hook"}}, "wh-url"},                        // unique local
		{url.Values{"url": {"https://[::1]:8443/hook"}}, "wh-url"},                            // loopback, IPv6
	} {
		resp := h.post("/webhooks", tc.form, c)
		if resp.StatusCode != http.StatusUnprocessableEntity || text(doc(t, resp), `[data-testid="error-`+tc.field+`"]`) == "" {
			t.Errorf("%.80v: %d; want an error on %s", tc.form, resp.StatusCode, tc.field)
		}
	}
	// A public address is accepted; nothing was stored for the refused ones.
	h.subscribe(c, "https://93.184.215.14/hook", "config.changed")
	var n int
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT count(*) FROM webhook_subscriptions WHERE tenant_id = $1", h.tenant.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d subscriptions stored (%v); want the public one only", n, err)
	}
	if h.s.Webhooks.AllowPrivateNetworks {
		t.Fatal("private networks allowed by default")
	}
}

// A subscription made while its address was allowed (as a name that
// resolved to a public address and now resolves to a private one: DNS
// rebinding) is refused again at delivery, when the worker connects.
func TestWebhookDeliveryRefusesPrivateAddressesAtConnect(t *testing.T) {
	h := newHarness(t)
	h.s.Webhooks.AllowPrivateNetworks = true
	h.s.Webhooks.MaxAttempts = 1
	_, c := h.signIn(staff.TenantAdmin)
	rc := newReceiver(t, 0)
	h.subscribe(c, rc.srv.URL+"/hooks", "config.changed")
	h.s.Webhooks.AllowPrivateNetworks = false
	h.startJobs()
	_, cc := h.signIn(staff.SeniorReviewer)
	h.approve(h.proposeGrant(c, h.employee(staff.Analyst).ID.String(), "AUDITOR"), cc)

	deadline := time.Now().Add(20 * time.Second)
	var status, lastError string
	for time.Now().Before(deadline) && status != "DEAD" {
		time.Sleep(100 * time.Millisecond)
		_ = dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT status, last_error FROM webhook_deliveries WHERE tenant_id = $1", h.tenant.ID).Scan(&status, &lastError)
	}
	if status != "DEAD" || !strings.Contains(lastError, "private") || len(rc.calls()) != 0 {
		t.Fatalf("status %s, error %q, %d calls; want DEAD, refused before connecting", status, lastError, len(rc.calls()))
	}
}

func TestEventsReplay(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeEventsRead)
	_, first := h.apiCall("GET", api.Prefix+"/events?limit=500", dt.Slug, tok, "", nil)
	cursor := first["nextCursor"].(string)
	for range 2 {
		h.apiCall("POST", registerPath, dt.Slug, tok, variant(t, nil), nil)
	}
	resp, out := h.apiCall("GET", api.Prefix+"/events?after="+cursor, dt.Slug, tok, "", nil)
	evs := out["data"].([]any)
	if resp.StatusCode != 200 || len(evs) != 2 || evs[0].(map[string]any)["event"] != "customer.registered" {
		t.Fatalf("replay: %d %v", resp.StatusCode, out)
	}
	next := out["nextCursor"].(string)
	if _, again := h.apiCall("GET", api.Prefix+"/events?after="+next, dt.Slug, tok, "", nil); len(again["data"].([]any)) != 0 || again["nextCursor"] != next {
		t.Fatalf("after the last event: %v", again)
	}
	if resp, out := h.apiCall("GET", api.Prefix+"/events?after=abc", dt.Slug, tok, "", nil); resp.StatusCode != 422 || details(out)[0] != "after: must be a cursor from an earlier nextCursor" {
		t.Fatalf("bad cursor: %d %v", resp.StatusCode, out)
	}
	// Another tenant's events are not there.
	other := h.adminToken(h.tenant, credential.ScopeEventsRead)
	_, o := h.apiCall("GET", api.Prefix+"/events?after="+cursor, h.tenant.Slug, other, "", nil)
	for _, e := range o["data"].([]any) {
		if e.(map[string]any)["event"] == "customer.registered" {
			t.Fatal("another tenant's events leaked")
		}
	}
}

func eventVerify(secret, header string, body []byte) bool {
	return event.VerifySignature(secret, header, body, time.Now(), 5*time.Minute)
}
