package web

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/approval"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/jobs"
	"github.com/ciamhq/ciam/internal/report"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
)

// subjectZip is a downloaded export, its files by name.
type subjectZip map[string][]byte

func readSubjectZip(t *testing.T, resp *http.Response) subjectZip {
	t.Helper()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("Content-Type") != "application/zip" || !strings.Contains(resp.Header.Get("Content-Disposition"), ".zip") {
		t.Errorf("headers: %v", resp.Header)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	out := subjectZip{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = b
	}
	return out
}

// list is file name's JSON array.
func (z subjectZip) list(t *testing.T, name string) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(z[name], &out); err != nil {
		t.Fatalf("%s: %v: %s", name, err, z[name])
	}
	return out
}

// The export holds everything held about the customer — profile, login
// facts, virtual documents opened, verifications with the documents
// themselves, screening hits and decisions, transactions, alerts, the
// case with its attachment, audit records and events — with a manifest
// whose hashes are the files'. It is proposed by one senior reviewer and
// approved by another employee, never by its maker; another tenant can
// neither ask for it nor have it; every download is audited; asking twice
// makes one export.
func TestSubjectAccessExport(t *testing.T) {
	h := newHarness(t)
	tok := h.alertRule()
	kycTok := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeCustomersRead, credential.ScopeVerificationWrite)
	// A field of the tenant's own under the UK pack, kept sealed as a value.
	_, packMaker := h.signIn(staff.TenantAdmin)
	_, packChecker := h.signIn(staff.SeniorReviewer)
	h.enablePack("uk_mlr_2017", url.Values{"countries": {"GB"}, "new-name": {"loyaltyRef"}, "new-label": {"Loyalty reference"},
		"new-format": {"pattern"}, "new-pattern": {"[A-Z]{2}[0-9]{4}"}, "new-sensitive": {"on"}}, packMaker, packChecker)
	const loyaltyRef = "QX4471"
	cust, vr := h.onboarded(h.tenant, kycTok, func(m map[string]any) {
		noCategory(m)
		ic(m)["complianceFields"] = map[string]any{"loyaltyRef": loyaltyRef}
	})
	custID := uuid.MustParse(cust)
	const ssn = "234-56-7891"
	pass := passport(t, nil)
	if resp, out := h.apiCall("POST", uploadPath, h.tenant.Slug, kycTok, valueUpload(vr, pass, virtualDoc("SSN", ssn, "")), nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	alert := h.raise(tok, cust, "150.00")
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test", TenantID: h.tenant.ID})
	res, err := h.s.Screening.ScreenSubject(ctx, screening.Subject{ID: custID, TenantID: h.tenant.ID, Name: "Miguel Angel Rodriguez Orejuela",
		Type: screening.Individual, DateOfBirth: "1943-11-23", Country: "CO"})
	if err != nil || len(res.NewHits) == 0 {
		t.Fatalf("screening: %d hits, %v", len(res.NewHits), err)
	}
	hit := res.NewHits[0].ID.String()
	_, ac := h.signIn(staff.Analyst)
	location(t, h.post("/screening/hits/"+hit+"/decide", url.Values{"decision": {"DISMISSED"}, "note": {"Different date of birth"}}, ac))
	caseID := strings.TrimPrefix(location(t, h.post("/cases", url.Values{"alert": {alert}}, ac)), "/cases/")
	attachment := []byte("Contract with Quick Cash Ltd, signed 2026-11-02.")
	location(t, h.attach(caseID, "contracts.txt", attachment, ac))

	makerEmp, maker := h.signIn(staff.SeniorReviewer)
	_, checker := h.signIn(staff.SeniorReviewer)
	_, auditor := h.signIn(staff.Auditor)
	_, admin := h.signIn(staff.TenantAdmin)
	custPage := "/customers/" + cust

	// Only a role that may ask sees the section.
	if d := doc(t, h.get(custPage, auditor)); d.Find(`[data-testid="customer-subject-access"]`).Length() != 0 {
		t.Error("an auditor sees the subject access section")
	}
	if resp := h.post(custPage+"/subject-access", url.Values{"reason": {"asked"}}, auditor); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an auditor asking: %d", resp.StatusCode)
	}

	// The request's reason is required, named beside its field.
	resp := h.post(custPage+"/subject-access", url.Values{"reason": {"  "}}, maker)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("no reason: %d", resp.StatusCode)
	}
	if got := text(doc(t, resp), `[data-testid="error-subject-reason"]`); !strings.Contains(got, "is required") {
		t.Errorf("no reason: error %q", got)
	}

	// Asked once; a second post (a refresh, a double click) makes no second request.
	const reason = "E-mail of 2026-11-30, ref. DSAR-7"
	if resp := h.post(custPage+"/subject-access", url.Values{"reason": {reason}}, maker); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("ask: %d", resp.StatusCode)
	}
	maker = updated(maker, h.get(custPage, maker))
	if resp := h.post(custPage+"/subject-access", url.Values{"reason": {reason}}, maker); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("ask again: %d", resp.StatusCode)
	}
	d := doc(t, h.get(custPage, maker))
	if d.Find(`[data-testid="subject-request"]`).Length() != 0 {
		t.Error("the form is offered while a request waits")
	}
	pending := d.Find(`[data-testid="subject-pending"] a`)
	if pending.Length() != 1 {
		t.Fatalf("pending requests shown: %d", pending.Length())
	}
	page, err := h.s.Approvals.List(t.Context(), h.tenant.ID, approval.StatusPending, report.KindSubjectAccess, 10, 0)
	if err != nil || page.Total != 1 {
		t.Fatalf("pending subject access requests: %d %v; want 1", page.Total, err)
	}
	reqPath := pending.AttrOr("href", "")
	if reqPath != "/approvals/"+page.Requests[0].ID.String() {
		t.Errorf("the pending link %q", reqPath)
	}

	// Another tenant's employee can neither ask nor see.
	other, err := h.s.Tenants.Create(t.Context(), tenant.CreateParams{Slug: "o-" + uuid.NewString()[:8], Name: "Other Ltd"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stranger := h.cookieFor(h.employeeOf(other.ID, staff.SeniorReviewer))
	if resp := h.post(custPage+"/subject-access", url.Values{"reason": {reason}}, stranger); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another tenant asking: %d", resp.StatusCode)
	}
	if resp := h.post(reqPath+"/decide", url.Values{"decision": {"APPROVE"}, "reason": {"ok"}}, h.cookieFor(h.employeeOf(other.ID, staff.TenantAdmin))); resp.StatusCode == http.StatusSeeOther {
		t.Error("another tenant's admin decided the request")
	}

	// The maker cannot approve their own request.
	h.post(reqPath+"/decide", url.Values{"decision": {"APPROVE"}, "reason": {"mine"}}, maker)
	if r, err := h.s.Approvals.Get(t.Context(), h.tenant.ID, page.Requests[0].ID); err != nil || r.Status != approval.StatusPending {
		t.Fatalf("after the maker's approval: %s %v; want still pending", r.Status, err)
	}
	if exports, _ := h.s.Reports.ExportsOf(t.Context(), h.tenant.ID, custID, 10); len(exports) != 0 {
		t.Fatalf("exports before approval: %d", len(exports))
	}

	// A second employee approves: the export is made (no queue here: at once).
	if resp := h.post(reqPath+"/decide", url.Values{"decision": {"APPROVE"}, "reason": {"identity of the requester checked"}}, checker); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	exports, err := h.s.Reports.ExportsOf(t.Context(), h.tenant.ID, custID, 10)
	if err != nil || len(exports) != 1 || exports[0].Status != report.Done {
		t.Fatalf("exports after approval: %+v %v", exports, err)
	}
	e := exports[0]
	exportPage := custPage + "/subject-access/" + e.ID.String()
	d = doc(t, h.get(custPage, maker))
	if d.Find(`[data-testid="subject-export"][data-status="DONE"] a[href="`+exportPage+`"]`).Length() != 1 {
		t.Errorf("the customer page does not list the export: %s", d.Find(`[data-testid="customer-subject-access"]`).Text())
	}
	d = doc(t, h.get(exportPage, maker))
	if d.Find(`[data-testid="subject-status"]`).AttrOr("data-status", "") != "DONE" || d.Find(`[data-testid="subject-status"]`).AttrOr("hx-trigger", "") != "" {
		t.Errorf("export page: %s", d.Find("main").Text())
	}
	makerName := page.Requests[0].MakerName
	if got := text(d, `[data-testid="subject-requested-by"]`); got != makerName || !strings.Contains(got, makerEmp.Name) {
		t.Errorf("requested by %q", text(d, `[data-testid="subject-requested-by"]`))
	}
	if d.Find(`[data-testid="subject-download"]`).AttrOr("href", "") != exportPage+"/download" {
		t.Error("no download link")
	}

	// Sealed at rest: no chunk holds the ZIP's bytes.
	var chunks, plain int
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), `SELECT count(*), count(*) FILTER (WHERE position('PK'::bytea IN content) = 1)
		FROM subject_export_chunks WHERE export_id = $1`, e.ID).Scan(&chunks, &plain); err != nil || chunks == 0 || plain != 0 {
		t.Errorf("chunks %d, of them plain ZIP %d, %v", chunks, plain, err)
	}

	// Strangers, and roles that may not, have no download.
	for _, p := range []string{exportPage, exportPage + "/download"} {
		if resp := h.get(p, stranger); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s from another tenant: %d", p, resp.StatusCode)
		}
		for _, c := range []*http.Cookie{auditor, admin} {
			if resp := h.get(p, c); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s as a role without subject access: %d", p, resp.StatusCode)
			}
		}
	}
	if resp := h.get("/customers/"+uuid.NewString()+"/subject-access/"+e.ID.String()+"/download", maker); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the export under another customer's path: %d", resp.StatusCode)
	}

	resp = h.get(exportPage+"/download", maker)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	if sum := sha256.Sum256(raw); text(d, `[data-testid="subject-sha256"]`) != hex.EncodeToString(sum[:]) {
		t.Errorf("the page's SHA-256 %q is not the file's", text(d, `[data-testid="subject-sha256"]`))
	}
	z := readSubjectZip(t, resp)

	t.Run("the manifest lists every file with its SHA-256", func(t *testing.T) {
		var m report.Manifest
		if err := json.Unmarshal(z["manifest.json"], &m); err != nil {
			t.Fatal(err)
		}
		if m.CustomerID != custID || m.RequestedBy != makerName || m.Reason != reason || m.ApprovedBy == "" {
			t.Errorf("manifest: %+v", m)
		}
		listed := map[string]bool{}
		for _, f := range m.Files {
			listed[f.Name] = true
			sum := sha256.Sum256(z[f.Name])
			if z[f.Name] == nil || hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(z[f.Name])) != f.Bytes {
				t.Errorf("%s: listed %s (%d bytes), in the ZIP %x (%d bytes)", f.Name, f.SHA256, f.Bytes, sum, len(z[f.Name]))
			}
		}
		for name := range z {
			if name != "manifest.json" && !listed[name] {
				t.Errorf("%s is not in the manifest", name)
			}
		}
		for _, want := range []string{"profile.json", "login.json", "virtual-documents.json", "verifications.json", "screening-hits.json",
			"aml-transactions.json", "aml-alerts.json", "cases.json", "consents.json", "audit.json", "events.json"} {
			if !listed[want] {
				t.Errorf("no %s", want)
			}
		}
	})

	t.Run("profile and login, without secrets", func(t *testing.T) {
		c, err := h.s.Customers.Get(t.Context(), h.tenant.ID, custID)
		if err != nil {
			t.Fatal(err)
		}
		prof := string(z["profile.json"])
		for _, v := range []string{c.Email, c.PhoneNumber, c.DateOfBirth.Format("2006-01-02"), c.LastName, c.Address.Street, loyaltyRef} {
			if !strings.Contains(prof, v) {
				t.Errorf("profile.json lacks %q", v)
			}
		}
		login := string(z["login.json"])
		if !strings.Contains(login, `"credential"`) || !strings.Contains(login, `"sessions"`) {
			t.Errorf("login.json: %s", login)
		}
		for _, secret := range []string{"argon2", "hash", "secret"} {
			if strings.Contains(strings.ToLower(login), secret) {
				t.Errorf("login.json mentions %q: %s", secret, login)
			}
		}
	})

	t.Run("virtual documents opened, documents themselves", func(t *testing.T) {
		vals := z.list(t, "virtual-documents.json")
		if len(vals) != 1 || vals[0]["value"] != ssn || vals[0]["subType"] != "SSN" {
			t.Errorf("virtual documents: %v", vals)
		}
		vrs := z.list(t, "verifications.json")
		if len(vrs) != 1 || vrs[0]["verification"].(map[string]any)["ID"] != vr {
			t.Fatalf("verifications: %v", vrs)
		}
		var docs []string
		for name, b := range z {
			if strings.HasPrefix(name, "documents/") {
				docs = append(docs, name)
				if !bytes.Equal(b, pass.Content) {
					t.Errorf("%s is not the uploaded passport (%d bytes, want %d)", name, len(b), len(pass.Content))
				}
			}
		}
		if len(docs) != 1 {
			t.Errorf("document files %v; want the passport", docs)
		}
		if ev := vrs[0]["documentEvidence"].(map[string]any); len(ev) != 1 {
			t.Errorf("evidence of %d documents", len(ev))
		}
	})

	t.Run("screening, transactions, alerts, the case and its attachment", func(t *testing.T) {
		hits := z.list(t, "screening-hits.json")
		var found bool
		for _, x := range hits {
			if x["ID"] == hit {
				found = x["Status"] == "DISMISSED" && x["Note"] == "Different date of birth"
			}
		}
		if !found || len(hits) != len(res.NewHits) {
			t.Errorf("hits: %d, the decided one found %v", len(hits), found)
		}
		txs := z.list(t, "aml-transactions.json")
		if len(txs) != 1 || txs[0]["alertId"] != alert || txs[0]["amount"] != "150" {
			t.Errorf("transactions: %v", txs)
		}
		alerts := z.list(t, "aml-alerts.json")
		if len(alerts) != 1 || alerts[0]["ID"] != alert {
			t.Errorf("alerts: %v", alerts)
		}
		cs := z.list(t, "cases.json")
		if len(cs) != 1 {
			t.Fatalf("cases: %v", cs)
		}
		c := cs[0]["case"].(map[string]any)
		if c["ID"] != caseID || !strings.Contains(string(z["cases.json"]), "ATTACHMENT_ADDED") {
			t.Errorf("case: %v", c)
		}
		files := cs[0]["attachmentFiles"].(map[string]any)
		if len(files) != 1 {
			t.Fatalf("attachment files: %v", files)
		}
		for _, name := range files {
			if !bytes.Equal(z[name.(string)], attachment) {
				t.Errorf("%s: %q", name, z[name.(string)])
			}
		}
	})

	t.Run("audit records and events about the customer", func(t *testing.T) {
		var actions []string
		for _, r := range z.list(t, "audit.json") {
			actions = append(actions, r["Action"].(string))
			if r["EntityType"] == "customer" && r["EntityID"] != cust {
				t.Errorf("another customer's record: %v", r)
			}
		}
		for _, want := range []string{"customer.registered", "document.uploaded", "screening.hit.dismissed", "case.attachment_added", "document.viewed"} {
			if !slices.ContainsFunc(actions, func(a string) bool { return strings.HasPrefix(a, want) }) {
				t.Errorf("no audit record %s among %v", want, actions)
			}
		}
		var types []string
		for _, ev := range z.list(t, "events.json") {
			types = append(types, ev["Type"].(string))
		}
		if !slices.Contains(types, "customer.registered") || !slices.Contains(types, "aml.alert.created") {
			t.Errorf("events: %v", types)
		}
	})

	t.Run("every download is audited", func(t *testing.T) {
		readSubjectZip(t, h.get(exportPage+"/download", checker))
		count := map[string]int{}
		for _, a := range h.auditActions(h.tenant.ID, "subject_access.") {
			count[a.Action]++
		}
		want := map[string]int{"subject_access.queued": 1, "subject_access.started": 1, "subject_access.completed": 1, "subject_access.downloaded": 2}
		for k, v := range want {
			if count[k] != v {
				t.Errorf("audit %s: %d; want %d (all: %v)", k, count[k], v, count)
			}
		}
	})

	t.Run("the page polls while the export is being made", func(t *testing.T) {
		if _, err := dbtest.OwnerPool(t).Exec(t.Context(), "UPDATE subject_exports SET status = 'RUNNING', processed = 3, total = 12 WHERE id = $1", e.ID); err != nil {
			t.Fatal(err)
		}
		d := doc(t, h.get(exportPage, maker))
		st := d.Find(`[data-testid="subject-status"]`)
		if st.AttrOr("hx-trigger", "") != "every 1s" || d.Find(`[data-testid="subject-progress"]`).AttrOr("value", "") != "25" {
			t.Errorf("running: trigger %q progress %q", st.AttrOr("hx-trigger", ""), d.Find(`[data-testid="subject-progress"]`).AttrOr("value", ""))
		}
		if resp := h.get(exportPage+"/download", maker); resp.StatusCode != http.StatusConflict {
			t.Errorf("download while running: %d", resp.StatusCode)
		}
		if resp := h.post(custPage+"/subject-access", url.Values{"reason": {reason}}, maker); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("ask while one is made: %d", resp.StatusCode)
		}
		if page, _ := h.s.Approvals.List(t.Context(), h.tenant.ID, approval.StatusPending, report.KindSubjectAccess, 10, 0); page.Total != 0 {
			t.Errorf("a request made while an export runs: %d", page.Total)
		}
	})
}

// reportJobs is a job queue (not started) that makes the harness's
// reports and subject access exports.
func (h *harness) reportJobs() *jobs.Runner {
	h.t.Helper()
	r, err := jobs.New(h.pool, jobs.Config{Webhooks: h.s.Webhooks, KYC: h.s.KYC, Reports: h.s.Reports, PumpEvery: time.Hour, Logger: h.s.Logger})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { h.s.Reports.Jobs = nil })
	return r
}

// Approved with a queue, the export waits for its job, the page polling,
// until a worker makes it; its file is deleted when the tenant's retention
// period ends, and the deletion audited.
func TestSubjectAccessAsAJobAndItsRetention(t *testing.T) {
	h := newHarness(t)
	c := h.person("Ines", "", "Ortega", "1981-05-06", "ES")
	makerEmp, maker := h.signIn(staff.SeniorReviewer)
	_, checker := h.signIn(staff.TenantAdmin)
	r := h.reportJobs()
	start := time.Now()
	h.clock.set(start)
	maker = h.cookieFor(makerEmp)

	custPage := "/customers/" + c.ID.String()
	location(t, h.post(custPage+"/subject-access", url.Values{"reason": {"Letter of 2026-11-28"}}, maker))
	page, err := h.s.Approvals.List(t.Context(), h.tenant.ID, approval.StatusPending, report.KindSubjectAccess, 10, 0)
	if err != nil || page.Total != 1 {
		t.Fatalf("pending: %d %v", page.Total, err)
	}
	reqPath := "/approvals/" + page.Requests[0].ID.String()
	if d := doc(t, h.get(reqPath, checker)); d.Find(`form[action="`+reqPath+`/decide"]`).Length() == 0 {
		t.Fatalf("the checker has no decision form: %s", d.Find("main").Text())
	}
	location(t, h.post(reqPath+"/decide", url.Values{"decision": {"APPROVE"}, "reason": {"checked"}}, checker))
	exports, err := h.s.Reports.ExportsOf(t.Context(), h.tenant.ID, c.ID, 10)
	if err != nil || len(exports) != 1 || exports[0].Status != report.Queued {
		t.Fatalf("before the worker: %+v %v", exports, err)
	}
	exportPage := custPage + "/subject-access/" + exports[0].ID.String()
	d := doc(t, h.get(exportPage, maker))
	if st := d.Find(`[data-testid="subject-status"]`); st.AttrOr("data-status", "") != report.Queued || st.AttrOr("hx-trigger", "") != "every 1s" ||
		st.AttrOr("hx-get", "") != exportPage {
		t.Fatalf("queued: %s %q", st.AttrOr("data-status", ""), st.AttrOr("hx-trigger", ""))
	}

	// A job lost before it ran (the queue away at the approval) is queued
	// again by the periodic job, once; one still queued is not doubled.
	h.clock.set(start.Add(2 * time.Minute))
	if n, err := h.s.Reports.QueueWaiting(t.Context()); err != nil || n != 0 {
		t.Fatalf("with its job queued: %d %v", n, err)
	}
	if _, err := dbtest.OwnerPool(t).Exec(t.Context(), "DELETE FROM river_job WHERE kind = 'report.subject_access'"); err != nil {
		t.Fatal(err)
	}
	if n, err := h.s.Reports.QueueWaiting(t.Context()); err != nil || n != 1 {
		t.Fatalf("with its job lost: %d %v", n, err)
	}
	h.clock.set(start)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Stop(context.Background())
	deadline := time.Now().Add(30 * time.Second)
	for {
		d = doc(t, h.get(exportPage, maker))
		if st := d.Find(`[data-testid="subject-status"]`).AttrOr("data-status", ""); st == report.Done || st == report.Failed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job did not finish: %s", d.Find("main").Text())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := text(d, `[data-testid="subject-parts"]`); !strings.HasPrefix(got, "12 of 12 parts") {
		t.Errorf("done: %q (%s)", got, text(d, `[data-testid="subject-error"]`))
	}
	z := readSubjectZip(t, h.get(exportPage+"/download", maker))
	if !strings.Contains(string(z["profile.json"]), c.Email) || z["manifest.json"] == nil {
		t.Errorf("the ZIP lacks the profile or the manifest: %v", len(z))
	}
	if !strings.Contains(string(z["login.json"]), `"credential"`) {
		t.Errorf("login.json: %s", z["login.json"])
	}

	// Kept for the retention period (seven days by default), then deleted.
	// (Expire works on every tenant: the package's other tests' files
	// count in what it returns, so the export's own state is what counts.)
	status := func() string {
		e, err := h.s.Reports.Export(t.Context(), h.tenant.ID, exports[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		return e.Status
	}
	h.clock.set(start.Add(6 * 24 * time.Hour))
	if _, err := h.s.Reports.Expire(t.Context()); err != nil || status() != report.Done {
		t.Fatalf("six days on: %s %v", status(), err)
	}
	h.clock.set(start.Add(8 * 24 * time.Hour))
	maker = h.cookieFor(makerEmp)
	if n, err := h.s.Reports.Expire(t.Context()); err != nil || n < 1 || status() != report.Expired {
		t.Fatalf("eight days on: %d %s %v", n, status(), err)
	}
	if resp := h.get(exportPage+"/download", maker); resp.StatusCode != http.StatusNotFound {
		t.Errorf("download after expiry: %d", resp.StatusCode)
	}
	if d := doc(t, h.get(exportPage, maker)); d.Find(`[data-testid="subject-expired"]`).Length() != 1 {
		t.Error("the page does not say the file was deleted")
	}
	var chunks int
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT count(*) FROM subject_export_chunks WHERE export_id = $1", exports[0].ID).Scan(&chunks); err != nil || chunks != 0 {
		t.Errorf("chunks left: %d %v", chunks, err)
	}
	if acts := h.auditActions(h.tenant.ID, "subject_access.expired"); len(acts) != 1 || acts[0].Reason != "RETENTION" {
		t.Errorf("expiry audit: %v", acts)
	}
	// With the export ended, the customer may be asked for again.
	if d := doc(t, h.get(custPage, maker)); d.Find(`[data-testid="subject-request"]`).Length() != 1 {
		t.Error("no request form once the export has ended")
	}
}

// A subject access export made before the customer's erasure does not
// outlive it: its ZIP is sealed under the field keys, not the customer's
// data key, so erasure deletes it and the export expires; the download is
// then 404.
func TestErasureTakesTheSubjectAccessExport(t *testing.T) {
	h := newHarness(t)
	c := h.person("Oriane", "", "Vastergaard", "1979-02-14", "DK")
	_, maker := h.signIn(staff.SeniorReviewer)
	_, checker := h.signIn(staff.TenantAdmin)
	r := h.reportJobs()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Stop(context.Background())

	custPage := "/customers/" + c.ID.String()
	location(t, h.post(custPage+"/subject-access", url.Values{"reason": {"Letter of 2026-12-01"}}, maker))
	page, err := h.s.Approvals.List(t.Context(), h.tenant.ID, approval.StatusPending, report.KindSubjectAccess, 10, 0)
	if err != nil || page.Total != 1 {
		t.Fatalf("pending: %d %v", page.Total, err)
	}
	location(t, h.post("/approvals/"+page.Requests[0].ID.String()+"/decide", url.Values{"decision": {"APPROVE"}, "reason": {"checked"}}, checker))
	exports, err := h.s.Reports.ExportsOf(t.Context(), h.tenant.ID, c.ID, 10)
	if err != nil || len(exports) != 1 {
		t.Fatalf("exports: %+v %v", exports, err)
	}
	id := exports[0].ID
	waitUntil(t, "the export is made", func() bool {
		e, err := h.s.Reports.Export(t.Context(), h.tenant.ID, id)
		return err == nil && e.Status == report.Done
	})
	download := custPage + "/subject-access/" + id.String() + "/download"
	if z := readSubjectZip(t, h.get(download, maker)); !strings.Contains(string(z["profile.json"]), c.LastName) {
		t.Fatal("the ZIP lacks the customer's profile")
	}

	if err := h.s.Retention.Erase(context.WithoutCancel(t.Context()), h.tenant.ID, c.ID, "SUBJECT_REQUEST", time.Now()); err != nil {
		t.Fatal(err)
	}
	if resp := h.get(download, maker); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the download after erasure: %d; want 404", resp.StatusCode)
	}
	var chunks int
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT count(*) FROM subject_export_chunks WHERE export_id = $1", id).Scan(&chunks); err != nil || chunks != 0 {
		t.Errorf("chunks left after erasure: %d %v", chunks, err)
	}
	if e, err := h.s.Reports.Export(t.Context(), h.tenant.ID, id); err != nil || e.Status != report.Expired {
		t.Errorf("the export after erasure: %+v %v; want expired", e, err)
	}
}
