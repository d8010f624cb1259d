package credential

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/ciamhq/ciam/internal/apperr"
)

// PasswordPolicy is a tenant's password rules. The zero value of a field
// means the default (DefaultPasswordPolicy).
type PasswordPolicy struct {
	MinLength      int  `json:"minLength"`
	MinUpper       int  `json:"minUpper"`
	MinLower       int  `json:"minLower"`
	MinDigits      int  `json:"minDigits"`
	MinSpecial     int  `json:"minSpecial"`
	ForbidUsername bool `json:"forbidUsername"`
	ForbidEmail    bool `json:"forbidEmail"`
	HistoryCount   int  `json:"historyCount"`
	MaxAgeDays     int  `json:"maxAgeDays"`
	RejectCommon   bool `json:"rejectCommon"`
	MaxLength      int  `json:"maxLength"`
}

// DefaultPasswordPolicy is API.md's default: at least 8 characters with an
// upper-case letter, a lower-case letter, a digit and a special character,
// not containing the username or the e-mail address.
var DefaultPasswordPolicy = PasswordPolicy{
	MinLength: 8, MinUpper: 1, MinLower: 1, MinDigits: 1, MinSpecial: 1,
	ForbidUsername: true, ForbidEmail: true, MaxLength: 128,
}

// ParsePasswordPolicy reads a stored policy; an empty document is the default.
func ParsePasswordPolicy(raw []byte) (PasswordPolicy, error) {
	p := DefaultPasswordPolicy
	if len(raw) == 0 || string(raw) == "{}" {
		return p, nil
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("credential: password policy: %w", err)
	}
	if p.MaxLength == 0 {
		p.MaxLength = DefaultPasswordPolicy.MaxLength
	}
	return p, nil
}

func count(s string, pred func(rune) bool) int {
	n := 0
	for _, r := range s {
		if pred(r) {
			n++
		}
	}
	return n
}

func isSpecial(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsSpace(r)
}

// Check lists every rule password breaks, each as its own problem of the
// field "password" (or "matchingPassword" when the two differ).
func (p PasswordPolicy) Check(password, matching, username, email string) []apperr.FieldError {
	var out []apperr.FieldError
	add := func(field, issue string) { out = append(out, apperr.FieldError{Field: field, Issue: issue}) }
	n := len([]rune(password))
	if n < p.MinLength {
		add("password", fmt.Sprintf("must be at least %d characters long", p.MinLength))
	}
	if p.MaxLength > 0 && n > p.MaxLength {
		add("password", fmt.Sprintf("must be at most %d characters long", p.MaxLength))
	}
	if count(password, unicode.IsUpper) < p.MinUpper {
		add("password", fmt.Sprintf("must contain at least %d upper-case letter(s)", p.MinUpper))
	}
	if count(password, unicode.IsLower) < p.MinLower {
		add("password", fmt.Sprintf("must contain at least %d lower-case letter(s)", p.MinLower))
	}
	if count(password, unicode.IsDigit) < p.MinDigits {
		add("password", fmt.Sprintf("must contain at least %d digit(s)", p.MinDigits))
	}
	if count(password, isSpecial) < p.MinSpecial {
		add("password", fmt.Sprintf("must contain at least %d special character(s)", p.MinSpecial))
	}
	lower := strings.ToLower(password)
	// The whole address contains the username: say only the larger rule.
	hasEmail := p.ForbidEmail && email != "" && strings.Contains(lower, strings.ToLower(email))
	if hasEmail {
		add("password", "must not contain the e-mail address")
	} else if p.ForbidUsername && username != "" && len(username) >= 3 && strings.Contains(lower, strings.ToLower(username)) {
		add("password", "must not contain the username")
	}
	if p.RejectCommon && IsCommonPassword(password) {
		add("password", "is one of the most common passwords; choose another")
	}
	if password != matching {
		add("matchingPassword", "must be equal to password")
	}
	return out
}

// commonPasswords are passwords attackers try first; a tenant's policy may
// refuse them. Kept short and lower-case; matching ignores case.
var commonPasswords = map[string]bool{}

func init() {
	for _, p := range strings.Fields(`password password1 password123 passw0rd p@ssw0rd p@ssword 123456 12345678
		123456789 1234567890 qwerty qwerty123 qwertyuiop abc123 letmein welcome welcome1 admin admin123 iloveyou
		monkey dragon football baseball sunshine princess trustno1 master shadow superman michael 111111 000000
		123123 654321 changeme secret summer2024 winter2024 spring2024 autumn2024 summer2025 winter2025 qazwsx
		zaq12wsx 1q2w3e4r 1qaz2wsx asdfgh asdfghjkl zxcvbnm`) {
		commonPasswords[p] = true
	}
}

// IsCommonPassword reports whether p is on the bundled list, ignoring case
// and a trailing "!" or digit run that people add to satisfy rules.
func IsCommonPassword(p string) bool {
	l := strings.ToLower(p)
	if commonPasswords[l] {
		return true
	}
	trimmed := strings.TrimRight(l, "!.0123456789")
	return len(trimmed) >= 6 && commonPasswords[trimmed]
}

// Validate says, by field, what is wrong with a policy.
func (p PasswordPolicy) Validate() error {
	var fe apperr.Fields
	check := func(field string, v, lo, hi int) {
		if v < lo || v > hi {
			fe.Add(field, "must be between %d and %d", lo, hi)
		}
	}
	check("minLength", p.MinLength, 8, 128)
	check("maxLength", p.MaxLength, 16, 1024)
	if p.MaxLength > 0 && p.MaxLength < p.MinLength {
		fe.Add("maxLength", "must not be below the minimum length")
	}
	check("minUpper", p.MinUpper, 0, 10)
	check("minLower", p.MinLower, 0, 10)
	check("minDigits", p.MinDigits, 0, 10)
	check("minSpecial", p.MinSpecial, 0, 10)
	check("historyCount", p.HistoryCount, 0, 24)
	check("maxAgeDays", p.MaxAgeDays, 0, 3650)
	return fe.Err()
}
