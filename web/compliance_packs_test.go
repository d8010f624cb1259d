package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

// brazilian is the example registration of a customer living in Brazil,
// with compliance fields cf (nil: none sent).
func brazilian(t *testing.T, cf map[string]any) string {
	return variant(t, func(m map[string]any) {
		noCategory(m)
		c := ic(m)
		c["nationality"] = "BR"
		c["phoneNumber"], c["alternatePhoneNumber"] = "+5511987654321", ""
		c["address"] = map[string]any{"street": "Avenida Paulista", "streetNumber": "1578", "city": "São Paulo", "state": "SP",
			"postalCode": "01310-200", "country": "BR", "addressType": "RESIDENTIAL"}
		c["occupation"] = "Engineer"
		if cf != nil {
			c["complianceFields"] = cf
		}
	})
}

// fieldPaths are the paths of a requirements answer's list.
func fieldPaths(out map[string]any, list string) []string {
	var paths []string
	fs, _ := data(out)[list].([]any)
	for _, f := range fs {
		paths = append(paths, f.(map[string]any)["field"].(string))
	}
	return paths
}

// proposePack sends the regulatory pack's form as c and returns the answer.
func (h *harness) proposePack(id string, form url.Values, c *http.Cookie) *http.Response {
	h.t.Helper()
	if form.Get("reason") == "" {
		form.Set("reason", "we onboard customers there")
	}
	return h.post("/config/compliance-packs/"+id, form, c)
}

func TestRegulatoryPackEnablement(t *testing.T) {
	h := newHarness(t)
	tok := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeCustomersRead, credential.ScopeCatalogRead)
	requirements := func(country, risk string) map[string]any {
		resp, out := h.apiCall("GET", api.Prefix+"/compliance/requirements?country="+country+"&riskLevel="+risk, h.tenant.Slug, tok, "", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("requirements %s %s: %d %v", country, risk, resp.StatusCode, out)
		}
		return out
	}
	cpf := "individualCustomer.complianceFields.cpf"

	// Without a pack: no CPF is asked for, and one sent is refused.
	if got := requirements("BR", "LOW"); slices.Contains(fieldPaths(got, "mandatoryFields"), cpf) || data(got)["pack"] != nil {
		t.Fatalf("requirements before any pack: %v", got)
	}
	if resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, tok, brazilian(t, nil), nil); resp.StatusCode != 201 {
		t.Fatalf("a Brazilian customer without a pack: %d %v", resp.StatusCode, out)
	}
	if resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, tok, brazilian(t, map[string]any{"cpf": "529.982.247-25"}), nil); resp.StatusCode != 422 ||
		!strings.HasPrefix(details(out)[0], cpf+": is not a compliance field for customers in BR") {
		t.Fatalf("a CPF without a pack: %d %v", resp.StatusCode, details(out))
	}

	maker, makerC := h.signIn(staff.TenantAdmin)
	_, checkerC := h.signIn(staff.SeniorReviewer)
	t.Run("the form refuses what the pack does not allow, naming the field", func(t *testing.T) {
		h := h.with(t)
		for _, tc := range []struct {
			name, key string
			form      url.Values
		}{
			{"a country the pack does not cover", "countries", url.Values{"countries": {"DE"}}},
			{"retention below the law's minimum", "retentionDays.cdd_records", url.Values{"countries": {"BR"}, "retention-cdd_records": {"365"}}},
			{"a re-screening of no days", "rescreenDays.HIGH", url.Values{"countries": {"BR"}, "rescreen-HIGH": {"0"}}},
			{"a tenant field with a bad pattern", "new-pattern", url.Values{"countries": {"BR"}, "new-name": {"rgNumber"}, "new-label": {"RG"}, "new-format": {"pattern"}, "new-pattern": {"[0-9"}}},
		} {
			resp := h.proposePack("br_bcb_3978", tc.form, makerC)
			d := doc(t, resp)
			if resp.StatusCode != http.StatusUnprocessableEntity || text(d, `[data-testid="error-br_bcb_3978-`+strings.NewReplacer("retentionDays.", "retention-", "rescreenDays.", "rescreen-").Replace(tc.key)+`"]`) == "" {
				t.Errorf("%s: %d, no error at %s", tc.name, resp.StatusCode, tc.key)
			}
		}
	})

	// Enabling the Brazilian pack is a change request; nothing changes
	// until another employee approves it.
	resp := h.proposePack("br_bcb_3978", url.Values{"countries": {"BR"}, "retention-transactions": {"4000"}, "rescreen-HIGH": {"30"},
		"required-cpf": {"LOW", "MEDIUM", "HIGH"}}, makerC)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("propose: %d", resp.StatusCode)
	}
	page := doc(t, h.get("/config/compliance-packs", updated(makerC, resp)))
	href, ok := page.Find(`[data-testid="pack-br_bcb_3978"] [data-testid="pending-approval"] a`).Attr("href")
	if !ok {
		t.Fatal("no pending approval shown on the pack")
	}
	id := strings.TrimPrefix(href, "/approvals/")
	if got := requirements("BR", "LOW"); slices.Contains(fieldPaths(got, "mandatoryFields"), cpf) {
		t.Fatal("the pack applies before its approval")
	}
	self := h.decide(id, "APPROVE", "mine", makerC)
	if d := doc(t, h.get("/approvals/"+id, updated(makerC, self))); text(d, `[data-testid="approval-status"]`) != "Pending" ||
		!strings.Contains(text(d, `[data-testid="flash"]`), "another employee must decide") {
		t.Fatalf("the maker approving their own change: status %q", text(d, `[data-testid="approval-status"]`))
	}
	// The checker reads what they approve: the pack and its values.
	ap := doc(t, h.get("/approvals/"+id, checkerC)).Text()
	for _, want := range []string{"Brazil: BCB Circular 3.978/2020", "Retention days › transactions", "4000", "Rescreen days › high", "30", "Countries", "BR"} {
		if !strings.Contains(ap, want) {
			t.Errorf("the approval page does not show %q", want)
		}
	}
	h.approve(id, checkerC)
	if recs := h.auditActions(h.tenant.ID, "compliance.pack.set"); len(recs) != 1 || recs[0].Actor == maker.Name {
		t.Fatalf("audit of the change = %+v", recs)
	}
	pol, err := h.s.Compliance.Policy(t.Context(), h.tenant.ID, "BR", "HIGH")
	if err != nil {
		t.Fatal(err)
	}
	if pol.Pack.ID != "br_bcb_3978" || pol.Retention["cdd_records"] != 3652 || pol.Retention["transactions"] != 4000 || pol.RescreenDays != 30 ||
		!slices.Contains(pol.Required, "cpf") {
		t.Fatalf("policy after approval = %+v", pol)
	}
	if other, _ := h.s.Compliance.Policy(t.Context(), h.tenant.ID, "DE", "LOW"); other.Pack.ID != "" || other.Retention["documents"] != 1826 {
		t.Fatalf("a country without a pack: %+v", other)
	}

	// The requirements now list the CPF with its format, and the pack.
	got := requirements("BR", "MEDIUM")
	if !slices.Contains(fieldPaths(got, "mandatoryFields"), cpf) || !slices.Contains(fieldPaths(got, "mandatoryFields"), "individualCustomer.occupation") {
		t.Fatalf("requirements under the pack: %v", fieldPaths(got, "mandatoryFields"))
	}
	for _, f := range data(got)["mandatoryFields"].([]any) {
		if f := f.(map[string]any); f["field"] == cpf && (f["example"] != "529.982.247-25" || f["pattern"] == "" || f["virtualDocument"] != "TIN" || f["sensitive"] != true) {
			t.Errorf("the CPF's description: %v", f)
		}
	}
	if p, _ := data(got)["pack"].(map[string]any); p["id"] != "br_bcb_3978" || p["version"] != "2020.1" || p["overridesHash"] == "" {
		t.Errorf("pack in the requirements: %v", data(got)["pack"])
	}
	if got := requirements("US", "LOW"); slices.Contains(fieldPaths(got, "mandatoryFields"), cpf) {
		t.Error("the Brazilian pack changed another country's requirements")
	}

	// Registration now requires a valid CPF.
	for _, tc := range []struct {
		name  string
		cf    map[string]any
		issue string
	}{
		{"missing", nil, cpf + ": is required for a low-risk customer in BR"},
		{"a check digit off by one", map[string]any{"cpf": "529.982.247-26"}, cpf + ": is not a valid CPF: the check digits do not match"},
		{"too short", map[string]any{"cpf": "529.982.247-2"}, cpf + ": must be a CPF: 11 digits"},
		{"all one digit", map[string]any{"cpf": "111.111.111-11"}, cpf + ": is not a CPF"},
		{"another country's field", map[string]any{"cpf": "529.982.247-25", "ssn": "536-22-1234"}, "individualCustomer.complianceFields.ssn: is not a compliance field for customers in BR"},
	} {
		resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, tok, brazilian(t, tc.cf), nil)
		if resp.StatusCode != 422 || !slices.ContainsFunc(details(out), func(d string) bool { return strings.HasPrefix(d, tc.issue) }) {
			t.Errorf("%s: %d %v; want 422 with %q", tc.name, resp.StatusCode, details(out), tc.issue)
		}
	}
	resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, tok, brazilian(t, map[string]any{"cpf": "52998224725"}), nil)
	if resp.StatusCode != 201 {
		t.Fatalf("registration with a valid CPF: %d %v", resp.StatusCode, out)
	}
	cust := data(out)["customerId"].(string)

	// The CPF is a virtual document, sealed: not in the database in clear.
	owner := dbtest.OwnerPool(t)
	var rows, plain int
	if err := owner.QueryRow(t.Context(), `SELECT count(*), count(*) FILTER (WHERE position($2::bytea IN value_sealed) > 0 OR position($3::bytea IN value_sealed) > 0
		OR v::text LIKE '%52998224725%' OR v::text LIKE '%529.982.247-25%')
		FROM virtual_documents v WHERE customer_id = $1 AND compliance_field = 'cpf' AND sub_type = 'TIN' AND country = 'BR'`,
		cust, []byte("52998224725"), []byte("529.982.247-25")).Scan(&rows, &plain); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || plain != 0 {
		t.Fatalf("%d CPF rows, %d with the number in clear; want 1 and 0", rows, plain)
	}
	var inAudit int
	if err := owner.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE after::text LIKE '%982.247%' OR after::text LIKE '%98224725%') FROM audit_log WHERE tenant_id = $1`,
		h.tenant.ID).Scan(&inAudit); err != nil {
		t.Fatal(err)
	}
	if inAudit != 0 {
		t.Errorf("the audit trail holds the CPF in clear %d times", inAudit)
	}
	// The user object lists it as a virtual document, masked.
	_, user := h.apiCall("GET", api.Prefix+"/customers/"+cust, h.tenant.Slug, tok, "", nil)
	raw, _ := json.Marshal(user)
	if !strings.Contains(string(raw), `"TIN"`) || strings.Contains(string(raw), "982.247") {
		t.Errorf("user object: %s", raw)
	}

	// PATCH validates the same way, naming the path, and replaces the value.
	patch := func(v string) (*http.Response, map[string]any) {
		return h.apiCall("PATCH", api.Prefix+"/customers/"+cust, h.tenant.Slug, tok, `{"individualCustomer":{"complianceFields":{"cpf":"`+v+`"}}}`, nil)
	}
	if resp, out := patch("111.444.777-36"); resp.StatusCode != 422 || details(out)[0] != cpf+": is not a valid CPF: the check digits do not match" {
		t.Errorf("PATCH with a bad CPF: %d %v", resp.StatusCode, details(out))
	}
	if resp, out := patch("111.444.777-35"); resp.StatusCode != 200 {
		t.Fatalf("PATCH with a good CPF: %d %v", resp.StatusCode, out)
	}
	// GET /customers/{id} (and PATCH's answer) lists the field on file,
	// masked: it identifies the person.
	for _, method := range []string{"GET", "PATCH"} {
		var resp *http.Response
		var out map[string]any
		if method == "GET" {
			resp, out = h.apiCall("GET", api.Prefix+"/customers/"+cust, h.tenant.Slug, tok, "", nil)
		} else {
			resp, out = patch("111.444.777-35")
		}
		fields, _ := data(out)["profile"].(map[string]any)["complianceFields"].(map[string]any)
		if got, _ := fields["cpf"].(string); resp.StatusCode != 200 || !strings.HasPrefix(got, "••••") || !strings.HasSuffix(got, "35") || strings.Contains(got, "444") || len(fields) != 1 {
			t.Errorf("%s: the customer's compliance fields %v (%d); want the CPF masked", method, fields, resp.StatusCode)
		}
	}

	// The 360 page: masked for an analyst and before the reveal, in full
	// for a senior reviewer after the audited reveal.
	custPage := "/customers/" + cust
	_, analyst := h.signIn(staff.Analyst)
	if got := text(doc(t, h.get(custPage, analyst)), `[data-testid="profile-compliance-cpf"]`); got == "" || strings.Contains(got, "111.444") || !strings.Contains(got, "•") {
		t.Errorf("analyst sees the CPF as %q; want it masked", got)
	}
	_, senior := h.signIn(staff.SeniorReviewer)
	if got := text(doc(t, h.get(custPage, senior)), `[data-testid="profile-compliance-cpf"]`); strings.Contains(got, "111.444") {
		t.Errorf("senior reviewer before the reveal sees %q", got)
	}
	if got := text(doc(t, h.follow(h.post(custPage+"/reveal", nil, senior), senior)), `[data-testid="profile-compliance-cpf"]`); got != "111.444.777-35" {
		t.Errorf("senior reviewer after the reveal sees %q; want the newest CPF", got)
	}
}

// The pack in force is recorded with each KYC decision, on the
// verification and in its audit record. The UK pack asks for no National
// Insurance number; the tenant's override makes it required, and a number
// HMRC never allocates is refused.
func TestPackInForceRecordedWithDecision(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	tok := h.reviewToken(credential.ScopeCatalogRead)
	_, makerC := h.signIn(staff.TenantAdmin)
	_, checkerC := h.signIn(staff.SeniorReviewer)
	nino := "individualCustomer.complianceFields.nino"
	resp := h.proposePack("uk_mlr_2017", url.Values{"countries": {"GB"}, "required-nino": {"LOW", "MEDIUM", "HIGH"}}, makerC)
	page := doc(t, h.get("/config/compliance-packs", updated(makerC, resp)))
	href, ok := page.Find(`[data-testid="pack-uk_mlr_2017"] [data-testid="pending-approval"] a`).Attr("href")
	if !ok {
		t.Fatalf("no pending approval: %d", resp.StatusCode)
	}
	h.approve(strings.TrimPrefix(href, "/approvals/"), checkerC)
	if d := doc(t, h.get("/config/compliance-packs", makerC)); d.Find(`[data-testid="pack-uk_mlr_2017"] [data-testid="pack-enabled"]`).Length() != 1 {
		t.Fatal("the pack page does not show the pack enabled")
	}

	h.loadLists()
	for _, tc := range []struct{ value, issue string }{
		{"", nino + ": is required for a low-risk customer in GB"},
		{"QQ 12 34 56 C", nino + ": is not a National Insurance number: no number begins with Q"},
		{"GB 12 34 56 A", nino + ": is not a National Insurance number: the prefix GB is not allocated"},
		{"AB 12 34 56 E", nino + ": is not a National Insurance number: the last letter is A, B, C or D"},
		{"AB 12 34 5 C", nino + ": must be a National Insurance number"},
	} {
		r, out := h.apiCall("POST", registerPath, h.tenant.Slug, tok, variant(t, func(m map[string]any) {
			noCategory(m)
			if tc.value != "" {
				ic(m)["complianceFields"] = map[string]any{"nino": tc.value}
			}
		}), nil)
		if r.StatusCode != 422 || !slices.ContainsFunc(details(out), func(d string) bool { return strings.HasPrefix(d, tc.issue) }) {
			t.Errorf("NIN %q: %d %v; want %q", tc.value, r.StatusCode, details(out), tc.issue)
		}
	}
	cust, vr := h.onboarded(h.tenant, tok, func(m map[string]any) {
		noCategory(m)
		ic(m)["complianceFields"] = map[string]any{"nino": "AB 12 34 56 C"}
	})
	if r, out := h.apiCall("POST", uploadPath, h.tenant.Slug, tok, uploadBody(vr, passport(t, nil)), nil); r.StatusCode != 200 {
		t.Fatalf("upload: %d %v", r.StatusCode, out)
	}
	h.waitStatus(h.tenant, tok, vr, "APPROVED")
	pol, err := h.s.Compliance.Policy(t.Context(), h.tenant.ID, "GB", "LOW")
	if err != nil {
		t.Fatal(err)
	}
	owner := dbtest.OwnerPool(t)
	var onRow, inAudit string
	if err := owner.QueryRow(t.Context(), `SELECT v.compliance_pack::text, a.after->'compliancePack'->>'overridesHash'
		FROM verification_requests v JOIN audit_log a ON a.entity_id = v.id::text AND a.action = 'verification.status.changed' AND a.after->>'status' = 'APPROVED'
		WHERE v.id = $1 AND v.customer_id = $2`, vr, cust).Scan(&onRow, &inAudit); err != nil {
		t.Fatal(err)
	}
	var rec struct{ ID, Version, OverridesHash string }
	if err := json.Unmarshal([]byte(onRow), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.ID != "uk_mlr_2017" || rec.Version != "2025.1" || rec.OverridesHash != pol.Pack.OverridesHash || inAudit != pol.Pack.OverridesHash {
		t.Errorf("recorded %s (audit %q); want %+v", onRow, inAudit, pol.Pack)
	}
}

// A pack's re-screening days drive the periodic monitoring: an
// uncategorised customer, left to list changes without a pack, is
// screened again when the pack's interval for their risk level has passed.
func TestPackRescreeningDrivesMonitoring(t *testing.T) {
	h := newHarness(t)
	t.Cleanup(func() { h.clock.set(time.Time{}) })
	tok := h.adminToken(h.tenant, credential.ScopeCustomersWrite)
	plain, _ := h.onboarded(h.tenant, tok, noCategory) // GB, LOW, no categorisation
	monitored := func() (n int) {
		t.Helper()
		if err := dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action = 'customer.monitored' AND reason_code = 'MONITORING_PACK'", plain).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	run := func() {
		t.Helper()
		if _, err := h.s.Customers.Monitor(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if monitored() != 0 {
		t.Fatal("an uncategorised customer was monitored without a pack")
	}
	_, makerC := h.signIn(staff.TenantAdmin)
	_, checkerC := h.signIn(staff.SeniorReviewer)
	resp := h.proposePack("uk_mlr_2017", url.Values{"countries": {"GB"}, "rescreen-LOW": {"30"}}, makerC)
	href, _ := doc(t, h.get("/config/compliance-packs", updated(makerC, resp))).Find(`[data-testid="pack-uk_mlr_2017"] [data-testid="pending-approval"] a`).Attr("href")
	h.approve(strings.TrimPrefix(href, "/approvals/"), checkerC)
	run()
	if monitored() != 1 {
		t.Fatalf("under the pack: monitored %d times; want 1", monitored())
	}
	h.clock.set(time.Now().Add(29 * 24 * time.Hour))
	run()
	if monitored() != 1 {
		t.Fatalf("within the pack's 30 days: monitored %d times; want 1", monitored())
	}
	h.clock.set(time.Now().Add(31 * 24 * time.Hour))
	run()
	if monitored() != 2 {
		t.Fatalf("after the pack's 30 days: monitored %d times; want 2", monitored())
	}
}

// A reviewer's decision records the pack in force too, on the
// verification and in the verification.reviewed audit record.
func TestPackRecordedWithReviewerDecision(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	tok := h.reviewToken()
	_, makerC := h.signIn(staff.TenantAdmin)
	_, seniorC := h.signIn(staff.SeniorReviewer)
	resp := h.proposePack("uk_mlr_2017", url.Values{"countries": {"GB"}, "retention-documents": {"2500"}}, makerC)
	href, ok := doc(t, h.get("/config/compliance-packs", updated(makerC, resp))).Find(`[data-testid="pack-uk_mlr_2017"] [data-testid="pending-approval"] a`).Attr("href")
	if !ok {
		t.Fatalf("no pending approval: %d", resp.StatusCode)
	}
	h.approve(strings.TrimPrefix(href, "/approvals/"), seniorC)
	h.loadLists()
	cust, vr := h.toReview(tok, "MEDIUM")
	if resp := h.post("/reviews/"+vr+"/decide", decideForm("APPROVE", "the address was confirmed by a call", nil), seniorC); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("decide: %d", resp.StatusCode)
	}
	pol, err := h.s.Compliance.Policy(t.Context(), h.tenant.ID, "GB", "MEDIUM")
	if err != nil {
		t.Fatal(err)
	}
	var onRow, inAudit string
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), `SELECT v.compliance_pack::text, a.after->'compliancePack'->>'overridesHash'
		FROM verification_requests v JOIN audit_log a ON a.entity_id = v.id::text AND a.action = 'verification.reviewed'
		WHERE v.id = $1 AND v.customer_id = $2 AND v.status = 'APPROVED'`, vr, cust).Scan(&onRow, &inAudit); err != nil {
		t.Fatal(err)
	}
	var rec struct{ ID, Version, OverridesHash string }
	if err := json.Unmarshal([]byte(onRow), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.ID != "uk_mlr_2017" || rec.OverridesHash == "" || rec.OverridesHash != pol.Pack.OverridesHash || inAudit != pol.Pack.OverridesHash {
		t.Errorf("recorded %s (audit %q); want %+v", onRow, inAudit, pol.Pack)
	}
}
