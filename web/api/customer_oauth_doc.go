package api

// The OpenAPI documentation of acting on a customer's behalf.

func init() {
	Document("POST "+Prefix+"/customers/{id}/oauth", Operation{
		Tag: "Customers", Summary: "Act on a customer's behalf (guide 002: OAuth the user)",
		Description: "An admin token holding customers:oauth gets a customer token for the customer: it acts as the customer's own token does (their documents, PIN, profile contact data) for 15 minutes, in a session of its own that the customer's sessions list and sign-out end. No refresh token is issued; the backend asks again. A LOCKED or CLOSED customer gets none (409 CUSTOMER_NOT_ACTIVE). Every issue is audited with the API client as the actor. The body is empty (an empty JSON object is accepted).",
		Response: obj(map[string]any{
			"accessToken": str("a customer JWT"), "tokenType": str("Bearer"), "expiresIn": integer("seconds"),
			"customerId": str("uuid"), "scope": str("customer"),
		}),
		Errors: []int{400, 404, 409, 415},
		Codes:  map[int][]string{404: {"CUSTOMER_NOT_FOUND"}, 409: {"CUSTOMER_NOT_ACTIVE"}},
	})
}
