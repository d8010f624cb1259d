package web

import (
	"net/http"

	"github.com/ciamhq/ciam/internal/apperr"
	customersv "github.com/ciamhq/ciam/views/customers"
)

// handleCustomerHideConfirm is the confirmation step of MAKE-IT-GO-AWAY:
// what it does, and the reason to give.
func (s *server) handleCustomerHideConfirm() http.Handler {
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
		if c.IsHidden {
			s.flash(w, r, "error", c.FullName()+" is hidden already.")
			s.seeOther(w, r, "/customers/"+id.String())
			return
		}
		s.page(w, r, http.StatusOK, "Make "+c.FullName()+" go away", "customers", customersv.HideConfirmPage(customersv.HideConfirm{
			ID: id.String(), Name: c.FullName(), Status: c.Status, Permission: c.Permission, Errors: map[string]string{}}))
	})
}

// handleCustomerHide gives the customer the permission MAKE-IT-GO-AWAY and
// hides them from search and lists (audited), then goes back to their
// page, which stays reachable by id.
func (s *server) handleCustomerHide() http.Handler {
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
		reason := r.PostForm.Get("reason")
		back := "/customers/" + id.String()
		c, err := s.Customers.Hide(r.Context(), emp.TenantID, id, reason)
		form := customersv.HideConfirm{ID: id.String(), Reason: reason, Errors: map[string]string{}}
		switch {
		case fieldErrors(err, form.Errors):
			cur, gerr := s.Customers.Get(r.Context(), emp.TenantID, id)
			if gerr != nil {
				s.fail(w, r, gerr)
				return
			}
			form.Name, form.Status, form.Permission = cur.FullName(), cur.Status, cur.Permission
			s.page(w, r, http.StatusUnprocessableEntity, "Make "+cur.FullName()+" go away", "customers", customersv.HideConfirmPage(form))
		case apperr.CodeOf(err) == apperr.Conflict:
			e, _ := apperr.As(err)
			s.flash(w, r, "error", "Not changed: "+e.Message+".")
			s.seeOther(w, r, back)
		case err != nil:
			s.fail(w, r, err)
		default:
			s.flash(w, r, "success", c.FullName()+" was made to go away: permission "+c.Permission+", hidden from search and lists.")
			s.seeOther(w, r, back)
		}
	})
}
