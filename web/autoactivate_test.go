package web

import (
	"testing"
	"time"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/web/api"
)

// Guide 004's "Automatic Activation": with the tenant's preference on, an
// approval activates the account at once, and Step 4 then answers the
// account's details instead of a conflict.
func TestAutomaticActivation(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	own := h.tenant
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test", TenantID: own.ID})
	prefs, err := h.s.Preferences.Get(ctx, own.ID)
	if err != nil {
		t.Fatal(err)
	}
	prefs.AutoActivate = true
	if _, err := h.s.Preferences.Update(ctx, own.ID, prefs); err != nil {
		t.Fatal(err)
	}
	tok := h.adminToken(own, credential.ScopeCustomersWrite, credential.ScopeCustomersRead, credential.ScopeVerificationWrite, credential.ScopeVerificationReview)
	cust, vr := h.onboarded(own, tok, noCategory) // LOW: the passport is enough
	if resp, out := h.apiCall("POST", uploadPath, own.Slug, tok, uploadBody(vr, passport(t, nil)), nil); resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	h.waitStatus(own, tok, vr, "APPROVED")
	// The activation follows the approval's commit in the same job (the
	// approval stands even if the activation fails), so it is waited for.
	var c map[string]any
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, got := h.apiCall("GET", api.Prefix+"/customers/"+cust, own.Slug, tok, "", nil)
		c = got["data"].(map[string]any)
		if c["status"] == "ACTIVE" || time.Now().After(deadline) {
			break
		}
	}
	if c["status"] != "ACTIVE" || c["permission"] != "SEND-AND-RECEIVE" {
		t.Fatalf("after approval the customer is %v / %v; want ACTIVE by automatic activation", c["status"], c["permission"])
	}
	wallets := c["wallets"].([]any)
	iban, _ := wallets[0].(map[string]any)["iban"].(string)
	if len(iban) < 15 || mod97(iban) != 1 {
		t.Fatalf("wallet %v; want an IBAN", wallets)
	}
	// Step 4 afterwards: the account's details, 200, twice.
	for range 2 {
		resp, out := h.apiCall("POST", activatePath, own.Slug, tok, activateBody(cust, map[string]any{"generateIBAN": true, "createWallet": true}), nil)
		if resp.StatusCode != 200 {
			t.Fatalf("activation after automatic activation: %d %v", resp.StatusCode, out)
		}
		d := out["data"].(map[string]any)
		if d["status"] != "ACTIVE" || d["accountDetails"].(map[string]any)["iban"] != iban {
			t.Fatalf("activation answers %v; want the existing account %s", d, iban)
		}
	}
	// The activation was audited once, as the system's.
	var n int
	if err := dbOwner(t).QueryRow(t.Context(), "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'customer.activated' AND entity_id = $2", own.ID, cust).Scan(&n); err != nil || n != 1 {
		t.Fatalf("customer.activated records: %d (%v)", n, err)
	}
}
