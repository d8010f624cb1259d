package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/ciamhq/ciam/internal/catalog"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

// An unknown portal address is a page inside the portal's frame, not the
// mux's plain text; a known one asked with another method says so (405,
// Allow); the API keeps its JSON envelope; a stranger is sent to sign in.
func TestUnknownPortalAddressesAnswerInsideTheFrame(t *testing.T) {
	h := newHarness(t)
	_, c := h.signIn(staff.Analyst)
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/no-such-page", http.StatusNotFound, ""},
		{"GET", "/customers/x/y/z", http.StatusNotFound, ""},
		{"DELETE", "/customers", http.StatusMethodNotAllowed, "GET, HEAD"},
		{"GET", "/api-clients/123/rotate", http.StatusMethodNotAllowed, "POST"},
	} {
		resp := h.do(tc.method, tc.path, nil, nil, c)
		if resp.StatusCode != tc.status || resp.Header.Get("Allow") != tc.allow || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s %s: %d Allow %q %s; want %d Allow %q HTML", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Allow"),
				resp.Header.Get("Content-Type"), tc.status, tc.allow)
			continue
		}
		d := doc(t, resp)
		if d.Find("#sidebar").Length() != 1 || text(d, `[data-testid="error-title"]`) == "" || text(d, `[data-testid="error-message"]`) == "" {
			t.Errorf("%s %s: not a page inside the frame: %q", tc.method, tc.path, d.Text())
		}
		if strings.Contains(d.Text(), "404 page not found") || strings.Contains(d.Text(), "Method Not Allowed") {
			t.Errorf("%s %s: the mux's plain text", tc.method, tc.path)
		}
	}
	// Signed out: sign in first, as for every portal page.
	if resp := h.get("/no-such-page"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("signed out: %d to %q; want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The API answers JSON.
	resp := h.get(api.Prefix + "/no-such-thing")
	var body api.ErrorBody
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusNotFound || body.Error.Code != "NOT_FOUND" {
		t.Errorf("API: %d %+v (%v)", resp.StatusCode, body, err)
	}
}

// Validation messages say what to do: a negative fee is called negative,
// and a webhook address is told exactly which addresses are accepted.
func TestMessagesSayWhatToDo(t *testing.T) {
	h := newHarness(t)
	_, c := h.signIn(staff.TenantAdmin)
	fee := goodFee("Negative fee")
	fee.Set("fixed", "-1.50")
	resp := h.post(feesPath, fee, c)
	if got := text(doc(t, resp), `[data-testid="error-fee-fixed"]`); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(got, "must not be negative") {
		t.Errorf("fee -1.50: %d %q; want 422 saying it must not be negative", resp.StatusCode, got)
	}
	for _, tc := range []struct{ url, want string }{
		{"ftp://example.com/hooks", "full https:// address"},
		{"example.com/hooks", "full https:// address"},
		{"http://example.com/hooks", "must use https://"},
	} {
		resp := h.post("/webhooks", url.Values{"url": {tc.url}, "eventTypes": {"config.changed"}}, c)
		got := text(doc(t, resp), `[data-testid="error-wh-url"]`)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(got, tc.want) || strings.Contains(got, "absolute") {
			t.Errorf("webhook %q: %d %q; want 422 with %q", tc.url, resp.StatusCode, got, tc.want)
		}
	}
}

// Preferences show durations in words and read them back.
func TestPreferencesShowDurationsInWords(t *testing.T) {
	h := newHarness(t)
	_, c := h.signIn(staff.TenantAdmin)
	d := doc(t, h.get("/config/preferences", c))
	for id, want := range map[string]string{"accessTokenTtl": "15 minutes", "refreshTokenTtl": "30 days", "rateTokenClientWindow": "5 minutes"} {
		if got := d.Find("#"+id).AttrOr("value", ""); got != want {
			t.Errorf("%s shown as %q; want %q", id, got, want)
		}
	}
	resp := h.post("/config/preferences", prefsValues(map[string]string{"refreshTokenTtl": "2 days 12 hours", "otpTtl": "soon"}), c)
	if got := text(doc(t, resp), `[data-testid="error-otpTtl"]`); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(got, "15 minutes") {
		t.Fatalf("a duration that is not one: %d %q", resp.StatusCode, got)
	}
	resp = h.post("/config/preferences", prefsValues(map[string]string{"refreshTokenTtl": "2 days 12 hours"}), c)
	c = updated(c, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	if got := doc(t, h.get("/config/preferences", c)).Find("#refreshTokenTtl").AttrOr("value", ""); got != "2 days 12 hours" {
		t.Errorf("saved session life shown as %q", got)
	}
}

// Every form that sends an htmx request disables its buttons until the
// answer comes and shows that it is working (issue: only customer search
// showed a loading state, and no button disabled).
func TestHTMXFormsShowProgressAndDisableTheirButtons(t *testing.T) {
	h := newHarness(t)
	h.s.Catalog.AllowPrivateNetworks = true
	_, c := h.signIn(staff.TenantAdmin, staff.Analyst)
	h.newConnector(&c, "EMAIL_SENDER", "Busy mailer", map[string]string{"baseUrl": "https://mail.example.com", "fromAddress": "no-reply@example.com"})
	if resp := h.post(branchesPath, goodBranch("BUSY1"), c); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("branch: %d", resp.StatusCode)
	}
	seen := 0
	for _, path := range []string{"/customers", "/reviews", "/audit", feesPath, connectorsPath, connectorsPath + "/new", branchesPath, "/staff"} {
		d := doc(t, h.get(path, c))
		d.Find("form[hx-get], form[hx-post]").Each(func(_ int, f *goquerySelection) {
			seen++
			what := path + " " + f.AttrOr("hx-get", f.AttrOr("hx-post", ""))
			if f.AttrOr("hx-disabled-elt", "") == "" {
				t.Errorf("%s: no hx-disabled-elt", what)
			}
			if ind := f.AttrOr("hx-indicator", ""); ind != "" {
				if d.Find(ind).Length() != 1 {
					t.Errorf("%s: indicator %s is not on the page", what, ind)
				}
			} else if f.Find(`[data-testid="busy"].htmx-indicator`).Length() != 1 {
				t.Errorf("%s: nothing shows the request runs", what)
			}
		})
	}
	if seen < 10 {
		t.Errorf("%d htmx forms seen; want every page's", seen)
	}
}

// Issue 15, problem 5: "537.5 EUR" beside "15000.00 EUR". What a rule
// computed on an alert, a quote's parts and tier, and a fee rule's
// summary and tiers are written in the currency's minor units with the
// currency, through internal/currency.
func TestAmountsInTheCurrencysMinorUnits(t *testing.T) {
	h := newHarness(t)
	tok := h.alertRule()
	alert := h.raise(tok, h.amlCustomer(tok), "150.5")
	_, ac := h.signIn(staff.Analyst)
	hit := doc(t, h.get("/alerts/"+alert, ac)).Find(`[data-testid="alert-hit"]`)
	var got string
	hit.Find("dl div").Each(func(_ int, s *goquery.Selection) {
		if strings.TrimSpace(s.Find("dt").Text()) == "tx.amount" {
			got = strings.TrimSpace(s.Find("dd").Text())
		}
	})
	if got != "150.50 EUR" {
		t.Errorf("the hit's tx.amount reads %q; want 150.50 EUR (hit: %q)", got, strings.Join(strings.Fields(hit.Text()), " "))
	}

	_, admin := h.signIn(staff.TenantAdmin)
	rule := h.feeRule(catalog.FeeRuleSpec{Name: "Tiered transfers", TransactionType: "TRANSFER", Currency: "GBP", Fixed: d("0.5"), Percentage: d("0"),
		Minimum: nd("2"), Tiers: []catalog.Tier{{From: d("0"), UpTo: nd("1000"), Fixed: d("0.5"), Percentage: d("1.25")}, {From: d("1000"), Fixed: d("0"), Percentage: d("0.9")}}})
	q := doc(t, h.get("/config/fees/quote?transactionType=TRANSFER&currency=GBP&amount=200", admin)).Find(`[data-testid="quote-result"] dl`)
	var pairs []string
	q.Find("dt").Each(func(_ int, s *goquery.Selection) {
		pairs = append(pairs, strings.TrimSpace(s.Text())+" "+strings.Join(strings.Fields(s.Next().Text()), " "))
	})
	words := strings.Join(pairs, "; ")
	for _, want := range []string{"Fixed part 0.50 GBP", "Percentage part 2.50 GBP (1.25 %)", "Tier 0.00 – 1000.00 GBP: 0.50 GBP + 1.25 %"} {
		if !strings.Contains(words, want) {
			t.Errorf("quote %q lacks %q", words, want)
		}
	}
	page := strings.Join(strings.Fields(doc(t, h.get("/config/fees/"+rule, admin)).Find("main").Text()), " ")
	for _, want := range []string{"0.50 GBP + 0 %, min 2.00 GBP", "from 1000.00 GBP: 0.00 GBP + 0.9 %"} {
		if !strings.Contains(page, want) {
			t.Errorf("the rule's page lacks %q: %.600s", want, page)
		}
	}
}

// Issue 15, problem 5: Go durations on a page. What a rule computed is
// named after its expression with the durations as the rule wrote them,
// and its amounts with the currency.
func TestRuleValuesReadAsWritten(t *testing.T) {
	got := map[string]string{}
	for _, kv := range kvs(map[string]any{"count_over(24h0m0s, {direction: OUT})": 5, "sum_over(1h30m0s)": "537.5", "velocity(15m0s)": 2,
		`amount_in("GBP")`: 12.5, "tx.amount": 537.5, "currency": "EUR"}, "") {
		got[kv.Key] = kv.Value
	}
	want := map[string]string{"count_over(24h, {direction: OUT})": "5", "sum_over(1h30m)": "537.50 EUR", "velocity(15m)": "2",
		`amount_in("GBP")`: "12.50 GBP", "tx.amount": "537.50 EUR", "currency": "EUR"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
}
