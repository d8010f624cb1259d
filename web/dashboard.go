package web

import (
	"net/http"
	"strings"

	"github.com/ciamhq/ciam/internal/audit"
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
		for _, q := range queues {
			path, _, _ := strings.Cut(q.Href, "?")
			if !s.mayOpen(emp, "GET "+path) {
				continue
			}
			if q.Key == "reviews" {
				c, err := s.KYC.QueueSummary(r.Context(), emp.TenantID, emp.ID)
				if err != nil {
					s.fail(w, r, err)
					return
				}
				q.Count, q.Oldest = c.Total, c.Oldest
			}
			if q.Key == "alerts" {
				n, oldest, err := s.AML.AlertQueue(r.Context(), emp.TenantID)
				if err != nil {
					s.fail(w, r, err)
					return
				}
				q.Count, q.Oldest = n, oldest
			}
			if q.Key == "approvals" {
				n, oldest, err := s.Approvals.Queue(r.Context(), emp.TenantID)
				if err != nil {
					s.fail(w, r, err)
					return
				}
				q.Count, q.Oldest = n, oldest
			}
			if q.Key == "screening" {
				n, oldest, err := s.Screening.OpenHits(r.Context(), emp.TenantID)
				if err != nil {
					s.fail(w, r, err)
					return
				}
				q.Count, q.Oldest = n, oldest
			}
			d.Queues = append(d.Queues, q)
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
		s.page(w, r, http.StatusOK, "Dashboard", "dashboard", pages.DashboardBody(d))
	})
}

// handleNotBuilt is the honest page of an area that does not exist yet.
func (s *server) handleNotBuilt(navKey, title, arrivesWith string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.page(w, r, http.StatusOK, title, navKey, pages.NotBuilt(title, arrivesWith))
	})
}
