package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/jobs"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

const screenPath = api.Prefix + "/aml/transactions/screen"

// amlCustomer registers a customer of the harness tenant through the API.
func (h *harness) amlCustomer(tok string) string {
	h.t.Helper()
	body := variant(h.t, func(m map[string]any) { delete(m, "categorization") })
	resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, tok, body, nil)
	if resp.StatusCode != http.StatusCreated {
		h.t.Fatalf("register: %d %v", resp.StatusCode, out)
	}
	return out["data"].(map[string]any)["customerId"].(string)
}

func screenBody(customer, txID, amount, currency, timestamp string, extra map[string]any) string {
	m := map[string]any{"customerId": customer, "transactionId": txID, "type": "TRANSFER", "direction": "OUT", "amount": amount,
		"currency": currency, "channel": "MOBILE", "timestamp": timestamp,
		"counterparty": map[string]any{"name": "Quick Cash Ltd", "country": "DE", "account": "DE89370400440532013000"}}
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// location is where a 303 goes, with the updated session cookie.
func location(t *testing.T, resp *http.Response) string {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d; want 303", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// The whole lifecycle through the portal, then the API: a rule made with
// the form editor, its compile errors inline, a shadow run, publication
// under four-eyes, a screening that raises an alert, and the alert's work.
func TestAMLThroughThePortalAndTheAPI(t *testing.T) {
	h := newHarness(t)
	maker, mc := h.signIn(staff.SeniorReviewer)
	_, cc := h.signIn(staff.TenantAdmin)
	_, ac := h.signIn(staff.Analyst)
	tok := h.adminToken(h.tenant, credential.ScopeAML, credential.ScopeCustomersWrite)
	customer := h.amlCustomer(tok)
	now := time.Now().UTC()

	// Some history to shadow-run over: four transfers of 1,500 EUR today.
	for i := range 4 {
		resp, out := h.apiCall("POST", screenPath, h.tenant.Slug, tok,
			screenBody(customer, fmt.Sprintf("h-%d", i), "1500.00", "EUR", now.Add(-time.Duration(5-i)*time.Hour).Format(time.RFC3339), nil), nil)
		if resp.StatusCode != 200 || out["data"].(map[string]any)["decision"] != "ALLOW" {
			t.Fatalf("history %d: %d %v", i, resp.StatusCode, out)
		}
	}

	// A compile error is shown at its position, the form kept.
	bad := url.Values{"name": {"Typo"}, "outcome": {"REVIEW"}, "score": {"40"}, "kind": {"expression"},
		"expression": {"tx.amount > 1000 &&\n  tx.ammount > 5"}}
	resp := h.post("/aml/rules", bad, mc)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad expression: %d", resp.StatusCode)
	}
	d := doc(t, resp)
	issue := d.Find(`[data-testid="compile-issue"]`).First()
	if issue.AttrOr("data-line", "") != "2" || issue.AttrOr("data-column", "") != "3" || !strings.Contains(issue.Text(), "ammount") {
		t.Fatalf("issue: line %s column %s %q", issue.AttrOr("data-line", ""), issue.AttrOr("data-column", ""), issue.Text())
	}
	if d.Find(`#rule-name`).AttrOr("value", "") != "Typo" {
		t.Error("the form was not kept")
	}
	// As typed, through htmx: the check alone.
	check := h.do("POST", "/aml/rules/check", url.Values{"kind": {"expression"}, "expression": {"count_over(duration(\"24h\"), {\"colour\": 1}) > 2"}},
		map[string]string{"HX-Request": "true"}, mc)
	if cd := doc(t, check); cd.Find(`[data-testid="compile-issue"]`).Length() != 1 || !strings.Contains(cd.Text(), "unknown filter key") {
		t.Fatalf("check: %s", cd.Text())
	}
	// Switching the kind: the condition section for the new kind.
	sw := h.do("GET", "/aml/rules/condition?kind=structuring&prev_kind=amount", nil, map[string]string{"HX-Request": "true"}, mc)
	if sd := doc(t, sw); sd.Find(`#p-margin_percent`).Length() != 1 || !strings.Contains(text(sd, `[data-testid="generated-expression"]`), "count_over") {
		t.Fatalf("switch: %s", sd.Text())
	}

	// The form editor: more than 4 transfers of 1,000 EUR in 24 hours.
	form := url.Values{"name": {"Many large transfers"}, "outcome": {"REVIEW"}, "score": {"60"}, "kind": {"velocity"}, "types": {"TRANSFER"},
		"p.measure": {"count"}, "p.by": {"customer"}, "p.window_hours": {"24"}, "p.limit": {"4"}, "p.currency": {"EUR"},
		"p.min_amount": {"1000"}, "p.direction": {"OUT"}}
	loc := location(t, h.post("/aml/rules", form, mc))
	ruleID := strings.TrimPrefix(loc, "/aml/rules/")
	if _, err := uuid.Parse(ruleID); err != nil {
		t.Fatalf("created rule at %q", loc)
	}
	d = doc(t, h.get(loc, mc))
	if !strings.Contains(text(d, `[data-testid="draft-version"] [data-testid="condition-text"]`), `"at_least": 1000`) ||
		d.Find(`[data-testid="publish-form"] button[disabled]`).Length() != 1 {
		t.Fatalf("rule page: %s", d.Find(`main`).Text())
	}

	// Shadow run (no job queue here: it runs at once).
	loc = location(t, h.post(loc+"/shadow", url.Values{"version": {"1"}, "days": {"7"}}, mc))
	d = doc(t, h.get(loc, mc))
	if text(d, `[data-testid="run-total"]`) != "4" || text(d, `[data-testid="run-hits"]`) != "0" || d.Find(`[data-testid="run-body"]`).AttrOr("data-status", "") != "DONE" {
		t.Fatalf("shadow run: total %s hits %s", text(d, `[data-testid="run-total"]`), text(d, `[data-testid="run-hits"]`))
	}

	// Propose; the list says pending approval; the maker cannot approve.
	location(t, h.post("/aml/rules/"+ruleID+"/publish", url.Values{"version": {"1"}, "reason": {"velocity of large transfers"}}, mc))
	d = doc(t, h.get("/aml/rules", mc))
	row := d.Find(`[data-rule-id="` + ruleID + `"]`)
	if !strings.Contains(row.Find(`[data-testid="rule-status"]`).Text(), "pending approval") {
		t.Fatalf("list status: %q", row.Find(`[data-testid="rule-status"]`).Text())
	}
	if d := doc(t, h.get("/aml/rules/"+ruleID, mc)); d.Find(`[data-testid="pending-approval"]`).Length() != 1 {
		t.Error("the rule page does not say it is pending approval")
	}
	if d := doc(t, h.get("/aml/rules/"+ruleID+"/edit", mc)); !strings.Contains(d.Find("main").Text(), "Pending approval") {
		t.Error("the editor does not say the rule is pending approval")
	}
	reqs, err := h.s.Approvals.List(t.Context(), h.tenant.ID, "PENDING", aml.KindPublish, 10, 0)
	if err != nil || len(reqs.Requests) != 1 || reqs.Requests[0].MakerID != maker.ID.String() {
		t.Fatalf("change requests: %+v %v", reqs, err)
	}
	reqID := reqs.Requests[0].ID.String()
	if d := doc(t, h.get("/approvals/"+reqID, cc)); !strings.Contains(d.Find(`[data-testid="approval-diff"]`).Text(), `at_least`) {
		t.Errorf("the change request does not show the condition: %s", d.Find(`[data-testid="approval-diff"]`).Text())
	}
	h.decide(reqID, "APPROVE", "mine", mc)
	if r, _ := h.s.Approvals.Get(t.Context(), h.tenant.ID, reqs.Requests[0].ID); r.Status != "PENDING" {
		t.Fatalf("the maker approved their own change: %s", r.Status)
	}
	h.approve(reqID, cc)
	d = doc(t, h.get("/aml/rules", mc))
	if got := d.Find(`[data-rule-id="` + ruleID + `"] [data-testid="rule-status"]`).Text(); !strings.Contains(got, "active v1") {
		t.Fatalf("after approval: %q", got)
	}

	// The fifth transfer of the day triggers it: REVIEW, an alert.
	resp, out := h.apiCall("POST", screenPath, h.tenant.Slug, tok, screenBody(customer, "t-5", "1200.00", "EUR", now.Format(time.RFC3339), nil), nil)
	data := out["data"].(map[string]any)
	if resp.StatusCode != 200 || data["decision"] != "REVIEW" || data["score"] != float64(60) || data["alertId"] == nil {
		t.Fatalf("screen: %d %v", resp.StatusCode, out)
	}
	hit := data["triggeredRules"].([]any)[0].(map[string]any)
	if hit["ruleId"] != ruleID || hit["version"] != float64(1) || hit["outcome"] != "REVIEW" ||
		hit["values"].(map[string]any)[`count_over(24h0m0s, {direction: OUT, at_least: 1000 EUR})`] != float64(5) {
		t.Fatalf("triggered: %v", hit)
	}
	alertID := data["alertId"].(string)

	// The hit counts on the rules page; the alert in the queue and the
	// dashboard.
	d = doc(t, h.get("/aml/rules", mc))
	if got := text(d, `[data-rule-id="`+ruleID+`"] [data-testid="hits-7"]`); got != "1" {
		t.Errorf("hits 7 d = %q", got)
	}
	if d.Find(`[data-testid="chart-decisions"]`).Length() != 1 || d.Find(`[data-rule-id="`+ruleID+`"] [data-testid="sparkline"]`).Length() != 1 {
		t.Error("no decisions chart or sparkline")
	}
	d = doc(t, h.get("/dashboard", ac))
	if got := text(d, `[data-testid="queue-count-alerts"]`); got != "1" {
		t.Errorf("dashboard alerts = %q", got)
	}
	if got := d.Find(`[data-testid="chart-alerts"] desc`).Text(); got != "In the last 14 days 0 high and 1 medium severity alerts were raised." {
		t.Errorf("alerts chart: %q", got)
	}
	if got := text(d, `[data-testid="nav-badge-alerts"]`); got != "1 waiting" {
		t.Errorf("alerts badge beside the dashboard %q", got)
	}
	d = doc(t, h.get("/alerts", ac))
	if d.Find(`[data-alert-id="`+alertID+`"]`).Length() != 1 {
		t.Fatalf("queue: %s", d.Find("main").Text())
	}
	// The navigation counts it; a tenant admin, who may not open alerts,
	// sees neither the link nor the count.
	if got := text(d, `[data-testid="nav-badge-alerts"]`); got != "1 waiting" {
		t.Errorf("alerts badge %q", got)
	}
	if d := doc(t, h.get("/dashboard", cc)); d.Find(`[data-testid="nav-alerts"]`).Length() != 0 || d.Find(`[data-testid="nav-badge-alerts"]`).Length() != 0 {
		t.Error("a tenant admin sees the alerts link or count")
	}
	d = doc(t, h.get("/alerts?group=customer", ac))
	if d.Find(`[data-testid="alert-group"]`).Length() != 1 {
		t.Fatal("no group per customer")
	}
	// The customer's 360 page lists it and leads to it.
	d = doc(t, h.get("/customers/"+customer, ac))
	if d.Find(`[data-testid="alert-link"][href="/alerts/`+alertID+`"]`).Length() != 1 ||
		!strings.Contains(d.Find(`[data-testid="alert-row"]`).Text(), "Many large transfers") {
		t.Errorf("customer page alerts: %s", d.Find(`[data-testid="customer-alerts"]`).Text())
	}
	// And the transactions screened, latest first: the one that raised the
	// alert, then the four before it.
	rows := d.Find(`[data-testid="transaction-row"]`)
	if rows.Length() != 5 || !strings.Contains(rows.First().Text(), "Review") || !strings.Contains(rows.First().Text(), "1200.00 EUR") ||
		rows.First().Find(`[data-testid="transaction-alert"][href="/alerts/`+alertID+`"]`).Length() != 1 ||
		!strings.Contains(rows.Last().Text(), "Allow") || !strings.Contains(rows.Last().Text(), "h-0") || !strings.Contains(rows.Last().Text(), "Quick Cash Ltd (DE)") {
		t.Errorf("customer page transactions: %s", d.Find(`[data-testid="customer-transactions"]`).Text())
	}
	d = doc(t, h.get("/alerts/"+alertID, ac))
	if !strings.Contains(d.Find(`[data-testid="alert-hits"]`).Text(), "Many large transfers") || text(d, `[data-testid="alert-amount"]`) != "1200.00 EUR" {
		t.Fatalf("alert page: %s", d.Find("main").Text())
	}

	// Bulk assign to me, comment, then close as a false positive.
	location(t, h.post("/alerts/assign", url.Values{"id": {alertID}, "assignee": {"me"}}, ac))
	location(t, h.post("/alerts/"+alertID+"/comment", url.Values{"body": {"Salary week."}}, ac))
	if resp := h.post("/alerts/"+alertID+"/close", url.Values{"reason": {""}}, ac); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("close without a reason: %d", resp.StatusCode)
	}
	location(t, h.post("/alerts/"+alertID+"/close", url.Values{"reason": {"Known supplier payments"}}, ac))
	d = doc(t, h.get("/alerts/"+alertID, ac))
	if text(d, `[data-testid="alert-status"]`) != "Closed false positive" || text(d, `[data-testid="detail-assignee"]`) != "Emp ANALYST" ||
		!strings.Contains(d.Find(`[data-testid="alert-comments"]`).Text(), "Salary week.") {
		t.Fatalf("closed alert: %s", d.Find("main").Text())
	}
	if d.Find(`[data-testid="nav-badge-alerts"]`).Length() != 0 {
		t.Error("the alerts badge stays after the only alert closed")
	}
	var acts []string
	for _, a := range h.auditActions(h.tenant.ID, "aml.") {
		acts = append(acts, a.Action)
	}
	if got := strings.Join(acts, " "); !strings.HasPrefix(got, "aml.alert.closed aml.alert.commented aml.alert.assigned aml.alert.created aml.rule.published") {
		t.Errorf("audit: %s", got)
	}
}

// Bad input is 422 with one detail per field; the scope is required.
func TestAMLScreenRefusesBadInput(t *testing.T) {
	h := newHarness(t)
	tok := h.adminToken(h.tenant, credential.ScopeAML, credential.ScopeCustomersWrite)
	customer := h.amlCustomer(tok)
	now := time.Now().UTC()
	tests := []struct {
		name, body, field, says string
	}{
		{"unknown currency", screenBody(customer, "b1", "10", "ABC", now.Format(time.RFC3339), nil), "currency", "unknown currency"},
		{"negative amount", screenBody(customer, "b2", "-10.00", "EUR", now.Format(time.RFC3339), nil), "amount", "negative"},
		{"far in the future", screenBody(customer, "b3", "10", "EUR", now.Add(72*time.Hour).Format(time.RFC3339), nil), "timestamp", "future"},
		{"unknown customer", screenBody(uuid.NewString(), "b4", "10", "EUR", now.Format(time.RFC3339), nil), "customerId", "no such customer"},
		{"not a timestamp", screenBody(customer, "b5", "10", "EUR", "yesterday", nil), "timestamp", "RFC 3339"},
		{"bad counterparty country", screenBody(customer, "b6", "10", "EUR", now.Format(time.RFC3339),
			map[string]any{"counterparty": map[string]any{"name": "X", "country": "ZZ"}}), "counterparty.country", "unknown country"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			resp, out := h.apiCall("POST", screenPath, h.tenant.Slug, tok, tc.body, nil)
			d := details(out)
			if resp.StatusCode != 422 || errCode(out) != "VALIDATION_FAILED" || len(d) != 1 || !strings.HasPrefix(d[0], tc.field+": ") || !strings.Contains(d[0], tc.says) {
				t.Fatalf("%d %s %v; want one detail %s ~ %q", resp.StatusCode, errCode(out), d, tc.field, tc.says)
			}
		})
	}
	// A number for the amount is read exactly, never through a float.
	resp, out := h.apiCall("POST", screenPath, h.tenant.Slug, tok,
		strings.Replace(screenBody(customer, "n1", "X", "EUR", now.Format(time.RFC3339), nil), `"X"`, `1234.5678`, 1), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("amount as a number: %d %v", resp.StatusCode, out)
	}
	// Idempotency-Key works as on every POST.
	key := map[string]string{"Idempotency-Key": uuid.NewString()}
	ik := screenBody(customer, "ik1", "10", "EUR", now.Format(time.RFC3339), nil)
	first, out1 := h.apiCall("POST", screenPath, h.tenant.Slug, tok, ik, key)
	again, out2 := h.apiCall("POST", screenPath, h.tenant.Slug, tok, ik, key)
	if first.StatusCode != 200 || again.Header.Get("Idempotent-Replayed") != "true" || fmt.Sprint(out1) != fmt.Sprint(out2) {
		t.Fatalf("idempotency key: %d %q", again.StatusCode, again.Header.Get("Idempotent-Replayed"))
	}
	// Without the scope: 403.
	other := h.adminToken(h.tenant, credential.ScopeCustomersRead)
	if resp, out := h.apiCall("POST", screenPath, h.tenant.Slug, other, screenBody(customer, "s1", "10", "EUR", now.Format(time.RFC3339), nil), nil); resp.StatusCode != 403 {
		t.Fatalf("without aml:screen: %d %v", resp.StatusCode, out)
	}
	// The same transaction again: the first decision; with another amount: 409.
	body := screenBody(customer, "r1", "10", "EUR", now.Format(time.RFC3339), nil)
	h.apiCall("POST", screenPath, h.tenant.Slug, tok, body, nil)
	if resp, _ := h.apiCall("POST", screenPath, h.tenant.Slug, tok, body, nil); resp.StatusCode != 200 || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("again: %d %q", resp.StatusCode, resp.Header.Get("Idempotent-Replayed"))
	}
	if resp, out := h.apiCall("POST", screenPath, h.tenant.Slug, tok, screenBody(customer, "r1", "11", "EUR", now.Format(time.RFC3339), nil), nil); resp.StatusCode != 409 || errCode(out) != "TRANSACTION_ALREADY_SCREENED" {
		t.Fatalf("other details: %d %v", resp.StatusCode, out)
	}
}

// A shadow run queued as a job shows its progress and ends DONE.
func TestShadowRunAsAJob(t *testing.T) {
	h := newHarness(t)
	r, err := jobs.New(h.pool, jobs.Config{Webhooks: h.s.Webhooks, KYC: h.s.KYC, AML: h.s.AML, PumpEvery: time.Second, Logger: h.s.Logger})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop(t.Context()) })
	_, mc := h.signIn(staff.SeniorReviewer)
	tok := h.adminToken(h.tenant, credential.ScopeAML, credential.ScopeCustomersWrite)
	customer := h.amlCustomer(tok)
	for i := range 3 {
		h.apiCall("POST", screenPath, h.tenant.Slug, tok, screenBody(customer, fmt.Sprintf("j-%d", i), "2500", "EUR",
			time.Now().UTC().Add(-time.Duration(i+1)*time.Minute).Format(time.RFC3339), nil), nil)
	}
	loc := location(t, h.post("/aml/rules", url.Values{"name": {"Big"}, "outcome": {"WARN"}, "score": {"10"}, "kind": {"amount"},
		"p.threshold": {"2000"}, "p.currency": {"EUR"}}, mc))
	loc = location(t, h.post(loc+"/shadow", url.Values{"version": {"1"}, "days": {"30"}}, mc))
	deadline := time.Now().Add(30 * time.Second)
	for {
		d := doc(t, h.get(loc, mc))
		status := d.Find(`[data-testid="run-body"]`).AttrOr("data-status", "")
		if status == "DONE" {
			if text(d, `[data-testid="run-hits"]`) != "3" {
				t.Fatalf("hits = %s", text(d, `[data-testid="run-hits"]`))
			}
			break
		}
		if status != "QUEUED" && status != "RUNNING" {
			t.Fatalf("status %q", status)
		}
		if d.Find(`[data-testid="run-body"]`).AttrOr("hx-trigger", "") != "every 1s" {
			t.Fatal("a running shadow run does not refresh itself")
		}
		if time.Now().After(deadline) {
			t.Fatal("the shadow run did not finish")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
