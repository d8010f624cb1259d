package web

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/catalog"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/staff"
)

// exportAudits are the export records of the harness tenant for list, with
// what each recorded.
func (h *harness) exportAudits(list string) []map[string]any {
	h.t.Helper()
	rows, err := dbOwner(h.t.(*testing.T)).Query(h.t.Context(),
		`SELECT after FROM audit_log WHERE tenant_id = $1 AND action = 'export.csv' AND entity_id = $2 ORDER BY seq`, h.tenant.ID, list)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			h.t.Fatal(err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(raw, &m); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// readCSV is an export's rows, header first.
func readCSV(t *testing.T, resp *http.Response) [][]string {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("export: %d %s", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("Content-Type = %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Fatalf("Content-Disposition = %q", cd)
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// Problem 9: lists paged only by Next/Prev without page sizes. The fee
// list now offers 25/50/100, numbers its pages and keeps its filters in
// every link.
func TestListPageSizesAndNumbers(t *testing.T) {
	h := newHarness(t)
	_, admin := h.signIn(staff.TenantAdmin)
	for i := range 60 {
		h.feeRule(catalog.FeeRuleSpec{Name: fmt.Sprintf("Transfer fee %02d", i), TransactionType: "TRANSFER", Currency: "GBP", Fixed: d("0.50")})
	}
	h.feeRule(catalog.FeeRuleSpec{Name: "Card fee", TransactionType: "CARD", Currency: "GBP", Fixed: d("1")})

	first := doc(t, h.get("/config/fees?type=TRANSFER&size=25", admin))
	if got := text(first, `[data-testid="page-count"]`); got != "1–25 of 60" {
		t.Errorf("count = %q, want 1–25 of 60", got)
	}
	if n := first.Find(`[data-testid="fee-row"], tbody tr`).Length(); n < 25 {
		t.Errorf("rows = %d", n)
	}
	var pages []string
	first.Find(`[data-testid="page-number"]`).Each(func(_ int, s *goquery.Selection) { pages = append(pages, strings.TrimSpace(s.Text())) })
	if strings.Join(pages, ",") != "1,2,3" {
		t.Errorf("page numbers = %v, want 1,2,3", pages)
	}
	if cur := text(first, `[data-testid="page-number"][aria-current="page"]`); cur != "1" {
		t.Errorf("current page = %q", cur)
	}
	if cur := text(first, `[data-testid="page-size"][aria-current="true"]`); cur != "25" {
		t.Errorf("current size = %q", cur)
	}
	third, ok := first.Find(`a[data-testid="page-number"]`).Last().Attr("href")
	if !ok {
		t.Fatal("no link to page 3")
	}
	u, _ := url.Parse(third)
	if q := u.Query(); q.Get("type") != "TRANSFER" || q.Get("size") != "25" || q.Get("offset") != "50" {
		t.Errorf("page 3 link %q loses the filter or the size", third)
	}
	last := doc(t, h.get(third, admin))
	if got := text(last, `[data-testid="page-count"]`); got != "51–60 of 60" {
		t.Errorf("page 3 count = %q", got)
	}
	if _, ok := last.Find(`[data-testid="prev-page"]`).Attr("href"); !ok {
		t.Error("page 3 has no previous link")
	}
	if last.Find(`[data-testid="next-page"]`).Length() != 0 {
		t.Error("the last page has a next link")
	}
	// A size link keeps the filter and starts from the first page.
	var hundred string
	last.Find(`a[data-testid="page-size"]`).Each(func(_ int, s *goquery.Selection) {
		if strings.TrimSpace(s.Text()) == "100" {
			hundred, _ = s.Attr("href")
		}
	})
	hu, _ := url.Parse(hundred)
	if q := hu.Query(); q.Get("type") != "TRANSFER" || q.Get("size") != "100" || q.Has("offset") {
		t.Errorf("size 100 link = %q", hundred)
	}
	all := doc(t, h.get(hundred, admin))
	if got := text(all, `[data-testid="page-count"]`); got != "1–60 of 60" {
		t.Errorf("size 100 count = %q", got)
	}
	// A size not offered is the default.
	if got := text(doc(t, h.get("/config/fees?size=7", admin)), `[data-testid="page-count"]`); got != "1–50 of 61" {
		t.Errorf("size 7 count = %q, want the default 50", got)
	}
	// The export link keeps the filter and drops the paging.
	exp, _ := last.Find(`[data-testid="export-csv"]`).Attr("href")
	eu, _ := url.Parse(exp)
	if eu.Path != "/config/fees/export.csv" || eu.Query().Get("type") != "TRANSFER" || eu.Query().Has("offset") {
		t.Errorf("export link = %q", exp)
	}
}

// The keyset lists (customers, audit) offer page sizes too, kept across
// their next links.
func TestKeysetListsKeepPageSize(t *testing.T) {
	h := newHarness(t)
	_, admin := h.signIn(staff.TenantAdmin)
	for i := range 30 {
		h.feeRule(catalog.FeeRuleSpec{Name: fmt.Sprintf("Audit fee %02d", i), TransactionType: "TRANSFER", Currency: "GBP", Fixed: d("1")})
	}
	_ = h.get("/config/fees", admin)
	page := doc(t, h.get("/audit?size=25", admin))
	if got := text(page, `[data-testid="page-count"]`); !strings.HasPrefix(got, "1–25 of ") {
		t.Fatalf("audit count = %q", got)
	}
	next, _ := page.Find(`[data-testid="next-page"]`).Attr("href")
	nu, _ := url.Parse(next)
	if nu.Query().Get("size") != "25" {
		t.Fatalf("next link %q drops the size", next)
	}
	second := doc(t, h.get(next, admin))
	if got := text(second, `[data-testid="page-count"]`); !strings.HasPrefix(got, "26–") {
		t.Errorf("second audit page = %q", got)
	}
}

// Problem 9: no export anywhere. The customers export masks as the list
// does for each role, is audited with its filter and row count, and only
// for those who may read customers.
func TestCustomerExportMaskedPerRoleAndAudited(t *testing.T) {
	h := newHarness(t)
	h.withCategories()
	tok := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
	h.register(tok, person{First: "Ana", Last: "Lopez", Email: "ana.lopez@example.com", Phone: "+447911123451"})
	h.register(tok, person{First: "Carla", Last: "Lopez", Email: "carla@example.net", Phone: "+447911123453"})
	h.register(tok, person{First: "Bruno", Last: "Diaz", Email: "bruno@example.org", Phone: "+447911123452"})
	_, analyst := h.signIn(staff.Analyst)
	_, senior := h.signIn(staff.SeniorReviewer)

	rows := readCSV(t, h.get("/customers/export.csv?q=Lopez", analyst))
	if strings.Join(rows[0], ",") != "Name,E-mail,Country,Risk,Status,Permission,Created" {
		t.Fatalf("header = %v", rows[0])
	}
	if len(rows) != 3 {
		t.Fatalf("rows = %v, want the two Lopez", rows)
	}
	for _, r := range rows[1:] {
		if !strings.Contains(r[0], "Lopez") {
			t.Errorf("row %v is not a Lopez", r)
		}
		if strings.Contains(r[1], "ana.lopez") || strings.Contains(r[1], "carla@") || !strings.Contains(r[1], "•") {
			t.Errorf("analyst sees e-mail %q, want it masked", r[1])
		}
	}
	// The same masking as the list page shows the analyst.
	page := doc(t, h.get("/customers?q=Lopez", analyst))
	if !strings.Contains(page.Text(), rows[1][1]) {
		t.Errorf("the list does not show %q as the export does", rows[1][1])
	}
	full := readCSV(t, h.get("/customers/export.csv?q=Lopez", senior))
	var emails []string
	for _, r := range full[1:] {
		emails = append(emails, r[1])
	}
	if got := strings.Join(emails, " "); !strings.Contains(got, "ana.lopez@example.com") || !strings.Contains(got, "carla@example.net") {
		t.Errorf("senior reviewer sees %q, want the e-mails in full", got)
	}

	audits := h.exportAudits("customers")
	if len(audits) != 2 {
		t.Fatalf("export audits = %v", audits)
	}
	if f, _ := audits[0]["filter"].(map[string]any); f["q"] != "Lopez" || audits[0]["rows"] != float64(2) || audits[0]["complete"] != true {
		t.Errorf("audit = %v", audits[0])
	}

	// Support may read customers; an auditor's list exports too; a
	// platform operator may not read customers at all.
	_, operator := h.signIn(staff.PlatformOperator)
	if resp := h.get("/customers/export.csv", operator); resp.StatusCode != http.StatusForbidden {
		t.Errorf("operator export: %d, want 403", resp.StatusCode)
	}
	_, support := h.signIn(staff.Support)
	for _, p := range []string{"/audit/export.csv", "/reviews/export.csv", "/alerts/export.csv", "/screening/hits/export.csv", "/config/fees/export.csv"} {
		if resp := h.get(p, support); resp.StatusCode != http.StatusForbidden {
			t.Errorf("support %s: %d, want 403", p, resp.StatusCode)
		}
	}
	if len(h.exportAudits("audit")) != 0 {
		t.Error("a refused export was audited as done")
	}
}

// Cells a spreadsheet would run as a formula are neutralised; the export
// of every list answers CSV with the list's columns.
func TestExportsNeutraliseFormulasAndAnswerEveryList(t *testing.T) {
	h := newHarness(t)
	_, admin := h.signIn(staff.TenantAdmin)
	h.feeRule(catalog.FeeRuleSpec{Name: "=HYPERLINK(\"http://evil.example\",\"x\")", TransactionType: "TRANSFER", Currency: "GBP", Fixed: d("1")})
	h.feeRule(catalog.FeeRuleSpec{Name: "@SUM(A1)", TransactionType: "TRANSFER", Currency: "GBP", Fixed: d("1")})
	h.feeRule(catalog.FeeRuleSpec{Name: "+1 plain", TransactionType: "TRANSFER", Currency: "GBP", Fixed: d("1")})
	h.feeRule(catalog.FeeRuleSpec{Name: "-2 plain", TransactionType: "TRANSFER", Currency: "GBP", Fixed: d("1")})
	h.feeRule(catalog.FeeRuleSpec{Name: "Safe name", TransactionType: "TRANSFER", Currency: "GBP", Fixed: d("1")})

	rows := readCSV(t, h.get("/config/fees/export.csv?sort=name", admin))
	if strings.Join(rows[0], ",") != "Rule,Applies to,Fixed,Percent,Min,Max,Tiers,Effective from,State" {
		t.Fatalf("header = %v", rows[0])
	}
	names := map[string]bool{}
	for _, r := range rows[1:] {
		names[r[0]] = true
	}
	for _, want := range []string{"'=HYPERLINK(\"http://evil.example\",\"x\")", "'@SUM(A1)", "'+1 plain", "'-2 plain", "Safe name"} {
		if !names[want] {
			t.Errorf("no cell %q in %v", want, names)
		}
	}

	_, auditor := h.signIn(staff.Auditor)
	for _, c := range []struct{ path, header string }{
		{"/reviews/export.csv", "Customer,E-mail,Nationality,Risk,Reasons,Waiting since,Assignee"},
		{"/alerts/export.csv?status=all", "Severity,Customer,Rules,Amount,Status,Assigned to,Raised"},
		{"/screening/hits/export.csv?status=", "Customer,List entry,List,Entry id,Score,Match,Status,Raised"},
		{"/audit/export.csv?action=fee", "#,When,Actor,Action,Entity,Reason"},
	} {
		rows := readCSV(t, h.get(c.path, auditor))
		if got := strings.Join(rows[0], ","); got != c.header {
			t.Errorf("%s header = %q", c.path, got)
		}
	}
	// A filter not understood answers its error naming the field, not half
	// a file.
	resp := h.get("/audit/export.csv?since=yesterday", auditor)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad date: %d, want 422", resp.StatusCode)
	}
	// It is the list's page, the message next to the field.
	if got := text(doc(t, resp), `[data-testid="error-f-since"]`); !strings.Contains(got, "2026-01-31") {
		t.Errorf("bad date message = %q", got)
	}
}

// flushRecorder is a response writer that records, at each flush, how much
// was written, and lets the test look at the database while the handler
// waits on it.
type flushRecorder struct {
	*httptest.ResponseRecorder
	flushes   []int
	maxWrite  int
	onFlush   func(written int)
	flushedAt int
}

func (f *flushRecorder) Write(p []byte) (int, error) {
	f.maxWrite = max(f.maxWrite, len(p))
	return f.ResponseRecorder.Write(p)
}

func (f *flushRecorder) Flush() {
	n := f.Body.Len()
	f.flushes = append(f.flushes, n)
	if len(f.flushes) == 1 && f.onFlush != nil {
		f.onFlush(n)
	}
}

// A large export streams: 20,000 audit records leave in batches, each
// flushed before the next is read, never the whole body at once; the
// export's own audit record is written after the last row.
func TestLargeExportStreams(t *testing.T) {
	h := newHarness(t)
	emp, cookie := h.signIn(staff.Auditor)
	const n = 20000
	if _, err := dbOwner(t).Exec(t.Context(), `
		INSERT INTO audit_log (id, tenant_id, chain_id, seq, actor_type, actor_id, actor_name, trace_id, caller_traceparent,
		                       action, entity_type, entity_id, reason_code, before, after, prev_hash, hash)
		SELECT gen_random_uuid(), $1, '00000000-0000-0000-0000-000000000000', 0, 'SYSTEM', 'bulk', 'Bulk loader', '', '',
		       'bulk.row', 'thing', i::text, '', NULL, NULL, '\x', '\x'
		FROM generate_series(1, $2::int) AS i`, h.tenant.ID, n); err != nil {
		t.Fatal(err)
	}
	_ = emp
	rec := &flushRecorder{ResponseRecorder: httptest.NewRecorder()}
	auditedAtFirstFlush := -1
	rec.onFlush = func(int) { auditedAtFirstFlush = len(h.exportAudits("audit")) }
	req := httptest.NewRequestWithContext(t.Context(), "GET", "/audit/export.csv?action=bulk.", nil)
	req.AddCookie(cookie)
	h.srv.Config.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("export: %d %.300s", rec.Code, rec.Body.String())
	}
	rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n+1 {
		t.Fatalf("rows = %d, want %d and the header", len(rows), n+1)
	}
	total := rec.Body.Len()
	if len(rec.flushes) < n/exportBatch {
		t.Errorf("flushes = %d, want one per batch of %d (at least %d)", len(rec.flushes), exportBatch, n/exportBatch)
	}
	if first := rec.flushes[0]; first*20 > total {
		t.Errorf("the first flush came after %d of %d bytes: the body was not streamed", first, total)
	}
	if rec.maxWrite*20 > total {
		t.Errorf("a single write of %d of %d bytes: the body was buffered", rec.maxWrite, total)
	}
	if auditedAtFirstFlush != 0 {
		t.Errorf("at the first flush %d export records existed; the export is audited once it ends", auditedAtFirstFlush)
	}
	a := h.exportAudits("audit")
	if len(a) != 1 || a[0]["rows"] != float64(n) {
		t.Errorf("export audit = %v", a)
	}
}

// Issue 15 lists cases among the exports: the case list exports its
// columns as shown, with its filter; a title that names the customer's
// e-mail address is masked for an analyst as the list masks it, in full
// for a senior reviewer; the export is audited; support may not export.
func TestCaseExportColumnsMaskedAndAudited(t *testing.T) {
	h := newHarness(t)
	tok := h.alertRule()
	customer := h.amlCustomer(tok)
	alert := h.raise(tok, customer, "150.00")
	id, _ := uuid.Parse(customer)
	c, err := h.s.Customers.Get(t.Context(), h.tenant.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	_, ac := h.signIn(staff.Analyst)
	_, sc := h.signIn(staff.SeniorReviewer)
	location(t, h.post("/cases", url.Values{"alert": {alert}, "title": {"Payments of " + c.Email}}, ac))

	list := doc(t, h.get("/cases", ac))
	exp, _ := list.Find(`[data-testid="export-csv"]`).Attr("href")
	if exp != "/cases/export.csv" {
		t.Fatalf("export link = %q", exp)
	}
	rows := readCSV(t, h.get("/cases/export.csv?status=active", ac))
	if got := strings.Join(rows[0], ","); got != "Case,Customer,Status,Owner,Alerts,Hits,Opened" {
		t.Fatalf("header = %q", got)
	}
	if len(rows) != 2 {
		t.Fatalf("rows = %v, want the one case", rows)
	}
	r := rows[1]
	if !strings.HasPrefix(r[0], "#") || !strings.Contains(r[0], " Payments of ") || strings.Contains(r[0], c.Email) || r[2] != "Open" || r[3] != "—" || r[4] != "1" {
		t.Errorf("analyst's row = %v; want the e-mail masked, Open, no owner, 1 alert", r)
	}
	// As the list shows it to the analyst.
	if shown := text(list, `[data-testid="case-row"] a[data-keynav-row]`); shown != r[0] {
		t.Errorf("the list shows %q, the export %q", shown, r[0])
	}
	full := readCSV(t, h.get("/cases/export.csv", sc))
	if len(full) != 2 || !strings.Contains(full[1][0], c.Email) {
		t.Errorf("senior reviewer's rows = %v; want the e-mail in full", full)
	}
	if closed := readCSV(t, h.get("/cases/export.csv?status=CLOSED", ac)); len(closed) != 1 {
		t.Errorf("closed cases = %v; want none", closed)
	}
	audits := h.exportAudits("cases")
	if len(audits) != 3 {
		t.Fatalf("export audits = %v", audits)
	}
	if f, _ := audits[0]["filter"].(map[string]any); f["status"] != "active" || audits[0]["rows"] != float64(1) || audits[0]["complete"] != true {
		t.Errorf("audit = %v", audits[0])
	}
	_, support := h.signIn(staff.Support)
	if resp := h.get("/cases/export.csv", support); resp.StatusCode != http.StatusForbidden {
		t.Errorf("support: %d, want 403", resp.StatusCode)
	}
}

// pageNumbers are the numbered pages of a list's pager, "…" for a gap.
func pageNumbers(d *goquery.Document) string {
	var out []string
	d.Find(`[data-testid="pager"] [data-testid="page-number"], [data-testid="pager"] span.text-slate-400`).Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Text()))
	})
	return strings.Join(out, ",")
}

// Issue 15, problem 9: "1–50 of 1,204" with page numbers on the keyset
// lists too. The audit list stays keyset-paged: walking it numbers every
// page, links the earlier pages whose cursors the links carry (the last
// five), and a numbered link shows the same rows as walking there did.
func TestAuditListNumbersItsPages(t *testing.T) {
	h := newHarness(t)
	_, c := h.signIn(staff.Auditor)
	if _, err := dbOwner(t).Exec(t.Context(), `
		INSERT INTO audit_log (id, tenant_id, chain_id, seq, actor_type, actor_id, actor_name, trace_id, caller_traceparent,
		                       action, entity_type, entity_id, reason_code, before, after, prev_hash, hash)
		SELECT gen_random_uuid(), $1, gen_random_uuid(), 1000000 + i, 'SYSTEM', 'bulk', 'Bulk loader', '', '',
		       'paging.row', 'thing', i::text, '', NULL, NULL, '\x', '\x'
		FROM generate_series(1, 200) AS i`, h.tenant.ID); err != nil {
		t.Fatal(err)
	}
	firstRow := func(d *goquery.Document) string { return text(d, `[data-testid="audit-row"] td:nth-child(1)`) }
	wantNumbers := []string{"1,2,…", "1,2,3,…", "1,2,3,4,…", "1,2,3,4,5,…", "1,2,3,4,5,6,…", "1,2,3,4,5,6,7,…", "1,2,3,4,5,6,7,8", "1,…,3,4,5,6,7,8"}
	u := "/audit?action=paging.&size=25"
	walked := map[string]string{} // page → its first row
	var last *goquery.Document
	for i, want := range wantNumbers {
		d := doc(t, h.get(u, c))
		page := strconv.Itoa(i + 1)
		if got := text(d, `[data-testid="page-count"]`); got != fmt.Sprintf("%d–%d of 200", i*25+1, i*25+25) {
			t.Errorf("page %s count %q", page, got)
		}
		if got, cur := pageNumbers(d), text(d, `[data-testid="page-number"][aria-current="page"]`); got != want || cur != page {
			t.Errorf("page %s: numbers %q current %q; want %q", page, got, cur, want)
		}
		walked[page] = firstRow(d)
		last = d
		u, _ = d.Find(`[data-testid="next-page"]`).Attr("href")
		if (u == "") != (i == len(wantNumbers)-1) {
			t.Fatalf("page %s: next link %q", page, u)
		}
	}
	// From the last page every numbered link leads to that page's rows.
	last.Find(`a[data-testid="page-number"]`).Each(func(_ int, s *goquery.Selection) {
		page := strings.TrimSpace(s.Text())
		d := doc(t, h.get(s.AttrOr("href", ""), c))
		if got := firstRow(d); got != walked[page] || text(d, `[data-testid="page-number"][aria-current="page"]`) != page {
			t.Errorf("link to page %s shows %q (current %q); walking there showed %q", page, got, text(d, `[data-testid="page-number"][aria-current="page"]`), walked[page])
		}
	})
	prev, _ := last.Find(`[data-testid="prev-page"]`).Attr("href")
	if d := doc(t, h.get(prev, c)); firstRow(d) != walked["7"] {
		t.Errorf("previous from page 8 shows %q; want page 7's %q", firstRow(d), walked["7"])
	}
	// A trail that is not cursors numbers no earlier pages, and is no error.
	if resp := h.get("/audit?action=paging.&size=25&before=1000100&offset=100&trail=x,y", c); resp.StatusCode != http.StatusOK {
		t.Errorf("bad trail: %d", resp.StatusCode)
	} else if got := pageNumbers(doc(t, resp)); got != "1,…,5,6,…" {
		t.Errorf("bad trail numbers %q", got)
	}
}
