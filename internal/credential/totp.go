package credential

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // RFC 6238's default, what authenticator apps compute
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"time"
)

// TOTP parameters (RFC 6238 with the defaults every authenticator app
// supports): HMAC-SHA-1, six digits, 30-second steps, and one step of
// clock drift either way.
const (
	TOTPPeriod = 30 * time.Second
	TOTPDigits = 6
	TOTPSkew   = 1
)

// TOTPSecretSize is the length of a new secret in bytes (160 bits, as RFC
// 4226 recommends).
const TOTPSecretSize = 20

// NewTOTPSecret returns a fresh random TOTP secret.
func NewTOTPSecret() []byte {
	b := make([]byte, TOTPSecretSize)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system's random source failing is not recoverable
	}
	return b
}

// TOTPBase32 is secret as authenticator apps take it: base32 without
// padding.
func TOTPBase32(secret []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
}

// TOTPURI is the otpauth:// URI (the QR code's content) that enrols
// secret for account at issuer.
func TOTPURI(issuer, account string, secret []byte) string {
	v := url.Values{}
	v.Set("secret", TOTPBase32(secret))
	v.Set("issuer", issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", fmt.Sprint(TOTPDigits))
	v.Set("period", fmt.Sprint(int(TOTPPeriod/time.Second)))
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	return "otpauth://totp/" + label + "?" + v.Encode()
}

// TOTPStep is the time step t falls in.
func TOTPStep(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

// HOTP is RFC 4226's code for counter, with digits digits.
func HOTP(secret []byte, counter int64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// TOTPCode is the code for the step t falls in.
func TOTPCode(secret []byte, t time.Time) string {
	return HOTP(secret, TOTPStep(t), TOTPDigits)
}

// VerifyTOTP looks for code within TOTPSkew steps of now and returns the
// step it matched. A step at or before after is not accepted, so that each
// code works once (pass the last accepted step; -1 when there is none).
func VerifyTOTP(secret []byte, code string, now time.Time, after int64) (int64, bool) {
	if len(code) != TOTPDigits {
		return 0, false
	}
	cur := TOTPStep(now)
	matched, found := int64(0), 0
	for s := cur - TOTPSkew; s <= cur+TOTPSkew; s++ {
		// Every candidate is computed, so the time taken says nothing.
		ok := subtle.ConstantTimeCompare([]byte(HOTP(secret, s, TOTPDigits)), []byte(code)) == 1
		if ok && s > after && found == 0 {
			matched, found = s, 1
		}
	}
	return matched, found == 1
}
