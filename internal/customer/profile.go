package customer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/screening"
)

// EventProfileUpdated is the business event of a profile change, named as
// guide 003 names it.
const EventProfileUpdated = "customer-profile-updated"

// ProfileChange is a partial profile update: a nil field stays as it is;
// an empty string clears an optional field. Address, when given, replaces
// the whole address.
type ProfileChange struct {
	Email                *string
	FirstName            *string
	MiddleName           *string
	LastName             *string
	DateOfBirth          *string
	PlaceOfBirth         *string
	Nationality          *string
	PhoneNumber          *string
	AlternatePhoneNumber *string
	Address              *Address
	Occupation           *string
	EmployerName         *string
	AnnualIncome         *string // a decimal as text
	SourceOfFunds        *string
	// ComplianceFields are custom compliance fields to set, by name; a
	// field not named stays as it is.
	ComplianceFields map[string]string
}

// Profile fields by the JSON path the API names them with (the paths of
// registration).
const (
	FieldEmail                = "email"
	FieldFirstName            = "firstName"
	FieldLastName             = "lastName"
	FieldMiddleName           = ip + ".middleName"
	FieldDateOfBirth          = ip + ".dateOfBirth"
	FieldPlaceOfBirth         = ip + ".placeOfBirth"
	FieldNationality          = ip + ".nationality"
	FieldPhoneNumber          = ip + ".phoneNumber"
	FieldAlternatePhoneNumber = ip + ".alternatePhoneNumber"
	FieldAddress              = ip + ".address"
	FieldOccupation           = ip + ".occupation"
	FieldEmployerName         = ip + ".employerName"
	FieldAnnualIncome         = ip + ".annualIncome"
	FieldSourceOfFunds        = ip + ".sourceOfFunds"
)

// ContactFields are the fields a customer may change about themselves;
// every other field is the tenant's to change (an admin token).
var ContactFields = []string{FieldEmail, FieldPhoneNumber, FieldAlternatePhoneNumber, FieldAddress}

// identityFields are those whose change re-opens screening: the name,
// date of birth and nationality are what the lists are searched by.
var identityFields = map[string]bool{FieldFirstName: true, FieldMiddleName: true, FieldLastName: true,
	FieldDateOfBirth: true, FieldNationality: true}

// Fields lists the paths of the fields c changes.
func (c ProfileChange) Fields() []string {
	var out []string
	add := func(set bool, field string) {
		if set {
			out = append(out, field)
		}
	}
	add(c.Email != nil, FieldEmail)
	add(c.FirstName != nil, FieldFirstName)
	add(c.LastName != nil, FieldLastName)
	add(c.MiddleName != nil, FieldMiddleName)
	add(c.DateOfBirth != nil, FieldDateOfBirth)
	add(c.PlaceOfBirth != nil, FieldPlaceOfBirth)
	add(c.Nationality != nil, FieldNationality)
	add(c.PhoneNumber != nil, FieldPhoneNumber)
	add(c.AlternatePhoneNumber != nil, FieldAlternatePhoneNumber)
	add(c.Address != nil, FieldAddress)
	add(c.Occupation != nil, FieldOccupation)
	add(c.EmployerName != nil, FieldEmployerName)
	add(c.AnnualIncome != nil, FieldAnnualIncome)
	add(c.SourceOfFunds != nil, FieldSourceOfFunds)
	add(len(c.ComplianceFields) > 0, FieldComplianceFields)
	return out
}

// ProfileUpdate is what UpdateProfile did.
type ProfileUpdate struct {
	Customer Customer
	// Changed are the paths of the fields whose value changed.
	Changed []string
	// Rescreened says the customer was screened again because their
	// identity data changed; NewHits counts the hits that screening made.
	Rescreened bool
	NewHits    int
	// ScreeningErr is why the re-screening failed, when it did: the change
	// stands, and the next re-screening of the lists covers the customer.
	ScreeningErr error
}

// UpdateProfile applies change to customer id with the validation of
// registration. Only the fields that differ are written; the audit record
// holds their values before and after, and a customer-profile-updated
// event names them, in the same transaction. A new e-mail address is
// unverified until its token (in the event, as at registration) is used.
// When the name, date of birth or nationality change and rescreen is set
// (an admin's change), the customer is screened again against the lists.
func (s *Service) UpdateProfile(ctx context.Context, tenant, id uuid.UUID, change ProfileChange, rescreen bool) (ProfileUpdate, error) {
	normaliseChange(&change)
	var settings Settings
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		settings, err = LoadSettings(ctx, q, tenant)
		return err
	})
	if err != nil {
		return ProfileUpdate{}, fmt.Errorf("customer: update profile: %w", err)
	}
	now := s.now()
	var fe apperr.Fields
	if v := change.Email; v != nil {
		if *v == "" {
			fe.Add(FieldEmail, "is required")
		} else if !ValidEmail(*v) {
			fe.Add(FieldEmail, "must be an e-mail address such as ana@example.com")
		}
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	if change.FirstName != nil {
		checkName(&fe, FieldFirstName, *change.FirstName, true, 100)
	}
	if change.LastName != nil {
		checkName(&fe, FieldLastName, *change.LastName, true, 100)
	}
	if change.MiddleName != nil {
		checkName(&fe, FieldMiddleName, *change.MiddleName, false, 100)
	}
	var dob time.Time
	if change.DateOfBirth != nil {
		dob = checkDateOfBirth(&fe, FieldDateOfBirth, *change.DateOfBirth, now, settings.MinAge)
	}
	if change.PlaceOfBirth != nil {
		checkText(&fe, FieldPlaceOfBirth, *change.PlaceOfBirth, false, 100)
	}
	if change.Nationality != nil && !ValidCountry(*change.Nationality) {
		fe.Add(FieldNationality, "must be an ISO 3166 alpha-2 country code such as DE or GB")
	}
	if v := change.PhoneNumber; v != nil {
		if *v == "" {
			fe.Add(FieldPhoneNumber, "is required (E.164, e.g. +447911123456)")
		} else if msg := PhoneProblem(*v); msg != "" {
			fe.Add(FieldPhoneNumber, "%s", msg)
		}
	}
	if v := str(change.AlternatePhoneNumber); v != "" {
		if msg := PhoneProblem(v); msg != "" {
			fe.Add(FieldAlternatePhoneNumber, "%s", msg)
		}
	}
	if change.Address != nil {
		checkAddress(&fe, FieldAddress, *change.Address)
	}
	if change.Occupation != nil {
		checkText(&fe, FieldOccupation, *change.Occupation, false, 100)
	}
	if change.EmployerName != nil {
		checkText(&fe, FieldEmployerName, *change.EmployerName, false, 200)
	}
	income := parseMoney(&fe, FieldAnnualIncome, str(change.AnnualIncome))
	if change.SourceOfFunds != nil {
		checkText(&fe, FieldSourceOfFunds, *change.SourceOfFunds, false, 200)
	}
	if err := fe.Err(); err != nil {
		return ProfileUpdate{}, err
	}

	var out ProfileUpdate
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.CustomerForUpdate(ctx, db.CustomerForUpdateParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		if row.Status == StatusErased {
			return apperr.New(apperr.Conflict, "the customer's personal data were erased: the profile cannot change").WithAPI("INVALID_STATUS_TRANSITION")
		}
		before := fromRow(row)
		after := before
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&after.Email, change.Email)
		set(&after.FirstName, change.FirstName)
		set(&after.MiddleName, change.MiddleName)
		set(&after.LastName, change.LastName)
		set(&after.PlaceOfBirth, change.PlaceOfBirth)
		set(&after.Nationality, change.Nationality)
		set(&after.PhoneNumber, change.PhoneNumber)
		set(&after.AlternatePhoneNumber, change.AlternatePhoneNumber)
		set(&after.Occupation, change.Occupation)
		set(&after.EmployerName, change.EmployerName)
		set(&after.SourceOfFunds, change.SourceOfFunds)
		if change.DateOfBirth != nil {
			after.DateOfBirth = dob
		}
		if change.Address != nil {
			after.Address = *change.Address
		}
		if change.AnnualIncome != nil {
			after.AnnualIncome = income
		}
		was, is := profileValues(before), profileValues(after)
		changedBefore, changedAfter := map[string]any{}, map[string]any{}
		for _, f := range change.Fields() {
			if !sameValue(was[f], is[f]) {
				out.Changed = append(out.Changed, f)
				changedBefore[f], changedAfter[f] = was[f], is[f]
			}
		}
		if len(change.ComplianceFields) > 0 {
			set, err := s.setComplianceFields(ctx, q, tenant, after, change.ComplianceFields)
			if err != nil {
				return err
			}
			for _, path := range sortedKeys(set) {
				out.Changed = append(out.Changed, path)
				changedAfter[path] = set[path]
			}
		}
		if len(out.Changed) == 0 {
			out.Customer = before
			return nil
		}
		emailChanged := !strings.EqualFold(before.Email, after.Email)
		if emailChanged {
			taken, err := q.CustomerEmailTakenByOther(ctx, db.CustomerEmailTakenByOtherParams{TenantID: tenant, Email: after.Email, ID: id})
			if err != nil {
				return err
			}
			if taken {
				return errEmailTaken()
			}
		}
		address, err := json.Marshal(after.Address)
		if err != nil {
			return err
		}
		updated, err := q.UpdateCustomerProfile(ctx, db.UpdateCustomerProfileParams{TenantID: tenant, ID: id,
			Email: after.Email, FirstName: after.FirstName, MiddleName: after.MiddleName, LastName: after.LastName,
			DateOfBirth: after.DateOfBirth, PlaceOfBirth: after.PlaceOfBirth, Nationality: after.Nationality,
			PhoneNumber: after.PhoneNumber, AlternatePhoneNumber: after.AlternatePhoneNumber, Address: address,
			Occupation: after.Occupation, EmployerName: after.EmployerName, AnnualIncome: nullDecimal(after.AnnualIncome),
			SourceOfFunds: after.SourceOfFunds})
		if err != nil {
			return err
		}
		out.Customer = fromRow(updated)
		for _, f := range out.Changed {
			out.Rescreened = out.Rescreened || (rescreen && identityFields[f])
		}
		payload := map[string]any{"customerId": id, "changedFields": out.Changed, "screeningReopened": out.Rescreened,
			"timestamp": now.UTC().Format(time.RFC3339)}
		if emailChanged {
			token, verification, err := newEmailToken(ctx, q, tenant, id, now)
			if err != nil {
				return err
			}
			payload["email"] = after.Email
			payload["emailVerification"] = map[string]any{"token": token, "expiresAt": verification.UTC().Format(time.RFC3339)}
		}
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "customer.profile.updated", EntityType: "customer",
			EntityID: id.String(), Before: changedBefore, After: changedAfter}); err != nil {
			return err
		}
		_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: EventProfileUpdated, EntityType: "customer", EntityID: id.String(),
			Payload: payload})
		return err
	})
	if db.IsNotFound(err) {
		return ProfileUpdate{}, errNotFound()
	}
	if db.IsUniqueViolation(err, "customers_tenant_email") {
		return ProfileUpdate{}, errEmailTaken()
	}
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return ProfileUpdate{}, err
		}
		return ProfileUpdate{}, fmt.Errorf("customer: update profile: %w", err)
	}
	if out.Rescreened {
		out.NewHits, out.ScreeningErr = s.rescreen(ctx, out.Customer)
	}
	return out, nil
}

// setComplianceFields checks and stores custom compliance fields of
// customer c (as changed) inside q's transaction, under the pack in force
// for their country and risk level; the problems are a validation error.
// Values that identify the person join the customer's latest
// verification as virtual documents. It returns the masked values it
// changed by path.
func (s *Service) setComplianceFields(ctx context.Context, q *db.Queries, tenant uuid.UUID, c Customer, values map[string]string) (map[string]any, error) {
	if s.Compliance == nil {
		return nil, apperr.Validation(apperr.FieldError{Field: FieldComplianceFields, Issue: "are not accepted: no regulatory pack is available"})
	}
	country := c.Address.Country
	if country == "" {
		country = c.Nationality
	}
	check, err := s.Compliance.CheckFields(ctx, q, FieldsInput{Tenant: tenant, Country: country, RiskLevel: c.RiskLevel, Values: values, Partial: true})
	if err != nil {
		return nil, err
	}
	if err := check.Problems.Err(); err != nil {
		return nil, err
	}
	if check.Store == nil {
		return nil, nil
	}
	vr, err := q.LatestVerificationRequestID(ctx, db.LatestVerificationRequestIDParams{TenantID: tenant, CustomerID: c.ID})
	if err != nil {
		return nil, err
	}
	return check.Store(ctx, q, c.ID, vr)
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// rescreen screens c again after their identity data changed, through
// Service.Screen, and records it in the audit trail with the subject as
// screened and the hits it made; without a Screen (a process that does not
// screen) the next re-screening of the lists covers them.
func (s *Service) rescreen(ctx context.Context, c Customer) (int, error) {
	if s.Screen == nil {
		return 0, nil
	}
	name := strings.Join(strings.Fields(c.FirstName+" "+c.MiddleName+" "+c.LastName), " ")
	sub := screening.Subject{ID: c.ID, TenantID: c.TenantID, Name: name, Type: screening.Individual,
		DateOfBirth: c.DateOfBirth.Format(time.DateOnly), Country: c.Nationality}
	n, err := s.Screen(ctx, sub)
	if err != nil {
		return 0, fmt.Errorf("customer: re-screen after a profile change: %w", err)
	}
	err = db.InTenantTx(ctx, s.pool, c.TenantID, func(q *db.Queries) error {
		return audit.Write(ctx, q, audit.Entry{TenantID: c.TenantID, Action: "customer.rescreened", EntityType: "customer",
			EntityID: c.ID.String(), ReasonCode: "IDENTITY_DATA_CHANGED",
			After: map[string]any{"name": sub.Name, "dateOfBirth": sub.DateOfBirth, "country": sub.Country, "newHits": n}})
	})
	if err != nil {
		return n, fmt.Errorf("customer: re-screen after a profile change: %w", err)
	}
	return n, nil
}

// newEmailToken stores a new e-mail verification token for customer id and
// returns it with its expiry.
func newEmailToken(ctx context.Context, q *db.Queries, tenant, id uuid.UUID, now time.Time) (string, time.Time, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", time.Time{}, err
	}
	token := hex.EncodeToString(raw)
	hash := sha256.Sum256([]byte(token))
	expires := now.Add(EmailTokenTTL)
	err := q.CreateEmailVerificationToken(ctx, db.CreateEmailVerificationTokenParams{TenantID: tenant, CustomerID: id,
		TokenHash: hash[:], ExpiresAt: expires})
	return token, expires, err
}

// profileValues are c's profile fields by path, as the audit records them.
func profileValues(c Customer) map[string]any {
	income := ""
	if c.AnnualIncome != nil {
		income = c.AnnualIncome.StringFixed(2)
	}
	return map[string]any{
		FieldEmail: c.Email, FieldFirstName: c.FirstName, FieldMiddleName: c.MiddleName, FieldLastName: c.LastName,
		FieldDateOfBirth: c.DateOfBirth.Format(time.DateOnly), FieldPlaceOfBirth: c.PlaceOfBirth, FieldNationality: c.Nationality,
		FieldPhoneNumber: c.PhoneNumber, FieldAlternatePhoneNumber: c.AlternatePhoneNumber, FieldAddress: c.Address,
		FieldOccupation: c.Occupation, FieldEmployerName: c.EmployerName, FieldAnnualIncome: income, FieldSourceOfFunds: c.SourceOfFunds,
	}
}

func sameValue(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func normaliseChange(c *ProfileChange) {
	for _, p := range []*string{c.Email, c.FirstName, c.MiddleName, c.LastName, c.DateOfBirth, c.PlaceOfBirth, c.Nationality,
		c.PhoneNumber, c.AlternatePhoneNumber, c.Occupation, c.EmployerName, c.AnnualIncome, c.SourceOfFunds} {
		if p != nil {
			*p = strings.TrimSpace(*p)
		}
	}
	if c.Email != nil {
		*c.Email = strings.ToLower(*c.Email)
	}
	if c.Nationality != nil {
		*c.Nationality = strings.ToUpper(*c.Nationality)
	}
	if a := c.Address; a != nil {
		for _, p := range []*string{&a.Street, &a.StreetNumber, &a.Apartment, &a.City, &a.State, &a.PostalCode, &a.Country, &a.AddressType} {
			*p = strings.TrimSpace(*p)
		}
		a.Country = strings.ToUpper(a.Country)
		a.AddressType = strings.ToUpper(a.AddressType)
	}
}
