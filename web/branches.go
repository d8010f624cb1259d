package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/catalog"
	"github.com/ciamhq/ciam/internal/staff"
	branchesv "github.com/ciamhq/ciam/views/branches"
	"github.com/ciamhq/ciam/views/components"
)

// Branches are plain audited changes: saved at once, each with an audit
// record and a config.changed event.

const (
	branchesPath   = "/config/branches"
	branchPageSize = 50
)

func branchTypeOptions() []components.Option {
	out := make([]components.Option, 0, len(catalog.BranchTypes))
	for _, t := range catalog.BranchTypes {
		out = append(out, components.Option{Value: t, Label: branchesv.TypeLabel(t)})
	}
	return out
}

func branchRow(b catalog.Branch, canEdit bool) branchesv.Row {
	row := branchesv.Row{ID: b.ID.String(), Code: b.Code, Name: b.Name, Type: b.Type, Status: b.Status, City: b.Address.City,
		Country: b.Address.Country, Services: b.Services, CanEdit: canEdit, Coordinates: "—"}
	if b.Latitude != nil && b.Longitude != nil {
		row.Coordinates = fmt.Sprintf("%.5f, %.5f", *b.Latitude, *b.Longitude)
	}
	return row
}

func (s *server) handleBranchList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		q := r.URL.Query()
		l := branchesv.List{
			Filter: branchesv.Filter{Q: strings.TrimSpace(q.Get("q")), Type: q.Get("type"), Status: q.Get("status"),
				Country: strings.ToUpper(strings.TrimSpace(q.Get("country"))), Sort: q.Get("sort")},
			Errors: map[string]string{}, Types: branchTypeOptions(), Statuses: components.Options(catalog.BranchStatuses...),
			Sorts: []components.Option{{Value: "", Label: "Code"}, {Value: "name", Label: "Name (A–Z)"}, {Value: "city", Label: "City (A–Z)"},
				{Value: "updated", Label: "Recently changed"}},
			CanEdit: emp.Can(staff.PermConfigEdit),
		}
		offset := offsetOf(r)
		status := http.StatusOK
		page, err := s.Catalog.Branches(r.Context(), emp.TenantID, catalog.BranchFilter{Query: l.Filter.Q, Type: l.Filter.Type,
			Status: l.Filter.Status, Country: l.Filter.Country, Sort: l.Filter.Sort, Limit: branchPageSize, Offset: offset})
		if fieldErrors(err, l.Errors) {
			status = http.StatusUnprocessableEntity
		} else if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, b := range page.Rows {
			l.Rows = append(l.Rows, branchRow(b, l.CanEdit))
		}
		l.Pager = offsetPager(r.URL, page.Total, offset, len(page.Rows), branchPageSize)
		l.Pager.FirstLabel, l.Pager.NextLabel = "First page", "Next →"
		s.page(w, r, status, "Branches and pay points", "branches", branchesv.ListPage(l))
	})
}

func branchForm(r *http.Request) (branchesv.Form, catalog.BranchInput) {
	pf := r.PostForm
	f := branchesv.Form{Code: pf.Get("code"), Name: pf.Get("name"), Type: pf.Get("type"), Street: pf.Get("street"), City: pf.Get("city"),
		Region: pf.Get("region"), PostalCode: pf.Get("postalCode"), Country: pf.Get("country"), Latitude: pf.Get("latitude"),
		Longitude: pf.Get("longitude"), Services: pf.Get("services"), Active: pf.Get("active") == "true",
		Hours: map[string]string{}, Errors: map[string]string{}}
	for _, d := range catalog.Weekdays {
		f.Hours[d] = pf.Get("hours" + d)
	}
	return f, catalog.BranchInput{Code: f.Code, Name: f.Name, Type: f.Type, Street: f.Street, City: f.City, Region: f.Region,
		PostalCode: f.PostalCode, Country: f.Country, Latitude: f.Latitude, Longitude: f.Longitude, Hours: f.Hours,
		Services: f.Services, Active: f.Active}
}

func branchFormOf(b catalog.Branch) branchesv.Form {
	f := branchesv.Form{Code: b.Code, Name: b.Name, Type: b.Type, Street: b.Address.Street, City: b.Address.City, Region: b.Address.Region,
		PostalCode: b.Address.PostalCode, Country: b.Address.Country, Services: strings.Join(b.Services, ", "),
		Active: b.Status == catalog.BranchActive, Hours: map[string]string{}, Errors: map[string]string{}}
	if b.Latitude != nil && b.Longitude != nil {
		f.Latitude, f.Longitude = fmt.Sprint(*b.Latitude), fmt.Sprint(*b.Longitude)
	}
	for _, d := range catalog.Weekdays {
		f.Hours[d] = b.HoursText(d)
	}
	return f
}

func (s *server) branchFormPage(w http.ResponseWriter, r *http.Request, status int, b *catalog.Branch, form branchesv.Form) {
	emp, _ := employeeFrom(r.Context())
	t, err := s.Tenants.Get(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := branchesv.FormPage{Form: form, Types: branchTypeOptions(), Weekdays: catalog.Weekdays, CanEdit: emp.Can(staff.PermConfigEdit),
		Loc: t.Location(), Now: s.Now()}
	title := "New branch"
	if b != nil {
		p.ID, p.UpdatedAt, title = b.ID.String(), b.UpdatedAt, b.Name
	}
	s.page(w, r, status, title, "branches", branchesv.FormView(p))
}

func (s *server) handleBranchNew() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.branchFormPage(w, r, http.StatusOK, nil, branchesv.Form{Type: catalog.TypePayPoint, Active: true,
			Hours: map[string]string{}, Errors: map[string]string{}})
	})
}

func (s *server) branchOf(w http.ResponseWriter, r *http.Request) (catalog.Branch, bool) {
	emp, _ := employeeFrom(r.Context())
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, apperr.New(apperr.NotFound, "no such branch"))
		return catalog.Branch{}, false
	}
	b, err := s.Catalog.Branch(r.Context(), emp.TenantID, id)
	if err != nil {
		s.fail(w, r, err)
		return catalog.Branch{}, false
	}
	return b, true
}

func (s *server) handleBranchShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := s.branchOf(w, r)
		if !ok {
			return
		}
		s.branchFormPage(w, r, http.StatusOK, &b, branchFormOf(b))
	})
}

func (s *server) handleBranchCreate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if !s.readForm(w, r) {
			return
		}
		form, in := branchForm(r)
		b, err := s.Catalog.CreateBranch(r.Context(), emp.TenantID, in)
		if fieldErrors(err, form.Errors) {
			s.branchFormPage(w, r, http.StatusUnprocessableEntity, nil, form)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "Branch "+b.Code+" was added.")
		s.seeOther(w, r, branchesPath+"?q="+b.Code)
	})
}

func (s *server) handleBranchUpdate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		old, ok := s.branchOf(w, r)
		if !ok {
			return
		}
		if !s.readForm(w, r) {
			return
		}
		form, in := branchForm(r)
		b, err := s.Catalog.UpdateBranch(r.Context(), emp.TenantID, old.ID, in)
		if fieldErrors(err, form.Errors) {
			s.branchFormPage(w, r, http.StatusUnprocessableEntity, &old, form)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "Branch "+b.Code+" was saved.")
		s.seeOther(w, r, branchesPath+"/"+b.ID.String())
	})
}

// handleBranchStatus switches a branch on or off: in place for htmx, with
// a redirect back to the list otherwise.
func (s *server) handleBranchStatus() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := pathID(r, "id", "branch")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !s.readForm(w, r) {
			return
		}
		b, err := s.Catalog.SetBranchStatus(r.Context(), emp.TenantID, id, r.PostForm.Get("status"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if isHTMX(r) {
			// The row reloads in place; its status says what changed.
			s.seeOtherIn(w, r, branchesPath, "#branch-"+b.ID.String())
			return
		}
		s.flash(w, r, "success", "Branch "+b.Code+" is now "+b.Status+".")
		s.seeOther(w, r, branchesPath)
	})
}
