package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/staff"
)

// startLogin begins a sign-in and returns the flow cookie and the state
// and nonce the server sent to the provider.
func (h *harness) startLogin() (flow *http.Cookie, state, nonce string) {
	h.t.Helper()
	resp := h.get("/login?next=/audit")
	if resp.StatusCode != http.StatusFound {
		h.t.Fatalf("GET /login: status %d; want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		h.t.Fatal(err)
	}
	q := loc.Query()
	if !strings.HasPrefix(loc.String(), h.idp.srv.URL+"/auth") || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("nonce") == "" || q.Get("client_id") != idpClientID {
		h.t.Fatalf("authorization request %s lacks PKCE, state, nonce or client", loc)
	}
	flow = cookieNamed(resp, authCookie)
	if flow == nil || !flow.HttpOnly || flow.SameSite != http.SameSiteLaxMode {
		h.t.Fatalf("flow cookie = %+v; want HttpOnly SameSite=Lax", flow)
	}
	h.idp.mu.Lock()
	h.idp.nonce = q.Get("nonce")
	h.idp.mu.Unlock()
	return flow, q.Get("state"), q.Get("nonce")
}

func (h *harness) claims(fn func(f *fakeIdP, nonce string) map[string]any) {
	h.idp.mu.Lock()
	h.idp.claims = fn
	h.idp.mu.Unlock()
}

func TestSignInThroughTheProvider(t *testing.T) {
	h := newHarness(t)
	e := h.employee(staff.Auditor)
	h.claims(func(f *fakeIdP, nonce string) map[string]any {
		return f.validClaims(nonce, "sub-"+e.ID.String(), e.Email)
	})
	flow, state, _ := h.startLogin()

	resp := h.get("/auth/callback?code=good-code&state="+url.QueryEscape(state), flow)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/audit" {
		t.Fatalf("callback: status %d to %q; want 303 to /audit", resp.StatusCode, resp.Header.Get("Location"))
	}
	if h.idp.verifier == "" {
		t.Error("token request carried no PKCE code_verifier")
	}
	sess := cookieNamed(resp, sessionCookie)
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie = %+v; want HttpOnly SameSite=Lax", sess)
	}
	d := doc(t, h.get("/dashboard", sess))
	if got := text(d, `[data-testid="user-name"]`); got != e.Name {
		t.Errorf("signed in as %q; want %q", got, e.Name)
	}
	if got := text(d, `[data-testid="tenant-name"]`); got != h.tenant.Name {
		t.Errorf("tenant %q; want %q", got, h.tenant.Name)
	}
	if recs := h.auditActions(h.tenant.ID, "auth.signin"); len(recs) != 1 || recs[0].Action != "auth.signin" {
		t.Errorf("audit = %+v; want one auth.signin", recs)
	}
	// The flow cookie is good for one attempt: the callback deletes it.
	if c := cookieNamed(resp, authCookie); c == nil || c.MaxAge >= 0 {
		t.Errorf("callback left the flow cookie: %+v", c)
	}
}

func TestSignInRefusals(t *testing.T) {
	h := newHarness(t)
	e := h.employee(staff.Analyst)
	good := func(f *fakeIdP, nonce string) map[string]any {
		return f.validClaims(nonce, "sub-"+e.ID.String(), e.Email)
	}
	with := func(change func(c map[string]any)) func(f *fakeIdP, nonce string) map[string]any {
		return func(f *fakeIdP, nonce string) map[string]any {
			c := good(f, nonce)
			change(c)
			return c
		}
	}
	tests := []struct {
		name    string
		claims  func(f *fakeIdP, nonce string) map[string]any
		query   func(state string) string
		noFlow  bool
		status  int
		reason  string // audit reason code for no tenant; "" when the refusal is the tenant's
		message string
	}{
		{name: "wrong state", claims: good, query: func(string) string { return "code=good-code&state=forged" },
			status: 400, reason: reasonStateMismatch, message: "does not belong"},
		{name: "no flow cookie", claims: good, noFlow: true, status: 400, reason: reasonStateMissing, message: "Start again"},
		{name: "wrong nonce", claims: with(func(c map[string]any) { c["nonce"] = "someone-elses" }), status: 400, reason: reasonNonceMismatch, message: "nonce"},
		{name: "other issuer", claims: with(func(c map[string]any) { c["iss"] = "https://evil.example" }), status: 400, reason: reasonTokenInvalid, message: "wrong issuer"},
		{name: "other audience", claims: with(func(c map[string]any) { c["aud"] = "another-app" }), status: 400, reason: reasonTokenInvalid, message: "audience"},
		{name: "expired token", claims: with(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }), status: 400, reason: reasonTokenInvalid, message: "expiry"},
		{name: "bad code", claims: good, query: func(s string) string { return "code=bad-code&state=" + url.QueryEscape(s) }, status: 400, reason: reasonExchange, message: "did not accept"},
		{name: "provider error", claims: good, query: func(s string) string { return "error=access_denied&state=" + url.QueryEscape(s) }, status: 400, reason: reasonProviderError, message: "access_denied"},
		{name: "valid user unknown to every tenant", claims: func(f *fakeIdP, nonce string) map[string]any {
			return f.validClaims(nonce, "stranger-"+uuid.NewString(), "stranger-"+uuid.NewString()[:6]+"@example.com")
		}, status: 403, reason: staff.ReasonUnknownIdentity, message: "no organisation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			h.claims(tc.claims)
			flow, state, _ := h.startLogin()
			q := "code=good-code&state=" + url.QueryEscape(state)
			if tc.query != nil {
				q = tc.query(state)
			}
			var cookies []*http.Cookie
			if !tc.noFlow {
				cookies = append(cookies, flow)
			}
			resp := h.get("/auth/callback?"+q, cookies...)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d; want %d", resp.StatusCode, tc.status)
			}
			if c := cookieNamed(resp, sessionCookie); c != nil && c.MaxAge >= 0 {
				t.Fatal("a refused sign-in set a session cookie")
			}
			d := doc(t, resp)
			if msg := text(d, `[data-testid="error-message"]`); !strings.Contains(msg, tc.message) {
				t.Errorf("message %q; want it to mention %q", msg, tc.message)
			}
			found := false
			for _, r := range h.auditActions(uuid.Nil, "auth.signin.failed") {
				if r.Reason == tc.reason {
					found = true
				}
			}
			if !found {
				t.Errorf("no auth.signin.failed audit record with reason %s", tc.reason)
			}
		})
	}
}

func TestSessionCookieRefusals(t *testing.T) {
	h := newHarness(t)
	e, good := h.signIn(staff.Analyst)

	t.Run("forged", func(t *testing.T) {
		forged := &http.Cookie{Name: sessionCookie, Value: strings.Repeat("A", 40) + good.Value[40:]}
		resp := h.get("/dashboard", forged)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?") ||
			!strings.Contains(resp.Header.Get("Location"), "reason="+reasonInvalid) {
			t.Fatalf("forged cookie: %d to %q; want 303 to /login?reason=invalid", resp.StatusCode, resp.Header.Get("Location"))
		}
		d := doc(t, h.get(resp.Header.Get("Location")))
		if msg := text(d, `[data-testid="signin-message"]`); !strings.Contains(msg, "could not be read") {
			t.Errorf("sign-in page says %q", msg)
		}
	})
	t.Run("idle too long", func(t *testing.T) {
		h.clock.set(time.Now().Add(h.s.Config.SessionIdle + time.Minute))
		defer h.clock.set(time.Time{})
		resp := h.get("/dashboard", good)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "reason="+reasonExpired) {
			t.Fatalf("idle session: %d to %q; want 303 to /login?reason=expired", resp.StatusCode, loc)
		}
		d := doc(t, h.get("/login?reason=expired"))
		if msg := text(d, `[data-testid="signin-message"]`); !strings.Contains(msg, "ended") {
			t.Errorf("sign-in page says %q", msg)
		}
	})
	t.Run("past the absolute limit while active", func(t *testing.T) {
		start := time.Now()
		for at := start; at.Before(start.Add(h.s.Config.SessionMaxAge)); at = at.Add(h.s.Config.SessionIdle / 2) {
			h.clock.set(at)
			resp := h.get("/dashboard", good)
			if c := cookieNamed(resp, sessionCookie); c != nil {
				good = c // the idle clock is written back
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("active session refused at %s: %d", at.Sub(start), resp.StatusCode)
			}
		}
		h.clock.set(start.Add(h.s.Config.SessionMaxAge + time.Minute))
		defer h.clock.set(time.Time{})
		if resp := h.get("/dashboard", good); !strings.Contains(resp.Header.Get("Location"), "reason="+reasonExpired) {
			t.Fatalf("session past SESSION_MAX_AGE: %d %q; want sign-in", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("employee deactivated", func(t *testing.T) {
		_, adminCookie := h.signIn(staff.TenantAdmin)
		if resp := h.post("/staff/"+e.ID.String()+"/status", url.Values{"status": {"DEACTIVATED"}}, adminCookie); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("deactivate: %d", resp.StatusCode)
		}
		if resp := h.get("/dashboard", good); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("deactivated employee's session still works: %d", resp.StatusCode)
		}
	})
	t.Run("htmx gets HX-Redirect", func(t *testing.T) {
		resp := h.do("GET", "/audit", nil, map[string]string{"HX-Request": "true"})
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("HX-Redirect"), "/login") {
			t.Fatalf("htmx without session: %d HX-Redirect=%q", resp.StatusCode, resp.Header.Get("HX-Redirect"))
		}
	})
}

func TestSignOut(t *testing.T) {
	h := newHarness(t)
	_, c := h.signIn(staff.Analyst)
	resp := h.post("/logout", nil, c)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), h.idp.srv.URL+"/logout?") {
		t.Fatalf("logout: %d to %q; want the provider's end_session_endpoint", resp.StatusCode, resp.Header.Get("Location"))
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if got := loc.Query().Get("post_logout_redirect_uri"); got != "http://ciam.test/login?reason=signed_out" {
		t.Errorf("post_logout_redirect_uri = %q", got)
	}
	if cl := cookieNamed(resp, sessionCookie); cl == nil || cl.MaxAge >= 0 {
		t.Errorf("session cookie not cleared: %+v", cl)
	}
	if recs := h.auditActions(h.tenant.ID, "auth.signout"); len(recs) != 1 {
		t.Errorf("auth.signout records = %d; want 1", len(recs))
	}
	// Logging out is a POST: a GET does not sign anyone out (405 while
	// signed in; once signed out, the portal sends the visitor to sign in).
	if resp := h.get("/logout", c); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("GET /logout signed out: %d to %q; want 303 to sign-in", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, again := h.signIn(staff.Analyst)
	if resp := h.get("/logout", again); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /logout: %d; want 405", resp.StatusCode)
	}
	if resp := h.get("/dashboard", again); resp.StatusCode != http.StatusOK {
		t.Errorf("after GET /logout the session is gone: %d", resp.StatusCode)
	}
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	h := newHarness(t)
	_, c := h.signIn(staff.TenantAdmin)
	resp := h.do("POST", "/staff", url.Values{"email": {"x@example.com"}, "name": {"X"}},
		map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, c)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d; want 403", resp.StatusCode)
	}
	if recs := h.auditActions(h.tenant.ID, "staff.created"); len(recs) != 1 { // only the admin made by signIn
		t.Fatalf("cross-site POST created an employee (%d staff.created records)", len(recs))
	}
}
