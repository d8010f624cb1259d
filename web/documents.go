package web

import (
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/ciamhq/ciam/internal/kyc"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/views/components"
	"github.com/ciamhq/ciam/views/documents"
)

var subTypeLabels = map[string]string{
	"PASSPORT": "Passport", "NATIONAL_ID": "National identity card", "DRIVERS_LICENSE": "Driver's licence",
	"UTILITY_BILL": "Utility bill", "BANK_STATEMENT": "Bank statement",
}

var typeLabels = map[string]string{
	"IDENTITY_DOCUMENT": "Identity document", "PROOF_OF_ADDRESS": "Proof of address", "SELFIE": "Selfie",
	"SOURCE_OF_FUNDS": "Source of funds",
}

// docLabel names a document as people do: "Passport", "Utility bill",
// "Source of funds (payslip)".
func docLabel(d kyc.DocumentInfo) string {
	if l, ok := subTypeLabels[d.SubType]; ok {
		return l
	}
	l, ok := typeLabels[d.Type]
	if !ok {
		l = humanise(d.Type)
	}
	if d.SubType != "" {
		l += " (" + strings.ToLower(humanise(d.SubType)) + ")"
	}
	return l
}

// docFacts is a document's format in a few words.
func docFacts(d kyc.DocumentInfo) string {
	kind := map[string]string{"image/jpeg": "JPEG", "image/png": "PNG", "application/pdf": "PDF"}[d.MIME]
	if kind == "" {
		kind = d.MIME
	}
	parts := []string{kind}
	if d.Width > 0 {
		parts = append(parts, fmt.Sprintf("%d×%d px", d.Width, d.Height))
	}
	if d.Pages > 0 {
		unit := "pages"
		if d.Pages == 1 {
			unit = "page"
		}
		parts = append(parts, fmt.Sprintf("%d %s", d.Pages, unit))
	}
	size := fmt.Sprintf("%d KB", (d.SizeBytes+1023)/1024)
	if d.SizeBytes >= 1<<20 {
		size = fmt.Sprintf("%.1f MB", float64(d.SizeBytes)/(1<<20))
	}
	return strings.Join(append(parts, size), " · ")
}

// docMetadata is what the customer app said about a document.
func docMetadata(d kyc.DocumentInfo) []components.KV {
	m := d.Metadata
	var out []components.KV
	add := func(k, v string) {
		if strings.TrimSpace(v) != "" {
			out = append(out, components.KV{Key: k, Value: v})
		}
	}
	add("Document number", m.DocumentNumber)
	add("Issuing country", m.IssuingCountry)
	add("Issue date", m.IssueDate)
	add("Expiry date", m.ExpiryDate)
	add("Issuer", m.Issuer)
	add("Address as declared", m.Address.String())
	add("Machine-readable zone", m.MRZ)
	return out
}

func (s *server) handleDocumentView() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := pathID(r, "id", "document")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		doc, v, err := s.KYC.DocumentView(r.Context(), emp.TenantID, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, err := s.Customers.Get(r.Context(), emp.TenantID, v.CustomerID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		view := documents.Viewer{ID: doc.ID.String(), Title: docLabel(doc), ContentURL: "/documents/" + doc.ID.String() + "/content",
			FileName: orDash(doc.FileName), Facts: docFacts(doc), Status: doc.Status, Uploaded: doc.CreatedAt,
			IsImage: strings.HasPrefix(doc.MIME, "image/"), IsPDF: doc.MIME == "application/pdf", CustomerName: c.FullName(),
			Metadata: docMetadata(doc), Extracted: evidenceRows("", doc.Metadata.ExtractedData), Loc: t.Location(), Now: s.Now()}
		if emp.Can(staff.PermReviewsRead) {
			view.ReviewURL = "/reviews/" + v.ID.String()
		}
		names := docNames(v.Documents)
		for _, c := range sortedChecks(v.ChecksUsing(doc.ID)) {
			view.Checks = append(view.Checks, checkView(c, names))
		}
		s.page(w, r, http.StatusOK, view.Title+" · "+c.FullName(), "reviews", documents.ViewerPage(view))
	})
}

// Content-Security-Policy of a document's bytes. An image is sandboxed
// outright. Chromium refuses to run its PDF viewer in a sandboxed
// document, so a PDF instead gets a policy that loads nothing from
// anywhere and runs no script; both may be framed by the portal only.
const (
	imageDocumentCSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"
	pdfDocumentCSP   = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; object-src 'self'; script-src 'none'; frame-ancestors 'self'"
)

// handleDocumentContent serves a document's bytes for the viewer,
// streamed a chunk at a time. Every request is an audited view
// (kyc.OpenTo). The type is the one the bytes were judged to be at
// upload, and the browser may not guess another.
func (s *server) handleDocumentContent() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := pathID(r, "id", "document")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		doc, err := s.KYC.Document(r.Context(), emp.TenantID, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		h := w.Header()
		docHeaders := map[string]string{
			"Content-Type":                 doc.MIME,
			"Content-Length":               strconv.FormatInt(doc.SizeBytes, 10),
			"Content-Disposition":          contentDisposition(doc),
			"X-Content-Type-Options":       "nosniff",
			"Cache-Control":                "no-store, private",
			"Cross-Origin-Resource-Policy": "same-origin",
			"Referrer-Policy":              "no-referrer",
			"X-Frame-Options":              "SAMEORIGIN",
			"Content-Security-Policy":      imageDocumentCSP,
		}
		if doc.MIME == "application/pdf" {
			docHeaders["Content-Security-Policy"] = pdfDocumentCSP
		}
		portal := http.Header{} // the portal's own values, for an error page
		for k, v := range docHeaders {
			portal[k] = h.Values(k)
			h.Set(k, v)
		}
		cw := &countingWriter{w: w}
		if _, err := s.KYC.OpenTo(r.Context(), emp.TenantID, id, cw); err != nil {
			if cw.n > 0 {
				// Too late for an error page: the client sees a short body.
				s.Logger.ErrorContext(r.Context(), "document content", slog.Any("error", err), slog.String("document", id.String()))
				return
			}
			for k := range docHeaders {
				h.Del(k)
				for _, v := range portal[k] {
					h.Add(k, v)
				}
			}
			s.fail(w, r, err)
		}
	})
}

// countingWriter counts what reached the client.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// contentDisposition shows a document inline under a safe file name: the
// uploaded name's base, or one made from its type, with the extension of
// its real format.
func contentDisposition(d kyc.DocumentInfo) string {
	ext := map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}[d.MIME]
	name := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`"\/:*?<>|`, r) {
			return '_'
		}
		return r
	}, path.Base(strings.ReplaceAll(d.FileName, "\\", "/")))
	name = strings.TrimSpace(strings.TrimSuffix(name, path.Ext(name)))
	if name == "" || name == "." || name == "_" {
		name = strings.ToLower(d.Type) + "-" + d.ID.String()[:8]
	}
	if r := []rune(name); len(r) > 100 {
		name = string(r[:100])
	}
	if v := mime.FormatMediaType("inline", map[string]string{"filename": name + ext}); v != "" {
		return v
	}
	return `inline; filename="document` + ext + `"`
}
