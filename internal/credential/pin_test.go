package credential

import (
	"strings"
	"testing"
	"time"
)

func TestCheckPIN(t *testing.T) {
	birth := time.Date(1987, time.March, 14, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		pin    string
		length int
		issue  string // "" when the PIN is fine
	}{
		{"5830", 4, ""},
		{"271828", 6, ""},
		{"", 4, "required"},
		{"12a4", 4, "digits only"},
		{"583", 4, "exactly 4 digits"},
		{"58301", 4, "exactly 4 digits"},
		{"1111", 4, "one digit repeated"},
		{"000000", 6, "one digit repeated"},
		{"1234", 4, "consecutive"},
		{"4321", 4, "consecutive"},
		{"7890", 4, "consecutive"},
		{"3210", 4, "consecutive"},
		{"123456", 6, "consecutive"},
		{"1212", 4, "repeat"},
		{"123123", 6, "repeat"},
		{"1987", 4, "birth"},
		{"1403", 4, "birth"},
		{"0314", 4, "birth"},
		{"140387", 6, "birth"},
		{"14031987", 8, "birth"},
		{"19870314", 8, "birth"},
	}
	for _, tc := range tests {
		t.Run(tc.pin, func(t *testing.T) {
			fe := CheckPIN("pin", tc.pin, tc.length, birth)
			if tc.issue == "" {
				if len(fe) != 0 {
					t.Fatalf("refused: %v", fe)
				}
				return
			}
			if len(fe) != 1 || fe[0].Field != "pin" || !strings.Contains(fe[0].Issue, tc.issue) {
				t.Fatalf("problems = %v; want one on pin about %q", fe, tc.issue)
			}
		})
	}
}
