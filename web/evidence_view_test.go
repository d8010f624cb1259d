package web

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
	"github.com/ciamhq/ciam/web/api"
)

// waitChecked waits until the checks of verification vr are done and
// returns its status, whichever it is.
func (h *harness) waitChecked(t tenant.Tenant, tok, vr string) string {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, st := h.apiCall("GET", api.Prefix+"/verification/status/"+vr, t.Slug, tok, "", nil)
		data, _ := st["data"].(map[string]any)
		if data["checksState"] == "DONE" && data["status"] != "DOCUMENTS_RECEIVED" {
			return fmt.Sprint(data["status"])
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("verification %s: %v; want its checks done", vr, st)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// page fetches path and answers its body and document.
func (h *harness) page(path string, c *http.Cookie) (int, string, *goquery.Document) {
	h.t.Helper()
	resp := h.get(path, c)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	d, err := goquery.NewDocumentFromReader(strings.NewReader(string(raw)))
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, string(raw), d
}

// guideCustomerDocuments registers guide 001's standard customer in the
// demo tenant, uploads their rendered passport, bill and selfie, waits for
// the checks and answers the verification and the documents' ids by type.
func (h *harness) guideCustomerDocuments(t *testing.T) (tenant.Tenant, string, map[string]string) {
	t.Helper()
	dt := h.demoTenant()
	h.startJobs()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeCustomersRead, credential.ScopeVerificationWrite, credential.ScopeVerificationReview)
	body, _ := standardRegistration(t)
	resp, out := h.apiCall("POST", registerPath, dt.Slug, tok, body, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("register: %d %v", resp.StatusCode, out)
	}
	vr := out["data"].(map[string]any)["verificationRequestId"].(string)
	p := guideHolder()
	if status, up := h.rawCall("POST", uploadPath, dt, tok, guideUpload(t, vr, p, true)); status != 200 {
		t.Fatalf("upload: %d %v", status, up)
	}
	h.moreDocuments(dt, tok, vr, upDoc{"SELFIE", "", selfieJPEG(t, p), nil})
	if st := h.waitChecked(dt, tok, vr); st != "APPROVED" && st != "PENDING_REVIEW" {
		t.Fatalf("status %s; want APPROVED or PENDING_REVIEW", st)
	}
	c := h.cookieFor(h.employeeOf(dt.ID, staff.SeniorReviewer))
	_, _, d := h.page("/reviews/"+vr, c)
	ids := map[string]string{}
	d.Find(`[data-testid="documents-beside"] [data-testid="document-thumb"]`).Each(func(_ int, s *goquerySelection) {
		ids[strings.TrimSpace(s.Find("figcaption .font-medium").Text())] = s.AttrOr("data-id", "")
	})
	for _, want := range []string{"Passport", "Utility bill", "Selfie"} {
		if ids[want] == "" {
			t.Fatalf("no thumbnail of the %s beside the registration: %v", want, ids)
		}
	}
	return dt, vr, ids
}

func TestEvidenceDocumentViewer(t *testing.T) {
	h := newHarness(t)
	dt, _, ids := h.guideCustomerDocuments(t)
	senior := h.cookieFor(h.employeeOf(dt.ID, staff.SeniorReviewer))
	passport := ids["Passport"]
	_, body, v := h.page("/documents/"+passport, senior)

	// The MRZ, with every check digit agreeing, as text.
	if lines := text(v, `[data-testid="mrz-lines"]`); !strings.Contains(lines, "P<USADOE<<JOHN<ROBERT") || !strings.Contains(lines, "AB1234567") {
		t.Errorf("MRZ lines %q", lines)
	}
	checks := v.Find(`[data-testid="mrz-check"]`)
	if checks.Length() < 4 {
		t.Fatalf("%d check digits listed; want every one of the TD3's", checks.Length())
	}
	checks.Each(func(_ int, s *goquerySelection) {
		cells := s.Find("td")
		if s.AttrOr("data-valid", "") != "true" || cells.Eq(0).Text() != cells.Eq(1).Text() || !strings.Contains(s.Text(), "✓ agrees") {
			t.Errorf("check digit row %q (valid %s)", s.Text(), s.AttrOr("data-valid", ""))
		}
	})
	if got, want := text(v, `[data-testid="mrz-summary"]`), fmt.Sprintf("✓ %d of %d check digits agree", checks.Length(), checks.Length()); got != want {
		t.Errorf("MRZ summary %q; want %q", got, want)
	}
	if !strings.Contains(text(v, `[data-testid="mrz-check"]:first-child`), "Document number") {
		t.Errorf("first check digit row %q", text(v, `[data-testid="mrz-check"]:first-child`))
	}

	// Each quality figure against its threshold.
	rows := map[string]string{}
	v.Find(`[data-testid="quality-row"]`).Each(func(_ int, s *goquerySelection) {
		rows[s.AttrOr("data-figure", "")] = strings.Join(strings.Fields(s.Text()), " ")
		if s.AttrOr("data-pass", "") != "true" {
			t.Errorf("quality row fails on a good passport: %q", s.Text())
		}
	})
	for fig, want := range map[string]string{"Sharpness": "at least 60", "Glare": "at most 3 %", "Brightness": "between 80 and 240",
		"Resolution": "at least 600 px on the shorter side", "Framing": "at least 45 %"} {
		if !strings.Contains(rows[fig], want) || !strings.Contains(rows[fig], "✓ passes") {
			t.Errorf("quality %s: %q; want %q and a pass", fig, rows[fig], want)
		}
	}

	// The boxes, over the image in its own pixels.
	img := v.Find(`[data-testid="viewer-image"]`)
	frame := img.Parent()
	if _, ok := frame.Attr("data-viewer-img"); !ok {
		t.Fatal("the image and its boxes are not in one frame the viewer zooms and turns")
	}
	svg := frame.Find(`svg[data-testid="image-boxes"]`)
	var w, hgt int
	if _, err := fmt.Sscanf(svg.AttrOr("viewBox", ""), "0 0 %d %d", &w, &hgt); err != nil || w < 600 || hgt < 600 {
		t.Fatalf("overlay viewBox %q", svg.AttrOr("viewBox", ""))
	}
	if !strings.Contains(text(v, `[data-testid="document-metadata"]`), fmt.Sprintf("%d×%d px", w, hgt)) {
		t.Errorf("the viewBox %d×%d is not the image's size: %q", w, hgt, text(v, `[data-testid="document-metadata"]`))
	}
	var x, y, bw, bh int
	mrz := svg.Find(`[data-testid="box-mrz"]`)
	if _, err := fmt.Sscanf(mrz.AttrOr("data-box", ""), "%d,%d,%d,%d", &x, &y, &bw, &bh); err != nil || y < hgt/2 || x+bw > w || y+bh > hgt || bw < w/2 {
		t.Errorf("MRZ box %q on a %d×%d page; want the bottom band", mrz.AttrOr("data-box", ""), w, hgt)
	}
	if svg.Find(`[data-testid="box-face"]`).Length() != 1 {
		t.Errorf("the ID photo's face is not boxed: %d face boxes", svg.Find(`[data-testid="box-face"]`).Length())
	}
	if lg := text(v, `[data-testid="box-legend"]`); !strings.Contains(lg, "MRZ") || !strings.Contains(lg, "Face") {
		t.Errorf("box legend %q", lg)
	}

	// The OCR text, per page; what was read beside what was declared.
	if pages := v.Find(`[data-testid="ocr-page"]`); pages.Length() != 1 || !strings.Contains(pages.Find(`[data-testid="ocr-text"]`).Text(), "DOE") {
		t.Errorf("OCR pages: %d, text %q", pages.Length(), pages.Text())
	}
	if rd := text(v, `[data-testid="document-read"]`); !strings.Contains(rd, "DOE") || !strings.Contains(rd, "1990-05-15") || !strings.Contains(rd, "AB1234567") {
		t.Errorf("read from the document %q", rd)
	}
	if sg := text(v, `[data-testid="signals"]`); !strings.Contains(sg, "No sign of editing") {
		t.Errorf("signals %q", sg)
	}
	if !strings.Contains(body, "AB1234567") {
		t.Error("a senior reviewer, who may reveal customers' values, sees no document number")
	}

	// An analyst sees masked values elsewhere, so no document number here.
	analyst := h.cookieFor(h.employeeOf(dt.ID, staff.Analyst))
	_, abody, av := h.page("/documents/"+passport, analyst)
	if strings.Contains(abody, "AB1234567") {
		t.Error("the document number is shown unmasked to an analyst")
	}
	if lines := text(av, `[data-testid="mrz-lines"]`); !strings.Contains(lines, "•••••4567") || !strings.Contains(lines, "P<USADOE<<JOHN<ROBERT") {
		t.Errorf("analyst's MRZ lines %q", lines)
	}
	if av.Find(`[data-testid="mrz-check"]`).Length() != checks.Length() {
		t.Error("the analyst does not see the check digits")
	}

	// The bill: a PDF with a text layer, read without an image.
	_, _, bv := h.page("/documents/"+ids["Utility bill"], senior)
	if rd := text(bv, `[data-testid="document-read"]`); !strings.Contains(rd, "JOHN DOE") || !strings.Contains(rd, "123 Main Street") {
		t.Errorf("bill read %q", rd)
	}
	if q := text(bv, `[data-testid="quality"]`); !strings.Contains(q, "Not measured") {
		t.Errorf("bill quality %q", q)
	}
	if bv.Find(`[data-testid="mrz"]`).Length() != 0 || !strings.Contains(text(bv, `[data-testid="ocr-page"]`), "the PDF's own text") {
		t.Errorf("bill evidence %q", text(bv, `[data-testid="document-evidence"]`))
	}

	// The selfie: its face boxed, its quality held to a selfie's limits.
	_, _, sv := h.page("/documents/"+ids["Selfie"], senior)
	if sv.Find(`[data-testid="image-boxes"] [data-testid="box-face"]`).Length() != 1 || sv.Find(`[data-testid="box-mrz"]`).Length() != 0 {
		t.Errorf("selfie boxes %q", text(sv, `[data-testid="box-legend"]`))
	}
	if f := text(sv, `[data-testid="quality-row"][data-figure="Framing"]`); !strings.Contains(f, "not applied") {
		t.Errorf("selfie framing %q", f)
	}

	// Another tenant's employee gets no document, nor its evidence.
	_, other := h.signIn(staff.SeniorReviewer)
	for _, path := range []string{"/documents/" + passport, "/documents/" + passport + "/content"} {
		if code, b, _ := h.page(path, other); code != 404 || strings.Contains(b, "AB1234567") {
			t.Errorf("%s from another tenant: %d", path, code)
		}
	}
}

func TestEvidenceReviewDetail(t *testing.T) {
	h := newHarness(t)
	dt, vr, ids := h.guideCustomerDocuments(t)
	senior := h.cookieFor(h.employeeOf(dt.ID, staff.SeniorReviewer))
	_, body, d := h.page("/reviews/"+vr, senior)

	findings := func(kind string) string {
		return strings.Join(strings.Fields(d.Find(`[data-testid="check-`+kind+`"] [data-testid="findings"]`).Text()), " ")
	}
	id := findings("IDENTITY")
	for _, want := range []string{"Read from the machine-readable zone", "MRZ check digits: 5 of 5 agree",
		"Name on document: JOHN ROBERT DOE — registered: John Robert Doe — match 100 of 100", "Date of birth on document: 1990-05-15 — registered: 1990-05-15",
		"Image quality: every figure within its threshold", "No failure"} {
		if !strings.Contains(id, want) {
			t.Errorf("identity findings lack %q: %q", want, id)
		}
	}
	if addr := findings("ADDRESS"); !strings.Contains(addr, "Holder on document: JOHN DOE — registered: John Robert Doe") ||
		!strings.Contains(addr, "Address on document: 123 Main Street") || !strings.Contains(addr, "match 100 of 100") {
		t.Errorf("address findings %q", addr)
	}
	sel := findings("SELFIE")
	if !strings.Contains(sel, "Faces found: 1 on the selfie, 1 on the ID photo") || !strings.Contains(sel, "of 100 (same person above 50)") {
		t.Errorf("selfie findings %q", sel)
	}
	var sim int
	if i := strings.Index(sel, "Face similarity "); i < 0 {
		t.Fatalf("no face similarity: %q", sel)
	} else if _, err := fmt.Sscanf(sel[i:], "Face similarity %d of 100", &sim); err != nil || sim <= 50 {
		t.Errorf("face similarity %d (%v) for the same person", sim, err)
	}
	// Marks are text, not only colour.
	d.Find(`[data-testid="finding"][data-tone="good"]`).Each(func(_ int, s *goquerySelection) {
		if !strings.HasPrefix(strings.TrimSpace(s.Text()), "✓") {
			t.Errorf("a passing finding without its mark: %q", s.Text())
		}
	})

	// Every document beside the registration; the selfie beside the ID
	// photo, each with its face boxed.
	beside := d.Find(`[data-testid="documents-beside"]`)
	if reg := strings.TrimSpace(beside.Find(`[data-testid="registered"]`).Text()); !strings.Contains(reg, "John Robert Doe") || !strings.Contains(reg, "1990-05-15") {
		t.Errorf("registration beside the documents %q", reg)
	}
	if n := beside.Find(`[data-testid="document-thumb"]`).Length(); n != 3 {
		t.Errorf("%d thumbnails; want the passport, the bill and the selfie", n)
	}
	if src := beside.Find(`[data-testid="document-thumb"][data-id="`+ids["Passport"]+`"] img`).AttrOr("src", ""); src != "/documents/"+ids["Passport"]+"/content" {
		t.Errorf("passport thumbnail src %q", src)
	}
	if sn := beside.Find(`[data-testid="document-thumb"][data-id="` + ids["Utility bill"] + `"]`).Text(); !strings.Contains(sn, "NYC POWER COMPANY") {
		t.Errorf("the bill's thumbnail shows no text read from it: %q", sn)
	}
	pair := d.Find(`[data-testid="face-comparison"] [data-testid="document-thumb"]`)
	if pair.Length() != 2 || pair.Eq(0).AttrOr("data-id", "") != ids["Selfie"] || pair.Eq(1).AttrOr("data-id", "") != ids["Passport"] {
		t.Fatalf("selfie beside ID photo: %d thumbnails", pair.Length())
	}
	pair.Each(func(_ int, s *goquerySelection) {
		if s.Find(`svg[data-testid="image-boxes"] [data-testid="box-face"]`).Length() != 1 {
			t.Errorf("no face box on %s", s.AttrOr("data-id", ""))
		}
	})
	if v := text(d, `[data-testid="face-verdict"]`); !strings.HasPrefix(v, "✓ Face similarity") {
		t.Errorf("face verdict %q", v)
	}
	// The comparison now shows what was read.
	if cmp := text(d, `[data-testid="comparison"]`); !strings.Contains(cmp, "JOHN ROBERT DOE") || !strings.Contains(cmp, "as read") {
		t.Errorf("comparison %q", cmp)
	}
	if !strings.Contains(body, "AB1234567") {
		t.Error("a senior reviewer sees no document number")
	}

	// An analyst: the same page, the document number masked everywhere.
	_, abody, ad := h.page("/reviews/"+vr, h.cookieFor(h.employeeOf(dt.ID, staff.Analyst)))
	if strings.Contains(abody, "AB1234567") {
		t.Error("the review page shows an analyst the document number")
	}
	if !strings.Contains(text(ad, `[data-testid="comparison"]`), "•••• 4567") {
		t.Errorf("analyst's comparison %q", text(ad, `[data-testid="comparison"]`))
	}
	if ad.Find(`[data-testid="face-comparison"]`).Length() != 1 {
		t.Error("the analyst does not see the faces compared")
	}
}

func TestEvidenceUnreadDocument(t *testing.T) {
	h := newHarness(t)
	h.s.KYC.Reader = nil // documents are judged, not read
	h.startJobs()
	tok := h.reviewToken()
	_, vr := h.onboarded(h.tenant, tok, noCategory)
	up := upDoc{"IDENTITY_DOCUMENT", "PASSPORT", passportJPEG(t, guideHolder()), nil}
	if resp, out := h.apiCall("POST", uploadPath, h.tenant.Slug, tok, uploadBody(vr, up), nil); resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	h.waitChecked(h.tenant, tok, vr)
	_, c := h.signIn(staff.SeniorReviewer)
	_, _, d := h.page("/reviews/"+vr, c)
	id := d.Find(`[data-testid="document-thumb"]`).AttrOr("data-id", "")
	if id == "" || !strings.Contains(text(d, `[data-testid="document-thumb"]`), "Nothing was read from it") {
		t.Fatalf("thumbnail of the unread passport %q", text(d, `[data-testid="documents-beside"]`))
	}
	_, _, v := h.page("/documents/"+id, c)
	if got := text(v, `[data-testid="evidence-empty"]`); !strings.HasPrefix(got, "Nothing was read from this document (") || !strings.Contains(got, "not read on this server") {
		t.Errorf("empty state %q", got)
	}
	if v.Find(`[data-testid="mrz"], [data-testid="quality-row"], [data-testid="image-boxes"]`).Length() != 0 {
		t.Error("an unread document shows evidence")
	}
	if v.Find(`[data-testid="viewer-image"]`).Length() != 1 {
		t.Error("the unread document's image is not shown")
	}
	if got := text(v, `[data-testid="document-read"]`); !strings.Contains(got, "Nothing was read from this document") {
		t.Errorf("read section %q", got)
	}
}
