package credential

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"strings"

	"github.com/ciamhq/ciam/internal/apperr"
)

// Thumbprint is a certificate's x5t#S256 (RFC 8705): the base64url,
// unpadded, of the SHA-256 of its DER.
func Thumbprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// SameThumbprint compares two thumbprints in constant time; an empty one
// matches nothing.
func SameThumbprint(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// ParseThumbprint reads what an administrator pastes to bind a client: a
// PEM certificate (its thumbprint is computed), an x5t#S256 value, or the
// SHA-256 fingerprint in hex as tools print it (with or without colons).
// "" stays "": no binding. Problems are reported on field.
func ParseThumbprint(field, in string) (string, error) {
	in = strings.TrimSpace(in)
	bad := func(issue string) (string, error) {
		return "", apperr.Validation(apperr.FieldError{Field: field, Issue: issue})
	}
	switch {
	case in == "":
		return "", nil
	case len(in) > 16<<10:
		return bad("is too long for a certificate (at most 16 KB)")
	case strings.Contains(in, "-----BEGIN"):
		block, rest := pem.Decode([]byte(in))
		if block == nil || block.Type != "CERTIFICATE" {
			return bad("is not a PEM certificate: paste the block from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----")
		}
		if next, _ := pem.Decode(rest); next != nil {
			return bad("holds more than one PEM block: paste the client's own certificate only")
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return bad("is not a valid X.509 certificate")
		}
		return Thumbprint(cert), nil
	}
	if hx := strings.ReplaceAll(in, ":", ""); len(hx) == 2*sha256.Size {
		if b, err := hex.DecodeString(hx); err == nil {
			return base64.RawURLEncoding.EncodeToString(b), nil
		}
	}
	if b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(in, "=")); err == nil && len(b) == sha256.Size {
		return base64.RawURLEncoding.EncodeToString(b), nil
	}
	return bad("paste the client's PEM certificate, or its SHA-256 thumbprint (x5t#S256, 43 base64url characters, or 64 hex digits)")
}
