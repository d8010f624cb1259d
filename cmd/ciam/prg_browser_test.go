package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/chromedp/chromedp"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/cases"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/demo"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
)

// fillAndSubmit fills the form sel in the page as a person would (text by
// name, the checkboxes whose values are given ticked, selects set) and
// clicks its submit button; the browser posts it and follows the answer.
func fillAndSubmit(t *testing.T, ctx context.Context, sel string, fields map[string]string, checks ...string) {
	t.Helper()
	js := fmt.Sprintf(`(() => {
		const form = document.querySelector(%q);
		if (!form) return 'no form';
		for (const [name, value] of Object.entries(%s)) {
			const el = form.elements.namedItem(name);
			if (!el) return 'no field ' + name;
			el.value = value;
			el.dispatchEvent(new Event('input', {bubbles: true}));
		}
		for (const v of %s) {
			const box = form.querySelector('input[type="checkbox"][value="' + v + '"]');
			if (!box) return 'no checkbox ' + v;
			box.checked = true;
		}
		const button = form.querySelector('button[type="submit"]:not([formaction])');
		if (!button) return 'no submit button';
		// A button that asks first (data-confirm) is answered yes, as the
		// person who clicked it would.
		window.confirm = () => true;
		button.click();
		return '';
	})()`, sel, jsonObject(fields), jsonArray(checks))
	if msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](js)); err != nil || msg != "" {
		t.Fatalf("form %s: %q %v", sel, msg, err)
	}
}

func jsonObject(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%q: %q", k, v))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func jsonArray(vs []string) string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		parts = append(parts, fmt.Sprintf("%q", v))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// count is what sql counts in the test database for the demo tenant ($1).
func count(t *testing.T, sql string) int {
	t.Helper()
	var n int
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), sql, demo.Load().Tenant.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Post/redirect/get in a real browser: an administrator creates an API
// client and a webhook (each secret shown once) and proposes a fee rule; a
// senior reviewer approves it. After each the page is reloaded: the
// browser asks nothing to be sent again, nothing is made twice, and a
// secret is not shown again.
func TestBrowserReloadAfterAFormRepeatsNothing(t *testing.T) {
	base := startProduct(t)
	admin, senior := newBrowser(t), newBrowser(t)
	do(t, admin, chromedp.Navigate(base+"/api-clients"))
	do(t, admin, signInAt("admin")...)
	do(t, admin, chromedp.WaitVisible(tid("client-form")))

	// reloaded reloads the page and says what it shows: the page's address
	// and whether a one-time secret is on it.
	reloaded := func(ctx context.Context, wait string) (string, bool) {
		t.Helper()
		do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(tid(wait)))
		shown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('[data-testid="revealed-secret"]')`))
		if err != nil {
			t.Fatal(err)
		}
		return location(t, ctx), shown
	}

	for _, tc := range []struct {
		name, page, form, wait, rows string
		fields                       map[string]string
		checks                       []string
	}{
		{"API client", "/api-clients", "client-form", "client-table", "SELECT count(*) FROM api_clients WHERE tenant_id = $1",
			map[string]string{"name": "Browser reload backend"}, []string{"customers:read"}},
		{"webhook", "/webhooks", "subscription-form", "subscription-form", "SELECT count(*) FROM webhook_subscriptions WHERE tenant_id = $1",
			map[string]string{"url": "https://93.184.215.14/hooks/reload", "description": "Reload test"}, []string{"config.changed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			do(t, admin, chromedp.Navigate(base+tc.page), chromedp.WaitVisible(tid(tc.form)))
			before := count(t, tc.rows)
			fillAndSubmit(t, admin, `[data-testid="`+tc.form+`"]`, tc.fields, tc.checks...)
			do(t, admin, chromedp.WaitVisible(tid("revealed-secret")))
			secret := textOf(t, admin, `[data-testid="revealed-secret"]`)
			if n := count(t, tc.rows); n != before+1 || secret == "" {
				t.Fatalf("after the post: %d rows (before %d), secret %q", n, before, secret)
			}
			at, shown := reloaded(admin, tc.wait)
			if n := count(t, tc.rows); n != before+1 || shown || strings.Contains(at, "reveal") {
				t.Errorf("after a reload at %s: %d rows (want %d), secret shown again %v", at, n, before+1, shown)
			}
		})
	}

	t.Run("fee rule proposed and approved", func(t *testing.T) {
		const requests = "SELECT count(*) FROM change_requests WHERE tenant_id = $1"
		const rules = "SELECT count(*) FROM fee_rules WHERE tenant_id = $1"
		const decided = "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action LIKE 'approval.%' AND action <> 'approval.proposed'"
		before, rulesBefore := count(t, requests), count(t, rules)
		do(t, admin, chromedp.Navigate(base+"/config/fees/new"), chromedp.WaitVisible(tid("fee-form")))
		fillAndSubmit(t, admin, `[data-testid="fee-form"]`, map[string]string{"name": "Browser reload fee", "transactionType": "TRANSFER",
			"country": "GB", "currency": "GBP", "fixed": "0.50", "percentage": "1.25", "reason": "new price list"})
		do(t, admin, chromedp.WaitVisible(tid("flash")))
		if n := count(t, requests); n != before+1 {
			t.Fatalf("proposals after the post: %d, want %d (flash %q)", n, before+1, textOf(t, admin, `[data-testid="flash"]`))
		}
		if at, _ := reloaded(admin, "pager"); count(t, requests) != before+1 || strings.HasSuffix(at, "/config/fees/new") {
			t.Errorf("after a reload at %s: %d proposals, want %d", at, count(t, requests), before+1)
		}

		do(t, senior, chromedp.Navigate(base+"/approvals"))
		do(t, senior, signInAt("senior")...)
		do(t, senior, chromedp.WaitVisible(tid("approval-row")))
		if ok, err := chromedp.Run(senior, chromedp.Evaluate[bool](`(() => {
			const row = [...document.querySelectorAll('[data-testid="approval-row"]')].find(r => r.textContent.includes('Browser reload fee'));
			if (!row) return false;
			row.querySelector('a').click();
			return true; })()`)); err != nil || !ok {
			t.Fatalf("no approval row for the fee rule (%v)", err)
		}
		do(t, senior, chromedp.WaitVisible(tid("decision-form")))
		decidedBefore := count(t, decided)
		do(t, senior, chromedp.SendKeys(chromedp.ID("decision-reason"), "Priced as agreed"), chromedp.Click(tid("approve")), chromedp.WaitVisible(tid("flash")))
		if f := textOf(t, senior, `[data-testid="flash"]`); !strings.Contains(f, "Approved and applied") || count(t, rules) != rulesBefore+1 {
			t.Fatalf("after approving: flash %q, %d rules (want %d)", f, count(t, rules), rulesBefore+1)
		}
		afterDecision := count(t, decided)
		at, _ := reloaded(senior, "approval-status")
		if st := textOf(t, senior, `[data-testid="approval-status"]`); st != "Approved" || count(t, rules) != rulesBefore+1 || count(t, decided) != afterDecision || afterDecision <= decidedBefore {
			t.Errorf("after a reload at %s: status %q, %d rules (want %d), decision records %d then %d", at, st, count(t, rules), rulesBefore+1, afterDecision, count(t, decided))
		}
	})
}

// download is what the browser got for a list's "Export CSV" link.
type download struct {
	Error, Href, Type, Disposition, Body string
	Status                               int
	Download                             bool
}

// exportFrom follows the "Export CSV" link of the list page the browser
// shows, as the browser fetches it (the session's cookie, the link's own
// address), and reads the file.
func exportFrom(t *testing.T, ctx context.Context) (download, [][]string) {
	t.Helper()
	d, err := chromedp.Run(ctx, chromedp.Evaluate[download](`(async () => {
		const a = document.querySelector('[data-testid="export-csv"]');
		if (!a) return {error: 'no export link on ' + location.pathname};
		const r = await fetch(a.href, {credentials: 'same-origin'});
		return {href: a.getAttribute('href'), download: a.hasAttribute('download'), status: r.status, type: r.headers.get('content-type') || '',
			disposition: r.headers.get('content-disposition') || '', body: await r.text()};
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || d.Error != "" {
		t.Fatalf("export: %s %v", d.Error, err)
	}
	if d.Status != 200 || !strings.HasPrefix(d.Type, "text/csv") || !strings.HasPrefix(d.Disposition, "attachment;") || !d.Download {
		t.Fatalf("export %s: %d %q %q download=%v: %.300s", d.Href, d.Status, d.Type, d.Disposition, d.Download, d.Body)
	}
	rows, err := csv.NewReader(strings.NewReader(d.Body)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("export %s: %v %q", d.Href, err, d.Body)
	}
	return d, rows
}

// shownColumns are the column names of the list table tableID as the page
// shows them.
func shownColumns(t *testing.T, ctx context.Context, tableID string) []string {
	t.Helper()
	cols, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(`[...document.querySelectorAll('[data-testid=%q] thead th')].map(th => th.textContent.trim())`, tableID)))
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

// The CSV exports in a real browser: the "Export CSV" link of each list
// (customers, reviews, alerts, screening hits, cases, audit, fee rules)
// downloads the list with its columns, the customers' rows as the list
// shows them and masked as it masks them for the role (an analyst sees
// masked e-mail addresses, a senior reviewer, who may reveal them, in
// full), and each download leaves its audit record.
func TestBrowserExportsAsShownMaskedAndAudited(t *testing.T) {
	base := startProduct(t)
	const audited = "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'export.csv'"
	lastExport := func(t *testing.T) (list string, rows float64) {
		t.Helper()
		var after map[string]any
		if err := dbtest.OwnerPool(t).QueryRow(t.Context(), `SELECT entity_id, after FROM audit_log WHERE tenant_id = $1 AND action = 'export.csv' ORDER BY occurred_at DESC, seq DESC LIMIT 1`,
			demo.Load().Tenant.ID).Scan(&list, &after); err != nil {
			t.Fatal(err)
		}
		n, _ := after["rows"].(float64)
		return list, n
	}
	// The demo's customers (a test of the package before may have made
	// some; the seed then adds none).
	pool, err := db.Open(t.Context(), dbtest.URL(t), db.DefaultAppRole)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := demo.SeedCustomers(t.Context(), customer.NewService(pool, nil), demo.Load()); err != nil {
		t.Fatal(err)
	}
	analyst, senior, auditor := newBrowser(t), newBrowser(t), newBrowser(t)
	for ctx, login := range map[context.Context]string{analyst: "analyst", senior: "senior", auditor: "auditor"} {
		do(t, ctx, chromedp.Navigate(base+"/customers"))
		do(t, ctx, signInAt(login)...)
		do(t, ctx, chromedp.WaitVisible(tid("customer-row")))
	}

	// A case whose title names its customer's e-mail address, as the
	// senior reviewer's list shows it in full.
	tenantID := demo.Load().Tenant.ID
	first, err := chromedp.Run(senior, chromedp.Evaluate[[]string](`(() => { const r = document.querySelector('[data-testid="customer-row"]');
		return [r.dataset.customerId, r.querySelector('[data-testid="customer-email"]').textContent.trim()]; })()`))
	if err != nil {
		t.Fatal(err)
	}
	customerID, err := uuid.Parse(first[0])
	if err != nil {
		t.Fatal(err)
	}
	email := first[1]
	keys, err := fieldcrypt.Parse("b1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	if err != nil {
		t.Fatal(err)
	}
	sys := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "export test", TenantID: tenantID})
	if _, err := cases.NewService(pool, keys, nil).Create(sys, tenantID, cases.CreateParams{CustomerID: &customerID, Title: "Payments of " + email}); err != nil {
		t.Fatal(err)
	}

	// Customers, as each role sees them.
	emails := map[string][]string{}
	for login, ctx := range map[string]context.Context{"analyst": analyst, "senior": senior} {
		before := count(t, audited)
		_, rows := exportFrom(t, ctx)
		if got, shown := strings.Join(rows[0], ","), strings.Join(shownColumns(t, ctx, "customer-table"), ","); got != shown {
			t.Errorf("%s: export columns %q; the list shows %q", login, got, shown)
		}
		firstShown, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => { const r = document.querySelector('[data-testid="customer-row"]');
			return [r.querySelector('a[data-keynav-row]').textContent.trim(), r.querySelector('[data-testid="customer-email"]').textContent.trim()]; })()`))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) < 2 || rows[1][0] != firstShown[0] || rows[1][1] != firstShown[1] {
			t.Errorf("%s: first exported row %v; the list shows %v", login, rows[1:2], firstShown)
		}
		for _, r := range rows[1:] {
			emails[login] = append(emails[login], r[1])
		}
		if list, n := lastExport(t); count(t, audited) != before+1 || list != "customers" || int(n) != len(rows)-1 {
			t.Errorf("%s: export audited %d times, last %s with %v rows; want once, customers, %d rows", login, count(t, audited)-before, list, n, len(rows)-1)
		}
	}
	for i, e := range emails["analyst"] {
		if !strings.Contains(e, "•") || e == emails["senior"][i] {
			t.Errorf("the analyst's export shows e-mail %q (senior reviewer's: %q); want it masked", e, emails["senior"][i])
		}
		if full := emails["senior"][i]; strings.Contains(full, "•") || !strings.Contains(full, "@") {
			t.Errorf("the senior reviewer's export shows e-mail %q; want it in full", full)
		}
	}

	// Every other list: the link on its page, its columns, its audit record.
	for _, tc := range []struct {
		ctx           context.Context
		page, list    string
		header, table string
	}{
		{analyst, "/reviews", "reviews", "Customer,E-mail,Nationality,Risk,Reasons,Waiting since,Assignee", ""},
		{analyst, "/alerts", "alerts", "Severity,Customer,Rules,Amount,Status,Assigned to,Raised", ""},
		{analyst, "/screening", "screening-hits", "Customer,List entry,List,Entry id,Score,Match,Status,Raised", ""},
		{analyst, "/cases", "cases", "Case,Customer,Status,Owner,Alerts,Hits,Opened", "cases-table"},
		{auditor, "/audit", "audit", "#,When,Actor,Action,Entity,Reason", "audit-table"},
		{auditor, "/config/fees", "fee-rules", "Rule,Applies to,Fixed,Percent,Min,Max,Tiers,Effective from,State", ""},
	} {
		t.Run(tc.list, func(t *testing.T) {
			do(t, tc.ctx, chromedp.Navigate(base+tc.page), chromedp.WaitVisible(tid("pager")))
			before := count(t, audited)
			_, rows := exportFrom(t, tc.ctx)
			if got := strings.Join(rows[0], ","); got != tc.header {
				t.Errorf("columns %q; want %q", got, tc.header)
			}
			if tc.table != "" {
				if got, shown := strings.Join(rows[0], ","), strings.Join(shownColumns(t, tc.ctx, tc.table), ","); got != shown {
					t.Errorf("export columns %q; the list shows %q", got, shown)
				}
			}
			if list, n := lastExport(t); count(t, audited) != before+1 || list != tc.list || int(n) != len(rows)-1 {
				t.Errorf("export audited %d times, last %s with %v rows; want once, %s, %d rows", count(t, audited)-before, list, n, tc.list, len(rows)-1)
			}
			if tc.list == "cases" {
				// The title as the list shows it: the e-mail address masked
				// for the analyst.
				shown := textOf(t, tc.ctx, `[data-testid="case-row"] a[data-keynav-row]`)
				found := false
				for _, r := range rows[1:] {
					found = found || r[0] == shown
					if strings.Contains(r[0], email) {
						t.Errorf("the analyst's cases export shows %q unmasked", r[0])
					}
				}
				if !found {
					t.Errorf("the list shows %q; the export has %v", shown, rows[1:])
				}
			}
		})
	}
}
