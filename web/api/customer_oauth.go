package api

import (
	"net/http"

	"github.com/ciamhq/ciam/internal/apperr"
)

// HandleCustomerOAuth is POST /customers/{id}/oauth: guide 002's "OAuth
// User to perform actions on behalf of the user". The tenant's backend,
// with an admin token holding customers:oauth, gets a short customer
// token (no refresh token) that acts as that customer.
func (a *API) HandleCustomerOAuth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		id, err := customerID(r)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		if r.ContentLength > 0 {
			var empty struct{}
			if err := Decode(w, r, &empty, MaxBody); err != nil {
				a.WriteError(w, r, err)
				return
			}
		}
		tok, err := a.Auth.OnBehalf(r.Context(), t.ID, id)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		if tok.AccessToken == "" {
			a.WriteError(w, r, apperr.New(apperr.Internal, "no token was issued"))
			return
		}
		WriteData(w, http.StatusOK, map[string]any{"accessToken": tok.AccessToken, "tokenType": "Bearer", "expiresIn": tok.ExpiresIn,
			"customerId": tok.CustomerID, "scope": "customer"})
	})
}
