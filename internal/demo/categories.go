package demo

import (
	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/customer"
)

// The demo tenant's categorisation, with fixed ids so that example
// requests (docs/examples) can name them.
var (
	HighRiskCategoryID   = uuid.MustParse("5b1f3c2e-9a47-4d6b-8e21-7c4f0a9d3b61")
	StandardCategoryID   = uuid.MustParse("0e8d2a71-3c5b-4f96-a1d4-6b9e2f7c8a05")
	EnhancedAMLFeatureID = uuid.MustParse("a3c9e5f1-7b2d-4e68-9f04-1d6b8a2c5e73")
	LimitsFeatureID      = uuid.MustParse("c7e1b4d9-2f6a-4b83-8d59-3a0f6e1b9c24")
)

// Categories is the demo categorisation.
func Categories() []customer.CategorySpec {
	aml := customer.FeatureSpec{ID: EnhancedAMLFeatureID, Code: "ENHANCED_AML_MONITORING", Name: "Enhanced AML monitoring",
		Parameters: []customer.Parameter{
			{Name: "monitoringLevel", Mandatory: true, AllowedValues: []string{"STANDARD", "ENHANCED", "INTENSIVE"}},
			{Name: "reviewFrequency", AllowedValues: []string{"MONTHLY", "QUARTERLY", "ANNUALLY"}},
		}}
	limits := customer.FeatureSpec{ID: LimitsFeatureID, Code: "TRANSACTION_LIMITS", Name: "Transaction limits",
		Parameters: []customer.Parameter{
			{Name: "dailyLimit", Mandatory: true},
			{Name: "monthlyLimit"},
			{Name: "currency", Mandatory: true, AllowedValues: []string{"EUR", "USD", "GBP"}},
		}}
	return []customer.CategorySpec{
		{ID: HighRiskCategoryID, Name: "HIGH_RISK_INDIVIDUAL", RiskLevel: "HIGH",
			Description: "Individuals needing enhanced due diligence", Features: []customer.FeatureSpec{aml, limits}},
		{ID: StandardCategoryID, Name: "STANDARD_INDIVIDUAL",
			Description: "Retail individuals; risk from the documented rules", Features: []customer.FeatureSpec{aml, limits}},
	}
}
