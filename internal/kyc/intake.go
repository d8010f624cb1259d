package kyc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/evidence"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
)

// The intake stage: what the upload itself learns from each document's
// bytes before storing it. The server judges the file (format, pixel
// budget, complete decoding, nothing after the end, no active content in
// PDFs), reads it (OCR, the MRZ with every check digit, the visual zone,
// a bill's holder, address and date) and measures its quality. What the
// caller declares (metadata) is compared with what was read: it can fail
// the upload, never pass a check.

// ReadTimeout bounds the reading of one upload's documents.
const ReadTimeout = 30 * time.Second

// Unreadable is the status of a check whose document could not be read.
const Unreadable = "UNREADABLE"

// kindOf is what the evidence reader should expect of a document.
func kindOf(docType, subType string) evidence.Kind {
	switch docType {
	case "IDENTITY_DOCUMENT":
		switch subType {
		case "NATIONAL_ID":
			return evidence.KindIDCard
		case "DRIVERS_LICENSE":
			return evidence.KindDriverLicence
		}
		return evidence.KindPassport
	case "SELFIE":
		return evidence.KindSelfie
	}
	return evidence.KindProofOfAddress // bills, statements, source of funds
}

// examined is one uploaded document as the server read it.
type examined struct {
	facts docFacts
	// ev is nil when the document could not be read (why says why).
	ev  *evidence.Evidence
	why string
}

// examine judges and reads document i. A refused file is an API error
// naming documents[i].content.
func (s *Service) examine(ctx context.Context, i int, d UploadDoc, monthFirst bool, th evidence.Thresholds) (examined, error) {
	p := fmt.Sprintf("documents[%d].content", i)
	// At most one document per processor is held and decoded at once:
	// reading needs the whole file and its pixels in memory.
	select {
	case s.readSlots <- struct{}{}:
		defer func() { <-s.readSlots }()
	case <-ctx.Done():
		return examined{why: "reading the document took too long"}, nil
	}
	data := make([]byte, d.Content.Size)
	if _, err := d.Content.R.ReadAt(data, 0); err != nil {
		return examined{}, fmt.Errorf("kyc: read upload: %w", err)
	}
	var out examined
	var ev evidence.Evidence
	var err error
	if s.Reader != nil {
		ev, err = s.Reader.Examine(ctx, data, kindOf(d.Type, d.SubType), evidence.ExamineOptions{Thresholds: th, MonthFirst: monthFirst})
	} else {
		ev.Facts, err = evidence.Judge(ctx, data)
		if err == nil {
			err = fmt.Errorf("%w: no reader", evidence.ErrToolMissing)
		}
	}
	if e, ok := evidence.AsError(err); ok {
		c := apperr.Malformed
		if e.Code == evidence.CodePoorQuality {
			c = apperr.Invalid
		}
		return out, fieldErr(string(e.Code), p, e.Message, c)
	}
	out.facts = docFacts{mime: ev.Facts.MIME, width: ev.Facts.Width, height: ev.Facts.Height, pages: ev.Facts.Pages}
	switch {
	case err == nil:
	case errors.Is(err, evidence.ErrToolMissing):
		if out.facts.mime == "" { // a PDF poppler could not judge
			return out, fieldErr("INVALID_DOCUMENT_FORMAT", p, "the file could not be judged: the document tools are not installed", apperr.Malformed)
		}
		out.why = "the OCR tools are not installed on the server: the document was not read"
		return out, nil
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		out.why = "reading the document took too long"
		return out, nil
	default:
		return out, fmt.Errorf("kyc: examine: %w", err)
	}
	if q := ev.Quality; q != nil && !q.OK() {
		return out, fieldErr("POOR_IMAGE_QUALITY", p, qualityMessage(*q, d.Type), apperr.Invalid)
	}
	out.ev = &ev
	return out, nil
}

// qualityMessage says which quality figures failed, with their values and
// thresholds, so the customer knows what to fix.
func qualityMessage(q evidence.QualityReport, docType string) string {
	var parts []string
	t := q.Thresholds
	for _, f := range q.Failed {
		switch f {
		case evidence.FigureSharpness:
			parts = append(parts, fmt.Sprintf("the image is blurred (sharpness %.0f, at least %.0f needed)", q.Sharpness, t.MinSharpness))
		case evidence.FigureGlare:
			parts = append(parts, fmt.Sprintf("glare covers %.0f%% of it (at most %.0f%%)", q.Glare*100, t.MaxGlare*100))
		case evidence.FigureDarkness:
			parts = append(parts, fmt.Sprintf("it is too dark (brightness %.0f of 255, at least %.0f)", q.Brightness, t.MinBrightness))
		case evidence.FigureBrightness:
			parts = append(parts, fmt.Sprintf("it is washed out (brightness %.0f of 255, at most %.0f)", q.Brightness, t.MaxBrightness))
		case evidence.FigureResolution:
			min := t.MinSide
			if docType == "SELFIE" {
				min = t.MinSideSelfie
			}
			parts = append(parts, fmt.Sprintf("it is %d×%d pixels (at least %d on the shorter side)", q.Width, q.Height, min))
		case evidence.FigureFraming:
			parts = append(parts, fmt.Sprintf("the document does not fill the frame or its machine-readable zone is cut off (it spans %.0f%%, at least %.0f%%)", q.Fill*100, t.MinFill*100))
		default:
			parts = append(parts, strings.ToLower(f))
		}
	}
	return "the document cannot be read: " + strings.Join(parts, "; ") + " (" + strings.Join(q.Failed, ", ") + ")"
}

// identityRead is what an identity document shows of its holder, from its
// MRZ or, where it has none, its visual zone.
type identityRead struct {
	Source         string // "MRZ", "VISUAL_ZONE" or "" when nothing was read
	Surname        string
	GivenNames     string
	DocumentNumber string
	Nationality    string
	DateOfBirth    time.Time
	Expiry         time.Time
	// MRZValid: every check digit agrees.
	MRZValid     bool
	FailedDigits []string
}

// Name is the holder's name as read: given names, then surname.
func (r identityRead) Name() string { return strings.TrimSpace(r.GivenNames + " " + r.Surname) }

func readIdentity(ev *evidence.Evidence) identityRead {
	if ev == nil {
		return identityRead{}
	}
	if m := ev.MRZ; m != nil {
		return identityRead{Source: "MRZ", Surname: m.Surname, GivenNames: m.GivenNames, DocumentNumber: m.DocumentNumber,
			Nationality: m.Nationality, DateOfBirth: m.DateOfBirth, Expiry: m.Expiry, MRZValid: m.Valid, FailedDigits: m.FailedChecks()}
	}
	v := ev.VisualZone
	if v.Name() == "" && v.DateOfBirth.IsZero() {
		return identityRead{}
	}
	given, surname := v.GivenNames, v.Surname
	if given == "" && surname == "" {
		given = v.FullName
	}
	return identityRead{Source: "VISUAL_ZONE", Surname: surname, GivenNames: given, DocumentNumber: v.DocumentNumber,
		DateOfBirth: v.DateOfBirth, Expiry: v.Expiry}
}

// sameDay compares two dates by their calendar day.
func sameDay(a, b time.Time) bool { return a.Format(time.DateOnly) == b.Format(time.DateOnly) }

// intakeIdentity compares an identity document as read with the
// registration and with what the caller declared. Any disagreement refuses
// the upload (EXPIRED_DOCUMENT, DATA_MISMATCH) naming the field; otherwise
// it returns what the upload answers.
func intakeIdentity(i int, d UploadDoc, ex examined, cust customer.Customer, now time.Time) (*IdentityDetails, error) {
	p := fmt.Sprintf("documents[%d]", i)
	md := d.Metadata
	read := readIdentity(ex.ev)
	ed := md.ExtractedData
	declaredName := str(ed, "fullName")
	if declaredName == "" {
		declaredName = strings.TrimSpace(str(ed, "firstName") + " " + str(ed, "lastName"))
	}
	mismatch := func(field, msg string) error { return fieldErr("DATA_MISMATCH", p+"."+field, msg, apperr.Invalid) }

	// Expiry: what the document shows decides; a declared date in the
	// past fails on its own.
	if !read.Expiry.IsZero() && read.Expiry.Before(today(now)) {
		return nil, fieldErr("EXPIRED_DOCUMENT", p+".content", "the document shows it expired on "+read.Expiry.Format("2 January 2006"), apperr.Invalid)
	}
	if md.ExpiryDate != "" {
		e, ok := parseDate(md.ExpiryDate)
		if !ok {
			return nil, fieldErr("VALIDATION_FAILED", p+".metadata.expiryDate", "must be a date such as 2030-12-31", apperr.Invalid)
		}
		if e.Before(today(now)) {
			return nil, fieldErr("EXPIRED_DOCUMENT", p+".metadata.expiryDate", "the document expired on "+e.Format("2 January 2006"), apperr.Invalid)
		}
		if !read.Expiry.IsZero() && !sameDay(e, read.Expiry) {
			return nil, mismatch("metadata.expiryDate", fmt.Sprintf("the document shows the expiry date %s, not %s", read.Expiry.Format(time.DateOnly), md.ExpiryDate))
		}
	}
	if md.MRZ != "" {
		// A declared MRZ is a claim too: one whose digits do not agree
		// fails the upload.
		if m, err := evidence.ParseMRZ(strings.Fields(strings.ToUpper(md.MRZ))); err == nil && !m.Valid {
			return nil, mismatch("metadata.mrz", "the machine-readable zone's check digits do not agree ("+strings.Join(m.FailedChecks(), ", ")+")")
		}
	}

	// The document against the registration.
	dob := cust.DateOfBirth
	if !read.DateOfBirth.IsZero() && !sameDay(read.DateOfBirth, dob) {
		return nil, mismatch("content", fmt.Sprintf("the date of birth on the document (%s) is not the registered one", read.DateOfBirth.Format(time.DateOnly)))
	}
	var score float64
	if read.Name() != "" {
		var both bool
		score, both = NameMatch(read.Name(), cust.FirstName, cust.MiddleName, cust.LastName)
		if !both {
			return nil, mismatch("content", fmt.Sprintf("the name on the document (%s) does not match the registered first and last name", read.Name()))
		}
	}

	// What the caller declared, against the registration and the document.
	if declaredName != "" {
		if _, both := NameMatch(declaredName, cust.FirstName, cust.MiddleName, cust.LastName); !both {
			return nil, mismatch("metadata.extractedData.fullName", "the name on the document does not match the registered first and last name")
		}
	}
	if v := str(ed, "dateOfBirth"); v != "" {
		if v != dob.Format(time.DateOnly) {
			return nil, mismatch("metadata.extractedData.dateOfBirth", "the date of birth on the document does not match the registration")
		}
	}
	if v := strings.ToUpper(strings.ReplaceAll(md.DocumentNumber, " ", "")); v != "" && read.DocumentNumber != "" && v != read.DocumentNumber {
		return nil, mismatch("metadata.documentNumber", fmt.Sprintf("the document shows the number %s, not %s", read.DocumentNumber, md.DocumentNumber))
	}

	det := &IdentityDetails{Status: "UNREADABLE", DocumentNumber: read.DocumentNumber, FullName: read.Name(), MatchScore: score}
	if !read.DateOfBirth.IsZero() {
		det.DateOfBirth = read.DateOfBirth.Format(time.DateOnly)
	}
	switch {
	case read.Source == "MRZ" && read.MRZValid, read.Source == "VISUAL_ZONE" && kindOf(d.Type, d.SubType) == evidence.KindDriverLicence:
		det.Status = "VALIDATED"
	case read.Source != "":
		det.Status = "REVIEW_REQUIRED" // check digits that do not agree, or no MRZ where one belongs
	}
	return det, nil
}

// addressRead is what a proof of address shows, compared with the
// customer.
type addressRead struct {
	Read       bool
	Name       string
	Lines      []string
	IssueDate  time.Time
	NameMatch  bool
	NameScore  float64
	Address    evidence.AddressMatch
	Recent     bool
	Failures   []string
	MaxAgeDays int
}

// Verified says whether the document proves the registered address.
func (a addressRead) Verified() bool { return a.Read && len(a.Failures) == 0 }

// readAddress compares a proof of address as read with the customer; the
// declared metadata can only add failures.
func readAddress(ev *evidence.Evidence, md Metadata, cust customer.Customer, now time.Time, maxAgeDays int) addressRead {
	out := addressRead{MaxAgeDays: maxAgeDays}
	fail := func(f string) { out.Failures = append(out.Failures, f) }
	if ev == nil || ev.Address == nil {
		fail("NOT_READ")
		return out
	}
	a := ev.Address
	out.Read = a.Name != "" || len(a.AddressLines) > 0 || !a.IssueDate.IsZero()
	out.Name, out.Lines, out.IssueDate = a.Name, a.AddressLines, a.IssueDate
	if !out.Read {
		fail("NOTHING_READ")
		return out
	}
	if a.Name == "" {
		fail("NO_NAME_ON_DOCUMENT")
	} else if out.NameScore, out.NameMatch = NameMatch(a.Name, cust.FirstName, cust.MiddleName, cust.LastName); !out.NameMatch {
		fail("NAME_MISMATCH")
	}
	reg := cust.Address
	out.Address = evidence.MatchAddress(a.AddressLines, evidence.Address{Street: reg.Street, StreetNumber: reg.StreetNumber, City: reg.City,
		PostalCode: reg.PostalCode, Country: reg.Country, State: reg.State})
	if !out.Address.Matched {
		fail("ADDRESS_MISMATCH")
	}
	within := func(d time.Time) bool {
		return maxAgeDays <= 0 || (!d.After(now) && now.Sub(d) <= time.Duration(maxAgeDays)*24*time.Hour)
	}
	switch {
	case a.IssueDate.IsZero():
		fail("NO_DATE_ON_DOCUMENT")
	case !within(a.IssueDate):
		fail("TOO_OLD")
	default:
		out.Recent = true
	}
	// The declared date and address can fail the check, never pass it.
	if md.IssueDate != "" {
		if d, ok := parseDate(md.IssueDate); !ok || !within(d) {
			fail("DECLARED_ISSUE_DATE_TOO_OLD")
		}
	}
	if !md.Address.IsZero() {
		got := addressTokens(md.Address.String())
		for _, part := range []string{reg.Street, reg.City, reg.PostalCode} {
			for t := range addressTokens(part) {
				if !got[t] {
					fail("DECLARED_ADDRESS_MISMATCH")
					return out
				}
			}
		}
	}
	return out
}

// sealEvidence seals what was read from document id for storage: it holds
// what the document shows of its holder, as sensitive as the content.
func sealEvidence(crypt *fieldcrypt.Keys, id uuid.UUID, ev *evidence.Evidence) ([]byte, error) {
	if ev == nil {
		return nil, nil
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	return crypt.Seal(b, EvidenceAAD(id)), nil
}

// EvidenceAAD binds sealed evidence to its document.
func EvidenceAAD(id uuid.UUID) []byte { return []byte("document-evidence:" + id.String()) }

// openEvidence opens stored evidence; nil when there is none.
func openEvidence(crypt *fieldcrypt.Keys, id uuid.UUID, sealed []byte) (*evidence.Evidence, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	b, err := crypt.Open(sealed, EvidenceAAD(id))
	if err != nil {
		return nil, fmt.Errorf("kyc: evidence of %s: %w", id, err)
	}
	var ev evidence.Evidence
	if err := json.Unmarshal(b, &ev); err != nil {
		return nil, fmt.Errorf("kyc: evidence of %s: %w", id, err)
	}
	return &ev, nil
}

// DocumentEvidence is what the server read from document id (nil when it
// read nothing), for reviewers: the OCR text, the MRZ with its check
// digits and box, the quality figures against their thresholds, the
// signals. It is not a view of the content and is not audited as one.
func (s *Service) DocumentEvidence(ctx context.Context, tenant, id uuid.UUID) (*evidence.Evidence, error) {
	var doc db.Document
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		doc, err = q.Document(ctx, db.DocumentParams{TenantID: tenant, ID: id})
		return err
	})
	if db.IsNotFound(err) {
		return nil, errDocumentNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("kyc: document evidence: %w", err)
	}
	return openEvidence(s.crypt, id, doc.Evidence)
}
