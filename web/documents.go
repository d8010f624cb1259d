package web

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/evidence"
	"github.com/ciamhq/ciam/internal/evidence/face"
	"github.com/ciamhq/ciam/internal/kyc"
	"github.com/ciamhq/ciam/internal/pii"
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
		ev, err := s.KYC.DocumentEvidence(r.Context(), emp.TenantID, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		used := v.ChecksUsing(doc.ID)
		mask := newDocMask(piiView(emp), c)
		mask.learn(doc, ev)
		mask.learnChecks(used)
		view := documents.Viewer{ID: doc.ID.String(), Title: docLabel(doc), ContentURL: "/documents/" + doc.ID.String() + "/content",
			FileName: orDash(doc.FileName), Facts: docFacts(doc), Status: doc.Status, Uploaded: doc.CreatedAt,
			IsImage: strings.HasPrefix(doc.MIME, "image/"), IsPDF: doc.MIME == "application/pdf", CustomerName: c.FullName(),
			Metadata: mask.kvs(docMetadata(doc)), Extracted: mask.kvs(evidenceRows("", doc.Metadata.ExtractedData)),
			Evidence: evidenceView(ev, unreadReason(used, doc.ID), mask), Loc: t.Location(), Now: s.Now()}
		view.Figure = figureOf(doc, ev, facesOf(v.Checks).on(doc.ID.String()), view.Title+" of "+c.FullName())
		if emp.Can(staff.PermReviewsRead) {
			view.ReviewURL = "/reviews/" + v.ID.String()
		}
		names := docNames(v.Documents)
		for _, c := range sortedChecks(used) {
			view.Checks = append(view.Checks, mask.check(checkView(c, names)))
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

// docMask masks, on the pages about a customer's documents, the values
// the employee may not see (internal/pii decides): the customer's own and
// those the documents carry (numbers, dates of birth, personal numbers,
// addresses), wherever they appear — the MRZ, the OCR text, the checks'
// evidence. A docMask of a view that sees everything changes nothing.
type docMask struct{ t *pii.Text }

// newDocMask masks as seen shows c's values and those of its wallets.
func newDocMask(seen pii.View, c customer.Customer, wallets ...customer.Wallet) *docMask {
	return &docMask{t: customerText(seen, c, wallets...)}
}

// learn adds the values a document's evidence and metadata carry.
func (m *docMask) learn(d kyc.DocumentInfo, ev *evidence.Evidence) {
	md := d.Metadata
	m.t.Learn(pii.DocumentNumber, md.DocumentNumber, extracted(md.ExtractedData, "documentNumber"))
	m.t.Learn(pii.DateOfBirth, extracted(md.ExtractedData, "dateOfBirth"))
	m.t.Learn(pii.Address, md.Address.String(), extracted(md.ExtractedData, "address"))
	if ev == nil {
		return
	}
	if ev.MRZ != nil {
		m.t.Learn(pii.DocumentNumber, ev.MRZ.DocumentNumber)
		m.t.Learn(pii.NationalID, ev.MRZ.OptionalData)
		if !ev.MRZ.DateOfBirth.IsZero() {
			m.t.Learn(pii.DateOfBirth, ev.MRZ.DateOfBirth.Format(time.DateOnly))
		}
	}
	m.t.Learn(pii.DocumentNumber, ev.VisualZone.DocumentNumber)
	if ev.Address != nil {
		m.t.Learn(pii.Address, ev.Address.AddressLines...)
	}
}

// learnChecks adds the values the checks' evidence carries.
func (m *docMask) learnChecks(cs []kyc.StoredCheck) {
	for _, c := range cs {
		if n, ok := c.Evidence["documentNumber"].(string); ok {
			m.t.Learn(pii.DocumentNumber, n)
		}
		if read, ok := c.Evidence["read"].(map[string]any); ok {
			m.t.Learn(pii.DocumentNumber, extracted(read, "documentNumber"))
			m.t.Learn(pii.DateOfBirth, extracted(read, "dateOfBirth"))
		}
		m.t.Learn(pii.Address, words(c.Evidence["addressOnDocument"])...)
	}
}

// text masks every known value in s ("•••• 4567" for a number).
func (m *docMask) text(s string) string { return m.t.Mask(s) }

// fixed masks every known value in s keeping its length, for the MRZ's
// columns: "•••••4567".
func (m *docMask) fixed(s string) string { return m.t.Fixed(s) }

// kvs masks the values of labelled lines.
func (m *docMask) kvs(items []components.KV) []components.KV {
	out := make([]components.KV, len(items))
	for i, it := range items {
		out[i] = components.KV{Key: it.Key, Value: m.text(it.Value)}
	}
	return out
}

// check masks a check's evidence.
func (m *docMask) check(c components.Check) components.Check {
	c.Evidence = m.kvs(c.Evidence)
	c.Raw = m.text(c.Raw)
	return c
}

// unreadReason is why nothing was read from document id, from the checks
// that looked at it.
func unreadReason(checks []kyc.StoredCheck, id uuid.UUID) string {
	for _, c := range checks {
		if c.Evidence["documentId"] != id.String() {
			continue
		}
		if r, ok := c.Evidence["reason"].(string); ok && r != "" {
			return r
		}
	}
	return "the server kept no reading of it: it was uploaded while documents were not read, or reading it failed"
}

var checkFieldLabels = map[string]string{
	evidence.CheckDocumentNumber: "Document number", evidence.CheckDateOfBirth: "Date of birth",
	evidence.CheckExpiry: "Expiry date", evidence.CheckOptionalData: "Optional data", evidence.CheckComposite: "Composite (the whole line)",
}

var signalWords = map[string]string{
	evidence.SignalEditedWithSoftware: "Edited with software: the file's metadata names an image or PDF editor",
	evidence.SignalPDFModified:        "The PDF was saved again after it was made",
	evidence.SignalPDFEncrypted:       "The PDF is encrypted",
	evidence.SignalMRZCheckDigit:      "A check digit of the machine-readable zone does not agree with its field",
	evidence.SignalTrailingPadding:    "The image has padding bytes after its end",
}

var sourceWords = map[string]string{evidence.SourceOCR: "OCR", evidence.SourceTextLayer: "the PDF's own text"}

// evidenceView is what the viewer shows of ev; unread is why nothing was
// read when ev is nil.
func evidenceView(ev *evidence.Evidence, unread string, m *docMask) documents.Evidence {
	if ev == nil {
		return documents.Evidence{Empty: "Nothing was read from this document (" + unread + ")."}
	}
	e := documents.Evidence{Read: true}
	pages := "1 page"
	if len(ev.Pages) != 1 {
		pages = strconv.Itoa(len(ev.Pages)) + " pages"
	}
	e.Summary = pages + " · read in " + ev.Duration.Round(10*time.Millisecond).String()
	for _, p := range ev.Pages {
		how := sourceWords[p.Source]
		if how == "" {
			how = p.Source
		}
		if p.Source == evidence.SourceOCR {
			how += fmt.Sprintf(", confidence %.0f %%", p.Confidence)
		}
		e.Pages = append(e.Pages, documents.Page{Number: p.Number, How: how, Text: m.text(p.Text)})
	}
	if mz := ev.MRZ; mz != nil {
		v := &documents.MRZ{Format: mz.Format}
		for _, l := range mz.Lines {
			v.Lines = append(v.Lines, m.fixed(l))
		}
		for _, c := range mz.Checks {
			label := checkFieldLabels[c.Field]
			if label == "" {
				label = humanise(c.Field)
			}
			v.Checks = append(v.Checks, documents.DigitCheck{Field: label, Expected: c.Expected, Found: c.Found, OK: c.Valid})
			if c.Valid {
				v.Agree++
			}
		}
		e.MRZ = v
	}
	e.Fields = m.kvs(readFields(ev))
	if q := ev.Quality; q != nil {
		e.Quality = qualityRows(*q, ev.Kind)
	} else {
		e.QualityNote = "Not measured: the PDF has its own text, so no image of it was read."
	}
	for _, sg := range ev.Signals {
		w := signalWords[sg.Code]
		if w == "" {
			w = humanise(sg.Code)
		}
		e.Signals = append(e.Signals, documents.Signal{Code: sg.Code, Words: w, Detail: m.text(sg.Detail)})
	}
	return e
}

func dateText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// readFields are the facts read from the document: its MRZ's fields, its
// labelled visual zone's, or a bill's holder, address and date.
func readFields(ev *evidence.Evidence) []components.KV {
	var out []components.KV
	add := func(k, v string) {
		if strings.TrimSpace(v) != "" {
			out = append(out, components.KV{Key: k, Value: v})
		}
	}
	if mz := ev.MRZ; mz != nil {
		add("Surname", mz.Surname)
		add("Given names", mz.GivenNames)
		add("Document number", mz.DocumentNumber)
		add("Nationality", mz.Nationality)
		add("Issuing state", mz.IssuingState)
		add("Date of birth", dateText(mz.DateOfBirth))
		add("Sex", mz.Sex)
		add("Expiry date", dateText(mz.Expiry))
		if len(ev.VisualZoneMissing) > 0 {
			add("Not on the printed page", strings.Join(ev.VisualZoneMissing, ", "))
		}
	}
	vz := ev.VisualZone
	add("Name (printed)", vz.Name())
	add("Document number (printed)", vz.DocumentNumber)
	add("Date of birth (printed)", dateText(vz.DateOfBirth))
	add("Expiry date (printed)", dateText(vz.Expiry))
	if a := ev.Address; a != nil {
		add("Holder", a.Name)
		add("Address", strings.Join(a.AddressLines, ", "))
		issued := dateText(a.IssueDate)
		if issued != "" && a.IssueDateText != "" && a.IssueDateText != issued {
			issued += " (printed “" + a.IssueDateText + "”)"
		}
		add("Issue date", issued)
	}
	if len(out) == 0 {
		out = append(out, components.KV{Key: "Fields", Value: "none recognised in the text"})
	}
	return out
}

// qualityRows holds each quality figure against the threshold of its
// kind of document; whether it passes is the reading's own verdict
// (QualityReport.Failed).
func qualityRows(q evidence.QualityReport, kind evidence.Kind) []documents.QualityRow {
	t := q.Thresholds
	failed := func(f string) bool { return slices.Contains(q.Failed, f) }
	minSharp, minBright, minSide := t.MinSharpness, t.MinBrightness, t.MinSide
	if kind == evidence.KindSelfie {
		minSharp, minBright, minSide = t.MinSharpnessSelfie, t.MinBrightnessSelfie, t.MinSideSelfie
	}
	pos := func(v, scale float64) int { return int(max(0, min(100, v/scale*100))) }
	atLeast := func(v, thr float64) (int, []int) {
		scale := max(v, thr) * 1.25
		if scale <= 0 {
			scale = 1
		}
		return pos(v, scale), []int{pos(thr, scale)}
	}
	bill := kind == evidence.KindProofOfAddress
	var rows []documents.QualityRow

	r := documents.QualityRow{Figure: "Sharpness", Value: fmt.Sprintf("%.0f", q.Sharpness), Threshold: fmt.Sprintf("at least %.0f", minSharp),
		Applies: true, Pass: !failed(evidence.FigureSharpness)}
	r.Bar, r.Marks = atLeast(q.Sharpness, minSharp)
	rows = append(rows, r)

	r = documents.QualityRow{Figure: "Glare", Value: fmt.Sprintf("%.1f %%", q.Glare*100), Threshold: fmt.Sprintf("at most %.0f %%", t.MaxGlare*100),
		Applies: !bill, Pass: !failed(evidence.FigureGlare)}
	if bill {
		r.Threshold = "not held to bills (white paper is near saturation)"
	}
	glareScale := max(q.Glare, t.MaxGlare) * 1.25
	if glareScale > 0 {
		r.Bar, r.Marks = pos(q.Glare, glareScale), []int{pos(t.MaxGlare, glareScale)}
	}
	rows = append(rows, r)

	r = documents.QualityRow{Figure: "Brightness", Value: fmt.Sprintf("%.0f of 255", q.Brightness), Applies: true,
		Pass: !failed(evidence.FigureDarkness) && !failed(evidence.FigureBrightness), Bar: pos(q.Brightness, 255), Marks: []int{pos(minBright, 255)}}
	if bill {
		r.Threshold = fmt.Sprintf("at least %.0f", minBright)
	} else {
		r.Threshold = fmt.Sprintf("between %.0f and %.0f", minBright, t.MaxBrightness)
		r.Marks = append(r.Marks, pos(t.MaxBrightness, 255))
	}
	rows = append(rows, r)

	short := min(q.Width, q.Height)
	r = documents.QualityRow{Figure: "Resolution", Value: fmt.Sprintf("%d×%d px", q.Width, q.Height),
		Threshold: fmt.Sprintf("at least %d px on the shorter side", minSide), Applies: true, Pass: !failed(evidence.FigureResolution)}
	r.Bar, r.Marks = atLeast(float64(short), float64(minSide))
	rows = append(rows, r)

	framed := kind != evidence.KindSelfie && !bill
	r = documents.QualityRow{Figure: "Framing", Value: fmt.Sprintf("%.0f %% of the frame", q.Fill*100),
		Threshold: fmt.Sprintf("at least %.0f %%", t.MinFill*100), Applies: framed, Pass: !failed(evidence.FigureFraming),
		Bar: pos(q.Fill, 1), Marks: []int{pos(t.MinFill, 1)}}
	switch {
	case !framed:
		r.Threshold = "not held to this kind of document"
	case kind == evidence.KindDriverLicence:
	case !q.MRZFound:
		r.Value += ", machine-readable zone not found"
		r.Threshold += ", with the whole machine-readable zone"
	default:
		r.Value += ", machine-readable zone whole"
		r.Threshold += ", with the whole machine-readable zone"
	}
	return append(rows, r)
}

// selfieFaces is the face comparison of a verification's selfie check,
// with the documents it compared; nil when none was made.
type selfieFaces struct {
	cmp              face.Comparison
	selfie, identity string
}

func facesOf(checks []kyc.StoredCheck) *selfieFaces {
	for _, c := range checks {
		if c.Kind != kyc.CheckSelfie {
			continue
		}
		raw, ok := c.Evidence["comparison"]
		if !ok {
			return nil
		}
		b, err := json.Marshal(raw)
		if err != nil {
			return nil
		}
		var f selfieFaces
		if json.Unmarshal(b, &f.cmp) != nil {
			return nil
		}
		f.selfie, _ = c.Evidence["documentId"].(string)
		f.identity, _ = c.Evidence["identityDocumentId"].(string)
		return &f
	}
	return nil
}

// on are the faces found on document id.
func (f *selfieFaces) on(id string) []face.Face {
	switch {
	case f == nil:
		return nil
	case id == f.selfie:
		return f.cmp.SelfieFaces
	case id == f.identity:
		return f.cmp.IDPhotoFaces
	}
	return nil
}

// figureOf is document d's image with the boxes read on it: the MRZ's
// and the faces the selfie check found.
func figureOf(d kyc.DocumentInfo, ev *evidence.Evidence, faces []face.Face, alt string) components.Figure {
	f := components.Figure{Src: "/documents/" + d.ID.String() + "/content", Alt: alt, Width: d.Width, Height: d.Height}
	if ev != nil && ev.Facts.Width > 0 && strings.HasPrefix(ev.Facts.MIME, "image/") {
		f.Width, f.Height = ev.Facts.Width, ev.Facts.Height
	}
	if ev != nil && ev.MRZ != nil && !ev.MRZ.Box.Empty() {
		b := ev.MRZ.Box
		f.Boxes = append(f.Boxes, components.Box{X: b.Min.X, Y: b.Min.Y, W: b.Dx(), H: b.Dy(), Label: "MRZ", Kind: "mrz"})
	}
	for i, fc := range faces {
		label := "Face"
		if len(faces) > 1 {
			label += " " + strconv.Itoa(i+1)
		}
		label += fmt.Sprintf(" (%.0f %% sure)", fc.Score*100)
		b := fc.Box
		f.Boxes = append(f.Boxes, components.Box{X: b.Min.X, Y: b.Min.Y, W: b.Dx(), H: b.Dy(), Label: label, Kind: "face"})
	}
	return f
}
