package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/web/api"
)

// X-Auth-Token, as guide 000 calls it, is taken wherever Authorization:
// Bearer is, by admin and customer tokens alike.
func TestXAuthToken(t *testing.T) {
	h := newHarness(t)
	admin := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
	id, email := h.newCustomer(admin)
	access, _ := h.customerTokens(email)
	path := api.Prefix + "/customers/" + id
	tests := []struct {
		name    string
		headers map[string]string
		status  int
	}{
		{"admin token", map[string]string{"X-Auth-Token": admin}, http.StatusOK},
		{"admin token after Bearer", map[string]string{"X-Auth-Token": "Bearer " + admin}, http.StatusOK},
		{"customer token", map[string]string{"X-Auth-Token": access}, http.StatusOK},
		{"Authorization wins over X-Auth-Token", map[string]string{"Authorization": "Bearer " + admin, "X-Auth-Token": "nonsense"}, http.StatusOK},
		// RFC 7235: the scheme is case-insensitive.
		{"bearer in lower case", map[string]string{"Authorization": "bearer " + admin}, http.StatusOK},
		{"BEARER in upper case", map[string]string{"Authorization": "BEARER " + admin}, http.StatusOK},
		{"bearer in lower case in X-Auth-Token", map[string]string{"X-Auth-Token": "bearer " + access}, http.StatusOK},
		{"another scheme", map[string]string{"Authorization": "Basic " + admin}, http.StatusUnauthorized},
		{"a bad token", map[string]string{"X-Auth-Token": "nonsense"}, http.StatusUnauthorized},
		{"an empty one", map[string]string{"X-Auth-Token": " "}, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			resp, out := h.apiCall("GET", path, h.tenant.Slug, "", "", tc.headers)
			if resp.StatusCode != tc.status {
				t.Fatalf("%d %v; want %d", resp.StatusCode, out, tc.status)
			}
			if tc.status == http.StatusOK && data(out)["customerId"] != id {
				t.Errorf("customer = %v", data(out)["customerId"])
			}
		})
	}
	// Without any token the answer names both headers.
	resp, out := h.apiCall("GET", path, h.tenant.Slug, "", "", nil)
	if msg, _ := out["error"].(map[string]any)["message"].(string); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(msg, "X-Auth-Token") {
		t.Errorf("no token: %d %v", resp.StatusCode, out)
	}
	// A customer token in X-Auth-Token still reaches only its own customer.
	other, _ := h.newCustomer(admin)
	if resp, out := h.apiCall("GET", api.Prefix+"/customers/"+other, h.tenant.Slug, "", "", map[string]string{"X-Auth-Token": access}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another customer: %d %v", resp.StatusCode, out)
	}
}
