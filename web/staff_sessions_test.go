package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/staff"
)

// signInThroughProvider signs e in through the real authorization code
// flow against the fake provider and returns the session cookie.
func (h *harness) signInThroughProvider(e staff.Employee) *http.Cookie {
	h.t.Helper()
	h.claims(func(f *fakeIdP, nonce string) map[string]any {
		return f.validClaims(nonce, "sub-"+e.ID.String(), e.Email)
	})
	flow, state, _ := h.startLogin()
	resp := h.get("/auth/callback?code=good-code&state="+url.QueryEscape(state), flow)
	c := cookieNamed(resp, sessionCookie)
	if resp.StatusCode != http.StatusSeeOther || c == nil {
		h.t.Fatalf("callback: %d, cookie %v", resp.StatusCode, c)
	}
	return c
}

// assertRefused fails unless the session cookie c is sent to sign-in as an
// ended session.
func (h *harness) assertRefused(c *http.Cookie, why string) {
	h.t.Helper()
	resp := h.get("/dashboard", c)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?") {
		h.t.Fatalf("%s: the cookie still works (%d, Location %q)", why, resp.StatusCode, loc)
	}
}

func (h *harness) assertAccepted(c *http.Cookie, why string) {
	h.t.Helper()
	if resp := h.get("/dashboard", c); resp.StatusCode != http.StatusOK {
		h.t.Fatalf("%s: %d; want 200", why, resp.StatusCode)
	}
}

// liveSessionIDs are the ids of e's live sessions as the staff page shows
// them to an administrator.
func (h *harness) liveSessionIDs(admin *http.Cookie, e staff.Employee) []string {
	h.t.Helper()
	resp := h.get("/staff", admin)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("GET /staff: %d", resp.StatusCode)
	}
	var ids []string
	doc(h.t, resp).Find(`[data-testid="staff-row"][data-email="` + e.Email + `"] [data-testid="staff-session"]`).Each(func(_ int, s *goquerySelection) {
		ids = append(ids, s.AttrOr("data-session-id", ""))
	})
	return ids
}

func TestSignOutEndsTheSessionForEveryCopyOfTheCookie(t *testing.T) {
	h := newHarness(t)
	e := h.employee(staff.Analyst)
	c := h.signInThroughProvider(e)
	copied := *c // what an attacker lifted from the browser
	h.assertAccepted(&copied, "the copy before sign-out")

	if resp := h.post("/logout", nil, c); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	resp := h.get("/dashboard", &copied)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "reason="+reasonEnded) {
		t.Fatalf("copied cookie after logout: %d to %q; want 303 to /login?reason=%s", resp.StatusCode, loc, reasonEnded)
	}
	if cl := cookieNamed(resp, sessionCookie); cl == nil || cl.MaxAge >= 0 {
		t.Errorf("the refused cookie was not cleared: %+v", cl)
	}
	d := doc(t, h.get("/login?reason="+reasonEnded))
	if msg := text(d, `[data-testid="signin-message"]`); !strings.Contains(msg, "ended") {
		t.Errorf("sign-in page says %q", msg)
	}
	// htmx requests with the copy are refused the same way.
	if resp := h.do("GET", "/dashboard", nil, map[string]string{"HX-Request": "true"}, &copied); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("htmx with the copy: %d; want 401", resp.StatusCode)
	}
	var reason string
	if err := dbOwner(t).QueryRow(t.Context(), "SELECT revoked_reason FROM staff_sessions WHERE staff_id = $1", e.ID).Scan(&reason); err != nil || reason != staff.SessionSignedOut {
		t.Errorf("session row revoked as %q (%v); want %s", reason, err, staff.SessionSignedOut)
	}
	// Signing in again starts a new session that works.
	h.assertAccepted(h.signInThroughProvider(e), "a new sign-in")
}

func TestSessionRecordsOriginAndLastSeen(t *testing.T) {
	h := newHarness(t)
	e, c := h.signIn(staff.Analyst)
	var ip, ua string
	if err := dbOwner(t).QueryRow(t.Context(), "SELECT ip, user_agent FROM staff_sessions WHERE staff_id = $1", e.ID).Scan(&ip, &ua); err != nil {
		t.Fatal(err)
	}
	if ip == "" {
		t.Errorf("session recorded no address")
	}
	lastSeen := func() int64 {
		var n int64
		if err := dbOwner(t).QueryRow(t.Context(), "SELECT extract(epoch FROM last_seen_at)::bigint FROM staff_sessions WHERE staff_id = $1", e.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := lastSeen()
	h.assertAccepted(c, "first request")
	if got := lastSeen(); got != before {
		t.Errorf("last seen written within the minute: %d → %d", before, got)
	}
	h.clock.set(h.clock.now().Add(2 * touchEvery))
	defer h.clock.set(h.clock.now().Add(-2 * touchEvery))
	h.assertAccepted(c, "two minutes later")
	if got := lastSeen(); got <= before {
		t.Errorf("last seen not written after two minutes: %d → %d", before, got)
	}
}

func TestAdminEndsAnotherEmployeesSession(t *testing.T) {
	h := newHarness(t)
	_, admin := h.signIn(staff.TenantAdmin)
	analyst := h.employee(staff.Analyst)
	laptop := h.signInThroughProvider(analyst)
	phone := h.signInThroughProvider(analyst)

	ids := h.liveSessionIDs(admin, analyst)
	if len(ids) != 2 {
		t.Fatalf("staff page shows %d sessions of the analyst; want 2", len(ids))
	}
	// Which id is the laptop's: the newest is listed first.
	laptopID, phoneID := ids[1], ids[0]

	// Only those who manage staff may end sessions, and see them.
	_, other := h.signIn(staff.Auditor)
	if resp := h.post("/staff/"+analyst.ID.String()+"/sessions/"+laptopID+"/revoke", nil, other); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("auditor ends a session: %d; want 403", resp.StatusCode)
	}
	if n := doc(t, h.get("/staff", other)).Find(`[data-testid="staff-session"]`).Length(); n != 0 {
		t.Errorf("auditor sees %d sessions; want none", n)
	}
	// A cross-site form post is refused like every other.
	if resp := h.do("POST", "/staff/"+analyst.ID.String()+"/sessions/"+laptopID+"/revoke", url.Values{},
		map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, admin); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site revoke: %d; want 403", resp.StatusCode)
	}
	h.assertAccepted(laptop, "laptop before revocation")

	resp := h.post("/staff/"+analyst.ID.String()+"/sessions/"+laptopID+"/revoke", nil, admin)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/staff" {
		t.Fatalf("revoke: %d to %q; want 303 to /staff", resp.StatusCode, resp.Header.Get("Location"))
	}
	admin = updated(admin, resp)
	h.assertRefused(laptop, "revoked laptop session")
	h.assertAccepted(phone, "the other session")
	d := doc(t, h.get("/staff", admin))
	if msg := text(d, `[data-testid="flash"]`); msg != "" && !strings.Contains(msg, "ended") {
		t.Errorf("flash says %q", msg)
	}
	recs := h.auditActions(h.tenant.ID, "staff.session.revoked")
	if len(recs) != 1 || recs[0].Reason != staff.SessionRevoked || !strings.Contains(recs[0].Actor, "Emp TENANT_ADMIN") {
		t.Errorf("audit = %+v; want one staff.session.revoked by the administrator", recs)
	}

	// With htmx the answer points back at the staff page's sessions cell
	// of the employee (HX-Location), which no longer lists the ended
	// session.
	resp = h.do("POST", "/staff/"+analyst.ID.String()+"/sessions/"+phoneID+"/revoke", url.Values{}, map[string]string{"HX-Request": "true"}, admin)
	cell := h.hxFollow(resp, admin)
	if cell.AttrOr("id", "") != "sessions-"+analyst.ID.String() || cell.Find(`[data-testid="staff-session"]`).Length() != 0 || cell.Find("nav").Length() != 0 {
		t.Errorf("htmx answer is not the emptied sessions cell")
	}
	h.assertRefused(phone, "revoked phone session")

	// Twice, or an unknown session: a message, never a 500.
	resp = h.post("/staff/"+analyst.ID.String()+"/sessions/"+phoneID+"/revoke", nil, admin)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke twice: %d", resp.StatusCode)
	}
	if resp := h.post("/staff/"+analyst.ID.String()+"/sessions/not-a-uuid/revoke", nil, admin); resp.StatusCode != http.StatusNotFound {
		t.Errorf("malformed session id: %d; want 404", resp.StatusCode)
	}
	// An unknown employee or session: a message on the staff page.
	if resp := h.post("/staff/"+uuid.NewString()+"/sessions/"+uuid.NewString()+"/revoke", nil, admin); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("unknown session: %d; want 303 with a message", resp.StatusCode)
	}
}

func TestLosingRolesOrDeactivationEndsSessions(t *testing.T) {
	h := newHarness(t)
	_, admin := h.signIn(staff.TenantAdmin)
	_, checker := h.signIn(staff.TenantAdmin)

	t.Run("role removed", func(t *testing.T) {
		h := h.with(t)
		e := h.employee(staff.Analyst, staff.Auditor)
		c := h.signInThroughProvider(e)
		h.assertAccepted(c, "before")
		if resp := h.post("/staff/"+e.ID.String()+"/roles/AUDITOR/revoke", url.Values{"reason": {"moved team"}}, admin); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("propose revoke: %d", resp.StatusCode)
		}
		// Proposed is not yet removed: the session goes on.
		h.assertAccepted(c, "while the removal awaits approval")
		var cr string
		if err := dbOwner(t).QueryRow(t.Context(), "SELECT id FROM change_requests WHERE target_id = $1 AND kind = $2", e.ID.String(), staff.KindRoleRevoke).Scan(&cr); err != nil {
			t.Fatal(err)
		}
		h.approve(cr, checker)
		h.assertRefused(c, "after losing AUDITOR")
		if recs := h.auditActions(h.tenant.ID, "staff.sessions.ended"); len(recs) != 1 || recs[0].Reason != staff.SessionRoleRemoved {
			t.Errorf("audit = %+v; want one staff.sessions.ended ROLE_REMOVED", recs)
		}
		// A new sign-in with the role left works.
		h.assertAccepted(h.signInThroughProvider(e), "signing in again")
	})
	t.Run("deactivated and reactivated", func(t *testing.T) {
		h := h.with(t)
		e := h.employee(staff.Analyst)
		c := h.signInThroughProvider(e)
		for _, st := range []string{"DEACTIVATED", "ACTIVE"} {
			if resp := h.post("/staff/"+e.ID.String()+"/status", url.Values{"status": {st}}, admin); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s: %d", st, resp.StatusCode)
			}
		}
		// Reactivating does not bring the old session back.
		h.assertRefused(c, "after deactivation and reactivation")
	})
}
