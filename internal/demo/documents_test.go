package demo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/demo"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/evidence"
	"github.com/ciamhq/ciam/internal/evidence/face"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/jobs"
	"github.com/ciamhq/ciam/internal/kyc"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// projectRoot is the folder with go.mod and node_modules.
func projectRoot(t *testing.T) string {
	t.Helper()
	if r := os.Getenv("CIAM_ROOT"); r != "" {
		return r
	}
	abs, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// listedNames stands in for the screening lists, which the `make run`
// test loads for real: the PEP list names Bernard Sanders.
type listedNames struct{}

func (listedNames) ScreenPerson(_ context.Context, _ uuid.UUID, p kyc.Person) (kyc.ScreeningResult, error) {
	r := kyc.ScreeningResult{Sanctions: "CLEAR", PEP: "NOT_PEP", ListsChecked: []string{"OFAC", "UN", "PEP"}}
	if strings.Contains(p.Name, "Sanders") {
		r.PEP = "POSSIBLE_PEP"
	}
	return r, nil
}

// The demo's documents, read and judged by the real reader and face
// models: the genuine ones are approved automatically, the others wait for
// people with the reason the demo promises; seeding again uploads nothing.
func TestSeedDocumentsApprovesGenuineAndQueuesTheRest(t *testing.T) {
	ctx := t.Context()
	pool := dbtest.Pool(t)
	customers := customer.NewService(pool, nil)
	d, err := demo.Seed(ctx, tenant.NewService(pool), staff.NewService(pool), customers)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.SeedCustomers(ctx, customers, d); err != nil {
		t.Fatal(err)
	}
	keys, err := fieldcrypt.Parse("t1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	if err != nil {
		t.Fatal(err)
	}
	svc := kyc.NewService(pool, keys, kyc.PostgresStorage{}, customers, nil)
	if svc.Reader, err = evidence.NewReader(evidence.ReaderOptions{}); err != nil {
		t.Fatalf("tesseract and poppler: %v", err)
	}
	faces, err := face.Start(ctx, projectRoot(t))
	if err != nil {
		t.Fatalf("face models: %v (npm ci installs them)", err)
	}
	svc.Faces, svc.Screener = faces, listedNames{}
	// The server's queue runs the pipeline's stages after each upload.
	runner, err := jobs.New(pool, jobs.Config{Webhooks: event.NewWebhooks(pool, keys), KYC: svc})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = runner.Stop(context.Background()) })

	// Without the photos nothing is uploaded, and the seed says why.
	if n, err := demo.SeedDocuments(ctx, svc, customers, d, t.TempDir(), time.Now()); n != 0 || !errors.Is(err, demo.ErrNoDocumentTools) {
		t.Fatalf("seed without the face photos: %d uploads, %v", n, err)
	}

	start := time.Now()
	n, err := demo.SeedDocuments(ctx, svc, customers, d, projectRoot(t), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n != len(demo.DocumentCases) {
		t.Fatalf("documents of %d customers uploaded; want %d", n, len(demo.DocumentCases))
	}
	t.Logf("%d customers' documents uploaded and read in %s", n, time.Since(start).Round(time.Millisecond))

	want := map[demo.Outcome]struct {
		status, reason, check, failure string
	}{
		demo.Approved:    {status: kyc.StatusApproved},
		demo.MRZBroken:   {kyc.StatusPendingReview, "CHECK_FAILED_IDENTITY", kyc.CheckIdentity, "MRZ_CHECK_DIGITS"},
		demo.OtherFace:   {kyc.StatusPendingReview, "CHECK_FAILED_SELFIE", kyc.CheckSelfie, "FACE_MISMATCH"},
		demo.ShakenScan:  {kyc.StatusPendingReview, "UNREADABLE_ADDRESS", kyc.CheckAddress, ""},
		demo.PossiblePEP: {kyc.StatusPendingReview, kyc.ReasonPEP, kyc.CheckPEP, ""},
	}
	for _, c := range demo.DocumentCases {
		v := decided(t, svc, d, verificationOf(t, customers, d, c.Email()))
		w := want[c.Outcome]
		summary := checkSummary(v)
		if v.Status != w.status || (w.reason != "" && !slices.Contains(v.ReasonsForReview, w.reason)) {
			t.Errorf("%s (%s): %s %v; want %s with %s\n%s", c.Name(), c.Outcome, v.Status, v.ReasonsForReview, w.status, w.reason, summary)
			continue
		}
		if w.failure != "" && !strings.Contains(summary, w.check+" "+kyc.Failed+" ["+w.failure) {
			t.Errorf("%s (%s): the %s check does not say %s:\n%s", c.Name(), c.Outcome, w.check, w.failure, summary)
		}
		t.Logf("%s: %s %v\n%s", c.Name(), v.Status, v.ReasonsForReview, summary)
	}

	// Seeding again finds every verification past waiting for documents.
	if n, err := demo.SeedDocuments(ctx, svc, customers, d, projectRoot(t), time.Now()); n != 0 || err != nil {
		t.Fatalf("second seed: %d uploads, %v", n, err)
	}
}

// decided waits for the queue to route verification vr.
func decided(t *testing.T, svc *kyc.Service, d demo.Data, vr uuid.UUID) kyc.Verification {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		v, err := svc.Get(t.Context(), d.Tenant.ID, vr, nil)
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != kyc.StatusDocumentsReceived && v.Status != kyc.StatusInProgress {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("verification %s still %s (checks %s)", vr, v.Status, v.ChecksState)
		}
	}
}

// verificationOf is the demo customer's only verification.
func verificationOf(t *testing.T, customers *customer.Service, d demo.Data, email string) uuid.UUID {
	t.Helper()
	page, err := customers.Search(t.Context(), d.Tenant.ID, customer.SearchFilter{Query: email, Limit: 1})
	if err != nil || len(page.Customers) != 1 {
		t.Fatalf("customer %s: %v %v", email, page.Customers, err)
	}
	det, err := customers.GetDetail(t.Context(), d.Tenant.ID, page.Customers[0].ID)
	if err != nil || len(det.Verifications) != 1 {
		t.Fatalf("verifications of %s: %v %v", email, det.Verifications, err)
	}
	return det.Verifications[0].ID
}

// checkSummary is one line per check: kind, status, failures and reason.
func checkSummary(v kyc.Verification) string {
	var b strings.Builder
	for _, c := range v.Checks {
		fmt.Fprintf(&b, "%s %s %v %v\n", c.Kind, c.Status, c.Evidence["failures"], c.Evidence["reason"])
		if vz, ok := c.Evidence["visualZoneDisagrees"]; ok {
			fmt.Fprintf(&b, "  the visual zone does not show %v\n", vz)
		}
	}
	return b.String()
}
