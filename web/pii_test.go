package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/pii"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/staff"
)

// The customer of the masking walk: values found nowhere else, so that
// finding one on a page can only mean the page shows it.
const (
	piiEmail      = "quinn.marlow.7731@example.org"
	piiPhone      = "+447911730731"
	piiAltPhone   = "+442071830455"
	piiDOB        = "1977-03-21"
	piiDOBFixed   = "1977-03-12" // the identity correction's
	piiStreet     = "Quillon Row"
	piiPostalCode = "LS9 7QX"
	piiIBAN       = "GB29NWBK60161331926819"
	piiDocNumber  = "QX7731245"
	piiIncome     = "347000"
)

// piiSecrets are the full values, each with the field that decides it, as
// a page might print them (an MRZ writes the date as YYMMDD and the
// number without spaces).
var piiSecrets = []struct {
	field pii.Field
	value string
}{
	{pii.Email, piiEmail}, {pii.Email, "quinn.marlow.7731@"},
	{pii.Phone, piiPhone}, {pii.Phone, "7911730731"}, {pii.Phone, piiAltPhone},
	{pii.DateOfBirth, piiDOB}, {pii.DateOfBirth, "770321"}, {pii.DateOfBirth, piiDOBFixed},
	{pii.Address, piiStreet}, {pii.Address, piiPostalCode}, {pii.Address, "LS97QX"},
	{pii.Account, piiIBAN}, {pii.DocumentNumber, piiDocNumber}, {pii.Income, piiIncome},
}

// piiWalked are the portal's GET routes that show a customer's data: the
// walk opens each. piiNoCustomerData are the others, and why. Every GET
// route of the portal is in one of them (a test below), so a new page
// showing customers is walked, or says why not.
var (
	piiWalked = []string{"GET /dashboard", "GET /customers", "GET /customers/{id}", "GET /customers/{id}/hide",
		"GET /customers/{id}/identity", "GET /reviews", "GET /reviews/{id}", "GET /documents/{id}", "GET /alerts", "GET /alerts/{id}", "GET /cases", "GET /cases/{id}",
		"GET /screening", "GET /screening/hits/{id}", "GET /approvals", "GET /approvals/{id}", "GET /audit", "GET /audit/{id}",
		"GET /customers/export.csv", "GET /reviews/export.csv", "GET /alerts/export.csv", "GET /screening/hits/export.csv", "GET /audit/export.csv",
		"GET /cases/export.csv", "GET /retention"}
	piiNoCustomerData = map[string]string{
		"GET /reports": "report definitions and runs", "GET /reports/{id}": "a report's form", "GET /reports/runs/{id}": "a run's progress",
		"GET /reports/runs/{id}/download":                      "a file, masked by internal/pii as the requester's role sees customers (reports_test.go)",
		"GET /alerts/{id}/goaml":                               "a goAML XML file with the customer in full, for roles that see all of it (reports_test.go)",
		"GET /config/reporting":                                "the reporting entity's settings",
		"GET /customers/{id}/subject-access/{export}":          "an export's progress: the customer's name (every role sees names) and who asked, for senior reviewers only",
		"GET /customers/{id}/subject-access/{export}/download": "a ZIP of the customer's data in full, for roles that see all of it (subject_access_test.go)",
		"GET /{$}": "a redirect", "GET /documents/{id}/content": "the document's bytes, audited at every open, not HTML",
		"GET /screening/search": "searches the lists for a name the employee types", "GET /screening/lists": "list versions",
		"GET /screening/lists/versions/{id}": "list entries", "GET /screening/lists/upload": "a form",
		"GET /screening/lists/sources/new": "a form", "GET /screening/lists/sources/{id}/settings": "a list source's settings",
		"GET /screening/lists/uploads/{id}": "an upload's progress", "GET /aml/rules": "rules", "GET /aml/rules/new": "a form",
		"GET /aml/rules/condition": "a form fragment", "GET /aml/rules/{id}": "a rule", "GET /aml/rules/{id}/edit": "a form",
		"GET /aml/rules/{id}/shadow/{run}": "a shadow run: counts and customer ids", "GET /aml/lists": "lists of values",
		"GET /aml/lists/{id}": "a list of values", "GET /aml/rates": "exchange rates",
		"GET /config/fees": "configuration", "GET /config/fees/quote": "configuration", "GET /config/fees/new": "configuration",
		"GET /config/fees/{id}": "configuration", "GET /config/fees/export.csv": "configuration", "GET /config/branches": "configuration", "GET /config/branches/new": "configuration",
		"GET /config/branches/{id}": "configuration", "GET /config/connectors": "configuration", "GET /config/connectors/new": "configuration",
		"GET /config/connectors/{id}": "configuration", "GET /config/preferences": "configuration", "GET /config/password-policy": "configuration",
		"GET /config/kyc-requirements": "configuration", "GET /config/screening": "configuration", "GET /config/categories": "configuration",
		"GET /config/compliance-packs": "configuration: regulatory packs and the tenant's overrides",
		"GET /api-clients":             "API clients", "GET /webhooks": "subscriptions", "GET /webhooks/{id}": "deliveries, without payloads",
		"GET /staff": "employees", "GET /platform/tenants": "tenants",
		"GET /cases/{id}/attachments/{attachment}": "a file's bytes as a download, audited at every open, not HTML",
		"GET /config/closing-reasons":              "configuration",
	}
)

func TestPIIWalkCoversEveryPortalPage(t *testing.T) {
	h := newHarness(t)
	for _, rt := range h.s.routes() {
		if !strings.HasPrefix(rt.Pattern, "GET ") || rt.Access == AccessPublic || rt.Access.isAPI() {
			continue
		}
		_, quiet := piiNoCustomerData[rt.Pattern]
		if walked := slices.Contains(piiWalked, rt.Pattern); walked == quiet {
			t.Errorf("%s: walked %v, said to show no customer data %v; want exactly one", rt.Pattern, walked, quiet)
		}
	}
}

// piiCustomer registers the walk's customer, sends them to review with a
// passport, a bill of another address and a selfie, gives them an IBAN,
// and answers the customer's and the verification's ids.
func (h *harness) piiCustomer(tok string) (cust, vr string) {
	h.t.Helper()
	tt := h.t.(*testing.T)
	cust, vr = h.onboarded(h.tenant, tok, func(m map[string]any) {
		noCategory(m)
		m["email"] = piiEmail
		c := ic(m)
		c["dateOfBirth"], c["phoneNumber"], c["alternatePhoneNumber"], c["annualIncome"] = piiDOB, piiPhone, piiAltPhone, piiIncome
		a := c["address"].(map[string]any)
		a["street"], a["streetNumber"], a["postalCode"] = piiStreet, "17", piiPostalCode
	})
	p := exampleHolder()
	p.DocumentNumber, p.DateOfBirth = piiDocNumber, time.Date(1977, 3, 21, 0, 0, 0, 0, time.UTC)
	docs := []upDoc{passportOf(tt, p, nil), utilityBill(time.Now().AddDate(0, 0, -10)), selfie(tt)}
	if resp, out := h.apiCall("POST", uploadPath, h.tenant.Slug, tok, uploadBody(vr, docs...), nil); resp.StatusCode != 200 {
		h.t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	h.waitStatus(h.tenant, tok, vr, "PENDING_REVIEW")
	if _, err := dbtest.OwnerPool(tt).Exec(tt.Context(), `UPDATE wallets SET iban = $1, currency = 'GBP', status = 'ACTIVE' WHERE customer_id = $2`,
		piiIBAN, cust); err != nil {
		h.t.Fatal(err)
	}
	return cust, vr
}

// piiAlert raises an AML alert on cust: a rule, published under
// four-eyes, that a large transfer triggers.
func (h *harness) piiAlert(cust string, maker, checker *http.Cookie) string {
	h.t.Helper()
	t := h.t.(*testing.T)
	form := url.Values{"name": {"Large transfer"}, "outcome": {"REVIEW"}, "score": {"50"}, "kind": {"expression"}, "expression": {"tx.amount > 1000"}}
	rule := location(t, h.post("/aml/rules", form, maker))
	location(t, h.post(rule+"/shadow", url.Values{"version": {"1"}, "days": {"7"}}, maker)) // publishing wants a shadow run
	location(t, h.post(rule+"/publish", url.Values{"version": {"1"}, "reason": {"large transfers"}}, maker))
	reqs, err := h.s.Approvals.List(t.Context(), h.tenant.ID, "PENDING", aml.KindPublish, 10, 0)
	if err != nil || len(reqs.Requests) != 1 {
		t.Fatalf("publish requests: %+v %v", reqs, err)
	}
	h.approve(reqs.Requests[0].ID.String(), checker)
	tok := h.adminToken(h.tenant, credential.ScopeAML)
	resp, out := h.apiCall("POST", screenPath, h.tenant.Slug, tok, screenBody(cust, "pii-1", "5000.00", "EUR", time.Now().UTC().Format(time.RFC3339), nil), nil)
	data, _ := out["data"].(map[string]any)
	if resp.StatusCode != 200 || data["alertId"] == nil {
		t.Fatalf("screen: %d %v", resp.StatusCode, out)
	}
	alert := data["alertId"].(string)
	// A comment that quotes the customer's values, as people write them.
	comment := url.Values{"body": {"Called " + piiPhone + " and wrote to " + piiEmail + "; born " + piiDOB + "."}}
	if resp := h.post("/alerts/"+alert+"/comment", comment, maker); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment: %d", resp.StatusCode)
	}
	return alert
}

// piiPage is one page of the walk, fetched as a role sees it.
type piiPage struct {
	path string
	// masked are the masked forms the page shows a role that may not see
	// the values, and full the values it shows one that may.
	masked, full []string
}

// hxGets are the htmx requests a page makes of the server (hx-get).
var hxGets = regexp.MustCompile(`hx-get="([^"]+)"`)

// A customer's values are shown to each role as the one rule says, on
// every page that shows them: the customer's search and 360, the review
// queue and review page with their evidence, the documents, alerts,
// screening hits, approvals and the audit trail.
func TestPIIMaskingOnEveryPage(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	_, senior := h.signIn(staff.SeniorReviewer)
	_, admin := h.signIn(staff.TenantAdmin)
	_, support := h.signIn(staff.Support)
	tok := h.reviewToken()
	cust, vr := h.piiCustomer(tok)
	custID := uuid.MustParse(cust)
	alert := h.piiAlert(cust, senior, admin)

	// A screening hit on the customer: a sanctioned name screened as them.
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test", TenantID: h.tenant.ID})
	res, err := h.s.Screening.ScreenSubject(ctx, screening.Subject{ID: custID, TenantID: h.tenant.ID, Name: "Miguel Angel Rodriguez Orejuela",
		Type: screening.Individual, DateOfBirth: "1943-11-23", Country: "CO"})
	if err != nil || len(res.NewHits) == 0 {
		t.Fatalf("screening: %d hits, %v", len(res.NewHits), err)
	}
	hit := res.NewHits[0].ID.String()

	// A case of the customer's alert and hit, with a comment quoting them.
	kase := strings.TrimPrefix(location(t, h.post("/cases", url.Values{"alert": {alert}}, senior)), "/cases/")
	if resp := h.post("/cases/"+kase+"/comment", url.Values{"body": {"Phoned " + piiPhone + ", mailed " + piiEmail + "."}}, senior); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("case comment: %d", resp.StatusCode)
	}

	// An identity correction, proposed by support, who sees the date of
	// birth and the address masked: they type the new date and leave the
	// address as it is.
	corr := url.Values{"firstName": {"John"}, "middleName": {"Michael"}, "lastName": {"Doe"}, "dateOfBirth": {piiDOBFixed},
		"nationality": {"GB"}, "country": {"GB"}, "reason": {"the passport shows another day"}}
	if resp := h.post("/customers/"+cust+"/identity", corr, support); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("correction: %d", resp.StatusCode)
	}
	pending, err := h.s.Approvals.List(t.Context(), h.tenant.ID, "PENDING", customer.KindIdentityCorrection, 10, 0)
	if err != nil || len(pending.Requests) != 1 {
		t.Fatalf("corrections: %+v %v", pending, err)
	}
	approval := pending.Requests[0].ID.String()
	var proposed struct {
		Address struct{ Street, PostalCode string }
	}
	if err := json.Unmarshal(pending.Requests[0].Payload, &proposed); err != nil || proposed.Address.Street != piiStreet {
		t.Fatalf("the correction did not keep the masked street: %+v %v", proposed, err)
	}

	// The documents, from the review page.
	_, _, rd := h.page("/reviews/"+vr, senior)
	var docs []string
	rd.Find(`[data-testid="documents-beside"] [data-testid="document-thumb"]`).Each(func(_ int, s *goquerySelection) { docs = append(docs, s.AttrOr("data-id", "")) })
	if len(docs) != 3 {
		t.Fatalf("%d documents on the review page; want 3", len(docs))
	}

	// Every audit record about the customer and their things.
	rows, err := dbtest.OwnerPool(t).Query(t.Context(), `SELECT id FROM audit_log WHERE tenant_id = $1 AND entity_id = ANY($2)`,
		h.tenant.ID, append([]string{cust, vr, alert, hit, approval, kase}, docs...))
	if err != nil {
		t.Fatal(err)
	}
	var records []string
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		records = append(records, id.String())
	}
	rows.Close()
	if len(records) < 5 {
		t.Fatalf("%d audit records about the customer", len(records))
	}

	maskedContact := []string{"q•••@example.org", "•••• 0731", "•••• 6819"}
	pages := []piiPage{
		{path: "/dashboard"},
		{path: "/customers?q=Doe", masked: []string{"q•••@example.org"}, full: []string{piiEmail}},
		{path: "/customers/" + cust, masked: append(maskedContact, "••••-••-••", "••••, GB")},
		{path: "/customers/" + cust + "/hide"},
		{path: "/customers/" + cust + "/identity"},
		{path: "/reviews", masked: []string{"q•••@example.org"}, full: []string{piiEmail}},
		// The review page shows a wallet's IBAN once it is active: not yet.
		{path: "/reviews/" + vr, masked: []string{"q•••@example.org", "•••• 0731", "••••-••-••", "•••• 1245"},
			full: []string{piiEmail, piiPhone, piiDOB, piiStreet, piiDocNumber}},
		{path: "/alerts"}, {path: "/alerts?status=all&customer=" + cust}, {path: "/alerts/" + alert, masked: []string{"q•••@example.org", "•••• 0731"}, full: []string{piiEmail, piiPhone}},
		{path: "/cases"}, {path: "/cases/" + kase, masked: []string{"q•••@example.org", "•••• 0731"}, full: []string{piiEmail, piiPhone}},
		{path: "/screening"}, {path: "/screening/hits/" + hit, masked: []string{"••••-••-••"}, full: []string{piiDOB}},
		{path: "/approvals"}, {path: "/approvals?status=all"}, {path: "/approvals/" + approval, masked: []string{"••••-••-••"}, full: []string{piiDOBFixed}},
		{path: "/audit?" + url.Values{"entity": {"customer:" + cust}}.Encode()},
		// The exports, as the lists show them.
		{path: "/customers/export.csv?q=Doe", masked: []string{"q•••@example.org"}, full: []string{piiEmail}},
		{path: "/reviews/export.csv", masked: []string{"q•••@example.org"}, full: []string{piiEmail}},
		{path: "/alerts/export.csv?status=all"}, {path: "/screening/hits/export.csv?status="}, {path: "/cases/export.csv?status=all"},
		{path: "/audit/export.csv?" + url.Values{"entity": {"customer:" + cust}}.Encode()},
	}
	for _, d := range docs {
		pages = append(pages, piiPage{path: "/documents/" + d})
	}
	for _, rec := range records {
		pages = append(pages, piiPage{path: "/audit/" + rec})
	}

	for _, role := range staff.Roles {
		t.Run(string(role), func(t *testing.T) {
			h := h.with(t)
			emp, c := h.signIn(role)
			view := pii.For(emp.AllRoles())
			opened := 0
			for _, pg := range pages {
				code, body := piiFetch(h, pg.path, c, false)
				if code == http.StatusForbidden || code == http.StatusNotFound && strings.HasPrefix(pg.path, "/audit/") {
					continue // the role may not open it
				}
				if code != http.StatusOK {
					t.Errorf("%s: %d", pg.path, code)
					continue
				}
				opened++
				bodies := map[string]string{pg.path: body}
				// And every fragment the page loads with htmx.
				for _, m := range hxGets.FindAllStringSubmatch(body, -1) {
					frag := strings.ReplaceAll(m[1], "&amp;", "&")
					if fc, fb := piiFetch(h, frag, c, true); fc == http.StatusOK {
						bodies[pg.path+" → "+frag] = fb
					}
				}
				for where, b := range bodies {
					for _, s := range piiSecrets {
						if !view.Full(s.field) && strings.Contains(strings.ToLower(b), strings.ToLower(s.value)) {
							t.Errorf("%s shows %s %s %q in full", where, role, s.field, s.value)
						}
					}
				}
				want := pg.masked
				if view.Full(pii.Email) {
					want = pg.full
				}
				for _, w := range want {
					if !strings.Contains(body, w) {
						t.Errorf("%s does not show %s %q", pg.path, role, w)
					}
				}
			}
			if opened == 0 && role != staff.PlatformOperator {
				t.Errorf("%s opened none of the pages", role)
			}
		})
	}
}

// piiFetch is path's status and body for c, as htmx asks for it when hx.
func piiFetch(h *harness, path string, c *http.Cookie, hx bool) (int, string) {
	h.t.Helper()
	var headers map[string]string
	if hx {
		headers = map[string]string{"HX-Request": "true"}
	}
	resp := h.do("GET", path, nil, headers, c)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
