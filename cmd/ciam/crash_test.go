package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
)

// crashLedger is what the server acknowledged during a crash run: each
// 2xx answer is a promise that must survive any kill after it.
type crashLedger struct {
	mu        sync.Mutex
	customers map[string]string // customer id → verification request id
	uploaded  map[string]bool   // verification request ids with documents accepted
	screened  []string          // transaction refs screened
	order     []string          // customer ids, in the order acknowledged
	attempts  atomic.Int64
	failed    atomic.Int64 // refused connections and cut answers: the kills
}

func (l *crashLedger) someCustomer(needUpload bool) (string, string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.order) == 0 {
		return "", "", false
	}
	for range 8 {
		c := l.order[rand.IntN(len(l.order))]
		if !needUpload || !l.uploaded[l.customers[c]] {
			return c, l.customers[c], true
		}
	}
	return "", "", false
}

// The server is killed with SIGKILL at random moments while registrations,
// document uploads and AML screening run against it, and started again
// each time. Afterwards nothing acknowledged is lost, no customer is half
// written, every committed change has its event and every event its
// webhook delivery, no job stays stuck, and the audit chain verifies.
// CIAM_CRASH_KILLS sets the number of kills (3 by default; docs/load/
// crash.sh runs 20).
func TestCrashSafetyUnderSIGKILL(t *testing.T) {
	kills := 3
	if v := os.Getenv("CIAM_CRASH_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CIAM_CRASH_KILLS=%q", v)
		}
		kills = n
	}
	root := projectRoot(t)
	dbURL := dbtest.URL(t)
	ctx := t.Context()
	pool, err := db.Open(ctx, dbURL, db.DefaultAppRole)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	d, err := demo.Seed(ctx, tenant.NewService(pool), staff.NewService(pool), customer.NewService(pool, nil))
	if err != nil {
		t.Fatal(err)
	}
	fieldKeys := "b1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // one key id for the package: its tests share a database
	keys, err := fieldcrypt.Parse(fieldKeys)
	if err != nil {
		t.Fatal(err)
	}
	sys := actor.With(ctx, actor.Actor{Kind: actor.System, Name: "crash test", TenantID: d.Tenant.ID})

	// A webhook receiver that counts each event id it is sent.
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
	owner := dbtest.OwnerPool(t)
	if err := owner.QueryRow(ctx, "SELECT coalesce(max(position), 0) FROM events").Scan(&fromPosition); err != nil {
		t.Fatal(err)
	}
	hooks := event.NewWebhooks(pool, keys)
	hooks.AllowPrivateNetworks = true // the receiver is on loopback, as the server is told too
	sub, _, err := hooks.CreateSubscription(sys, d.Tenant.ID, receiver.URL+"/hook", "crash test", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The demo tenant is shared by the package's tests: its receiver goes
	// with this test, so its subscription does too.
	t.Cleanup(func() { _ = hooks.SetStatus(context.WithoutCancel(ctx), d.Tenant.ID, sub.ID, "DISABLED") })
	client, secret, err := credential.NewAPIClients(pool, nil).Create(sys, d.Tenant.ID, "crash test "+uuid.NewString()[:6],
		[]string{credential.ScopeCustomersWrite, credential.ScopeCustomersRead, credential.ScopeVerificationWrite, credential.ScopeAML})
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()

	srv := newServerProcess(t, map[string]string{
		"DATABASE_URL": dbURL, "FIELD_ENCRYPTION_KEYS": fieldKeys, "FACE_MODELS_DIR": root,
		"SESSION_KEYS": "Y3Jhc2gtdGVzdC1jcmFzaC10ZXN0LWNyYXNoLXRlc3QtY3Jhc2gtdGVzdC0=", "JOB_RESCUE_AFTER": "1m",
		"WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
	})
	ready := []time.Duration{srv.start()}
	token := clientToken(t, srv.base, client.ClientID, secret)

	regRaw, err := os.ReadFile(filepath.Join(root, "docs", "examples", "registration.json"))
	if err != nil {
		t.Fatal(err)
	}
	ex := renderExample(t)
	passport := base64.StdEncoding.EncodeToString(ex.passport)
	bill := base64.StdEncoding.EncodeToString(ex.bill)
	selfie := base64.StdEncoding.EncodeToString(ex.selfie)
	payslip := base64.StdEncoding.EncodeToString(ex.payslip)

	led := &crashLedger{customers: map[string]string{}, uploaded: map[string]bool{}}
	httpc := &http.Client{Timeout: 20 * time.Second}
	call := func(ctx context.Context, path string, body any) (int, map[string]any) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.base+"/api/v2.1"+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Tenant-ID", d.Tenant.Slug)
		req.Header.Set("Authorization", "Bearer "+token)
		led.attempts.Add(1)
		resp, err := httpc.Do(req)
		if err != nil {
			led.failed.Add(1)
			return 0, nil
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			led.failed.Add(1)
			return 0, nil
		}
		return resp.StatusCode, out
	}
	register := func(ctx context.Context) {
		var reg map[string]any
		_ = json.Unmarshal(regRaw, &reg)
		reg["email"] = "crash-" + uuid.NewString()[:12] + "@example.com"
		status, out := call(ctx, "/customer/individual/registration", reg)
		if status == 0 {
			return
		}
		if status != http.StatusCreated {
			t.Errorf("registration answered %d %v", status, out)
			return
		}
		data := out["data"].(map[string]any)
		led.mu.Lock()
		led.customers[data["customerId"].(string)] = data["verificationRequestId"].(string)
		led.order = append(led.order, data["customerId"].(string))
		led.mu.Unlock()
	}
	upload := func(ctx context.Context) {
		_, vr, ok := led.someCustomer(true)
		if !ok {
			return
		}
		status, out := call(ctx, "/verification/documents/upload", map[string]any{"verificationRequestId": vr, "documents": []any{
			map[string]any{"type": "IDENTITY_DOCUMENT", "subType": "PASSPORT", "fileName": "passport.jpg", "content": passport,
				"metadata": map[string]any{"documentNumber": ex.person.DocumentNumber, "issuingCountry": "GB", "expiryDate": ex.person.Expiry.Format(time.DateOnly)}},
			map[string]any{"type": "PROOF_OF_ADDRESS", "subType": "UTILITY_BILL", "fileName": "bill.pdf", "content": bill,
				"metadata": map[string]any{"issueDate": ex.issued.Format(time.DateOnly), "issuer": "London Power"}},
			map[string]any{"type": "SELFIE", "fileName": "selfie.jpg", "content": selfie},
			map[string]any{"type": "SOURCE_OF_FUNDS", "subType": "PAYSLIP", "fileName": "payslip.pdf", "content": payslip},
		}})
		switch {
		case status == 0:
		case status == http.StatusOK:
			led.mu.Lock()
			led.uploaded[vr] = true
			led.mu.Unlock()
		case status == http.StatusConflict: // another worker's upload got there first
		default:
			t.Errorf("upload answered %d %v", status, out)
		}
	}
	screen := func(ctx context.Context) {
		c, _, ok := led.someCustomer(false)
		if !ok {
			return
		}
		ref := "crash-" + uuid.NewString()[:12]
		status, out := call(ctx, "/aml/transactions/screen", map[string]any{"customerId": c, "transactionId": ref, "type": "TRANSFER",
			"direction": "OUT", "amount": fmt.Sprintf("%d.00", 50+rand.IntN(900)), "currency": "EUR", "channel": "MOBILE",
			"timestamp":    time.Now().UTC().Format(time.RFC3339),
			"counterparty": map[string]any{"name": "Quick Cash Ltd", "country": "DE", "account": "DE89370400440532013000"}})
		if status == 0 {
			return
		}
		if status != http.StatusOK {
			t.Errorf("screening answered %d %v", status, out)
			return
		}
		led.mu.Lock()
		led.screened = append(led.screened, ref)
		led.mu.Unlock()
	}

	for k := range kills {
		loadCtx, stopLoad := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for _, work := range []func(context.Context){register, register, screen, screen, upload} {
			wg.Go(func() {
				for loadCtx.Err() == nil {
					work(loadCtx)
				}
			})
		}
		if k == 0 {
			// The first kill waits for an upload to be acknowledged, so
			// that every kind of work has something to lose.
			waitFor(t, 2*time.Minute, func() bool {
				led.mu.Lock()
				defer led.mu.Unlock()
				return len(led.uploaded) > 0 && len(led.screened) > 0
			}, func() string { return "no upload or screening acknowledged" })
		}
		time.Sleep(time.Duration(1000+rand.IntN(4000)) * time.Millisecond)
		srv.kill()
		stopLoad()
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		ready = append(ready, srv.start())
		t.Logf("kill %d of %d: %d customers, %d uploads, %d screenings acknowledged so far", k+1, kills, len(led.customers), len(led.uploaded), len(led.screened))
	}

	// What the server acknowledged is there, and whole.
	var ids []uuid.UUID
	for c := range led.customers {
		ids = append(ids, uuid.MustParse(c))
	}
	var found int
	if err := owner.QueryRow(ctx, "SELECT count(*) FROM customers WHERE id = ANY($1)", ids).Scan(&found); err != nil {
		t.Fatal(err)
	}
	if found != len(ids) {
		t.Errorf("%d of %d acknowledged registrations are missing", len(ids)-found, len(ids))
	}
	var half []string
	rows, err := owner.Query(ctx, `
		SELECT c.id::text FROM customers c
		WHERE c.tenant_id = $1 AND c.created_at >= $2 AND (
		      NOT EXISTS (SELECT 1 FROM customer_credentials u WHERE u.customer_id = c.id)
		   OR NOT EXISTS (SELECT 1 FROM wallets w WHERE w.customer_id = c.id)
		   OR NOT EXISTS (SELECT 1 FROM verification_requests v WHERE v.customer_id = c.id)
		   OR NOT EXISTS (SELECT 1 FROM events e WHERE e.tenant_id = c.tenant_id AND e.type = 'customer.registered' AND e.entity_id = c.id::text))`,
		d.Tenant.ID, started)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		half = append(half, id)
	}
	rows.Close()
	if len(half) > 0 {
		t.Errorf("customers without their user, wallet, verification request or event: %v", half)
	}
	var vrs []uuid.UUID
	for vr := range led.uploaded {
		vrs = append(vrs, uuid.MustParse(vr))
	}
	var withDocs int
	if err := owner.QueryRow(ctx, "SELECT count(DISTINCT verification_request_id) FROM documents WHERE verification_request_id = ANY($1)", vrs).Scan(&withDocs); err != nil {
		t.Fatal(err)
	}
	if withDocs != len(vrs) {
		t.Errorf("%d of %d acknowledged uploads have no documents", len(vrs)-withDocs, len(vrs))
	}
	var txs int
	if err := owner.QueryRow(ctx, "SELECT count(*) FROM aml_transactions WHERE tenant_id = $1 AND transaction_ref = ANY($2)", d.Tenant.ID, led.screened).Scan(&txs); err != nil {
		t.Fatal(err)
	}
	if txs != len(led.screened) {
		t.Errorf("%d of %d acknowledged screenings are missing", len(led.screened)-txs, len(led.screened))
	}

	// No job stays stuck: the ones a kill cut short are rescued and run
	// again, so every upload (each with every document its HIGH-risk
	// customer needs) reaches a decision or a person's queue.
	restarted := time.Now()
	var stuck, unfinished int
	waitFor(t, 4*time.Minute, func() bool {
		_ = owner.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE state = 'running' AND attempted_at < $1", restarted).Scan(&stuck)
		_ = owner.QueryRow(ctx, `SELECT count(*) FROM verification_requests WHERE id = ANY($1) AND status IN ('DOCUMENTS_RECEIVED', 'IN_PROGRESS')`, vrs).Scan(&unfinished)
		return stuck == 0 && unfinished == 0
	}, func() string {
		var jobs []string
		rows, err := owner.Query(ctx, `SELECT v.id::text || ' ' || v.status || ': ' || coalesce(string_agg(j.kind || ' ' || j.state || ' attempt ' || j.attempt || ' at ' || coalesce(j.scheduled_at::text, '') || ' ' || coalesce(j.errors::text, ''), '; '), 'no job')
			FROM verification_requests v LEFT JOIN river_job j ON j.args::text LIKE '%' || v.id::text || '%'
			WHERE v.id = ANY($1) AND v.status IN ('DOCUMENTS_RECEIVED', 'IN_PROGRESS') GROUP BY v.id, v.status`, vrs)
		if err == nil {
			for rows.Next() {
				var s string
				_ = rows.Scan(&s)
				jobs = append(jobs, s)
			}
			rows.Close()
		}
		return fmt.Sprintf("%d jobs still running from before the restart, %d uploads not decided: %v", stuck, unfinished, jobs)
	})
	rescued := time.Since(restarted)

	// Every event since the subscription is delivered, once in the normal case.
	var undelivered, events int
	waitFor(t, 3*time.Minute, func() bool {
		_ = owner.QueryRow(ctx, `
			SELECT count(*) FILTER (WHERE d.status IS DISTINCT FROM 'DELIVERED'), count(*)
			FROM events e LEFT JOIN webhook_deliveries d ON d.event_id = e.id AND d.subscription_id = $2
			WHERE e.tenant_id = $1 AND e.position > $3`, d.Tenant.ID, sub.ID, fromPosition).Scan(&undelivered, &events)
		return undelivered == 0
	}, func() string { return fmt.Sprintf("%d of %d events not delivered", undelivered, events) })
	delivered := time.Since(restarted)
	recvMu.Lock()
	var twice int
	for _, n := range received {
		if n > 1 {
			twice++
		}
	}
	distinct := len(received)
	recvMu.Unlock()
	if distinct < events {
		t.Errorf("the receiver saw %d distinct events of %d", distinct, events)
	}

	// The audit chain verifies.
	var verifyOut bytes.Buffer
	if err := run(ctx, []string{"ciam", "audit", "verify"}, func(k string) string {
		return map[string]string{"DATABASE_URL": dbURL, "FIELD_ENCRYPTION_KEYS": fieldKeys}[k]
	}, &verifyOut, &verifyOut); err != nil {
		t.Errorf("audit verify: %v\n%s", err, verifyOut.String())
	}

	slices.Sort(ready)
	t.Logf("crash figures: %d kills in %s; %d requests, %d cut by a kill; acknowledged: %d registrations, %d uploads, %d screenings — none lost, none half-written",
		kills, time.Since(started).Round(time.Second), led.attempts.Load(), led.failed.Load(), len(led.customers), len(led.uploaded), len(led.screened))
	t.Logf("crash figures: ready after restart p50 %s, max %s; stuck jobs rescued and uploads decided %s after the last restart; %d events delivered %s after it (%d of them more than once)",
		ready[len(ready)/2].Round(time.Millisecond), ready[len(ready)-1].Round(time.Millisecond), rescued.Round(time.Second), events, delivered.Round(time.Second), twice)
}

// clientToken takes a client-credentials token from the server at base.
func clientToken(t *testing.T, base, id, secret string) string {
	t.Helper()
	resp, err := http.PostForm(base+"/oauth/token", map[string][]string{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

// waitFor polls ok until it holds, failing the test with what() after max.
func waitFor(t *testing.T, max time.Duration, ok func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(max)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", max, what())
		}
		time.Sleep(250 * time.Millisecond)
	}
}
