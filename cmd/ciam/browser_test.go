package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/demo"
	"github.com/ciamhq/ciam/internal/devenv"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
)

func TestMain(m *testing.M) {
	if os.Getenv(childServeEnv) == "1" { // a server process of a crash or instances test
		os.Exit(childServe())
	}
	os.Exit(dbtest.Run(m))
}

// projectRoot is the folder with go.mod (and node_modules).
func projectRoot(t *testing.T) string {
	t.Helper()
	if r := os.Getenv("CIAM_ROOT"); r != "" {
		return r
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium is not installed; `make test` installs it from the OS packages")
	return ""
}

// syncBuffer collects a process's output for the failure message.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startProduct runs the real binary's serve command against the test
// database, signing employees in through the real local provider.
func startProduct(t *testing.T) (baseURL string) {
	t.Helper()
	return startProductOn(t, dbtest.URL(t))
}

// startProductOn is startProduct on the database at dbURL.
func startProductOn(t *testing.T, dbURL string) (baseURL string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	root := projectRoot(t)
	appPort, idpPort := freePort(t), freePort(t)
	base := fmt.Sprintf("http://localhost:%d", appPort)
	logs := &syncBuffer{}

	idp := &devenv.OIDCProvider{Root: root, Port: idpPort, Log: logs,
		RedirectURL: base + "/auth/callback", PostLogoutURL: base + "/login?reason=signed_out"}
	if err := idp.Start(ctx); err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}

	pool, err := db.Open(ctx, dbURL, db.DefaultAppRole)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Seed(ctx, tenant.NewService(pool), staff.NewService(pool), customer.NewService(pool, nil)); err != nil {
		t.Fatal(err)
	}
	pool.Close()

	env := map[string]string{
		"HTTP_ADDR":             fmt.Sprintf("127.0.0.1:%d", appPort),
		"PUBLIC_URL":            base,
		"DATABASE_URL":          dbURL,
		"SESSION_KEYS":          "YnJvd3Nlci10ZXN0LWJyb3dzZXItdGVzdC1icm93c2VyLXRlc3QtYnJvd3Nlcg==",
		"OIDC_ISSUER":           idp.Issuer(),
		"OIDC_CLIENT_ID":        idp.ClientID,
		"OIDC_CLIENT_SECRET":    idp.ClientSecret,
		"LOG_FORMAT":            "text",
		"FIELD_ENCRYPTION_KEYS": "b1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"FACE_MODELS_DIR":       root, // the face worker compares selfies
	}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"ciam", "serve"}, func(k string) string { return env[k] }, logs, logs)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		idp.Stop()
		if t.Failed() {
			t.Logf("server and provider output:\n%s", logs)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready: %v\n%s", err, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// signInAt fills the local provider's form.
func signInAt(login string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), login),
		chromedp.SendKeys(chromedp.ID("password"), "demo"),
		chromedp.Click(chromedp.ID("submit")),
	}
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("CIAM_SCREENSHOTS")
	if dir == "" {
		return
	}
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		_ = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
}

func tid(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// The whole sign-in story in a real browser: sign in through the real
// provider, see the dashboard, be refused a page the role lacks, sign out.
func TestBrowserSignInDenySignOut(t *testing.T) {
	base := startProduct(t)
	ctx := newBrowser(t)
	d := demo.Load()
	analyst := d.Employees[0]

	do(t, ctx, chromedp.Navigate(base+"/dashboard"))
	do(t, ctx, signInAt(analyst.Login)...)
	do(t, ctx, chromedp.WaitVisible(tid("user-name")))
	screenshot(t, ctx, "dashboard")
	user, tenantName, title, url := textOf(t, ctx, `[data-testid="user-name"]`), textOf(t, ctx, `[data-testid="tenant-name"]`), textOf(t, ctx, "h1"), location(t, ctx)
	if user != analyst.Name || tenantName != d.Tenant.Name || title != "Dashboard" || url != base+"/dashboard" {
		t.Fatalf("after sign-in: user %q, tenant %q, title %q at %s", user, tenantName, title, url)
	}

	staffLinks, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="nav-staff"]').length`))
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(base+"/staff"), chromedp.WaitVisible(tid("error-title")))
	screenshot(t, ctx, "denied")
	if errTitle := textOf(t, ctx, `[data-testid="error-title"]`); staffLinks != 0 || errTitle != "Not allowed" {
		t.Fatalf("analyst on /staff: nav links %d, page %q; want no link and Not allowed", staffLinks, errTitle)
	}

	do(t, ctx,
		chromedp.Navigate(base+"/dashboard"),
		chromedp.WaitVisible(tid("sign-out")),
		chromedp.Click(tid("sign-out")),
		chromedp.WaitVisible(tid("signin-message")),
	)
	if msg, url := textOf(t, ctx, `[data-testid="signin-message"]`), location(t, ctx); !strings.Contains(msg, "signed out") || !strings.HasPrefix(url, base+"/login") {
		t.Fatalf("after sign-out: %q at %s", msg, url)
	}
	// The session is gone here and at the provider: the dashboard asks for
	// a sign-in again.
	do(t, ctx, chromedp.Navigate(base+"/dashboard"), chromedp.WaitVisible(chromedp.ID("login")))
}

func TestBrowserUnknownUserGetsNoAccessPage(t *testing.T) {
	base := startProduct(t)
	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(base+"/"))
	do(t, ctx, signInAt(demo.Load().Outsiders[0].Login)...)
	do(t, ctx, chromedp.WaitVisible(tid("error-title")))
	if title, msg := textOf(t, ctx, `[data-testid="error-title"]`), textOf(t, ctx, `[data-testid="error-message"]`); title != "No access to the back office" || !strings.Contains(msg, "no organisation") {
		t.Fatalf("outsider sees %q: %q", title, msg)
	}
}

// `make run` runs `ciam dev`: on a machine with no PostgreSQL running it
// makes a private cluster, starts the provider and the server, and a person
// reaches a signed-in dashboard; Ctrl-C stops everything it started.
func TestDevCommandReachesSignedInDashboard(t *testing.T) {
	data := t.TempDir()
	// As root the cluster runs as the postgres user, who must reach it.
	for _, d := range []string{filepath.Dir(data), data} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	appPort := freePort(t)
	base := fmt.Sprintf("http://localhost:%d", appPort)
	env := map[string]string{
		"DATA_DIR":      data,
		"DEV_PG_PORT":   fmt.Sprint(freePort(t)),
		"DEV_OIDC_PORT": fmt.Sprint(freePort(t)),
		"HTTP_ADDR":     fmt.Sprintf("127.0.0.1:%d", appPort),
		"PUBLIC_URL":    base,
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"ciam", "dev", "--root", projectRoot(t)}, func(k string) string { return env[k] }, out, out)
	}()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("ciam dev: %v\n%s", err, out)
			}
		}
	}
	t.Cleanup(stop)
	// ciam dev reads the demo's documents (OCR, faces) before it listens:
	// on two cores shared with the other test packages that can take
	// minutes, so the wait is generous.
	deadline := time.Now().Add(4 * time.Minute)
	for !strings.Contains(out.String(), "ciam: listening on") {
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("ciam dev ended: %v\n%s", err, out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("ciam dev did not start:\n%s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, want := range []string{"demo tenant: Finsei Ltd", "fh_api_finsei_ltd_7f957f77", "admin     TENANT_ADMIN", base} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}

	bctx := newBrowser(t)
	do(t, bctx, chromedp.Navigate(base+"/"))
	do(t, bctx, signInAt("admin")...)
	do(t, bctx, chromedp.WaitVisible(tid("chart-activity")))
	screenshot(t, bctx, "dev-dashboard-admin")
	if user := textOf(t, bctx, `[data-testid="user-name"]`); user != "Tia Admin" {
		t.Fatalf("signed in as %q", user)
	}
	do(t, bctx, chromedp.Click(tid("nav-staff")), chromedp.WaitVisible(tid("staff-table")))
	screenshot(t, bctx, "dev-staff")
	if n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="staff-row"]').length`)); err != nil || n != 6 {
		t.Errorf("staff page lists %d employees (%v); want the 6 demo employees", n, err)
	}
	do(t, bctx, chromedp.Click(tid("nav-audit")), chromedp.WaitVisible(tid("audit-table")))
	screenshot(t, bctx, "dev-audit")
	// Demo customers fill the customer list.
	do(t, bctx, chromedp.Click(tid("nav-customers")), chromedp.WaitVisible(tid("customer-row")))
	screenshot(t, bctx, "dev-customers")
	if n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="customer-row"]').length`)); err != nil || n != 22 {
		t.Errorf("customer list shows %d demo customers (%v); want 22", n, err)
	}
	// The demo lists loaded, and re-screening found the demo customers who
	// bear listed names: an analyst has hits to decide.
	if !strings.Contains(out.String(), "OFAC_SDN version 1: 8976 entries") {
		t.Errorf("the demo lists were not loaded:\n%s", out)
	}
	actx := newBrowser(t)
	do(t, actx, chromedp.Navigate(base+"/screening"))
	do(t, actx, signInAt("analyst")...)
	do(t, actx, chromedp.WaitVisible(tid("hit-filters")))
	hits := 0
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		hits, _ = chromedp.Run(actx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="hit-row"]').length`))
		if hits > 0 {
			break
		}
		time.Sleep(time.Second) // the re-screening runs in the background
		do(t, actx, chromedp.Navigate(base+"/screening"), chromedp.WaitVisible(tid("hit-filters")))
	}
	screenshot(t, actx, "dev-screening-hits")
	if hits == 0 {
		t.Error("the screening queue of the demo has no hits")
	}
	// A hit leads to its customer's 360 page, which lists it among the
	// customer's hits.
	do(t, actx, chromedp.Click(`[data-testid="hit-row"] a`), chromedp.WaitVisible(tid("customer-side")))
	do(t, actx, chromedp.Click(`[data-testid="customer-side"] a[href^="/customers/"]`), chromedp.WaitVisible(tid("customer-360")))
	screenshot(t, actx, "dev-customer-360")
	if n, err := chromedp.Run(actx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="customer-hits"] [data-testid="hit-row"]').length`)); err != nil || n == 0 {
		t.Errorf("the customer's page lists %d hits (%v)", n, err)
	}
	// AML: the demo's rules are active and its transactions raised alerts:
	// the six large transfers in a day, the large one, the structuring and
	// the payment to Iran.
	do(t, actx, chromedp.Click(tid("nav-alerts")), chromedp.WaitVisible(tid("alert-row")))
	screenshot(t, actx, "dev-alerts")
	if n, err := chromedp.Run(actx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="alert-row"]').length`)); err != nil || n != 4 {
		t.Errorf("the demo raised %d alerts (%v); want 4", n, err)
	}
	do(t, actx, chromedp.Click(tid("nav-aml-rules")), chromedp.WaitVisible(tid("rule-row")))
	screenshot(t, actx, "dev-aml-rules")
	if n, err := chromedp.Run(actx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="rule-row"]').length`)); err != nil || n < 5 {
		t.Errorf("the AML rules page lists %d rules (%v); want the 5 of the demo and the built-in ones", n, err)
	}

	// KYC: the demo customers' documents were read and judged by the
	// checks the server runs. The review queue holds the ones people must
	// look at, each with the reason; the genuine ones were approved.
	if !strings.Contains(out.String(), "demo: documents of 7 customers uploaded") {
		t.Errorf("the demo uploaded no documents:\n%s", out)
	}
	wantReasons := map[string]string{}
	for _, c := range demo.DocumentCases {
		switch c.Outcome {
		case demo.MRZBroken:
			wantReasons[c.Name()] = "CHECK_FAILED_IDENTITY"
		case demo.OtherFace:
			wantReasons[c.Name()] = "CHECK_FAILED_SELFIE"
		case demo.ShakenScan:
			wantReasons[c.Name()] = "UNREADABLE_ADDRESS"
		case demo.PossiblePEP:
			wantReasons[c.Name()] = "PEP_MATCH_POSSIBLE"
		}
	}
	// A browser of its own: each has 90 seconds.
	actx = newBrowser(t)
	do(t, actx, chromedp.Navigate(base+"/reviews"))
	do(t, actx, signInAt("analyst")...)
	do(t, actx, chromedp.WaitVisible(tid("review-filters")))
	var queue map[string]string // customer name → the reasons the row shows
	var err error
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(time.Second) {
		do(t, actx, chromedp.Navigate(base+"/reviews"), chromedp.WaitVisible(tid("review-filters")))
		queue, err = chromedp.Run(actx, chromedp.Evaluate[map[string]string](`Object.fromEntries([...document.querySelectorAll('[data-testid="review-row"]')].map(r =>
			[r.querySelector('a[data-keynav-row]').textContent.trim(), [...r.querySelectorAll('li')].map(li => li.textContent.trim()).join(' ')]))`))
		if err != nil {
			t.Fatal(err)
		}
		if len(queue) >= len(wantReasons) || time.Now().After(deadline) {
			break // the checks run in the background
		}
	}
	screenshot(t, actx, "dev-reviews")
	for name, reason := range wantReasons {
		if !strings.Contains(queue[name], reason) {
			t.Errorf("the review queue shows %s with %q; want %s (queue %v)", name, queue[name], reason, queue)
		}
	}
	for _, c := range demo.DocumentCases {
		if c.Outcome != demo.Approved {
			continue
		}
		if _, queued := queue[c.Name()]; queued {
			t.Errorf("%s, whose documents are genuine, waits for review: %s", c.Name(), queue[c.Name()])
		}
		do(t, actx, chromedp.Navigate(base+"/customers?q="+c.Email()), chromedp.WaitVisible(tid("customer-row")),
			chromedp.Click(`[data-testid="customer-row"] a[data-keynav-row]`), chromedp.WaitVisible(tid("verification-row")))
		st := textOf(t, actx, `[data-testid="verification-row"]`)
		for deadline := time.Now().Add(30 * time.Second); !strings.HasPrefix(st, "Approved") && time.Now().Before(deadline); {
			time.Sleep(time.Second)
			do(t, actx, chromedp.Reload(), chromedp.WaitVisible(tid("verification-row")))
			st = textOf(t, actx, `[data-testid="verification-row"]`)
		}
		if !strings.HasPrefix(st, "Approved") {
			t.Errorf("%s's verification: %q; want APPROVED automatically", c.Name(), st)
		}
	}
	screenshot(t, actx, "dev-customer-approved")

	stop()
	if _, err := os.Stat(filepath.Join(data, "pg", "postmaster.pid")); !os.IsNotExist(err) {
		t.Errorf("the private cluster still runs after ciam dev stopped (%v)", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the server still answers after ciam dev stopped")
	}
}

// A full four-eyes round in two browsers: the administrator asks for a role
// grant, a senior reviewer approves it, the administrator sees it applied.
func TestBrowserFourEyesRound(t *testing.T) {
	base := startProduct(t)
	admin, senior := newBrowser(t), newBrowser(t)
	const row = `tr[data-email="ana.analyst@finsei.example"]`

	do(t, admin, chromedp.Navigate(base+"/staff"))
	do(t, admin, signInAt("admin")...)
	do(t, admin,
		chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.SetValue(chromedp.CSS(row+` select[name="role"]`), "AUDITOR"),
		chromedp.Click(chromedp.CSS(row+` form[action$="/roles"] button`)),
		chromedp.WaitVisible(tid("pending-approval")),
	)
	if f := textOf(t, admin, `[data-testid="flash"]`); !strings.Contains(f, "awaits a second employee") {
		t.Fatalf("after the request the administrator sees %q", f)
	}
	screenshot(t, admin, "four-eyes-requested")

	do(t, senior, chromedp.Navigate(base+"/approvals"))
	do(t, senior, signInAt("senior")...)
	do(t, senior,
		chromedp.WaitVisible(tid("approval-row")),
		chromedp.Click(chromedp.CSS(`[data-testid="approval-row"] a`)),
		chromedp.WaitVisible(tid("decision-form")),
	)
	screenshot(t, senior, "four-eyes-decide")
	do(t, senior,
		chromedp.SendKeys(chromedp.ID("decision-reason"), "Ana covers the audit desk this quarter"),
		chromedp.Click(tid("approve")),
		chromedp.WaitVisible(tid("flash")),
	)
	if f := textOf(t, senior, `[data-testid="flash"]`); !strings.Contains(f, "Approved and applied") {
		t.Fatalf("after approving the reviewer sees %q", f)
	}
	if st := textOf(t, senior, `[data-testid="approval-status"]`); st != "Approved" {
		t.Fatalf("status %q", st)
	}

	do(t, admin, chromedp.Navigate(base+"/staff"), chromedp.WaitVisible(chromedp.CSS(row)))
	roles := textOf(t, admin, row)
	if !strings.Contains(roles, "Auditor") || strings.Contains(roles, "Pending approval") {
		t.Fatalf("Ana's row after approval: %q", roles)
	}
}
