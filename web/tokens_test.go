package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ciamhq/ciam/internal/credential"
)

// A token that has been accepted once is still checked on every call: its
// expiry, its signature bytes and the client behind it.
func TestAcceptedTokenIsCheckedOnEveryCall(t *testing.T) {
	h := newHarness(t)
	tok := h.adminToken(h.tenant, credential.ScopeCustomersRead, credential.ScopeCustomersWrite)
	id, _ := h.newCustomer(tok)
	path := "/api/v2.1/customers/" + id
	for range 2 { // the second call is answered from what the first verified
		if resp, body := h.apiCall("GET", path, h.tenant.Slug, tok, "", nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("fresh token: %d %v", resp.StatusCode, body)
		}
	}

	// The same token with its signature changed is refused.
	sig := tok[strings.LastIndex(tok, ".")+1:]
	flipped := "A"
	if sig[0] == 'A' {
		flipped = "B"
	}
	forged := tok[:strings.LastIndex(tok, ".")+1] + flipped + sig[1:]
	if resp, body := h.apiCall("GET", path, h.tenant.Slug, forged, "", nil); resp.StatusCode != http.StatusUnauthorized || errCode(body) != "INVALID_TOKEN" {
		t.Errorf("forged signature: %d %v", resp.StatusCode, body)
	}

	// Past its expiry (and the 30 s leeway) the accepted token is refused.
	h.clock.set(time.Now().Add(16 * time.Minute))
	resp, body := h.apiCall("GET", path, h.tenant.Slug, tok, "", nil)
	if resp.StatusCode != http.StatusUnauthorized || errCode(body) != "INVALID_TOKEN" || !strings.Contains(errMessage(body), "expired") {
		t.Errorf("expired token: %d %v", resp.StatusCode, body)
	}
}

func errMessage(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}
