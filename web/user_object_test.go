package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/tenant"
	"github.com/ciamhq/ciam/web/api"
)

// clientOf is the OAuth client_id of the API client behind an admin token,
// made by adminTokenOf.
func (h *harness) adminTokenOf(t tenant.Tenant, name string, scopes ...string) (token, clientID string) {
	h.t.Helper()
	ctx := actor.With(h.t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	c, secret, err := h.s.APIClients.Create(ctx, t.ID, name, scopes)
	if err != nil {
		h.t.Fatal(err)
	}
	status, body := h.token(c.ClientID, secret)
	if status != 200 {
		h.t.Fatalf("token: %d %v", status, body)
	}
	return body["access_token"].(string), c.ClientID
}

// Every field of guide 002's user object, by name, in its format.
func TestUserObject(t *testing.T) {
	h := newHarness(t)
	tok, clientID := h.adminTokenOf(h.tenant, "Mobile backend", credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
	id := h.register(tok, person{First: "Ana", Last: "Lopez", Email: "ana.uo@example.com", Phone: "+12125551234"})

	resp, out := h.apiCall("GET", api.Prefix+"/customers/"+id, h.tenant.Slug, tok, "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("get: %d %v", resp.StatusCode, out)
	}
	u := data(out)
	raw, _ := json.Marshal(u)
	if strings.Contains(string(raw), "refresh_token") {
		t.Errorf("the user object carries a refresh_token: %s", raw)
	}
	obj := func(v any) map[string]any { m, _ := v.(map[string]any); return m }
	want := map[string]any{
		"_id":        id,
		"is_hidden":  false,
		"permission": "UNVERIFIED",
	}
	for k, v := range want {
		if u[k] != v {
			t.Errorf("%s = %v; want %v", k, u[k], v)
		}
	}
	if got := obj(obj(u["_links"])["self"])["href"]; got != api.Prefix+"/customers/"+id {
		t.Errorf("_links.self.href = %v", got)
	}
	if c := obj(u["client"]); c["id"] != clientID || c["name"] != "Mobile backend" {
		t.Errorf("client = %v; want %s, Mobile backend", c, clientID)
	}
	if ds := obj(u["doc_status"]); ds["physical_doc"] != "MISSING" || ds["virtual_doc"] != "MISSING" {
		t.Errorf("doc_status = %v", ds)
	}
	extra := obj(u["extra"])
	if ms, ok := extra["date_joined"].(float64); !ok || ms < 1e12 || ms != float64(int64(ms)) {
		t.Errorf("extra.date_joined = %v; want unix milliseconds", extra["date_joined"])
	}
	if extra["is_business"] != false || extra["supp_id"] != "" || extra["cip_tag"] != float64(1) {
		t.Errorf("extra = %v", extra)
	}
	if got, _ := json.Marshal(u["legal_names"]); string(got) != `["Ana Michael Lopez"]` {
		t.Errorf("legal_names = %s", got)
	}
	if got, _ := json.Marshal(u["logins"]); string(got) != `[{"email":"ana.uo@example.com","scope":"READ_AND_WRITE"}]` {
		t.Errorf("logins = %s", got)
	}
	if got, _ := json.Marshal(u["phone_numbers"]); !strings.HasPrefix(string(got), `["+1(212)555-1234"`) {
		t.Errorf("phone_numbers = %s; want +1(212)555-1234 first", got)
	}
	if got, _ := json.Marshal(u["photos"]); string(got) != `[]` {
		t.Errorf("photos = %s", got)
	}
	sets, _ := u["documents"].([]any)
	if len(sets) != 1 {
		t.Fatalf("documents = %v; want one set", u["documents"])
	}
	set := obj(sets[0])
	if _, err := uuid.Parse(set["id"].(string)); err != nil || set["name"] != "Ana Michael Lopez" || set["permission_scope"] != "NONE" {
		t.Errorf("document set = %v", set)
	}
	for _, k := range []string{"virtual_docs", "social_docs"} {
		if l, ok := set[k].([]any); !ok || len(l) != 0 {
			t.Errorf("%s = %v; want []", k, set[k])
		}
	}
	physical, _ := set["physical_docs"].([]any)
	if len(physical) == 0 {
		t.Fatalf("physical_docs = %v; want the required documents", set["physical_docs"])
	}
	for _, d := range physical {
		doc := obj(d)
		ms, ok := doc["last_updated"].(float64)
		if doc["document_type"] == "" || doc["status"] != "MISSING" || doc["id"] != nil || !ok || ms < 1e12 {
			t.Errorf("physical doc = %v; want a MISSING document without id, last_updated in unix ms", doc)
		}
	}
	// What today's answer had is still there.
	if obj(u["profile"])["email"] != "ana.uo@example.com" || u["customerId"] != id {
		t.Errorf("profile = %v", u["profile"])
	}
}
