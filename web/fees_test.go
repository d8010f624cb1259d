package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/catalog"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/staff"
)

// feeRule stores a rule as an approval would, for tests that need rules
// without going through the portal, and returns its id.
func (h *harness) feeRule(spec catalog.FeeRuleSpec) string {
	h.t.Helper()
	if spec.Status == "" {
		spec.Status = catalog.FeeActive
	}
	if spec.EffectiveFrom.IsZero() {
		spec.EffectiveFrom = h.s.Now().Add(-time.Hour)
	}
	if spec.Tiers == nil {
		spec.Tiers = []catalog.Tier{}
	}
	payload, err := json.Marshal(spec)
	if err != nil {
		h.t.Fatal(err)
	}
	id := uuid.New()
	ctx := actor.With(h.t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	err = db.InTenantTx(ctx, h.pool, h.tenant.ID, func(q *db.Queries) error {
		_, err := catalog.FeeApplier{Create: true}.Apply(ctx, q, h.tenant.ID, id.String(), payload)
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return id.String()
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func nd(s string) decimal.NullDecimal { return decimal.NullDecimal{Decimal: d(s), Valid: true} }

// goodFee is a valid rule form.
func goodFee(name string) url.Values {
	return url.Values{"name": {name}, "transactionType": {"transfer"}, "country": {"gb"}, "currency": {"GBP"}, "fixed": {"0.50"},
		"percentage": {"1.25"}, "minimum": {"1"}, "maximum": {"25"}, "active": {"true"}, "reason": {"new price list"},
		"tierfrom": {"0", "1000", ""}, "tierupTo": {"1000", "", ""}, "tierfixed": {"0.50", "0", ""}, "tierpercentage": {"1.25", "0.9", ""}}
}

// submit posts a form and follows a redirect, keeping the cookie current.
func (h *harness) submit(c **http.Cookie, path string, form url.Values, wantStatus int) *goquery.Document {
	h.t.Helper()
	resp := h.post(path, form, *c)
	*c = updated(*c, resp)
	if resp.StatusCode != wantStatus {
		h.t.Fatalf("POST %s: %d; want %d", path, resp.StatusCode, wantStatus)
	}
	if resp.StatusCode != http.StatusSeeOther {
		return doc(h.t, resp)
	}
	next := h.get(resp.Header.Get("Location"), *c)
	*c = updated(*c, next)
	return doc(h.t, next)
}

func TestFeeRulesPageFourEyes(t *testing.T) {
	h := newHarness(t)
	_, mc := h.signIn(staff.TenantAdmin)
	_, cc := h.signIn(staff.TenantAdmin)

	d0 := doc(t, h.get(feesPath, mc))
	if !strings.Contains(text(d0, `[data-testid="fee-results"] [data-testid="empty"]`), "No fee rules yet") {
		t.Fatal("no empty state")
	}
	if d0.Find(`[data-testid="new-fee"]`).Length() != 1 || d0.Find(`label[for="fee-q"]`).Length() != 1 {
		t.Error("the list lacks its new button or labelled search")
	}
	form := doc(t, h.get(feesPath+"/new", mc))
	if form.Find(`[data-testid="fee-form"] input[name="name"]`).Length() != 1 || form.Find(`[data-testid="tier-row"]`).Length() < 3 {
		t.Fatal("the new rule form is not there")
	}

	t.Run("validation next to the fields", func(t *testing.T) {
		h := h.with(t)
		bad := url.Values{"name": {""}, "transactionType": {"bad type"}, "country": {"UK"}, "currency": {"JPY"}, "fixed": {"0.5"},
			"percentage": {"150"}, "minimum": {"10"}, "maximum": {"5"}, "effectiveFrom": {"2025-02-30"},
			"tierfrom": {"0", "500", "abc"}, "tierupTo": {"1000", "400", ""}, "tierfixed": {"", "", ""}, "tierpercentage": {"", "", ""}}
		d := h.submit(&mc, feesPath, bad, http.StatusUnprocessableEntity)
		for _, id := range []string{"fee-name", "fee-transactionType", "fee-country", "fee-fixed", "fee-percentage", "fee-maximum",
			"fee-effectiveFrom", "fee-tier-2-from"} {
			if text(d, `[data-testid="error-`+id+`"]`) == "" {
				t.Errorf("no error beside %s", id)
			}
		}
		if v, _ := d.Find("#fee-fixed").Attr("value"); v != "0.5" {
			t.Errorf("the form lost its value: %q", v)
		}
		// Overlapping tiers, once the rows parse, are named by their row.
		f := goodFee("Overlap")
		f["tierfrom"], f["tierupTo"] = []string{"0", "500"}, []string{"1000", ""}
		d = h.submit(&mc, feesPath, f, http.StatusUnprocessableEntity)
		if !strings.Contains(text(d, `[data-testid="error-fee-tier-1-from"]`), "overlaps") {
			t.Error("no overlap error beside the second tier")
		}
		if h.count("SELECT count(*) FROM change_requests WHERE tenant_id = $1", h.tenant.ID) != 0 {
			t.Error("a bad form made a change request")
		}
	})

	// A good rule is proposed, not created.
	d1 := h.submit(&mc, feesPath, goodFee("GB transfers"), http.StatusSeeOther)
	if !strings.Contains(text(d1, `[data-testid="flash"]`), "awaiting a second employee") {
		t.Errorf("flash = %q", text(d1, `[data-testid="flash"]`))
	}
	if d1.Find(`[data-testid="fee-row"]`).Length() != 0 {
		t.Fatal("the rule exists before approval")
	}
	link, ok := d1.Find(`[data-testid="pending-new"] [data-testid="pending-approval"] a`).Attr("href")
	if !ok {
		t.Fatal("the list does not say a new rule awaits approval")
	}
	reqID := strings.TrimPrefix(link, "/approvals/")
	diff := doc(t, h.get(link, cc)).Find(`[data-testid="approval-field"]`).Text()
	for _, want := range []string{"Transaction type", "TRANSFER", "1.25 %", "0.00 – 1000.00 GBP: 0.50 GBP + 1.25 %"} {
		if !strings.Contains(diff, want) {
			t.Errorf("the approval's diff lacks %q: %s", want, diff)
		}
	}
	// The maker cannot approve it; another administrator can.
	if resp := h.decide(reqID, "APPROVE", "mine", mc); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("self-approval: %d", resp.StatusCode)
	}
	if h.count("SELECT count(*) FROM fee_rules WHERE tenant_id = $1", h.tenant.ID) != 0 {
		t.Fatal("self-approval applied the rule")
	}
	h.approve(reqID, cc)
	d2 := doc(t, h.get(feesPath, mc))
	row := d2.Find(`[data-testid="fee-row"][data-name="GB transfers"]`)
	if row.Length() != 1 || text(d2, `[data-testid="fee-state"]`) != "IN EFFECT" || d2.Find(`[data-testid="pending-new"]`).Length() != 0 {
		t.Fatalf("after approval: rows %d state %q", row.Length(), text(d2, `[data-testid="fee-state"]`))
	}
	if got := strings.Join(strings.Fields(row.Find("td").Eq(2).Text()), " "); got != "0.50" {
		t.Errorf("fixed shown as %q; want 0.50 in GBP's decimals", got)
	}
	ruleHref, _ := row.Find("a").First().Attr("href")
	ruleID := strings.TrimPrefix(ruleHref, feesPath+"/")
	acts := h.auditActions(h.tenant.ID, "catalog.fee")
	if len(acts) != 1 || acts[0].Action != "catalog.fee.created" || acts[0].Reason != "FOUR_EYES_APPROVED" {
		t.Errorf("audit = %v", acts)
	}
	if n := h.count(`SELECT count(*) FROM events WHERE tenant_id = $1 AND type = 'config.changed' AND entity_id = $2`, h.tenant.ID, ruleID); n != 1 {
		t.Errorf("config.changed events = %d", n)
	}

	// A change shows as pending on the rule; rejected, nothing changes.
	edit := goodFee("GB transfers")
	edit.Set("fixed", "0.75")
	d3 := h.submit(&mc, ruleHref, edit, http.StatusSeeOther)
	pend := d3.Find(`[data-testid="pending-list"] [data-testid="pending-approval"] a`)
	if pend.Length() != 1 {
		t.Fatal("the rule page does not say a change awaits approval")
	}
	if v, _ := d3.Find("#fee-fixed").Attr("value"); v != "0.5" {
		t.Errorf("the form shows %q; the rule still charges 0.5", v)
	}
	changeID := strings.TrimPrefix(pend.AttrOr("href", ""), "/approvals/")
	if doc(t, h.get(feesPath, mc)).Find(`[data-testid="fee-row"] [data-testid="pending-approval"]`).Length() != 1 {
		t.Error("the list does not mark the rule pending")
	}
	if resp := h.decide(changeID, "REJECT", "no, keep the price", cc); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject: %d", resp.StatusCode)
	}
	var fixed string
	if err := dbOwner(t).QueryRow(t.Context(), "SELECT fixed_amount::text FROM fee_rules WHERE id = $1", ruleID).Scan(&fixed); err != nil || fixed != "0.5000" {
		t.Errorf("after rejection fixed = %q %v", fixed, err)
	}
	// Approved, the change applies.
	h.submit(&mc, ruleHref, edit, http.StatusSeeOther)
	d4 := doc(t, h.get(ruleHref, mc))
	h.approve(strings.TrimPrefix(d4.Find(`[data-testid="pending-list"] a`).AttrOr("href", ""), "/approvals/"), cc)
	if v, _ := doc(t, h.get(ruleHref, mc)).Find("#fee-fixed").Attr("value"); v != "0.75" {
		t.Errorf("after approval fixed = %q", v)
	}

	t.Run("two changes to the same rule: the second is stale", func(t *testing.T) {
		h := h.with(t)
		a, b := goodFee("GB transfers"), goodFee("GB transfers")
		a.Set("fixed", "0.80")
		b.Set("fixed", "0.90")
		h.submit(&mc, ruleHref, a, http.StatusSeeOther)
		h.submit(&mc, ruleHref, b, http.StatusSeeOther)
		links := doc(t, h.get(ruleHref, mc)).Find(`[data-testid="pending-list"] a`)
		if links.Length() != 2 {
			t.Fatalf("pending = %d", links.Length())
		}
		first := strings.TrimPrefix(links.Eq(0).AttrOr("href", ""), "/approvals/")
		second := strings.TrimPrefix(links.Eq(1).AttrOr("href", ""), "/approvals/")
		h.approve(first, cc)
		resp := h.decide(second, "APPROVE", "also fine", cc)
		if !strings.Contains(text(doc(t, h.get("/approvals/"+second, updated(cc, resp))), `[data-testid="flash"]`), "target changed") {
			t.Error("the second change was not refused as stale")
		}
		var fixed string
		_ = dbOwner(t).QueryRow(t.Context(), "SELECT fixed_amount::text FROM fee_rules WHERE id = $1", ruleID).Scan(&fixed)
		if fixed != "0.8000" {
			t.Errorf("fixed = %q; want the first change's 0.80", fixed)
		}
		if n := len(h.auditActions(h.tenant.ID, "approval.stale")); n != 1 {
			t.Errorf("stale audited %d times", n)
		}
	})

	t.Run("auditors read, others may not", func(t *testing.T) {
		h := h.with(t)
		_, ac := h.signIn(staff.Auditor)
		d := doc(t, h.get(ruleHref, ac))
		if d.Find(`[data-testid="fee-form"] button[type="submit"]`).Length() != 0 || d.Find("#fee-name[disabled]").Length() != 1 {
			t.Error("an auditor is offered the form")
		}
		if doc(t, h.get(feesPath, ac)).Find(`[data-testid="new-fee"]`).Length() != 0 {
			t.Error("an auditor is offered a new rule")
		}
		if resp := h.post(feesPath, goodFee("x"), ac); resp.StatusCode != http.StatusForbidden {
			t.Errorf("auditor POST: %d", resp.StatusCode)
		}
		_, an := h.signIn(staff.Analyst)
		if resp := h.get(feesPath, an); resp.StatusCode != http.StatusForbidden {
			t.Errorf("analyst GET: %d", resp.StatusCode)
		}
	})
}

func TestFeeListFiltersSortsAndPages(t *testing.T) {
	h := newHarness(t)
	_, c := h.signIn(staff.TenantAdmin)
	for i := range 55 {
		h.feeRule(catalog.FeeRuleSpec{Name: fmt.Sprintf("Rule %02d", i), TransactionType: "TRANSFER", Currency: "GBP", Fixed: d("1")})
	}
	h.feeRule(catalog.FeeRuleSpec{Name: "Cash out Kenya", TransactionType: "CASH_OUT", Country: "KE", Currency: "KES", Fixed: d("25")})
	h.feeRule(catalog.FeeRuleSpec{Name: "Next month", TransactionType: "CASH_OUT", EffectiveFrom: h.s.Now().Add(30 * 24 * time.Hour)})

	d1 := doc(t, h.get(feesPath+"?sort=name", c))
	if n := d1.Find(`[data-testid="fee-row"]`).Length(); n != 50 {
		t.Fatalf("first page rows = %d", n)
	}
	if got := text(d1, `[data-testid="page-count"]`); got != "1–50 of 57" {
		t.Errorf("count = %q", got)
	}
	if first := d1.Find(`[data-testid="fee-row"]`).First().AttrOr("data-name", ""); first != "Cash out Kenya" {
		t.Errorf("sorted by name, first = %q", first)
	}
	next, ok := d1.Find(`[data-testid="next-page"]`).Attr("href")
	if !ok {
		t.Fatal("no next page")
	}
	if n := doc(t, h.get(next, c)).Find(`[data-testid="fee-row"]`).Length(); n != 7 {
		t.Errorf("second page rows = %d", n)
	}
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"q=kenya", 1}, {"type=cash_out", 2}, {"country=KE", 1}, {"currency=KES", 1}, {"state=SCHEDULED", 1}, {"q=nothing-like-it", 0},
	} {
		d := doc(t, h.get(feesPath+"?"+tc.query, c))
		if n := d.Find(`[data-testid="fee-row"]`).Length(); n != tc.want {
			t.Errorf("%s: %d rows; want %d", tc.query, n, tc.want)
		}
		if tc.want == 0 && !strings.Contains(text(d, `[data-testid="empty"]`), "No match") {
			t.Errorf("%s: no empty state", tc.query)
		}
	}
	// htmx gets the results alone.
	resp := h.do("GET", feesPath+"?q=kenya", nil, map[string]string{"HX-Request": "true"}, c)
	frag := doc(t, resp)
	if frag.Find(`[data-testid="nav-fees"]`).Length() != 0 || frag.Find(`[data-testid="fee-row"]`).Length() != 1 {
		t.Error("the htmx answer is not the bare results")
	}
	if resp := h.get(feesPath+"?state=NOPE", c); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad state filter: %d", resp.StatusCode)
	}
	// The quote preview prices as the API does.
	qd := doc(t, h.get(feesPath+"/quote?transactionType=cash_out&country=KE&currency=KES&amount=1000", c))
	if got := text(qd, `[data-testid="quote-fee"]`); got != "25.00 KES" {
		t.Errorf("preview fee = %q", got)
	}
	qd = doc(t, h.get(feesPath+"/quote?transactionType=TOP_UP&currency=KES&amount=1000", c))
	if !strings.Contains(text(qd, `[data-testid="quote-no-rule"]`), "no fee rule applies") {
		t.Errorf("preview without a rule: %q", text(qd, `[data-testid="quote-result"]`))
	}
	resp = h.get(feesPath+"/quote?transactionType=&currency=XXX&amount=-1", c)
	qd = doc(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || text(qd, `[data-testid="error-q-amount"]`) == "" || text(qd, `[data-testid="error-q-currency"]`) == "" {
		t.Errorf("preview with bad input: %d", resp.StatusCode)
	}
}

func quoteOf(t *testing.T, out map[string]any) map[string]any {
	t.Helper()
	d, ok := out["data"].(map[string]any)
	if !ok {
		t.Fatalf("no data: %v", out)
	}
	return d
}

func TestFeeQuoteAPI(t *testing.T) {
	h := newHarness(t)
	h.withCategories()
	tok := h.adminToken(h.tenant, credential.ScopeCatalogRead, credential.ScopeCustomersWrite)
	now := time.Now()
	h.clock.set(now)
	general := h.feeRule(catalog.FeeRuleSpec{Name: "Transfers", TransactionType: "TRANSFER", Fixed: d("1"), Percentage: d("1")})
	gb := h.feeRule(catalog.FeeRuleSpec{Name: "GB transfers", TransactionType: "TRANSFER", Country: "GB", Currency: "GBP",
		Fixed: d("0.20"), Percentage: d("0.5"), Minimum: nd("0.50"), Maximum: nd("10"),
		Tiers: []catalog.Tier{{From: d("1000"), UpTo: nd("5000"), Fixed: d("0"), Percentage: d("0.25")}, {From: d("5000"), Fixed: d("2"), Percentage: d("0")}}})
	mobile := h.feeRule(catalog.FeeRuleSpec{Name: "GB mobile", TransactionType: "TRANSFER", Country: "GB", Currency: "GBP", Channel: "MOBILE", Fixed: d("0")})
	future := h.feeRule(catalog.FeeRuleSpec{Name: "GB transfers from next week", TransactionType: "TRANSFER", Country: "GB", Currency: "GBP",
		Fixed: d("0.30"), Percentage: d("0.5"), EffectiveFrom: now.Add(7 * 24 * time.Hour)})
	vip := h.feeRule(catalog.FeeRuleSpec{Name: "High risk", TransactionType: "TRANSFER", CustomerCategory: "HIGH_RISK_INDIVIDUAL", Fixed: d("5")})
	h.feeRule(catalog.FeeRuleSpec{Name: "Yen", TransactionType: "REMITTANCE", Currency: "JPY", Percentage: d("1.25")})
	h.feeRule(catalog.FeeRuleSpec{Name: "Dinar", TransactionType: "REMITTANCE", Currency: "KWD", Percentage: d("0.125"), Minimum: nd("0.5")})

	quote := func(t *testing.T, q string) (int, map[string]any) {
		t.Helper()
		resp, out := h.with(t).apiCall("GET", "/api/v2.1/fees/quote?"+q, h.tenant.Slug, tok, "", nil)
		if resp.StatusCode == http.StatusUnauthorized {
			// The clock moved past the token's life: take a new one.
			tok = h.with(t).adminToken(h.tenant, credential.ScopeCatalogRead)
			resp, out = h.with(t).apiCall("GET", "/api/v2.1/fees/quote?"+q, h.tenant.Slug, tok, "", nil)
		}
		return resp.StatusCode, out
	}
	for _, tc := range []struct {
		name, query, fee, currency, rule, fixed, pct, limit string
	}{
		{"percentage and fixed", "transactionType=TRANSFER&country=GB&currency=GBP&amount=200", "1.20", "GBP", gb, "0.20", "1.00", ""},
		{"minimum", "transactionType=TRANSFER&country=GB&currency=GBP&amount=10", "0.50", "GBP", gb, "0.20", "0.05", "MINIMUM"},
		{"first tier", "transactionType=TRANSFER&country=GB&currency=GBP&amount=1000", "2.50", "GBP", gb, "0.00", "2.50", ""},
		{"tier and maximum", "transactionType=TRANSFER&country=GB&currency=GBP&amount=4999.99", "10.00", "GBP", gb, "0.00", "12.50", "MAXIMUM"},
		{"open tier", "transactionType=TRANSFER&country=GB&currency=GBP&amount=100000", "2.00", "GBP", gb, "2.00", "0.00", ""},
		{"more specific: channel", "transactionType=transfer&country=gb&currency=gbp&amount=200&channel=mobile", "0.00", "GBP", mobile, "0.00", "0.00", ""},
		{"general elsewhere", "transactionType=TRANSFER&country=FR&currency=EUR&amount=50.5", "1.51", "EUR", general, "1.00", "0.51", ""},
		{"category", "transactionType=TRANSFER&currency=EUR&amount=50&category=HIGH_RISK_INDIVIDUAL", "5.00", "EUR", vip, "5.00", "0.00", ""},
		{"JPY has no decimals", "transactionType=REMITTANCE&currency=JPY&amount=1234", "15", "JPY", "", "0", "15", ""},
		{"KWD has three", "transactionType=REMITTANCE&currency=KWD&amount=1000.5", "1.251", "KWD", "", "0.000", "1.251", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := quote(t, tc.query)
			if status != http.StatusOK {
				t.Fatalf("%d %v", status, out)
			}
			q := quoteOf(t, out)
			b := q["breakdown"].(map[string]any)
			if q["fee"] != tc.fee || q["currency"] != tc.currency || b["fixed"] != tc.fixed || b["percentage"] != tc.pct {
				t.Errorf("fee %v %v fixed %v pct %v; want %s %s %s %s", q["fee"], q["currency"], b["fixed"], b["percentage"], tc.fee, tc.currency, tc.fixed, tc.pct)
			}
			if tc.rule != "" && q["ruleId"] != tc.rule {
				t.Errorf("rule %v (%v); want %s", q["ruleId"], q["ruleName"], tc.rule)
			}
			if got, _ := b["limit"].(string); got != tc.limit {
				t.Errorf("limit %v; want %q", b["limit"], tc.limit)
			}
		})
	}

	t.Run("a customer's category", func(t *testing.T) {
		id := h.with(t).register(tok, person{First: "Ada", Last: "Quote", Categorised: true})
		status, out := quote(t, "transactionType=TRANSFER&currency=EUR&amount=50&customerId="+id)
		if status != 200 || quoteOf(t, out)["ruleId"] != vip {
			t.Errorf("%d %v", status, out)
		}
	})

	t.Run("effective dates", func(t *testing.T) {
		h.clock.set(now.Add(8 * 24 * time.Hour))
		defer h.clock.set(now)
		status, out := quote(t, "transactionType=TRANSFER&country=GB&currency=GBP&amount=200")
		if q := quoteOf(t, out); status != 200 || q["ruleId"] != future || q["fee"] != "1.30" {
			t.Errorf("next week: %d %v", status, out)
		}
	})

	t.Run("bad input, one detail per parameter", func(t *testing.T) {
		status, out := quote(t, "currency=XXX&amount=abc&country=ZZ&channel=bad%20channel&customerId=nope")
		if status != http.StatusUnprocessableEntity || errCode(out) != "VALIDATION_FAILED" {
			t.Fatalf("%d %v", status, out)
		}
		got := detailMap(out)
		for _, f := range []string{"transactionType", "currency", "amount", "country", "channel", "customerId"} {
			if got[f] == "" {
				t.Errorf("no detail for %s: %v", f, got)
			}
		}
		if len(got) != 6 {
			t.Errorf("details = %v", got)
		}
		for _, q := range []string{
			"transactionType=TRANSFER&currency=GBP&amount=1.005", "transactionType=TRANSFER&currency=JPY&amount=1.5",
			"transactionType=TRANSFER&currency=GBP&amount=0", "transactionType=TRANSFER&currency=GBP&amount=-5",
			"transactionType=TRANSFER&currency=GBP&amount=1e3",
		} {
			if status, out := quote(t, q); status != 422 || detailMap(out)["amount"] == "" {
				t.Errorf("%s: %d %v", q, status, out)
			}
		}
		if status, out := quote(t, "transactionType=TRANSFER&currency=GBP&amount=1&customerId="+uuid.NewString()); status != 422 || detailMap(out)["customerId"] == "" {
			t.Errorf("unknown customer: %d %v", status, out)
		}
	})

	t.Run("no rule", func(t *testing.T) {
		status, out := quote(t, "transactionType=CASH_OUT&currency=GBP&amount=10")
		if status != http.StatusNotFound || errCode(out) != "NO_APPLICABLE_FEE_RULE" {
			t.Errorf("%d %v", status, out)
		}
	})

	t.Run("scope", func(t *testing.T) {
		other := h.with(t).adminToken(h.tenant, credential.ScopeCustomersRead)
		resp, _ := h.with(t).apiCall("GET", "/api/v2.1/fees/quote?transactionType=TRANSFER&currency=GBP&amount=1", h.tenant.Slug, other, "", nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("without catalog:read: %d", resp.StatusCode)
		}
		path := "/api/v2.1/fees/quote?transactionType=TRANSFER&currency=GBP&amount=1"
		if resp, _ := h.with(t).apiCall("GET", path, h.tenant.Slug, "", "", nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("without a token: %d", resp.StatusCode)
		}
		if resp, _ := h.with(t).apiCall("GET", path, h.demoTenant().Slug, tok, "", nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("another tenant's token: %d", resp.StatusCode)
		}
	})
}

// detailMap is an error envelope's details by field.
func detailMap(body map[string]any) map[string]string {
	out := map[string]string{}
	e, _ := body["error"].(map[string]any)
	ds, _ := e["details"].([]any)
	for _, d := range ds {
		dm := d.(map[string]any)
		out[dm["field"].(string)] = dm["issue"].(string)
	}
	return out
}
