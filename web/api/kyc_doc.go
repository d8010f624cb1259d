package api

// The OpenAPI documentation of the verification routes.

func init() {
	meta := obj(map[string]any{
		"documentNumber": str(""), "issuingCountry": str("ISO 3166 alpha-2"), "expiryDate": str("YYYY-MM-DD"),
		"issueDate": str("YYYY-MM-DD; a proof of address must be recent"), "issuer": str(""), "address": str("as printed"),
		"mrz":           str("a passport's two MRZ lines; check digits are verified"),
		"extractedData": obj(map[string]any{"fullName": str(""), "dateOfBirth": str("YYYY-MM-DD"), "address": str("")}),
	})
	Document("POST "+Prefix+"/verification/documents/upload", Operation{
		Tag: "KYC", Summary: "Upload verification documents",
		Description: "JSON with base64 content, or multipart/form-data with the fields verificationRequestId, documents[i].type, documents[i].subType, documents[i].metadata (JSON) and the file documents[i].content. The format is judged by the bytes (JPEG, PNG or PDF). Checks run in the background; poll GET /verification/status/{id} or listen for verification.status.changed. Errors: INVALID_DOCUMENT_FORMAT 400, DOCUMENT_TOO_LARGE 413 (over 10 MB), POOR_IMAGE_QUALITY 422 (under 300×300 pixels, 200×200 for a selfie, or undecodable), EXPIRED_DOCUMENT 422, DATA_MISMATCH 422, DUPLICATE_UPLOAD 409, VERIFICATION_LOCKED 423 (after 5 refused uploads), UNSUPPORTED_DOCUMENT 422.",
		Request: obj(map[string]any{
			"verificationRequestId": uuidStr("from the registration"),
			"documents": array(obj(map[string]any{
				"type":     strEnum("", "IDENTITY_DOCUMENT", "PROOF_OF_ADDRESS", "SELFIE", "SOURCE_OF_FUNDS"),
				"subType":  str("PASSPORT, NATIONAL_ID, DRIVERS_LICENSE, UTILITY_BILL, BANK_STATEMENT, ..."),
				"content":  str("base64"),
				"fileName": str(""), "mimeType": str("declared; the bytes decide"), "metadata": meta,
			}, "type", "content")),
		}, "verificationRequestId", "documents"),
		Response: obj(map[string]any{
			"verificationRequestId": uuidStr(""), "documentsProcessed": integer(""), "status": strEnum("", "DOCUMENTS_RECEIVED"),
			"processingDetails": obj(map[string]any{
				"identityDocument": obj(map[string]any{"status": str(""), "extractedData": obj(map[string]any{
					"documentNumber": str(""), "fullName": str(""), "dateOfBirth": str(""), "matchScore": map[string]any{"type": "number"}})}),
				"proofOfAddress": obj(map[string]any{"status": str(""), "addressVerified": boolean("")}),
			}),
			"nextStep": strEnum("", "AWAIT_VERIFICATION_RESULT"),
		}),
		Errors: []int{409, 413, 415, 422, 423},
	})
	Document("GET "+Prefix+"/verification/status/{id}", Operation{
		Tag: "KYC", Summary: "A verification's status and checks",
		Response: obj(map[string]any{
			"verificationRequestId": uuidStr(""), "customerId": uuidStr(""),
			"status":             strEnum("", "AWAITING_DOCUMENTS", "DOCUMENTS_RECEIVED", "PENDING_REVIEW", "APPROVED", "REJECTED", "MORE_INFO_REQUIRED"),
			"riskLevel":          strEnum("", "LOW", "MEDIUM", "HIGH"),
			"checksState":        strEnum("progress of the automated checks", "NOT_STARTED", "QUEUED", "RUNNING", "DONE"),
			"verificationMethod": strEnum("", "AUTOMATED", "MANUAL"), "completedAt": str("RFC 3339"),
			"reasonForReview":  str("e.g. PEP_MATCH_POSSIBLE, SANCTIONS_MATCH_POSSIBLE, HIGH_RISK_CATEGORY"),
			"reasonsForReview": array(str("")), "assignedTo": strEnum("", "COMPLIANCE_TEAM"),
			"checks": obj(map[string]any{
				"identity":        obj(map[string]any{"status": str(""), "confidence": map[string]any{"type": []string{"number", "null"}}}),
				"address":         obj(map[string]any{"status": str(""), "verified": boolean("")}),
				"sanctions":       obj(map[string]any{"status": strEnum("", "CLEAR", "POSSIBLE_MATCH", "MATCH", "NOT_CHECKED"), "listsChecked": array(str(""))}),
				"pep":             obj(map[string]any{"status": strEnum("", "NOT_PEP", "POSSIBLE_PEP", "PEP", "NOT_CHECKED"), "checked": boolean("")}),
				"ageVerification": obj(map[string]any{"status": str(""), "age": integer("")}),
			}),
		}),
	})
	Document("GET "+Prefix+"/compliance/requirements", Operation{
		Tag: "KYC", Summary: "Documents and fields required for a country and risk level",
		Query: []Param{
			{Name: "country", Required: true, Schema: str(""), Doc: "ISO 3166 alpha-2"},
			{Name: "riskLevel", Required: true, Schema: strEnum("", "LOW", "MEDIUM", "HIGH")},
		},
		Response: obj(map[string]any{
			"country": str(""), "riskLevel": str(""), "mandatoryFields": array(str("")),
			"documents": array(obj(map[string]any{"type": str(""), "subTypes": array(str("")), "required": boolean(""),
				"maxAgeDays": map[string]any{"type": []string{"integer", "null"}}})),
		}),
		Errors: []int{422},
	})
}
