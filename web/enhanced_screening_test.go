package web

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/staff"
)

// sanctionsCheck ENHANCED screens with the tenant's stricter threshold: a
// resemblance the standard threshold lets pass reaches a person.
func TestEnhancedScreeningUsesTheTenantsStricterThreshold(t *testing.T) {
	h := newHarness(t)
	h.loadLists()
	h.startJobs()
	own := h.tenant
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test", TenantID: own.ID})
	cat := "SCREENED_" + strings.ToUpper(uuid.NewString()[:6])
	if err := h.s.Customers.DefineCategories(ctx, own.ID, []customer.CategorySpec{{Name: cat, Features: []customer.FeatureSpec{{
		Code: "SCREENING_" + strings.ToUpper(uuid.NewString()[:6]), Name: "Screening",
		Parameters: []customer.Parameter{{Name: "sanctionsCheck", Mandatory: true, AllowedValues: []string{"STANDARD", "ENHANCED"}}}}}}}); err != nil {
		t.Fatal(err)
	}
	cats, err := h.s.Customers.Hierarchy(t.Context(), own.ID)
	if err != nil {
		t.Fatal(err)
	}
	feature := ""
	for _, c := range cats {
		if c.Name == cat {
			feature = c.Features[0].Code
		}
	}

	// The tenant's stricter threshold, set on the screening settings page,
	// with the error next to the field when it is not stricter.
	_, admin := h.signIn(staff.TenantAdmin)
	form := url.Values{"possibleThreshold": {"0.80"}, "matchThreshold": {"0.92"}, "enhancedThreshold": {"0.85"}}
	if resp := h.post("/config/screening", form, admin); resp.StatusCode != 422 || text(doc(t, resp), `[data-testid="error-enhancedThreshold"]`) == "" {
		t.Fatalf("an enhanced threshold above the possible one: %d", resp.StatusCode)
	}
	form.Set("enhancedThreshold", "0.60")
	if resp := h.post("/config/screening", form, admin); resp.StatusCode != 303 {
		t.Fatalf("save: %d", resp.StatusCode)
	}

	tok := h.adminToken(own, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	// A name resembling OFAC's RODRIGUEZ OREJUELA, Miguel Angel (1943-11-23,
	// Colombia) at about 0.66: under the standard 0.80, over the enhanced 0.60.
	p := exampleHolder()
	p.Given, p.Middle, p.Surname = "MANUEL", "", "RODRIGUEZ OREJUELA"
	p.DateOfBirth = time.Date(1943, 11, 23, 0, 0, 0, 0, time.UTC)
	register := func(check string) string {
		_, vr := h.onboarded(own, tok, func(m map[string]any) {
			m["firstName"], m["lastName"] = "Manuel", "Rodriguez Orejuela"
			ic(m)["middleName"], ic(m)["dateOfBirth"], ic(m)["nationality"] = "", "1943-11-23", "CO"
			m["categorization"] = map[string]any{"name": cat, "categoryFeatureRelations": []any{map[string]any{
				"feature": map[string]any{"code": feature}, "enabled": true,
				"parametrization": []any{map[string]any{"name": "sanctionsCheck", "value": check}}}}}
		})
		if resp, out := h.apiCall("POST", uploadPath, own.Slug, tok, uploadBody(vr, passportOf(t, p, nil)), nil); resp.StatusCode != 200 {
			t.Fatalf("upload: %d %v", resp.StatusCode, out)
		}
		return vr
	}
	standard, enhanced := register("STANDARD"), register("ENHANCED")
	st := h.waitStatus(own, tok, enhanced, "PENDING_REVIEW")
	if !slices.Contains(anyStrings(st["reasonsForReview"]), "SANCTIONS_MATCH_POSSIBLE") {
		t.Fatalf("enhanced: reasons %v; want SANCTIONS_MATCH_POSSIBLE", st["reasonsForReview"])
	}
	st = h.waitStatus(own, tok, standard, "APPROVED")
	if s := st["checks"].(map[string]any)["sanctions"].(map[string]any)["status"]; s != "CLEAR" {
		t.Fatalf("standard: sanctions %v; want CLEAR", s)
	}
}
