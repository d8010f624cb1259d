package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

func (h *harness) token(clientID, secret string) (int, map[string]any) {
	h.t.Helper()
	resp := h.do("POST", "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}, nil)
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestAPIClientSecretShownOnce(t *testing.T) {
	h := newHarness(t)
	_, c := h.signIn(staff.TenantAdmin)

	resp := h.follow(h.post("/api-clients", url.Values{"name": {"Mobile backend"}, "scopes": {"customers:read", "customers:write"}}, c), c)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d cache=%q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	d := doc(t, resp)
	clientID, secret := text(d, `[data-testid="revealed-client-id"]`), text(d, `[data-testid="revealed-secret"]`)
	if !strings.HasPrefix(clientID, "cl_") || !strings.HasPrefix(secret, "cs_") {
		t.Fatalf("revealed %q / %q", clientID, secret)
	}
	if status, body := h.token(clientID, secret); status != 200 || body["scope"] != "customers:read customers:write" {
		t.Fatalf("token with the revealed secret: %d %v", status, body)
	}

	// The list never shows it again.
	list := h.get("/api-clients", c)
	page := doc(t, list)
	if strings.Contains(page.Text(), secret) || page.Find(`[data-testid="secret-once"]`).Length() != 0 {
		t.Fatal("the secret is shown again on the list")
	}
	row := page.Find(`[data-testid="client-row"][data-client-id="` + clientID + `"]`)
	if row.Length() != 1 || !strings.Contains(row.Text(), secret[len(secret)-4:]) {
		t.Fatalf("row = %q", row.Text())
	}

	// Rotation: a new secret, once; the old one stops working.
	id := h.clientUUID(clientID)
	rot := doc(t, h.follow(h.post("/api-clients/"+id+"/rotate", nil, c), c))
	newSecret := text(rot, `[data-testid="revealed-secret"]`)
	if newSecret == "" || newSecret == secret {
		t.Fatalf("rotated secret %q", newSecret)
	}
	if status, _ := h.token(clientID, secret); status != 401 {
		t.Errorf("old secret after rotation: %d; want 401", status)
	}
	if status, _ := h.token(clientID, newSecret); status != 200 {
		t.Errorf("new secret: %d; want 200", status)
	}
	// Revocation.
	if resp := h.post("/api-clients/"+id+"/revoke", nil, c); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if status, _ := h.token(clientID, newSecret); status != 401 {
		t.Errorf("revoked client: %d; want 401", status)
	}
	acts := h.auditActions(h.tenant.ID, "api_client.")
	if len(acts) != 3 {
		t.Errorf("api_client audit records = %+v; want created, rotated, revoked", acts)
	}
	for _, a := range acts {
		if strings.Contains(a.Action+a.Reason+a.Actor, "cs_") {
			t.Error("a secret reached the audit trail")
		}
	}

	// Validation errors next to the fields.
	bad := h.post("/api-clients", url.Values{"name": {""}, "scopes": {"root"}}, c)
	bd := doc(t, bad)
	if bad.StatusCode != http.StatusUnprocessableEntity || text(bd, `[data-testid="error-c-name"]`) == "" || text(bd, `[data-testid="error-scopes"]`) == "" {
		t.Fatalf("invalid create: %d", bad.StatusCode)
	}
}

func (h *harness) clientUUID(clientID string) string {
	h.t.Helper()
	var id string
	err := h.pool.QueryRow(h.t.Context(), "SELECT id::text FROM api_client_for_token($1)", clientID).Scan(&id)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

func TestOpenAPIDescribesEveryAPIRoute(t *testing.T) {
	h := newHarness(t)
	resp := h.get(api.Prefix + "/openapi.json")
	var spec struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&spec); err != nil {
		t.Fatal(err)
	}
	if spec.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q", spec.OpenAPI)
	}
	n := 0
	for _, rt := range h.s.routes() {
		if !rt.Access.isAPI() {
			continue
		}
		n++
		method, path, _ := strings.Cut(rt.Pattern, " ")
		if !api.Documented(rt.Pattern) {
			t.Errorf("API route %s has no documentation (api.Document)", rt.Pattern)
			continue
		}
		if _, ok := spec.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("openapi.json lacks %s", rt.Pattern)
		}
	}
	if n < 3 {
		t.Fatalf("only %d API routes found", n)
	}
}
