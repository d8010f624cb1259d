package web

import (
	"image"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ciamhq/ciam/internal/evidence/evidencetest"
	"github.com/ciamhq/ciam/internal/evidence/face"
)

// Real documents for the KYC tests, rendered by evidencetest: passport
// data pages with valid machine-readable zones, utility bills as text
// PDFs and as scans, selfies cut from photos that ship in an npm package.
// The server reads them as it reads a customer's.

// projectRoot is the folder with go.mod and node_modules.
func projectRoot(t testing.TB) string {
	t.Helper()
	if r := os.Getenv("CIAM_ROOT"); r != "" {
		return r
	}
	abs, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

var (
	facesOnce    sync.Once
	facesMatcher *face.Matcher
	facesErr     error
)

// sharedFaces is one face matcher (one node worker) for the package's
// tests: every harness uses it.
func sharedFaces(t testing.TB) *face.Matcher {
	t.Helper()
	facesOnce.Do(func() {
		facesMatcher, facesErr = face.Start(t.Context(), projectRoot(t))
	})
	if facesErr != nil {
		t.Fatalf("face models: %v (npm ci installs them)", facesErr)
	}
	return facesMatcher
}

// holder is who a rendered document belongs to, as registered.
type holder struct {
	Given, Middle, Surname string
	DateOfBirth            time.Time
	Nationality            string // ICAO three letters
	DocumentNumber         string
	Expiry                 time.Time
	Face                   int // which of evidencetest's people
	// Address on the bill.
	Street, City, State, PostalCode, Country string
}

// guideHolder is guide 001's John Robert Doe, as registered in the
// guide's example.
func guideHolder() holder {
	return holder{Given: "JOHN", Middle: "ROBERT", Surname: "DOE", DateOfBirth: time.Date(1990, 5, 15, 0, 0, 0, 0, time.UTC),
		Nationality: "USA", DocumentNumber: "AB1234567", Expiry: time.Now().AddDate(5, 0, 0), Face: 0,
		Street: "123 Main Street", City: "New York", State: "NY", PostalCode: "10001", Country: "US"}
}

// exampleHolder is the customer of docs/examples/registration.json, which
// most KYC tests register: John Michael Doe of 221B Baker Street, London.
func exampleHolder() holder {
	y, m, d := time.Now().UTC().AddDate(3, 0, 0).Date()
	return holder{Given: "JOHN", Middle: "MICHAEL", Surname: "DOE", DateOfBirth: time.Date(1990, 5, 15, 0, 0, 0, 0, time.UTC),
		Nationality: "GBR", DocumentNumber: "123456789", Expiry: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), Face: 1,
		Street: "221B Baker Street", City: "London", PostalCode: "NW1 6XE", Country: "GB"}
}

func (p holder) person() evidencetest.Person {
	given := strings.TrimSpace(p.Given + " " + p.Middle)
	return evidencetest.Person{Surname: p.Surname, GivenNames: given, Nationality: p.Nationality, IssuingState: p.Nationality,
		DateOfBirth: p.DateOfBirth, Sex: "M", Issued: p.Expiry.AddDate(-10, 0, 1), Expiry: p.Expiry, DocumentNumber: p.DocumentNumber}
}

func portrait(t testing.TB, who int) image.Image {
	t.Helper()
	img, err := evidencetest.Portrait(projectRoot(t), who)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

var rendered sync.Map // holder → JPEG: rendering costs more than reading a map

// passportJPEG is p's passport data page with their photo, as a JPEG.
func passportJPEG(t testing.TB, p holder) []byte {
	t.Helper()
	if b, ok := rendered.Load(p); ok {
		return b.([]byte)
	}
	b := evidencetest.JPEG(evidencetest.Passport(p.person(), evidencetest.PassportOptions{Photo: portrait(t, p.Face)}))
	rendered.Store(p, b)
	return b
}

// selfieJPEG is a selfie of p.
func selfieJPEG(t testing.TB, p holder) []byte {
	t.Helper()
	img, err := evidencetest.Selfie(projectRoot(t), p.Face)
	if err != nil {
		t.Fatal(err)
	}
	return evidencetest.JPEG(img)
}

// bill is p's utility bill issued on the day given.
func (p holder) bill(issued time.Time) evidencetest.Bill {
	b := evidencetest.SampleBill()
	b.Issuer = "NYC POWER COMPANY"
	b.Holder = strings.TrimSpace(p.Given + " " + p.Surname)
	b.Address = []string{p.Street, strings.TrimSpace(p.City + ", " + p.State + " " + p.PostalCode)}
	if p.State == "" {
		b.Address = []string{p.Street, p.City, p.PostalCode}
	}
	b.IssueDate = issued
	return b
}

// billPDF is p's utility bill as a PDF with a text layer.
func billPDF(p holder, issued time.Time) []byte { return evidencetest.BillPDF(p.bill(issued)) }

// payslip is the example customer's payslip (a source of funds) as a PDF
// with a text layer.
func payslip() []byte {
	b := exampleHolder().bill(time.Now().AddDate(0, 0, -7))
	b.Issuer, b.DateLabel = "TECH CORP LTD PAYROLL", "Pay date:"
	return evidencetest.BillPDF(b)
}
