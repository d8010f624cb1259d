package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/staff"
	staffv "github.com/ciamhq/ciam/views/staff"
)

func (s *server) staffPage(w http.ResponseWriter, r *http.Request, status int, form staffv.NewForm) {
	emp, _ := employeeFrom(r.Context())
	list, err := s.Staff.List(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.Tenants.Get(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := staffv.Page{CanManage: emp.Can(staff.PermStaffManage), Form: form, Loc: t.Location(), Now: s.Now()}
	for _, role := range staff.Roles {
		if role == staff.PlatformOperator && !emp.Perms.Has(staff.PermTenantsManage) {
			continue // only operators hand out the operator role
		}
		p.Roles = append(p.Roles, staffv.RoleOption{Name: string(role), Info: staff.RoleInfo[role]})
	}
	ids := make([]string, 0, len(list))
	for _, e := range list {
		ids = append(ids, e.ID.String())
	}
	pending, err := s.Approvals.PendingFor(r.Context(), emp.TenantID, "staff", ids)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var live map[uuid.UUID][]staff.Session
	if p.CanManage {
		if live, err = s.liveSessions(r); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	for _, e := range list {
		row := staffv.Employee{ID: e.ID.String(), Name: e.Name, Email: e.Email, Status: e.Status, LastLogin: e.LastLoginAt, IsSelf: e.ID == emp.ID,
			Sessions: s.sessionsCell(r, e.ID, e.Name, live[e.ID], p.Loc)}
		for _, role := range e.Roles {
			row.Roles = append(row.Roles, string(role))
		}
		for _, req := range pending[e.ID.String()] {
			row.Pending = append(row.Pending, staffv.Pending{ID: req.ID.String(), Title: req.Title})
		}
		p.Employees = append(p.Employees, row)
	}
	s.page(w, r, status, "Staff", "staff", staffv.List(p))
}

func (s *server) handleStaffList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.staffPage(w, r, http.StatusOK, staffv.NewForm{Roles: map[string]bool{}, Errors: map[string]string{}})
	})
}

func (s *server) handleStaffCreate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if !s.readForm(w, r) {
			return
		}
		form := staffv.NewForm{Email: r.PostForm.Get("email"), Name: r.PostForm.Get("name"), Roles: map[string]bool{}, Errors: map[string]string{}}
		var roles []staff.Role
		for _, v := range r.PostForm["roles"] {
			form.Roles[v] = true
			roles = append(roles, staff.Role(v))
		}
		created, err := s.Staff.Create(r.Context(), emp.TenantID, staff.CreateParams{Email: form.Email, Name: form.Name, Roles: roles})
		if fieldErrors(err, form.Errors) {
			s.staffPage(w, r, http.StatusUnprocessableEntity, form)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", created.Name+" was added. They can sign in with "+created.Email+".")
		s.seeOther(w, r, "/staff")
	})
}

// fieldErrors copies a validation error's fields into errs and reports
// whether err was one.
func fieldErrors(err error, errs map[string]string) bool {
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.Invalid {
		return false
	}
	for _, f := range e.Fields {
		if errs[f.Field] == "" {
			errs[f.Field] = f.Issue
		}
	}
	return true
}

func (s *server) staffTarget(w http.ResponseWriter, r *http.Request) (staff.Employee, uuid.UUID, bool) {
	emp, _ := employeeFrom(r.Context())
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, apperr.New(apperr.NotFound, "no such employee"))
		return emp, uuid.Nil, false
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, apperr.New(apperr.Malformed, "the form could not be read"))
		return emp, uuid.Nil, false
	}
	return emp, id, true
}

// afterStaffChange reports the outcome of a change on the staff page.
func (s *server) afterStaffChange(w http.ResponseWriter, r *http.Request, err error, okMsg string) {
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Internal || c == apperr.NotFound {
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
	s.seeOther(w, r, "/staff")
}

// Role grants and revokes are four-eyes changes: the handlers propose them
// and another employee approves them on /approvals.
func (s *server) handleStaffRoleGrant() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, id, ok := s.staffTarget(w, r)
		if !ok {
			return
		}
		role := staff.Role(strings.TrimSpace(r.PostForm.Get("role")))
		_, err := s.Approvals.Propose(r.Context(), emp.TenantID, staff.KindRoleGrant, id.String(),
			"Grant "+string(role)+" to "+s.staffName(r, emp.TenantID, id), staff.RoleChange{Role: role}, r.PostForm.Get("reason"))
		s.afterStaffChange(w, r, err, "Granting "+string(role)+" awaits a second employee's approval.")
	})
}

func (s *server) handleStaffRoleRevoke() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, id, ok := s.staffTarget(w, r)
		if !ok {
			return
		}
		role := staff.Role(r.PathValue("role"))
		_, err := s.Approvals.Propose(r.Context(), emp.TenantID, staff.KindRoleRevoke, id.String(),
			"Remove "+string(role)+" from "+s.staffName(r, emp.TenantID, id), staff.RoleChange{Role: role}, r.PostForm.Get("reason"))
		s.afterStaffChange(w, r, err, "Removing "+string(role)+" awaits a second employee's approval.")
	})
}

func (s *server) staffName(r *http.Request, tenant, id uuid.UUID) string {
	if e, err := s.Staff.Load(r.Context(), tenant, id, nil); err == nil {
		return e.Name
	}
	return "an employee"
}

func (s *server) handleStaffStatus() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, id, ok := s.staffTarget(w, r)
		if !ok {
			return
		}
		status := r.PostForm.Get("status")
		msg := "The employee was reactivated."
		if status == staff.StatusDeactivated {
			msg = "The employee was deactivated; their sessions have ended."
		}
		err := s.Staff.SetStatus(r.Context(), emp.TenantID, id, status, "CHANGED_IN_PORTAL")
		s.afterStaffChange(w, r, err, msg)
	})
}

// liveSessions are the tenant's portal sessions still within the idle and
// absolute time-outs.
func (s *server) liveSessions(r *http.Request) (map[uuid.UUID][]staff.Session, error) {
	emp, _ := employeeFrom(r.Context())
	now := s.Now()
	return s.Staff.LiveSessions(r.Context(), emp.TenantID, now.Add(-s.Config.SessionMaxAge), now.Add(-s.Config.SessionIdle))
}

func (s *server) sessionsCell(r *http.Request, id uuid.UUID, name string, list []staff.Session, loc *time.Location) staffv.Sessions {
	cell := staffv.Sessions{EmployeeID: id.String(), Name: name, Loc: loc, Now: s.Now()}
	current := sessionIDFrom(r.Context())
	for _, ss := range list {
		cell.List = append(cell.List, staffv.Session{ID: ss.ID.String(), Started: ss.CreatedAt, LastSeen: ss.LastSeenAt,
			IP: ss.IP, UserAgent: ss.UserAgent, Current: ss.ID == current})
	}
	return cell
}

// handleStaffSessionRevoke ends one portal session of an employee: its
// cookie is refused from the next request. htmx gets the employee's
// sessions cell again; a plain form post is redirected to the staff page.
func (s *server) handleStaffSessionRevoke() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, id, ok := s.staffTarget(w, r)
		if !ok {
			return
		}
		sid, err := uuid.Parse(r.PathValue("sid"))
		if err != nil {
			s.fail(w, r, apperr.New(apperr.NotFound, "no such session"))
			return
		}
		err = s.Staff.RevokeSession(r.Context(), emp.TenantID, id, sid)
		if !isHTMX(r) {
			s.afterStaffChange(w, r, err, "The session was ended; its cookie no longer works.")
			return
		}
		if err != nil && apperr.CodeOf(err) != apperr.Conflict {
			s.fail(w, r, err)
			return
		}
		// The employee's sessions reload in place.
		s.seeOtherIn(w, r, "/staff", "#sessions-"+id.String())
	})
}
