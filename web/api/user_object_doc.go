package api

// The OpenAPI documentation of guide 002's user object.

func nullable(s map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range s {
		out[k] = v
	}
	out["type"] = []string{s["type"].(string), "null"}
	return out
}

// nullEnum is a string that is one of values or null.
func nullEnum(doc string, values ...string) map[string]any {
	enum := []any{}
	for _, v := range values {
		enum = append(enum, v)
	}
	return map[string]any{"type": []string{"string", "null"}, "description": doc, "enum": append(enum, nil)}
}

var docStatusEnum = []string{"SUBMITTED|REVIEWING", "SUBMITTED|VALID", "SUBMITTED|INVALID", "MISSING"}

func subDocSchema(typeDoc string) map[string]any {
	return array(obj(map[string]any{
		"id":            nullable(uuidStr("the document's id; null for a MISSING one (nothing uploaded yet)")),
		"document_type": str(typeDoc),
		"last_updated":  integer("when the document came in (for a MISSING one, when the customer registered), in unix milliseconds"),
		"status":        strEnum("", docStatusEnum...),
	}, "id", "document_type", "last_updated", "status"))
}

// valueDocSchema is a list of virtual or social documents: each is a
// value, shown as value says.
func valueDocSchema(typeDoc, statusDoc, valueDoc string) map[string]any {
	return array(obj(map[string]any{
		"id":            uuidStr("the document's id"),
		"document_type": str(typeDoc),
		"last_updated":  integer("when the document came in, in unix milliseconds"),
		"status":        strEnum(statusDoc, "SUBMITTED|VALID"),
		"value":         str(valueDoc),
	}, "id", "document_type", "last_updated", "status", "value"))
}

// userObjectSchema is props, the customer as GET /customers/{id} returns
// it, with the fields of guide 002's user object.
func userObjectSchema(props map[string]any) map[string]any {
	props["_id"] = uuidStr("the customer's id (guide 002's object id)")
	props["client"] = obj(map[string]any{
		"id":   nullable(str("the OAuth client_id of the API client that registered the customer; null when none did (customers registered before clients were recorded)")),
		"name": nullable(str("that API client's name")),
	}, "id", "name")
	props["doc_status"] = obj(map[string]any{
		"physical_doc": strEnum("[deprecated] all physical documents at once: MISSING when none is in or one is missing, SUBMITTED|INVALID when one was refused, SUBMITTED|REVIEWING while one is checked, SUBMITTED|VALID when all passed", docStatusEnum...),
		"virtual_doc":  strEnum("[deprecated] the same for the virtual documents", docStatusEnum...),
	}, "physical_doc", "virtual_doc")
	props["documents"] = array(obj(map[string]any{
		"id":               uuidStr("the document set: the customer's latest verification request (the customer's id before there is one)"),
		"name":             str("the documents' owner: the customer's full name"),
		"permission_scope": strEnum("what the set lets its owner do, from the customer's permission", "SEND|RECEIVE", "RECEIVE", "NONE"),
		"physical_docs":    subDocSchema("IDENTITY_DOCUMENT, PROOF_OF_ADDRESS, SELFIE, SOURCE_OF_FUNDS, ...: the latest of each type, then each type the requirements ask for that has not come, as MISSING"),
		"virtual_docs": valueDocSchema("the sub-type: SSN, TIN, PASSPORT_NUMBER or NATIONAL_ID",
			"SUBMITTED|VALID: the value's format is valid for its type and country (an SSN's area, group and serial numbers, a US EIN's prefix, a UK National Insurance number's letters, a Spanish DNI's check letter, ...). It is not checked against any registry",
			"masked to its last 4 characters, e.g. \"•••• 6789\"; the value itself is sealed at rest and never returned"),
		"social_docs": valueDocSchema("the sub-type: FACEBOOK, LINKEDIN, TWITTER (X is taken as TWITTER) or OTHER",
			"SUBMITTED|VALID: the URL is an https profile URL on the network's domain. Nobody checked that the profile is the customer's",
			"the profile's URL"),
	}, "id", "name", "permission_scope", "physical_docs", "virtual_docs", "social_docs"))
	props["extra"] = obj(map[string]any{
		"date_joined": integer("when the customer registered, in unix milliseconds"),
		"is_business": boolean("always false: customers are individuals"),
		"supp_id":     str("an id the tenant's own system gave the customer; \"\" when none"),
		"cip_tag":     integer("the customer's CIP tag; 1 by default"),
	}, "date_joined", "is_business", "supp_id", "cip_tag")
	props["is_hidden"] = boolean("true once an employee made the customer go away (MAKE-IT-GO-AWAY): not in the portal's search and lists, still on record")
	props["legal_names"] = array(str("the customer's full name"))
	props["logins"] = array(obj(map[string]any{
		"email": str("the login's e-mail address"),
		"scope": strEnum("", "READ_AND_WRITE", "READ"),
	}, "email", "scope"))
	props["phone_numbers"] = array(str("as +1(212)555-1234: country code, area code in brackets, subscriber number"))
	props["photos"] = array(str("public avatars; none are kept, so always empty"))
	return obj(props)
}

// userObjectDoc is said of every answer that is the user object.
const userObjectDoc = " Besides the profile, the answer carries every field of guide 002's user object (_id, client, doc_status, documents with physical_docs, virtual_docs and social_docs, extra, is_hidden, legal_names, logins, phone_numbers, photos) except refresh_token, which is never returned: it would hand a credential to every reader of the customer."
