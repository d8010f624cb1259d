package screening

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Dates of birth are kept as ISO 8601 text, as precise as the list is:
// 1973-09-15, 1973-09, 1973, a range 1960/1965 (or of full dates), or
// ~1970 for "circa 1970".

// dateRange is a date of birth as the first and last day it may be, in days
// since 1970-01-01.
type dateRange struct {
	lo, hi int
	text   string
}

// exactDay reports whether the range is one day.
func (d dateRange) exactDay() bool { return d.lo == d.hi }

// approxYears widens a circa date on each side.
const approxYears = 2

func dayNumber(y int, m time.Month, d int) int {
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// parseISODate reads one end of a date: YYYY, YYYY-MM or YYYY-MM-DD.
func parseISODate(s string) (lo, hi int, ok bool) {
	parts := strings.Split(s, "-")
	if len(parts) > 3 || len(parts[0]) != 4 {
		return 0, 0, false
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || (i > 0 && len(p) != 2) {
			return 0, 0, false
		}
		nums[i] = n
	}
	y := nums[0]
	if y < 1800 || y > 2200 {
		return 0, 0, false
	}
	switch len(nums) {
	case 1:
		return dayNumber(y, 1, 1), dayNumber(y, 12, 31), true
	case 2:
		m := nums[1]
		if m < 1 || m > 12 {
			return 0, 0, false
		}
		return dayNumber(y, time.Month(m), 1), dayNumber(y, time.Month(m)+1, 0), true
	default:
		m, d := nums[1], nums[2]
		if m < 1 || m > 12 || d < 1 || d > 31 {
			return 0, 0, false
		}
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if t.Day() != d {
			return 0, 0, false // 31 February
		}
		n := dayNumber(y, time.Month(m), d)
		return n, n, true
	}
}

// parseDate reads a stored date of birth.
func parseDate(s string) (dateRange, bool) {
	s = strings.TrimSpace(s)
	text := s
	approx := strings.HasPrefix(s, "~")
	s = strings.TrimPrefix(s, "~")
	from, to, isRange := strings.Cut(s, "/")
	lo, hi, ok := parseISODate(from)
	if !ok {
		return dateRange{}, false
	}
	if isRange {
		_, hi2, ok := parseISODate(to)
		if !ok || hi2 < lo {
			return dateRange{}, false
		}
		hi = hi2
	}
	if approx {
		lo -= approxYears * 366
		hi += approxYears * 366
	}
	return dateRange{lo: lo, hi: hi, text: text}, true
}

var (
	dayMonthYear = regexp.MustCompile(`^(\d{1,2}) ([A-Za-z]{3})[a-z]* (\d{4})$`)
	monthYear    = regexp.MustCompile(`^([A-Za-z]{3})[a-z]* (\d{4})$`)
	yearOnly     = regexp.MustCompile(`^(\d{4})$`)
)

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
	"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}

// listDate turns a date as OFAC writes it ("15 Sep 1973", "Sep 1973",
// "1973", "circa 1970", "1960 to 1965") into the stored form.
func listDate(s string) (string, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "."))
	prefix := ""
	if rest, ok := cutPrefixFold(s, "circa "); ok {
		prefix, s = "~", rest
	}
	if from, to, ok := strings.Cut(s, " to "); ok {
		a, okA := oneListDate(from)
		b, okB := oneListDate(to)
		if !okA || !okB {
			return "", false
		}
		return prefix + a + "/" + b, true
	}
	d, ok := oneListDate(s)
	if !ok {
		return "", false
	}
	return prefix + d, true
}

func oneListDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if m := dayMonthYear.FindStringSubmatch(s); m != nil {
		mon, ok := monthNames[strings.ToUpper(m[2])]
		day, _ := strconv.Atoi(m[1])
		if !ok {
			return "", false
		}
		out := fmt.Sprintf("%s-%02d-%02d", m[3], mon, day)
		_, _, valid := parseISODate(out)
		return out, valid
	}
	if m := monthYear.FindStringSubmatch(s); m != nil {
		mon, ok := monthNames[strings.ToUpper(m[1])]
		return fmt.Sprintf("%s-%02d", m[2], mon), ok
	}
	if yearOnly.MatchString(s) {
		_, _, ok := parseISODate(s)
		return s, ok
	}
	return "", false
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// How a date of birth moves a score.
const (
	dobSameDay    = 0.05  // the list has the very day
	dobConsistent = 0.02  // the list's year, month or range holds the date
	dobClose      = -0.02 // within a year: a typo or a swapped day and month
	dobDifferent  = -0.10 // more than a year apart
)

// dobFactor compares the date of birth asked about with the list's dates
// (an entry often has several) and keeps the most favourable.
func dobFactor(q dateRange, list []dateRange) (float64, string) {
	best, detail := -1.0, ""
	for _, d := range list {
		var delta float64
		var why string
		switch {
		case q.lo <= d.hi && d.lo <= q.hi:
			if q.exactDay() && d.exactDay() {
				delta, why = dobSameDay, "same date of birth "+d.text
			} else {
				delta, why = dobConsistent, "date of birth consistent with "+d.text
			}
		default:
			gap := q.lo - d.hi
			if d.lo > q.hi {
				gap = d.lo - q.hi
			}
			if gap <= 366 {
				delta, why = dobClose, "date of birth close to "+d.text
			} else {
				delta, why = dobDifferent, fmt.Sprintf("date of birth differs from %s by about %d years", d.text, (gap+182)/365)
			}
		}
		if best == -1.0 || delta > best {
			best, detail = delta, why
		}
	}
	if detail == "" {
		return 0, ""
	}
	return best, detail
}
