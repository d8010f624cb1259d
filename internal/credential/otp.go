package credential

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"math/big"

	"github.com/google/uuid"
)

// OTPDigits is the length of a one-time code.
const OTPDigits = 6

// NewOTP returns a fresh one-time code: OTPDigits decimal digits drawn
// uniformly from the system's random source.
func NewOTP() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // the system's random source failing is not recoverable
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// HashOTP is how a one-time code is stored: HMAC-SHA-256 keyed with its
// challenge id, so equal codes of two challenges hash differently. The
// code lives minutes and allows a handful of attempts; a slow hash would
// add nothing.
func HashOTP(challenge uuid.UUID, code string) []byte {
	m := hmac.New(sha256.New, challenge[:])
	m.Write([]byte(code))
	return m.Sum(nil)
}

// CheckOTP reports, in constant time, whether code matches a HashOTP.
func CheckOTP(challenge uuid.UUID, code string, hash []byte) bool {
	return len(hash) > 0 && hmac.Equal(HashOTP(challenge, code), hash)
}
