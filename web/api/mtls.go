package api

import (
	"net/http"

	"github.com/ciamhq/ciam/internal/credential"
)

// PeerThumbprint is the x5t#S256 of the client certificate the request's
// TLS connection presented, "" without one. Only the connection counts: no
// header is trusted for it, so behind a proxy that ends TLS a bound client
// cannot get or use a token (see the README).
func PeerThumbprint(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return ""
	}
	return credential.Thumbprint(r.TLS.PeerCertificates[0])
}
