package api

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
)

// profilePatch is the body of PATCH /customers/{id}: the registration's
// profile fields, in the registration's places, each optional. An absent
// or null field stays as it is; "" clears an optional one. address
// replaces the whole address.
type profilePatch struct {
	// TenantID is accepted and ignored, as everywhere: X-Tenant-ID decides.
	TenantID           *string             `json:"tenantId"`
	Email              *string             `json:"email"`
	FirstName          *string             `json:"firstName"`
	LastName           *string             `json:"lastName"`
	IndividualCustomer *profilePatchNested `json:"individualCustomer"`
}

type profilePatchNested struct {
	MiddleName           *string     `json:"middleName"`
	DateOfBirth          *string     `json:"dateOfBirth"`
	PlaceOfBirth         *string     `json:"placeOfBirth"`
	Nationality          *string     `json:"nationality"`
	PhoneNumber          *string     `json:"phoneNumber"`
	AlternatePhoneNumber *string     `json:"alternatePhoneNumber"`
	Address              *addressDTO `json:"address"`
	Occupation           *string     `json:"occupation"`
	EmployerName         *string     `json:"employerName"`
	AnnualIncome         *flexNumber `json:"annualIncome"`
	SourceOfFunds        *string     `json:"sourceOfFunds"`
	// ComplianceFields are custom compliance fields to set, by name.
	ComplianceFields map[string]string `json:"complianceFields"`
}

func (p profilePatch) change() customer.ProfileChange {
	c := customer.ProfileChange{Email: p.Email, FirstName: p.FirstName, LastName: p.LastName}
	if n := p.IndividualCustomer; n != nil {
		c.MiddleName, c.DateOfBirth, c.PlaceOfBirth, c.Nationality = n.MiddleName, n.DateOfBirth, n.PlaceOfBirth, n.Nationality
		c.PhoneNumber, c.AlternatePhoneNumber = n.PhoneNumber, n.AlternatePhoneNumber
		c.Occupation, c.EmployerName, c.SourceOfFunds = n.Occupation, n.EmployerName, n.SourceOfFunds
		c.ComplianceFields = n.ComplianceFields
		if n.Address != nil {
			a := customer.Address(*n.Address)
			c.Address = &a
		}
		if n.AnnualIncome != nil {
			v := string(*n.AnnualIncome)
			c.AnnualIncome = &v
		}
	}
	return c
}

// HandlePatchCustomer is PATCH /customers/{id}: a profile update with the
// validation of registration. An admin token (customers:write) may change
// every field, and a change of name, date of birth or nationality screens
// the customer again; a customer token only its own contact data (email,
// phone numbers, address): any other field is 403 PROFILE_FIELD_FORBIDDEN,
// one detail per field, and nothing changes. The answer is the customer as
// GET /customers/{id} returns it.
func (a *API) HandlePatchCustomer() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		id, err := customerID(r)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		var req profilePatch
		if err := Decode(w, r, &req, MaxBody); err != nil {
			a.WriteError(w, r, err)
			return
		}
		change := req.change()
		fields := change.Fields()
		if len(fields) == 0 {
			a.WriteError(w, r, apperr.Validation(apperr.FieldError{Field: "body", Issue: "names no field to change; send at least one profile field"}))
			return
		}
		p, _ := PrincipalFrom(r.Context())
		admin := p.Kind == credential.KindClient
		if !admin {
			var denied []apperr.FieldError
			for _, f := range fields {
				if !slices.Contains(customer.ContactFields, f) {
					denied = append(denied, apperr.FieldError{Field: f, Issue: "only the tenant (an admin token) may change it"})
				}
			}
			if len(denied) > 0 {
				e := apperr.New(apperr.Forbidden, "a customer may change only their contact data: %s", strings.Join(customer.ContactFields, ", ")).WithAPI("PROFILE_FIELD_FORBIDDEN")
				e.Fields = denied
				a.WriteError(w, r, e)
				return
			}
		}
		res, err := a.Customers.UpdateProfile(r.Context(), t.ID, id, change, admin)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		if res.ScreeningErr != nil {
			// The change stands; the lists' next re-screening covers the customer.
			a.Logger.WarnContext(r.Context(), "re-screening after a profile change failed", slog.Any("error", res.ScreeningErr),
				slog.String("customer", id.String()))
		}
		a.writeCustomer(w, r, t.ID, id)
	})
}
