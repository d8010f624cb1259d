package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/jobs"
	"github.com/ciamhq/ciam/internal/tenant"
	"github.com/ciamhq/ciam/web/api"
)

// forwarder stands between the server and PostgreSQL, so that a test can
// take the database away without stopping the machine's PostgreSQL: cut
// drops every connection and refuses new ones until restore.
type forwarder struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
}

func newForwarder(t testing.TB, target string) *forwarder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &forwarder{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() {
		_ = ln.Close()
		f.cut()
	})
	go f.serve()
	return f
}

func (f *forwarder) addr() string { return f.ln.Addr().String() }

func (f *forwarder) serve() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		down := f.down
		if !down {
			f.conns[c] = struct{}{}
		}
		f.mu.Unlock()
		if down {
			_ = c.Close()
			continue
		}
		go f.pipe(c)
	}
}

func (f *forwarder) pipe(c net.Conn) {
	up, err := net.Dial("tcp", f.target)
	if err != nil {
		f.drop(c)
		return
	}
	f.mu.Lock()
	if f.down {
		f.mu.Unlock()
		_ = up.Close()
		f.drop(c)
		return
	}
	f.conns[up] = struct{}{}
	f.mu.Unlock()
	go func() {
		_, _ = io.Copy(up, c)
		f.drop(up)
		f.drop(c)
	}()
	_, _ = io.Copy(c, up)
	f.drop(up)
	f.drop(c)
}

func (f *forwarder) drop(c net.Conn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
	_ = c.Close()
}

// cut drops every connection and refuses new ones.
func (f *forwarder) cut() {
	f.mu.Lock()
	f.down = true
	conns := f.conns
	f.conns = map[net.Conn]struct{}{}
	f.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
}

// restore lets connections through again.
func (f *forwarder) restore() {
	f.mu.Lock()
	f.down = false
	f.mu.Unlock()
}

// newHarnessThrough is newHarness whose server reaches its database through
// a forwarder the test can cut.
func newHarnessThrough(t *testing.T) (*harness, *forwarder) {
	t.Helper()
	u, err := url.Parse(dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	fwd := newForwarder(t, u.Host)
	u.Host = fwd.addr()
	q := u.Query()
	q.Set("pool_max_conns", "8")
	u.RawQuery = q.Encode()
	pool, err := db.Open(t.Context(), u.String(), db.DefaultAppRole)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	idp := newFakeIdP(t)
	cfg := testConfig(t, idp.srv.URL)
	cfg.DatabaseURL = u.String()
	clk := &clock{}
	logs := &logBuffer{}
	deps := newDeps(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), pool, clk.now, sharedLists(t))
	deps.OIDC = NewOIDC(cfg.OIDC, idp.srv.Client())
	deps.Customers.HashParams = credential.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	deps.CustomerAuth.HashParams = deps.Customers.HashParams
	s, hd := newServer(deps)
	srv := httptest.NewServer(hd)
	t.Cleanup(srv.Close)
	tn, err := s.Tenants.Create(t.Context(), tenant.CreateParams{Slug: "o-" + uuid.NewString()[:8], Name: "Outage Test Ltd"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, s: s, srv: srv, pool: pool, idp: idp, clock: clk, tenant: tn, logs: logs}, fwd
}

// outcome is one API call made under load.
type outcome struct {
	method     string
	status     int
	code       string
	retryAfter string
	customerID string
	err        error
	// done is when the answer came, took how long it took.
	done time.Time
	took time.Duration
}

// TestDatabaseOutage takes the database away under a light load of
// registrations and reads: every call answers within the client's time-out,
// with its success or 503 SERVICE_UNAVAILABLE and Retry-After, never 500;
// /readyz is 503 while it is away and 200 after; the server recovers by
// itself; every registration answered 201 is whole in the database.
func TestDatabaseOutage(t *testing.T) {
	h, fwd := newHarnessThrough(t)
	tok := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
	client := &http.Client{Timeout: 10 * time.Second}
	call := func(method, path, body string) outcome {
		o := outcome{method: method}
		req, err := http.NewRequestWithContext(t.Context(), method, h.srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("X-Tenant-ID", h.tenant.Slug)
		began := time.Now()
		resp, err := client.Do(req)
		o.done, o.took = time.Now(), time.Since(began)
		if err != nil {
			o.err = err
			return o
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var out map[string]any
		_ = json.Unmarshal(raw, &out)
		o.status, o.retryAfter, o.code = resp.StatusCode, resp.Header.Get("Retry-After"), errCode(out)
		if d, ok := out["data"].(map[string]any); ok {
			o.customerID, _ = d["customerId"].(string)
		}
		return o
	}
	register := func() outcome {
		return call("POST", registerPath, variant(t, func(m map[string]any) {
			m["tenantId"] = h.tenant.Slug
			delete(m, "categorization")
		}))
	}
	readyz := func() int {
		resp, err := client.Get(h.srv.URL + "/readyz")
		if err != nil {
			t.Fatalf("readyz: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	first := register()
	if first.status != http.StatusCreated {
		t.Fatalf("register before the outage: %+v", first)
	}
	if got := readyz(); got != http.StatusOK {
		t.Fatalf("readyz before the outage = %d; want 200", got)
	}
	_, cookie := h.signIn("ANALYST")
	// The job queue runs on the same pool, through the same outage.
	runner, err := jobs.New(h.pool, jobs.Config{Webhooks: h.s.Webhooks, KYC: h.s.KYC, Logger: h.s.Logger, PumpEvery: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = runner.Stop(context.WithoutCancel(t.Context())) })
	owner := dbtest.OwnerPool(t)

	// A light load: registrations and reads of the first customer, until
	// told to stop.
	var (
		mu       sync.Mutex
		outcomes []outcome
		stop     atomic.Bool
		wg       sync.WaitGroup
	)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				var o outcome
				if i%2 == 0 {
					o = register()
				} else {
					o = call("GET", api.Prefix+"/customers/"+first.customerID, "")
				}
				mu.Lock()
				outcomes = append(outcomes, o)
				mu.Unlock()
				time.Sleep(20 * time.Millisecond) // a light load
			}
		}()
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(outcomes)
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting: %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor("calls before the outage", func() bool { return count() >= 8 })

	fwd.cut()
	before := count()
	// The database stays away a few seconds, long enough for connections
	// to be retried and time-outs to matter (CIAM_OUTAGE_SECONDS sets it;
	// docs/load/outage.sh takes it away for 30).
	away := 3 * time.Second
	if v := os.Getenv("CIAM_OUTAGE_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CIAM_OUTAGE_SECONDS=%q", v)
		}
		away = time.Duration(n) * time.Second
	}
	time.Sleep(away)
	waitFor("calls during the outage", func() bool { return count() >= before+12 })
	if got := readyz(); got != http.StatusServiceUnavailable {
		t.Errorf("readyz during the outage = %d; want 503", got)
	}
	// The portal shows its page for the outage, not an internal error.
	resp := h.get("/customers", cookie)
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		strings.TrimSpace(doc.Find(`[data-testid="error-title"]`).Text()) != "Temporarily unavailable" {
		t.Errorf("portal during the outage: %d Retry-After=%q title=%q; want 503 with Retry-After and the unavailable page",
			resp.StatusCode, resp.Header.Get("Retry-After"), doc.Find(`[data-testid="error-title"]`).Text())
	}
	during := count()

	fwd.restore()
	back := time.Now()
	waitFor("readyz after the outage", func() bool { return readyz() == http.StatusOK })
	readyAfter := time.Since(back)
	// The server recovers by itself: calls succeed again without a restart.
	waitFor("successful calls after the outage", func() bool {
		mu.Lock()
		defer mu.Unlock()
		ok := 0
		for _, o := range outcomes[during:] {
			if o.status == http.StatusCreated || o.status == http.StatusOK {
				ok++
			}
		}
		return ok >= 8
	})
	stop.Store(true)
	wg.Wait()

	unavailable := 0
	var created []string
	for _, o := range outcomes {
		switch {
		case o.err != nil:
			t.Errorf("%s: no answer within the client's time-out: %v", o.method, o.err)
		case o.status == http.StatusServiceUnavailable:
			unavailable++
			if o.code != "SERVICE_UNAVAILABLE" || o.retryAfter == "" {
				t.Errorf("%s: 503 code=%q Retry-After=%q; want SERVICE_UNAVAILABLE with Retry-After", o.method, o.code, o.retryAfter)
			}
		case o.method == "POST" && o.status == http.StatusCreated:
			created = append(created, o.customerID)
		case o.method == "GET" && o.status == http.StatusOK:
		default:
			t.Errorf("%s: %d %s; want success or 503", o.method, o.status, o.code)
		}
	}
	if unavailable == 0 {
		t.Errorf("no call answered 503 during the outage (%d calls)", len(outcomes))
	}
	var slowest time.Duration
	firstOK := time.Duration(-1)
	for _, o := range outcomes[before:] {
		slowest = max(slowest, o.took)
		if firstOK < 0 && o.done.After(back) && (o.status == http.StatusCreated || o.status == http.StatusOK) {
			firstOK = o.done.Sub(back)
		}
	}
	t.Logf("%d calls: %d answered 503, %d registrations created", len(outcomes), unavailable, len(created))
	t.Logf("outage figures: database away %s; slowest answer from the cut on %s (client time-out 10 s); /readyz 200 %s and the first success %s after it was back",
		away, slowest.Round(time.Millisecond), readyAfter.Round(time.Millisecond), firstOK.Round(time.Millisecond))

	// The queue recovers by itself too: its leader queues the periodic
	// pump again and its workers run what is inserted after the outage.
	var restored time.Time
	if err := owner.QueryRow(t.Context(), `SELECT now()`).Scan(&restored); err != nil {
		t.Fatal(err)
	}
	inserted, err := runner.Client.Insert(t.Context(), event.PumpArgs{}, nil)
	if err != nil {
		t.Fatalf("insert a job after the outage: %v", err)
	}
	waitFor("jobs worked after the outage", func() bool {
		var worked, periodic int
		err := owner.QueryRow(t.Context(), `
			SELECT (SELECT count(*) FROM river_job WHERE id = $1 AND state = 'completed'),
			       (SELECT count(*) FROM river_job WHERE kind = 'webhook.pump' AND state = 'completed' AND created_at > $2 AND id <> $1)`,
			inserted.Job.ID, restored).Scan(&worked, &periodic)
		return err == nil && worked == 1 && periodic > 0
	})

	// Nothing committed is lost, nothing is half-written: every customer
	// answered 201 has its user, wallet, verification request and event.
	for _, id := range append(created, first.customerID) {
		var creds, wallets, requests, events int
		err := owner.QueryRow(context.WithoutCancel(t.Context()), `
			SELECT (SELECT count(*) FROM customer_credentials WHERE customer_id = c.id),
			       (SELECT count(*) FROM wallets WHERE customer_id = c.id),
			       (SELECT count(*) FROM verification_requests WHERE customer_id = c.id),
			       (SELECT count(*) FROM events e WHERE e.entity_id = c.id::text AND e.type = 'customer.registered')
			FROM customers c WHERE c.id = $1`, id).Scan(&creds, &wallets, &requests, &events)
		if err != nil {
			t.Errorf("customer %s answered 201: %v", id, err)
			continue
		}
		if creds != 1 || wallets != 1 || requests != 1 || events != 1 {
			t.Errorf("customer %s: credentials=%d wallets=%d requests=%d events=%d; want one of each", id, creds, wallets, requests, events)
		}
	}
	// No customer of the tenant was left without its parts either.
	var partial int
	if err := owner.QueryRow(t.Context(), `
		SELECT count(*) FROM customers c WHERE c.tenant_id = $1 AND (
		       NOT EXISTS (SELECT 1 FROM wallets w WHERE w.customer_id = c.id)
		    OR NOT EXISTS (SELECT 1 FROM verification_requests v WHERE v.customer_id = c.id)
		    OR NOT EXISTS (SELECT 1 FROM events e WHERE e.entity_id = c.id::text AND e.type = 'customer.registered'))`,
		h.tenant.ID).Scan(&partial); err != nil {
		t.Fatal(err)
	}
	if partial != 0 {
		t.Errorf("%d customers half-written", partial)
	}
}
