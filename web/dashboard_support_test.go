package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

// Problem 9: the support role's dashboard was empty. It now shows the
// customers locked today (by an employee or after failed sign-ins), the
// failed one-time codes and sign-ins today, and the latest registrations
// with the e-mail masked as the one rule says.
func TestSupportDashboard(t *testing.T) {
	h, admin := sessionHarness(t)
	h.settings("login_max_failures = 3, login_lockout = '15 minutes'")
	_, support := h.signIn(staff.Support)

	empty := doc(t, h.get("/dashboard", support))
	if empty.Find(`[data-testid="support-today"]`).Length() != 1 {
		t.Fatal("the support dashboard has no support section")
	}
	if !strings.Contains(empty.Find(`[data-testid="support-today"]`).Text(), "No customer was locked today.") {
		t.Error("no empty state for locks")
	}

	lockedOut, lockedOutEmail := h.newCustomer(admin)
	lockedByStaff, _ := h.newCustomer(admin)
	other, otherEmail := h.newCustomer(admin)
	for range 3 {
		h.login(lockedOutEmail, "Wrong-Passw0rd!")
	}
	h.login(otherEmail, "Wrong-Passw0rd!")
	if resp := h.post("/customers/"+lockedByStaff+"/standing", url.Values{"action": {"LOCK"}, "reason": {"reported a stolen phone"}}, support); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("lock: %d", resp.StatusCode)
	}
	resp, out := h.apiCall("POST", api.Prefix+"/security/otp/send", h.tenant.Slug, admin, `{"customerId":"`+other+`","channel":"EMAIL","purpose":"HIGH_VALUE_ACTION"}`, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("otp send: %d %v", resp.StatusCode, out)
	}
	ch := data(out)["challengeId"].(string)
	h.apiCall("POST", api.Prefix+"/security/otp/verify", h.tenant.Slug, admin, `{"challengeId":"`+ch+`","code":"000000"}`, nil)
	otpFailed := h.count("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'customer.otp_failed'", h.tenant.ID)
	if otpFailed == 0 {
		t.Fatal("the wrong code was not recorded as a failure")
	}
	signInFailed := h.count("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'customer.sign_in_failed'", h.tenant.ID)

	d := doc(t, h.get("/dashboard", support))
	if got := text(d, `[data-testid="support-locked-count"]`); got != "2" {
		t.Errorf("locked today = %q, want 2", got)
	}
	locked := map[string]string{}
	d.Find(`[data-testid="support-locked-item"]`).Each(func(_ int, s *goquerySelection) {
		href, _ := s.Find("a").Attr("href")
		locked[strings.TrimPrefix(href, "/customers/")] = s.Text()
	})
	if !strings.Contains(locked[lockedOut], "locked out after failed sign-ins") || !strings.Contains(locked[lockedByStaff], "locked by an employee") {
		t.Errorf("locked = %v", locked)
	}
	if got := text(d, `[data-testid="support-signin-failures"]`); got != strconv.Itoa(signInFailed) || signInFailed < 4 {
		t.Errorf("sign-in failures = %q, want %d (at least 4)", got, signInFailed)
	}
	if got := text(d, `[data-testid="support-otp-failures"]`); got != strconv.Itoa(otpFailed) {
		t.Errorf("OTP failures = %q, want %d", got, otpFailed)
	}
	regs := d.Find(`[data-testid="support-registered-item"]`)
	if regs.Length() != 3 {
		t.Errorf("recent registrations = %d, want 3", regs.Length())
	}
	if strings.Contains(regs.Text(), otherEmail) || !strings.Contains(regs.Text(), "•") {
		t.Errorf("support sees registrations' e-mails unmasked: %s", regs.Text())
	}
	// An analyst's dashboard keeps its queues, without the support view.
	_, analyst := h.signIn(staff.Analyst)
	if doc(t, h.get("/dashboard", analyst)).Find(`[data-testid="support-today"]`).Length() != 0 {
		t.Error("the analyst gets the support view")
	}
}
