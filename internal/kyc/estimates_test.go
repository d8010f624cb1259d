package kyc

import "testing"

func TestDurationRange(t *testing.T) {
	tests := []struct {
		lo, hi float64
		want   string
	}{
		{5, 40, "1-2 minutes"},
		{90, 280, "1-5 minutes"},
		{3 * 3600, 20 * 3600, "3-20 hours"},
		{24 * 3600, 48 * 3600, "24-48 hours"},
		{2 * 86400, 4 * 86400, "2-4 days"},
		{0, 0, "1-2 minutes"},
	}
	for _, tc := range tests {
		if got := durationRange(tc.lo, tc.hi); got != tc.want {
			t.Errorf("durationRange(%v, %v) = %q; want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
}
