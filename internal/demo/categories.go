package demo

import (
	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/customer"
)

// The demo tenant's categorisation. The high-risk category and both
// features carry the ids of guide 001's registration example, so that the
// guide's request works against the demo tenant as written.
var (
	HighRiskCategoryID   = uuid.MustParse("550e8400-e29b-41d4-a716-446655440001")
	StandardCategoryID   = uuid.MustParse("0e8d2a71-3c5b-4f96-a1d4-6b9e2f7c8a05")
	EnhancedAMLFeatureID = uuid.MustParse("660e8400-e29b-41d4-a716-446655440002")
	LimitsFeatureID      = uuid.MustParse("770e8400-e29b-41d4-a716-446655440003")
)

// Categories is the demo categorisation: guide 001's HIGH_RISK_INDIVIDUAL
// and a standard category, both with the guide's two features and every
// parameter the guide names (see customer.ParameterEffects for what each
// does).
func Categories() []customer.CategorySpec {
	aml := customer.FeatureSpec{ID: EnhancedAMLFeatureID, Code: "ENHANCED_AML_MONITORING", Name: "Enhanced AML monitoring",
		Parameters: []customer.Parameter{
			{Name: "riskLevel", Mandatory: true, AllowedValues: []string{"LOW", "MEDIUM", "HIGH"}},
			{Name: "riskScore"},
			{Name: "pep", AllowedValues: []string{"true", "false"}},
			{Name: "pepCategory", AllowedValues: []string{"DOMESTIC_PEP", "FOREIGN_PEP", "INTERNATIONAL_ORGANISATION_PEP", "FAMILY_MEMBER", "CLOSE_ASSOCIATE"}},
			{Name: "sanctionsCheck", AllowedValues: []string{"STANDARD", "ENHANCED"}},
			{Name: "monitoring", AllowedValues: []string{"DAILY", "WEEKLY", "MONTHLY"}},
			{Name: "edd", AllowedValues: []string{"true", "false"}},
			{Name: "transactionMonitoring", AllowedValues: []string{"REAL_TIME", "BATCH_DAILY"}},
		}}
	limits := customer.FeatureSpec{ID: LimitsFeatureID, Code: "TRANSACTION_LIMITS", Name: "Transaction limits",
		Parameters: []customer.Parameter{
			{Name: "dailyLimit", Mandatory: true},
			{Name: "monthlyLimit"},
			{Name: "singleTransactionLimit"},
		}}
	return []customer.CategorySpec{
		{ID: HighRiskCategoryID, Name: "HIGH_RISK_INDIVIDUAL", RiskLevel: "HIGH",
			Description: "Politically exposed people, high expected volumes, high-risk occupations or countries: enhanced due diligence",
			Features:    []customer.FeatureSpec{aml, limits}},
		{ID: StandardCategoryID, Name: "STANDARD_INDIVIDUAL",
			Description: "Retail individuals (guide 001's Standard Customer: riskLevel MEDIUM, weekly monitoring)",
			Features:    []customer.FeatureSpec{aml, limits}},
	}
}
