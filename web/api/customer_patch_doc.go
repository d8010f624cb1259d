package api

// The OpenAPI documentation of profile updates.

func init() {
	Document("PATCH "+Prefix+"/customers/{id}", Operation{
		Tag: "Customers", Summary: "Update a customer's profile",
		Description: "The registration's profile fields in the registration's places, each optional: an absent or null field stays as it is, \"\" clears an optional one, address replaces the whole address. The validation is registration's, and a field error names the field's full JSON path (individualCustomer.phoneNumber). " +
			"An admin token (customers:write) may change every field; a change of name, date of birth or nationality screens the customer again against the sanctions and PEP lists. " +
			"A customer token may change only its own customer's contact data (email, individualCustomer.phoneNumber, individualCustomer.alternatePhoneNumber, individualCustomer.address): any other field is 403 PROFILE_FIELD_FORBIDDEN with one detail per field, and nothing changes; another customer's id is 404. " +
			"A new e-mail address is unverified until the token of the customer-profile-updated event is used; an e-mail address another customer has is 409 EMAIL_ALREADY_REGISTERED. " +
			"The change is audited (before and after) and emits customer-profile-updated with the changed fields. The answer is the customer as GET returns it." + userObjectDoc,
		Request: obj(map[string]any{
			"tenantId": str("ignored: X-Tenant-ID decides"), "email": str(""), "firstName": str(""), "lastName": str(""),
			"individualCustomer": obj(map[string]any{
				"middleName": str(""), "dateOfBirth": str("YYYY-MM-DD"), "placeOfBirth": str(""), "nationality": str("ISO 3166 alpha-2"),
				"phoneNumber": str("E.164"), "alternatePhoneNumber": str("E.164"), "address": addressSchema,
				"occupation": str(""), "employerName": str(""),
				"annualIncome":     str("decimal, e.g. \"55000.00\" (a JSON number is accepted too)"),
				"sourceOfFunds":    str(""),
				"complianceFields": stringMap("custom compliance fields to set, by name (admin token only); each is checked by its format, and a value that identifies the person joins the customer's latest verification as a virtual document"),
			}),
		}),
		Response: customerSchema,
		Errors:   []int{403, 404, 409, 413, 415, 422},
		Codes:    map[int][]string{403: {"PROFILE_FIELD_FORBIDDEN"}, 404: {"CUSTOMER_NOT_FOUND"}, 409: {"EMAIL_ALREADY_REGISTERED"}},
	})
}
