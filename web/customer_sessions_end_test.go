package web

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ciamhq/ciam/internal/customerauth"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

// customerSession is one signed-in device of a customer.
type customerSession struct{ access, refresh string }

// twoSessions signs a new customer in twice: the device that will make a
// change and another one.
func (h *harness) twoSessions(admin string) (id, email string, current, other customerSession) {
	h.t.Helper()
	id, email = h.newCustomer(admin)
	current.access, current.refresh = h.customerTokens(email)
	other.access, other.refresh = h.customerTokens(email)
	return id, email, current, other
}

// assertSessionLive fails unless the session's access token reads its
// customer and its refresh token rotates; it returns the rotated session.
func (h *harness) assertSessionLive(id string, s customerSession, why string) customerSession {
	h.t.Helper()
	if resp, out := h.apiCall("GET", api.Prefix+"/customers/"+id, h.tenant.Slug, s.access, "", nil); resp.StatusCode != http.StatusOK {
		h.t.Fatalf("%s: access token: %d %v; want 200", why, resp.StatusCode, out)
	}
	resp, out := h.apiCall("POST", refreshPath, h.tenant.Slug, "", `{"refreshToken":"`+s.refresh+`"}`, nil)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("%s: refresh token: %d %v; want 200", why, resp.StatusCode, out)
	}
	return customerSession{access: data(out)["accessToken"].(string), refresh: data(out)["refreshToken"].(string)}
}

// assertSessionEnded fails unless both of the session's tokens are refused
// with 401.
func (h *harness) assertSessionEnded(id string, s customerSession, why string) {
	h.t.Helper()
	if resp, out := h.apiCall("GET", api.Prefix+"/customers/"+id, h.tenant.Slug, s.access, "", nil); resp.StatusCode != http.StatusUnauthorized || errCode(out) != "TOKEN_REVOKED" {
		h.t.Fatalf("%s: access token: %d %v; want 401 TOKEN_REVOKED", why, resp.StatusCode, out)
	}
	if resp, out := h.apiCall("POST", refreshPath, h.tenant.Slug, "", `{"refreshToken":"`+s.refresh+`"}`, nil); resp.StatusCode != http.StatusUnauthorized || errCode(out) != "SESSION_REVOKED" {
		h.t.Fatalf("%s: refresh token: %d %v; want 401 SESSION_REVOKED", why, resp.StatusCode, out)
	}
}

// sessionsEndedFor counts the audit records of sessions of customer id
// ended for reason.
func (h *harness) sessionsEndedFor(id, reason string) int {
	h.t.Helper()
	return h.count("SELECT count(*) FROM audit_log WHERE action = 'customer.session_revoked' AND entity_id = $1 AND reason_code = $2", id, reason)
}

func TestPasswordChangeEndsTheCustomersOtherSessions(t *testing.T) {
	h, admin := sessionHarness(t)
	id, email, current, other := h.twoSessions(admin)
	const next = "N3w-Secure#Pass"

	resp, out := h.apiCall("POST", api.Prefix+"/customer/password", h.tenant.Slug, current.access,
		`{"currentPassword":"`+examplePass+`","newPassword":"`+next+`","matchingPassword":"`+next+`"}`, nil)
	if resp.StatusCode != http.StatusOK || data(out)["passwordChanged"] != true {
		t.Fatalf("change password: %d %v", resp.StatusCode, out)
	}
	h.assertSessionEnded(id, other, "the other session")
	current = h.assertSessionLive(id, current, "the session that changed the password")
	if n := h.sessionsEndedFor(id, customerauth.RevokedPasswordChanged); n != 1 {
		t.Errorf("%d sessions ended for PASSWORD_CHANGED in the audit trail; want 1", n)
	}
	if n := h.count("SELECT count(*) FROM events WHERE type = 'customer.session.revoked' AND entity_id = $1 AND payload->>'reason' = 'PASSWORD_CHANGED'", id); n != 1 {
		t.Errorf("%d customer.session.revoked events; want 1", n)
	}
	// The new password signs in; the session it makes is unaffected.
	if resp, out := h.login(email, next); resp.StatusCode != http.StatusOK {
		t.Fatalf("login with the new password: %d %v", resp.StatusCode, out)
	}
	// A refused change (wrong current password) ends nothing.
	third := h.assertSessionLive(id, current, "before a refused change")
	resp, out = h.apiCall("POST", api.Prefix+"/customer/password", h.tenant.Slug, third.access,
		`{"currentPassword":"wrong","newPassword":"An0ther#Pass1","matchingPassword":"An0ther#Pass1"}`, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("change with a wrong current password: %d %v", resp.StatusCode, out)
	}
	if n := h.count("SELECT count(*) FROM customer_sessions WHERE customer_id = $1 AND revoked_at IS NULL", id); n != 2 {
		t.Errorf("%d live sessions after a refused change; want 2 (this one and the new sign-in)", n)
	}
}

func TestPINChangeEndsTheCustomersOtherSessions(t *testing.T) {
	h, admin := sessionHarness(t)
	pin := func(path, tok, body string) (*http.Response, map[string]any) {
		return h.apiCall("POST", api.Prefix+"/security/pin"+path, h.tenant.Slug, tok, body, nil)
	}

	t.Run("customer token", func(t *testing.T) {
		h := h.with(t)
		id, _, current, other := h.twoSessions(admin)
		// Setting a first PIN changes nothing that was secret: sessions stay.
		if resp, out := pin("", current.access, `{"pin":"5830"}`); resp.StatusCode != http.StatusOK {
			t.Fatalf("set: %d %v", resp.StatusCode, out)
		}
		other = h.assertSessionLive(id, other, "after a first PIN")
		if resp, out := pin("", current.access, `{"pin":"6942","currentPin":"5830"}`); resp.StatusCode != http.StatusOK {
			t.Fatalf("change: %d %v", resp.StatusCode, out)
		}
		h.assertSessionEnded(id, other, "the other session after a PIN change")
		h.assertSessionLive(id, current, "the session that changed the PIN")
		if n := h.sessionsEndedFor(id, customerauth.RevokedPINChanged); n != 1 {
			t.Errorf("%d sessions ended for PIN_CHANGED; want 1", n)
		}
	})
	t.Run("admin token", func(t *testing.T) {
		h := h.with(t)
		id, _, one, two := h.twoSessions(admin)
		if resp, out := pin("", admin, `{"customerId":"`+id+`","pin":"5830"}`); resp.StatusCode != http.StatusOK {
			t.Fatalf("set: %d %v", resp.StatusCode, out)
		}
		if resp, out := pin("", admin, `{"customerId":"`+id+`","pin":"6942","currentPin":"5830"}`); resp.StatusCode != http.StatusOK {
			t.Fatalf("change: %d %v", resp.StatusCode, out)
		}
		// The tenant's backend holds no session of the customer: all end.
		h.assertSessionEnded(id, one, "first session after a backend PIN change")
		h.assertSessionEnded(id, two, "second session after a backend PIN change")
	})
	t.Run("reset with a one-time code", func(t *testing.T) {
		h := h.with(t)
		id, _, current, other := h.twoSessions(admin)
		post := func(path, body string) (*http.Response, map[string]any) {
			return h.apiCall("POST", api.Prefix+path, h.tenant.Slug, current.access, body, nil)
		}
		if resp, out := post("/security/pin", `{"pin":"5830"}`); resp.StatusCode != http.StatusOK {
			t.Fatalf("set: %d %v", resp.StatusCode, out)
		}
		resp, out := post("/security/otp/send", `{"channel":"EMAIL","purpose":"PIN_RESET"}`)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("send: %d %v", resp.StatusCode, out)
		}
		ch := data(out)["challengeId"].(string)
		// A wrong code resets nothing and ends nothing.
		if resp, _ := post("/security/pin/reset", `{"challengeId":"`+ch+`","code":"000000","newPin":"7305"}`); resp.StatusCode == http.StatusOK {
			t.Fatal("reset with a wrong code")
		}
		other = h.assertSessionLive(id, other, "after a wrong code")
		if resp, out := post("/security/pin/reset", `{"challengeId":"`+ch+`","code":"`+h.sentCode(ch)+`","newPin":"7305"}`); resp.StatusCode != http.StatusOK {
			t.Fatalf("reset: %d %v", resp.StatusCode, out)
		}
		h.assertSessionEnded(id, other, "the other session after a PIN reset")
		h.assertSessionLive(id, current, "the session that reset the PIN")
	})
}

func TestPortalLockEndsEverySessionOfTheCustomer(t *testing.T) {
	h, admin := sessionHarness(t)
	id, _, one, two := h.twoSessions(admin)
	_, c := h.signIn(staff.SeniorReviewer, staff.Support, staff.Analyst)
	resp := h.post("/customers/"+id+"/standing", url.Values{"action": {"LOCK"}, "reason": {"suspected account takeover"}}, c)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("lock in the portal: %d", resp.StatusCode)
	}
	h.assertSessionEnded(id, one, "first session after a lock")
	h.assertSessionEnded(id, two, "second session after a lock")
	if n := h.count("SELECT count(*) FROM customer_sessions WHERE customer_id = $1 AND revoked_at IS NULL", id); n != 0 {
		t.Errorf("%d sessions still live after a lock", n)
	}
}

func TestPasswordChangeStopsASignInWaitingForItsCode(t *testing.T) {
	h, admin := sessionHarness(t)
	h.settings("login_otp_required = true")
	id, email := h.newCustomer(admin)
	challenge := func() string {
		t.Helper()
		resp, out := h.login(email, examplePass)
		if resp.StatusCode != http.StatusOK || data(out)["otpRequired"] != true {
			t.Fatalf("login: %d %v", resp.StatusCode, out)
		}
		return data(out)["challengeId"].(string)
	}
	answer := func(ch string) (*http.Response, map[string]any) {
		return h.apiCall("POST", loginOTPPath, h.tenant.Slug, "", `{"challengeId":"`+ch+`","code":"`+h.sentCode(ch)+`"}`, nil)
	}
	ch := challenge()
	resp, out := answer(ch)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("complete the first sign-in: %d %v", resp.StatusCode, out)
	}
	current := data(out)["accessToken"].(string)
	// Someone with the old password is half-way through a sign-in.
	pending := challenge()
	const next = "N3w-Secure#Pass"
	if resp, out := h.apiCall("POST", api.Prefix+"/customer/password", h.tenant.Slug, current,
		`{"currentPassword":"`+examplePass+`","newPassword":"`+next+`","matchingPassword":"`+next+`"}`, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("change password: %d %v", resp.StatusCode, out)
	}
	if resp, out := answer(pending); resp.StatusCode == http.StatusOK || errCode(out) != "OTP_EXPIRED" {
		t.Fatalf("code of a sign-in with the old password: %d %v; want it expired", resp.StatusCode, out)
	}
	if n := h.count("SELECT count(*) FROM customer_sessions WHERE customer_id = $1 AND revoked_at IS NULL", id); n != 1 {
		t.Errorf("%d live sessions; want only the one that changed the password", n)
	}
	// A sign-in with the new password gets a code that works.
	if resp, out := h.login(email, next); resp.StatusCode != http.StatusOK || data(out)["otpRequired"] != true {
		t.Fatalf("login with the new password: %d %v", resp.StatusCode, out)
	} else if resp, out := answer(data(out)["challengeId"].(string)); resp.StatusCode != http.StatusOK {
		t.Fatalf("its code: %d %v", resp.StatusCode, out)
	}
}
