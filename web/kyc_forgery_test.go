package web

import (
	"image"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/evidence/evidencetest"
	"github.com/ciamhq/ciam/web/api"
)

// No forged, unreadable or inconsistent document is approved
// automatically; a genuine one with matching data is. Each case uploads,
// for a LOW-risk customer (a passport is all they need), a document the
// test makes, with metadata declaring exactly what the registration says:
// what the caller declares never passes a check, so the outcome depends on
// the bytes alone.
func TestKYCDecidesOnTheDocumentNotTheDeclaration(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	h.startJobs()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	p := exampleHolder()
	page := func(o evidencetest.PassportOptions) *image.RGBA {
		if o.Photo == nil {
			o.Photo = portrait(t, p.Face)
		}
		return evidencetest.Passport(p.person(), o)
	}
	td3 := evidencetest.TD3(p.person())
	brokenDOB := [2]string{td3[0], evidencetest.BreakDigit(td3[1], 19)} // the date of birth's check digit
	someoneElse := p
	someoneElse.Given, someoneElse.Middle, someoneElse.Surname = "JANE", "", "ROE"
	vzOther := someoneElse.person()
	expired := p
	expired.Expiry = time.Now().AddDate(0, -2, 0).UTC().Truncate(24 * time.Hour)
	olderTwin := p
	olderTwin.DateOfBirth = p.DateOfBirth.AddDate(-1, 0, 0)

	// declared is what every case's metadata says: the registration.
	declared := passportOf(t, p, nil).Metadata
	tests := []struct {
		name    string
		content []byte
		meta    map[string]any
		// status and code: the upload refused; or reason: the verification
		// goes to people for it; or approved.
		status   int
		code     string
		reason   string
		approved bool
	}{
		{name: "the genuine passport", content: passportJPEG(t, p), approved: true},
		{name: "an MRZ check digit that fails", content: evidencetest.JPEG(page(evidencetest.PassportOptions{MRZ: &brokenDOB})), reason: "CHECK_FAILED_IDENTITY"},
		{name: "the visual zone of another person", content: evidencetest.JPEG(page(evidencetest.PassportOptions{VisualZone: &vzOther})), reason: "CHECK_FAILED_IDENTITY"},
		{name: "edited in Photoshop", content: evidencetest.WithEXIFSoftware(passportJPEG(t, p), "Adobe Photoshop 25.0"), reason: "CHECK_FAILED_IDENTITY"},
		{name: "a declared MRZ whose check digits fail", content: passportJPEG(t, p), meta: map[string]any{"mrz": brokenDOB[0] + "\n" + brokenDOB[1]}, status: 422, code: "DATA_MISMATCH"},
		{name: "another person's passport", content: passportJPEG(t, someoneElse), status: 422, code: "DATA_MISMATCH"},
		{name: "another date of birth in the MRZ", content: passportJPEG(t, olderTwin), status: 422, code: "DATA_MISMATCH"},
		{name: "expired by its MRZ", content: passportJPEG(t, expired), meta: map[string]any{"expiryDate": nil}, status: 422, code: "EXPIRED_DOCUMENT"},
		{name: "the 104-byte JPEG claiming 65535×65535", content: evidencetest.HugeEmptyJPEG(), status: 400, code: "INVALID_DOCUMENT_FORMAT"},
		{name: "a PNG decompression bomb", content: evidencetest.PNGBomb(), status: 400, code: "INVALID_DOCUMENT_FORMAT"},
		{name: "a PNG+HTML polyglot", content: evidencetest.PNGHTMLPolyglot(), status: 400, code: "INVALID_DOCUMENT_FORMAT"},
		{name: "a PDF with JavaScript", content: evidencetest.PDFWithJavaScript(), status: 400, code: "INVALID_DOCUMENT_FORMAT"},
		{name: "a PDF with an embedded file", content: evidencetest.PDFWithEmbeddedFile(), status: 400, code: "INVALID_DOCUMENT_FORMAT"},
		{name: "a truncated JPEG", content: evidencetest.TruncatedJPEG(), status: 400, code: "INVALID_DOCUMENT_FORMAT"},
		{name: "a blurred scan", content: evidencetest.JPEG(evidencetest.Blur(page(evidencetest.PassportOptions{}), 6)), status: 422, code: "POOR_IMAGE_QUALITY"},
		{name: "a dark photo", content: evidencetest.JPEG(evidencetest.Darken(page(evidencetest.PassportOptions{}), 0.3)), status: 422, code: "POOR_IMAGE_QUALITY"},
		{name: "glare over the page", content: evidencetest.JPEG(evidencetest.Glare(page(evidencetest.PassportOptions{}))), status: 422, code: "POOR_IMAGE_QUALITY"},
		{name: "the MRZ cut off", content: evidencetest.JPEG(evidencetest.CropBottom(page(evidencetest.PassportOptions{}), 0.7)), status: 422, code: "POOR_IMAGE_QUALITY"},
		{name: "a bill sent as a passport", content: evidencetest.JPEG(evidencetest.BillImage(p.bill(time.Now().AddDate(0, 0, -5)))), status: 422, code: "POOR_IMAGE_QUALITY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			_, vr := h.onboarded(dt, tok, noCategory)
			meta := map[string]any{}
			for k, v := range declared {
				meta[k] = v
			}
			for k, v := range tc.meta {
				if v == nil {
					delete(meta, k)
				} else {
					meta[k] = v
				}
			}
			resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, upDoc{"IDENTITY_DOCUMENT", "PASSPORT", tc.content, meta}), nil)
			if tc.status != 0 {
				if resp.StatusCode != tc.status || errCode(out) != tc.code || !strings.HasPrefix(strings.Join(details(out), ""), "documents[0].") {
					t.Fatalf("%d %v; want %d %s on documents[0]", resp.StatusCode, out, tc.status, tc.code)
				}
				return
			}
			if resp.StatusCode != 200 {
				t.Fatalf("upload: %d %v", resp.StatusCode, out)
			}
			want := "PENDING_REVIEW"
			if tc.approved {
				want = "APPROVED"
			}
			st := h.waitStatus(dt, tok, vr, want)
			if !tc.approved && !slices.Contains(anyStrings(st["reasonsForReview"]), tc.reason) {
				t.Fatalf("reasons %v; want %s", st["reasonsForReview"], tc.reason)
			}
		})
	}
}

// A selfie of someone else goes to people, with the faces' similarity.
func TestKYCSelfieOfAnotherPerson(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	h.startJobs()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	_, vr := h.onboarded(dt, tok, func(m map[string]any) {
		noCategory(m)
		ic(m)["annualIncome"] = "300000" // MEDIUM: a selfie is required
	})
	other := exampleHolder()
	other.Face = 2
	resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, passport(t, nil), utilityBill(time.Now().AddDate(0, 0, -9)),
		upDoc{"SELFIE", "", selfieJPEG(t, other), nil}), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	st := h.waitStatus(dt, tok, vr, "PENDING_REVIEW")
	checks := st["checks"].(map[string]any)
	if checks["selfie"].(map[string]any)["status"] != "FAILED" || !slices.Contains(anyStrings(st["reasonsForReview"]), "CHECK_FAILED_SELFIE") {
		t.Fatalf("status %v; want the selfie FAILED", st)
	}
	if checks["identity"].(map[string]any)["status"] != "PASSED" || checks["address"].(map[string]any)["status"] != "PASSED" {
		t.Fatalf("the other checks %v; want them PASSED", checks)
	}
	_ = api.Prefix
}

// The other genuine documents the server reads: a scanned bill (OCR of a
// picture, not a text layer) proves the address, a driver's licence is
// read from its labelled fields; and a file sent again after the decision
// is still a duplicate.
func TestKYCScannedBillLicenceAndDuplicates(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	h.startJobs()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	p := exampleHolder()
	medium := func(m map[string]any) {
		noCategory(m)
		ic(m)["annualIncome"] = "300000" // MEDIUM: identity, proof of address and a selfie
	}

	t.Run("a scanned bill", func(t *testing.T) {
		_, vr := h.onboarded(dt, tok, medium)
		scan := evidencetest.JPEG(evidencetest.BillImage(p.bill(time.Now().AddDate(0, 0, -12))))
		resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, passport(t, nil), upDoc{"PROOF_OF_ADDRESS", "UTILITY_BILL", scan, nil}, selfie(t)), nil)
		if resp.StatusCode != 200 {
			t.Fatalf("upload: %d %v", resp.StatusCode, out)
		}
		if poa := out["data"].(map[string]any)["processingDetails"].(map[string]any)["proofOfAddress"].(map[string]any); poa["status"] != "VALIDATED" {
			t.Fatalf("the scanned bill: %v", poa)
		}
		st := h.waitStatus(dt, tok, vr, "APPROVED")
		if a := st["checks"].(map[string]any)["address"].(map[string]any); a["status"] != "PASSED" || a["verified"] != true {
			t.Fatalf("address check %v", a)
		}
	})

	t.Run("an old bill declared recent", func(t *testing.T) {
		// The printed date decides the bill's age, not the declared one.
		_, vr := h.onboarded(dt, tok, medium)
		old := billPDF(p, time.Now().AddDate(0, 0, -200))
		recent := map[string]any{"issueDate": time.Now().AddDate(0, 0, -10).Format(time.DateOnly)}
		resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, passport(t, nil), upDoc{"PROOF_OF_ADDRESS", "UTILITY_BILL", old, recent}, selfie(t)), nil)
		if resp.StatusCode != 200 {
			t.Fatalf("upload: %d %v", resp.StatusCode, out)
		}
		if poa := out["data"].(map[string]any)["processingDetails"].(map[string]any)["proofOfAddress"].(map[string]any); poa["addressVerified"] != false {
			t.Fatalf("a bill printed 200 days ago: %v", poa)
		}
		st := h.waitStatus(dt, tok, vr, "PENDING_REVIEW")
		if !slices.Contains(anyStrings(st["reasonsForReview"]), "CHECK_FAILED_ADDRESS") {
			t.Fatalf("reasons %v; want CHECK_FAILED_ADDRESS", st["reasonsForReview"])
		}
	})

	t.Run("a driver's licence", func(t *testing.T) {
		_, vr := h.onboarded(dt, tok, noCategory)
		lic := evidencetest.JPEG(evidencetest.DriverLicence(p.person()))
		resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, upDoc{"IDENTITY_DOCUMENT", "DRIVERS_LICENSE", lic, nil}), nil)
		if resp.StatusCode != 200 {
			t.Fatalf("upload: %d %v", resp.StatusCode, out)
		}
		id := out["data"].(map[string]any)["processingDetails"].(map[string]any)["identityDocument"].(map[string]any)
		if id["status"] != "VALIDATED" || id["extractedData"].(map[string]any)["dateOfBirth"] != "1990-05-15" {
			t.Fatalf("the licence as read: %v", id)
		}
		h.waitStatus(dt, tok, vr, "APPROVED")
	})

	t.Run("the same file after the decision", func(t *testing.T) {
		_, vr := h.onboarded(dt, tok, noCategory)
		if resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, passport(t, nil)), nil); resp.StatusCode != 200 {
			t.Fatalf("upload: %d %v", resp.StatusCode, out)
		}
		h.waitStatus(dt, tok, vr, "APPROVED")
		resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, passport(t, nil)), nil)
		if resp.StatusCode != 409 || errCode(out) != "DUPLICATE_UPLOAD" {
			t.Fatalf("the same passport after approval: %d %v; want 409 DUPLICATE_UPLOAD", resp.StatusCode, out)
		}
	})
}

// Without face models a required selfie is never passed: the verification
// goes to people.
func TestKYCWithoutFaceModels(t *testing.T) {
	h := newHarness(t)
	h.s.KYC.Faces, h.s.KYC.FacesUnavailable = nil, "node is not installed" // before any job runs
	dt := h.demoTenant()
	h.startJobs()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	_, vr := h.onboarded(dt, tok, func(m map[string]any) {
		noCategory(m)
		ic(m)["annualIncome"] = "300000" // MEDIUM: a selfie is required
	})
	resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, passport(t, nil), utilityBill(time.Now().AddDate(0, 0, -4)), selfie(t)), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	st := h.waitStatus(dt, tok, vr, "PENDING_REVIEW")
	if s := st["checks"].(map[string]any)["selfie"].(map[string]any); s["status"] != "NOT_CHECKED" || !slices.Contains(anyStrings(st["reasonsForReview"]), "SELFIE_NOT_CHECKED") {
		t.Fatalf("selfie %v, reasons %v; want NOT_CHECKED and people", s, st["reasonsForReview"])
	}
}
