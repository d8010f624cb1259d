package web

import (
	"encoding/base32"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

const (
	sessionPath  = api.Prefix + "/customer/session"
	loginOTPPath = api.Prefix + "/customer/session/otp"
	refreshPath  = api.Prefix + "/customer/session/refresh"
	examplePass  = "SecureP@ss123" // docs/examples/registration.json
)

// sessionHarness is the harness with an admin token of its own tenant,
// whose settings the session tests change freely.
func sessionHarness(t *testing.T) (*harness, string) {
	t.Helper()
	h := newHarness(t)
	t.Cleanup(func() { h.clock.set(time.Time{}) })
	return h, h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
}

// newCustomer registers a customer in the harness tenant and returns their
// id and e-mail address; the password is examplePass.
func (h *harness) newCustomer(admin string) (id, email string) {
	h.t.Helper()
	body := variant(h.t, func(m map[string]any) { delete(m, "categorization") })
	resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, admin, body, nil)
	if resp.StatusCode != http.StatusCreated {
		h.t.Fatalf("register: %d %v", resp.StatusCode, out)
	}
	var m map[string]any
	_ = json.Unmarshal([]byte(body), &m)
	return data(out)["customerId"].(string), m["email"].(string)
}

// settings changes the harness tenant's settings, e.g. "login_otp_required = true".
func (h *harness) settings(set string) {
	h.t.Helper()
	pool := dbtest.OwnerPool(h.t)
	if _, err := pool.Exec(h.t.Context(), "INSERT INTO tenant_settings (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING", h.tenant.ID); err != nil {
		h.t.Fatal(err)
	}
	if _, err := pool.Exec(h.t.Context(), "UPDATE tenant_settings SET "+set+" WHERE tenant_id = $1", h.tenant.ID); err != nil {
		h.t.Fatal(err)
	}
	h.s.Tenants.Forget(h.tenant.ID) // as the preferences page does after a change
}

func (h *harness) login(email, password string) (*http.Response, map[string]any) {
	h.t.Helper()
	return h.apiCall("POST", sessionPath, h.tenant.Slug, "", fmt.Sprintf(`{"email":%q,"password":%q}`, email, password), nil)
}

// signIn is a customer's access and refresh token.
func (h *harness) customerTokens(email string) (access, refresh string) {
	h.t.Helper()
	resp, out := h.login(email, examplePass)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("login: %d %v", resp.StatusCode, out)
	}
	return data(out)["accessToken"].(string), data(out)["refreshToken"].(string)
}

// sentCode is the code the customer.otp.requested event of a challenge
// carries to the tenant's notification connector.
func (h *harness) sentCode(challengeID string) string {
	h.t.Helper()
	var code string
	err := dbtest.OwnerPool(h.t).QueryRow(h.t.Context(),
		"SELECT payload->>'code' FROM events WHERE type = 'customer.otp.requested' AND payload->>'challengeId' = $1", challengeID).Scan(&code)
	if err != nil {
		h.t.Fatalf("no code sent for challenge %s: %v", challengeID, err)
	}
	return code
}

// assertSecretKept fails when secret appears in the audit trail or the
// server's log.
func (h *harness) assertSecretKept(secret string) {
	h.t.Helper()
	var n int
	err := dbtest.OwnerPool(h.t).QueryRow(h.t.Context(), `
		SELECT count(*) FROM audit_log
		WHERE tenant_id = $1 AND (coalesce(before::text, '') ~ ('\m' || $2 || '\M') OR coalesce(after::text, '') ~ ('\m' || $2 || '\M'))`,
		h.tenant.ID, secret).Scan(&n)
	if err != nil {
		h.t.Fatal(err)
	}
	if n != 0 {
		h.t.Errorf("%d audit records contain the secret", n)
	}
	if regexp.MustCompile(`\b` + regexp.QuoteMeta(secret) + `\b`).MatchString(h.logs.String()) {
		h.t.Errorf("the server's log contains the secret")
	}
}

func (h *harness) count(query string, args ...any) int {
	h.t.Helper()
	var n int
	if err := dbtest.OwnerPool(h.t).QueryRow(h.t.Context(), query, args...).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func data(body map[string]any) map[string]any {
	d, _ := body["data"].(map[string]any)
	return d
}

func TestLoginRefreshLogout(t *testing.T) {
	h, admin := sessionHarness(t)
	id, email := h.newCustomer(admin)

	resp, out := h.login(strings.ToUpper(email), examplePass)
	d := data(out)
	if resp.StatusCode != 200 || d["customerId"] != id || d["expiresIn"] != float64(900) || d["tokenType"] != "Bearer" ||
		d["accessToken"] == nil || d["refreshToken"] == nil || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("login: %d %v", resp.StatusCode, out)
	}
	access, refresh := d["accessToken"].(string), d["refreshToken"].(string)
	me := api.Prefix + "/customers/" + id
	if resp, out := h.apiCall("GET", me, h.tenant.Slug, access, "", nil); resp.StatusCode != 200 {
		t.Fatalf("customer token reads self: %d %v", resp.StatusCode, out)
	}
	var storedHash []byte
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT token_hash FROM refresh_tokens rt JOIN customer_sessions s ON s.id = rt.session_id WHERE s.customer_id = $1", id).Scan(&storedHash); err != nil || strings.Contains(string(storedHash), refresh) {
		t.Fatalf("refresh token stored as %x (%v); want only its hash", storedHash, err)
	}

	resp, out = h.apiCall("POST", refreshPath, h.tenant.Slug, "", `{"refreshToken":"`+refresh+`"}`, nil)
	if resp.StatusCode != 200 || data(out)["refreshToken"] == refresh || data(out)["customerId"] != id {
		t.Fatalf("refresh: %d %v", resp.StatusCode, out)
	}
	access2, refresh2 := data(out)["accessToken"].(string), data(out)["refreshToken"].(string)
	if resp, _ := h.apiCall("GET", me, h.tenant.Slug, access2, "", nil); resp.StatusCode != 200 {
		t.Fatalf("refreshed access token: %d", resp.StatusCode)
	}

	resp, out = h.apiCall("DELETE", sessionPath, h.tenant.Slug, access2, "", nil)
	if resp.StatusCode != 200 || data(out)["loggedOut"] != true {
		t.Fatalf("logout: %d %v", resp.StatusCode, out)
	}
	for _, tok := range []string{access, access2} {
		if resp, out := h.apiCall("GET", me, h.tenant.Slug, tok, "", nil); resp.StatusCode != 401 || errCode(out) != "TOKEN_REVOKED" {
			t.Fatalf("access token after logout: %d %v", resp.StatusCode, out)
		}
	}
	if resp, out := h.apiCall("POST", refreshPath, h.tenant.Slug, "", `{"refreshToken":"`+refresh2+`"}`, nil); resp.StatusCode != 401 || errCode(out) != "SESSION_REVOKED" {
		t.Fatalf("refresh after logout: %d %v", resp.StatusCode, out)
	}
	var actions []string
	for _, a := range h.auditActions(h.tenant.ID, "customer.s") {
		actions = append(actions, a.Action)
	}
	if strings.Join(actions, ",") != "customer.signed_out,customer.session_refreshed,customer.signed_in" {
		t.Errorf("audited %v", actions)
	}
	h.assertSecretKept(examplePass)

	// Logging out takes a customer token; an admin token is refused.
	if resp, _ := h.apiCall("DELETE", sessionPath, h.tenant.Slug, admin, "", nil); resp.StatusCode != 403 {
		t.Fatalf("logout with an admin token: %d", resp.StatusCode)
	}
}

func TestLoginFailures(t *testing.T) {
	h, admin := sessionHarness(t)
	id, email := h.newCustomer(admin)

	wrong, wrongOut := h.login(email, "Wrong-Passw0rd!")
	unknown, unknownOut := h.login("nobody-"+uuid.NewString()[:6]+"@example.com", examplePass)
	for _, c := range []struct {
		resp *http.Response
		out  map[string]any
	}{{wrong, wrongOut}, {unknown, unknownOut}} {
		if c.resp.StatusCode != 401 || errCode(c.out) != "INVALID_CREDENTIALS" {
			t.Fatalf("%d %v; want 401 INVALID_CREDENTIALS", c.resp.StatusCode, c.out)
		}
	}
	if wrongOut["error"].(map[string]any)["message"] != unknownOut["error"].(map[string]any)["message"] {
		t.Errorf("a wrong password and an unknown e-mail address are told apart: %v / %v", wrongOut, unknownOut)
	}
	failures := "SELECT failed_logins FROM customer_credentials WHERE customer_id = $1"
	if n := h.count(failures, id); n != 1 {
		t.Fatalf("failed_logins = %d; want 1", n)
	}
	h.customerTokens(email)
	if n := h.count(failures, id); n != 0 {
		t.Fatalf("failed_logins after a sign-in = %d; want 0", n)
	}

	// A customer an employee locked cannot sign in, even with the password.
	standing := api.Prefix + "/customers/" + id + "/standing"
	if resp, out := h.apiCall("POST", standing, h.tenant.Slug, admin, `{"action":"LOCK","reason":"fraud check"}`, nil); resp.StatusCode != 200 {
		t.Fatalf("lock: %d %v", resp.StatusCode, out)
	}
	if resp, out := h.login(email, examplePass); resp.StatusCode != 403 || errCode(out) != "ACCOUNT_DISABLED" {
		t.Fatalf("locked customer signs in: %d %v", resp.StatusCode, out)
	}
	if resp, out := h.login(email, "Wrong-Passw0rd!"); resp.StatusCode != 401 {
		t.Fatalf("locked customer, wrong password: %d %v; want 401 (the lock is not revealed)", resp.StatusCode, out)
	}
}

func TestConcurrentWrongPasswordsLockAfterExactlyTheLimit(t *testing.T) {
	h, admin := sessionHarness(t)
	const limit = 5
	h.settings(fmt.Sprintf("login_max_failures = %d, login_lockout = '15 minutes'", limit))
	id, email := h.newCustomer(admin)

	statuses := make([]int, 20)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			resp, _ := h.login(email, fmt.Sprintf("Wrong-%d-Passw0rd!", i))
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	got := map[int]int{}
	for _, s := range statuses {
		got[s]++
	}
	// The lock is silent: every wrong password gets 401, as an unknown
	// address would; the right password shows the lock below.
	if got[401] != 20 {
		t.Fatalf("statuses %v; want 20×401", got)
	}
	if n := h.count("SELECT failed_logins FROM customer_credentials WHERE customer_id = $1", id); n != limit {
		t.Fatalf("failed_logins = %d; want exactly the limit, %d", n, limit)
	}
	resp, out := h.login(email, examplePass)
	if resp.StatusCode != 423 || errCode(out) != "ACCOUNT_LOCKED" {
		t.Fatalf("right password while locked: %d %v", resp.StatusCode, out)
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 900 {
		t.Errorf("Retry-After = %q; want 1 to 900 seconds", resp.Header.Get("Retry-After"))
	}
	if n := h.count("SELECT count(*) FROM events WHERE type = 'customer.locked_out' AND entity_id = $1", id); n != 1 {
		t.Errorf("%d customer.locked_out events; want 1", n)
	}
	if n := h.count("SELECT count(*) FROM audit_log WHERE action = 'customer.locked_out' AND entity_id = $1", id); n != 1 {
		t.Errorf("%d customer.locked_out audit records; want 1", n)
	}

	h.clock.set(time.Now().Add(14 * time.Minute))
	if resp, _ := h.login(email, examplePass); resp.StatusCode != 423 {
		t.Fatalf("right password after 14 minutes: %d; want 423", resp.StatusCode)
	}
	h.clock.set(time.Now().Add(16 * time.Minute))
	if resp, out := h.login(email, examplePass); resp.StatusCode != 200 {
		t.Fatalf("right password after the lock passed: %d %v", resp.StatusCode, out)
	}
	h.assertSecretKept(examplePass)
}

func TestLoginWithOneTimeCode(t *testing.T) {
	h, admin := sessionHarness(t)
	h.settings("login_otp_required = true, otp_max_attempts = 3, otp_ttl = '5 minutes'")
	id, email := h.newCustomer(admin)

	challenge := func() string {
		t.Helper()
		resp, out := h.login(email, examplePass)
		d := data(out)
		if resp.StatusCode != 200 || d["otpRequired"] != true || d["channel"] != "SMS" || d["accessToken"] != nil {
			t.Fatalf("login: %d %v", resp.StatusCode, out)
		}
		return d["challengeId"].(string)
	}
	answer := func(ch, code string) (*http.Response, map[string]any) {
		return h.apiCall("POST", loginOTPPath, h.tenant.Slug, "", `{"challengeId":"`+ch+`","code":"`+code+`"}`, nil)
	}
	other := func(code string) string { return fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000) }

	ch := challenge()
	code := h.sentCode(ch)
	var dest string
	_ = dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT payload->>'destination' FROM events WHERE payload->>'challengeId' = $1", ch).Scan(&dest)
	if dest != "+447911123456" {
		t.Errorf("code sent to %q; want the customer's phone", dest)
	}
	if resp, out := answer(ch, other(code)); resp.StatusCode != 422 || errCode(out) != "INVALID_OTP" || details(out)[0] != "code: is not correct; 2 attempts left" {
		t.Fatalf("wrong code: %d %v", resp.StatusCode, out)
	}
	resp, out := answer(ch, code)
	if resp.StatusCode != 200 || data(out)["customerId"] != id || data(out)["accessToken"] == nil {
		t.Fatalf("right code: %d %v", resp.StatusCode, out)
	}
	if resp, out := h.apiCall("GET", api.Prefix+"/customers/"+id, h.tenant.Slug, data(out)["accessToken"].(string), "", nil); resp.StatusCode != 200 {
		t.Fatalf("token from the code: %d %v", resp.StatusCode, out)
	}
	if resp, out := answer(ch, code); resp.StatusCode != 409 || errCode(out) != "OTP_ALREADY_USED" {
		t.Fatalf("code used twice: %d %v", resp.StatusCode, out)
	}
	h.assertSecretKept(code)
	// Replaying the events shows that a code was sent, never the code.
	reader := h.adminToken(h.tenant, credential.ScopeEventsRead)
	_, evs := h.apiCall("GET", api.Prefix+"/events?limit=500", h.tenant.Slug, reader, "", nil)
	replayed := 0
	for _, e := range evs["data"].([]any) {
		ev := e.(map[string]any)
		if ev["event"] != "customer.otp.requested" {
			continue
		}
		replayed++
		if b, _ := json.Marshal(ev); strings.Contains(string(b), code) || strings.Contains(string(b), `"code"`) {
			t.Errorf("the replayed event carries the code: %s", b)
		}
	}
	if replayed == 0 {
		t.Error("the one-time code's event is not replayed at all")
	}

	// Attempts: the third wrong code uses the last attempt; after it even
	// the right code is refused.
	ch = challenge()
	code = h.sentCode(ch)
	for i, want := range []int{422, 422, 423, 423} {
		c := other(code)
		if i == 3 {
			c = code
		}
		if resp, out := answer(ch, c); resp.StatusCode != want {
			t.Fatalf("attempt %d: %d %v; want %d", i+1, resp.StatusCode, out, want)
		}
	}

	// Expiry.
	ch = challenge()
	code = h.sentCode(ch)
	h.clock.set(time.Now().Add(5*time.Minute + time.Second))
	if resp, out := answer(ch, code); resp.StatusCode != 422 || errCode(out) != "OTP_EXPIRED" {
		t.Fatalf("expired code: %d %v", resp.StatusCode, out)
	}

	// A challenge of another purpose does not sign anyone in.
	h.clock.set(time.Time{})
	resp, out = h.apiCall("POST", api.Prefix+"/security/otp/send", h.tenant.Slug, admin, `{"customerId":"`+id+`","channel":"EMAIL","purpose":"HIGH_VALUE_ACTION"}`, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("send: %d %v", resp.StatusCode, out)
	}
	hv := data(out)["challengeId"].(string)
	if resp, out := answer(hv, h.sentCode(hv)); resp.StatusCode != 404 {
		t.Fatalf("high-value code at sign-in: %d %v", resp.StatusCode, out)
	}
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

func TestRefreshTokenReuseRevokesTheFamily(t *testing.T) {
	h, admin := sessionHarness(t)
	id, email := h.newCustomer(admin)
	otherAccess, _ := h.customerTokens(email) // another session of the same customer
	access1, refresh1 := h.customerTokens(email)
	refresh := func(tok string) (*http.Response, map[string]any) {
		return h.apiCall("POST", refreshPath, h.tenant.Slug, "", `{"refreshToken":"`+tok+`"}`, nil)
	}
	resp, out := refresh(refresh1)
	if resp.StatusCode != 200 {
		t.Fatalf("refresh: %d %v", resp.StatusCode, out)
	}
	access2, refresh2 := data(out)["accessToken"].(string), data(out)["refreshToken"].(string)

	// Someone presents refresh1 again: the whole family ends.
	if resp, out := refresh(refresh1); resp.StatusCode != 401 || errCode(out) != "REFRESH_TOKEN_REUSED" {
		t.Fatalf("reused refresh token: %d %v", resp.StatusCode, out)
	}
	me := api.Prefix + "/customers/" + id
	for name, tok := range map[string]string{"first": access1, "rotated": access2} {
		if resp, out := h.apiCall("GET", me, h.tenant.Slug, tok, "", nil); resp.StatusCode != 401 || errCode(out) != "TOKEN_REVOKED" {
			t.Fatalf("%s access token of the revoked family: %d %v", name, resp.StatusCode, out)
		}
	}
	if resp, out := refresh(refresh2); resp.StatusCode != 401 || errCode(out) != "SESSION_REVOKED" {
		t.Fatalf("newest refresh token of the revoked family: %d %v", resp.StatusCode, out)
	}
	if resp, _ := h.apiCall("GET", me, h.tenant.Slug, otherAccess, "", nil); resp.StatusCode != 200 {
		t.Fatalf("another session of the customer: %d; want it untouched", resp.StatusCode)
	}
	if n := h.count("SELECT count(*) FROM events WHERE type = 'customer.session.revoked' AND entity_id = $1 AND payload->>'reason' = 'REFRESH_TOKEN_REUSED'", id); n != 1 {
		t.Errorf("%d customer.session.revoked events; want 1", n)
	}

	// Ten refreshes with one token at once: one wins, and the race itself
	// is reuse, so the family ends.
	_, refresh3 := h.customerTokens(email)
	statuses := make([]int, 10)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() { r, _ := refresh(refresh3); statuses[i] = r.StatusCode })
	}
	wg.Wait()
	won := 0
	for _, s := range statuses {
		if s == 200 {
			won++
		} else if s != 401 {
			t.Errorf("concurrent refresh: %d", s)
		}
	}
	if won != 1 {
		t.Fatalf("%d concurrent refreshes succeeded; want 1 (%v)", won, statuses)
	}

	// Unknown and expired.
	if resp, out := refresh("not-a-token"); resp.StatusCode != 401 || errCode(out) != "INVALID_REFRESH_TOKEN" {
		t.Fatalf("unknown refresh token: %d %v", resp.StatusCode, out)
	}
	_, refresh4 := h.customerTokens(email)
	h.clock.set(time.Now().Add(31 * 24 * time.Hour))
	if resp, out := refresh(refresh4); resp.StatusCode != 401 || errCode(out) != "SESSION_EXPIRED" {
		t.Fatalf("refresh after the session expired: %d %v", resp.StatusCode, out)
	}
}

func TestPINLockoutAndReset(t *testing.T) {
	h, admin := sessionHarness(t)
	id, email := h.newCustomer(admin)
	ctok, _ := h.customerTokens(email)
	pin := func(path, tok, body string) (*http.Response, map[string]any) {
		return h.apiCall("POST", api.Prefix+"/security/pin"+path, h.tenant.Slug, tok, body, nil)
	}

	if resp, out := pin("/verify", ctok, `{"pin":"5830"}`); resp.StatusCode != 409 || errCode(out) != "PIN_NOT_SET" {
		t.Fatalf("verify before set: %d %v", resp.StatusCode, out)
	}
	if resp, out := pin("", ctok, `{"pin":"5830"}`); resp.StatusCode != 200 || data(out)["pinSet"] != true || data(out)["customerId"] != id {
		t.Fatalf("set: %d %v", resp.StatusCode, out)
	}
	if resp, out := pin("/verify", ctok, `{"pin":"5830"}`); resp.StatusCode != 200 || data(out)["verified"] != true {
		t.Fatalf("verify: %d %v", resp.StatusCode, out)
	}
	// Changing takes the current PIN.
	if resp, out := pin("", ctok, `{"pin":"6942"}`); resp.StatusCode != 422 || details(out)[0] != "currentPin: is required to change the PIN" {
		t.Fatalf("change without currentPin: %d %v", resp.StatusCode, out)
	}
	if resp, out := pin("", ctok, `{"pin":"6942","currentPin":"5830"}`); resp.StatusCode != 200 {
		t.Fatalf("change: %d %v", resp.StatusCode, out)
	}
	// The admin token names the customer; the customer token may only
	// name itself.
	if resp, out := pin("/verify", admin, `{"pin":"6942"}`); resp.StatusCode != 422 || details(out)[0] != "customerId: is required" {
		t.Fatalf("admin without customerId: %d %v", resp.StatusCode, out)
	}
	if resp, out := pin("/verify", admin, `{"customerId":"`+id+`","pin":"6942"}`); resp.StatusCode != 200 {
		t.Fatalf("admin verify: %d %v", resp.StatusCode, out)
	}
	otherID, _ := h.newCustomer(admin)
	if resp, _ := pin("/verify", ctok, `{"customerId":"`+otherID+`","pin":"6942"}`); resp.StatusCode != 404 {
		t.Fatalf("customer token on another customer's PIN: %d", resp.StatusCode)
	}

	// Ten wrong PINs at once: exactly the limit (3) are told "wrong", the
	// rest "locked"; then even the right PIN is locked.
	statuses := make([]int, 10)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() { r, _ := pin("/verify", ctok, `{"pin":"1357"}`); statuses[i] = r.StatusCode })
	}
	wg.Wait()
	got := map[int]int{}
	for _, s := range statuses {
		got[s]++
	}
	if got[422] != 3 || got[423] != 7 {
		t.Fatalf("statuses %v; want 3×422 and 7×423", got)
	}
	if resp, out := pin("/verify", ctok, `{"pin":"6942"}`); resp.StatusCode != 423 || errCode(out) != "PIN_LOCKED" {
		t.Fatalf("right PIN while locked: %d %v", resp.StatusCode, out)
	}
	if n := h.count("SELECT count(*) FROM events WHERE type = 'customer.pin.locked' AND entity_id = $1", id); n != 1 {
		t.Errorf("%d customer.pin.locked events; want 1", n)
	}

	// An employee resets it, with a reason, audited under their name.
	emp := h.employee(staff.Support)
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.Employee, ID: emp.ID.String(), Name: emp.Name, TenantID: h.tenant.ID})
	if err := h.s.CustomerAuth.ResetPIN(ctx, h.tenant.ID, uuid.MustParse(id), ""); err == nil {
		t.Fatal("reset without a reason")
	}
	if err := h.s.CustomerAuth.ResetPIN(ctx, h.tenant.ID, uuid.MustParse(id), "customer called, identity checked"); err != nil {
		t.Fatal(err)
	}
	var actorType, actorID string
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT actor_type, actor_id FROM audit_log WHERE action = 'customer.pin_reset' AND entity_id = $1", id).Scan(&actorType, &actorID); err != nil ||
		actorType != "EMPLOYEE" || actorID != emp.ID.String() {
		t.Fatalf("reset audited as %s %s (%v); want the employee", actorType, actorID, err)
	}
	if resp, out := pin("/verify", ctok, `{"pin":"6942"}`); resp.StatusCode != 409 || errCode(out) != "PIN_NOT_SET" {
		t.Fatalf("verify after reset: %d %v", resp.StatusCode, out)
	}
	if resp, out := pin("", ctok, `{"pin":"2468"}`); resp.StatusCode != 200 {
		t.Fatalf("set after reset: %d %v", resp.StatusCode, out)
	}
	for _, p := range []string{"5830", "6942", "2468", "1357"} {
		h.assertSecretKept(p)
	}
}

func TestPINResetWithOneTimeCode(t *testing.T) {
	h, admin := sessionHarness(t)
	id, email := h.newCustomer(admin)
	ctok, _ := h.customerTokens(email)
	post := func(path, body string) (*http.Response, map[string]any) {
		return h.apiCall("POST", api.Prefix+path, h.tenant.Slug, ctok, body, nil)
	}
	post("/security/pin", `{"pin":"5830"}`)
	for range 3 {
		post("/security/pin/verify", `{"pin":"1357"}`)
	}
	resp, out := post("/security/otp/send", `{"channel":"EMAIL","purpose":"PIN_RESET"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("send: %d %v", resp.StatusCode, out)
	}
	ch := data(out)["challengeId"].(string)
	code := h.sentCode(ch)
	if resp, out := post("/security/otp/verify", `{"challengeId":"`+ch+`","code":"`+code+`"}`); resp.StatusCode != 422 || errCode(out) != "OTP_PURPOSE_MISMATCH" {
		t.Fatalf("PIN reset code at otp/verify: %d %v", resp.StatusCode, out)
	}
	if resp, out := post("/security/pin/reset", `{"challengeId":"`+ch+`","code":"`+code+`","newPin":"1234"}`); resp.StatusCode != 422 || !strings.HasPrefix(details(out)[0], "newPin: ") {
		t.Fatalf("reset to a trivial PIN: %d %v", resp.StatusCode, out)
	}
	if resp, out := post("/security/pin/reset", `{"challengeId":"`+ch+`","code":"`+code+`","newPin":"7305"}`); resp.StatusCode != 200 || data(out)["pinSet"] != true {
		t.Fatalf("reset: %d %v", resp.StatusCode, out)
	}
	if resp, out := post("/security/pin/verify", `{"pin":"7305"}`); resp.StatusCode != 200 {
		t.Fatalf("new PIN: %d %v", resp.StatusCode, out)
	}
	if n := h.count("SELECT count(*) FROM events WHERE type = 'customer.pin.reset' AND entity_id = $1", id); n != 1 {
		t.Errorf("%d customer.pin.reset events; want 1", n)
	}
	h.assertSecretKept(code)
}

func TestTrivialPINsAreRefused(t *testing.T) {
	h, admin := sessionHarness(t)
	id, _ := h.newCustomer(admin) // born 1990-05-15
	tests := []struct {
		name, pin, issue string
	}{
		{"one digit repeated", "1111", "one digit repeated"},
		{"ascending", "1234", "consecutive digits"},
		{"descending", "4321", "consecutive digits"},
		{"ascending through zero", "8901", "consecutive digits"},
		{"pattern", "1212", "short pattern"},
		{"birth year", "1990", "date or year of birth"},
		{"birth DDMM", "1505", "date or year of birth"},
		{"birth MMDD", "0515", "date or year of birth"},
		{"too long", "58301", "exactly 4 digits"},
		{"too short", "583", "exactly 4 digits"},
		{"not digits", "58a0", "digits only"},
		{"missing", "", "is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			resp, out := h.apiCall("POST", api.Prefix+"/security/pin", h.tenant.Slug, admin, `{"customerId":"`+id+`","pin":"`+tc.pin+`"}`, nil)
			d := details(out)
			if resp.StatusCode != 422 || errCode(out) != "VALIDATION_FAILED" || len(d) != 1 || !strings.HasPrefix(d[0], "pin: ") || !strings.Contains(d[0], tc.issue) {
				t.Fatalf("%d %v; want one detail on pin about %q", resp.StatusCode, out, tc.issue)
			}
		})
	}
	// The tenant's length applies.
	h.settings("pin_length = 6")
	if resp, out := h.apiCall("POST", api.Prefix+"/security/pin", h.tenant.Slug, admin, `{"customerId":"`+id+`","pin":"583047"}`, nil); resp.StatusCode != 200 {
		t.Fatalf("six-digit PIN with pin_length 6: %d %v", resp.StatusCode, out)
	}
}

func TestOneTimeCodes(t *testing.T) {
	h, admin := sessionHarness(t)
	id, email := h.newCustomer(admin)
	send := func(tok, body string) (*http.Response, map[string]any) {
		return h.apiCall("POST", api.Prefix+"/security/otp/send", h.tenant.Slug, tok, body, nil)
	}
	verify := func(tok, ch, code string) (*http.Response, map[string]any) {
		return h.apiCall("POST", api.Prefix+"/security/otp/verify", h.tenant.Slug, tok, `{"challengeId":"`+ch+`","code":"`+code+`"}`, nil)
	}
	sendOK := func(body string) string {
		t.Helper()
		resp, out := send(admin, body)
		if resp.StatusCode != 200 || data(out)["expiresAt"] == nil {
			t.Fatalf("send: %d %v", resp.StatusCode, out)
		}
		return data(out)["challengeId"].(string)
	}
	hva := `{"customerId":"` + id + `","channel":"SMS","purpose":"HIGH_VALUE_ACTION"}`

	ch := sendOK(hva)
	code := h.sentCode(ch)
	if len(code) != 6 {
		t.Fatalf("code %q; want 6 digits", code)
	}
	var stored []byte
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT code_hash FROM otp_challenges WHERE id = $1", ch).Scan(&stored); err != nil || strings.Contains(string(stored), code) || len(stored) != 32 {
		t.Fatalf("code stored as %x (%v); want a 32-byte hash", stored, err)
	}
	if resp, out := verify(admin, ch, fmt.Sprintf("%06d", (atoi(code)+7)%1_000_000)); resp.StatusCode != 422 || errCode(out) != "INVALID_OTP" {
		t.Fatalf("wrong code: %d %v", resp.StatusCode, out)
	}
	if resp, out := verify(admin, ch, code); resp.StatusCode != 200 || data(out)["verified"] != true || data(out)["purpose"] != "HIGH_VALUE_ACTION" {
		t.Fatalf("right code: %d %v", resp.StatusCode, out)
	}
	if resp, out := verify(admin, ch, code); resp.StatusCode != 409 || errCode(out) != "OTP_ALREADY_USED" {
		t.Fatalf("code twice: %d %v", resp.StatusCode, out)
	}
	h.assertSecretKept(code)

	// Attempts (default 5): four wrong answers say so, the fifth uses the
	// last attempt; then the right code is refused too.
	ch = sendOK(hva)
	code = h.sentCode(ch)
	wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
	for i, want := range []int{422, 422, 422, 422, 423, 423} {
		c := wrong
		if i == 5 {
			c = code
		}
		if resp, out := verify(admin, ch, c); resp.StatusCode != want || (want == 423 && errCode(out) != "OTP_ATTEMPTS_EXCEEDED") {
			t.Fatalf("attempt %d: %d %v; want %d", i+1, resp.StatusCode, out, want)
		}
	}

	// Expiry (default 5 minutes).
	ch = sendOK(`{"customerId":"` + id + `","channel":"EMAIL","purpose":"EMAIL_CHANGE"}`)
	code = h.sentCode(ch)
	h.clock.set(time.Now().Add(5 * time.Minute))
	if resp, out := verify(admin, ch, code); resp.StatusCode != 422 || errCode(out) != "OTP_EXPIRED" {
		t.Fatalf("expired code: %d %v", resp.StatusCode, out)
	}
	h.clock.set(time.Time{})

	// A customer token sends for itself and sees only its own challenges.
	ctok, _ := h.customerTokens(email)
	resp, out := send(ctok, `{"channel":"EMAIL","purpose":"HIGH_VALUE_ACTION"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("customer sends: %d %v", resp.StatusCode, out)
	}
	otherID, otherEmail := h.newCustomer(admin)
	otherTok, _ := h.customerTokens(otherEmail)
	own := data(out)["challengeId"].(string)
	if resp, _ := verify(otherTok, own, h.sentCode(own)); resp.StatusCode != 404 {
		t.Fatalf("another customer's challenge: %d", resp.StatusCode)
	}
	if resp, _ := send(ctok, `{"customerId":"`+otherID+`","channel":"EMAIL","purpose":"HIGH_VALUE_ACTION"}`); resp.StatusCode != 404 {
		t.Fatalf("customer token sends to another: %d", resp.StatusCode)
	}

	// Five codes in 15 minutes at most: this customer has had four.
	sendOK(hva)
	resp, out = send(admin, hva)
	if resp.StatusCode != 429 || errCode(out) != "OTP_RATE_LIMITED" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("sixth code: %d %v %q", resp.StatusCode, out, resp.Header.Get("Retry-After"))
	}

	// Bad requests name the field.
	tests := []struct {
		name, body, field string
	}{
		{"sign-in purpose", `{"customerId":"` + id + `","channel":"SMS","purpose":"LOGIN"}`, "purpose"},
		{"unknown purpose", `{"customerId":"` + id + `","channel":"SMS","purpose":"FUN"}`, "purpose"},
		{"unknown channel", `{"customerId":"` + id + `","channel":"FAX","purpose":"PIN_RESET"}`, "channel"},
		{"TOTP without an app", `{"customerId":"` + otherID + `","channel":"TOTP","purpose":"PIN_RESET"}`, "channel"},
		{"customer id not a UUID", `{"customerId":"42","channel":"SMS","purpose":"PIN_RESET"}`, "customerId"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			resp, out := h.apiCall("POST", api.Prefix+"/security/otp/send", h.tenant.Slug, admin, tc.body, nil)
			if d := details(out); resp.StatusCode != 422 || len(d) != 1 || !strings.HasPrefix(d[0], tc.field+": ") {
				t.Fatalf("%d %v; want one detail on %s", resp.StatusCode, out, tc.field)
			}
		})
	}
}

func TestTOTPEnrolmentAndCodes(t *testing.T) {
	h, admin := sessionHarness(t)
	id, email := h.newCustomer(admin)
	ctok, _ := h.customerTokens(email)
	post := func(tok, path, body string) (*http.Response, map[string]any) {
		return h.apiCall("POST", api.Prefix+path, h.tenant.Slug, tok, body, nil)
	}
	if resp, _ := post(admin, "/security/totp", ""); resp.StatusCode != 403 {
		t.Fatalf("admin token enrols: %d; want 403 (customer only)", resp.StatusCode)
	}
	resp, out := post(ctok, "/security/totp", "")
	d := data(out)
	if resp.StatusCode != 200 || !strings.HasPrefix(fmt.Sprint(d["otpauthUri"]), "otpauth://totp/Web%20Test%20Ltd:") || d["period"] != float64(30) {
		t.Fatalf("begin: %d %v", resp.StatusCode, out)
	}
	secret, err := base32NoPad(d["secret"].(string))
	if err != nil {
		t.Fatal(err)
	}
	var sealed []byte
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT totp_secret FROM customer_credentials WHERE customer_id = $1", id).Scan(&sealed); err != nil ||
		strings.Contains(string(sealed), string(secret)) || strings.Contains(string(sealed), d["secret"].(string)) {
		t.Fatalf("TOTP secret stored in clear (%v)", err)
	}

	now := time.Now()
	h.clock.set(now)
	if resp, out := post(ctok, "/security/totp/confirm", `{"code":"`+wrongTOTP(secret, now)+`"}`); resp.StatusCode != 422 || errCode(out) != "INVALID_OTP" {
		t.Fatalf("confirm with a wrong code: %d %v", resp.StatusCode, out)
	}
	confirmCode := credential.TOTPCode(secret, now)
	if resp, out := post(ctok, "/security/totp/confirm", `{"code":"`+confirmCode+`"}`); resp.StatusCode != 200 || data(out)["totpEnrolled"] != true {
		t.Fatalf("confirm: %d %v", resp.StatusCode, out)
	}
	if resp, out := post(ctok, "/security/totp", ""); resp.StatusCode != 409 || errCode(out) != "TOTP_ALREADY_ENROLLED" {
		t.Fatalf("begin again: %d %v", resp.StatusCode, out)
	}

	// A TOTP challenge sends nothing and takes the app's code, each code once.
	resp, out = post(ctok, "/security/otp/send", `{"channel":"TOTP","purpose":"HIGH_VALUE_ACTION"}`)
	if resp.StatusCode != 200 || data(out)["channel"] != "TOTP" {
		t.Fatalf("TOTP challenge: %d %v", resp.StatusCode, out)
	}
	ch := data(out)["challengeId"].(string)
	if n := h.count("SELECT count(*) FROM events WHERE type = 'customer.otp.requested' AND payload->>'challengeId' = $1", ch); n != 0 {
		t.Errorf("a TOTP challenge sent %d codes", n)
	}
	verify := func(code string) (*http.Response, map[string]any) {
		return post(ctok, "/security/otp/verify", `{"challengeId":"`+ch+`","code":"`+code+`"}`)
	}
	if resp, out := verify(confirmCode); resp.StatusCode != 422 || errCode(out) != "INVALID_OTP" {
		t.Fatalf("the confirmation code replayed: %d %v", resp.StatusCode, out)
	}
	later := now.Add(credential.TOTPPeriod)
	h.clock.set(later)
	if resp, out := verify(credential.TOTPCode(secret, later)); resp.StatusCode != 200 {
		t.Fatalf("next code: %d %v", resp.StatusCode, out)
	}

	// Sign-in codes come from the app too.
	h.settings("login_otp_required = true")
	resp, out = h.login(email, examplePass)
	if resp.StatusCode != 200 || data(out)["channel"] != "TOTP" {
		t.Fatalf("login: %d %v", resp.StatusCode, out)
	}
	ch = data(out)["challengeId"].(string)
	later = later.Add(credential.TOTPPeriod)
	h.clock.set(later)
	if resp, out := h.apiCall("POST", loginOTPPath, h.tenant.Slug, "", `{"challengeId":"`+ch+`","code":"`+credential.TOTPCode(secret, later)+`"}`, nil); resp.StatusCode != 200 || data(out)["accessToken"] == nil {
		t.Fatalf("sign-in with the app's code: %d %v", resp.StatusCode, out)
	}
	h.assertSecretKept(d["secret"].(string))

	// A lost phone: an employee removes the app, with a reason; the
	// customer enrols a new one.
	emp := h.employee(staff.Support)
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.Employee, ID: emp.ID.String(), Name: emp.Name, TenantID: h.tenant.ID})
	if err := h.s.CustomerAuth.RemoveTOTP(ctx, h.tenant.ID, uuid.MustParse(id), ""); err == nil {
		t.Fatal("removed without a reason")
	}
	if err := h.s.CustomerAuth.RemoveTOTP(ctx, h.tenant.ID, uuid.MustParse(id), "customer lost their phone"); err != nil {
		t.Fatal(err)
	}
	if n := h.count("SELECT count(*) FROM audit_log WHERE action = 'customer.totp_removed' AND actor_id = $1", emp.ID.String()); n != 1 {
		t.Errorf("%d customer.totp_removed audit records by the employee; want 1", n)
	}
	if resp, out := post(ctok, "/security/otp/send", `{"channel":"TOTP","purpose":"HIGH_VALUE_ACTION"}`); resp.StatusCode != 422 {
		t.Fatalf("TOTP challenge after removal: %d %v", resp.StatusCode, out)
	}
	if resp, out := post(ctok, "/security/totp", ""); resp.StatusCode != 200 {
		t.Fatalf("enrol again: %d %v", resp.StatusCode, out)
	}
}

func base32NoPad(s string) ([]byte, error) {
	return base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
}

// wrongTOTP is a six-digit code that matches none of the accepted steps.
func wrongTOTP(secret []byte, now time.Time) string {
	for n := 0; ; n++ {
		c := fmt.Sprintf("%06d", n)
		if _, ok := credential.VerifyTOTP(secret, c, now, -1); !ok {
			return c
		}
	}
}

func TestSessionRequestShape(t *testing.T) {
	h, admin := sessionHarness(t)
	_, email := h.newCustomer(admin)
	ctok, _ := h.customerTokens(email)
	tests := []struct {
		name, path, tenant, token, body string
		status                          int
		code                            string
		fields                          []string
	}{
		{"malformed JSON", sessionPath, h.tenant.Slug, "", `{"email":`, 400, "INVALID_REQUEST", nil},
		{"unknown field", sessionPath, h.tenant.Slug, "", `{"email":"a@b.c","password":"x","remember":true}`, 400, "INVALID_REQUEST", []string{"remember"}},
		{"wrong type", sessionPath, h.tenant.Slug, "", `{"email":"a@b.c","password":12345}`, 400, "INVALID_REQUEST", []string{"password"}},
		{"missing fields", sessionPath, h.tenant.Slug, "", `{}`, 422, "VALIDATION_FAILED", []string{"email", "password"}},
		{"no tenant", sessionPath, "", "", `{"email":"a@b.c","password":"x"}`, 400, "INVALID_REQUEST", nil},
		{"unknown tenant", sessionPath, "no_such_tenant", "", `{"email":"a@b.c","password":"x"}`, 404, "TENANT_NOT_FOUND", nil},
		{"code not digits", loginOTPPath, h.tenant.Slug, "", `{"challengeId":"` + uuid.NewString() + `","code":"12ab56"}`, 422, "VALIDATION_FAILED", []string{"code"}},
		{"challenge not a UUID", loginOTPPath, h.tenant.Slug, "", `{"challengeId":"x","code":"123456"}`, 422, "VALIDATION_FAILED", []string{"challengeId"}},
		{"unknown challenge", loginOTPPath, h.tenant.Slug, "", `{"challengeId":"` + uuid.NewString() + `","code":"123456"}`, 404, "CHALLENGE_NOT_FOUND", nil},
		{"refresh token missing", refreshPath, h.tenant.Slug, "", `{"refreshToken":""}`, 422, "VALIDATION_FAILED", []string{"refreshToken"}},
		{"PIN wrong type", api.Prefix + "/security/pin", h.tenant.Slug, ctok, `{"pin":1234}`, 400, "INVALID_REQUEST", []string{"pin"}},
		{"TOTP code missing", api.Prefix + "/security/totp/confirm", h.tenant.Slug, ctok, `{}`, 422, "VALIDATION_FAILED", []string{"code"}},
		{"PIN reset without code", api.Prefix + "/security/pin/reset", h.tenant.Slug, ctok, `{"newPin":"5830"}`, 422, "VALIDATION_FAILED", []string{"challengeId", "code"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			resp, out := h.apiCall("POST", tc.path, tc.tenant, tc.token, tc.body, nil)
			var fields []string
			for _, d := range details(out) {
				f, _, _ := strings.Cut(d, ":")
				fields = append(fields, f)
			}
			if resp.StatusCode != tc.status || errCode(out) != tc.code || strings.Join(fields, ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("%d %v; want %d %s on %v", resp.StatusCode, out, tc.status, tc.code, tc.fields)
			}
		})
	}
	// Signing in ignores a token, even another tenant's.
	other := h.adminToken(h.demoTenant(), credential.ScopeCustomersRead)
	if resp, out := h.apiCall("POST", sessionPath, h.tenant.Slug, other, `{"email":"`+email+`","password":"`+examplePass+`"}`, nil); resp.StatusCode != 200 {
		t.Fatalf("login with a stray token: %d %v", resp.StatusCode, out)
	}
}
