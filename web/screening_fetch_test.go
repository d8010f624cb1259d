package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/screening/screeningtest"
	"github.com/ciamhq/ciam/internal/staff"
)

// TestScreeningListsFetchPanel: the lists page shows each source's fetch
// settings; "Fetch now" (an operator's, POST, 303) queues a fetch the job
// runs against a local publisher; a failing source raises the banner.
func TestScreeningListsFetchPanel(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	_, op := h.signIn(staff.PlatformOperator)
	_, analyst := h.signIn(staff.Analyst)

	// Off by default: the defaults are shown, nothing can be fetched.
	d := doc(t, h.get("/screening/lists", op))
	if !strings.Contains(text(d, `[data-source="OFAC_SDN"] [data-testid="fetch-url"]`), "sanctionslistservice.ofac.treas.gov") {
		t.Errorf("OFAC_SDN's address is not shown: %q", text(d, `[data-source="OFAC_SDN"] [data-testid="fetch"]`))
	}
	if strings.Contains(text(d, `[data-source="EU_FSF"] [data-testid="fetch-url"]`), "token=") {
		t.Error("the address's query (a token) is shown")
	}
	if d.Find(`[data-testid="fetch-off"]`).Length() != 1 || d.Find(`[data-testid="fetch-now"]`).Length() != 0 {
		t.Error("fetching off: want the notice and no Fetch now")
	}
	if resp := h.post("/screening/lists/sources/OFAC_SDN/fetch", nil, op); resp.StatusCode != http.StatusConflict {
		t.Errorf("fetch now while off: %d", resp.StatusCode)
	}

	dpl, err := os.ReadFile(screeningtest.Path(t, "us-bis-dpl/dpl.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var failing, shrunk atomic.Bool
	short := strings.Join(strings.SplitAfter(string(dpl), "\n")[:51], "")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.Header().Set("Last-Modified", "Mon, 02 Mar 2026 10:00:00 GMT")
		if shrunk.Load() {
			w.Write([]byte(short))
			return
		}
		w.Write(dpl)
	}))
	defer srv.Close()
	h.s.Screening.FetchEnabled = true
	t.Cleanup(func() { h.s.Screening.FetchEnabled = false })
	src := "TEST_WEB_DPL_" + strings.ToUpper(uuid.NewString()[:8])
	// The lists are platform data the package's tests share: the list this
	// test loads leaves use when it ends, so that other tests see only
	// theirs.
	t.Cleanup(func() {
		ctx := context.WithoutCancel(h.t.Context())
		if _, err := dbtest.OwnerPool(t).Exec(ctx, `UPDATE screening_list_versions SET status = 'SUPERSEDED' WHERE source_id = $1 AND status = 'CURRENT'`, src); err != nil {
			t.Error(err)
		}
		if _, err := h.s.Screening.Refresh(ctx); err != nil {
			t.Error(err)
		}
	})
	if _, err := h.s.Screening.SetFetch(h.t.Context(), screening.FetchConfig{SourceID: src, Name: "DPL from a local publisher", Format: screening.FormatDPL,
		URL: srv.URL + "/dpl.txt", Enabled: true, Interval: 24 * time.Hour, MaxBytes: 1 << 20, StaleAfter: 48 * time.Hour, MaxShrink: 0.5}); err != nil {
		t.Fatal(err)
	}
	path := "/screening/lists/sources/" + src + "/fetch"
	if resp := h.post(path, nil, analyst); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an analyst fetches: %d", resp.StatusCode)
	}
	resp := h.post(path, nil, op)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/screening/lists" {
		t.Fatalf("fetch now: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		f, err := h.s.Screening.SourceFetchByID(h.t.Context(), src)
		if err != nil {
			t.Fatal(err)
		}
		if f.LastResult == screening.FetchLoaded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fetch job did not load the list: %+v", f)
		}
		time.Sleep(200 * time.Millisecond)
	}
	d = doc(t, h.get("/screening/lists", op))
	sel := `[data-source="` + src + `"]`
	if got := text(d, sel+` [data-testid="fetch-result"]`); !strings.Contains(got, "LOADED") {
		t.Errorf("fetch result = %q", got)
	}
	if got := text(d, sel+` [data-testid="published"]`); !strings.Contains(got, "2019-06-12") || !strings.Contains(got, "days ago") {
		t.Errorf("published = %q", got)
	}
	if d.Find(sel+` [data-testid="fetch-now"]`).Length() != 1 || d.Find(sel+` [data-testid="version-row"]`).Length() != 1 {
		t.Error("no Fetch now, or not one version")
	}

	// A file of 50 rows is held: the banner says so, and a person discards it.
	shrunk.Store(true)
	if out, err := h.s.Screening.FetchSource(h.t.Context(), src); err != nil || out.Result != screening.FetchHeld {
		t.Fatalf("shrunk fetch: %+v %v", out, err)
	}
	d = doc(t, h.get("/screening/lists", op))
	if !strings.Contains(text(d, `[data-testid="fetch-alerts"]`), "waits for a person") || d.Find(sel+` [data-testid="held-discard"]`).Length() != 1 {
		t.Errorf("held file not shown: %q", text(d, sel+` [data-testid="fetch"]`))
	}
	heldPath := "/screening/lists/sources/" + src + "/held"
	if resp := h.post(heldPath, url.Values{"decision": {"maybe"}}, op); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("decision maybe: %d", resp.StatusCode)
	}
	if resp := h.post(heldPath, url.Values{"decision": {"discard"}}, op); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("discard: %d", resp.StatusCode)
	}
	if f, _ := h.s.Screening.SourceFetchByID(h.t.Context(), src); f.HeldAt != nil {
		t.Error("still held after discard")
	}
	if resp := h.post(heldPath, url.Values{"decision": {"discard"}}, op); resp.StatusCode != http.StatusConflict {
		t.Errorf("discard again: %d", resp.StatusCode)
	}
	shrunk.Store(false)

	// A failing publisher: recorded and on the banner.
	failing.Store(true)
	if out, err := h.s.Screening.FetchSource(h.t.Context(), src); err != nil || out.Result != screening.FetchFailed {
		t.Fatalf("failing fetch: %+v %v", out, err)
	}
	d = doc(t, h.get("/screening/lists", op))
	if got := text(d, `[data-testid="fetch-alerts"]`); !strings.Contains(got, "DPL from a local publisher") || !strings.Contains(got, "502") {
		t.Errorf("banner = %q", got)
	}
	if !strings.Contains(text(d, sel+` [data-testid="fetch-error"]`), "502") {
		t.Error("the source does not show its error")
	}
}

// The new formats load through the portal's upload as the older ones do:
// the UK fixture becomes a version of UK_SANCTIONS_LIST with its
// publication date.
func TestScreeningUploadUKList(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	_, op := h.signIn(staff.PlatformOperator)
	t.Cleanup(func() {
		ctx := context.WithoutCancel(h.t.Context())
		if _, err := dbtest.OwnerPool(t).Exec(ctx, `UPDATE screening_list_versions SET status = 'SUPERSEDED' WHERE source_id = 'UK_SANCTIONS_LIST' AND status = 'CURRENT'`); err != nil {
			t.Error(err)
		}
		if _, err := h.s.Screening.Refresh(ctx); err != nil {
			t.Error(err)
		}
	})
	uk, err := os.ReadFile(screeningtest.Path(t, "uk/uk-sanctions-list.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if d := doc(t, h.get("/screening/lists/upload", op)); d.Find(`#fmt-uk`).Length() != 1 || d.Find(`#fmt-eu`).Length() != 1 {
		t.Error("the form does not offer the UK and EU formats")
	}
	resp := h.upload(op, "uk", map[string][]byte{"file": uk})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	st := h.waitUpload(op, resp.Header.Get("Location"))
	if got := st.AttrOr("data-status", ""); got != "DONE" {
		t.Fatalf("upload: %s %s", got, st.Text())
	}
	vs, err := h.s.Screening.Versions(h.t.Context(), "UK_SANCTIONS_LIST", 1)
	if err != nil || len(vs) != 1 || vs[0].Entries != 4 || vs[0].Published != "2026-03-02" {
		t.Fatalf("versions = %+v, %v", vs, err)
	}
	d := doc(t, h.get("/screening/lists", op))
	if got := text(d, `[data-source="UK_SANCTIONS_LIST"] [data-testid="published"]`); !strings.Contains(got, "2026-03-02") {
		t.Errorf("published = %q", got)
	}
}
