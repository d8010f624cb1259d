package web

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
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

// A finished request's answer is kept for its key's repeats for a day
// (api.IdempotencyKeep), not for ever: a day on, the key is the caller's
// to use again for another request, and the retention run deletes the
// stored answers older than that (they may quote a customer), leaving the
// newer ones.
func TestIdempotencyKeysExpire(t *testing.T) {
	h := newHarness(t)
	tok := h.adminToken(h.tenant, credential.ScopeCustomersWrite)
	owner := dbtest.OwnerPool(t)
	age := func(key string, by time.Duration) {
		t.Helper()
		if _, err := owner.Exec(t.Context(), `UPDATE idempotency_keys SET created_at = created_at - $2::interval WHERE tenant_id = $1 AND key = $3`,
			h.tenant.ID, fmt.Sprintf("%d seconds", int(by.Seconds())), key); err != nil {
			t.Fatal(err)
		}
	}
	register := func(key string) (int, string, bool) {
		t.Helper()
		resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, tok, variant(t, noCategory), map[string]string{"Idempotency-Key": key})
		id, _ := data(out)["customerId"].(string)
		return resp.StatusCode, id, resp.Header.Get("Idempotent-Replayed") == "true"
	}
	key := "reg-" + uuid.NewString()[:8]
	if code, _, _ := register(key); code != http.StatusCreated {
		t.Fatalf("first: %d", code)
	}
	// Within the day another body with the key is refused.
	age(key, 23*time.Hour)
	if code, _, _ := register(key); code != http.StatusUnprocessableEntity {
		t.Fatalf("another body within the day: %d; want 422", code)
	}
	// Past it the key is free: the request runs, and its answer is kept anew.
	age(key, 2*time.Hour)
	code, id, replayed := register(key)
	if code != http.StatusCreated || replayed || id == "" {
		t.Fatalf("another body a day on: %d replayed=%v", code, replayed)
	}
	var kept int
	if err := owner.QueryRow(t.Context(), `SELECT count(*) FROM idempotency_keys WHERE tenant_id = $1 AND key = $2 AND state = 'DONE' AND created_at > now() - interval '1 minute'`,
		h.tenant.ID, key).Scan(&kept); err != nil || kept != 1 {
		t.Fatalf("the key's new answer: %d rows (%v)", kept, err)
	}

	old, fresh := "old-"+uuid.NewString()[:8], "new-"+uuid.NewString()[:8]
	for _, k := range []string{old, fresh} {
		if code, _, _ := register(k); code != http.StatusCreated {
			t.Fatalf("register with %s: %d", k, code)
		}
	}
	age(old, 25*time.Hour)
	res, err := h.s.Retention.RunTenant(context.WithoutCancel(t.Context()), h.tenant.ID, time.Now())
	if err != nil || res.IdempotencyKeysDeleted != 1 {
		t.Fatalf("the run: %+v %v; want the one answer older than a day deleted", res, err)
	}
	left := map[string]bool{}
	rows, err := owner.Query(t.Context(), `SELECT key FROM idempotency_keys WHERE tenant_id = $1`, h.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		_ = rows.Scan(&k)
		left[k] = true
	}
	if rows.Err() != nil || left[old] || !left[fresh] || !left[key] {
		t.Errorf("keys left after the run: %v; want %s gone, %s and %s kept", left, old, fresh, key)
	}
}
