package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

// MAKE-IT-GO-AWAY: an employee's audited action that hides the customer
// from search and lists and keeps the record, reachable by id.
func TestCustomerMakeItGoAway(t *testing.T) {
	h := newHarness(t)
	tok := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeCustomersRead)
	gone := h.register(tok, person{First: "Gina", Last: "Gone", Email: "gina.gone@example.com", Phone: "+447911123461"})
	kept := h.register(tok, person{First: "Kim", Last: "Kept", Email: "kim.kept@example.com", Phone: "+447911123462"})
	_, sr := h.signIn(staff.SeniorReviewer)
	_, su := h.signIn(staff.Support)

	// Support may change standing but not make a customer go away.
	if n := doc(t, h.get("/customers/"+gone, su)).Find(`[data-testid="make-it-go-away"]`).Length(); n != 0 {
		t.Errorf("support sees the action")
	}
	if resp := h.post("/customers/"+gone+"/hide", url.Values{"reason": {"x"}}, su); resp.StatusCode != http.StatusForbidden {
		t.Errorf("support hides: %d", resp.StatusCode)
	}

	// The 360 page leads to a confirmation step.
	page := doc(t, h.get("/customers/"+gone, sr))
	href := page.Find(`[data-testid="make-it-go-away"]`).AttrOr("href", "")
	if href != "/customers/"+gone+"/hide" {
		t.Fatalf("action link = %q", href)
	}
	confirm := doc(t, h.get(href, sr))
	if confirm.Find(`form[data-testid="hide-form"][method="post"][action="/customers/`+gone+`/hide"] textarea[name="reason"]`).Length() != 1 ||
		!strings.Contains(text(confirm, `[data-testid="hide-consequences"]`), "search") {
		t.Fatalf("confirmation: %q", text(confirm, "main"))
	}
	// No reason: the step again, with the error, and nothing changed.
	resp := h.post(href, url.Values{"reason": {"  "}}, sr)
	if resp.StatusCode != http.StatusUnprocessableEntity || text(doc(t, resp), `[data-testid="error-hide-reason"]`) == "" {
		t.Fatalf("no reason: %d", resp.StatusCode)
	}
	resp = h.post(href, url.Values{"reason": {"Duplicate test account, asked by compliance"}}, sr)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/customers/"+gone {
		t.Fatalf("hide: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	sr = updated(sr, resp)

	// Out of lists and searches...
	list := doc(t, h.get("/customers", sr))
	if got := rowIDs(list.Selection); strings.Join(got, ",") != kept {
		t.Errorf("list = %v; want only %s", got, kept)
	}
	if got := rowIDs(doc(t, h.get("/customers?q=gina", sr)).Selection); len(got) != 0 {
		t.Errorf("search by name = %v; want none", got)
	}
	if got := rowIDs(doc(t, h.get("/customers?"+url.Values{"q": {gone[:8]}}.Encode(), sr)).Selection); len(got) != 0 {
		t.Errorf("search by the start of the id = %v; want none", got)
	}
	// ...but reachable by the whole id, on its page and through the API.
	if got := rowIDs(doc(t, h.get("/customers?q="+gone, sr)).Selection); strings.Join(got, ",") != gone {
		t.Errorf("search by the whole id = %v; want %s", got, gone)
	}
	p := doc(t, h.get("/customers/"+gone, sr))
	if text(p, `[data-testid="customer-permission"]`) != "Make it go away" || p.Find(`[data-testid="customer-hidden"]`).Length() != 1 ||
		p.Find(`[data-testid="make-it-go-away"]`).Length() != 0 {
		t.Errorf("page after: permission %q", text(p, `[data-testid="customer-permission"]`))
	}
	if !strings.Contains(p.Find(`[data-testid="flash"]`).Text()+p.Text(), "go away") {
		t.Errorf("no success message")
	}
	_, out := h.apiCall("GET", api.Prefix+"/customers/"+gone, h.tenant.Slug, tok, "", nil)
	if data(out)["permission"] != "MAKE-IT-GO-AWAY" || data(out)["is_hidden"] != true {
		t.Errorf("API: permission %v is_hidden %v", data(out)["permission"], data(out)["is_hidden"])
	}
	// Audited, with the reason; a standing event for the tenant.
	recs := h.auditActions(h.tenant.ID, "customer.make_it_go_away")
	if len(recs) != 1 || recs[0].Reason != "STANDING_MAKE_IT_GO_AWAY" {
		t.Errorf("audit = %v", recs)
	}
	if evs := h.eventsOf("customer.standing.changed", gone); len(evs) != 1 || evs[0]["currentPermission"] != "MAKE-IT-GO-AWAY" {
		t.Errorf("events = %v", evs)
	}
	// Twice: nothing more happens.
	if resp := h.post(href, url.Values{"reason": {"again"}}, sr); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("again: %d", resp.StatusCode)
	}
	if n := len(h.auditActions(h.tenant.ID, "customer.make_it_go_away")); n != 1 {
		t.Errorf("%d audit records after a second try", n)
	}
}
