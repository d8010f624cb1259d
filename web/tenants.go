package web

import (
	"net/http"
	"strings"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
	"github.com/ciamhq/ciam/views/platform"
)

func (s *server) tenantsPage(w http.ResponseWriter, r *http.Request, status int, form platform.TenantForm) {
	list, err := s.Tenants.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := platform.TenantsPage{Form: form, Now: s.Now()}
	for _, t := range list {
		p.Tenants = append(p.Tenants, platform.Tenant{ID: t.ID.String(), Slug: t.Slug, Name: t.Name, Status: t.Status, TimeZone: t.TimeZone, CreatedAt: t.CreatedAt})
	}
	s.page(w, r, status, "Tenants", "tenants", platform.Tenants(p))
}

func (s *server) handleTenantList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.tenantsPage(w, r, http.StatusOK, platform.TenantForm{Errors: map[string]string{}})
	})
}

func (s *server) handleTenantCreate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.readForm(w, r) {
			return
		}
		f := r.PostForm
		form := platform.TenantForm{Slug: f.Get("slug"), Name: f.Get("name"), TimeZone: f.Get("timeZone"),
			Admin: strings.TrimSpace(f.Get("admin")), Errors: map[string]string{}}
		var then func(q *db.Queries, t tenant.Tenant) error
		if form.Admin != "" {
			then = func(q *db.Queries, t tenant.Tenant) error {
				name, _, _ := strings.Cut(form.Admin, "@")
				_, err := staff.CreateInTx(r.Context(), q, t.ID, staff.CreateParams{Email: form.Admin, Name: name, Roles: []staff.Role{staff.TenantAdmin}})
				if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid {
					// The administrator's fields are the form's "admin".
					for i := range e.Fields {
						e.Fields[i].Field = "admin"
					}
				}
				return err
			}
		}
		t, err := s.Tenants.Create(r.Context(), tenant.CreateParams{Slug: form.Slug, Name: form.Name, TimeZone: form.TimeZone}, then)
		if fieldErrors(err, form.Errors) {
			s.tenantsPage(w, r, http.StatusUnprocessableEntity, form)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "Tenant "+t.Name+" was created with slug "+t.Slug+".")
		s.seeOther(w, r, "/platform/tenants")
	})
}
