package credential

import (
	"strings"
	"testing"
	"time"
)

// RFC 6238, appendix B (SHA-1), cut to six digits as apps show them.
func TestTOTPMatchesRFC6238(t *testing.T) {
	secret := []byte("12345678901234567890")
	tests := []struct {
		unix int64
		want string // the RFC's eight digits
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, tc := range tests {
		at := time.Unix(tc.unix, 0)
		if got := HOTP(secret, TOTPStep(at), 8); got != tc.want {
			t.Errorf("8 digits at %d = %s; want %s", tc.unix, got, tc.want)
		}
		if got := TOTPCode(secret, at); got != tc.want[2:] {
			t.Errorf("6 digits at %d = %s; want %s", tc.unix, got, tc.want[2:])
		}
	}
}

func TestVerifyTOTP(t *testing.T) {
	secret := NewTOTPSecret()
	now := time.Unix(1_700_000_000, 0)
	step := TOTPStep(now)
	tests := []struct {
		name  string
		at    time.Time
		after int64
		ok    bool
	}{
		{"current step", now, -1, true},
		{"one step early", now.Add(-TOTPPeriod), -1, true},
		{"one step late", now.Add(TOTPPeriod), -1, true},
		{"two steps off", now.Add(-2 * TOTPPeriod), -1, false},
		{"already used", now, step, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := VerifyTOTP(secret, TOTPCode(secret, tc.at), now, tc.after)
			if ok != tc.ok || (ok && got != TOTPStep(tc.at)) {
				t.Fatalf("VerifyTOTP = %d, %v; want %v at step %d", got, ok, tc.ok, TOTPStep(tc.at))
			}
		})
	}
	if _, ok := VerifyTOTP(secret, "12345", now, -1); ok {
		t.Fatal("a five-digit code passed")
	}
}

func TestTOTPURI(t *testing.T) {
	uri := TOTPURI("Finsei Ltd", "ana@example.com", []byte("12345678901234567890"))
	for _, want := range []string{"otpauth://totp/Finsei%20Ltd:ana@example.com?", "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "issuer=Finsei+Ltd", "period=30", "digits=6"} {
		if !strings.Contains(uri, want) {
			t.Errorf("uri %s lacks %s", uri, want)
		}
	}
}

func TestOTPCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		c := NewOTP()
		if len(c) != OTPDigits || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("code %q; want six digits", c)
		}
		seen[c] = true
	}
	if len(seen) < 190 {
		t.Fatalf("only %d distinct codes in 200", len(seen))
	}
}
