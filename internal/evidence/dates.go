package evidence

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

var months = map[string]time.Month{}

func init() {
	for m := time.January; m <= time.December; m++ {
		name := strings.ToLower(m.String())
		months[name] = m
		months[name[:3]] = m
	}
	months["sept"] = time.September
}

const monthNames = `(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)`

var (
	dateISO      = regexp.MustCompile(`\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b`)
	dateDayMonth = regexp.MustCompile(`(?i)\b(\d{1,2})(?:st|nd|rd|th)?[\s\-]+` + monthNames + `\.?,?[\s\-]+(\d{4})\b`)
	dateMonthDay = regexp.MustCompile(`(?i)\b` + monthNames + `\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b`)
	dateNumeric  = regexp.MustCompile(`\b(\d{1,2})([./-])(\d{1,2})([./-])(\d{4}|\d{2})\b`)
)

// Date is a date found in text, with the text it was read from.
type Date struct {
	Time time.Time
	Text string
	// at is the byte offset in the text searched.
	at int
}

// FindDates returns the dates written in s in the usual ways: 2026-11-12,
// 12 November 2026, Nov 12, 2026, 12.11.2026 (day first), and 11/12/2026
// or 11-12-2026, read month first when monthFirst (US order) and day first
// otherwise, unless one of the numbers can only be a day. Two-digit years
// are 2000-2069 or 1970-1999. They come in the order they appear.
func FindDates(s string, monthFirst bool) []Date {
	var out []Date
	taken := make([]bool, len(s)+1)
	add := func(loc []int, y, m, d int) {
		for i := loc[0]; i < loc[1]; i++ {
			if taken[i] {
				return
			}
		}
		if m < 1 || m > 12 || d < 1 || d > 31 || y < 1900 || y > 2100 {
			return
		}
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if t.Day() != d {
			return
		}
		for i := loc[0]; i < loc[1]; i++ {
			taken[i] = true
		}
		out = append(out, Date{Time: t, Text: s[loc[0]:loc[1]], at: loc[0]})
	}
	atoi := func(v string) int { n, _ := strconv.Atoi(v); return n }
	for _, loc := range dateISO.FindAllStringSubmatchIndex(s, -1) {
		add(loc, atoi(s[loc[2]:loc[3]]), atoi(s[loc[4]:loc[5]]), atoi(s[loc[6]:loc[7]]))
	}
	for _, loc := range dateDayMonth.FindAllStringSubmatchIndex(s, -1) {
		add(loc, atoi(s[loc[6]:loc[7]]), int(months[strings.ToLower(s[loc[4]:loc[5]])]), atoi(s[loc[2]:loc[3]]))
	}
	for _, loc := range dateMonthDay.FindAllStringSubmatchIndex(s, -1) {
		add(loc, atoi(s[loc[6]:loc[7]]), int(months[strings.ToLower(s[loc[2]:loc[3]])]), atoi(s[loc[4]:loc[5]]))
	}
	for _, loc := range dateNumeric.FindAllStringSubmatchIndex(s, -1) {
		a, b := atoi(s[loc[2]:loc[3]]), atoi(s[loc[6]:loc[7]])
		y := atoi(s[loc[10]:loc[11]])
		if loc[11]-loc[10] == 2 {
			if y < 70 {
				y += 2000
			} else {
				y += 1900
			}
		}
		sep := s[loc[4]:loc[5]]
		m, d := b, a
		if monthFirst && sep != "." {
			m, d = a, b
		}
		if m > 12 && d <= 12 {
			m, d = d, m
		}
		add(loc, y, m, d)
	}
	// Keep reading order.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].at < out[j-1].at; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
