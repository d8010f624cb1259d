package web

import (
	"net/http"
	"strings"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/pii"
	customersv "github.com/ciamhq/ciam/views/customers"
)

// correctionFields are the form's fields, in the identity's terms.
var correctionFields = []string{"firstName", "middleName", "lastName", "dateOfBirth", "nationality", "street", "streetNumber",
	"apartment", "city", "state", "postalCode", "country", "reason"}

// correctionMasked are the form's fields seen may not see.
func correctionMasked(seen pii.View) map[string]bool {
	m := map[string]bool{}
	if !seen.Full(pii.DateOfBirth) {
		m["dateOfBirth"] = true
	}
	if !seen.Full(pii.Address) {
		for _, k := range []string{"street", "streetNumber", "apartment", "city", "state", "postalCode"} {
			m[k] = true
		}
	}
	return m
}

// currentIdentity is c's identity data in the form's terms.
func currentIdentity(c customer.Customer) map[string]string {
	a := c.Address
	return map[string]string{"firstName": c.FirstName, "middleName": c.MiddleName, "lastName": c.LastName, "dateOfBirth": c.DateOfBirth.Format("2006-01-02"),
		"nationality": c.Nationality, "street": a.Street, "streetNumber": a.StreetNumber, "apartment": a.Apartment, "city": a.City,
		"state": a.State, "postalCode": a.PostalCode, "country": a.Country}
}

// handleCustomerCorrectionForm shows the identity correction form, filled
// with the customer's identity data as it stands.
func (s *server) handleCustomerCorrectionForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := customerID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, err := s.Customers.Get(r.Context(), emp.TenantID, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		masked := correctionMasked(piiView(emp))
		f := customersv.CorrectionForm{ID: id.String(), Name: c.FullName(), Errors: map[string]string{}, Values: map[string]string{},
			Masked: masked}
		for k, v := range currentIdentity(c) {
			if !masked[k] {
				f.Values[k] = v
			}
		}
		s.page(w, r, http.StatusOK, "Correct "+c.FullName(), "customers", customersv.CorrectionPage(f))
	})
}

// handleCustomerCorrection proposes the correction (four-eyes) and goes
// back to the customer's page; errors stay next to their fields.
func (s *server) handleCustomerCorrection() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := customerID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !s.readForm(w, r) {
			return
		}
		c, err := s.Customers.Get(r.Context(), emp.TenantID, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f := r.PostForm
		masked := correctionMasked(piiView(emp))
		form := customersv.CorrectionForm{ID: id.String(), Name: c.FullName(), Values: map[string]string{}, Errors: map[string]string{},
			Masked: masked}
		current := currentIdentity(c)
		v := map[string]string{}
		for _, k := range correctionFields {
			form.Values[k] = f.Get(k)
			v[k] = form.Values[k]
			// A masked field left empty keeps the value the employee never saw.
			if masked[k] && strings.TrimSpace(v[k]) == "" {
				v[k] = current[k]
			}
		}
		corr := customer.IdentityCorrection{Reason: v["reason"], Identity: customer.Identity{FirstName: v["firstName"], MiddleName: v["middleName"],
			LastName: v["lastName"], DateOfBirth: v["dateOfBirth"], Nationality: v["nationality"],
			Address: customer.Address{Street: v["street"], StreetNumber: v["streetNumber"], Apartment: v["apartment"], City: v["city"],
				State: v["state"], PostalCode: v["postalCode"], Country: v["country"], AddressType: c.Address.AddressType}}}
		_, err = s.Approvals.Propose(r.Context(), emp.TenantID, customer.KindIdentityCorrection, id.String(),
			"Correct the identity data of "+c.FullName(), corr, corr.Reason)
		back := "/customers/" + id.String()
		switch {
		case fieldErrors(err, form.Errors):
			// The address fields are named address.street and so on.
			for k, msg := range form.Errors {
				if len(k) > 8 && k[:8] == "address." {
					form.Errors[k[8:]] = msg
				}
			}
			s.page(w, r, http.StatusUnprocessableEntity, "Correct "+c.FullName(), "customers", customersv.CorrectionPage(form))
		case apperr.CodeOf(err) == apperr.Conflict:
			e, _ := apperr.As(err)
			s.flash(w, r, "error", "Not proposed: "+e.Message+".")
			s.seeOther(w, r, back)
		case err != nil:
			s.fail(w, r, err)
		default:
			s.flash(w, r, "success", "The correction awaits a second employee's approval.")
			s.seeOther(w, r, back)
		}
	})
}
