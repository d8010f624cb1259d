package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ciamhq/ciam/internal/cases"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/approval"
	"github.com/ciamhq/ciam/internal/catalog"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/demo"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/jobs"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/staff"
)

// The widths every page is measured at: a phone, a tablet and a laptop.
var pageWidths = []int64{390, 768, 1440}

// portalPage is a GET route of web/routes.go that renders a page, with
// the permission it needs ("" when any signed-in employee may open it).
type portalPage struct {
	Pattern, Permission string
}

// portalPages are the GET routes of web/routes.go that render a page,
// read from the file itself so that a page added later is measured too,
// each with its permission as internal/staff/permission.go spells it.
func portalPages(t *testing.T) []portalPage {
	t.Helper()
	root := projectRoot(t)
	src, err := os.ReadFile(filepath.Join(root, "web", "routes.go"))
	if err != nil {
		t.Fatal(err)
	}
	perms, err := os.ReadFile(filepath.Join(root, "internal", "staff", "permission.go"))
	if err != nil {
		t.Fatal(err)
	}
	permOf := map[string]string{}
	for _, m := range regexp.MustCompile(`(Perm\w+)\s+Permission = "([^"]+)"`).FindAllStringSubmatch(string(perms), -1) {
		permOf[m[1]] = m[2]
	}
	notPages := map[string]bool{
		"/healthz": true, "/readyz": true, "/static/": true, // operability and assets
		"/login": true, "/auth/callback": true, // before sign-in
		"/documents/{id}/content": true, // the document's bytes, shown inside the viewer page
		// downloads, not pages
		"/customers/export.csv": true, "/reviews/export.csv": true, "/alerts/export.csv": true,
		"/screening/hits/export.csv": true, "/config/fees/export.csv": true, "/audit/export.csv": true, "/cases/export.csv": true,
		"/alerts/{id}/goaml": true, "/cases/{id}/attachments/{attachment}": true, "/reports/runs/{id}/download": true,
		"/customers/{id}/subject-access/{export}/download": true,
		// a subject access export's page: no export is made here (web/subject_access_test.go covers it)
		"/customers/{id}/subject-access/{export}": true,
		// a report run's page: no run is made here (reports_test.go covers it)
		"/reports/runs/{id}": true,
	}
	var out []portalPage
	for _, m := range regexp.MustCompile(`\{"GET (/[^"]*)", (AccessSignedIn|AccessPublic|AccessAPIPublic|need\(staff\.(Perm\w+)\))`).FindAllStringSubmatch(string(src), -1) {
		if notPages[m[1]] || m[2] == "AccessPublic" || m[2] == "AccessAPIPublic" {
			continue
		}
		p := portalPage{Pattern: m[1]}
		if m[3] != "" {
			if p.Permission = permOf[m[3]]; p.Permission == "" {
				t.Fatalf("%s needs %s, which internal/staff/permission.go does not define", m[1], m[3])
			}
		}
		out = append(out, p)
	}
	if len(out) < 40 {
		t.Fatalf("found only %d portal pages in web/routes.go: %v", len(out), out)
	}
	return out
}

// widthData is what the demo lacks for every page to have something to
// show: a fee rule, a branch, a connector, a webhook, an AML list, a
// screening list with a hit and an upload, and a verification with
// documents. Long values on purpose, where people type long values.
type widthData struct {
	quote  string // a fee quote the fee rule answers
	review string // a verification request with documents
	upload string // a list upload
}

// widthDB is the database of TestBrowserEveryPageFitsEveryWidth.
var widthDB string

func seedWidthData(t *testing.T, base string) widthData {
	ctx := context.Background()
	d := demo.Load()
	pool, err := db.Open(ctx, widthDB, db.DefaultAppRole)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	customers := customer.NewService(pool, nil)
	if _, err := demo.SeedCustomers(ctx, customers, d); err != nil {
		t.Fatal(err)
	}

	// A small PEP list (the US Congress list's first entries and Bernard
	// Sanders, whose namesake is a demo customer): the server re-screens
	// the customers and raises a hit.
	lines, err := os.ReadFile(filepath.Join(projectRoot(t), "internal", "screening", "lists", "pep", "us_congress_senzing.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	for i, l := range strings.Split(string(lines), "\n") {
		if i < 40 || strings.Contains(l, `"Bernard Sanders"`) || strings.Contains(l, `"Bernie Sanders"`) {
			if strings.TrimSpace(l) != "" {
				// A source of the test's own: other tests of the package
				// load the whole list, and only a new or changed entry is
				// re-screened.
				keep = append(keep, strings.Replace(l, `"DATA_SOURCE":"OS_US_CONGRESS"`, `"DATA_SOURCE":"WIDTH_TEST_PEP"`, 1))
			}
		}
	}
	list := filepath.Join(t.TempDir(), "congress.jsonl")
	if err := os.WriteFile(list, []byte(strings.Join(keep, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lists := screening.NewService(pool)
	if lists.Jobs, err = jobs.NewInserter(pool); err != nil {
		t.Fatal(err)
	}
	sys := actor.With(ctx, actor.Actor{Kind: actor.System, Name: "width test", TenantID: d.Tenant.ID})
	loaded, err := lists.Load(sys, screening.FormatSenzing, list, screening.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Re-screened here rather than left to the server's queue, which may
	// still be busy with the re-screenings other tests of the package
	// queued (the queued job then finds the hit made).
	if _, err := lists.Rescreen(sys, loaded.Version.ID, customers.ScreeningSubjects()); err != nil {
		t.Fatal(err)
	}
	content, _ := os.ReadFile(list)
	up, err := lists.StartUpload(sys, screening.FormatSenzing, []screening.UploadFile{{Name: "congress.jsonl", Content: content}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.SeedAML(ctx, pool, d, aml.SanctionsScreener{S: lists}, staff.NewService(pool), customers); err != nil {
		t.Fatal(err)
	}
	approvals := approval.NewService(pool)
	approvals.Register(catalog.KindFeeCreate, catalog.FeeTarget, catalog.FeeApplier{Create: true})
	monitoring := aml.NewService(pool, approvals, time.Now)
	if _, err := monitoring.CreateList(sys, d.Tenant.ID, "Counterparties we stopped working with in 2025", "Names the payments team asked to watch"); err != nil {
		t.Fatal(err)
	}

	keys, err := fieldcrypt.Parse("b1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.NewService(pool, keys, time.Now)
	if _, err := cat.CreateBranch(sys, d.Tenant.ID, catalog.BranchInput{Code: "KINGS_CROSS_STATION_CONCOURSE", Name: "King's Cross Station, Western Concourse pay point",
		Type: catalog.TypePayPoint, Street: "Euston Road", City: "London", PostalCode: "N1C 4AL", Country: "GB", Latitude: "51.53185", Longitude: "-0.12397"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.CreateConnector(sys, d.Tenant.ID, catalog.ConnectorInput{Type: catalog.ConnWebhook, Name: "Core banking notifications",
		Config: map[string]string{catalog.BaseURLKey: "https://notifications.core-banking.internal.finsei.example/v1/customers/events/inbound"}}); err != nil {
		t.Fatal(err)
	}
	hooks := event.NewWebhooks(pool, keys)
	hooks.AllowPrivateNetworks = true // no name resolves here: an address of this machine stands in
	if _, _, err := hooks.CreateSubscription(sys, d.Tenant.ID, "https://127.0.0.1:9/hooks/partner-integrations/ciam/v2/customer-lifecycle/events/receive?channel=compliance-team-eu-west",
		"Compliance team, EU west", nil); err != nil {
		t.Fatal(err)
	}

	// A fee rule, proposed by the senior reviewer and approved by the admin.
	staffList, err := staff.NewService(pool).List(ctx, d.Tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	as := func(email string) context.Context {
		for _, e := range staffList {
			if strings.EqualFold(e.Email, email) {
				return actor.With(ctx, actor.Actor{Kind: actor.Employee, ID: e.ID.String(), Name: e.Name, TenantID: d.Tenant.ID})
			}
		}
		t.Fatalf("no employee %s", email)
		return nil
	}
	spec, err := catalog.ParseFeeRule(catalog.FeeRuleInput{Name: "International transfers from the United Kingdom, mobile app", TransactionType: "INTERNATIONAL_TRANSFER",
		Country: "GB", Currency: "GBP", Channel: "MOBILE_APP", CustomerCategory: "HIGH_RISK_INDIVIDUAL", Fixed: "1.50", Percentage: "0.75", Minimum: "2.00", Maximum: "250.00",
		EffectiveFrom: "2026-01-01", Active: true, Tiers: []catalog.TierInput{{From: "0", UpTo: "1000", Fixed: "1.00"}, {From: "1000", Percentage: "0.5"}}}, time.UTC, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req, err := approvals.Propose(as("sam.senior@finsei.example"), d.Tenant.ID, catalog.KindFeeCreate, uuid.NewString(), "Create fee rule "+spec.Name, spec, "New corridor")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := approvals.Decide(as("tia.admin@finsei.example"), d.Tenant.ID, req.ID, approval.Approve, "Priced as agreed"); err != nil {
		t.Fatal(err)
	}
	quote := "/config/fees/quote?transactionType=INTERNATIONAL_TRANSFER&country=GB&currency=GBP&channel=MOBILE_APP&category=HIGH_RISK_INDIVIDUAL&amount=123456789.99"

	// A verification with a passport and a bill, for the review and the
	// document viewer.
	backend := newAPIClientOn(t, widthDB, base, credential.ScopeCustomersWrite, credential.ScopeCustomersRead, credential.ScopeVerificationWrite)
	raw, err := os.ReadFile(filepath.Join(projectRoot(t), "docs", "examples", "registration.json"))
	if err != nil {
		t.Fatal(err)
	}
	var reg map[string]any
	if err := json.Unmarshal(raw, &reg); err != nil {
		t.Fatal(err)
	}
	reg["email"] = "w-" + uuid.NewString()[:8] + "@example.com"
	status, out := backend.call("POST", "/customer/individual/registration", reg)
	if status != 201 {
		t.Fatalf("register: %d %v", status, out)
	}
	vr := out["data"].(map[string]any)["verificationRequestId"].(string)
	ex := renderExample(t)
	if status, out = backend.call("POST", "/verification/documents/upload", map[string]any{"verificationRequestId": vr, "documents": []any{
		document("IDENTITY_DOCUMENT", "PASSPORT", "passport.jpg", ex.passport, map[string]any{"documentNumber": ex.person.DocumentNumber, "issuingCountry": "GB",
			"expiryDate": ex.person.Expiry.Format(time.DateOnly), "extractedData": map[string]any{"fullName": "John Michael Doe", "dateOfBirth": "1990-05-15"}}),
		document("PROOF_OF_ADDRESS", "UTILITY_BILL", "bill.pdf", ex.bill, map[string]any{"issueDate": ex.issued.Format(time.DateOnly), "issuer": "London Power",
			"address": "221B Baker Street, London NW1 6XE"}),
	}}); status != 200 {
		t.Fatalf("upload: %d %v", status, out)
	}
	return widthData{quote: quote, review: "/reviews/" + vr, upload: "/screening/lists/uploads/" + up.ID.String()}
}

// A page's measurement at one width.
type pageFit struct {
	ScrollWidth int      `json:"scrollWidth"`
	ClientWidth int      `json:"clientWidth"`
	Wide        []string `json:"wide"`     // what sticks out past the viewport
	Clipped     []string `json:"clipped"`  // cells that cut their text
	Untitled    []string `json:"untitled"` // intentional truncation without a title
	Boxed       []string `json:"boxed"`    // tables that scroll inside their box
	SmallText   []string `json:"smallText"`
	Wrapped     []string `json:"wrapped"`       // badges on two lines
	NarrowSel   []string `json:"narrowSelects"` // selects that cut their options`
	SearchWidth int      `json:"searchWidth"`
	Unstacked   []string `json:"unstacked"` // main lists not shown as cards on a phone
	RawCodes    []string `json:"rawCodes"`  // status codes shown instead of words
}

// measureJS measures the page as it is laid out now. A cell clips when
// its content is wider than it (scrollWidth > clientWidth); truncation on
// purpose carries the class truncate-cell and must carry a title with the
// whole value. Charts must keep their labels readable (at least 8 px).
const measureJS = `(() => {
  const de = document.documentElement, vw = de.clientWidth;
  const name = el => {
    const tid = el.closest('[data-testid]');
    return el.tagName.toLowerCase() + (tid ? '[' + tid.dataset.testid + ']' : '') + ' "' + (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 50) + '"';
  };
  // Screen-reader-only text is clipped to a pixel on purpose: not seen, not measured.
  const visible = el => { const r = el.getBoundingClientRect(); return r.width > 2 && r.height > 2 && getComputedStyle(el).visibility !== 'hidden'; };
  const out = {scrollWidth: de.scrollWidth, clientWidth: vw, wide: [], clipped: [], untitled: [], boxed: [], smallText: [], wrapped: [], narrowSelects: [], searchWidth: 0,
    unstacked: [], rawCodes: []};
  // What sticks out: the outermost element past the viewport's edge that
  // no fitting scroll box (or clip) of an ancestor holds in.
  const heldIn = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') return a.getBoundingClientRect().right <= vw + 1;
    }
    return false;
  };
  if (de.scrollWidth > vw) {
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.right <= vw + 1 || (r.width === 0 && r.height === 0) || heldIn(el)) continue;
      const p = el.parentElement;
      if (p === document.body || p.getBoundingClientRect().right <= vw + 1) out.wide.push(name(el) + ' reaches ' + Math.round(r.right) + 'px');
      if (out.wide.length >= 5) break;
    }
  }
  for (const el of document.querySelectorAll('td, th, dd, td *, th *')) {
    // Form controls scroll their own value; they are not cells.
    if (!visible(el) || el.closest('details:not([open])') || ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName)) continue;
    const cs = getComputedStyle(el);
    if (!['TD', 'TH', 'DD'].includes(el.tagName) && cs.overflowX === 'visible') continue;
    if (el.scrollWidth <= el.clientWidth + 1) continue;
    if (el.classList.contains('truncate-cell')) {
      if (!(el.getAttribute('title') || '').trim()) out.untitled.push(name(el));
      continue;
    }
    out.clipped.push(name(el) + ' ' + el.scrollWidth + '>' + el.clientWidth);
  }
  for (const table of document.querySelectorAll('main table')) {
    if (!visible(table) || table.closest('details:not([open])')) continue;
    let box = table.parentElement;
    while (box && box !== document.body && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
    if (box && box !== document.body && box.scrollWidth > box.clientWidth + 1) out.boxed.push(name(table) + ' ' + box.scrollWidth + '>' + box.clientWidth);
  }
  for (const txt of document.querySelectorAll('main figure[data-testid^="chart-"] svg text')) {
    const h = txt.getBoundingClientRect().height;
    if (h > 0 && h < 8) { out.smallText.push(name(txt.closest('figure')) + ' label ' + h.toFixed(1) + 'px'); break; }
  }
  // A description list (a quote's result, a record's facts) stays inside
  // its box.
  for (const dl of document.querySelectorAll('main dl')) {
    if (visible(dl) && dl.scrollWidth > dl.clientWidth + 1) out.clipped.push(name(dl) + ' overflows its box ' + dl.scrollWidth + '>' + dl.clientWidth);
  }
  // Badges stay on one line.
  for (const b of document.querySelectorAll('main [data-testid="badge"]')) {
    if (visible(b) && (b.getClientRects().length > 1 || b.getBoundingClientRect().height > 28)) { out.wrapped.push(name(b)); if (out.wrapped.length >= 5) break; }
  }
  // A select is wide enough for its longest option (the forms plugin
  // keeps 0.75rem on the left and 2.5rem on the right for the arrow).
  const ctx2d = document.createElement('canvas').getContext('2d');
  for (const sel of document.querySelectorAll('main select')) {
    if (!visible(sel) || sel.multiple) continue;
    const cs = getComputedStyle(sel);
    ctx2d.font = cs.fontWeight + ' ' + cs.fontSize + ' ' + cs.fontFamily;
    const longest = Math.max(...[...sel.options].map(o => ctx2d.measureText(o.text).width));
    const room = sel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) + 16;
    if (longest > room) out.narrowSelects.push('select#' + sel.id + ' needs ' + Math.ceil(longest) + 'px for its longest option, has ' + Math.floor(room));
  }
  // Under the sm breakpoint the main lists are stacked cards: each row a
  // block, no sideways scrolling in the list's box.
  if (vw < 640) {
    for (const id of ['customer-table', 'reviews-table', 'alerts-table', 'cases-table', 'hits-table']) {
      const table = document.querySelector('main table[data-testid="' + id + '"]');
      if (!table || !visible(table)) continue;
      const row = table.querySelector('tbody > tr');
      if (row && getComputedStyle(row).display === 'table-row') out.unstacked.push(id + ': rows are table rows');
      if (table.getBoundingClientRect().width > table.parentElement.clientWidth + 1) out.unstacked.push(id + ': wider than its box');
    }
  }
  // Words, not codes: no badge shows a status code, and no page shows the
  // codes people kept seeing (SUBMITTED|REVIEWING, PENDING_REVIEW, IN_PROGRESS).
  const code = /^[A-Z][A-Z0-9]*([-_|][A-Z0-9]+)+$|^[A-Z]{4,}$/;
  for (const b of document.querySelectorAll('main [data-testid="badge"]')) {
    const t = (b.textContent || '').trim();
    if (visible(b) && code.test(t) && !['OFAC', 'IBAN', 'TOTP'].includes(t)) { out.rawCodes.push('badge "' + t + '"'); if (out.rawCodes.length >= 5) break; }
  }
  const main = document.querySelector('main');
  for (const m of ((main && main.innerText) || '').matchAll(/SUBMITTED\|[A-Z]+|PENDING_REVIEW|IN_PROGRESS/g)) {
    out.rawCodes.push('text "' + m[0] + '"');
    if (out.rawCodes.length >= 8) break;
  }
  const s = document.getElementById('global-search');
  out.searchWidth = s ? Math.round(s.getBoundingClientRect().width) : 0;
  return out;
})()`

// A browser tab signed in as one demo employee, in a browser context of
// its own (its own cookies).
type roleTab struct {
	login string
	ctx   context.Context
}

// Every portal page, at 390, 768 and 1,440 px, as every role that may open
// it: nothing makes the page wider than the viewport, no table cell cuts
// its text, the header search stays usable and charts keep readable
// labels; at 1,440 px no table needs sideways scrolling in its box; at
// 390 px the main lists are stacked cards; no badge or page shows a status
// code instead of its words.
func TestBrowserEveryPageFitsEveryWidth(t *testing.T) {
	start := time.Now()
	// A database of its own: the package's other tests load lists and
	// re-screen, which changed the hits this test's pages need.
	widthDB = dbtest.FreshURL(t)
	base := startProductOn(t, widthDB)
	data := seedWidthData(t, base)
	pages := portalPages(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("hide-scrollbars", false),
		chromedp.UserDataDir(t.TempDir()),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	browser, cancelTimeout := context.WithTimeout(browser, 4*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(browser); err != nil { // start the browser
		t.Fatal(err)
	}

	// Every role signs in at once, each in its own browser context.
	logins := []string{"analyst", "senior", "admin", "auditor", "support", "operator"}
	tabs := make([]roleTab, len(logins))
	signIns := make([]error, len(logins))
	var signing sync.WaitGroup
	for i, login := range logins {
		ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		tabs[i] = roleTab{login, ctx}
		signing.Add(1)
		go func() {
			defer signing.Done()
			steps := append([]chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(1440, 900), chromedp.Navigate(base + "/dashboard")}, signInAt(login)...)
			signIns[i] = chromedp.Do(ctx, append(steps, chromedp.WaitVisible(tid("user-name")))...)
		}()
	}
	signing.Wait()
	if err := errors.Join(signIns...); err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	admin, senior := tabs[2].ctx, tabs[1].ctx

	// Wait for the re-screening to raise the demo customer's hit.
	// (A link to a hit, not to the list's export; the queue may still be
	// busy with the re-screenings other tests of the package queued.)
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(500 * time.Millisecond) {
		n, err := chromedp.Run(senior, chromedp.Evaluate[int](`fetch('/screening').then(r => r.text()).then(h => (h.match(/href="\/screening\/hits\/[0-9a-f-]{36}/g) || []).length)`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the re-screening raised no hit for the demo customer on the PEP list")
		}
	}

	// Detail pages: the first link to one on the page that lists them.
	linkFrom := func(ctx context.Context, list, pattern string) string {
		t.Helper()
		re := "^" + regexp.MustCompile(`\\\{[a-z]+\\\}`).ReplaceAllString(regexp.QuoteMeta(pattern), `[0-9a-f-]{36}`) + "$"
		href, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`fetch(%q).then(r => r.text()).then(h => {
			const doc = new DOMParser().parseFromString(h, 'text/html'); const re = new RegExp(%q);
			const a = [...doc.querySelectorAll('a[href]')].map(a => a.getAttribute('href').split(/[?#]/)[0]).find(h => re.test(h));
			return a || ''; })`, list, re), chromedp.EvalAwaitPromise))
		if err != nil || href == "" {
			t.Fatalf("no link to %s on %s (%v)", pattern, list, err)
		}
		return href
	}
	customerURL := linkFrom(senior, "/customers", "/customers/{id}")
	// A case for the customer, as an analyst opens one.
	caseCustomer := uuid.MustParse(customerURL[strings.LastIndex(customerURL, "/")+1:])
	casePool, err := db.Open(t.Context(), widthDB, db.DefaultAppRole)
	if err != nil {
		t.Fatal(err)
	}
	defer casePool.Close()
	caseKeys, err := fieldcrypt.Parse("b1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	if err != nil {
		t.Fatal(err)
	}
	tenantID := demo.Load().Tenant.ID
	caseCtx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "width test", TenantID: tenantID})
	if _, err := cases.NewService(casePool, caseKeys, nil).Create(caseCtx, tenantID, cases.CreateParams{CustomerID: &caseCustomer, Title: "Width test"}); err != nil {
		t.Fatal(err)
	}
	ruleURL := linkFrom(senior, "/aml/rules", "/aml/rules/{id}")
	reviewURL := data.review
	urls := map[string]string{
		"/{$}":                                   "/",
		"/customers/{id}":                        customerURL,
		"/customers/{id}/hide":                   customerURL + "/hide",
		"/customers/{id}/identity":               customerURL + "/identity",
		"/reviews/{id}":                          reviewURL,
		"/documents/{id}":                        linkFrom(senior, reviewURL, "/documents/{id}"),
		"/alerts/{id}":                           linkFrom(senior, "/alerts", "/alerts/{id}"),
		"/screening/hits/{id}":                   linkFrom(senior, "/screening", "/screening/hits/{id}"),
		"/screening/search":                      "/screening/search?q=Bernard+Sanders",
		"/screening/lists/versions/{id}":         linkFrom(senior, "/screening/lists", "/screening/lists/versions/{id}"),
		"/screening/lists/uploads/{id}":          data.upload,
		"/screening/lists/sources/{id}/settings": "/screening/lists/sources/OFAC_SDN/settings",
		"/aml/rules/condition":                   "/aml/rules/condition?kind=" + aml.KindExpression,
		"/aml/rules/{id}":                        ruleURL,
		"/aml/rules/{id}/edit":                   ruleURL + "/edit",
		"/aml/rules/{id}/shadow/{run}":           linkFrom(senior, ruleURL, "/aml/rules/{id}/shadow/{run}"),
		"/aml/lists/{id}":                        linkFrom(senior, "/aml/lists", "/aml/lists/{id}"),
		"/approvals/{id}":                        linkFrom(senior, "/approvals?status=APPROVED", "/approvals/{id}"),
		"/config/fees/quote":                     data.quote,
		"/config/fees/{id}":                      linkFrom(admin, "/config/fees", "/config/fees/{id}"),
		"/config/branches/{id}":                  linkFrom(admin, "/config/branches", "/config/branches/{id}"),
		"/config/connectors/{id}":                linkFrom(admin, "/config/connectors", "/config/connectors/{id}"),
		"/webhooks/{id}":                         linkFrom(admin, "/webhooks", "/webhooks/{id}"),
		"/audit/{id}":                            linkFrom(admin, "/audit", "/audit/{id}"),
		"/cases/{id}":                            linkFrom(senior, "/cases", "/cases/{id}"),
		"/reports/{id}":                          "/reports/alerts",
	}
	for _, pg := range pages {
		p := pg.Pattern
		if _, ok := urls[p]; !ok {
			if strings.Contains(p, "{") {
				t.Fatalf("page %s has no id to visit: add it to the test", p)
			}
			urls[p] = p
		}
	}
	mainPages := map[string]bool{"/dashboard": true, "/customers": true, "/customers/{id}": true, "/reviews": true, "/reviews/{id}": true,
		"/alerts": true, "/screening": true, "/aml/rules": true, "/approvals": true, "/config/fees": true, "/config/fees/quote": true,
		"/webhooks": true, "/staff": true, "/audit": true}
	shots := os.Getenv("CIAM_SCREENSHOTS")
	var shotMu sync.Mutex
	shot := map[string]bool{}
	// claimShot lets the first role that opens a main page take its
	// screenshot at a width.
	claimShot := func(p string, w int64) bool {
		shotMu.Lock()
		defer shotMu.Unlock()
		k := fmt.Sprint(p, w)
		if shot[k] {
			return false
		}
		shot[k] = true
		return true
	}

	ready := time.Since(start)
	var mu sync.Mutex
	seen := map[string][]string{} // page → roles that measured it
	var problems []string
	var wg sync.WaitGroup
	for _, tab := range tabs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			role := staff.Role("")
			for _, e := range demo.Load().Employees {
				if e.Login == tab.login {
					role = staff.Role(e.Role)
				}
			}
			may := staff.PermissionsOf([]staff.Role{role})
			for _, pg := range pages {
				p := pg.Pattern
				if pg.Permission != "" && !may.Has(staff.Permission(pg.Permission)) {
					continue
				}
				var fits []pageFit
				err := chromedp.Do(tab.ctx, chromedp.EmulateViewport(pageWidths[0], 900))
				resp, err2 := chromedp.Run(tab.ctx, chromedp.NavigateResponse(base+urls[p]))
				code := 0
				if resp != nil {
					code = int(resp.Status)
				}
				if err = errors.Join(err, err2); err != nil {
					mu.Lock()
					problems = append(problems, fmt.Sprintf("%s %s: %v", tab.login, p, err))
					mu.Unlock()
					continue
				}
				for _, w := range pageWidths {
					err := chromedp.Do(tab.ctx, chromedp.EmulateViewport(w, 900))
					fit, err2 := chromedp.Run(tab.ctx, chromedp.Evaluate[pageFit](measureJS))
					if err = errors.Join(err, err2); err != nil {
						mu.Lock()
						problems = append(problems, fmt.Sprintf("%s %s at %d: %v", tab.login, p, w, err))
						mu.Unlock()
						continue
					}
					fits = append(fits, fit)
					if shots != "" && mainPages[p] && w != 768 && claimShot(p, w) {
						if png, err := chromedp.Run(tab.ctx, chromedp.FullScreenshot(100)); err == nil {
							name := strings.Trim(strings.NewReplacer("/", "-", "{", "", "}", "", "$", "home").Replace(p), "-")
							_ = os.WriteFile(filepath.Join(shots, fmt.Sprintf("%s-%d.png", name, w)), png, 0o644)
						}
					}
				}
				mu.Lock()
				seen[p] = append(seen[p], tab.login)
				if code != 200 {
					problems = append(problems, fmt.Sprintf("%s as %s: status %d; the role may open it", urls[p], tab.login, code))
				}
				for i, f := range fits {
					at := fmt.Sprintf("%s at %d px as %s", urls[p], pageWidths[i], tab.login)
					if f.ScrollWidth > f.ClientWidth {
						problems = append(problems, fmt.Sprintf("%s: page %d px wide in a %d px viewport: %s", at, f.ScrollWidth, f.ClientWidth, strings.Join(f.Wide, "; ")))
					}
					for _, c := range f.Clipped {
						problems = append(problems, at+": cell clips its text: "+c)
					}
					for _, c := range f.Untitled {
						problems = append(problems, at+": truncated without a title: "+c)
					}
					if pageWidths[i] >= 1440 {
						for _, c := range f.Boxed {
							problems = append(problems, at+": table scrolls sideways in its box: "+c)
						}
						for _, c := range f.NarrowSel {
							problems = append(problems, at+": "+c)
						}
					}
					for _, c := range f.Unstacked {
						problems = append(problems, at+": not stacked cards: "+c)
					}
					for _, c := range f.RawCodes {
						problems = append(problems, at+": a code instead of words: "+c)
					}
					for _, c := range f.Wrapped {
						problems = append(problems, at+": badge wraps: "+c)
					}
					for _, c := range f.SmallText {
						problems = append(problems, at+": unreadable chart: "+c)
					}
					if f.SearchWidth < 160 {
						problems = append(problems, fmt.Sprintf("%s: header search only %d px wide", at, f.SearchWidth))
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, pg := range pages {
		p := pg.Pattern
		if len(seen[p]) == 0 {
			problems = append(problems, p+": no role could open it")
		}
	}
	sort.Strings(problems)
	problems = slices.Compact(problems)
	for _, p := range problems {
		t.Error(p)
	}
	n := 0
	for _, r := range seen {
		n += len(r)
	}
	t.Logf("%d pages, %d page loads by role, each at %v px, in %s (%s to start, seed and sign in)", len(pages), n, pageWidths,
		time.Since(start).Round(time.Second), ready.Round(time.Second))
}

// On a phone the navigation is a drawer: the toggle says whether it is
// open, opens it from the keyboard, and Escape closes it and gives the
// focus back. On a laptop the toggle collapses the column to a rail of
// icons, each entry still named and its queue count on its icon.
func TestBrowserNavigationDrawerAndRail(t *testing.T) {
	base := startProduct(t)
	ctx := newBrowser(t)
	do(t, ctx, chromedp.EmulateViewport(390, 800), chromedp.Navigate(base+"/dashboard"))
	do(t, ctx, signInAt("admin")...)
	do(t, ctx, chromedp.WaitVisible(tid("nav-toggle")))
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	const state = `(() => { const nav = document.getElementById('sidebar').getBoundingClientRect();
		return [document.getElementById('sidebar-toggle').getAttribute('aria-expanded'), nav.right > 0 ? 'shown' : 'hidden',
			getComputedStyle(document.getElementById('sidebar')).visibility, document.activeElement.closest('#sidebar') ? 'focus-in-drawer' : document.activeElement.id].join(' ') })()`
	if got := eval(state); !strings.HasPrefix(got, "false hidden hidden") {
		t.Fatalf("at 390 px before opening: %q; want a closed drawer", got)
	}
	// Open it from the keyboard.
	do(t, ctx, chromedp.Focus(chromedp.ID("sidebar-toggle")), chromedp.KeyEvent("\r"), chromedp.Sleep(300*time.Millisecond))
	if got := eval(state); got != "true shown visible focus-in-drawer" {
		t.Fatalf("after Enter on the toggle: %q", got)
	}
	screenshot(t, ctx, "drawer-open-390")
	do(t, ctx, chromedp.KeyEvent("\u001b"), chromedp.Sleep(300*time.Millisecond))
	if got := eval(state); got != "false hidden hidden sidebar-toggle" {
		t.Fatalf("after Escape: %q; want closed with the focus on the toggle", got)
	}
	// The backdrop closes it too.
	do(t, ctx, chromedp.Click(tid("nav-toggle")), chromedp.Sleep(300*time.Millisecond), chromedp.MouseClickXY(370, 400), chromedp.Sleep(300*time.Millisecond)) // the backdrop, beside the drawer
	if got := eval(state); !strings.HasPrefix(got, "false hidden hidden") {
		t.Fatalf("after a click on the backdrop: %q", got)
	}

	// On a laptop: collapse to the rail.
	do(t, ctx, chromedp.EmulateViewport(1440, 900), chromedp.Sleep(200*time.Millisecond))
	if got := eval(`document.getElementById('sidebar-toggle').getAttribute('aria-expanded')`); got != "true" {
		t.Fatalf("at 1,440 px the column is not expanded: %q", got)
	}
	do(t, ctx, chromedp.Click(tid("nav-toggle")), chromedp.Sleep(200*time.Millisecond))
	rail := eval(`(() => { const nav = document.getElementById('sidebar'); const bad = [];
		for (const a of nav.querySelectorAll('a[data-testid^="nav-"]')) {
			const icon = a.querySelector('svg.nav-icon'), label = a.querySelector('.sidebar-label');
			if (!icon || icon.getBoundingClientRect().width < 16) bad.push(a.dataset.testid + ' without a visible icon');
			if (label && label.getBoundingClientRect().width > 1) bad.push(a.dataset.testid + ' label still shown');
			if (!a.textContent.trim() || !a.title) bad.push(a.dataset.testid + ' without a name');
			const badge = a.querySelector('.nav-badge');
			if (badge && icon && badge.getBoundingClientRect().left > icon.getBoundingClientRect().right + 12) bad.push(a.dataset.testid + ' badge away from its icon');
		}
		return Math.round(nav.getBoundingClientRect().width) + ' ' + nav.querySelectorAll('a[data-testid^="nav-"]').length + ' ' + bad.join('; '); })()`)
	var width, links int
	var bad string
	fmt.Sscanf(rail, "%d %d", &width, &links)
	if i := strings.Index(rail, " "); i > 0 {
		if j := strings.Index(rail[i+1:], " "); j >= 0 {
			bad = strings.TrimSpace(rail[i+1+j:])
		}
	}
	screenshot(t, ctx, "rail-1440")
	if width > 64 || links < 15 || bad != "" {
		t.Fatalf("the rail is %d px wide with %d links: %s", width, links, bad)
	}
	if got := eval(`document.getElementById('sidebar-toggle').getAttribute('aria-expanded')`); got != "false" {
		t.Fatalf("collapsed, the toggle says aria-expanded=%q", got)
	}
}
