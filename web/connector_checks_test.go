package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ciamhq/ciam/internal/staff"
)

// The periodic connector check backs off a connector that keeps failing:
// after three failures its checks pause, the portal says until when, a
// manual test still runs, and a healthy answer resumes the checks.
func TestConnectorChecksPauseAfterFailures(t *testing.T) {
	h := newHarness(t)
	h.s.Catalog.AllowPrivateNetworks = true
	h.s.Catalog.CheckBackOff = time.Hour
	var mu sync.Mutex
	calls, failing := 0, true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if failing {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	seen := func() int { mu.Lock(); defer mu.Unlock(); return calls }
	now := time.Now().UTC().Truncate(time.Second)
	h.clock.set(now)
	later := func(d time.Duration) { now = now.Add(d); h.clock.set(now) }
	_, mc := h.signIn(staff.TenantAdmin)
	page := h.newConnector(&mc, "SMS_SENDER", "Flaky SMS", map[string]string{"baseUrl": srv.URL, "senderId": "ACME"})
	h.submit(&mc, page+"/status", url.Values{"status": {"ENABLED"}}, http.StatusSeeOther)
	check := func(want int) {
		t.Helper()
		if n, err := h.s.Catalog.CheckDueConnectors(t.Context()); err != nil || n != want {
			t.Fatalf("periodic check: %d checked (%v); want %d", n, err, want)
		}
	}

	// Three failed checks, each once due, pause the checks.
	for range 3 {
		check(1)
		later(h.s.Catalog.CheckEvery + time.Second)
	}
	check(0)
	if n := seen(); n != 3 {
		t.Fatalf("%d calls; want 3, none while paused", n)
	}
	d := doc(t, h.get(page, mc))
	if d.Find(`[data-testid="checks-paused"] time[datetime]`).Length() != 1 {
		t.Errorf("the next check's time is not shown as a time")
	}
	if got := text(d, `[data-testid="checks-paused"]`); !strings.Contains(got, "after 3 failures") || !strings.Contains(got, "next check") {
		t.Fatalf("paused shown as %q", got)
	}

	// A manual test always runs, and counts.
	d = h.submit(&mc, page+"/test", url.Values{}, http.StatusSeeOther)
	if n := seen(); n != 4 || text(d, `[data-testid="health-state"]`) != "Unhealthy" || !strings.Contains(text(d, `[data-testid="checks-paused"]`), "after 4 failures") {
		t.Fatalf("manual test while paused: %d calls, %q, %q", n, text(d, `[data-testid="health-state"]`), text(d, `[data-testid="checks-paused"]`))
	}

	// Past the back-off (twice as long now) the periodic check tries once more.
	later(90 * time.Minute)
	check(0)
	later(3 * time.Hour)
	check(1)
	check(0)
	if n := seen(); n != 5 {
		t.Fatalf("%d calls; want 5", n)
	}

	// Healthy again: the next check resumes the periodic checks.
	mu.Lock()
	failing = false
	mu.Unlock()
	later(6*time.Hour + time.Second)
	check(1)
	_, mc = h.signIn(staff.TenantAdmin) // hours have passed: a fresh session
	d = doc(t, h.get(page, mc))
	if d.Find(`[data-testid="checks-paused"]`).Length() != 0 || text(d, `[data-testid="health-state"]`) != "Healthy" {
		t.Fatalf("after recovery: %q paused, %q", text(d, `[data-testid="checks-paused"]`), text(d, `[data-testid="health-state"]`))
	}
	later(h.s.Catalog.CheckEvery + time.Second)
	check(1)
	for action, want := range map[string]int{"catalog.connector.checks_paused": 1, "catalog.connector.checks_resumed": 1, "catalog.connector.tested": 1} {
		if n := len(h.auditActions(h.tenant.ID, action)); n != want {
			t.Errorf("%d %s audit records; want %d", n, action, want)
		}
	}
}
