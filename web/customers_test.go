package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/customer/customergen"
	"github.com/ciamhq/ciam/internal/demo"
	"github.com/ciamhq/ciam/internal/staff"
)

// withCategories gives the harness tenant the demo categorisation, under
// ids of its own.
func (h *harness) withCategories() {
	h.t.Helper()
	specs := demo.Categories()
	for i := range specs {
		specs[i].ID = uuid.Nil
		for j := range specs[i].Features {
			specs[i].Features[j].ID = uuid.Nil
		}
	}
	ctx := actor.With(h.t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	if err := h.s.Customers.DefineCategories(ctx, h.tenant.ID, specs); err != nil {
		h.t.Fatal(err)
	}
}

// person is a customer to register.
type person struct {
	First, Last, Email, Phone string
	// Categorised registers with the HIGH_RISK_INDIVIDUAL category (by
	// name, as the harness tenant's ids are its own).
	Categorised bool
}

// register registers p in the harness tenant through the API and returns
// the customer id.
func (h *harness) register(tok string, p person) string {
	h.t.Helper()
	body := variant(h.t, func(m map[string]any) {
		m["tenantId"] = h.tenant.Slug
		m["firstName"], m["lastName"] = p.First, p.Last
		if p.Email != "" {
			m["email"] = p.Email
		}
		if p.Phone != "" {
			ic(m)["phoneNumber"] = p.Phone
		}
		if !p.Categorised {
			delete(m, "categorization")
			return
		}
		delete(cat(m), "id")
		for i := range cat(m)["categoryFeatureRelations"].([]any) {
			delete(rel(m, i)["feature"].(map[string]any), "id")
		}
	})
	resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, tok, body, nil)
	if resp.StatusCode != http.StatusCreated {
		h.t.Fatalf("register %s %s: %d %v", p.First, p.Last, resp.StatusCode, out)
	}
	return out["data"].(map[string]any)["customerId"].(string)
}

// rowIDs are the customer ids a result page lists, in order.
func rowIDs(d *goquerySelection) []string {
	var ids []string
	d.Find(`[data-testid="customer-row"]`).Each(func(_ int, s *goquerySelection) {
		ids = append(ids, s.AttrOr("data-customer-id", ""))
	})
	return ids
}

func TestCustomerSearch(t *testing.T) {
	h := newHarness(t)
	_, analyst := h.signIn(staff.Analyst)

	// A tenant without customers says where they come from.
	empty := doc(t, h.get("/customers", analyst))
	if got := text(empty, `[data-testid="empty"]`); !strings.Contains(got, "No customers yet") || !strings.Contains(got, "registration API") {
		t.Fatalf("empty state = %q", got)
	}

	h.withCategories()
	tok := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
	ana := h.register(tok, person{First: "Ana", Last: "Lopez", Email: "ana.lopez@example.com", Phone: "+447911123451"})
	bruno := h.register(tok, person{First: "Bruno", Last: "Diaz", Email: "bruno@example.org", Phone: "+447911123452", Categorised: true})
	carla := h.register(tok, person{First: "Carla", Last: "Lopez", Email: "carla@example.net", Phone: "+447911123453"})
	// Wallets get an IBAN when they are activated; set one as that would.
	if _, err := dbtest.OwnerPool(t).Exec(t.Context(), "UPDATE wallets SET iban = 'GB33BUKB20201555555555' WHERE customer_id = $1", carla); err != nil {
		t.Fatal(err)
	}

	search := func(t *testing.T, query url.Values, cookie *http.Cookie) (*http.Response, *goquery.Document) {
		t.Helper()
		resp := h.with(t).get("/customers?"+query.Encode(), cookie)
		return resp, doc(t, resp)
	}
	cases := []struct {
		name  string
		query url.Values
		want  []string
	}{
		{"everyone, newest first", url.Values{}, []string{carla, bruno, ana}},
		{"by name", url.Values{"q": {"ana lopez"}}, []string{ana}},
		{"by name, last name first", url.Values{"q": {"Lopez Ana"}}, []string{ana}},
		{"by last name, sorted by name", url.Values{"q": {"lopez"}, "sort": {"name"}}, []string{ana, carla}},
		{"by part of the e-mail", url.Values{"q": {"bruno@example"}}, []string{bruno}},
		{"by phone as dialled at home", url.Values{"q": {"07911 123453"}}, []string{carla}},
		{"by phone in E.164", url.Values{"q": {"+447911123452"}}, []string{bruno}},
		{"by customer id", url.Values{"q": {ana}}, []string{ana}},
		{"by the start of the id", url.Values{"q": {bruno[:8]}}, []string{bruno}},
		{"by IBAN with spaces", url.Values{"q": {"GB33 BUKB 2020 1555 5555 55"}}, []string{carla}},
		{"by risk", url.Values{"risk": {"HIGH"}}, []string{bruno}},
		{"by status and text", url.Values{"status": {"PENDING_VERIFICATION"}, "q": {"lopez"}}, []string{carla, ana}},
		{"no match", url.Values{"q": {"zebra"}}, nil},
		{"too short to search by", url.Values{"q": {"lo"}}, []string{carla, bruno, ana}},
		{"short words with a long one", url.Values{"q": {"ana lo"}}, []string{ana}},
		{"like wildcards are literal", url.Values{"q": {"lo_ez"}}, nil},
		{"a percent sign is literal too", url.Values{"q": {"%%%"}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, d := search(t, tc.query, analyst)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := rowIDs(d.Selection); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("rows = %v; want %v", got, tc.want)
			}
			if len(tc.want) == 0 && !strings.Contains(d.Find(`[data-testid="empty"]`).Text(), "No match") {
				t.Errorf("no results without the no-match state")
			}
			if hint := d.Find("#q-hint").Text(); (tc.name == "too short to search by") != strings.Contains(hint, "at least 3 characters") {
				t.Errorf("hint = %q", hint)
			}
		})
	}

	t.Run("permission and status filters follow standing changes", func(t *testing.T) {
		ctx := actor.With(t.Context(), actor.Actor{Kind: actor.Employee, Name: "test"})
		if _, err := h.s.Customers.ChangeStanding(ctx, h.tenant.ID, uuid.MustParse(ana), "LOCK", "test"); err != nil {
			t.Fatal(err)
		}
		for _, q := range []url.Values{{"status": {"LOCKED"}}, {"permission": {"LOCKED"}}} {
			_, d := search(t, q, analyst)
			if got := rowIDs(d.Selection); len(got) != 1 || got[0] != ana {
				t.Errorf("%v: rows = %v; want only the locked customer", q, got)
			}
			if b := d.Find(`[data-testid="customer-row"] [data-icon="lock"]`); b.Length() == 0 {
				t.Errorf("%v: LOCKED shown without its icon", q)
			}
		}
	})

	t.Run("another tenant's customers never match", func(t *testing.T) {
		h := h.with(t)
		dt := h.demoTenant()
		dtok := h.adminToken(dt, credential.ScopeCustomersWrite)
		body := variant(t, func(m map[string]any) { m["firstName"], m["lastName"] = "Ana", "Lopez" })
		if resp, out := h.apiCall("POST", registerPath, dt.Slug, dtok, body, nil); resp.StatusCode != http.StatusCreated {
			t.Fatalf("register in the demo tenant: %d %v", resp.StatusCode, out)
		}
		_, d := search(t, url.Values{"q": {"ana lopez"}}, analyst)
		if got := rowIDs(d.Selection); len(got) != 1 || got[0] != ana {
			t.Errorf("rows = %v; want only this tenant's Ana Lopez", got)
		}
		// The search function applies the tenant itself: without one it
		// finds nothing.
		var n int
		if err := h.pool.QueryRow(t.Context(), "SELECT count(*) FROM customer_search_matches('%')").Scan(&n); err != nil || n != 0 {
			t.Errorf("customer_search_matches without a tenant: %d rows, %v; want none", n, err)
		}
	})

	t.Run("a filter value that does not exist", func(t *testing.T) {
		resp, d := search(t, url.Values{"status": {"HAPPY"}}, analyst)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(d.Find(`[data-testid="error-f-status"]`).Text(), "must be one of") {
			t.Fatalf("status %d, error %q", resp.StatusCode, d.Find(`[data-testid="error-f-status"]`).Text())
		}
	})

	t.Run("e-mail masked unless the role may reveal", func(t *testing.T) {
		_, d := search(t, url.Values{"q": {"bruno"}}, analyst)
		if got := text(d, `[data-testid="customer-email"]`); got == "bruno@example.org" || !strings.Contains(got, "•") {
			t.Errorf("analyst sees e-mail %q; want it masked", got)
		}
		_, senior := h.with(t).signIn(staff.SeniorReviewer)
		_, d = search(t, url.Values{"q": {"bruno"}}, senior)
		if got := text(d, `[data-testid="customer-email"]`); got != "bruno@example.org" {
			t.Errorf("senior reviewer sees e-mail %q; want it whole", got)
		}
	})

	t.Run("htmx gets the results without the frame", func(t *testing.T) {
		resp := h.with(t).do("GET", "/customers?q=lopez", nil, map[string]string{"HX-Request": "true"}, analyst)
		d := doc(t, resp)
		if d.Find("#sidebar").Length() != 0 || d.Find("#customer-results").Length() != 1 || len(rowIDs(d.Selection)) != 2 {
			t.Fatalf("fragment: sidebar=%d results=%d rows=%d", d.Find("#sidebar").Length(), d.Find("#customer-results").Length(), len(rowIDs(d.Selection)))
		}
		if resp.Header.Get("Vary") != "HX-Request" {
			t.Errorf("Vary = %q", resp.Header.Get("Vary"))
		}
	})

	t.Run("the top bar's search lands here", func(t *testing.T) {
		d := doc(t, h.with(t).get("/customers?q=carla", analyst))
		if v, _ := d.Find("#global-search").Attr("value"); v != "carla" {
			t.Errorf("top bar search = %q", v)
		}
		if got := rowIDs(d.Selection); len(got) != 1 || got[0] != carla {
			t.Errorf("rows = %v", got)
		}
	})

	t.Run("pages with counts", func(t *testing.T) {
		for i := range 52 {
			h.with(t).register(tok, person{First: fmt.Sprintf("P%c%c", 'a'+i/26, 'a'+i%26), Last: "Pagetest"})
		}
		for _, sort := range []string{"created", "name"} {
			resp, d := search(t, url.Values{"q": {"pagetest"}, "sort": {sort}}, analyst)
			first := rowIDs(d.Selection)
			if resp.StatusCode != 200 || len(first) != 50 || text(d, `[data-testid="page-count"]`) != "1–50 of 52" {
				t.Fatalf("%s: page 1: %d rows, count %q", sort, len(first), text(d, `[data-testid="page-count"]`))
			}
			next, ok := d.Find(`[data-testid="next-page"]`).Attr("href")
			if !ok {
				t.Fatalf("%s: no next page", sort)
			}
			d2 := doc(t, h.with(t).get(next, analyst))
			second := rowIDs(d2.Selection)
			if len(second) != 2 || text(d2, `[data-testid="page-count"]`) != "51–52 of 52" || d2.Find(`[data-testid="next-page"]`).Length() != 0 {
				t.Fatalf("%s: page 2: %d rows, count %q", sort, len(second), text(d2, `[data-testid="page-count"]`))
			}
			// Numbered pages, though keyset-paged: 1 and 2 on both.
			for _, pd := range []struct {
				d       *goquery.Document
				current string
			}{{d, "1"}, {d2, "2"}} {
				if got := pageNumbers(pd.d); got != "1,2" || text(pd.d, `[data-testid="page-number"][aria-current="page"]`) != pd.current {
					t.Errorf("%s: page %s numbers %q", sort, pd.current, got)
				}
			}
			if back, _ := d2.Find(`[data-testid="prev-page"]`).Attr("href"); back == "" || rowIDs(doc(t, h.with(t).get(back, analyst)).Selection)[0] != first[0] {
				t.Errorf("%s: page 2's previous link %q does not lead to page 1", sort, back)
			}
			seen := map[string]bool{}
			for _, id := range append(first, second...) {
				if seen[id] {
					t.Fatalf("%s: %s on both pages", sort, id)
				}
				seen[id] = true
			}
		}
		// By name: Paa … Pbx on the first page.
		_, d := search(t, url.Values{"q": {"pagetest"}, "sort": {"name"}}, analyst)
		names := d.Find(`[data-testid="customer-row"] a[data-keynav-row]`)
		if a, b := strings.TrimSpace(names.First().Text()), strings.TrimSpace(names.Last().Text()); a != "Paa Michael Pagetest" || b != "Pbx Michael Pagetest" {
			t.Errorf("by name: first %q, last %q", a, b)
		}
	})
}

func TestCustomer360(t *testing.T) {
	h := newHarness(t)
	h.withCategories()
	tok := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
	id := h.register(tok, person{First: "Dana", Last: "Frost", Email: "dana.frost@example.com", Phone: "+447911123456", Categorised: true})
	_, analyst := h.signIn(staff.Analyst)
	page := "/customers/" + id

	resp := h.get(page, analyst)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("360: %d", resp.StatusCode)
	}
	d := doc(t, resp)
	checks := map[string]string{
		`[data-testid="customer-name"]`:                                         "Dana Michael Frost",
		`[data-testid="customer-status"]`:                                       "Pending verification",
		`[data-testid="customer-risk"]`:                                         "High",
		`[data-testid="customer-permission"]`:                                   "Unverified",
		`[data-testid="wallet-row"] [data-testid="badge"]`:                      "Inactive",
		`[data-testid="wallet-iban"]`:                                           "not assigned yet",
		`[data-testid="verification-row"] [data-testid="badge"]`:                "Awaiting documents",
		`[data-testid="category-name"]`:                                         "HIGH_RISK_INDIVIDUAL",
		`[data-testid="param-sanctionsCheck"]`:                                  "ENHANCED",
		`[data-testid="param-monthlyLimit"]`:                                    "50000",
		`[data-testid="profile-occupation"]`:                                    "Software Engineer",
		`[data-testid="customer-audit-row"][data-action="customer.registered"]`: "customer.registered",
	}
	for sel, want := range checks {
		if got := text(d, sel); !strings.Contains(got, want) {
			t.Errorf("%s = %q; want %q", sel, got, want)
		}
	}
	// The verification links to its documents, checks and decisions.
	link, _ := d.Find(`[data-testid="verification-link"]`).Attr("href")
	if !strings.HasPrefix(link, "/reviews/") {
		t.Errorf("verification link %q; want the verification's page", link)
	} else if resp := h.get(link, analyst); resp.StatusCode != http.StatusOK {
		t.Errorf("the verification's page: %d", resp.StatusCode)
	}
	if !strings.Contains(text(d, `[data-testid="hits-empty"]`), "No sanctions or PEP hits") ||
		!strings.Contains(text(d, `[data-testid="alerts-empty"]`), "No AML alerts") ||
		!strings.Contains(text(d, `[data-testid="transactions-empty"]`), "No transaction of this customer has been screened") {
		t.Error("no hits, alerts or transactions: empty states missing")
	}
	// Nothing uploaded yet: the documents the requirements ask for, as
	// missing.
	if rows := d.Find(`[data-testid="document-row"]`); rows.Length() == 0 || rows.Length() != d.Find(`[data-testid="document-row"] [data-testid="badge"]:contains("MISSING")`).Length() {
		t.Errorf("documents: %q", d.Find(`[data-testid="customer-documents"]`).Text())
	}
	// Support may read customers, not their screening, alerts or reviews.
	_, support := h.signIn(staff.Support)
	sd := doc(t, h.get(page, support))
	for _, sel := range []string{`[data-testid="customer-hits"]`, `[data-testid="customer-alerts"]`, `[data-testid="customer-transactions"]`,
		`[data-testid="verification-link"]`, `[data-testid="document-link"]`} {
		if sd.Find(sel).Length() != 0 {
			t.Errorf("support sees %s", sel)
		}
	}
	if !strings.Contains(text(d, `[data-testid="sessions-empty"]`), "No sessions recorded yet") {
		t.Error("no sessions: empty state missing")
	}

	// An analyst sees the sensitive values masked and may not reveal them.
	masked := map[string]string{"email": "dana.frost@example.com", "phone": "+447911123456", "date-of-birth": "1990-05-15",
		"address": "Baker Street", "income": "85000"}
	for key, whole := range masked {
		if got := text(d, `[data-testid="profile-`+key+`"]`); strings.Contains(got, whole) || !strings.Contains(got, "•") {
			t.Errorf("analyst sees %s = %q; want it masked", key, got)
		}
	}
	if d.Find(`[data-testid="reveal"]`).Length() != 0 || d.Find(`[data-testid="standing-actions"]`).Length() != 0 {
		t.Error("an analyst is offered reveal or standing actions")
	}
	if resp := h.post(page+"/reveal", nil, analyst); resp.StatusCode != http.StatusForbidden {
		t.Errorf("analyst reveal: %d; want 403", resp.StatusCode)
	}

	t.Run("a senior reviewer reveals, and it is audited", func(t *testing.T) {
		h := h.with(t)
		senior, c := h.signIn(staff.SeniorReviewer)
		d := doc(t, h.get(page, c))
		if d.Find(`[data-testid="reveal"]`).Length() != 1 || strings.Contains(text(d, `[data-testid="profile-email"]`), "dana.frost@") {
			t.Fatal("a senior reviewer: no reveal action, or values not masked before revealing")
		}
		r := doc(t, h.follow(h.post(page+"/reveal", nil, c), c))
		for key, whole := range masked {
			if got := text(r, `[data-testid="profile-`+key+`"]`); !strings.Contains(strings.ReplaceAll(got, ".00", ""), whole) {
				t.Errorf("revealed %s = %q; want %q", key, got, whole)
			}
		}
		if r.Find(`[data-testid="revealed-note"]`).Length() != 1 {
			t.Error("the page does not say the values are revealed and recorded")
		}
		acts := h.auditActions(h.tenant.ID, "customer.pii.revealed")
		if len(acts) != 1 || !strings.HasPrefix(acts[0].Actor, senior.Name) || acts[0].Reason != "PII_REVEAL" {
			t.Fatalf("audit = %+v; want one customer.pii.revealed by %s", acts, senior.Name)
		}
		// Revealing is for that answer only.
		again := doc(t, h.get(page, c))
		if strings.Contains(text(again, `[data-testid="profile-email"]`), "dana.frost@") {
			t.Error("the values stay revealed on the next visit")
		}
		if again.Find(`[data-testid="customer-audit-row"][data-action="customer.pii.revealed"]`).Length() != 1 {
			t.Error("the customer's history does not show the reveal")
		}
		// htmx swaps the page body in place.
		frag := h.hxFollow(h.do("POST", page+"/reveal", url.Values{}, map[string]string{"HX-Request": "true"}, c), c)
		if frag.AttrOr("id", "") != "customer-360" || !strings.Contains(frag.Find(`[data-testid="profile-email"]`).Text(), "dana.frost@") {
			t.Error("htmx reveal does not swap the revealed 360 view in place")
		}
		if doc(t, h.get(page, c)).Find(`[data-testid="revealed-note"]`).Length() != 0 {
			t.Error("a reload after the htmx reveal shows the values again")
		}
	})

	t.Run("sessions are listed", func(t *testing.T) {
		_, err := dbtest.OwnerPool(t).Exec(t.Context(), `INSERT INTO customer_sessions (id, tenant_id, customer_id, expires_at, revoked_at, revoked_reason, ip, user_agent)
			VALUES ($1, $2, $3, now() + interval '1 day', NULL, NULL, '203.0.113.9', 'ExampleApp/1.0'),
			       ($4, $2, $3, now() + interval '1 day', now(), 'LOCK', '198.51.100.4', 'ExampleApp/0.9')`,
			uuid.New(), h.tenant.ID, id, uuid.New())
		if err != nil {
			t.Fatal(err)
		}
		d := doc(t, h.with(t).get(page, analyst))
		rows := d.Find(`[data-testid="session-row"]`)
		if rows.Length() != 2 || !strings.Contains(rows.Text(), "203.0.113.9") || !strings.Contains(rows.Text(), "ExampleApp/1.0") ||
			!strings.Contains(rows.Text(), "Ended") || !strings.Contains(rows.Text(), "LOCK") {
			t.Errorf("sessions = %q", rows.Text())
		}
	})

	t.Run("another tenant's customer is not found", func(t *testing.T) {
		h := h.with(t)
		dt := h.demoTenant()
		dtok := h.adminToken(dt, credential.ScopeCustomersWrite)
		resp, out := h.apiCall("POST", registerPath, dt.Slug, dtok, variant(t, nil), nil)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("register in the demo tenant: %d %v", resp.StatusCode, out)
		}
		other := out["data"].(map[string]any)["customerId"].(string)
		_, senior := h.signIn(staff.SeniorReviewer)
		for _, r := range []*http.Response{
			h.get("/customers/"+other, analyst),
			h.post("/customers/"+other+"/reveal", nil, senior),
			h.post("/customers/"+other+"/standing", url.Values{"action": {"LOCK"}, "reason": {"x"}}, senior),
			h.get("/customers/not-an-id", analyst),
		} {
			if r.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s: %d; want 404", r.Request.Method, r.Request.URL.Path, r.StatusCode)
			}
		}
		if acts := h.auditActions(dt.ID, "customer.pii."); len(acts) != 0 {
			t.Errorf("a reveal across tenants was recorded: %+v", acts)
		}
	})
}

func TestCustomerStanding(t *testing.T) {
	h := newHarness(t)
	tok := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
	id := h.register(tok, person{First: "Eva", Last: "Stone"})
	page := "/customers/" + id
	_, support := h.signIn(staff.Support)
	_, analyst := h.signIn(staff.Analyst)

	// view opens the page as c, keeping the session cookie as the server
	// rewrites it (flash messages live in it).
	view := func(c **http.Cookie) *goquery.Document {
		resp := h.get(page, *c)
		*c = updated(*c, resp)
		return doc(t, resp)
	}
	actions := func(c **http.Cookie) []string {
		var out []string
		view(c).Find(`[data-testid="standing-actions"] details`).Each(func(_ int, s *goquerySelection) {
			out = append(out, s.AttrOr("data-testid", ""))
		})
		return out
	}
	if got := strings.Join(actions(&support), " "); got != "standing-deactivate standing-lock standing-close standing-reset_pin standing-remove_totp" {
		t.Errorf("actions for a pending customer = %q", got)
	}
	if got := actions(&analyst); len(got) != 0 {
		t.Errorf("an analyst is offered %v", got)
	}
	if resp := h.post(page+"/standing", url.Values{"action": {"LOCK"}, "reason": {"fraud suspected"}}, analyst); resp.StatusCode != http.StatusForbidden {
		t.Errorf("analyst standing change: %d; want 403", resp.StatusCode)
	}

	// Without a reason: the form comes back with the problem beside the field.
	resp := h.post(page+"/standing", url.Values{"action": {"LOCK"}, "reason": {"  "}}, support)
	d := doc(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(d, `[data-testid="error-reason-lock"]`), "required") {
		t.Fatalf("no reason: %d, error %q", resp.StatusCode, text(d, `[data-testid="error-reason-lock"]`))
	}
	if _, open := d.Find(`[data-testid="standing-lock"]`).Attr("open"); !open {
		t.Error("the lock form is not open to show the error")
	}
	if text(d, `[data-testid="customer-status"]`) != "Pending verification" {
		t.Error("the status changed without a reason")
	}

	// With one: done, flashed, audited with the reason.
	resp = h.post(page+"/standing", url.Values{"action": {"LOCK"}, "reason": {"Card reported stolen"}}, support)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page {
		t.Fatalf("lock: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	support = updated(support, resp)
	d = view(&support)
	if !strings.Contains(text(d, `[data-testid="flash"]`), "was locked") {
		t.Errorf("flash = %q", text(d, `[data-testid="flash"]`))
	}
	if st := d.Find(`[data-testid="customer-status"] [data-testid="badge"]`); st.Text() == "" || !strings.Contains(st.Text(), "Locked") || st.AttrOr("data-icon", "") != "lock" {
		t.Errorf("status badge = %q icon %q; want LOCKED with the lock icon", st.Text(), st.AttrOr("data-icon", ""))
	}
	if got := text(d, `[data-testid="customer-audit-row"][data-action="customer.lock"] [data-testid="audit-reason"]`); !strings.Contains(got, "Card reported stolen") {
		t.Errorf("history reason = %q", got)
	}
	if got := strings.Join(actions(&support), " "); got != "standing-unlock standing-close standing-reset_pin standing-remove_totp" {
		t.Errorf("actions for a locked customer = %q", got)
	}
	if acts := h.auditActions(h.tenant.ID, "customer.lock"); len(acts) != 1 || acts[0].Reason != "STANDING_LOCK" {
		t.Errorf("audit = %+v", acts)
	}

	// A change that no longer applies says so.
	resp = h.post(page+"/standing", url.Values{"action": {"LOCK"}, "reason": {"again"}}, support)
	support = updated(support, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("lock twice: %d", resp.StatusCode)
	}
	if got := text(view(&support), `[data-testid="flash"]`); !strings.Contains(got, "Lock does not apply") || !strings.Contains(got, "LOCKED") {
		t.Errorf("flash = %q", got)
	}

	// An action that does not exist.
	resp = h.post(page+"/standing", url.Values{"action": {"DELETE"}, "reason": {"x"}}, support)
	support = updated(support, resp)
	if got := text(view(&support), `[data-testid="flash"]`); resp.StatusCode != http.StatusSeeOther || !strings.Contains(got, "Choose one") {
		t.Errorf("unknown action: %d, flash %q", resp.StatusCode, got)
	}

	// Unlock is four-eyes: proposed here, applied when another employee approves.
	resp = h.post(page+"/standing", url.Values{"action": {"UNLOCK"}, "reason": {"checked with the customer"}}, support)
	support = updated(support, resp)
	if got := text(view(&support), `[data-testid="flash"]`); !strings.Contains(got, "awaits a second employee") {
		t.Fatalf("unlock: flash %q", got)
	}
	pending, err := h.s.Approvals.List(t.Context(), h.tenant.ID, "PENDING", "customer.unlock", 10, 0)
	if err != nil || pending.Total != 1 {
		t.Fatalf("pending unlocks = %d (%v)", pending.Total, err)
	}
	_, senior := h.signIn(staff.SeniorReviewer)
	h.approve(pending.Requests[0].ID.String(), senior)
	// Close is final.
	resp = h.post(page+"/standing", url.Values{"action": {"CLOSE"}, "reason": {"checked with the customer"}}, support)
	support = updated(support, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("CLOSE: %d", resp.StatusCode)
	}
	d = view(&support)
	if st := d.Find(`[data-testid="customer-status"] [data-testid="badge"]`); !strings.Contains(st.Text(), "Closed") || st.AttrOr("data-icon", "") != "closed" {
		t.Errorf("after close: status %q icon %q", st.Text(), st.AttrOr("data-icon", ""))
	}
	if d.Find(`[data-testid="standing-actions"]`).Length() != 0 {
		t.Error("a closed customer still offers standing actions")
	}
}

// A search matching more customers than the count's cap says "500+", not
// a count it did not make; one under the cap gives its exact count.
func TestCustomerSearchSaysPastTheCap(t *testing.T) {
	h := newHarness(t)
	_, analyst := h.signIn(staff.Analyst)
	if _, err := customergen.Generate(t.Context(), dbtest.OwnerPool(t), customergen.Options{Tenant: h.tenant.ID, Count: customer.CountCap + 20, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	count := func(q string) string {
		t.Helper()
		d := doc(t, h.get("/customers?"+url.Values{"q": {q}}.Encode(), analyst))
		return strings.Join(strings.Fields(text(d, `[data-testid="page-count"]`)), " ")
	}
	if got, want := count("example"), fmt.Sprintf("1–50 of %d+", customer.CountCap); got != want {
		t.Errorf("a search past the cap: %q; want %q", got, want)
	}
	var email string
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), `SELECT email FROM customers WHERE tenant_id = $1 ORDER BY created_at LIMIT 1`, h.tenant.ID).Scan(&email); err != nil {
		t.Fatal(err)
	}
	if got := count(email); got != "1–1 of 1" {
		t.Errorf("a search of one: %q", got)
	}
}
