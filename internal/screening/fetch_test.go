package screening

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/apperr"
)

// publisher stands in for a list's publisher: it serves one file with an
// ETag and answers conditional requests, or fails as told.
type publisher struct {
	mu       sync.Mutex
	body     []byte
	status   int // answer this instead of the file, when set
	requests []*http.Request
}

func (p *publisher) set(body []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.body, p.status = body, 0
}

func (p *publisher) fail(status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status = status
}

func (p *publisher) last() *http.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests[len(p.requests)-1]
}

func (p *publisher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = append(p.requests, r)
	if p.status != 0 {
		http.Error(w, "publisher down", p.status)
		return
	}
	sum := sha256.Sum256(p.body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", "Fri, 27 Feb 2026 00:00:09 GMT")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(p.body)
}

func alertEvents(t *testing.T, tenantID uuid.UUID, source string) int {
	t.Helper()
	n := 0
	err := db.InTenantTx(t.Context(), dbtest.Pool(t), tenantID, func(q *db.Queries) error {
		evs, err := q.ListEventsAfter(t.Context(), db.ListEventsAfterParams{TenantID: tenantID, AfterSeq: 0, MaxRows: 1000})
		for _, e := range evs {
			if e.Type == "screening.list.alert" && e.EntityID == source {
				n++
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFetchFromPublisher fetches the shipped UN list from a local server
// standing in for the UN: first load, not modified, changed, failing
// (5xx, network), too big, shrinking beyond the share, stale.
func TestFetchFromPublisher(t *testing.T) {
	ctx := operatorCtx(t)
	pool := dbtest.Pool(t)
	svc := NewService(pool)
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	svc.Jobs = jobs
	tenantID := newTenant(t)
	var alerts []string
	svc.Metrics = alertFunc(func(source, alert string) { alerts = append(alerts, source+" "+alert) })

	orig, err := os.ReadFile(dataPath(t, "un/consolidated.xml"))
	if err != nil {
		t.Fatal(err)
	}
	pub := &publisher{body: orig}
	srv := httptest.NewServer(pub)
	defer srv.Close()
	src := "TEST_FETCH_" + strings.ToUpper(uuid.NewString()[:8])

	// Off, nothing is fetched: offline installs and tests never reach out.
	if _, err := svc.SourceFetchByID(ctx, "UN_CONSOLIDATED"); err != nil {
		t.Fatalf("the UN's default source: %v", err)
	}
	cfg := FetchConfig{SourceID: src, Name: "UN via a local publisher", Kind: KindSanctions, Format: FormatUN, URL: srv.URL + "/consolidated.xml",
		Enabled: true, Interval: time.Hour, MaxBytes: 10 << 20, StaleAfter: 48 * time.Hour, MaxShrink: 0.5}
	if _, err := svc.SetFetch(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.FetchSource(ctx, src); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("fetch while off: %v; want Conflict", err)
	}
	if n, err := svc.FetchDue(ctx); n != 0 || err != nil || len(pub.requests) != 0 {
		t.Fatalf("due fetch while off: %d, %v, %d requests", n, err, len(pub.requests))
	}
	svc.FetchEnabled = true

	// First fetch: a new version, with the file's publication date.
	out, err := svc.FetchSource(ctx, src)
	if err != nil || out.Result != FetchLoaded || out.Load == nil {
		t.Fatalf("first fetch: %+v, %v", out, err)
	}
	if v := out.Load.Version; v.Entries != 1003 || v.Published != "2026-02-27" || v.Source != src {
		t.Errorf("version = %+v", v)
	}
	f, _ := svc.SourceFetchByID(ctx, src)
	if f.LastResult != FetchLoaded || f.ETag == "" || f.LastSuccessAt == nil || f.Alert != "" || f.LastChecksum != out.Load.Version.Checksum ||
		f.LastVersionID == nil || *f.LastVersionID != out.Load.Version.ID || !f.NextFetchAt.After(time.Now().Add(50*time.Minute)) {
		t.Errorf("after the first fetch: %+v", f)
	}
	first := out.Load.Version

	// Not modified: a conditional request, answered 304; nothing loaded.
	out, err = svc.FetchSource(ctx, src)
	if err != nil || out.Result != FetchNotModified {
		t.Fatalf("second fetch: %+v, %v", out, err)
	}
	if got := pub.last().Header.Get("If-None-Match"); got != f.ETag {
		t.Errorf("If-None-Match = %q; want %q", got, f.ETag)
	}
	if pub.last().Header.Get("If-Modified-Since") == "" {
		t.Error("no If-Modified-Since")
	}
	if cur := currentVersion(t, svc, src); cur.ID != first.ID {
		t.Errorf("a 304 made version %d", cur.Seq)
	}

	// Changed: one name differs; a new version, its diff, the re-screening.
	one := strings.Replace(string(orig), "<FIRST_NAME>", "<FIRST_NAME>ZZTEST ", 1)
	pub.set([]byte(one))
	out, err = svc.FetchSource(ctx, src)
	if err != nil || out.Result != FetchLoaded {
		t.Fatalf("changed fetch: %+v, %v", out, err)
	}
	if d := out.Load.Diff; len(d.Changed) != 1 || len(d.Added)+len(d.Removed) != 0 || !out.Load.RescreenQueued {
		t.Errorf("diff = %+v, re-screening queued %v", d, out.Load.RescreenQueued)
	}
	if out.Load.Version.PreviousVersionID == nil || *out.Load.Version.PreviousVersionID != first.ID {
		t.Errorf("changed version = %+v", out.Load.Version)
	}
	inUse := out.Load.Version

	// Failing: a 5xx is recorded, alerts (metric, event), and retries soon.
	pub.fail(http.StatusServiceUnavailable)
	out, err = svc.FetchSource(ctx, src)
	if err != nil || out.Result != FetchFailed || !strings.Contains(out.Err.Error(), "503") {
		t.Fatalf("failing fetch: %+v, %v", out, err)
	}
	f, _ = svc.SourceFetchByID(ctx, src)
	if f.Alert != AlertFailing || f.Failures != 1 || !strings.Contains(f.LastError, "503") || f.NextFetchAt.After(time.Now().Add(5*time.Minute)) {
		t.Errorf("after a 503: %+v", f)
	}
	if n := alertEvents(t, tenantID, src); n != 1 {
		t.Errorf("%d alert events; want 1", n)
	}
	if len(alerts) != 1 || alerts[0] != src+" "+AlertFailing {
		t.Errorf("metric alerts = %v", alerts)
	}
	// A network error too; the alert stands, and is not told twice.
	cfg.URL = "http://127.0.0.1:1/consolidated.xml"
	if _, err := svc.SetFetch(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	out, err = svc.FetchSource(ctx, src)
	if err != nil || out.Result != FetchFailed {
		t.Fatalf("unreachable publisher: %+v, %v", out, err)
	}
	f, _ = svc.SourceFetchByID(ctx, src)
	if f.Failures != 2 || f.Alert != AlertFailing || !strings.Contains(f.LastError, "refused") {
		t.Errorf("after a network error: %+v", f)
	}
	if n := alertEvents(t, tenantID, src); n != 1 {
		t.Errorf("%d alert events; want still 1", n)
	}
	if cur := currentVersion(t, svc, src); cur.ID != inUse.ID {
		t.Error("a failed fetch changed the version in use")
	}

	// Too big: the size limit is enforced while reading.
	pub.set(orig)
	cfg.URL, cfg.MaxBytes = srv.URL+"/consolidated.xml", 100_000
	if _, err := svc.SetFetch(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	out, _ = svc.FetchSource(ctx, src)
	if out.Result != FetchFailed || !strings.Contains(out.Err.Error(), "limit of 100000") {
		t.Fatalf("too big: %+v", out)
	}
	// Back to normal: the alert clears.
	cfg.MaxBytes = 10 << 20
	if _, err := svc.SetFetch(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	out, _ = svc.FetchSource(ctx, src)
	if out.Result != FetchLoaded || len(out.Load.Diff.Changed) != 1 {
		t.Fatalf("back to the original: %+v", out)
	}
	if f, _ = svc.SourceFetchByID(ctx, src); f.Alert != "" || f.Failures != 0 {
		t.Errorf("after a success: %+v", f)
	}
	inUse = out.Load.Version

	// Shrinking beyond the share: only the 273 entities, held for a person.
	shrunk := regexp.MustCompile(`(?s)<INDIVIDUALS>.*</INDIVIDUALS>`).ReplaceAll(orig, []byte("<INDIVIDUALS></INDIVIDUALS>"))
	pub.set(shrunk)
	out, _ = svc.FetchSource(ctx, src)
	if out.Result != FetchHeld || !strings.Contains(out.Err.Error(), "273") {
		t.Fatalf("shrinking fetch: %+v", out)
	}
	if cur := currentVersion(t, svc, src); cur.ID != inUse.ID {
		t.Error("a held file replaced the version in use")
	}
	f, _ = svc.SourceFetchByID(ctx, src)
	if f.HeldAt == nil || f.HeldEntries != 273 || f.HeldCurrent != 1003 || f.LastResult != FetchHeld {
		t.Errorf("held: %+v", f)
	}
	up, err := svc.DecideHeld(ctx, src, true)
	if err != nil || up == nil || !up.AllowShrink {
		t.Fatalf("load the held file: %+v, %v", up, err)
	}
	if err := svc.runUpload(ctx, up.ID); err != nil { // what the load job does
		t.Fatal(err)
	}
	if cur := currentVersion(t, svc, src); cur.Entries != 273 {
		t.Errorf("after approval the version in use has %d entries", cur.Entries)
	}
	if f, _ = svc.SourceFetchByID(ctx, src); f.HeldAt != nil {
		t.Error("the held file is still held")
	}
	if _, err := svc.DecideHeld(ctx, src, true); apperr.CodeOf(err) != apperr.Conflict {
		t.Errorf("deciding nothing held: %v", err)
	}

	// Stale: no successful fetch for longer than stale-after alerts, even
	// before the next fetch is due.
	cfg.StaleAfter, cfg.Interval = time.Hour, 24*time.Hour
	if _, err := svc.SetFetch(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if out, _ := svc.FetchSource(ctx, src); out.Result == FetchFailed { // sets next_fetch_at a day ahead
		t.Fatalf("fetch: %+v", out)
	}
	svc.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	before := len(pub.requests)
	if _, err := svc.FetchDue(ctx); err != nil {
		t.Fatal(err)
	}
	if len(pub.requests) != before {
		t.Error("a source not due was fetched")
	}
	f, _ = svc.SourceFetchByID(ctx, src)
	if f.Alert != AlertStale {
		t.Errorf("alert = %q; want STALE", f.Alert)
	}
	if n := alertEvents(t, tenantID, src); n != 2 {
		t.Errorf("%d alert events; want 2 (failing, then stale)", n)
	}
}

type alertFunc func(source, alert string)

func (f alertFunc) ListAlert(source, alert string) { f(source, alert) }

func currentVersion(t *testing.T, svc *Service, src string) Version {
	t.Helper()
	vs, err := svc.Versions(t.Context(), src, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.Status == "CURRENT" {
			return v
		}
	}
	t.Fatalf("%s has no version in use", src)
	return Version{}
}
