package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
)

// benchClient keeps enough idle connections for every parallel worker.
var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

// benchGet sends req and drains the answer, reporting a status other
// than want.
func benchDo(b *testing.B, req *http.Request, want int) {
	resp, err := benchClient.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Errorf("%s %s: %d", req.Method, req.URL.Path, resp.StatusCode)
	}
}

// BenchmarkGetCustomer is GET /customers/{id} over HTTP on loopback with an
// admin token, on every processor at once: the token is verified, the
// tenant resolved, the customer read with its wallets, verifications and
// documents under row-level security, its personal fields unsealed.
func BenchmarkGetCustomer(b *testing.B) {
	h := newHarness(b)
	tok := h.adminToken(h.tenant, credential.ScopeCustomersRead, credential.ScopeCustomersWrite)
	id, _ := h.newCustomer(tok)
	u := h.srv.URL + "/api/v2.1/customers/" + id
	b.SetParallelism(8) // sixteen requests in flight on two processors: throughput, not one request's latency
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", u, nil)
			req.Header.Set("X-Tenant-ID", h.tenant.Slug)
			req.Header.Set("Authorization", "Bearer "+tok)
			benchDo(b, req, http.StatusOK)
		}
	})
}

// BenchmarkTokenIssuance is POST /oauth/token with client credentials on
// every processor at once: the client's secret is checked and an access
// token signed.
func BenchmarkTokenIssuance(b *testing.B) {
	h := newHarness(b)
	ctx := actor.With(context.Background(), actor.Actor{Kind: actor.System, Name: "bench"})
	c, secret, err := h.s.APIClients.Create(ctx, h.tenant.ID, "bench", []string{credential.ScopeCustomersRead})
	if err != nil {
		b.Fatal(err)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {secret}}.Encode()
	b.SetParallelism(8) // sixteen requests in flight on two processors: throughput, not one request's latency
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", h.srv.URL+"/oauth/token", strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			benchDo(b, req, http.StatusOK)
		}
	})
}
