package web

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/web/api"
)

// Unknown paths and methods under /api/ answer the JSON envelope.
func TestAPIUnknownPathsAndMethods(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name, method, path string
		status             int
		code, allow        string
	}{
		{"unknown path", "GET", api.Prefix + "/nothing/here", 404, "NOT_FOUND", ""},
		{"unknown version", "POST", "/api/v9/customers", 404, "NOT_FOUND", ""},
		{"wrong method on a customer", "DELETE", api.Prefix + "/customers/" + uuid.NewString(), 405, "METHOD_NOT_ALLOWED", "GET, HEAD, PATCH"},
		{"wrong method on the spec", "POST", api.Prefix + "/openapi.json", 405, "METHOD_NOT_ALLOWED", "GET, HEAD"},
		{"wrong method on the token endpoint", "GET", "/oauth/token", 405, "METHOD_NOT_ALLOWED", "POST"},
		{"unknown path under oauth", "POST", "/oauth/authorize", 404, "NOT_FOUND", ""},
		{"the oauth prefix alone", "GET", "/oauth", 404, "NOT_FOUND", ""},
		{"the api prefix alone", "GET", "/api", 404, "NOT_FOUND", ""},
		{"the version alone", "GET", api.Prefix, 404, "NOT_FOUND", ""},
		{"a trailing slash", "GET", api.Prefix + "/customers/", 404, "NOT_FOUND", ""},
		{"a double slash", "GET", api.Prefix + "//events", 404, "NOT_FOUND", ""},
		{"a dot segment", "GET", api.Prefix + "/x/../events", 404, "NOT_FOUND", ""},
		{"an encoded slash", "GET", api.Prefix + "/customers/a%2Fb/c", 404, "NOT_FOUND", ""},
		{"an unknown path under the well-known keys", "GET", "/.well-known/openid-configuration", 404, "NOT_FOUND", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			resp, out := h.apiCall(tc.method, tc.path, h.tenant.Slug, "", "", nil)
			if resp.StatusCode != tc.status || errCode(out) != tc.code || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("%s %s: %d %s %v; want %d %s", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), out, tc.status, tc.code)
			}
			if got := resp.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q; want %q", got, tc.allow)
			}
			if tid, _ := out["error"].(map[string]any)["traceId"].(string); tid == "" {
				t.Errorf("no traceId: %v", out)
			}
		})
	}
	// The portal keeps its own pages for unknown paths.
	if resp := h.get("/no-such-page"); strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("portal 404 is JSON")
	}
}
