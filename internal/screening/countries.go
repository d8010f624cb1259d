package screening

import "strings"

// countryCode turns a country as the lists and callers write it — an ISO
// alpha-2 or alpha-3 code, a name, a common spelling ("Korea, North") —
// into its ISO 3166-1 alpha-2 code.
func countryCode(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) == 2 {
		code := strings.ToUpper(s)
		if knownAlpha2[code] {
			return code, true
		}
		return "", false
	}
	k := foldName(s)
	if k == "" {
		return "", false
	}
	if code, ok := countryCodes[k]; ok {
		return code, true
	}
	// "possibly Palestinian", "Region: Gaza": try the end of the text.
	words := strings.Fields(k)
	for i := 1; i < len(words); i++ {
		if code, ok := countryCodes[strings.Join(words[i:], " ")]; ok {
			return code, true
		}
	}
	return "", false
}

// knownAlpha2 holds every alpha-2 code the table maps to.
var knownAlpha2 = func() map[string]bool {
	m := make(map[string]bool, 256)
	for _, code := range countryCodes {
		m[code] = true
	}
	return m
}()
