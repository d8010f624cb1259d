package web

import (
	"fmt"
	"testing"
)

// Finding 8 of the penetration test: after five failures a registered
// address answered 423 ACCOUNT_LOCKED and an unknown one 401 for ever, so
// the answers told which addresses are registered. Now both answer the
// same to a wrong password; only the right password learns of the lock.
func TestLockoutDoesNotRevealRegisteredAddresses(t *testing.T) {
	h, admin := sessionHarness(t)
	h.settings("login_max_failures = 5, login_lockout = '15 minutes'")
	_, registered := h.newCustomer(admin)
	unknown := "nobody-" + registered

	answer := func(email string, i int) string {
		t.Helper()
		resp, out := h.login(email, fmt.Sprintf("Wrong-%d-Passw0rd!", i))
		e, _ := out["error"].(map[string]any)
		return fmt.Sprintf("%d %v %q %v retry=%q", resp.StatusCode, e["code"], e["message"], e["details"], resp.Header.Get("Retry-After"))
	}
	for i := range 8 {
		a, b := answer(registered, i), answer(unknown, i)
		if a != b {
			t.Fatalf("attempt %d: registered address answers %s, unknown one %s; want the same", i+1, a, b)
		}
		if want := `401 INVALID_CREDENTIALS`; a[:len(want)] != want {
			t.Fatalf("attempt %d: %s; want 401 INVALID_CREDENTIALS", i+1, a)
		}
	}
	// The lock is real, and the caller who proves the password is told.
	resp, out := h.login(registered, examplePass)
	if resp.StatusCode != 423 || errCode(out) != "ACCOUNT_LOCKED" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("right password while locked: %d %v retry=%q; want 423 ACCOUNT_LOCKED with Retry-After", resp.StatusCode, out, resp.Header.Get("Retry-After"))
	}
	if resp, out := h.login(unknown, examplePass); resp.StatusCode != 401 {
		t.Fatalf("unknown address: %d %v; want 401", resp.StatusCode, out)
	}
}
