package api

// The OpenAPI documentation of the verification routes.

func init() {
	declaredAddress := map[string]any{
		"description": "the address on the document: guide 004's object, or one line of text as printed",
		"oneOf": []any{
			obj(map[string]any{
				"street": str(""), "streetNumber": str(""), "apartment": str(""), "city": str(""), "state": str(""),
				"postalCode": str(""), "country": str("ISO 3166 alpha-2"), "line": str("the whole address as one line"),
			}),
			str("the address as one line of text"),
		},
	}
	extracted := obj(map[string]any{
		"firstName": str(""), "lastName": str(""), "fullName": str(""), "dateOfBirth": str("YYYY-MM-DD; must be the registration's"),
		"nationality": str("ISO 3166 alpha-2"), "address": str(""),
	})
	extracted["description"] = "what the customer app read from the document; it can only fail the checks, which read the document themselves. Other keys are accepted and kept."
	extracted["additionalProperties"] = true
	meta := obj(map[string]any{
		"documentNumber": str(""), "issuingCountry": str("ISO 3166 alpha-2"), "expiryDate": str("YYYY-MM-DD"),
		"issueDate": str("YYYY-MM-DD; a proof of address must be recent"), "issuer": str(""), "address": declaredAddress,
		"mrz":           str("a passport's two MRZ lines; check digits are verified"),
		"extractedData": extracted,
	})
	Document("POST "+Prefix+"/verification/documents/upload", Operation{
		Tag: "KYC", Summary: "Upload verification documents",
		Description: "JSON with base64 content (guide 004's body as written: metadata.address as its object or as one line of text), or multipart/form-data with the fields verificationRequestId, documents[i].type, documents[i].subType, documents[i].metadata (JSON) and the file documents[i].content. The format is judged by the bytes (JPEG, PNG or PDF). Checks run in the background; poll GET /verification/status/{id} or listen for verification.status.changed. Errors: INVALID_DOCUMENT_FORMAT 400, DOCUMENT_TOO_LARGE 413 (over 10 MB), POOR_IMAGE_QUALITY 422 (under 300×300 pixels, 200×200 for a selfie, or undecodable), EXPIRED_DOCUMENT 422, DATA_MISMATCH 422, DUPLICATE_UPLOAD 409, VERIFICATION_LOCKED 423 (after 5 refused uploads of any kind; an upload naming a verification the caller cannot read is 404 and counts nothing), UNSUPPORTED_DOCUMENT 422. Fields other than the files: each at most 64 KB, together at most 1 MB (422 VALIDATION_FAILED naming the field). " +
			"Besides files, guide 002's virtual documents (type VIRTUAL_DOCUMENT, subType SSN, TIN, PASSPORT_NUMBER or NATIONAL_ID) and social documents (type SOCIAL_DOCUMENT, subType FACEBOOK, LINKEDIN, TWITTER or X, OTHER) are sent as a value, without content, alone or with files. " +
			"Each value is validated for its type and for its country (metadata.issuingCountry, else the customer's nationality): SSN is US only, AAA-GG-SSSS or 9 digits, area not 000, 666 or 900–999, group not 00, serial not 0000; TIN in the US is an EIN, NN-NNNNNNN with a prefix the IRS assigns, elsewhere 6 to 20 letters and digits with a digit; PASSPORT_NUMBER is 6 to 9 letters and digits; NATIONAL_ID is a National Insurance number in GB, a DNI or NIE with its check letter in ES, elsewhere 5 to 20 letters and digits (spaces, hyphens, dots and slashes ignored); a social value is an https profile URL (at most 300 characters, a host name on the network's domain for FACEBOOK, LINKEDIN and TWITTER/X, no user name, password or port). " +
			"A refused value is 422 VALIDATION_FAILED naming documents[i].value (or .subType); a value the customer already has for the same sub-type is 409 DUPLICATE_UPLOAD. Values are sealed at rest, and nothing is checked against a registry: the status SUBMITTED|VALID says the format is valid. An upload of values only leaves the verification's status as it is (no checks run): the answer's status is then the verification's, and nextStep UPLOAD_DOCUMENTS until files come.",
		Request: obj(map[string]any{
			"verificationRequestId": uuidStr("from the registration"),
			"documents": array(obj(map[string]any{
				"type":     strEnum("", "IDENTITY_DOCUMENT", "PROOF_OF_ADDRESS", "SELFIE", "SOURCE_OF_FUNDS", "VIRTUAL_DOCUMENT", "SOCIAL_DOCUMENT"),
				"subType":  str("PASSPORT, NATIONAL_ID, DRIVERS_LICENSE, UTILITY_BILL, BANK_STATEMENT, ...; for a VIRTUAL_DOCUMENT SSN, TIN, PASSPORT_NUMBER or NATIONAL_ID; for a SOCIAL_DOCUMENT FACEBOOK, LINKEDIN, TWITTER, X or OTHER"),
				"content":  str("base64; required for every type but VIRTUAL_DOCUMENT and SOCIAL_DOCUMENT, which take none"),
				"value":    str("only for VIRTUAL_DOCUMENT (the number) and SOCIAL_DOCUMENT (the profile's https URL), at most 300 characters; refused on other types"),
				"fileName": str(""), "mimeType": str("declared; the bytes decide"), "metadata": meta,
			}, "type")),
		}, "verificationRequestId", "documents"),
		Response: obj(map[string]any{
			"verificationRequestId": uuidStr(""), "documentsProcessed": integer(""),
			"status": strEnum("DOCUMENTS_RECEIVED once a file came; for an upload of values only, the verification's status as it was", "DOCUMENTS_RECEIVED", "AWAITING_DOCUMENTS", "MORE_INFO_REQUIRED"),
			"processingDetails": obj(map[string]any{
				"identityDocument": obj(map[string]any{"status": str("VALIDATED when the document was read and matches the registration"), "extractedData": obj(map[string]any{
					"documentNumber": str("as read"), "fullName": str("as read from the document"), "dateOfBirth": str("YYYY-MM-DD as read; \"\" when unread"),
					"matchScore": number("0 to 100")}, "documentNumber", "fullName", "dateOfBirth", "matchScore")}, "status", "extractedData"),
				"proofOfAddress": obj(map[string]any{"status": str("VALIDATED when the address was verified"), "addressVerified": boolean("")}, "status", "addressVerified"),
				"virtualDocuments": array(obj(map[string]any{"type": strEnum("the sub-type", "SSN", "TIN", "PASSPORT_NUMBER", "NATIONAL_ID"),
					"status": strEnum("the format is valid for the type and country; not checked against a registry", "SUBMITTED|VALID")}, "type", "status")),
				"socialDocuments": array(obj(map[string]any{"type": strEnum("the sub-type (X is taken as TWITTER)", "FACEBOOK", "LINKEDIN", "TWITTER", "OTHER"),
					"status": strEnum("an https profile URL on the network's domain", "SUBMITTED|VALID")}, "type", "status")),
			}),
			"nextStep":                strEnum("UPLOAD_DOCUMENTS after an upload of values only to a verification still waiting for its files", "AWAIT_VERIFICATION_RESULT", "UPLOAD_DOCUMENTS"),
			"estimatedProcessingTime": str("from the tenant's recent figures, e.g. 2-5 minutes"),
		}, "verificationRequestId", "documentsProcessed", "status", "processingDetails", "nextStep", "estimatedProcessingTime"),
		Errors:           []int{409, 413, 415, 422, 423},
		RequestExamples:  []string{"004-upload.request.json"},
		ResponseExamples: []string{"004-upload.response.json"},
		Codes: map[int][]string{
			400: {"INVALID_DOCUMENT_FORMAT"}, 404: {"VERIFICATION_NOT_FOUND"}, 409: {"DUPLICATE_UPLOAD", "VERIFICATION_NOT_OPEN"},
			413: {"DOCUMENT_TOO_LARGE"}, 422: {"POOR_IMAGE_QUALITY", "EXPIRED_DOCUMENT", "DATA_MISMATCH", "UNSUPPORTED_DOCUMENT"},
			423: {"VERIFICATION_LOCKED"},
		},
	})
	Document("GET "+Prefix+"/verification/status/{id}", Operation{
		Tag: "KYC", Summary: "A verification's status and checks",
		Response: obj(map[string]any{
			"verificationRequestId": uuidStr(""), "customerId": uuidStr(""),
			"status":             strEnum("", "AWAITING_DOCUMENTS", "DOCUMENTS_RECEIVED", "PENDING_REVIEW", "APPROVED", "REJECTED", "MORE_INFO_REQUIRED"),
			"riskLevel":          strEnum("", "LOW", "MEDIUM", "HIGH"),
			"checksState":        strEnum("progress of the automated checks", "NOT_STARTED", "QUEUED", "RUNNING", "DONE"),
			"documentsReceived":  integer("documents uploaded for the verification"),
			"verificationMethod": strEnum("only once decided", "AUTOMATED", "MANUAL"), "completedAt": str("RFC 3339; only once complete"),
			"reasonForReview":  str("only in PENDING_REVIEW: the first of reasonsForReview, e.g. PEP_MATCH_POSSIBLE, SANCTIONS_MATCH_POSSIBLE, HIGH_RISK_CATEGORY"),
			"reasonsForReview": array(str("")), "assignedTo": str("only in PENDING_REVIEW, e.g. COMPLIANCE_TEAM"),
			"locked":                  boolean("only when true: too many refused uploads"),
			"estimatedProcessingTime": str("only in DOCUMENTS_RECEIVED, e.g. 2-5 minutes"),
			"estimatedReviewTime":     str("only in PENDING_REVIEW, e.g. 24-48 hours"),
			"checks": obj(map[string]any{
				"identity": obj(map[string]any{"status": str(""), "confidence": nullable(number("0 to 100; null when the document could not be compared"))}, "status", "confidence"),
				"address":  obj(map[string]any{"status": str(""), "verified": boolean("")}, "status", "verified"),
				"sanctions": obj(map[string]any{"status": strEnum("", "CLEAR", "POSSIBLE_MATCH", "MATCH", "NOT_CHECKED", "NOT_REQUIRED", "FAILED"),
					"listsChecked": array(str("as the guide names them: OFAC, UN, EU, ...")),
					"listVersions": array(map[string]any{"type": "object", "description": "the version of each list searched"})}, "status", "listsChecked", "listVersions"),
				"pep":             obj(map[string]any{"status": strEnum("", "NOT_PEP", "POSSIBLE_PEP", "PEP", "NOT_CHECKED", "NOT_REQUIRED", "FAILED"), "checked": boolean("")}, "status", "checked"),
				"ageVerification": obj(map[string]any{"status": str(""), "age": integer("")}, "status", "age"),
				"selfie":          obj(map[string]any{"status": str("")}, "status"),
				"requirements":    obj(map[string]any{"status": str(""), "missing": array(str("document types still missing"))}, "status", "missing"),
			}),
		}, "verificationRequestId", "customerId", "status", "riskLevel", "checksState", "documentsReceived", "checks"),
		ResponseExamples: []string{"004-status-automated.response.json", "004-status-manual.response.json"},
		Codes:            map[int][]string{404: {"VERIFICATION_NOT_FOUND"}},
	})
	fieldSchema := obj(map[string]any{
		"field": str("the JSON path of the field in the registration (individualCustomer.complianceFields.cpf for a custom field)"),
		"label": str(""), "type": str("string, date, id_number or text"), "format": str("what the value must be, in words"),
		"pattern": str("a regular expression of the accepted shape; the checksum is the server's"), "example": str("a published valid test value"),
		"checksum": str("the check the number carries"), "sensitive": boolean("sealed at rest and masked per role"),
		"virtualDocument": str("the virtual document sub-type the value is kept as, when it identifies the person"),
		"required":        boolean(""), "source": str("the text that requires it"),
	}, "field", "label", "type", "format", "sensitive", "required")
	Document("GET "+Prefix+"/compliance/requirements", Operation{
		Tag: "KYC", Summary: "Documents and fields required for a country and risk level",
		Query: []Param{
			{Name: "country", Required: true, Schema: str(""), Doc: "ISO 3166 alpha-2"},
			{Name: "riskLevel", Required: true, Schema: strEnum("", "LOW", "MEDIUM", "HIGH")},
			{Name: "cipTag", Schema: integer(""), Doc: "the Customer Identification Program, 1 (the default) to 3000"},
		},
		Response: obj(map[string]any{
			"country": str(""), "riskLevel": str(""),
			"mandatoryFields": array(fieldSchema), "optionalFields": array(fieldSchema),
			"pack": nullable(obj(map[string]any{"id": str("the regulatory pack in force for the country"), "version": str(""),
				"overridesHash": str("SHA-256 of the tenant's overrides"), "name": str(""),
				"retentionDays": obj(map[string]any{"cdd_records": integer(""), "documents": integer(""), "transactions": integer("")}),
				"rescreenDays":  integer("days between two screenings of a customer at this risk level"),
				"eddMeasures":   array(str("what enhanced due diligence means here: MANUAL_REVIEW, ENHANCED_DUE_DILIGENCE, SOURCE_OF_FUNDS, SENIOR_MANAGEMENT_APPROVAL"))},
				"id", "version", "overridesHash")),
			"documents": array(obj(map[string]any{"type": str(""), "subTypes": array(str("")), "required": boolean(""),
				"maxAgeDays": nullable(integer("null: any age"))}, "type", "subTypes", "required", "maxAgeDays")),
		}),
		Errors: []int{422},
	})
}
