package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/evidence/evidencetest"
	"github.com/ciamhq/ciam/internal/kyc"
)

// Outcome is what the automated checks should make of a demo customer's
// documents.
type Outcome string

// The outcomes the demo shows.
const (
	// Approved: a passport with a valid MRZ, a bill at the registered
	// address and a selfie of the passport's face.
	Approved Outcome = "APPROVED"
	// MRZBroken: the passport's document number check digit does not
	// agree (identity FAILED, MRZ_CHECK_DIGITS).
	MRZBroken Outcome = "MRZ_CHECK_DIGITS"
	// OtherFace: the selfie is of another person (selfie FAILED,
	// FACE_MISMATCH).
	OtherFace Outcome = "FACE_MISMATCH"
	// PossiblePEP: genuine documents of a customer who bears the name of
	// a listed politically exposed person (PEP POSSIBLE_MATCH).
	PossiblePEP Outcome = "PEP_MATCH_POSSIBLE"
	// ShakenScan: the bill is a scan taken with a moving hand: sharp
	// enough to pass the quality thresholds, but OCR reads nothing of it
	// (address UNREADABLE).
	ShakenScan Outcome = "UNREADABLE_SCAN"
)

// DocumentCase is a demo customer who gets documents, and what they show.
type DocumentCase struct {
	// Customer is an index into the demo customers.
	Customer int
	Outcome  Outcome
	// Sex is printed on the passport (M or F).
	Sex string
	// Face is which of evidencetest's people is on the passport; the
	// selfie shows the same person unless the outcome is OtherFace.
	Face           int
	DocumentNumber string
}

// DocumentCases are the demo customers with documents: three approved
// automatically, the others waiting in the review queue for a reason an
// analyst can see. The faces are the three people of the face models'
// sample photos (all three women; the PEP case wears one of them too).
var DocumentCases = []DocumentCase{
	{Customer: 0, Outcome: Approved, Sex: "F", Face: 0, DocumentNumber: "533401298"},
	{Customer: 10, Outcome: Approved, Sex: "F", Face: 1, DocumentNumber: "EK4417250"},
	{Customer: 19, Outcome: Approved, Sex: "F", Face: 2, DocumentNumber: "054117723"},
	{Customer: 6, Outcome: MRZBroken, Sex: "F", Face: 0, DocumentNumber: "N47731946"},
	{Customer: 8, Outcome: OtherFace, Sex: "F", Face: 1, DocumentNumber: "549188035"},
	{Customer: 17, Outcome: ShakenScan, Sex: "F", Face: 2, DocumentNumber: "TR5580312"},
	{Customer: 21, Outcome: PossiblePEP, Sex: "M", Face: 1, DocumentNumber: "566102784"},
}

// icao is the three-letter code passports print for the demo's countries.
var icao = map[string]string{"GB": "GBR", "PL": "POL", "RO": "ROU", "NG": "NGA", "IN": "IND", "JP": "JPN", "US": "USA",
	"DE": "D", "FR": "FRA", "ES": "ESP", "IT": "ITA", "IE": "IRL", "CN": "CHN", "TR": "TUR"}

// Email is the demo customer's e-mail address.
func (c DocumentCase) Email() string {
	p := demoCustomers[c.Customer]
	return strings.ToLower(fmt.Sprintf("%s.%s@example.com", ascii(p.first), ascii(p.last)))
}

// Name is the demo customer's full name.
func (c DocumentCase) Name() string {
	p := demoCustomers[c.Customer]
	return strings.Join(strings.Fields(p.first+" "+p.middle+" "+p.last), " ")
}

// ErrNoDocumentTools says the demo documents cannot be made or read here.
var ErrNoDocumentTools = errors.New("demo: the document tools are missing")

// SeedDocuments uploads the documents of DocumentCases through the real
// verification service, so the automated checks (River jobs, run by the
// server) read and judge them as they would a customer's. verifications
// must read documents (its Reader set) and queue the checks (its Jobs
// set); root is the project folder, where the face photos of the npm
// package @vladmandic/face-api are. A customer whose verification is no
// longer waiting for documents is left alone, so seeding twice uploads
// nothing the second time. Without the reader or the photos nothing is
// uploaded and the error wraps ErrNoDocumentTools.
func SeedDocuments(ctx context.Context, verifications *kyc.Service, customers *customer.Service, d Data, root string, now time.Time) (int, error) {
	if verifications.Reader == nil {
		return 0, fmt.Errorf("%w: tesseract and poppler are not installed, documents are not read", ErrNoDocumentTools)
	}
	var faces [evidencetest.People]struct{ portrait, selfie image.Image }
	for i := range faces {
		var err error
		if faces[i].portrait, err = evidencetest.Portrait(root, i); err == nil {
			faces[i].selfie, err = evidencetest.Selfie(root, i)
		}
		if err != nil {
			return 0, fmt.Errorf("%w: %v", ErrNoDocumentTools, err)
		}
	}
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "demo seed", TenantID: d.Tenant.ID})
	n := 0
	for _, c := range DocumentCases {
		id, vr, risk, err := waitingVerification(ctx, customers, d.Tenant.ID, c.Email())
		if err != nil {
			return n, err
		}
		if vr == uuid.Nil {
			continue // documents given already, or the customer is not there
		}
		selfie := faces[c.Face].selfie
		if c.Outcome == OtherFace {
			selfie = faces[(c.Face+2)%len(faces)].selfie
		}
		docs := c.documents(faces[c.Face].portrait, selfie, risk, now)
		if _, err := verifications.Upload(ctx, d.Tenant.ID, vr, nil, docs); err != nil {
			return n, fmt.Errorf("demo: documents of %s (customer %s): %w", c.Name(), id, err)
		}
		n++
	}
	return n, nil
}

// waitingVerification finds the demo customer with e-mail address email
// and their verification still waiting for documents (uuid.Nil when there
// is none).
func waitingVerification(ctx context.Context, customers *customer.Service, tenant uuid.UUID, email string) (id, vr uuid.UUID, risk string, err error) {
	page, err := customers.Search(ctx, tenant, customer.SearchFilter{Query: email, Limit: 5})
	if err != nil {
		return id, vr, "", fmt.Errorf("demo: find %s: %w", email, err)
	}
	for _, s := range page.Customers {
		if !strings.EqualFold(s.Email, email) {
			continue
		}
		det, err := customers.GetDetail(ctx, tenant, s.ID)
		if err != nil {
			return id, vr, "", fmt.Errorf("demo: customer %s: %w", email, err)
		}
		for _, v := range det.Verifications {
			if v.Status == kyc.StatusAwaitingDocuments {
				return s.ID, v.ID, det.Customer.RiskLevel, nil
			}
		}
	}
	return id, vr, "", nil
}

// holder is the passport's person: the demo customer as registered, the
// MRZ's letters transliterated by evidencetest.
func (c DocumentCase) holder(now time.Time) evidencetest.Person {
	p := demoCustomers[c.Customer]
	dob, _ := time.Parse(time.DateOnly, p.dob)
	y, m, day := now.UTC().AddDate(6, 2, 0).Date()
	expiry := time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
	nat := icao[p.nationality]
	if nat == "" {
		nat = p.nationality
	}
	return evidencetest.Person{Surname: p.last, GivenNames: strings.TrimSpace(p.first + " " + p.middle), Nationality: nat, IssuingState: nat,
		DateOfBirth: dob, Sex: c.Sex, Issued: expiry.AddDate(-10, 0, 1), Expiry: expiry, DocumentNumber: c.DocumentNumber}
}

// bill is the customer's electricity bill at their registered address,
// issued twelve days before now.
func (c DocumentCase) bill(now time.Time) evidencetest.Bill {
	p := demoCustomers[c.Customer]
	b := evidencetest.SampleBill()
	b.Issuer = "THAMES VALLEY ENERGY"
	b.IssuerAddress = []string{"PO Box 2210, Reading RG1 1AA"}
	b.Holder = strings.TrimSpace(p.first + " " + p.last)
	b.Address = []string{p.street, p.city, p.postal}
	y, m, day := now.UTC().AddDate(0, 0, -12).Date()
	b.IssueDate = time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
	b.Account = fmt.Sprintf("4410-%04d-%02d", 1000+c.Customer*37, c.Customer)
	return b
}

// documents are the files the customer's app would upload.
func (c DocumentCase) documents(portrait, selfie image.Image, risk string, now time.Time) []kyc.UploadDoc {
	h := c.holder(now)
	mrz := evidencetest.TD3(h)
	opts := evidencetest.PassportOptions{Photo: portrait}
	if c.Outcome == MRZBroken {
		mrz[1] = evidencetest.BreakDigit(mrz[1], 19) // the date of birth's check digit
		opts.MRZ = &mrz
	}
	passport := evidencetest.JPEG(evidencetest.Passport(h, opts))
	b := c.bill(now)
	bill := evidencetest.BillPDF(b)
	if c.Outcome == ShakenScan {
		bill = evidencetest.ImagePDF(evidencetest.JPEG(evidencetest.Shake(evidencetest.BillImage(b), 3)))
	}
	country := demoCustomers[c.Customer].nationality
	docs := []kyc.UploadDoc{
		upload("IDENTITY_DOCUMENT", "PASSPORT", "passport.jpg", "image/jpeg", passport, kyc.Metadata{
			DocumentNumber: c.DocumentNumber, IssuingCountry: country, ExpiryDate: h.Expiry.Format(time.DateOnly)}),
		upload("PROOF_OF_ADDRESS", "UTILITY_BILL", "electricity-bill.pdf", "application/pdf", bill, kyc.Metadata{
			Issuer: b.Issuer, IssueDate: b.IssueDate.Format(time.DateOnly)}),
		upload("SELFIE", "", "selfie.jpg", "image/jpeg", evidencetest.JPEG(selfie), kyc.Metadata{}),
	}
	// A customer who is, or may become, HIGH risk (a possible list match
	// raises them) is asked for the source of their funds too.
	if risk == "HIGH" || c.Outcome == PossiblePEP {
		p := b
		p.Issuer, p.IssuerAddress, p.DateLabel = "HARTLEY & CO PAYROLL", []string{"1 Fleet Place, London EC4M 7WS"}, "Pay date:"
		docs = append(docs, upload("SOURCE_OF_FUNDS", "PAYSLIP", "payslip.pdf", "application/pdf", evidencetest.BillPDF(p), kyc.Metadata{}))
	}
	return docs
}

// upload is one document's bytes as the API hands them to the service.
func upload(typ, sub, name, mime string, data []byte, md kyc.Metadata) kyc.UploadDoc {
	sum := sha256.Sum256(data)
	return kyc.UploadDoc{Type: typ, SubType: sub, FileName: name, DeclaredMIME: mime, Metadata: md,
		Content: kyc.Content{R: bytes.NewReader(data), Size: int64(len(data)), SHA256: sum[:]}}
}

// NoteSkipped prints why the demo has no documents, for `make run`.
func NoteSkipped(w io.Writer, err error) {
	fmt.Fprintf(w, "demo: customers get no documents (%v); their verifications wait for documents\n", err)
}
