package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/tenant"
	"github.com/ciamhq/ciam/web/api"
)

// valueDoc is one virtual or social document of an upload body.
type valueDoc struct {
	Type, SubType, Value string
	Country              string // metadata.issuingCountry; "" for none
}

func (v valueDoc) json() map[string]any {
	m := map[string]any{"type": v.Type, "subType": v.SubType, "value": v.Value}
	if v.Country != "" {
		m["metadata"] = map[string]any{"issuingCountry": v.Country}
	}
	return m
}

// valueUpload is an upload body of vr with docs (valueDoc or a file's
// upDoc).
func valueUpload(vr string, docs ...any) string {
	var ds []map[string]any
	for _, d := range docs {
		switch d := d.(type) {
		case valueDoc:
			ds = append(ds, d.json())
		case upDoc:
			var body map[string]any
			_ = json.Unmarshal([]byte(uploadBody(vr, d)), &body)
			ds = append(ds, body["documents"].([]any)[0].(map[string]any))
		case map[string]any:
			ds = append(ds, d)
		}
	}
	b, _ := json.Marshal(map[string]any{"verificationRequestId": vr, "documents": ds})
	return string(b)
}

func virtualDoc(sub, value, country string) valueDoc {
	return valueDoc{"VIRTUAL_DOCUMENT", sub, value, country}
}

func socialDoc(sub, value string) valueDoc { return valueDoc{"SOCIAL_DOCUMENT", sub, value, ""} }

// Each kind of value, valid and not, through the real upload: a valid one
// is accepted and listed masked; an invalid one is 422 naming the field,
// never a 500, whatever the bytes.
func TestVirtualDocumentValidation(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeCustomersRead, credential.ScopeVerificationWrite)

	valid := []struct {
		name     string
		doc      valueDoc
		wantType string
		wantShow string
	}{
		{"SSN with hyphens", virtualDoc("SSN", "123-45-6789", ""), "SSN", "•••• 6789"},
		{"SSN as 9 digits", virtualDoc("ssn", "219099999", "US"), "SSN", "•••• 9999"},
		{"US EIN", virtualDoc("TIN", "12-3456789", "US"), "TIN", "•••• 6789"},
		{"French TIN", virtualDoc("TIN", "12 34 567 890 123", "FR"), "TIN", "•••• 0123"},
		{"passport number", virtualDoc("PASSPORT_NUMBER", "x1234567", ""), "PASSPORT_NUMBER", "•••• 4567"},
		{"UK National Insurance number", virtualDoc("NATIONAL_ID", "AB 12 34 56 C", "GB"), "NATIONAL_ID", "•••• 456C"},
		{"Spanish DNI", virtualDoc("NATIONAL_ID", "12345678-Z", "ES"), "NATIONAL_ID", "•••• 678Z"},
		{"Spanish NIE", virtualDoc("NATIONAL_ID", "X1234567L", "ES"), "NATIONAL_ID", "•••• 567L"},
		{"another country's national id", virtualDoc("NATIONAL_ID", "ab12345", "FR"), "NATIONAL_ID", "•••• 2345"},
		{"LinkedIn", socialDoc("LINKEDIN", "https://www.linkedin.com/in/john-doe"), "LINKEDIN", "https://www.linkedin.com/in/john-doe"},
		{"Facebook", socialDoc("FACEBOOK", "https://m.facebook.com/john.doe#top"), "FACEBOOK", "https://m.facebook.com/john.doe"},
		{"X as TWITTER", socialDoc("X", "https://X.com/johndoe"), "TWITTER", "https://x.com/johndoe"},
		{"another site", socialDoc("OTHER", "https://github.com/johndoe"), "OTHER", "https://github.com/johndoe"},
	}
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			cust, vr := h.onboarded(dt, tok, noCategory)
			resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, valueUpload(vr, tc.doc), nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("upload: %d %v", resp.StatusCode, out)
			}
			key := "virtualDocuments"
			list := "virtual_docs"
			if tc.doc.Type == "SOCIAL_DOCUMENT" {
				key, list = "socialDocuments", "social_docs"
			}
			got, _ := json.Marshal(data(out)["processingDetails"].(map[string]any)[key])
			if want := fmt.Sprintf(`[{"status":"SUBMITTED|VALID","type":%q}]`, tc.wantType); string(got) != want {
				t.Errorf("processingDetails.%s = %s; want %s", key, got, want)
			}
			_, c := h.apiCall("GET", api.Prefix+"/customers/"+cust, dt.Slug, tok, "", nil)
			docs := data(c)["documents"].([]any)[0].(map[string]any)[list].([]any)
			if len(docs) != 1 {
				t.Fatalf("%s = %v", list, docs)
			}
			d := docs[0].(map[string]any)
			if d["document_type"] != tc.wantType || d["value"] != tc.wantShow || d["status"] != "SUBMITTED|VALID" {
				t.Errorf("%s[0] = %v; want %s %q SUBMITTED|VALID", list, d, tc.wantType, tc.wantShow)
			}
		})
	}

	invalid := []struct {
		name  string
		doc   any
		field string
	}{
		{"SSN area 000", virtualDoc("SSN", "000-12-3456", ""), "value"},
		{"SSN area 666", virtualDoc("SSN", "666-12-3456", ""), "value"},
		{"SSN area 900", virtualDoc("SSN", "900-12-3456", ""), "value"},
		{"SSN group 00", virtualDoc("SSN", "123-00-4567", ""), "value"},
		{"SSN serial 0000", virtualDoc("SSN", "123-45-0000", ""), "value"},
		{"SSN grouped wrongly", virtualDoc("SSN", "12-345-6789", ""), "value"},
		{"SSN with one hyphen", virtualDoc("SSN", "123-456789", ""), "value"},
		{"SSN of a British document", virtualDoc("SSN", "123-45-6789", "GB"), "subType"},
		{"US TIN as an SSN", virtualDoc("TIN", "123-45-6789", "US"), "value"},
		{"EIN prefix never assigned", virtualDoc("TIN", "07-1234567", "US"), "value"},
		{"TIN too short", virtualDoc("TIN", "A1234", "FR"), "value"},
		{"TIN without a digit", virtualDoc("TIN", "ABCDEFGH", "FR"), "value"},
		{"passport number too short", virtualDoc("PASSPORT_NUMBER", "12345", ""), "value"},
		{"passport number too long", virtualDoc("PASSPORT_NUMBER", "1234567890", ""), "value"},
		{"passport number with a hyphen", virtualDoc("PASSPORT_NUMBER", "AB-12345", ""), "value"},
		{"NINO first letter Q", virtualDoc("NATIONAL_ID", "QQ123456C", "GB"), "value"},
		{"NINO suffix E", virtualDoc("NATIONAL_ID", "AB123456E", "GB"), "value"},
		{"NINO prefix GB", virtualDoc("NATIONAL_ID", "GB123456A", "GB"), "value"},
		{"DNI wrong letter", virtualDoc("NATIONAL_ID", "12345678A", "ES"), "value"},
		{"national id too short", virtualDoc("NATIONAL_ID", "12 34", "FR"), "value"},
		{"unknown virtual sub-type", virtualDoc("DRIVERS_LICENSE_NUMBER", "D1234567", ""), "subType"},
		{"no value", virtualDoc("SSN", "", ""), "value"},
		{"social over http", socialDoc("LINKEDIN", "http://www.linkedin.com/in/john-doe"), "value"},
		{"social on another network", socialDoc("LINKEDIN", "https://www.facebook.com/john.doe"), "value"},
		{"social look-alike host", socialDoc("LINKEDIN", "https://evil-linkedin.com/in/john-doe"), "value"},
		{"social with a user name", socialDoc("TWITTER", "https://john:pw@twitter.com/johndoe"), "value"},
		{"social home page", socialDoc("FACEBOOK", "https://www.facebook.com/"), "value"},
		{"social to an address", socialDoc("OTHER", "https://127.0.0.1/johndoe"), "value"},
		{"social not a URL", socialDoc("OTHER", "john doe on github"), "value"},
		{"social over 300 characters", socialDoc("OTHER", "https://example.com/"+strings.Repeat("a", 290)), "value"},
		{"unknown social sub-type", socialDoc("MYSPACE", "https://myspace.com/johndoe"), "subType"},
		{"a 70 KB value", virtualDoc("PASSPORT_NUMBER", strings.Repeat("A", 70<<10), ""), "value"},
		{"a value on a passport", map[string]any{"type": "IDENTITY_DOCUMENT", "subType": "PASSPORT", "content": "aGVsbG8=", "value": "X1234567"}, "value"},
		{"a file with a virtual document", map[string]any{"type": "VIRTUAL_DOCUMENT", "subType": "SSN", "value": "123-45-6789", "content": "aGVsbG8="}, "content"},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			_, vr := h.onboarded(dt, tok, noCategory)
			resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, valueUpload(vr, tc.doc), nil)
			want := "documents[0]." + tc.field + ":"
			if resp.StatusCode != http.StatusUnprocessableEntity || errCode(out) != "VALIDATION_FAILED" || len(details(out)) != 1 || !strings.HasPrefix(details(out)[0], want) {
				t.Fatalf("%d %s %v; want 422 VALIDATION_FAILED on %s", resp.StatusCode, errCode(out), details(out), want)
			}
			if v, ok := tc.doc.(valueDoc); ok && len(v.Value) >= 6 && strings.Contains(details(out)[0], v.Value) {
				t.Errorf("the error repeats the value: %s", details(out)[0])
			}
		})
	}
	// A NUL byte is bad text, refused by the decoder before validation:
	// 400 naming the field, and the value is not repeated.
	t.Run("a NUL byte", func(t *testing.T) {
		h := h.with(t)
		_, vr := h.onboarded(dt, tok, noCategory)
		resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, valueUpload(vr, virtualDoc("SSN", "123-45-6789\x00", "")), nil)
		if resp.StatusCode != http.StatusBadRequest || errCode(out) != "INVALID_REQUEST" || len(details(out)) != 1 ||
			!strings.HasPrefix(details(out)[0], "documents[0].value:") || strings.Contains(details(out)[0], "123-45-6789") {
			t.Fatalf("%d %s %v; want 400 INVALID_REQUEST on documents[0].value", resp.StatusCode, errCode(out), details(out))
		}
	})
}

// A mixed upload (a passport, an SSN and a LinkedIn profile): the SSN is
// sealed at rest, audited and shown only masked, the same value again is a
// duplicate, and the answers follow the OpenAPI description.
func TestVirtualDocumentsSealedMaskedAudited(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeCustomersRead, credential.ScopeVerificationWrite)
	spec := h.newSpecValidator()
	cust, vr := h.onboarded(dt, tok, noCategory)
	const ssn = "234-56-7891"
	const profile = "https://www.linkedin.com/in/john-doe-0042"

	resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, valueUpload(vr, passport(t, nil), virtualDoc("SSN", ssn, ""), socialDoc("LINKEDIN", profile)), nil)
	raw, _ := json.Marshal(out)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: %d %s", resp.StatusCode, raw)
	}
	spec.check(t, "POST", uploadPath, resp.StatusCode, raw)
	d := data(out)
	pd := d["processingDetails"].(map[string]any)
	if d["documentsProcessed"] != float64(3) || d["status"] != "DOCUMENTS_RECEIVED" || pd["identityDocument"] == nil || pd["virtualDocuments"] == nil || pd["socialDocuments"] == nil {
		t.Errorf("answer = %s", raw)
	}
	if strings.Contains(string(raw), "7891") || strings.Contains(string(raw), "john-doe-0042") {
		t.Errorf("the upload's answer carries a value: %s", raw)
	}

	// At rest: the table as its owner sees it holds no plaintext.
	owner := dbtest.OwnerPool(t)
	var rows, plain int
	err := owner.QueryRow(t.Context(), `SELECT count(*), count(*) FILTER (WHERE position($2::bytea IN value_sealed) > 0 OR position($3::bytea IN value_sealed) > 0
		OR position($2::bytea IN value_mac) > 0 OR v::text LIKE '%' || $4 || '%' OR v::text LIKE '%john-doe-0042%')
		FROM virtual_documents v WHERE tenant_id = $1 AND verification_request_id = $5`,
		dt.ID, []byte(ssn), []byte("234567891"), ssn, vr).Scan(&rows, &plain)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 2 || plain != 0 {
		t.Errorf("%d rows, %d with the plaintext; want 2 and 0", rows, plain)
	}

	// The user object: masked, in its lists, as described.
	resp, c := h.apiCall("GET", api.Prefix+"/customers/"+cust, dt.Slug, tok, "", nil)
	raw, _ = json.Marshal(c)
	spec.check(t, "GET", api.Prefix+"/customers/{id}", resp.StatusCode, raw)
	if strings.Contains(string(raw), ssn) || strings.Contains(string(raw), "234567891") {
		t.Errorf("the user object carries the SSN: %s", raw)
	}
	set := data(c)["documents"].([]any)[0].(map[string]any)
	virtual, _ := set["virtual_docs"].([]any)
	social, _ := set["social_docs"].([]any)
	if len(virtual) != 1 || len(social) != 1 {
		t.Fatalf("virtual_docs %v, social_docs %v", virtual, social)
	}
	v := virtual[0].(map[string]any)
	if v["document_type"] != "SSN" || v["value"] != "•••• 7891" || v["status"] != "SUBMITTED|VALID" || v["id"] == nil {
		t.Errorf("virtual_docs[0] = %v", v)
	}
	if ms, ok := v["last_updated"].(float64); !ok || ms < 1e12 {
		t.Errorf("last_updated = %v; want unix milliseconds", v["last_updated"])
	}
	if s := social[0].(map[string]any); s["document_type"] != "LINKEDIN" || s["value"] != profile {
		t.Errorf("social_docs[0] = %v", s)
	}
	if ds := data(c)["doc_status"].(map[string]any); ds["virtual_doc"] != "SUBMITTED|VALID" {
		t.Errorf("doc_status.virtual_doc = %v", ds["virtual_doc"])
	}

	// Audited in the masked form, never the value; never logged.
	var audited, leaked int
	err = owner.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE entity_type = 'virtual_document' AND after->>'masked' = '•••• 7891'
			AND after->>'verificationRequestId' = $3),
		count(*) FILTER (WHERE coalesce(before::text, '') || coalesce(after::text, '') LIKE ANY (ARRAY['%' || $2 || '%', '%234567891%', '%john-doe-0042%']))
		FROM audit_log WHERE tenant_id = $1`, dt.ID, ssn, vr).Scan(&audited, &leaked)
	if err != nil {
		t.Fatal(err)
	}
	if audited != 1 || leaked != 0 {
		t.Errorf("%d audit records of the SSN in its masked form, %d with a value; want 1 and 0", audited, leaked)
	}
	if logs := h.logs.String(); strings.Contains(logs, ssn) || strings.Contains(logs, "john-doe-0042") {
		t.Error("the server's log carries a value")
	}

	// The same value again, written another way, and the same URL: 409.
	for i, again := range []valueDoc{virtualDoc("SSN", "234567891", "US"), socialDoc("LINKEDIN", profile)} {
		resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, valueUpload(vr, again), nil)
		raw, _ := json.Marshal(out)
		if resp.StatusCode != http.StatusConflict || errCode(out) != "DUPLICATE_UPLOAD" || len(details(out)) == 0 || !strings.HasPrefix(details(out)[0], "documents[0].value:") {
			t.Errorf("again %d: %d %s", i, resp.StatusCode, raw)
		}
		spec.check(t, "POST", uploadPath, resp.StatusCode, raw)
	}
	// Twice in one upload: the second.
	resp, out = h.apiCall("POST", uploadPath, dt.Slug, tok, valueUpload(vr, virtualDoc("TIN", "12-3456789", "US"), virtualDoc("TIN", "123456789", "US")), nil)
	if resp.StatusCode != http.StatusConflict || len(details(out)) == 0 || !strings.HasPrefix(details(out)[0], "documents[1].value:") {
		t.Errorf("twice in one upload: %d %v", resp.StatusCode, out)
	}
}

// Values only leave the verification as it was; the answer says so.
func TestVirtualDocumentsAloneLeaveTheVerification(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeCustomersRead, credential.ScopeVerificationWrite)
	spec := h.newSpecValidator()
	_, vr := h.onboarded(dt, tok, noCategory)
	resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, valueUpload(vr, virtualDoc("PASSPORT_NUMBER", "X1234567", "")), nil)
	raw, _ := json.Marshal(out)
	if resp.StatusCode != http.StatusOK || data(out)["status"] != "AWAITING_DOCUMENTS" || data(out)["nextStep"] != "UPLOAD_DOCUMENTS" {
		t.Fatalf("upload: %d %s", resp.StatusCode, raw)
	}
	spec.check(t, "POST", uploadPath, resp.StatusCode, raw)
	_, st := h.apiCall("GET", api.Prefix+"/verification/status/"+vr, dt.Slug, tok, "", nil)
	if data(st)["status"] != "AWAITING_DOCUMENTS" {
		t.Errorf("status = %v; want AWAITING_DOCUMENTS", data(st)["status"])
	}
}

// Who may add a value: an admin token of the verification's tenant, and
// the customer's own token; another tenant's verification and another
// customer's are not found.
func TestVirtualDocumentAccess(t *testing.T) {
	h, admin := sessionHarness(t)
	upload := h.adminToken(h.tenant, credential.ScopeVerificationWrite, credential.ScopeCustomersRead)
	vrOf := func(id string) string {
		_, c := h.apiCall("GET", api.Prefix+"/customers/"+id, h.tenant.Slug, admin, "", nil)
		return data(c)["verification"].(map[string]any)["verificationRequestId"].(string)
	}
	mine, email := h.newCustomer(admin)
	theirs, _ := h.newCustomer(admin)
	myVR, theirVR := vrOf(mine), vrOf(theirs)
	customerTok, _ := h.customerTokens(email)

	other, err := h.s.Tenants.Create(t.Context(), tenant.CreateParams{Slug: "o-" + uuid.NewString()[:8], Name: "Other Ltd"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	otherTok := h.adminToken(other, credential.ScopeVerificationWrite)

	tests := []struct {
		name, tenant, token, vr string
		status                  int
	}{
		{"the customer's own verification", h.tenant.Slug, customerTok, myVR, 200},
		{"another customer's verification", h.tenant.Slug, customerTok, theirVR, 404},
		{"another tenant's verification", other.Slug, otherTok, myVR, 404},
		{"the tenant's admin token", h.tenant.Slug, upload, theirVR, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, out := h.apiCall("POST", uploadPath, tc.tenant, tc.token, valueUpload(tc.vr, virtualDoc("SSN", "123-45-6789", "US")), nil)
			if resp.StatusCode != tc.status {
				t.Fatalf("%d %v; want %d", resp.StatusCode, out, tc.status)
			}
			if tc.status == 404 && errCode(out) != "VERIFICATION_NOT_FOUND" {
				t.Errorf("code %s; want VERIFICATION_NOT_FOUND", errCode(out))
			}
		})
	}
	_, c := h.apiCall("GET", api.Prefix+"/customers/"+mine, h.tenant.Slug, customerTok, "", nil)
	if docs := data(c)["documents"].([]any)[0].(map[string]any)["virtual_docs"].([]any); len(docs) != 1 {
		t.Errorf("the customer's virtual_docs = %v; want the one they added", docs)
	}
}
