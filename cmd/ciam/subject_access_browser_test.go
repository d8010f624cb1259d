package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/demo"
)

// In a real browser: a senior reviewer asks for a customer's subject
// access export on their page, a tenant administrator approves it, and the
// export's page follows the job by itself (htmx polling) until the
// download is offered.
func TestBrowserSubjectAccessRound(t *testing.T) {
	base := startProduct(t)
	d := demo.Load()
	ctx := context.Background()
	pool, err := db.Open(ctx, dbtest.URL(t), db.DefaultAppRole)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	sys := actor.With(ctx, actor.Actor{Kind: actor.System, Name: "browser test", TenantID: d.Tenant.ID})
	reg, err := customer.NewService(pool, nil).Register(sys, d.Tenant.ID, customer.RegisterInput{
		Email: "sar-" + uuid.NewString()[:8] + "@example.com", Password: "Test-Passw0rd!", MatchingPassword: "Test-Passw0rd!",
		FirstName: "Petra", LastName: "Lindqvist", DateOfBirth: "1984-02-09", Nationality: "SE", PhoneNumber: "+46701234567",
		Occupation: "Pilot", SourceOfFunds: "EMPLOYMENT",
		Address: customer.Address{Street: "Storgatan 3", City: "Uppsala", PostalCode: "753 20", Country: "SE", AddressType: "RESIDENTIAL"},
	})
	if err != nil {
		t.Fatal(err)
	}
	custPage := base + "/customers/" + reg.Customer.ID.String()
	senior, admin := newBrowser(t), newBrowser(t)

	do(t, senior, chromedp.Navigate(custPage))
	do(t, senior, signInAt("senior")...)
	do(t, senior,
		chromedp.WaitVisible(tid("subject-request")),
		chromedp.SendKeys(chromedp.ID("subject-reason"), "Letter of 2026-11-27, ref. SAR-114"),
		chromedp.Click(chromedp.CSS(`[data-testid="subject-request"] button[type="submit"]`)),
		chromedp.WaitVisible(tid("subject-pending")),
	)
	if f := textOf(t, senior, `[data-testid="flash"]`); !strings.Contains(f, "awaits a second employee") {
		t.Fatalf("after asking the senior reviewer sees %q", f)
	}
	screenshot(t, senior, "subject-access-requested")
	approvalURL := hrefOf(t, senior, `[data-testid="subject-pending"] a`)

	do(t, admin, chromedp.Navigate(base+approvalURL))
	do(t, admin, signInAt("admin")...)
	do(t, admin,
		chromedp.WaitVisible(tid("decision-form")),
		chromedp.SendKeys(chromedp.ID("decision-reason"), "Requester's identity checked"),
		chromedp.Click(tid("approve")),
		chromedp.WaitVisible(tid("flash")),
	)
	if f := textOf(t, admin, `[data-testid="flash"]`); !strings.Contains(f, "Approved and applied") {
		t.Fatalf("after approving the administrator sees %q", f)
	}

	// The export's page, opened while the export is said to be running,
	// changes by itself to ready once it is.
	do(t, senior, chromedp.Navigate(custPage), chromedp.WaitVisible(chromedp.CSS(`[data-testid="subject-export"] a`)))
	exportURL := hrefOf(t, senior, `[data-testid="subject-export"] a`)
	exportID := exportURL[strings.LastIndex(exportURL, "/")+1:]
	owner := dbtest.OwnerPool(t)
	waitDone := func() {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			var st string
			if err := owner.QueryRow(ctx, "SELECT status FROM subject_exports WHERE id = $1", exportID).Scan(&st); err != nil {
				t.Fatal(err)
			}
			if st == "DONE" {
				return
			}
			if st == "FAILED" || time.Now().After(deadline) {
				t.Fatalf("the export's job: %s", st)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitDone()
	if _, err := owner.Exec(ctx, "UPDATE subject_exports SET status = 'RUNNING', processed = 6 WHERE id = $1", exportID); err != nil {
		t.Fatal(err)
	}
	do(t, senior, chromedp.Navigate(base+exportURL), chromedp.WaitVisible(chromedp.CSS(`[data-testid="subject-status"][data-status="RUNNING"]`)))
	if got := textOf(t, senior, `[data-testid="subject-parts"]`); !strings.HasPrefix(got, "6 of 12 parts") {
		t.Errorf("running: %q", got)
	}
	if _, err := owner.Exec(ctx, "UPDATE subject_exports SET status = 'DONE', processed = total WHERE id = $1", exportID); err != nil {
		t.Fatal(err)
	}
	do(t, senior, chromedp.WaitVisible(tid("subject-download")))
	if loc := location(t, senior); loc != base+exportURL {
		t.Errorf("the page moved to %s; it should have changed in place", loc)
	}
	screenshot(t, senior, "subject-access-ready")
}

// hrefOf is the href attribute of the element sel finds, as written.
func hrefOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+strconv.Quote(sel)+`).getAttribute("href")`))
	if err != nil {
		t.Fatal(err)
	}
	return href
}
