package web

import (
	"testing"

	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/kyc"
)

// The upload's estimatedProcessingTime is the guide's default until the
// tenant has decided enough verifications, then its own recent figures.
func TestEstimatesFromTheTenantsFigures(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	own := h.tenant
	tok := h.adminToken(own, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	upload := func() string {
		_, vr := h.onboarded(own, tok, noCategory) // LOW: the passport is enough
		resp, out := h.apiCall("POST", uploadPath, own.Slug, tok, uploadBody(vr, passport(t, nil)), nil)
		if resp.StatusCode != 200 {
			t.Fatalf("upload: %d %v", resp.StatusCode, out)
		}
		h.waitStatus(own, tok, vr, "APPROVED")
		return out["data"].(map[string]any)["estimatedProcessingTime"].(string)
	}
	for i := range 5 {
		if got := upload(); got != kyc.DefaultProcessingEstimate {
			t.Fatalf("upload %d with %d decisions behind it says %q; want the default %q", i+1, i, got, kyc.DefaultProcessingEstimate)
		}
	}
	// Five automated decisions, each within seconds of its upload.
	if got := upload(); got != "1-2 minutes" {
		t.Fatalf("after five decisions of seconds the estimate is %q; want 1-2 minutes", got)
	}
}
