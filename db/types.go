package db

import (
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Duration converts a PostgreSQL interval; a month counts 30 days.
func Duration(i pgtype.Interval) time.Duration {
	if !i.Valid {
		return 0
	}
	return time.Duration(i.Microseconds)*time.Microsecond + time.Duration(i.Days)*24*time.Hour + time.Duration(i.Months)*30*24*time.Hour
}

// Interval converts a duration for an interval column.
func Interval(d time.Duration) pgtype.Interval {
	return pgtype.Interval{Microseconds: d.Microseconds(), Valid: true}
}
