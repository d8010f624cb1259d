package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/catalog"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/staff"
)

// approvalFields reads an approval page's fields: label → before, after,
// changed.
func approvalFields(d *goquery.Document) map[string][3]string {
	out := map[string][3]string{}
	d.Find(`[data-testid="approval-field"]`).Each(func(_ int, s *goquery.Selection) {
		lbl := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s.Find(`[data-testid="approval-field-label"]`).Text()), "(changed)"))
		out[lbl] = [3]string{strings.TrimSpace(s.Find(`[data-testid="approval-before"]`).Text()),
			strings.TrimSpace(s.Find(`[data-testid="approval-after"]`).Text()), s.AttrOr("data-changed", "")}
	})
	return out
}

// Problem 3: a fee change read as a raw machine diff (`minimum null → —`,
// `effectiveFrom "2026-12-01T00:00:00Z"`), and the senior reviewer who may
// approve it got 403 on the fee page, deciding blind. The approval page now
// shows every field of the rule as the fee form does, and tells a checker
// whose role does not open the fee page that it shows all there is.
func TestApprovalReadsAsTheFeeChange(t *testing.T) {
	h := newHarness(t)
	if _, err := dbOwner(t).Exec(t.Context(), "UPDATE tenants SET time_zone = 'Europe/Berlin' WHERE id = $1", h.tenant.ID); err != nil {
		t.Fatal(err)
	}
	_, mc := h.signIn(staff.TenantAdmin)
	_, senior := h.signIn(staff.SeniorReviewer)
	_, admin := h.signIn(staff.TenantAdmin)
	id := h.feeRule(catalog.FeeRuleSpec{Name: "GB transfers", TransactionType: "TRANSFER", Country: "GB", Currency: "GBP", Fixed: d("0.50"),
		Percentage: d("1.25"), Minimum: nd("1"), EffectiveFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	edit := goodFee("GB transfers")
	edit.Set("fixed", "0.75")
	edit.Set("minimum", "")
	edit.Set("effectiveFrom", "2026-12-01")
	d3 := h.submit(&mc, feesPath+"/"+id, edit, http.StatusSeeOther)
	link, ok := d3.Find(`[data-testid="pending-list"] [data-testid="pending-approval"] a`).Attr("href")
	if !ok {
		t.Fatal("no pending change")
	}

	page := doc(t, h.get(link, senior))
	f := approvalFields(page)
	want := map[string][3]string{
		"Name":        {"GB transfers", "GB transfers", ""},
		"Fixed part":  {"0.50 GBP", "0.75 GBP", "true"},
		"Minimum fee": {"1.00 GBP", "none", "true"},
		"Maximum fee": {"none", "25.00 GBP", "true"},
		"Percentage":  {"1.25 %", "1.25 %", ""},
		"Currency":    {"GBP", "GBP", ""},
	}
	for k, w := range want {
		if f[k] != w {
			t.Errorf("%s = %q, want %q", k, f[k], w)
		}
	}
	// Dates in the tenant's zone, as the fee form took them.
	if got := f["Effective from"]; got[0] != "1 Jan 2026 01:00 CET" || !strings.HasPrefix(got[1], "1 Dec 2026") {
		t.Errorf("Effective from = %q", got)
	}
	body := page.Find(`[data-testid="approval-diff"]`).Text()
	for _, raw := range []string{"null", "effectiveFrom", "T00:00:00Z", `"`, "—"} {
		if strings.Contains(body, raw) {
			t.Errorf("the change still reads as a machine diff: %q in %s", raw, body)
		}
	}
	// The senior reviewer may decide but not open the fee page: the page
	// says it shows everything, and offers no link that would answer 403.
	if resp := h.get(feesPath+"/"+id, senior); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("senior on the fee page: %d", resp.StatusCode)
	}
	if page.Find(`[data-testid="approval-target-link"]`).Length() != 0 {
		t.Error("the senior reviewer is offered a link to a page they may not open")
	}
	if !strings.Contains(text(page, `[data-testid="approval-target-note"]`), "every field") {
		t.Errorf("target note = %q", text(page, `[data-testid="approval-target-note"]`))
	}
	if page.Find(`[data-testid="decision-form"]`).Length() != 1 {
		t.Error("the senior reviewer cannot decide")
	}
	// An administrator checker gets the link to the rule.
	ad := doc(t, h.get(link, admin))
	if href, _ := ad.Find(`[data-testid="approval-target-link"]`).Attr("href"); href != feesPath+"/"+id {
		t.Errorf("admin target link = %q", href)
	}
	if resp := h.get(feesPath+"/"+id, admin); resp.StatusCode != http.StatusOK {
		t.Errorf("admin on the fee page: %d", resp.StatusCode)
	}

	// A new rule: nothing before.
	d1 := h.submit(&mc, feesPath, goodFee("EU cards"), http.StatusSeeOther)
	newLink, _ := d1.Find(`[data-testid="pending-new"] [data-testid="pending-approval"] a`).Attr("href")
	nf := approvalFields(doc(t, h.get(newLink, senior)))
	if nf["Name"] != [3]string{"none", "EU cards", "true"} || nf["Amount tiers"][1] != "0.00 – 1000.00 GBP: 0.50 GBP + 1.25 %; from 1000.00 GBP: 0.00 GBP + 0.9 %" {
		t.Errorf("new rule fields = %v", nf)
	}
}

// Problem 3 for AML rules: the condition read as CEL inside JSON quotes,
// with no link to the rule or its shadow run. Now the condition reads as
// the rule builder shows it, and the page links the rule and the shadow
// run the maker made of the proposed version.
func TestApprovalReadsAsTheRuleChange(t *testing.T) {
	h := newHarness(t)
	_, mc := h.signIn(staff.SeniorReviewer)
	_, cc := h.signIn(staff.TenantAdmin)
	_ = h.adminToken(h.tenant, credential.ScopeAML)
	form := url.Values{"name": {"Large transfers out"}, "outcome": {"REVIEW"}, "score": {"60"}, "kind": {"amount"}, "types": {"TRANSFER"},
		"p.threshold": {"500"}, "p.currency": {"EUR"}, "p.direction": {"OUT"}}
	loc := location(t, h.post("/aml/rules", form, mc))

	// The maker shadow-runs the version (publication needs one), then
	// proposes it.
	run := location(t, h.post(loc+"/shadow", url.Values{"version": {"1"}, "days": {"7"}}, mc))
	location(t, h.post(loc+"/publish", url.Values{"version": {"1"}, "reason": {"large transfers"}}, mc))
	reqs, err := h.s.Approvals.List(t.Context(), h.tenant.ID, "PENDING", aml.KindPublish, 10, 0)
	if err != nil || len(reqs.Requests) != 1 {
		t.Fatalf("requests: %v %v", reqs, err)
	}
	d0 := doc(t, h.get("/approvals/"+reqs.Requests[0].ID.String(), cc))
	f := approvalFields(d0)
	if got := f["Condition"]; got[0] != "none" || got[1] != "Amount threshold: At least 500, Currency EUR, Direction OUT" {
		t.Errorf("Condition = %q", got)
	}
	if got := f["Version in force"]; got != [3]string{"none: the rule is off", "version 1", "true"} {
		t.Errorf("Version in force = %q", got)
	}
	if got := f["Condition as CEL"][1]; strings.HasPrefix(got, `"`) || !strings.Contains(got, `"OUT"`) {
		t.Errorf("CEL = %q; want the expression as written, not JSON-quoted", got)
	}
	if got := f["Applies to"][1]; got == "none" || strings.Contains(got, "{") {
		t.Errorf("Applies to = %q", got)
	}
	if href, _ := d0.Find(`[data-testid="approval-target-link"]`).Attr("href"); href != loc {
		t.Errorf("rule link = %q", href)
	}
	a := d0.Find(`[data-testid="approval-shadow"]`)
	if href, _ := a.Attr("href"); href != run || !strings.Contains(a.Text(), "Shadow run of version 1 over 7 days") {
		t.Errorf("shadow link = %q %q, want %q", href, a.Text(), run)
	}
	if resp := h.get(run, cc); resp.StatusCode != http.StatusOK {
		t.Errorf("the checker cannot open the shadow run: %d", resp.StatusCode)
	}

	// Deactivating, once published: the condition in force before, none
	// after; no shadow run applies.
	h.approve(reqs.Requests[0].ID.String(), cc)
	location(t, h.post(loc+"/deactivate", url.Values{"reason": {"not needed"}}, mc))
	reqs, _ = h.s.Approvals.List(t.Context(), h.tenant.ID, "PENDING", aml.KindDeactivate, 10, 0)
	if len(reqs.Requests) != 1 {
		t.Fatalf("deactivation requests: %v", reqs)
	}
	d1 := doc(t, h.get("/approvals/"+reqs.Requests[0].ID.String(), cc))
	g := approvalFields(d1)
	if got := g["Condition"]; got[0] != "Amount threshold: At least 500, Currency EUR, Direction OUT" || got[1] != "none" {
		t.Errorf("deactivation Condition = %q", got)
	}
	if d1.Find(`[data-testid="approval-shadow"], [data-testid="approval-shadow-note"]`).Length() != 0 {
		t.Error("a deactivation shows a shadow run")
	}
}
