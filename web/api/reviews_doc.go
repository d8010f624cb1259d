package api

// The OpenAPI documentation of the review decision and activation routes.

// decimalDoc is said of every decimal amount a request takes.
const decimalDoc = "; a decimal string (a JSON number is accepted too)"

var riskMitigationSchema = obj(map[string]any{
	"enhancedMonitoring": boolean("monitor the customer's transactions more closely"),
	"transactionLimits": obj(map[string]any{
		"dailyLimit":            str("decimal amount in the wallet's currency, at most two decimal places, e.g. \"5000.00\"" + decimalDoc),
		"requiresApprovalAbove": str("transactions above this amount need an approval; at most the daily limit" + decimalDoc),
	}),
})

// riskMitigationAnswer is the review's risk mitigation as answered: null
// when the review set none.
var riskMitigationAnswer = nullable(obj(map[string]any{
	"enhancedMonitoring": boolean("monitor the customer's transactions more closely"),
	"transactionLimits": obj(map[string]any{
		"dailyLimit":            nullable(str("decimal with two places, e.g. \"5000.00\"; null for no limit")),
		"requiresApprovalAbove": nullable(str("decimal with two places; null for no threshold")),
	}, "dailyLimit", "requiresApprovalAbove"),
}, "enhancedMonitoring", "transactionLimits"))

func init() {
	Document("POST "+Prefix+"/admin/verification/review", Operation{
		Tag: "KYC", Summary: "Decide a verification waiting for review",
		Description: "The same decision the portal's review queue makes, with the API client as the reviewer. " +
			"APPROVE makes the verification APPROVED (verificationMethod MANUAL); REJECT makes it REJECTED; REQUEST_MORE_INFO makes it MORE_INFO_REQUIRED and the customer may upload documents again. " +
			"reviewerNotes is required (at most 4,000 characters); riskMitigation applies to APPROVE only and its limits are put on the wallet at activation. " +
			"HIGH-risk verifications: in the portal only a SENIOR_REVIEWER may decide them; over the API the client needs the verification:review_high_risk scope besides verification:review, or the answer is 403 SENIOR_REVIEW_REQUIRED. " +
			"Only a verification in PENDING_REVIEW can be decided: of two reviewers deciding at once one wins and the other gets 409 ALREADY_DECIDED. " +
			"Writes verification.status.changed.",
		Request: obj(map[string]any{
			"verificationRequestId": uuidStr(""),
			"decision":              strEnum("", "APPROVE", "REJECT", "REQUEST_MORE_INFO"),
			"reviewerNotes":         str("what was checked and why; required"),
			"additionalChecks": array(obj(map[string]any{
				"type":        str("letters, digits and underscores, e.g. ENHANCED_DUE_DILIGENCE, SOURCE_OF_WEALTH"),
				"result":      str("e.g. VERIFIED, CLEAR"),
				"performedAt": str("RFC 3339; now when omitted"),
			}, "type", "result")),
			"riskMitigation": riskMitigationSchema,
		}, "verificationRequestId", "decision", "reviewerNotes"),
		Response: obj(map[string]any{
			"verificationRequestId": uuidStr(""), "customerId": uuidStr(""),
			"status":             strEnum("", "APPROVED", "REJECTED", "MORE_INFO_REQUIRED"),
			"riskLevel":          strEnum("", "LOW", "MEDIUM", "HIGH"),
			"decision":           strEnum("", "APPROVE", "REJECT", "REQUEST_MORE_INFO"),
			"reviewerNotes":      str(""),
			"decidedBy":          str("the reviewer's name"),
			"verificationMethod": nullEnum("MANUAL once decided", "MANUAL"),
			"completedAt":        nullable(str("RFC 3339; null until the verification is complete")),
			"additionalChecks":   array(obj(map[string]any{"type": str(""), "result": str(""), "performedAt": str("RFC 3339")}, "type", "result", "performedAt")),
			"riskMitigation":     riskMitigationAnswer,
		}, "verificationRequestId", "customerId", "status", "riskLevel", "decision", "reviewerNotes", "decidedBy", "verificationMethod", "completedAt", "additionalChecks", "riskMitigation"),
		RequestExamples: []string{"004-review.request.json"},
		Codes: map[int][]string{
			403: {"SENIOR_REVIEW_REQUIRED"}, 404: {"VERIFICATION_NOT_FOUND"},
			409: {"ALREADY_DECIDED", "VERIFICATION_NOT_IN_REVIEW", "VERIFICATION_CHANGED"},
		},
		Errors: []int{403, 404, 409, 422},
	})
	Document("POST "+Prefix+"/customer/individual/activate", Operation{
		Tag: "Onboarding", Summary: "Activate an approved customer",
		Description: "Only when the customer's latest verification is APPROVED (409 VERIFICATION_NOT_APPROVED otherwise; 409 ALREADY_ACTIVE a second time). " +
			"In one transaction: the customer's wallet becomes ACTIVE in walletCurrency (ISO 4217; the organisation's currency when omitted) with an IBAN built from the organisation's country and bank code " +
			"(GB and IE: 4-letter bank identifier + 6-digit sort code + 8-digit account; DE: 8-digit Bankleitzahl + 10-digit account; NL: 4-letter bank identifier + 10-digit account; AT: 5-digit bank code + 11-digit account; CH: 5-digit clearing number + 12-digit account; other countries 409 IBAN_NOT_SUPPORTED), " +
			"the review's risk-mitigation limits (source RISK_MITIGATION; NONE when there are none or applyRiskMitigation is false), status ACTIVE and permission SEND-AND-RECEIVE. " +
			"Writes customer.activated and, unless sendWelcomeEmail is false, customer.welcome_email.requested for the organisation to send the e-mail. Every option defaults to true.",
		Request: obj(map[string]any{
			"customerId": uuidStr(""),
			"activationOptions": obj(map[string]any{
				"generateIBAN": boolean("default true; needs createWallet"), "createWallet": boolean("default true"),
				"walletCurrency": str("ISO 4217, e.g. EUR"), "sendWelcomeEmail": boolean("default true"),
				"applyRiskMitigation": boolean("default true"),
			}),
		}, "customerId"),
		Response: obj(map[string]any{
			"customerId": uuidStr(""), "status": strEnum("", "ACTIVE"), "permission": strEnum("", "SEND-AND-RECEIVE"),
			"verificationStatus": strEnum("", "VERIFIED"), "riskLevel": strEnum("", "LOW", "MEDIUM", "HIGH"),
			"enhancedMonitoring": boolean("from the approving review"), "activatedAt": str("RFC 3339"),
			"accountDetails": obj(map[string]any{
				"iban":     nullable(str("ISO 13616, valid check digits; null without generateIBAN")),
				"walletId": nullable(uuidStr("null without createWallet")),
				"currency": nullable(str("ISO 4217; null without a wallet")),
				"appliedLimits": obj(map[string]any{
					"dailyTransactionLimit":   nullable(str("decimal with two places; null for none")),
					"requiresApprovalAbove":   nullable(str("decimal with two places; null for none")),
					"monthlyTransactionLimit": str("decimal with two places, from the category's TRANSACTION_LIMITS; only when set"),
					"singleTransactionLimit":  str("decimal with two places, from the category's TRANSACTION_LIMITS; only when set"),
					"source":                  strEnum("", "RISK_MITIGATION", "CATEGORY", "NONE"),
				}, "dailyTransactionLimit", "requiresApprovalAbove", "source"),
			}, "iban", "walletId", "currency", "appliedLimits"),
		}, "customerId", "status", "permission", "verificationStatus", "riskLevel", "enhancedMonitoring", "activatedAt", "accountDetails"),
		RequestExamples:  []string{"004-activation.request.json"},
		ResponseExamples: []string{"004-activation.response.json"},
		Codes: map[int][]string{
			404: {"CUSTOMER_NOT_FOUND"},
			409: {"VERIFICATION_NOT_APPROVED", "ALREADY_ACTIVE", "INVALID_STATUS_TRANSITION", "IBAN_NOT_SUPPORTED", "CURRENCY_NOT_SUPPORTED", "BANK_CODE_INVALID"},
		},
		Errors: []int{404, 409, 422},
	})
}
