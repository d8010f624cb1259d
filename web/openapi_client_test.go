package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/evidence/evidencetest"
	"github.com/ciamhq/ciam/web/api"
	"github.com/ciamhq/ciam/web/api/client"
)

// The published OpenAPI description against the real server: the file the
// Go client is generated from is the one served, every answer of the
// guide flow is valid against it (with no undocumented field), every
// error code is one its response lists, and the generated client alone
// drives guides 001 and 004 from the token to the activation.

// specFile is the served description, kept for make generate.
const specFile = "api/client/openapi.json"

// servedSpec is GET /api/v2.1/openapi.json, decoded.
func (h *harness) servedSpec() map[string]any {
	h.t.Helper()
	resp := h.get(api.Prefix + "/openapi.json")
	defer resp.Body.Close()
	var spec map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&spec); err != nil {
		h.t.Fatal(err)
	}
	return spec
}

// TestOpenAPISpecFile: the file the client is generated from is the
// description the server publishes (but for the server's address).
// CIAM_UPDATE_OPENAPI=1 rewrites it; then run make generate.
func TestOpenAPISpecFile(t *testing.T) {
	h := newHarness(t)
	spec := h.servedSpec()
	spec["servers"] = []any{map[string]any{"url": "http://localhost:8080", "description": "make run"}}
	if os.Getenv("CIAM_UPDATE_OPENAPI") == "1" {
		b, _ := json.MarshalIndent(spec, "", "  ")
		if err := os.WriteFile(specFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(file, spec); d != "" {
		t.Fatalf("%s is not the served description; run CIAM_UPDATE_OPENAPI=1 go test ./web/ -run TestOpenAPISpecFile, then make generate (-file +served):\n%s", specFile, d)
	}
}

// specValidator validates answers against the served description.
type specValidator struct {
	spec     map[string]any
	compiler *jsonschema.Compiler
}

const specURL = "https://ciam.test/openapi.json"

// newSpecValidator compiles the served description, with every object
// that lists its properties closed to others, so that an undocumented
// field of an answer fails too.
func (h *harness) newSpecValidator() *specValidator {
	h.t.Helper()
	spec := h.servedSpec()
	raw, _ := json.Marshal(spec)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		h.t.Fatal(err)
	}
	closeObjects(doc)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(specURL, doc); err != nil {
		h.t.Fatal(err)
	}
	return &specValidator{spec: spec, compiler: c}
}

func closeObjects(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if k == "examples" || k == "example" {
				continue
			}
			closeObjects(e)
		}
		if _, ok := v["properties"].(map[string]any); ok {
			if _, set := v["additionalProperties"]; !set {
				v["additionalProperties"] = false
			}
		}
	case []any:
		for _, e := range v {
			closeObjects(e)
		}
	}
}

func pointer(parts ...string) string {
	r := strings.NewReplacer("~", "~0", "/", "~1")
	var b strings.Builder
	for _, p := range parts {
		b.WriteString("/" + r.Replace(p))
	}
	return (&url.URL{Fragment: b.String()}).String()
}

// check validates body, the answer of status to method path (the route's
// pattern), against the operation's response; for an error it also wants
// the code among those the response lists.
func (v *specValidator) check(t testing.TB, method, path string, status int, body []byte) {
	t.Helper()
	op, _ := v.spec["paths"].(map[string]any)[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
	if op == nil {
		t.Fatalf("the description has no %s %s", method, path)
	}
	responses := op["responses"].(map[string]any)
	key := itoa(status)
	resp, ok := responses[key].(map[string]any)
	if !ok {
		t.Fatalf("%s %s answered %d, which its responses do not list: %s", method, path, status, body)
	}
	if ref, ok := resp["$ref"].(string); ok {
		resp = v.spec["components"].(map[string]any)["responses"].(map[string]any)[strings.TrimPrefix(ref, "#/components/responses/")].(map[string]any)
	}
	sch, err := v.compiler.Compile(specURL + pointer("paths", path, strings.ToLower(method), "responses", key) + "/content/application~1json/schema")
	if _, isRef := responses[key].(map[string]any)["$ref"]; isRef {
		sch, err = v.compiler.Compile(specURL + resp["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)["$ref"].(string))
	}
	if err != nil {
		t.Fatalf("%s %s %d: %v", method, path, status, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s %s %d: the answer is not JSON: %v", method, path, status, err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s %s %d: the answer does not follow the description: %v\n%s", method, path, status, err, body)
	}
	if codes, ok := resp["x-error-codes"].([]any); ok {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		if !slices.Contains(codes, any(e.Error.Code)) {
			t.Errorf("%s %s %d: code %s is not among the listed %v", method, path, status, e.Error.Code, codes)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// answer is what every response of the generated client has.
type answer interface {
	StatusCode() int
}

// checked validates a generated client's answer against the description
// and fails unless it has status want.
func (v *specValidator) checked(t testing.TB, method, path string, want int, r answer, body []byte, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	v.check(t, method, path, r.StatusCode(), body)
	if r.StatusCode() != want {
		t.Fatalf("%s %s: %d %s; want %d", method, path, r.StatusCode(), body, want)
	}
}

// typed decodes a JSON body as the generated client's request type and
// wants it to say all the body says: the description describes every
// field the guide sends.
func typed[T any](t testing.TB, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("the generated request type does not take the body: %v\n%s", err, body)
	}
	again, _ := json.Marshal(v)
	var want, got any
	_ = json.Unmarshal(body, &want)
	_ = json.Unmarshal(again, &got)
	if d := cmp.Diff(dropNulls(want), got); d != "" {
		t.Fatalf("the generated request type loses part of the body (-body +typed):\n%s", d)
	}
	return v
}

// dropNulls removes null members: a typed body leaves them out.
func dropNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
			} else {
				v[k] = dropNulls(e)
			}
		}
	case []any:
		for i, e := range v {
			v[i] = dropNulls(e)
		}
	}
	return v
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGeneratedClientGuideFlow drives guides 001 and 004 for the guide's
// HIGH-risk customer with the generated client only, each request body
// the guide's as written, each answer checked against the description.
func TestGeneratedClientGuideFlow(t *testing.T) {
	h := newHarness(t)
	h.loadLists()
	dt := h.demoTenant()
	h.startJobs()
	v := h.newSpecValidator()
	ctx := t.Context()
	tenant := client.TenantID(dt.Slug)

	// Guide 000: an admin token, client credentials.
	c, secret, err := h.s.APIClients.Create(actor.With(ctx, actor.Actor{Kind: actor.System, Name: "test"}), dt.ID, "generated client", []string{credential.ScopeCustomersWrite, credential.ScopeCustomersRead,
		credential.ScopeVerificationWrite, credential.ScopeVerificationReview, credential.ScopeVerificationReviewHigh})
	if err != nil {
		t.Fatal(err)
	}
	anon, err := client.NewClientWithResponses(h.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := anon.PostOauthTokenWithFormdataBodyWithResponse(ctx, client.PostOauthTokenFormdataRequestBody{
		GrantType: client.ClientCredentials, ClientId: &c.ClientID, ClientSecret: &secret})
	v.checked(t, "POST", "/oauth/token", 200, tr, tr.Body, err)
	tok := tr.JSON200.AccessToken
	cl, err := client.NewClientWithResponses(h.srv.URL, client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}

	// Guide 001 Step 1: the categories.
	hr, err := cl.GetCustomerIndividualCategorizationHierarchyTenantIdWithResponse(ctx, dt.Slug,
		&client.GetCustomerIndividualCategorizationHierarchyTenantIdParams{XTenantID: tenant})
	v.checked(t, "GET", api.Prefix+"/customer/individual/categorization/hierarchy/{tenantId}", 200, hr, hr.Body, err)
	var high bool
	for _, cat := range hr.JSON200.Data {
		high = high || cat.Name == "HIGH_RISK_INDIVIDUAL"
	}
	if !high {
		t.Fatalf("the hierarchy lacks the guide's HIGH_RISK_INDIVIDUAL: %s", hr.Body)
	}

	// Step 2: the guide's registration body.
	body, _ := guideRegistration(t)
	rr, err := cl.PostCustomerIndividualRegistrationWithResponse(ctx, &client.PostCustomerIndividualRegistrationParams{XTenantID: tenant},
		typed[client.PostCustomerIndividualRegistrationJSONRequestBody](t, body))
	v.checked(t, "POST", registerPath, 201, rr, rr.Body, err)
	reg := rr.JSON201.Data
	if reg.Status != "PENDING_VERIFICATION" || reg.RiskLevel != "HIGH" || reg.Categorization == nil || reg.Categorization.Name == nil ||
		*reg.Categorization.Name != "HIGH_RISK_INDIVIDUAL" {
		t.Fatalf("registration: %s", rr.Body)
	}
	// The same e-mail address again: an error the response lists.
	again, err := cl.PostCustomerIndividualRegistrationWithResponse(ctx, &client.PostCustomerIndividualRegistrationParams{XTenantID: tenant},
		typed[client.PostCustomerIndividualRegistrationJSONRequestBody](t, body))
	v.checked(t, "POST", registerPath, 409, again, again.Body, err)
	if again.JSON409.Error.Code != client.ErrorCodeEMAILALREADYREGISTERED {
		t.Fatalf("again: %s", again.Body)
	}
	vr, cust := reg.VerificationRequestId.String(), reg.CustomerId.String()
	params := &client.PostVerificationDocumentsUploadParams{XTenantID: tenant}

	// Guide 004 Step 1: the guide's upload (passport and bill, rendered).
	p := guideHolder()
	ur, err := cl.PostVerificationDocumentsUploadWithResponse(ctx, params,
		typed[client.PostVerificationDocumentsUploadJSONRequestBody](t, []byte(guideUpload(t, vr, p, true))))
	v.checked(t, "POST", uploadPath, 200, ur, ur.Body, err)
	if ur.JSON200.Data.Status != "DOCUMENTS_RECEIVED" || ur.JSON200.Data.DocumentsProcessed != 2 {
		t.Fatalf("upload: %s", ur.Body)
	}
	// HIGH risk also gives a selfie and the source of funds.
	sof := p.bill(time.Now().AddDate(0, 0, -5))
	sof.Issuer = "FIRST NATIONAL BANK"
	more := uploadBody(vr, upDoc{"SELFIE", "", selfieJPEG(t, p), nil}, upDoc{"SOURCE_OF_FUNDS", "BANK_STATEMENT", evidencetest.BillPDF(sof), nil})
	mr, err := cl.PostVerificationDocumentsUploadWithResponse(ctx, params, typed[client.PostVerificationDocumentsUploadJSONRequestBody](t, []byte(more)))
	v.checked(t, "POST", uploadPath, 200, mr, mr.Body, err)

	// Step 2: the status, until people have it.
	statusPath := api.Prefix + "/verification/status/{id}"
	var st *client.GetVerificationStatusIdResponse
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		st, err = cl.GetVerificationStatusIdWithResponse(ctx, vr, &client.GetVerificationStatusIdParams{XTenantID: tenant})
		v.checked(t, "GET", statusPath, 200, st, st.Body, err)
		if st.JSON200.Data.Status == "PENDING_REVIEW" && st.JSON200.Data.ChecksState == "DONE" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status: %s; want PENDING_REVIEW", st.Body)
		}
	}
	if d := st.JSON200.Data; d.RiskLevel != "HIGH" || d.AssignedTo == nil || *d.AssignedTo != "COMPLIANCE_TEAM" || d.EstimatedReviewTime == nil {
		t.Fatalf("status: %s", st.Body)
	}
	unknown, err := cl.GetVerificationStatusIdWithResponse(ctx, "00000000-0000-4000-8000-000000000000", &client.GetVerificationStatusIdParams{XTenantID: tenant})
	v.checked(t, "GET", statusPath, 404, unknown, unknown.Body, err)

	// Step 3: the guide's review.
	review := contractMap(t, "004-review.request.json")
	review["verificationRequestId"] = vr
	rv, err := cl.PostAdminVerificationReviewWithResponse(ctx, &client.PostAdminVerificationReviewParams{XTenantID: tenant},
		typed[client.PostAdminVerificationReviewJSONRequestBody](t, mustJSON(t, review)))
	v.checked(t, "POST", api.Prefix+"/admin/verification/review", 200, rv, rv.Body, err)
	if rv.JSON200.Data.Status != "APPROVED" {
		t.Fatalf("review: %s", rv.Body)
	}

	// Step 4: the guide's activation, with the review's limits.
	act := contractMap(t, "004-activation.request.json")
	act["customerId"] = cust
	ar, err := cl.PostCustomerIndividualActivateWithResponse(ctx, &client.PostCustomerIndividualActivateParams{XTenantID: tenant},
		typed[client.PostCustomerIndividualActivateJSONRequestBody](t, mustJSON(t, act)))
	v.checked(t, "POST", api.Prefix+"/customer/individual/activate", 200, ar, ar.Body, err)
	l := ar.JSON200.Data.AccountDetails.AppliedLimits
	if ar.JSON200.Data.Status != "ACTIVE" || ar.JSON200.Data.AccountDetails.Iban == nil || l.Source != "RISK_MITIGATION" ||
		l.DailyTransactionLimit == nil || *l.DailyTransactionLimit != "5000.00" {
		t.Fatalf("activation: %s", ar.Body)
	}

	// The customer as the portal and the guide's user object show it.
	gr, err := cl.GetCustomersIdWithResponse(ctx, cust, &client.GetCustomersIdParams{XTenantID: tenant})
	v.checked(t, "GET", api.Prefix+"/customers/{id}", 200, gr, gr.Body, err)
}

// TestOpenAPIErrorAnswers: errors of the guard, the decoder and the
// registration follow the description, each with a code its response
// lists, sent with the generated client.
func TestOpenAPIErrorAnswers(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	v := h.newSpecValidator()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
	body, _ := guideRegistration(t)
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	ic(m)["nickname"] = "JD"
	unknownField := string(mustJSON(t, m))
	bearer := func(tok string) client.ClientOption {
		return client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			if tok != "" {
				r.Header.Set("Authorization", "Bearer "+tok)
			}
			return nil
		})
	}
	register := func(tenant, tok, body string) (answer, []byte, error) {
		cl, _ := client.NewClientWithResponses(h.srv.URL, bearer(tok))
		r, err := cl.PostCustomerIndividualRegistrationWithBodyWithResponse(t.Context(),
			&client.PostCustomerIndividualRegistrationParams{XTenantID: client.TenantID(tenant)}, "application/json", strings.NewReader(body))
		if err != nil {
			return nil, nil, err
		}
		return r, r.Body, nil
	}
	tests := []struct {
		name   string
		call   func() (answer, []byte, error)
		method string
		route  string
		status int
	}{
		{"unknown nested field", func() (answer, []byte, error) { return register(dt.Slug, tok, unknownField) }, "POST", registerPath, 400},
		{"not JSON", func() (answer, []byte, error) { return register(dt.Slug, tok, "{") }, "POST", registerPath, 400},
		{"no token", func() (answer, []byte, error) { return register(dt.Slug, "", string(body)) }, "POST", registerPath, 401},
		{"unknown tenant", func() (answer, []byte, error) { return register("no-such-tenant", tok, string(body)) }, "POST", registerPath, 404},
		{"validation", func() (answer, []byte, error) {
			return register(dt.Slug, tok, `{"password":"x","matchingPassword":"y","individualCustomer":{}}`)
		}, "POST", registerPath, 422},
		{"another scope", func() (answer, []byte, error) {
			cl, _ := client.NewClientWithResponses(h.srv.URL, bearer(tok))
			r, err := cl.PostVerificationDocumentsUploadWithBodyWithResponse(t.Context(),
				&client.PostVerificationDocumentsUploadParams{XTenantID: client.TenantID(dt.Slug)}, "application/json", strings.NewReader(`{}`))
			if err != nil {
				return nil, nil, err
			}
			return r, r.Body, nil
		}, "POST", uploadPath, 403},
		{"unknown customer", func() (answer, []byte, error) {
			cl, _ := client.NewClientWithResponses(h.srv.URL, bearer(tok))
			r, err := cl.GetCustomersIdWithResponse(t.Context(), "00000000-0000-4000-8000-000000000000", &client.GetCustomersIdParams{XTenantID: client.TenantID(dt.Slug)})
			if err != nil {
				return nil, nil, err
			}
			return r, r.Body, nil
		}, "GET", api.Prefix + "/customers/{id}", 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, b, err := tc.call()
			v.checked(t, tc.method, tc.route, tc.status, r, b, err)
		})
	}
}
