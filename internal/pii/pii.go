// Package pii is the one rule that decides what an employee sees of a
// customer's personal data: for each role and each kind of value, the
// value in full or a masked form, and how it is masked. Every portal page
// and export that shows customer data asks it, so that no page shows what
// another masks.
//
// The matrix (F: in full; M: masked; R: masked until an audited reveal on
// the customer's page, in full on the pages where the role works):
//
//	field            ANALYST  SENIOR_REVIEWER  TENANT_ADMIN  AUDITOR  SUPPORT  PLATFORM_OPERATOR
//	name             F        F                F             F        F        F
//	date of birth    M        R                M             M        M        M
//	address          M        R                M             M        M        M
//	phone            M        R                M             M        M        M
//	e-mail           M        R                M             M        M        M
//	account (IBAN)   M        R                M             M        M        M
//	document number  M        R                M             M        M        M
//	national id      M        R                M             M        M        M
//	document data    M        R                M             M        M        M
//	annual income    M        R                M             M        M        M
//
// It is the customer page's rule of before (only customers.reveal, which
// the senior reviewer holds, shows the values) made the rule of every
// page. An employee with several roles sees what the most trusted of them
// sees. A test in this package holds the matrix to the customers.reveal
// permission, so that the reveal action and the rule never disagree.
package pii

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/pii/paths"
	"github.com/ciamhq/ciam/internal/staff"
)

// Field is a kind of personal value of a customer.
type Field string

// The kinds of personal value.
const (
	Name        Field = "name"
	DateOfBirth Field = "date_of_birth"
	Address     Field = "address"
	Phone       Field = "phone"
	Email       Field = "email"
	// Account is an IBAN or another account number of the customer.
	Account        Field = "account"
	DocumentNumber Field = "document_number"
	NationalID     Field = "national_id"
	// DocumentData is what was read from a document or declared about it
	// beyond the fields above (its MRZ lines, its text).
	DocumentData Field = "document_data"
	Income       Field = "income"
)

// Fields lists every kind of personal value, in the matrix's order.
var Fields = []Field{Name, DateOfBirth, Address, Phone, Email, Account, DocumentNumber, NationalID, DocumentData, Income}

// everything but the name: what a role that may see customers' values
// sees in full.
var sensitive = Fields[1:]

// inFull says, per role, which fields it sees in full; every other field
// is masked. A role missing here sees only names.
var inFull = map[staff.Role][]Field{
	staff.Analyst:          {Name},
	staff.SeniorReviewer:   Fields,
	staff.TenantAdmin:      {Name},
	staff.Auditor:          {Name},
	staff.Support:          {Name},
	staff.PlatformOperator: {Name},
}

// Masked forms of values that keep nothing of them.
const (
	maskedDate   = "••••-••-••"
	maskedNumber = "••••"
)

// View is what one employee sees of customers' values. The zero View
// masks everything but names.
type View struct {
	full map[Field]bool
}

// For is the view of an employee holding roles.
func For(roles []staff.Role) View {
	v := View{full: map[Field]bool{Name: true}}
	for _, r := range roles {
		for _, f := range inFull[r] {
			v.full[f] = true
		}
	}
	return v
}

// Full reports whether the view shows f in full.
func (v View) Full(f Field) bool { return f == Name || v.full[f] }

// MayReveal reports whether a page that masks values until they are
// revealed (the customer's page) may reveal some to this view.
func (v View) MayReveal() bool {
	return slices.ContainsFunc(sensitive, v.Full)
}

// Unrevealed is the view before an audited reveal: names only. The
// customer's page shows it until the employee asks to see the values.
func (v View) Unrevealed() View { return View{} }

// Show is s as the view shows a value of f: in full, or masked. An empty
// value stays empty.
func (v View) Show(f Field, s string) string {
	if s == "" || v.Full(f) {
		return s
	}
	switch f {
	case Email:
		return fieldcrypt.MaskEmail(s)
	case Phone, Account, DocumentNumber, NationalID:
		return fieldcrypt.Mask(s, 4)
	case DateOfBirth:
		return maskedDate
	default:
		return maskedNumber
	}
}

// Date is a date of birth as the view shows it; the zero time is empty.
func (v View) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return v.Show(DateOfBirth, t.Format(time.DateOnly))
}

// AddressOf is an address as the view shows it: in full, or masked but
// for its country.
func (v View) AddressOf(full, country string) string {
	if full == "" || v.Full(Address) {
		return full
	}
	if country != "" {
		return maskedNumber + ", " + country
	}
	return maskedNumber
}

// Text masks values inside free text (MRZ lines, OCR text, checks'
// evidence, audit diffs): it learns a customer's values, and replaces
// each that its view may not see wherever it appears, whatever the case.
// A nil *Text changes nothing.
type Text struct {
	view  View
	known map[string]Field
	re    *regexp.Regexp
	order []string
}

// minLearned is the shortest value a Text learns: a shorter one would
// mask ordinary words and numbers.
const minLearned = 5

// Text is a masker of free text for the view.
func (v View) Text() *Text { return &Text{view: v, known: map[string]Field{}} }

// Learn adds values of f to mask (blank, short and fully shown ones are
// ignored). Spaced values are learned with and without their spaces, and
// dates of birth (YYYY-MM-DD) also as an MRZ writes them (YYMMDD) and
// in the day-first forms documents print.
func (t *Text) Learn(f Field, values ...string) {
	if t == nil || t.view.Full(f) {
		return
	}
	for _, s := range values {
		s = strings.TrimSpace(s)
		forms := []string{s, strings.ReplaceAll(s, " ", "")}
		if f == DateOfBirth {
			if d, err := time.Parse(time.DateOnly, s); err == nil {
				forms = append(forms, d.Format("060102"), d.Format("02/01/2006"), d.Format("02.01.2006"), d.Format("02 Jan 2006"))
			}
		}
		if f == Phone {
			forms = append(forms, strings.TrimPrefix(strings.ReplaceAll(s, " ", ""), "+"))
		}
		for _, v := range forms {
			k := strings.ToLower(v)
			if len([]rune(v)) < minLearned {
				continue
			}
			if _, ok := t.known[k]; !ok {
				t.known[k] = f
				t.order = append(t.order, v)
				t.re = nil
			}
		}
	}
}

// Mask is s with every learned value masked as the view shows it.
func (t *Text) Mask(s string) string {
	return t.replace(s, func(f Field, v string) string {
		if f == Address || f == DocumentData || f == Income {
			return maskedNumber
		}
		return t.view.Show(f, v)
	})
}

// Fixed is s with every learned value masked keeping its length, for
// fixed columns (an MRZ's lines): "•••••4567".
func (t *Text) Fixed(s string) string {
	return t.replace(s, func(f Field, v string) string {
		r := []rune(v)
		keep := 4
		if f != DocumentNumber && f != Account && f != Phone && f != NationalID {
			keep = 0
		}
		return strings.Repeat("•", len(r)-keep) + string(r[len(r)-keep:])
	})
}

func (t *Text) replace(s string, mask func(Field, string) string) string {
	if t == nil || len(t.order) == 0 || s == "" {
		return s
	}
	if t.re == nil {
		// Longest first, so that a value containing another is masked whole.
		vals := slices.Clone(t.order)
		slices.SortStableFunc(vals, func(a, b string) int { return len(b) - len(a) })
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = regexp.QuoteMeta(v)
		}
		t.re = regexp.MustCompile("(?i)" + strings.Join(parts, "|"))
	}
	return t.re.ReplaceAllStringFunc(s, func(m string) string {
		return mask(t.known[strings.ToLower(m)], m)
	})
}

// FieldOfKey is the field a stored record's key (a dotted path such as
// "identity.address.street") holds, if it holds one. The list of keys is
// package paths', shared with the sealing of personal values.
func FieldOfKey(path string) (Field, bool) {
	f, ok := paths.Kind(path)
	return Field(f), ok
}

// Value is a stored record's value at path as the view shows it: masked
// when the path holds a field the view may not see, and with learned
// values masked anywhere else.
func (t *Text) Value(path, value string) string {
	if f, ok := FieldOfKey(path); ok && t != nil && !t.view.Full(f) && value != "" && value != "null" && value != "—" {
		switch f {
		case Address, DocumentData, Income:
			return maskedNumber
		}
		return t.view.Show(f, strings.Trim(value, `"`))
	}
	return t.Mask(value)
}
