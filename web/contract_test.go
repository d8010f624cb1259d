package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/demo"
)

// The guides' examples, sent as written (docs/contract/README.md says what
// a test may replace: the obfuscated e-mail address, ids the server hands
// out, document content, dates that would go stale).

// guideEmail is how the guide's page shows the e-mail address (with a
// no-break space, as the page has it).
var guideEmail = regexp.MustCompile(`"\[email\x{00a0}protected\]"`)

// guideRegistration is guide 001's registration body as written, with only
// its obfuscated e-mail address replaced by a fresh valid one.
func guideRegistration(t testing.TB) (body []byte, email string) {
	t.Helper()
	raw := contract(t, "001-registration.request.json")
	if len(guideEmail.FindAll(raw, -1)) != 2 {
		t.Fatalf("the guide's example no longer carries its e-mail address twice")
	}
	email = "john.doe+" + uuid.NewString()[:8] + "@example.com"
	return guideEmail.ReplaceAll(raw, []byte(`"`+email+`"`)), email
}

// guideHeaders are the headers of guide 001's Step 2.
func guideHeaders() map[string]string {
	return map[string]string{"X-Forwarded-For": "192.168.1.100"}
}

func TestContractRegistrationAsWritten(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
	body, email := guideRegistration(t)
	resp, out := h.apiCall("POST", registerPath, dt.Slug, tok, string(body), guideHeaders())
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("the guide's registration body: %d %v", resp.StatusCode, out)
	}
	data := out["data"].(map[string]any)
	for _, k := range []string{"customerId", "userId", "walletId", "verificationRequestId"} {
		if err := isUUID(data[k]); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
	if data["status"] != "PENDING_VERIFICATION" || data["walletStatus"] != "INACTIVE" || data["riskLevel"] != "HIGH" {
		t.Errorf("data = %v", data)
	}
	// The categorisation the guide nests in individualCustomer was read,
	// with the guide's own ids, which are the demo tenant's.
	c, _ := data["categorization"].(map[string]any)
	if c["id"] != demo.HighRiskCategoryID.String() || c["name"] != "HIGH_RISK_INDIVIDUAL" || len(c["categoryFeatureRelations"].([]any)) != 2 {
		t.Fatalf("categorization = %v", c)
	}
	rels := c["categoryFeatureRelations"].([]any)
	if f := rels[0].(map[string]any)["feature"].(map[string]any); f["id"] != "660e8400-e29b-41d4-a716-446655440002" || f["code"] != "ENHANCED_AML_MONITORING" {
		t.Errorf("feature 0 = %v", f)
	}
	if p := rels[1].(map[string]any)["parametrization"].([]any); len(p) != 3 {
		t.Errorf("TRANSACTION_LIMITS parameters = %v", p)
	}
	// The tenant is the header's, whatever tenantId the body carries.
	_, got := h.apiCall("GET", "/api/v2.1/customers/"+data["customerId"].(string), dt.Slug, tok, "", nil)
	cust, _ := got["data"].(map[string]any)
	if cust["tenantId"] != dt.ID.String() || cust["profile"].(map[string]any)["email"] != email {
		t.Errorf("stored customer: %v", got)
	}
	if !bytes.Contains(body, []byte(`"tenantId": "97e7ff29-15f3-49ef-9681-3bbfcce4f6cd"`)) {
		t.Fatal("the example's tenantId changed")
	}
}

// TestContractRegistrationOtherTenant: the guide's body names the demo
// tenant's UUID in tenantId; sent to another tenant, X-Tenant-ID decides.
func TestContractRegistrationOtherTenant(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	other := h.tenant
	tok := h.adminToken(other, credential.ScopeCustomersWrite)
	body, email := guideRegistration(t)
	// The other tenant has none of the guide's categories: the answer says
	// so at the nested path the guide uses, and nothing is created.
	resp, out := h.apiCall("POST", registerPath, other.Slug, tok, string(body), nil)
	if resp.StatusCode != 422 || !strings.HasPrefix(strings.Join(details(out), "|"), "individualCustomer.categorization.id: ") {
		t.Fatalf("other tenant: %d %v", resp.StatusCode, out)
	}
	var n int
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT count(*) FROM customers WHERE email = $1", email).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d customers were created (%v)", n, err)
	}
	_ = dt
}

func TestContractRegistrationTwins(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite)
	edit := func(change func(m map[string]any)) string {
		body, _ := guideRegistration(t)
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		change(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		name   string
		change func(m map[string]any)
		status int
		detail string
	}{
		{"nested e-mail differs", func(m map[string]any) { ic(m)["email"] = "someone.else@example.com" }, 422, "individualCustomer.email: differs"},
		{"nested first name differs", func(m map[string]any) { ic(m)["firstName"] = "Jon" }, 422, "individualCustomer.firstName: differs"},
		{"nested last name differs", func(m map[string]any) { ic(m)["lastName"] = "Dough" }, 422, "individualCustomer.lastName: differs"},
		{"unknown nested field", func(m map[string]any) { ic(m)["nickname"] = "JD" }, 400, "individualCustomer.nickname: "},
		{"unknown field in the nested address", func(m map[string]any) { ic(m)["address"].(map[string]any)["floor"] = "4" }, 400, "individualCustomer.address.floor: "},
		{"unknown field in a parameter", func(m map[string]any) {
			p := ic(m)["categorization"].(map[string]any)["categoryFeatureRelations"].([]any)[1].(map[string]any)["parametrization"].([]any)[0].(map[string]any)
			p["unit"] = "EUR"
		}, 400, "individualCustomer.categorization.categoryFeatureRelations[1].parametrization[0].unit: "},
		{"categorisation in both places, different", func(m map[string]any) {
			m["categorization"] = map[string]any{"id": demo.StandardCategoryID.String()}
		}, 422, "individualCustomer.categorization: differs"},
		{"a nested parameter value refused at its path", func(m map[string]any) {
			ic(m)["categorization"].(map[string]any)["categoryFeatureRelations"].([]any)[0].(map[string]any)["parametrization"].([]any)[1].(map[string]any)["value"] = "850"
		}, 422, "individualCustomer.categorization.categoryFeatureRelations[0].parametrization[1].value: riskScore must be"},
		{"only the nested e-mail", func(m map[string]any) { m["email"] = "" }, 201, ""},
		{"a tenantId of nobody", func(m map[string]any) {
			m["tenantId"] = uuid.NewString()
			ic(m)["tenantId"] = "fh_api_someone_else"
		}, 201, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			resp, out := h.apiCall("POST", registerPath, dt.Slug, tok, edit(tc.change), nil)
			d := strings.Join(details(out), " | ")
			if resp.StatusCode != tc.status || (tc.detail != "" && !strings.HasPrefix(d, tc.detail)) {
				t.Fatalf("%d %s %v; want %d with %q", resp.StatusCode, d, out, tc.status, tc.detail)
			}
		})
	}
}

// standardRegistration is guide 001's registration with the guide's
// "Standard Customer" configuration as the standard category's
// parametrization.
func standardRegistration(t testing.TB) (string, string) {
	t.Helper()
	body, email := guideRegistration(t)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	var conf map[string]string
	if err := json.Unmarshal(contract(t, "001-categorization-standard.json"), &conf); err != nil {
		t.Fatal(err)
	}
	c := ic(m)["categorization"].(map[string]any)
	c["id"], c["name"] = demo.StandardCategoryID.String(), "STANDARD_INDIVIDUAL"
	rel := c["categoryFeatureRelations"].([]any)[0].(map[string]any)
	var params []any
	for _, name := range []string{"riskLevel", "riskScore", "pep", "sanctionsCheck", "monitoring", "edd", "transactionMonitoring"} {
		params = append(params, map[string]any{"name": name, "value": conf[name]})
	}
	if len(params) != len(conf) {
		t.Fatalf("the standard configuration has %d parameters; the test names %d", len(conf), len(params))
	}
	rel["parametrization"] = params
	b, _ := json.Marshal(m)
	return string(b), email
}

func TestContractStandardCustomerIsMedium(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
	body, _ := standardRegistration(t)
	resp, out := h.apiCall("POST", registerPath, dt.Slug, tok, body, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("register: %d %v", resp.StatusCode, out)
	}
	if d := out["data"].(map[string]any); d["riskLevel"] != "MEDIUM" {
		t.Fatalf("the guide's standard customer is %v; want MEDIUM (its riskLevel parameter)", d["riskLevel"])
	}
	// The high-risk configuration of the guide, with its riskLevel HIGH,
	// makes the customer HIGH through the parameter even in the standard
	// category.
	var m map[string]any
	_ = json.Unmarshal([]byte(body), &m)
	p := ic(m)["categorization"].(map[string]any)["categoryFeatureRelations"].([]any)[0].(map[string]any)["parametrization"].([]any)
	p[0].(map[string]any)["value"] = "HIGH"
	m["email"], ic(m)["email"] = "hi-"+uuid.NewString()[:8]+"@example.com", nil
	delete(ic(m), "email")
	b, _ := json.Marshal(m)
	resp, out = h.apiCall("POST", registerPath, dt.Slug, tok, string(b), nil)
	if resp.StatusCode != 201 || out["data"].(map[string]any)["riskLevel"] != "HIGH" {
		t.Fatalf("riskLevel HIGH: %d %v", resp.StatusCode, out)
	}
}

// TestContractHierarchyHasTheGuidesCategories: guide 001 Step 1 lists the
// categories and features the registration example names.
func TestContractHierarchyHasTheGuidesCategories(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersRead)
	resp, out := h.apiCall("GET", "/api/v2.1/customer/individual/categorization/hierarchy/"+dt.Slug, dt.Slug, tok, "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, out)
	}
	names := map[string]map[string]bool{}
	for _, c := range out["data"].([]any) {
		cm := c.(map[string]any)
		for _, f := range cm["features"].([]any) {
			fm := f.(map[string]any)
			key := cm["name"].(string) + "/" + fm["code"].(string) + "/" + fm["id"].(string)
			names[key] = map[string]bool{}
			for _, p := range fm["parameters"].([]any) {
				names[key][p.(map[string]any)["name"].(string)] = true
			}
		}
	}
	var reg map[string]any
	_ = json.Unmarshal(contract(t, "001-registration.request.json"), &reg)
	var high map[string]string
	_ = json.Unmarshal(contract(t, "001-categorization-high-risk.json"), &high)
	for _, r := range ic(reg)["categorization"].(map[string]any)["categoryFeatureRelations"].([]any) {
		f := r.(map[string]any)["feature"].(map[string]any)
		key := "HIGH_RISK_INDIVIDUAL/" + f["code"].(string) + "/" + f["id"].(string)
		params, ok := names[key]
		if !ok {
			t.Fatalf("the hierarchy has no %s; it has %v", key, names)
		}
		for _, p := range r.(map[string]any)["parametrization"].([]any) {
			if !params[p.(map[string]any)["name"].(string)] {
				t.Errorf("%s has no parameter %v", key, p)
			}
		}
		if f["code"] == "ENHANCED_AML_MONITORING" {
			for name := range high {
				if !params[name] {
					t.Errorf("%s has no parameter %s of the guide's high-risk configuration", key, name)
				}
			}
		}
	}
}
