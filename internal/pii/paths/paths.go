// Package paths is the one list of which keys of stored records (audit
// before and after states, event payloads, change requests) hold a
// customer's personal value, and of what kind. Package pii masks by it;
// package shred seals what it names under the customer's data key. It
// imports nothing of the project, so that the audit trail and the events
// can use it.
package paths

import "strings"

// kinds names the kind (a pii.Field) of value each key holds, by the
// key's last part in lower case.
var kinds = map[string]string{
	"dateofbirth": "date_of_birth", "date_of_birth": "date_of_birth", "dob": "date_of_birth",
	"email": "email", "phonenumber": "phone", "phone": "phone", "alternatephonenumber": "phone", "phone_number": "phone",
	"iban": "account", "account": "account", "accountnumber": "account",
	"documentnumber": "document_number", "document_number": "document_number",
	"nationalid": "national_id", "national_id": "national_id", "ssn": "national_id", "taxid": "national_id", "personalnumber": "national_id",
	"street": "address", "streetnumber": "address", "apartment": "address", "postalcode": "address", "city": "address",
	"address": "address", "addressline": "address",
	"annualincome": "income", "income": "income",
	"mrz": "document_data", "extracteddata": "document_data",
}

// names are keys holding a person's name or other identifying values that
// every role sees (so they are no kind to mask) but that are personal all
// the same: sealed, and erased with the customer.
var names = map[string]bool{
	"firstname": true, "middlename": true, "lastname": true, "fullname": true, "name": true, "names": true,
	"first_name": true, "last_name": true, "middle_name": true, "placeofbirth": true,
	"registrationip": true, "employername": true, "occupation": true, "sourceoffunds": true,
	// What analysts write about a customer may quote them.
	"note": true, "comment": true, "reviewernotes": true, "title": true,
}

// notPersonal are keys that hold no personal value even inside one (an
// address's country shows, as on the customer's page).
var notPersonal = map[string]bool{"country": true, "addresstype": true, "countrycode": true, "type": true, "verified": true}

// Kind is the kind of personal value a stored record's key (a dotted path
// such as "identity.address.street") holds, if it holds one that is
// masked by role.
func Kind(path string) (string, bool) {
	parts := strings.Split(strings.ToLower(path), ".")
	if notPersonal[parts[len(parts)-1]] {
		return "", false
	}
	for i := len(parts) - 1; i >= 0; i-- {
		if f, ok := kinds[parts[i]]; ok {
			return f, true
		}
	}
	return "", false
}

// Personal reports whether the value at path is a customer's personal
// value: one of Kind's, or a name.
func Personal(path string) bool {
	if _, ok := Kind(path); ok {
		return true
	}
	last := path
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		last = path[i+1:]
	}
	return names[strings.ToLower(last)]
}
