// Package calendar is the run of days a chart counts over: the last n days
// of a time zone's calendar, and where a date falls among them.
package calendar

import "time"

// Days are n consecutive days of one time zone's calendar, oldest first.
type Days struct {
	// First is the first day's midnight in the zone.
	First time.Time
	N     int
}

// Last are the n days up to and including now's day in loc.
func Last(n int, now time.Time, loc *time.Location) Days {
	local := now.In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	return Days{First: today.AddDate(0, 0, -(n - 1)), N: n}
}

// Day is the i-th day's midnight.
func (d Days) Day(i int) time.Time { return d.First.AddDate(0, 0, i) }

// Index is where the calendar date of date (its year, month and day, as a
// database date scans) falls among the days; false outside them.
func (d Days) Index(date time.Time) (int, bool) {
	midnight := time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, d.First.Location())
	// Half a day of slack absorbs a daylight-saving hour either way.
	i := int(midnight.Sub(d.First).Hours()+12) / 24
	if midnight.Before(d.First) || i >= d.N {
		return 0, false
	}
	return i, true
}
