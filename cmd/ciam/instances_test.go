package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/demo"
	"github.com/ciamhq/ciam/internal/devenv"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
)

// apiAt calls the customer API of the server at base as the tenant's
// backend: status, the decoded body and the headers.
func apiAt(t *testing.T, base, tenant, token, method, path string, body any, headers map[string]string) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, base+"/api/v2.1"+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Tenant-ID", tenant)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func apiErrCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// Three servers on one database behind a round-robin balancer give the
// answers one server gives: idempotency, lockouts, four-eyes, rate limits
// and AML velocity windows hold across them; a screening list loaded
// elsewhere is used by all within SCREENING_REFRESH; a revoked API client
// is refused by all within 2 s and tokens of a rotated signing key verify
// on all at once; each event reaches a webhook subscription once.
func TestThreeInstancesBehindOneBalancer(t *testing.T) {
	root := projectRoot(t)
	dbURL := dbtest.FreshURL(t) // its servers load lists and keys the package's other tests would see
	ctx := t.Context()
	pool, err := db.Open(ctx, dbURL, db.DefaultAppRole)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	customers := customer.NewService(pool, nil)
	employees := staff.NewService(pool)
	d, err := demo.Seed(ctx, tenant.NewService(pool), employees, customers)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.SeedAML(ctx, pool, d, nil, employees, customers); err != nil {
		t.Fatal(err)
	}
	fieldKeys := "b1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // one key id for the package: its tests share a database
	keys, err := fieldcrypt.Parse(fieldKeys)
	if err != nil {
		t.Fatal(err)
	}
	sys := actor.With(ctx, actor.Actor{Kind: actor.System, Name: "instances test", TenantID: d.Tenant.ID})
	owner, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()

	// The balancer: each request to the next server in turn.
	var backends []*url.URL
	var turn atomic.Int64
	lb := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		b := backends[int(turn.Add(1))%len(backends)]
		r.SetURL(b)
		r.Out.Host = r.In.Host
	}})
	defer lb.Close()

	// Webhook receiver and subscription.
	var recvMu sync.Mutex
	received := map[string]int{}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		recvMu.Lock()
		received[r.Header.Get("X-Event-ID")]++
		recvMu.Unlock()
	}))
	defer receiver.Close()
	var fromPosition int64
	if err := owner.QueryRow(ctx, "SELECT coalesce(max(position), 0) FROM events").Scan(&fromPosition); err != nil {
		t.Fatal(err)
	}
	hooks := event.NewWebhooks(pool, keys)
	hooks.AllowPrivateNetworks = true
	sub, _, err := hooks.CreateSubscription(sys, d.Tenant.ID, receiver.URL+"/hook", "instances test", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The demo tenant is shared by the package's tests: its receiver goes
	// with this test, so its subscription does too.
	t.Cleanup(func() { _ = hooks.SetStatus(context.WithoutCancel(ctx), d.Tenant.ID, sub.ID, "DISABLED") })

	logs := &syncBuffer{}
	idp := &devenv.OIDCProvider{Root: root, Port: freePort(t), Log: logs,
		RedirectURL: lb.URL + "/auth/callback", PostLogoutURL: lb.URL + "/login?reason=signed_out"}
	if err := idp.Start(ctx); err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}
	defer idp.Stop()

	var servers []*serverProcess
	for range 3 {
		p := newServerProcess(t, map[string]string{
			"DATABASE_URL": dbURL, "FIELD_ENCRYPTION_KEYS": fieldKeys, "PUBLIC_URL": lb.URL, "TRUSTED_PROXIES": "127.0.0.1/32",
			"SESSION_KEYS": "aW5zdGFuY2VzLWluc3RhbmNlcy1pbnN0YW5jZXMtaW5zdGFuY2VzLWluc3Q=", "SCREENING_REFRESH": "1s",
			"WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true", "OIDC_ISSUER": idp.Issuer(), "OIDC_CLIENT_ID": idp.ClientID,
			"OIDC_CLIENT_SECRET": idp.ClientSecret,
		})
		p.start()
		servers = append(servers, p)
		u, _ := url.Parse(p.base)
		backends = append(backends, u)
	}
	scopes := []string{credential.ScopeCustomersWrite, credential.ScopeCustomersRead, credential.ScopeAML, credential.ScopeScreening}
	clients := credential.NewAPIClients(pool, nil)
	client, secret, err := clients.Create(sys, d.Tenant.ID, "instances test "+uuid.NewString()[:6], scopes)
	if err != nil {
		t.Fatal(err)
	}
	token := clientToken(t, lb.URL, client.ClientID, secret)
	slug := d.Tenant.Slug
	regRaw, err := os.ReadFile(filepath.Join(root, "docs", "examples", "registration.json"))
	if err != nil {
		t.Fatal(err)
	}
	registration := func(email string) map[string]any {
		var reg map[string]any
		_ = json.Unmarshal(regRaw, &reg)
		reg["email"] = email
		return reg
	}

	// Idempotency: one key sent to the three servers at once makes one
	// customer, and each answer is that customer's.
	email := "inst-" + uuid.NewString()[:8] + "@example.com"
	key := uuid.NewString()
	type answer struct {
		status int
		out    map[string]any
	}
	answers := make([]answer, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() {
			st, out := apiAt(t, s.base, slug, token, "POST", "/customer/individual/registration", registration(email), map[string]string{"Idempotency-Key": key})
			answers[i] = answer{st, out}
		})
	}
	wg.Wait()
	customerID := ""
	for i, a := range answers {
		switch {
		case a.status == http.StatusCreated:
			id := a.out["data"].(map[string]any)["customerId"].(string)
			if customerID != "" && id != customerID {
				t.Fatalf("server %d made customer %s, another %s, for one Idempotency-Key", i, id, customerID)
			}
			customerID = id
		case a.status == http.StatusConflict:
			// the same key still being worked on by another server: what one server answers too
		default:
			t.Fatalf("server %d: %d %v", i, a.status, a.out)
		}
	}
	for i, s := range servers { // and afterwards each replays the first answer
		st, out := apiAt(t, s.base, slug, token, "POST", "/customer/individual/registration", registration(email), map[string]string{"Idempotency-Key": key})
		if st != http.StatusCreated || out["data"].(map[string]any)["customerId"] != customerID {
			t.Fatalf("server %d replay: %d %v; want customer %s", i, st, out, customerID)
		}
	}
	var made int
	if err := owner.QueryRow(ctx, "SELECT count(*) FROM customers WHERE tenant_id = $1 AND lower(email) = lower($2)", d.Tenant.ID, email).Scan(&made); err != nil || made != 1 {
		t.Fatalf("%d customers for one Idempotency-Key (%v)", made, err)
	}

	// Lockout: the tenant's five failed sign-ins, spread over the servers,
	// lock the account on all of them.
	password := registration(email)["password"].(string)
	for i := range 5 {
		s := servers[i%len(servers)]
		if st, out := apiAt(t, s.base, slug, "", "POST", "/customer/session", map[string]any{"email": email, "password": "Wrong-Passw0rd!"}, nil); st != http.StatusUnauthorized {
			t.Fatalf("wrong password %d on server %d: %d %v", i+1, i%len(servers), st, out)
		}
	}
	for i, s := range servers {
		st, out := apiAt(t, s.base, slug, "", "POST", "/customer/session", map[string]any{"email": email, "password": password}, nil)
		if apiErrCode(out) != "ACCOUNT_LOCKED" {
			t.Fatalf("right password on server %d after five failures elsewhere: %d %v; want ACCOUNT_LOCKED", i, st, out)
		}
	}

	// Four-eyes: the backend locks the customer on one server; the unlock
	// it asks for on another waits for an employee, who approves it through
	// the balancer; deciding it again (on the next server) is refused; then
	// every server shows the customer unlocked.
	if st, out := apiAt(t, servers[2].base, slug, token, "POST", "/customers/"+customerID+"/standing", map[string]any{"action": "LOCK", "reason": "card reported stolen"}, nil); st != http.StatusOK {
		t.Fatalf("lock: %d %v", st, out)
	}
	st, out := apiAt(t, servers[0].base, slug, token, "POST", "/customers/"+customerID+"/standing", map[string]any{"action": "UNLOCK", "reason": "called the bank"}, nil)
	if st != http.StatusAccepted {
		t.Fatalf("unlock: %d %v", st, out)
	}
	change := out["data"].(map[string]any)["pendingApproval"].(map[string]any)["changeRequestId"].(string)
	portal := portalSignIn(t, lb.URL, "admin")
	decide := func() (*http.Response, string) {
		resp, err := portal.PostForm(lb.URL+"/approvals/"+change+"/decide", url.Values{"decision": {"APPROVE"}, "reason": {"identity confirmed by phone"}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, page := decide(); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Approved and applied") {
		t.Fatalf("approve: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	if resp, page := decide(); resp.StatusCode != http.StatusOK || !strings.Contains(page, "already approved") {
		t.Fatalf("second decision: %d, no word of the first:\n%s", resp.StatusCode, page)
	}
	var decided int
	if err := owner.QueryRow(ctx, "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND entity_id = $2 AND action LIKE '%approved'", d.Tenant.ID, change).Scan(&decided); err != nil || decided != 1 {
		t.Fatalf("the change request was approved %d times (%v)", decided, err)
	}
	for i, s := range servers {
		st, out := apiAt(t, s.base, slug, token, "GET", "/customers/"+customerID, nil, nil)
		if st != http.StatusOK || fmt.Sprint(out["data"].(map[string]any)["status"]) == "LOCKED" {
			t.Fatalf("server %d after the unlock: %d %v", i, st, out)
		}
	}

	// Rate limits: twenty wrong secrets spread over the servers hold the
	// client back on every one of them.
	limited, limitedSecret, err := clients.Create(sys, d.Tenant.ID, "instances limited "+uuid.NewString()[:6], scopes)
	if err != nil {
		t.Fatal(err)
	}
	tokenAt := func(base, secret string) int {
		resp, err := http.PostForm(base+"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {limited.ClientID}, "client_secret": {secret}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 20 {
		if st := tokenAt(servers[i%len(servers)].base, "cs_wrong"); st != http.StatusUnauthorized && st != http.StatusBadRequest {
			t.Fatalf("wrong secret %d: %d", i+1, st)
		}
	}
	for i, s := range servers {
		if st := tokenAt(s.base, limitedSecret); st != http.StatusTooManyRequests {
			t.Fatalf("right secret on server %d after 20 wrong ones elsewhere: %d; want 429", i, st)
		}
	}

	// AML velocity: the demo rule "more than 5 outgoing transfers above
	// 1,000 EUR in 24 hours" counts transfers screened by any server.
	now := time.Now().UTC()
	for i := range 6 {
		s := servers[i%len(servers)]
		st, out := apiAt(t, s.base, slug, token, "POST", "/aml/transactions/screen", map[string]any{"customerId": customerID,
			"transactionId": fmt.Sprintf("inst-%s-%d", key[:8], i), "type": "TRANSFER", "direction": "OUT", "amount": "1500.00", "currency": "EUR",
			"channel": "MOBILE", "timestamp": now.Add(time.Duration(i-6) * time.Minute).Format(time.RFC3339),
			"counterparty": map[string]any{"name": "Quick Cash Ltd", "country": "DE", "account": "DE89370400440532013000"}}, nil)
		if st != http.StatusOK {
			t.Fatalf("screening %d: %d %v", i+1, st, out)
		}
		velocity := false
		for _, r := range out["data"].(map[string]any)["triggeredRules"].([]any) {
			if r.(map[string]any)["name"] == "Many large transfers in a day" {
				velocity = true
			}
		}
		if velocity != (i == 5) {
			t.Fatalf("transfer %d (server %d): velocity rule triggered %v; want it on the sixth only: %v", i+1, i%len(servers), velocity, out)
		}
	}

	// A list loaded by another process (here the test, as `ciam screening
	// load` would) is used by every server within SCREENING_REFRESH (1 s).
	lists := screening.NewService(pool)
	loadCtx := actor.With(ctx, actor.Actor{Kind: actor.System, Name: "instances test"})
	base, err := os.ReadFile(filepath.Join(root, "internal", "screening", "lists", "pep", "us_congress_senzing.jsonl"))
	if err != nil {
		t.Fatalf("the PEP list: %v", err)
	}
	// A source of the test's own (the package's other tests load the
	// US Congress list as it is).
	base = bytes.ReplaceAll(base, []byte(`"DATA_SOURCE":"OS_US_CONGRESS"`), []byte(`"DATA_SOURCE":"INSTANCES_TEST_PEP"`))
	// Lists are platform data the package's tests share: this one leaves
	// use when the test ends.
	t.Cleanup(func() {
		_, _ = owner.Exec(context.WithoutCancel(ctx), `UPDATE screening_list_versions SET status = 'SUPERSEDED' WHERE source_id = 'INSTANCES_TEST_PEP' AND status = 'CURRENT'`)
	})
	dir := t.TempDir()
	name := "Quintavius Zorblax-" + strings.ToUpper(uuid.NewString()[:4])
	extra := fmt.Sprintf(`{"DATA_SOURCE":"INSTANCES_TEST_PEP","RECORD_ID":"inst-%s","RECORD_TYPE":"PERSON","NAMES":[{"NAME_TYPE":"PRIMARY","NAME_FULL":%q}],"RISKS":[{"TOPIC":"role.pep"}],"COUNTRIES":[{"NATIONALITY":"us"}]}`+"\n", key[:8], name)
	file := filepath.Join(dir, "congress.jsonl")
	if err := os.WriteFile(file, append(bytes.TrimRight(base, "\n"), []byte("\n"+extra)...), 0o600); err != nil {
		t.Fatal(err)
	}
	found := func(s *serverProcess, name string) bool {
		st, out := apiAt(t, s.base, slug, token, "POST", "/screening/search", map[string]any{"name": name}, nil)
		if st != http.StatusOK {
			t.Fatalf("search: %d %v", st, out)
		}
		for _, m := range out["data"].(map[string]any)["matches"].([]any) {
			if m.(map[string]any)["name"] == name {
				return true
			}
		}
		return false
	}
	// The list as published first; a source new to a tenant comes into its
	// searches with its settings (remembered for 10 s).
	first := filepath.Join(dir, "congress-1.jsonl")
	if err := os.WriteFile(first, base, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := lists.Load(loadCtx, screening.FormatSenzing, first, screening.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	for i, s := range servers {
		waitFor(t, 30*time.Second, func() bool { return found(s, "Jennifer L. McClellan") }, func() string { return fmt.Sprintf("server %d never used the list", i) })
		if found(s, name) {
			t.Fatalf("server %d finds %q before it is listed", i, name)
		}
	}
	// Then a new version of it, with one more entry.
	if _, err := lists.Load(loadCtx, screening.FormatSenzing, file, screening.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	loaded := time.Now()
	var listLag time.Duration
	for i, s := range servers {
		waitFor(t, 10*time.Second, func() bool { return found(s, name) }, func() string { return fmt.Sprintf("server %d never found the new entry", i) })
		listLag = max(listLag, time.Since(loaded))
	}

	// Revocation made by one process is honoured by every server within
	// 2 s; a token of a signing key rotated elsewhere verifies on all at once.
	ring := credential.NewKeyRing(pool, keys, lb.URL, nil)
	if err := ring.Rotate(sys); err != nil {
		t.Fatal(err)
	}
	fresh, _, err := ring.Issue(ctx, credential.Claims{Kind: credential.KindClient, Subject: client.ID.String(), TenantID: d.Tenant.ID, Scopes: scopes}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range servers {
		if st, out := apiAt(t, s.base, slug, fresh, "GET", "/customers/"+customerID, nil, nil); st != http.StatusOK {
			t.Fatalf("server %d refuses a token of the key rotated elsewhere: %d %v", i, st, out)
		}
	}
	if err := clients.Revoke(sys, d.Tenant.ID, client.ID); err != nil {
		t.Fatal(err)
	}
	revoked := time.Now()
	var revokeLag time.Duration
	for i, s := range servers {
		waitFor(t, 2*time.Second+2*time.Second, func() bool {
			st, _ := apiAt(t, s.base, slug, token, "GET", "/customers/"+customerID, nil, nil)
			return st == http.StatusUnauthorized
		}, func() string { return fmt.Sprintf("server %d still accepts the revoked client", i) })
		revokeLag = max(revokeLag, time.Since(revoked))
	}

	// Each event since the subscription reached the receiver once.
	var undelivered, events int
	waitFor(t, time.Minute, func() bool {
		_ = owner.QueryRow(ctx, `
			SELECT count(*) FILTER (WHERE d.status IS DISTINCT FROM 'DELIVERED'), count(*)
			FROM events e LEFT JOIN webhook_deliveries d ON d.event_id = e.id AND d.subscription_id = $2
			WHERE e.tenant_id = $1 AND e.position > $3`, d.Tenant.ID, sub.ID, fromPosition).Scan(&undelivered, &events)
		return undelivered == 0
	}, func() string { return fmt.Sprintf("%d of %d events not delivered", undelivered, events) })
	recvMu.Lock()
	defer recvMu.Unlock()
	for id, n := range received {
		if n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
	if len(received) != events {
		t.Errorf("the receiver saw %d events of %d", len(received), events)
	}
	t.Logf("three servers: a list loaded elsewhere in use on all after %s; a revocation honoured by all after %s; %d events delivered once each",
		listLag.Round(10*time.Millisecond), revokeLag.Round(10*time.Millisecond), events)
}

// portalSignIn signs in to the portal at base as the local provider's
// login, with a plain HTTP client: the provider's form, then the callback.
func portalSignIn(t *testing.T, base, login string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(resp.Request.URL.Path, "/interaction/") {
		// The portal's page links to the provider.
		m := regexp.MustCompile(`href="([^"]*auth[^"]*)"`).FindSubmatch(page)
		if m == nil {
			t.Fatalf("no way to the provider from %s:\n%s", resp.Request.URL, page)
		}
		next, _ := resp.Request.URL.Parse(strings.ReplaceAll(string(m[1]), "&amp;", "&"))
		if resp, err = c.Get(next.String()); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	form := resp.Request.URL.ResolveReference(&url.URL{Path: resp.Request.URL.Path + "/login"})
	resp, err = c.PostForm(form.String(), url.Values{"login": {login}, "password": {"demo"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.Contains(resp.Request.URL.Path, "/interaction/") || strings.HasPrefix(resp.Request.URL.Path, "/login") {
		t.Fatalf("sign-in as %s ended at %s with %d", login, resp.Request.URL, resp.StatusCode)
	}
	return c
}
