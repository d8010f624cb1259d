package web

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/staff"
	categoriesv "github.com/ciamhq/ciam/views/categories"
)

const categoriesPath = "/config/categories"

// emptyCategoriesPage is the page with fresh forms; a failed submission
// fills in its own form before rendering.
func emptyCategoriesPage() categoriesv.Page {
	return categoriesv.Page{
		NewCategory: categoriesv.CategoryForm{Active: true, Errors: map[string]string{}},
		NewFeature:  categoriesv.FeatureForm{Errors: map[string]string{}},
		Edit:        categoriesv.CategoryForm{Errors: map[string]string{}},
		Param:       categoriesv.ParameterForm{Errors: map[string]string{}},
		RiskLevels:  customer.RiskLevels,
	}
}

func paramsView(ps []customer.Parameter) []categoriesv.Parameter {
	out := make([]categoriesv.Parameter, 0, len(ps))
	for _, p := range ps {
		out = append(out, categoriesv.Parameter{ID: p.ID.String(), Name: p.Name, Mandatory: p.Mandatory, Allowed: p.AllowedValues,
			Effect: customer.ParameterEffects[p.Name]})
	}
	return out
}

func (s *server) categoriesPage(w http.ResponseWriter, r *http.Request, status int, p categoriesv.Page) {
	emp, _ := employeeFrom(r.Context())
	cats, err := s.Customers.Hierarchy(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	feats, err := s.Customers.Features(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.CanEdit = emp.Can(staff.PermConfigEdit)
	usedBy := map[uuid.UUID][]string{}
	for _, c := range cats {
		view := categoriesv.Category{ID: c.ID.String(), Name: c.Name, Description: c.Description, Risk: c.RiskLevel, Active: c.IsActive}
		carried := map[uuid.UUID]bool{}
		for _, f := range c.Features {
			carried[f.ID] = true
			usedBy[f.ID] = append(usedBy[f.ID], c.Name)
			view.Features = append(view.Features, categoriesv.CategoryFeature{ID: f.ID.String(), Code: f.Code, Name: f.Name, Parameters: paramsView(f.Parameters)})
		}
		for _, f := range feats {
			if !carried[f.ID] {
				view.Available = append(view.Available, categoriesv.FeatureOption{ID: f.ID.String(), Code: f.Code})
			}
		}
		p.Categories = append(p.Categories, view)
	}
	for _, f := range feats {
		p.Features = append(p.Features, categoriesv.Feature{ID: f.ID.String(), Code: f.Code, Name: f.Name,
			Parameters: paramsView(f.Parameters), UsedBy: usedBy[f.ID]})
	}
	s.page(w, r, status, "Customer categories", "categories", categoriesv.List(p))
}

func (s *server) handleCategoryList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.categoriesPage(w, r, http.StatusOK, emptyCategoriesPage())
	})
}

// pathThings names what each path value of the configuration routes is.
var pathThings = map[string]string{"id": "category or feature", "feature": "feature", "param": "parameter"}

// configForm parses a configuration form and the {id} (and other) path
// values it names; an id that does not parse is a thing that does not
// exist.
func (s *server) configForm(w http.ResponseWriter, r *http.Request, names ...string) ([]uuid.UUID, bool) {
	ids := make([]uuid.UUID, 0, len(names))
	for _, n := range names {
		id, err := uuid.Parse(r.PathValue(n))
		if err != nil {
			s.fail(w, r, apperr.New(apperr.NotFound, "no such %s", pathThings[n]))
			return nil, false
		}
		ids = append(ids, id)
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, apperr.New(apperr.Malformed, "the form could not be read"))
		return nil, false
	}
	return ids, true
}

// afterConfigChange reports a change: success is flashed and the page
// reloads at anchor; a domain refusal that is not a field problem is
// flashed too; anything else is an error page.
func (s *server) afterConfigChange(w http.ResponseWriter, r *http.Request, err error, okMsg, anchor string) {
	if err != nil {
		c := apperr.CodeOf(err)
		if c == apperr.Internal || c == apperr.NotFound {
			s.fail(w, r, err)
			return
		}
		e, _ := apperr.As(err)
		msg := e.Message
		if len(e.Fields) > 0 {
			msg = e.Fields[0].Issue
		}
		s.flash(w, r, "error", msg)
	} else {
		s.flash(w, r, "success", okMsg)
	}
	target := categoriesPath
	if anchor != "" {
		target += "#" + anchor
	}
	s.seeOther(w, r, target)
}

func (s *server) handleCategoryCreate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if _, ok := s.configForm(w, r); !ok {
			return
		}
		p := emptyCategoriesPage()
		p.NewCategory = categoriesv.CategoryForm{Name: r.PostForm.Get("name"), Description: r.PostForm.Get("description"),
			Risk: r.PostForm.Get("riskLevel"), Active: r.PostForm.Get("active") == "true", Errors: map[string]string{}}
		c, err := s.Customers.CreateCategory(r.Context(), emp.TenantID, customer.CategoryInput{Name: p.NewCategory.Name,
			Description: p.NewCategory.Description, RiskLevel: p.NewCategory.Risk, IsActive: p.NewCategory.Active})
		if fieldErrors(err, p.NewCategory.Errors) {
			s.categoriesPage(w, r, http.StatusUnprocessableEntity, p)
			return
		}
		s.afterConfigChange(w, r, err, "Category "+c.Name+" was added.", "category-"+c.ID.String())
	})
}

func (s *server) handleCategoryUpdate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		ids, ok := s.configForm(w, r, "id")
		if !ok {
			return
		}
		p := emptyCategoriesPage()
		p.EditID = ids[0].String()
		p.Edit = categoriesv.CategoryForm{Description: r.PostForm.Get("description"), Risk: r.PostForm.Get("riskLevel"),
			Active: r.PostForm.Get("active") == "true", Errors: map[string]string{}}
		c, err := s.Customers.UpdateCategory(r.Context(), emp.TenantID, ids[0], customer.CategoryInput{Description: p.Edit.Description,
			RiskLevel: p.Edit.Risk, IsActive: p.Edit.Active})
		if fieldErrors(err, p.Edit.Errors) {
			s.categoriesPage(w, r, http.StatusUnprocessableEntity, p)
			return
		}
		s.afterConfigChange(w, r, err, "Category "+c.Name+" was saved.", "category-"+p.EditID)
	})
}

func (s *server) handleCategoryStatus() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		ids, ok := s.configForm(w, r, "id")
		if !ok {
			return
		}
		active := r.PostForm.Get("active") == "true"
		c, err := s.Customers.SetCategoryActive(r.Context(), emp.TenantID, ids[0], active)
		msg := "Category " + c.Name + " was deactivated: new registrations cannot choose it."
		if active {
			msg = "Category " + c.Name + " was activated."
		}
		s.afterConfigChange(w, r, err, msg, "category-"+ids[0].String())
	})
}

func (s *server) handleCategoryFeatureAttach() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		ids, ok := s.configForm(w, r, "id")
		if !ok {
			return
		}
		p := emptyCategoriesPage()
		p.AttachID = ids[0].String()
		feature, perr := uuid.Parse(r.PostForm.Get("feature"))
		var err error
		if perr != nil {
			err = apperr.Validation(apperr.FieldError{Field: "feature", Issue: "choose a feature"})
		} else {
			err = s.Customers.AttachFeature(r.Context(), emp.TenantID, ids[0], feature)
		}
		errs := map[string]string{}
		if fieldErrors(err, errs) {
			p.AttachError = errs["feature"]
			s.categoriesPage(w, r, http.StatusUnprocessableEntity, p)
			return
		}
		s.afterConfigChange(w, r, err, "The feature was attached.", "category-"+p.AttachID)
	})
}

func (s *server) handleCategoryFeatureDetach() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		ids, ok := s.configForm(w, r, "id", "feature")
		if !ok {
			return
		}
		err := s.Customers.DetachFeature(r.Context(), emp.TenantID, ids[0], ids[1])
		s.afterConfigChange(w, r, err, "The feature was detached; customers registered with it keep their values.", "category-"+ids[0].String())
	})
}

func (s *server) handleFeatureCreate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if _, ok := s.configForm(w, r); !ok {
			return
		}
		p := emptyCategoriesPage()
		p.NewFeature = categoriesv.FeatureForm{Code: r.PostForm.Get("code"), Name: r.PostForm.Get("name"), Errors: map[string]string{}}
		f, err := s.Customers.CreateFeature(r.Context(), emp.TenantID, customer.FeatureInput{Code: p.NewFeature.Code, Name: p.NewFeature.Name})
		if fieldErrors(err, p.NewFeature.Errors) {
			s.categoriesPage(w, r, http.StatusUnprocessableEntity, p)
			return
		}
		s.afterConfigChange(w, r, err, "Feature "+f.Code+" was added. Attach it to a category and give it parameters.", "feature-"+f.ID.String())
	})
}

func (s *server) handleParameterAdd() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		ids, ok := s.configForm(w, r, "id")
		if !ok {
			return
		}
		p := emptyCategoriesPage()
		p.ParamFeatureID = ids[0].String()
		p.Param = categoriesv.ParameterForm{Name: r.PostForm.Get("name"), Mandatory: r.PostForm.Get("mandatory") == "true",
			Allowed: r.PostForm.Get("allowedValues"), Errors: map[string]string{}}
		param, err := s.Customers.AddParameter(r.Context(), emp.TenantID, ids[0], customer.ParameterInput{Name: p.Param.Name,
			Mandatory: p.Param.Mandatory, AllowedValues: p.Param.Allowed})
		if fieldErrors(err, p.Param.Errors) {
			s.categoriesPage(w, r, http.StatusUnprocessableEntity, p)
			return
		}
		s.afterConfigChange(w, r, err, "Parameter "+param.Name+" was added.", "feature-"+p.ParamFeatureID)
	})
}

func (s *server) handleParameterRemove() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		ids, ok := s.configForm(w, r, "id", "param")
		if !ok {
			return
		}
		err := s.Customers.RemoveParameter(r.Context(), emp.TenantID, ids[0], ids[1])
		s.afterConfigChange(w, r, err, "The parameter was removed; customers registered with it keep their values.", "feature-"+ids[0].String())
	})
}
