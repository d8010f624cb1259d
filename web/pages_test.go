package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/staff"
)

func TestHealthAndReadiness(t *testing.T) {
	h := newHarness(t)
	if resp := h.get("/healthz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %d", resp.StatusCode)
	}
	resp := h.get("/readyz")
	var body struct {
		Status string
		Checks map[string]string
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || body.Checks["database"] != "ok" || body.Checks["migrations"] != "current" {
		t.Fatalf("/readyz: %d %+v", resp.StatusCode, body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t)
	_, c := h.signIn(staff.Analyst)
	resp := h.get("/dashboard", c)
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors 'none'", "script-src 'self' 'nonce-", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Trace-ID") == "" {
		t.Errorf("headers: nosniff=%q trace=%q", resp.Header.Get("X-Content-Type-Options"), resp.Header.Get("X-Trace-ID"))
	}
	// Every script tag carries the response's nonce.
	nonce := strings.TrimSuffix(strings.SplitN(strings.SplitN(csp, "'nonce-", 2)[1], "'", 2)[0], "")
	d := doc(t, resp)
	d.Find("script").Each(func(_ int, s *goquerySelection) {
		if n, _ := s.Attr("nonce"); n != nonce {
			t.Errorf("script %v has nonce %q; want %q", s.AttrOr("src", "inline"), n, nonce)
		}
	})
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain http")
	}
	// A W3C traceparent does not set the trace id: the server makes its
	// own (the caller's is kept beside it, see TestCallerTraceparent).
	tr := h.do("GET", "/healthz", nil, map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
	if got := tr.Header.Get("X-Trace-ID"); got == "4bf92f3577b34da6a3ce929d0e0e4736" || len(got) != 32 {
		t.Errorf("X-Trace-ID = %q; want one of the server's making", got)
	}
}

func TestStaticAssets(t *testing.T) {
	h := newHarness(t)
	resp := h.get("/static/css/app.css?v=" + h.s.assetVersion)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("css: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	if resp := h.get("/static/js/htmx.min.js"); resp.StatusCode != http.StatusOK {
		t.Fatalf("htmx: %d", resp.StatusCode)
	}
	if resp := h.get("/static/"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("directory listing: %d; want 404", resp.StatusCode)
	}
}

// Every work queue of the dashboard counts what waits in it.
func TestDashboardQueues(t *testing.T) {
	h := newHarness(t)
	_, c := h.signIn(staff.Analyst)
	d := doc(t, h.get("/dashboard", c))
	if got := text(d, `[data-testid="queue-count-approvals"]`); got != "0" {
		t.Errorf("approvals queue count = %q; want 0", got)
	}
	if got := text(d, `[data-testid="queue-count-screening"]`); got != "0" {
		t.Errorf("screening hits count = %q; want 0", got)
	}
	if got := text(d, `[data-testid="queue-count-alerts"]`); got != "0" {
		t.Errorf("alerts queue count = %q; want 0", got)
	}
	if d.Find(`[data-testid="chart-activity"]`).Length() != 0 {
		t.Error("an analyst (no audit.read) sees the audit activity chart")
	}
	if got := text(d, `[data-testid="queue-count-reviews"]`); got != "0" {
		t.Errorf("reviews queue count = %q; want 0", got)
	}
}

func TestDashboardActivityForAuditors(t *testing.T) {
	h := newHarness(t)
	_, c := h.signIn(staff.Auditor)
	d := doc(t, h.get("/dashboard", c))
	chart := d.Find(`[data-testid="chart-activity"]`)
	if chart.Length() != 1 || chart.Find("rect").Length() != 14 {
		t.Fatalf("activity chart has %d bars; want 14", chart.Find("rect").Length())
	}
	// tenant.created and staff.created for the auditor are today's records.
	if got := d.Find(`[data-testid="recent-activity"] li`).Length(); got != 2 {
		t.Errorf("recent activity has %d lines; want 2", got)
	}
}

func TestAuditListFiltersAndShowsDiff(t *testing.T) {
	h := newHarness(t)
	_, c := h.signIn(staff.TenantAdmin)
	checker, cc := h.signIn(staff.SeniorReviewer)
	target := h.employee(staff.Analyst)
	h.approve(h.proposeGrant(c, target.ID.String(), "AUDITOR"), cc)

	d := doc(t, h.get("/audit?action=staff.role.", c))
	rows := d.Find(`[data-testid="audit-row"]`)
	if rows.Length() != 1 || !strings.Contains(rows.Text(), "staff.role.granted") || !strings.Contains(rows.Text(), checker.Name) {
		t.Fatalf("filtered rows = %q", rows.Text())
	}
	admin := checker
	if got := text(d, `[data-testid="page-count"]`); got != "1–1 of 1" {
		t.Errorf("count = %q", got)
	}
	href, _ := rows.Find("a").Attr("href")
	detail := doc(t, h.get(href, c))
	change := detail.Find(`[data-testid="audit-change"]`)
	if change.Length() != 1 || !strings.Contains(change.Text(), `["ANALYST","AUDITOR"]`) || !strings.Contains(change.Text(), `["ANALYST"]`) {
		t.Errorf("diff = %q", change.Text())
	}
	if !strings.Contains(text(detail, `[data-testid="audit-actor"]`), admin.Name) {
		t.Errorf("actor = %q", text(detail, `[data-testid="audit-actor"]`))
	}

	// Bad filter values are named next to their field, not a 500.
	resp := h.get("/audit?since=yesterday", c)
	bad := doc(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || text(bad, `[data-testid="error-f-since"]`) == "" {
		t.Errorf("bad date: %d, error %q", resp.StatusCode, text(bad, `[data-testid="error-f-since"]`))
	}
	if resp := h.get("/audit?before=abc", c); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad cursor: %d; want 400", resp.StatusCode)
	}
	// An id of another tenant, or no id at all, is simply not found.
	other := newHarness(t)
	_, oc := other.signIn(staff.Auditor)
	if resp := other.get(href, oc); resp.StatusCode != http.StatusNotFound {
		t.Errorf("other tenant's record: %d; want 404", resp.StatusCode)
	}
	if resp := h.get("/audit/"+uuid.NewString(), c); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown record: %d; want 404", resp.StatusCode)
	}
}

func TestAuditPagination(t *testing.T) {
	h := newHarness(t)
	_, c := h.signIn(staff.TenantAdmin)
	target := h.employee(staff.Analyst)
	for i := 0; i < 30; i++ { // 60 records: deactivate and reactivate
		h.post("/staff/"+target.ID.String()+"/status", url.Values{"status": {"DEACTIVATED"}}, c)
		h.post("/staff/"+target.ID.String()+"/status", url.Values{"status": {"ACTIVE"}}, c)
	}
	d := doc(t, h.get("/audit?action=staff.&entity=staff:"+target.ID.String()+"&actor=Emp+TENANT_ADMIN", c))
	if n := d.Find(`[data-testid="audit-row"]`).Length(); n != 50 {
		t.Fatalf("first page has %d rows; want 50", n)
	}
	if got := text(d, `[data-testid="page-count"]`); got != "1–50 of 60" {
		t.Errorf("count = %q", got)
	}
	next, ok := d.Find(`[data-testid="next-page"]`).Attr("href")
	if !ok {
		t.Fatal("no next page link")
	}
	d2 := doc(t, h.get(next, c))
	if n := d2.Find(`[data-testid="audit-row"]`).Length(); n != 10 {
		t.Fatalf("second page has %d rows; want 10", n)
	}
	if got := text(d2, `[data-testid="page-count"]`); got != "51–60 of 60" {
		t.Errorf("count = %q", got)
	}
}

func TestStaffPage(t *testing.T) {
	h := newHarness(t)
	_, c := h.signIn(staff.TenantAdmin)

	resp := h.post("/staff", url.Values{"email": {"new.person@example.com"}, "name": {"New Person"}, "roles": {"ANALYST", "SUPPORT"}}, c)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	d := doc(t, h.get("/staff", updated(c, resp)))
	row := d.Find(`[data-testid="staff-row"][data-email="new.person@example.com"]`)
	if row.Length() != 1 || !strings.Contains(row.Text(), "Analyst") || !strings.Contains(row.Text(), "Support") {
		t.Fatalf("new employee row = %q", row.Text())
	}
	if !strings.Contains(text(d, `[data-testid="flash"]`), "New Person was added") {
		t.Errorf("flash = %q", text(d, `[data-testid="flash"]`))
	}

	// Validation errors sit next to their fields and keep what was typed.
	resp = h.post("/staff", url.Values{"email": {"nope"}, "name": {""}, "roles": {"ANALYST"}}, c)
	d = doc(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid create: %d", resp.StatusCode)
	}
	if text(d, `[data-testid="error-new-email"]`) == "" || text(d, `[data-testid="error-new-name"]`) == "" {
		t.Error("field errors missing")
	}
	if v, _ := d.Find("#new-email").Attr("value"); v != "nope" {
		t.Errorf("typed e-mail lost: %q", v)
	}
	// The operator role is not on offer to a tenant admin.
	if d.Find(`input[name="roles"][value="PLATFORM_OPERATOR"]`).Length() != 0 {
		t.Error("tenant admin is offered PLATFORM_OPERATOR")
	}
	// Auditors see the list but no forms.
	_, ac := h.signIn(staff.Auditor)
	ad := doc(t, h.get("/staff", ac))
	if ad.Find(`[data-testid="staff-form"]`).Length() != 0 || ad.Find(`form[action$="/roles"]`).Length() != 0 {
		t.Error("auditor sees staff management forms")
	}
}

func TestTenantCreationByOperator(t *testing.T) {
	h := newHarness(t)
	_, c := h.signIn(staff.PlatformOperator)
	slug := "new_" + uuid.NewString()[:8]
	admin := "boss-" + uuid.NewString()[:6] + "@newco.example"
	resp := h.post("/platform/tenants", url.Values{"slug": {slug}, "name": {"NewCo"}, "timeZone": {"Europe/Paris"}, "admin": {admin}}, c)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create tenant: %d", resp.StatusCode)
	}
	tn, err := h.s.Tenants.Resolve(t.Context(), slug)
	if err != nil {
		t.Fatal(err)
	}
	emps, err := h.s.Staff.List(t.Context(), tn.ID)
	if err != nil || len(emps) != 1 || emps[0].Email != admin || emps[0].Roles[0] != staff.TenantAdmin {
		t.Fatalf("new tenant's employees = %+v (%v); want the admin", emps, err)
	}
	if recs := h.auditActions(tn.ID, "tenant.created"); len(recs) != 1 {
		t.Errorf("tenant.created records = %d", len(recs))
	}

	// Invalid: errors by field, and nothing half-made when the admin is bad.
	slug2 := "half_" + uuid.NewString()[:8]
	resp = h.post("/platform/tenants", url.Values{"slug": {slug2}, "name": {"Half"}, "admin": {"not-an-email"}}, c)
	d := doc(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || text(d, `[data-testid="error-t-admin"]`) == "" {
		t.Fatalf("bad admin: %d %q", resp.StatusCode, text(d, `[data-testid="error-t-admin"]`))
	}
	if _, err := h.s.Tenants.Resolve(t.Context(), slug2); err == nil {
		t.Error("a tenant was created although its administrator was refused")
	}
	resp = h.post("/platform/tenants", url.Values{"slug": {"Bad Slug"}, "name": {""}}, c)
	d = doc(t, resp)
	if text(d, `[data-testid="error-t-slug"]`) == "" || text(d, `[data-testid="error-t-name"]`) == "" {
		t.Error("slug and name errors missing")
	}
}
