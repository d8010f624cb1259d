package kyc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // decoders for DecodeConfig
	_ "image/png"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gabriel-vasile/mimetype"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"rsc.io/pdf"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/event"
)

// Content is an uploaded file, readable at random and measured.
type Content struct {
	R      io.ReaderAt
	Size   int64
	SHA256 []byte
}

// Metadata is what the customer app says about a document.
type Metadata struct {
	DocumentNumber string         `json:"documentNumber,omitempty"`
	IssuingCountry string         `json:"issuingCountry,omitempty"`
	ExpiryDate     string         `json:"expiryDate,omitempty"`
	IssueDate      string         `json:"issueDate,omitempty"`
	Issuer         string         `json:"issuer,omitempty"`
	Address        string         `json:"address,omitempty"`
	MRZ            string         `json:"mrz,omitempty"`
	ExtractedData  map[string]any `json:"extractedData,omitempty"`
}

// UploadDoc is one document of an upload.
type UploadDoc struct {
	Type         string
	SubType      string
	FileName     string
	DeclaredMIME string
	Metadata     Metadata
	Content      Content
}

// UploadResult is the upload's answer.
type UploadResult struct {
	VerificationRequestID uuid.UUID
	DocumentsProcessed    int
	Status                string
	Identity              *IdentityDetails
	ProofOfAddress        *AddressDetails
	NextStep              string
}

// IdentityDetails is what the upload read from an identity document.
type IdentityDetails struct {
	Status         string
	DocumentNumber string
	FullName       string
	DateOfBirth    string
	MatchScore     float64
}

// AddressDetails is what the upload read from a proof of address.
type AddressDetails struct {
	Status          string
	AddressVerified bool
}

// Allowed formats, judged by the bytes.
var allowedMIME = []string{"image/jpeg", "image/png", "application/pdf"}

type docFacts struct {
	mime          string
	width, height int
	pages         int
}

func fieldErr(code, field, msg string, c apperr.Code) error {
	e := apperr.New(c, "%s", msg).WithAPI(code)
	e.Fields = []apperr.FieldError{{Field: field, Issue: msg}}
	return e
}

// inspect judges a file by its bytes: format, readability, PDF structure.
func inspect(i int, d UploadDoc) (docFacts, error) {
	p := fmt.Sprintf("documents[%d]", i)
	if d.Content.Size == 0 {
		return docFacts{}, fieldErr("INVALID_DOCUMENT_FORMAT", p+".content", "the file is empty", apperr.Malformed)
	}
	if d.Content.Size > MaxDocumentBytes {
		return docFacts{}, fieldErr("DOCUMENT_TOO_LARGE", p+".content", fmt.Sprintf("the file is larger than %d MB", MaxDocumentBytes>>20), apperr.TooLarge)
	}
	head := make([]byte, 3072)
	n, _ := d.Content.R.ReadAt(head, 0)
	mt := mimetype.Detect(head[:n])
	var facts docFacts
	for _, allowed := range allowedMIME {
		if mt.Is(allowed) {
			facts.mime = allowed
		}
	}
	if facts.mime == "" {
		return facts, fieldErr("INVALID_DOCUMENT_FORMAT", p+".content",
			fmt.Sprintf("the file is %s, not JPEG, PNG or PDF (judged by its content, not its name or declared type)", mt.String()), apperr.Malformed)
	}
	sr := io.NewSectionReader(d.Content.R, 0, d.Content.Size)
	switch facts.mime {
	case "application/pdf":
		pages, err := pdfPages(sr, d.Content.Size)
		if err != nil {
			return facts, fieldErr("INVALID_DOCUMENT_FORMAT", p+".content", "the PDF cannot be read: "+err.Error(), apperr.Malformed)
		}
		facts.pages = pages
	default:
		cfg, _, err := image.DecodeConfig(sr)
		if err != nil {
			return facts, fieldErr("POOR_IMAGE_QUALITY", p+".content", "the image cannot be decoded", apperr.Invalid)
		}
		facts.width, facts.height = cfg.Width, cfg.Height
		min := MinImageSide
		if d.Type == "SELFIE" {
			min = MinSelfieSide
		}
		if cfg.Width < min || cfg.Height < min {
			return facts, fieldErr("POOR_IMAGE_QUALITY", p+".content",
				fmt.Sprintf("the image is %d×%d pixels; at least %d×%d is needed to read it", cfg.Width, cfg.Height, min, min), apperr.Invalid)
		}
	}
	return facts, nil
}

// pdfPages parses a PDF's structure and counts its pages.
func pdfPages(r io.ReaderAt, size int64) (pages int, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("malformed PDF")
		}
	}()
	doc, err := pdf.NewReader(r, size)
	if err != nil {
		return 0, err
	}
	n := doc.NumPage()
	if n < 1 {
		return 0, fmt.Errorf("the PDF has no pages")
	}
	return n, nil
}

func parseDate(s string) (time.Time, bool) {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	return d, err == nil
}

func str(m map[string]any, k string) string {
	v, _ := m[k].(string)
	return strings.TrimSpace(v)
}

// RecordRejection counts a refused upload of verification vr; enough of
// them lock it. Uploads refused before reaching Upload (too large, not
// readable) call it too.
func (s *Service) RecordRejection(ctx context.Context, tenant, vr uuid.UUID) {
	_ = db.InTenantTx(context.WithoutCancel(ctx), s.pool, tenant, func(q *db.Queries) error {
		row, err := q.CountRejectedUpload(ctx, db.CountRejectedUploadParams{TenantID: tenant, ID: vr, MaxRejections: MaxRejectedUploads})
		if err != nil {
			return err
		}
		if row.Locked && row.RejectedUploads == MaxRejectedUploads {
			return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "verification.locked", EntityType: "verification_request",
				EntityID: vr.String(), ReasonCode: "TOO_MANY_REJECTED_UPLOADS", After: map[string]any{"rejectedUploads": row.RejectedUploads}})
		}
		return nil
	})
}

// Upload checks and stores documents for verification vr. customerOnly,
// when not nil, is the customer a customer token acts for: another
// customer's verification is not found. Any refused document refuses the
// upload, counts a rejection, and names the document and field.
func (s *Service) Upload(ctx context.Context, tenant, vr uuid.UUID, customerOnly *uuid.UUID, docs []UploadDoc) (UploadResult, error) {
	var (
		req  db.VerificationRequest
		cust customer.Customer
		reqs []Requirement
		now  = s.now()
	)
	var rows []db.KycRequirement
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		if req, err = q.VerificationRequest(ctx, db.VerificationRequestParams{TenantID: tenant, ID: vr}); err != nil {
			return err
		}
		rows, err = q.KYCRequirements(ctx, tenant)
		return err
	})
	if db.IsNotFound(err) || (err == nil && customerOnly != nil && *customerOnly != req.CustomerID) {
		return UploadResult{}, errNotFound()
	}
	if err != nil {
		return UploadResult{}, fmt.Errorf("kyc: upload: %w", err)
	}
	// Read outside the transaction above: a second connection taken while
	// holding the first deadlocks a small pool under concurrent uploads.
	if cust, err = s.customers.Get(ctx, tenant, req.CustomerID); err != nil {
		return UploadResult{}, fmt.Errorf("kyc: upload: %w", err)
	}
	country := cust.Address.Country
	if country == "" {
		country = cust.Nationality
	}
	reqs = requirementsFor(rows, country, cust.RiskLevel)
	if req.Locked {
		return UploadResult{}, apperr.New(apperr.Locked, "this verification is locked after too many refused uploads; ask the compliance team").WithAPI("VERIFICATION_LOCKED")
	}
	switch req.Status {
	case StatusAwaitingDocuments, StatusDocumentsReceived, StatusMoreInfoRequired:
	default:
		return UploadResult{}, apperr.New(apperr.Conflict, "this verification is %s and takes no more documents", req.Status).WithAPI("VERIFICATION_NOT_OPEN")
	}
	if len(docs) == 0 {
		return UploadResult{}, apperr.Validation(apperr.FieldError{Field: "documents", Issue: "send at least one document"})
	}
	reject := func(err error) (UploadResult, error) {
		s.RecordRejection(ctx, tenant, vr)
		return UploadResult{}, err
	}

	res := UploadResult{VerificationRequestID: vr, DocumentsProcessed: len(docs), Status: StatusDocumentsReceived, NextStep: "AWAIT_VERIFICATION_RESULT"}
	facts := make([]docFacts, len(docs))
	seen := map[string]bool{}
	for i, d := range docs {
		p := fmt.Sprintf("documents[%d]", i)
		d.Type, d.SubType = strings.ToUpper(strings.TrimSpace(d.Type)), strings.ToUpper(strings.TrimSpace(d.SubType))
		docs[i] = d
		if !slices.Contains(DocumentTypes, d.Type) {
			return reject(fieldErr("UNSUPPORTED_DOCUMENT", p+".type", fmt.Sprintf("%q is not a document type; use one of %s", d.Type, strings.Join(DocumentTypes, ", ")), apperr.Invalid))
		}
		ri := slices.IndexFunc(reqs, func(r Requirement) bool { return r.Type == d.Type })
		if ri < 0 {
			return reject(fieldErr("UNSUPPORTED_DOCUMENT", p+".type", fmt.Sprintf("%s is not accepted for this customer's requirements (%s risk)", d.Type, cust.RiskLevel), apperr.Invalid))
		}
		if len(reqs[ri].SubTypes) > 0 && !slices.Contains(reqs[ri].SubTypes, d.SubType) {
			return reject(fieldErr("UNSUPPORTED_DOCUMENT", p+".subType", fmt.Sprintf("%s must be one of %s", d.Type, strings.Join(reqs[ri].SubTypes, ", ")), apperr.Invalid))
		}
		f, err := inspect(i, d)
		if err != nil {
			return reject(err)
		}
		facts[i] = f
		key := string(d.Content.SHA256)
		if seen[key] {
			return reject(fieldErr("DUPLICATE_UPLOAD", p+".content", "the same file is in this upload twice", apperr.Conflict))
		}
		seen[key] = true
		md := d.Metadata
		if d.Type == "IDENTITY_DOCUMENT" {
			expiry := md.ExpiryDate
			if m, ok := ParseTD3(md.MRZ); ok {
				if !m.Valid {
					return reject(fieldErr("DATA_MISMATCH", p+".metadata.mrz", "the machine-readable zone's check digits do not agree ("+strings.Join(m.Failed, ", ")+")", apperr.Invalid))
				}
				if expiry == "" {
					expiry = m.Expiry.Format(time.DateOnly)
				}
			}
			if expiry != "" {
				e, ok := parseDate(expiry)
				if !ok {
					return reject(fieldErr("VALIDATION_FAILED", p+".metadata.expiryDate", "must be a date such as 2030-12-31", apperr.Invalid))
				}
				if e.Before(today(now)) {
					return reject(fieldErr("EXPIRED_DOCUMENT", p+".metadata.expiryDate", "the document expired on "+e.Format("2 January 2006"), apperr.Invalid))
				}
			}
			ed := md.ExtractedData
			fullName := str(ed, "fullName")
			if fullName == "" {
				fullName = strings.TrimSpace(str(ed, "firstName") + " " + str(ed, "lastName"))
			}
			det := &IdentityDetails{Status: "VALIDATED", DocumentNumber: md.DocumentNumber, FullName: fullName, DateOfBirth: str(ed, "dateOfBirth")}
			if fullName != "" {
				score, both := NameMatch(fullName, cust.FirstName, cust.MiddleName, cust.LastName)
				det.MatchScore = float64(int(score*100+0.5)) / 100
				if !both {
					return reject(fieldErr("DATA_MISMATCH", p+".metadata.extractedData.fullName",
						"the name on the document does not match the registered first and last name", apperr.Invalid))
				}
			}
			if dob := str(ed, "dateOfBirth"); dob != "" && dob != cust.DateOfBirth.Format(time.DateOnly) {
				return reject(fieldErr("DATA_MISMATCH", p+".metadata.extractedData.dateOfBirth",
					"the date of birth on the document does not match the registration", apperr.Invalid))
			}
			res.Identity = det
		}
		if d.Type == "PROOF_OF_ADDRESS" {
			res.ProofOfAddress = &AddressDetails{Status: "RECEIVED", AddressVerified: addressMatches(md, cust.Address, now, reqs[ri].MaxAgeDays)}
		}
	}

	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		for _, d := range docs {
			dup, err := q.DocumentHashExists(ctx, db.DocumentHashExistsParams{TenantID: tenant, VerificationRequestID: vr, Sha256: d.Content.SHA256})
			if err != nil {
				return err
			}
			if dup {
				return fieldErr("DUPLICATE_UPLOAD", "documents", fmt.Sprintf("the file %q was already uploaded for this verification", d.FileName), apperr.Conflict)
			}
		}
		return nil
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return reject(err)
		}
		return UploadResult{}, fmt.Errorf("kyc: upload: %w", err)
	}

	ids := make([]uuid.UUID, len(docs))
	for i := range docs {
		ids[i] = uuid.New()
	}

	err = db.InTenantTxPgx(ctx, s.pool, tenant, func(tx pgx.Tx, q *db.Queries) error {
		locked, err := q.VerificationRequestForUpdate(ctx, db.VerificationRequestForUpdateParams{TenantID: tenant, ID: vr})
		if err != nil {
			return err
		}
		for i, d := range docs {
			md, _ := json.Marshal(d.Metadata)
			f := facts[i]
			_, err := q.InsertDocument(ctx, db.InsertDocumentParams{ID: ids[i], TenantID: tenant, VerificationRequestID: vr, CustomerID: req.CustomerID,
				Type: d.Type, SubType: d.SubType, FileName: d.FileName, DeclaredMime: d.DeclaredMIME, Mime: f.mime, SizeBytes: d.Content.Size,
				Sha256: d.Content.SHA256, Width: nz(f.width), Height: nz(f.height), Pages: nz(f.pages), Metadata: md,
				Storage: s.store.Name(), KeyID: s.crypt.ActiveID()})
			if db.IsUniqueViolation(err, "") {
				return fieldErr("DUPLICATE_UPLOAD", fmt.Sprintf("documents[%d].content", i), "the same file was already uploaded for this verification", apperr.Conflict)
			}
			if err != nil {
				return err
			}
			// Sealed and stored a chunk at a time: memory stays small.
			cw, err := s.store.Writer(ctx, q, tenant, ids[i])
			if err != nil {
				return err
			}
			if err := sealTo(s.crypt, ids[i], io.NewSectionReader(d.Content.R, 0, d.Content.Size), cw); err != nil {
				return err
			}
			if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "document.uploaded", EntityType: "document", EntityID: ids[i].String(),
				After: map[string]any{"verificationRequestId": vr, "type": d.Type, "subType": d.SubType, "mime": f.mime, "sizeBytes": d.Content.Size,
					"sha256": fmt.Sprintf("%x", d.Content.SHA256)}}); err != nil {
				return err
			}
		}
		if _, err := q.SetVerificationStatus(ctx, db.SetVerificationStatusParams{TenantID: tenant, ID: vr, Status: StatusDocumentsReceived,
			ChecksState: "QUEUED", ReasonsForReview: []string{}}); err != nil {
			return err
		}
		if locked.Status != StatusDocumentsReceived {
			if err := statusChanged(ctx, q, tenant, vr, req.CustomerID, locked.Status, StatusDocumentsReceived, now); err != nil {
				return err
			}
		}
		if s.Jobs != nil {
			if _, err := s.Jobs.InsertTx(ctx, tx, CheckArgs{TenantID: tenant, VerificationRequestID: vr}, &river.InsertOpts{MaxAttempts: 5}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return reject(err)
		}
		return UploadResult{}, fmt.Errorf("kyc: upload: %w", err)
	}
	return res, nil
}

func nz(v int) *int32 {
	if v == 0 {
		return nil
	}
	n := int32(v)
	return &n
}

func today(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// addressMatches is the proof of address check: issued recently enough,
// and naming the registered street, city and postal code.
func addressMatches(md Metadata, reg customer.Address, now time.Time, maxAgeDays int) bool {
	if maxAgeDays > 0 {
		issued, ok := parseDate(md.IssueDate)
		if !ok || now.Sub(issued) > time.Duration(maxAgeDays)*24*time.Hour || issued.After(now) {
			return false
		}
	}
	text := md.Address
	if a := str(md.ExtractedData, "address"); a != "" {
		text += " " + a
	}
	got := addressTokens(text)
	for _, part := range []string{reg.Street, reg.City, reg.PostalCode} {
		for t := range addressTokens(part) {
			if !got[t] {
				return false
			}
		}
	}
	return len(got) > 0
}

// statusChanged writes the verification.status.changed event (payload per
// API.md) and its audit record.
func statusChanged(ctx context.Context, q *db.Queries, tenant, vr, cust uuid.UUID, from, to string, at time.Time) error {
	if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "verification.status.changed", EntityType: "verification_request",
		EntityID: vr.String(), Before: map[string]any{"status": from}, After: map[string]any{"status": to}}); err != nil {
		return err
	}
	_, err := event.Write(ctx, q, event.Event{TenantID: tenant, Type: "verification.status.changed", EntityType: "verification_request", EntityID: vr.String(),
		Payload: map[string]any{"verificationRequestId": vr, "customerId": cust, "previousStatus": from, "currentStatus": to,
			"timestamp": at.UTC().Format(time.RFC3339)}})
	return err
}

// OpenTo writes a document's content to w, a chunk at a time, for the
// viewer; every call is an audited view (the record names the document,
// never its content).
func (s *Service) OpenTo(ctx context.Context, tenant, id uuid.UUID, w io.Writer) (DocumentInfo, error) {
	var doc db.Document
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		if doc, err = q.Document(ctx, db.DocumentParams{TenantID: tenant, ID: id}); err != nil {
			return err
		}
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "document.viewed", EntityType: "document", EntityID: id.String(),
			After: map[string]any{"verificationRequestId": doc.VerificationRequestID, "customerId": doc.CustomerID, "type": doc.Type}}); err != nil {
			return err
		}
		return openFrom(ctx, s.crypt, s.store, q, tenant, id, w)
	})
	if db.IsNotFound(err) {
		return DocumentInfo{}, errDocumentNotFound()
	}
	if err != nil {
		return DocumentInfo{}, fmt.Errorf("kyc: open document: %w", err)
	}
	return docInfo(doc), nil
}

// Open returns a document's content whole (at most MaxDocumentBytes), for
// checks that need it all; every call is an audited view.
func (s *Service) Open(ctx context.Context, tenant, id uuid.UUID) (DocumentInfo, []byte, error) {
	var buf bytes.Buffer
	doc, err := s.OpenTo(ctx, tenant, id, &buf)
	return doc, buf.Bytes(), err
}

func errDocumentNotFound() error {
	return apperr.New(apperr.NotFound, "no such document").WithAPI("DOCUMENT_NOT_FOUND")
}
