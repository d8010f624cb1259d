package web

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/staff"
)

// frozen stops the harness clock at the start of a fifteen-minute
// window, so that every rate-limit window of a test is the same one.
func (h *harness) frozen() time.Time {
	at := time.Now().Truncate(15 * time.Minute)
	h.clock.set(at)
	h.t.Cleanup(func() { h.clock.set(time.Time{}) })
	return at
}

// tokenAt asks srv (the harness's server when empty) for a token.
func (h *harness) tokenAt(srv, clientID, secret string) (*http.Response, map[string]any) {
	h.t.Helper()
	if srv == "" {
		srv = h.srv.URL
	}
	resp, err := http.PostForm(srv+"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}})
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp, body
}

func retryAfter(t *testing.T, resp *http.Response, most int) {
	t.Helper()
	if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || n < 1 || n > most {
		t.Fatalf("Retry-After = %q; want 1 to %d seconds", resp.Header.Get("Retry-After"), most)
	}
}

// Finding 7 of the penetration test: 150 wrong client secrets in a row at
// /oauth/token, and never a 429. With the defaults (20 per client per
// five minutes) the 21st attempt is refused, even with the right secret,
// by every server on the database; another client is not affected, and
// the next window lets the client in again.
func TestTokenEndpointLimitsWrongSecrets(t *testing.T) {
	h := newHarness(t)
	at := h.frozen()
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	c, secret, err := h.s.APIClients.Create(ctx, h.tenant.ID, "backend", []string{"customers:read"})
	if err != nil {
		t.Fatal(err)
	}
	other, otherSecret, err := h.s.APIClients.Create(ctx, h.tenant.ID, "other", []string{"customers:read"})
	if err != nil {
		t.Fatal(err)
	}

	// A second server on the same database: the limit is one.
	deps := newDeps(h.s.Config, slog.New(slog.DiscardHandler), h.pool, h.clock.now, sharedLists(t))
	_, handler := newServer(deps)
	second := httptest.NewServer(handler)
	t.Cleanup(second.Close)

	for i := range 20 {
		srv := ""
		if i%2 == 1 {
			srv = second.URL
		}
		if resp, body := h.tokenAt(srv, c.ClientID, "cs_wrong"); resp.StatusCode != 401 || body["error"] != "invalid_client" {
			t.Fatalf("wrong secret %d: %d %v", i+1, resp.StatusCode, body)
		}
	}
	for _, srv := range []string{"", second.URL} {
		resp, body := h.tokenAt(srv, c.ClientID, secret)
		if resp.StatusCode != 429 || body["error"] != "slow_down" || body["error_description"] == "" {
			t.Fatalf("after 20 wrong secrets: %d %v; want 429 slow_down", resp.StatusCode, body)
		}
		retryAfter(t, resp, 300)
	}
	if resp, body := h.tokenAt("", other.ClientID, otherSecret); resp.StatusCode != 200 {
		t.Fatalf("another client: %d %v", resp.StatusCode, body)
	}
	h.clock.set(at.Add(5 * time.Minute))
	if resp, body := h.tokenAt("", c.ClientID, secret); resp.StatusCode != 200 {
		t.Fatalf("in the next window: %d %v", resp.StatusCode, body)
	}
	// An unknown client is limited as well (with the defaults).
	for i := range 21 {
		resp, _ := h.tokenAt("", "cl_nobody", "cs_wrong")
		if want := map[bool]int{true: 429, false: 401}[i == 20]; resp.StatusCode != want {
			t.Fatalf("unknown client, attempt %d: %d; want %d", i+1, resp.StatusCode, want)
		}
	}
}

// The tenant's own limits, per address and per e-mail address, on customer
// sign-in, its one-time codes and registration. Registered and unknown
// addresses are limited alike.
func TestCustomerRateLimitsFromPreferences(t *testing.T) {
	h := newHarness(t)
	h.frozen() // before any token is issued: tokens must not come from its future
	admin := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
	h.settings(`login_max_failures = 100, rate_limits = '{"signInAccount":{"max":3,"windowSeconds":600},"signInIp":{"max":8,"windowSeconds":600},` +
		`"otpIp":{"max":2,"windowSeconds":600},"registrationAccount":{"max":2,"windowSeconds":600}}'`)
	_, registered := h.newCustomer(admin)

	for _, email := range []string{registered, "nobody-" + registered} {
		for i := range 3 {
			if resp, out := h.login(email, "Wrong-Passw0rd!"); resp.StatusCode != 401 {
				t.Fatalf("%s, wrong password %d: %d %v", email, i+1, resp.StatusCode, out)
			}
		}
		resp, out := h.login(email, examplePass)
		if resp.StatusCode != 429 || errCode(out) != "RATE_LIMITED" {
			t.Fatalf("%s after 3 failures: %d %v; want 429 RATE_LIMITED", email, resp.StatusCode, out)
		}
		retryAfter(t, resp, 600)
	}
	// Per address: 6 failures so far; two more on fresh e-mail addresses
	// reach 8, and then every address from here is refused.
	for i := range 2 {
		if resp, _ := h.login(fmt.Sprintf("x%d-%s", i, registered), "Wrong-Passw0rd!"); resp.StatusCode != 401 {
			t.Fatalf("fresh address %d: %d", i, resp.StatusCode)
		}
	}
	if resp, out := h.login("y-"+registered, "Wrong-Passw0rd!"); resp.StatusCode != 429 || errCode(out) != "RATE_LIMITED" {
		t.Fatalf("after 8 failures from one address: %d %v", resp.StatusCode, out)
	}

	// One-time codes at sign-in: two wrong answers per address.
	for i := range 2 {
		body := fmt.Sprintf(`{"challengeId":"%08d-0000-4000-8000-000000000000","code":"123456"}`, i)
		if resp, out := h.apiCall("POST", loginOTPPath, h.tenant.Slug, "", body, nil); resp.StatusCode == 429 || resp.StatusCode < 400 {
			t.Fatalf("wrong code %d: %d %v", i+1, resp.StatusCode, out)
		}
	}
	resp, out := h.apiCall("POST", loginOTPPath, h.tenant.Slug, "", `{"challengeId":"00000009-0000-4000-8000-000000000000","code":"123456"}`, nil)
	if resp.StatusCode != 429 || errCode(out) != "RATE_LIMITED" {
		t.Fatalf("third wrong code: %d %v", resp.StatusCode, out)
	}
	retryAfter(t, resp, 600)

	// Registration: refusals per e-mail address (probing which are taken).
	body := variant(t, func(m map[string]any) { delete(m, "categorization"); m["email"] = registered })
	for i := range 2 {
		if resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, admin, body, nil); resp.StatusCode != 409 {
			t.Fatalf("registration %d of a taken address: %d %v", i+1, resp.StatusCode, out)
		}
	}
	if resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, admin, body, nil); resp.StatusCode != 429 || errCode(out) != "RATE_LIMITED" {
		t.Fatalf("third registration of a taken address: %d %v", resp.StatusCode, out)
	}
	// Other addresses still register.
	if resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, admin, variant(t, func(m map[string]any) { delete(m, "categorization") }), nil); resp.StatusCode != 201 {
		t.Fatalf("another address: %d %v", resp.StatusCode, out)
	}
	// Each refusal is counted for the operator, by the limit that refused.
	ms := httptest.NewServer(h.s.Metrics.Handler())
	t.Cleanup(ms.Close)
	sc := scrapeMetrics(t, ms.URL)
	for limit, want := range map[string]float64{"signin-account": 2, "signin-ip": 1, "otp-ip": 1, "registration-account": 1} {
		if got := sc.value("ciam_rate_limited_total", map[string]string{"limit": limit}); got != want {
			t.Errorf("ciam_rate_limited_total{limit=%q} = %v; want %v", limit, got, want)
		}
	}
}

// The limits are edited on the preferences page, validated next to each
// field, and then enforced.
func TestRateLimitsOnThePreferencesPage(t *testing.T) {
	h, _ := sessionHarness(t)
	h.frozen()
	_, c := h.signIn(staff.TenantAdmin)
	d := doc(t, h.get("/config/preferences", c))
	if v, _ := d.Find("#rateTokenClientMax").Attr("value"); v != "20" {
		t.Fatalf("default wrong secrets per client shown as %q", v)
	}
	if v, _ := d.Find("#rateTokenClientWindow").Attr("value"); v != "5 minutes" {
		t.Fatalf("default window shown as %q", v)
	}
	bad := h.post("/config/preferences", prefsValues(map[string]string{"rateTokenClientMax": "0", "rateSignInIpWindow": "soon", "rateOtpIpWindow": "1s"}), c)
	if bad.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid limits: %d", bad.StatusCode)
	}
	bd := doc(t, bad)
	for _, f := range []string{"rateTokenClientMax", "rateSignInIpWindow", "rateOtpIpWindow"} {
		if text(bd, `[data-testid="error-`+f+`"]`) == "" {
			t.Errorf("no error next to %s", f)
		}
	}
	if resp := h.post("/config/preferences", prefsValues(map[string]string{"rateTokenClientMax": "2", "rateTokenClientWindow": "10m"}), c); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", resp.StatusCode, text(doc(t, resp), `[data-testid^="error-"]`))
	}
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	cl, secret, err := h.s.APIClients.Create(ctx, h.tenant.ID, "backend", []string{"customers:read"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		h.tokenAt("", cl.ClientID, "cs_wrong")
	}
	resp, body := h.tokenAt("", cl.ClientID, secret)
	if resp.StatusCode != 429 {
		t.Fatalf("after 2 wrong secrets with a limit of 2: %d %v", resp.StatusCode, body)
	}
	retryAfter(t, resp, 600)
	if recs := h.auditActions(h.tenant.ID, "preferences.updated"); len(recs) != 1 {
		t.Errorf("audit = %+v", recs)
	}
}

// X-Forwarded-For is believed only from a trusted proxy: a client that
// writes a new address into it at every attempt is still limited by its
// own address.
func TestSignInLimitPerAddressIgnoresForgedForwardedFor(t *testing.T) {
	h := newHarness(t)
	h.frozen()
	h.settings(`rate_limits = '{"signInIp":{"max":3,"windowSeconds":600}}'`)
	cfg := h.s.Config
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} // not this test's loopback
	_, handler := newServer(newDeps(cfg, slog.New(slog.DiscardHandler), h.pool, h.clock.now, sharedLists(t)))
	direct := httptest.NewServer(handler)
	t.Cleanup(direct.Close)
	login := func(i int) int {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", direct.URL+sessionPath,
			strings.NewReader(fmt.Sprintf(`{"email":"n%d@example.com","password":"Wrong-Passw0rd!"}`, i)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Tenant-ID", h.tenant.Slug)
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 3 {
		if got := login(i); got != 401 {
			t.Fatalf("attempt %d: %d; want 401", i+1, got)
		}
	}
	if got := login(3); got != 429 {
		t.Fatalf("fourth attempt with a forged X-Forwarded-For: %d; want 429", got)
	}
}

// Each sign-in challenge has its own few attempts, but whoever has the
// password can ask for more challenges: wrong codes are also limited per
// customer, across challenges.
func TestSignInCodesLimitedPerCustomer(t *testing.T) {
	h := newHarness(t)
	h.frozen()
	admin := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
	h.settings(`login_otp_required = true, otp_max_attempts = 3, rate_limits = '{"otpAccount":{"max":4,"windowSeconds":900}}'`)
	_, email := h.newCustomer(admin)
	challenge := func() string {
		t.Helper()
		resp, out := h.login(email, examplePass)
		if resp.StatusCode != 200 || data(out)["challengeId"] == nil {
			t.Fatalf("login: %d %v", resp.StatusCode, out)
		}
		return data(out)["challengeId"].(string)
	}
	answer := func(ch, code string) (*http.Response, map[string]any) {
		return h.apiCall("POST", loginOTPPath, h.tenant.Slug, "", `{"challengeId":"`+ch+`","code":"`+code+`"}`, nil)
	}
	wrong := func(code string) string { return fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000) }

	ch := challenge()
	code := h.sentCode(ch)
	for i, want := range []int{422, 422, 423} {
		if resp, out := answer(ch, wrong(code)); resp.StatusCode != want {
			t.Fatalf("wrong code %d: %d %v; want %d", i+1, resp.StatusCode, out, want)
		}
	}
	ch = challenge()
	code = h.sentCode(ch)
	if resp, out := answer(ch, wrong(code)); resp.StatusCode != 422 {
		t.Fatalf("fourth wrong code, on a new challenge: %d %v", resp.StatusCode, out)
	}
	resp, out := answer(ch, code)
	if resp.StatusCode != 429 || errCode(out) != "RATE_LIMITED" {
		t.Fatalf("right code after 4 wrong ones: %d %v; want 429 RATE_LIMITED", resp.StatusCode, out)
	}
	retryAfter(t, resp, 900)
}

// Per address at the token endpoint: wrong secrets of several clients from
// one address add up.
func TestTokenEndpointLimitsWrongSecretsPerAddress(t *testing.T) {
	h := newHarness(t)
	h.frozen()
	h.settings(`rate_limits = '{"tokenIp":{"max":3,"windowSeconds":300}}'`)
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	var ids, secrets []string
	for i := range 4 {
		c, secret, err := h.s.APIClients.Create(ctx, h.tenant.ID, fmt.Sprint("client ", i), []string{"customers:read"})
		if err != nil {
			t.Fatal(err)
		}
		ids, secrets = append(ids, c.ClientID), append(secrets, secret)
	}
	for i := range 3 {
		if resp, body := h.tokenAt("", ids[i], "cs_wrong"); resp.StatusCode != 401 {
			t.Fatalf("wrong secret of client %d: %d %v", i, resp.StatusCode, body)
		}
	}
	resp, body := h.tokenAt("", ids[3], secrets[3])
	if resp.StatusCode != 429 || body["error"] != "slow_down" {
		t.Fatalf("a fourth client from the same address: %d %v; want 429 slow_down", resp.StatusCode, body)
	}
	retryAfter(t, resp, 300)
}
