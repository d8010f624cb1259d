package web

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/screening/screeningtest"
	"github.com/ciamhq/ciam/internal/staff"
)

// TestScreeningFetchSettingsForm: the platform operator sets a source's
// address, schedule and limits in the portal (no SQL): bad values are
// refused next to their fields and change nothing, a saved form answers 303
// and is audited without the address's token, an address shown without its
// query keeps the stored one, a new source can be added, and only the
// operator may do any of it.
func TestScreeningFetchSettingsForm(t *testing.T) {
	h := newHarness(t)
	op, opCookie := h.signIn(staff.PlatformOperator)
	_, analyst := h.signIn(staff.Analyst)
	_, admin := h.signIn(staff.TenantAdmin)
	ctx := h.t.Context()

	src := "TEST_FORM_" + strings.ToUpper(uuid.NewString()[:8])
	const token = "token=s3cr3t-value"
	if _, err := h.s.Screening.SetFetch(ctx, screening.FetchConfig{SourceID: src, Name: "EU via a token", Kind: screening.KindSanctions,
		Format: screening.FormatEU, URL: "https://publisher.example/fsf.xml?" + token, Enabled: false, Interval: 24 * time.Hour,
		MaxBytes: 64 << 20, StaleAfter: 72 * time.Hour, MaxShrink: 0.5}); err != nil {
		t.Fatal(err)
	}
	path := "/screening/lists/sources/" + src + "/settings"

	// The lists page links to the form; the form shows words, not Go durations, and never the token.
	d := doc(t, h.get("/screening/lists", opCookie))
	if href, _ := d.Find(`[data-source="` + src + `"] [data-testid="fetch-settings-link"]`).Attr("href"); href != path {
		t.Errorf("settings link = %q", href)
	}
	if got := text(d, `[data-source="`+src+`"] [data-testid="fetch-schedule"]`); got != "not scheduled" {
		t.Errorf("schedule = %q", got)
	}
	resp := h.get(path, opCookie)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("form: %d", resp.StatusCode)
	}
	d = doc(t, resp)
	if v, _ := d.Find(`#url`).Attr("value"); v != "https://publisher.example/fsf.xml?…" {
		t.Errorf("url shown = %q", v)
	}
	if strings.Contains(d.Text(), "s3cr3t") {
		t.Error("the form shows the address's token")
	}
	if v, _ := d.Find(`#interval`).Attr("value"); v != "1 day" {
		t.Errorf("interval shown = %q", v)
	}
	if v, _ := d.Find(`#staleAfter`).Attr("value"); v != "3 days" {
		t.Errorf("stale after shown = %q", v)
	}

	// Bad values: each refused next to its field, nothing changed.
	bad := url.Values{"name": {""}, "kind": {"MAYBE"}, "format": {"pdf"}, "url": {"ftp://publisher.example/x"}, "interval": {"soon"},
		"staleAfter": {"0 minutes"}, "maxBytes": {"-3"}, "maxShrink": {"150"}}
	resp = h.post(path, bad, opCookie)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d", resp.StatusCode)
	}
	d = doc(t, resp)
	for _, f := range []string{"name", "interval", "staleAfter", "maxBytes", "maxShrink"} {
		if d.Find(`[data-testid="error-`+f+`"]`).Length() != 1 {
			t.Errorf("no error next to %s", f)
		}
	}
	// The service's own checks (format, address, kind) come back next to their fields too.
	bad2 := url.Values{"name": {"EU"}, "kind": {"MAYBE"}, "format": {"pdf"}, "url": {"ftp://publisher.example/x"}, "interval": {"1 day"},
		"staleAfter": {"3 days"}, "maxBytes": {"64"}, "maxShrink": {"50"}}
	resp = h.post(path, bad2, opCookie)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad form 2: %d", resp.StatusCode)
	}
	d = doc(t, resp)
	for _, f := range []string{"kind", "format", "url"} {
		if d.Find(`[data-testid="error-`+f+`"]`).Length() != 1 {
			t.Errorf("no error next to %s", f)
		}
	}
	if f, _ := h.s.Screening.SourceFetchByID(ctx, src); f.Name != "EU via a token" || f.Interval != 24*time.Hour || f.URL != "https://publisher.example/fsf.xml?"+token {
		t.Errorf("a refused form changed the source: %+v", f)
	}

	// Only the platform operator.
	good := url.Values{"name": {"EU financial sanctions"}, "kind": {"SANCTIONS"}, "format": {"eu"}, "url": {"https://publisher.example/fsf.xml?…"},
		"interval": {"6 hours"}, "staleAfter": {"2 days"}, "maxBytes": {"32"}, "maxShrink": {"25"}, "enabled": {"on"}}
	for _, c := range []*http.Cookie{analyst, admin} {
		if resp := h.post(path, good, c); resp.StatusCode != http.StatusForbidden {
			t.Errorf("another role saves: %d", resp.StatusCode)
		}
		if resp := h.get(path, c); resp.StatusCode != http.StatusForbidden {
			t.Errorf("another role reads the form: %d", resp.StatusCode)
		}
	}

	// Saved: 303 to the lists, the token kept, the values in force, audited without the token.
	resp = h.post(path, good, opCookie)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/screening/lists" {
		t.Fatalf("save: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	f, err := h.s.Screening.SourceFetchByID(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "EU financial sanctions" || f.URL != "https://publisher.example/fsf.xml?"+token || !f.Enabled || f.Interval != 6*time.Hour ||
		f.StaleAfter != 48*time.Hour || f.MaxBytes != 32<<20 || f.MaxShrink != 0.25 {
		t.Errorf("saved = %+v", f)
	}
	var after string
	if err := dbtest.OwnerPool(t).QueryRow(context.WithoutCancel(ctx), `SELECT after::text FROM audit_log WHERE action = 'screening.source.fetch_set' AND entity_id = $1
		AND actor_id = $2 ORDER BY seq DESC LIMIT 1`, src, op.ID.String()).Scan(&after); err != nil {
		t.Fatalf("no audit of the operator's change: %v", err)
	}
	if strings.Contains(after, "s3cr3t") || !strings.Contains(after, "publisher.example/fsf.xml") {
		t.Errorf("audit after = %s", after)
	}
	if got := text(doc(t, h.get("/screening/lists", opCookie)), `[data-source="`+src+`"] [data-testid="fetch-schedule"]`); got != "every 6 hours" {
		t.Errorf("schedule = %q", got)
	}

	// A whole new address replaces the stored one.
	good.Set("url", "https://other.example/fsf.xml")
	if resp := h.post(path, good, opCookie); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save new address: %d", resp.StatusCode)
	}
	if f, _ := h.s.Screening.SourceFetchByID(ctx, src); f.URL != "https://other.example/fsf.xml" {
		t.Errorf("url = %q", f.URL)
	}

	// A new source: its id is checked, a taken one refused.
	if resp := h.get("/screening/lists/sources/new", opCookie); resp.StatusCode != http.StatusOK {
		t.Fatalf("new form: %d", resp.StatusCode)
	}
	fresh := url.Values{"sourceId": {"os eu meps"}, "name": {"EU MEPs"}, "kind": {"PEP"}, "format": {"senzing"},
		"url": {"https://data.example/eu_meps/senzing.json"}, "interval": {"1 day"}, "staleAfter": {"3 days"}, "maxBytes": {"64"}, "maxShrink": {"50"}}
	resp = h.post("/screening/lists/sources", fresh, opCookie)
	if resp.StatusCode != http.StatusUnprocessableEntity || doc(t, resp).Find(`[data-testid="error-sourceId"]`).Length() != 1 {
		t.Errorf("bad id: %d", resp.StatusCode)
	}
	fresh.Set("sourceId", src)
	resp = h.post("/screening/lists/sources", fresh, opCookie)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(doc(t, resp), `[data-testid="error-sourceId"]`), "set up already") {
		t.Errorf("taken id: %d", resp.StatusCode)
	}
	newID := "TEST_NEW_" + strings.ToUpper(uuid.NewString()[:8])
	fresh.Set("sourceId", newID)
	if resp := h.post("/screening/lists/sources", fresh, opCookie); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("new source: %d", resp.StatusCode)
	}
	if f, err := h.s.Screening.SourceFetchByID(ctx, newID); err != nil || f.Kind != screening.KindPEP || f.Format != screening.FormatSenzing || f.Enabled {
		t.Errorf("new source = %+v, %v", f, err)
	}
	if d := doc(t, h.get("/screening/lists", opCookie)); d.Find(`[data-source="`+newID+`"]`).Length() != 1 {
		t.Error("the new source is not on the lists page")
	}
	if resp := h.get("/screening/lists/sources/NO_SUCH_SOURCE/settings", opCookie); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown source: %d", resp.StatusCode)
	}
}

// TestScreeningUploadOFACConsolidated: the Consolidated (non-SDN) list,
// whose files are named cons_*.csv, loads through the portal's form.
func TestScreeningUploadOFACConsolidated(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	_, op := h.signIn(staff.PlatformOperator)
	t.Cleanup(func() {
		ctx := context.WithoutCancel(h.t.Context())
		if _, err := dbtest.OwnerPool(t).Exec(ctx, `UPDATE screening_list_versions SET status = 'SUPERSEDED' WHERE source_id = 'OFAC_CONSOLIDATED' AND status = 'CURRENT'`); err != nil {
			t.Error(err)
		}
		if _, err := h.s.Screening.Refresh(ctx); err != nil {
			t.Error(err)
		}
	})
	if d := doc(t, h.get("/screening/lists/upload", op)); d.Find(`#fmt-ofac-cons`).Length() != 1 {
		t.Fatal("the form does not offer OFAC Consolidated")
	}
	dir := screeningtest.Path(t, "ofac-consolidated")
	files := map[string][]byte{}
	for input, name := range map[string]string{"sdn": "cons_prim.csv", "alt": "cons_alt.csv", "add": "cons_add.csv", "comments": "cons_comments.csv"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		files[input] = b
	}
	resp := h.upload(op, "ofac-cons", files)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	st := h.waitUpload(op, resp.Header.Get("Location"))
	if got := st.AttrOr("data-status", ""); got != "DONE" {
		t.Fatalf("upload: %s %s", got, st.Text())
	}
	vs, err := h.s.Screening.Versions(h.t.Context(), "OFAC_CONSOLIDATED", 1)
	if err != nil || len(vs) != 1 || vs[0].Entries < 100 {
		t.Fatalf("versions = %+v, %v", vs, err)
	}
	// Without the entries file the upload is refused and names it.
	delete(files, "sdn")
	resp = h.upload(op, "ofac-cons", files)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc(t, resp).Text(), "cons_prim.csv") {
		t.Errorf("upload without cons_prim.csv: %d", resp.StatusCode)
	}
}
