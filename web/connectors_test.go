package web

import (
	"bytes"
	"github.com/PuerkitoBio/goquery"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/catalog"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
)

// newConnector adds a connector through the portal and returns its page.
func (h *harness) newConnector(c **http.Cookie, typ, name string, config map[string]string) string {
	h.t.Helper()
	form := url.Values{"type": {typ}, "name": {name}}
	for k, v := range config {
		form.Set("config."+k, v)
	}
	resp := h.post(connectorsPath, form, *c)
	*c = updated(*c, resp)
	if resp.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("new connector: %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// pendingOn is the change request the connector page says awaits
// approval.
func (h *harness) pendingOn(page string, c *http.Cookie) string {
	h.t.Helper()
	href, ok := doc(h.t, h.get(page, c)).Find(`[data-testid="secret-panel"] [data-testid="pending-approval"] a`).Attr("href")
	if !ok {
		h.t.Fatal("the connector page does not say a secret awaits approval")
	}
	return strings.TrimPrefix(href, "/approvals/")
}

// assertNowhere fails when secret shows in a page, the audit trail,
// events, change requests or the log.
func (h *harness) assertNowhere(secret string, pages []string, c *http.Cookie) {
	h.t.Helper()
	for _, p := range pages {
		body, _ := io.ReadAll(h.get(p, c).Body)
		if bytes.Contains(body, []byte(secret)) {
			h.t.Errorf("page %s shows the secret", p)
		}
	}
	h.assertSecretKept(secret)
	for _, q := range []string{
		"SELECT count(*) FROM events WHERE tenant_id = $1 AND payload::text LIKE '%' || $2 || '%'",
		"SELECT count(*) FROM change_requests WHERE tenant_id = $1 AND (payload::text || coalesce(before::text, '') || coalesce(after::text, '')) LIKE '%' || $2 || '%'",
		"SELECT count(*) FROM connectors WHERE tenant_id = $1 AND (config::text || secret_hint || encode(coalesce(secret, ''), 'escape')) LIKE '%' || $2 || '%'",
	} {
		if n := h.count(q, h.tenant.ID, secret); n != 0 {
			h.t.Errorf("the secret is stored in clear: %s", q)
		}
	}
}

func TestConnectorsPageSecretsAndHealth(t *testing.T) {
	h := newHarness(t)
	h.s.Catalog.AllowPrivateNetworks = true
	_, mc := h.signIn(staff.TenantAdmin)
	_, cc := h.signIn(staff.SeniorReviewer)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer up.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/v1"
	l.Close()

	d0 := doc(t, h.get(connectorsPath, mc))
	if !strings.Contains(text(d0, `[data-testid="connector-results"] [data-testid="empty"]`), "No connectors yet") {
		t.Fatal("no empty state")
	}
	// The form offers the chosen type's settings.
	nf := doc(t, h.get(connectorsPath+"/new?type=SMS_SENDER", mc))
	if nf.Find(`label[for="config-senderId"]`).Length() != 1 || nf.Find(`label[for="config-baseUrl"]`).Length() != 1 {
		t.Error("the SMS form lacks its settings")
	}
	if resp := h.get(connectorsPath+"/new?type=FAX", mc); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("unknown type: %d", resp.StatusCode)
	}

	t.Run("validation next to the fields", func(t *testing.T) {
		h := h.with(t)
		d := h.submit(&mc, connectorsPath, url.Values{"type": {"SMS_SENDER"}, "name": {""}, "config.baseUrl": {"ftp://user:pw@x"},
			"config.senderId": {"this sender id is far too long"}}, http.StatusUnprocessableEntity)
		for _, id := range []string{"connector-name", "config-baseUrl", "config-senderId"} {
			if text(d, `[data-testid="error-`+id+`"]`) == "" {
				t.Errorf("no error beside %s", id)
			}
		}
		d = h.submit(&mc, connectorsPath, url.Values{"type": {"FAX"}, "name": {"x"}}, http.StatusUnprocessableEntity)
		if text(d, `[data-testid="error-connector-type"]`) == "" {
			t.Error("no error beside the type")
		}
	})

	page := h.newConnector(&mc, "SMS_SENDER", "Primary SMS", map[string]string{"baseUrl": up.URL, "senderId": "ACME"})
	d1 := doc(t, h.get(page, mc))
	if !strings.Contains(text(d1, `[data-testid="flash"]`), "Set its secret") || text(d1, `[data-testid="secret-state"]`) != "not set" ||
		text(d1, `[data-testid="connector-status"]`) != "Disabled" {
		t.Fatalf("new connector page: %q %q", text(d1, `[data-testid="secret-state"]`), text(d1, `[data-testid="connector-status"]`))
	}
	if d1.Find(`#connector-secret[type="password"][autocomplete="new-password"]`).Length() != 1 {
		t.Error("the secret input is not a write-only password field")
	}

	const secret = "sk_live_Zq81vN3mXc0pLr7TbW2y"
	t.Run("a secret is a four-eyes change and never shown", func(t *testing.T) {
		h := h.with(t)
		d := h.submit(&mc, page+"/secret", url.Values{"secret": {"short"}, "reason": {"rotation"}}, http.StatusUnprocessableEntity)
		if text(d, `[data-testid="error-connector-secret"]`) == "" {
			t.Error("no error beside the secret")
		}
		h.submit(&mc, page+"/secret", url.Values{"secret": {secret}, "reason": {"first key"}}, http.StatusSeeOther)
		id := h.pendingOn(page, mc)
		if got := text(doc(t, h.get(page, mc)), `[data-testid="secret-state"]`); got != "not set" {
			t.Fatalf("before approval the secret is %q", got)
		}
		if doc(t, h.get(connectorsPath, mc)).Find(`[data-testid="connector-row"] [data-testid="pending-approval"]`).Length() != 1 {
			t.Error("the list does not mark the connector pending")
		}
		diff := doc(t, h.get("/approvals/"+id, cc)).Find(`[data-testid="approval-field"]`).Text()
		if !strings.Contains(diff, "set, ends in …bW2y") {
			t.Errorf("the diff does not show the hint: %s", diff)
		}
		h.approve(id, cc)
		d = doc(t, h.get(page, mc))
		if got := text(d, `[data-testid="secret-state"]`); got != "set, ends in …bW2y" {
			t.Errorf("after approval the secret is %q", got)
		}
		acts := h.auditActions(h.tenant.ID, "catalog.connector.secret")
		if len(acts) != 1 || acts[0].Reason != "FOUR_EYES_APPROVED" {
			t.Errorf("audit = %v", acts)
		}
		// Rejected, a new secret changes nothing.
		h.submit(&mc, page+"/secret", url.Values{"secret": {"another-secret-value-0000"}, "reason": {"rotate"}}, http.StatusSeeOther)
		if resp := h.decide(h.pendingOn(page, mc), "REJECT", "not now", cc); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("reject: %d", resp.StatusCode)
		}
		if got := text(doc(t, h.get(page, mc)), `[data-testid="secret-state"]`); got != "set, ends in …bW2y" {
			t.Errorf("after rejection the secret is %q", got)
		}
		h.assertNowhere(secret, []string{page, connectorsPath, "/approvals/" + id, "/approvals?status=APPROVED", "/audit"}, mc)
		h.assertNowhere("another-secret-value-0000", []string{page, "/audit"}, mc)
	})

	t.Run("test connection records health", func(t *testing.T) {
		h := h.with(t)
		d := h.submit(&mc, page+"/test", url.Values{}, http.StatusSeeOther)
		if text(d, `[data-testid="health-state"]`) != "Healthy" || text(d, `[data-testid="health-detail"]`) != "HTTP 204" ||
			!strings.HasSuffix(text(d, `[data-testid="health-latency"]`), " ms") {
			t.Errorf("healthy: %q %q", text(d, `[data-testid="health-state"]`), text(d, `[data-testid="health-detail"]`))
		}
		f := url.Values{"name": {"Primary SMS"}, "config.baseUrl": {closed}, "config.senderId": {"ACME"}}
		h.submit(&mc, page, f, http.StatusSeeOther)
		// htmx swaps the health panel in place.
		resp := h.do("POST", page+"/test", url.Values{}, map[string]string{"HX-Request": "true"}, mc)
		frag := h.hxFollow(resp, mc)
		state, detail := strings.TrimSpace(frag.Find(`[data-testid="health-state"]`).Text()), strings.TrimSpace(frag.Find(`[data-testid="health-detail"]`).Text())
		if state != "Unhealthy" || detail != "connection refused" {
			t.Errorf("closed port: %q %q", state, detail)
		}
		if d := doc(t, h.get(connectorsPath+"?health=UNHEALTHY", mc)); d.Find(`[data-testid="connector-row"]`).Length() != 1 {
			t.Error("the health filter does not find it")
		}
		if n := len(h.auditActions(h.tenant.ID, "catalog.connector.tested")); n != 2 {
			t.Errorf("tests audited = %d", n)
		}
		// Private addresses are refused unless allowed.
		h.s.Catalog.AllowPrivateNetworks = false
		defer func() { h.s.Catalog.AllowPrivateNetworks = true }()
		f.Set("config.baseUrl", up.URL)
		h.submit(&mc, page, f, http.StatusSeeOther)
		d = h.submit(&mc, page+"/test", url.Values{}, http.StatusSeeOther)
		if !strings.Contains(text(d, `[data-testid="health-detail"]`), "private or loopback") {
			t.Errorf("private address: %q", text(d, `[data-testid="health-detail"]`))
		}
	})

	t.Run("enable, filters and the list's switches", func(t *testing.T) {
		h := h.with(t)
		h.newConnector(&mc, "EMAIL_SENDER", "Mailer", map[string]string{"baseUrl": "https://mail.example.com", "fromAddress": "no-reply@example.com"})
		d := h.submit(&mc, page+"/status", url.Values{"status": {"ENABLED"}}, http.StatusSeeOther)
		if text(d, `[data-testid="connector-status"]`) != "Enabled" {
			t.Error("not enabled")
		}
		resp := h.do("POST", page+"/status", url.Values{"status": {"DISABLED"}, "from": {"list"}}, map[string]string{"HX-Request": "true"}, mc)
		row := h.hxFollow(resp, mc)
		if goquery.NodeName(row) != "tr" || strings.TrimSpace(row.Find(`[data-testid="connector-status"]`).Text()) != "Disabled" {
			t.Errorf("htmx switch: <%s> %q", goquery.NodeName(row), row.Text())
		}
		for _, tc := range []struct {
			query string
			want  int
		}{{"q=mail", 1}, {"type=SMS_SENDER", 1}, {"status=ENABLED", 0}, {"status=DISABLED&sort=type", 2}, {"sort=checked", 2}} {
			if n := doc(t, h.get(connectorsPath+"?"+tc.query, mc)).Find(`[data-testid="connector-row"]`).Length(); n != tc.want {
				t.Errorf("%s: %d rows; want %d", tc.query, n, tc.want)
			}
		}
		if resp := h.get(connectorsPath+"?health=SICK", mc); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("bad filter: %d", resp.StatusCode)
		}
		if n := h.count(`SELECT count(*) FROM events WHERE tenant_id = $1 AND type = 'config.changed' AND entity_type = 'connector'`, h.tenant.ID); n < 6 {
			t.Errorf("config.changed events = %d", n)
		}
	})

	t.Run("auditors read, others may not", func(t *testing.T) {
		h := h.with(t)
		_, ac := h.signIn(staff.Auditor)
		d := doc(t, h.get(page, ac))
		if d.Find(`[data-testid="secret-form"]`).Length() != 0 || d.Find(`[data-testid="health-test"]`).Length() != 0 || d.Find("#connector-name[disabled]").Length() != 1 {
			t.Error("an auditor is offered changes")
		}
		for _, p := range []string{page + "/secret", page + "/test", page + "/status", page} {
			if resp := h.post(p, url.Values{"secret": {"x-secret-value-123"}}, ac); resp.StatusCode != http.StatusForbidden {
				t.Errorf("auditor POST %s: %d", p, resp.StatusCode)
			}
		}
		_, an := h.signIn(staff.Analyst)
		if resp := h.get(connectorsPath, an); resp.StatusCode != http.StatusForbidden {
			t.Errorf("analyst GET: %d", resp.StatusCode)
		}
	})
}

// An id of another tenant's branch, connector or fee rule is not found.
func TestCatalogOfAnotherTenantIsNotFoundConnectorBranchFee(t *testing.T) {
	h := newHarness(t)
	_, c := h.signIn(staff.TenantAdmin)
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	other, err := h.s.Tenants.Create(ctx, tenant.CreateParams{Slug: "o-" + uuid.NewString()[:8], Name: "Other Ltd"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.s.Catalog.CreateBranch(ctx, other.ID, catalog.BranchInput{Code: "THEIRS", Name: "Theirs", Type: catalog.TypeDigital})
	if err != nil {
		t.Fatal(err)
	}
	cn, err := h.s.Catalog.CreateConnector(ctx, other.ID, catalog.ConnectorInput{Type: catalog.ConnWebhook, Name: "Theirs",
		Config: map[string]string{catalog.BaseURLKey: "https://example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ method, path string }{
		{"GET", branchesPath + "/" + b.ID.String()},
		{"POST", branchesPath + "/" + b.ID.String() + "/status"},
		{"GET", connectorsPath + "/" + cn.ID.String()},
		{"POST", connectorsPath + "/" + cn.ID.String() + "/secret"},
		{"POST", connectorsPath + "/" + cn.ID.String() + "/test"},
		{"GET", feesPath + "/" + uuid.NewString()},
	} {
		form := url.Values{"status": {"INACTIVE"}, "secret": {"a-long-enough-secret"}, "reason": {"x"}}
		if tc.method == "GET" {
			form = nil
		}
		if resp := h.do(tc.method, tc.path, form, nil, c); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s: %d; want 404", tc.method, tc.path, resp.StatusCode)
		}
	}
	if n := h.count("SELECT count(*) FROM change_requests WHERE tenant_id = $1", h.tenant.ID); n != 0 {
		t.Errorf("%d change requests were made on another tenant's connector", n)
	}
}
