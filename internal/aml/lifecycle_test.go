package aml

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/approval"
)

// draft → shadow run → publish through four-eyes → active; every version
// kept; rollback under four-eyes too.
func TestRuleLifecycleUnderFourEyes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.customer("LOW", "GB")
	now := time.Now().Add(-time.Minute)

	v1, err := f.s.CreateRule(f.maker, f.tenant, Definition{Name: "Large", Expression: "tx.amount >= 1000", Outcome: Review, Score: 30})
	if err != nil {
		t.Fatal(err)
	}
	rule := v1.RuleID
	// A draft screens nothing.
	if s := f.screen(tx{customer: c, at: now, amount: "5000"}); s.Decision != Allow {
		t.Fatalf("draft screened: %+v", s)
	}
	// Publishing needs a shadow run first.
	if _, err := f.s.ProposePublish(f.maker, f.tenant, rule, 1, "go"); !isAPI(err, "SHADOW_RUN_REQUIRED") {
		t.Fatalf("publish without a shadow run: %v", err)
	}
	if _, err := f.s.StartShadowRun(f.maker, f.tenant, rule, 1, 7); err != nil {
		t.Fatal(err)
	}
	req, err := f.s.ProposePublish(f.maker, f.tenant, rule, 1, "large transfers need a look")
	if err != nil {
		t.Fatal(err)
	}
	// The rule is pending; still nothing screens.
	if d, _ := f.s.Rule(ctx, f.tenant, rule); d.Pending() == nil || d.Versions[0].Status != VersionPending {
		t.Fatalf("not pending: %+v", d.Versions)
	}
	if s := f.screen(tx{customer: c, at: now, amount: "5000"}); s.Decision != Allow {
		t.Fatalf("pending rule screened: %+v", s)
	}
	// An edit now makes version 2; version 1 stays as proposed.
	v2, err := f.s.SaveDraft(f.maker, f.tenant, rule, Definition{Name: "Large", Expression: "tx.amount >= 2000", Outcome: Review, Score: 30})
	if err != nil || v2.Version != 2 {
		t.Fatalf("edit while pending: %+v %v", v2, err)
	}
	// The maker cannot approve their own change.
	if _, err := f.approvals.Decide(f.maker, f.tenant, req.ID, approval.Approve, "mine"); !isAPI(err, "SELF_APPROVAL") {
		t.Fatalf("self approval: %v", err)
	}
	if _, err := f.approvals.Decide(f.checker, f.tenant, req.ID, approval.Approve, "agreed"); err != nil {
		t.Fatal(err)
	}
	s := f.screen(tx{customer: c, at: now, amount: "1500"})
	if s.Decision != Review || s.Hits[0].Version != 1 {
		t.Fatalf("version 1 in force: %+v", s)
	}
	// Version 2 goes through the same way.
	f.publish(rule, 2)
	if s := f.screen(tx{customer: c, at: now, amount: "1500"}); s.Decision != Allow {
		t.Fatalf("version 2 in force: %+v", s)
	}
	// Another edit is version 3, in place while nobody proposed it.
	v3, _ := f.s.SaveDraft(f.maker, f.tenant, rule, Definition{Name: "Large", Expression: "tx.amount >= 3000", Outcome: Review, Score: 30})
	v3b, _ := f.s.SaveDraft(f.maker, f.tenant, rule, Definition{Name: "Large", Expression: "tx.amount >= 3500", Outcome: Review, Score: 30})
	if v3.Version != 3 || v3b.Version != 3 {
		t.Fatalf("draft edits: %d then %d; want 3 and 3", v3.Version, v3b.Version)
	}
	// Roll back to version 1: four-eyes again.
	if _, err := f.s.ProposePublish(f.maker, f.tenant, rule, 1, "back"); err == nil || !strings.Contains(err.Error(), "roll back") {
		t.Fatalf("publish of an earlier version: %v", err)
	}
	rb, err := f.s.ProposeRollback(f.maker, f.tenant, rule, 1, "version 2 misses too much")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.approvals.Decide(f.checker, f.tenant, rb.ID, approval.Approve, "ok"); err != nil {
		t.Fatal(err)
	}
	if s := f.screen(tx{customer: c, at: now, amount: "1500"}); s.Decision != Review || s.Hits[0].Version != 1 {
		t.Fatalf("rolled back: %+v", s)
	}
	d, err := f.s.Rule(ctx, f.tenant, rule)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, v := range d.Versions {
		statuses = append(statuses, v.Status)
	}
	if got := strings.Join(statuses, " "); got != "DRAFT RETIRED ACTIVE" {
		t.Errorf("versions: %s; want DRAFT RETIRED ACTIVE (3, 2, 1)", got)
	}
	// Deactivation, four-eyes as well.
	off, err := f.s.ProposeDeactivate(f.maker, f.tenant, rule, "no longer needed")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.approvals.Decide(f.checker, f.tenant, off.ID, approval.Approve, "ok"); err != nil {
		t.Fatal(err)
	}
	if s := f.screen(tx{customer: c, at: now, amount: "1500"}); s.Decision != Allow {
		t.Fatalf("deactivated rule screened: %+v", s)
	}
	// Every step audited with before and after.
	rows, err := dbtest.OwnerPool(t).Query(ctx, `SELECT action, before IS NOT NULL, after IS NOT NULL FROM audit_log
		WHERE tenant_id = $1 AND entity_type = 'aml_rule' ORDER BY seq`, f.tenant)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for rows.Next() {
		var a string
		var b, af bool
		_ = rows.Scan(&a, &b, &af)
		actions = append(actions, a)
	}
	want := "aml.rule.created aml.shadow.requested aml.rule.draft_saved aml.rule.published aml.shadow.requested aml.rule.published " +
		"aml.rule.draft_saved aml.rule.draft_saved aml.rule.rolled_back aml.rule.deactivated"
	if got := strings.Join(actions, " "); got != want {
		t.Errorf("audit:\n got %s\nwant %s", got, want)
	}
}

func isAPI(err error, code string) bool {
	e, ok := apperr.As(err)
	return ok && e.APICode == code
}

// A shadow run counts what a version would have triggered over stored
// transactions, beside the version in force, with examples.
func TestShadowRunCounts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now().Add(-time.Minute)
	a, b := f.customer("LOW", "GB"), f.customer("HIGH", "FR")
	// Ten stored transactions: three of them of 1000 or more, two by a.
	for i, amt := range []string{"10", "1000", "20", "5000", "30", "999.99", "40", "1200", "50", "60"} {
		who := a
		if i%2 == 1 && i > 5 {
			who = b
		}
		f.screen(tx{customer: who, at: now.Add(-time.Duration(i+1) * time.Hour), amount: amt})
	}
	// One older than the period.
	f.screen(tx{customer: a, at: now.Add(-10 * day), amount: "9000"})

	rule := f.rule(Definition{Name: "Small", Expression: "tx.amount >= 5000", Outcome: Warn, Score: 5}) // in force: 1 hit
	draft, err := f.s.SaveDraft(f.maker, f.tenant, rule, Definition{Name: "Small", Expression: "tx.amount >= 1000", Outcome: Warn, Score: 5})
	if err != nil {
		t.Fatal(err)
	}
	run, err := f.s.StartShadowRun(f.maker, f.tenant, rule, draft.Version, 3)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != ShadowDone || run.Total != 10 || run.Processed != 10 || run.Hits != 3 || run.Customers != 2 ||
		run.ActiveHits == nil || *run.ActiveHits != 1 || len(run.Examples) != 3 || run.Errors != 0 {
		t.Fatalf("run: %+v", run)
	}
	if ex := run.Examples[0]; ex.Values == nil || ex.Values["tx.amount"] == nil {
		t.Errorf("example without values: %+v", ex)
	}
	var total int
	for _, d := range run.ByDay {
		total += d.Hits
	}
	if total != 3 {
		t.Errorf("by day: %+v", run.ByDay)
	}
	// A shadow run changes nothing.
	var stored, alerts int
	_ = dbtest.OwnerPool(t).QueryRow(ctx, `SELECT (SELECT count(*) FROM aml_transactions WHERE tenant_id = $1),
		(SELECT count(*) FROM aml_alerts WHERE tenant_id = $1)`, f.tenant).Scan(&stored, &alerts)
	if stored != 11 || alerts != 0 {
		t.Errorf("stored %d alerts %d after the shadow run", stored, alerts)
	}
}

// Shadow runs replay each transaction with the history it had then.
func TestShadowRunReplaysHistoryAsItWas(t *testing.T) {
	f := newFixture(t)
	now := time.Now().Add(-time.Minute)
	c := f.customer("LOW", "GB")
	for i := range 6 {
		f.screen(tx{customer: c, at: now.Add(-time.Duration(6-i) * time.Hour), amount: "100"})
	}
	v, err := f.s.CreateRule(f.maker, f.tenant, Definition{Name: "Busy", Expression: `count_over(duration("24h")) >= 4`, Outcome: Warn, Score: 5})
	if err != nil {
		t.Fatal(err)
	}
	run, err := f.s.StartShadowRun(f.maker, f.tenant, v.RuleID, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if run.Hits != 3 { // the 4th, 5th and 6th
		t.Fatalf("hits %d; want 3: %+v", run.Hits, run)
	}
}

// fakeScreener stands in for the screening capability, outside this
// package.
type fakeScreener struct {
	matches  map[string]bool
	possible map[string]bool
	err      error
}

func (s fakeScreener) ScreenCounterparty(_ context.Context, _ uuid.UUID, cp Counterparty) (SanctionsResult, error) {
	name := cp.Name
	switch {
	case s.err != nil:
		return SanctionsResult{}, s.err
	case s.matches[name]:
		return SanctionsResult{Checked: true, Matched: true, Score: 0.97, Evidence: map[string]any{"entryId": "SDN-1"}}, nil
	case s.possible[name]:
		return SanctionsResult{Checked: true, Possible: true, Score: 0.86, Evidence: map[string]any{"entryId": "SDN-2"}}, nil
	}
	return SanctionsResult{Checked: true, Score: 0.2}, nil
}

// A named counterparty is screened on every transaction, with or without a
// rule asking: a match blocks, a possible match is reviewed.
func TestNamedCounterpartiesAreScreened(t *testing.T) {
	f := newFixture(t)
	f.s.Screener = fakeScreener{matches: map[string]bool{"Bad Actor Shipping": true}, possible: map[string]bool{"Bad Actor Shiping": true}}
	c := f.customer("LOW", "GB")
	now := time.Now().Add(-time.Minute)
	tests := []struct {
		name     string
		decision Outcome
	}{{"Bad Actor Shipping", Block}, {"Bad Actor Shiping", Review}, {"Corner Shop", Allow}}
	for _, tc := range tests {
		s := f.screen(tx{customer: c, at: now, amount: "10", cp: &Counterparty{Name: tc.name}})
		h := hitOf(s, SanctionsKey)
		if s.Decision != tc.decision || (tc.decision != Allow) != (h != nil) {
			t.Errorf("%s: %s %+v", tc.name, s.Decision, s.Hits)
		}
		if h != nil && h.Values["evidence"] == nil {
			t.Errorf("%s: no evidence: %+v", tc.name, h.Values)
		}
	}
	// No name, nothing to screen; a screener that fails is a note, not a
	// match and not a failure of the screening.
	if s := f.screen(tx{customer: c, at: now, amount: "10"}); s.Decision != Allow || len(s.Notes) != 0 {
		t.Errorf("no counterparty: %+v", s)
	}
	f.s.Screener = fakeScreener{err: errors.New("screening is down")}
	if s := f.screen(tx{customer: c, at: now, amount: "10", cp: &Counterparty{Name: "Bad Actor Shipping"}}); s.Decision != Allow ||
		len(s.Notes) != 1 || !strings.Contains(s.Notes[0], "screening is down") {
		t.Errorf("screener down: %+v", s)
	}
}

// Without a screener, a sanctions condition is "not checked": false, and
// said so — never a match. With one, a match fires; a failing screener
// fails the rule, never matches.
func TestSanctionsConditions(t *testing.T) {
	f := newFixture(t)
	rule := f.rule(form(KindList, map[string]string{"sanctions": "yes", "lists": ""}))
	c := f.customer("LOW", "GB")
	now := time.Now().Add(-time.Minute)
	bad := &Counterparty{Name: "Bad Actor Shipping", Country: "KP"}
	s := f.screen(tx{customer: c, at: now, amount: "10", cp: bad})
	if fired(s, rule) || len(s.Notes) != 1 || !strings.Contains(s.Notes[0], "sanctions not checked") {
		t.Fatalf("without a screener: hits %+v notes %v", s.Hits, s.Notes)
	}
	f.s.Screener = fakeScreener{matches: map[string]bool{"Bad Actor Shipping": true}}
	s = f.screen(tx{customer: c, at: now, amount: "10", cp: bad})
	if !fired(s, rule) || fired2values(s, rule)["sanctions_match()"] == nil {
		t.Fatalf("with a screener: %+v", s)
	}
	if s := f.screen(tx{customer: c, at: now, amount: "10", cp: berlin}); fired(s, rule) {
		t.Fatalf("clean counterparty fired: %+v", s)
	}
	f.s.Screener = fakeScreener{err: errors.New("screening is down")}
	s = f.screen(tx{customer: c, at: now, amount: "10", cp: bad})
	if fired(s, rule) || len(s.Failures) != 1 || !strings.Contains(s.Failures[0].Err, "screening is down") {
		t.Fatalf("failing screener: %+v", s)
	}
}

// Alerts: assign (one or many), comment, escalate, close as false positive
// or with a report draft; all audited.
func TestAlertWork(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.rule(Definition{Expression: "tx.amount >= 100", Outcome: Review, Score: 30})
	c := f.customer("LOW", "GB")
	now := time.Now().Add(-time.Minute)
	var ids []uuid.UUID
	for range 3 {
		ids = append(ids, *f.screen(tx{customer: c, at: now, amount: "150"}).AlertID)
	}
	emp := uuid.New()
	_, err := dbtest.OwnerPool(t).Exec(ctx, `INSERT INTO staff (id, tenant_id, email, display_name) VALUES ($1, $2, $3, 'Ana Analyst')`,
		emp, f.tenant, emp.String()[:8]+"@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if n, skipped, err := f.s.AssignAlerts(f.maker, f.tenant, ids, &emp); err != nil || n != 3 || skipped != 0 {
		t.Fatalf("bulk assign: %d %d %v", n, skipped, err)
	}
	if _, _, err := f.s.AssignAlerts(f.maker, f.tenant, ids[:1], &f.tenant); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("assign to a stranger: %v", err)
	}
	if _, err := f.s.CommentAlert(f.maker, f.tenant, ids[0], "Looks like salary."); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.CloseFalsePositive(f.maker, f.tenant, ids[0], ""); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("close without a reason: %v", err)
	}
	if _, err := f.s.CloseFalsePositive(f.maker, f.tenant, ids[0], "salary from the employer on file"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Escalate(f.maker, f.tenant, ids[0], "second look"); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("escalate a closed alert: %v", err)
	}
	if _, err := f.s.Escalate(f.maker, f.tenant, ids[1], "pattern across months"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.RecordSAR(f.maker, f.tenant, ids[1], "too short"); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("short narrative: %v", err)
	}
	if a, err := f.s.RecordSAR(f.maker, f.tenant, ids[1], "Customer moved funds in and out within hours, repeatedly, with no economic purpose."); err != nil || a.Status != AlertSARDrafted {
		t.Fatalf("SAR: %+v %v", a, err)
	}
	if n, skipped, _ := f.s.AssignAlerts(f.maker, f.tenant, ids, nil); n != 1 || skipped != 2 {
		t.Fatalf("unassign: %d assigned, %d skipped; want 1 and 2", n, skipped)
	}
	open, _, _ := f.s.AlertQueue(ctx, f.tenant)
	groups, _ := f.s.AlertGroups(ctx, f.tenant, AlertFilter{Status: "all"})
	d, _ := f.s.Alert(ctx, f.tenant, ids[0])
	if open != 1 || len(groups) != 1 || groups[0].Alerts != 3 || len(d.Comments) != 1 || d.Status != AlertFalsePositive || len(d.Hits) != 1 || len(d.Related) != 2 {
		t.Fatalf("open %d groups %+v detail %+v", open, groups, d)
	}
	var audits int
	_ = dbtest.OwnerPool(t).QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action LIKE 'aml.alert.%' AND action <> 'aml.alert.created'`, f.tenant).Scan(&audits)
	if audits != 3+1+1+1+1+1 { // assigned ×3, commented, closed, escalated, SAR, unassigned
		t.Errorf("%d audit records of alert work", audits)
	}
}

// The copy of a customer's window a server keeps always equals a fresh
// read, whatever order transactions arrive in, and when copies are
// forgotten for room.
func TestWindowCopiesStayExact(t *testing.T) {
	f := newFixture(t)
	f.rule(expr(`count_over(duration("240h")) > 1000`))
	f.s.windows = newWindows(40) // forces forgetting
	customers := []uuid.UUID{f.customer("LOW", "GB"), f.customer("LOW", "GB")}
	now := time.Now().Add(-time.Minute)
	ctx := context.Background()
	for i := range 60 {
		c := customers[i%2]
		ago := time.Duration((i*7919)%(12*24)) * time.Hour // up to 12 days back, out of order
		f.screen(tx{customer: c, at: now.Add(-ago), amount: fmt.Sprintf("%d", 10+i), direction: []string{"IN", "OUT"}[i%3%2],
			currency: []string{"EUR", "USD", "CHF", "XOF"}[i%4], cp: &Counterparty{Name: "Shop", Country: []string{"DE", "FR", ""}[i%3]}})
		if i%3 != 2 {
			// Screenings in between bring the copy up to date with the
			// rows they read in their first statement.
			continue
		}
		err := db.InTenantTx(ctx, f.pool, f.tenant, func(q *db.Queries) error {
			since, until := now.Add(-240*time.Hour), now.Add(time.Second)
			got, err := f.s.windows.read(ctx, q, f.tenant, c, since, until)
			if err != nil {
				return err
			}
			want, err := newWindows(windowRows).read(ctx, q, f.tenant, c, since, until)
			if err != nil {
				return err
			}
			if len(got) != len(want) {
				return fmt.Errorf("step %d: copy has %d rows, a fresh read %d", i, len(got), len(want))
			}
			for k := range got {
				g, w := got[k], want[k]
				if !g.At.Equal(w.At) {
					return fmt.Errorf("step %d row %d: %+v vs %+v", i, k, g, w)
				}
				if g.At = w.At; g != w {
					return fmt.Errorf("step %d row %d: %+v vs %+v", i, k, got[k], want[k])
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// poolScreener needs a connection of its own, as the screening service
// does when it loads its settings.
type poolScreener struct{ pool *pgxpool.Pool }

func (s poolScreener) ScreenCounterparty(ctx context.Context, _ uuid.UUID, _ Counterparty) (SanctionsResult, error) {
	var one int
	err := s.pool.QueryRow(ctx, "SELECT 1").Scan(&one)
	return SanctionsResult{Checked: true}, err
}

// One screening never holds a connection while it waits for another: on a
// pool of one, screening a named counterparty (live and in shadow) still
// completes.
func TestScreeningNeedsOneConnectionAtATime(t *testing.T) {
	f := newFixture(t)
	f.rule(expr(`sanctions_match() || count_over(duration("24h")) > 100`))
	c := f.customer("LOW", "GB")
	u, err := url.Parse(dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("pool_max_conns", "1")
	u.RawQuery = q.Encode()
	pool, err := db.Open(context.Background(), u.String(), db.DefaultAppRole)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := NewService(pool, f.approvals, nil)
	s.Screener = poolScreener{pool: pool}
	ctx, cancel := context.WithTimeout(f.maker, 10*time.Second)
	defer cancel()
	_, err = s.Screen(ctx, f.tenant, ScreenInput{CustomerID: c.String(), TransactionID: "one-conn", Type: "TRANSFER", Direction: "OUT",
		Amount: "10", Currency: "EUR", Timestamp: time.Now().UTC().Format(time.RFC3339), Counterparty: &Counterparty{Name: "Some Body"}})
	if err != nil {
		t.Fatalf("screen on a pool of one: %v", err)
	}
	d, _ := f.s.Rule(ctx, f.tenant, ruleOf(t, f))
	if _, err := s.StartShadowRun(ctx, f.tenant, d.ID, d.Latest.Version, 1); err != nil {
		t.Fatalf("shadow run on a pool of one: %v", err)
	}
}

func ruleOf(t *testing.T, f *fixture) uuid.UUID {
	t.Helper()
	ov, err := f.s.Overview(context.Background(), f.tenant, time.UTC, time.Now())
	if err != nil || len(ov.Rules) == 0 {
		t.Fatal(err)
	}
	return ov.Rules[0].ID
}
