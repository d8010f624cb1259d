package customer

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/internal/apperr"
)

// What the parameters of a customer's categorisation make the product do.
// A tenant may give its features any parameters; those named here have a
// meaning (guide 001's "Smart Categorization"), which the categories page
// shows next to each, and their values are checked for it.
var ParameterEffects = map[string]string{
	"riskLevel":              "Sets the customer's risk level (LOW, MEDIUM or HIGH), and with it the documents the customer must give. The documented risk rules can still raise it, never lower it.",
	"riskScore":              "A score from 0 to 100 kept with the customer's risk assessment and shown to reviewers.",
	"pep":                    "true declares the customer a politically exposed person: the verification goes to people for enhanced due diligence.",
	"pepCategory":            "The kind of exposure (domestic, foreign, international organisation, family member, close associate), shown to reviewers.",
	"sanctionsCheck":         "ENHANCED screens the customer against sanctions and PEP lists with the tenant's stricter threshold (Screening settings).",
	"monitoring":             "How often the customer is screened again against the lists (DAILY, WEEKLY, MONTHLY), besides whenever a list changes and after an identity correction.",
	"edd":                    "true sends the verification to people for enhanced due diligence, whatever the automated checks say.",
	"transactionMonitoring":  "AML rules see it as customer.transaction_monitoring (REAL_TIME, BATCH_DAILY), so a rule can hold such customers to other thresholds or send their transactions to review.",
	"dailyLimit":             "Becomes the wallet's daily limit when the account is activated (in the wallet's currency).",
	"monthlyLimit":           "Becomes the wallet's monthly limit when the account is activated.",
	"singleTransactionLimit": "Becomes the wallet's limit for one transaction when the account is activated.",
}

// Profile is what a customer's categorisation asks of the product: the
// values of the meaningful parameters of its enabled features.
type Profile struct {
	RiskLevel              string
	RiskScore              *int
	PEP                    bool
	PEPCategory            string
	SanctionsCheck         string // STANDARD or ENHANCED; "" when not set
	Monitoring             string // DAILY, WEEKLY, MONTHLY; "" when not set
	EDD                    bool
	TransactionMonitoring  string
	DailyLimit             *decimal.Decimal
	MonthlyLimit           *decimal.Decimal
	SingleTransactionLimit *decimal.Decimal
}

// Enhanced says whether the customer is screened with the stricter
// threshold.
func (p Profile) Enhanced() bool { return p.SanctionsCheck == "ENHANCED" }

// NeedsEDD says whether people must decide the verification.
func (p Profile) NeedsEDD() bool { return p.PEP || p.EDD }

// HasLimits says whether the categorisation sets any wallet limit.
func (p Profile) HasLimits() bool {
	return p.DailyLimit != nil || p.MonthlyLimit != nil || p.SingleTransactionLimit != nil
}

// ProfileOf reads the profile from a stored categorisation (the JSON of
// an AppliedCategorization); an empty or unreadable one gives the zero
// profile.
func ProfileOf(categorization []byte) Profile {
	var a AppliedCategorization
	if len(categorization) == 0 || json.Unmarshal(categorization, &a) != nil {
		return Profile{}
	}
	return a.Profile()
}

// Profile reads the applied categorisation's meaningful parameters.
func (a *AppliedCategorization) Profile() Profile {
	var p Profile
	if a == nil {
		return p
	}
	p.RiskLevel = a.RiskLevel
	for _, rel := range a.CategoryFeatureRelations {
		if !rel.Enabled {
			continue
		}
		for _, pv := range rel.Parametrization {
			v := strings.TrimSpace(pv.Value)
			switch pv.Name {
			case "riskLevel":
				p.RiskLevel = higherRisk(p.RiskLevel, strings.ToUpper(v))
			case "riskScore":
				if n, err := strconv.Atoi(v); err == nil {
					p.RiskScore = &n
				}
			case "pep":
				p.PEP = p.PEP || strings.EqualFold(v, "true")
			case "pepCategory":
				p.PEPCategory = strings.ToUpper(v)
			case "sanctionsCheck":
				if p.SanctionsCheck != "ENHANCED" {
					p.SanctionsCheck = strings.ToUpper(v)
				}
			case "monitoring":
				p.Monitoring = strings.ToUpper(v)
			case "edd":
				p.EDD = p.EDD || strings.EqualFold(v, "true")
			case "transactionMonitoring":
				p.TransactionMonitoring = strings.ToUpper(v)
			case "dailyLimit":
				p.DailyLimit = limitValue(v)
			case "monthlyLimit":
				p.MonthlyLimit = limitValue(v)
			case "singleTransactionLimit":
				p.SingleTransactionLimit = limitValue(v)
			}
		}
	}
	return p
}

func limitValue(v string) *decimal.Decimal {
	d, err := decimal.NewFromString(v)
	if err != nil || !d.IsPositive() {
		return nil
	}
	return &d
}

var riskOrder = map[string]int{"": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3}

// higherRisk is the higher of two risk levels.
func higherRisk(a, b string) string {
	if riskOrder[b] > riskOrder[a] {
		return b
	}
	return a
}

// checkParameterValue checks a value of a meaningful parameter for its
// meaning, beyond the tenant's allowed values.
func checkParameterValue(fe *apperr.Fields, path, name, value string) {
	v := strings.TrimSpace(value)
	bool_ := func() {
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			fe.Add(path, "%s must be true or false", name)
		}
	}
	switch name {
	case "riskLevel":
		if _, ok := riskOrder[strings.ToUpper(v)]; !ok || v == "" {
			fe.Add(path, "riskLevel must be LOW, MEDIUM or HIGH")
		}
	case "riskScore":
		if n, err := strconv.Atoi(v); err != nil || n < 0 || n > 100 {
			fe.Add(path, "riskScore must be a whole number from 0 to 100")
		}
	case "pep", "edd":
		bool_()
	case "sanctionsCheck":
		if u := strings.ToUpper(v); u != "STANDARD" && u != "ENHANCED" {
			fe.Add(path, "sanctionsCheck must be STANDARD or ENHANCED")
		}
	case "monitoring":
		if _, ok := MonitoringIntervals[strings.ToUpper(v)]; !ok {
			fe.Add(path, "monitoring must be DAILY, WEEKLY or MONTHLY")
		}
	case "dailyLimit", "monthlyLimit", "singleTransactionLimit":
		if limitValue(v) == nil {
			fe.Add(path, "%s must be a positive amount such as 5000 or 5000.00", name)
		}
	}
}

// MonitoringIntervals is how many days pass between re-screenings for
// each value of the monitoring parameter.
var MonitoringIntervals = map[string]int{"DAILY": 1, "WEEKLY": 7, "MONTHLY": 30}
