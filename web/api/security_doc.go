package api

// The OpenAPI documentation of the PIN, one-time code and TOTP routes.

var pinStatusSchema = obj(map[string]any{"customerId": uuidStr(""), "pinSet": boolean(""), "pinSetAt": str("RFC 3339, or null")})

// pinCodes and otpCodes are the error codes of the PIN and one-time code
// routes.
var (
	pinCodes = map[int][]string{404: {"CUSTOMER_NOT_FOUND", "CHALLENGE_NOT_FOUND"}, 409: {"PIN_NOT_SET", "PIN_ALREADY_SET", "OTP_ALREADY_USED"},
		422: {"INVALID_PIN", "INVALID_OTP", "OTP_EXPIRED", "OTP_PURPOSE_MISMATCH"}, 423: {"PIN_LOCKED", "OTP_ATTEMPTS_EXCEEDED"}}
	otpCodes = map[int][]string{404: {"CUSTOMER_NOT_FOUND", "CHALLENGE_NOT_FOUND"}, 409: {"OTP_ALREADY_USED", "INVALID_CUSTOMER_STATUS", "TOTP_NOT_ENROLLED"},
		422: {"INVALID_OTP", "OTP_EXPIRED", "OTP_PURPOSE_MISMATCH"}, 423: {"OTP_ATTEMPTS_EXCEEDED"}, 429: {"OTP_RATE_LIMITED"}}
	totpCodes = map[int][]string{409: {"TOTP_ALREADY_ENROLLED", "TOTP_NOT_STARTED"}, 422: {"INVALID_OTP"}}
)

const customerIDDoc = "required with an admin token; with a customer token it defaults to (and must be) the token's own customer"

func init() {
	Document("POST "+Prefix+"/security/pin", Operation{
		Tag: "Security", Summary: "Set or change the transaction PIN",
		Description: "The PIN has the tenant's length (default 4) and must not be trivial: one digit repeated, a run like 1234 or 4321, " +
			"a repeated pattern like 1212, or the customer's birth year or date (DDMM, MMDD, ...); each problem is a detail of a 422. " +
			"Changing a PIN takes currentPin, which counts as a verification. A locked PIN must be reset. " +
			"Changing a PIN ends every other session of the customer (their access and refresh tokens answer 401 from then on); " +
			"the session of the customer token that made the change goes on. Changed with an admin token, every session of the customer ends.",
		Request: obj(map[string]any{"customerId": uuidStr(customerIDDoc), "pin": str("digits"),
			"currentPin": str("required when a PIN is set")}, "pin"),
		Response: pinStatusSchema,
		Errors:   []int{409, 415, 422, 423},
		Codes:    pinCodes,
	})
	Document("POST "+Prefix+"/security/pin/verify", Operation{
		Tag: "Security", Summary: "Check the transaction PIN",
		Description: "A wrong PIN is 422 INVALID_PIN, its detail saying how many attempts are left; the attempt that reaches the tenant's limit " +
			"(default 3) locks the PIN, and from then on the answer is 423 PIN_LOCKED, even for the right PIN, until the PIN is reset. " +
			"No PIN yet: 409 PIN_NOT_SET.",
		Request:  obj(map[string]any{"customerId": uuidStr(customerIDDoc), "pin": str("digits")}, "pin"),
		Response: obj(map[string]any{"customerId": uuidStr(""), "verified": boolean("always true: a wrong PIN is an error")}),
		Errors:   []int{409, 415, 422, 423},
		Codes:    pinCodes,
	})
	Document("POST "+Prefix+"/security/pin/reset", Operation{
		Tag: "Security", Summary: "Reset the transaction PIN with a one-time code",
		Description: "Send a code with purpose PIN_RESET first (POST /security/otp/send). The code removes the PIN and its lock; with newPin " +
			"the new PIN is set at once (the same rules as POST /security/pin), otherwise the customer sets one afterwards. " +
			"Employees reset PINs from the customer's page in the portal. Like a change, a reset ends every other session of the customer " +
			"(all of them when made with an admin token).",
		Request: obj(map[string]any{"customerId": uuidStr(customerIDDoc), "challengeId": uuidStr(""), "code": str("6 digits"),
			"newPin": str("optional")}, "challengeId", "code"),
		Response: pinStatusSchema,
		Errors:   []int{409, 415, 422, 423},
		Codes:    pinCodes,
	})
	Document("POST "+Prefix+"/security/otp/send", Operation{
		Tag: "Security", Summary: "Send a one-time code",
		Description: "Creates a challenge and sends a 6-digit code by SMS or e-mail: the event customer.otp.requested carries it to the tenant's " +
			"notification connector. The code lives the tenant's OTP lifetime (default 5 minutes) and allows the tenant's number of attempts " +
			"(default 5). Channel TOTP sends nothing: the customer's confirmed authenticator app answers. At most 5 codes per customer in " +
			"15 minutes (429 OTP_RATE_LIMITED with Retry-After). Sign-in codes come from POST /customer/session.",
		Request: obj(map[string]any{"customerId": uuidStr(customerIDDoc), "channel": strEnum("", "SMS", "EMAIL", "TOTP"),
			"purpose": strEnum("", "PIN_RESET", "HIGH_VALUE_ACTION", "EMAIL_CHANGE", "PHONE_CHANGE")}, "channel", "purpose"),
		Response: obj(map[string]any{"challengeId": uuidStr(""), "expiresAt": str("RFC 3339"), "channel": str(""), "purpose": str("")},
			"challengeId", "expiresAt"),
		Errors: []int{409, 415, 422, 429},
		Codes:  otpCodes,
	})
	Document("POST "+Prefix+"/security/otp/verify", Operation{
		Tag: "Security", Summary: "Check a one-time code",
		Description: "For HIGH_VALUE_ACTION, EMAIL_CHANGE and PHONE_CHANGE challenges (PIN_RESET codes go to POST /security/pin/reset, " +
			"sign-in codes to POST /customer/session/otp: 422 OTP_PURPOSE_MISMATCH). A code works once (409 OTP_ALREADY_USED). " +
			"Wrong: 422 INVALID_OTP with the attempts left; out of attempts: 423 OTP_ATTEMPTS_EXCEEDED; expired: 422 OTP_EXPIRED.",
		Request:  obj(map[string]any{"challengeId": uuidStr(""), "code": str("6 digits")}, "challengeId", "code"),
		Response: obj(map[string]any{"challengeId": uuidStr(""), "customerId": uuidStr(""), "purpose": str(""), "verified": boolean("")}),
		Errors:   []int{409, 415, 422, 423},
		Codes:    otpCodes,
	})
	Document("POST "+Prefix+"/security/totp", Operation{
		Tag: "Security", Summary: "Start enrolling an authenticator app (TOTP)",
		Description: "Customer token only. Returns a new secret once, as text and as an otpauth:// URI for a QR code (RFC 6238: SHA-1, " +
			"6 digits, 30-second steps). Confirm with the app's first code at POST /security/totp/confirm. Starting again before " +
			"confirming replaces the secret; a confirmed app is 409 TOTP_ALREADY_ENROLLED until an employee removes it (a lost phone).",
		Response: obj(map[string]any{"secret": str("base32"), "otpauthUri": str("otpauth://totp/..."), "algorithm": str("SHA1"),
			"digits": integer(""), "period": integer("seconds")}, "secret", "otpauthUri"),
		Errors: []int{409},
		Codes:  totpCodes,
	})
	Document("POST "+Prefix+"/security/totp/confirm", Operation{
		Tag: "Security", Summary: "Confirm the authenticator app with its first code",
		Description: "From then on, challenges of channel TOTP (including sign-in codes) are answered with the app's codes, each code once.",
		Request:     obj(map[string]any{"code": str("6 digits")}, "code"),
		Response:    obj(map[string]any{"customerId": uuidStr(""), "totpEnrolled": boolean("")}),
		Errors:      []int{409, 415, 422},
		Codes:       totpCodes,
	})
}
