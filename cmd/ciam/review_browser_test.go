package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/demo"
	"github.com/ciamhq/ciam/internal/evidence/evidencetest"
	"github.com/ciamhq/ciam/internal/iban"
)

// apiClient is the demo tenant's backend, talking to the running product.
type apiClient struct {
	t      *testing.T
	base   string
	tenant string
	token  string
}

// newAPIClient creates an API client of the demo tenant with scopes and
// takes a token for it through the token endpoint.
func newAPIClient(t *testing.T, base string, scopes ...string) *apiClient {
	t.Helper()
	return newAPIClientOn(t, dbtest.URL(t), base, scopes...)
}

// newAPIClientOn is newAPIClient for a product on the database at dbURL.
func newAPIClientOn(t *testing.T, dbURL, base string, scopes ...string) *apiClient {
	t.Helper()
	d := demo.Load()
	pool, err := db.Open(t.Context(), dbURL, db.DefaultAppRole)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "browser test", TenantID: d.Tenant.ID})
	c, secret, err := credential.NewAPIClients(pool, nil).Create(ctx, d.Tenant.ID, "browser test "+uuid.NewString()[:6], scopes)
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{t: t, base: base, tenant: d.Tenant.Slug, token: clientToken(t, base, c.ClientID, secret)}
}

func (a *apiClient) call(method, path string, body any) (int, map[string]any) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(a.t.Context(), method, a.base+"/api/v2.1"+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Tenant-ID", a.tenant)
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func document(typ, subType, name string, content []byte, meta map[string]any) map[string]any {
	return map[string]any{"type": typ, "subType": subType, "fileName": name, "content": base64.StdEncoding.EncodeToString(content), "metadata": meta}
}

// example is the customer of docs/examples/registration.json (John
// Michael Doe of 221B Baker Street, London) with their documents rendered
// by evidencetest, as the server reads a customer's: a passport data page
// with a valid MRZ and their photo, an electricity bill as a text PDF, a
// selfie of the same face and a payslip.
type example struct {
	person                          evidencetest.Person
	issued                          time.Time
	passport, bill, selfie, payslip []byte
	passportWidth                   int
}

func renderExample(t *testing.T) example {
	t.Helper()
	y, m, d := time.Now().UTC().AddDate(3, 0, 0).Date()
	expiry := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	p := evidencetest.Person{Surname: "DOE", GivenNames: "JOHN MICHAEL", Nationality: "GBR", IssuingState: "GBR",
		DateOfBirth: time.Date(1990, 5, 15, 0, 0, 0, 0, time.UTC), Sex: "M", Issued: expiry.AddDate(-10, 0, 1), Expiry: expiry, DocumentNumber: "123456789"}
	const face = 1 // one of the people of the face models' sample photos
	photo, err := evidencetest.Portrait(projectRoot(t), face)
	if err != nil {
		t.Fatal(err)
	}
	selfie, err := evidencetest.Selfie(projectRoot(t), face)
	if err != nil {
		t.Fatal(err)
	}
	page := evidencetest.Passport(p, evidencetest.PassportOptions{Photo: photo})
	y, m, d = time.Now().UTC().AddDate(0, 0, -10).Date()
	b := evidencetest.SampleBill()
	b.Issuer, b.Holder, b.IssueDate = "LONDON POWER", "John Doe", time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	b.Address = []string{"221B Baker Street", "London", "NW1 6XE"}
	slip := b
	slip.Issuer, slip.DateLabel = "TECH CORP LTD PAYROLL", "Pay date:"
	return example{person: p, issued: b.IssueDate, passport: evidencetest.JPEG(page), bill: evidencetest.BillPDF(b),
		selfie: evidencetest.JPEG(selfie), payslip: evidencetest.BillPDF(slip), passportWidth: page.Bounds().Dx()}
}

// A HIGH-risk customer goes to review, a senior reviewer opens the queue,
// the review and a document in a real browser, approves with notes and
// limits, and the tenant's backend then activates the customer.
func TestBrowserHighRiskReviewDecidedAndActivated(t *testing.T) {
	base := startProduct(t)
	backend := newAPIClient(t, base, credential.ScopeCustomersWrite, credential.ScopeCustomersRead,
		credential.ScopeVerificationWrite, credential.ScopeVerificationReview)

	// Register the guide's example (its HIGH_RISK_INDIVIDUAL category) with a fresh e-mail.
	raw, err := os.ReadFile(filepath.Join(projectRoot(t), "docs", "examples", "registration.json"))
	if err != nil {
		t.Fatal(err)
	}
	var reg map[string]any
	if err := json.Unmarshal(raw, &reg); err != nil {
		t.Fatal(err)
	}
	reg["email"] = "b-" + uuid.NewString()[:8] + "@example.com"
	status, out := backend.call("POST", "/customer/individual/registration", reg)
	if status != 201 {
		t.Fatalf("register: %d %v", status, out)
	}
	data := out["data"].(map[string]any)
	cust, vr := data["customerId"].(string), data["verificationRequestId"].(string)
	if data["riskLevel"] != "HIGH" {
		t.Fatalf("registered as %v", data["riskLevel"])
	}
	ex := renderExample(t)
	status, out = backend.call("POST", "/verification/documents/upload", map[string]any{"verificationRequestId": vr, "documents": []any{
		document("IDENTITY_DOCUMENT", "PASSPORT", "passport.jpg", ex.passport, map[string]any{"documentNumber": ex.person.DocumentNumber, "issuingCountry": "GB",
			"expiryDate": ex.person.Expiry.Format(time.DateOnly), "extractedData": map[string]any{"fullName": "John Michael Doe", "dateOfBirth": "1990-05-15"}}),
		document("PROOF_OF_ADDRESS", "UTILITY_BILL", "bill.pdf", ex.bill, map[string]any{"issueDate": ex.issued.Format(time.DateOnly), "issuer": "London Power",
			"address": "221B Baker Street, London NW1 6XE"}),
		document("SELFIE", "", "selfie.jpg", ex.selfie, nil),
		document("SOURCE_OF_FUNDS", "PAYSLIP", "payslip.pdf", ex.payslip, nil),
	}})
	if status != 200 {
		t.Fatalf("upload: %d %v", status, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, st := backend.call("GET", "/verification/status/"+vr, nil)
		d, _ := st["data"].(map[string]any)
		if d["status"] == "PENDING_REVIEW" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never reached review: %v", st)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Not yet: activation needs the approval.
	activation := map[string]any{"customerId": cust, "activationOptions": map[string]any{"generateIBAN": true, "createWallet": true,
		"walletCurrency": "EUR", "sendWelcomeEmail": true, "applyRiskMitigation": true}}
	if status, out := backend.call("POST", "/customer/individual/activate", activation); status != 409 {
		t.Fatalf("activation before approval: %d %v", status, out)
	}

	ctx := newBrowser(t)
	row := `[data-testid="review-row"][data-id="` + vr + `"]`
	do(t, ctx, chromedp.Navigate(base+"/reviews"))
	do(t, ctx, signInAt("senior")...)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(row)))
	screenshot(t, ctx, "reviews-queue")
	do(t, ctx, chromedp.Navigate(base+"/dashboard"), chromedp.WaitVisible(tid("queue-count-reviews")))
	screenshot(t, ctx, "reviews-dashboard")
	if n := textOf(t, ctx, `[data-testid="queue-count-reviews"]`); n == "0" {
		t.Fatalf("the dashboard counts %s reviews waiting", n)
	}
	do(t, ctx, chromedp.Click(tid("queue-reviews")), chromedp.WaitVisible(chromedp.CSS(row)))
	if risk := textOf(t, ctx, row+` [data-testid="review-risk"]`); risk != "High" {
		t.Fatalf("queue shows risk %q", risk)
	}
	// The keyboard reaches the row: j focuses it, Enter opens it.
	do(t, ctx, chromedp.KeyEvent("j"))
	focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.closest('[data-testid="review-row"]')?.dataset.id || ""`))
	if err != nil || focused == "" {
		t.Fatalf("j focused no row (%v)", err)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(row+` a[data-keynav-row]`)), chromedp.WaitVisible(tid("decision-form")))
	screenshot(t, ctx, "review-detail")
	if st := textOf(t, ctx, `[data-testid="review-status"]`); st != "Waiting for review" {
		t.Fatalf("review status %q", st)
	}

	// The passport in the viewer, rotated and zoomed.
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`[data-testid="document"]:first-child [data-testid="open-document"]`)),
		chromedp.WaitVisible(tid("viewer-image")),
	)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('[data-testid="viewer-image"]').complete`)); err != nil {
		t.Fatal(err)
	}
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`[data-viewer-action="rotate-right"]`)),
		chromedp.Click(chromedp.CSS(`[data-viewer-action="zoom-in"]`)),
		chromedp.Sleep(300*time.Millisecond), // the turn is animated
	)
	screenshot(t, ctx, "document-viewer")
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector('[data-testid="viewer-image"]').naturalWidth`))
	if err != nil || width != ex.passportWidth {
		t.Fatalf("the passport image is %d pixels wide (%v); want it shown at %d", width, err, ex.passportWidth)
	}
	if rot, zoom := textOf(t, ctx, `[data-testid="viewer-rotation"]`), textOf(t, ctx, `[data-testid="viewer-zoom"]`); rot != "90°" || zoom != "150 %" {
		t.Fatalf("after rotate and zoom: rotation %q, zoom %q", rot, zoom)
	}

	// Back to the review: approve with notes and limits.
	do(t, ctx,
		chromedp.Click(tid("back-to-review")),
		chromedp.WaitVisible(tid("decision-form")),
		chromedp.SendKeys(chromedp.ID("reviewerNotes"), "Enhanced due diligence done: the minister's payslip and source of funds check out."),
		chromedp.SendKeys(chromedp.CSS(`[id="riskMitigation.transactionLimits.dailyLimit"]`), "5000"),
		chromedp.SendKeys(chromedp.CSS(`[id="riskMitigation.transactionLimits.requiresApprovalAbove"]`), "1000"),
		chromedp.Click(chromedp.CSS(`[id="riskMitigation.enhancedMonitoring"]`)),
		chromedp.Click(tid("approve")),
		chromedp.WaitVisible(tid("flash")),
	)
	screenshot(t, ctx, "review-approved")
	if f := textOf(t, ctx, `[data-testid="flash"]`); !strings.Contains(f, "APPROVED") {
		t.Fatalf("after approving the reviewer sees %q", f)
	}
	if st := textOf(t, ctx, `[data-testid="review-status"]`); st != "Approved" {
		t.Fatalf("status %q", st)
	}

	// The tenant's backend activates the customer.
	status, out = backend.call("POST", "/customer/individual/activate", activation)
	if status != 200 {
		t.Fatalf("activate: %d %v", status, out)
	}
	d := out["data"].(map[string]any)
	acct := d["accountDetails"].(map[string]any)
	limits := acct["appliedLimits"].(map[string]any)
	if code, _ := acct["iban"].(string); d["status"] != "ACTIVE" || !iban.Valid(code) || limits["dailyTransactionLimit"] != "5000.00" || limits["source"] != "RISK_MITIGATION" {
		t.Fatalf("activation %v", d)
	}
	_, got := backend.call("GET", "/customers/"+cust, nil)
	if c := got["data"].(map[string]any); c["permission"] != "SEND-AND-RECEIVE" || c["status"] != "ACTIVE" {
		t.Fatalf("customer after activation %v", c)
	}

	// The customer's page: active, with the wallet, and the verification's
	// story ending in the approval.
	do(t, ctx, chromedp.Navigate(base+"/customers/"+cust), chromedp.WaitVisible(tid("verification-timeline")))
	screenshot(t, ctx, "customer-360-approved")
	if story := textOf(t, ctx, `[data-testid="verification-timeline"]`); !strings.Contains(story, "reviewed (APPROVE)") || !strings.Contains(story, "Approved") {
		t.Errorf("verification timeline %q", story)
	}

	// The reviewer's view of the passport is in the audit trail.
	var views int
	if err := dbtest.OwnerPool(t).QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'document.viewed' AND actor_name LIKE 'Sam Senior%'
		AND after->>'verificationRequestId' = $1`, vr).Scan(&views); err != nil || views == 0 {
		t.Fatalf("document views audited: %d (%v)", views, err)
	}
}
