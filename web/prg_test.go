package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/staff"
)

// Every form that makes something answers with a redirect (post/redirect/
// get): following it and reloading the page it leads to makes nothing a
// second time, and a secret shown once is gone on the reload.
func TestPortalFormsRedirectAndAReloadRepeatsNothing(t *testing.T) {
	h := newHarness(t)
	h.s.Webhooks.AllowPrivateNetworks = true
	_, c := h.signIn(staff.TenantAdmin, staff.PlatformOperator)
	count := func(t *testing.T, sql string) int {
		t.Helper()
		var n int
		if err := dbtest.OwnerPool(t).QueryRow(t.Context(), sql, h.tenant.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, tc := range []struct {
		name, path string
		form       url.Values
		rows       string // counts what the form makes, for $1 the tenant
		secret     string // data-testid of a secret shown once, if any
	}{
		{"API client", "/api-clients", url.Values{"name": {"Reload backend"}, "scopes": {"customers:read"}},
			"SELECT count(*) FROM api_clients WHERE tenant_id = $1", "revealed-secret"},
		{"webhook", "/webhooks", url.Values{"url": {"https://93.184.215.14/hook"}, "eventTypes": {"config.changed"}},
			"SELECT count(*) FROM webhook_subscriptions WHERE tenant_id = $1", "revealed-secret"},
		{"employee", "/staff", url.Values{"email": {"reload.person@example.com"}, "name": {"Reload Person"}, "roles": {"ANALYST"}},
			"SELECT count(*) FROM staff WHERE tenant_id = $1", ""},
		{"branch", branchesPath, goodBranch("RELOAD1"), "SELECT count(*) FROM branches WHERE tenant_id = $1", ""},
		{"connector", connectorsPath, url.Values{"type": {"EMAIL_SENDER"}, "name": {"Reload mailer"},
			"config.baseUrl": {"https://mail.example.com"}, "config.fromAddress": {"no-reply@example.com"}},
			"SELECT count(*) FROM connectors WHERE tenant_id = $1", ""},
		{"fee rule (proposed)", feesPath, goodFee("Reload fee"),
			"SELECT count(*) FROM change_requests WHERE tenant_id = $1", ""},
		{"AML list", "/aml/lists", url.Values{"name": {"reload_list"}, "description": {"Counterparties"}},
			"SELECT count(*) FROM aml_lists WHERE tenant_id = $1", ""},
		{"category", "/config/categories", url.Values{"name": {"reload_cat"}, "riskLevel": {"LOW"}, "active": {"true"}},
			"SELECT count(*) FROM customer_categories WHERE tenant_id = $1", ""},
		{"feature", "/config/features", url.Values{"code": {"RELOADX"}, "name": {"Reload feature"}},
			"SELECT count(*) FROM category_features WHERE tenant_id = $1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			before := count(t, tc.rows)
			resp := h.post(tc.path, tc.form, c)
			c = updated(c, resp)
			page := h.follow(resp, c)
			c = updated(c, page)
			if page.StatusCode != http.StatusOK {
				t.Fatalf("after the redirect: %d", page.StatusCode)
			}
			d := doc(t, page)
			if got := count(t, tc.rows); got != before+1 {
				t.Fatalf("%d made; want 1", got-before)
			}
			var secret string
			if tc.secret != "" {
				if secret = text(d, `[data-testid="`+tc.secret+`"]`); secret == "" {
					t.Fatal("the secret is not shown after the redirect")
				}
			}
			// The reload: the same page again.
			again := h.get(resp.Header.Get("Location"), c)
			c = updated(c, again)
			body := doc(t, again)
			if got := count(t, tc.rows); got != before+1 {
				t.Errorf("after a reload %d made; want 1", got-before)
			}
			if secret != "" && strings.Contains(body.Text(), secret) {
				t.Error("the reload shows the secret again")
			}
		})
	}
}

// htmx posts that change one element answer HX-Location: the page reloads
// that element, and doing it again is the employee's choice, not the
// browser's.
func TestPortalHTMXPostsAnswerWithALocation(t *testing.T) {
	h := newHarness(t)
	h.s.Catalog.AllowPrivateNetworks = true
	_, c := h.signIn(staff.TenantAdmin)
	hx := map[string]string{"HX-Request": "true"}

	resp := h.post(branchesPath, goodBranch("HXLOC1"), c)
	c = updated(c, resp)
	bid := strings.TrimPrefix(resp.Header.Get("Location"), branchesPath+"?q=")
	var branchID uuid.UUID
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT id FROM branches WHERE tenant_id = $1 AND code = $2", h.tenant.ID, bid).Scan(&branchID); err != nil {
		t.Fatal(err)
	}
	hxWith := map[string]string{"HX-Request": "true", "HX-Current-URL": h.srv.URL + branchesPath + "?q=HXLOC1"}
	row := h.hxFollow(h.do("POST", branchesPath+"/"+branchID.String()+"/status", url.Values{"status": {"INACTIVE"}}, hxWith, c), c)
	if row.AttrOr("id", "") != "branch-"+branchID.String() || strings.TrimSpace(row.Find(`[data-testid="branch-status"]`).Text()) != "Inactive" {
		t.Errorf("branch row after the switch: %q", row.Text())
	}

	loc := h.newConnector(&c, "EMAIL_SENDER", "HX mailer", map[string]string{"baseUrl": "https://mail.example.com", "fromAddress": "no-reply@example.com"})
	row = h.hxFollow(h.do("POST", loc+"/status", url.Values{"status": {"ENABLED"}, "from": {"list"}}, hx, c), c)
	if strings.TrimSpace(row.Find(`[data-testid="connector-status"]`).Text()) != "Enabled" {
		t.Errorf("connector row after the switch: %q", row.Text())
	}

	// A plain form post of the same switch is a 303.
	if resp := h.post(loc+"/status", url.Values{"status": {"DISABLED"}}, c); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("plain switch: %d; want 303", resp.StatusCode)
	}
	// An htmx post whose result is a whole page gets HX-Redirect.
	resp = h.do("POST", "/aml/lists", url.Values{"name": {"hx_list"}}, hx, c)
	if resp.StatusCode != http.StatusNoContent || !strings.HasPrefix(resp.Header.Get("HX-Redirect"), "/aml/lists/") {
		t.Errorf("htmx create: %d HX-Redirect %q", resp.StatusCode, resp.Header.Get("HX-Redirect"))
	}
}
