package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

// An employee resets a customer's PIN from the 360 page, with a reason,
// audited under the employee's name.
func TestPortalPINReset(t *testing.T) {
	h, admin := sessionHarness(t)
	id, _ := h.newCustomer(admin)
	if resp, out := h.apiCall("POST", api.Prefix+"/security/pin", h.tenant.Slug, admin, `{"customerId":"`+id+`","pin":"5830"}`, nil); resp.StatusCode != 200 {
		t.Fatalf("set PIN: %d %v", resp.StatusCode, out)
	}
	emp, c := h.signIn(staff.Support)
	page := "/customers/" + id
	if doc(t, h.get(page, c)).Find(`[data-testid="standing-reset_pin"]`).Length() != 1 {
		t.Fatal("no Reset PIN action on the 360 page")
	}
	resp := h.post(page+"/standing", url.Values{"action": {"RESET_PIN"}}, c)
	if resp.StatusCode != http.StatusUnprocessableEntity || text(doc(t, resp), `[data-testid="error-reason-reset_pin"]`) == "" {
		t.Fatalf("reset without a reason: %d", resp.StatusCode)
	}
	resp = h.post(page+"/standing", url.Values{"action": {"RESET_PIN"}, "reason": {"customer forgot it, identity checked by phone"}}, c)
	if got := text(doc(t, h.get(page, updated(c, resp))), `[data-testid="flash"]`); !strings.Contains(got, "PIN was reset") {
		t.Fatalf("flash %q", got)
	}
	recs := h.auditActions(h.tenant.ID, "customer.pin_reset")
	if len(recs) != 1 || recs[0].Actor != emp.Actor().Name {
		t.Fatalf("audit %+v", recs)
	}
	// The customer can set a new PIN again.
	if resp, out := h.apiCall("POST", api.Prefix+"/security/pin", h.tenant.Slug, admin, `{"customerId":"`+id+`","pin":"7392"}`, nil); resp.StatusCode != 200 {
		t.Fatalf("new PIN after reset: %d %v", resp.StatusCode, out)
	}
	// An analyst may not.
	_, ac := h.signIn(staff.Analyst)
	if resp := h.post(page+"/standing", url.Values{"action": {"RESET_PIN"}, "reason": {"x"}}, ac); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("analyst reset: %d", resp.StatusCode)
	}
}
