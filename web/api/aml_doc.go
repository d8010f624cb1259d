package api

// The OpenAPI documentation of the AML routes.

func init() {
	Document("POST "+Prefix+"/aml/transactions/screen", Operation{
		Tag: "AML", Summary: "Screen a transaction against the tenant's AML rules",
		Description: "Evaluates every active rule of the tenant and the customer's limits from activation (daily limit, approval threshold: " +
			"money going out only), stores the transaction with the decision, and answers the highest outcome of the rules that triggered " +
			"(ALLOW < WARN < REVIEW < BLOCK), each with the values that made it trigger. score adds the triggered rules' scores up to 100. " +
			"REVIEW and BLOCK raise an alert for the tenant's analysts (alertId; event aml.alert.created). A named counterparty is screened " +
			"against sanctions lists: a match is BLOCK (ruleId sanctions:counterparty), a possible match REVIEW; notes say what could not be " +
			"checked (e.g. sanctions screening unavailable) — never a guessed match. " +
			"Amounts in another currency than a rule's convert with the tenant's exchange rates. A rule that fails while it runs is reported " +
			"to the tenant's employees and never stops the others. The same transactionId again answers the first decision " +
			"(Idempotent-Replayed: true); with other details it is 409 TRANSACTION_ALREADY_SCREENED. Unknown customer, unknown currency, a " +
			"negative amount or a time more than 5 minutes ahead: 422 with one detail per field.",
		Request: obj(map[string]any{
			"customerId": uuidStr("a customer of the tenant"), "transactionId": str("the caller's id of the transaction, at most 100 characters"),
			"type":      str("e.g. TRANSFER, CARD_PAYMENT, CASH_WITHDRAWAL"),
			"direction": strEnum("", "IN", "OUT"),
			"amount":    str("decimal, e.g. \"1250.00\"; more than zero, at most 4 decimal places" + decimalDoc),
			"currency":  str("ISO 4217"), "channel": str("e.g. MOBILE, WEB, BRANCH; optional"),
			"timestamp":    str("RFC 3339 with a time zone; not in the future"),
			"counterparty": obj(map[string]any{"name": str(""), "country": str("ISO 3166 alpha-2"), "account": str("IBAN or account number")}),
		}, "customerId", "transactionId", "type", "direction", "amount", "currency", "timestamp"),
		Response: obj(map[string]any{
			"transactionId": str("as sent"),
			"decision":      strEnum("", "ALLOW", "WARN", "REVIEW", "BLOCK"),
			"score":         integer("0 to 100"),
			"triggeredRules": array(obj(map[string]any{
				"ruleId": str("the rule's id, or limit:daily / limit:approval for the customer's limits"),
				"name":   str(""), "version": integer("the rule version that decided"),
				"outcome": strEnum("", "WARN", "REVIEW", "BLOCK"), "score": integer(""),
				"values": map[string]any{"type": "object", "description": "what the rule computed and read, e.g. count_over(24h0m0s, {direction: OUT}): 6"},
			}, "ruleId", "name", "version", "outcome", "values")),
			"alertId": map[string]any{"type": []string{"string", "null"}, "format": "uuid", "description": "the alert a REVIEW or BLOCK raised"},
			"notes":   array(str("what could not be checked")),
		}, "decision", "score", "triggeredRules", "alertId"),
		Errors: []int{409, 413, 415, 422},
		Codes:  map[int][]string{409: {"TRANSACTION_ALREADY_SCREENED"}, 404: {"CUSTOMER_NOT_FOUND"}},
	})
}
