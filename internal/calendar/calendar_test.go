package calendar

import (
	"testing"
	"time"
)

// Across a daylight-saving change every date lands on its own day, and
// dates outside the run on none.
func TestIndexAcrossDaylightSaving(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-10-25 is the day London's clocks go back.
	now := time.Date(2026, 10, 27, 0, 30, 0, 0, time.UTC) // 00:30 in London too
	d := Last(5, now, london)
	if got := d.First.Format(time.DateOnly); got != "2026-10-23" {
		t.Fatalf("first day %s", got)
	}
	for i := range d.N {
		date := time.Date(2026, 10, 23+i, 0, 0, 0, 0, time.UTC) // as a database date scans
		if j, ok := d.Index(date); !ok || j != i {
			t.Errorf("2026-10-%d: index %d %v; want %d", 23+i, j, ok, i)
		}
		if got := d.Day(i).Format(time.DateOnly); got != date.Format(time.DateOnly) {
			t.Errorf("day %d is %s", i, got)
		}
	}
	for _, out := range []int{22, 28} {
		if j, ok := d.Index(time.Date(2026, 10, out, 0, 0, 0, 0, time.UTC)); ok {
			t.Errorf("2026-10-%d is inside, at %d", out, j)
		}
	}
}
