package web

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/catalog"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/kyc"
	"github.com/ciamhq/ciam/internal/pii"
	"github.com/ciamhq/ciam/internal/screening"
	feesv "github.com/ciamhq/ciam/views/fees"
	screeningv "github.com/ciamhq/ciam/views/screening"
)

// exportBatch is how many rows an export reads at a time: each batch is
// written and flushed to the client before the next is read, so an export
// of any size holds one batch in memory.
const exportBatch = 200

// exportBatchFunc reads the next batch of an export's rows, already as
// the cells the list shows; more is false after the last batch.
type exportBatchFunc func(ctx context.Context) (rows [][]string, more bool, err error)

// csvCell neutralises a cell a spreadsheet would run as a formula (one
// starting with =, +, -, @, a tab or a carriage return) with a leading
// apostrophe, as OWASP advises for CSV injection.
func csvCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// exportFilter is what an export's URL asked for, for its audit record.
func exportFilter(q url.Values) map[string]string {
	out := map[string]string{}
	for k, vs := range q {
		if k != "offset" && k != "size" && len(vs) > 0 {
			out[k] = vs[0]
		}
	}
	return out
}

// exportCSV streams a list as CSV: the header, then each batch written and
// flushed as it is read. The first batch is read before anything is
// written, so a filter that is not understood answers the list's page with
// the problem next to its field (list), not half a file. The export is audited once it ends (or the client leaves) with
// the list, the filter and the number of rows that left.
func (s *server) exportCSV(w http.ResponseWriter, r *http.Request, list string, header []string, listPage http.Handler, next exportBatchFunc) {
	emp, _ := employeeFrom(r.Context())
	rows, more, err := next(r.Context())
	if apperr.CodeOf(err) == apperr.Invalid {
		listPage.ServeHTTP(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.csv"`, list, s.Now().Format("2006-01-02")))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	cw := csv.NewWriter(w)
	var n int64
	write := func(cells []string) error {
		for i, c := range cells {
			cells[i] = csvCell(c)
		}
		return cw.Write(cells)
	}
	flush := func() error {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		return nil
	}
	err = write(slices.Clone(header))
	for err == nil {
		for _, row := range rows {
			if err = write(row); err != nil {
				break
			}
			n++
		}
		if err == nil {
			err = flush()
		}
		if err != nil || !more {
			break
		}
		rows, more, err = next(r.Context())
	}
	complete := err == nil
	if err != nil {
		// The status is sent: the file ends short, and the log says why.
		s.Logger.ErrorContext(r.Context(), "export: stopped", "list", list, "rows", n, "err", err)
	}
	ctx := context.WithoutCancel(r.Context())
	if aerr := s.Audit.Record(ctx, audit.Entry{TenantID: emp.TenantID, Action: "export.csv", EntityType: "export", EntityID: list,
		After: map[string]any{"list": list, "filter": exportFilter(r.URL.Query()), "rows": n, "complete": complete}}); aerr != nil {
		s.Logger.ErrorContext(ctx, "export: audit", "list", list, "rows", n, "err", aerr)
	}
}

// exportTime is a time as the exports write it: in the tenant's zone.
func exportTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

func (s *server) tenantZone(r *http.Request) (*time.Location, error) {
	emp, _ := employeeFrom(r.Context())
	t, err := s.Tenants.Get(r.Context(), emp.TenantID)
	if err != nil {
		return nil, err
	}
	return t.Location(), nil
}

// customerSearchFilter is the customer list's filter as its URL gives it.
func customerSearchFilter(q url.Values) customer.SearchFilter {
	f := customer.SearchFilter{Query: strings.TrimSpace(q.Get("q")), Status: q.Get("status"), RiskLevel: q.Get("risk"),
		Permission: q.Get("permission"), Sort: q.Get("sort")}
	if f.Sort == "" {
		f.Sort = customer.SortNewest
	}
	return f
}

func (s *server) handleCustomerExport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		loc, err := s.tenantZone(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f := customerSearchFilter(r.URL.Query())
		f.Limit = exportBatch
		seen := piiView(emp)
		done := false
		s.exportCSV(w, r, "customers", []string{"Name", "E-mail", "Country", "Risk", "Status", "Permission", "Created"}, s.handleCustomerSearch(),
			func(ctx context.Context) ([][]string, bool, error) {
				if done {
					return nil, false, nil
				}
				res, err := s.Customers.Search(ctx, emp.TenantID, f)
				if err != nil {
					return nil, false, err
				}
				rows := make([][]string, 0, len(res.Customers))
				for _, c := range res.Customers {
					rows = append(rows, []string{c.FullName(), seen.Show(pii.Email, c.Email), c.Nationality, c.RiskLevel, c.Status,
						c.Permission, exportTime(c.CreatedAt, loc)})
				}
				f.After, done = res.Next, res.Next == uuid.Nil
				return rows, !done, nil
			})
	})
}

// reviewQueueFilter is the review queue's filter as its URL gives it.
func reviewQueueFilter(q url.Values, me uuid.UUID) kyc.QueueFilter {
	return kyc.QueueFilter{Risk: q.Get("risk"), Reason: q.Get("reason"), Age: q.Get("age"), Assignee: q.Get("assignee"), Me: me}
}

func (s *server) handleReviewExport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		loc, err := s.tenantZone(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f := reviewQueueFilter(r.URL.Query(), emp.ID)
		f.Limit = exportBatch
		seen := piiView(emp)
		s.exportCSV(w, r, "reviews", []string{"Customer", "E-mail", "Nationality", "Risk", "Reasons", "Waiting since", "Assignee"}, s.handleReviewList(),
			func(ctx context.Context) ([][]string, bool, error) {
				page, err := s.KYC.Queue(ctx, emp.TenantID, f)
				if err != nil {
					return nil, false, err
				}
				rows := make([][]string, 0, len(page.Items))
				for _, it := range page.Items {
					rows = append(rows, []string{it.CustomerName, seen.Show(pii.Email, it.Email), it.Nationality, it.RiskLevel,
						strings.Join(it.Reasons, "; "), exportTime(it.QueuedAt, loc), it.AssigneeName})
				}
				f.Offset += len(page.Items)
				return rows, len(page.Items) == f.Limit && int64(f.Offset) < page.Matching, nil
			})
	})
}

// alertQueueFilter is the alert queue's filter as its URL gives it.
func alertQueueFilter(q url.Values, me uuid.UUID) (aml.AlertFilter, error) {
	f := aml.AlertFilter{Status: q.Get("status"), Severity: q.Get("severity"), Assignee: q.Get("assignee")}
	if f.Status == "" {
		f.Status = "open"
	}
	if f.Assignee == "me" {
		f.Assignee = me.String()
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

func (s *server) handleAlertExport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		loc, err := s.tenantZone(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f, err := alertQueueFilter(r.URL.Query(), emp.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f.Limit = exportBatch
		s.exportCSV(w, r, "alerts", []string{"Severity", "Customer", "Rules", "Amount", "Status", "Assigned to", "Raised"}, s.handleAlertQueue(),
			func(ctx context.Context) ([][]string, bool, error) {
				page, err := s.AML.Alerts(ctx, emp.TenantID, f)
				if err != nil {
					return nil, false, err
				}
				rows := make([][]string, 0, len(page.Alerts))
				for _, a := range page.Alerts {
					rows = append(rows, []string{a.Severity, a.CustomerName, strings.Join(a.Rules, ", "), money(a.Amount, a.Currency),
						a.Status, a.AssigneeName, exportTime(a.CreatedAt, loc)})
				}
				f.Offset += len(page.Alerts)
				return rows, len(page.Alerts) == f.Limit && int64(f.Offset) < page.Total, nil
			})
	})
}

// hitQueueFilter is the hits queue's filter as its URL gives it.
func hitQueueFilter(q url.Values) screening.QueueFilter {
	status := "OPEN"
	if q.Has("status") {
		status = strings.ToUpper(strings.TrimSpace(q.Get("status")))
	}
	f := screening.QueueFilter{Status: screening.HitStatus(status), Source: strings.TrimSpace(q.Get("source"))}
	if v := strings.TrimSpace(q.Get("minScore")); v != "" {
		var err error
		if f.MinScore, err = strconv.ParseFloat(v, 64); err != nil {
			f.MinScore = -1 // refused by the queue, naming the field
		}
	}
	return f
}

func (s *server) handleScreeningHitExport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		loc, err := s.tenantZone(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f := hitQueueFilter(r.URL.Query())
		f.Limit = exportBatch
		s.exportCSV(w, r, "screening-hits", []string{"Customer", "List entry", "List", "Entry id", "Score", "Match", "Status", "Raised"}, s.handleScreeningHits(),
			func(ctx context.Context) ([][]string, bool, error) {
				page, err := s.Screening.HitQueue(ctx, emp.TenantID, f)
				if err != nil {
					return nil, false, err
				}
				rows := make([][]string, 0, len(page.Hits))
				for _, h := range page.Hits {
					rows = append(rows, []string{h.SubjectName, h.EntryName, h.Source, h.EntryID, screeningv.Score(h.Score),
						string(h.MatchStatus), string(h.Status), exportTime(h.CreatedAt, loc)})
				}
				f.Offset += len(page.Hits)
				return rows, len(page.Hits) == f.Limit && int64(f.Offset) < page.Total, nil
			})
	})
}

// auditListFilter is the audit list's filter as its URL gives it, in the
// tenant's zone; problems name their field.
func auditListFilter(q url.Values, loc *time.Location) (audit.Filter, map[string]string) {
	errs := map[string]string{}
	f := audit.Filter{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action"))}
	if e := strings.TrimSpace(q.Get("entity")); e != "" {
		f.EntityType, f.EntityID, _ = strings.Cut(e, ":")
	}
	parseDay := func(field string, addDay bool) *time.Time {
		v := q.Get(field)
		if v == "" {
			return nil
		}
		d, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil {
			errs[field] = "use a date such as 2026-01-31"
			return nil
		}
		if addDay {
			d = d.AddDate(0, 0, 1)
		}
		return &d
	}
	f.Since = parseDay("since", false)
	f.Until = parseDay("until", true)
	if f.Since != nil && f.Until != nil && !f.Until.After(*f.Since) {
		errs["until"] = "must be on or after the start date"
	}
	return f, errs
}

func (s *server) handleAuditExport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		loc, err := s.tenantZone(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f, errs := auditListFilter(r.URL.Query(), loc)
		if len(errs) > 0 {
			s.handleAuditList().ServeHTTP(w, r)
			return
		}
		f.Limit = exportBatch
		done := false
		s.exportCSV(w, r, "audit", []string{"#", "When", "Actor", "Action", "Entity", "Reason"}, s.handleAuditList(),
			func(ctx context.Context) ([][]string, bool, error) {
				if done {
					return nil, false, nil
				}
				page, err := s.Audit.List(ctx, emp.TenantID, f)
				if err != nil {
					return nil, false, err
				}
				rows := make([][]string, 0, len(page.Records))
				for _, rec := range page.Records {
					row := auditRow(rec)
					rows = append(rows, []string{strconv.FormatInt(row.Seq, 10), exportTime(row.At, loc), row.Actor, row.Action, row.Entity, row.ReasonCode})
				}
				f.BeforeSeq, done = page.NextBeforeSeq, page.NextBeforeSeq == 0
				return rows, !done, nil
			})
	})
}

// feeListFilter is the fee list's filter as its URL gives it.
func feeListFilter(q url.Values) catalog.FeeFilter {
	return catalog.FeeFilter{Query: strings.TrimSpace(q.Get("q")), TransactionType: strings.ToUpper(strings.TrimSpace(q.Get("type"))),
		Currency: q.Get("currency"), Country: strings.ToUpper(strings.TrimSpace(q.Get("country"))),
		Channel: strings.ToUpper(strings.TrimSpace(q.Get("channel"))), State: q.Get("state"), Sort: q.Get("sort")}
}

func (s *server) handleFeeExport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		loc, err := s.tenantZone(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f := feeListFilter(r.URL.Query())
		f.Limit = exportBatch
		s.exportCSV(w, r, "fee-rules", []string{"Rule", "Applies to", "Fixed", "Percent", "Min", "Max", "Tiers", "Effective from", "State"}, s.handleFeeList(),
			func(ctx context.Context) ([][]string, bool, error) {
				page, err := s.Catalog.FeeRules(ctx, emp.TenantID, f)
				if err != nil {
					return nil, false, err
				}
				rows := make([][]string, 0, len(page.Rows))
				for _, fr := range page.Rows {
					v := feeRow(fr, nil)
					rows = append(rows, []string{v.Name, strings.Join(v.Dimensions, ", "), v.Fixed, v.Percentage + " %", v.Minimum, v.Maximum,
						strconv.Itoa(v.Tiers), exportTime(v.EffectiveFrom, loc), feesv.StateLabel(v.State)})
				}
				f.Offset += len(page.Rows)
				return rows, len(page.Rows) == f.Limit && int64(f.Offset) < page.Total, nil
			})
	})
}
