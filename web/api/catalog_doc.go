package api

// The OpenAPI documentation of the catalog routes.

func init() {
	money := func(doc string) map[string]any {
		return map[string]any{"type": "string", "pattern": `^[0-9]+(\.[0-9]+)?$`, "description": doc}
	}
	Document("GET "+Prefix+"/fees/quote", Operation{
		Tag: "Catalog", Summary: "The fee of a transaction",
		Description: "Prices a transaction with the tenant's fee rules in effect now. Of the ACTIVE rules whose effective-from has come and whose every named dimension " +
			"(transaction type, country, currency, channel, customer category) equals the transaction's, the most specific wins: the rule naming the most dimensions; " +
			"on a tie the one naming the weightiest (customer category, then transaction type, channel, country, currency); then the latest effective-from; then the newest. " +
			"The tier holding the amount (from inclusive, up to exclusive) gives the fixed part and the rate for the whole amount, else the rule's own. " +
			"fee = fixed + amount × rate / 100, raised to the minimum, lowered to the maximum, then rounded half up to the currency's minor unit (ISO 4217: 2 for GBP, 0 for JPY, 3 for KWD) once. " +
			"The breakdown's parts are each rounded the same way. Decimals are strings. No rule: 404 NO_APPLICABLE_FEE_RULE. Bad parameters: 422 with one detail per parameter.",
		Query: []Param{
			{Name: "transactionType", Required: true, Schema: str(""), Doc: "a code such as TRANSFER, CASH_OUT"},
			{Name: "currency", Required: true, Schema: str(""), Doc: "ISO 4217"},
			{Name: "amount", Required: true, Schema: money(""), Doc: "a positive decimal with at most the currency's decimals"},
			{Name: "country", Schema: str(""), Doc: "ISO 3166 alpha-2; absent matches rules for any country only"},
			{Name: "channel", Schema: str(""), Doc: "a code such as MOBILE; absent matches rules for any channel only"},
			{Name: "customerId", Schema: uuidStr(""), Doc: "prices with the customer's category"},
			{Name: "category", Schema: str(""), Doc: "a customer category name, instead of customerId"},
		},
		Response: obj(map[string]any{
			"fee": money("rounded to the currency's minor unit"), "currency": str(""), "amount": money(""),
			"breakdown": obj(map[string]any{
				"fixed": money(""), "percentage": money("amount × rate / 100"), "rate": str("percent"),
				"tier":  map[string]any{"type": []string{"object", "null"}, "properties": map[string]any{"from": money(""), "upTo": map[string]any{"type": []string{"string", "null"}}, "fixed": money(""), "rate": str("")}},
				"limit": map[string]any{"type": []string{"string", "null"}, "enum": []any{"MINIMUM", "MAXIMUM", nil}},
			}),
			"ruleId": uuidStr("the rule that produced the fee"), "ruleName": str(""), "effectiveFrom": str("RFC 3339"),
		}),
		Errors: []int{404, 422},
		Codes:  map[int][]string{404: {"NO_APPLICABLE_FEE_RULE"}},
	})
	Document("GET "+Prefix+"/branches", Operation{
		Tag: "Catalog", Summary: "Branches and pay points near a place",
		Description: "The tenant's ACTIVE branches with coordinates, nearest first, each with distanceKm: the haversine great-circle distance on a sphere of radius 6371.0088 km, " +
			"rounded to metres. The search widens from 5 km to the whole Earth until it has limit results, or stops at radiusKm. Bad parameters: 422 with one detail per parameter.",
		Query: []Param{
			{Name: "near", Required: true, Schema: str(""), Doc: "<latitude>,<longitude> in degrees (WGS 84), e.g. 51.5074,-0.1278"},
			{Name: "type", Schema: strEnum("", "BRANCH", "PAY_POINT", "AGENT", "DIGITAL")},
			{Name: "service", Schema: str(""), Doc: "only branches offering this service code, e.g. CASH_OUT"},
			{Name: "limit", Schema: integer("1 to 50; 10 when absent")},
			{Name: "radiusKm", Schema: map[string]any{"type": "number"}, Doc: "only branches within this distance"},
		},
		Response: array(obj(map[string]any{
			"id": uuidStr(""), "code": str(""), "name": str(""), "type": strEnum("", "BRANCH", "PAY_POINT", "AGENT", "DIGITAL"), "status": strEnum("", "ACTIVE"),
			"address":      obj(map[string]any{"street": str(""), "city": str(""), "region": str(""), "postalCode": str(""), "country": str("ISO 3166 alpha-2")}),
			"coordinates":  obj(map[string]any{"latitude": map[string]any{"type": "number"}, "longitude": map[string]any{"type": "number"}}),
			"openingHours": obj(map[string]any{"MON": array(str("HH:MM-HH:MM")), "TUE": array(str("")), "WED": array(str("")), "THU": array(str("")), "FRI": array(str("")), "SAT": array(str("")), "SUN": array(str(""))}),
			"services":     array(str("")),
			"distanceKm":   map[string]any{"type": "number"},
		})),
		Errors: []int{422},
	})
}
