package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/staff"
)

// An employee's correction of identity data is a four-eyes change (guide
// 003: data corrections are routed through approval workflows): proposed
// by one, applied when another approves it, audited, announced, and
// followed by a new screening.
func TestIdentityCorrectionUnderFourEyes(t *testing.T) {
	h := newHarness(t)
	c := h.person("Mary", "", "Smyth", "1980-04-01", "GB")
	_, maker := h.signIn(staff.Support)
	_, checker := h.signIn(staff.SeniorReviewer)
	page := "/customers/" + c.ID.String() + "/identity"

	if href, _ := doc(t, h.get("/customers/"+c.ID.String(), maker)).Find(`[data-testid="correct-identity"]`).Attr("href"); href != page {
		t.Fatalf("the customer page offers the correction at %q", href)
	}
	d := doc(t, h.get(page, maker))
	if v, _ := d.Find("#corr-lastName").Attr("value"); v != "Smyth" {
		t.Fatalf("the form shows last name %q", v)
	}
	form := func(change map[string]string) url.Values {
		v := url.Values{"firstName": {"Mary"}, "lastName": {"Smith"}, "dateOfBirth": {"1980-04-01"}, "nationality": {"GB"},
			"street": {"1 High Street"}, "city": {"London"}, "postalCode": {"N1 1AA"}, "country": {"GB"}, "reason": {"passport shows Smith"}}
		for k, val := range change {
			v.Set(k, val)
		}
		return v
	}
	// Errors next to the fields, nothing proposed.
	bad := h.post(page, form(map[string]string{"dateOfBirth": "1980-13-40", "reason": " "}), maker)
	bd := doc(t, bad)
	if bad.StatusCode != http.StatusUnprocessableEntity || text(bd, `[data-testid="error-corr-dateOfBirth"]`) == "" || text(bd, `[data-testid="error-corr-reason"]`) == "" {
		t.Fatalf("invalid correction: %d; errors dob %q reason %q", bad.StatusCode, text(bd, `[data-testid="error-corr-dateOfBirth"]`), text(bd, `[data-testid="error-corr-reason"]`))
	}
	// Proposed: nothing changes yet.
	if resp := h.post(page, form(nil), maker); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("propose: %d", resp.StatusCode)
	}
	if got, _ := h.s.Customers.Get(t.Context(), h.tenant.ID, c.ID); got.LastName != "Smyth" {
		t.Fatalf("the correction applied before its approval: %q", got.LastName)
	}
	pending, err := h.s.Approvals.List(t.Context(), h.tenant.ID, "PENDING", customer.KindIdentityCorrection, 10, 0)
	if err != nil || pending.Total != 1 {
		t.Fatalf("pending corrections: %+v %v", pending, err)
	}
	id := pending.Requests[0].ID.String()
	// The maker cannot approve it.
	if resp := h.decide(id, "APPROVE", "mine", maker); resp.StatusCode == http.StatusSeeOther {
		if got, _ := h.s.Customers.Get(t.Context(), h.tenant.ID, c.ID); got.LastName != "Smyth" {
			t.Fatal("the maker approved their own correction")
		}
	}
	h.approve(id, checker)
	got, _ := h.s.Customers.Get(t.Context(), h.tenant.ID, c.ID)
	if got.LastName != "Smith" {
		t.Fatalf("after approval the last name is %q", got.LastName)
	}
	owner := dbtest.OwnerPool(t)
	for _, q := range []struct{ what, sql string }{
		{"the correction's audit record", `SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND entity_id = $2 AND action = 'customer.identity.corrected'`},
		{"the new screening's audit record", `SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND entity_id = $2 AND action = 'customer.rescreened'`},
		{"the customer-profile-updated event", `SELECT count(*) FROM events WHERE tenant_id = $1 AND entity_id = $2 AND type = 'customer-profile-updated'`},
	} {
		var n int
		if err := owner.QueryRow(t.Context(), q.sql, h.tenant.ID, c.ID.String()).Scan(&n); err != nil || n != 1 {
			t.Errorf("%s: %d (%v)", q.what, n, err)
		}
	}
	// An analyst may not propose one; another tenant's customer is not found.
	_, analyst := h.signIn(staff.Analyst)
	if resp := h.post(page, form(nil), analyst); resp.StatusCode != http.StatusForbidden {
		t.Errorf("analyst: %d", resp.StatusCode)
	}
	other := h.employeeOf(h.demoTenant().ID, staff.Support)
	if resp := h.post(page, form(nil), h.cookieFor(other)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another tenant's employee: %d", resp.StatusCode)
	}
	if !strings.Contains(text(doc(t, h.get("/customers/"+c.ID.String(), checker)), "body"), "Smith") {
		t.Error("the customer page does not show the corrected name")
	}
}
