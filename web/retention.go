package web

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/retention"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/views/components"
	customersv "github.com/ciamhq/ciam/views/customers"
	retentionv "github.com/ciamhq/ciam/views/retention"
	"github.com/ciamhq/ciam/views/settings"
)

// legalHoldView is the 360 page's legal hold section for customer.
func (s *server) legalHoldView(ctx context.Context, emp staff.Employee, customer uuid.UUID, form ...customersv.LegalHold) (customersv.LegalHold, error) {
	var v customersv.LegalHold
	if len(form) > 0 {
		v = form[0]
	}
	holds, err := s.Retention.Holds(ctx, emp.TenantID, customer)
	if err != nil {
		return v, err
	}
	v.Reasons = holds.Hold.Reasons()
	v.Past = nil
	for _, h := range holds.Holds {
		e := customersv.HoldEntry{Reason: h.Reason, SetBy: h.SetByName, SetAt: h.SetAt, ReleasedBy: h.ReleasedByName, ReleasedReason: h.ReleasedReason}
		if h.Open() {
			v.Open = &e
			continue
		}
		e.ReleasedAt = *h.ReleasedAt
		v.Past = append(v.Past, e)
	}
	v.CanManage = s.mayOpen(emp, "POST /customers/{id}/legal-hold")
	return v, nil
}

func (s *server) handleLegalHoldSet() http.Handler {
	return s.legalHoldChange(true)
}

func (s *server) handleLegalHoldRelease() http.Handler {
	return s.legalHoldChange(false)
}

// legalHoldChange sets or releases a customer's legal hold, with a
// reason; a missing reason comes back on the page, next to the field.
func (s *server) legalHoldChange(set bool) http.Handler {
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
		if set {
			_, err = s.Retention.SetHold(r.Context(), emp.TenantID, id, reason, s.Now())
		} else {
			_, err = s.Retention.ReleaseHold(r.Context(), emp.TenantID, id, reason, s.Now())
		}
		errs := map[string]string{}
		if fieldErrors(err, errs) {
			d, derr := s.Customers.GetDetail(r.Context(), emp.TenantID, id)
			if derr != nil {
				s.fail(w, r, derr)
				return
			}
			s.customerPage(w, r, http.StatusUnprocessableEntity, d, false, customersv.StandingForm{}, customersv.LimitsForm{},
				customersv.LegalHold{Error: errs["reason"], Reason: reason})
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if set {
			s.flash(w, r, "success", "The customer is on legal hold: nothing of theirs is erased or deleted until it is released.")
		} else {
			s.flash(w, r, "success", "The legal hold is released.")
		}
		s.seeOtherIn(w, r, "/customers/"+id.String(), "#customer-360")
	})
}

// previewPageSize is how many customers and documents a preview page lists.
const previewPageSize = 50

// handleRetentionPreview shows what the next retention run would delete
// if it ran now, and what it keeps because of a hold.
func (s *server) handleRetentionPreview() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		page := 1
		if v := r.URL.Query().Get("page"); v != "" {
			if page, err = strconv.Atoi(v); err != nil || page < 1 {
				s.fail(w, r, apperr.Validation(apperr.FieldError{Field: "page", Issue: "must be a whole number from 1"}))
				return
			}
		}
		now := s.Now()
		plan, err := s.Retention.Preview(r.Context(), emp.TenantID, now)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		st, err := s.Retention.Settings(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		counts := plan.Counts()
		v := retentionv.Preview{DocumentDays: st.DocumentDays, ClosedCustomerDays: st.ClosedCustomerDays,
			CustomersDue: counts.CustomersDue, CustomersHeld: counts.CustomersHeld, DocumentsDue: counts.DocumentsDue, DocumentsHeld: counts.DocumentsHeld,
			TransactionsDue: counts.TransactionsDue, TransactionsHeld: counts.TransactionsHeld,
			Page: page, PageSize: previewPageSize, CustomerTotal: len(plan.Customers), DocumentTotal: len(plan.Documents), Loc: t.Location(), Now: now}
		for _, c := range slices.Sorted(maps.Keys(plan.Periods)) {
			pr := plan.Periods[c]
			v.Rules = append(v.Rules, retentionv.Rule{Country: c, DocumentDays: pr.DocumentDays, ClosedCustomerDays: pr.ClosedCustomerDays,
				DocumentsAfterClosing: pr.DocumentsAfterClosing, TransactionDays: pr.TransactionDays, TransactionsAfterClosing: pr.TransactionsAfterClosing,
				Source: pr.Source})
		}
		from, to := (page-1)*previewPageSize, page*previewPageSize
		for _, c := range window(plan.Customers, from, to) {
			v.Customers = append(v.Customers, retentionv.Customer{ID: c.ID.String(), Name: c.Name, Href: "/customers/" + c.ID.String(),
				ClosedAt: c.ClosedAt, Holds: c.Hold.Reasons()})
		}
		for _, d := range window(plan.Documents, from, to) {
			v.Documents = append(v.Documents, retentionv.Document{ID: d.ID.String(), Type: d.Type, Customer: d.Customer,
				CustomerHref: "/customers/" + d.CustomerID.String(), UploadedAt: d.UploadedAt, Holds: d.Hold.Reasons()})
		}
		if page > 1 {
			v.PrevURL = "/retention?" + url.Values{"page": {strconv.Itoa(page - 1)}}.Encode()
		}
		if to < len(plan.Customers) || to < len(plan.Documents) {
			v.NextURL = "/retention?" + url.Values{"page": {strconv.Itoa(page + 1)}}.Encode()
		}
		s.page(w, r, http.StatusOK, "Retention", "retention", retentionv.PreviewPage(v))
	})
}

func window[T any](xs []T, from, to int) []T {
	if from >= len(xs) {
		return nil
	}
	return xs[from:min(to, len(xs))]
}

// retentionSection is the retention periods' part of the preferences page.
func (s *server) retentionSection(r *http.Request, emp staff.Employee, form retentionv.Settings) templ.Component {
	if form.Values == nil {
		st, err := s.Retention.Settings(r.Context(), emp.TenantID)
		if err != nil {
			s.Logger.ErrorContext(r.Context(), "retention settings", "error", err)
			return components.Empty("Retention periods could not be read", "Reload the page.")
		}
		form.Values = map[string]string{"documentDays": strconv.Itoa(st.DocumentDays), "closedCustomerDays": strconv.Itoa(st.ClosedCustomerDays)}
	}
	if form.Errors == nil {
		form.Errors = map[string]string{}
	}
	form.CanEdit = emp.Can(staff.PermConfigEdit)
	if s.mayOpen(emp, "GET /retention") {
		form.PreviewURL = "/retention"
	}
	if pending, err := s.Approvals.PendingFor(r.Context(), emp.TenantID, "tenant", []string{emp.TenantID.String()}); err == nil {
		for _, req := range pending[emp.TenantID.String()] {
			if req.Kind == retention.KindSettings {
				form.PendingTitle = req.Title
			}
		}
	}
	return retentionv.SettingsSection(form)
}

// handleRetentionSettingsPropose asks for new retention periods:
// four-eyes, as a shorter period deletes data at the next run.
func (s *server) handleRetentionSettingsPropose() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if !s.readForm(w, r) {
			return
		}
		f := r.PostForm
		errs := map[string]string{}
		st := retention.Settings{DocumentDays: formInt(f, errs, "documentDays"), ClosedCustomerDays: formInt(f, errs, "closedCustomerDays")}
		reason := strings.TrimSpace(f.Get("reason"))
		if reason == "" {
			errs["reason"] = "is required: say why, for the approver"
		}
		var err error
		if len(errs) == 0 {
			_, err = s.Approvals.Propose(r.Context(), emp.TenantID, retention.KindSettings, emp.TenantID.String(),
				"Change the retention periods", st, reason)
		}
		if len(errs) > 0 || fieldErrors(err, errs) {
			p, perr := s.Preferences.Get(r.Context(), emp.TenantID)
			if perr != nil {
				s.fail(w, r, perr)
				return
			}
			form := prefsForm(p)
			form.CanEdit = emp.Can(staff.PermConfigEdit)
			section := s.retentionSection(r, emp, retentionv.Settings{Errors: errs, Values: map[string]string{
				"documentDays": strings.TrimSpace(f.Get("documentDays")), "closedCustomerDays": strings.TrimSpace(f.Get("closedCustomerDays")), "reason": reason}})
			s.page(w, r, http.StatusUnprocessableEntity, "Organisation preferences", "preferences", templ.Join(settings.PreferencesPage(form), section))
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "The new retention periods await a second employee's approval.")
		s.seeOther(w, r, "/config/preferences")
	})
}
