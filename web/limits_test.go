package web

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/staff"
)

// activeWallet is a LOW-risk customer of the harness tenant, approved and
// activated through the API, and the id of their ACTIVE wallet: no review
// imposed limits, so it has none. The job queue must run.
func (h *harness) activeWallet(tok string) (cust, wallet string) {
	h.t.Helper()
	cust, _ = h.approvedLow(tok)
	resp, out := h.apiCall("POST", activatePath, h.tenant.Slug, tok, activateBody(cust, map[string]any{"walletCurrency": "GBP", "sendWelcomeEmail": false}), nil)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("activate: %d %v", resp.StatusCode, out)
	}
	return cust, out["data"].(map[string]any)["accountDetails"].(map[string]any)["walletId"].(string)
}

// walletLimits reads a wallet's limits and their source past row-level
// security; "" stands for NULL.
func (h *harness) walletLimits(wallet string) (daily, above, source string) {
	h.t.Helper()
	err := dbtest.OwnerPool(h.t).QueryRow(h.t.Context(), `SELECT coalesce(daily_limit::text, ''), coalesce(requires_approval_above::text, ''),
		coalesce(limits_source, '') FROM wallets WHERE id = $1`, wallet).Scan(&daily, &above, &source)
	if err != nil {
		h.t.Fatal(err)
	}
	return daily, above, source
}

func limitsForm(daily, above, reason string) url.Values {
	return url.Values{"dailyLimit": {daily}, "requiresApprovalAbove": {above}, "reason": {reason}}
}

// proposeLimits sends the limits form of the customer page as c and
// returns the change request's id, as the page links it.
func (h *harness) proposeLimits(c **http.Cookie, cust, wallet string, form url.Values) string {
	h.t.Helper()
	resp := h.post("/customers/"+cust+"/wallets/"+wallet+"/limits", form, *c)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/customers/"+cust {
		h.t.Fatalf("propose limits: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	*c = updated(*c, resp)
	page := h.get("/customers/"+cust, *c)
	*c = updated(*c, page)
	d := doc(h.t, page)
	if f := text(d, `[data-testid="flash"]`); !strings.Contains(f, "await a second employee's approval") {
		h.t.Fatalf("flash after proposing: %q", f)
	}
	link, ok := d.Find(`[data-testid="wallet-limits"][data-wallet-id="` + wallet + `"] [data-testid="pending-approval"] a`).Last().Attr("href")
	if !ok {
		h.t.Fatal("the wallet does not show the pending override")
	}
	return strings.TrimPrefix(link, "/approvals/")
}

// flashAfter is the flash message resp left for c's next page.
func (h *harness) flashAfter(resp *http.Response, c *http.Cookie, page string) (*goquery.Document, string) {
	h.t.Helper()
	d := doc(h.t, h.get(page, updated(c, resp)))
	return d, text(d, `[data-testid="flash"]`)
}

func TestWalletLimitOverride(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	tok := h.reviewToken()
	cust, wallet := h.activeWallet(tok)
	page := "/customers/" + cust
	action := page + "/wallets/" + wallet + "/limits"
	maker, mc := h.signIn(staff.SeniorReviewer)
	checker, cc := h.signIn(staff.TenantAdmin)

	t.Run("offered to the roles that may propose it", func(t *testing.T) {
		h := h.with(t)
		for _, tc := range []struct {
			role    staff.Role
			allowed bool
		}{
			{staff.SeniorReviewer, true}, {staff.Support, true},
			{staff.Analyst, false}, {staff.TenantAdmin, false}, {staff.Auditor, false},
		} {
			_, c := h.signIn(tc.role)
			d := doc(t, h.get(page, c))
			if got := d.Find(`[data-testid="wallet-limits"][data-wallet-id="`+wallet+`"] [data-testid="limits-form"]`).Length() == 1; got != tc.allowed {
				t.Errorf("%s: form shown = %v; want %v", tc.role, got, tc.allowed)
			}
			if !tc.allowed {
				if resp := h.post(action, limitsForm("100", "10", "try"), c); resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s proposes: %d; want 403", tc.role, resp.StatusCode)
				}
			}
		}
	})

	t.Run("each problem is shown beside its field", func(t *testing.T) {
		h := h.with(t)
		for _, tc := range []struct {
			name                 string
			daily, above, reason string
			field, want          string
		}{
			{"daily limit missing", "", "10", "r", "dailyLimit", "is required"},
			{"negative", "-5", "0", "r", "dailyLimit", "zero or more"},
			{"not an amount", "12,50", "0", "r", "dailyLimit", "must be an amount"},
			{"three decimals", "10.005", "1", "r", "dailyLimit", "at most 2 decimal places"},
			{"too large", "10000000000000000", "1", "r", "dailyLimit", "less than"},
			{"approval above missing", "100", " ", "r", "requiresApprovalAbove", "is required"},
			{"approval above the daily limit", "100", "150", "r", "requiresApprovalAbove", "not be more than the daily limit"},
			{"no reason", "100", "50", "  ", "reason", "is required"},
		} {
			resp := h.post(action, limitsForm(tc.daily, tc.above, tc.reason), mc)
			d := doc(t, resp)
			sel := `[data-testid="error-limits-` + tc.field + `-` + wallet + `"]`
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(d, sel), tc.want) {
				t.Errorf("%s: %d, %s = %q; want 422 and %q", tc.name, resp.StatusCode, sel, text(d, sel), tc.want)
				continue
			}
			if _, open := d.Find(`[data-testid="wallet-limits"][data-wallet-id="` + wallet + `"] [data-testid="limits-details"]`).Attr("open"); !open {
				t.Errorf("%s: the form is not open to show the problem", tc.name)
			}
			if got := d.Find(`#limits-dailyLimit-`+wallet).AttrOr("value", "?"); got != strings.TrimSpace(tc.daily) {
				t.Errorf("%s: daily limit shown again as %q; want %q", tc.name, got, tc.daily)
			}
		}
		if p, _ := h.s.Approvals.List(t.Context(), h.tenant.ID, "PENDING", customer.KindWalletLimits, 10, 0); p.Total != 0 {
			t.Fatalf("%d requests recorded for invalid forms", p.Total)
		}
	})

	id := h.proposeLimits(&mc, cust, wallet, limitsForm("2500", "750.5", "Salary account now; customer asked for more"))
	if daily, above, source := h.walletLimits(wallet); daily != "" || above != "" || source != "" {
		t.Fatalf("wallet before approval: %q %q %q; nothing may change yet", daily, above, source)
	}

	// The approver sees what changes.
	detail := doc(t, h.get("/approvals/"+id, cc))
	diff := detail.Find(`[data-testid="approval-field"]`).Text()
	for _, want := range []string{"Daily limit", "2500.00 GBP", "Requires approval above", "750.50 GBP", "Limits source", "OVERRIDE"} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff %q lacks %q", diff, want)
		}
	}
	if title := text(detail, "h1"); !strings.Contains(title, "GBP wallet") {
		t.Errorf("title %q", title)
	}

	// The maker cannot approve their own request.
	resp := h.decide(id, "APPROVE", "fine by me", mc)
	if _, f := h.flashAfter(resp, mc, "/approvals/"+id); !strings.Contains(f, "another employee must decide") {
		t.Fatalf("self-approval: flash %q", f)
	}
	if daily, _, _ := h.walletLimits(wallet); daily != "" {
		t.Fatal("a self-approved override was applied")
	}

	h.approve(id, cc)
	if daily, above, source := h.walletLimits(wallet); daily != "2500.00" || above != "750.50" || source != customer.LimitsOverride {
		t.Fatalf("wallet after approval: %q %q %q", daily, above, source)
	}
	if a := h.auditActions(h.tenant.ID, "customer.wallet_limits.changed"); len(a) != 1 || a[0].Actor != checker.Actor().Name || a[0].Reason != "FOUR_EYES_APPROVED" {
		t.Fatalf("override audit = %+v", a)
	}
	var approved string
	if err := dbOwner(t).QueryRow(t.Context(), "SELECT after::text FROM audit_log WHERE tenant_id = $1 AND action = 'approval.approved'", h.tenant.ID).Scan(&approved); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(approved, maker.ID.String()) || !strings.Contains(approved, checker.ID.String()) {
		t.Fatalf("the approval record does not name maker and checker: %s", approved)
	}
	ev := h.eventsOf("config.changed", wallet)
	if len(ev) != 1 || ev[0]["kind"] != customer.KindWalletLimits || ev[0]["makerId"] != maker.ID.String() || ev[0]["checkerId"] != checker.ID.String() {
		t.Fatalf("config.changed events %v", ev)
	}

	// The customer page shows the new limits, where they came from, and why.
	d := doc(t, h.get(page, mc))
	row := `[data-testid="wallet-row"][data-wallet-id="` + wallet + `"] `
	if got := text(d, row+`[data-testid="wallet-daily-limit"]`) + " " + text(d, row+`[data-testid="wallet-approval-above"]`) + " " + text(d, row+`[data-testid="wallet-limits-source"]`); got != "2500.00 750.50 override" {
		t.Errorf("wallet row shows %q", got)
	}
	if d.Find(`[data-testid="pending-approval"]`).Length() != 0 {
		t.Error("the applied override is still shown as pending")
	}
	if got := text(d, `[data-testid="customer-audit-row"][data-action="customer.wallet_limits.changed"] [data-testid="audit-reason"]`); !strings.Contains(got, "Salary account") {
		t.Errorf("history reason = %q", got)
	}
	if got := d.Find(`#limits-dailyLimit-`+wallet).AttrOr("value", ""); got != "2500.00" {
		t.Errorf("the form starts from %q; want the wallet's limit", got)
	}

	t.Run("the limits it has already are not proposed", func(t *testing.T) {
		h := h.with(t)
		resp := h.post(action, limitsForm("2500", "750.50", "again"), mc)
		if _, f := h.flashAfter(resp, mc, page); resp.StatusCode != http.StatusSeeOther || !strings.Contains(f, "has these limits already") {
			t.Errorf("same limits: %d, flash %q", resp.StatusCode, f)
		}
	})

	t.Run("only an active wallet", func(t *testing.T) {
		h := h.with(t)
		pending := h.register(tok, person{First: "Ines", Last: "Waite"})
		var inactive string
		if err := dbOwner(t).QueryRow(t.Context(), "SELECT id FROM wallets WHERE customer_id = $1", pending).Scan(&inactive); err != nil {
			t.Fatal(err)
		}
		d := doc(t, h.get("/customers/"+pending, mc))
		if d.Find(`[data-testid="limits-form"]`).Length() != 0 {
			t.Error("an inactive wallet offers the limits form")
		}
		resp := h.post("/customers/"+pending+"/wallets/"+inactive+"/limits", limitsForm("100", "10", "r"), mc)
		if _, f := h.flashAfter(resp, mc, "/customers/"+pending); resp.StatusCode != http.StatusSeeOther || !strings.Contains(f, "only an active wallet") {
			t.Errorf("inactive wallet: %d, flash %q", resp.StatusCode, f)
		}
	})

	t.Run("another tenant's wallet is not found", func(t *testing.T) {
		h := h.with(t)
		dt := h.demoTenant()
		resp, out := h.apiCall("POST", registerPath, dt.Slug, h.adminToken(dt, credential.ScopeCustomersWrite), variant(t, nil), nil)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("register in the demo tenant: %d %v", resp.StatusCode, out)
		}
		other := out["data"].(map[string]any)["customerId"].(string)
		otherWallet := out["data"].(map[string]any)["walletId"].(string)
		if _, err := dbOwner(t).Exec(t.Context(), "UPDATE wallets SET status = 'ACTIVE', currency = 'EUR' WHERE id = $1", otherWallet); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{
			"/customers/" + other + "/wallets/" + otherWallet + "/limits",
			page + "/wallets/" + otherWallet + "/limits",
			page + "/wallets/" + uuid.NewString() + "/limits",
			page + "/wallets/not-an-id/limits",
		} {
			if resp := h.post(path, limitsForm("100", "10", "r"), mc); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d; want 404", path, resp.StatusCode)
			}
		}
		if _, err := h.s.Approvals.Propose(actor.With(t.Context(), maker.Actor()), h.tenant.ID, customer.KindWalletLimits, otherWallet, "x",
			customer.LimitsRequest{DailyLimit: "1", RequiresApprovalAbove: "1", Reason: "r"}, "r"); err == nil {
			t.Error("a request on another tenant's wallet was recorded")
		}
	})
}

func TestWalletLimitOverrideRejectedOrStale(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	cust, wallet := h.activeWallet(h.reviewToken())
	_, mc := h.signIn(staff.Support)
	_, cc := h.signIn(staff.SeniorReviewer)
	_, cc2 := h.signIn(staff.TenantAdmin)

	// Rejected: nothing changes.
	rejected := h.proposeLimits(&mc, cust, wallet, limitsForm("100", "10", "customer asked"))
	if resp := h.decide(rejected, "REJECT", "no reason to lower them", cc); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject: %d", resp.StatusCode)
	}
	if daily, above, source := h.walletLimits(wallet); daily != "" || above != "" || source != "" {
		t.Fatalf("wallet after rejection: %q %q %q", daily, above, source)
	}
	if len(h.auditActions(h.tenant.ID, "customer.wallet_limits.changed")) != 0 || len(h.auditActions(h.tenant.ID, "approval.rejected")) != 1 ||
		len(h.eventsOf("config.changed", wallet)) != 0 {
		t.Fatal("a rejection changed, audited or announced the limits")
	}

	// Two requests made on the same limits: once one is applied, the
	// other was made on limits that are no more, and is refused.
	first := h.proposeLimits(&mc, cust, wallet, limitsForm("1000", "200", "first"))
	second := h.proposeLimits(&mc, cust, wallet, limitsForm("3000", "300", "second"))
	h.approve(first, cc)
	resp := h.decide(second, "APPROVE", "ok", cc)
	d, f := h.flashAfter(resp, cc, "/approvals/"+second)
	if !strings.Contains(f, "changed since") || text(d, `[data-testid="approval-status"]`) != "Stale" {
		t.Fatalf("stale: flash %q, status %q", f, text(d, `[data-testid="approval-status"]`))
	}
	if daily, above, _ := h.walletLimits(wallet); daily != "1000.00" || above != "200.00" {
		t.Fatalf("a stale request was applied: %q %q", daily, above)
	}

	// Approved by two employees at once: one applies, the other is stale.
	a := h.proposeLimits(&mc, cust, wallet, limitsForm("4000", "400", "a"))
	b := h.proposeLimits(&mc, cust, wallet, limitsForm("5000", "500", "b"))
	var wg sync.WaitGroup
	for _, x := range []struct {
		id string
		c  *http.Cookie
	}{{a, cc}, {b, cc2}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.decide(x.id, "APPROVE", "ok", x.c)
		}()
	}
	wg.Wait()
	statuses := map[string]int{}
	for _, id := range []string{a, b} {
		req, err := h.s.Approvals.Get(t.Context(), h.tenant.ID, uuid.MustParse(id))
		if err != nil {
			t.Fatal(err)
		}
		statuses[req.Status]++
	}
	daily, _, _ := h.walletLimits(wallet)
	if statuses["APPROVED"] != 1 || statuses["STALE"] != 1 || (daily != "4000.00" && daily != "5000.00") {
		t.Fatalf("two approvals at once: %v, daily limit %q", statuses, daily)
	}
	if n := len(h.auditActions(h.tenant.ID, "customer.wallet_limits.changed")); n != 2 {
		t.Fatalf("%d overrides audited; want 2", n)
	}
}
