package web

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/ciamhq/ciam/internal/config"
)

// ServerTLS is the TLS configuration the server listens with: its
// certificate and, when a client CA is configured, a request for a client
// certificate, verified when one is given. It is not required: customer
// apps come without one, and only API clients bound to a certificate
// (RFC 8705) are refused without it, at the token endpoint and the API.
func ServerTLS(c config.TLS) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS_CERT_FILE, TLS_KEY_FILE: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: c.MinVersion}
	if tc.MinVersion == 0 {
		tc.MinVersion = tls.VersionTLS12
	}
	if c.ClientCAFile != "" {
		pem, err := os.ReadFile(c.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("TLS_CLIENT_CA_FILE: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS_CLIENT_CA_FILE: no PEM certificate in %s", c.ClientCAFile)
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return tc, nil
}
