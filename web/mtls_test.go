package web

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ciamhq/ciam/internal/config"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

// testPKI is a CA the test makes, with what it issued.
type testPKI struct {
	t      *testing.T
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caPool *x509.CertPool
	serial int64
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ciam test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &testPKI{t: t, ca: ca, caKey: key, caPool: pool, serial: 1}
}

// issue makes a server certificate for 127.0.0.1 or a client certificate.
func (p *testPKI) issue(cn string, server bool) tls.Certificate {
	p.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(p.serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		p.t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		p.t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func certPEM(c tls.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}))
}

// writeFiles writes the server's certificate, key and the client CA as
// the TLS_* settings name them.
func (p *testPKI) writeFiles(server tls.Certificate) config.TLS {
	p.t.Helper()
	dir := p.t.TempDir()
	keyDER, err := x509.MarshalPKCS8PrivateKey(server.PrivateKey)
	if err != nil {
		p.t.Fatal(err)
	}
	files := map[string][]byte{
		"server.pem": []byte(certPEM(server)),
		"server.key": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		"ca.pem":     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.ca.Raw}),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			p.t.Fatal(err)
		}
	}
	env := map[string]string{
		"DATABASE_URL": "postgres://x@localhost/x", "SESSION_KEYS": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC1zZWNyZXQ=",
		"OIDC_ISSUER": "http://idp.test", "OIDC_CLIENT_ID": "x", "OIDC_CLIENT_SECRET": "x",
		"FIELD_ENCRYPTION_KEYS": "t1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"TLS_CERT_FILE":         filepath.Join(dir, "server.pem"), "TLS_KEY_FILE": filepath.Join(dir, "server.key"),
		"TLS_CLIENT_CA_FILE": filepath.Join(dir, "ca.pem"), "TLS_MIN_VERSION": "1.2",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		p.t.Fatal(err)
	}
	return cfg.TLS
}

// tlsServer serves the harness's own handler over TLS as `ciam serve`
// does with the TLS_* settings.
func (h *harness) tlsServer(p *testPKI) *httptest.Server {
	h.t.Helper()
	tc, err := ServerTLS(p.writeFiles(p.issue("127.0.0.1", true)))
	if err != nil {
		h.t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h.srv.Config.Handler)
	srv.TLS = tc
	srv.StartTLS()
	h.t.Cleanup(srv.Close)
	return srv
}

// tlsClient trusts the test CA and presents cert, when given.
func tlsClient(p *testPKI, cert *tls.Certificate) *http.Client {
	tc := &tls.Config{RootCAs: p.caPool}
	if cert != nil {
		tc.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
}

func tokenOver(t *testing.T, c *http.Client, base, clientID, secret string) (int, map[string]any) {
	t.Helper()
	resp, err := c.PostForm(base+"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func eventsOver(t *testing.T, c *http.Client, base, tenant, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", base+api.Prefix+"/events?limit=1", nil)
	req.Header.Set("X-Tenant-ID", tenant)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// cnfOf is the x5t#S256 of a token's cnf claim, read as any resource
// server would.
func cnfOf(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Cnf *struct {
			X5t string `json:"x5t#S256"`
		} `json:"cnf"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Cnf == nil {
		return ""
	}
	return claims.Cnf.X5t
}

func x5t(c tls.Certificate) string {
	sum := sha256.Sum256(c.Certificate[0])
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// A client bound to a certificate in the portal gets a token only over
// TLS with that certificate; the token carries it (cnf.x5t#S256) and works
// only with it. Unbound clients need no certificate.
func TestCertificateBoundAPIClient(t *testing.T) {
	h := newHarness(t)
	pki := newTestPKI(t)
	srv := h.tlsServer(pki)
	certA, certB := pki.issue("backend-a", false), pki.issue("backend-b", false)
	withA, withB, without := tlsClient(pki, &certA), tlsClient(pki, &certB), tlsClient(pki, nil)
	plain := &http.Client{}

	// Bound in the portal, with the PEM pasted.
	_, c := h.signIn(staff.TenantAdmin)
	resp := h.follow(h.post("/api-clients", url.Values{"name": {"Payments backend"}, "scopes": {credential.ScopeEventsRead}, "certificate": {certPEM(certA)}}, c), c)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	d := doc(t, resp)
	clientID, secret := text(d, `[data-testid="revealed-client-id"]`), text(d, `[data-testid="revealed-secret"]`)
	row := d.Find(`[data-testid="client-row"][data-client-id="` + clientID + `"]`)
	if !strings.Contains(row.Find(`[data-testid="client-certificate"]`).Text(), x5t(certA)) {
		t.Fatalf("the row does not show the thumbprint %s: %q", x5t(certA), row.Text())
	}
	var after string
	if err := dbOwner(t).QueryRow(t.Context(), `SELECT after::text FROM audit_log WHERE tenant_id = $1 AND action = 'api_client.created'
		ORDER BY occurred_at DESC LIMIT 1`, h.tenant.ID).Scan(&after); err != nil || !strings.Contains(after, x5t(certA)) {
		t.Fatalf("audit of the creation: %q (%v)", after, err)
	}

	// No token without the certificate, with another one, or without TLS.
	for name, cl := range map[string]*http.Client{"no certificate": without, "another certificate": withB} {
		if status, body := tokenOver(t, cl, srv.URL, clientID, secret); status != http.StatusUnauthorized || body["error"] != "invalid_client" {
			t.Errorf("token with %s: %d %v; want 401 invalid_client", name, status, body)
		}
	}
	if status, body := tokenOver(t, plain, h.srv.URL, clientID, secret); status != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Errorf("token over plain HTTP: %d %v; want 401 invalid_client", status, body)
	}

	// With it: a token bound to it.
	status, body := tokenOver(t, withA, srv.URL, clientID, secret)
	if status != http.StatusOK {
		t.Fatalf("token with the certificate: %d %v", status, body)
	}
	token := body["access_token"].(string)
	if got := cnfOf(t, token); got != x5t(certA) {
		t.Fatalf("cnf.x5t#S256 %q; want %q", got, x5t(certA))
	}
	if status, body := eventsOver(t, withA, srv.URL, h.tenant.Slug, token); status != http.StatusOK {
		t.Fatalf("call with the certificate: %d %v", status, body)
	}
	for name, call := range map[string]func() (int, map[string]any){
		"no certificate":      func() (int, map[string]any) { return eventsOver(t, without, srv.URL, h.tenant.Slug, token) },
		"another certificate": func() (int, map[string]any) { return eventsOver(t, withB, srv.URL, h.tenant.Slug, token) },
		"plain HTTP":          func() (int, map[string]any) { return eventsOver(t, plain, h.srv.URL, h.tenant.Slug, token) },
	} {
		status, body := call()
		e, _ := body["error"].(map[string]any)
		if status != http.StatusUnauthorized || e["code"] != "INVALID_TOKEN" {
			t.Errorf("call with %s: %d %v; want 401 INVALID_TOKEN", name, status, body)
		}
	}

	// Unbound clients keep working without a certificate, over TLS or not,
	// and presenting one does not bind them.
	unbound := h.adminToken(h.tenant, credential.ScopeEventsRead)
	if got := cnfOf(t, unbound); got != "" {
		t.Fatalf("an unbound client's token carries cnf %q", got)
	}
	for name, call := range map[string]func() (int, map[string]any){
		"TLS, no certificate": func() (int, map[string]any) { return eventsOver(t, without, srv.URL, h.tenant.Slug, unbound) },
		"TLS, a certificate":  func() (int, map[string]any) { return eventsOver(t, withB, srv.URL, h.tenant.Slug, unbound) },
		"plain HTTP":          func() (int, map[string]any) { return eventsOver(t, plain, h.srv.URL, h.tenant.Slug, unbound) },
	} {
		if status, body := call(); status != http.StatusOK {
			t.Errorf("unbound client, %s: %d %v", name, status, body)
		}
	}

	// Re-bound in the portal to B by its hex fingerprint, as openssl prints
	// it: B gets tokens, A no longer does. Audited.
	list := doc(t, h.get("/api-clients", c))
	action, _ := list.Find(`[data-testid="client-row"][data-client-id="` + clientID + `"] [data-testid="certificate-form"]`).Attr("action")
	sum := sha256.Sum256(certB.Certificate[0])
	var colons []string
	for _, b := range sum {
		colons = append(colons, strings.ToUpper(hex.EncodeToString([]byte{b})))
	}
	if resp := h.post(action, url.Values{"certificate": {strings.Join(colons, ":")}}, c); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("re-bind: %d", resp.StatusCode)
	}
	if status, body := tokenOver(t, withA, srv.URL, clientID, secret); status != http.StatusUnauthorized {
		t.Errorf("token with the old certificate after re-binding: %d %v", status, body)
	}
	status, body = tokenOver(t, withB, srv.URL, clientID, secret)
	if status != http.StatusOK || cnfOf(t, body["access_token"].(string)) != x5t(certB) {
		t.Fatalf("token with the new certificate: %d %v", status, body)
	}
	var before string
	if err := dbOwner(t).QueryRow(t.Context(), `SELECT before::text || after::text FROM audit_log WHERE tenant_id = $1 AND action = 'api_client.certificate_bound'`,
		h.tenant.ID).Scan(&before); err != nil || !strings.Contains(before, x5t(certA)) || !strings.Contains(before, x5t(certB)) {
		t.Fatalf("audit of the re-binding: %q (%v)", before, err)
	}

	// Something that is no certificate is refused on the field.
	resp = h.post(action, url.Values{"certificate": {"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----"}}, c)
	if resp.StatusCode != http.StatusUnprocessableEntity || text(doc(t, resp), `[data-testid="error-cert-`+strings.TrimSuffix(strings.TrimPrefix(action, "/api-clients/"), "/certificate")+`"]`) == "" {
		t.Fatalf("bad certificate: %d; want 422 with the field's error", resp.StatusCode)
	}
	resp = h.post("/api-clients", url.Values{"name": {"X"}, "scopes": {credential.ScopeEventsRead}, "certificate": {"abc"}}, c)
	if resp.StatusCode != http.StatusUnprocessableEntity || text(doc(t, resp), `[data-testid="error-c-certificate"]`) == "" {
		t.Fatalf("bad thumbprint at creation: %d; want 422 with the field's error", resp.StatusCode)
	}

	// Unbound: a token without a certificate again, and without cnf.
	if resp := h.post(action, url.Values{"certificate": {""}}, c); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unbind: %d", resp.StatusCode)
	}
	status, body = tokenOver(t, without, srv.URL, clientID, secret)
	if status != http.StatusOK || cnfOf(t, body["access_token"].(string)) != "" {
		t.Fatalf("token after unbinding: %d %v", status, body)
	}
}
