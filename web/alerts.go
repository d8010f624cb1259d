package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/pii"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/views/alerts"
	"github.com/ciamhq/ciam/views/labels"
)

const alertPageSize = 50

// alertAssignees are the employees who may work alerts, for the assign
// selects.
func (s *server) alertAssignees(r *http.Request, tenant uuid.UUID, me uuid.UUID) ([]alerts.Option, error) {
	emps, err := s.Staff.List(r.Context(), tenant)
	if err != nil {
		return nil, err
	}
	var out []alerts.Option
	for _, e := range emps {
		if e.ID != me && e.Status == staff.StatusActive && e.Can(staff.PermAlertsManage) {
			out = append(out, alerts.Option{Value: e.ID.String(), Label: e.Name})
		}
	}
	return out, nil
}

// money is an amount with its currency, to the currency's minor units (2
// for a currency without them on record).
func money(amount decimal.Decimal, currency string) string { return labels.Amount(amount, currency) }

func (s *server) handleAlertQueue() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		q := r.URL.Query()
		view := alerts.Queue{Filter: alerts.Filter{Status: q.Get("status"), Severity: q.Get("severity"), Assignee: q.Get("assignee"),
			Group: q.Get("group") == "customer"}, CanManage: emp.Can(staff.PermAlertsManage), Loc: t.Location(), Now: s.Now(),
			Statuses: []alerts.Option{{Value: "open", Label: "Open"}, {Value: "ESCALATED", Label: "Escalated"}, {Value: "closed", Label: "Closed"},
				{Value: "all", Label: "All"}},
			Assignees: []alerts.Option{{Value: "", Label: "Anyone"}, {Value: "me", Label: "Me"}, {Value: "none", Label: "Nobody"}}}
		if view.Filter.Status == "" {
			view.Filter.Status = "open"
		}
		f := aml.AlertFilter{Status: view.Filter.Status, Severity: view.Filter.Severity, Assignee: view.Filter.Assignee, Limit: pageSize(q, alertPageSize)}
		if f.Assignee == "me" {
			f.Assignee = emp.ID.String()
		}
		if c := q.Get("customer"); c != "" {
			id, err := uuid.Parse(c)
			if err != nil {
				s.fail(w, r, apperr.New(apperr.NotFound, "no such customer"))
				return
			}
			f.CustomerID, view.Filter.Customer = &id, id.String()
		}
		f.Offset, _ = strconv.Atoi(q.Get("offset"))
		f.Offset = max(f.Offset, 0)
		if view.Filter.Group && f.CustomerID == nil {
			groups, err := s.AML.AlertGroups(r.Context(), emp.TenantID, f)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			for _, g := range groups {
				href := "/alerts?" + url.Values{"customer": {g.CustomerID.String()}, "status": {view.Filter.Status}}.Encode()
				view.Groups = append(view.Groups, alerts.Group{CustomerID: g.CustomerID.String(), CustomerName: g.CustomerName, Alerts: g.Alerts,
					Unassigned: g.Unassigned, AnyHigh: g.AnyHigh, Oldest: g.Oldest, Href: href})
			}
		} else {
			view.Filter.Group = false
			page, err := s.AML.Alerts(r.Context(), emp.TenantID, f)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			for _, a := range page.Alerts {
				view.Rows = append(view.Rows, alerts.Row{ID: a.ID.String(), CustomerID: a.CustomerID.String(), CustomerName: a.CustomerName,
					Severity: a.Severity, Decision: string(a.Decision), Status: a.Status, Rules: strings.Join(a.Rules, ", "),
					Amount: money(a.Amount, a.Currency), Assignee: orDash(a.AssigneeName), Created: a.CreatedAt})
				if f.CustomerID != nil {
					view.Filter.CustomerName = a.CustomerName
				}
			}
			view.Pager = offsetPager(r.URL, page.Total, f.Offset, len(page.Alerts), f.Limit)
			view.Pager.Sizes = sizeLinks(r.URL, f.Limit, alertPageSize)
			view.Pager.ExportURL = exportURL(r.URL, "/alerts/export.csv", "group")
		}
		if view.CanManage {
			if view.Employees, err = s.alertAssignees(r, emp.TenantID, emp.ID); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		s.page(w, r, http.StatusOK, "Alerts", "alerts", alerts.QueuePage(view))
	})
}

func alertID(r *http.Request) (uuid.UUID, error) {
	return pathID(r, "id", "alert")
}

func (s *server) alertPage(w http.ResponseWriter, r *http.Request, status int, id uuid.UUID, errs map[string]string) {
	emp, _ := employeeFrom(r.Context())
	t, err := s.Tenants.Get(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.AML.Alert(r.Context(), emp.TenantID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// What people wrote about the alert, and the rules' values, may hold
	// the customer's values: shown as the one rule lets emp see them.
	mask, err := s.recordText(r.Context(), emp, "customer", a.CustomerID.String())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cp := strings.TrimSpace(strings.Join([]string{a.Counterparty.Name, a.Counterparty.Account, a.Counterparty.Country}, " · "))
	if strings.Trim(cp, " ·") == "" {
		cp = "none named"
	}
	view := alerts.Detail{ID: a.ID.String(), Severity: a.Severity, Decision: string(a.Decision), Status: a.Status, Score: a.Score, Open: a.IsOpen(),
		CustomerID: a.CustomerID.String(), CustomerName: a.CustomerName, CustomerRisk: a.CustomerRisk, CustomerStatus: a.CustomerStatus,
		TransactionRef: "Transaction " + a.TransactionRef, Type: a.Type, Direction: a.Direction, Channel: orDash(a.Channel),
		Amount: money(a.Amount, a.Currency), OccurredAt: a.OccurredAt, Counterparty: cp, Notes: maskAll(mask, a.Notes),
		Assignee: orDash(a.AssigneeName), Resolution: mask.Mask(a.Resolution), SARNarrative: mask.Mask(a.SARNarrative), Created: a.CreatedAt, Closed: a.ClosedAt,
		CanManage: emp.Can(staff.PermAlertsManage), CanAudit: emp.Can(staff.PermAuditRead), Errors: errs, Loc: t.Location(), Now: s.Now()}
	if view.Errors == nil {
		view.Errors = map[string]string{}
	}
	pv := piiView(emp)
	view.GoAML = a.Status == aml.AlertSARDrafted && view.CanManage && !slices.ContainsFunc(pii.Fields, func(f pii.Field) bool { return !pv.Full(f) })
	for _, h := range a.Hits {
		hv := alerts.HitView{Name: h.Name, Version: h.Version, Outcome: string(h.Outcome), Score: h.Score, Values: kvs(h.Values, a.Currency)}
		for i, kv := range hv.Values {
			hv.Values[i].Value = mask.Mask(kv.Value)
		}
		if h.RuleID != uuid.Nil {
			hv.RuleID = h.RuleID.String()
		}
		view.Hits = append(view.Hits, hv)
	}
	for _, c := range a.Comments {
		view.Comments = append(view.Comments, alerts.CommentView{Author: c.Author, Body: mask.Mask(c.Body), At: c.CreatedAt})
	}
	view.History = append(view.History, alerts.HistoryItem{Kind: "RAISED", Title: "Raised by " + strings.Join(a.Rules, ", "), At: a.CreatedAt})
	for _, e := range a.History {
		view.History = append(view.History, alerts.HistoryItem{Kind: e.Kind, Title: alertEventTitle(e.Kind, e.Body), Actor: e.Actor,
			Body: alertEventBody(mask, e.Kind, e.Body), Reason: e.ReasonLabel, At: e.At})
	}
	if a.Case != nil {
		view.CaseID = a.Case.ID.String()
		view.CaseLabel = fmt.Sprintf("Case #%d · %s", a.Case.Number, caseStatusWord(a.Case.Status))
	}
	view.CanOpenCase, view.CanReadCases = emp.Can(staff.PermCasesManage), emp.Can(staff.PermCasesRead)
	if view.CanManage && view.Open {
		reasons, err := s.AML.ClosingReasons(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, cr := range reasons {
			if cr.Active && !cr.SAR {
				view.Reasons = append(view.Reasons, alerts.Option{Value: cr.Code, Label: cr.Label})
			}
		}
	}
	for _, rel := range a.Related {
		view.Related = append(view.Related, alerts.Related{ID: rel.ID.String(), Status: rel.Status, Severity: rel.Severity, At: rel.CreatedAt})
	}
	if view.CanManage && view.Open {
		if view.Employees, err = s.alertAssignees(r, emp.TenantID, emp.ID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.page(w, r, status, "Alert", "alerts", alerts.DetailPage(view))
}

// maskAll is each of ss masked by t.
func maskAll(t *pii.Text, ss []string) []string {
	out := make([]string, len(ss))
	for i, v := range ss {
		out[i] = t.Mask(v)
	}
	return out
}

func (s *server) handleAlertShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := alertID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.alertPage(w, r, http.StatusOK, id, nil)
	})
}

// assignee reads an assign form's choice: "me", "none" or an employee id.
func assignee(v string, me uuid.UUID) (*uuid.UUID, error) {
	switch v {
	case "me", "":
		return &me, nil
	case "none":
		return nil, nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return nil, apperr.Validation(apperr.FieldError{Field: "assignee", Issue: "unknown employee"})
	}
	return &id, nil
}

func (s *server) handleAlertBulkAssign() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if !s.readForm(w, r) {
			return
		}
		var ids []uuid.UUID
		for _, v := range r.PostForm["id"] {
			if id, err := uuid.Parse(v); err == nil {
				ids = append(ids, id)
			}
		}
		to, err := assignee(r.PostForm.Get("assignee"), emp.ID)
		var n, skipped int
		if err == nil {
			n, skipped, err = s.AML.AssignAlerts(r.Context(), emp.TenantID, ids, to)
		}
		back := "/alerts"
		if ref, err := url.Parse(r.Referer()); err == nil && ref.Path == "/alerts" {
			back = ref.RequestURI()
		}
		switch {
		case err == nil && skipped > 0:
			s.flash(w, r, "success", fmt.Sprintf("Assigned %d alert(s); %d closed one(s) left as they were.", n, skipped))
		case err == nil:
			s.flash(w, r, "success", fmt.Sprintf("Assigned %d alert(s).", n))
		case apperr.CodeOf(err) == apperr.Invalid:
			e, _ := apperr.As(err)
			s.flash(w, r, "error", e.Fields[0].Issue)
		default:
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
	})
}

// alertAction runs an action on the alert of the route and goes back to
// it; field problems show next to the form's fields (prefix names them).
func (s *server) alertAction(prefix, done string, act func(r *http.Request, tenant, id uuid.UUID, me uuid.UUID) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := alertID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !s.readForm(w, r) {
			return
		}
		err = act(r, emp.TenantID, id, emp.ID)
		if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid {
			errs := map[string]string{}
			for _, f := range e.Fields {
				errs[prefix+f.Field] = f.Issue
			}
			s.alertPage(w, r, http.StatusUnprocessableEntity, id, errs)
			return
		}
		switch {
		case err == nil:
			s.flash(w, r, "success", done)
		case apperr.CodeOf(err) == apperr.Conflict:
			e, _ := apperr.As(err)
			s.flash(w, r, "error", e.Message)
		default:
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/alerts/"+id.String(), http.StatusSeeOther)
	})
}

func (s *server) handleAlertAssign() http.Handler {
	return s.alertAction("", "Assigned.", func(r *http.Request, tenant, id, me uuid.UUID) error {
		to, err := assignee(r.PostForm.Get("assignee"), me)
		if err != nil {
			return err
		}
		_, skipped, err := s.AML.AssignAlerts(r.Context(), tenant, []uuid.UUID{id}, to)
		if err == nil && skipped > 0 {
			return apperr.New(apperr.Conflict, "this alert is closed")
		}
		return err
	})
}

func (s *server) handleAlertComment() http.Handler {
	return s.alertAction("", "Comment added.", func(r *http.Request, tenant, id, _ uuid.UUID) error {
		_, err := s.AML.CommentAlert(r.Context(), tenant, id, r.PostForm.Get("body"))
		return err
	})
}

func (s *server) handleAlertEscalate() http.Handler {
	return s.alertAction("escalate.", "Escalated.", func(r *http.Request, tenant, id, _ uuid.UUID) error {
		_, err := s.AML.Escalate(r.Context(), tenant, id, r.PostForm.Get("reason"))
		return err
	})
}

func (s *server) handleAlertClose() http.Handler {
	return s.alertAction("close.", "Closed.", func(r *http.Request, tenant, id, _ uuid.UUID) error {
		code := r.PostForm.Get("reason_code")
		if _, sent := r.PostForm["reason_code"]; !sent {
			// A form of before closing reasons: a false positive.
			code = aml.ReasonFalsePositive
		}
		_, err := s.AML.CloseAlert(r.Context(), tenant, id, code, r.PostForm.Get("reason"))
		return err
	})
}

// alertEventTitle is what a line of an alert's history says happened.
func alertEventTitle(kind, body string) string {
	switch kind {
	case "ASSIGNED":
		return "Assigned to " + body
	case "UNASSIGNED":
		return "Unassigned"
	case "COMMENTED":
		return "Comment"
	case "ESCALATED":
		return "Escalated"
	case "CLOSED":
		return "Closed"
	case "SAR_DRAFTED":
		return "Suspicious-activity report drafted; closed"
	}
	return kind
}

// alertEventBody is the text under a line of an alert's history, masked
// as emp may see it; an assignment's text is in its title.
func alertEventBody(mask *pii.Text, kind, body string) string {
	if kind == "ASSIGNED" {
		return ""
	}
	return mask.Mask(body)
}

func (s *server) handleAlertSAR() http.Handler {
	return s.alertAction("", "Recorded the suspicious-activity report draft; the alert is closed.", func(r *http.Request, tenant, id, _ uuid.UUID) error {
		_, err := s.AML.RecordSAR(r.Context(), tenant, id, r.PostForm.Get("narrative"))
		return err
	})
}
