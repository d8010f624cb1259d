package screening

import (
	"math/big"
	"regexp"
	"strings"
)

var (
	ibanShape = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$`)
	bicShape  = regexp.MustCompile(`^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`)
	// Wallet addresses: Bitcoin's base58 and bech32 forms, Ethereum's hex,
	// and the like: long, one word, letters and digits.
	walletShape = regexp.MustCompile(`^(0x[0-9a-fA-F]{40}|[a-zA-Z0-9]{25,95})$`)
)

// AccountIdentifiers reads what an account of a payment's counterparty
// is: an IBAN (with a valid check), a BIC, or else a wallet address, as
// identifiers to screen with. An account that is none of these (a
// domestic account number) gives none: such numbers are on no list.
func AccountIdentifiers(account string) []Identifier {
	a := strings.TrimSpace(account)
	if a == "" {
		return nil
	}
	upper := NormaliseIdentifier(IBAN, a)
	switch {
	case ibanShape.MatchString(upper) && ibanValid(upper):
		id := Identifier{Kind: IBAN, Value: upper, Country: upper[:2]}
		return []Identifier{id}
	case len(upper) == len(strings.ReplaceAll(a, " ", "")) && bicShape.MatchString(upper):
		return []Identifier{{Kind: BIC, Value: upper, Country: upper[4:6]}}
	case walletShape.MatchString(a):
		return []Identifier{{Kind: CryptoAddress, Value: a}}
	}
	return nil
}

// ibanValid checks an IBAN's two check digits (ISO 13616, mod 97).
func ibanValid(iban string) bool {
	r := iban[4:] + iban[:4]
	var digits strings.Builder
	for _, c := range r {
		if c >= 'A' && c <= 'Z' {
			digits.WriteString(big.NewInt(int64(c - 'A' + 10)).String())
		} else {
			digits.WriteRune(c)
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}
