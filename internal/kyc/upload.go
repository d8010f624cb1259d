package kyc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

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
	DocumentNumber string          `json:"documentNumber,omitempty"`
	IssuingCountry string          `json:"issuingCountry,omitempty"`
	ExpiryDate     string          `json:"expiryDate,omitempty"`
	IssueDate      string          `json:"issueDate,omitempty"`
	Issuer         string          `json:"issuer,omitempty"`
	Address        DeclaredAddress `json:"address,omitzero"`
	MRZ            string          `json:"mrz,omitempty"`
	ExtractedData  map[string]any  `json:"extractedData,omitempty"`
}

// UploadDoc is one document of an upload.
type UploadDoc struct {
	Type         string
	SubType      string
	FileName     string
	DeclaredMIME string
	Metadata     Metadata
	Content      Content
	// Value is a virtual document's data (an SSN, a TIN, ...) or a social
	// document's profile URL (types TypeVirtual and TypeSocial, which
	// have no Content).
	Value string
}

// UploadResult is the upload's answer.
type UploadResult struct {
	VerificationRequestID uuid.UUID
	DocumentsProcessed    int
	Status                string
	Identity              *IdentityDetails
	ProofOfAddress        *AddressDetails
	// Virtual and Social are the virtual and social documents added, in
	// the upload's order.
	Virtual, Social []ValueDetails
	NextStep        string
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

// checkSize refuses an empty file and one over MaxDocumentBytes before
// anything reads it.
func checkSize(i int, d UploadDoc) error {
	p := fmt.Sprintf("documents[%d].content", i)
	if d.Content.Size == 0 {
		return fieldErr("INVALID_DOCUMENT_FORMAT", p, "the file is empty", apperr.Malformed)
	}
	if d.Content.Size > MaxDocumentBytes {
		return fieldErr("DOCUMENT_TOO_LARGE", p, fmt.Sprintf("the file is larger than %d MB", MaxDocumentBytes>>20), apperr.TooLarge)
	}
	return nil
}

func parseDate(s string) (time.Time, bool) {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	return d, err == nil
}

func str(m map[string]any, k string) string {
	v, _ := m[k].(string)
	return strings.TrimSpace(v)
}

// Owned returns nil when verification vr exists and, with customerOnly
// set, belongs to that customer; otherwise the same not-found error Upload
// gives, so a caller cannot tell another customer's verification from none.
func (s *Service) Owned(ctx context.Context, tenant, vr uuid.UUID, customerOnly *uuid.UUID) error {
	var req db.VerificationRequest
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		req, err = q.VerificationRequest(ctx, db.VerificationRequestParams{TenantID: tenant, ID: vr})
		return err
	})
	if db.IsNotFound(err) || (err == nil && customerOnly != nil && *customerOnly != req.CustomerID) {
		return errNotFound()
	}
	if err != nil {
		return fmt.Errorf("kyc: upload: %w", err)
	}
	return nil
}

// RecordRejection counts a refused upload of verification vr; enough of
// them lock it. Uploads refused before reaching Upload (too large, not
// readable) call it too. customerOnly is as for Upload: a caller counts
// only against a verification it may read, so nobody can lock another
// customer's verification.
func (s *Service) RecordRejection(ctx context.Context, tenant, vr uuid.UUID, customerOnly *uuid.UUID) {
	_ = db.InTenantTx(context.WithoutCancel(ctx), s.pool, tenant, func(q *db.Queries) error {
		req, err := q.VerificationRequest(ctx, db.VerificationRequestParams{TenantID: tenant, ID: vr})
		if db.IsNotFound(err) || (err == nil && customerOnly != nil && *customerOnly != req.CustomerID) {
			return nil
		}
		if err != nil {
			return err
		}
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
	var (
		rows     []db.KycRequirement
		settings customer.Settings
	)
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		if req, err = q.VerificationRequest(ctx, db.VerificationRequestParams{TenantID: tenant, ID: vr}); err != nil {
			return err
		}
		if rows, err = q.KYCRequirements(ctx, tenant); err != nil {
			return err
		}
		settings, err = customer.LoadSettings(ctx, q, tenant)
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
	reqs = requirementsFor(rows, cust.CIPTag, country, cust.RiskLevel)
	if req.Locked {
		return UploadResult{}, apperr.New(apperr.Locked, "this verification is locked after too many refused uploads; ask the compliance team").WithAPI("VERIFICATION_LOCKED")
	}
	switch req.Status {
	case StatusAwaitingDocuments, StatusDocumentsReceived, StatusMoreInfoRequired:
	default:
		// The same file again is a duplicate whatever the verification's
		// state, so a retried upload learns it already arrived.
		if i, err := s.firstDuplicate(ctx, tenant, vr, docs); err != nil {
			return UploadResult{}, fmt.Errorf("kyc: upload: %w", err)
		} else if i >= 0 {
			return UploadResult{}, fieldErr("DUPLICATE_UPLOAD", fmt.Sprintf("documents[%d].content", i), "the same file was already uploaded for this verification", apperr.Conflict)
		}
		var vals []checkedValue
		for i, d := range docs {
			d.Type, d.SubType = strings.ToUpper(strings.TrimSpace(d.Type)), strings.ToUpper(strings.TrimSpace(d.SubType))
			if v, err := checkValue(i, d, cust.Nationality); IsValueType(d.Type) && err == nil {
				vals = append(vals, v)
			}
		}
		var dup int
		err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
			var err error
			dup, err = s.virtualDuplicate(ctx, q, tenant, req.CustomerID, vals)
			return err
		})
		if err != nil {
			return UploadResult{}, fmt.Errorf("kyc: upload: %w", err)
		} else if dup >= 0 {
			return UploadResult{}, errDuplicateValue(dup)
		}
		return UploadResult{}, apperr.New(apperr.Conflict, "this verification is %s and takes no more documents", req.Status).WithAPI("VERIFICATION_NOT_OPEN")
	}
	if len(docs) == 0 {
		return UploadResult{}, apperr.Validation(apperr.FieldError{Field: "documents", Issue: "send at least one document"})
	}
	reject := func(err error) (UploadResult, error) {
		s.RecordRejection(ctx, tenant, vr, customerOnly)
		return UploadResult{}, err
	}

	res := UploadResult{VerificationRequestID: vr, DocumentsProcessed: len(docs), Status: StatusDocumentsReceived, NextStep: "AWAIT_VERIFICATION_RESULT"}
	facts := make([]docFacts, len(docs))
	read := make([]examined, len(docs))
	seen := map[string]bool{}
	var vals []checkedValue
	physical := 0
	readCtx, cancel := context.WithTimeout(ctx, ReadTimeout)
	defer cancel()
	for i, d := range docs {
		p := fmt.Sprintf("documents[%d]", i)
		d.Type, d.SubType = strings.ToUpper(strings.TrimSpace(d.Type)), strings.ToUpper(strings.TrimSpace(d.SubType))
		docs[i] = d
		if IsValueType(d.Type) {
			v, err := checkValue(i, d, cust.Nationality)
			if err != nil {
				return reject(err)
			}
			for _, o := range vals {
				if o.kind == v.kind && o.subType == v.subType && o.value == v.value {
					return reject(fieldErr("DUPLICATE_UPLOAD", p+".value", "the same value is in this upload twice", apperr.Conflict))
				}
			}
			vals = append(vals, v)
			details := ValueDetails{Type: v.subType, Status: DocValid}
			if v.kind == TypeVirtual {
				res.Virtual = append(res.Virtual, details)
			} else {
				res.Social = append(res.Social, details)
			}
			continue
		}
		if !slices.Contains(DocumentTypes, d.Type) {
			return reject(fieldErr("UNSUPPORTED_DOCUMENT", p+".type", fmt.Sprintf("%q is not a document type; use one of %s", d.Type, strings.Join(append(slices.Clone(DocumentTypes), TypeVirtual, TypeSocial), ", ")), apperr.Invalid))
		}
		if d.Value != "" {
			return reject(apperr.Validation(apperr.FieldError{Field: p + ".value", Issue: fmt.Sprintf("only %s and %s documents take a value; a %s is sent as content", TypeVirtual, TypeSocial, d.Type)}))
		}
		physical++
		rq, ok := accepted(rows, reqs, cust.CIPTag, country, d.Type)
		if !ok {
			return reject(fieldErr("UNSUPPORTED_DOCUMENT", p+".type", fmt.Sprintf("%s is not a document this tenant accepts", d.Type), apperr.Invalid))
		}
		if len(rq.SubTypes) > 0 && !slices.Contains(rq.SubTypes, d.SubType) {
			return reject(fieldErr("UNSUPPORTED_DOCUMENT", p+".subType", fmt.Sprintf("%s must be one of %s", d.Type, strings.Join(rq.SubTypes, ", ")), apperr.Invalid))
		}
		if err := checkSize(i, d); err != nil {
			return reject(err)
		}
		key := string(d.Content.SHA256)
		if seen[key] {
			return reject(fieldErr("DUPLICATE_UPLOAD", p+".content", "the same file is in this upload twice", apperr.Conflict))
		}
		seen[key] = true
		ex, err := s.examine(readCtx, i, d, country == "US", settings.Quality)
		if err != nil {
			if _, ok := apperr.As(err); ok {
				return reject(err)
			}
			return UploadResult{}, err
		}
		read[i] = ex
		facts[i] = ex.facts
		switch d.Type {
		case "IDENTITY_DOCUMENT":
			det, err := intakeIdentity(i, d, ex, cust, now)
			if err != nil {
				return reject(err)
			}
			res.Identity = det
		case "PROOF_OF_ADDRESS":
			a := readAddress(ex.ev, d.Metadata, cust, now, rq.MaxAgeDays)
			st := "REVIEW_REQUIRED"
			switch {
			case a.Verified():
				st = "VALIDATED"
			case !a.Read:
				st = Unreadable
			}
			res.ProofOfAddress = &AddressDetails{Status: st, AddressVerified: a.Verified()}
		}
	}

	if i, err := s.firstDuplicate(ctx, tenant, vr, docs); err != nil {
		return UploadResult{}, fmt.Errorf("kyc: upload: %w", err)
	} else if i >= 0 {
		return reject(fieldErr("DUPLICATE_UPLOAD", fmt.Sprintf("documents[%d].content", i),
			fmt.Sprintf("the file %q was already uploaded for this verification", docs[i].FileName), apperr.Conflict))
	}
	var dup int
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		dup, err = s.virtualDuplicate(ctx, q, tenant, req.CustomerID, vals)
		return err
	})
	if err != nil {
		return UploadResult{}, fmt.Errorf("kyc: upload: %w", err)
	} else if dup >= 0 {
		return reject(errDuplicateValue(dup))
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
		if err := s.storeValues(ctx, q, tenant, vr, req.CustomerID, vals); err != nil {
			return err
		}
		if physical == 0 {
			// Values only: nothing for the checks to read, so the
			// verification stays as it is.
			res.Status = locked.Status
			if locked.Status != StatusDocumentsReceived {
				res.NextStep = "UPLOAD_DOCUMENTS"
			}
			return nil
		}
		for i, d := range docs {
			if IsValueType(d.Type) {
				continue
			}
			md, _ := json.Marshal(d.Metadata)
			f := facts[i]
			sealed, err := sealEvidence(s.crypt, ids[i], read[i].ev)
			if err != nil {
				return err
			}
			_, err = q.InsertDocument(ctx, db.InsertDocumentParams{ID: ids[i], TenantID: tenant, VerificationRequestID: vr, CustomerID: req.CustomerID,
				Type: d.Type, SubType: d.SubType, FileName: d.FileName, DeclaredMime: d.DeclaredMIME, Mime: f.mime, SizeBytes: d.Content.Size,
				Sha256: d.Content.SHA256, Width: nz(f.width), Height: nz(f.height), Pages: nz(f.pages), Metadata: md,
				Storage: s.store.Name(), KeyID: s.crypt.ActiveID(), Evidence: sealed})
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
			if _, err := s.Jobs.InsertTx(ctx, tx, EvidenceArgs{TenantID: tenant, VerificationRequestID: vr}, &river.InsertOpts{MaxAttempts: 5}); err != nil {
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

// firstDuplicate is the index of the first of docs whose file was already
// uploaded for verification vr, or -1.
func (s *Service) firstDuplicate(ctx context.Context, tenant, vr uuid.UUID, docs []UploadDoc) (int, error) {
	found := -1
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		for i, d := range docs {
			if IsValueType(d.Type) {
				continue
			}
			dup, err := q.DocumentHashExists(ctx, db.DocumentHashExistsParams{TenantID: tenant, VerificationRequestID: vr, Sha256: d.Content.SHA256})
			if err != nil {
				return err
			}
			if dup {
				found = i
				return nil
			}
		}
		return nil
	})
	return found, err
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
	text := md.Address.String()
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
	return statusChangedWith(ctx, q, tenant, vr, cust, from, to, at, nil)
}

// statusChangedWith is statusChanged with more for the audit record's
// after state (the pack a decision was made under).
func statusChangedWith(ctx context.Context, q *db.Queries, tenant, vr, cust uuid.UUID, from, to string, at time.Time, extra map[string]any) error {
	after := map[string]any{"status": to}
	for k, v := range extra {
		after[k] = v
	}
	if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "verification.status.changed", EntityType: "verification_request",
		EntityID: vr.String(), Before: map[string]any{"status": from}, After: after}); err != nil {
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

// DeclaredAddress is the address a caller says a proof of address shows:
// guide 004 sends it as an object ({street, city, postalCode, country,
// …}); one line of text is accepted too. It is a hint for reviewers and
// can fail the address check, never pass it.
type DeclaredAddress struct {
	Street       string `json:"street,omitempty"`
	StreetNumber string `json:"streetNumber,omitempty"`
	Apartment    string `json:"apartment,omitempty"`
	City         string `json:"city,omitempty"`
	State        string `json:"state,omitempty"`
	PostalCode   string `json:"postalCode,omitempty"`
	Country      string `json:"country,omitempty"`
	// Line is the address as one line of text, when it came as one.
	Line string `json:"line,omitempty"`
}

// UnmarshalJSON takes the object of guide 004 or one line of text.
func (a *DeclaredAddress) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*a = DeclaredAddress{}
		return nil
	case len(b) > 0 && b[0] == '"':
		*a = DeclaredAddress{}
		return json.Unmarshal(b, &a.Line)
	}
	type plain DeclaredAddress
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p plain
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*a = DeclaredAddress(p)
	return nil
}

// String is the address on one line.
func (a DeclaredAddress) String() string {
	if a.Line != "" {
		return a.Line
	}
	var parts []string
	for _, p := range []string{strings.TrimSpace(a.StreetNumber + " " + a.Street), a.Apartment, a.City, a.State, a.PostalCode, a.Country} {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

// IsZero reports an address not given.
func (a DeclaredAddress) IsZero() bool { return a == DeclaredAddress{} }
