package web

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
	"github.com/ciamhq/ciam/web/api"
)

// registeredFrom registers a customer with headers and returns the address
// the server recorded for it.
func (h *harness) registeredFrom(admin string, headers map[string]string) string {
	h.t.Helper()
	resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, admin, variant(h.t, func(m map[string]any) { delete(m, "categorization") }), headers)
	if resp.StatusCode != http.StatusCreated {
		h.t.Fatalf("register: %d %v", resp.StatusCode, out)
	}
	var ip string
	if err := dbOwner(h.t.(*testing.T)).QueryRow(h.t.Context(), "SELECT registration_ip FROM customers WHERE id = $1", data(out)["customerId"]).Scan(&ip); err != nil {
		h.t.Fatal(err)
	}
	return ip
}

// X-Forwarded-For counts only when a trusted proxy sent it, and then only
// as far as the trusted proxies vouch for it.
func TestClientAddressAndTrustedProxies(t *testing.T) {
	h := newHarness(t)
	admin := h.adminToken(h.tenant, credential.ScopeCustomersWrite)
	tests := []struct {
		name    string
		trusted string
		xff     string
		want    string
	}{
		{"no trusted proxies: the peer, whatever the header says", "", "6.6.6.6", "127.0.0.1"},
		{"no header", "127.0.0.0/8", "", "127.0.0.1"},
		{"a trusted peer: the hop it appended", "127.0.0.0/8", "203.0.113.9", "203.0.113.9"},
		{"the client's own first hop is not believed", "127.0.0.0/8", "6.6.6.6, 203.0.113.9", "203.0.113.9"},
		{"trusted hops are skipped from the right", "127.0.0.0/8,10.0.0.0/8", "6.6.6.6, 203.0.113.9, 10.1.2.3", "203.0.113.9"},
		{"an untrusted peer's header is ignored", "10.0.0.0/8", "203.0.113.9", "127.0.0.1"},
		{"garbage stops the walk at the last sure hop", "127.0.0.0/8,10.0.0.0/8", "nonsense, 10.1.2.3", "10.1.2.3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			h.s.Config.TrustedProxies = nil
			for _, p := range strings.Split(tc.trusted, ",") {
				if p != "" {
					h.s.Config.TrustedProxies = append(h.s.Config.TrustedProxies, netip.MustParsePrefix(p))
				}
			}
			t.Cleanup(func() { h.s.Config.TrustedProxies = nil })
			headers := map[string]string{}
			if tc.xff != "" {
				headers["X-Forwarded-For"] = tc.xff
			}
			if got := h.registeredFrom(admin, headers); got != tc.want {
				t.Errorf("recorded %q; want %q", got, tc.want)
			}
		})
	}
}

// The audit records the server's own trace id; the caller's traceparent
// is kept beside it and shown as the caller's.
func TestCallerTraceparent(t *testing.T) {
	h := newHarness(t)
	admin := h.adminToken(h.tenant, credential.ScopeCustomersWrite)
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, admin, variant(t, func(m map[string]any) { delete(m, "categorization") }),
		map[string]string{"traceparent": tp})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %v", resp.StatusCode, out)
	}
	trace := resp.Header.Get("X-Trace-ID")
	if trace == "" || strings.Contains(tp, trace) {
		t.Fatalf("X-Trace-ID = %q; want one of the server's making", trace)
	}
	var id, gotTrace, gotCaller string
	err := dbOwner(t).QueryRow(t.Context(), `SELECT id::text, trace_id, caller_traceparent FROM audit_log
		WHERE tenant_id = $1 AND entity_id = $2 ORDER BY seq LIMIT 1`, h.tenant.ID, data(out)["customerId"]).Scan(&id, &gotTrace, &gotCaller)
	if err != nil {
		t.Fatal(err)
	}
	if gotTrace != trace || gotCaller != tp {
		t.Errorf("audit trace_id %q, caller_traceparent %q; want %q and %q", gotTrace, gotCaller, trace, tp)
	}
	// The chains, with the caller's traceparent in the hash, still verify.
	if rep, err := audit.Verify(t.Context(), dbOwner(t), nil); err != nil || len(rep.Broken) != 0 {
		t.Errorf("verify: %+v %v", rep, err)
	}
	// The audit page shows both, the caller's marked as given by it.
	_, c := h.signIn(staff.Auditor)
	d := doc(t, h.get("/audit/"+id, c))
	if got := text(d, `[data-testid="audit-trace"]`); got != trace {
		t.Errorf("page trace = %q; want %q", got, trace)
	}
	if got := text(d, `[data-testid="audit-caller-trace"]`); got != tp {
		t.Errorf("page caller trace = %q; want %q", got, tp)
	}
	if !strings.Contains(d.Find("dl").Text(), "given by the caller") {
		t.Error("the caller's traceparent is not marked as given by the caller")
	}
	// A traceparent that is not one is not kept.
	resp, _ = h.apiCall("POST", registerPath, h.tenant.Slug, admin, variant(t, func(m map[string]any) { delete(m, "categorization") }),
		map[string]string{"traceparent": "<script>"})
	var n int
	_ = dbOwner(t).QueryRow(t.Context(), "SELECT count(*) FROM audit_log WHERE trace_id = $1 AND caller_traceparent <> ''", resp.Header.Get("X-Trace-ID")).Scan(&n)
	if n != 0 {
		t.Errorf("a malformed traceparent was kept")
	}
}

// eventsPage reads a tenant's events after cursor.
func (h *harness) eventsPage(slug, token, cursor string) ([]map[string]any, string) {
	h.t.Helper()
	resp, out := h.apiCall("GET", api.Prefix+"/events?limit=500&after="+cursor, slug, token, "", nil)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("events: %d %v", resp.StatusCode, out)
	}
	var evs []map[string]any
	for _, e := range out["data"].([]any) {
		evs = append(evs, e.(map[string]any))
	}
	return evs, out["nextCursor"].(string)
}

func cursorNumber(t *testing.T, c string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(strings.TrimPrefix(c, "s"), 10, 64)
	if err != nil || !strings.HasPrefix(c, "s") {
		t.Fatalf("cursor %q is not s<number>", c)
	}
	return n
}

// A tenant's cursor counts its own events: other tenants' events, written
// in between, do not move it.
func TestEventCursorCountsTheTenantsOwnEvents(t *testing.T) {
	h := newHarness(t)
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	other, err := h.s.Tenants.Create(ctx, tenant.CreateParams{Slug: "o-" + uuid.NewString()[:8], Name: "Other Ltd"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mine := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeEventsRead)
	theirs := h.adminToken(other, credential.ScopeCustomersWrite)
	_, start := h.eventsPage(h.tenant.Slug, mine, "")
	register := func(slug, tok string) {
		resp, out := h.apiCall("POST", registerPath, slug, tok, variant(t, func(m map[string]any) { delete(m, "categorization") }), nil)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("register: %d %v", resp.StatusCode, out)
		}
	}
	register(h.tenant.Slug, mine)
	for range 3 {
		register(other.Slug, theirs)
	}
	register(h.tenant.Slug, mine)

	evs, next := h.eventsPage(h.tenant.Slug, mine, start)
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	if got, want := cursorNumber(t, next)-cursorNumber(t, start), int64(len(evs)); got != want {
		t.Errorf("the cursor moved by %d for %d events of the tenant", got, want)
	}
	// From the start, the cursor is the number of the tenant's events.
	all, end := h.eventsPage(h.tenant.Slug, mine, "")
	if end != next || cursorNumber(t, end) != int64(len(all)) {
		t.Errorf("from the start: %d events, cursor %s (and %s)", len(all), end, next)
	}
	// Paging one at a time walks the same events.
	cur := start
	for i := range evs {
		resp, out := h.apiCall("GET", api.Prefix+"/events?limit=1&after="+cur, h.tenant.Slug, mine, "", nil)
		page := out["data"].([]any)
		if resp.StatusCode != 200 || len(page) != 1 || page[0].(map[string]any)["eventId"] != evs[i]["eventId"] {
			t.Fatalf("page %d: %d %v", i, resp.StatusCode, out)
		}
		cur = out["nextCursor"].(string)
	}

	// A cursor from before (a plain number: a position among all tenants'
	// events) still resumes after that event.
	var pos int64
	if err := dbOwner(t).QueryRow(t.Context(), "SELECT position FROM events WHERE id = $1", evs[0]["eventId"]).Scan(&pos); err != nil {
		t.Fatal(err)
	}
	old, _ := h.eventsPage(h.tenant.Slug, mine, strconv.FormatInt(pos, 10))
	if len(old) != len(evs)-1 || (len(old) > 0 && old[0]["eventId"] != evs[1]["eventId"]) {
		t.Errorf("old cursor %d: %d events; want the %d after the first", pos, len(old), len(evs)-1)
	}
	for _, bad := range []string{"s", "s-1", "x1", "s+1"} {
		if resp, out := h.apiCall("GET", api.Prefix+"/events?after="+bad, h.tenant.Slug, mine, "", nil); resp.StatusCode != 422 {
			t.Errorf("after=%s: %d %v", bad, resp.StatusCode, out)
		}
	}
}

// Events written at once in one tenant, each in its own transaction, are
// numbered 1..n with neither gap nor repeat, and a writer that comes after
// one not yet committed waits for it, so that no number is readable before
// the ones below it.
func TestEventNumbersUnderConcurrentWriters(t *testing.T) {
	h := newHarness(t)
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	write := func() error {
		return db.InTenantTx(ctx, h.pool, h.tenant.ID, func(q *db.Queries) error {
			_, err := event.Write(ctx, q, event.Event{TenantID: h.tenant.ID, Type: "test.concurrent", Payload: map[string]any{}})
			return err
		})
	}
	// A rolled-back write gives its number back.
	_ = db.InTenantTx(ctx, h.pool, h.tenant.ID, func(q *db.Queries) error {
		if _, err := event.Write(ctx, q, event.Event{TenantID: h.tenant.ID, Type: "test.rolled-back", Payload: map[string]any{}}); err != nil {
			t.Fatal(err)
		}
		return errRollback
	})
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- write()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	rows, err := dbOwner(t).Query(t.Context(), "SELECT tenant_seq FROM events WHERE tenant_id = $1 ORDER BY tenant_seq", h.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var want int64 = 1
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			t.Fatal(err)
		}
		if seq != want {
			t.Fatalf("event number %d; want %d (numbers must run 1, 2, 3, ...)", seq, want)
		}
		want++
	}
	if want-1 < n {
		t.Fatalf("%d events; want at least %d", want-1, n)
	}

	// An uncommitted writer holds the next number back: a second writer
	// waits (seen in pg_stat_activity, not by timing) until it commits.
	wrote, release, firstDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var once sync.Once
	go func() {
		firstDone <- db.InTenantTxPgx(ctx, h.pool, h.tenant.ID, func(_ pgx.Tx, q *db.Queries) error {
			if _, err := event.Write(ctx, q, event.Event{TenantID: h.tenant.ID, Type: "test.first", Payload: map[string]any{}}); err != nil {
				return err
			}
			once.Do(func() { close(wrote) })
			<-release
			return nil
		})
	}()
	<-wrote
	second := make(chan error, 1)
	go func() { second <- write() }()
	for waiting := 0; waiting == 0; {
		if err := dbOwner(t).QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO events%'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	var latest int64
	_ = dbOwner(t).QueryRow(t.Context(), "SELECT coalesce(max(tenant_seq), 0) FROM events WHERE tenant_id = $1", h.tenant.ID).Scan(&latest)
	if latest != want-1 {
		t.Fatalf("while the first writer is open, the latest committed number is %d; want %d", latest, want-1)
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	var first, last int64
	_ = dbOwner(t).QueryRow(t.Context(), "SELECT tenant_seq FROM events WHERE tenant_id = $1 AND type = 'test.first'", h.tenant.ID).Scan(&first)
	_ = dbOwner(t).QueryRow(t.Context(), "SELECT max(tenant_seq) FROM events WHERE tenant_id = $1", h.tenant.ID).Scan(&last)
	if first != want || last != want+1 {
		t.Errorf("first writer %d, second %d; want %d and %d", first, last, want, want+1)
	}
}

var errRollback = errors.New("roll back")

// Every failure of the token endpoint answers RFC 6749's error response
// ({"error": "<code>", "error_description"}), never the API's envelope,
// and bad text in it is invalid_request, not a 500.
func TestTokenEndpointAnswersOAuthErrors(t *testing.T) {
	h := newHarness(t)
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	c, secret, err := h.s.APIClients.Create(ctx, h.tenant.ID, "test", []string{credential.ScopeCustomersRead})
	if err != nil {
		t.Fatal(err)
	}
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	good := []string{"grant_type", "client_credentials", "client_id", c.ClientID, "client_secret", secret}
	with := func(k, v string) []string {
		out := append([]string{}, good...)
		for i := 0; i < len(out); i += 2 {
			if out[i] == k {
				out[i+1] = v
				return out
			}
		}
		return append(out, k, v)
	}
	tests := []struct {
		name, path, ctype, body string
		headers                 map[string]string
		status                  int
		code                    string
	}{
		{"NUL in client_id", "/oauth/token", "application/x-www-form-urlencoded", form(with("client_id", "a\x00b")...), nil, 400, "invalid_request"},
		{"invalid UTF-8 in client_id", "/oauth/token", "application/x-www-form-urlencoded", form(with("client_id", "a\xffb")...), nil, 400, "invalid_request"},
		{"NUL in client_secret", "/oauth/token", "application/x-www-form-urlencoded", form(with("client_secret", "a\x00b")...), nil, 400, "invalid_request"},
		{"invalid UTF-8 in scope", "/oauth/token", "application/x-www-form-urlencoded", form(with("scope", "a\xffb")...), nil, 400, "invalid_request"},
		{"invalid UTF-8 in Basic", "/oauth/token", "application/x-www-form-urlencoded", form("grant_type", "client_credentials"),
			map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("a\xff:b"))}, 400, "invalid_request"},
		{"invalid UTF-8 in the query", "/oauth/token?x=%ff", "application/x-www-form-urlencoded", form(good...), nil, 400, "invalid_request"},
		{"invalid UTF-8 in X-Tenant-ID", "/oauth/token", "application/x-www-form-urlencoded", form(good...), map[string]string{"X-Tenant-ID": "a\xffb"}, 400, "invalid_request"},
		{"JSON body", "/oauth/token", "application/json", `{"grant_type":"client_credentials"}`, nil, 400, "invalid_request"},
		{"wrong grant", "/oauth/token", "application/x-www-form-urlencoded", form(with("grant_type", "password")...), nil, 400, "unsupported_grant_type"},
		{"wrong secret", "/oauth/token", "application/x-www-form-urlencoded", form(with("client_secret", "nope")...), nil, 401, "invalid_client"},
		{"unknown client", "/oauth/token", "application/x-www-form-urlencoded", form(with("client_id", "nobody")...), nil, 401, "invalid_client"},
		{"scope not granted", "/oauth/token", "application/x-www-form-urlencoded", form(with("scope", credential.ScopeAML)...), nil, 400, "invalid_scope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			headers := map[string]string{"Content-Type": tc.ctype}
			for k, v := range tc.headers {
				headers[k] = v
			}
			req, err := http.NewRequestWithContext(t.Context(), "POST", h.srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range headers {
				req.Header.Set(k, v)
			}
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&out)
			if code, _ := out["error"].(string); resp.StatusCode != tc.status || code != tc.code {
				t.Errorf("%d %v; want %d {\"error\":%q}", resp.StatusCode, out, tc.status, tc.code)
			}
			if _, ok := out["error_description"].(string); !ok {
				t.Errorf("no error_description: %v", out)
			}
		})
	}
}

// The penetration test's own requests: each is refused with 400 naming
// the field, where each used to answer 500.
func TestPenTestBadTextRequests(t *testing.T) {
	h := newHarness(t)
	admin := h.adminToken(h.tenant, credential.ScopeCustomersRead, credential.ScopeCustomersWrite, credential.ScopeAML, credential.ScopeEventsRead)
	id, _ := h.newCustomer(admin)
	reg := strings.Replace(variant(t, func(m map[string]any) { delete(m, "categorization") }), `@example.com"`, `\u0000@example.com"`, 1)
	aml := func(field, value string) string {
		m := map[string]any{"customerId": id, "transactionId": "tx-" + uuid.NewString()[:8], "type": "TRANSFER", "direction": "OUT",
			"amount": "10.00", "currency": "EUR", "timestamp": "2025-01-01T10:00:00Z",
			"counterparty": map[string]any{"name": "Ann", "country": "GB", "account": "GB29NWBK60161331926819"}}
		if k, sub, ok := strings.Cut(field, "."); ok {
			m[k].(map[string]any)[sub] = value + "@@"
		} else {
			m[field] = value + "@@"
		}
		b, _ := json.Marshal(m)
		return strings.Replace(string(b), `@@"`, `\u0000"`, 1)
	}
	tests := []struct {
		name, method, path, token, body, field string
	}{
		{"hierarchy path NUL", "GET", api.Prefix + "/customer/individual/categorization/hierarchy/%00", admin, "", "tenantId"},
		{"hierarchy path invalid UTF-8", "GET", api.Prefix + "/customer/individual/categorization/hierarchy/a%ffb", admin, "", "tenantId"},
		{"customer path NUL", "GET", api.Prefix + "/customers/a%00b", admin, "", "id"},
		{"events query invalid UTF-8", "GET", api.Prefix + "/events?after=%ff", admin, "", "after"},
		{"registration email", "POST", registerPath, admin, reg, "email"},
		{"session email, no token", "POST", sessionPath, "", `{"email":"x\u0000@e.com","password":"x"}`, "email"},
		{"session email invalid UTF-8, no token", "POST", sessionPath, "", "{\"email\":\"x\xff@e.com\",\"password\":\"x\"}", "email"},
		{"session duplicate email, no token", "POST", sessionPath, "", `{"email":"a@e.com","email":"b@e.com","password":"x"}`, "email"},
		{"AML transactionId", "POST", api.Prefix + "/aml/transactions/screen", admin, aml("transactionId", "t"), "transactionId"},
		{"AML counterparty.name", "POST", api.Prefix + "/aml/transactions/screen", admin, aml("counterparty.name", "Ann"), "counterparty.name"},
		{"AML counterparty.account", "POST", api.Prefix + "/aml/transactions/screen", admin, aml("counterparty.account", "GB29"), "counterparty.account"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			resp, out := h.apiCall(tc.method, tc.path, h.tenant.Slug, tc.token, tc.body, nil)
			if resp.StatusCode != http.StatusBadRequest || errCode(out) != "INVALID_REQUEST" || len(details(out)) == 0 ||
				!strings.HasPrefix(details(out)[0], tc.field+": ") {
				t.Errorf("%d %v; want 400 INVALID_REQUEST naming %s", resp.StatusCode, out, tc.field)
			}
		})
	}
	// The portal answers its own page, naming the field.
	_, c := h.signIn(staff.TenantAdmin)
	resp := h.get("/customers?q=%00", c)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(doc(t, resp).Text(), "q contains a NUL character") {
		t.Errorf("portal query: %d", resp.StatusCode)
	}
	resp = h.post("/webhooks", url.Values{"url": {"https://example.com/\xff"}}, c)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(doc(t, resp).Text(), "url is not valid UTF-8") {
		t.Errorf("portal form: %d", resp.StatusCode)
	}
}

// A panic is answered in the shape of the side it happened on: RFC 6749's
// error at the token endpoint, the envelope in the API, a page elsewhere.
func TestPanicAnswersInEachSidesShape(t *testing.T) {
	h := newHarness(t)
	boom := h.s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	for path, want := range map[string]string{
		"/oauth/token":         `"error":"server_error"`,
		api.Prefix + "/events": `"code":"INTERNAL_ERROR"`,
		"/customers":           "<html",
	} {
		rec := newRecorder()
		boom.ServeHTTP(rec, newRequest("POST", path))
		if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s: %d %.200s; want 500 with %s", path, rec.Code, rec.Body.String(), want)
		}
	}
}
