package web

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/screening/screeningtest"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

var (
	listsOnce   sync.Once
	lists       *screening.Service
	listsLoaded sync.Once
	listsErr    error
)

// sharedLists is the package's one screening service: its index of the
// lists takes about a second and 80 MB to build, so every harness shares
// it rather than building its own.
func sharedLists(t testing.TB) *screening.Service {
	t.Helper()
	listsOnce.Do(func() { lists = screening.NewService(dbtest.Pool(t)) })
	return lists
}

// loadLists loads OFAC 2021, the UN list and the US Congress PEP list into
// the package's database, once.
func (h *harness) loadLists() {
	h.t.Helper()
	listsLoaded.Do(func() {
		ctx := actor.With(context.Background(), actor.Actor{Kind: actor.System, Name: "test"})
		for _, l := range []struct {
			format screening.Format
			path   string
		}{{screening.FormatOFAC, "ofac-2021"}, {screening.FormatUN, "un/consolidated.xml"}, {screening.FormatSenzing, "pep/us_congress_senzing.jsonl"}} {
			if _, err := h.s.Screening.Load(ctx, l.format, screeningtest.Path(h.t, l.path), screening.LoadOptions{AllowShrink: true}); err != nil {
				listsErr = err
				return
			}
		}
	})
	if listsErr != nil {
		h.t.Fatal(listsErr)
	}
}

// person registers a customer of the harness tenant.
func (h *harness) person(first, middle, last, dob, nationality string) customer.Customer {
	h.t.Helper()
	ctx := actor.With(h.t.Context(), actor.Actor{Kind: actor.System, Name: "test", TenantID: h.tenant.ID})
	reg, err := h.s.Customers.Register(ctx, h.tenant.ID, customer.RegisterInput{
		Email: "p-" + uuid.NewString()[:8] + "@example.com", Password: "Test-Passw0rd!", MatchingPassword: "Test-Passw0rd!",
		FirstName: first, MiddleName: middle, LastName: last, DateOfBirth: dob, Nationality: nationality,
		PhoneNumber: "+447911123456", Occupation: "Engineer", SourceOfFunds: "EMPLOYMENT",
		Address: customer.Address{Street: "1 High Street", City: "London", PostalCode: "N1 1AA", Country: "GB", AddressType: "RESIDENTIAL"},
	})
	if err != nil {
		h.t.Fatalf("register %s %s: %v", first, last, err)
	}
	return reg.Customer
}

// screened registers a customer and screens them, as KYC does.
func (h *harness) screened(first, middle, last, dob, nationality string) (customer.Customer, screening.ScreenResult) {
	h.t.Helper()
	c := h.person(first, middle, last, dob, nationality)
	res, err := h.s.Screening.ScreenSubject(h.t.Context(), screening.Subject{ID: c.ID, TenantID: h.tenant.ID, Name: c.FullName(),
		Type: screening.Individual, DateOfBirth: dob, Country: nationality})
	if err != nil {
		h.t.Fatal(err)
	}
	return c, res
}

func newHitOn(res screening.ScreenResult, entryID string) *screening.Hit {
	for i := range res.NewHits {
		if res.NewHits[i].EntryID == entryID {
			return &res.NewHits[i]
		}
	}
	return nil
}

func TestScreeningQueueAndDecision(t *testing.T) {
	h := newHarness(t)
	h.loadLists()
	// Miguel Angel Rodriguez Orejuela is OFAC entry 4108, born 23 Nov 1943.
	miguel, res := h.screened("Miguel", "Angel", "Rodriguez Orejuela", "1943-11-23", "CO")
	hit := newHitOn(res, "4108")
	if hit == nil {
		t.Fatalf("no hit on 4108: %+v", res.NewHits)
	}
	h.screened("Amelia", "", "Hughes", "1988-03-14", "GB") // no hit

	_, analyst := h.signIn(staff.Analyst)
	d := doc(t, h.get("/screening", analyst))
	rows := d.Find(`[data-testid="hit-row"]`)
	if rows.Length() != len(res.NewHits) {
		t.Fatalf("queue shows %d hits; want %d", rows.Length(), len(res.NewHits))
	}
	if got := text(d, `[data-testid="count-open"]`); got != fmt.Sprint(len(res.NewHits)) {
		t.Errorf("open count %q", got)
	}
	if got := text(d, `[data-testid="nav-badge-screening"]`); got != fmt.Sprint(len(res.NewHits))+" waiting" {
		t.Errorf("navigation badge %q", got)
	}
	if !strings.Contains(rows.Text(), "Miguel Angel Rodriguez Orejuela") || !strings.Contains(rows.Text(), "RODRIGUEZ OREJUELA, Miguel Angel") {
		t.Errorf("queue rows: %s", rows.Text())
	}
	if got := text(d, `[data-testid="page-count"]`); !strings.HasPrefix(got, "1–") {
		t.Errorf("page count %q", got)
	}
	// Filters: the source, the score, and a refused score.
	if n := doc(t, h.get("/screening?source=UN_CONSOLIDATED", analyst)).Find(`[data-testid="hit-row"]`).Length(); n != 0 {
		t.Errorf("UN filter shows %d OFAC hits", n)
	}
	if n := doc(t, h.get("/screening?source=OFAC_SDN&minScore=0.9", analyst)).Find(`[data-hit-id="` + hit.ID.String() + `"]`).Length(); n != 1 {
		t.Errorf("OFAC filter at 0.9 hides the hit")
	}
	resp := h.get("/screening?minScore=lots", analyst)
	if resp.StatusCode != http.StatusUnprocessableEntity || text(doc(t, resp), `[data-testid="error-minScore"]`) == "" {
		t.Errorf("bad score: %d", resp.StatusCode)
	}

	// The customer's 360 page lists the hit and leads to it.
	c360 := doc(t, h.get("/customers/"+miguel.ID.String(), analyst))
	if href, _ := c360.Find(`[data-testid="hit-link"][href="/screening/hits/` + hit.ID.String() + `"]`).Attr("href"); href == "" ||
		!strings.Contains(c360.Find(`[data-testid="hit-row"]`).Text(), "Open") || c360.Find(`[data-testid="hits-empty"]`).Length() != 0 {
		t.Errorf("customer page hits: %s", c360.Find(`[data-testid="customer-hits"]`).Text())
	}

	// The hit: the customer beside the entry, with the explanation.
	page := "/screening/hits/" + hit.ID.String()
	d = doc(t, h.get(page, analyst))
	// An analyst sees the date of birth masked, as on the customer's page
	// (internal/pii); a senior reviewer sees it whole.
	if got := text(d, `[data-testid="customer-dob"]`); got != "••••-••-••" {
		t.Errorf("customer side dob %q for an analyst", got)
	}
	_, senior := h.signIn(staff.SeniorReviewer)
	if got := text(doc(t, h.get("/screening/hits/"+hit.ID.String(), senior)), `[data-testid="customer-dob"]`); got != "1943-11-23" {
		t.Errorf("customer side dob %q for a senior reviewer", got)
	}
	if got := text(d, `[data-testid="entry-name"]`); got != "RODRIGUEZ OREJUELA, Miguel Angel" {
		t.Errorf("entry side name %q", got)
	}
	if !strings.Contains(d.Find(`[data-testid="entry-dob"]`).Text(), "1943-11-23") {
		t.Errorf("entry dob %q", d.Find(`[data-testid="entry-dob"]`).Text())
	}
	if d.Find(`[data-testid="pair"]`).Length() < 3 || !strings.Contains(d.Find(`[data-testid="factor"]`).Text(), "dateOfBirth") {
		t.Errorf("explanation: %s", d.Find(`[data-testid="explanation"]`).Text())
	}
	if d.Find(`[data-testid="decision-form"]`).Length() != 1 {
		t.Fatal("no decision form for an analyst")
	}

	// An auditor reads, and may not decide.
	_, auditor := h.signIn(staff.Auditor)
	if d := doc(t, h.get(page, auditor)); d.Find(`[data-testid="decision-form"]`).Length() != 0 || text(d, `[data-testid="customer-dob"]`) != "••••-••-••" {
		t.Errorf("an auditor sees the decision form or the date of birth (%q)", text(d, `[data-testid="customer-dob"]`))
	}
	if resp := h.post(page+"/decide", url.Values{"decision": {"DISMISSED"}, "note": {"x"}}, auditor); resp.StatusCode != http.StatusForbidden {
		t.Errorf("auditor decides: %d", resp.StatusCode)
	}

	// The note is required.
	resp = h.post(page+"/decide", url.Values{"decision": {"DISMISSED"}, "note": {"  "}}, analyst)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(doc(t, resp), `[data-testid="error-hit-note"]`), "write why") {
		t.Fatalf("decision without a note: %d", resp.StatusCode)
	}
	resp = h.post(page+"/decide", url.Values{"decision": {"DISMISSED"}, "note": {"Different person: the passport shows another father's name"}}, analyst)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("dismiss: %d", resp.StatusCode)
	}
	d = doc(t, h.get(page, updated(analyst, resp)))
	if got := text(d, `[data-testid="hit-status"]`); got != "Dismissed" {
		t.Errorf("status after dismissal %q", got)
	}
	// Who decided reads as a person and a time, not an id.
	if got := strings.Join(strings.Fields(text(d, `[data-testid="hit-decided-by"]`)), " "); got != "Emp ANALYST, just now" {
		t.Errorf("decided by %q; want the name and when", got)
	}
	if !strings.Contains(text(d, `[data-testid="entry-state"]`), "stays dismissed") {
		t.Errorf("entry state %q", text(d, `[data-testid="entry-state"]`))
	}
	if acts := h.auditActions(h.tenant.ID, "screening.hit.dismissed"); len(acts) != 1 || acts[0].Reason != "DISMISSED" {
		t.Errorf("audit %+v", acts)
	}
	// Deciding again is refused; screening again raises nothing.
	resp = h.post(page+"/decide", url.Values{"decision": {"CONFIRMED"}, "note": {"again"}}, analyst)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(doc(t, h.get(page, updated(analyst, resp))).Find(`[data-testid="flash"]`).Text(), "already dismissed") {
		t.Errorf("second decision: %d", resp.StatusCode)
	}
	again, err := h.s.Screening.ScreenSubject(t.Context(), screening.Subject{ID: miguel.ID, TenantID: h.tenant.ID, Name: miguel.FullName(), DateOfBirth: "1943-11-23", Country: "CO"})
	if err != nil || newHitOn(again, "4108") != nil {
		t.Errorf("screening again: %v, new hits %+v", err, again.NewHits)
	}
	if n := doc(t, h.get("/screening?status=DISMISSED", analyst)).Find(`[data-hit-id="` + hit.ID.String() + `"]`).Length(); n != 1 {
		t.Error("the dismissed hit is not under Dismissed")
	}

	// The dashboard tile counts what is still open.
	d = doc(t, h.get("/dashboard", analyst))
	if got := text(d, `[data-testid="queue-count-screening"]`); got != fmt.Sprint(len(res.NewHits)-1) {
		t.Errorf("dashboard tile %q; want %d", got, len(res.NewHits)-1)
	}
}

func TestScreeningSearchPage(t *testing.T) {
	h := newHarness(t)
	h.loadLists()
	_, analyst := h.signIn(staff.Analyst)
	d := doc(t, h.get("/screening/search?name=Orejuela+Miguel+Angel+Rodriguez&type=INDIVIDUAL&dateOfBirth=1943-11-23&country=CO", analyst))
	first := d.Find(`[data-testid="search-result"]`).First()
	if id, _ := first.Attr("data-entry-id"); id != "4108" {
		t.Fatalf("best result %q: %s", id, d.Find(`[data-testid="search-results"]`).Text())
	}
	if first.Find(`[data-testid="pair"]`).Length() < 3 {
		t.Errorf("no explanation")
	}
	if d.Find(`[data-testid="list-checked"][data-source="OFAC_SDN"]`).Length() != 1 || !strings.Contains(text(d, `[data-testid="lists-checked"]`), "US Congress v") {
		t.Errorf("lists checked %q", text(d, `[data-testid="lists-checked"]`))
	}
	d = doc(t, h.get("/screening/search?name=John+Michael+Doe&dateOfBirth=1990-05-15", analyst))
	if d.Find(`[data-testid="search-result"]`).Length() != 0 || d.Find(`[data-testid="empty"]`).Length() != 1 {
		t.Errorf("John Doe matched: %s", d.Find(`[data-testid="search-results"]`).Text())
	}
	for _, tc := range []struct{ query, field string }{
		{"name=", "s-name"}, {"name=J.", "s-name"}, {"name=John+Doe&dateOfBirth=15%2F05%2F1990", "s-dob"},
		{"name=John+Doe&country=XX", "s-country"}, {"name=John+Doe&type=SHIP", "s-type"},
	} {
		resp := h.get("/screening/search?"+tc.query, analyst)
		if resp.StatusCode != http.StatusUnprocessableEntity || text(doc(t, resp), `[data-testid="error-`+tc.field+`"]`) == "" {
			t.Errorf("%s: %d; want 422 with an error on %s", tc.query, resp.StatusCode, tc.field)
		}
	}
}

func TestScreeningSearchAPI(t *testing.T) {
	h := newHarness(t)
	h.loadLists()
	tok := h.adminToken(h.tenant, credential.ScopeScreening)
	path := api.Prefix + "/screening/search"
	resp, out := h.apiCall("POST", path, h.tenant.Slug, tok, `{"name":"Maher al-Assad","type":"INDIVIDUAL","dateOfBirth":"1967-12-08","country":"SY"}`, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("search: %d %v", resp.StatusCode, out)
	}
	data := out["data"].(map[string]any)
	matches := data["matches"].([]any)
	if len(matches) == 0 {
		t.Fatalf("no match for Maher al-Assad")
	}
	best := matches[0].(map[string]any)
	if best["source"] != "OFAC_SDN" || best["entryId"] != "12725" || best["status"] != "MATCH" || best["listVersion"].(float64) < 1 ||
		best["matchedName"] == "" || best["explanation"].(map[string]any)["pairs"] == nil {
		t.Errorf("best match %v", best)
	}
	prev := 2.0
	for _, m := range matches {
		sc := m.(map[string]any)["score"].(float64)
		if sc > prev || sc < 0.80 {
			t.Errorf("scores not best first above 0.80: %v after %v", sc, prev)
		}
		prev = sc
	}
	var sources []string
	for _, l := range data["listsChecked"].([]any) {
		sources = append(sources, l.(map[string]any)["source"].(string))
	}
	slices.Sort(sources)
	if strings.Join(sources, ",") != "OFAC_SDN,OS_US_CONGRESS,UN_CONSOLIDATED" {
		t.Errorf("lists checked %v", sources)
	}

	// The tenant's thresholds and lists apply.
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	possible, match := 0.97, 0.99
	if _, err := h.s.Screening.UpdateSettings(ctx, h.tenant.ID, screening.SettingsUpdate{PossibleThreshold: &possible, MatchThreshold: &match,
		Sources: map[string]bool{"UN_CONSOLIDATED": false}}); err != nil {
		t.Fatal(err)
	}
	_, out = h.apiCall("POST", path, h.tenant.Slug, tok, `{"name":"Maher al-Assad"}`, nil)
	for _, m := range out["data"].(map[string]any)["matches"].([]any) {
		if m := m.(map[string]any); m["score"].(float64) < 0.97 || m["source"] == "UN_CONSOLIDATED" {
			t.Errorf("match outside the tenant's settings: %v", m)
		}
	}

	for _, tc := range []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"no name", `{}`, 422, "VALIDATION_FAILED", "name"},
		{"initials only", `{"name":"J. D."}`, 422, "VALIDATION_FAILED", "name"},
		{"a name of 301 characters", `{"name":"` + strings.Repeat("a", 301) + `"}`, 422, "VALIDATION_FAILED", "name"},
		{"an unknown type", `{"name":"John Doe","type":"SHIP"}`, 422, "VALIDATION_FAILED", "type"},
		{"a date in another format", `{"name":"John Doe","dateOfBirth":"15/05/1990"}`, 422, "VALIDATION_FAILED", "dateOfBirth"},
		{"an unknown country", `{"name":"John Doe","country":"XX"}`, 422, "VALIDATION_FAILED", "country"},
		{"a number for a name", `{"name":5}`, 400, "INVALID_REQUEST", ""},
		{"an unknown field", `{"name":"John Doe","nationality":"GB"}`, 400, "INVALID_REQUEST", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			resp, out := h.apiCall("POST", path, h.tenant.Slug, tok, tc.body, nil)
			if resp.StatusCode != tc.status || errCode(out) != tc.code {
				t.Fatalf("%d %v; want %d %s", resp.StatusCode, out, tc.status, tc.code)
			}
			if tc.field != "" && (len(details(out)) == 0 || !strings.HasPrefix(details(out)[0], tc.field+":")) {
				t.Errorf("details %v; want one on %s", details(out), tc.field)
			}
		})
	}
	other := h.adminToken(h.tenant, credential.ScopeCustomersRead)
	if resp, _ := h.apiCall("POST", path, h.tenant.Slug, other, `{"name":"John Doe"}`, nil); resp.StatusCode != 403 {
		t.Errorf("without the scope: %d", resp.StatusCode)
	}
}

func TestScreeningListsAndSettingsPages(t *testing.T) {
	h := newHarness(t)
	h.loadLists()
	_, analyst := h.signIn(staff.Analyst)
	d := doc(t, h.get("/screening/lists", analyst))
	ofac := d.Find(`[data-testid="source"][data-source="OFAC_SDN"]`)
	if ofac.Length() != 1 || ofac.Find(`[data-testid="version-row"][data-status="CURRENT"]`).Length() != 1 {
		t.Fatalf("lists page: %s", d.Find("main").Text())
	}
	if d.Find(`[data-testid="upload-link"]`).Length() != 0 {
		t.Error("an analyst is offered the upload")
	}
	href, _ := d.Find(`[data-testid="source"][data-source="UN_CONSOLIDATED"] [data-testid="version-link"]`).Last().Attr("href")
	d = doc(t, h.get(href+"?change=ADDED", analyst))
	if n := d.Find(`[data-testid="diff-row"][data-change="ADDED"]`).Length(); n != 50 {
		t.Errorf("first version's diff page shows %d added entries; want 50", n)
	}
	if got := text(d, `[data-testid="page-count"]`); got != "1–50 of 1,003" {
		t.Errorf("page count %q", got)
	}
	next, _ := d.Find(`[data-testid="next-page"]`).Attr("href")
	if d2 := doc(t, h.get(next, analyst)); !strings.HasPrefix(text(d2, `[data-testid="page-count"]`), "51–100") {
		t.Errorf("second page %q", text(d2, `[data-testid="page-count"]`))
	}

	_, op := h.signIn(staff.PlatformOperator)
	if d := doc(t, h.get("/screening/lists", op)); d.Find(`[data-testid="upload-link"]`).Length() != 1 {
		t.Error("the operator is not offered the upload")
	}

	// Settings: a tenant administrator chooses lists and thresholds.
	_, admin := h.signIn(staff.TenantAdmin)
	d = doc(t, h.get("/config/screening", admin))
	if d.Find(`[data-testid="source-OFAC_SDN"][checked]`).Length() != 1 || d.Find(`#possibleThreshold`).AttrOr("value", "") != "0.8" {
		t.Fatalf("settings page: %s", d.Find("form").Text())
	}
	form := url.Values{"possibleThreshold": {"0.95"}, "matchThreshold": {"0.9"}, "known": {"OFAC_SDN", "UN_CONSOLIDATED", "OS_US_CONGRESS"},
		"source": {"OFAC_SDN", "OS_US_CONGRESS"}}
	resp := h.post("/config/screening", form, admin)
	if resp.StatusCode != http.StatusUnprocessableEntity || text(doc(t, resp), `[data-testid="error-possibleThreshold"]`) == "" {
		t.Errorf("possible above match: %d", resp.StatusCode)
	}
	form.Set("possibleThreshold", "0.85")
	if resp := h.post("/config/screening", form, admin); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	st, err := h.s.Screening.Settings(t.Context(), h.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range st.Sources {
		if src.Enabled != (src.ID != "UN_CONSOLIDATED") {
			t.Errorf("source %s enabled=%v", src.ID, src.Enabled)
		}
	}
	if st.PossibleThreshold != 0.85 || st.MatchThreshold != 0.9 {
		t.Errorf("thresholds %+v", st)
	}
	if acts := h.auditActions(h.tenant.ID, "screening.settings.updated"); len(acts) != 1 {
		t.Errorf("audit %+v", acts)
	}
	_, auditor := h.signIn(staff.Auditor)
	if d := doc(t, h.get("/config/screening", auditor)); d.Find(`[data-testid="save"]`).Length() != 0 || d.Find(`fieldset[disabled]`).Length() != 1 {
		t.Error("an auditor may edit the settings")
	}
}

// uploadForm builds the upload form's multipart body.
func uploadForm(t testing.TB, format string, files map[string][]byte) (string, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.WriteField("format", format)
	for input, content := range files {
		fw, err := mw.CreateFormFile(input, input+".upload")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(content)
	}
	_ = mw.Close()
	return b.String(), mw.FormDataContentType()
}

func (h *harness) upload(c *http.Cookie, format string, files map[string][]byte) *http.Response {
	h.t.Helper()
	body, ct := uploadForm(h.t, format, files)
	req, err := http.NewRequestWithContext(h.t.Context(), "POST", h.srv.URL+"/screening/lists/upload", strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	req.AddCookie(c)
	resp, err := noRedirect.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// waitUpload follows an upload's progress as the page's htmx does, until
// the load is over, and returns the last status fragment.
func (h *harness) waitUpload(c *http.Cookie, loc string) *goquerySelection {
	h.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp := h.do("GET", loc, nil, map[string]string{"HX-Request": "true"}, c)
		st := doc(h.t, resp).Find(`[data-testid="upload-status"]`)
		if s, _ := st.Attr("data-status"); s == "DONE" || s == "FAILED" {
			return st
		}
		if _, polls := st.Attr("hx-trigger"); !polls {
			h.t.Fatalf("a running upload's status does not poll: %s", st.Text())
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("upload still %s", st.AttrOr("data-status", "?"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestScreeningUploadPage(t *testing.T) {
	h := newHarness(t)
	h.loadLists()
	h.startJobs()
	_, op := h.signIn(staff.PlatformOperator)
	if d := doc(t, h.get("/screening/lists/upload", op)); d.Find(`[data-testid="upload-form"]`).Length() != 1 {
		t.Fatal("no upload form")
	}
	_, analyst := h.signIn(staff.Analyst)
	if resp := h.upload(analyst, "senzing", map[string][]byte{"file": []byte("{}")}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an analyst uploads: %d", resp.StatusCode)
	}
	dir := screeningtest.Path(t, "ofac-2021")
	read := func(name string) []byte {
		b, err := os.ReadFile(dir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// An OFAC upload needs its three files.
	resp := h.upload(op, "ofac", map[string][]byte{"sdn": read("sdn.csv")})
	if d := doc(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || text(d, `[data-testid="error-alt"]`) == "" || text(d, `[data-testid="error-add"]`) == "" {
		t.Fatalf("OFAC without alt and add: %d", resp.StatusCode)
	}

	before, err := h.s.Screening.Versions(t.Context(), "OFAC_SDN", 1)
	if err != nil {
		t.Fatal(err)
	}
	// Line 40 of sdn.csv has lost its columns.
	lines := strings.SplitAfter(string(read("sdn.csv")), "\n")
	lines[39] = "40,\"BROKEN ROW\",-0-\r\n"
	resp = h.upload(op, "ofac", map[string][]byte{"sdn": []byte(strings.Join(lines, "")), "alt": read("alt.csv"), "add": read("add.csv")})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	if d := doc(t, h.get(loc, op)); d.Find(`[data-testid="upload-status"]`).Length() != 1 {
		t.Fatal("no progress on the upload page")
	}
	st := h.waitUpload(op, loc)
	if got := st.AttrOr("data-status", ""); got != "FAILED" || !strings.Contains(st.Find(`[data-testid="upload-error"]`).Text(), "sdn.csv line 40: wrong number of fields") {
		t.Fatalf("broken upload: %s %s", got, st.Text())
	}
	after, err := h.s.Screening.Versions(t.Context(), "OFAC_SDN", 2)
	if err != nil {
		t.Fatal(err)
	}
	if after[0].Status != "FAILED" || after[1].ID != before[0].ID || after[1].Status != "CURRENT" {
		t.Errorf("versions after the refusal: %+v", after)
	}
	d := doc(t, h.get("/screening/lists", op))
	if !strings.Contains(d.Find(`[data-source="OFAC_SDN"] [data-testid="version-error"]`).Text(), "sdn.csv line 40") {
		t.Errorf("the lists page does not show the refusal")
	}

	// A good file loads as a new version.
	pep, err := os.ReadFile(screeningtest.Path(t, "pep/us_congress_senzing.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	resp = h.upload(op, "senzing", map[string][]byte{"file": pep})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	st = h.waitUpload(op, resp.Header.Get("Location"))
	if st.AttrOr("data-status", "") != "DONE" || st.Find(`[data-testid="upload-done"] a`).Length() != 1 {
		t.Fatalf("good upload: %s", st.Text())
	}
	if acts := h.auditActions(uuid.Nil, "screening.list.uploaded"); len(acts) < 2 {
		t.Errorf("uploads audited: %+v", acts)
	}
}

// A customer matching an entry that OFAC added in 2021 gets a hit when the
// 2021 list loads, through the job queue, without anyone screening.
func TestRescreeningThroughTheQueue(t *testing.T) {
	h := newHarness(t)
	h.loadLists()
	h.startJobs()
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	if _, err := h.s.Screening.Load(ctx, screening.FormatOFAC, screeningtest.Path(t, "ofac-2019"), screening.LoadOptions{AllowShrink: true}); err != nil {
		t.Fatal(err)
	}
	// Harmohan Singh Hakimzada (entry 21844) was designated after 2019.
	harmohan := h.person("Harmohan", "Singh", "Hakimzada", "1953-06-23", "AF")
	smith := h.person("John", "", "Smith", "1980-01-01", "GB")
	r21, err := h.s.Screening.Load(ctx, screening.FormatOFAC, screeningtest.Path(t, "ofac-2021"), screening.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !r21.RescreenQueued {
		t.Fatal("the load queued no re-screening")
	}
	var hit *screening.Hit
	deadline := time.Now().Add(60 * time.Second)
	for hit == nil {
		hits, err := h.s.Screening.ListHits(t.Context(), h.tenant.ID, screening.HitFilter{SubjectID: &harmohan.ID})
		if err != nil {
			t.Fatal(err)
		}
		for i := range hits {
			if hits[i].EntryID == "21844" {
				hit = &hits[i]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no hit on 21844 after the 2021 load; hits %+v", hits)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if hit.Status != screening.HitOpen || hit.VersionID != r21.Version.ID {
		t.Errorf("hit %+v", hit)
	}
	smithHits, err := h.s.Screening.ListHits(t.Context(), h.tenant.ID, screening.HitFilter{SubjectID: &smith.ID})
	if err != nil || len(smithHits) != 0 {
		t.Errorf("John Smith's hits: %v %+v", err, smithHits)
	}
	var created int
	err = db.InTenantTx(t.Context(), h.pool, h.tenant.ID, func(q *db.Queries) error {
		evs, err := q.ListEventsAfter(t.Context(), db.ListEventsAfterParams{TenantID: h.tenant.ID, MaxRows: 1000})
		for _, e := range evs {
			if e.Type == "screening.hit.created" && e.EntityID == hit.ID.String() {
				created++
			}
		}
		return err
	})
	if err != nil || created != 1 {
		t.Errorf("screening.hit.created events for the hit: %d (%v)", created, err)
	}

	// The analyst sees it in the queue, and the 2021 version's diff names
	// the fields that changed.
	_, analyst := h.signIn(staff.Analyst)
	if d := doc(t, h.get("/screening", analyst)); d.Find(`[data-hit-id="`+hit.ID.String()+`"]`).Length() != 1 {
		t.Error("the new hit is not in the queue")
	}
	next := "/screening/lists/versions/" + r21.Version.ID.String() + "?change=CHANGED"
	var row *goquerySelection
	for next != "" && row == nil {
		d := doc(t, h.get(next, analyst))
		if r := d.Find(`[data-testid="diff-row"][data-entry-id="12725"]`); r.Length() == 1 {
			row = r
		}
		next = d.Find(`[data-testid="next-page"]`).AttrOr("href", "")
	}
	if row == nil {
		t.Fatal("entry 12725 is not among the changes of the 2021 version")
	}
	name := row.Find(`[data-testid="field-change"][data-field="name"]`).Text()
	if !strings.Contains(name, "AL-ASAD, Mahir") || !strings.Contains(name, "AL-ASSAD, Maher") {
		t.Errorf("the name change of 12725: %q", name)
	}
}

// The KYC checks screen the customer: a sanctioned person and a PEP go to
// people with the reason, John Doe is clear, and the lists are named.
func TestKYCScreening(t *testing.T) {
	h := newHarness(t)
	h.loadLists()
	dt := h.demoTenant()
	h.startJobs()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	person := func(first, middle, last, dob, nationality string) func(m map[string]any) {
		return func(m map[string]any) {
			noCategory(m)
			m["firstName"], m["lastName"] = first, last
			ic(m)["middleName"], ic(m)["dateOfBirth"], ic(m)["nationality"] = middle, dob, nationality
		}
	}
	tests := []struct {
		name                    string
		first, middle, last     string
		dob, nationality        string
		status, reason          string
		sanctions, pep, hitList string
	}{
		{"an OFAC individual", "Miguel", "Angel", "Rodriguez Orejuela", "1943-11-23", "CO", "PENDING_REVIEW", "SANCTIONS_MATCH_POSSIBLE", "MATCH", "NOT_PEP", "OFAC_SDN"},
		{"a member of the US Congress", "Nancy", "", "Pelosi", "1940-03-26", "US", "PENDING_REVIEW", "PEP_MATCH_POSSIBLE", "", "PEP", "OS_US_CONGRESS"},
		{"John Doe", "John", "Michael", "Doe", "1990-05-15", "GB", "", "", "CLEAR", "NOT_PEP", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			cust, vr := h.onboarded(dt, tok, person(tc.first, tc.middle, tc.last, tc.dob, tc.nationality))
			p := exampleHolder()
			p.Given, p.Middle, p.Surname = strings.ToUpper(tc.first), strings.ToUpper(tc.middle), strings.ToUpper(tc.last)
			p.DateOfBirth, _ = time.Parse(time.DateOnly, tc.dob)
			file := passportOf(t, p, nil)
			if resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, file), nil); resp.StatusCode != 200 {
				t.Fatalf("upload: %d %v", resp.StatusCode, out)
			}
			want := tc.status
			if want == "" {
				want = "APPROVED"
			}
			st := h.waitStatus(dt, tok, vr, want)
			checks := st["checks"].(map[string]any)
			san, pep := checks["sanctions"].(map[string]any), checks["pep"].(map[string]any)
			if tc.reason != "" && !slices.Contains(anyStrings(st["reasonsForReview"]), tc.reason) {
				t.Errorf("reasons %v; want %s", st["reasonsForReview"], tc.reason)
			}
			if tc.sanctions != "" && san["status"] != tc.sanctions {
				t.Errorf("sanctions %v; want %s", san, tc.sanctions)
			}
			if pep["status"] != tc.pep || pep["checked"] != true {
				t.Errorf("pep %v; want %s", pep, tc.pep)
			}
			// The lists by publisher, as guide 004 names them, and each
			// source's version beside.
			if lists := strings.Join(anyStrings(san["listsChecked"]), ","); lists != "OFAC,PEP,UN" && lists != "OFAC,UN,PEP" {
				t.Errorf("listsChecked %q; want OFAC, UN and PEP", lists)
			}
			var sources []string
			for _, v := range san["listVersions"].([]any) {
				vm := v.(map[string]any)
				if vm["version"].(float64) < 1 {
					t.Errorf("list version %v", vm)
				}
				sources = append(sources, vm["source"].(string))
			}
			slices.Sort(sources)
			if strings.Join(sources, ",") != "OFAC_SDN,OS_US_CONGRESS,UN_CONSOLIDATED" {
				t.Errorf("listVersions name %v", sources)
			}
			id := uuid.MustParse(cust)
			hits, err := h.s.Screening.ListHits(t.Context(), dt.ID, screening.HitFilter{SubjectID: &id})
			if err != nil {
				t.Fatal(err)
			}
			if tc.hitList == "" && len(hits) != 0 {
				t.Errorf("John Doe has hits: %+v", hits)
			}
			if tc.hitList != "" && !slices.ContainsFunc(hits, func(h screening.Hit) bool { return h.Source == tc.hitList && h.Status == screening.HitOpen }) {
				t.Errorf("no open hit from %s in the queue: %+v", tc.hitList, hits)
			}
			// A possible sanctions or PEP match makes the customer HIGH risk.
			c, err := h.s.Customers.Get(t.Context(), dt.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			if wantHigh := tc.hitList != ""; (c.RiskLevel == "HIGH") != wantHigh || (wantHigh && (st["riskLevel"] != "HIGH" || !slices.Contains(c.RiskReasons, "POSSIBLE_LIST_MATCH"))) {
				t.Errorf("risk %s %v (verification %v); want HIGH=%v", c.RiskLevel, c.RiskReasons, st["riskLevel"], wantHigh)
			}
			// The review page leads to each hit, to be decided there.
			if tc.status == "PENDING_REVIEW" {
				page := doc(t, h.get("/reviews/"+vr, h.cookieFor(h.employeeOf(dt.ID, staff.Analyst))))
				for _, hit := range hits {
					if page.Find(`[data-testid="review-hit"] a[href="/screening/hits/`+hit.ID.String()+`"]`).Length() != 1 {
						t.Errorf("the review page lacks hit %s on %s", hit.ID, hit.EntryName)
					}
				}
			}
		})
	}
}

func anyStrings(v any) []string {
	var out []string
	xs, _ := v.([]any)
	for _, x := range xs {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
