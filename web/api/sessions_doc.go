package api

// The OpenAPI documentation of the session routes.

var tokensSchema = obj(map[string]any{
	"accessToken":  str("a customer token (JWT) for the Authorization header"),
	"refreshToken": str("opaque; works once: each refresh returns a new one"),
	"tokenType":    strEnum("", "Bearer"),
	"expiresIn":    integer("seconds the access token lives (the tenant's setting)"),
	"customerId":   uuidStr(""),
}, "accessToken", "refreshToken", "expiresIn", "customerId")

func init() {
	Document("POST "+Prefix+"/customer/session", Operation{
		Tag: "Sessions", Summary: "Sign a customer in with e-mail and password",
		Description: "Sent by the customer's app with X-Tenant-ID and no token (any token is ignored). " +
			"Returns tokens, or {otpRequired: true, challengeId, channel, expiresAt} when the tenant requires a one-time code: " +
			"the code goes out by SMS or e-mail (TOTP when the customer has an authenticator app) and is answered at POST /customer/session/otp. " +
			"A wrong e-mail address or password is 401 INVALID_CREDENTIALS, the same for both. Failed sign-ins are counted: " +
			"after the tenant's limit the account is locked for the tenant's lockout period. The lock is silent: a wrong password " +
			"still gets 401 INVALID_CREDENTIALS, so the answer never tells whether an address is registered; only the right password " +
			"gets 423 ACCOUNT_LOCKED with Retry-After. A customer locked or closed by an employee gets 403 ACCOUNT_DISABLED. " +
			"Failed sign-ins are also rate-limited per address and per e-mail address (the tenant's rate limits): 429 RATE_LIMITED with Retry-After.",
		Request: obj(map[string]any{"email": str(""), "password": str("")}, "email", "password"),
		Response: map[string]any{"oneOf": []any{tokensSchema, obj(map[string]any{
			"otpRequired": boolean("always true"), "challengeId": uuidStr(""),
			"channel": strEnum("", "SMS", "EMAIL", "TOTP"), "expiresAt": str("RFC 3339"),
		}, "otpRequired", "challengeId")}},
		Errors: []int{401, 415, 422, 423, 429},
		Codes:  map[int][]string{401: {"INVALID_CREDENTIALS"}, 403: {"ACCOUNT_DISABLED"}, 423: {"ACCOUNT_LOCKED"}, 429: {"OTP_RATE_LIMITED", "RATE_LIMITED"}},
	})
	Document("POST "+Prefix+"/customer/session/otp", Operation{
		Tag: "Sessions", Summary: "Complete a sign-in with its one-time code",
		Description: "Each wrong code counts against the challenge's attempts (422 INVALID_OTP, then 423 OTP_ATTEMPTS_EXCEEDED); " +
			"an expired code is 422 OTP_EXPIRED, a used one 409 OTP_ALREADY_USED. Sign in again for a new code. " +
			"Wrong or unknown codes are rate-limited per address: 429 RATE_LIMITED with Retry-After.",
		Request:  obj(map[string]any{"challengeId": uuidStr("from POST /customer/session"), "code": str("6 digits")}, "challengeId", "code"),
		Response: tokensSchema,
		Errors:   []int{403, 409, 415, 422, 423, 429},
		Codes: map[int][]string{403: {"ACCOUNT_DISABLED"}, 404: {"CHALLENGE_NOT_FOUND"}, 409: {"OTP_ALREADY_USED"},
			422: {"INVALID_OTP", "OTP_EXPIRED", "OTP_PURPOSE_MISMATCH"}, 423: {"OTP_ATTEMPTS_EXCEEDED"}, 429: {"RATE_LIMITED"}},
	})
	Document("POST "+Prefix+"/customer/session/refresh", Operation{
		Tag: "Sessions", Summary: "Exchange a refresh token for new tokens (rotating)",
		Description: "The refresh token presented is used up and a new one returned, in the same session. Presenting a used refresh token " +
			"again ends the whole session — its access tokens stop working at once — and is 401 REFRESH_TOKEN_REUSED. " +
			"An ended or expired session is 401 SESSION_REVOKED or SESSION_EXPIRED.",
		Request:  obj(map[string]any{"refreshToken": str("")}, "refreshToken"),
		Response: tokensSchema,
		Errors:   []int{401, 415, 422},
		Codes:    map[int][]string{401: {"INVALID_REFRESH_TOKEN", "REFRESH_TOKEN_REUSED", "SESSION_REVOKED", "SESSION_EXPIRED"}, 403: {"ACCOUNT_DISABLED"}, 409: {"REFRESH_TOKEN_REUSED"}},
	})
	Document("DELETE "+Prefix+"/customer/session", Operation{
		Tag: "Sessions", Summary: "Sign out: end the customer token's session",
		Description: "The session's refresh token and access tokens stop working at once.",
		Response:    obj(map[string]any{"sessionId": uuidStr(""), "loggedOut": boolean("")}),
		Errors:      []int{409},
		Codes:       map[int][]string{409: {"NO_SESSION"}},
	})
}
