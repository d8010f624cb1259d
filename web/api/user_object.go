package api

import (
	"strconv"

	"github.com/google/uuid"
	"github.com/nyaruka/phonenumbers"

	"github.com/ciamhq/ciam/internal/customer"
)

// Kinds of document in a user object's document set (guide 002).
const (
	DocPhysical = "physical" // images of documents: identity, proof of address, selfie
	DocVirtual  = "virtual"  // data: SSN, TIN, passport number, national id
	DocSocial   = "social"   // social profiles, by their URL
)

// Document statuses as guide 002 and API.md name them.
const (
	docReviewing = "SUBMITTED|REVIEWING"
	docValid     = "SUBMITTED|VALID"
	docInvalid   = "SUBMITTED|INVALID"
	docMissing   = "MISSING"
)

// userObject adds to m, the customer as GET /customers/{id} returns it,
// the fields of guide 002's user object: _id, client, doc_status,
// documents (one set, the customer's own, with physical, virtual and
// social documents), extra, is_hidden, legal_names, logins,
// phone_numbers and photos. refresh_token is left out on purpose: it would
// hand a credential to every reader of the customer.
func userObject(m map[string]any, d customer.Detail, docs []DocumentStatus) map[string]any {
	c := d.Customer
	m["_id"] = c.ID.String()

	client := map[string]any{"id": nil, "name": nil}
	if d.ClientKey != "" {
		client = map[string]any{"id": d.ClientKey, "name": d.ClientName}
	}
	m["client"] = client

	physical, virtual, social := []map[string]any{}, []map[string]any{}, []map[string]any{}
	var physicalStatus, virtualStatus []string
	for _, doc := range docs {
		var id any
		if doc.ID != "" {
			id = doc.ID
		}
		row := map[string]any{"id": id, "document_type": doc.Type, "last_updated": doc.LastUpdated.UnixMilli(), "status": doc.Status}
		switch doc.Kind {
		case DocVirtual:
			row["value"] = doc.Value
			virtual = append(virtual, row)
			virtualStatus = append(virtualStatus, doc.Status)
		case DocSocial:
			row["value"] = doc.Value
			social = append(social, row)
		default:
			physical = append(physical, row)
			physicalStatus = append(physicalStatus, doc.Status)
		}
	}
	m["doc_status"] = map[string]any{"physical_doc": overallStatus(physicalStatus), "virtual_doc": overallStatus(virtualStatus)}
	setID := c.ID.String()
	if len(d.Verifications) > 0 {
		setID = d.Verifications[0].ID.String()
	}
	m["documents"] = []map[string]any{{
		"id":               setID,
		"name":             c.FullName(),
		"permission_scope": permissionScope(c.Permission),
		"physical_docs":    physical,
		"virtual_docs":     virtual,
		"social_docs":      social,
	}}

	m["extra"] = map[string]any{
		"date_joined": c.CreatedAt.UnixMilli(),
		"is_business": false,
		"supp_id":     c.SuppID,
		"cip_tag":     max(c.CIPTag, 1),
	}
	m["is_hidden"] = c.IsHidden
	m["legal_names"] = []string{c.FullName()}
	logins := []map[string]any{}
	if d.UserID != uuid.Nil {
		logins = append(logins, map[string]any{"email": c.Email, "scope": "READ_AND_WRITE"})
	}
	m["logins"] = logins
	phones := []string{}
	for _, p := range []string{c.PhoneNumber, c.AlternatePhoneNumber} {
		if p != "" {
			phones = append(phones, GuidePhone(p))
		}
	}
	m["phone_numbers"] = phones
	m["photos"] = []string{}
	return m
}

// overallStatus sums up documents' statuses as doc_status does: MISSING
// when there are none or one is missing, else SUBMITTED|INVALID when one
// was refused, SUBMITTED|REVIEWING while one is checked, and
// SUBMITTED|VALID when all passed.
func overallStatus(statuses []string) string {
	if len(statuses) == 0 {
		return docMissing
	}
	has := func(s string) bool {
		for _, v := range statuses {
			if v == s {
				return true
			}
		}
		return false
	}
	switch {
	case has(docInvalid):
		return docInvalid
	case has(docMissing):
		return docMissing
	case has(docReviewing):
		return docReviewing
	default:
		return docValid
	}
}

// permissionScope is what a document set lets its owner do, in the
// guide's SEND|RECEIVE notation, from the customer's permission.
func permissionScope(permission string) string {
	switch permission {
	case customer.PermissionSendAndReceive:
		return "SEND|RECEIVE"
	case customer.PermissionReceive:
		return "RECEIVE"
	default:
		return "NONE"
	}
}

// GuidePhone writes an E.164 number as guide 002 shows phone numbers:
// +1(212)555-1234 — the country code, the area (national destination)
// code in brackets, and the subscriber number with a hyphen before its
// last four digits. A number that does not parse is returned as it is.
func GuidePhone(e164 string) string {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return e164
	}
	national := phonenumbers.GetNationalSignificantNumber(n)
	ndc := phonenumbers.GetLengthOfNationalDestinationCode(n)
	if ndc <= 0 || ndc >= len(national) {
		ndc = min(3, len(national)-1)
	}
	if ndc <= 0 {
		return e164
	}
	area, rest := national[:ndc], national[ndc:]
	if len(rest) > 4 {
		rest = rest[:len(rest)-4] + "-" + rest[len(rest)-4:]
	}
	return "+" + strconv.Itoa(int(n.GetCountryCode())) + "(" + area + ")" + rest
}
