package web

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/views/amlrules"
)

func (s *server) listsPage(w http.ResponseWriter, r *http.Request, status int, view amlrules.Lists) {
	emp, _ := employeeFrom(r.Context())
	t, err := s.Tenants.Get(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lists, err := s.AML.Lists(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view.CanEdit, view.Loc, view.Now = emp.Can(staff.PermAMLRulesEdit), t.Location(), s.Now()
	for _, l := range lists {
		view.Lists = append(view.Lists, amlrules.ListRow{ID: l.ID.String(), Name: l.Name, Description: l.Description, Entries: l.Entries, Created: l.CreatedAt})
	}
	if view.Errors == nil {
		view.Errors = map[string]string{}
	}
	s.page(w, r, status, "Custom lists", "aml-rules", amlrules.ListsPage(view))
}

func (s *server) handleAMLLists() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.listsPage(w, r, http.StatusOK, amlrules.Lists{})
	})
}

func (s *server) handleAMLListCreate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if !s.readForm(w, r) {
			return
		}
		view := amlrules.Lists{Name: r.PostForm.Get("name"), Description: r.PostForm.Get("description"), Errors: map[string]string{}}
		l, err := s.AML.CreateList(r.Context(), emp.TenantID, view.Name, view.Description)
		if fieldErrors(err, view.Errors) {
			s.listsPage(w, r, http.StatusUnprocessableEntity, view)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "Created the list “"+l.Name+"”. Rules check it with on_list(\""+l.Name+"\").")
		s.seeOther(w, r, "/aml/lists/"+l.ID.String())
	})
}

func (s *server) listPage(w http.ResponseWriter, r *http.Request, status int, id uuid.UUID, view amlrules.ListDetail) {
	emp, _ := employeeFrom(r.Context())
	t, err := s.Tenants.Get(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l, entries, err := s.AML.List(r.Context(), emp.TenantID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view.ID, view.Name, view.Description = l.ID.String(), l.Name, l.Description
	view.CanEdit, view.Loc, view.Now = emp.Can(staff.PermAMLRulesEdit), t.Location(), s.Now()
	for _, e := range entries {
		view.Entries = append(view.Entries, amlrules.EntryRow{ID: e.ID.String(), Kind: e.Kind, Value: e.Value, Note: e.Note, AddedBy: e.AddedBy, Created: e.CreatedAt})
	}
	if view.Errors == nil {
		view.Errors = map[string]string{}
	}
	s.page(w, r, status, l.Name, "aml-rules", amlrules.CustomListPage(view))
}

func listID(r *http.Request) (uuid.UUID, error) {
	return pathID(r, "id", "list")
}

func (s *server) handleAMLListShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := listID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.listPage(w, r, http.StatusOK, id, amlrules.ListDetail{})
	})
}

func (s *server) handleAMLListEntryAdd() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := listID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !s.readForm(w, r) {
			return
		}
		view := amlrules.ListDetail{Kind: r.PostForm.Get("kind"), Value: r.PostForm.Get("value"), Note: r.PostForm.Get("note"), Errors: map[string]string{}}
		e, err := s.AML.AddListEntry(r.Context(), emp.TenantID, id, view.Kind, view.Value, view.Note)
		if fieldErrors(err, view.Errors) {
			s.listPage(w, r, http.StatusUnprocessableEntity, id, view)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "Added "+e.Value+" to the list.")
		s.seeOther(w, r, "/aml/lists/"+id.String())
	})
}

func (s *server) handleAMLListEntryRemove() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := listID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		entry, err := pathID(r, "entry", "entry")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.AML.RemoveListEntry(r.Context(), emp.TenantID, id, entry); err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "Removed the entry from the list.")
		s.seeOther(w, r, "/aml/lists/"+id.String())
	})
}

func (s *server) ratesPage(w http.ResponseWriter, r *http.Request, status int, view amlrules.Rates) {
	emp, _ := employeeFrom(r.Context())
	rates, err := s.AML.Rates(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view.CanEdit = emp.Can(staff.PermAMLRulesEdit)
	for _, rt := range rates {
		view.Rates = append(view.Rates, amlrules.RateRow{Currency: rt.Currency, Rate: rt.EURPerUnit.String(), Tenant: rt.Tenant, UpdatedBy: rt.UpdatedBy})
	}
	if view.Errors == nil {
		view.Errors = map[string]string{}
	}
	s.page(w, r, status, "Exchange rates", "aml-rules", amlrules.RatesPage(view))
}

func (s *server) handleAMLRates() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ratesPage(w, r, http.StatusOK, amlrules.Rates{})
	})
}

func (s *server) handleAMLRateSet() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if !s.readForm(w, r) {
			return
		}
		view := amlrules.Rates{Currency: r.PostForm.Get("currency"), Value: r.PostForm.Get("rate"), Errors: map[string]string{}}
		err := s.AML.SetRate(r.Context(), emp.TenantID, view.Currency, view.Value)
		if fieldErrors(err, view.Errors) {
			s.ratesPage(w, r, http.StatusUnprocessableEntity, view)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "Saved the rate. Screening uses it from now on.")
		s.seeOther(w, r, "/aml/rates")
	})
}
