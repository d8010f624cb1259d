package screening

import (
	"strings"
)

// identifierKind maps the words a list uses for a document or code ("Tax
// ID No.", "National passport", "SWIFT/BIC", "Digital Currency Address -
// XBT") onto an IdentifierKind. It reports false for what is not an
// identifier of the entry: websites, e-mail addresses, the directives or
// sanctions information some lists put in the same column.
func identifierKind(typ string) (IdentifierKind, bool) {
	t := strings.ToLower(strings.TrimSpace(typ))
	switch {
	case t == "":
		return "", false
	case strings.Contains(t, "website"), strings.Contains(t, "email"), strings.Contains(t, "e-mail"),
		strings.Contains(t, "directive"), strings.Contains(t, "sanctions information"), strings.Contains(t, "sanctions risk"),
		strings.Contains(t, "vessel flag"), strings.Contains(t, "phone"), strings.Contains(t, "gazette"):
		return "", false
	case strings.Contains(t, "passport"):
		return PassportNumber, true
	case strings.Contains(t, "digital currency"), strings.Contains(t, "crypto"), strings.Contains(t, "wallet"):
		return CryptoAddress, true
	case strings.Contains(t, "swift"), strings.Contains(t, "bic"):
		return BIC, true
	case strings.Contains(t, "iban"):
		return IBAN, true
	case strings.Contains(t, "imo"), strings.Contains(t, "vessel registration"):
		return IMONumber, true
	case strings.Contains(t, "call sign"):
		return CallSign, true
	case strings.Contains(t, "tax"), strings.HasPrefix(t, "nit"), strings.HasPrefix(t, "ruc"), strings.HasPrefix(t, "rfc"),
		strings.Contains(t, "inn"), strings.Contains(t, "fiscal"):
		return TaxID, true
	case strings.Contains(t, "national id"), strings.Contains(t, "national identification"), strings.Contains(t, "cedula"),
		strings.Contains(t, "identity card"), strings.Contains(t, "id card"), strings.Contains(t, "personal id"),
		strings.Contains(t, "curp"), strings.Contains(t, "id no"), t == "id", strings.Contains(t, "identification number"):
		return NationalID, true
	case strings.Contains(t, "regist"), strings.Contains(t, "company number"), strings.Contains(t, "matricula"),
		strings.Contains(t, "legal entity number"), strings.Contains(t, "business number"):
		return RegistrationID, true
	}
	return OtherID, true
}
