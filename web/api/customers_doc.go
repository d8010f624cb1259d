package api

// The OpenAPI documentation of the customer routes.

var addressSchema = obj(map[string]any{
	"street": str(""), "streetNumber": str(""), "apartment": str(""), "city": str(""), "state": str(""),
	"postalCode": str(""), "country": str("ISO 3166 alpha-2"), "addressType": strEnum("", "RESIDENTIAL", "MAILING", "BUSINESS", "OTHER"),
}, "street", "city", "postalCode", "country")

// categorizationSchema is a customer's categorisation, as sent (guide
// 001 nests it in individualCustomer; the top level is accepted too) and
// as answered.
var categorizationSchema = obj(map[string]any{
	"id": uuidStr("a category of the tenant's hierarchy"), "name": str("the category's name"), "isActive": boolean(""),
	"categoryFeatureRelations": array(obj(map[string]any{
		"feature":         obj(map[string]any{"id": uuidStr(""), "code": str("")}),
		"enabled":         boolean(""),
		"parametrization": array(obj(map[string]any{"name": str(""), "value": str("one of the parameter's allowedValues when it has any")}, "name", "value")),
	})),
})

// categorizationAnswer is a categorisation as answered: as sent, with
// the category's risk level.
var categorizationAnswer = func() map[string]any {
	s := obj(map[string]any{"riskLevel": nullEnum("the category's risk level; null when it sets none", "LOW", "MEDIUM", "HIGH")})
	props := map[string]any{}
	for k, v := range categorizationSchema["properties"].(map[string]any) {
		props[k] = v
	}
	props["riskLevel"] = s["properties"].(map[string]any)["riskLevel"]
	return nullable(obj(props))
}()

var customerSchema = userObjectSchema(map[string]any{
	"id": uuidStr(""), "customerId": uuidStr(""), "userId": uuidStr(""), "tenantId": uuidStr(""),
	"status":      strEnum("", "PENDING_VERIFICATION", "ACTIVE", "INACTIVE", "LOCKED", "CLOSED"),
	"permission":  strEnum("", "UNVERIFIED", "RECEIVE", "SEND-AND-RECEIVE", "LOCKED", "CLOSED", "MAKE-IT-GO-AWAY"),
	"riskLevel":   strEnum("", "LOW", "MEDIUM", "HIGH"),
	"riskReasons": array(str("")),
	"profile": obj(map[string]any{
		"email": str(""), "emailVerified": boolean(""), "firstName": str(""), "middleName": str(""), "lastName": str(""),
		"dateOfBirth": str("YYYY-MM-DD"), "placeOfBirth": str(""), "nationality": str(""), "phoneNumber": str("E.164"),
		"alternatePhoneNumber": str("E.164"), "address": addressSchema, "occupation": str(""), "employerName": str(""),
		"annualIncome": nullable(str("decimal with two places; null when not given")), "sourceOfFunds": str(""),
		"complianceFields": stringMap("the custom compliance fields on file, by name: a value that identifies the person (a CPF, an SSN) masked to its last characters, another in full; {} when there are none"),
	}),
	"categorization": categorizationAnswer,
	"wallets": array(obj(map[string]any{"walletId": uuidStr(""), "status": str(""), "currency": nullable(str("ISO 4217; null until activation")),
		"iban": nullable(str("null until activation"))}, "walletId", "status", "currency", "iban")),
	"verification": nullable(obj(map[string]any{"verificationRequestId": uuidStr(""), "status": str(""), "riskLevel": str("")},
		"verificationRequestId", "status", "riskLevel")),
	"createdAt": str("RFC 3339"), "updatedAt": str("RFC 3339"),
	"_links": obj(map[string]any{"self": obj(map[string]any{"href": str("")})}),
})

func init() {
	Document("POST "+Prefix+"/customer/individual/registration", Operation{
		Tag: "Onboarding", Summary: "Register an individual customer",
		Description: "Creates, in one transaction, the customer (PENDING_VERIFICATION), credentials, an INACTIVE wallet, the categorisation, an e-mail verification token (sent in the customer.registered event) and a verification request. Every broken rule is its own detail of a 422. Same e-mail again: 409 EMAIL_ALREADY_REGISTERED. Refused registrations are rate-limited per address and per e-mail address (the tenant's rate limits): 429 RATE_LIMITED with Retry-After.",
		Request: obj(map[string]any{
			"tenantId": str("ignored: X-Tenant-ID decides"), "email": str("required here or in individualCustomer.email"), "password": str("the tenant's password policy applies"),
			"matchingPassword": str(""), "firstName": str("required here or in individualCustomer.firstName"), "lastName": str("required here or in individualCustomer.lastName"),
			"individualCustomer": obj(map[string]any{
				"tenantId":   str("as guide 001 repeats it; ignored: X-Tenant-ID decides"),
				"email":      str("as guide 001 repeats it; when both are sent they must agree (422 on individualCustomer.email)"),
				"firstName":  str("as guide 001 repeats it; must agree with the top-level firstName"),
				"lastName":   str("as guide 001 repeats it; must agree with the top-level lastName"),
				"middleName": str(""), "dateOfBirth": str("YYYY-MM-DD"), "placeOfBirth": str(""), "nationality": str("ISO 3166 alpha-2"),
				"phoneNumber": str("E.164"), "alternatePhoneNumber": str("E.164"), "address": addressSchema,
				"occupation": str(""), "employerName": str(""),
				"annualIncome":     str("decimal, e.g. \"150000\"" + decimalDoc),
				"sourceOfFunds":    str(""),
				"categorization":   categorizationSchema,
				"complianceFields": stringMap("custom compliance fields by name, as GET /compliance/requirements lists them for the customer's country (address, else nationality) and risk level: a CPF in Brazil, an SSN in the US. A required field missing, an unknown name or a value failing its format (checksums included) is a 422 on individualCustomer.complianceFields.<name>. Fields that identify the person become virtual documents"),
			}, "dateOfBirth", "nationality", "phoneNumber", "address"),
			"categorization": categorizationSchema,
			"extra": obj(map[string]any{
				"cip_tag":     integer("the customer's Customer Identification Program: a tag of the tenant's KYC requirements, 1 to 3000; 1 (the default program) when absent. An unknown tag is 422 on extra.cip_tag"),
				"supp_id":     str("an id the tenant's own system gives the customer, at most 200 characters"),
				"is_business": boolean("false: this registration is for individuals"),
			}),
		}, "password", "matchingPassword", "individualCustomer"),
		Status: 201,
		Response: obj(map[string]any{
			"customerId": uuidStr(""), "userId": uuidStr(""), "walletId": uuidStr(""),
			"status": strEnum("", "PENDING_VERIFICATION"), "walletStatus": strEnum("", "INACTIVE"),
			"verificationRequestId": uuidStr(""), "riskLevel": strEnum("", "LOW", "MEDIUM", "HIGH"),
			"categorization": categorizationAnswer,
		}, "customerId", "userId", "walletId", "status", "walletStatus", "verificationRequestId", "riskLevel", "categorization"),
		Errors:          []int{409, 413, 415, 422, 429},
		RequestExamples: []string{"001-registration.request.json"},
		Codes:           map[int][]string{409: {"EMAIL_ALREADY_REGISTERED"}, 429: {"RATE_LIMITED"}},
	})
	Document("GET "+Prefix+"/customer/individual/categorization/hierarchy/{tenantId}", Operation{
		Tag: "Onboarding", Summary: "The tenant's categories, features and parameters",
		Response: array(obj(map[string]any{
			"id": uuidStr(""), "name": str(""), "description": str(""), "isActive": boolean(""),
			"riskLevel": nullEnum("the category's risk level; null when it sets none", "LOW", "MEDIUM", "HIGH"),
			"features": array(obj(map[string]any{
				"id": uuidStr(""), "code": str(""), "name": str(""),
				"parameters": array(obj(map[string]any{"id": uuidStr(""), "name": str(""), "mandatory": boolean(""),
					"allowedValues": array(str("empty: any value"))}, "id", "name", "mandatory", "allowedValues")),
			}, "id", "code", "name", "parameters")),
		}, "id", "name", "description", "isActive", "riskLevel", "features")),
		Codes: map[int][]string{403: {"FORBIDDEN"}, 404: {"TENANT_NOT_FOUND"}},
	})
	Document("POST "+Prefix+"/customer/individual/email/verification", Operation{
		Tag: "Onboarding", Summary: "Verify a customer's e-mail address",
		Description: "With the 64-character token of the customer.registered event. A token works once.",
		Request:     obj(map[string]any{"token": str("64 hex characters")}, "token"),
		Response:    obj(map[string]any{"customerId": uuidStr(""), "email": str(""), "emailVerified": boolean(""), "emailVerifiedAt": str("")}),
		Errors:      []int{422},
		Codes:       map[int][]string{404: {"TOKEN_INVALID"}},
	})
	Document("GET "+Prefix+"/customers/{id}", Operation{
		Tag: "Customers", Summary: "A customer's profile, standing and documents",
		Description: "A customer token may read only its own customer; another id is 404. A hidden customer (MAKE-IT-GO-AWAY) is still answered." + userObjectDoc,
		Response:    customerSchema,
		Codes:       map[int][]string{404: {"CUSTOMER_NOT_FOUND"}},
	})
	Document("POST "+Prefix+"/customers/{id}/standing", Operation{
		Tag: "Customers", Summary: "Deactivate, reactivate, lock, unlock or close a customer",
		Description: "LOCK and CLOSE end the customer's sessions: their tokens stop working at once. UNLOCK is a four-eyes change: it answers 202 with the change request an employee must approve in the portal.",
		Request:     obj(map[string]any{"action": strEnum("", "DEACTIVATE", "REACTIVATE", "LOCK", "UNLOCK", "CLOSE"), "reason": str("why, for the audit trail")}, "action", "reason"),
		Response:    obj(map[string]any{"customerId": uuidStr(""), "status": str(""), "permission": str("")}),
		Errors:      []int{409, 422},
		Codes:       map[int][]string{404: {"CUSTOMER_NOT_FOUND"}, 409: {"INVALID_STATUS_TRANSITION"}},
	})
}
