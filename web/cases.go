package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/cases"
	"github.com/ciamhq/ciam/internal/pii"
	"github.com/ciamhq/ciam/internal/staff"
	casesv "github.com/ciamhq/ciam/views/cases"
	"github.com/ciamhq/ciam/views/components"
)

const casePageSize = 50

// caseStatusWord is a case status as people read it.
func caseStatusWord(s string) string { return strings.ToLower(casesv.StatusLabel(s)) }

// caseOwners are the employees who may own a case, for the selects.
func (s *server) caseOwners(r *http.Request, tenant, me uuid.UUID) ([]casesv.Option, error) {
	emps, err := s.Staff.List(r.Context(), tenant)
	if err != nil {
		return nil, err
	}
	var out []casesv.Option
	for _, e := range emps {
		if e.ID != me && e.Status == staff.StatusActive && e.Can(staff.PermCasesManage) {
			out = append(out, casesv.Option{Value: e.ID.String(), Label: e.Name})
		}
	}
	return out, nil
}

func (s *server) handleCaseList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		q := r.URL.Query()
		view := casesv.List{Status: q.Get("status"), Owner: q.Get("owner"), Loc: t.Location(), Now: s.Now(),
			Statuses: []casesv.Option{{Value: "active", Label: "Open or investigating"}, {Value: cases.StatusOpen, Label: "Open"},
				{Value: cases.StatusInvestigating, Label: "Investigating"}, {Value: cases.StatusClosed, Label: "Closed"}, {Value: "all", Label: "All"}},
			Owners: []casesv.Option{{Value: "", Label: "Anyone"}, {Value: "me", Label: "Me"}, {Value: "none", Label: "Nobody"}}}
		if view.Status == "" {
			view.Status = "active"
		}
		others, err := s.caseOwners(r, emp.TenantID, emp.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		view.Owners = append(view.Owners, others...)
		f, err := caseListFilter(q, emp.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f.Limit = casePageSize
		if f.CustomerID != nil {
			view.Customer = f.CustomerID.String()
		}
		f.Offset, _ = strconv.Atoi(q.Get("offset"))
		f.Offset = max(f.Offset, 0)
		page, err := s.Cases.List(r.Context(), emp.TenantID, f)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		titles := s.caseTitles(piiView(emp), emp.TenantID)
		for _, c := range page.Cases {
			title, err := titles(r.Context(), c)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			view.Rows = append(view.Rows, casesv.Row{ID: c.ID.String(), Number: strconv.FormatInt(c.Number, 10), Title: title,
				CustomerID: c.CustomerID.String(), CustomerName: c.CustomerName, Status: c.Status, Owner: orDash(c.OwnerName),
				Alerts: c.Alerts, Hits: c.Hits, Created: c.CreatedAt})
			view.CustomerName = c.CustomerName
		}
		view.Pager = offsetPager(r.URL, page.Total, f.Offset, len(page.Cases), casePageSize)
		view.Pager.ExportURL = exportURL(r.URL, "/cases/export.csv")
		s.page(w, r, http.StatusOK, "Cases", "cases", casesv.ListPage(view))
	})
}

// caseListFilter is the case list's filter as its URL gives it: status
// "active" when none is asked for, owner "me" for the employee me.
func caseListFilter(q url.Values, me uuid.UUID) (cases.Filter, error) {
	f := cases.Filter{Status: q.Get("status"), Owner: q.Get("owner")}
	if f.Status == "" {
		f.Status = "active"
	}
	if f.Owner == "me" {
		f.Owner = me.String()
	}
	if c := q.Get("customer"); c != "" {
		id, err := uuid.Parse(c)
		if err != nil {
			return f, apperr.New(apperr.NotFound, "no such customer")
		}
		f.CustomerID = &id
	}
	return f, nil
}

// caseTitles masks cases' titles, free text people wrote about the
// customer, as the view seen shows the customer's values; it learns each
// customer once.
func (s *server) caseTitles(seen pii.View, tenant uuid.UUID) func(context.Context, cases.Case) (string, error) {
	masks := map[uuid.UUID]*pii.Text{}
	return func(ctx context.Context, c cases.Case) (string, error) {
		mask, ok := masks[c.CustomerID]
		if !ok {
			cust, err := s.Customers.Get(ctx, tenant, c.CustomerID)
			if err != nil && apperr.CodeOf(err) != apperr.NotFound {
				return "", err
			}
			mask = customerText(seen, cust)
			masks[c.CustomerID] = mask
		}
		return mask.Mask(c.Title), nil
	}
}

// handleCaseExport streams the case list as CSV with the list's columns.
// A case's title is free text people wrote about the customer: it is
// masked as the case's page masks what people wrote, per role.
func (s *server) handleCaseExport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		loc, err := s.tenantZone(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f, err := caseListFilter(r.URL.Query(), emp.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f.Limit = exportBatch
		seen := piiView(emp)
		s.exportCSV(w, r, "cases", []string{"Case", "Customer", "Status", "Owner", "Alerts", "Hits", "Opened"}, s.handleCaseList(),
			func(ctx context.Context) ([][]string, bool, error) {
				page, err := s.Cases.List(ctx, emp.TenantID, f)
				if err != nil {
					return nil, false, err
				}
				titles := s.caseTitles(seen, emp.TenantID)
				rows := make([][]string, 0, len(page.Cases))
				for _, c := range page.Cases {
					title, err := titles(ctx, c)
					if err != nil {
						return nil, false, err
					}
					rows = append(rows, []string{"#" + strconv.FormatInt(c.Number, 10) + " " + title, c.CustomerName,
						casesv.StatusLabel(c.Status), orDash(c.OwnerName), strconv.FormatInt(c.Alerts, 10), strconv.FormatInt(c.Hits, 10),
						exportTime(c.CreatedAt, loc)})
				}
				f.Offset += len(page.Cases)
				return rows, len(page.Cases) == f.Limit && int64(f.Offset) < page.Total, nil
			})
	})
}

// handleCaseCreate opens a case from an alert (field alert) or for a
// customer (field customer) and goes to it.
func (s *server) handleCaseCreate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if !s.readForm(w, r) {
			return
		}
		var p cases.CreateParams
		back := "/cases"
		if v := r.PostForm.Get("alert"); v != "" {
			id, err := uuid.Parse(v)
			if err != nil {
				s.fail(w, r, apperr.New(apperr.NotFound, "no such alert"))
				return
			}
			p.AlertID, back = &id, "/alerts/"+id.String()
		} else if v := r.PostForm.Get("customer"); v != "" {
			id, err := uuid.Parse(v)
			if err != nil {
				s.fail(w, r, apperr.Validation(apperr.FieldError{Field: "customer", Issue: "is not a customer of this organisation"}))
				return
			}
			p.CustomerID = &id
		}
		p.Title = r.PostForm.Get("title")
		c, err := s.Cases.Create(r.Context(), emp.TenantID, p)
		switch e, _ := apperr.As(err); {
		case err == nil:
			s.flash(w, r, "success", fmt.Sprintf("Opened case #%d with %d alert(s) and %d screening hit(s).", c.Number, c.Alerts, c.Hits))
			http.Redirect(w, r, "/cases/"+c.ID.String(), http.StatusSeeOther)
		case e != nil && (e.Code == apperr.Conflict || (e.Code == apperr.Invalid && back != "/cases")):
			msg := e.Message
			if e.Code == apperr.Invalid && len(e.Fields) > 0 {
				msg = e.Fields[0].Field + " " + e.Fields[0].Issue
			}
			s.flash(w, r, "error", msg)
			http.Redirect(w, r, back, http.StatusSeeOther)
		default:
			s.fail(w, r, err)
		}
	})
}

func caseID(r *http.Request) (uuid.UUID, error) { return pathID(r, "id", "case") }

// caseEventTitle is what a line of a case's timeline says happened.
func caseEventTitle(e cases.Event) string {
	switch e.Kind {
	case "CREATED":
		return "Case opened"
	case "ALERT_ADDED":
		return "Alert added to the case"
	case "HIT_ADDED":
		return "Screening hit added to the case"
	case "ASSIGNED":
		return "Owner: " + e.Body
	case "UNASSIGNED":
		return "No owner any more"
	case "STATUS_CHANGED":
		return "Status: " + casesv.StatusLabel(e.Body)
	case "COMMENTED":
		return "Comment"
	case "ATTACHMENT_ADDED":
		return "File added: " + e.Body
	case "CLOSED":
		return "Case closed"
	case "ALERT_RAISED":
		return "Alert raised by " + e.Body
	case "HIT_RAISED":
		return "Screening hit on " + e.Body
	case "HIT_CONFIRMED":
		return "Screening hit confirmed"
	case "HIT_DISMISSED":
		return "Screening hit dismissed"
	}
	if k, ok := strings.CutPrefix(e.Kind, "ALERT_"); ok {
		return "Alert: " + strings.ToLower(alertEventTitle(k, e.Body))
	}
	return e.Kind
}

// caseEventBody is the text under a timeline line, masked by mask; the
// lines whose text is their title have none.
func caseEventBody(mask *pii.Text, e cases.Event) string {
	switch e.Kind {
	case "ASSIGNED", "STATUS_CHANGED", "ATTACHMENT_ADDED", "ALERT_RAISED", "HIT_RAISED", "ALERT_ASSIGNED":
		return ""
	}
	return mask.Mask(e.Body)
}

func (s *server) casePage(w http.ResponseWriter, r *http.Request, status int, id uuid.UUID, errs map[string]string) {
	emp, _ := employeeFrom(r.Context())
	t, err := s.Tenants.Get(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	k, err := s.Cases.Get(r.Context(), emp.TenantID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cust, err := s.Customers.Get(r.Context(), emp.TenantID, k.CustomerID)
	if err != nil && apperr.CodeOf(err) != apperr.NotFound {
		s.fail(w, r, err)
		return
	}
	// The customer's values, and what people wrote about them, as the one
	// rule lets emp see them.
	v := piiView(emp)
	mask := customerText(v, cust)
	view := casesv.Detail{ID: k.ID.String(), Number: strconv.FormatInt(k.Number, 10), Title: k.Title, Status: k.Status, Open: k.IsOpen(),
		Owner: orDash(k.OwnerName), CloseReason: k.CloseReason, CustomerID: k.CustomerID.String(), CustomerName: k.CustomerName,
		CustomerEmail: v.Show(pii.Email, cust.Email), CustomerPhone: v.Show(pii.Phone, cust.PhoneNumber), CustomerRisk: k.CustomerRisk,
		CustomerStatus: k.CustomerStatus, CanManage: emp.Can(staff.PermCasesManage), CanAudit: emp.Can(staff.PermAuditRead),
		MaxUploadMB: cases.MaxAttachmentBytes >> 20, Errors: errs, Loc: t.Location(), Now: s.Now()}
	if view.Errors == nil {
		view.Errors = map[string]string{}
	}
	for _, a := range k.AlertItems {
		view.Alerts = append(view.Alerts, casesv.AlertItem{ID: a.ID.String(), Severity: a.Severity, Status: a.Status, Rules: strings.Join(a.Rules, ", "),
			Amount: money(a.Amount, a.Currency), Assignee: orDash(a.Assignee), At: a.CreatedAt})
	}
	for _, h := range k.HitItems {
		view.Hits = append(view.Hits, casesv.HitItem{ID: h.ID.String(), Entry: h.EntryName, List: h.SourceID,
			Score: strconv.FormatFloat(h.Score, 'f', 2, 64), Status: h.Status, At: h.CreatedAt})
	}
	for _, a := range k.Attachments {
		view.Attachments = append(view.Attachments, casesv.AttachmentItem{ID: a.ID.String(), FileName: a.FileName, Size: byteSize(a.Size),
			UploadedBy: a.UploadedBy, At: a.CreatedAt})
	}
	for _, e := range k.Timeline {
		item := casesv.Event{Kind: e.Kind, Title: caseEventTitle(e), Actor: e.Actor, Body: caseEventBody(mask, e), Reason: e.ReasonLabel, At: e.At}
		switch {
		case e.AttachmentID != nil:
			item.Href = "/cases/" + k.ID.String() + "/attachments/" + e.AttachmentID.String()
		case e.AlertID != nil:
			item.Href = "/alerts/" + e.AlertID.String()
		case e.HitID != nil:
			item.Href = "/screening/hits/" + e.HitID.String()
		}
		view.Timeline = append(view.Timeline, item)
	}
	days, err := s.Cases.TransactionsPerDay(r.Context(), emp.TenantID, k.CustomerID, t.Location(), s.Now(), 30)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var total int64
	view.Chart = components.BarChart{ID: "case-transactions", Title: "The customer's transactions per day, last 30 days"}
	for _, d := range days {
		total += d.N
		view.Chart.Bars = append(view.Chart.Bars, components.Bar{Label: d.Day.Format("2"), Title: d.Day.Format("2 Jan 2006"), Value: d.N})
	}
	view.Chart.Summary = fmt.Sprintf("In the last 30 days %s transactions of the customer were screened.", components.Count(total))
	if view.CanManage && view.Open {
		if view.Employees, err = s.caseOwners(r, emp.TenantID, emp.ID); err != nil {
			s.fail(w, r, err)
			return
		}
		reasons, err := s.AML.ClosingReasons(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, cr := range reasons {
			if cr.Active {
				view.Reasons = append(view.Reasons, casesv.Option{Value: cr.Code, Label: cr.Label})
			}
		}
	}
	s.page(w, r, status, "Case #"+view.Number, "cases", casesv.DetailPage(view))
}

// byteSize is a file size as people read it.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func (s *server) handleCaseShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := caseID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.casePage(w, r, http.StatusOK, id, nil)
	})
}

// caseAnswer answers a case action: field problems next to the form's
// fields (422), a conflict as a flash, success as a flash; both go back to
// the case.
func (s *server) caseAnswer(w http.ResponseWriter, r *http.Request, id uuid.UUID, err error, done string) {
	if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid {
		errs := map[string]string{}
		fieldErrors(err, errs)
		s.casePage(w, r, http.StatusUnprocessableEntity, id, errs)
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
	http.Redirect(w, r, "/cases/"+id.String(), http.StatusSeeOther)
}

// caseAction runs act on the case of the route with its form read.
func (s *server) caseAction(done string, act func(r *http.Request, emp staff.Employee, id uuid.UUID) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := caseID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !s.readForm(w, r) {
			return
		}
		s.caseAnswer(w, r, id, act(r, emp, id), done)
	})
}

func (s *server) handleCaseAssign() http.Handler {
	return s.caseAction("Owner changed.", func(r *http.Request, emp staff.Employee, id uuid.UUID) error {
		to, err := assignee(r.PostForm.Get("owner"), emp.ID)
		if err != nil {
			return apperr.Validation(apperr.FieldError{Field: "owner", Issue: "is not an employee of this organisation"})
		}
		_, err = s.Cases.Assign(r.Context(), emp.TenantID, id, to)
		return err
	})
}

func (s *server) handleCaseStatus() http.Handler {
	return s.caseAction("Status changed.", func(r *http.Request, emp staff.Employee, id uuid.UUID) error {
		_, err := s.Cases.SetStatus(r.Context(), emp.TenantID, id, r.PostForm.Get("status"))
		return err
	})
}

func (s *server) handleCaseComment() http.Handler {
	return s.caseAction("Comment added.", func(r *http.Request, emp staff.Employee, id uuid.UUID) error {
		return s.Cases.Comment(r.Context(), emp.TenantID, id, r.PostForm.Get("body"))
	})
}

func (s *server) handleCaseClose() http.Handler {
	return s.caseAction("Case closed.", func(r *http.Request, emp staff.Employee, id uuid.UUID) error {
		_, err := s.Cases.Close(r.Context(), emp.TenantID, id, r.PostForm.Get("reason_code"), r.PostForm.Get("note"))
		return err
	})
}

// maxCaseUpload is the largest request an attachment upload may be: the
// file and the form around it.
const maxCaseUpload = cases.MaxAttachmentBytes + 64<<10

func (s *server) handleCaseAttach() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := caseID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		tooLarge := apperr.Validation(apperr.FieldError{Field: "file", Issue: fmt.Sprintf("is larger than %d MB", cases.MaxAttachmentBytes>>20)})
		r.Body = http.MaxBytesReader(w, r.Body, maxCaseUpload)
		mr, err := r.MultipartReader()
		if err != nil {
			s.caseAnswer(w, r, id, apperr.Validation(apperr.FieldError{Field: "file", Issue: "is required: choose a file to add"}), "")
			return
		}
		// The file is read whole (at most the limit) to know its size and
		// type, then sealed a chunk at a time.
		for {
			part, err := mr.NextPart()
			var tooBig *http.MaxBytesError
			switch {
			case errors.Is(err, io.EOF):
				s.caseAnswer(w, r, id, apperr.Validation(apperr.FieldError{Field: "file", Issue: "is required: choose a file to add"}), "")
				return
			case errors.As(err, &tooBig):
				s.caseAnswer(w, r, id, tooLarge, "")
				return
			case err != nil:
				s.fail(w, r, apperr.New(apperr.Malformed, "the form could not be read"))
				return
			}
			if part.FormName() != "file" {
				continue
			}
			name := part.FileName()
			buf, err := io.ReadAll(io.LimitReader(part, cases.MaxAttachmentBytes+1))
			if errors.As(err, &tooBig) || int64(len(buf)) > cases.MaxAttachmentBytes {
				s.caseAnswer(w, r, id, tooLarge, "")
				return
			}
			if err != nil {
				s.fail(w, r, apperr.New(apperr.Malformed, "the file could not be read"))
				return
			}
			typ := http.DetectContentType(buf)
			if mt, _, err := mime.ParseMediaType(typ); err == nil {
				typ = mt
			}
			_, err = s.Cases.Attach(r.Context(), emp.TenantID, id, cases.Upload{FileName: name, MIME: typ, Size: int64(len(buf)),
				Content: bytes.NewReader(buf)})
			s.caseAnswer(w, r, id, err, "File added.")
			return
		}
	})
}

// handleCaseAttachment sends an attachment as a download, never shown in
// the portal's origin: its content is whatever was uploaded.
func (s *server) handleCaseAttachment() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := caseID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		att, err := pathID(r, "attachment", "attachment")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var buf bytes.Buffer
		a, err := s.Cases.OpenAttachment(r.Context(), emp.TenantID, id, att, &buf)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		disposition := mime.FormatMediaType("attachment", map[string]string{"filename": a.FileName})
		if disposition == "" {
			disposition = "attachment"
		}
		w.Header().Set("Content-Disposition", disposition)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "private, no-store")
		_, _ = buf.WriteTo(w)
	})
}

func (s *server) closingReasonsPage(w http.ResponseWriter, r *http.Request, status int, form casesv.Reasons) {
	emp, _ := employeeFrom(r.Context())
	reasons, err := s.AML.ClosingReasons(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, cr := range reasons {
		form.Reasons = append(form.Reasons, casesv.Reason{Code: cr.Code, Label: cr.Label, SAR: cr.SAR, Active: cr.Active})
	}
	form.CanEdit = emp.Can(staff.PermConfigEdit)
	if form.Errors == nil {
		form.Errors = map[string]string{}
	}
	s.page(w, r, status, "Closing reasons", "closing-reasons", casesv.ReasonsPage(form))
}

func (s *server) handleClosingReasons() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.closingReasonsPage(w, r, http.StatusOK, casesv.Reasons{})
	})
}

func (s *server) handleClosingReasonAdd() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if !s.readForm(w, r) {
			return
		}
		form := casesv.Reasons{Label: r.PostForm.Get("label"), SAR: r.PostForm.Get("sar") == "on", Errors: map[string]string{}}
		_, err := s.AML.AddClosingReason(r.Context(), emp.TenantID, form.Label, form.SAR)
		if fieldErrors(err, form.Errors) {
			s.closingReasonsPage(w, r, http.StatusUnprocessableEntity, form)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "Closing reason added.")
		http.Redirect(w, r, "/config/closing-reasons", http.StatusSeeOther)
	})
}

func (s *server) handleClosingReasonStatus() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if !s.readForm(w, r) {
			return
		}
		err := s.AML.SetClosingReasonActive(r.Context(), emp.TenantID, r.PathValue("code"), r.PostForm.Get("active") == "true")
		form := casesv.Reasons{Errors: map[string]string{}}
		if fieldErrors(err, form.Errors) {
			s.closingReasonsPage(w, r, http.StatusUnprocessableEntity, form)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "Closing reason changed.")
		http.Redirect(w, r, "/config/closing-reasons", http.StatusSeeOther)
	})
}
