package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/compliance"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/kyc"
)

// MaxUploadBody bounds an upload request: several documents of up to
// 10 MB each, base64 in JSON.
const MaxUploadBody = 80 << 20

type uploadDocDTO struct {
	Type     string          `json:"type"`
	SubType  string          `json:"subType"`
	Content  string          `json:"content"`
	Value    string          `json:"value"`
	FileName string          `json:"fileName"`
	MimeType string          `json:"mimeType"`
	Metadata json.RawMessage `json:"metadata"`
}

type uploadRequest struct {
	VerificationRequestID string         `json:"verificationRequestId"`
	Documents             []uploadDocDTO `json:"documents"`
}

func (a *API) customerScope(r *http.Request) *uuid.UUID {
	p, _ := PrincipalFrom(r.Context())
	if p.Kind == credential.KindCustomer {
		return &p.CustomerID
	}
	return nil
}

// HandleDocumentUpload is POST /verification/documents/upload, as JSON
// with base64 content or as multipart/form-data. Content streams to
// temporary files; memory stays bounded whatever the size.
func (a *API) HandleDocumentUpload() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		scope := a.customerScope(r)
		body := http.MaxBytesReader(w, r.Body, MaxUploadBody)
		mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		var (
			req   uploadRequest
			blobs []*Blob
			err   error
			// vrSeen is the verificationRequestId as far as the body was
			// read, even when it was refused later.
			vrSeen string
		)
		switch mt {
		case "multipart/form-data":
			// The verification is checked as soon as its part arrives:
			// nobody uploads, or counts a refusal, against a
			// verification they cannot read.
			owned := func(id uuid.UUID) error { return a.KYC.Owned(r.Context(), t.ID, id, scope) }
			req, blobs, err = readMultipartUpload(body, params["boundary"], owned)
			vrSeen = req.VerificationRequestID
		case "application/json", "":
			f := newBlobFilter(body, kyc.MaxDocumentBytes)
			err = decodeJSON(f, &req, MaxUploadBody)
			blobs = f.blobs
			if f.err != nil && !errors.Is(f.err, io.EOF) {
				err = f.err
			}
			if f.tooLarge != nil {
				err = f.tooLarge
			}
			vrSeen = req.VerificationRequestID
			if vrSeen == "" {
				vrSeen = f.VerificationRequestID()
			}
		default:
			err = apperr.New(apperr.Unsupported, "send the documents as application/json or multipart/form-data")
		}
		defer func() {
			for _, b := range blobs {
				b.Close()
			}
		}()
		vr, perr := uuid.Parse(strings.TrimSpace(vrSeen))
		// refuse answers a refused upload. A refusal of the caller's own
		// verification counts toward its lock, whatever the refusal; one
		// naming a verification the caller cannot read changes nothing
		// and is not found.
		refuse := func(err error) {
			if perr == nil {
				if oerr := a.KYC.Owned(r.Context(), t.ID, vr, scope); oerr != nil {
					a.WriteError(w, r, oerr)
					return
				}
				a.KYC.RecordRejection(r.Context(), t.ID, vr, scope)
			}
			a.WriteError(w, r, err)
		}
		if ae, ok := apperr.As(err); ok && ae.Code == apperr.NotFound {
			a.WriteError(w, r, err)
			return
		}
		if err != nil {
			if errors.Is(err, errBlobTooLarge) {
				field, _, _ := strings.Cut(err.Error(), ":")
				e := apperr.New(apperr.TooLarge, "a file is larger than %d MB", kyc.MaxDocumentBytes>>20).WithAPI("DOCUMENT_TOO_LARGE")
				e.Fields = []apperr.FieldError{{Field: field, Issue: fmt.Sprintf("must be at most %d MB", kyc.MaxDocumentBytes>>20)}}
				refuse(e)
				return
			}
			if errors.Is(err, errFieldTooLarge) {
				field, _, _ := strings.Cut(err.Error(), ":")
				refuse(apperr.Validation(apperr.FieldError{Field: field,
					Issue: fmt.Sprintf("must be at most %d KB (all fields but the files together at most %d KB)", maxFieldBytes>>10, maxFieldsBytes>>10)}))
				return
			}
			if errors.Is(err, errBadBase64) {
				field, _, _ := strings.Cut(err.Error(), ":")
				e := malformed("a document's content is not valid base64")
				e.Fields = []apperr.FieldError{{Field: field, Issue: "must be base64 (RFC 4648)"}}
				refuse(e)
				return
			}
			if _, ok := apperr.As(err); !ok {
				var maxErr *http.MaxBytesError
				if errors.As(err, &maxErr) {
					err = tooLarge(MaxUploadBody)
				} else {
					err = malformed("the upload could not be read: " + err.Error())
				}
			}
			refuse(err)
			return
		}
		if perr != nil {
			a.WriteError(w, r, apperr.Validation(apperr.FieldError{Field: "verificationRequestId", Issue: "must be the id from the registration"}))
			return
		}
		var docs []kyc.UploadDoc
		var fe apperr.Fields
		for i, d := range req.Documents {
			ud := kyc.UploadDoc{Type: d.Type, SubType: d.SubType, FileName: d.FileName, DeclaredMIME: d.MimeType}
			if len(d.Metadata) > 0 && string(d.Metadata) != "null" {
				if err := DecodeBytes(d.Metadata, &ud.Metadata); err != nil {
					field, issue := fmt.Sprintf("documents[%d].metadata", i), strings.TrimPrefix(err.Error(), "malformed: ")
					if ae, ok := apperr.As(err); ok && len(ae.Fields) > 0 {
						field, issue = field+"."+ae.Fields[0].Field, ae.Fields[0].Issue
					}
					fe.Add(field, "%s", issue)
					continue
				}
			}
			n, ok := blobRef(d.Content)
			if kyc.IsValueType(d.Type) {
				// A virtual or social document is its value; a file
				// with it is refused by the service.
				ud.Value = d.Value
				if ok && n < len(blobs) {
					ud.Content = kyc.Content{R: blobs[n].File, Size: blobs[n].Size, SHA256: blobs[n].SHA256}
				}
				docs = append(docs, ud)
				continue
			}
			if d.Value != "" {
				fe.Add(fmt.Sprintf("documents[%d].value", i), "only %s and %s documents take a value; send this document's file as content", kyc.TypeVirtual, kyc.TypeSocial)
				continue
			}
			if !ok || n >= len(blobs) {
				fe.Add(fmt.Sprintf("documents[%d].content", i), "is required: the file, base64-encoded")
				continue
			}
			b := blobs[n]
			ud.Content = kyc.Content{R: b.File, Size: b.Size, SHA256: b.SHA256}
			docs = append(docs, ud)
		}
		if err := fe.Err(); err != nil {
			refuse(err)
			return
		}
		res, err := a.KYC.Upload(r.Context(), t.ID, vr, scope, docs)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		details := map[string]any{}
		if id := res.Identity; id != nil {
			details["identityDocument"] = map[string]any{"status": id.Status, "extractedData": map[string]any{
				"documentNumber": id.DocumentNumber, "fullName": id.FullName, "dateOfBirth": id.DateOfBirth, "matchScore": percent(id.MatchScore, 0)}}
		}
		if poa := res.ProofOfAddress; poa != nil {
			details["proofOfAddress"] = map[string]any{"status": poa.Status, "addressVerified": poa.AddressVerified}
		}
		valueDetails := func(vs []kyc.ValueDetails) []map[string]any {
			out := []map[string]any{}
			for _, v := range vs {
				out = append(out, map[string]any{"type": v.Type, "status": v.Status})
			}
			return out
		}
		if len(res.Virtual) > 0 {
			details["virtualDocuments"] = valueDetails(res.Virtual)
		}
		if len(res.Social) > 0 {
			details["socialDocuments"] = valueDetails(res.Social)
		}
		est, err := a.KYC.Estimates(r.Context(), t.ID)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		WriteData(w, http.StatusOK, map[string]any{"verificationRequestId": res.VerificationRequestID, "documentsProcessed": res.DocumentsProcessed,
			"status": res.Status, "processingDetails": details, "nextStep": res.NextStep, "estimatedProcessingTime": est.Processing})
	})
}

func blobRef(s string) (int, bool) {
	rest, ok := strings.CutPrefix(s, "blob:")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 0
}

var partName = regexp.MustCompile(`^documents\[(\d{1,2})\]\.(type|subType|fileName|mimeType|metadata|content|value)$`)

// The bounds of a multipart upload besides its files: the number of parts
// and the length of a file name; fields are bounded as in JSON
// (maxFieldBytes, maxFieldsBytes) and each part's headers by
// partHeaderLimiter.
const (
	maxUploadParts  = 200
	maxPartFileName = 1024
)

// readMultipartUpload reads the same fields from multipart/form-data:
// verificationRequestId, and documents[i].type, .subType, .metadata (JSON),
// .value (of a virtual or social document) and the file
// documents[i].content. owned is asked about the verificationRequestId as
// soon as it is read; its error stops the reading. Every field but the
// files is bounded, alone and together, as in a JSON upload.
func readMultipartUpload(body io.Reader, boundary string, owned func(uuid.UUID) error) (uploadRequest, []*Blob, error) {
	var req uploadRequest
	var blobs []*Blob
	if boundary == "" {
		return req, nil, malformed("the multipart body has no boundary")
	}
	mr := multipart.NewReader(&partHeaderLimiter{r: body, delim: []byte("\r\n--" + boundary), matched: 2}, boundary)
	parts, fields := 0, 0
	// tooLarge is the first file over the limit: the rest of the body is
	// still read, so that a verificationRequestId after it is known.
	var tooLarge error
	tooLong := func(field string) error { return fmt.Errorf("%s: %w", field, errFieldTooLarge) }
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if errors.Is(err, errPartHeaderTooLarge) {
			return req, blobs, fmt.Errorf("documents: %w", errFieldTooLarge)
		}
		if err != nil {
			var maxErr *http.MaxBytesError
			if errors.As(err, &maxErr) {
				return req, blobs, maxErr
			}
			return req, blobs, malformed("the multipart body could not be read")
		}
		if parts++; parts > maxUploadParts {
			return req, blobs, malformed(fmt.Sprintf("the multipart body has more than %d parts", maxUploadParts))
		}
		name := part.FormName()
		if p := TextProblem(name); p != "" {
			return req, blobs, BadText(printable(name), "is a field name that "+p)
		}
		if name == "verificationRequestId" {
			b, _ := io.ReadAll(io.LimitReader(part, 100))
			req.VerificationRequestID = string(b)
			if id, err := uuid.Parse(strings.TrimSpace(req.VerificationRequestID)); err == nil && owned != nil {
				if err := owned(id); err != nil {
					return req, blobs, err
				}
			}
			continue
		}
		m := partName.FindStringSubmatch(name)
		if m == nil {
			return req, blobs, malformed(fmt.Sprintf("unknown form field %q", name))
		}
		i, _ := strconv.Atoi(m[1])
		for len(req.Documents) <= i {
			req.Documents = append(req.Documents, uploadDocDTO{})
		}
		d := &req.Documents[i]
		field := fmt.Sprintf("documents[%d].%s", i, m[2])
		if m[2] == "content" {
			if p := TextProblem(part.FileName()); p != "" {
				return req, blobs, BadText(fmt.Sprintf("documents[%d].fileName", i), p)
			}
			sw, err := newSpool(kyc.MaxDocumentBytes)
			if err != nil {
				return req, blobs, err
			}
			if _, err := io.Copy(sw, part); err != nil {
				sw.discard()
				if errors.Is(err, errBlobTooLarge) {
					if tooLarge == nil {
						tooLarge = fmt.Errorf("documents[%d].content: %w", i, errBlobTooLarge)
					}
					if _, err := io.Copy(io.Discard, part); err == nil {
						continue
					}
					return req, blobs, tooLarge
				}
				var maxErr *http.MaxBytesError
				if errors.As(err, &maxErr) {
					return req, blobs, maxErr
				}
				return req, blobs, malformed("the multipart body could not be read")
			}
			blob, err := sw.blob()
			if err != nil {
				return req, blobs, err
			}
			d.Content = "blob:" + strconv.Itoa(len(blobs))
			blobs = append(blobs, blob)
			if d.FileName == "" {
				if fn := part.FileName(); len(fn) > maxPartFileName {
					return req, blobs, tooLong(fmt.Sprintf("documents[%d].fileName", i))
				} else {
					d.FileName = fn
				}
			}
			if d.MimeType == "" {
				d.MimeType = part.Header.Get("Content-Type")
			}
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
		if err != nil {
			var maxErr *http.MaxBytesError
			if errors.As(err, &maxErr) {
				return req, blobs, maxErr
			}
			return req, blobs, malformed("the multipart body could not be read")
		}
		if len(b) > maxFieldBytes {
			return req, blobs, tooLong(field)
		}
		if fields += len(b); fields > maxFieldsBytes {
			return req, blobs, tooLong(field)
		}
		if p := TextProblem(string(b)); p != "" && m[2] != "metadata" {
			// Metadata is JSON, which DecodeBytes checks with its paths.
			return req, blobs, BadText(name, p)
		}
		switch m[2] {
		case "type":
			d.Type = string(b)
		case "subType":
			d.SubType = string(b)
		case "fileName":
			d.FileName = string(b)
		case "mimeType":
			d.MimeType = string(b)
		case "metadata":
			d.Metadata = json.RawMessage(b)
		case "value":
			d.Value = string(b)
		}
	}
	return req, blobs, tooLarge
}

// errPartHeaderTooLarge is returned when a part's headers pass
// maxPartHeader.
var errPartHeaderTooLarge = errors.New("part header too large")

// maxPartHeader bounds the headers of one part (its file name travels in
// them): the multipart reader alone would hold up to 10 MB.
const maxPartHeader = 16 << 10

// partHeaderLimiter passes a multipart body through and fails once the
// headers of a part (from its delimiter to the empty line) pass
// maxPartHeader. A delimiter is CR LF "--" boundary; the body's first may
// come without the CR LF, so matching starts as if it had been seen. The
// boundary holds no CR (RFC 2046), so a mismatch restarts cleanly.
type partHeaderLimiter struct {
	r        io.Reader
	delim    []byte
	matched  int
	inHeader bool
	n        int
	last     uint32 // the last four bytes of the headers
}

func (l *partHeaderLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, c := range p[:n] {
		if l.inHeader {
			l.n++
			l.last = l.last<<8 | uint32(c)
			if l.last == 0x0d0a0d0a {
				l.inHeader, l.n, l.last = false, 0, 0
			} else if l.n > maxPartHeader {
				return 0, errPartHeaderTooLarge
			}
		}
		switch {
		case c == l.delim[l.matched]:
			l.matched++
		case c == l.delim[0]:
			l.matched = 1
		default:
			l.matched = 0
		}
		if l.matched == len(l.delim) {
			// The boundary line's own CR LF ends it; the headers follow
			// and end with an empty line.
			l.inHeader, l.n, l.last, l.matched = true, 0, 0, 0
		}
	}
	return n, err
}

// HandleVerificationStatus is GET /verification/status/{id}.
func (a *API) HandleVerificationStatus() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		id, err := uuid.Parse(r.PathValue("id"))
		if err != nil {
			a.WriteError(w, r, apperr.New(apperr.NotFound, "no such verification request").WithAPI("VERIFICATION_NOT_FOUND"))
			return
		}
		v, err := a.KYC.Get(r.Context(), t.ID, id, a.customerScope(r))
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		out := verificationDTO(v)
		if v.Status == kyc.StatusPendingReview || v.Status == kyc.StatusDocumentsReceived {
			est, err := a.KYC.Estimates(r.Context(), t.ID)
			if err != nil {
				a.WriteError(w, r, err)
				return
			}
			if v.Status == kyc.StatusPendingReview {
				out["estimatedReviewTime"] = est.Review
			} else {
				out["estimatedProcessingTime"] = est.Processing
			}
		}
		WriteData(w, http.StatusOK, out)
	})
}

// percent puts a score of 0 to 1 on guide 004's scale of 0 to 100, with
// the given number of decimals.
func percent(score float64, decimals int32) float64 {
	f, _ := decimal.NewFromFloat(score * 100).Round(decimals).Float64()
	return f
}

func verificationDTO(v kyc.Verification) map[string]any {
	out := map[string]any{"verificationRequestId": v.ID, "customerId": v.CustomerID, "status": v.Status, "riskLevel": v.RiskLevel,
		"checksState": v.ChecksState, "documentsReceived": len(v.Documents)}
	if v.Method != "" {
		out["verificationMethod"] = v.Method
	}
	if v.CompletedAt != nil {
		out["completedAt"] = v.CompletedAt.UTC().Format(time.RFC3339)
	}
	if v.Status == kyc.StatusPendingReview {
		if len(v.ReasonsForReview) > 0 {
			out["reasonForReview"] = v.ReasonsForReview[0]
		}
		out["reasonsForReview"] = v.ReasonsForReview
		out["assignedTo"] = v.AssignedTo
	}
	if v.Locked {
		out["locked"] = true
	}
	checks := map[string]any{}
	if c, ok := v.Check(kyc.CheckIdentity); ok {
		var confidence any
		if c.Score != nil {
			confidence = percent(*c.Score, 1)
		}
		checks["identity"] = map[string]any{"status": c.Status, "confidence": confidence}
	}
	if c, ok := v.Check(kyc.CheckAddress); ok {
		checks["address"] = map[string]any{"status": c.Status, "verified": c.Evidence["verified"] == true}
	}
	if c, ok := v.Check(kyc.CheckSanctions); ok {
		st := map[string]string{kyc.Passed: "CLEAR", kyc.PossibleMatch: "POSSIBLE_MATCH", kyc.Match: "MATCH"}[c.Status]
		if st == "" {
			st = c.Status
		}
		checks["sanctions"] = map[string]any{"status": st, "listsChecked": orEmpty(c.Evidence["listsChecked"]),
			"listVersions": orEmpty(c.Evidence["listVersions"])}
	}
	if c, ok := v.Check(kyc.CheckPEP); ok {
		st := map[string]string{kyc.Passed: "NOT_PEP", kyc.PossibleMatch: "POSSIBLE_PEP", kyc.Match: "PEP"}[c.Status]
		if st == "" {
			st = c.Status
		}
		checks["pep"] = map[string]any{"status": st, "checked": c.Status != kyc.NotChecked}
	}
	if c, ok := v.Check(kyc.CheckAge); ok {
		checks["ageVerification"] = map[string]any{"status": c.Status, "age": c.Evidence["age"]}
	}
	if c, ok := v.Check(kyc.CheckSelfie); ok {
		checks["selfie"] = map[string]any{"status": c.Status}
	}
	if c, ok := v.Check(kyc.CheckRequirements); ok {
		checks["requirements"] = map[string]any{"status": c.Status, "missing": orEmpty(c.Evidence["missing"])}
	}
	out["checks"] = checks
	return out
}

func orEmpty(v any) any {
	if v == nil {
		return []any{}
	}
	return v
}

// requiredField is a field registration requires, as the requirements
// list it.
type requiredField struct {
	Field  string `json:"field"`
	Label  string `json:"label"`
	Type   string `json:"type"`
	Format string `json:"format"`
	// Pattern, Example and Checksum describe a custom field's format.
	Pattern   string `json:"pattern,omitempty"`
	Example   string `json:"example,omitempty"`
	Checksum  string `json:"checksum,omitempty"`
	Sensitive bool   `json:"sensitive"`
	// VirtualDocument is the sub-type a field that identifies the person
	// is kept as.
	VirtualDocument string `json:"virtualDocument,omitempty"`
	Required        bool   `json:"required"`
	Source          string `json:"source,omitempty"`
}

// baseFields are what every registration requires.
var baseFields = []requiredField{
	{Field: "email", Label: "E-mail address", Type: "string", Format: "email"},
	{Field: "password", Label: "Password", Type: "string", Format: "the tenant's password policy", Sensitive: true},
	{Field: "matchingPassword", Label: "Password again", Type: "string", Format: "equal to password", Sensitive: true},
	{Field: "firstName", Label: "First name", Type: "string", Format: "text, at most 100 characters"},
	{Field: "lastName", Label: "Last name", Type: "string", Format: "text, at most 100 characters"},
	{Field: "individualCustomer.dateOfBirth", Label: "Date of birth", Type: "date", Format: "YYYY-MM-DD", Sensitive: true},
	{Field: "individualCustomer.nationality", Label: "Nationality", Type: "string", Format: "ISO 3166 alpha-2"},
	{Field: "individualCustomer.phoneNumber", Label: "Phone number", Type: "string", Format: "E.164", Sensitive: true},
	{Field: "individualCustomer.address.street", Label: "Street", Type: "string", Format: "text", Sensitive: true},
	{Field: "individualCustomer.address.city", Label: "City", Type: "string", Format: "text", Sensitive: true},
	{Field: "individualCustomer.address.postalCode", Label: "Postal code", Type: "string", Format: "text", Sensitive: true},
	{Field: "individualCustomer.address.country", Label: "Country of residence", Type: "string", Format: "ISO 3166 alpha-2"},
}

// profileLabels name the profile fields a pack may require.
var profileLabels = map[string]string{
	"individualCustomer.middleName": "Middle name", "individualCustomer.placeOfBirth": "Place of birth",
	"individualCustomer.occupation": "Occupation", "individualCustomer.employerName": "Employer",
	"individualCustomer.annualIncome": "Annual income", "individualCustomer.sourceOfFunds": "Source of funds",
	"individualCustomer.alternatePhoneNumber": "Alternate phone number", "individualCustomer.address.state": "State or region",
}

// customFields are the custom compliance fields of pol, required (at the
// policy's risk level) or not.
func customFields(pol compliance.Policy, required bool) []requiredField {
	out := []requiredField{}
	for _, f := range pol.Fields {
		if slices.Contains(pol.Required, f.Name) != required {
			continue
		}
		rf := requiredField{Field: customer.FieldComplianceFields + "." + f.Name, Label: f.Label, Type: f.Type, Format: f.Format,
			Sensitive: f.Sensitive, VirtualDocument: f.VirtualDocument, Required: required, Source: f.Citation}
		if fm, ok := compliance.FormatNamed(f.Format); ok {
			rf.Format, rf.Pattern, rf.Example, rf.Checksum = fm.Label, fm.Pattern, fm.Example, fm.Checksum
		} else if f.Format == "pattern" {
			rf.Format, rf.Pattern = "text matching the pattern", "^(?:"+f.Pattern+")$"
		}
		out = append(out, rf)
	}
	return out
}

// HandleComplianceRequirements is GET /compliance/requirements: the
// documents the tenant requires in a country at a risk level, and the
// fields registration requires there — its own, those the regulatory
// pack in force adds, and the pack's custom compliance fields with their
// formats.
func (a *API) HandleComplianceRequirements() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		q := r.URL.Query()
		cip := kyc.DefaultCIP
		if v := q.Get("cipTag"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				a.WriteError(w, r, apperr.Validation(apperr.FieldError{Field: "cipTag", Issue: "must be a whole number from 1 to 3000"}))
				return
			}
			cip = n
		}
		reqs, err := a.KYC.Requirements(r.Context(), t.ID, cip, q.Get("country"), q.Get("riskLevel"))
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		country, risk := strings.ToUpper(strings.TrimSpace(q.Get("country"))), strings.ToUpper(strings.TrimSpace(q.Get("riskLevel")))
		mandatory := slices.Clone(baseFields)
		for i := range mandatory {
			mandatory[i].Required = true
		}
		optional := []requiredField{}
		var pack any
		if a.Compliance != nil && country != "*" {
			pol, err := a.Compliance.Policy(r.Context(), t.ID, country, risk)
			if err != nil {
				a.WriteError(w, r, err)
				return
			}
			for _, p := range pol.ProfileFields {
				mandatory = append(mandatory, requiredField{Field: p, Label: profileLabels[p], Type: "string", Format: "text", Required: true,
					Source: pol.PackName})
			}
			mandatory = append(mandatory, customFields(pol, true)...)
			optional = customFields(pol, false)
			if pol.Pack.ID != "" {
				pack = map[string]any{"id": pol.Pack.ID, "version": pol.Pack.Version, "overridesHash": pol.Pack.OverridesHash, "name": pol.PackName,
					"retentionDays": pol.Retention, "rescreenDays": pol.RescreenDays, "eddMeasures": pol.EDD.Measures}
			}
		}
		docs := []map[string]any{}
		for _, rq := range reqs {
			d := map[string]any{"type": rq.Type, "subTypes": orEmptyStrings(rq.SubTypes), "required": rq.Required}
			if rq.MaxAgeDays > 0 {
				d["maxAgeDays"] = rq.MaxAgeDays
			} else {
				d["maxAgeDays"] = nil
			}
			docs = append(docs, d)
		}
		WriteData(w, http.StatusOK, map[string]any{"country": country, "riskLevel": risk,
			"mandatoryFields": mandatory, "optionalFields": optional, "documents": docs, "pack": pack})
	})
}

func orEmptyStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
