package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/staff"
)

const categoriesPage = "/config/categories"

// cardID is the id of the category card named name.
func cardID(t *testing.T, d *goquery.Document, name string) string {
	t.Helper()
	id, ok := d.Find(`[data-testid="category-card"][data-name="` + name + `"]`).Attr("id")
	if !ok {
		t.Fatalf("no category card %s", name)
	}
	return strings.TrimPrefix(id, "category-")
}

// featureID is the id of the feature row with code.
func featureID(t *testing.T, d *goquery.Document, code string) string {
	t.Helper()
	id, ok := d.Find(`[data-testid="feature-row"][data-code="` + code + `"]`).Attr("id")
	if !ok {
		t.Fatalf("no feature row %s", code)
	}
	return strings.TrimPrefix(id, "feature-")
}

func TestCategoriesEditedByTenantAdmins(t *testing.T) {
	h := newHarness(t)
	admin, c := h.signIn(staff.TenantAdmin)
	// submit posts a form and reads the page it leads to, keeping the
	// session cookie (and its flash) current.
	submit := func(t *testing.T, path string, form url.Values, wantStatus int) *goquery.Document {
		t.Helper()
		resp := h.with(t).post(path, form, c)
		c = updated(c, resp)
		if resp.StatusCode != wantStatus {
			t.Fatalf("POST %s %v: %d; want %d", path, form, resp.StatusCode, wantStatus)
		}
		if resp.StatusCode != http.StatusSeeOther {
			return doc(t, resp)
		}
		next := h.with(t).get(resp.Header.Get("Location"), c)
		c = updated(c, next)
		return doc(t, next)
	}

	d := doc(t, h.get(categoriesPage, c))
	if !strings.Contains(text(d, `[data-testid="category-list"] [data-testid="empty"]`), "No categories yet") {
		t.Fatal("no empty state for a tenant without categories")
	}

	t.Run("validation next to the fields", func(t *testing.T) {
		d := submit(t, categoriesPage, url.Values{"name": {"high risk"}, "riskLevel": {"EXTREME"}, "description": {strings.Repeat("x", 501)}}, 422)
		for _, id := range []string{"cat-name", "cat-risk", "cat-description"} {
			if text(d, `[data-testid="error-`+id+`"]`) == "" {
				t.Errorf("no error beside %s", id)
			}
		}
		if v, _ := d.Find("#cat-name").Attr("value"); v != "high risk" {
			t.Errorf("the form lost its value: %q", v)
		}
		d = submit(t, "/config/features", url.Values{"code": {"1X"}, "name": {""}}, 422)
		if text(d, `[data-testid="error-feat-code"]`) == "" || text(d, `[data-testid="error-feat-name"]`) == "" {
			t.Error("no errors beside the feature's code and name")
		}
	})

	d = submit(t, categoriesPage, url.Values{"name": {"vip_individual"}, "description": {"Private banking clients"}, "riskLevel": {"MEDIUM"}, "active": {"true"}}, 303)
	if !strings.Contains(text(d, `[data-testid="flash"]`), "VIP_INDIVIDUAL was added") {
		t.Errorf("flash = %q", text(d, `[data-testid="flash"]`))
	}
	cat := cardID(t, d, "VIP_INDIVIDUAL")
	card := d.Find("#category-" + cat)
	if !strings.Contains(card.Text(), "Medium risk") || !strings.Contains(card.Text(), "Active") || !strings.Contains(card.Text(), "Private banking clients") {
		t.Errorf("card = %q", card.Text())
	}
	if d := submit(t, categoriesPage, url.Values{"name": {"VIP_INDIVIDUAL"}}, 422); !strings.Contains(text(d, `[data-testid="error-cat-name"]`), "already exists") {
		t.Errorf("duplicate name: %q", text(d, `[data-testid="error-cat-name"]`))
	}

	d = submit(t, "/config/features", url.Values{"code": {"CASHBACK"}, "name": {"Cashback on card spending"}}, 303)
	feat := featureID(t, d, "CASHBACK")
	if got := d.Find(`#category-` + cat + ` select[name="feature"] option`).Text(); got != "CASHBACK" {
		t.Errorf("features to attach = %q", got)
	}

	// Parameters: allowed values are a comma-separated list.
	param := "/config/features/" + feat + "/parameters"
	d = submit(t, param, url.Values{"name": {"rate"}, "mandatory": {"true"}, "allowedValues": {"1, 2, 2"}}, 422)
	if !strings.Contains(text(d, `[data-testid="error-param-`+feat+`-allowed"]`), "given twice") {
		t.Errorf("duplicate allowed value: %q", text(d, `[data-testid="error-param-`+feat+`-allowed"]`))
	}
	if d := submit(t, param, url.Values{"name": {"2fast"}}, 422); text(d, `[data-testid="error-param-`+feat+`-name"]`) == "" {
		t.Error("no error beside a bad parameter name")
	}
	d = submit(t, param, url.Values{"name": {"rate"}, "mandatory": {"true"}, "allowedValues": {" 1, 2,, 5 "}}, 303)
	p := d.Find(`#feature-` + feat + ` [data-testid="parameter"][data-name="rate"]`)
	if !strings.Contains(p.Text(), "mandatory") || text(d, `#feature-`+feat+` [data-testid="allowed-values"]`) != "1, 2, 5" {
		t.Errorf("parameter = %q", p.Text())
	}
	if d := submit(t, param, url.Values{"name": {"rate"}}, 422); !strings.Contains(text(d, `[data-testid="error-param-`+feat+`-name"]`), "already has") {
		t.Error("a duplicate parameter name is not refused beside the field")
	}
	d = submit(t, param, url.Values{"name": {"cap"}}, 303)

	// Attach, and the card shows the feature with its parameters.
	d = submit(t, categoriesPage+"/"+cat+"/features", url.Values{"feature": {feat}}, 303)
	if f := d.Find(`#category-` + cat + ` [data-testid="category-feature"][data-code="CASHBACK"]`); f.Length() != 1 || !strings.Contains(f.Text(), "rate") {
		t.Fatalf("attached feature = %q", f.Text())
	}
	if d := submit(t, categoriesPage+"/"+cat+"/features", url.Values{"feature": {feat}}, 422); !strings.Contains(text(d, `[data-testid="error-attach-`+cat+`"]`), "already part of") {
		t.Errorf("attaching twice: %q", text(d, `[data-testid="error-attach-`+cat+`"]`))
	}

	// Registration follows the configuration at once.
	tok := h.adminToken(h.tenant, credential.ScopeCustomersWrite)
	withCashback := func(m map[string]any) {
		m["categorization"] = map[string]any{"name": "VIP_INDIVIDUAL", "categoryFeatureRelations": []any{
			map[string]any{"feature": map[string]any{"code": "CASHBACK"}, "enabled": true, "parametrization": []any{
				map[string]any{"name": "rate", "value": "9"}}}}}
	}
	resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, tok, variant(t, withCashback), nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(strings.Join(details(out), "; "), "use one of 1, 2, 5") {
		t.Errorf("registration with a value not allowed: %d %v", resp.StatusCode, details(out))
	}

	// Edit: errors beside the fields, then a change.
	edit := categoriesPage + "/" + cat
	d = submit(t, edit, url.Values{"description": {"Private banking"}, "riskLevel": {"SEVERE"}, "active": {"true"}}, 422)
	if text(d, `[data-testid="error-edit-`+cat+`-risk"]`) == "" {
		t.Error("no error beside the edited risk level")
	}
	if _, open := d.Find(`#category-` + cat + ` details:has([data-testid="category-edit"])`).Attr("open"); !open {
		t.Error("the edit form is not open to show its error")
	}
	d = submit(t, edit, url.Values{"description": {"Private banking"}, "riskLevel": {"HIGH"}, "active": {"true"}}, 303)
	if got := d.Find("#category-" + cat).Text(); !strings.Contains(got, "High risk") || !strings.Contains(got, "Private banking") {
		t.Errorf("edited card = %q", got)
	}

	// Deactivate: registrations can no longer choose it.
	d = submit(t, categoriesPage+"/"+cat+"/status", url.Values{"active": {"false"}}, 303)
	if !strings.Contains(d.Find("#category-"+cat).Text(), "Inactive") {
		t.Error("the card does not show the category inactive")
	}
	resp, out = h.apiCall("POST", registerPath, h.tenant.Slug, tok, variant(t, withCashback), nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(strings.Join(details(out), "; "), "not active") {
		t.Errorf("registration in an inactive category: %d %v", resp.StatusCode, details(out))
	}
	submit(t, categoriesPage+"/"+cat+"/status", url.Values{"active": {"true"}}, 303)

	// Remove a parameter, detach the feature.
	action, _ := d.Find(`#feature-` + feat + ` [data-testid="parameter"][data-name="cap"] form`).Attr("action")
	if action == "" {
		t.Fatal("no remove form for the parameter cap")
	}
	d = submit(t, action, nil, 303)
	if d.Find(`#feature-`+feat+` [data-testid="parameter"][data-name="cap"]`).Length() != 0 {
		t.Error("the removed parameter is still listed")
	}
	d = submit(t, categoriesPage+"/"+cat+"/features/"+feat+"/detach", nil, 303)
	if d.Find(`#category-`+cat+` [data-testid="category-feature"]`).Length() != 0 {
		t.Error("the detached feature is still on the card")
	}

	// Every change is audited with its actor and announced as config.changed.
	want := []string{"category.created", "feature.created", "feature.parameter.added", "feature.parameter.added",
		"category.feature.attached", "category.updated", "category.deactivated", "category.activated",
		"feature.parameter.removed", "category.feature.detached"}
	var got []string
	for _, a := range h.auditActions(h.tenant.ID, "") {
		if strings.HasPrefix(a.Action, "category.") || strings.HasPrefix(a.Action, "feature.") {
			got = append([]string{a.Action}, got...)
			if !strings.HasPrefix(a.Actor, admin.Name) || a.Reason != "CONFIG_CHANGE" {
				t.Errorf("%s by %q (%s)", a.Action, a.Actor, a.Reason)
			}
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("audit = %v\nwant    %v", got, want)
	}
	var events int
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT count(*) FROM events WHERE tenant_id = $1 AND type = 'config.changed' AND entity_type IN ('category', 'feature')", h.tenant.ID).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != len(want) {
		t.Errorf("config.changed events = %d; want %d", events, len(want))
	}
}

func TestCategoriesReadOnlyWithoutConfigEdit(t *testing.T) {
	h := newHarness(t)
	h.withCategories()
	_, auditor := h.signIn(staff.Auditor)
	d := doc(t, h.get(categoriesPage, auditor))
	if d.Find(`[data-testid="category-card"]`).Length() != 2 || d.Find(`[data-testid="feature-row"]`).Length() != 2 {
		t.Fatalf("auditor sees %d categories, %d features", d.Find(`[data-testid="category-card"]`).Length(), d.Find(`[data-testid="feature-row"]`).Length())
	}
	if d.Find(`form[method="post"]`).Length() != 1 { // sign-out only
		t.Errorf("an auditor is offered %d forms", d.Find(`form[method="post"]`).Length())
	}
	cat := cardID(t, d, "HIGH_RISK_INDIVIDUAL")
	if got := text(d, `#category-`+cat+` [data-testid="category-feature"][data-code="ENHANCED_AML_MONITORING"] [data-name="riskLevel"] [data-testid="allowed-values"]`); got != "LOW, MEDIUM, HIGH" {
		t.Errorf("allowed values = %q", got)
	}
	// A tenant administrator reads what each parameter does.
	feature := `#category-` + cat + ` [data-testid="category-feature"][data-code="ENHANCED_AML_MONITORING"] `
	for name, want := range map[string]string{"riskLevel": "risk level", "edd": "enhanced due diligence", "sanctionsCheck": "stricter threshold"} {
		if got := text(d, feature+`[data-name="`+name+`"] [data-testid="parameter-effect"]`); !strings.Contains(got, want) {
			t.Errorf("%s says %q; want it to mention %q", name, got, want)
		}
	}
	for _, path := range []string{categoriesPage, categoriesPage + "/" + cat + "/status", "/config/features"} {
		if resp := h.post(path, url.Values{"name": {"X_Y"}, "active": {"false"}}, auditor); resp.StatusCode != http.StatusForbidden {
			t.Errorf("auditor POST %s: %d; want 403", path, resp.StatusCode)
		}
	}
	_, analyst := h.signIn(staff.Analyst)
	if resp := h.get(categoriesPage, analyst); resp.StatusCode != http.StatusForbidden {
		t.Errorf("analyst GET: %d; want 403", resp.StatusCode)
	}
	if acts := h.auditActions(h.tenant.ID, "category.deactivated"); len(acts) != 0 {
		t.Errorf("a refused change was recorded: %+v", acts)
	}
}
