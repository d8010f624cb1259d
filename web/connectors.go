package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/approval"
	"github.com/ciamhq/ciam/internal/catalog"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/views/components"
	connectorsv "github.com/ciamhq/ciam/views/connectors"
)

// Connector configuration and status are plain audited changes; a
// connector's secret is a four-eyes change whose request holds the secret
// sealed. The secret is read once, from the form, and never written to a
// page, the audit trail or the log.

const (
	connectorsPath    = "/config/connectors"
	connectorPageSize = 50
)

func connectorTypeLabel(code string) string {
	if t, ok := catalog.ConnectorTypeOf(code); ok {
		return t.Label
	}
	return code
}

func (s *server) connectorRow(r *http.Request, c catalog.Connector, pending []approval.Request, loc *time.Location) connectorsv.Row {
	emp, _ := employeeFrom(r.Context())
	return connectorsv.Row{ID: c.ID.String(), Name: c.Name, Type: c.Type, TypeLabel: connectorTypeLabel(c.Type), Status: c.Status,
		Health: c.Health, CheckedAt: c.CheckedAt, LatencyMs: c.LatencyMs, Detail: c.HealthDetail, Secret: c.SecretText(),
		CheckFailures: c.CheckFailures, ChecksPausedUntil: c.ChecksPausedUntil, Pending: pendingViews(pending), CanEdit: emp.Can(staff.PermConfigEdit), Loc: loc, Now: s.Now()}
}

// tenantLocation is the employee's tenant's time zone (UTC when unknown).
func (s *server) tenantLocation(r *http.Request) *time.Location {
	emp, _ := employeeFrom(r.Context())
	if t, err := s.Tenants.Get(r.Context(), emp.TenantID); err == nil {
		return t.Location()
	}
	return time.UTC
}

func (s *server) handleConnectorList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		q := r.URL.Query()
		l := connectorsv.List{
			Filter: connectorsv.Filter{Q: strings.TrimSpace(q.Get("q")), Type: q.Get("type"), Status: q.Get("status"), Health: q.Get("health"),
				Sort: q.Get("sort")},
			Errors: map[string]string{}, Statuses: components.Options(catalog.ConnectorStatuses...),
			Healths: components.Options(catalog.HealthStates...),
			Sorts: []components.Option{{Value: "", Label: "Name (A–Z)"}, {Value: "type", Label: "Type"},
				{Value: "checked", Label: "Last tested first"}},
			CanEdit: emp.Can(staff.PermConfigEdit),
		}
		for _, t := range catalog.ConnectorTypes {
			l.Types = append(l.Types, components.Option{Value: t.Code, Label: t.Label})
		}
		offset := offsetOf(r)
		status := http.StatusOK
		page, err := s.Catalog.Connectors(r.Context(), emp.TenantID, catalog.ConnectorFilter{Query: l.Filter.Q, Type: l.Filter.Type,
			Status: l.Filter.Status, Health: l.Filter.Health, Sort: l.Filter.Sort, Limit: connectorPageSize, Offset: offset})
		if fieldErrors(err, l.Errors) {
			status = http.StatusUnprocessableEntity
		} else if err != nil {
			s.fail(w, r, err)
			return
		}
		ids := make([]string, 0, len(page.Rows))
		for _, c := range page.Rows {
			ids = append(ids, c.ID.String())
		}
		pending, err := s.Approvals.PendingFor(r.Context(), emp.TenantID, catalog.ConnectorTarget, ids)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		loc := s.tenantLocation(r)
		for _, c := range page.Rows {
			l.Rows = append(l.Rows, s.connectorRow(r, c, pending[c.ID.String()], loc))
		}
		l.Pager = offsetPager(r.URL, page.Total, offset, len(page.Rows), connectorPageSize)
		l.Pager.FirstLabel, l.Pager.NextLabel = "First page", "Next →"
		s.page(w, r, status, "Connectors", "connectors", connectorsv.ListPage(l))
	})
}

// configFields are a type's settings with their values and errors.
func configFields(t catalog.ConnectorType, values, errs map[string]string) []connectorsv.Field {
	out := make([]connectorsv.Field, 0, len(t.Fields))
	for _, f := range t.Fields {
		out = append(out, connectorsv.Field{Key: f.Key, Label: f.Label, Hint: f.Hint, Kind: f.Kind, Required: f.Required,
			Choices: f.Choices, Value: values[f.Key], Error: errs["config."+f.Key]})
	}
	return out
}

func connectorConfig(r *http.Request, t catalog.ConnectorType) map[string]string {
	out := map[string]string{}
	for _, f := range t.Fields {
		out[f.Key] = r.PostForm.Get("config." + f.Key)
	}
	return out
}

func (s *server) connectorNewPage(w http.ResponseWriter, r *http.Request, status int, p connectorsv.NewPage) {
	for _, t := range catalog.ConnectorTypes {
		p.Types = append(p.Types, connectorsv.TypeOption{Code: t.Code, Label: t.Label, Description: t.Description})
	}
	s.page(w, r, status, "New connector", "connectors", connectorsv.NewView(p))
}

func (s *server) handleConnectorNew() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := connectorsv.NewPage{}
		if code := r.URL.Query().Get("type"); code != "" {
			t, ok := catalog.ConnectorTypeOf(code)
			if !ok {
				p.TypeError = "choose a connector type"
				s.connectorNewPage(w, r, http.StatusUnprocessableEntity, p)
				return
			}
			p.Type, p.Fields = t.Code, configFields(t, map[string]string{}, nil)
		}
		s.connectorNewPage(w, r, http.StatusOK, p)
	})
}

func (s *server) handleConnectorCreate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if !s.readForm(w, r) {
			return
		}
		t, _ := catalog.ConnectorTypeOf(r.PostForm.Get("type"))
		values := connectorConfig(r, t)
		c, err := s.Catalog.CreateConnector(r.Context(), emp.TenantID, catalog.ConnectorInput{Type: r.PostForm.Get("type"),
			Name: r.PostForm.Get("name"), Config: values})
		errs := map[string]string{}
		if fieldErrors(err, errs) {
			p := connectorsv.NewPage{Type: t.Code, TypeError: errs["type"], Name: r.PostForm.Get("name"), NameError: errs["name"],
				Fields: configFields(t, values, errs)}
			s.connectorNewPage(w, r, http.StatusUnprocessableEntity, p)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "Connector "+c.Name+" was added, disabled. Set its secret and test the connection, then enable it.")
		s.seeOther(w, r, connectorsPath+"/"+c.ID.String())
	})
}

func (s *server) connectorOf(w http.ResponseWriter, r *http.Request) (catalog.Connector, bool) {
	emp, _ := employeeFrom(r.Context())
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, apperr.New(apperr.NotFound, "no such connector"))
		return catalog.Connector{}, false
	}
	c, err := s.Catalog.Connector(r.Context(), emp.TenantID, id)
	if err != nil {
		s.fail(w, r, err)
		return catalog.Connector{}, false
	}
	return c, true
}

// connectorPage shows connector c; d carries a failed form's values and
// errors (nil: the stored values).
func (s *server) connectorPage(w http.ResponseWriter, r *http.Request, status int, c catalog.Connector, d *connectorsv.Detail, values map[string]string, errs map[string]string) {
	emp, _ := employeeFrom(r.Context())
	pending, err := s.Approvals.PendingFor(r.Context(), emp.TenantID, catalog.ConnectorTarget, []string{c.ID.String()})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, _ := catalog.ConnectorTypeOf(c.Type)
	if d == nil {
		d = &connectorsv.Detail{Name: c.Name}
	}
	if values == nil {
		values = c.Config
	}
	d.Row = s.connectorRow(r, c, pending[c.ID.String()], s.tenantLocation(r))
	d.Fields = configFields(t, values, errs)
	d.SecretLabel, d.SecretSetAt, d.CanEdit = t.SecretLabel, c.SecretSetAt, emp.Can(staff.PermConfigEdit)
	s.page(w, r, status, c.Name, "connectors", connectorsv.DetailView(*d))
}

func (s *server) handleConnectorShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := s.connectorOf(w, r); ok {
			s.connectorPage(w, r, http.StatusOK, c, nil, nil, nil)
		}
	})
}

func (s *server) handleConnectorUpdate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		c, ok := s.connectorOf(w, r)
		if !ok {
			return
		}
		if !s.readForm(w, r) {
			return
		}
		t, _ := catalog.ConnectorTypeOf(c.Type)
		values := connectorConfig(r, t)
		updated, err := s.Catalog.UpdateConnector(r.Context(), emp.TenantID, c.ID, catalog.ConnectorInput{Name: r.PostForm.Get("name"), Config: values})
		errs := map[string]string{}
		if fieldErrors(err, errs) {
			s.connectorPage(w, r, http.StatusUnprocessableEntity, c, &connectorsv.Detail{Name: r.PostForm.Get("name"), NameError: errs["name"]}, values, errs)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "Connector "+updated.Name+" was saved.")
		s.seeOther(w, r, connectorsPath+"/"+c.ID.String())
	})
}

// handleConnectorSecret proposes a new secret: it is sealed at once and
// only the sealed value is kept, in the change request.
func (s *server) handleConnectorSecret() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		c, ok := s.connectorOf(w, r)
		if !ok {
			return
		}
		if !s.readForm(w, r) {
			return
		}
		reason := r.PostForm.Get("reason")
		t, _ := catalog.ConnectorTypeOf(c.Type)
		change, err := s.Catalog.SealSecret(emp.TenantID, c.ID, r.PostForm.Get("secret"))
		if err == nil {
			_, err = s.Approvals.Propose(r.Context(), emp.TenantID, catalog.KindConnectorSecret, c.ID.String(),
				"Set the "+strings.ToLower(t.SecretLabel)+" of "+c.Name, change, reason)
		}
		errs := map[string]string{}
		if fieldErrors(err, errs) {
			s.connectorPage(w, r, http.StatusUnprocessableEntity, c, &connectorsv.Detail{Name: c.Name, SecretError: errs["secret"],
				Reason: reason, ReasonError: errs["reason"]}, nil, nil)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "The new "+strings.ToLower(t.SecretLabel)+" awaits a second employee's approval.")
		s.seeOther(w, r, connectorsPath+"/"+c.ID.String())
	})
}

// fromList says whether a row switch was pressed on the list page.
func fromList(r *http.Request) bool { return r.PostForm.Get("from") == "list" }

func (s *server) handleConnectorStatus() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := pathID(r, "id", "connector")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !s.readForm(w, r) {
			return
		}
		c, err := s.Catalog.SetConnectorStatus(r.Context(), emp.TenantID, id, r.PostForm.Get("status"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.afterConnectorAction(w, r, c, "Connector "+c.Name+" is now "+c.Status+".")
	})
}

// handleConnectorTest tries the connector's base URL and shows the
// recorded health.
func (s *server) handleConnectorTest() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := pathID(r, "id", "connector")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !s.readForm(w, r) {
			return
		}
		c, err := s.Catalog.TestConnection(r.Context(), emp.TenantID, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		msg := "Connection test: " + c.Health + " (" + c.HealthDetail + ")."
		if isHTMX(r) && !fromList(r) {
			s.seeOtherIn(w, r, connectorsPath+"/"+c.ID.String(), "#connector-health")
			return
		}
		s.afterConnectorAction(w, r, c, msg)
	})
}

// afterConnectorAction answers a row switch: the row again for htmx, else
// a redirect to where the employee was.
func (s *server) afterConnectorAction(w http.ResponseWriter, r *http.Request, c catalog.Connector, msg string) {
	if isHTMX(r) {
		// The row reloads in place from the list.
		s.seeOtherIn(w, r, connectorsPath, "#connector-"+c.ID.String())
		return
	}
	s.flash(w, r, "success", msg)
	target := connectorsPath + "/" + c.ID.String()
	if fromList(r) {
		target = connectorsPath
	}
	s.seeOther(w, r, target)
}
