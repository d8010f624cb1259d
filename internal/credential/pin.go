package credential

import (
	"fmt"
	"strings"
	"time"

	"github.com/ciamhq/ciam/internal/apperr"
)

// CheckPIN returns the problems with pin as a new transaction PIN of
// length digits for a customer born on birth (zero when unknown), each a
// detail on field. A PIN is refused when it is guessable: one digit
// repeated, a run up or down (1234, 4321, 8901), a short block repeated
// (1212, 123123), or the customer's birth date in a usual form (birth
// year, DDMM, MMDD, DDMMYY, ...).
func CheckPIN(field, pin string, length int, birth time.Time) apperr.Fields {
	var fe apperr.Fields
	if pin == "" {
		fe.Add(field, "is required")
		return fe
	}
	for _, r := range pin {
		if r < '0' || r > '9' {
			fe.Add(field, "must be digits only")
			return fe
		}
	}
	if len(pin) != length {
		fe.Add(field, "must be exactly %d digits", length)
		return fe
	}
	switch {
	case strings.Count(pin, pin[:1]) == len(pin):
		fe.Add(field, "must not be one digit repeated, like %s", strings.Repeat("1", length))
	case isRun(pin, 1) || isRun(pin, 9):
		fe.Add(field, "must not be a run of consecutive digits, like 1234 or 4321")
	case repeatsBlock(pin):
		fe.Add(field, "must not repeat a short pattern, like 1212")
	}
	if !birth.IsZero() && birthForms(birth, length)[pin] {
		fe.Add(field, "must not be the customer's date or year of birth")
	}
	return fe
}

// isRun reports whether each digit is the one before plus step (mod 10):
// step 1 is ascending (7890 included), 9 descending.
func isRun(pin string, step int) bool {
	for i := 1; i < len(pin); i++ {
		if (int(pin[i]-'0')-int(pin[i-1]-'0')+10)%10 != step {
			return false
		}
	}
	return true
}

// repeatsBlock reports whether pin is a shorter block written twice or
// more (1212, 123123, 12121212).
func repeatsBlock(pin string) bool {
	for n := 2; n <= len(pin)/2; n++ {
		if len(pin)%n == 0 && strings.Repeat(pin[:n], len(pin)/n) == pin {
			return true
		}
	}
	return false
}

func birthForms(b time.Time, length int) map[string]bool {
	d, m, y := fmt.Sprintf("%02d", b.Day()), fmt.Sprintf("%02d", int(b.Month())), fmt.Sprintf("%04d", b.Year())
	yy := y[2:]
	forms := []string{y, d + m, m + d, y[:2] + yy, d + m + yy, yy + m + d, m + d + yy, d + m + y, y + m + d, m + d + y, yy + d + m}
	out := map[string]bool{}
	for _, f := range forms {
		if len(f) == length {
			out[f] = true
		}
	}
	return out
}
