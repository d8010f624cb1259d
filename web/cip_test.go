package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

// Customer Identification Programs (guide 002): a tenant defines programs
// as requirement sets by tag, country and risk level; registration names
// one in extra.cip_tag, and the customer's documents follow it.
func TestCIPsSelectTheCustomersRequirements(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	own := h.tenant
	_, admin := h.signIn(staff.TenantAdmin)
	// CIP 7: LOW-risk customers anywhere also prove their address.
	for _, doc := range []string{"IDENTITY_DOCUMENT", "PROOF_OF_ADDRESS"} {
		v := url.Values{"cipTag": {"7"}, "country": {"*"}, "riskLevel": {"LOW"}, "type": {doc}, "required": {"on"}}
		if doc == "PROOF_OF_ADDRESS" {
			v.Set("maxAgeDays", "90")
		}
		if resp := h.post("/config/kyc-requirements", v, admin); resp.StatusCode != 303 {
			t.Fatalf("set CIP 7 %s: %d", doc, resp.StatusCode)
		}
	}
	if resp := h.post("/config/kyc-requirements", url.Values{"cipTag": {"3001"}, "country": {"*"}, "riskLevel": {"LOW"}, "type": {"SELFIE"}}, admin); resp.StatusCode != 422 ||
		text(doc(t, resp), `[data-testid="error-req-cip"]`) == "" {
		t.Fatalf("CIP 3001: %d", resp.StatusCode)
	}
	page := doc(t, h.get("/config/kyc-requirements", admin))
	if page.Find(`[data-testid="requirement-row"][data-cip="7"]`).Length() != 2 {
		t.Fatalf("the page lists %d rows of CIP 7", page.Find(`[data-testid="requirement-row"][data-cip="7"]`).Length())
	}

	tok := h.adminToken(own, credential.ScopeCustomersWrite, credential.ScopeCustomersRead, credential.ScopeVerificationWrite, credential.ScopeCatalogRead)
	withCIP := func(tag any) func(m map[string]any) {
		return func(m map[string]any) {
			noCategory(m)
			m["extra"] = map[string]any{"cip_tag": tag, "supp_id": "ERP-4711"}
		}
	}
	for _, bad := range []any{0, 8, 3001} {
		resp, out := h.apiCall("POST", registerPath, own.Slug, tok, variant(t, withCIP(bad)), nil)
		if resp.StatusCode != 422 || !strings.HasPrefix(strings.Join(details(out), " "), "extra.cip_tag:") {
			t.Errorf("cip_tag %v: %d %v", bad, resp.StatusCode, details(out))
		}
	}
	cust, vr := h.onboarded(own, tok, withCIP(7))
	_, got := h.apiCall("GET", api.Prefix+"/customers/"+cust, own.Slug, tok, "", nil)
	extra := got["data"].(map[string]any)["extra"].(map[string]any)
	if extra["cip_tag"] != float64(7) || extra["supp_id"] != "ERP-4711" {
		t.Fatalf("user object extra = %v", extra)
	}
	_, reqs := h.apiCall("GET", api.Prefix+"/compliance/requirements?cipTag=7&country=GB&riskLevel=LOW", own.Slug, tok, "", nil)
	if docs, _ := reqs["data"].(map[string]any)["documents"].([]any); len(docs) != 2 {
		t.Fatalf("CIP 7's LOW requirements: %v", reqs)
	}
	// The passport alone is not enough under CIP 7.
	if resp, out := h.apiCall("POST", uploadPath, own.Slug, tok, uploadBody(vr, passport(t, nil)), nil); resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	st := h.waitStatus(own, tok, vr, "DOCUMENTS_RECEIVED")
	if m := anyStrings(st["checks"].(map[string]any)["requirements"].(map[string]any)["missing"]); strings.Join(m, ",") != "PROOF_OF_ADDRESS" {
		t.Fatalf("missing %v; want the proof of address CIP 7 asks for", m)
	}
	// Under the default program the same passport is enough.
	_, vr1 := h.onboarded(own, tok, noCategory)
	if resp, out := h.apiCall("POST", uploadPath, own.Slug, tok, uploadBody(vr1, passport(t, nil)), nil); resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	h.waitStatus(own, tok, vr1, "APPROVED")
}
