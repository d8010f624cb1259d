package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/a-h/templ"

	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/views/components"
	"github.com/ciamhq/ciam/views/layout"
)

// isHTMX reports whether r wants a fragment: an htmx request that is not a
// boosted navigation or a history restore, both of which need a full page.
func isHTMX(r *http.Request) bool {
	return r.Header.Get("HX-Request") == "true" &&
		r.Header.Get("HX-Boosted") != "true" &&
		r.Header.Get("HX-History-Restore-Request") != "true"
}

// render writes c with status. Rendering into a buffer first means a
// template error becomes a clean error page, not half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		s.Logger.ErrorContext(r.Context(), "render", slog.Any("error", err))
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Add("Vary", "HX-Request")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// page renders body inside the portal frame, or alone for htmx requests.
func (s *server) page(w http.ResponseWriter, r *http.Request, status int, title, navKey string, body templ.Component) {
	if isHTMX(r) {
		s.render(w, r, status, body)
		return
	}
	frame := s.frame(w, r, title, navKey)
	s.render(w, r, status, templ.ComponentFunc(func(ctx context.Context, wr io.Writer) error {
		return layout.Shell(frame).Render(templ.WithChildren(ctx, body), wr)
	}))
}

// frame builds the portal frame for the signed-in employee.
func (s *server) frame(w http.ResponseWriter, r *http.Request, title, navKey string) layout.Page {
	p := layout.Page{Title: title, AssetVersion: s.assetVersion}
	emp, ok := employeeFrom(r.Context())
	if !ok {
		return p
	}
	if t, err := s.Tenants.Get(r.Context(), emp.TenantID); err == nil {
		p.TenantName = t.Name
	}
	p.User = layout.User{Name: emp.Name, Email: emp.Email}
	for _, role := range emp.AllRoles() {
		p.User.Roles = append(p.User.Roles, string(role))
	}
	p.Nav = s.navFor(emp, navKey)
	// Queue items carry how many wait. Counting is no reason to refuse the
	// page: without the counts it shows no badges.
	if counts, err := s.queueCounts(r.Context(), emp); err != nil {
		s.Logger.ErrorContext(r.Context(), "queue counts", slog.Any("error", err))
	} else {
		for gi := range p.Nav {
			for ii := range p.Nav[gi].Items {
				it := &p.Nav[gi].Items[ii]
				if c := counts[it.Key]; c.n > 0 {
					it.Badge = components.Count(c.n)
				}
			}
		}
	}
	p.Flashes = s.takeFlashes(w, r)
	p.Search = r.URL.Query().Get("q")
	return p
}

// navEntry is one link of the left navigation; what it needs comes from
// the route table, so a link is shown exactly when its page would open.
type navEntry struct {
	key, label, href string
}

var navGroups = []struct {
	label   string
	entries []navEntry
}{
	{"Work", []navEntry{
		{"dashboard", "Dashboard", "/dashboard"},
		{"reviews", "Reviews", "/reviews"},
		{"alerts", "Alerts", "/alerts"},
		{"cases", "Cases", "/cases"},
		{"screening", "Screening hits", "/screening"},
		{"approvals", "Approvals", "/approvals"},
	}},
	{"Customers", []navEntry{
		{"customers", "Customers", "/customers"},
	}},
	{"Rules & lists", []navEntry{
		{"aml-rules", "AML rules", "/aml/rules"},
		{"lists", "Screening lists", "/screening/lists"},
	}},
	{"Configuration", []navEntry{
		{"fees", "Fees", "/config/fees"},
		{"branches", "Branches & pay points", "/config/branches"},
		{"connectors", "Connectors", "/config/connectors"},
		{"preferences", "Preferences", "/config/preferences"},
		{"password-policy", "Password policy", "/config/password-policy"},
		{"kyc-requirements", "KYC requirements", "/config/kyc-requirements"},
		{"compliance-packs", "Regulatory packs", "/config/compliance-packs"},
		{"categories", "Categories", "/config/categories"},
		{"screening-settings", "Screening settings", "/config/screening"},
		{"reporting", "Reporting", "/config/reporting"},
		{"closing-reasons", "Closing reasons", "/config/closing-reasons"},
	}},
	{"Administration", []navEntry{
		{"staff", "Staff", "/staff"},
		{"api-clients", "API clients", "/api-clients"},
		{"webhooks", "Webhooks", "/webhooks"},
		{"audit", "Audit", "/audit"},
		{"reports", "Reports", "/reports"},
		{"retention", "Retention", "/retention"},
		{"tenants", "Tenants", "/platform/tenants"},
	}},
}

func (s *server) navFor(emp staff.Employee, active string) []layout.NavGroup {
	var out []layout.NavGroup
	for _, g := range navGroups {
		grp := layout.NavGroup{Label: g.label}
		for _, e := range g.entries {
			if !s.mayOpen(emp, "GET "+e.href) {
				continue
			}
			grp.Items = append(grp.Items, layout.NavItem{Key: e.key, Label: e.label, Href: e.href, Active: e.key == active})
		}
		if len(grp.Items) > 0 {
			out = append(out, grp)
		}
	}
	return out
}

// mayOpen reports whether emp passes the access check of a route pattern.
func (s *server) mayOpen(emp staff.Employee, pattern string) bool {
	acc, ok := s.routeAccess[pattern]
	switch {
	case !ok || acc == "":
		return false
	case acc == AccessPublic || acc == AccessSignedIn:
		return true
	default:
		return emp.Can(staff.Permission(acc))
	}
}

// seeOther ends a successful POST by sending the browser to target, so a
// reload repeats nothing: 303 for a form, HX-Redirect for an htmx request
// (a 303 would be followed inside htmx and its page swapped into the
// element that asked).
func (s *server) seeOther(w http.ResponseWriter, r *http.Request, target string) {
	if isHTMX(r) {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// seeOtherIn ends a successful POST whose result shows in one element of
// the page (sel, an id selector): an htmx request gets HX-Location, which
// loads the page it came from again (HX-Current-URL, when local; else
// page) and swaps in its element sel, so nothing is done twice and the
// element shows what the page now says; a form gets a 303 to page.
func (s *server) seeOtherIn(w http.ResponseWriter, r *http.Request, page, sel string) {
	if !isHTMX(r) {
		http.Redirect(w, r, page, http.StatusSeeOther)
		return
	}
	if cur, err := url.Parse(r.Header.Get("HX-Current-URL")); err == nil && cur.Path != "" && (cur.Host == "" || cur.Host == r.Host) {
		page = localPath(cur.RequestURI())
	}
	loc, _ := json.Marshal(map[string]string{"path": page, "target": sel, "select": sel, "swap": "outerHTML"})
	w.Header().Set("HX-Location", string(loc))
	w.WriteHeader(http.StatusNoContent)
}
