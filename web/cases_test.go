package web

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/approval"
	"github.com/ciamhq/ciam/internal/cases"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
	"github.com/ciamhq/ciam/views/labels"
)

// alertRule puts in force, the real way (shadow run, proposal, a second
// employee's approval), a rule sending every transaction of 100 or more
// for review, and returns an API token that registers and screens.
func (h *harness) alertRule() string {
	h.t.Helper()
	maker := actor.With(h.t.Context(), actor.Actor{Kind: actor.Employee, ID: uuid.NewString(), Name: "Maker", TenantID: h.tenant.ID})
	checker := actor.With(h.t.Context(), actor.Actor{Kind: actor.Employee, ID: uuid.NewString(), Name: "Checker", TenantID: h.tenant.ID})
	v, err := h.s.AML.CreateRule(maker, h.tenant.ID, aml.Definition{Name: "Large transfer", Expression: "tx.amount >= 100", Outcome: aml.Review, Score: 40})
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.s.AML.StartShadowRun(maker, h.tenant.ID, v.RuleID, v.Version, 1); err != nil {
		h.t.Fatal(err)
	}
	req, err := h.s.AML.ProposePublish(maker, h.tenant.ID, v.RuleID, v.Version, "test")
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.s.Approvals.Decide(checker, h.tenant.ID, req.ID, approval.Approve, "fine"); err != nil {
		h.t.Fatal(err)
	}
	return h.adminToken(h.tenant, credential.ScopeAML, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
}

// raise screens a transaction of customer through the API; it raises an
// alert, whose id it returns.
func (h *harness) raise(tok, customer, amount string) string {
	h.t.Helper()
	body := screenBody(customer, "tx-"+uuid.NewString()[:8], amount, "EUR", time.Now().UTC().Add(-time.Minute).Format(time.RFC3339), nil)
	resp, out := h.apiCall("POST", screenPath, h.tenant.Slug, tok, body, nil)
	data, _ := out["data"].(map[string]any)
	if resp.StatusCode != http.StatusOK || data["alertId"] == nil {
		h.t.Fatalf("screen: %d %v", resp.StatusCode, out)
	}
	return data["alertId"].(string)
}

// kinds are the data-kind attributes of the elements sel finds, in order.
func kinds(d *goquery.Document, sel string) []string {
	var out []string
	d.Find(sel).Each(func(_ int, s *goquery.Selection) { out = append(out, s.AttrOr("data-kind", "")) })
	return out
}

// An alert's history is every event as its own row: the escalation's
// reason stays, is not shown as the decision and is not overwritten by the
// closing reason; assignments show; the closing reason is the tenant's.
func TestAlertHistoryKeepsEveryEvent(t *testing.T) {
	h := newHarness(t)
	tok := h.alertRule()
	alert := h.raise(tok, h.amlCustomer(tok), "150.00")
	_, ac := h.signIn(staff.Analyst)

	location(t, h.post("/alerts/"+alert+"/assign", url.Values{"assignee": {"me"}}, ac))
	location(t, h.post("/alerts/"+alert+"/comment", url.Values{"body": {"Invoice asked for."}}, ac))
	location(t, h.post("/alerts/"+alert+"/escalate", url.Values{"reason": {"Amount far above the usual; needs a senior look"}}, ac))
	d := doc(t, h.get("/alerts/"+alert, ac))
	if d.Find(`[data-testid="alert-resolution"]`).Length() != 0 {
		t.Errorf("an escalation shows as the decision: %q", text(d, `[data-testid="alert-resolution"]`))
	}
	if got := d.Find(`#close-reason-code option`).Map(func(_ int, s *goquery.Selection) string { return s.Text() }); strings.Join(got, "|") != "False positive|Explained, no SAR" {
		t.Errorf("closing reasons offered: %v", got)
	}

	// A closing reason is required and must be the tenant's.
	for _, tc := range []struct{ name, code, want string }{
		{"none", "", "is required"},
		{"unknown", "MADE_UP", "not one of this organisation's closing reasons"},
		{"a report without its narrative", aml.ReasonSAR, "report draft form"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.post("/alerts/"+alert+"/close", url.Values{"reason_code": {tc.code}, "reason": {"Customer sent the invoice"}}, ac)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d; want 422", resp.StatusCode)
			}
			if got := text(doc(t, resp), `[data-testid="error-close-reason-code"]`); !strings.Contains(got, tc.want) {
				t.Errorf("error %q; want %q", got, tc.want)
			}
		})
	}
	location(t, h.post("/alerts/"+alert+"/close", url.Values{"reason_code": {aml.ReasonExplained}, "reason": {"Customer sent the invoice"}}, ac))

	d = doc(t, h.get("/alerts/"+alert, ac))
	want := []string{"RAISED", "ASSIGNED", "COMMENTED", "ESCALATED", "CLOSED"}
	if got := kinds(d, `[data-testid="history-event"]`); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("history %v; want %v", got, want)
	}
	ev := d.Find(`[data-testid="history-event"]`)
	if got := ev.Eq(1).Text(); !strings.Contains(got, "Assigned to Emp ANALYST") {
		t.Errorf("assignment: %q", got)
	}
	if got := ev.Eq(3).Find(`[data-testid="history-body"]`).Text(); got != "Amount far above the usual; needs a senior look" {
		t.Errorf("escalation's reason: %q", got)
	}
	if got := strings.TrimSpace(ev.Eq(4).Find(`[data-testid="history-reason"]`).Text()); got != "Explained, no SAR" {
		t.Errorf("decision's closing reason: %q", got)
	}
	if got := ev.Eq(4).Find(`[data-testid="history-body"]`).Text(); got != "Customer sent the invoice" {
		t.Errorf("decision's note: %q", got)
	}
	if got := text(d, `[data-testid="alert-status"]`); got != labels.Status(aml.AlertClosed) {
		t.Errorf("status %q", got)
	}
	if got := text(d, `[data-testid="alert-resolution"]`); got != "Explained, no SAR: Customer sent the invoice" {
		t.Errorf("decision %q", got)
	}
	var closed string
	for _, a := range h.auditActions(h.tenant.ID, "aml.alert.closed") {
		closed = a.Reason
	}
	if closed != aml.AlertClosed {
		t.Errorf("audit of the close: %q", closed)
	}
}

// reasonLabels are the closing reasons' labels on their page, in order.
func reasonLabels(d *goquery.Document) []string {
	return d.Find(`[data-testid="closing-reason"] td:first-child`).Map(func(_ int, s *goquery.Selection) string { return s.Text() })
}

// A tenant administrator manages the closing reasons; each change is
// audited; another tenant keeps the defaults.
func TestClosingReasonsPerTenant(t *testing.T) {
	h := newHarness(t)
	_, adc := h.signIn(staff.TenantAdmin)
	_, auc := h.signIn(staff.Auditor)
	d := doc(t, h.get("/config/closing-reasons", adc))
	if got := strings.Join(reasonLabels(d), "|"); got != "False positive|Explained, no SAR|SAR filed/draft" {
		t.Fatalf("defaults: %s", got)
	}
	if d := doc(t, h.get("/config/closing-reasons", auc)); d.Find(`[data-testid="reason-form"]`).Length() != 0 || len(reasonLabels(d)) != 3 {
		t.Error("an auditor may change the reasons, or does not see them")
	}

	for _, tc := range []struct{ name, label, want string }{
		{"empty", "  ", "is required"},
		{"taken", "false POSITIVE", "exists already"},
		{"no letters", "-", "a letter or a digit"},
		{"too long", strings.Repeat("x", 81), "at most 80"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.post("/config/closing-reasons", url.Values{"label": {tc.label}}, adc)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d; want 422", resp.StatusCode)
			}
			if got := text(doc(t, resp), `[data-testid="error-reason-label"]`); !strings.Contains(got, tc.want) {
				t.Errorf("error %q; want %q", got, tc.want)
			}
		})
	}
	location(t, h.post("/config/closing-reasons", url.Values{"label": {"Duplicate alert"}}, adc))
	location(t, h.post("/config/closing-reasons", url.Values{"label": {"Ложное срабатывание"}}, adc))
	location(t, h.post("/config/closing-reasons/"+aml.ReasonFalsePositive+"/status", url.Values{"active": {"false"}}, adc))
	d = doc(t, h.get("/config/closing-reasons", adc))
	if got := strings.Join(reasonLabels(d), "|"); got != "False positive|Explained, no SAR|SAR filed/draft|Duplicate alert|Ложное срабатывание" {
		t.Fatalf("after adding: %s", got)
	}
	if got := text(d, `[data-code="FALSE_POSITIVE"] [data-testid="reason-active"]`); got != "Not offered" {
		t.Errorf("false positive: %q", got)
	}
	// Alerts close with what is offered: no longer as a false positive.
	tok := h.alertRule()
	alert := h.raise(tok, h.amlCustomer(tok), "150.00")
	_, ac := h.signIn(staff.Analyst)
	d = doc(t, h.get("/alerts/"+alert, ac))
	if got := d.Find(`#close-reason-code option`).Map(func(_ int, s *goquery.Selection) string { return s.Text() }); strings.Join(got, "|") != "Explained, no SAR|Duplicate alert|Ложное срабатывание" {
		t.Errorf("offered on the alert: %v", got)
	}
	if resp := h.post("/alerts/"+alert+"/close", url.Values{"reason_code": {aml.ReasonFalsePositive}, "reason": {"noise"}}, ac); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("closing with a reason no longer offered: %d", resp.StatusCode)
	}
	location(t, h.post("/alerts/"+alert+"/close", url.Values{"reason_code": {"DUPLICATE_ALERT"}, "reason": {"same as the alert before"}}, ac))
	// The last active reason cannot go.
	cyrillic, _ := doc(t, h.get("/config/closing-reasons", adc)).Find(`[data-testid="closing-reason"]`).Last().Attr("data-code")
	for _, code := range []string{aml.ReasonExplained, aml.ReasonSAR, cyrillic} {
		location(t, h.post("/config/closing-reasons/"+code+"/status", url.Values{"active": {"false"}}, adc))
	}
	resp := h.post("/config/closing-reasons/DUPLICATE_ALERT/status", url.Values{"active": {"false"}}, adc)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(doc(t, resp), `[data-testid="error-code"]`), "at least one active") {
		t.Errorf("deactivating the last reason: %d", resp.StatusCode)
	}
	if n := len(h.auditActions(h.tenant.ID, "closing_reasons.updated")); n != 6 {
		t.Errorf("%d audited changes; want 6", n)
	}
	// Another tenant still has the defaults.
	other, err := h.s.Tenants.Create(t.Context(), tenant.CreateParams{Slug: "o-" + uuid.NewString()[:8], Name: "Other Ltd"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	oc := h.cookieFor(h.employeeOf(other.ID, staff.TenantAdmin))
	if got := strings.Join(reasonLabels(doc(t, h.get("/config/closing-reasons", oc))), "|"); got != "False positive|Explained, no SAR|SAR filed/draft" {
		t.Errorf("the other tenant's reasons: %s", got)
	}
}

// attach posts a file to a case's attachments as the browser's form does.
func (h *harness) attach(caseID, name string, content []byte, c *http.Cookie) *http.Response {
	h.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		h.t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	req, err := http.NewRequestWithContext(h.t.Context(), "POST", h.srv.URL+"/cases/"+caseID+"/attachments", &body)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(c)
	resp, err := noRedirect.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// A case groups a customer's alerts, takes in the alerts raised later,
// and keeps one timeline, in order, of everything that happened to it and
// its alerts; closing it needs one of the tenant's reasons.
func TestCaseGroupsAlertsWithTimeline(t *testing.T) {
	h := newHarness(t)
	tok := h.alertRule()
	customer := h.amlCustomer(tok)
	first := h.raise(tok, customer, "150.00")
	second := h.raise(tok, customer, "250.00")
	other := h.raise(tok, h.amlCustomer(tok), "300.00") // another customer's
	ana, ac := h.signIn(staff.Analyst)
	_, auc := h.signIn(staff.Auditor)

	d := doc(t, h.get("/cases", ac))
	if d.Find(`[data-testid="empty"]`).Length() != 1 {
		t.Fatal("no empty state without cases")
	}
	location(t, h.post("/alerts/"+first+"/escalate", url.Values{"reason": {"Two large transfers in a row"}}, ac))
	to := location(t, h.post("/cases", url.Values{"alert": {first}}, ac))
	caseID := strings.TrimPrefix(to, "/cases/")
	if _, err := uuid.Parse(caseID); err != nil {
		t.Fatalf("created: to %q", to)
	}
	if resp := h.post("/cases", url.Values{"alert": {first}}, ac); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/alerts/"+first {
		t.Errorf("a second case from the same alert: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	d = doc(t, h.get("/alerts/"+first, ac))
	if d.Find(`[data-testid="alert-case-link"][href="/cases/`+caseID+`"]`).Length() != 1 {
		t.Errorf("the alert does not lead to its case: %s", d.Find(`[data-testid="alert-case"]`).Text())
	}
	third := h.raise(tok, customer, "350.00") // joins the open case

	location(t, h.post("/cases/"+caseID+"/assign", url.Values{"owner": {"me"}}, ac))
	location(t, h.post("/cases/"+caseID+"/status", url.Values{"status": {"INVESTIGATING"}}, ac))
	location(t, h.post("/cases/"+caseID+"/comment", url.Values{"body": {"Asked the customer for the contracts."}}, ac))
	if resp := h.post("/cases/"+caseID+"/comment", url.Values{"body": {"  "}}, ac); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(text(doc(t, resp), `[data-testid="error-case-comment"]`), "is required") {
		t.Errorf("an empty comment: %d", resp.StatusCode)
	}
	location(t, h.attach(caseID, "contracts.txt", []byte("Contract with Quick Cash Ltd, signed 2026-11-02."), ac))

	d = doc(t, h.get("/cases/"+caseID, ac))
	ids := d.Find(`[data-testid="case-alert"] a`).Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("href", "") })
	if strings.Join(ids, " ") != "/alerts/"+first+" /alerts/"+second+" /alerts/"+third {
		t.Errorf("alerts of the case %v; want %s, %s, %s and not %s", ids, first, second, third, other)
	}
	if text(d, `[data-testid="case-owner"]`) != ana.Name || !strings.Contains(text(d, `[data-testid="case-status"]`), "Investigating") {
		t.Errorf("owner %q status %q", text(d, `[data-testid="case-owner"]`), text(d, `[data-testid="case-status"]`))
	}
	if got := d.Find(`[data-testid="chart-case-transactions"] desc`).Text(); got != "In the last 30 days 3 transactions of the customer were screened." {
		t.Errorf("chart: %q", got)
	}

	// Closing needs a reason of the tenant's, and a note.
	for _, tc := range []struct{ name, code, note, field, want string }{
		{"no reason", "", "done", "error-case-close-reason", "is required"},
		{"unknown reason", "WHATEVER", "done", "error-case-close-reason", "not one of this organisation's"},
		{"no note", aml.ReasonExplained, "", "error-case-close-note", "is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.post("/cases/"+caseID+"/close", url.Values{"reason_code": {tc.code}, "note": {tc.note}}, ac)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d; want 422", resp.StatusCode)
			}
			if got := text(doc(t, resp), `[data-testid="`+tc.field+`"]`); !strings.Contains(got, tc.want) {
				t.Errorf("error %q; want %q", got, tc.want)
			}
		})
	}
	location(t, h.post("/cases/"+caseID+"/close", url.Values{"reason_code": {aml.ReasonExplained}, "note": {"Contracts explain the payments."}}, ac))
	if resp := h.post("/cases/"+caseID+"/comment", url.Values{"body": {"late"}}, ac); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("comment on a closed case: %d; want 303 with the conflict as a flash", resp.StatusCode)
	}

	d = doc(t, h.get("/cases/"+caseID, auc))
	want := []string{
		"ALERT_RAISED", "ALERT_RAISED", // both raised before the case
		"ALERT_ESCALATED",
		"CREATED", "ALERT_ADDED", "ALERT_ADDED",
		"ALERT_RAISED", "ALERT_ADDED", // the third, joining by itself
		"ASSIGNED", "STATUS_CHANGED", "COMMENTED", "ATTACHMENT_ADDED", "CLOSED",
	}
	if got := kinds(d, `[data-testid="timeline-event"]`); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("timeline\n got %v\nwant %v", got, want)
	}
	ev := d.Find(`[data-testid="timeline-event"]`)
	if got := ev.Eq(2).Find(`[data-testid="timeline-body"]`).Text(); got != "Two large transfers in a row" {
		t.Errorf("escalation's reason in the timeline: %q", got)
	}
	if got := ev.Last().Find(`[data-testid="timeline-reason"]`).Text(); strings.TrimSpace(got) != "Explained, no SAR" {
		t.Errorf("closing reason in the timeline: %q", got)
	}
	if text(d, `[data-testid="case-close-reason"]`) != "Explained, no SAR" || d.Find(`[data-testid="case-close-form"]`).Length() != 0 {
		t.Error("closed case: reason not shown, or still closable")
	}
	if d.Find(`[data-testid="attach-form"]`).Length() != 0 {
		t.Error("an auditor is offered the upload")
	}

	// The list: filters by status and owner, pages.
	for _, tc := range []struct{ query string }{{"?status=CLOSED"}, {"?status=all&owner=me"}} {
		if d := doc(t, h.get("/cases"+tc.query, ac)); d.Find(`[data-case-id="`+caseID+`"]`).Length() != 1 {
			t.Errorf("%s: case not listed", tc.query)
		}
	}
	d = doc(t, h.get("/alerts/"+first, ac))
	href, _ := d.Find(`[data-testid="customer-cases"]`).Attr("href")
	if d := doc(t, h.get(href, ac)); d.Find(`[data-case-id="`+caseID+`"]`).Length() != 1 || !strings.Contains(text(d, `[data-testid="customer-filter"]`), "Cases of") {
		t.Errorf("the customer's cases (%s) do not list the case", href)
	}
	if d := doc(t, h.get("/cases?status=all&customer="+uuid.NewString(), ac)); d.Find(`[data-testid="case-row"]`).Length() != 0 {
		t.Error("another customer's cases list the case")
	}
	for _, q := range []string{"", "?status=all&owner=none", "?status=OPEN"} {
		if d := doc(t, h.get("/cases"+q, ac)); d.Find(`[data-case-id="`+caseID+`"]`).Length() != 0 {
			t.Errorf("%q lists the closed case", q)
		}
	}
	if resp := h.get("/cases?status=LOST", ac); resp.StatusCode != http.StatusUnprocessableEntity && resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown status filter: %d", resp.StatusCode)
	}
	var opened, closed int
	for _, e := range h.outbox() {
		switch e.Type {
		case "case.opened":
			opened++
		case "case.closed":
			closed++
		}
	}
	if opened != 1 || closed != 1 {
		t.Errorf("events: %d case.opened, %d case.closed; want one each", opened, closed)
	}
	var acts []string
	for _, a := range h.auditActions(h.tenant.ID, "case.") {
		acts = append(acts, a.Action)
	}
	if got := strings.Join(acts, " "); got != "case.closed case.attachment_added case.commented case.status_changed case.assigned case.created" {
		t.Errorf("audit: %s", got)
	}
}

// The list pages 50 cases at a time.
func TestCaseListPages(t *testing.T) {
	h := newHarness(t)
	tok := h.alertRule()
	_, ac := h.signIn(staff.Analyst)
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.Employee, ID: uuid.NewString(), Name: "Ana", TenantID: h.tenant.ID})
	customer, _ := uuid.Parse(h.amlCustomer(tok))
	for range casePageSize + 3 {
		if _, err := h.s.Cases.Create(ctx, h.tenant.ID, cases.CreateParams{CustomerID: &customer}); err != nil {
			t.Fatal(err)
		}
	}
	d := doc(t, h.get("/cases", ac))
	if n := d.Find(`[data-testid="case-row"]`).Length(); n != casePageSize || text(d, `[data-testid="page-count"]`) != fmt.Sprintf("1–50 of %d", casePageSize+3) {
		t.Fatalf("first page: %d rows, %q", n, text(d, `[data-testid="page-count"]`))
	}
	next, _ := d.Find(`[data-testid="next-page"]`).Attr("href")
	if d := doc(t, h.get(next, ac)); d.Find(`[data-testid="case-row"]`).Length() != 3 {
		t.Errorf("second page (%s): %d rows", next, d.Find(`[data-testid="case-row"]`).Length())
	}
}

// An attachment is sealed at rest like a document, comes back whole as a
// download, and is refused when too large or empty.
func TestCaseAttachmentSealedAtRest(t *testing.T) {
	h := newHarness(t)
	tok := h.alertRule()
	alert := h.raise(tok, h.amlCustomer(tok), "150.00")
	_, ac := h.signIn(staff.Analyst)
	caseID := strings.TrimPrefix(location(t, h.post("/cases", url.Values{"alert": {alert}}, ac)), "/cases/")

	// More than one chunk of real text, so every chunk is checked.
	line := []byte("Bank statement of the customer: salary from Acme GmbH, rent to Berlin Living. ")
	content := bytes.Repeat(line, 2*256<<10/len(line)+10)
	location(t, h.attach(caseID, "statement.txt", content, ac))

	owner := dbtest.OwnerPool(t)
	var attID uuid.UUID
	var size int64
	if err := owner.QueryRow(t.Context(), `SELECT id, size_bytes FROM case_attachments WHERE case_id = $1`, caseID).Scan(&attID, &size); err != nil {
		t.Fatal(err)
	}
	rows, err := owner.Query(t.Context(), `SELECT content FROM case_attachment_chunks WHERE attachment_id = $1 ORDER BY seq`, attID)
	if err != nil {
		t.Fatal(err)
	}
	var chunks int
	var stored []byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		chunks++
		stored = append(stored, b...)
		if bytes.Contains(b, []byte("salary from Acme")) || bytes.Contains(b, line[:20]) {
			t.Fatal("a chunk holds the plain text")
		}
		if fieldcrypt.KeyIDOf(b) == "" {
			t.Error("a chunk is not sealed under a key")
		}
	}
	if rows.Err() != nil || chunks < 3 || size != int64(len(content)) || len(stored) <= len(content) {
		t.Fatalf("%d chunks, size %d, stored %d bytes for %d", chunks, size, len(stored), len(content))
	}

	d := doc(t, h.get("/cases/"+caseID, ac))
	href, _ := d.Find(`[data-testid="case-attachment"] a`).Attr("href")
	resp := h.get(href, ac)
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, content) || resp.Header.Get("Content-Type") != "application/octet-stream" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), `attachment; filename=statement.txt`) {
		t.Fatalf("download: %d %s %q, %d bytes equal=%v", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), len(got), bytes.Equal(got, content))
	}
	if n := len(h.auditActions(h.tenant.ID, "case.attachment_viewed")); n != 1 {
		t.Errorf("%d audited views; want 1", n)
	}

	for _, tc := range []struct {
		name    string
		content []byte
		want    string
	}{
		{"too large", bytes.Repeat([]byte("x"), cases.MaxAttachmentBytes+1), "larger than 10 MB"},
		{"empty", nil, "is empty"},
		{"name not text", []byte("x"), "not text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "big.bin"
			if tc.name == "name not text" {
				name = "bad\xffname.txt" // not UTF-8 (a NUL is refused with the form, 400)
			}
			resp := h.attach(caseID, name, tc.content, ac)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d; want 422", resp.StatusCode)
			}
			if got := text(doc(t, resp), `[data-testid="error-case-file"]`); !strings.Contains(got, tc.want) {
				t.Errorf("error %q; want %q", got, tc.want)
			}
		})
	}
	var n int
	if err := owner.QueryRow(t.Context(), `SELECT count(*) FROM case_attachments WHERE case_id = $1`, caseID).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d attachments after the refused ones (%v); want 1", n, err)
	}
}

// Another tenant's employee gets 404 for every case route; their own
// cases list does not show it.
func TestCaseOtherTenantRefused(t *testing.T) {
	h := newHarness(t)
	tok := h.alertRule()
	alert := h.raise(tok, h.amlCustomer(tok), "150.00")
	_, ac := h.signIn(staff.Analyst)
	caseID := strings.TrimPrefix(location(t, h.post("/cases", url.Values{"alert": {alert}}, ac)), "/cases/")
	location(t, h.attach(caseID, "note.txt", []byte("private"), ac))
	var att string
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), `SELECT id::text FROM case_attachments WHERE case_id = $1`, caseID).Scan(&att); err != nil {
		t.Fatal(err)
	}

	other, err := h.s.Tenants.Create(t.Context(), tenant.CreateParams{Slug: "x-" + uuid.NewString()[:8], Name: "Elsewhere Ltd"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	oc := h.cookieFor(h.employeeOf(other.ID, staff.SeniorReviewer))
	for _, tc := range []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/cases/" + caseID, nil},
		{"GET", "/cases/" + caseID + "/attachments/" + att, nil},
		{"POST", "/cases/" + caseID + "/comment", url.Values{"body": {"hello"}}},
		{"POST", "/cases/" + caseID + "/assign", url.Values{"owner": {"me"}}},
		{"POST", "/cases/" + caseID + "/status", url.Values{"status": {"INVESTIGATING"}}},
		{"POST", "/cases/" + caseID + "/close", url.Values{"reason_code": {aml.ReasonFalsePositive}, "note": {"x"}}},
		{"POST", "/cases", url.Values{"alert": {alert}}},
	} {
		if resp := h.do(tc.method, tc.path, tc.form, nil, oc); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s from another tenant: %d; want 404", tc.method, tc.path, resp.StatusCode)
		}
	}
	if resp := h.attach(caseID, "x.txt", []byte("x"), oc); resp.StatusCode != http.StatusNotFound {
		t.Errorf("upload from another tenant: %d", resp.StatusCode)
	}
	if d := doc(t, h.get("/cases?status=all", oc)); d.Find(`[data-case-id="`+caseID+`"]`).Length() != 0 {
		t.Error("another tenant lists the case")
	}
	// Nothing changed.
	d := doc(t, h.get("/cases/"+caseID, ac))
	if got := kinds(d, `[data-testid="timeline-event"]`); strings.Join(got, " ") != "ALERT_RAISED CREATED ALERT_ADDED ATTACHMENT_ADDED" {
		t.Errorf("timeline after the other tenant's tries: %v", got)
	}
}

// The case page masks the customer's values per role, with the one rule:
// an analyst sees the e-mail masked, in the customer box and in comments;
// a senior reviewer sees it.
func TestCasePageMasksPerRole(t *testing.T) {
	h := newHarness(t)
	tok := h.alertRule()
	customer := h.amlCustomer(tok)
	alert := h.raise(tok, customer, "150.00")
	id, _ := uuid.Parse(customer)
	c, err := h.s.Customers.Get(t.Context(), h.tenant.ID, id)
	if err != nil || c.Email == "" {
		t.Fatalf("customer: %v %q", err, c.Email)
	}
	_, ac := h.signIn(staff.Analyst)
	_, sc := h.signIn(staff.SeniorReviewer)
	caseID := strings.TrimPrefix(location(t, h.post("/cases", url.Values{"alert": {alert}}, sc)), "/cases/")
	location(t, h.post("/cases/"+caseID+"/comment", url.Values{"body": {"Wrote to " + c.Email + " for the invoices."}}, sc))

	masked := fieldcrypt.MaskEmail(c.Email)
	for _, tc := range []struct {
		name   string
		cookie *http.Cookie
		want   string
	}{
		{"analyst", ac, masked},
		{"senior reviewer", sc, c.Email},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := doc(t, h.get("/cases/"+caseID, tc.cookie))
			if got := text(d, `[data-testid="case-customer-email"]`); got != tc.want {
				t.Errorf("e-mail %q; want %q", got, tc.want)
			}
			body := d.Find(`[data-kind="COMMENTED"] [data-testid="timeline-body"]`).Text()
			if !strings.Contains(body, tc.want) || (tc.want == masked && strings.Contains(d.Find("main").Text(), c.Email)) {
				t.Errorf("comment %q; want it to show %q", body, tc.want)
			}
		})
	}
}

// A case takes in the customer's open screening hits with their alerts;
// the hit's decision shows in the case's timeline.
func TestCaseTakesInScreeningHits(t *testing.T) {
	h := newHarness(t)
	h.loadLists()
	tok := h.alertRule()
	customer := h.amlCustomer(tok)
	custID := uuid.MustParse(customer)
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test", TenantID: h.tenant.ID})
	res, err := h.s.Screening.ScreenSubject(ctx, screening.Subject{ID: custID, TenantID: h.tenant.ID, Name: "Miguel Angel Rodriguez Orejuela",
		Type: screening.Individual, DateOfBirth: "1943-11-23", Country: "CO"})
	if err != nil || len(res.NewHits) == 0 {
		t.Fatalf("screening: %d hits, %v", len(res.NewHits), err)
	}
	hit := res.NewHits[0].ID.String()
	_, ac := h.signIn(staff.Analyst)
	caseID := strings.TrimPrefix(location(t, h.post("/cases", url.Values{"customer": {customer}, "title": {"Possible sanctions match"}}, ac)), "/cases/")
	if resp := h.post("/cases", url.Values{"customer": {uuid.NewString()}}, ac); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a case for no customer of the tenant: %d; want 422", resp.StatusCode)
	}
	location(t, h.post("/screening/hits/"+hit+"/decide", url.Values{"decision": {"DISMISSED"}, "note": {"Different date of birth and country"}}, ac))

	d := doc(t, h.get("/cases/"+caseID, ac))
	if !strings.Contains(d.Find("h1").Text(), "Possible sanctions match") {
		t.Errorf("title: %q", d.Find("h1").Text())
	}
	hits := d.Find(`[data-testid="case-hit"] a`).Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("href", "") })
	if len(hits) != len(res.NewHits) || !slices.Contains(hits, "/screening/hits/"+hit) {
		t.Errorf("hits of the case %v; want the %d hits, %s among them", hits, len(res.NewHits), hit)
	}
	got := kinds(d, `[data-testid="timeline-event"]`)
	if got[len(got)-1] != "HIT_DISMISSED" || !slices.Contains(got, "HIT_ADDED") || !slices.Contains(got, "HIT_RAISED") || got[0] != "HIT_RAISED" {
		t.Errorf("timeline %v", got)
	}
	if body := d.Find(`[data-kind="HIT_DISMISSED"] [data-testid="timeline-body"]`).Text(); body != "Different date of birth and country" {
		t.Errorf("dismissal note: %q", body)
	}
}
