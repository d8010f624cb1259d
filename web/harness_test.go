package web

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/config"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// fakeIdP is an OpenID Connect provider outside the system, under the
// test's control: it signs whatever ID token claims the test asks for.
type fakeIdP struct {
	srv *httptest.Server
	key *rsa.PrivateKey

	mu sync.Mutex
	// claims builds the next ID token's claims from the nonce of the
	// authorization request; nil means a valid token for sub "alice".
	claims func(f *fakeIdP, nonce string) map[string]any
	nonce  string
	// verifier is the PKCE verifier the token request carried.
	verifier string
}

const idpClientID = "ciam-test"

func newFakeIdP(t testing.TB) *fakeIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeIdP{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		iss := f.srv.URL
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": iss, "authorization_endpoint": iss + "/auth", "token_endpoint": iss + "/token",
			"jwks_uri": iss + "/jwks", "end_session_endpoint": iss + "/logout",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		f.verifier = r.PostForm.Get("code_verifier")
		build := f.claims
		nonce := f.nonce
		f.mu.Unlock()
		if r.PostForm.Get("code") != "good-code" {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
			return
		}
		if build == nil {
			build = func(f *fakeIdP, nonce string) map[string]any {
				return f.validClaims(nonce, "alice", "alice@example.com")
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": f.sign(t, build(f, nonce)),
		})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIdP) validClaims(nonce, sub, email string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": f.srv.URL, "aud": idpClientID, "sub": sub, "nonce": nonce,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"email": email, "email_verified": true, "name": "Test Person",
	}
}

func (f *fakeIdP) sign(t testing.TB, claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: f.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// harness is the real server on a real database, with the fake IdP.
type harness struct {
	t      testing.TB
	s      *server
	srv    *httptest.Server
	pool   *pgxpool.Pool
	idp    *fakeIdP
	clock  *clock
	tenant tenant.Tenant
	// logs is everything the server logged, for tests that make sure no
	// secret reaches the log.
	logs *logBuffer
}

// logBuffer is a log destination safe for concurrent requests.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type clock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		return time.Now()
	}
	return c.at
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.at = t
	c.mu.Unlock()
}

func testConfig(t testing.TB, issuer string) config.Config {
	t.Helper()
	env := map[string]string{
		"DATABASE_URL":          dbtest.URL(t),
		"SESSION_KEYS":          "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC1zZWNyZXQ=",
		"OIDC_ISSUER":           issuer,
		"OIDC_CLIENT_ID":        idpClientID,
		"OIDC_CLIENT_SECRET":    "shh",
		"PUBLIC_URL":            "http://ciam.test",
		"FIELD_ENCRYPTION_KEYS": "t1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	return newHarnessWith(t, nil)
}

// newHarnessWith is newHarness with change applied to the dependencies
// before the server is built (nil: none).
func newHarnessWith(t testing.TB, change func(*Deps)) *harness {
	t.Helper()
	pool := dbtest.Pool(t)
	idp := newFakeIdP(t)
	cfg := testConfig(t, idp.srv.URL)
	clk := &clock{}
	logs := &logBuffer{}
	deps := newDeps(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), pool, clk.now, sharedLists(t))
	deps.OIDC = NewOIDC(cfg.OIDC, idp.srv.Client())
	deps.Customers.HashParams = credential.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1} // fast in tests
	deps.CustomerAuth.HashParams = deps.Customers.HashParams
	deps.KYC.Faces = sharedFaces(t) // one face worker for the package
	if change != nil {
		change(&deps)
	}
	s, h := newServer(deps)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	tn, err := s.Tenants.Create(t.Context(), tenant.CreateParams{Slug: "w-" + uuid.NewString()[:8], Name: "Web Test Ltd"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, s: s, srv: srv, pool: pool, idp: idp, clock: clk, tenant: tn, logs: logs}
}

// employee adds an employee with roles to the harness tenant.
func (h *harness) employee(roles ...staff.Role) staff.Employee {
	h.t.Helper()
	ctx := actor.With(h.t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	e, err := h.s.Staff.Create(ctx, h.tenant.ID, staff.CreateParams{Email: "e-" + uuid.NewString()[:8] + "@example.com", Name: "Emp " + string(firstRole(roles)), Roles: roles})
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}

func firstRole(r []staff.Role) staff.Role {
	if len(r) == 0 {
		return "none"
	}
	return r[0]
}

// cookieFor is a session cookie for e, made by the server's own store.
func (h *harness) cookieFor(e staff.Employee) *http.Cookie {
	h.t.Helper()
	rec := httptest.NewRecorder()
	if err := h.s.startSession(rec, httptest.NewRequest("GET", "/", nil), e); err != nil {
		h.t.Fatal(err)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	h.t.Fatal("no session cookie")
	return nil
}

// signIn is an employee with roles and their session cookie.
func (h *harness) signIn(roles ...staff.Role) (staff.Employee, *http.Cookie) {
	e := h.employee(roles...)
	return e, h.cookieFor(e)
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// do sends a request without following redirects.
func (h *harness) do(method, path string, form url.Values, headers map[string]string, cookies ...*http.Cookie) *http.Response {
	h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(h.t.Context(), method, h.srv.URL+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	for _, c := range cookies {
		if c != nil {
			req.AddCookie(c)
		}
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (h *harness) get(path string, cookies ...*http.Cookie) *http.Response {
	h.t.Helper()
	return h.do("GET", path, nil, nil, cookies...)
}

func (h *harness) post(path string, form url.Values, cookies ...*http.Cookie) *http.Response {
	h.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	return h.do("POST", path, form, nil, cookies...)
}

// doc parses an HTML response.
func doc(t testing.TB, resp *http.Response) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func text(d *goquery.Document, sel string) string {
	return strings.TrimSpace(d.Find(sel).First().Text())
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// auditActions lists the actions recorded for the harness tenant (or, with
// uuid.Nil, for no tenant), newest first, reading past row-level security.
func (h *harness) auditActions(tenantID uuid.UUID, prefix string) []struct{ Action, Reason, Actor string } {
	h.t.Helper()
	owner := dbtest.OwnerPool(h.t)
	q := "SELECT action, reason_code, actor_name FROM audit_log WHERE tenant_id = $1 AND action LIKE $2 || '%' ORDER BY seq DESC"
	args := []any{tenantID, prefix}
	if tenantID == uuid.Nil {
		q = "SELECT action, reason_code, actor_name FROM audit_log WHERE tenant_id IS NULL AND action LIKE $1 || '%' AND occurred_at > now() - interval '1 minute' ORDER BY seq DESC"
		args = []any{prefix}
	}
	rows, err := owner.Query(h.t.Context(), q, args...)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var out []struct{ Action, Reason, Actor string }
	for rows.Next() {
		var r struct{ Action, Reason, Actor string }
		if err := rows.Scan(&r.Action, &r.Reason, &r.Actor); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func newRequest(method, path string) *http.Request { return httptest.NewRequest(method, path, nil) }

type goquerySelection = goquery.Selection

// updated is the session cookie as resp rewrote it (flash messages live
// in it), or c when resp did not touch it.
func updated(c *http.Cookie, resp *http.Response) *http.Cookie {
	if n := cookieNamed(resp, sessionCookie); n != nil {
		return n
	}
	return c
}

// with is h for a subtest: helpers fail and take contexts from t.
func (h *harness) with(t *testing.T) *harness {
	c := *h
	c.t = t
	return &c
}

func dbOwner(t *testing.T) *pgxpool.Pool { return dbtest.OwnerPool(t) }

// employeeOf adds an employee with roles to tenant.
func (h *harness) employeeOf(tenant uuid.UUID, roles ...staff.Role) staff.Employee {
	h.t.Helper()
	ctx := actor.With(h.t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	e, err := h.s.Staff.Create(ctx, tenant, staff.CreateParams{Email: "e-" + uuid.NewString()[:8] + "@example.com", Name: "Emp", Roles: roles})
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}

// follow asserts resp is a post/redirect/get answer (303) and opens where
// it points with c, as rewritten by resp.
func (h *harness) follow(resp *http.Response, c *http.Cookie) *http.Response {
	h.t.Helper()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") == "" {
		h.t.Fatalf("%s %s answered %d (Location %q); want 303 and where to go", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, resp.Header.Get("Location"))
	}
	return h.get(resp.Header.Get("Location"), updated(c, resp))
}

// hxFollow asserts resp is an htmx post/redirect/get answer (HX-Location
// naming a page and the element to swap) and loads that page as htmx
// would, returning the element it swaps in.
func (h *harness) hxFollow(resp *http.Response, c *http.Cookie) *goquery.Selection {
	h.t.Helper()
	var loc struct{ Path, Target, Select, Swap string }
	if err := json.Unmarshal([]byte(resp.Header.Get("HX-Location")), &loc); err != nil || resp.StatusCode/100 != 2 || loc.Path == "" || loc.Select == "" {
		h.t.Fatalf("%s %s answered %d HX-Location %q; want where to go and what to swap", resp.Request.Method, resp.Request.URL.Path,
			resp.StatusCode, resp.Header.Get("HX-Location"))
	}
	page := h.do("GET", loc.Path, nil, map[string]string{"HX-Request": "true", "HX-Target": strings.TrimPrefix(loc.Target, "#")}, updated(c, resp))
	if page.StatusCode != http.StatusOK {
		h.t.Fatalf("GET %s: %d", loc.Path, page.StatusCode)
	}
	sel := doc(h.t, page).Find(loc.Select)
	if sel.Length() != 1 {
		h.t.Fatalf("GET %s has %d elements %s; want one to swap in", loc.Path, sel.Length(), loc.Select)
	}
	return sel
}
