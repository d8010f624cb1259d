package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/calendar"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/pii"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/views/components"
	"github.com/ciamhq/ciam/views/pages"
)

// handleHome sends the employee to the first page their role opens.
func (s *server) handleHome() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		for _, g := range navGroups {
			for _, e := range g.entries {
				if s.mayOpen(emp, "GET "+e.href) {
					http.Redirect(w, r, e.href, http.StatusSeeOther)
					return
				}
			}
		}
		s.fail(w, r, errForbidden)
	})
}

// queueCount is how many items wait in a work queue, and since when.
type queueCount struct {
	n       int64
	oldest  *time.Time
	overdue int64 // waiting beyond the SLA; reviews only
}

// countedKey carries queue counts already made for a request, so that the
// dashboard and the navigation around it count once.
type countedKey struct{}

// queueCounts counts the work queues the employee may open: reviews,
// alerts, screening hits and approvals, by the navigation's keys.
func (s *server) queueCounts(ctx context.Context, emp staff.Employee) (map[string]queueCount, error) {
	if done, ok := ctx.Value(countedKey{}).(map[string]queueCount); ok {
		return done, nil
	}
	out := map[string]queueCount{}
	if s.mayOpen(emp, "GET /reviews") {
		c, err := s.KYC.QueueSummary(ctx, emp.TenantID, emp.ID)
		if err != nil {
			return nil, err
		}
		out["reviews"] = queueCount{c.Total, c.Oldest, c.Overdue}
	}
	if s.mayOpen(emp, "GET /alerts") {
		n, oldest, err := s.AML.AlertQueue(ctx, emp.TenantID)
		if err != nil {
			return nil, err
		}
		out["alerts"] = queueCount{n: n, oldest: oldest}
	}
	if s.mayOpen(emp, "GET /screening") {
		n, oldest, err := s.Screening.OpenHits(ctx, emp.TenantID)
		if err != nil {
			return nil, err
		}
		out["screening"] = queueCount{n: n, oldest: oldest}
	}
	if s.mayOpen(emp, "GET /approvals") {
		n, oldest, err := s.Approvals.Queue(ctx, emp.TenantID)
		if err != nil {
			return nil, err
		}
		out["approvals"] = queueCount{n: n, oldest: oldest}
	}
	return out, nil
}

// perDay is a stacked chart of n days, day(i) giving each day's date and
// its value per series, and the totals per series.
func perDay(id, title string, n int, day func(i int) (time.Time, []int64), series ...components.Series) (components.StackedChart, []int64) {
	chart := components.StackedChart{ID: id, Title: title, Series: series}
	total := make([]int64, len(series))
	for i := range n {
		at, values := day(i)
		chart.Bars = append(chart.Bars, components.StackedBar{Label: at.Format("2"), Title: at.Format("Mon 2 Jan 2006"), Values: values})
		for k, v := range values {
			total[k] += v
		}
	}
	return chart, total
}

func (s *server) handleDashboard() http.Handler {
	queues := []pages.Queue{
		{Key: "reviews", Label: "Reviews waiting", Href: "/reviews", Built: true},
		{Key: "alerts", Label: "Open AML alerts", Href: "/alerts", Built: true},
		{Key: "screening", Label: "Screening hits to decide", Href: "/screening", Built: true},
		{Key: "approvals", Label: "Approvals pending", Href: "/approvals?status=PENDING", Built: true},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		now := s.Now()
		d := pages.Dashboard{Name: emp.Name, TenantName: t.Name, Loc: t.Location(), Now: now}
		counts, err := s.queueCounts(r.Context(), emp)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, q := range queues {
			c, ok := counts[q.Key]
			if !ok {
				continue
			}
			q.Count, q.Oldest, q.Overdue = c.n, c.oldest, c.overdue
			d.Queues = append(d.Queues, q)
		}
		if _, ok := counts["reviews"]; ok {
			days, err := s.KYC.DecidedPerDay(r.Context(), emp.TenantID, t.Location(), now, 14)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			chart, total := perDay("decided", "Verifications decided per day, last 14 days", len(days),
				func(i int) (time.Time, []int64) {
					return days[i].Day, []int64{days[i].Automated, days[i].Reviewed, days[i].Rejected}
				},
				components.Series{Name: "Approved automatically", Tone: "green"}, components.Series{Name: "Approved by a reviewer", Tone: "gray"},
				components.Series{Name: "Rejected", Tone: "red"})
			chart.Summary = fmt.Sprintf("In the last 14 days %s verifications were approved automatically, %s by a reviewer, and %s rejected.",
				components.Count(total[0]), components.Count(total[1]), components.Count(total[2]))
			d.Decided = &chart
		}
		if _, ok := counts["alerts"]; ok {
			days, err := s.AML.AlertsPerDay(r.Context(), emp.TenantID, t.Location(), now, 14)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			chart, total := perDay("alerts", "AML alerts raised per day, last 14 days", len(days),
				func(i int) (time.Time, []int64) { return days[i].Day, []int64{days[i].High, days[i].Medium} },
				components.Series{Name: "High severity", Tone: "red"}, components.Series{Name: "Medium severity", Tone: "amber"})
			chart.Summary = fmt.Sprintf("In the last 14 days %s high and %s medium severity alerts were raised.",
				components.Count(total[0]), components.Count(total[1]))
			d.Alerts = &chart
		}
		if emp.Can(staff.PermAuditRead) {
			days, err := s.Audit.PerDay(r.Context(), emp.TenantID, t.Location(), now, 14)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			chart := components.BarChart{ID: "activity", Title: "Changes recorded per day, last 14 days"}
			var total int64
			for _, day := range days {
				chart.Bars = append(chart.Bars, components.Bar{Label: day.Day.Format("2"), Title: day.Day.Format("Mon 2 Jan 2006"), Value: day.Count})
				total += day.Count
			}
			chart.Summary = components.Count(total) + " audit records in the last 14 days."
			d.Activity = &chart
			recent, err := s.Audit.List(r.Context(), emp.TenantID, audit.Filter{Limit: 8})
			if err != nil {
				s.fail(w, r, err)
				return
			}
			for _, rec := range recent.Records {
				d.Recent = append(d.Recent, pages.ActivityLine{At: rec.OccurredAt, Actor: rec.ActorName, Action: rec.Action, Href: "/audit/" + rec.ID.String()})
			}
		}
		if emp.Can(staff.PermCustomersEdit) {
			if d.Support, err = s.supportToday(r.Context(), emp, t.Location(), now); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		// The navigation's badges are these counts.
		r = r.WithContext(context.WithValue(r.Context(), countedKey{}, counts))
		s.page(w, r, http.StatusOK, "Dashboard", "dashboard", pages.DashboardBody(d))
	})
}

// handleNotBuilt is the honest page of an area that does not exist yet.
func (s *server) handleNotBuilt(navKey, title, arrivesWith string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.page(w, r, http.StatusOK, title, navKey, pages.NotBuilt(title, arrivesWith))
	})
}

// supportLocks are the audit actions that lock a customer out: an
// employee's lock and the lock-out after too many failed sign-ins.
var supportLocks = map[string]string{"customer.lock": "locked by an employee", "customer.locked_out": "locked out after failed sign-ins"}

// supportToday is what customer support watches: customers locked since
// midnight in the tenant's zone, the failed one-time codes and sign-ins
// since then, and the latest registrations, masked as the one rule says.
func (s *server) supportToday(ctx context.Context, emp staff.Employee, loc *time.Location, now time.Time) (*pages.Support, error) {
	midnight := calendar.Last(1, now, loc).First
	out := &pages.Support{}
	counts, err := s.Audit.ActionCounts(ctx, emp.TenantID, midnight, "customer.otp_failed", "customer.sign_in_failed")
	if err != nil {
		return nil, err
	}
	out.OTPFailures, out.SignInFailures = counts["customer.otp_failed"], counts["customer.sign_in_failed"]
	locks, err := s.Audit.LatestOn(ctx, emp.TenantID, "customer", midnight, 10, "customer.lock", "customer.locked_out")
	if err != nil {
		return nil, err
	}
	for _, l := range locks {
		id, err := uuid.Parse(l.EntityID)
		if err != nil {
			continue
		}
		c, err := s.Customers.Get(ctx, emp.TenantID, id)
		if apperr.CodeOf(err) == apperr.NotFound {
			continue // erased since
		} else if err != nil {
			return nil, err
		}
		out.Locked = append(out.Locked, pages.CustomerLine{ID: c.ID.String(), Name: c.FullName(),
			Detail: supportLocks[l.Action] + " · now " + strings.ToLower(c.Status), At: l.At})
	}
	seen := piiView(emp)
	res, err := s.Customers.Search(ctx, emp.TenantID, customer.SearchFilter{Sort: customer.SortNewest, Limit: 8})
	if err != nil {
		return nil, err
	}
	for _, c := range res.Customers {
		out.Registered = append(out.Registered, pages.CustomerLine{ID: c.ID.String(), Name: c.FullName(),
			Detail: seen.Show(pii.Email, c.Email), At: c.CreatedAt})
	}
	return out, nil
}
