package web

import (
	"testing"
	"time"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/credential"
)

// The categorisation's monitoring parameter: a DAILY customer is screened
// again once a day, not more; one without monitoring is left to the list
// changes.
func TestMonitoringScreensCustomersAsTheirCategoryAsks(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite)
	daily, _ := h.onboarded(dt, tok, nil)        // the example's HIGH_RISK_INDIVIDUAL: monitoring DAILY
	plain, _ := h.onboarded(dt, tok, noCategory) // no categorisation
	monitored := func(id string) (n int) {
		t.Helper()
		if err := dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action = 'customer.monitored'", id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := h.s.Customers.Monitor(t.Context()); err != nil {
		t.Fatal(err)
	}
	if monitored(daily) != 1 || monitored(plain) != 0 {
		t.Fatalf("after the first run: daily %d, uncategorised %d; want 1 and 0", monitored(daily), monitored(plain))
	}
	// Within the day: not again.
	if _, err := h.s.Customers.Monitor(t.Context()); err != nil {
		t.Fatal(err)
	}
	if monitored(daily) != 1 {
		t.Fatalf("screened %d times within a day", monitored(daily))
	}
	// A day later: again.
	h.clock.set(time.Now().Add(25 * time.Hour))
	if _, err := h.s.Customers.Monitor(t.Context()); err != nil {
		t.Fatal(err)
	}
	if monitored(daily) != 2 {
		t.Fatalf("screened %d times after a day; want 2", monitored(daily))
	}
}
