package components

import (
	"testing"
	"time"
)

// Age reads past and future moments alike: a deletion date a week away is
// "in 7 d", not "just now".
func TestAge(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "just now"},
		{-30 * time.Second, "just now"},
		{30 * time.Second, "just now"},
		{-5 * time.Minute, "5 min ago"},
		{5 * time.Minute, "in 5 min"},
		{-3 * time.Hour, "3 h ago"},
		{3 * time.Hour, "in 3 h"},
		{-7 * 24 * time.Hour, "7 d ago"},
		{7 * 24 * time.Hour, "in 7 d"},
		{90 * 24 * time.Hour, "2 Mar 2027"},
		{-90 * 24 * time.Hour, "3 Sep 2026"},
	} {
		if got := Age(now.Add(tc.d), now); got != tc.want {
			t.Errorf("Age(now%+v) = %q; want %q", tc.d, got, tc.want)
		}
	}
}
