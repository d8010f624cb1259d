package web

import (
	"strings"
	"testing"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/web/api"
)

// Guide 002's "OAuth User to perform actions on behalf of the user": the
// tenant's backend takes a customer token for its customer.
func TestCustomerOAuthOnBehalf(t *testing.T) {
	h := newHarness(t)
	admin := h.adminToken(h.tenant, credential.ScopeCustomersOAuth)
	plain := h.adminToken(h.tenant, credential.ScopeCustomersRead)
	c := h.person("Olive", "", "Auth", "1985-02-03", "GB")
	other := h.person("Otto", "", "Other", "1986-02-03", "GB")
	path := func(id string) string { return api.Prefix + "/customers/" + id + "/oauth" }

	resp, out := h.apiCall("POST", path(c.ID.String()), h.tenant.Slug, admin, "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("on behalf: %d %v", resp.StatusCode, out)
	}
	d := out["data"].(map[string]any)
	tok, _ := d["accessToken"].(string)
	if tok == "" || d["customerId"] != c.ID.String() || d["expiresIn"].(float64) > 900 || d["refreshToken"] != nil {
		t.Fatalf("answer %v", d)
	}
	// The token acts as the customer: their own record, nobody else's.
	if resp, out := h.apiCall("GET", api.Prefix+"/customers/"+c.ID.String(), h.tenant.Slug, tok, "", nil); resp.StatusCode != 200 {
		t.Fatalf("own record with the token: %d %v", resp.StatusCode, out)
	}
	if resp, _ := h.apiCall("GET", api.Prefix+"/customers/"+other.ID.String(), h.tenant.Slug, tok, "", nil); resp.StatusCode != 404 {
		t.Fatalf("another customer with the token: %d", resp.StatusCode)
	}
	// Audited, with the API client as the actor.
	var n int
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'customer.token.on_behalf'
		AND entity_id = $2 AND actor_type = 'API_CLIENT'`, h.tenant.ID, c.ID.String()).Scan(&n); err != nil || n != 1 {
		t.Fatalf("audit records: %d (%v)", n, err)
	}

	tests := []struct {
		name, id, tok string
		status        int
		code          string
	}{
		{"without the scope", c.ID.String(), plain, 403, ""},
		{"a customer token", c.ID.String(), tok, 403, ""},
		{"an unknown customer", "7d0c62f2-0000-4000-8000-000000000000", admin, 404, "CUSTOMER_NOT_FOUND"},
		{"not a uuid", "x-y", admin, 404, "CUSTOMER_NOT_FOUND"},
		{"a NUL in the id", "x%00y", admin, 400, "INVALID_REQUEST"}, // bad text is refused before any look-up
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			resp, out := h.apiCall("POST", path(tc.id), h.tenant.Slug, tc.tok, "", nil)
			if resp.StatusCode != tc.status || (tc.code != "" && errCode(out) != tc.code) {
				t.Fatalf("%d %v; want %d %s", resp.StatusCode, out, tc.status, tc.code)
			}
		})
	}
	// Another tenant's admin cannot reach this tenant's customer.
	dt := h.demoTenant()
	foreign := h.adminToken(dt, credential.ScopeCustomersOAuth)
	if resp, _ := h.apiCall("POST", path(c.ID.String()), dt.Slug, foreign, "", nil); resp.StatusCode != 404 {
		t.Fatalf("another tenant: %d", resp.StatusCode)
	}
	// A locked customer gets no token.
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test", TenantID: h.tenant.ID})
	if _, err := h.s.Customers.ChangeStanding(ctx, h.tenant.ID, c.ID, customer.ActionLock, "test"); err != nil {
		t.Fatal(err)
	}
	resp, out = h.apiCall("POST", path(c.ID.String()), h.tenant.Slug, admin, "", nil)
	if resp.StatusCode != 409 || errCode(out) != "CUSTOMER_NOT_ACTIVE" || !strings.Contains(errMessage(out), "LOCKED") {
		t.Fatalf("locked: %d %v", resp.StatusCode, out)
	}
}
