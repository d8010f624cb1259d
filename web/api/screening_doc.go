package api

// The OpenAPI documentation of the screening route.

var explanationSchema = obj(map[string]any{
	"matchedName":   str("the entry's name or alias that matched best"),
	"nameKind":      strEnum("", "PRIMARY", "ALIAS"),
	"queryTokens":   array(str("the query's words, normalised")),
	"matchedTokens": array(str("the matched name's words, normalised")),
	"pairs": array(obj(map[string]any{
		"query": str(""), "matched": str(""), "jaroWinkler": number("Jaro-Winkler similarity of the two words"),
		"phonetic": boolean("the words sound alike, which raised their similarity"), "initial": boolean("one word is the other's initial"),
		"similarity": number("what the pair counted"), "weight": number("low for legal forms and particles"),
	})),
	"unpairedQuery":   array(str("")),
	"unpairedMatched": array(str("")),
	"factors": array(obj(map[string]any{
		"factor": strEnum("identifier: an identifier the entry has too (a MATCH), or a conflicting one", "name", "dateOfBirth", "country", "identifier", "bounds"), "detail": str(""), "contribution": number(""),
	})),
	"score": number("the final score"),
})

func init() {
	Document("POST "+Prefix+"/screening/search", Operation{
		Tag: "Screening", Summary: "Screen a name against sanctions and PEP lists",
		Description: "Screens the name against the current versions of the lists the tenant screens against (OFAC SDN, the UN " +
			"consolidated list, PEP lists; chosen in the portal). Names are normalised (case, diacritics, punctuation, honorifics, " +
			"word order, initials); aliases count; a type keeps people, entities, vessels and aircraft apart. A date of birth and a " +
			"country raise the score when they agree with the entry and lower it when they do not. Matches are best first, only " +
			"those at or above the tenant's possible-match threshold (default 0.80); status MATCH at or above its match threshold " +
			"(default 0.92). Each match explains itself: which name paired, which words, and what each factor added. Nothing is " +
			"recorded: hits on customers come from their KYC checks and from re-screening when a list changes. Identifiers " +
			"(passport and national id numbers, BICs, IBANs, wallet addresses, IMO numbers, ...) are compared exactly, once " +
			"normalised (letters and digits, upper case; wallet addresses keep their case): one the entry has too makes it a " +
			"MATCH, whatever its name scores; a passport, national id or tax id of the same kind and country that differs from " +
			"the entry's lowers the score when the date of birth given and the entry's are exact days. The same subject on " +
			"several lists (a shared identifier, or the same name and exact date of birth) is one match whose sources name " +
			"every entry. Bad input is 422 VALIDATION_FAILED with a detail per field (identifiers[1].kind, ...).",
		Request: obj(map[string]any{
			"name":        str("the name to screen, at most 300 characters, with at least one word in full"),
			"type":        strEnum("optional; all types when absent", "INDIVIDUAL", "ENTITY", "VESSEL", "AIRCRAFT"),
			"dateOfBirth": str("optional; YYYY-MM-DD, YYYY-MM or YYYY"),
			"country":     str("optional; ISO 3166-1 alpha-2 (nationality or residence)"),
			"identifiers": array(obj(map[string]any{
				"kind":    strEnum("", "PASSPORT", "NATIONAL_ID", "TAX_ID", "IMO", "CALL_SIGN", "BIC", "IBAN", "CRYPTO_ADDRESS", "REGISTRATION", "OTHER"),
				"value":   str("the number or code, at most 100 characters; spaces and punctuation are ignored"),
				"country": str("optional; the issuing country, ISO 3166-1 alpha-2"),
			}, "kind", "value")),
		}, "name"),
		Response: obj(map[string]any{
			"matches": array(obj(map[string]any{
				"entryId": str("the entry's id in its list (OFAC ent_num, UN DATAID, ...)"), "source": str("e.g. OFAC_SDN"),
				"listKind": strEnum("", "SANCTIONS", "PEP"), "listVersion": integer("the list version searched"),
				"name": str("the entry's primary name"), "matchedName": str("the name or alias that matched"),
				"type": strEnum("", "INDIVIDUAL", "ENTITY", "VESSEL", "AIRCRAFT"), "score": number("0..1"),
				"status": strEnum("", "MATCH", "POSSIBLE_MATCH"), "explanation": explanationSchema,
				"sources": array(obj(map[string]any{
					"source": str("e.g. UN_CONSOLIDATED"), "entryId": str(""), "listKind": strEnum("", "SANCTIONS", "PEP"),
					"listVersion": integer(""), "name": str("the entry's primary name"), "score": number("the entry's own score"),
					"status": strEnum("", "MATCH", "POSSIBLE_MATCH"),
				}, "source", "entryId", "listKind", "listVersion", "name", "score", "status")),
			}, "entryId", "source", "listVersion", "name", "matchedName", "type", "score", "status", "explanation", "sources")),
			"listsChecked": array(obj(map[string]any{
				"source": str(""), "kind": strEnum("", "SANCTIONS", "PEP"), "version": integer(""),
				"loadedAt": str("RFC 3339"), "entries": integer(""),
			})),
		}, "matches", "listsChecked"),
		Errors: []int{415, 422},
	})
}

func number(doc string) map[string]any { return map[string]any{"type": "number", "description": doc} }
