package web

import (
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/credential"
)

// Finding 2 of the penetration test: an Idempotency-Key was shared by every
// caller of a tenant, so an anonymous caller who knew the slug could spend
// the key the tenant's backend was about to use.
func TestIdempotencyKeysBelongToTheirCaller(t *testing.T) {
	h, admin := sessionHarness(t)
	other := h.adminToken(h.tenant, credential.ScopeCustomersWrite)
	_, email := h.newCustomer(admin)
	plain := func() string { return variant(t, func(m map[string]any) { delete(m, "categorization") }) }
	key := "order-" + uuid.NewString()[:8]
	withKey := map[string]string{"Idempotency-Key": key}

	// An anonymous sign-in with the key: it runs, and the key is not kept.
	if resp, out := h.apiCall("POST", sessionPath, h.tenant.Slug, "", `{"email":"`+email+`","password":"Wrong-Passw0rd!"}`, withKey); resp.StatusCode != 401 {
		t.Fatalf("anonymous sign-in: %d %v", resp.StatusCode, out)
	}
	if n := h.count("SELECT count(*) FROM idempotency_keys WHERE key = $1", key); n != 0 {
		t.Fatalf("an anonymous caller's key was stored (%d rows)", n)
	}
	// The same anonymous request again runs again (it is not replayed).
	if resp, out := h.apiCall("POST", sessionPath, h.tenant.Slug, "", `{"email":"`+email+`","password":"`+examplePass+`"}`, withKey); resp.StatusCode != 200 || resp.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("anonymous sign-in with the right password and the same key: %d %v", resp.StatusCode, out)
	}

	// The tenant's backend then uses the key for its own request: it runs.
	first, out1 := h.apiCall("POST", registerPath, h.tenant.Slug, admin, plain(), withKey)
	if first.StatusCode != 201 || first.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("backend's registration after the anonymous use of its key: %d %v", first.StatusCode, out1)
	}
	// Another API client with the same key and another body is not told
	// the key was reused, nor handed the first client's response.
	second, out2 := h.apiCall("POST", registerPath, h.tenant.Slug, other, plain(), withKey)
	if second.StatusCode != 201 || second.Header.Get("Idempotent-Replayed") != "" || data(out2)["customerId"] == data(out1)["customerId"] {
		t.Fatalf("another client with the same key: %d replayed=%q %v", second.StatusCode, second.Header.Get("Idempotent-Replayed"), out2)
	}
	// Each caller's own key still works as before: a replay for the same
	// body, IDEMPOTENCY_KEY_REUSED for another.
	body := plain()
	k2 := map[string]string{"Idempotency-Key": uuid.NewString()}
	if resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, other, body, k2); resp.StatusCode != 201 {
		t.Fatalf("register: %d %v", resp.StatusCode, out)
	}
	if resp, _ := h.apiCall("POST", registerPath, h.tenant.Slug, other, body, k2); resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("own replay: %d replayed=%q", resp.StatusCode, resp.Header.Get("Idempotent-Replayed"))
	}
	if resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, admin, body, k2); resp.StatusCode != 409 || errCode(out) != "EMAIL_ALREADY_REGISTERED" {
		t.Fatalf("the same key and body from another client runs as its own request: %d %v; want 409 EMAIL_ALREADY_REGISTERED", resp.StatusCode, out)
	}
	if n := h.count("SELECT count(DISTINCT caller) FROM idempotency_keys WHERE key = $1", key); n != 2 {
		t.Fatalf("key %s is held by %d callers; want 2 (one per client)", key, n)
	}
}
