package web

import (
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/approval"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/views/approvals"
)

func approvalRow(r approval.Request, me string) approvals.Row {
	return approvals.Row{ID: r.ID.String(), Title: r.Title, Kind: r.Kind, Status: r.Status, Maker: r.MakerName,
		Checker: r.CheckerName, CreatedAt: r.CreatedAt, DecidedAt: r.DecidedAt, Mine: r.MakerID == me}
}

func (s *server) handleApprovalList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		q := r.URL.Query()
		status := "PENDING"
		if q.Has("status") {
			status = q.Get("status")
		}
		offset, _ := strconv.Atoi(q.Get("offset"))
		offset = max(offset, 0)
		const limit = 50
		page, err := s.Approvals.List(r.Context(), emp.TenantID, status, "", limit, offset)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		view := approvals.List{Status: status, Loc: t.Location(), Now: s.Now()}
		for _, req := range page.Requests {
			view.Rows = append(view.Rows, approvalRow(req, emp.ID.String()))
		}
		view.Pager = offsetPager(r.URL, page.Total, offset, len(page.Requests), limit)
		s.page(w, r, http.StatusOK, "Approvals", "approvals", approvals.ListPage(view))
	})
}

func (s *server) approvalPage(w http.ResponseWriter, r *http.Request, status int, id uuid.UUID, formErr string) {
	emp, _ := employeeFrom(r.Context())
	req, err := s.Approvals.Get(r.Context(), emp.TenantID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.Tenants.Get(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The diff as the one rule lets emp see the customer's values.
	mask, err := s.recordText(r.Context(), emp, req.TargetType, req.TargetID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rd, err := s.readableRequest(r.Context(), emp, req, t.Location(), mask)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := approvals.Detail{Row: approvalRow(req, emp.ID.String()), MakerReason: mask.Mask(req.MakerReason), DecisionReason: mask.Mask(req.DecisionReason),
		Fields: rd.Fields, TargetTitle: rd.TargetTitle, Target: rd.Target, TargetNote: rd.TargetNote, Shadow: rd.Shadow, ShadowNote: rd.ShadowNote,
		CanDecide: emp.Can(staff.PermApprovalsDo), Mine: req.MakerID == emp.ID.String(),
		Error: formErr, Loc: t.Location(), Now: s.Now()}
	s.page(w, r, status, req.Title, "approvals", approvals.DetailPage(d))
}

func (s *server) handleApprovalShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id", "change request")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.approvalPage(w, r, http.StatusOK, id, "")
	})
}

func (s *server) handleApprovalDecide() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := pathID(r, "id", "change request")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !s.readForm(w, r) {
			return
		}
		decision := approval.Decision(r.PostForm.Get("decision"))
		req, err := s.Approvals.Decide(r.Context(), emp.TenantID, id, decision, r.PostForm.Get("reason"))
		if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid && len(e.Fields) > 0 {
			s.approvalPage(w, r, http.StatusUnprocessableEntity, id, e.Fields[0].Issue)
			return
		}
		switch {
		case err == nil && decision == approval.Approve:
			s.flash(w, r, "success", "Approved and applied: "+req.Title+".")
		case err == nil:
			s.flash(w, r, "success", "Rejected: "+req.Title+". Nothing was changed.")
		case apperr.CodeOf(err) == apperr.Conflict || apperr.CodeOf(err) == apperr.Forbidden:
			e, _ := apperr.As(err)
			s.flash(w, r, "error", e.Message)
		default:
			s.fail(w, r, err)
			return
		}
		s.seeOther(w, r, "/approvals/"+id.String())
	})
}

func (s *server) handleApprovalCancel() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := pathID(r, "id", "change request")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if _, err := s.Approvals.Cancel(r.Context(), emp.TenantID, id); err != nil {
			if c := apperr.CodeOf(err); c != apperr.Conflict && c != apperr.Forbidden {
				s.fail(w, r, err)
				return
			}
			e, _ := apperr.As(err)
			s.flash(w, r, "error", e.Message)
		} else {
			s.flash(w, r, "success", "The change request was withdrawn.")
		}
		s.seeOther(w, r, "/approvals/"+id.String())
	})
}
