package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/report"
	"github.com/ciamhq/ciam/internal/staff"
	customersv "github.com/ciamhq/ciam/views/customers"
)

// subjectForm is the subject access request form as sent, with its
// problem.
type subjectForm struct {
	Reason, Error string
}

// subjectSection is the customer page's subject access section for emp.
func (s *server) subjectSection(ctx context.Context, emp staff.Employee, id uuid.UUID, form subjectForm) (*customersv.SubjectAccess, error) {
	out := &customersv.SubjectAccess{CustomerID: id.String(), Reason: form.Reason, Error: form.Error}
	exports, err := s.Reports.ExportsOf(ctx, emp.TenantID, id, 10)
	if err != nil {
		return nil, err
	}
	busy := false
	for _, e := range exports {
		out.Exports = append(out.Exports, subjectView(e, "", emp))
		busy = busy || !e.Finished()
	}
	pending, err := s.Approvals.PendingFor(ctx, emp.TenantID, "customer", []string{id.String()})
	if err != nil {
		return nil, err
	}
	for _, p := range pending[id.String()] {
		if p.Kind != report.KindSubjectAccess {
			continue
		}
		out.Pending = append(out.Pending, customersv.SubjectPending{URL: "/approvals/" + p.ID.String(), Maker: p.MakerName,
			Mine: p.MakerID == emp.ID.String(), Created: p.CreatedAt})
	}
	out.CanRequest = !busy && len(out.Pending) == 0
	return out, nil
}

func subjectView(e report.Export, name string, emp staff.Employee) customersv.SubjectExport {
	return customersv.SubjectExport{ID: e.ID.String(), CustomerID: e.CustomerID.String(), CustomerName: name, Status: e.Status,
		Percent: e.Percent(), Files: e.Files, Parts: e.Total, Done: e.Processed, Size: sizeText(e.Bytes), SHA256: e.SHA256, RequestedBy: e.RequestedBy,
		ApprovedBy: e.ApprovedBy, Reason: e.Reason, LastError: e.LastError, Created: e.CreatedAt, Expires: e.ExpiresAt, Finished: e.Finished(),
		CanDownload: e.Status == report.Done && report.MayHaveSubjectAccess(emp.AllRoles())}
}

// handleSubjectAccessRequest proposes a subject access export of the
// customer: nothing is made until a second employee approves it.
func (s *server) handleSubjectAccessRequest() http.Handler {
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
		reason := r.PostForm.Get("reason")
		_, err = s.Approvals.Propose(r.Context(), emp.TenantID, report.KindSubjectAccess, id.String(), "Subject access export of "+c.FullName(),
			report.NewSubjectRequest(r.Context(), reason), reason)
		errs := map[string]string{}
		switch {
		case fieldErrors(err, errs):
			d, derr := s.Customers.GetDetail(r.Context(), emp.TenantID, id)
			if derr != nil {
				s.fail(w, r, derr)
				return
			}
			s.customerPageWith(w, r, http.StatusUnprocessableEntity, d, false, customersv.StandingForm{}, customersv.LimitsForm{},
				subjectForm{Reason: reason, Error: errs["reason"]})
			return
		case apperr.CodeOf(err) == apperr.Conflict:
			e, _ := apperr.As(err)
			s.flash(w, r, "error", "Not requested: "+e.Message+".")
		case err != nil:
			s.fail(w, r, err)
			return
		default:
			s.flash(w, r, "success", "The subject access export of "+c.FullName()+" awaits a second employee's approval.")
		}
		s.seeOther(w, r, "/customers/"+id.String())
	})
}

// subjectExport is the export the path names, of the customer it names.
func (s *server) subjectExport(r *http.Request, emp staff.Employee) (report.Export, error) {
	cust, err := customerID(r)
	if err != nil {
		return report.Export{}, err
	}
	id, err := pathID(r, "export", "subject access export")
	if err != nil {
		return report.Export{}, err
	}
	e, err := s.Reports.Export(r.Context(), emp.TenantID, id)
	if err == nil && e.CustomerID != cust {
		err = apperr.New(apperr.NotFound, "no such subject access export")
	}
	return e, err
}

func (s *server) handleSubjectAccessShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		e, err := s.subjectExport(r, emp)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, err := s.Customers.Get(r.Context(), emp.TenantID, e.CustomerID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.page(w, r, http.StatusOK, "Subject access export", "customers",
			customersv.SubjectExportPage(subjectView(e, c.FullName(), emp), t.Location(), s.Now()))
	})
}

func (s *server) handleSubjectAccessDownload() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		e, err := s.subjectExport(r, emp)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		started := false
		err = s.Reports.DownloadExport(r.Context(), emp.TenantID, e.ID, emp.AllRoles(), func(e report.Export) io.Writer {
			started = true
			w.Header().Set("Content-Type", "application/zip")
			w.Header().Set("Content-Disposition", `attachment; filename="`+e.FileName()+`"`)
			w.Header().Set("Content-Length", strconv.FormatInt(e.Bytes, 10))
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			return w
		})
		if err != nil && !started {
			s.fail(w, r, err)
			return
		}
		if err != nil {
			s.Logger.ErrorContext(r.Context(), "subject access download broke off", slog.String("export", e.ID.String()), slog.Any("error", err))
		}
	})
}
