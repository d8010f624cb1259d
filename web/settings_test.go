package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

func prefsValues(change map[string]string) url.Values {
	v := url.Values{"locale": {"en-GB"}, "timeZone": {"Europe/London"}, "currency": {"GBP"}, "country": {"GB"}, "bankCode": {"WEST123456"},
		"minCustomerAge": {"21"}, "loginMaxFailures": {"4"}, "loginLockout": {"30 minutes"}, "accessTokenTtl": {"10m"},
		"refreshTokenTtl": {"240h"}, "pinLength": {"6"}, "pinMaxFailures": {"3"}, "otpTtl": {"3m"}, "otpMaxAttempts": {"4"},
		"loginOtpRequired": {"on"}}
	for k, val := range change {
		if val == "" {
			v.Del(k)
		} else {
			v.Set(k, val)
		}
	}
	return v
}

func TestPreferencesPage(t *testing.T) {
	h, admin := sessionHarness(t)
	_, c := h.signIn(staff.TenantAdmin)
	d := doc(t, h.get("/config/preferences", c))
	if v, _ := d.Find("#minCustomerAge").Attr("value"); v != "18" {
		t.Fatalf("default minimum age shown as %q", v)
	}
	resp := h.post("/config/preferences", prefsValues(nil), c)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	// The settings take effect: a 19-year-old is now too young, and time
	// zone and currency changed.
	dob := time.Now().AddDate(-19, 0, 0).Format(time.DateOnly)
	resp2, out := h.apiCall("POST", registerPath, h.tenant.Slug, admin, variant(t, func(m map[string]any) {
		delete(m, "categorization")
		ic(m)["dateOfBirth"] = dob
	}), nil)
	if resp2.StatusCode != 422 || !strings.Contains(strings.Join(details(out), " "), "at least 21") {
		t.Fatalf("a 19-year-old after raising the age: %d %v", resp2.StatusCode, details(out))
	}
	if tn, _ := h.s.Tenants.Get(t.Context(), h.tenant.ID); tn.TimeZone != "Europe/London" {
		t.Errorf("time zone = %q", tn.TimeZone)
	}
	if recs := h.auditActions(h.tenant.ID, "preferences.updated"); len(recs) != 1 {
		t.Errorf("audit = %+v", recs)
	}

	// Errors next to the fields, keeping what was typed.
	bad := h.post("/config/preferences", prefsValues(map[string]string{"timeZone": "Mars/Base", "pinLength": "12", "otpTtl": "soon", "currency": "euro"}), c)
	bd := doc(t, bad)
	if bad.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid: %d", bad.StatusCode)
	}
	for _, f := range []string{"timeZone", "pinLength", "otpTtl", "currency"} {
		if text(bd, `[data-testid="error-`+f+`"]`) == "" {
			t.Errorf("no error next to %s", f)
		}
	}
	if v, _ := bd.Find("#otpTtl").Attr("value"); v != "soon" {
		t.Errorf("typed value lost: %q", v)
	}
	// The bank code must fit the country's IBANs, which activation builds
	// from it; a country without an IBAN scheme takes none.
	for _, tc := range []struct{ country, code, want string }{
		{"GB", "CIAM", "for GB use 4 letters and a 6-digit sort code"},
		{"DE", "WEST123456", "for DE use the 8-digit Bankleitzahl"},
		{"FR", "30004", "IBANs cannot be built for FR (they can for AT, CH, DE, GB, IE, NL)"},
	} {
		resp := h.post("/config/preferences", prefsValues(map[string]string{"country": tc.country, "bankCode": tc.code}), c)
		if got := text(doc(t, resp), `[data-testid="error-bankCode"]`); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(got, tc.want) {
			t.Errorf("%s bank code %s: %d %q", tc.country, tc.code, resp.StatusCode, got)
		}
	}
	for _, ok := range []map[string]string{{"country": "DE", "bankCode": "37040044"}, {"country": "FR", "bankCode": ""}} {
		if resp := h.post("/config/preferences", prefsValues(ok), c); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("%v: %d %q", ok, resp.StatusCode, text(doc(t, resp), `[data-testid="error-bankCode"]`))
		}
	}
	// An auditor reads, cannot save.
	_, ac := h.signIn(staff.Auditor)
	if doc(t, h.get("/config/preferences", ac)).Find(`[data-testid="preferences-form"] button`).Length() != 0 {
		t.Error("auditor sees a save button")
	}
	if resp := h.post("/config/preferences", prefsValues(nil), ac); resp.StatusCode != http.StatusForbidden {
		t.Errorf("auditor save: %d", resp.StatusCode)
	}
}

func policyValues(change map[string]string) url.Values {
	v := url.Values{"minLength": {"12"}, "maxLength": {"128"}, "minUpper": {"1"}, "minLower": {"1"}, "minDigits": {"1"}, "minSpecial": {"1"},
		"historyCount": {"3"}, "maxAgeDays": {"90"}, "forbidUsername": {"on"}, "forbidEmail": {"on"}, "rejectCommon": {"on"}, "reason": {"audit finding"}}
	for k, val := range change {
		v.Set(k, val)
	}
	return v
}

func TestPasswordPolicyFourEyesAndEffects(t *testing.T) {
	h, admin := sessionHarness(t)
	h.s.CustomerAuth.HashParams = credential.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	_, maker := h.signIn(staff.TenantAdmin)
	_, checker := h.signIn(staff.SeniorReviewer)

	bad := h.post("/config/password-policy", policyValues(map[string]string{"minLength": "4"}), maker)
	if bad.StatusCode != http.StatusUnprocessableEntity || text(doc(t, bad), `[data-testid="error-minLength"]`) == "" {
		t.Fatalf("too short a minimum: %d", bad.StatusCode)
	}
	resp := h.post("/config/password-policy", policyValues(nil), maker)
	page := doc(t, h.get("/config/password-policy", updated(maker, resp)))
	href, ok := page.Find(`[data-testid="pending-approval"] a`).Attr("href")
	if !ok {
		t.Fatal("no pending approval shown")
	}
	// Nothing changes before the approval: an 8-character password still registers.
	id, email := h.newCustomer(admin)
	h.approve(strings.TrimPrefix(href, "/approvals/"), checker)
	if p, _ := h.s.Preferences.PasswordPolicy(t.Context(), h.tenant.ID); p.MinLength != 12 || p.HistoryCount != 3 || !p.RejectCommon {
		t.Fatalf("policy after approval = %+v", p)
	}
	if recs := h.auditActions(h.tenant.ID, "password_policy.updated"); len(recs) != 1 {
		t.Fatalf("audit = %+v", recs)
	}
	// New registrations keep the new rules.
	r, out := h.apiCall("POST", registerPath, h.tenant.Slug, admin, variant(t, func(m map[string]any) {
		delete(m, "categorization")
		m["password"], m["matchingPassword"] = "Short1!ab", "Short1!ab"
	}), nil)
	if r.StatusCode != 422 || !strings.Contains(strings.Join(details(out), " "), "at least 12") {
		t.Fatalf("short password under the new policy: %d %v", r.StatusCode, details(out))
	}

	// Password changes keep the history: the last three may not return.
	access, _ := h.customerTokens(email)
	change := func(current, next string) (*http.Response, map[string]any) {
		return h.apiCall("POST", api.Prefix+"/customer/password", h.tenant.Slug, access,
			fmt.Sprintf(`{"currentPassword":%q,"newPassword":%q,"matchingPassword":%q}`, current, next, next), nil)
	}
	passwords := []string{examplePass, "Lantern-River-42", "Copper-Meadow-17", "Velvet-Harbor-88"}
	for i := 1; i < len(passwords); i++ {
		if resp, out := change(passwords[i-1], passwords[i]); resp.StatusCode != 200 {
			t.Fatalf("change %d: %d %v", i, resp.StatusCode, out)
		}
	}
	if resp, out := change(passwords[3], passwords[1]); resp.StatusCode != 422 || !strings.Contains(strings.Join(details(out), " "), "last 3 passwords") {
		t.Fatalf("reusing a recent password: %d %v", resp.StatusCode, details(out))
	}
	if resp, out := change("wrong", "Granite-Orchard-55"); resp.StatusCode != 422 || details(out)[0] != "currentPassword: is not correct" {
		t.Fatalf("wrong current password: %d %v", resp.StatusCode, out)
	}
	if resp, out := change(passwords[3], "password123456"); resp.StatusCode != 422 || !strings.Contains(strings.Join(details(out), " "), "common passwords") {
		t.Fatalf("a common password: %d %v", resp.StatusCode, details(out))
	}
	// Past the maximum age, sign-in asks for a new password.
	h.clock.set(time.Now().Add(91 * 24 * time.Hour))
	resp3, login := h.login(email, passwords[3])
	if resp3.StatusCode != 200 || data(login)["passwordChangeRequired"] != true {
		t.Fatalf("sign-in after 91 days: %d %v", resp3.StatusCode, login)
	}
	_ = id
}

func TestKYCRequirementsPage(t *testing.T) {
	h, admin := sessionHarness(t)
	_, c := h.signIn(staff.TenantAdmin)
	d := doc(t, h.get("/config/kyc-requirements", c))
	if d.Find(`[data-testid="no-requirements"]`).Length() != 1 || d.Find(`[data-testid="default-table"] [data-testid="requirement-row"]`).Length() != 9 {
		t.Fatal("defaults not shown")
	}
	bad := h.post("/config/kyc-requirements", url.Values{"country": {"Germany"}, "riskLevel": {"LOW"}, "type": {"IDENTITY_DOCUMENT"}}, c)
	if bad.StatusCode != http.StatusUnprocessableEntity || text(doc(t, bad), `[data-testid="error-req-country"]`) == "" {
		t.Fatalf("bad country: %d", bad.StatusCode)
	}
	// Ask LOW customers everywhere for a source of funds too.
	for _, typ := range []string{"IDENTITY_DOCUMENT", "SOURCE_OF_FUNDS"} {
		resp := h.post("/config/kyc-requirements", url.Values{"country": {"*"}, "riskLevel": {"LOW"}, "type": {typ}, "required": {"on"}}, c)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save %s: %d", typ, resp.StatusCode)
		}
	}
	tok := h.adminToken(h.tenant, credential.ScopeCatalogRead)
	_, out := h.apiCall("GET", api.Prefix+"/compliance/requirements?country=FR&riskLevel=LOW", h.tenant.Slug, tok, "", nil)
	docs := data(out)["documents"].([]any)
	if len(docs) != 2 || docs[1].(map[string]any)["type"] != "SOURCE_OF_FUNDS" {
		t.Fatalf("requirements API = %v", out)
	}
	// A LOW customer may now upload a source of funds (refused by the defaults).
	vtok := h.adminToken(h.tenant, credential.ScopeVerificationWrite)
	_, vr := h.onboarded(h.tenant, admin, noCategory)
	if resp, out := h.apiCall("POST", uploadPath, h.tenant.Slug, vtok, uploadBody(vr, upDoc{"SOURCE_OF_FUNDS", "", payslip(), nil}), nil); resp.StatusCode != 200 {
		t.Fatalf("upload after the change: %d %v", resp.StatusCode, out)
	}
	if n := len(h.auditActions(h.tenant.ID, "kyc.requirement.set")); n != 2 {
		t.Errorf("%d audit records", n)
	}
	_, ac := h.signIn(staff.Analyst)
	if resp := h.get("/config/kyc-requirements", ac); resp.StatusCode != http.StatusForbidden {
		t.Errorf("analyst: %d", resp.StatusCode)
	}
}

// A tenant's document quality thresholds are its own: raised, they refuse
// an upload the defaults take, naming the figure and the threshold.
func TestQualityThresholdsInPreferences(t *testing.T) {
	h, _ := sessionHarness(t)
	_, c := h.signIn(staff.TenantAdmin)
	d := doc(t, h.get("/config/preferences", c))
	if v, _ := d.Find("#qualityMinSide").Attr("value"); v != "600" {
		t.Fatalf("default least side shown as %q", v)
	}
	if v, _ := d.Find("#qualityMaxGlare").Attr("value"); v != "3" {
		t.Fatalf("default glare shown as %q (a percentage)", v)
	}
	// Errors next to the fields.
	bad := h.post("/config/preferences", prefsValues(map[string]string{"qualityMinSide": "12", "qualityMaxGlare": "lots",
		"qualityMinBrightness": "200", "qualityMaxBrightness": "150"}), c)
	bd := doc(t, bad)
	if bad.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid thresholds: %d", bad.StatusCode)
	}
	for _, f := range []string{"qualityMinSide", "qualityMaxGlare"} {
		if text(bd, `[data-testid="error-`+f+`"]`) == "" {
			t.Errorf("no error next to %s", f)
		}
	}
	// Raised: the rendered passport (1250×880) is now too small.
	if resp := h.post("/config/preferences", prefsValues(map[string]string{"qualityMinSide": "1000"}), c); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", resp.StatusCode, text(doc(t, resp), `[data-testid^="error-"]`))
	}
	tok := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	_, vr := h.onboarded(h.tenant, tok, noCategory)
	resp, out := h.apiCall("POST", uploadPath, h.tenant.Slug, tok, uploadBody(vr, passport(t, nil)), nil)
	if resp.StatusCode != 422 || errCode(out) != "POOR_IMAGE_QUALITY" || !strings.Contains(strings.Join(details(out), " "), "at least 1000") {
		t.Fatalf("upload with the raised threshold: %d %v", resp.StatusCode, out)
	}
	// Another tenant keeps the defaults.
	dt := h.demoTenant()
	dtok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	_, dvr := h.onboarded(dt, dtok, noCategory)
	if resp, out := h.apiCall("POST", uploadPath, dt.Slug, dtok, uploadBody(dvr, passport(t, nil)), nil); resp.StatusCode != 200 {
		t.Fatalf("another tenant's upload: %d %v", resp.StatusCode, out)
	}
}
