package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/tenant"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

type fixture struct {
	api    *API
	tenant tenant.Tenant
	mux    *http.ServeMux
	srv    *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := dbtest.Pool(t)
	crypt, err := fieldcrypt.New("t1", bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	keys := credential.NewKeyRing(pool, crypt, "http://ciam.test", nil)
	tenants := tenant.NewService(pool)
	a := New(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Pool: pool, Tenants: tenants, Keys: keys, Crypt: crypt,
		Clients: credential.NewAPIClients(pool, keys)})
	tn, err := tenants.Create(t.Context(), tenant.CreateParams{Slug: "api-" + uuid.NewString()[:8], Name: "API Test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{api: a, tenant: tn, mux: http.NewServeMux()}
	f.mux.Handle("POST /oauth/token", a.HandleToken())
	f.mux.Handle("GET /.well-known/jwks.json", a.HandleJWKS())
	f.srv = httptest.NewServer(f.mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) client(t *testing.T, scopes ...string) (credential.APIClient, string) {
	t.Helper()
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	c, secret, err := f.api.Clients.Create(ctx, f.tenant.ID, "test client", scopes)
	if err != nil {
		t.Fatal(err)
	}
	return c, secret
}

func (f *fixture) token(t *testing.T, clientID, secret string, extra url.Values) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}
	for k, v := range extra {
		form[k] = v
	}
	resp, err := http.PostForm(f.srv.URL+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestTokenEndpoint(t *testing.T) {
	f := newFixture(t)
	c, secret := f.client(t, credential.ScopeCustomersRead, credential.ScopeCustomersWrite)

	status, body := f.token(t, c.ClientID, secret, nil)
	if status != http.StatusOK || body["token_type"] != "Bearer" || body["scope"] != "customers:read customers:write" || body["expires_in"].(float64) != 900 {
		t.Fatalf("token: %d %v", status, body)
	}
	claims, err := f.api.Keys.Verify(t.Context(), body["access_token"].(string))
	if err != nil || claims.TenantID != f.tenant.ID || claims.Kind != credential.KindClient || claims.Subject != c.ID.String() {
		t.Fatalf("claims = %+v, %v", claims, err)
	}

	// HTTP Basic works as well as form fields, and a narrower scope can be asked for.
	req, _ := http.NewRequest("POST", f.srv.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials&scope=customers:read"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(c.ClientID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var basic map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&basic)
	resp.Body.Close()
	if resp.StatusCode != 200 || basic["scope"] != "customers:read" {
		t.Fatalf("basic auth: %d %v", resp.StatusCode, basic)
	}

	tests := []struct {
		name    string
		id, sec string
		extra   url.Values
		status  int
		errCode string
	}{
		{"wrong secret", c.ClientID, secret + "x", nil, 401, "invalid_client"},
		{"unknown client", "cl_nobody", secret, nil, 401, "invalid_client"},
		{"wrong grant", c.ClientID, secret, url.Values{"grant_type": {"password"}}, 400, "unsupported_grant_type"},
		{"scope not granted", c.ClientID, secret, url.Values{"scope": {"aml:screen"}}, 400, "invalid_scope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := f.token(t, tc.id, tc.sec, tc.extra)
			if status != tc.status || body["error"] != tc.errCode {
				t.Fatalf("%d %v; want %d %s", status, body, tc.status, tc.errCode)
			}
		})
	}
}

func TestJWKSPublishesTheSigningKey(t *testing.T) {
	f := newFixture(t)
	c, secret := f.client(t, credential.ScopeCustomersRead)
	_, body := f.token(t, c.ClientID, secret, nil)
	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(body["access_token"].(string), ".")[0])
	var h struct{ Kid, Alg string }
	_ = json.Unmarshal(header, &h)

	resp, err := http.Get(f.srv.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct{ Keys []map[string]any }
	_ = json.NewDecoder(resp.Body).Decode(&set)
	found := false
	for _, k := range set.Keys {
		if k["kid"] == h.Kid && k["kty"] == "EC" && k["d"] == nil {
			found = true
		}
	}
	if h.Alg != "ES256" || !found {
		t.Fatalf("token kid %q (%s) not among published public keys %v", h.Kid, h.Alg, set.Keys)
	}

	// After a rotation the old key stays published and its tokens verify.
	if err := f.api.Keys.Rotate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.api.Keys.Verify(t.Context(), body["access_token"].(string)); err != nil {
		t.Fatalf("token of the previous key refused after rotation: %v", err)
	}
	_, body2 := f.token(t, c.ClientID, secret, nil)
	header2, _ := base64.RawURLEncoding.DecodeString(strings.Split(body2["access_token"].(string), ".")[0])
	var h2 struct{ Kid string }
	_ = json.Unmarshal(header2, &h2)
	if h2.Kid == h.Kid {
		t.Error("new tokens are still signed with the old key after rotation")
	}
}

func (f *fixture) call(t *testing.T, h http.Handler, method string, headers map[string]string, body string) (*httptest.ResponseRecorder, ErrorBody) {
	t.Helper()
	req := httptest.NewRequest(method, "/x", strings.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var eb ErrorBody
	_ = json.Unmarshal(rec.Body.Bytes(), &eb)
	return rec, eb
}

func TestGuard(t *testing.T) {
	f := newFixture(t)
	other := newFixture(t)
	var seen Principal
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = PrincipalFrom(r.Context())
		WriteData(w, 200, map[string]string{"ok": "yes"})
	})
	h := f.api.Guard("scope:customers:read", ok)
	c, secret := f.client(t, credential.ScopeCustomersRead)
	_, body := f.token(t, c.ClientID, secret, nil)
	tok := body["access_token"].(string)
	wc, wsecret := f.client(t, credential.ScopeAML)
	_, wbody := f.token(t, wc.ClientID, wsecret, nil)
	oc, osecret := other.client(t, credential.ScopeCustomersRead)
	_, obody := other.token(t, oc.ClientID, osecret, nil)

	tests := []struct {
		name    string
		headers map[string]string
		status  int
		code    string
	}{
		{"no tenant", map[string]string{"Authorization": "Bearer " + tok}, 400, "INVALID_REQUEST"},
		{"unknown tenant", map[string]string{"X-Tenant-ID": "nope", "Authorization": "Bearer " + tok}, 404, "TENANT_NOT_FOUND"},
		{"no token", map[string]string{"X-Tenant-ID": f.tenant.Slug}, 401, "UNAUTHENTICATED"},
		{"garbage token", map[string]string{"X-Tenant-ID": f.tenant.Slug, "Authorization": "Bearer abc.def.ghi"}, 401, "INVALID_TOKEN"},
		{"another tenant's token", map[string]string{"X-Tenant-ID": f.tenant.Slug, "Authorization": "Bearer " + obody["access_token"].(string)}, 403, "FORBIDDEN"},
		{"missing scope", map[string]string{"X-Tenant-ID": f.tenant.Slug, "Authorization": "Bearer " + wbody["access_token"].(string)}, 403, "INSUFFICIENT_SCOPE"},
		{"by slug", map[string]string{"X-Tenant-ID": f.tenant.Slug, "Authorization": "Bearer " + tok}, 200, ""},
		{"by uuid", map[string]string{"X-Tenant-ID": f.tenant.ID.String(), "Authorization": "Bearer " + tok}, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, eb := f.call(t, h, "GET", tc.headers, "")
			if rec.Code != tc.status || eb.Error.Code != tc.code {
				t.Fatalf("%d %q; want %d %q (%s)", rec.Code, eb.Error.Code, tc.status, tc.code, rec.Body)
			}
			if tc.code != "" && eb.Error.Message == "" {
				t.Error("error without a message")
			}
		})
	}
	if seen.ClientID != c.ID || seen.TenantID != f.tenant.ID {
		t.Errorf("principal = %+v", seen)
	}

	// Revoking the client stops its live token at once.
	if err := f.api.Clients.Revoke(actor.With(t.Context(), actor.Actor{Kind: actor.System}), f.tenant.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	rec, eb := f.call(t, h, "GET", map[string]string{"X-Tenant-ID": f.tenant.Slug, "Authorization": "Bearer " + tok}, "")
	if rec.Code != 401 || eb.Error.Code != "INVALID_TOKEN" {
		t.Fatalf("revoked client: %d %s", rec.Code, rec.Body)
	}
	if status, body := f.token(t, c.ClientID, secret, nil); status != 401 {
		t.Fatalf("revoked client got a token: %d %v", status, body)
	}
}

func TestIdempotency(t *testing.T) {
	f := newFixture(t)
	c, secret := f.client(t, credential.ScopeCustomersWrite)
	_, body := f.token(t, c.ClientID, secret, nil)
	tok := body["access_token"].(string)
	var runs atomic.Int64
	h := f.api.Guard("scope:customers:write", f.api.Idempotent(MaxBody, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := runs.Add(1)
		var in map[string]any
		if err := Decode(w, r, &in, MaxBody); err != nil {
			f.api.WriteError(w, r, err)
			return
		}
		w.Header().Set("Location", "/things/1")
		WriteData(w, 201, map[string]any{"run": n, "echo": in})
	})))
	headers := func(key string) map[string]string {
		return map[string]string{"X-Tenant-ID": f.tenant.Slug, "Authorization": "Bearer " + tok, "Idempotency-Key": key, "Content-Type": "application/json"}
	}

	key := uuid.NewString()
	first, _ := f.call(t, h, "POST", headers(key), `{"a":1}`)
	again, _ := f.call(t, h, "POST", headers(key), `{"a":1}`)
	if first.Code != 201 || again.Code != 201 || again.Body.String() != first.Body.String() ||
		again.Header().Get("Idempotent-Replayed") != "true" || again.Header().Get("Location") != "/things/1" || runs.Load() != 1 {
		t.Fatalf("replay: %d %s / %d %s (replayed=%q), runs=%d", first.Code, first.Body, again.Code, again.Body, again.Header().Get("Idempotent-Replayed"), runs.Load())
	}
	reused, eb := f.call(t, h, "POST", headers(key), `{"a":2}`)
	if reused.Code != 422 || eb.Error.Code != "IDEMPOTENCY_KEY_REUSED" || runs.Load() != 1 {
		t.Fatalf("reused key: %d %s", reused.Code, reused.Body)
	}

	// Twenty at once with one key: exactly one runs, all get its answer.
	runs.Store(0)
	key = uuid.NewString()
	var wg sync.WaitGroup
	bodies := make([]string, 20)
	codes := make([]int, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec, _ := f.call(t, h, "POST", headers(key), `{"b":true}`)
			bodies[i], codes[i] = rec.Body.String(), rec.Code
		}()
	}
	wg.Wait()
	if runs.Load() != 1 {
		t.Fatalf("%d of 20 concurrent duplicates ran; want exactly 1", runs.Load())
	}
	var stored []byte
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT response_body FROM idempotency_keys WHERE key = $1", key).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored, []byte(`"b":true`)) {
		t.Error("the stored response is in clear text")
	}
	for i := range 20 {
		if codes[i] != 201 || bodies[i] != bodies[0] {
			t.Fatalf("duplicate %d answered %d %s; want the first answer %s", i, codes[i], bodies[i], bodies[0])
		}
	}

	// A failure on our side lets the key be used again.
	fail := f.api.Guard("scope:customers:write", f.api.Idempotent(MaxBody, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.api.WriteError(w, r, errors.New("api test: the handler failed"))
	})))
	key = uuid.NewString()
	if rec, _ := f.call(t, fail, "POST", headers(key), `{}`); rec.Code != 500 {
		t.Fatalf("failing handler: %d", rec.Code)
	}
	if rec, _ := f.call(t, h, "POST", headers(key), `{}`); rec.Code != 201 || rec.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("retry after a 500: %d replayed=%q", rec.Code, rec.Header().Get("Idempotent-Replayed"))
	}
}
