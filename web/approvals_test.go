package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/staff"
)

// proposeGrant asks, on the staff page, for role to be granted to target
// and returns the change request's id.
func (h *harness) proposeGrant(c *http.Cookie, target, role string) string {
	h.t.Helper()
	resp := h.post("/staff/"+target+"/roles", url.Values{"role": {role}, "reason": {"needs it"}}, c)
	if resp.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("propose: %d", resp.StatusCode)
	}
	d := doc(h.t, h.get("/staff", updated(c, resp)))
	link, ok := d.Find(`[data-testid="pending-approval"] a`).Last().Attr("href")
	if !ok {
		h.t.Fatalf("no pending approval shown on the staff page")
	}
	return strings.TrimPrefix(link, "/approvals/")
}

func (h *harness) decide(id, decision, reason string, c *http.Cookie) *http.Response {
	h.t.Helper()
	return h.post("/approvals/"+id+"/decide", url.Values{"decision": {decision}, "reason": {reason}}, c)
}

func (h *harness) approve(id string, c *http.Cookie) {
	h.t.Helper()
	if resp := h.decide(id, "APPROVE", "looks right", c); resp.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("approve: %d", resp.StatusCode)
	}
}

func (h *harness) rolesOf(id uuid.UUID) []staff.Role {
	h.t.Helper()
	e, err := h.s.Staff.Load(h.t.Context(), h.tenant.ID, id, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return e.Roles
}

func TestFourEyesRoleGrant(t *testing.T) {
	h := newHarness(t)
	maker, mc := h.signIn(staff.TenantAdmin)
	checker, cc := h.signIn(staff.SeniorReviewer)
	target := h.employee(staff.Analyst)

	id := h.proposeGrant(mc, target.ID.String(), "AUDITOR")
	if got := h.rolesOf(target.ID); !slices.Equal(got, []staff.Role{staff.Analyst}) {
		t.Fatalf("roles before approval = %v; nothing may change yet", got)
	}
	// The queue lists it with the diff.
	q := doc(t, h.get("/approvals", cc))
	if q.Find(`[data-testid="approval-row"]`).Length() != 1 {
		t.Fatalf("queue rows = %d", q.Find(`[data-testid="approval-row"]`).Length())
	}
	detail := doc(t, h.get("/approvals/"+id, cc))
	if diff := detail.Find(`[data-testid="approval-field"][data-changed]`).Text(); !strings.Contains(diff, "Roles") || !strings.Contains(diff, "ANALYST, AUDITOR") {
		t.Fatalf("diff = %q", diff)
	}

	// The maker can never approve their own.
	own := doc(t, h.get("/approvals/"+id, mc))
	if own.Find(`[data-testid="decision-form"]`).Length() != 0 || own.Find(`[data-testid="own-request"]`).Length() != 1 {
		t.Error("the maker is offered the decision form")
	}
	resp := h.decide(id, "APPROVE", "me", mc)
	d := doc(t, h.get("/approvals/"+id, updated(mc, resp)))
	if !strings.Contains(text(d, `[data-testid="flash"]`), "another employee must decide") || text(d, `[data-testid="approval-status"]`) != "Pending" {
		t.Fatalf("self-approval: flash %q, status %q", text(d, `[data-testid="flash"]`), text(d, `[data-testid="approval-status"]`))
	}

	// A reason is required.
	if resp := h.decide(id, "APPROVE", " ", cc); resp.StatusCode != http.StatusUnprocessableEntity || text(doc(t, resp), `[data-testid="error-decision-reason"]`) == "" {
		t.Fatalf("no reason: %d", resp.StatusCode)
	}

	h.approve(id, cc)
	if got := h.rolesOf(target.ID); !slices.Equal(got, []staff.Role{staff.Analyst, staff.Auditor}) {
		t.Fatalf("roles after approval = %v", got)
	}
	// Audited with both employees.
	owner := h.auditActions(h.tenant.ID, "approval.approved")
	if len(owner) != 1 || owner[0].Actor != checker.Actor().Name {
		t.Fatalf("approval audit = %+v", owner)
	}
	var after string
	if err := dbOwner(t).QueryRow(t.Context(), "SELECT after::text FROM audit_log WHERE tenant_id = $1 AND action = 'approval.approved'", h.tenant.ID).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(after, maker.ID.String()) || !strings.Contains(after, checker.ID.String()) {
		t.Fatalf("approval record names maker and checker? %s", after)
	}
	if g := h.auditActions(h.tenant.ID, "staff.role.granted"); len(g) != 1 || g[0].Reason != "FOUR_EYES_APPROVED" {
		t.Fatalf("grant audit = %+v", g)
	}
	var events int
	if err := dbOwner(t).QueryRow(t.Context(), "SELECT count(*) FROM events WHERE tenant_id = $1 AND type = 'config.changed' AND entity_id = $2", h.tenant.ID, target.ID.String()).Scan(&events); err != nil || events != 1 {
		t.Fatalf("config.changed events = %d (%v)", events, err)
	}
	// Deciding again is refused: it was already approved.
	resp = h.decide(id, "REJECT", "too late", cc)
	if !strings.Contains(text(doc(t, h.get("/approvals/"+id, updated(cc, resp))), `[data-testid="flash"]`), "already approved") {
		t.Error("a decided request was decided again")
	}
}

func TestFourEyesRejectChangesNothing(t *testing.T) {
	h := newHarness(t)
	_, mc := h.signIn(staff.TenantAdmin)
	_, cc := h.signIn(staff.TenantAdmin)
	target := h.employee(staff.Support)
	id := h.proposeGrant(mc, target.ID.String(), "ANALYST")
	if resp := h.decide(id, "REJECT", "not needed", cc); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject: %d", resp.StatusCode)
	}
	if got := h.rolesOf(target.ID); !slices.Equal(got, []staff.Role{staff.Support}) {
		t.Fatalf("roles after rejection = %v", got)
	}
	if len(h.auditActions(h.tenant.ID, "staff.role.granted")) != 0 || len(h.auditActions(h.tenant.ID, "approval.rejected")) != 1 {
		t.Fatal("rejection audit wrong")
	}
}

func TestFourEyesTwoApproversAtOnce(t *testing.T) {
	h := newHarness(t)
	_, mc := h.signIn(staff.TenantAdmin)
	_, c1 := h.signIn(staff.SeniorReviewer)
	_, c2 := h.signIn(staff.TenantAdmin)
	target := h.employee(staff.Analyst)
	id := h.proposeGrant(mc, target.ID.String(), "AUDITOR")

	var wg sync.WaitGroup
	flashes := make([]string, 2)
	for i, c := range []*http.Cookie{c1, c2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := h.decide(id, "APPROVE", "ok", c)
			flashes[i] = text(doc(t, h.get("/approvals/"+id, updated(c, resp))), `[data-testid="flash"]`)
		}()
	}
	wg.Wait()
	won := 0
	for _, f := range flashes {
		if strings.Contains(f, "Approved and applied") {
			won++
		} else if !strings.Contains(f, "already approved by") {
			t.Errorf("loser told %q", f)
		}
	}
	if won != 1 || len(h.auditActions(h.tenant.ID, "staff.role.granted")) != 1 {
		t.Fatalf("%d winners, flashes %q", won, flashes)
	}
}

func TestFourEyesStaleRequestRefused(t *testing.T) {
	h := newHarness(t)
	_, mc := h.signIn(staff.TenantAdmin)
	_, cc := h.signIn(staff.SeniorReviewer)
	target := h.employee(staff.Analyst)
	first := h.proposeGrant(mc, target.ID.String(), "AUDITOR")
	second := h.proposeGrant(mc, target.ID.String(), "SUPPORT")
	h.approve(first, cc)
	// The target changed since the second request was made.
	resp := h.decide(second, "APPROVE", "ok", cc)
	d := doc(t, h.get("/approvals/"+second, updated(cc, resp)))
	if !strings.Contains(text(d, `[data-testid="flash"]`), "changed since") || text(d, `[data-testid="approval-status"]`) != "Stale" {
		t.Fatalf("stale: flash %q status %q", text(d, `[data-testid="flash"]`), text(d, `[data-testid="approval-status"]`))
	}
	if got := h.rolesOf(target.ID); slices.Contains(got, staff.Support) {
		t.Fatalf("a stale request was applied: %v", got)
	}
}

func TestFourEyesProposalValidation(t *testing.T) {
	h := newHarness(t)
	_, mc := h.signIn(staff.TenantAdmin)
	target := h.employee(staff.Analyst)
	for _, tc := range []struct{ role, want string }{
		{"ANALYST", "already has"},
		{"KING", "unknown role"},
		{"PLATFORM_OPERATOR", "only a platform operator"},
	} {
		resp := h.post("/staff/"+target.ID.String()+"/roles", url.Values{"role": {tc.role}}, mc)
		if f := text(doc(t, h.get("/staff", updated(mc, resp))), `[data-testid="flash"]`); !strings.Contains(f, tc.want) {
			t.Errorf("proposing %s: flash %q; want %q", tc.role, f, tc.want)
		}
	}
	pending, _ := h.s.Approvals.List(t.Context(), h.tenant.ID, "PENDING", "", 10, 0)
	if pending.Total != 0 {
		t.Fatalf("%d requests recorded for refused proposals", pending.Total)
	}
}
