package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/catalog"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/staff"
)

// Landmarks of London and one in Paris, as points of service.
var landmarks = []catalog.BranchInput{
	{Code: "TRAFALGAR", Name: "Trafalgar Square", Type: catalog.TypePayPoint, Latitude: "51.50809", Longitude: "-0.12799"},
	{Code: "ST_PAULS", Name: "St Paul's Cathedral", Type: catalog.TypeBranch, Latitude: "51.51383", Longitude: "-0.09837"},
	{Code: "TOWER", Name: "Tower of London", Type: catalog.TypePayPoint, Latitude: "51.50811", Longitude: "-0.07595"},
	{Code: "BIG_BEN", Name: "Big Ben", Type: catalog.TypeAgent, Latitude: "51.50073", Longitude: "-0.12463"},
	{Code: "GREENWICH", Name: "Royal Observatory", Type: catalog.TypePayPoint, Latitude: "51.47687", Longitude: "-0.00053"},
	{Code: "KEW", Name: "Kew Gardens", Type: catalog.TypeBranch, Latitude: "51.47871", Longitude: "-0.29557"},
	{Code: "EIFFEL", Name: "Tour Eiffel", Type: catalog.TypePayPoint, Latitude: "48.85837", Longitude: "2.29448", City: "Paris", Country: "FR"},
}

func (h *harness) landmarks() {
	h.t.Helper()
	ctx := actor.With(h.t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	for _, in := range landmarks {
		in.Active = true
		if in.City == "" {
			in.City, in.Country = "London", "GB"
		}
		in.Services = "CASH_IN, CASH_OUT"
		in.Hours = map[string]string{"MON": "09:00-17:00", "SAT": "10:00-13:00"}
		if _, err := h.s.Catalog.CreateBranch(ctx, h.tenant.ID, in); err != nil {
			h.t.Fatal(err)
		}
	}
}

func goodBranch(code string) url.Values {
	return url.Values{"code": {code}, "name": {"Camden pay point"}, "type": {"PAY_POINT"}, "street": {"1 Camden High St"},
		"city": {"London"}, "postalCode": {"nw1 7ja"}, "country": {"gb"}, "latitude": {"51.5390"}, "longitude": {"-0.1426"},
		"hoursMON": {"09:00-12:30, 13:30-17:00"}, "hoursSAT": {"10:00-14:00"}, "services": {"cash_in, cash_out"}, "active": {"true"}}
}

func TestBranchesPage(t *testing.T) {
	h := newHarness(t)
	_, c := h.signIn(staff.TenantAdmin)

	d0 := doc(t, h.get(branchesPath, c))
	if !strings.Contains(text(d0, `[data-testid="branch-results"] [data-testid="empty"]`), "No branches yet") {
		t.Fatal("no empty state")
	}
	nf := doc(t, h.get(branchesPath+"/new", c))
	for _, id := range []string{"branch-code", "branch-name", "branch-latitude", "branch-hours-MON", "branch-services"} {
		if nf.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("no label for %s", id)
		}
	}

	t.Run("validation next to the fields", func(t *testing.T) {
		h := h.with(t)
		bad := url.Values{"code": {"1 bad"}, "name": {""}, "type": {"SHOP"}, "country": {"XX"}, "latitude": {"95"}, "longitude": {"abc"},
			"hoursMON": {"17:00-09:00"}, "hoursTUE": {"9 to 5"}, "hoursWED": {"09:00-13:00, 12:00-15:00"}, "services": {"cash out!"}}
		d := h.submit(&c, branchesPath, bad, http.StatusUnprocessableEntity)
		for _, id := range []string{"branch-code", "branch-name", "branch-type", "branch-country", "branch-latitude", "branch-longitude",
			"branch-hours-MON", "branch-hours-TUE", "branch-hours-WED", "branch-services"} {
			if text(d, `[data-testid="error-`+id+`"]`) == "" {
				t.Errorf("no error beside %s", id)
			}
		}
		if v, _ := d.Find("#branch-hours-TUE").Attr("value"); v != "9 to 5" {
			t.Errorf("the form lost its value: %q", v)
		}
		// A pay point needs a place.
		f := goodBranch("NOWHERE")
		f.Del("latitude")
		f.Del("longitude")
		d = h.submit(&c, branchesPath, f, http.StatusUnprocessableEntity)
		if text(d, `[data-testid="error-branch-latitude"]`) == "" {
			t.Error("a pay point without coordinates was accepted")
		}
	})

	d1 := h.submit(&c, branchesPath, goodBranch("camden_1"), http.StatusSeeOther)
	row := d1.Find(`[data-testid="branch-row"][data-code="CAMDEN_1"]`)
	if row.Length() != 1 || !strings.Contains(text(d1, `[data-testid="flash"]`), "CAMDEN_1 was added") {
		t.Fatalf("after create: rows %d flash %q", row.Length(), text(d1, `[data-testid="flash"]`))
	}
	if got := strings.TrimSpace(row.Find("td").Eq(4).Text()); got != "51.53900, -0.14260" {
		t.Errorf("coordinates shown as %q", got)
	}
	// The same code again is refused beside the code.
	d2 := h.submit(&c, branchesPath, goodBranch("CAMDEN_1"), http.StatusUnprocessableEntity)
	if !strings.Contains(text(d2, `[data-testid="error-branch-code"]`), "already used") {
		t.Error("a duplicate code was not refused")
	}
	href, _ := row.Find("a").Attr("href")
	ed := doc(t, h.get(href, c))
	if v, _ := ed.Find("#branch-hours-MON").Attr("value"); v != "09:00-12:30, 13:30-17:00" {
		t.Errorf("hours in the form = %q", v)
	}
	f := goodBranch("CAMDEN_1")
	f.Set("name", "Camden Town pay point")
	f.Set("hoursSUN", "11:00-15:00")
	d3 := h.submit(&c, href, f, http.StatusSeeOther)
	if v, _ := d3.Find("#branch-name").Attr("value"); v != "Camden Town pay point" {
		t.Errorf("after update name = %q", v)
	}

	// The status switches in place for htmx.
	id := strings.TrimPrefix(href, branchesPath+"/")
	resp := h.do("POST", href+"/status", url.Values{"status": {"INACTIVE"}}, map[string]string{"HX-Request": "true"}, c)
	row = h.hxFollow(resp, c)
	if got := strings.TrimSpace(row.Find(`[data-testid="branch-status"]`).Text()); got != "Inactive" || goquery.NodeName(row) != "tr" || row.AttrOr("id", "") != "branch-"+id {
		t.Errorf("htmx status: %q in <%s id=%q>", got, goquery.NodeName(row), row.AttrOr("id", ""))
	}
	if resp := h.post(href+"/status", url.Values{"status": {"ACTIVE"}}, c); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("plain status: %d", resp.StatusCode)
	}
	acts := h.auditActions(h.tenant.ID, "catalog.branch")
	var names []string
	for _, a := range acts {
		names = append(names, a.Action)
	}
	if !slices.Equal(names, []string{"catalog.branch.status", "catalog.branch.status", "catalog.branch.updated", "catalog.branch.created"}) {
		t.Errorf("audit = %v", names)
	}
	if n := h.count(`SELECT count(*) FROM events WHERE tenant_id = $1 AND type = 'config.changed' AND entity_id = $2`, h.tenant.ID, id); n != 4 {
		t.Errorf("config.changed events = %d", n)
	}

	t.Run("search, filters, sorting and pages", func(t *testing.T) {
		h := h.with(t)
		h.landmarks()
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"q=tower", []string{"TOWER"}},
			{"q=paris", []string{"EIFFEL"}},
			{"type=BRANCH", []string{"KEW", "ST_PAULS"}},
			{"country=FR", []string{"EIFFEL"}},
			{"status=ACTIVE&type=AGENT&sort=name", []string{"BIG_BEN"}},
			{"type=BRANCH&sort=name", []string{"KEW", "ST_PAULS"}},
		} {
			d := doc(t, h.get(branchesPath+"?"+tc.query, c))
			var got []string
			d.Find(`[data-testid="branch-row"]`).Each(func(_ int, s *goquerySelection) { got = append(got, s.AttrOr("data-code", "")) })
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v; want %v", tc.query, got, tc.want)
			}
		}
		if got := text(doc(t, h.get(branchesPath, c)), `[data-testid="page-count"]`); got != "1–8 of 8" {
			t.Errorf("count = %q", got)
		}
		if d := doc(t, h.get(branchesPath+"?q=atlantis", c)); !strings.Contains(text(d, `[data-testid="empty"]`), "No match") {
			t.Error("no empty state for a search without results")
		}
	})

	t.Run("auditors read, others may not", func(t *testing.T) {
		h := h.with(t)
		_, ac := h.signIn(staff.Auditor)
		if d := doc(t, h.get(href, ac)); d.Find(`[data-testid="branch-form"] button`).Length() != 0 || d.Find("#branch-code[disabled]").Length() != 1 {
			t.Error("an auditor is offered the form")
		}
		if d := doc(t, h.get(branchesPath, ac)); d.Find(`[data-testid="branch-toggle"]`).Length() != 0 || d.Find(`[data-testid="new-branch"]`).Length() != 0 {
			t.Error("an auditor is offered changes")
		}
		if resp := h.post(href+"/status", url.Values{"status": {"INACTIVE"}}, ac); resp.StatusCode != http.StatusForbidden {
			t.Errorf("auditor POST: %d", resp.StatusCode)
		}
		_, sc := h.signIn(staff.Support)
		if resp := h.get(branchesPath, sc); resp.StatusCode != http.StatusForbidden {
			t.Errorf("support GET: %d", resp.StatusCode)
		}
	})
}

func TestBranchesNearAPI(t *testing.T) {
	h := newHarness(t)
	h.landmarks()
	tok := h.adminToken(h.tenant, credential.ScopeCatalogRead)
	near := func(t *testing.T, q string) (int, map[string]any) {
		t.Helper()
		resp, out := h.with(t).apiCall("GET", "/api/v2.1/branches?"+q, h.tenant.Slug, tok, "", nil)
		return resp.StatusCode, out
	}
	codesOf := func(out map[string]any) ([]string, []float64) {
		var codes []string
		var dists []float64
		items, _ := out["data"].([]any)
		for _, it := range items {
			m := it.(map[string]any)
			codes = append(codes, m["code"].(string))
			dists = append(dists, m["distanceKm"].(float64))
		}
		return codes, dists
	}
	// From the London Eye.
	status, out := near(t, "near=51.5033,-0.1196")
	codes, dists := codesOf(out)
	if status != 200 || !slices.Equal(codes, []string{"BIG_BEN", "TRAFALGAR", "ST_PAULS", "TOWER", "GREENWICH", "KEW", "EIFFEL"}) {
		t.Fatalf("%d %v", status, codes)
	}
	if !slices.IsSorted(dists) || dists[0] < 0.3 || dists[0] > 0.5 || dists[6] < 330 || dists[6] > 350 {
		t.Errorf("distances = %v (Big Ben is about 0.4 km, the Eiffel tower about 340 km)", dists)
	}
	first := out["data"].([]any)[0].(map[string]any)
	hours := first["openingHours"].(map[string]any)
	if first["type"] != "AGENT" || first["address"].(map[string]any)["country"] != "GB" || len(hours) != 7 ||
		hours["MON"].([]any)[0] != "09:00-17:00" || len(hours["SUN"].([]any)) != 0 || first["coordinates"].(map[string]any)["latitude"] != 51.50073 {
		t.Errorf("first = %v", first)
	}
	status, out = near(t, "near=51.5033,-0.1196&type=PAY_POINT&limit=2")
	if codes, _ := codesOf(out); status != 200 || !slices.Equal(codes, []string{"TRAFALGAR", "TOWER"}) {
		t.Errorf("pay points: %d %v", status, codes)
	}
	// From Paris the Eiffel tower comes first, then London.
	status, out = near(t, "near=48.8566,2.3522&limit=3")
	if codes, _ := codesOf(out); status != 200 || !slices.Equal(codes, []string{"EIFFEL", "GREENWICH", "TOWER"}) {
		t.Errorf("from Paris: %d %v", status, codes)
	}
	status, out = near(t, "near=48.8566,2.3522&radiusKm=50")
	if codes, _ := codesOf(out); status != 200 || !slices.Equal(codes, []string{"EIFFEL"}) {
		t.Errorf("within 50 km of Paris: %d %v", status, codes)
	}
	status, out = near(t, "near=-33.8688,151.2093&service=CASH_OUT&limit=1")
	if codes, _ := codesOf(out); status != 200 || len(codes) != 1 {
		t.Errorf("from Sydney: %d %v", status, codes)
	}
	status, out = near(t, "near=51.5,-0.12&service=ACCOUNT_OPENING")
	if items, _ := out["data"].([]any); status != 200 || items == nil || len(items) != 0 {
		t.Errorf("no branch offers it: %d %v", status, out)
	}

	for _, tc := range []struct {
		query  string
		fields []string
	}{
		{"", []string{"near"}},
		{"near=51.5", []string{"near"}},
		{"near=91,0", []string{"near"}},
		{"near=51.5,-181", []string{"near"}},
		{"near=abc,def", []string{"near"}},
		{"near=51.5,-0.1&limit=0", []string{"limit"}},
		{"near=51.5,-0.1&limit=51", []string{"limit"}},
		{"near=51.5,-0.1&limit=ten", []string{"limit"}},
		{"near=51.5,-0.1&type=SHOP", []string{"type"}},
		{"near=51.5,-0.1&radiusKm=-3", []string{"radiusKm"}},
		{"near=x&type=SHOP&limit=0", []string{"near", "type", "limit"}},
	} {
		status, out := near(t, tc.query)
		got := detailMap(out)
		if status != http.StatusUnprocessableEntity || errCode(out) != "VALIDATION_FAILED" || len(got) != len(tc.fields) {
			t.Errorf("%q: %d %v", tc.query, status, out)
			continue
		}
		for _, f := range tc.fields {
			if got[f] == "" {
				t.Errorf("%q: no detail for %s: %v", tc.query, f, got)
			}
		}
	}
}
