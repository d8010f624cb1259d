package web

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/evidence/evidencetest"
	"github.com/ciamhq/ciam/internal/tenant"
)

// The whole flow of guides 001 and 004 with the guides' own bodies: the
// registration, the upload (with real documents the server reads), the
// status, the review and the activation; each answer compared field by
// field with the guide's example.

// guideDay is the day guide 004's examples were written (its completedAt):
// the example's dates are kept at the same distance from today.
var guideDay = time.Date(2025, 1, 23, 0, 0, 0, 0, time.UTC)

func shifted(date string) time.Time {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		panic(err)
	}
	y, m, dd := time.Now().UTC().Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Add(d.Sub(guideDay))
}

// guideUpload is guide 004's upload body with what its README lets a test
// replace: the verification id, the two documents' content (p's passport
// and bill, rendered), the dates that would go stale, and, when
// registrationDOB, the example's known inconsistency (its
// extractedData.dateOfBirth) set to the registration's.
func guideUpload(t testing.TB, vr string, p holder, registrationDOB bool) string {
	t.Helper()
	m := contractMap(t, "004-upload.request.json")
	m["verificationRequestId"] = vr
	docs := m["documents"].([]any)
	id, poa := docs[0].(map[string]any), docs[1].(map[string]any)
	idMeta, poaMeta := id["metadata"].(map[string]any), poa["metadata"].(map[string]any)
	expiry := shifted(idMeta["expiryDate"].(string))
	issued := shifted(poaMeta["issueDate"].(string))
	idMeta["expiryDate"], poaMeta["issueDate"] = expiry.Format(time.DateOnly), issued.Format(time.DateOnly)
	if registrationDOB {
		idMeta["extractedData"].(map[string]any)["dateOfBirth"] = p.DateOfBirth.Format(time.DateOnly)
	}
	p.Expiry = expiry
	id["content"] = base64.StdEncoding.EncodeToString(passportJPEG(t, p))
	poa["content"] = base64.StdEncoding.EncodeToString(billPDF(p, issued))
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// guideUploadRules are the upload answer's values that naturally differ.
var guideUploadRules = map[string]valueRule{
	"data.verificationRequestId": isUUID,
	"data.processingDetails.identityDocument.extractedData.fullName": func(got any) error {
		return matches(`^JOHN (ROBERT )?DOE$`)(got) // as read from the document
	},
	"data.estimatedProcessingTime": matches(`^\d+-\d+ (minutes|hours|days)$`),
}

// moreDocuments uploads the documents the guide's body leaves out but the
// customer's risk level asks for.
func (h *harness) moreDocuments(t tenant.Tenant, tok, vr string, docs ...upDoc) {
	h.t.Helper()
	resp, out := h.apiCall("POST", uploadPath, t.Slug, tok, uploadBody(vr, docs...), nil)
	if resp.StatusCode != 200 {
		h.t.Fatalf("more documents: %d %v", resp.StatusCode, out)
	}
}

// rawCall is apiCall answering the raw body, for comparisons that keep
// numbers as written.
func (h *harness) rawCall(method, path string, t tenant.Tenant, tok, body string) (int, map[string]any) {
	h.t.Helper()
	req, _ := http.NewRequestWithContext(h.t.Context(), method, h.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Tenant-ID", t.Slug)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := noRedirect.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, decodeNumbers(h.t, raw)
}

func TestContractGuideFlowStandardCustomer(t *testing.T) {
	h := newHarness(t)
	h.loadLists()
	dt := h.demoTenant()
	h.startJobs()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeCustomersRead, credential.ScopeVerificationWrite, credential.ScopeVerificationReview)
	body, _ := standardRegistration(t)
	resp, out := h.apiCall("POST", registerPath, dt.Slug, tok, body, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("register: %d %v", resp.StatusCode, out)
	}
	reg := out["data"].(map[string]any)
	vr, cust := reg["verificationRequestId"].(string), reg["customerId"].(string)
	p := guideHolder()

	// Step 1, as written: the passport and the utility bill.
	status, up := h.rawCall("POST", uploadPath, dt, tok, guideUpload(t, vr, p, true))
	if status != 200 {
		t.Fatalf("the guide's upload: %d %v", status, up)
	}
	if d := sameShape(contractMap(t, "004-upload.response.json"), up, guideUploadRules); len(d) > 0 {
		t.Fatalf("the upload's answer is not the guide's:\n%s\n%v", strings.Join(d, "\n"), up)
	}
	// A MEDIUM customer also gives a selfie (guide 004, "Document
	// Requirements by Risk Level").
	h.moreDocuments(dt, tok, vr, upDoc{"SELFIE", "", selfieJPEG(t, p), nil})

	// Step 2: approved automatically, on what the server read.
	h.waitStatus(dt, tok, vr, "APPROVED")
	_, st := h.rawCall("GET", "/api/v2.1/verification/status/"+vr, dt, tok, "")
	rules := map[string]valueRule{
		"data.verificationRequestId":           isUUID,
		"data.customerId":                      isUUID,
		"data.checks.sanctions.listsChecked[]": oneOf("OFAC", "UN", "EU", "UK", "INTERPOL", "PEP"),
	}
	if d := sameShape(contractMap(t, "004-status-automated.response.json"), st, rules); len(d) > 0 {
		t.Fatalf("the status is not the guide's:\n%s\n%v", strings.Join(d, "\n"), st)
	}
	if got := st["data"].(map[string]any)["customerId"]; got != cust {
		t.Fatalf("customerId %v; want %s", got, cust)
	}
	checks := st["data"].(map[string]any)["checks"].(map[string]any)
	if sel, _ := checks["selfie"].(map[string]any); sel["status"] != "PASSED" {
		t.Fatalf("selfie %v; want PASSED on the faces compared", sel)
	}
}

func TestContractGuideFlowHighRiskCustomer(t *testing.T) {
	h := newHarness(t)
	h.loadLists()
	h.s.Webhooks.AllowPrivateNetworks = true
	dt := h.demoTenant()
	rc := newReceiver(t, 0)
	h.subscribe(h.cookieFor(h.employeeOf(dt.ID, "TENANT_ADMIN")), rc.srv.URL, "verification.status.changed")
	h.startJobs()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeCustomersRead, credential.ScopeVerificationWrite,
		credential.ScopeVerificationReview, credential.ScopeVerificationReviewHigh)
	body, _ := guideRegistration(t)
	resp, out := h.apiCall("POST", registerPath, dt.Slug, tok, string(body), guideHeaders())
	if resp.StatusCode != 201 {
		t.Fatalf("register: %d %v", resp.StatusCode, out)
	}
	reg := out["data"].(map[string]any)
	vr, cust := reg["verificationRequestId"].(string), reg["customerId"].(string)
	p := guideHolder()

	status, up := h.rawCall("POST", uploadPath, dt, tok, guideUpload(t, vr, p, true))
	if status != 200 {
		t.Fatalf("the guide's upload: %d %v", status, up)
	}
	if d := sameShape(contractMap(t, "004-upload.response.json"), up, guideUploadRules); len(d) > 0 {
		t.Fatalf("the upload's answer is not the guide's:\n%s", strings.Join(d, "\n"))
	}
	// HIGH risk also asks for a selfie and the source of funds.
	sof := p.bill(time.Now().AddDate(0, 0, -5))
	sof.Issuer = "FIRST NATIONAL BANK"
	h.moreDocuments(dt, tok, vr, upDoc{"SELFIE", "", selfieJPEG(t, p), nil}, upDoc{"SOURCE_OF_FUNDS", "BANK_STATEMENT", evidencetest.BillPDF(sof), nil})

	// Step 2: to people, as the guide's manual-review example.
	h.waitStatus(dt, tok, vr, "PENDING_REVIEW")
	_, st := h.rawCall("GET", "/api/v2.1/verification/status/"+vr, dt, tok, "")
	rules := map[string]valueRule{
		"data.verificationRequestId": isUUID,
		"data.customerId":            isUUID,
		"data.reasonForReview":       oneOf("PEP_MATCH_POSSIBLE", "PEP_DECLARED", "SANCTIONS_MATCH_POSSIBLE"),
		"data.estimatedReviewTime":   matches(`^\d+-\d+ (minutes|hours|days)$`),
	}
	if d := sameShape(contractMap(t, "004-status-manual.response.json"), st, rules); len(d) > 0 {
		t.Fatalf("the status is not the guide's:\n%s\n%v", strings.Join(d, "\n"), st)
	}
	// The categorisation's pep and edd send it to people.
	reasons := anyStrings(st["data"].(map[string]any)["reasonsForReview"])
	for _, want := range []string{"PEP_DECLARED", "ENHANCED_DUE_DILIGENCE", "HIGH_RISK_CATEGORY"} {
		if !slices.Contains(reasons, want) {
			t.Errorf("reasons %v lack %s", reasons, want)
		}
	}
	// People decide, but every document check passed on evidence.
	checks := st["data"].(map[string]any)["checks"].(map[string]any)
	for _, k := range []string{"identity", "address", "selfie"} {
		if c, _ := checks[k].(map[string]any); c["status"] != "PASSED" {
			t.Errorf("%s check %v; want PASSED", k, c)
		}
	}

	// Step 3: the guide's review body.
	review := contractMap(t, "004-review.request.json")
	review["verificationRequestId"] = vr
	rb, _ := json.Marshal(review)
	if status, out := h.rawCall("POST", "/api/v2.1/admin/verification/review", dt, tok, string(rb)); status != 200 {
		t.Fatalf("the guide's review: %d %v", status, out)
	}

	// Step 4: the guide's activation, with the review's risk mitigation.
	act := contractMap(t, "004-activation.request.json")
	act["customerId"] = cust
	ab, _ := json.Marshal(act)
	status, got := h.rawCall("POST", "/api/v2.1/customer/individual/activate", dt, tok, string(ab))
	if status != 200 {
		t.Fatalf("the guide's activation: %d %v", status, got)
	}
	arules := map[string]valueRule{
		"data.customerId":              isUUID,
		"data.accountDetails.walletId": isUUID,
		"data.accountDetails.iban": func(v any) error {
			if err := matches(`^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$`)(v); err != nil {
				return err
			}
			if mod97(v.(string)) != 1 {
				return errString("the IBAN's check digits are wrong")
			}
			return nil
		},
	}
	if d := sameShape(contractMap(t, "004-activation.response.json"), got, arules); len(d) > 0 {
		t.Fatalf("the activation is not the guide's:\n%s\n%v", strings.Join(d, "\n"), got)
	}
	limits := got["data"].(map[string]any)["accountDetails"].(map[string]any)["appliedLimits"].(map[string]any)
	if limits["dailyTransactionLimit"] != "5000.00" || limits["requiresApprovalAbove"] != "1000.00" {
		t.Fatalf("applied limits %v; want the review's", limits)
	}
	// What the review does not set, the categorisation's TRANSACTION_LIMITS do.
	if limits["monthlyTransactionLimit"] != "50000.00" || limits["singleTransactionLimit"] != "2000.00" {
		t.Fatalf("applied limits %v; want the category's monthly and single-transaction limits", limits)
	}

	// The webhook, in the guide's shape.
	want := contractMap(t, "004-webhook-verification-status-changed.json")
	wrules := map[string]valueRule{
		"data.verificationRequestId": isUUID, "data.customerId": isUUID,
		"data.previousStatus": oneOf("AWAITING_DOCUMENTS", "DOCUMENTS_RECEIVED", "PENDING_REVIEW"),
		"data.currentStatus":  oneOf("DOCUMENTS_RECEIVED", "PENDING_REVIEW", "APPROVED"),
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		seen := 0
		for _, c := range rc.calls() {
			m := decodeNumbers(t, c.Body)
			if d := sameShape(want, m, wrules); len(d) > 0 {
				t.Fatalf("a webhook is not the guide's:\n%s\n%s", strings.Join(d, "\n"), c.Body)
			}
			if m["data"].(map[string]any)["verificationRequestId"] == vr {
				seen++
			}
		}
		if seen >= 3 { // → DOCUMENTS_RECEIVED, → PENDING_REVIEW, → APPROVED
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d webhooks for the verification; want 3", seen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestContractGuideUploadKeepsItsDateOfBirth sends the guide's upload with
// its own extractedData.dateOfBirth (1985-05-15), which is not the
// registration's (1990-05-15): what the caller declares fails the upload.
func TestContractGuideUploadKeepsItsDateOfBirth(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	body, _ := standardRegistration(t)
	resp, out := h.apiCall("POST", registerPath, dt.Slug, tok, body, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("register: %d %v", resp.StatusCode, out)
	}
	vr := out["data"].(map[string]any)["verificationRequestId"].(string)
	status, up := h.rawCall("POST", uploadPath, dt, tok, guideUpload(t, vr, guideHolder(), false))
	e, _ := up["error"].(map[string]any)
	if status != 422 || e["code"] != "DATA_MISMATCH" || !strings.Contains(strings.Join(details(up), " "), "documents[0].metadata.extractedData.dateOfBirth") {
		t.Fatalf("%d %v; want 422 DATA_MISMATCH on documents[0].metadata.extractedData.dateOfBirth", status, up)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
