package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/retention"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/shred"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

// The erasure test's customer: values found nowhere else.
const (
	erFirst  = "Ysoldine"
	erLast   = "Quarterfell"
	erEmail  = "ysoldine.quarterfell.4471@example.org"
	erPhone  = "+447700944871"
	erStreet = "Marrowgate Close"
	erDocNo  = "YQ4471902"
	erIBAN   = "GB82WEST12345698765432"
)

// erSecrets are the values that must be found nowhere once the customer is
// erased (and never in clear in the audit trail or the events).
var erSecrets = []string{erFirst, erLast, erEmail, erPhone, strings.TrimPrefix(erPhone, "+"), erStreet, erDocNo, erIBAN}

// erCustomer registers the erasure test's customer with a passport (its
// number erDocNo) and a selfie, and waits for their review.
func (h *harness) erCustomer(tok string) (cust, vr string) {
	h.t.Helper()
	t := h.t.(*testing.T)
	cust, vr = h.onboarded(h.tenant, tok, func(m map[string]any) {
		noCategory(m)
		m["email"], m["firstName"], m["lastName"] = erEmail, erFirst, erLast
		c := ic(m)
		c["phoneNumber"] = erPhone
		c["address"].(map[string]any)["street"] = erStreet
	})
	p := exampleHolder()
	p.DocumentNumber, p.Given, p.Surname = erDocNo, strings.ToUpper(erFirst), strings.ToUpper(erLast)
	if resp, out := h.apiCall("POST", uploadPath, h.tenant.Slug, tok, uploadBody(vr, passportOf(t, p, nil), selfie(t)), nil); resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	// Decided automatically, or sent to people when faces cannot be
	// compared here: either way the checks have read the documents.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, st := h.apiCall("GET", api.Prefix+"/verification/status/"+vr, h.tenant.Slug, tok, "", nil)
		data, _ := st["data"].(map[string]any)
		if data["checksState"] == "DONE" && (data["status"] == "APPROVED" || data["status"] == "PENDING_REVIEW") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("verification %s: %v", vr, st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := dbtest.OwnerPool(t).Exec(t.Context(), `UPDATE wallets SET iban = $1, currency = 'GBP', status = 'ACTIVE' WHERE customer_id = $2`,
		erIBAN, cust); err != nil {
		t.Fatal(err)
	}
	return cust, vr
}

// rawRows is every audit record's before and after, and every event's
// payload, of the tenant, as PostgreSQL stores them.
func rawRows(t *testing.T, tenant uuid.UUID) (auditJSON, eventJSON string) {
	t.Helper()
	owner := dbtest.OwnerPool(t)
	if err := owner.QueryRow(t.Context(), `SELECT coalesce(string_agg(coalesce(before::text, '') || ' ' || coalesce(after::text, ''), E'\n'), '')
		FROM audit_log WHERE tenant_id = $1`, tenant).Scan(&auditJSON); err != nil {
		t.Fatal(err)
	}
	if err := owner.QueryRow(t.Context(), `SELECT coalesce(string_agg(payload::text, E'\n'), '') FROM events WHERE tenant_id = $1`, tenant).Scan(&eventJSON); err != nil {
		t.Fatal(err)
	}
	return auditJSON, eventJSON
}

// opened is a stored record's JSON with the customers' sealed values
// opened, as the server's readers show it.
func (h *harness) opened(tenant uuid.UUID, raw []byte) []byte {
	h.t.Helper()
	var out json.RawMessage
	if err := db.InTenantTx(h.t.Context(), h.pool, tenant, func(q *db.Queries) error {
		var err error
		out, err = shred.Installed().Opener(q, tenant).JSON(h.t.Context(), raw)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// found lists the secrets s holds, whatever the case.
func found(s string, secrets []string) []string {
	var out []string
	for _, v := range secrets {
		if strings.Contains(strings.ToLower(s), strings.ToLower(v)) {
			out = append(out, v)
		}
	}
	return out
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A closed customer's personal data is erased when the period ends, to the
// second, and then can be read nowhere: not from the API, the 360 page,
// the search, the audit page and its diffs, the audit and events tables,
// the events' replay or the documents' chunks, while the audit chain still
// verifies. Before, the audit trail and the events hold none of the
// values in clear, yet readers show them.
func TestErasureLeavesNothingReadable(t *testing.T) {
	h := newHarness(t)
	h.startJobs()
	// A compliance officer who also audits: sees every value in full, and
	// the audit trail.
	_, senior := h.signIn(staff.SeniorReviewer, staff.Auditor)
	_, admin := h.signIn(staff.TenantAdmin)
	_, admin2 := h.signIn(staff.TenantAdmin)
	tok := h.reviewToken(credential.ScopeEventsRead)
	cust, _ := h.erCustomer(tok)
	custID := uuid.MustParse(cust)
	owner := dbtest.OwnerPool(t)

	// Nothing personal in clear in the audit trail or the events.
	auditJSON, eventJSON := rawRows(t, h.tenant.ID)
	if got := found(auditJSON, erSecrets); len(got) > 0 {
		t.Errorf("audit_log holds in clear: %v", got)
	}
	if got := found(eventJSON, erSecrets); len(got) > 0 {
		t.Errorf("events hold in clear: %v", got)
	}
	if !strings.Contains(auditJSON, "ciam:sealed:v1:"+cust) || !strings.Contains(eventJSON, "ciam:sealed:v1:"+cust) {
		t.Fatal("no sealed value of the customer in audit_log or events")
	}
	// ... while the readers open them: the audit page for a senior
	// reviewer, and the replay.
	var registered string
	if err := owner.QueryRow(t.Context(), `SELECT id FROM audit_log WHERE tenant_id = $1 AND action = 'customer.registered' AND entity_id = $2`,
		h.tenant.ID, cust).Scan(&registered); err != nil {
		t.Fatal(err)
	}
	if d := body(t, h.get("/audit/"+registered, senior)); !strings.Contains(d, erEmail) {
		t.Errorf("the audit diff of the registration does not show the e-mail to a senior reviewer:\n%s", excerpt(d, "customer.registered"))
	}
	if n := doc(t, h.get("/customers?"+url.Values{"q": {erLast}}.Encode(), senior)).Find(`[data-testid="customer-row"]`).Length(); n != 1 {
		t.Fatalf("a search for the last name finds %d customers before erasure", n)
	}
	resp, out := h.apiCall("GET", api.Prefix+"/events?limit=500", h.tenant.Slug, tok, "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("replay: %d %v", resp.StatusCode, out)
	}
	if got := found(jsonText(out), []string{erEmail, erFirst}); len(got) != 2 {
		t.Errorf("the replay before erasure shows %v of the e-mail and the first name", got)
	}

	// The documents are kept longer than the closed customer's record:
	// erasure takes them, not the documents' own period. A four-eyes change.
	if resp := h.post("/config/preferences/retention", url.Values{"documentDays": {"3650"}, "closedCustomerDays": {"1825"}, "reason": {""}}, admin); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("proposal without a reason: %d; want 422", resp.StatusCode)
	} else if d := doc(t, resp); text(d, `[data-testid="error-retentionReason"]`) == "" {
		t.Error("no error next to the reason")
	}
	if resp := h.post("/config/preferences/retention", url.Values{"documentDays": {"10"}, "closedCustomerDays": {"1825"}, "reason": {"x"}}, admin); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a period of 10 days: %d; want 422", resp.StatusCode)
	} else if d := doc(t, resp); !strings.Contains(text(d, `[data-testid="error-documentDays"]`), "between 30 and 36500") {
		t.Errorf("error of documentDays: %q", text(d, `[data-testid="error-documentDays"]`))
	}
	location(t, h.post("/config/preferences/retention", url.Values{"documentDays": {"3650"}, "closedCustomerDays": {"1825"}, "reason": {"ten years for documents"}}, admin))
	if st, _ := h.s.Retention.Settings(t.Context(), h.tenant.ID); st.DocumentDays != retention.DefaultDays {
		t.Fatalf("the periods changed before approval: %+v", st)
	}
	reqs, err := h.s.Approvals.List(t.Context(), h.tenant.ID, "PENDING", retention.KindSettings, 10, 0)
	if err != nil || len(reqs.Requests) != 1 {
		t.Fatalf("retention requests: %+v %v", reqs, err)
	}
	h.approve(reqs.Requests[0].ID.String(), admin2)
	if st, _ := h.s.Retention.Settings(t.Context(), h.tenant.ID); st != (retention.Settings{DocumentDays: 3650, ClosedCustomerDays: 1825}) {
		t.Fatalf("periods after approval: %+v", st)
	}

	// A closed alert and a closed case whose analysts quoted the customer
	// in comments, a timeline and a title.
	quote := "Spoke to " + erFirst + " " + erLast + " on " + erPhone
	alertID, caseID, tx, attID := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO aml_transactions (id, tenant_id, customer_id, transaction_ref, request_hash, type, direction, amount, currency, amount_units, occurred_at, decision, score)
			VALUES ($1, $2, $3, $4, '\x00', 'TRANSFER', 'OUT', 5000, 'EUR', 500000, now(), 'REVIEW', 50)`, []any{tx, h.tenant.ID, cust, "ref-" + tx.String()[:8]}},
		{`INSERT INTO aml_alerts (id, tenant_id, customer_id, transaction_id, decision, severity, score, amount, currency, status)
			VALUES ($1, $2, $3, $4, 'REVIEW', 'MEDIUM', 50, 5000, 'EUR', 'CLOSED')`, []any{alertID, h.tenant.ID, cust, tx}},
		{`INSERT INTO aml_alert_comments (id, tenant_id, alert_id, author_id, author_name, body) VALUES ($1, $2, $3, 'x', 'Analyst', $4)`,
			[]any{uuid.New(), h.tenant.ID, alertID, quote}},
		{`INSERT INTO aml_alert_events (id, tenant_id, alert_id, kind, actor_name, body) VALUES ($1, $2, $3, 'CLOSED', 'Analyst', $4)`,
			[]any{uuid.New(), h.tenant.ID, alertID, quote}},
		{`INSERT INTO cases (id, tenant_id, customer_id, title, status) VALUES ($1, $2, $3, $4, 'CLOSED')`, []any{caseID, h.tenant.ID, cust, "Payments of " + erFirst + " " + erLast}},
		{`INSERT INTO case_events (id, tenant_id, case_id, kind, actor_name, body) VALUES ($1, $2, $3, 'COMMENTED', 'Analyst', $4)`,
			[]any{uuid.New(), h.tenant.ID, caseID, quote}},
		{`INSERT INTO case_attachments (id, tenant_id, case_id, file_name, mime, size_bytes, sha256, key_id) VALUES ($1, $2, $3, $4, 'text/plain', 5, '\x01', 'k')`,
			[]any{attID, h.tenant.ID, caseID, erLast + "-statement.txt"}},
		{`INSERT INTO case_attachment_chunks (attachment_id, seq, tenant_id, content) VALUES ($1, 0, $2, '\x0102')`, []any{attID, h.tenant.ID}},
	} {
		if _, err := owner.Exec(t.Context(), stmt.sql, stmt.args...); err != nil {
			t.Fatal(err)
		}
	}

	// An analyst's comment through the service: its audit record quotes
	// the customer too.
	if _, err := h.s.AML.CommentAlert(actor.With(t.Context(), actor.Actor{Kind: actor.Employee, ID: uuid.NewString(), Name: "Analyst", TenantID: h.tenant.ID}),
		h.tenant.ID, alertID, quote); err != nil {
		t.Fatal(err)
	}
	// A session the customer signed in with, from an address and a browser;
	// a screening hit an analyst dismissed with a note quoting the customer.
	h.customerTokens(erEmail)
	sctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test", TenantID: h.tenant.ID})
	sres, err := h.s.Screening.ScreenSubject(sctx, screening.Subject{ID: custID, TenantID: h.tenant.ID, Name: "Miguel Angel Rodriguez Orejuela",
		Type: screening.Individual, DateOfBirth: "1943-11-23", Country: "CO"})
	if err != nil || len(sres.NewHits) == 0 {
		t.Fatalf("screening: %d hits, %v", len(sres.NewHits), err)
	}
	location(t, h.post("/screening/hits/"+sres.NewHits[0].ID.String()+"/decide", url.Values{"decision": {"DISMISSED"}, "note": {"Called " + erPhone + ": another man"}}, senior))
	var traces string
	if err := owner.QueryRow(t.Context(), `SELECT concat((SELECT string_agg(ip || ' ' || user_agent, ' ') FROM customer_sessions WHERE customer_id = $1),
		' ', (SELECT string_agg(note, ' ') FROM screening_hits WHERE subject_id = $1))`, cust).Scan(&traces); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(traces, "127.0.0.1") || !strings.Contains(traces, erPhone) {
		t.Fatalf("before erasure, the sessions and hit notes hold %q; want an address and the note", traces)
	}

	// Closed through the portal.
	if resp := h.post("/customers/"+cust+"/standing", url.Values{"action": {"CLOSE"}, "reason": {"asked to leave"}}, senior); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("close: %d", resp.StatusCode)
	}
	var closedAt time.Time
	if err := owner.QueryRow(t.Context(), `SELECT closed_at FROM customers WHERE id = $1`, cust).Scan(&closedAt); err != nil {
		t.Fatal(err)
	}
	due := closedAt.AddDate(0, 0, 1825)

	// A second before the end of the period, nothing; at its end, erased.
	res, err := h.s.Retention.RunTenant(t.Context(), h.tenant.ID, due.Add(-time.Second))
	if err != nil || res != (retention.Result{}) {
		t.Fatalf("run a second early: %+v %v", res, err)
	}
	res, err = h.s.Retention.RunTenant(t.Context(), h.tenant.ID, due)
	if err != nil || res != (retention.Result{CustomersErased: 1}) {
		t.Fatalf("run at the end of the period: %+v %v", res, err)
	}

	// The analysts' narratives.
	var narratives string
	if err := owner.QueryRow(t.Context(), `SELECT concat_ws(' | ',
			(SELECT string_agg(body, ' ') FROM aml_alert_comments WHERE alert_id = $1),
			(SELECT string_agg(body, ' ') FROM aml_alert_events WHERE alert_id = $1),
			(SELECT title FROM cases WHERE id = $2),
			(SELECT string_agg(body, ' ') FROM case_events WHERE case_id = $2),
			(SELECT string_agg(file_name, ' ') FROM case_attachments WHERE case_id = $2))`, alertID, caseID).Scan(&narratives); err != nil {
		t.Fatal(err)
	}
	var attChunks int
	if err := owner.QueryRow(t.Context(), `SELECT count(*) FROM case_attachment_chunks WHERE attachment_id = $1`, attID).Scan(&attChunks); err != nil || attChunks != 0 {
		t.Errorf("the case attachment keeps %d chunks after erasure (%v)", attChunks, err)
	}
	if resp := h.get("/cases/"+caseID.String()+"/attachments/"+attID.String(), senior); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the erased attachment's download: %d; want 404", resp.StatusCode)
	}
	if got := found(narratives, erSecrets); len(got) > 0 || !strings.Contains(narratives, retention.ErasedMarker) {
		t.Errorf("alert and case narratives after erasure: %q (%v)", narratives, got)
	}
	for _, path := range []string{"/alerts/" + alertID.String(), "/cases/" + caseID.String()} {
		resp := h.get(path, senior)
		if b := body(t, resp); resp.StatusCode != 200 || len(found(b, erSecrets)) > 0 {
			t.Errorf("%s after erasure: %d, shows %v", path, resp.StatusCode, found(b, erSecrets))
		}
	}

	// The API.
	resp, out = h.apiCall("GET", api.Prefix+"/customers/"+cust, h.tenant.Slug, tok, "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET customer after erasure: %d %v", resp.StatusCode, out)
	}
	if got := found(jsonText(out), erSecrets); len(got) > 0 {
		t.Errorf("GET customer shows %v", got)
	}
	if !strings.Contains(jsonText(out), "ERASED") {
		t.Errorf("GET customer does not say ERASED: %v", out)
	}
	// Nothing personal is written again.
	if resp, out := h.apiCall("PATCH", api.Prefix+"/customers/"+cust, h.tenant.Slug, tok, `{"firstName": "Back"}`, nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("PATCH of an erased customer: %d %v; want 409", resp.StatusCode, out)
	}
	// The portal: the 360 page (as the role that sees everything), the
	// search by name and by e-mail, the audit page and every record's diff.
	// The search box shows what was typed: the results must not.
	for _, q := range []string{erLast, erEmail, erFirst + " " + erLast, erPhone} {
		d := doc(t, h.get("/customers?"+url.Values{"q": {q}}.Encode(), senior))
		if n := d.Find(`[data-testid="customer-row"]`).Length(); n != 0 {
			t.Errorf("a search for %q finds %d customers", q, n)
		}
		if got := found(d.Find(`[data-testid="customer-results"]`).Text(), erSecrets); len(got) > 0 {
			t.Errorf("the results of a search for %q show %v", q, got)
		}
	}
	for _, path := range []string{"/customers/" + cust, "/audit?" + url.Values{"entity": {"customer:" + cust}}.Encode(), "/audit"} {
		resp := h.get(path, senior)
		b := body(t, resp)
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
		if got := found(b, erSecrets); len(got) > 0 {
			t.Errorf("%s shows %v", path, got)
		}
	}
	if b := body(t, h.get("/customers/"+cust, senior)); !strings.Contains(b, `data-testid="customer-erased"`) {
		t.Error("the 360 page does not say the customer was erased")
	}
	rows, err := owner.Query(t.Context(), `SELECT id FROM audit_log WHERE tenant_id = $1 AND entity_id = $2`, h.tenant.ID, cust)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id.String())
	}
	rows.Close()
	if len(ids) < 3 {
		t.Fatalf("%d audit records of the customer", len(ids))
	}
	sawErased := false
	for _, id := range ids {
		resp := h.get("/audit/"+id, senior)
		b := body(t, resp)
		if resp.StatusCode != 200 {
			t.Errorf("/audit/%s: %d", id, resp.StatusCode)
		}
		if got := found(b, erSecrets); len(got) > 0 {
			t.Errorf("/audit/%s shows %v", id, got)
		}
		sawErased = sawErased || strings.Contains(b, "erased")
	}
	if !sawErased {
		t.Error("no audit diff shows \"erased\"")
	}
	// The tables.
	auditJSON, eventJSON = rawRows(t, h.tenant.ID)
	if got := found(auditJSON, erSecrets); len(got) > 0 {
		t.Errorf("audit_log holds %v", got)
	}
	if got := found(eventJSON, erSecrets); len(got) > 0 {
		t.Errorf("events hold %v", got)
	}
	var chunks, docs, keys int
	if err := owner.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM document_chunks dc JOIN documents d ON d.id = dc.document_id WHERE d.customer_id = $1),
		(SELECT count(*) FROM documents WHERE customer_id = $1), (SELECT count(*) FROM customer_keys WHERE customer_id = $1 AND sealed_key IS NOT NULL)`,
		cust).Scan(&chunks, &docs, &keys); err != nil {
		t.Fatal(err)
	}
	if chunks != 0 || docs != 0 || keys != 0 {
		t.Errorf("after erasure: %d chunks, %d documents, %d live keys", chunks, docs, keys)
	}
	var custRow string
	if err := owner.QueryRow(t.Context(), `SELECT row_to_json(c)::text FROM customers c WHERE id = $1`, cust).Scan(&custRow); err != nil {
		t.Fatal(err)
	}
	if got := found(custRow, erSecrets); len(got) > 0 {
		t.Errorf("the customer's row holds %v", got)
	}
	if err := owner.QueryRow(t.Context(), `SELECT concat((SELECT string_agg(ip || ' ' || user_agent, ' ') FROM customer_sessions WHERE customer_id = $1),
		' ', (SELECT string_agg(note, ' ') FROM screening_hits WHERE subject_id = $1))`, cust).Scan(&traces); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(traces, "127.0.0.1") || strings.Contains(traces, "Go-http-client") || strings.Contains(traces, erPhone) {
		t.Errorf("after erasure, the sessions and hit notes hold %q", traces)
	}
	var checks string
	if err := owner.QueryRow(t.Context(), `SELECT coalesce(string_agg(evidence::text, ' '), '') FROM verification_checks vc
		JOIN verification_requests vr ON vr.id = vc.verification_request_id WHERE vr.customer_id = $1`, cust).Scan(&checks); err != nil {
		t.Fatal(err)
	}
	if got := found(checks, erSecrets); len(got) > 0 {
		t.Errorf("the checks' evidence holds %v", got)
	}
	// The replay: no value, no error.
	resp, out = h.apiCall("GET", api.Prefix+"/events?limit=500", h.tenant.Slug, tok, "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("replay after erasure: %d %v", resp.StatusCode, out)
	}
	if got := found(jsonText(out), erSecrets); len(got) > 0 {
		t.Errorf("the replay shows %v", got)
	}
	if !strings.Contains(jsonText(out), `"erased"`) {
		t.Error("the replay shows no \"erased\" value")
	}
	// The audit chain still verifies, and the run and the erasure are in it.
	rep, err := audit.Verify(t.Context(), owner, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range rep.Broken {
		if b.ChainID == h.tenant.ID {
			t.Errorf("the tenant's chain is broken: %v", b)
		}
	}
	acts := map[string]bool{}
	for _, a := range h.auditActions(h.tenant.ID, "") {
		acts[a.Action] = true
	}
	for _, want := range []string{"customer.erased", "retention.run", "retention.settings.updated"} {
		if !acts[want] {
			t.Errorf("no %s in the audit trail", want)
		}
	}
	// A customer erased cannot be erased again, nor held.
	if err := h.s.Retention.Erase(t.Context(), h.tenant.ID, custID, "TEST", due); err == nil {
		t.Error("erased twice")
	}
}

// excerpt is a bit of s around the first sub, for failure messages.
func excerpt(s, sub string) string {
	i := strings.Index(s, sub)
	if i < 0 {
		return s[:min(len(s), 400)]
	}
	return s[max(0, i-200):min(len(s), i+600)]
}

// jsonText is a decoded JSON answer as text, for searching.
func jsonText(v any) string {
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, c := range t {
				b.WriteString(`"` + k + `" `)
				walk(c)
			}
		case []any:
			for _, c := range t {
				walk(c)
			}
		case string:
			b.WriteString(`"` + t + `" `)
		}
	}
	walk(v)
	return b.String()
}

// holdCustomer registers a customer without documents and closes them,
// answering their id.
func (h *harness) closedCustomer(tok string, senior *http.Cookie) string {
	h.t.Helper()
	t := h.t.(*testing.T)
	cust, vr := h.onboarded(h.tenant, tok, noCategory)
	if resp, out := h.apiCall("POST", uploadPath, h.tenant.Slug, tok, uploadBody(vr, selfie(t)), nil); resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	if resp := h.post("/customers/"+cust+"/standing", url.Values{"action": {"CLOSE"}, "reason": {"left"}}, senior); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("close: %d", resp.StatusCode)
	}
	return cust
}

// Retention never erases a customer on hold, nor deletes their
// documents, whatever holds them: an open alert, an open case, a SAR
// draft or a compliance officer's hold (set with a reason, audited, shown
// on the 360 page and the preview). Released, the hold stops holding.
func TestRetentionSparesEveryHold(t *testing.T) {
	h := newHarness(t)
	_, senior := h.signIn(staff.SeniorReviewer)
	_, analyst := h.signIn(staff.Analyst)
	tok := h.reviewToken()
	owner := dbtest.OwnerPool(t)
	ctx := context.WithoutCancel(t.Context())

	free := h.closedCustomer(tok, senior)
	alerted := h.closedCustomer(tok, senior)
	cased := h.closedCustomer(tok, senior)
	sar := h.closedCustomer(tok, senior)
	held := h.closedCustomer(tok, senior)
	alert := func(cust, status string) {
		t.Helper()
		tx := uuid.New()
		if _, err := owner.Exec(ctx, `INSERT INTO aml_transactions (id, tenant_id, customer_id, transaction_ref, request_hash, type, direction, amount,
			currency, amount_units, occurred_at, decision, score) VALUES ($1, $2, $3, $4, '\x00', 'TRANSFER', 'OUT', 5000, 'EUR', 500000, now(), 'REVIEW', 50)`,
			tx, h.tenant.ID, cust, "ref-"+tx.String()[:8]); err != nil {
			t.Fatal(err)
		}
		if _, err := owner.Exec(ctx, `INSERT INTO aml_alerts (id, tenant_id, customer_id, transaction_id, decision, severity, score, amount, currency, status)
			VALUES ($1, $2, $3, $4, 'REVIEW', 'MEDIUM', 50, 5000, 'EUR', $5)`, uuid.New(), h.tenant.ID, cust, tx, status); err != nil {
			t.Fatal(err)
		}
	}
	alert(alerted, "OPEN")
	alert(sar, "SAR_DRAFTED")
	if _, err := owner.Exec(ctx, `INSERT INTO cases (id, tenant_id, customer_id, title, status) VALUES ($1, $2, $3, 'Look into it', 'INVESTIGATING')`,
		uuid.New(), h.tenant.ID, cased); err != nil {
		t.Fatal(err)
	}

	// The compliance officer's hold: a reason is required, an analyst may
	// not set one.
	if resp := h.post("/customers/"+held+"/legal-hold", url.Values{"reason": {"  "}}, senior); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("hold without a reason: %d; want 422", resp.StatusCode)
	} else if d := doc(t, resp); text(d, `[data-testid="error-hold-reason"]`) == "" {
		t.Error("no error next to the hold's reason")
	}
	if resp := h.post("/customers/"+held+"/legal-hold", url.Values{"reason": {"litigation"}}, analyst); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("an analyst's hold: %d; want 403", resp.StatusCode)
	}
	if resp := h.post("/customers/"+held+"/legal-hold", url.Values{"reason": {"Court order 2026/114"}}, senior); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("hold: %d", resp.StatusCode)
	}
	d := doc(t, h.get("/customers/"+held, analyst))
	if got := text(d, `[data-testid="legal-hold-open-reason"]`); got != "Court order 2026/114" {
		t.Errorf("the 360 page's hold: %q", got)
	}
	if got := text(d, `[data-testid="legal-hold-reason"]`); got != "legal hold" {
		t.Errorf("the 360 page's hold reasons: %q", got)
	}
	if got := text(doc(t, h.get("/customers/"+alerted, analyst)), `[data-testid="legal-hold-reason"]`); got != "open alert" {
		t.Errorf("the alerted customer's hold reasons: %q", got)
	}

	// The documents were uploaded before the closing: a run a day after
	// both periods takes everything free and nothing held.
	var last time.Time
	if err := owner.QueryRow(ctx, `SELECT max(closed_at) FROM customers WHERE tenant_id = $1`, h.tenant.ID).Scan(&last); err != nil {
		t.Fatal(err)
	}
	at := last.AddDate(0, 0, retention.DefaultDays+1)
	// The preview is of a run now: the portal's clock is set to the run's
	// time, with a sign-in of that time.
	h.clock.set(at)
	_, later := h.signIn(staff.SeniorReviewer)
	pvResp := h.get("/retention", later)
	h.clock.set(time.Time{})
	if pvResp.StatusCode != 200 {
		t.Fatalf("preview: %d", pvResp.StatusCode)
	}
	pv := doc(t, pvResp)
	for id, want := range map[string]string{"customers-due": "1", "customers-held": "4", "documents-due": "1", "documents-held": "4"} {
		if got := text(pv, `[data-testid="retention-`+id+`"]`); got != want {
			t.Errorf("preview %s: %q; want %s", id, got, want)
		}
	}
	outcomes := map[string]string{}
	pv.Find(`[data-testid="retention-customer"]`).Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-customer-id")
		outcomes[id] = strings.TrimSpace(s.Find(`[data-testid="retention-outcome"]`).Text())
	})
	for cust, want := range map[string]string{free: "Erased", alerted: "Kept: open alert", cased: "Kept: open case", sar: "Kept: SAR draft", held: "Kept: legal hold"} {
		if outcomes[cust] != want {
			t.Errorf("preview of %s: %q; want %q", cust, outcomes[cust], want)
		}
	}

	res, err := h.s.Retention.RunTenant(ctx, h.tenant.ID, at)
	if err != nil || res != (retention.Result{CustomersErased: 1, CustomersHeld: 4, DocumentsHeld: 4}) {
		t.Fatalf("run: %+v %v", res, err)
	}
	status := func(cust string) (st string, docs int) {
		t.Helper()
		if err := owner.QueryRow(ctx, `SELECT status, (SELECT count(*) FROM documents WHERE customer_id = $1) FROM customers WHERE id = $1`, cust).Scan(&st, &docs); err != nil {
			t.Fatal(err)
		}
		return st, docs
	}
	if st, docs := status(free); st != "ERASED" || docs != 0 {
		t.Errorf("the free customer: %s with %d documents", st, docs)
	}
	for _, c := range []string{alerted, cased, sar, held} {
		if st, docs := status(c); st != "CLOSED" || docs != 1 {
			t.Errorf("held customer %s: %s with %d documents", c, st, docs)
		}
	}
	// Erasing a held customer directly is refused too.
	if err := h.s.Retention.Erase(ctx, h.tenant.ID, uuid.MustParse(held), "TEST", at); err == nil {
		t.Error("a held customer was erased")
	}

	// Released (with a reason), the officer's hold stops holding.
	if resp := h.post("/customers/"+held+"/legal-hold/release", url.Values{"reason": {"Case settled"}}, senior); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("release: %d", resp.StatusCode)
	}
	res, err = h.s.Retention.RunTenant(ctx, h.tenant.ID, at)
	if err != nil || res != (retention.Result{CustomersErased: 1, CustomersHeld: 3, DocumentsHeld: 3}) {
		t.Fatalf("run after the release: %+v %v", res, err)
	}
	if st, _ := status(held); st != "ERASED" {
		t.Errorf("released customer: %s", st)
	}
	var set, released int
	for _, a := range h.auditActions(h.tenant.ID, "customer.legal_hold.") {
		switch a.Action {
		case "customer.legal_hold.set":
			set++
		case "customer.legal_hold.released":
			released++
		}
	}
	if set != 1 || released != 1 {
		t.Errorf("audited: %d holds set, %d released", set, released)
	}
	var runs int
	if err := owner.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'retention.run' AND after->>'customersHeld' IS NOT NULL`,
		h.tenant.ID).Scan(&runs); err != nil || runs != 2 {
		t.Errorf("%d runs audited with their counts (%v)", runs, err)
	}
}

// A document whose own period has ended is deleted, with its chunks, while
// its customer stays; the run is audited with its counts.
func TestRetentionDeletesDueDocuments(t *testing.T) {
	h := newHarness(t)
	tok := h.reviewToken()
	owner := dbtest.OwnerPool(t)
	cust, vr := h.onboarded(h.tenant, tok, noCategory)
	if resp, out := h.apiCall("POST", uploadPath, h.tenant.Slug, tok, uploadBody(vr, selfie(t)), nil); resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	var uploaded time.Time
	var docID uuid.UUID
	if err := owner.QueryRow(t.Context(), `SELECT id, created_at FROM documents WHERE customer_id = $1`, cust).Scan(&docID, &uploaded); err != nil {
		t.Fatal(err)
	}
	due := uploaded.AddDate(0, 0, retention.DefaultDays)
	if res, err := h.s.Retention.RunTenant(t.Context(), h.tenant.ID, due.Add(-time.Second)); err != nil || res != (retention.Result{}) {
		t.Fatalf("a second early: %+v %v", res, err)
	}
	if res, err := h.s.Retention.RunTenant(t.Context(), h.tenant.ID, due); err != nil || res != (retention.Result{DocumentsDeleted: 1}) {
		t.Fatalf("at the end: %+v %v", res, err)
	}
	var docs, chunks int
	var status string
	if err := owner.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM documents WHERE id = $1), (SELECT count(*) FROM document_chunks WHERE document_id = $1),
		(SELECT status FROM customers WHERE id = $2)`, docID, cust).Scan(&docs, &chunks, &status); err != nil {
		t.Fatal(err)
	}
	if docs != 0 || chunks != 0 || status == "ERASED" {
		t.Errorf("after the run: %d documents, %d chunks, customer %s", docs, chunks, status)
	}
	var deleted int
	if err := owner.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'document.deleted' AND entity_id = $2`,
		h.tenant.ID, docID.String()).Scan(&deleted); err != nil || deleted != 1 {
		t.Errorf("document deletions audited: %d (%v)", deleted, err)
	}
}

// livesIn gives customer cust an address in country, as the owner would.
func (h *harness) livesIn(cust, country string) {
	h.t.Helper()
	if _, err := dbtest.OwnerPool(h.t).Exec(context.WithoutCancel(h.t.Context()),
		`UPDATE customers SET address = jsonb_set(coalesce(address, '{}'), '{country}', to_jsonb($2::text)) WHERE id = $1`, cust, country); err != nil {
		h.t.Fatal(err)
	}
}

// enablePack proposes pack id with form as maker and has checker approve
// it.
func (h *harness) enablePack(id string, form url.Values, maker, checker *http.Cookie) {
	h.t.Helper()
	t := h.t.(*testing.T)
	resp := h.proposePack(id, form, maker)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("propose the pack: %d", resp.StatusCode)
	}
	href, ok := doc(t, h.get("/config/compliance-packs", updated(maker, resp))).Find(`[data-testid="pack-` + id + `"] [data-testid="pending-approval"] a`).Attr("href")
	if !ok {
		t.Fatal("no pending approval on the pack")
	}
	h.approve(strings.TrimPrefix(href, "/approvals/"), checker)
}

// The retention job takes its periods from the regulatory pack enabled
// for a customer's country, with the tenant's approved overrides: under
// the EU pack a German customer's CDD records and documents are kept for
// the pack's period after the end of the relationship (so an active
// customer's documents are never due), while a customer of a country
// without a pack keeps the tenant's settings. The preview says which
// rule applies to which country.
func TestRetentionFollowsThePack(t *testing.T) {
	h := newHarness(t)
	_, maker := h.signIn(staff.TenantAdmin)
	_, senior := h.signIn(staff.SeniorReviewer)
	tok := h.reviewToken()
	owner := dbtest.OwnerPool(t)
	ctx := context.WithoutCancel(t.Context())
	german := h.closedCustomer(tok, senior)
	h.livesIn(german, "DE")
	french := h.closedCustomer(tok, senior)
	h.livesIn(french, "FR")
	active, vr := h.onboarded(h.tenant, tok, noCategory)
	if resp, out := h.apiCall("POST", uploadPath, h.tenant.Slug, tok, uploadBody(vr, selfie(t)), nil); resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	h.livesIn(active, "DE")

	// The EU pack for Germany, its CDD and document periods raised to
	// 3,000 days, approved by another employee.
	h.enablePack("eu_amld", url.Values{"countries": {"DE"}, "retention-cdd_records": {"3000"}, "retention-documents": {"3000"}}, maker, senior)

	pv := doc(t, h.get("/retention", senior))
	rules := map[string][3]string{}
	pv.Find(`[data-testid="retention-rule"]`).Each(func(_ int, s *goquery.Selection) {
		c, _ := s.Attr("data-country")
		rules[c] = [3]string{strings.Join(strings.Fields(s.Find(`[data-testid="retention-rule-documents"]`).Text()), " "),
			strings.TrimSpace(s.Find(`[data-testid="retention-rule-closed"]`).Text()), strings.TrimSpace(s.Find(`[data-testid="retention-rule-source"]`).Text())}
	})
	if r := rules["DE"]; r[0] != "3000 days after the closing" || r[1] != "3000 days after the closing" || !strings.Contains(r[2], "version") {
		t.Errorf("the preview's German rule: %q", r)
	}
	if r := rules["FR"]; r[0] != "5 years after the upload" || r[2] != retention.SourceSettings {
		t.Errorf("the preview's French rule: %q", r)
	}

	var base time.Time
	if err := owner.QueryRow(ctx, `SELECT greatest((SELECT max(closed_at) FROM customers WHERE tenant_id = $1), (SELECT max(created_at) FROM documents WHERE tenant_id = $1))`,
		h.tenant.ID).Scan(&base); err != nil {
		t.Fatal(err)
	}
	state := func(cust string) (st string, docs int) {
		t.Helper()
		if err := owner.QueryRow(ctx, `SELECT status, (SELECT count(*) FROM documents WHERE customer_id = $1) FROM customers WHERE id = $1`, cust).Scan(&st, &docs); err != nil {
			t.Fatal(err)
		}
		return st, docs
	}
	// Past the tenant's five years: the French customer is erased; the
	// German ones keep everything, the active one's document included.
	if res, err := h.s.Retention.RunTenant(ctx, h.tenant.ID, base.AddDate(0, 0, retention.DefaultDays+2)); err != nil || res != (retention.Result{CustomersErased: 1}) {
		t.Fatalf("the run after five years: %+v %v", res, err)
	}
	if st, _ := state(french); st != "ERASED" {
		t.Errorf("the French customer after five years: %s", st)
	}
	for _, c := range []string{german, active} {
		if st, docs := state(c); st == "ERASED" || docs != 1 {
			t.Errorf("German customer %s after five years: %s with %d documents", c, st, docs)
		}
	}
	// Past the pack's 3,000 days: the closed German customer is erased;
	// the active one's document stays, their relationship has not ended.
	if res, err := h.s.Retention.RunTenant(ctx, h.tenant.ID, base.AddDate(0, 0, 3001)); err != nil || res != (retention.Result{CustomersErased: 1}) {
		t.Fatalf("the run after 3,000 days: %+v %v", res, err)
	}
	if st, docs := state(german); st != "ERASED" || docs != 0 {
		t.Errorf("the closed German customer after 3,000 days: %s with %d documents", st, docs)
	}
	if st, docs := state(active); st == "ERASED" || docs != 1 {
		t.Errorf("the active German customer after 3,000 days: %s with %d documents", st, docs)
	}
}

// The EU pack's transactions period (1,826 days after the transaction)
// applies to the AML transactions of German customers; French customers,
// under the tenant's settings, keep theirs. Past it the run deletes them,
// in an audited batch, except the transaction an alert was raised on
// (closed as a false positive: the customer is not held, the transaction
// stays with its alert) and those of a customer on legal hold.
func TestRetentionDeletesTransactionsByThePack(t *testing.T) {
	h := newHarness(t)
	_, maker := h.signIn(staff.TenantAdmin)
	_, senior := h.signIn(staff.SeniorReviewer)
	tok := h.alertRule() // every transaction of 100 or more is sent for review
	owner := dbtest.OwnerPool(t)
	ctx := context.WithoutCancel(t.Context())
	free, held, french := h.amlCustomer(tok), h.amlCustomer(tok), h.amlCustomer(tok)
	for cust, country := range map[string]string{free: "DE", held: "DE", french: "FR"} {
		h.livesIn(cust, country)
	}
	for _, cust := range []string{free, free, held, french} {
		body := screenBody(cust, "rt-"+uuid.NewString()[:8], "50.00", "EUR", time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), nil)
		if resp, out := h.apiCall("POST", screenPath, h.tenant.Slug, tok, body, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("screen: %d %v", resp.StatusCode, out)
		}
	}
	alert := h.raise(tok, free, "150.00")
	if _, err := h.s.AML.CloseFalsePositive(actor.With(ctx, actor.Actor{Kind: actor.Employee, ID: uuid.NewString(), Name: "Analyst", TenantID: h.tenant.ID}),
		h.tenant.ID, uuid.MustParse(alert), "an ordinary payment"); err != nil {
		t.Fatal(err)
	}
	if resp := h.post("/customers/"+held+"/legal-hold", url.Values{"reason": {"litigation"}}, senior); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("legal hold: %d", resp.StatusCode)
	}
	h.enablePack("eu_amld", url.Values{"countries": {"DE"}}, maker, senior)

	rule := func(d *goquery.Document, country string) string {
		return strings.Join(strings.Fields(d.Find(`[data-testid="retention-rule"][data-country="`+country+`"] [data-testid="retention-rule-transactions"]`).Text()), " ")
	}
	pv := doc(t, h.get("/retention", senior))
	if de, fr := rule(pv, "DE"), rule(pv, "FR"); de != "1826 days after the transaction" || fr != "Kept" {
		t.Errorf("the preview's transaction periods: DE %q, FR %q", de, fr)
	}
	if n := pv.Find(`[data-testid="retention-transactions-due"]`).Length(); n != 0 {
		t.Errorf("transactions shown due today (%d)", n)
	}
	count := func(cust string) int {
		t.Helper()
		var n int
		if err := owner.QueryRow(ctx, `SELECT count(*) FROM aml_transactions WHERE customer_id = $1`, cust).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	later := time.Now().AddDate(0, 0, 1828)
	plan, err := h.s.Retention.Preview(ctx, h.tenant.ID, later)
	if err != nil || plan.TransactionsDue != 2 || plan.TransactionsHeld != 2 {
		t.Fatalf("the plan past the period: %d due, %d kept, %v; want 2 and 2", plan.TransactionsDue, plan.TransactionsHeld, err)
	}
	res, err := h.s.Retention.RunTenant(ctx, h.tenant.ID, later)
	if err != nil || res != (retention.Result{TransactionsDeleted: 2, TransactionsHeld: 2}) {
		t.Fatalf("the run past the period: %+v %v", res, err)
	}
	if f, hd, fr := count(free), count(held), count(french); f != 1 || hd != 1 || fr != 1 {
		t.Errorf("transactions left: %d of the German customer (want the alert's), %d of the held one, %d of the French one", f, hd, fr)
	}
	var audited []byte
	if err := owner.QueryRow(ctx, `SELECT before FROM audit_log WHERE tenant_id = $1 AND action = 'aml.transactions.deleted'`, h.tenant.ID).Scan(&audited); err != nil {
		t.Fatalf("the deletion's audit record: %v", err)
	}
	var rec struct {
		Count   int      `json:"count"`
		Country string   `json:"country"`
		IDs     []string `json:"transactionIds"`
	}
	if err := json.Unmarshal(audited, &rec); err != nil || rec.Count != 2 || rec.Country != "DE" || len(rec.IDs) != 2 {
		t.Errorf("audited %s (%v); want the two ids of DE", audited, err)
	}
	if res, err := h.s.Retention.RunTenant(ctx, h.tenant.ID, later); err != nil || res.TransactionsDeleted != 0 {
		t.Errorf("a second run: %+v %v", res, err)
	}
}

// A tenant's own compliance field, kept as a value (sealed: it is marked
// sensitive, and no virtual document), goes with the customer's erasure:
// before it, GET /customers/{id} shows it masked; after, the customer has
// none, in the table or the API.
func TestErasureTakesTheComplianceFields(t *testing.T) {
	h := newHarness(t)
	_, maker := h.signIn(staff.TenantAdmin)
	_, senior := h.signIn(staff.SeniorReviewer)
	tok := h.reviewToken()
	h.enablePack("uk_mlr_2017", url.Values{"countries": {"GB"}, "new-name": {"loyaltyRef"}, "new-label": {"Loyalty reference"},
		"new-format": {"pattern"}, "new-pattern": {"[A-Z]{2}[0-9]{4}"}, "new-sensitive": {"on"}}, maker, senior)
	resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, tok, variant(t, func(m map[string]any) {
		noCategory(m)
		ic(m)["complianceFields"] = map[string]any{"loyaltyRef": "QX4471"}
	}), nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %v", resp.StatusCode, out)
	}
	cust := data(out)["customerId"].(string)
	fields := func() map[string]any {
		t.Helper()
		resp, out := h.apiCall("GET", api.Prefix+"/customers/"+cust, h.tenant.Slug, tok, "", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET the customer: %d %v", resp.StatusCode, out)
		}
		f, _ := data(out)["profile"].(map[string]any)["complianceFields"].(map[string]any)
		return f
	}
	owner := dbtest.OwnerPool(t)
	var sealed int
	if err := owner.QueryRow(t.Context(), `SELECT count(*) FROM compliance_field_values WHERE customer_id = $1 AND value_sealed IS NOT NULL AND value_text = ''`,
		cust).Scan(&sealed); err != nil || sealed != 1 {
		t.Fatalf("%d sealed values kept (%v); want the loyalty reference", sealed, err)
	}
	if f := fields(); len(f) != 1 || f["loyaltyRef"] == "QX4471" || !strings.HasSuffix(fmt.Sprint(f["loyaltyRef"]), "4471") {
		t.Fatalf("the field before erasure: %v; want it masked", f)
	}
	if err := h.s.Retention.Erase(context.WithoutCancel(t.Context()), h.tenant.ID, uuid.MustParse(cust), "SUBJECT_REQUEST", time.Now()); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := owner.QueryRow(t.Context(), `SELECT count(*) FROM compliance_field_values WHERE customer_id = $1`, cust).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d compliance field values left after erasure (%v)", left, err)
	}
	if f := fields(); len(f) != 0 {
		t.Errorf("the fields after erasure: %v; want none", f)
	}
}
