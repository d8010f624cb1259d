package customer

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/event"
)

// KindIdentityCorrection is the change request kind of an employee's
// correction of a customer's identity data (name, date of birth,
// nationality, address): guide 003 routes data corrections through
// approval workflows, so a second employee approves it.
const KindIdentityCorrection = "customer.identity_correction"

// Identity is the identity data a correction changes.
type Identity struct {
	FirstName   string  `json:"firstName"`
	MiddleName  string  `json:"middleName"`
	LastName    string  `json:"lastName"`
	DateOfBirth string  `json:"dateOfBirth"`
	Nationality string  `json:"nationality"`
	Address     Address `json:"address"`
}

// IdentityCorrection is the payload of a correction: the identity as it
// should be, and why.
type IdentityCorrection struct {
	Identity
	Reason string `json:"reason"`
}

func identityOf(r db.Customer) (Identity, error) {
	var a Address
	if len(r.Address) > 0 {
		if err := json.Unmarshal(r.Address, &a); err != nil {
			return Identity{}, err
		}
	}
	return Identity{FirstName: r.FirstName, MiddleName: r.MiddleName, LastName: r.LastName,
		DateOfBirth: r.DateOfBirth.Format(time.DateOnly), Nationality: r.Nationality, Address: a}, nil
}

// IdentityApplier applies identity corrections under four-eyes. After an
// approval it screens the customer again (AfterApply): the lists are
// searched by name, date of birth and nationality.
type IdentityApplier struct {
	S *Service
}

func (a IdentityApplier) load(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (db.Customer, error) {
	return customerTarget(ctx, q, tenant, target)
}

// Current is the customer's identity data now.
func (a IdentityApplier) Current(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (json.RawMessage, error) {
	row, err := a.load(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	id, err := identityOf(row)
	if err != nil {
		return nil, err
	}
	return json.Marshal(id)
}

// validate checks a correction as registration checks the same fields,
// each problem named by its field.
func (a IdentityApplier) validate(ctx context.Context, q *db.Queries, tenant uuid.UUID, c *IdentityCorrection) error {
	trim := func(s *string) { *s = strings.TrimSpace(*s) }
	for _, s := range []*string{&c.FirstName, &c.MiddleName, &c.LastName, &c.DateOfBirth, &c.Nationality, &c.Reason,
		&c.Address.Street, &c.Address.StreetNumber, &c.Address.Apartment, &c.Address.City, &c.Address.State,
		&c.Address.PostalCode, &c.Address.Country, &c.Address.AddressType} {
		trim(s)
	}
	c.Nationality, c.Address.Country = strings.ToUpper(c.Nationality), strings.ToUpper(c.Address.Country)
	c.Address.AddressType = strings.ToUpper(c.Address.AddressType)
	settings, err := LoadSettings(ctx, q, tenant)
	if err != nil {
		return err
	}
	var fe apperr.Fields
	checkName(&fe, "firstName", c.FirstName, true, 100)
	checkName(&fe, "middleName", c.MiddleName, false, 100)
	checkName(&fe, "lastName", c.LastName, true, 100)
	checkDateOfBirth(&fe, "dateOfBirth", c.DateOfBirth, a.S.now(), settings.MinAge)
	if !ValidCountry(c.Nationality) {
		fe.Add("nationality", "must be an ISO 3166 alpha-2 country code such as DE or GB")
	}
	checkAddress(&fe, "address", c.Address)
	if c.Reason == "" {
		fe.Add("reason", "is required: say what was wrong and how you know, for the audit trail")
	} else if len(c.Reason) > 500 {
		fe.Add("reason", "must be at most 500 characters")
	}
	return fe.Err()
}

// Check validates the correction and says what the identity becomes.
func (a IdentityApplier) Check(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	var c IdentityCorrection
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, apperr.New(apperr.Malformed, "the correction could not be read")
	}
	if err := a.validate(ctx, q, tenant, &c); err != nil {
		return nil, err
	}
	row, err := a.load(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	cur, err := identityOf(row)
	if err != nil {
		return nil, err
	}
	if cur == c.Identity {
		return nil, apperr.Validation(apperr.FieldError{Field: "firstName", Issue: "nothing changes: the identity data is already this"})
	}
	return json.Marshal(c.Identity)
}

// Apply writes the corrected identity, audited as the approving employee,
// with a customer-profile-updated event naming the fields, in the
// approval's transaction.
func (a IdentityApplier) Apply(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	var c IdentityCorrection
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, err
	}
	if err := a.validate(ctx, q, tenant, &c); err != nil {
		return nil, err
	}
	row, err := a.load(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	before, err := identityOf(row)
	if err != nil {
		return nil, err
	}
	dob, err := time.Parse(time.DateOnly, c.DateOfBirth)
	if err != nil {
		return nil, fmt.Errorf("customer: correction: %w", err)
	}
	address, err := json.Marshal(c.Address)
	if err != nil {
		return nil, err
	}
	if _, err := q.UpdateCustomerProfile(ctx, db.UpdateCustomerProfileParams{TenantID: tenant, ID: row.ID, Email: row.Email,
		FirstName: c.FirstName, MiddleName: c.MiddleName, LastName: c.LastName, DateOfBirth: dob, PlaceOfBirth: row.PlaceOfBirth,
		Nationality: c.Nationality, PhoneNumber: row.PhoneNumber, AlternatePhoneNumber: row.AlternatePhoneNumber, Address: address,
		Occupation: row.Occupation, EmployerName: row.EmployerName, AnnualIncome: row.AnnualIncome, SourceOfFunds: row.SourceOfFunds}); err != nil {
		return nil, err
	}
	var fields []string
	for name, changed := range map[string]bool{"firstName": before.FirstName != c.FirstName, "individualCustomer.middleName": before.MiddleName != c.MiddleName,
		"lastName": before.LastName != c.LastName, "individualCustomer.dateOfBirth": before.DateOfBirth != c.DateOfBirth,
		"individualCustomer.nationality": before.Nationality != c.Nationality, "individualCustomer.address": before.Address != c.Address} {
		if changed {
			fields = append(fields, name)
		}
	}
	if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "customer.identity.corrected", EntityType: "customer",
		EntityID: row.ID.String(), ReasonCode: "DATA_CORRECTION", Before: before,
		After: map[string]any{"identity": c.Identity, "reason": c.Reason, "fields": fields}}); err != nil {
		return nil, err
	}
	if _, err := event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer-profile-updated", EntityType: "customer", EntityID: row.ID.String(),
		Payload: map[string]any{"customerId": row.ID, "fields": fields, "source": "DATA_CORRECTION"}}); err != nil {
		return nil, err
	}
	return json.Marshal(c.Identity)
}

// AfterApply screens the customer again once the correction is saved.
func (a IdentityApplier) AfterApply(ctx context.Context, tenant uuid.UUID, target string) error {
	id, err := uuid.Parse(target)
	if err != nil {
		return errNotFound()
	}
	c, err := a.S.Get(ctx, tenant, id)
	if err != nil {
		return err
	}
	_, err = a.S.rescreen(ctx, c)
	return err
}
