package customer

import (
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// Risk rules used when the customer's category sets no risk level. They
// are deliberately simple and documented, so an analyst can say why a
// customer got their level:
//
//   - HIGH when the nationality or address country is on the FATF list of
//     high-risk jurisdictions subject to a call for action (KP, IR, MM),
//     or when the occupation names a politically exposed function.
//   - MEDIUM when the nationality or address country is under increased
//     FATF monitoring, the occupation is cash-intensive, or the declared
//     annual income is above 250,000.
//   - LOW otherwise.
var (
	fatfCallForAction   = []string{"KP", "IR", "MM"}
	fatfIncreasedWatch  = []string{"BG", "BF", "CM", "CD", "HR", "HT", "KE", "LB", "ML", "MC", "MZ", "NA", "NG", "PH", "SN", "ZA", "SS", "SY", "TZ", "VE", "VN", "YE", "DZ", "AO", "CI", "LA", "NP", "BO", "VG"}
	pepOccupationWords  = []string{"politician", "minister", "senator", "member of parliament", "mp ", "ambassador", "judge", "head of state", "governor", "mayor", "general", "central bank", "state-owned"}
	cashOccupationWords = []string{"casino", "gambling", "money service", "money transfer", "exchange office", "bureau de change", "car dealer", "jewel", "precious metal", "art dealer", "crypto", "arms", "cash"}
	highIncome          = decimal.NewFromInt(250000)
)

// Risk reasons, as stored and shown.
const (
	ReasonCategory           = "CATEGORY_RISK_LEVEL"
	ReasonHighRiskCountry    = "HIGH_RISK_COUNTRY"
	ReasonMonitoredCountry   = "MONITORED_COUNTRY"
	ReasonPEPOccupation      = "PEP_OCCUPATION"
	ReasonCashIntensive      = "CASH_INTENSIVE_OCCUPATION"
	ReasonHighDeclaredIncome = "HIGH_DECLARED_INCOME"
	ReasonDeclaredPEP        = "DECLARED_PEP"
	ReasonPossibleListMatch  = "POSSIBLE_LIST_MATCH"
)

// AssessRisk applies the rules above. A level the customer's
// categorisation sets (the category's, or its riskLevel parameter) stands
// unless the rules find a higher one: a category can raise the risk the
// rules see, never lower it.
func AssessRisk(categoryLevel, nationality, addressCountry, occupation string, income *decimal.Decimal) (string, []string) {
	level, reasons := assessByRules(nationality, addressCountry, occupation, income)
	if categoryLevel == "" {
		return level, reasons
	}
	if riskOrder[level] > riskOrder[categoryLevel] {
		return level, append([]string{ReasonCategory}, reasons...)
	}
	return categoryLevel, append([]string{ReasonCategory}, reasons...)
}

func assessByRules(nationality, addressCountry, occupation string, income *decimal.Decimal) (string, []string) {
	occ := " " + strings.ToLower(occupation) + " "
	var high, medium []string
	for _, c := range []string{nationality, addressCountry} {
		if slices.Contains(fatfCallForAction, c) && !slices.Contains(high, ReasonHighRiskCountry) {
			high = append(high, ReasonHighRiskCountry)
		}
		if slices.Contains(fatfIncreasedWatch, c) && !slices.Contains(medium, ReasonMonitoredCountry) {
			medium = append(medium, ReasonMonitoredCountry)
		}
	}
	for _, w := range pepOccupationWords {
		if strings.Contains(occ, w) {
			high = append(high, ReasonPEPOccupation)
			break
		}
	}
	for _, w := range cashOccupationWords {
		if strings.Contains(occ, w) {
			medium = append(medium, ReasonCashIntensive)
			break
		}
	}
	if income != nil && income.GreaterThan(highIncome) {
		medium = append(medium, ReasonHighDeclaredIncome)
	}
	switch {
	case len(high) > 0:
		return "HIGH", append(high, medium...)
	case len(medium) > 0:
		return "MEDIUM", medium
	default:
		return "LOW", []string{}
	}
}
