package web

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/kyc"
	"github.com/ciamhq/ciam/internal/kyc/kyctest"
	"github.com/ciamhq/ciam/internal/tenant"
	"github.com/ciamhq/ciam/web/api"
)

type upDoc struct {
	Type, SubType string
	Content       []byte
	Metadata      map[string]any
}

func uploadBody(vr string, docs ...upDoc) string {
	var ds []map[string]any
	for i, d := range docs {
		ds = append(ds, map[string]any{"type": d.Type, "subType": d.SubType, "fileName": fmt.Sprintf("file%d", i),
			"mimeType": "image/jpeg", "content": base64.StdEncoding.EncodeToString(d.Content), "metadata": d.Metadata})
	}
	b, _ := json.Marshal(map[string]any{"verificationRequestId": vr, "documents": ds})
	return string(b)
}

const uploadPath = api.Prefix + "/verification/documents/upload"

// onboarded registers a customer from the example with change applied and
// returns its ids.
//
// The sanctions and PEP lists are loaded first: without them nothing is
// screened, and nothing unscreened is approved.
func (h *harness) onboarded(t tenant.Tenant, tok string, change func(m map[string]any)) (customerID, vr string) {
	h.t.Helper()
	h.loadLists()
	resp, out := h.apiCall("POST", registerPath, t.Slug, tok, variant(h.t, change), nil)
	if resp.StatusCode != 201 {
		h.t.Fatalf("register: %d %v", resp.StatusCode, out)
	}
	d := out["data"].(map[string]any)
	return d["customerId"].(string), d["verificationRequestId"].(string)
}

// passport is the example customer's passport (docs/examples/
// registration.json: John Michael Doe), rendered with a valid MRZ, with
// metadata declaring what it shows, changed by meta.
func passport(t testing.TB, meta map[string]any) upDoc { return passportOf(t, exampleHolder(), meta) }

// passportOf is p's passport with metadata declaring what it shows,
// changed by meta.
func passportOf(t testing.TB, p holder, meta map[string]any) upDoc {
	m := map[string]any{"documentNumber": p.DocumentNumber, "issuingCountry": p.Nationality[:2], "expiryDate": p.Expiry.Format(time.DateOnly),
		"extractedData": map[string]any{"fullName": strings.TrimSpace(p.Given + " " + p.Middle + " " + p.Surname), "dateOfBirth": p.DateOfBirth.Format(time.DateOnly)}}
	for k, v := range meta {
		m[k] = v
	}
	return upDoc{"IDENTITY_DOCUMENT", "PASSPORT", passportJPEG(t, p), m}
}

// utilityBill is the example customer's utility bill, issued on the day
// given, as a PDF with a text layer.
func utilityBill(issued time.Time) upDoc {
	p := exampleHolder()
	return upDoc{"PROOF_OF_ADDRESS", "UTILITY_BILL", billPDF(p, issued),
		map[string]any{"issueDate": issued.Format(time.DateOnly), "issuer": "London Power", "address": "221B Baker Street, London NW1 6XE"}}
}

// selfie is the example customer's selfie.
func selfie(t testing.TB) upDoc { return upDoc{"SELFIE", "", selfieJPEG(t, exampleHolder()), nil} }

func noCategory(m map[string]any) { delete(m, "categorization") }

func TestUploadErrorCodes(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	big := make([]byte, 11<<20)
	_, _ = rand.Read(big)
	copy(big, kyctest.JPEG(t, 400, 400, 3))

	tests := []struct {
		name   string
		docs   []upDoc
		status int
		code   string
		field  string
	}{
		{"a GIF named .jpg", []upDoc{{"IDENTITY_DOCUMENT", "PASSPORT", kyctest.GIF(t), nil}}, 400, "INVALID_DOCUMENT_FORMAT", "documents[0].content"},
		{"an 11 MB file", []upDoc{{"IDENTITY_DOCUMENT", "PASSPORT", big, nil}}, 413, "DOCUMENT_TOO_LARGE", "documents[0].content"},
		{"a tiny JPEG", []upDoc{{"IDENTITY_DOCUMENT", "PASSPORT", kyctest.JPEG(t, 60, 40, 1), nil}}, 422, "POOR_IMAGE_QUALITY", "documents[0].content"},
		{"a broken PDF", []upDoc{{"IDENTITY_DOCUMENT", "NATIONAL_ID", []byte("%PDF-1.4\nnot really a pdf"), nil}}, 400, "INVALID_DOCUMENT_FORMAT", "documents[0].content"},
		{"an expired passport", []upDoc{passport(t, map[string]any{"expiryDate": "2020-01-31"})}, 422, "EXPIRED_DOCUMENT", "documents[0].metadata.expiryDate"},
		{"a wrong date of birth", []upDoc{passport(t, map[string]any{"extractedData": map[string]any{"fullName": "John Doe", "dateOfBirth": "1991-05-15"}})}, 422, "DATA_MISMATCH", "documents[0].metadata.extractedData.dateOfBirth"},
		{"another person's name", []upDoc{passport(t, map[string]any{"extractedData": map[string]any{"fullName": "Jane Roe"}})}, 422, "DATA_MISMATCH", "documents[0].metadata.extractedData.fullName"},
		{"the same file twice", []upDoc{passport(t, nil), passport(t, nil)}, 409, "DUPLICATE_UPLOAD", "documents[1].content"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			_, vr := h.onboarded(dt, tok, noCategory) // LOW: identity document and an optional selfie
			resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, tc.docs...), nil)
			if resp.StatusCode != tc.status || errCode(out) != tc.code || len(details(out)) == 0 || !strings.HasPrefix(details(out)[0], tc.field+":") {
				t.Fatalf("%d %s %v; want %d %s on %s", resp.StatusCode, errCode(out), details(out), tc.status, tc.code, tc.field)
			}
		})
	}

	t.Run("the same file in a second upload", func(t *testing.T) {
		h := h.with(t)
		_, vr := h.onboarded(dt, tok, noCategory)
		p := passport(t, nil)
		if resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, p), nil); resp.StatusCode != 200 {
			t.Fatalf("first upload: %d %v", resp.StatusCode, out)
		}
		if resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, p), nil); resp.StatusCode != 409 || errCode(out) != "DUPLICATE_UPLOAD" {
			t.Fatalf("second upload: %d %v", resp.StatusCode, out)
		}
	})

	t.Run("too many attempts", func(t *testing.T) {
		h := h.with(t)
		_, vr := h.onboarded(dt, tok, noCategory)
		for i := range 5 {
			resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, upDoc{"IDENTITY_DOCUMENT", "PASSPORT", kyctest.JPEG(t, 50, 50, uint8(i)), nil}), nil)
			if errCode(out) != "POOR_IMAGE_QUALITY" {
				t.Fatalf("attempt %d: %d %v", i, resp.StatusCode, out)
			}
		}
		resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, passport(t, nil)), nil)
		if resp.StatusCode != 423 || errCode(out) != "VERIFICATION_LOCKED" {
			t.Fatalf("after five refusals: %d %v", resp.StatusCode, out)
		}
	})
}

func TestUploadMultipartAndStatus(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	_, vr := h.onboarded(dt, tok, noCategory)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("verificationRequestId", vr)
	_ = mw.WriteField("documents[0].type", "IDENTITY_DOCUMENT")
	_ = mw.WriteField("documents[0].subType", "PASSPORT")
	meta, _ := json.Marshal(passport(t, nil).Metadata)
	_ = mw.WriteField("documents[0].metadata", string(meta))
	fw, _ := mw.CreateFormFile("documents[0].content", "passport.jpg")
	_, _ = fw.Write(passport(t, nil).Content)
	_ = mw.Close()
	resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, body.String(), map[string]string{"Content-Type": mw.FormDataContentType()})
	if resp.StatusCode != 200 {
		t.Fatalf("multipart: %d %v", resp.StatusCode, out)
	}
	data := out["data"].(map[string]any)
	id := data["processingDetails"].(map[string]any)["identityDocument"].(map[string]any)
	if data["status"] != "DOCUMENTS_RECEIVED" || id["status"] != "VALIDATED" || id["extractedData"].(map[string]any)["matchScore"].(float64) < 80 {
		t.Fatalf("answer %v", data)
	}
	_, st := h.apiCall("GET", api.Prefix+"/verification/status/"+vr, dt.Slug, tok, "", nil)
	if s := st["data"].(map[string]any); s["status"] != "DOCUMENTS_RECEIVED" || s["documentsReceived"].(float64) != 1 {
		t.Fatalf("status %v", st)
	}
}

func (h *harness) waitStatus(t tenant.Tenant, tok, vr, want string) map[string]any {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, st := h.apiCall("GET", api.Prefix+"/verification/status/"+vr, t.Slug, tok, "", nil)
		data, _ := st["data"].(map[string]any)
		if data["status"] == want && data["checksState"] == "DONE" {
			return data
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("verification %s: %v; want %s", vr, st, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestKYCMediumCustomerApprovedAutomatically(t *testing.T) {
	h := newHarness(t)
	h.s.Webhooks.AllowPrivateNetworks = true
	dt := h.demoTenant()
	rc := newReceiver(t, 0)
	secret := h.subscribe(h.cookieFor(h.employeeOf(dt.ID, "TENANT_ADMIN")), rc.srv.URL, "verification.status.changed", "customer.activated")
	h.startJobs()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeCustomersRead, credential.ScopeVerificationWrite, credential.ScopeVerificationReview)
	cust, vr := h.onboarded(dt, tok, func(m map[string]any) {
		noCategory(m)
		ic(m)["annualIncome"] = "300000" // a high declared income makes the customer MEDIUM
	})
	resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, passport(t, nil), utilityBill(time.Now().AddDate(0, -1, 0)), selfie(t)), nil)
	if resp.StatusCode != 200 || out["data"].(map[string]any)["processingDetails"].(map[string]any)["proofOfAddress"].(map[string]any)["addressVerified"] != true {
		t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	st := h.waitStatus(dt, tok, vr, "APPROVED")
	checks := st["checks"].(map[string]any)
	if st["riskLevel"] != "MEDIUM" || st["verificationMethod"] != "AUTOMATED" || st["completedAt"] == nil ||
		checks["identity"].(map[string]any)["status"] != "PASSED" || checks["address"].(map[string]any)["verified"] != true ||
		checks["ageVerification"].(map[string]any)["age"].(float64) < 18 {
		t.Fatalf("status %v", st)
	}
	// The customer record shows the documents as valid.
	_, c := h.apiCall("GET", api.Prefix+"/customers/"+cust, dt.Slug, tok, "", nil)
	set := c["data"].(map[string]any)["documents"].([]any)[0].(map[string]any)
	physical := set["physical_docs"].([]any)
	if len(physical) == 0 {
		t.Errorf("no physical documents: %v", set)
	}
	for _, d := range physical {
		if d.(map[string]any)["status"] != "SUBMITTED|VALID" {
			t.Errorf("document %v", d)
		}
		if id, _ := d.(map[string]any)["id"].(string); len(id) != 36 {
			t.Errorf("document %v has no id", d)
		}
	}
	if ds := c["data"].(map[string]any)["doc_status"].(map[string]any); ds["physical_doc"] != "SUBMITTED|VALID" {
		t.Errorf("doc_status = %v", ds)
	}
	// Approved, the customer is activated with a valid IBAN.
	resp, out = h.apiCall("POST", activatePath, dt.Slug, tok, activateBody(cust, map[string]any{"generateIBAN": true, "createWallet": true}), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("activate: %d %v", resp.StatusCode, out)
	}
	code, _ := out["data"].(map[string]any)["accountDetails"].(map[string]any)["iban"].(string)
	if len(code) < 15 || mod97(code) != 1 || out["data"].(map[string]any)["status"] != "ACTIVE" {
		t.Fatalf("activation: IBAN %q, %v", code, out)
	}
	// The receiver got both status changes and the activation, signed.
	deadline := time.Now().Add(15 * time.Second)
	var statuses []string
	activated := ""
	for time.Now().Before(deadline) && (len(statuses) < 2 || activated == "") {
		statuses = nil
		for _, call := range rc.calls() {
			if !verifySig(secret, call) {
				t.Fatalf("bad signature %s", call.Signature)
			}
			var b struct {
				Event string
				Data  struct{ VerificationRequestID, CustomerID, PreviousStatus, CurrentStatus, Timestamp, IBAN string }
			}
			_ = json.Unmarshal(call.Body, &b)
			switch {
			case b.Event == "customer.activated" && b.Data.CustomerID == cust:
				activated = b.Data.IBAN
			case b.Data.VerificationRequestID == vr && b.Data.CustomerID == cust && b.Data.Timestamp != "":
				statuses = append(statuses, b.Data.PreviousStatus+">"+b.Data.CurrentStatus)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	slices.Sort(statuses) // deliveries are independent: their order is not promised
	if strings.Join(statuses, ",") != "AWAITING_DOCUMENTS>DOCUMENTS_RECEIVED,DOCUMENTS_RECEIVED>APPROVED" {
		t.Fatalf("webhooks carried %v", statuses)
	}
	if activated != code {
		t.Fatalf("customer.activated carried IBAN %q; want %q", activated, code)
	}
}

func TestKYCHighRiskGoesToReview(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	h.startJobs()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	_, vr := h.onboarded(dt, tok, nil) // the example's HIGH_RISK_INDIVIDUAL category
	fundsDoc := upDoc{"SOURCE_OF_FUNDS", "PAYSLIP", payslip(), nil}
	resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, passport(t, nil), utilityBill(time.Now().AddDate(0, 0, -10)), selfie(t), fundsDoc), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	st := h.waitStatus(dt, tok, vr, "PENDING_REVIEW")
	if st["riskLevel"] != "HIGH" || st["reasonForReview"] != "HIGH_RISK_CATEGORY" || st["assignedTo"] != "COMPLIANCE_TEAM" {
		t.Fatalf("status %v", st)
	}
}

func TestKYCWaitsForMissingDocuments(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	h.startJobs()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	_, vr := h.onboarded(dt, tok, func(m map[string]any) { noCategory(m); ic(m)["annualIncome"] = "300000" })
	if resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, passport(t, nil)), nil); resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	st := h.waitStatus(dt, tok, vr, "DOCUMENTS_RECEIVED")
	req := st["checks"].(map[string]any)["requirements"].(map[string]any)
	if req["status"] != "FAILED" || len(req["missing"].([]any)) != 2 {
		t.Fatalf("requirements %v", req)
	}
}

func verifySig(secret string, c received) bool {
	return eventVerify(secret, c.Signature, c.Body)
}

// TestUploadAcceptsExtraDocuments: a document the customer's requirements
// do not ask for is accepted and checked; UNSUPPORTED_DOCUMENT is for a
// type the tenant accepts for no one.
func TestUploadAcceptsExtraDocuments(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	_, vr := h.onboarded(dt, tok, noCategory) // LOW: no proof of address asked for
	resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, utilityBill(time.Now().AddDate(0, 0, -10))), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("a utility bill from a LOW customer: %d %v", resp.StatusCode, out)
	}
	if _, ok := out["data"].(map[string]any)["processingDetails"].(map[string]any)["proofOfAddress"]; !ok {
		t.Fatalf("the extra document was not checked: %v", out)
	}

	// A tenant whose requirements name no source of funds for anyone.
	own := h.tenant
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test", TenantID: own.ID})
	for _, level := range []string{"LOW", "MEDIUM", "HIGH"} {
		if _, err := h.s.KYC.SetRequirement(ctx, own.ID, kyc.Requirement{Country: "*", RiskLevel: level, Type: "IDENTITY_DOCUMENT", Required: true}); err != nil {
			t.Fatal(err)
		}
	}
	otok := h.adminToken(own, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	_, ovr := h.onboarded(own, otok, noCategory)
	resp, out = h.apiCall("POST", uploadPath, own.Slug, otok, uploadBody(ovr, upDoc{"SOURCE_OF_FUNDS", "PAYSLIP", payslip(), nil}), nil)
	if resp.StatusCode != 422 || errCode(out) != "UNSUPPORTED_DOCUMENT" || !strings.HasPrefix(strings.Join(details(out), ""), "documents[0].type:") {
		t.Fatalf("a type the tenant accepts for no one: %d %v", resp.StatusCode, out)
	}
}
