package api

import (
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/ciamhq/ciam/internal/apperr"
)

// tokenResponse is RFC 6749's access token response.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// oauthError is RFC 6749's error response; OAuth client libraries read it.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="ciam"`)
	}
	w.Header().Set("Pragma", "no-cache")
	WriteJSON(w, status, oauthError{Error: code, Description: desc})
}

// HandleToken is POST /oauth/token: the client credentials grant, with the
// client authenticated by form fields or HTTP Basic.
func (a *API) HandleToken() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "send the request as application/x-www-form-urlencoded")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the form could not be read")
			return
		}
		f := r.PostForm
		if err := CheckValues(f); err != nil {
			a.WriteOAuthError(w, r, err)
			return
		}
		if gt := f.Get("grant_type"); gt != "client_credentials" {
			writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "only grant_type=client_credentials is supported")
			return
		}
		id, secret := f.Get("client_id"), f.Get("client_secret")
		if bid, bsecret, ok := r.BasicAuth(); ok {
			id, secret = bid, bsecret
			if TextProblem(id) != "" || TextProblem(secret) != "" {
				writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the Basic credentials are not valid UTF-8 text")
				return
			}
		}
		if id == "" || secret == "" {
			writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "send client_id and client_secret")
			return
		}
		limits := a.tokenRateKeys(r, id)
		if a.rateLimited(w, r, func(err error) { writeOAuthSlowDown(w, err) }, limits...) {
			return
		}
		raw, claims, err := a.Clients.Token(r.Context(), id, secret, strings.Fields(f.Get("scope")), PeerThumbprint(r))
		if err != nil {
			e, ok := apperr.As(err)
			switch {
			case ok && e.APICode == "invalid_client":
				a.rateFailed(r, limits...)
				writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
			case ok && e.APICode == "invalid_scope":
				writeOAuthError(w, http.StatusBadRequest, "invalid_scope", e.Message)
			default:
				a.WriteOAuthError(w, r, err)
			}
			return
		}
		if ref := strings.TrimSpace(r.Header.Get("X-Tenant-ID")); ref != "" {
			t, err := a.Tenants.Resolve(r.Context(), ref)
			if err != nil || t.ID != claims.TenantID {
				writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
				return
			}
		}
		w.Header().Set("Pragma", "no-cache")
		WriteJSON(w, http.StatusOK, tokenResponse{AccessToken: raw, TokenType: "Bearer",
			ExpiresIn: int(claims.Expiry.Sub(claims.IssuedAt).Seconds()), Scope: strings.Join(claims.Scopes, " ")})
	})
}

// HandleJWKS is GET /.well-known/jwks.json.
func (a *API) HandleJWKS() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		set, err := a.Keys.JWKS(r.Context())
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		b, err := json.Marshal(set)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(b)
	})
}
