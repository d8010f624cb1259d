package web

import (
	"encoding/json"
	"github.com/PuerkitoBio/goquery"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/staff"
)

// waitUntil polls cond until it holds, failing the test after 30 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// breakerRow is a subscription's breaker as stored.
type breakerRow struct {
	ID               string
	Failures, Opened int
	OpenUntil        *time.Time
	Pending, Dead    int
	Queued, Attempts int
	Delivered        int
}

func readBreaker(t *testing.T, rawURL string) breakerRow {
	t.Helper()
	var b breakerRow
	err := dbtest.OwnerPool(t).QueryRow(t.Context(), `SELECT s.id::text, s.breaker_failures, s.breaker_opened, s.breaker_open_until,
		count(d.id) FILTER (WHERE d.status = 'PENDING'), count(d.id) FILTER (WHERE d.status = 'DEAD'),
		count(d.id) FILTER (WHERE d.status = 'PENDING' AND d.enqueued_at IS NOT NULL), coalesce(sum(d.attempts), 0),
		count(d.id) FILTER (WHERE d.status = 'DELIVERED')
		FROM webhook_subscriptions s LEFT JOIN webhook_deliveries d ON d.subscription_id = s.id
		WHERE s.url = $1 GROUP BY s.id`, rawURL).Scan(&b.ID, &b.Failures, &b.Opened, &b.OpenUntil, &b.Pending, &b.Dead, &b.Queued, &b.Attempts, &b.Delivered)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// deliveredEventIDs are the distinct event ids of calls, in the order first seen.
func deliveredEventIDs(calls []received) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range calls {
		var b event.Body
		_ = json.Unmarshal(c.Body, &b)
		if id := b.EventID.String(); !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// A receiver that answers 503 trips its subscription's breaker: its
// deliveries stop being attempted, spend no attempts and do not go dead,
// while another subscription's are delivered throughout. Once the back-off
// has passed one trial goes out; Retry now in the portal half-opens it, and
// the receiver, healthy again, gets every queued delivery.
func TestWebhookBreakerPausesAFailingEndpoint(t *testing.T) {
	h := newHarness(t)
	h.s.Webhooks.AllowPrivateNetworks = true
	h.s.Webhooks.MaxAttempts = 4
	h.s.Webhooks.BreakerThreshold = 3
	// Long enough that only the test ends a back-off, by moving it.
	h.s.Webhooks.BreakerBase = time.Hour
	h.s.Webhooks.BreakerCap = 24 * time.Hour
	dt := h.demoTenant()
	c := h.cookieFor(h.employeeOf(dt.ID, staff.TenantAdmin))
	down := newReceiver(t, 1<<30)
	up := newReceiver(t, 0)
	downURL, upURL := down.srv.URL+"/down", up.srv.URL+"/up"
	h.subscribe(c, downURL, "customer.registered")
	h.subscribe(c, upURL, "customer.registered")
	h.startJobs()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite)
	register := func() {
		t.Helper()
		if resp, out := h.apiCall("POST", registerPath, dt.Slug, tok, variant(t, nil), nil); resp.StatusCode != 201 {
			t.Fatalf("register: %d %v", resp.StatusCode, out)
		}
	}
	for range 3 {
		register()
	}

	// Three failures open the breaker; every delivery then waits unqueued.
	waitUntil(t, "the breaker opens and the deliveries are parked", func() bool {
		b := readBreaker(t, downURL)
		if b.Dead > 0 {
			t.Fatalf("deliveries went dead instead of pausing: %+v", b)
		}
		return b.OpenUntil != nil && b.Queued == 0
	})
	tripped := len(down.calls())
	if tripped < 3 {
		t.Fatalf("the breaker opened after %d calls", tripped)
	}
	// New events are delivered to the healthy endpoint, not tried on the paused one.
	for range 2 {
		register()
	}
	// The receiver sees a call before the worker marks it delivered: wait for both.
	waitUntil(t, "the healthy endpoint gets all five", func() bool {
		return len(deliveredEventIDs(up.calls())) == 5 && readBreaker(t, upURL).Delivered == 5
	})
	b := readBreaker(t, downURL)
	if n := len(down.calls()); n != tripped || b.Pending != 5 || b.Dead != 0 || b.Queued != 0 || b.Attempts != tripped {
		t.Fatalf("paused: %d calls (was %d), %+v; want no new call, 5 pending unqueued, none dead, attempts = calls", n, tripped, b)
	}
	if b.Opened != 1 || b.OpenUntil.Before(time.Now().Add(40*time.Minute)) {
		t.Fatalf("breaker %+v; want opened once, for about an hour", b)
	}
	if u := readBreaker(t, upURL); u.OpenUntil != nil || u.Failures != 0 || u.Delivered != 5 {
		t.Fatalf("healthy endpoint %+v", u)
	}

	// The portal shows the pause.
	// (The demo tenant may hold other tests' subscriptions: only this
	// test's two rows count.)
	list := doc(t, h.get("/webhooks", c))
	rowIn := func(list *goquery.Document, u string) *goquery.Selection {
		return list.Find(`[data-testid="subscription-row"]`).FilterFunction(func(_ int, r *goquery.Selection) bool {
			return strings.TrimSpace(r.Find("a").First().Text()) == u
		})
	}
	rowOf := func(u string) *goquery.Selection { return rowIn(list, u) }
	if n := rowOf(downURL).Find(`[data-testid="breaker"]`).Length(); n != 1 {
		t.Fatalf("the paused endpoint shows %d breaker notes; want 1", n)
	}
	if n := rowOf(upURL).Find(`[data-testid="breaker"]`).Length(); n != 0 || rowOf(upURL).Length() != 1 {
		t.Fatalf("the healthy endpoint shows %d breaker notes (%d rows); want none", n, rowOf(upURL).Length())
	}
	shown := strings.Join(strings.Fields(rowOf(downURL).Find(`[data-testid="breaker"][data-state="open"]`).Text()), " ")
	if !strings.Contains(shown, "Paused until ") || !strings.Contains(shown, "failures") || !strings.Contains(shown, "last error: the receiver answered 503") {
		t.Fatalf("breaker shown as %q", shown)
	}

	// The back-off passes (moved, not waited for): one trial, it fails, and
	// the breaker opens again for longer.
	if _, err := dbtest.OwnerPool(t).Exec(t.Context(), "UPDATE webhook_subscriptions SET breaker_open_until = now() - interval '1 second' WHERE url = $1", downURL); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the trial fails and the breaker reopens", func() bool {
		b := readBreaker(t, downURL)
		return b.Opened == 2 && b.OpenUntil != nil && b.OpenUntil.After(time.Now()) && b.Queued == 0
	})
	b = readBreaker(t, downURL)
	if n := len(down.calls()); n != tripped+1 || b.Pending != 5 || b.Dead != 0 || b.OpenUntil.Before(time.Now().Add(90*time.Minute)) {
		t.Fatalf("after the back-off: %d calls (tripped at %d), %+v; want one trial, a longer back-off, nothing dead", n, tripped, b)
	}

	// Someone without the permission cannot retry; a closed breaker has
	// nothing to retry.
	ac := h.cookieFor(h.employeeOf(dt.ID, staff.Analyst))
	if resp := h.post("/webhooks/"+b.ID+"/retry", nil, ac); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("analyst retry: %d", resp.StatusCode)
	}
	if resp := h.post("/webhooks/"+readBreaker(t, upURL).ID+"/retry", nil, c); resp.StatusCode != http.StatusConflict {
		t.Fatalf("retry of a closed breaker: %d", resp.StatusCode)
	}

	// Healthy again; Retry now from the portal: the trial succeeds, the
	// breaker closes and every queued delivery arrives.
	down.mu.Lock()
	down.failures = 0
	down.mu.Unlock()
	if got := text(doc(t, h.get("/webhooks/"+b.ID, c)), `[data-testid="breaker"]`); !strings.Contains(got, "after") || !strings.Contains(got, "Retry now") {
		t.Fatalf("the subscription's page shows the breaker as %q", got)
	}
	action, _ := doc(t, h.get("/webhooks", c)).Find(`[data-testid="breaker"] form`).Attr("action")
	resp := h.post(action, nil, c)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/webhooks/"+b.ID {
		t.Fatalf("retry now: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	waitUntil(t, "the paused deliveries arrive", func() bool { return readBreaker(t, downURL).Delivered == 5 })
	b = readBreaker(t, downURL)
	if b.OpenUntil != nil || b.Failures != 0 || b.Opened != 0 || b.Dead != 0 {
		t.Fatalf("after recovery %+v; want closed and reset", b)
	}
	if got := deliveredEventIDs(down.calls()[tripped+1:]); len(got) != 5 {
		t.Fatalf("after Retry now the receiver got %d distinct events; want 5", len(got))
	}
	if n := rowIn(doc(t, h.get("/webhooks", c)), downURL).Find(`[data-testid="breaker"]`).Length(); n != 0 {
		t.Fatalf("the recovered endpoint is still shown paused (%d notes)", n)
	}
	for action, want := range map[string]int{"webhook.subscription.paused": 2, "webhook.subscription.retried": 1, "webhook.subscription.resumed": 1} {
		var n int
		if err := dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = $2 AND entity_id = $3",
			dt.ID, action, b.ID).Scan(&n); err != nil || n != want {
			t.Errorf("%d %s audit records (%v); want %d", n, action, err, want)
		}
	}
}
