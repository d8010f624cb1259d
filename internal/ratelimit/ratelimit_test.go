package ratelimit

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ciamhq/ciam/internal/apperr"
)

func TestLimitsFromKeepsDefaultsOfWhatIsLeftOut(t *testing.T) {
	got := LimitsFrom([]byte(`{"tokenClient":{"max":3},"signInIp":{"max":7,"windowSeconds":60}}`))
	want := Defaults()
	want.TokenClient.Max = 3
	want.SignInIP = Limit{Max: 7, WindowSeconds: 60}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("LimitsFrom (-want +got):\n%s", d)
	}
	for _, raw := range []string{``, `{}`, `not json`, `{"otpIp":{"max":0}}`} {
		if d := cmp.Diff(Defaults(), LimitsFrom([]byte(raw))); d != "" {
			t.Errorf("LimitsFrom(%q) (-want +got):\n%s", raw, d)
		}
	}
}

func TestValidateNamesEveryField(t *testing.T) {
	l := Defaults()
	l.TokenClient.Max = 0
	l.OTPIP.WindowSeconds = 5
	e, ok := apperr.As(l.Validate())
	if !ok {
		t.Fatal("out-of-bounds limits accepted")
	}
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Field)
	}
	if d := cmp.Diff([]string{"rateTokenClientMax", "rateOtpIpWindow"}, got); d != "" {
		t.Fatalf("fields (-want +got):\n%s", d)
	}
	if err := Defaults().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
}
