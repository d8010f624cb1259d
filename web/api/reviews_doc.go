package api

// The OpenAPI documentation of the review decision and activation routes.

var amountSchema = map[string]any{"type": []string{"string", "number", "null"}, "description": "decimal amount in the wallet's currency, at most two decimal places, e.g. \"5000.00\""}

var riskMitigationSchema = obj(map[string]any{
	"enhancedMonitoring": boolean("monitor the customer's transactions more closely"),
	"transactionLimits": obj(map[string]any{
		"dailyLimit":            amountSchema,
		"requiresApprovalAbove": map[string]any{"type": []string{"string", "number", "null"}, "description": "transactions above this amount need an approval; at most the daily limit"},
	}),
})

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
			"verificationMethod": map[string]any{"type": []string{"string", "null"}, "enum": []any{"MANUAL", nil}},
			"completedAt":        map[string]any{"type": []string{"string", "null"}, "description": "RFC 3339"},
			"additionalChecks":   array(obj(map[string]any{"type": str(""), "result": str(""), "performedAt": str("RFC 3339")})),
			"riskMitigation":     riskMitigationSchema,
		}),
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
				"iban":     map[string]any{"type": []string{"string", "null"}, "description": "ISO 13616, valid check digits"},
				"walletId": map[string]any{"type": []string{"string", "null"}, "format": "uuid"},
				"currency": map[string]any{"type": []string{"string", "null"}},
				"appliedLimits": obj(map[string]any{
					"dailyTransactionLimit": map[string]any{"type": []string{"string", "null"}, "description": "decimal"},
					"requiresApprovalAbove": map[string]any{"type": []string{"string", "null"}, "description": "decimal"},
					"source":                strEnum("", "RISK_MITIGATION", "NONE"),
				}),
			}),
		}),
		Errors: []int{404, 409, 422},
	})
}
