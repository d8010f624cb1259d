package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/iban"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/views/labels"
	"github.com/ciamhq/ciam/web/api"
)

const (
	reviewPath   = api.Prefix + "/admin/verification/review"
	activatePath = api.Prefix + "/customer/individual/activate"
)

// Customers of the harness tenant (no categories: the risk rules decide).
var (
	// highRisk names a politically exposed occupation: HIGH risk, four
	// documents, and a person must decide.
	highRisk = func(m map[string]any) { noCategory(m); ic(m)["occupation"] = "Government minister" }
	// mediumRisk has a high declared income: MEDIUM risk.
	mediumRisk = func(m map[string]any) { noCategory(m); ic(m)["annualIncome"] = "300000" }
)

func fundsDoc() upDoc { return upDoc{"SOURCE_OF_FUNDS", "PAYSLIP", payslip(), nil} }

// toReview registers a customer of the harness tenant and uploads what
// sends them to review: HIGH risk with every document, or MEDIUM with a
// proof of address that names another address. It returns the ids.
func (h *harness) toReview(tok, risk string) (cust, vr string) {
	h.t.Helper()
	t := h.tenant
	tt := h.t.(*testing.T) // the document makers take a test
	var docs []upDoc
	switch risk {
	case "HIGH":
		cust, vr = h.onboarded(t, tok, highRisk)
		docs = []upDoc{passport(tt, nil), utilityBill(time.Now().AddDate(0, 0, -10)), selfie(tt), fundsDoc()}
	case "MEDIUM":
		cust, vr = h.onboarded(t, tok, mediumRisk)
		bill := utilityBill(time.Now().AddDate(0, 0, -10))
		bill.Metadata["address"] = "1 Other Road, Leeds LS1 1AA"
		docs = []upDoc{passport(tt, nil), bill, selfie(tt)}
	default:
		h.t.Fatalf("toReview: risk %s", risk)
	}
	if resp, out := h.apiCall("POST", uploadPath, t.Slug, tok, uploadBody(vr, docs...), nil); resp.StatusCode != 200 {
		h.t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	h.waitStatus(t, tok, vr, "PENDING_REVIEW")
	return cust, vr
}

// approvedLow is a LOW-risk customer of the harness tenant, approved
// automatically.
func (h *harness) approvedLow(tok string) (cust, vr string) {
	h.t.Helper()
	cust, vr = h.onboarded(h.tenant, tok, noCategory)
	if resp, out := h.apiCall("POST", uploadPath, h.tenant.Slug, tok, uploadBody(vr, passport(h.t.(*testing.T), nil)), nil); resp.StatusCode != 200 {
		h.t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	h.waitStatus(h.tenant, tok, vr, "APPROVED")
	return cust, vr
}

func (h *harness) reviewToken(extra ...string) string {
	h.t.Helper()
	return h.adminToken(h.tenant, append([]string{credential.ScopeCustomersWrite, credential.ScopeCustomersRead,
		credential.ScopeVerificationWrite, credential.ScopeVerificationReview}, extra...)...)
}

// decideForm is the portal's decision form.
func decideForm(decision, notes string, more map[string]string) url.Values {
	f := url.Values{"decision": {decision}, "reviewerNotes": {notes}}
	for k, v := range more {
		f.Set(k, v)
	}
	return f
}

// queueIDs are the verification ids the queue page lists, in order.
func queueIDs(t *testing.T, resp *http.Response) []string {
	t.Helper()
	var ids []string
	doc(t, resp).Find(`[data-testid="review-row"]`).Each(func(_ int, s *goquerySelection) {
		ids = append(ids, s.AttrOr("data-id", ""))
	})
	return ids
}

// eventsOf lists the payloads of events of type about entity, oldest first.
func (h *harness) eventsOf(typ, entity string) []map[string]any {
	h.t.Helper()
	rows, err := dbtest.OwnerPool(h.t).Query(h.t.Context(), "SELECT tenant_id, payload FROM events WHERE type = $1 AND entity_id = $2 ORDER BY position", typ, entity)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var out []map[string]any
	var raws [][]byte
	var tenants []uuid.UUID
	for rows.Next() {
		var raw []byte
		var tenant uuid.UUID
		if err := rows.Scan(&tenant, &raw); err != nil {
			h.t.Fatal(err)
		}
		raws = append(raws, raw)
		tenants = append(tenants, tenant)
	}
	rows.Close()
	// Customers' personal values are sealed in the table: opened as the
	// replay and the webhooks open them.
	for i, raw := range raws {
		var m map[string]any
		_ = json.Unmarshal(h.opened(tenants[i], raw), &m)
		out = append(out, m)
	}
	return out
}

func TestReviewQueueFiltersCountsAndAssign(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	tok := h.reviewToken()
	_, high := h.toReview(tok, "HIGH")
	_, medium := h.toReview(tok, "MEDIUM")
	// The HIGH one has waited beyond the SLA.
	if _, err := dbOwner(t).Exec(t.Context(), "UPDATE verification_requests SET review_queued_at = now() - interval '30 hours' WHERE id = $1", high); err != nil {
		t.Fatal(err)
	}
	me, c := h.signIn(staff.Analyst)

	d := doc(t, h.get("/reviews", c))
	rows := d.Find(`[data-testid="review-row"]`)
	if rows.Length() != 2 || rows.First().AttrOr("data-id", "") != high {
		t.Fatalf("queue rows %d, first %q; want 2, the oldest (%s) first", rows.Length(), rows.First().AttrOr("data-id", ""), high)
	}
	if age := strings.TrimSpace(rows.First().Find(`[data-testid="review-age"]`).Text()); !strings.Contains(age, "over SLA") {
		t.Errorf("oldest age badge %q", age)
	}
	if age := strings.TrimSpace(rows.Eq(1).Find(`[data-testid="review-age"]`).Text()); !strings.Contains(age, "on time") {
		t.Errorf("newest age badge %q", age)
	}
	if r := text(d, `[data-testid="review-risk"]`); r != "High" {
		t.Errorf("risk badge %q", r)
	}
	if s := text(d, `[data-testid="queue-summary"]`); !strings.Contains(s, "2 waiting") || !strings.Contains(s, "1 over the SLA") {
		t.Errorf("summary %q", s)
	}
	for sel, want := range map[string]string{
		`#f-risk option[value="HIGH"]`:                   "HIGH (1)",
		`#f-risk option[value="MEDIUM"]`:                 "MEDIUM (1)",
		`#f-age option[value="OVERDUE"]`:                 "Over the SLA (1)",
		`#f-reason option[value="CHECK_FAILED_ADDRESS"]`: "CHECK_FAILED_ADDRESS (1)",
		`#f-reason option[value="HIGH_RISK_CATEGORY"]`:   "HIGH_RISK_CATEGORY (1)",
		`#f-assignee option[value="unassigned"]`:         "Unassigned (2)",
		`[data-testid="page-count"]`:                     "1–2 of 2",
	} {
		if got := text(d, sel); got != want {
			t.Errorf("%s = %q; want %q", sel, got, want)
		}
	}
	if d.Find(`tbody[data-keynav] a[data-keynav-row]`).Length() != 2 {
		t.Error("rows are not reachable with j / k")
	}

	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"risk=HIGH", []string{high}},
		{"risk=LOW", nil},
		{"age=OVERDUE", []string{high}},
		{"age=FRESH", []string{medium}},
		{"age=AGING", nil},
		{"reason=CHECK_FAILED_ADDRESS", []string{medium}},
		{"assignee=unassigned", []string{high, medium}},
		{"assignee=me", nil},
		{"risk=MEDIUM&age=FRESH", []string{medium}},
	} {
		if got := queueIDs(t, h.get("/reviews?"+tc.query, c)); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: %v; want %v", tc.query, got, tc.want)
		}
	}
	empty := doc(t, h.get("/reviews?assignee=me", c))
	if !strings.Contains(text(empty, `[data-testid="empty"]`), "No verification matches") {
		t.Error("a filter with no match does not say so")
	}
	bad := h.get("/reviews?risk=EXTREME", c)
	if bd := doc(t, bad); bad.StatusCode != 422 || text(bd, `[data-testid="error-f-risk"]`) == "" {
		t.Errorf("unknown risk: %d", bad.StatusCode)
	}

	// Assign to me, from the queue; it comes back to the queue.
	resp := h.post("/reviews/"+medium+"/assign", url.Values{"next": {"/reviews?risk=MEDIUM"}}, c)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/reviews?risk=MEDIUM" {
		t.Fatalf("assign: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	mine := doc(t, h.get("/reviews?assignee=me", updated(c, resp)))
	if ids := mine.Find(`[data-testid="review-row"]`); ids.Length() != 1 || ids.AttrOr("data-id", "") != medium ||
		text(mine, `[data-testid="review-assignee"]`) != "You" || text(mine, `[data-testid="flash"]`) == "" {
		t.Fatalf("after assigning: %d rows, assignee %q", ids.Length(), text(mine, `[data-testid="review-assignee"]`))
	}
	if a := h.auditActions(h.tenant.ID, "verification.assigned"); len(a) != 1 || !strings.HasPrefix(a[0].Actor, me.Name) {
		t.Errorf("assignment audit %v", a)
	}
	// A colleague cannot take it with a click; a redirect never leaves the portal.
	_, c2 := h.signIn(staff.SeniorReviewer)
	resp = h.post("/reviews/"+medium+"/assign", url.Values{"next": {"https://evil.example/"}}, c2)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/reviews/"+medium {
		t.Fatalf("second assign: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if f := text(doc(t, h.get("/reviews/"+medium, updated(c2, resp))), `[data-testid="flash"]`); !strings.Contains(f, "already assigned to "+me.Name) {
		t.Errorf("colleague told %q", f)
	}

	// The dashboard tile counts the queue, and the one beyond the SLA.
	dash := doc(t, h.get("/dashboard", c))
	if got := text(dash, `[data-testid="queue-count-reviews"]`); got != "2" {
		t.Errorf("dashboard reviews count %q", got)
	}
	if got := text(dash, `[data-testid="queue-overdue-reviews"]`); got != "1 beyond the SLA" {
		t.Errorf("dashboard overdue %q", got)
	}
}

func TestReviewDetailShowsCustomerChecksAndDocuments(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	tok := h.reviewToken()
	cust, vr := h.toReview(tok, "HIGH")
	_, c := h.signIn(staff.SeniorReviewer)
	d := doc(t, h.get("/reviews/"+vr, c))

	if got := text(d, `[data-testid="review-status"]`); got != "Waiting for review" {
		t.Errorf("status %q", got)
	}
	if got := text(d, `[data-testid="review-reasons"]`); !strings.Contains(got, "HIGH_RISK_CATEGORY") {
		t.Errorf("reasons %q", got)
	}
	if got := d.Find(`[data-testid="customer-link"]`).AttrOr("href", ""); got != "/customers/"+cust {
		t.Errorf("customer link %q", got)
	}
	who := text(d, `[data-testid="customer"]`)
	for _, want := range []string{"John Michael Doe", "1990-05-15", "United Kingdom", "221B Baker Street, London NW1 6XE", "Government minister"} {
		if !strings.Contains(who, want) {
			t.Errorf("customer section lacks %q: %q", want, who)
		}
	}
	if got := text(d, `[data-testid="risk-reasons"]`); !strings.Contains(got, "PEP_OCCUPATION") {
		t.Errorf("risk reasons %q", got)
	}
	// Every check, with its status and readable evidence.
	for kind, want := range map[string]string{"IDENTITY": "Passed", "ADDRESS": "Passed", "AGE": "Passed", "REQUIREMENTS": "Passed",
		"SELFIE": "Passed", "SANCTIONS": "Passed", "PEP": "Passed"} {
		card := d.Find(`[data-testid="check-` + kind + `"]`)
		if st := strings.TrimSpace(card.Find(`[data-testid="check-status"]`).Text()); st != want {
			t.Errorf("check %s: %q; want %q", kind, st, want)
		}
	}
	if id := d.Find(`[data-testid="check-IDENTITY"] dl`).Text(); !strings.Contains(id, "Name on the document") || !strings.Contains(id, "JOHN MICHAEL DOE") {
		t.Errorf("identity evidence %q", id)
	}
	if sc := d.Find(`[data-testid="screening"] [data-testid="check-SANCTIONS"]`).Text(); !strings.Contains(sc, "Lists checked") || !strings.Contains(sc, "OFAC") {
		t.Errorf("screening evidence %q", sc)
	}
	// Registration and documents side by side.
	cmp := d.Find(`[data-testid="comparison-row"]`)
	if cmp.Length() < 5 || !strings.Contains(cmp.First().Text(), "Matches") || !strings.Contains(cmp.Last().Text(), "Utility bill") {
		t.Errorf("comparison: %d rows, first %q, last %q", cmp.Length(), cmp.First().Text(), cmp.Last().Text())
	}
	docs := d.Find(`[data-testid="document"]`)
	if docs.Length() != 4 || docs.Find(`[data-testid="open-document"]`).Length() != 4 || !strings.Contains(docs.First().Text(), "Passport") {
		t.Fatalf("documents: %d", docs.Length())
	}
	if d.Find(`[data-testid="decision-form"]`).Length() != 1 || d.Find(`textarea#reviewerNotes[required]`).Length() != 1 {
		t.Error("a senior reviewer has no decision form")
	}

	// An auditor reads it all but decides nothing.
	_, ac := h.signIn(staff.Auditor)
	ad := doc(t, h.get("/reviews/"+vr, ac))
	if ad.Find(`[data-testid="decision-form"]`).Length() != 0 || ad.Find(`[data-testid="open-document"]`).Length() != 4 {
		t.Error("auditor's view of a review is wrong")
	}
	if resp := h.get("/reviews/"+uuid.NewString(), c); resp.StatusCode != 404 {
		t.Errorf("unknown review: %d", resp.StatusCode)
	}
}

func TestDocumentViewerAuditsEveryView(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	tok := h.reviewToken()
	cust, vr := h.toReview(tok, "HIGH")
	emp, c := h.signIn(staff.Analyst)
	var passportID, billID string
	defer func() {
		// The customer's page lists the same documents, each leading to
		// the viewer.
		d := doc(t, h.get("/customers/"+cust, c))
		for _, id := range []string{passportID, billID} {
			if d.Find(`[data-testid="document-link"][href="/documents/`+id+`"]`).Length() != 1 {
				t.Errorf("customer page lacks document %s: %q", id, d.Find(`[data-testid="customer-documents"]`).Text())
			}
		}
	}()
	doc(t, h.get("/reviews/"+vr, c)).Find(`[data-testid="document"]`).Each(func(_ int, s *goquerySelection) {
		href := s.Find(`[data-testid="open-document"]`).AttrOr("href", "")
		switch {
		case strings.Contains(s.Text(), "Passport"):
			passportID = strings.TrimPrefix(href, "/documents/")
		case strings.Contains(s.Text(), "Utility bill"):
			billID = strings.TrimPrefix(href, "/documents/")
		}
	})
	if passportID == "" || billID == "" {
		t.Fatal("no document links on the review")
	}

	v := doc(t, h.get("/documents/"+passportID, c))
	if src := v.Find(`[data-testid="viewer-image"]`).AttrOr("src", ""); src != "/documents/"+passportID+"/content" {
		t.Fatalf("viewer image src %q", src)
	}
	if v.Find(`[data-viewer-action="rotate-right"]`).Length() != 1 || v.Find(`[data-viewer-action="zoom-in"]`).Length() != 1 || v.Find(`[data-viewer-action="fit"]`).Length() != 1 {
		t.Error("viewer lacks zoom, rotate or fit controls")
	}
	if md := text(v, `[data-testid="document-metadata"]`); !strings.Contains(md, "6789") || !strings.Contains(md, "1250×880") {
		t.Errorf("metadata %q", md)
	}
	if ex := text(v, `[data-testid="document-extracted"]`); !strings.Contains(ex, "JOHN MICHAEL DOE") {
		t.Errorf("extracted %q", ex)
	}
	if v.Find(`[data-testid="check-IDENTITY"]`).Length() != 1 {
		t.Error("the identity check that used the passport is not shown")
	}
	if n := len(h.auditActions(h.tenant.ID, "document.viewed")); n != 0 {
		t.Fatalf("the viewer page itself recorded %d views; the content fetch records them", n)
	}

	want := passport(t, nil).Content
	for range 2 {
		resp := h.get("/documents/"+passportID+"/content", c)
		body, _ := io.ReadAll(resp.Body)
		hd := resp.Header
		if resp.StatusCode != 200 || !bytes.Equal(body, want) || hd.Get("Content-Type") != "image/jpeg" || hd.Get("X-Content-Type-Options") != "nosniff" ||
			hd.Get("Content-Disposition") != `inline; filename=file0.jpg` || !strings.Contains(hd.Get("Content-Security-Policy"), "sandbox") ||
			!strings.Contains(hd.Get("Content-Security-Policy"), "frame-ancestors 'self'") || hd.Get("X-Frame-Options") != "SAMEORIGIN" ||
			!strings.Contains(hd.Get("Cache-Control"), "no-store") {
			t.Fatalf("content: %d, %d bytes (same: %v), headers %v", resp.StatusCode, len(body), bytes.Equal(body, want), hd)
		}
	}
	resp := h.get("/documents/"+billID+"/content", c)
	if hd := resp.Header; hd.Get("Content-Type") != "application/pdf" || hd.Get("Content-Disposition") != `inline; filename=file1.pdf` ||
		strings.Contains(hd.Get("Content-Security-Policy"), "sandbox") || !strings.Contains(hd.Get("Content-Security-Policy"), "frame-ancestors 'self'") ||
		!strings.Contains(hd.Get("Content-Security-Policy"), "script-src 'none'") {
		t.Fatalf("PDF headers %v", hd)
	}
	if pd := doc(t, h.get("/documents/"+billID, c)); pd.Find(`iframe[data-testid="viewer-pdf"][src="/documents/`+billID+`/content"]`).Length() != 1 {
		t.Error("the PDF is not shown inline")
	}
	views := h.auditActions(h.tenant.ID, "document.viewed")
	if len(views) != 3 || !strings.HasPrefix(views[0].Actor, emp.Name) {
		t.Fatalf("views audited: %v; want 3 by %s", views, emp.Name)
	}
	if resp := h.get("/documents/"+uuid.NewString()+"/content", c); resp.StatusCode != 404 {
		t.Errorf("unknown document: %d", resp.StatusCode)
	}
}

func TestReviewDecisionValidationAndSeniority(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	tok := h.reviewToken()
	_, vr := h.toReview(tok, "HIGH")

	// A plain analyst is told a senior reviewer must decide.
	_, ac := h.signIn(staff.Analyst)
	if d := doc(t, h.get("/reviews/"+vr, ac)); d.Find(`[data-testid="needs-senior"]`).Length() != 1 || d.Find(`[data-testid="decision-form"]`).Length() != 0 {
		t.Error("an analyst is offered a decision on a HIGH-risk review")
	}
	resp := h.post("/reviews/"+vr+"/decide", decideForm("APPROVE", "looks fine", nil), ac)
	if d := doc(t, resp); resp.StatusCode != 403 || !strings.Contains(text(d, `[data-testid="problem"]`), "senior reviewer") {
		t.Fatalf("analyst deciding HIGH: %d %q", resp.StatusCode, text(d, `[data-testid="problem"]`))
	}

	_, sc := h.signIn(staff.SeniorReviewer)
	tests := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"notes are required", decideForm("APPROVE", "  ", nil), "reviewerNotes"},
		{"a decision is required", decideForm("", "ok", nil), "decision"},
		{"an unknown decision", decideForm("MAYBE", "ok", nil), "decision"},
		{"a limit that is not a number", decideForm("APPROVE", "ok", map[string]string{"riskMitigation.transactionLimits.dailyLimit": "lots"}), "riskMitigation.transactionLimits.dailyLimit"},
		{"a limit with three decimals", decideForm("APPROVE", "ok", map[string]string{"riskMitigation.transactionLimits.dailyLimit": "10.005"}), "riskMitigation.transactionLimits.dailyLimit"},
		{"a negative limit", decideForm("APPROVE", "ok", map[string]string{"riskMitigation.transactionLimits.requiresApprovalAbove": "-5"}), "riskMitigation.transactionLimits.requiresApprovalAbove"},
		{"approval above the daily limit", decideForm("APPROVE", "ok", map[string]string{"riskMitigation.transactionLimits.dailyLimit": "100",
			"riskMitigation.transactionLimits.requiresApprovalAbove": "500"}), "riskMitigation.transactionLimits.requiresApprovalAbove"},
		{"limits on a rejection", decideForm("REJECT", "no", map[string]string{"riskMitigation.enhancedMonitoring": "true"}), "riskMitigation"},
		{"a check without its result, on the second row", decideForm("APPROVE", "ok", map[string]string{"additionalChecks[1].type": "SOURCE_OF_WEALTH"}), "additionalChecks[1].result"},
		{"a check type with spaces", decideForm("APPROVE", "ok", map[string]string{"additionalChecks[0].type": "source of wealth!", "additionalChecks[0].result": "ok"}), "additionalChecks[0].type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			resp := h.post("/reviews/"+vr+"/decide", tc.form, sc)
			d := doc(t, resp)
			if resp.StatusCode != 422 || d.Find(`[data-testid="error-`+tc.field+`"]`).Length() != 1 {
				t.Fatalf("%d, problem %q; want 422 with an error on %s", resp.StatusCode, text(d, `[data-testid="problem"]`), tc.field)
			}
			// What was typed is kept.
			if notes := strings.TrimSpace(d.Find(`#reviewerNotes`).Text()); notes != strings.TrimSpace(tc.form.Get("reviewerNotes")) {
				t.Errorf("notes re-rendered as %q", notes)
			}
		})
	}
	if st := h.waitStatus(h.tenant, tok, vr, "PENDING_REVIEW"); st["status"] != "PENDING_REVIEW" {
		t.Fatal("a refused decision changed the verification")
	}
	if n := len(h.auditActions(h.tenant.ID, "verification.reviewed")); n != 0 {
		t.Fatalf("%d decisions recorded", n)
	}
}

func TestTwoReviewersDecideAtOnce(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	tok := h.reviewToken()
	_, vr := h.toReview(tok, "MEDIUM")
	a1, c1 := h.signIn(staff.Analyst)
	a2, c2 := h.signIn(staff.Analyst)

	var wg sync.WaitGroup
	statuses := make([]int, 2)
	problems := make([]string, 2)
	for i, c := range []*http.Cookie{c1, c2} {
		wg.Go(func() {
			decision := []string{"APPROVE", "REJECT"}[i]
			resp := h.post("/reviews/"+vr+"/decide", decideForm(decision, "decided by reviewer "+fmt.Sprint(i), nil), c)
			statuses[i] = resp.StatusCode
			problems[i] = text(doc(t, resp), `[data-testid="problem"]`)
		})
	}
	wg.Wait()
	winner := -1
	for i, st := range statuses {
		switch st {
		case 303:
			if winner >= 0 {
				t.Fatalf("two winners: %v", statuses)
			}
			winner = i
		case 409:
		default:
			t.Fatalf("statuses %v, problems %q", statuses, problems)
		}
	}
	if winner < 0 {
		t.Fatalf("no winner: %v %q", statuses, problems)
	}
	loser := 1 - winner
	winnerName := []string{a1.Name, a2.Name}[winner]
	if !strings.Contains(problems[loser], "already decided by "+winnerName) {
		t.Errorf("loser told %q", problems[loser])
	}
	want := []string{"APPROVED", "REJECTED"}[winner]
	_, st := h.apiCall("GET", api.Prefix+"/verification/status/"+vr, h.tenant.Slug, tok, "", nil)
	if got := st["data"].(map[string]any)["status"]; got != want {
		t.Fatalf("status %v; want the winner's %s", got, want)
	}
	if n := len(h.auditActions(h.tenant.ID, "verification.reviewed")); n != 1 {
		t.Fatalf("%d decisions recorded; want 1", n)
	}
	var fromReview int
	for _, ev := range h.eventsOf("verification.status.changed", vr) {
		if ev["previousStatus"] == "PENDING_REVIEW" {
			fromReview++
		}
	}
	if fromReview != 1 {
		t.Fatalf("%d status changes out of review", fromReview)
	}
}

func TestReviewDecisionOutcomes(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	tok := h.reviewToken()
	emp, c := h.signIn(staff.Analyst)
	defer func() {
		// The dashboard charts today's decisions: one approval by a
		// reviewer, one rejection, and two automatic approvals (the
		// verification sent back for more information, and one more).
		h.approvedLow(tok)
		chart := doc(t, h.get("/dashboard", c)).Find(`[data-testid="chart-decided"]`)
		if s := chart.Find("desc").Text(); s != "In the last 14 days 2 verifications were approved automatically, 1 by a reviewer, and 1 rejected." {
			t.Errorf("decided chart: %q", s)
		}
	}()
	tests := []struct {
		decision, status, method string
	}{
		{"APPROVE", "APPROVED", "MANUAL"},
		{"REJECT", "REJECTED", ""},
		{"REQUEST_MORE_INFO", "MORE_INFO_REQUIRED", ""},
	}
	for _, tc := range tests {
		t.Run(tc.decision, func(t *testing.T) {
			h := h.with(t)
			cust, vr := h.toReview(tok, "MEDIUM")
			page := doc(t, h.get("/reviews/"+vr, c))
			version := page.Find(`input[name="version"]`).AttrOr("value", "")
			form := decideForm(tc.decision, "checked the bill by phone", map[string]string{"version": version,
				"additionalChecks[0].type": "PHONE_CALL", "additionalChecks[0].result": "ADDRESS CONFIRMED"})
			if tc.decision == "APPROVE" {
				form.Set("riskMitigation.enhancedMonitoring", "true")
				form.Set("riskMitigation.transactionLimits.dailyLimit", "2500")
			}
			resp := h.post("/reviews/"+vr+"/decide", form, c)
			if resp.StatusCode != 303 {
				t.Fatalf("decide: %d %q", resp.StatusCode, text(doc(t, resp), `[data-testid="problem"]`))
			}
			after := doc(t, h.get("/reviews/"+vr, updated(c, resp)))
			if f := text(after, `[data-testid="flash"]`); !strings.Contains(f, tc.status) {
				t.Errorf("flash %q", f)
			}
			last := text(after, `[data-testid="last-decision"]`)
			if !strings.Contains(last, tc.decision) || !strings.Contains(last, emp.Name) || !strings.Contains(last, "PHONE_CALL") {
				t.Errorf("last decision %q", last)
			}
			_, st := h.apiCall("GET", api.Prefix+"/verification/status/"+vr, h.tenant.Slug, tok, "", nil)
			data := st["data"].(map[string]any)
			if data["status"] != tc.status || (tc.method != "" && data["verificationMethod"] != tc.method) {
				t.Fatalf("status %v", data)
			}
			// The customer's page tells the verification's story, oldest
			// first: into review, the decision by whom, the status reached.
			var steps []string
			doc(t, h.get("/customers/"+cust, c)).Find(`[data-testid="verification-step"]`).Each(func(_ int, s *goquerySelection) {
				steps = append(steps, strings.Join(strings.Fields(s.Text()), " "))
			})
			story := strings.Join(steps, " | ")
			into, decided, reached := strings.Index(story, "Waiting for review"), strings.Index(story, "reviewed ("+tc.decision+") · "+emp.Name),
				strings.LastIndex(story, labels.Status(tc.status)+" from Waiting for review")
			if into < 0 || decided < into || reached < into {
				t.Errorf("verification timeline: %s", story)
			}
			evs := h.eventsOf("verification.status.changed", vr)
			ev := evs[len(evs)-1]
			if ev["previousStatus"] != "PENDING_REVIEW" || ev["currentStatus"] != tc.status || ev["customerId"] != cust || ev["timestamp"] == "" {
				t.Fatalf("event %v", ev)
			}
			// Deciding again is a conflict.
			again := h.post("/reviews/"+vr+"/decide", decideForm("APPROVE", "again", nil), c)
			if again.StatusCode != 409 {
				t.Errorf("second decision: %d", again.StatusCode)
			}
			if tc.decision == "REQUEST_MORE_INFO" {
				// Uploads reopen, and the verification goes round again.
				bill := utilityBill(time.Now().AddDate(0, 0, -3))
				if resp, out := h.apiCall("POST", uploadPath, h.tenant.Slug, tok, uploadBody(vr, bill), nil); resp.StatusCode != 200 {
					t.Fatalf("upload after more info: %d %v", resp.StatusCode, out)
				}
				h.waitStatus(h.tenant, tok, vr, "APPROVED")
			}
		})
	}

	// A decision made on an old look at the verification is refused.
	_, vr := h.toReview(tok, "MEDIUM")
	if resp := h.post("/reviews/"+vr+"/decide", decideForm("APPROVE", "ok", map[string]string{"version": "1"}), c); resp.StatusCode != 409 ||
		!strings.Contains(text(doc(t, resp), `[data-testid="problem"]`), "changed since you opened it") {
		t.Errorf("stale decision: %d", resp.StatusCode)
	}
}

func TestReviewDecisionOverTheAPI(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	tok := h.reviewToken()
	_, vr := h.toReview(tok, "MEDIUM")
	body := func(vr, decision, notes string) string {
		m := map[string]any{"verificationRequestId": vr, "decision": decision, "reviewerNotes": notes,
			"additionalChecks": []map[string]any{{"type": "ENHANCED_DUE_DILIGENCE", "result": "CLEAR", "performedAt": "2026-01-15T10:00:00Z"}}}
		if decision == "APPROVE" {
			m["riskMitigation"] = map[string]any{"enhancedMonitoring": true, "transactionLimits": map[string]any{"dailyLimit": 5000, "requiresApprovalAbove": "1000"}}
		}
		b, _ := json.Marshal(m)
		return string(b)
	}

	// Validation, with one detail per field.
	resp, out := h.apiCall("POST", reviewPath, h.tenant.Slug, tok, `{"verificationRequestId":"`+vr+`","decision":"APPROVE","reviewerNotes":"","riskMitigation":{"transactionLimits":{"dailyLimit":"1.234"}}}`, nil)
	if resp.StatusCode != 422 || errCode(out) != "VALIDATION_FAILED" || strings.Join(details(out), "|") == "" ||
		!strings.Contains(strings.Join(details(out), "|"), "reviewerNotes:") || !strings.Contains(strings.Join(details(out), "|"), "riskMitigation.transactionLimits.dailyLimit:") {
		t.Fatalf("invalid: %d %v", resp.StatusCode, out)
	}
	if resp, out := h.apiCall("POST", reviewPath, h.tenant.Slug, tok, body(uuid.NewString(), "APPROVE", "ok"), nil); resp.StatusCode != 404 {
		t.Fatalf("unknown verification: %d %v", resp.StatusCode, out)
	}
	if resp, out := h.apiCall("POST", reviewPath, h.tenant.Slug, tok, `{"verificationRequestId":"x","decision":"APPROVE","reviewerNotes":"a","extra":1}`, nil); resp.StatusCode != 400 {
		t.Fatalf("unknown field: %d %v", resp.StatusCode, out)
	}
	weak := h.adminToken(h.tenant, credential.ScopeVerificationWrite)
	if resp, out := h.apiCall("POST", reviewPath, h.tenant.Slug, weak, body(vr, "APPROVE", "ok"), nil); resp.StatusCode != 403 || errCode(out) != "INSUFFICIENT_SCOPE" {
		t.Fatalf("without the scope: %d %v", resp.StatusCode, out)
	}

	resp, out = h.apiCall("POST", reviewPath, h.tenant.Slug, tok, body(vr, "APPROVE", "source of funds confirmed"), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("approve: %d %v", resp.StatusCode, out)
	}
	d := out["data"].(map[string]any)
	rm := d["riskMitigation"].(map[string]any)
	if d["status"] != "APPROVED" || d["verificationMethod"] != "MANUAL" || d["decidedBy"] != "API client" || rm["enhancedMonitoring"] != true ||
		rm["transactionLimits"].(map[string]any)["dailyLimit"] != "5000.00" || len(d["additionalChecks"].([]any)) != 1 {
		t.Fatalf("answer %v", d)
	}
	if resp, out := h.apiCall("POST", reviewPath, h.tenant.Slug, tok, body(vr, "REJECT", "changed my mind"), nil); resp.StatusCode != 409 || errCode(out) != "ALREADY_DECIDED" {
		t.Fatalf("second decision: %d %v", resp.StatusCode, out)
	}

	// HIGH risk needs the senior scope.
	_, high := h.toReview(tok, "HIGH")
	if resp, out := h.apiCall("POST", reviewPath, h.tenant.Slug, tok, body(high, "APPROVE", "ok"), nil); resp.StatusCode != 403 || errCode(out) != "SENIOR_REVIEW_REQUIRED" {
		t.Fatalf("HIGH without the scope: %d %v", resp.StatusCode, out)
	}
	senior := h.reviewToken(credential.ScopeVerificationReviewHigh)
	if resp, out := h.apiCall("POST", reviewPath, h.tenant.Slug, senior, body(high, "APPROVE", "enhanced due diligence done"), nil); resp.StatusCode != 200 {
		t.Fatalf("HIGH with the scope: %d %v", resp.StatusCode, out)
	}
	if ev := h.eventsOf("verification.status.changed", high); ev[len(ev)-1]["currentStatus"] != "APPROVED" {
		t.Fatalf("events %v", ev)
	}
}

func activateBody(cust string, opts map[string]any) string {
	m := map[string]any{"customerId": cust}
	if opts != nil {
		m["activationOptions"] = opts
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func TestActivation(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	tok := h.reviewToken(credential.ScopeVerificationReviewHigh)
	cust, vr := h.toReview(tok, "HIGH")
	opts := map[string]any{"generateIBAN": true, "createWallet": true, "walletCurrency": "GBP", "sendWelcomeEmail": true, "applyRiskMitigation": true}

	// Not before approval.
	if resp, out := h.apiCall("POST", activatePath, h.tenant.Slug, tok, activateBody(cust, opts), nil); resp.StatusCode != 409 || errCode(out) != "VERIFICATION_NOT_APPROVED" {
		t.Fatalf("before approval: %d %v", resp.StatusCode, out)
	}
	review := `{"verificationRequestId":"` + vr + `","decision":"APPROVE","reviewerNotes":"EDD complete",` +
		`"riskMitigation":{"enhancedMonitoring":true,"transactionLimits":{"dailyLimit":"5000","requiresApprovalAbove":"1000.50"}}}`
	if resp, out := h.apiCall("POST", reviewPath, h.tenant.Slug, tok, review, nil); resp.StatusCode != 200 {
		t.Fatalf("approve: %d %v", resp.StatusCode, out)
	}
	for _, tc := range []struct {
		opts  map[string]any
		field string
	}{
		{map[string]any{"walletCurrency": "EURO"}, "activationOptions.walletCurrency"},
		{map[string]any{"walletCurrency": "XAU"}, "activationOptions.walletCurrency"},
		{map[string]any{"createWallet": false}, "activationOptions.generateIBAN"},
	} {
		if resp, out := h.apiCall("POST", activatePath, h.tenant.Slug, tok, activateBody(cust, tc.opts), nil); resp.StatusCode != 422 || !strings.HasPrefix(strings.Join(details(out), "|"), tc.field+":") {
			t.Errorf("%v: %d %v", tc.opts, resp.StatusCode, out)
		}
	}

	resp, out := h.apiCall("POST", activatePath, h.tenant.Slug, tok, activateBody(cust, opts), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("activate: %d %v", resp.StatusCode, out)
	}
	d := out["data"].(map[string]any)
	acct := d["accountDetails"].(map[string]any)
	limits := acct["appliedLimits"].(map[string]any)
	code, _ := acct["iban"].(string)
	if d["status"] != "ACTIVE" || d["verificationStatus"] != "VERIFIED" || d["riskLevel"] != "HIGH" || d["customerId"] != cust ||
		!iban.Valid(code) || mod97(code) != 1 || !strings.HasPrefix(code, "GB") || len(code) != 22 || acct["walletId"] == nil ||
		limits["dailyTransactionLimit"] != "5000.00" || limits["requiresApprovalAbove"] != "1000.50" || limits["source"] != "RISK_MITIGATION" {
		t.Fatalf("answer %v", d)
	}
	// The customer record agrees.
	_, got := h.apiCall("GET", api.Prefix+"/customers/"+cust, h.tenant.Slug, tok, "", nil)
	cd := got["data"].(map[string]any)
	w := cd["wallets"].([]any)[0].(map[string]any)
	if cd["status"] != "ACTIVE" || cd["permission"] != "SEND-AND-RECEIVE" || w["status"] != "ACTIVE" || w["currency"] != "GBP" || w["iban"] != code || w["walletId"] != acct["walletId"] {
		t.Fatalf("customer %v", cd)
	}
	var daily, above, source string
	if err := dbOwner(t).QueryRow(t.Context(), "SELECT daily_limit::text, requires_approval_above::text, limits_source FROM wallets WHERE id = $1", acct["walletId"]).Scan(&daily, &above, &source); err != nil ||
		daily != "5000.00" || above != "1000.50" || source != "RISK_MITIGATION" {
		t.Fatalf("wallet limits %s %s %s %v", daily, above, source, err)
	}
	if ev := h.eventsOf("customer.activated", cust); len(ev) != 1 || ev[0]["iban"] != code || ev[0]["permission"] != "SEND-AND-RECEIVE" {
		t.Fatalf("customer.activated %v", ev)
	}
	if ev := h.eventsOf("customer.welcome_email.requested", cust); len(ev) != 1 || !strings.HasSuffix(fmt.Sprint(ev[0]["email"]), "@example.com") {
		t.Fatalf("welcome e-mail %v", ev)
	}
	if a := h.auditActions(h.tenant.ID, "customer.activated"); len(a) != 1 {
		t.Fatalf("audit %v", a)
	}
	if resp, out := h.apiCall("POST", activatePath, h.tenant.Slug, tok, activateBody(cust, opts), nil); resp.StatusCode != 409 || errCode(out) != "ALREADY_ACTIVE" {
		t.Fatalf("second activation: %d %v", resp.StatusCode, out)
	}

	// Another country, the tenant's own bank code; then one with no scheme.
	setSettings := func(country, bank string) {
		if _, err := dbOwner(t).Exec(t.Context(), "UPDATE tenant_settings SET country = $1, bank_code = $2 WHERE tenant_id = $3", country, bank, h.tenant.ID); err != nil {
			t.Fatal(err)
		}
	}
	setSettings("DE", "37040044")
	low, _ := h.approvedLow(tok)
	_, out = h.apiCall("POST", activatePath, h.tenant.Slug, tok, activateBody(low, nil), nil)
	acct = out["data"].(map[string]any)["accountDetails"].(map[string]any)
	if code, _ := acct["iban"].(string); !iban.Valid(code) || !strings.HasPrefix(code[4:], "37040044") || code[:2] != "DE" || len(code) != 22 ||
		acct["currency"] != "EUR" || acct["appliedLimits"].(map[string]any)["source"] != "NONE" {
		t.Fatalf("DE activation %v", out)
	}
	setSettings("FR", "")
	low, _ = h.approvedLow(tok)
	if resp, out := h.apiCall("POST", activatePath, h.tenant.Slug, tok, activateBody(low, nil), nil); resp.StatusCode != 409 || errCode(out) != "IBAN_NOT_SUPPORTED" {
		t.Fatalf("FR: %d %v", resp.StatusCode, out)
	}
	resp, out = h.apiCall("POST", activatePath, h.tenant.Slug, tok, activateBody(low, map[string]any{"generateIBAN": false, "sendWelcomeEmail": false}), nil)
	if resp.StatusCode != 200 || out["data"].(map[string]any)["accountDetails"].(map[string]any)["iban"] != nil || len(h.eventsOf("customer.welcome_email.requested", low)) != 0 {
		t.Fatalf("FR without an IBAN: %d %v", resp.StatusCode, out)
	}
	if resp, out := h.apiCall("POST", activatePath, h.tenant.Slug, tok, activateBody(uuid.NewString(), nil), nil); resp.StatusCode != 404 {
		t.Fatalf("unknown customer: %d %v", resp.StatusCode, out)
	}
}

// mod97 is the IBAN check computed here, independently of package iban.
func mod97(code string) int {
	s := code[4:] + code[:4]
	r := 0
	for _, c := range s {
		if c >= 'A' && c <= 'Z' {
			r = (r*100 + int(c-'A'+10)) % 97
		} else {
			r = (r*10 + int(c-'0')) % 97
		}
	}
	return r
}

func TestActivationFromTheReviewPage(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	tok := h.reviewToken()
	_, vr := h.toReview(tok, "HIGH")
	_, c := h.signIn(staff.SeniorReviewer)
	if d := doc(t, h.get("/reviews/"+vr, c)); d.Find(`[data-testid="activation"]`).Length() != 0 {
		t.Fatal("activation offered before approval")
	}
	resp := h.post("/reviews/"+vr+"/decide", decideForm("APPROVE", "EDD complete", map[string]string{"riskMitigation.transactionLimits.dailyLimit": "3000"}), c)
	if resp.StatusCode != 303 {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	page := h.get("/reviews/"+vr, updated(c, resp))
	c = updated(updated(c, resp), page) // the flash is shown and gone
	if d := doc(t, page); d.Find(`[data-testid="activation-form"]`).Length() != 1 {
		t.Fatal("no activation form after approval")
	}
	resp = h.post("/reviews/"+vr+"/activate", url.Values{"activationOptions.walletCurrency": {"xyz"}}, c)
	if d := doc(t, resp); resp.StatusCode != 422 || d.Find(`[data-testid="error-activationOptions.walletCurrency"]`).Length() != 1 {
		t.Fatalf("bad currency: %d", resp.StatusCode)
	}
	resp = h.post("/reviews/"+vr+"/activate", url.Values{"activationOptions.walletCurrency": {"eur"}, "activationOptions.sendWelcomeEmail": {"true"}}, c)
	if resp.StatusCode != 303 {
		t.Fatalf("activate: %d %q", resp.StatusCode, text(doc(t, resp), `[data-testid="problem"]`))
	}
	d := doc(t, h.get("/reviews/"+vr, updated(c, resp)))
	if f := text(d, `[data-testid="flash"]`); !strings.Contains(f, "EUR wallet, IBAN GB") {
		t.Errorf("flash %q", f)
	}
	if a := text(d, `[data-testid="activated"]`); !strings.Contains(a, "The customer is active") {
		t.Errorf("activation section %q", a)
	}
}
