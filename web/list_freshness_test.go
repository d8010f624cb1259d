package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ciamhq/ciam/internal/staff"
)

// Problem 9: the screening lists page showed when a list was loaded, not
// how old it is. Each list in use now shows its publication date (the UN
// file's own) or, for files without one, its load date, its age, and a
// warning past the tenant's limit, which the tenant sets on the screening
// settings (validated, audited).
func TestScreeningListFreshness(t *testing.T) {
	h := newHarness(t)
	t.Cleanup(func() { h.clock.set(time.Time{}) })
	h.loadLists()
	_, analyst := h.signIn(staff.Analyst)
	_, admin := h.signIn(staff.TenantAdmin)

	d := doc(t, h.get("/screening/lists", analyst))
	un := d.Find(`[data-source="UN_CONSOLIDATED"] [data-testid="list-age"]`)
	published := time.Date(2026, 2, 27, 0, 0, 9, 0, time.UTC)
	days := int(time.Since(published).Hours() / 24)
	if !strings.Contains(un.Text(), "Published 27 Feb 2026") || !strings.Contains(un.Text(), strconv.Itoa(days)+" days old") {
		t.Errorf("UN age = %q, want published 27 Feb 2026, %d days old", strings.Join(strings.Fields(un.Text()), " "), days)
	}
	if _, stale := un.Attr("data-stale"); !stale || !strings.Contains(un.Text(), "Older than 7 days") {
		t.Errorf("the UN list, %d days old, is not flagged against the default 7 days: %q", days, un.Text())
	}
	ofac := d.Find(`[data-source="OFAC_SDN"] [data-testid="list-age"]`)
	if !strings.Contains(ofac.Text(), "the file carries no publication date") {
		t.Errorf("OFAC age = %q", strings.Join(strings.Fields(ofac.Text()), " "))
	}
	if _, stale := ofac.Attr("data-stale"); stale {
		t.Error("OFAC, loaded today, is flagged")
	}
	if d.Find(`[data-source="UN_CONSOLIDATED"] [data-testid="version-published"]`).First().Text() == "" {
		t.Error("no publication column")
	}

	save := func(age string) *http.Response {
		return h.post("/config/screening", url.Values{"matchThreshold": {"0.92"}, "possibleThreshold": {"0.8"}, "maxListAgeDays": {age}}, admin)
	}
	for _, bad := range []string{"0", "366", "abc", "1.5"} {
		resp := save(bad)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("age %q: %d, want 422", bad, resp.StatusCode)
			continue
		}
		bd := doc(t, resp)
		if text(bd, `[data-testid="error-maxListAgeDays"]`) == "" {
			t.Errorf("age %q: no message beside the field", bad)
		}
		if v, _ := bd.Find("#maxListAgeDays").Attr("value"); v != bad {
			t.Errorf("age %q: the form lost it (%q)", bad, v)
		}
	}
	if n := h.count("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'screening.settings.updated'", h.tenant.ID); n != 0 {
		t.Fatalf("refused settings were saved: %d audit records", n)
	}
	if resp := save("365"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save 365: %d", resp.StatusCode)
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'screening.settings.updated'
		AND (before->>'MaxListAgeDays')::int = 7 AND (after->>'MaxListAgeDays')::int = 365`, h.tenant.ID); n != 1 {
		t.Errorf("the change of age is not audited with before and after: %d", n)
	}
	if v, _ := doc(t, h.get("/config/screening", admin)).Find("#maxListAgeDays").Attr("value"); v != "365" {
		t.Errorf("settings show %q", v)
	}
	if _, stale := doc(t, h.get("/screening/lists", analyst)).Find(`[data-source="UN_CONSOLIDATED"] [data-testid="list-age"]`).Attr("data-stale"); stale {
		t.Error("the UN list is flagged under a 365-day limit")
	}
	// Two days' limit, three days later: the list loaded today is out of
	// date too.
	if resp := save("2"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save 2: %d", resp.StatusCode)
	}
	h.clock.set(time.Now().Add(72 * time.Hour))
	_, analyst = h.signIn(staff.Analyst) // the earlier session has expired by then
	later := doc(t, h.get("/screening/lists", analyst)).Find(`[data-source="OFAC_SDN"] [data-testid="list-age"]`)
	if _, stale := later.Attr("data-stale"); !stale || !strings.Contains(later.Text(), "3 days old") || !strings.Contains(later.Text(), "Older than 2 days") {
		t.Errorf("OFAC three days on = %q", strings.Join(strings.Fields(later.Text()), " "))
	}
}
