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

// passportJPEG is p's passport data page with their photo, as a JPEG.
func passportJPEG(t testing.TB, p holder) []byte {
	t.Helper()
	return evidencetest.JPEG(evidencetest.Passport(p.person(), evidencetest.PassportOptions{Photo: portrait(t, p.Face)}))
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
	b.Address = []string{p.Street, p.City + ", " + p.State + " " + p.PostalCode, "United States"}
	b.IssueDate = issued
	return b
}

// billPDF is p's utility bill as a PDF with a text layer.
func billPDF(p holder, issued time.Time) []byte { return evidencetest.BillPDF(p.bill(issued)) }
