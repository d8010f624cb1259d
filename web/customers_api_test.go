package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/demo"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
	"github.com/ciamhq/ciam/web/api"
)

var seedDemo sync.Once

// demoTenant is the demo tenant with its categorisation, seeded once per
// test database: the example requests name its ids.
func (h *harness) demoTenant() tenant.Tenant {
	h.t.Helper()
	seedDemo.Do(func() {
		if _, err := demo.Seed(h.t.Context(), h.s.Tenants, h.s.Staff, h.s.Customers); err != nil {
			h.t.Fatal(err)
		}
	})
	t, err := h.s.Tenants.Get(h.t.Context(), demo.Load().Tenant.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return t
}

// adminToken is an admin token of tenant t with scopes.
func (h *harness) adminToken(t tenant.Tenant, scopes ...string) string {
	h.t.Helper()
	ctx := actor.With(h.t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	c, secret, err := h.s.APIClients.Create(ctx, t.ID, "test", scopes)
	if err != nil {
		h.t.Fatal(err)
	}
	status, body := h.token(c.ClientID, secret)
	if status != 200 {
		h.t.Fatalf("token: %d %v", status, body)
	}
	return body["access_token"].(string)
}

// apiCall sends a JSON API request.
func (h *harness) apiCall(method, path, tenantRef, token, body string, extra map[string]string) (*http.Response, map[string]any) {
	h.t.Helper()
	headers := map[string]string{"Content-Type": "application/json"}
	if tenantRef != "" {
		headers["X-Tenant-ID"] = tenantRef
	}
	if token != "" {
		headers["Authorization"] = "Bearer " + token
	}
	for k, v := range extra {
		headers[k] = v
	}
	req, err := http.NewRequestWithContext(h.t.Context(), method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp, out
}

func exampleBody(t testing.TB) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../docs/examples/registration.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// variant is the example with a fresh e-mail address and change applied.
func variant(t testing.TB, change func(m map[string]any)) string {
	t.Helper()
	m := exampleBody(t)
	m["email"] = "c-" + uuid.NewString()[:8] + "@example.com"
	if change != nil {
		change(m)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func ic(m map[string]any) map[string]any { return m["individualCustomer"].(map[string]any) }

func cat(m map[string]any) map[string]any { return m["categorization"].(map[string]any) }

func rel(m map[string]any, i int) map[string]any {
	return cat(m)["categoryFeatureRelations"].([]any)[i].(map[string]any)
}

const registerPath = api.Prefix + "/customer/individual/registration"

func details(body map[string]any) []string {
	var out []string
	e, _ := body["error"].(map[string]any)
	ds, _ := e["details"].([]any)
	for _, d := range ds {
		dm := d.(map[string]any)
		out = append(out, fmt.Sprintf("%s: %s", dm["field"], dm["issue"]))
	}
	return out
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestRegistrationOfTheGuidesExample(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
	raw, err := os.ReadFile("../docs/examples/registration.json")
	if err != nil {
		t.Fatal(err)
	}
	// Behind trusted proxies (TRUSTED_PROXIES), the client is the last hop
	// that is not one of them.
	h.s.Config.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}
	t.Cleanup(func() { h.s.Config.TrustedProxies = nil })
	resp, body := h.apiCall("POST", registerPath, dt.Slug, tok, string(raw), map[string]string{"X-Forwarded-For": "203.0.113.7, 10.0.0.1"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %v", resp.StatusCode, body)
	}
	data := body["data"].(map[string]any)
	if data["status"] != "PENDING_VERIFICATION" || data["walletStatus"] != "INACTIVE" || data["riskLevel"] != "HIGH" {
		t.Errorf("data = %v", data)
	}
	for _, k := range []string{"customerId", "userId", "walletId", "verificationRequestId"} {
		if _, err := uuid.Parse(fmt.Sprint(data[k])); err != nil {
			t.Errorf("%s = %v; want a UUID", k, data[k])
		}
	}
	if c := data["categorization"].(map[string]any); c["name"] != "HIGH_RISK_INDIVIDUAL" || len(c["categoryFeatureRelations"].([]any)) != 2 {
		t.Errorf("categorization = %v", c)
	}

	// Every component exists, as the owner sees the database.
	owner := dbtest.OwnerPool(t)
	id := data["customerId"].(string)
	var (
		status, permission, hash, walletStatus, vrStatus, ip string
		tokens, events, audits                               int
		payload                                              []byte
	)
	err = owner.QueryRow(t.Context(), `
		SELECT c.status, c.permission, cr.password_hash, w.status, v.status, c.registration_ip,
		       (SELECT count(*) FROM email_verification_tokens e WHERE e.customer_id = c.id),
		       (SELECT count(*) FROM events e WHERE e.entity_id = c.id::text AND e.type = 'customer.registered'),
		       (SELECT count(*) FROM audit_log a WHERE a.entity_id = c.id::text AND a.action = 'customer.registered'),
		       (SELECT payload FROM events e WHERE e.entity_id = c.id::text AND e.type = 'customer.registered')
		FROM customers c
		JOIN customer_credentials cr ON cr.customer_id = c.id AND cr.id = $2
		JOIN wallets w ON w.customer_id = c.id AND w.id = $3
		JOIN verification_requests v ON v.customer_id = c.id AND v.id = $4
		WHERE c.id = $1`, id, data["userId"], data["walletId"], data["verificationRequestId"]).
		Scan(&status, &permission, &hash, &walletStatus, &vrStatus, &ip, &tokens, &events, &audits, &payload)
	if err != nil {
		t.Fatal(err)
	}
	if status != "PENDING_VERIFICATION" || permission != "UNVERIFIED" || walletStatus != "INACTIVE" || ip != "203.0.113.7" ||
		tokens != 1 || events != 1 || audits != 1 || !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, "SecureP@ss123") {
		t.Fatalf("stored: status=%s permission=%s wallet=%s ip=%s tokens=%d events=%d audits=%d hash=%.12s", status, permission, walletStatus, ip, tokens, events, audits, hash)
	}
	var ev struct {
		EmailVerification struct{ Token string }
	}
	_ = json.Unmarshal(payload, &ev)
	if len(ev.EmailVerification.Token) != 64 {
		t.Fatalf("customer.registered carries token %q; want 64 hex characters", ev.EmailVerification.Token)
	}

	// The token verifies the address, once.
	verify := api.Prefix + "/customer/individual/email/verification"
	if resp, body := h.apiCall("POST", verify, dt.Slug, tok, `{"token":"`+ev.EmailVerification.Token+`"}`, nil); resp.StatusCode != 200 || body["data"].(map[string]any)["emailVerified"] != true {
		t.Fatalf("verify e-mail: %d %v", resp.StatusCode, body)
	}
	if resp, body := h.apiCall("POST", verify, dt.Slug, tok, `{"token":"`+ev.EmailVerification.Token+`"}`, nil); resp.StatusCode != 404 || errCode(body) != "TOKEN_INVALID" {
		t.Fatalf("token used twice: %d %v", resp.StatusCode, body)
	}

	// The customer reads back with standing and HAL link.
	resp, got := h.apiCall("GET", api.Prefix+"/customers/"+id, dt.Slug, tok, "", nil)
	c := got["data"].(map[string]any)
	if resp.StatusCode != 200 || c["permission"] != "UNVERIFIED" || c["profile"].(map[string]any)["emailVerified"] != true ||
		c["_links"].(map[string]any)["self"].(map[string]any)["href"] != api.Prefix+"/customers/"+id {
		t.Fatalf("get customer: %d %v", resp.StatusCode, got)
	}
	// The documents are guide 002's document set; the uploaded kind are its physical documents.
	docs := c["documents"].([]any)[0].(map[string]any)["physical_docs"].([]any)
	if len(docs) != 4 || docs[0].(map[string]any)["status"] != "MISSING" || docs[0].(map[string]any)["last_updated"].(float64) < 1e12 {
		t.Errorf("documents = %v; want the four HIGH-risk documents MISSING with unix-millisecond times", docs)
	}

	// The same e-mail address again.
	if resp, body := h.apiCall("POST", registerPath, dt.Slug, tok, string(raw), nil); resp.StatusCode != 409 || errCode(body) != "EMAIL_ALREADY_REGISTERED" {
		t.Fatalf("duplicate: %d %v", resp.StatusCode, body)
	}
}

func TestEachPasswordRuleFailsAlone(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite)
	tests := []struct {
		name, password, matching, issue string
		field                           string
	}{
		{"too short", "Sh0rt!a", "", "at least 8 characters", "password"},
		{"no upper case", "lowercase1!", "", "upper-case", "password"},
		{"no lower case", "UPPERCASE1!", "", "lower-case", "password"},
		{"no digit", "NoDigits!!", "", "digit", "password"},
		{"no special character", "NoSpecial12", "", "special character", "password"},
		{"contains the username", "Xuserq42Z!a", "", "username", "password"},
		{"contains the e-mail address", "Xuserq42@example.com1A", "", "e-mail address", "password"},
		{"does not match", "SecureP@ss123", "SecureP@ss124", "equal to password", "matchingPassword"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			body := variant(t, func(m map[string]any) {
				m["email"] = "userq42@example.com"
				m["password"] = tc.password
				m["matchingPassword"] = tc.password
				if tc.matching != "" {
					m["matchingPassword"] = tc.matching
				}
			})
			resp, out := h.apiCall("POST", registerPath, dt.Slug, tok, body, nil)
			d := details(out)
			if resp.StatusCode != 422 || errCode(out) != "VALIDATION_FAILED" || len(d) != 1 ||
				!strings.HasPrefix(d[0], tc.field+": ") || !strings.Contains(d[0], tc.issue) {
				t.Fatalf("%d %s %v; want exactly one detail %s ~ %q", resp.StatusCode, errCode(out), d, tc.field, tc.issue)
			}
		})
	}
}

func TestEachCategorisationRuleFailsAlone(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite)
	// An inactive category and a feature that belongs to another category.
	inactive := uuid.New()
	loose := uuid.New()
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System})
	if err := h.s.Customers.DefineCategories(ctx, dt.ID, []customer.CategorySpec{
		{ID: inactive, Name: "DORMANT_" + strings.ToUpper(uuid.NewString()[:6])},
		{Name: "OTHER_" + strings.ToUpper(uuid.NewString()[:6]), Features: []customer.FeatureSpec{{ID: loose, Code: "LOOSE_" + strings.ToUpper(uuid.NewString()[:6]), Name: "Loose"}}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := dbtest.OwnerPool(t).Exec(t.Context(), "UPDATE customer_categories SET is_active = false WHERE id = $1", inactive); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(m map[string]any)
		field  string
		issue  string
	}{
		{"unknown category", func(m map[string]any) { cat(m)["id"] = uuid.NewString(); delete(cat(m), "name") }, "categorization.id", "not a category"},
		{"inactive category", func(m map[string]any) {
			cat(m)["id"] = inactive.String()
			delete(cat(m), "name")
			cat(m)["categoryFeatureRelations"] = []any{}
		}, "categorization.isActive", "not active"},
		{"feature unknown to the tenant", func(m map[string]any) {
			rel(m, 1)["feature"] = map[string]any{"id": uuid.NewString()}
		}, "categorization.categoryFeatureRelations[1].feature", "not a feature of this tenant"},
		{"feature of another category", func(m map[string]any) {
			rel(m, 1)["feature"] = map[string]any{"id": loose.String()}
		}, "categorization.categoryFeatureRelations[1].feature", "not part of the category"},
		{"mandatory parameter missing", func(m map[string]any) {
			rel(m, 1)["parametrization"] = []any{map[string]any{"name": "monthlyLimit", "value": "50000"}}
		}, "categorization.categoryFeatureRelations[1].parametrization", `"dailyLimit"`},
		{"value not allowed", func(m map[string]any) {
			rel(m, 0)["parametrization"].([]any)[0].(map[string]any)["value"] = "EXTREME"
		}, "categorization.categoryFeatureRelations[0].parametrization[0].value", "not allowed"},
		{"unknown parameter", func(m map[string]any) {
			rel(m, 0)["parametrization"] = append(rel(m, 0)["parametrization"].([]any), map[string]any{"name": "colour", "value": "red"})
		}, "categorization.categoryFeatureRelations[0].parametrization[3].name", "not a parameter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			resp, out := h.apiCall("POST", registerPath, dt.Slug, tok, variant(t, tc.change), nil)
			d := details(out)
			if resp.StatusCode != 422 || len(d) != 1 || !strings.HasPrefix(d[0], tc.field+": ") || !strings.Contains(d[0], tc.issue) {
				t.Fatalf("%d %v; want exactly one detail %s ~ %q", resp.StatusCode, d, tc.field, tc.issue)
			}
		})
	}
}

func TestRegistrationFieldValidation(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite)
	tests := []struct {
		name   string
		change func(m map[string]any)
		field  string
	}{
		{"email", func(m map[string]any) { m["email"] = "not-an-email" }, "email"},
		{"first name", func(m map[string]any) { m["firstName"] = "" }, "firstName"},
		{"last name too long", func(m map[string]any) { m["lastName"] = strings.Repeat("a", 101) }, "lastName"},
		{"name with digits", func(m map[string]any) { m["firstName"] = "J0hn" }, "firstName"},
		{"date of birth not a date", func(m map[string]any) { ic(m)["dateOfBirth"] = "1990-02-30" }, "individualCustomer.dateOfBirth"},
		{"date of birth in the future", func(m map[string]any) { ic(m)["dateOfBirth"] = "2090-01-01" }, "individualCustomer.dateOfBirth"},
		{"under the minimum age", func(m map[string]any) { ic(m)["dateOfBirth"] = "2015-01-01" }, "individualCustomer.dateOfBirth"},
		{"nationality", func(m map[string]any) { ic(m)["nationality"] = "UK" }, "individualCustomer.nationality"},
		{"phone not E.164", func(m map[string]any) { ic(m)["phoneNumber"] = "07911 123456" }, "individualCustomer.phoneNumber"},
		{"alternate phone", func(m map[string]any) { ic(m)["alternatePhoneNumber"] = "+1234" }, "individualCustomer.alternatePhoneNumber"},
		{"address country", func(m map[string]any) { ic(m)["address"].(map[string]any)["country"] = "XX" }, "individualCustomer.address.country"},
		{"address city", func(m map[string]any) { ic(m)["address"].(map[string]any)["city"] = "" }, "individualCustomer.address.city"},
		{"income not numeric", func(m map[string]any) { ic(m)["annualIncome"] = "a lot" }, "individualCustomer.annualIncome"},
		{"income negative", func(m map[string]any) { ic(m)["annualIncome"] = -5 }, "individualCustomer.annualIncome"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			resp, out := h.apiCall("POST", registerPath, dt.Slug, tok, variant(t, tc.change), nil)
			d := details(out)
			if resp.StatusCode != 422 || len(d) != 1 || !strings.HasPrefix(d[0], tc.field+": ") {
				t.Fatalf("%d %v; want exactly one detail on %s", resp.StatusCode, d, tc.field)
			}
		})
	}
	// Many problems at once: one detail each.
	resp, out := h.apiCall("POST", registerPath, dt.Slug, tok, variant(t, func(m map[string]any) {
		m["email"] = "bad"
		ic(m)["nationality"] = "ZZ"
		ic(m)["phoneNumber"] = "123"
	}), nil)
	if resp.StatusCode != 422 || len(details(out)) != 3 {
		t.Fatalf("three problems: %d %v", resp.StatusCode, details(out))
	}
}

func TestRegistrationRequestShape(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite)
	tests := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"malformed JSON", `{"email": "a@b.c",`, 400, "INVALID_REQUEST"},
		{"unknown field", variant(t, func(m map[string]any) { m["nickname"] = "JD" }), 400, "INVALID_REQUEST"},
		{"wrong type", variant(t, func(m map[string]any) { m["firstName"] = 42 }), 400, "INVALID_REQUEST"},
		{"oversized body", `{"email":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "PAYLOAD_TOO_LARGE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			resp, out := h.apiCall("POST", registerPath, dt.Slug, tok, tc.body, nil)
			if resp.StatusCode != tc.status || errCode(out) != tc.code {
				t.Fatalf("%d %v; want %d %s", resp.StatusCode, out, tc.status, tc.code)
			}
		})
	}
}

func TestRegistrationTenancy(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
	otherTok := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)

	if resp, out := h.apiCall("POST", registerPath, "no_such_tenant", tok, variant(t, nil), nil); resp.StatusCode != 404 || errCode(out) != "TENANT_NOT_FOUND" {
		t.Fatalf("unknown tenant: %d %v", resp.StatusCode, out)
	}
	if resp, out := h.apiCall("POST", registerPath, dt.Slug, otherTok, variant(t, nil), nil); resp.StatusCode != 403 {
		t.Fatalf("another tenant's token: %d %v", resp.StatusCode, out)
	}
	resp, out := h.apiCall("POST", registerPath, dt.ID.String(), tok, variant(t, nil), nil)
	if resp.StatusCode != 201 {
		t.Fatalf("register by tenant UUID: %d %v", resp.StatusCode, out)
	}
	id := out["data"].(map[string]any)["customerId"].(string)
	if resp, out := h.apiCall("GET", api.Prefix+"/customers/"+id, h.tenant.Slug, otherTok, "", nil); resp.StatusCode != 404 {
		t.Fatalf("another tenant's customer: %d %v", resp.StatusCode, out)
	}
	// tenantId in the body is ignored: X-Tenant-ID decides.
	resp, out = h.apiCall("POST", registerPath, dt.Slug, tok, variant(t, func(m map[string]any) { m["tenantId"] = h.tenant.ID.String() }), nil)
	if resp.StatusCode != 201 {
		t.Fatalf("%d %v", resp.StatusCode, out)
	}
	c, err := h.s.Customers.Get(t.Context(), dt.ID, uuid.MustParse(out["data"].(map[string]any)["customerId"].(string)))
	if err != nil || c.TenantID != dt.ID {
		t.Fatalf("customer in tenant %v (%v); want %v", c.TenantID, err, dt.ID)
	}
}

func TestRegistrationIdempotency(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite)
	body := variant(t, nil)
	key := map[string]string{"Idempotency-Key": uuid.NewString()}
	first, out1 := h.apiCall("POST", registerPath, dt.Slug, tok, body, key)
	again, out2 := h.apiCall("POST", registerPath, dt.Slug, tok, body, key)
	if first.StatusCode != 201 || again.StatusCode != 201 || again.Header.Get("Idempotent-Replayed") != "true" ||
		fmt.Sprint(out1) != fmt.Sprint(out2) {
		t.Fatalf("replay: %d / %d replayed=%q", first.StatusCode, again.StatusCode, again.Header.Get("Idempotent-Replayed"))
	}
	if resp, out := h.apiCall("POST", registerPath, dt.Slug, tok, variant(t, nil), key); resp.StatusCode != 422 || errCode(out) != "IDEMPOTENCY_KEY_REUSED" {
		t.Fatalf("reused key: %d %v", resp.StatusCode, out)
	}

	// Twenty identical registrations at once with one key: one customer.
	body = variant(t, nil)
	var email string
	{
		var m map[string]any
		_ = json.Unmarshal([]byte(body), &m)
		email = m["email"].(string)
	}
	key = map[string]string{"Idempotency-Key": uuid.NewString()}
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, out := h.apiCall("POST", registerPath, dt.Slug, tok, body, key)
			if resp.StatusCode == 201 {
				ids[i] = out["data"].(map[string]any)["customerId"].(string)
			} else {
				ids[i] = fmt.Sprint(resp.StatusCode, out)
			}
		}()
	}
	wg.Wait()
	for i := range ids {
		if ids[i] != ids[0] {
			t.Fatalf("answer %d = %s; want all %s", i, ids[i], ids[0])
		}
	}
	var n int
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT count(*) FROM customers WHERE email = $1", email).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d customers with %s (%v); want 1", n, email, err)
	}
}

func TestCategoryHierarchy(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersRead)
	resp, out := h.apiCall("GET", api.Prefix+"/customer/individual/categorization/hierarchy/"+dt.ID.String(), dt.Slug, tok, "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, out)
	}
	var high map[string]any
	for _, c := range out["data"].([]any) {
		if c.(map[string]any)["name"] == "HIGH_RISK_INDIVIDUAL" {
			high = c.(map[string]any)
		}
	}
	if high == nil || high["riskLevel"] != "HIGH" || len(high["features"].([]any)) != 2 {
		t.Fatalf("HIGH_RISK_INDIVIDUAL = %v", high)
	}
	f := high["features"].([]any)[0].(map[string]any)
	p := f["parameters"].([]any)[0].(map[string]any)
	if f["code"] != "ENHANCED_AML_MONITORING" || p["name"] != "riskLevel" || p["mandatory"] != true || len(p["allowedValues"].([]any)) != 3 {
		t.Fatalf("feature = %v", f)
	}
	// Asking for another tenant's hierarchy with this tenant's token.
	if resp, _ := h.apiCall("GET", api.Prefix+"/customer/individual/categorization/hierarchy/"+h.tenant.Slug, dt.Slug, tok, "", nil); resp.StatusCode != 403 {
		t.Fatalf("other tenant's hierarchy: %d", resp.StatusCode)
	}
}

func TestCustomerStandingStopsTokens(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
	_, out := h.apiCall("POST", registerPath, dt.Slug, tok, variant(t, func(m map[string]any) { delete(m, "categorization") }), nil)
	id := out["data"].(map[string]any)["customerId"].(string)
	if out["data"].(map[string]any)["riskLevel"] != "LOW" {
		t.Errorf("uncategorised GB software engineer risk = %v; want LOW", out["data"].(map[string]any)["riskLevel"])
	}
	// A customer token, as the session endpoints will issue it.
	ctok, _, err := h.s.Keys.Issue(t.Context(), credential.Claims{Kind: credential.KindCustomer, Subject: id, TenantID: dt.ID}, 600e9)
	if err != nil {
		t.Fatal(err)
	}
	get := api.Prefix + "/customers/" + id
	if resp, _ := h.apiCall("GET", get, dt.Slug, ctok, "", nil); resp.StatusCode != 200 {
		t.Fatalf("customer reads self: %d", resp.StatusCode)
	}
	other := uuid.NewString()
	if resp, _ := h.apiCall("GET", api.Prefix+"/customers/"+other, dt.Slug, ctok, "", nil); resp.StatusCode != 404 {
		t.Fatalf("customer reads another: %d", resp.StatusCode)
	}
	standing := api.Prefix + "/customers/" + id + "/standing"
	if resp, out := h.apiCall("POST", standing, dt.Slug, tok, `{"action":"LOCK"}`, nil); resp.StatusCode != 422 || details(out)[0] != "reason: is required: say why, for the audit trail" {
		t.Fatalf("lock without reason: %d %v", resp.StatusCode, out)
	}
	if resp, out := h.apiCall("POST", standing, dt.Slug, tok, `{"action":"LOCK","reason":"suspected account takeover"}`, nil); resp.StatusCode != 200 ||
		out["data"].(map[string]any)["permission"] != "LOCKED" {
		t.Fatalf("lock: %d %v", resp.StatusCode, out)
	}
	if resp, out := h.apiCall("GET", get, dt.Slug, ctok, "", nil); resp.StatusCode != 401 || errCode(out) != "TOKEN_REVOKED" {
		t.Fatalf("locked customer's token: %d %v", resp.StatusCode, out)
	}
	if resp, out := h.apiCall("POST", standing, dt.Slug, tok, `{"action":"LOCK","reason":"again"}`, nil); resp.StatusCode != 409 {
		t.Fatalf("lock twice: %d %v", resp.StatusCode, out)
	}
	// Unlocking is four-eyes: the API client proposes, an employee approves.
	resp, out := h.apiCall("POST", standing, dt.Slug, tok, `{"action":"UNLOCK","reason":"customer verified by phone"}`, nil)
	pending, _ := out["data"].(map[string]any)["pendingApproval"].(map[string]any)
	if resp.StatusCode != 202 || pending == nil || out["data"].(map[string]any)["status"] != "LOCKED" {
		t.Fatalf("unlock over the API: %d %v", resp.StatusCode, out)
	}
	if resp, _ := h.apiCall("GET", get, dt.Slug, ctok, "", nil); resp.StatusCode != 401 {
		t.Fatalf("still locked until approved, but the token works: %d", resp.StatusCode)
	}
	h.approve(pending["changeRequestId"].(string), h.cookieFor(h.employeeOf(dt.ID, staff.SeniorReviewer)))
	if c, err := h.s.Customers.Get(t.Context(), dt.ID, uuid.MustParse(id)); err != nil || c.Status != "PENDING_VERIFICATION" || c.Permission != "UNVERIFIED" {
		t.Fatalf("after approval: %+v %v; want the standing before the lock", c, err)
	}
	if resp, _ := h.apiCall("GET", get, dt.Slug, ctok, "", nil); resp.StatusCode != 200 {
		t.Fatalf("unlocked customer's token: %d", resp.StatusCode)
	}
	if resp, _ := h.apiCall("POST", standing, dt.Slug, tok, `{"action":"CLOSE","reason":"customer asked"}`, nil); resp.StatusCode != 200 {
		t.Fatal("close")
	}
	if resp, _ := h.apiCall("GET", get, dt.Slug, ctok, "", nil); resp.StatusCode != 401 {
		t.Fatalf("closed customer's token: %d", resp.StatusCode)
	}
	acts := h.auditActions(dt.ID, "customer.")
	var seen []string
	for _, a := range acts {
		if a.Reason != "" {
			seen = append(seen, a.Action)
		}
	}
	if len(seen) < 3 {
		t.Errorf("standing changes audited: %v", seen)
	}
	// Customer tokens may not change standing.
	if resp, _ := h.apiCall("POST", standing, dt.Slug, ctok, `{"action":"REACTIVATE","reason":"x"}`, nil); resp.StatusCode != 401 && resp.StatusCode != 403 {
		t.Fatalf("customer token on standing: %d", resp.StatusCode)
	}
}
