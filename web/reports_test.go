package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/jobs"
	"github.com/ciamhq/ciam/internal/report"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
)

// runReport runs definition with form through the portal and returns the
// run's page location.
func (h *harness) runReport(c *http.Cookie, definition string, form url.Values) string {
	h.t.Helper()
	resp := h.post("/reports/"+definition+"/run", form, c)
	if resp.StatusCode != http.StatusSeeOther {
		body, _ := io.ReadAll(resp.Body)
		h.t.Fatalf("run %s: %d %s", definition, resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

func (h *harness) download(c *http.Cookie, runPage string) *http.Response {
	h.t.Helper()
	return h.get(runPage+"/download", c)
}

func readReportCSV(t *testing.T, resp *http.Response) [][]string {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("download: %d %s", resp.StatusCode, body)
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func column(rows [][]string, header string) int {
	for i, h := range rows[0] {
		if h == header {
			return i
		}
	}
	return -1
}

func TestReportExtractsThroughThePortal(t *testing.T) {
	h := newHarness(t)
	_, senior := h.signIn(staff.SeniorReviewer)
	_, auditor := h.signIn(staff.Auditor)
	_, analyst := h.signIn(staff.Analyst)
	gb := h.person("Alice", "", "Archer", "1985-03-04", "GB")
	bob := h.person("Bob", "", "Baker", "1990-07-08", "FR")
	carl := h.person("Carl", "", "Cole", "1979-01-02", "DE")
	// Bob and Carl live abroad.
	for _, c := range []uuid.UUID{bob.ID, carl.ID} {
		if _, err := dbtest.OwnerPool(t).Exec(t.Context(), `UPDATE customers SET address = jsonb_set(address, '{country}', to_jsonb(nationality)) WHERE id = $1`, c); err != nil {
			t.Fatal(err)
		}
	}

	// The page lists the definitions shipped as data.
	d := doc(t, h.get("/reports", senior))
	for _, id := range []string{"customers_by_risk", "peps", "screening_hits", "verifications_decided", "alerts", "sars"} {
		if d.Find(`[data-testid="report-definition"][data-id="`+id+`"]`).Length() != 1 {
			t.Errorf("report %s not listed", id)
		}
	}
	if resp := h.get("/reports", analyst); resp.StatusCode != http.StatusForbidden {
		t.Errorf("analyst: %d, want 403", resp.StatusCode)
	}

	t.Run("bad filters are named and the form kept", func(t *testing.T) {
		resp := h.post("/reports/customers_by_risk/run", url.Values{"format": {"CSV"}, "country": {"gb1"}, "risk": {"EXTREME"},
			"since": {"2026-13-01"}}, senior)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", resp.StatusCode)
		}
		d := doc(t, resp)
		for _, f := range []string{"run-country", "run-risk", "run-since"} {
			if text(d, `[data-testid="error-`+f+`"]`) == "" {
				t.Errorf("no error next to %s", f)
			}
		}
		if d.Find(`#run-country`).AttrOr("value", "") != "gb1" {
			t.Error("the form lost what was typed")
		}
		if resp := h.post("/reports/customers_by_risk/run", url.Values{"format": {"PDF"}}, senior); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("format PDF: %d", resp.StatusCode)
		}
		if resp := h.post("/reports/no_such/run", url.Values{"format": {"CSV"}}, senior); resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown report: %d", resp.StatusCode)
		}
	})

	t.Run("a senior reviewer's CSV shows data in full; an auditor may not have it", func(t *testing.T) {
		run := h.runReport(senior, "customers_by_risk", url.Values{"format": {"CSV"}})
		d := doc(t, h.get(run, senior))
		if d.Find(`[data-testid="run-status"]`).AttrOr("data-status", "") != "DONE" || text(d, `[data-testid="run-rows"]`) != "3 of 3 rows" {
			t.Fatalf("run page: %s", d.Find("main").Text())
		}
		rows := readReportCSV(t, h.download(senior, run))
		if len(rows) != 4 {
			t.Fatalf("%d rows, want header + 3", len(rows))
		}
		email, phone := column(rows, "E-mail"), column(rows, "Phone")
		found := false
		for _, r := range rows[1:] {
			if r[0] == gb.ID.String() {
				found = true
				if r[email] != gb.Email || r[column(rows, "Date of birth")] != "1985-03-04" || r[column(rows, "Country of residence")] != "GB" {
					t.Errorf("row in full: %v", r)
				}
			}
			if phone >= 0 && r[phone] != "" && r[phone] != "+447911123456" {
				t.Errorf("phone: %q", r[phone])
			}
		}
		if !found {
			t.Error("Alice is missing")
		}
		resp := h.download(auditor, run)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("auditor downloading the senior's file: %d", resp.StatusCode)
		}
	})

	t.Run("an auditor's XLSX is masked, filtered and downloadable by a senior", func(t *testing.T) {
		run := h.runReport(auditor, "customers_by_risk", url.Values{"format": {"XLSX"}, "country": {"GB"}})
		resp := h.download(senior, run)
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), ".xlsx") {
			t.Fatalf("download: %d %s", resp.StatusCode, resp.Header.Get("Content-Disposition"))
		}
		raw, _ := io.ReadAll(resp.Body)
		f, err := excelize.OpenReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows("Sheet1")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[1][0] != gb.ID.String() {
			t.Fatalf("rows: %v", rows)
		}
		if got := rows[1][column(rows, "E-mail")]; got == gb.Email || !strings.Contains(got, "•") {
			t.Errorf("e-mail not masked for an auditor: %q", got)
		}
		if got := rows[1][column(rows, "Date of birth")]; got != "••••-••-••" {
			t.Errorf("date of birth: %q", got)
		}
		if got := rows[1][column(rows, "Name")]; got != "Alice Archer" {
			t.Errorf("name: %q", got)
		}
	})

	t.Run("every download is audited", func(t *testing.T) {
		acts := h.auditActions(h.tenant.ID, "report.")
		count := map[string]int{}
		for _, a := range acts {
			count[a.Action]++
		}
		if count["report.downloaded"] != 2 || count["report.requested"] != 2 || count["report.completed"] != 2 {
			t.Errorf("audit: %v", count)
		}
	})

	t.Run("another tenant's run is not found", func(t *testing.T) {
		other, err := h.s.Tenants.Create(t.Context(), tenant.CreateParams{Slug: "o-" + uuid.NewString()[:8], Name: "Other Ltd"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		stranger := h.cookieFor(h.employeeOf(other.ID, staff.SeniorReviewer))
		runs, err := h.s.Reports.Runs(t.Context(), h.tenant.ID, 1)
		if err != nil || len(runs) == 0 {
			t.Fatal(runs, err)
		}
		path := "/reports/runs/" + runs[0].ID.String()
		for _, p := range []string{path, path + "/download"} {
			if resp := h.get(p, stranger); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s from another tenant: %d", p, resp.StatusCode)
			}
		}
		if d := doc(t, h.get("/reports", stranger)); d.Find(`[data-testid="report-run"]`).Length() != 0 {
			t.Error("another tenant's runs are listed")
		}
	})
}

func TestReportRetentionDeletesFilesAndSchedulesRun(t *testing.T) {
	h := newHarness(t)
	seniorEmp, senior := h.signIn(staff.SeniorReviewer)
	_, admin := h.signIn(staff.TenantAdmin)
	h.person("Dora", "", "Diaz", "1970-01-01", "ES")
	start := time.Now()
	h.clock.set(start)

	// Retention of two days, set on the reporting page.
	resp := h.post("/config/reporting", url.Values{"reportRetention": {"2"}}, admin)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save retention: %d", resp.StatusCode)
	}
	run := h.runReport(senior, "customers_by_risk", url.Values{"format": {"CSV"}})
	runID, _ := uuid.Parse(strings.TrimPrefix(run, "/reports/runs/"))
	r, err := h.s.Reports.Get(t.Context(), h.tenant.ID, runID)
	if err != nil || r.ExpiresAt == nil || r.ExpiresAt.Sub(start).Round(time.Hour) != 48*time.Hour {
		t.Fatalf("expires: %+v %v", r.ExpiresAt, err)
	}

	// A day later nothing is due; three days later the file goes.
	h.clock.set(start.Add(24 * time.Hour))
	senior = h.cookieFor(seniorEmp) // sessions age with the clock
	if n, err := h.s.Reports.Expire(t.Context()); err != nil || n != 0 {
		t.Fatalf("a day on: %d %v", n, err)
	}
	if resp := h.download(senior, run); resp.StatusCode != http.StatusOK {
		t.Fatalf("download before expiry: %d", resp.StatusCode)
	}
	h.clock.set(start.Add(72 * time.Hour))
	senior = h.cookieFor(seniorEmp)
	if n, err := h.s.Reports.Expire(t.Context()); err != nil || n < 1 {
		t.Fatalf("three days on: %d %v", n, err)
	}
	if resp := h.download(senior, run); resp.StatusCode != http.StatusNotFound {
		t.Errorf("download after expiry: %d", resp.StatusCode)
	}
	if d := doc(t, h.get(run, senior)); d.Find(`[data-testid="run-expired"]`).Length() != 1 {
		t.Error("the run page does not say the file was deleted")
	}
	var chunks int
	if err := dbtest.OwnerPool(t).QueryRow(t.Context(), "SELECT count(*) FROM report_chunks WHERE run_id = $1", runID).Scan(&chunks); err != nil || chunks != 0 {
		t.Errorf("chunks left: %d %v", chunks, err)
	}
	if acts := h.auditActions(h.tenant.ID, "report.expired"); len(acts) != 1 || acts[0].Reason != "RETENTION" {
		t.Errorf("expiry audit: %v", acts)
	}

	// A weekly schedule: not due at once, due a week on, then next week.
	resp = h.post("/reports/alerts/schedule", url.Values{"format": {"XLSX"}, "every": {"WEEKLY"}, "severity": {"HIGH"}}, senior)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("schedule: %d", resp.StatusCode)
	}
	if resp := h.post("/reports/alerts/schedule", url.Values{"format": {"CSV"}, "every": {"HOURLY"}}, senior); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("schedule every hour: %d", resp.StatusCode)
	} else if d := doc(t, resp); text(d, `[data-testid="error-sched-every"]`) == "" {
		t.Error("no error next to the period")
	}
	if started, err := h.s.Reports.RunDue(t.Context()); err != nil || len(started) != 0 {
		t.Fatalf("due at once: %v %v", started, err)
	}
	h.clock.set(start.Add(72*time.Hour + 7*24*time.Hour + time.Minute))
	started, err := h.s.Reports.RunDue(t.Context())
	if err != nil || len(started) != 1 {
		t.Fatalf("due a week on: %v %v", started, err)
	}
	sr, err := h.s.Reports.Get(t.Context(), h.tenant.ID, started[0])
	if err != nil || sr.Status != report.Done || sr.Format != report.XLSX || sr.Filters["severity"] != "HIGH" || sr.ScheduleID == nil {
		t.Fatalf("scheduled run: %+v %v", sr, err)
	}
	if again, err := h.s.Reports.RunDue(t.Context()); err != nil || len(again) != 0 {
		t.Errorf("run twice: %v %v", again, err)
	}
	senior = h.cookieFor(seniorEmp)
	d := doc(t, h.get("/reports", senior))
	if d.Find(`[data-testid="report-schedule"]`).Length() != 1 {
		t.Fatal("schedule not listed")
	}
	stop := d.Find(`[data-testid="report-schedule"] form`).AttrOr("action", "")
	if resp := h.post(stop, nil, senior); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("stop: %d", resp.StatusCode)
	}
	if d := doc(t, h.get("/reports", senior)); d.Find(`[data-testid="report-schedule"]`).Length() != 0 {
		t.Error("stopped schedule still listed")
	}
}

// A run made by the job queue: queued, its progress on the page while it
// runs, done by the worker.
func TestReportRunAsAJobShowsProgress(t *testing.T) {
	h := newHarness(t)
	_, senior := h.signIn(staff.SeniorReviewer)
	for i := range 7 {
		h.person("Pat", "", "Number"+string(rune('A'+i)), "1980-01-01", "GB")
	}
	h.s.Reports.PageRows = 2
	r, err := jobs.New(h.pool, jobs.Config{Webhooks: h.s.Webhooks, KYC: h.s.KYC, Reports: h.s.Reports, PumpEvery: time.Hour, Logger: h.s.Logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.s.Reports.Jobs = nil })
	// Queued first, without a worker yet: the page polls.
	run := h.runReport(senior, "customers_by_risk", url.Values{"format": {"CSV"}})
	d := doc(t, h.get(run, senior))
	st := d.Find(`[data-testid="run-status"]`)
	if st.AttrOr("data-status", "") != report.Queued || st.AttrOr("hx-trigger", "") != "every 1s" {
		t.Fatalf("queued run: %s %q", st.AttrOr("data-status", ""), st.AttrOr("hx-trigger", ""))
	}
	// Part way: what the worker saved after a page shows as progress.
	runID, _ := uuid.Parse(strings.TrimPrefix(run, "/reports/runs/"))
	if _, err := dbtest.OwnerPool(t).Exec(t.Context(), "UPDATE report_runs SET status = 'RUNNING', total = 7, processed = 4 WHERE id = $1", runID); err != nil {
		t.Fatal(err)
	}
	d = doc(t, h.get(run, senior))
	if text(d, `[data-testid="run-rows"]`) != "4 of 7 rows" || d.Find(`[data-testid="run-progress"]`).AttrOr("value", "") != "57" {
		t.Fatalf("progress: %q %q", text(d, `[data-testid="run-rows"]`), d.Find(`[data-testid="run-progress"]`).AttrOr("value", ""))
	}
	if _, err := dbtest.OwnerPool(t).Exec(t.Context(), "UPDATE report_runs SET status = 'QUEUED' WHERE id = $1", runID); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Stop(context.Background())
	deadline := time.Now().Add(20 * time.Second)
	for {
		d = doc(t, h.get(run, senior))
		if d.Find(`[data-testid="run-status"]`).AttrOr("data-status", "") == report.Done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job did not finish: %s", d.Find("main").Text())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if text(d, `[data-testid="run-rows"]`) != "7 of 7 rows" {
		t.Errorf("done: %q", text(d, `[data-testid="run-rows"]`))
	}
	if rows := readReportCSV(t, h.download(senior, run)); len(rows) != 8 {
		t.Errorf("%d rows, want header + 7", len(rows))
	}
}

func TestReportingSettings(t *testing.T) {
	h := newHarness(t)
	_, admin := h.signIn(staff.TenantAdmin)
	_, auditor := h.signIn(staff.Auditor)
	bad := url.Values{"reportRetention": {"7"}, "goamlEntityId": {"12ab"}, "goamlPersonEmail": {"not-mail"}, "goamlCountry": {"Germany"},
		"goamlIndicators": {"A1, b@d"}}
	resp := h.post("/config/reporting", bad, admin)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad: %d", resp.StatusCode)
	}
	d := doc(t, resp)
	for _, f := range []string{"goamlEntityId", "goamlPersonEmail", "goamlCountry", "goamlIndicators"} {
		if text(d, `[data-testid="error-`+f+`"]`) == "" {
			t.Errorf("no error next to %s", f)
		}
	}
	if d.Find(`#goamlEntityId`).AttrOr("value", "") != "12ab" {
		t.Error("form not kept")
	}
	// An id needs the rest of the entity.
	resp = h.post("/config/reporting", url.Values{"reportRetention": {"7"}, "goamlEntityId": {"4711"}}, admin)
	if d := doc(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || text(d, `[data-testid="error-goamlPersonLastName"]`) == "" {
		t.Fatalf("incomplete entity: %d", resp.StatusCode)
	}
	if resp := h.post("/config/reporting", url.Values{"reportRetention": {"400"}}, admin); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("400 days: %d", resp.StatusCode)
	}
	good := goamlForm()
	if resp := h.post("/config/reporting", good, admin); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("good: %d", resp.StatusCode)
	}
	rp, err := h.s.Preferences.Reporting(t.Context(), h.tenant.ID)
	if err != nil || rp.GoAML.EntityID != "4711" || rp.Retention != 5*24*time.Hour || !rp.GoAML.Configured() {
		t.Fatalf("saved: %+v %v", rp, err)
	}
	if acts := h.auditActions(h.tenant.ID, "preferences.reporting_updated"); len(acts) != 1 {
		t.Errorf("audit: %v", acts)
	}
	if resp := h.post("/config/reporting", good, auditor); resp.StatusCode != http.StatusForbidden {
		t.Errorf("auditor saving: %d", resp.StatusCode)
	}
	if d := doc(t, h.get("/config/reporting", auditor)); d.Find(`fieldset[disabled]`).Length() != 2 || d.Find(`#goamlEntityId`).AttrOr("value", "") != "4711" {
		t.Error("auditor's read-only view")
	}
}

func goamlForm() url.Values {
	return url.Values{"reportRetention": {"5"}, "goamlEntityId": {"4711"}, "goamlBranch": {"Head office"}, "goamlPersonFirstName": {"Mara"},
		"goamlPersonLastName": {"Lind"}, "goamlPersonEmail": {"mlro@finsei.example"}, "goamlPersonPhone": {"+44 20 7946 0000"},
		"goamlPersonRole": {"MLRO"}, "goamlAddress": {"1 Bank Street"}, "goamlCity": {"London"}, "goamlPostcode": {"E14 5AB"},
		"goamlCountry": {"GB"}, "goamlTransmodeCode": {"A"}, "goamlFundsCode": {"K"}, "goamlIndicators": {"1001, 2002"}}
}

// sarAlert makes an alert on a transaction of c and records its SAR draft
// through the portal. The alert row is written as screening would write
// it (screening is tested in aml_test.go).
func (h *harness) sarAlert(c *http.Cookie, customerID uuid.UUID, currency string) uuid.UUID {
	h.t.Helper()
	owner := dbtest.OwnerPool(h.t)
	tx, alert := uuid.New(), uuid.New()
	_, err := owner.Exec(h.t.Context(), `INSERT INTO aml_transactions (id, tenant_id, customer_id, transaction_ref, request_hash, type, direction,
		amount, currency, amount_units, channel, occurred_at, counterparty_name, counterparty_country, counterparty_account, decision, score)
		VALUES ($1, $2, $3, $4, '\x00', 'TRANSFER', 'OUT', 9500, $5, 95000000, 'MOBILE', now() - interval '1 hour', 'Quick Cash Ltd', 'CY',
		'CY17002001280000001200527600', 'REVIEW', 70)`, tx, h.tenant.ID, customerID, "tx-"+tx.String()[:8], currency)
	if err != nil {
		h.t.Fatal(err)
	}
	_, err = owner.Exec(h.t.Context(), `INSERT INTO aml_alerts (id, tenant_id, customer_id, transaction_id, decision, severity, score, rule_names, amount, currency)
		VALUES ($1, $2, $3, $4, 'REVIEW', 'HIGH', 70, '{Structuring}', 9500, $5)`, alert, h.tenant.ID, customerID, tx, currency)
	if err != nil {
		h.t.Fatal(err)
	}
	resp := h.post("/alerts/"+alert.String()+"/sar", url.Values{"narrative": {"Nine transfers just under 10,000 to a new counterparty in Cyprus."}}, c)
	if resp.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("SAR draft: %d", resp.StatusCode)
	}
	return alert
}

func TestGoAMLExportOfASARDraft(t *testing.T) {
	h := newHarness(t)
	_, senior := h.signIn(staff.SeniorReviewer)
	_, analyst := h.signIn(staff.Analyst)
	_, admin := h.signIn(staff.TenantAdmin)
	c := h.person("Jan", "Piotr", "Kowalski", "1980-05-01", "PL")
	alert := h.sarAlert(senior, c.ID, "USD")
	path := "/alerts/" + alert.String() + "/goaml"

	// Without the reporting entity: back to the alert, naming the field.
	resp := h.get(path+"?code=STR", senior)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unconfigured: %d", resp.StatusCode)
	}
	d := doc(t, h.get("/alerts/"+alert.String(), updated(senior, resp)))
	if !strings.Contains(d.Text(), "goamlEntityId") {
		t.Errorf("no message naming the preference: %s", d.Find("main").Text())
	}
	if resp := h.post("/config/reporting", goamlForm(), admin); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d", resp.StatusCode)
	}
	if d := doc(t, h.get("/alerts/"+alert.String(), senior)); d.Find(`[data-testid="goaml-export"] a`).Length() != 2 {
		t.Error("the alert page offers no goAML export")
	}

	for _, code := range []string{"STR", "SAR"} {
		t.Run(code, func(t *testing.T) {
			resp := h.get(path+"?code="+code, senior)
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xml") {
				t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			body, _ := io.ReadAll(resp.Body)
			if err := report.CheckGoAML(body); err != nil {
				t.Fatalf("%v\n%s", err, body)
			}
			x := string(body)
			for _, want := range []string{"<rentity_id>4711</rentity_id>", "<report_code>" + code + "</report_code>", "<entity_reference>" + alert.String(),
				"<currency_code_local>EUR</currency_code_local>", "<first_name>Mara</first_name>", "<first_name>Jan</first_name>",
				"<birthdate>1980-05-01T00:00:00</birthdate>", "<reason>Nine transfers", "<indicator>1001</indicator>", "<name>Quick Cash Ltd</name>"} {
				if !strings.Contains(x, want) {
					t.Errorf("%s missing", want)
				}
			}
			if code == "STR" && (!strings.Contains(x, "<transactionnumber>tx-") || !strings.Contains(x, "<foreign_currency_code>USD</foreign_currency_code>")) {
				t.Errorf("STR transaction: %s", x)
			}
		})
	}
	if acts := h.auditActions(h.tenant.ID, "aml.alert.goaml_exported"); len(acts) != 2 {
		t.Errorf("audit: %v", acts)
	}

	// The analyst sees the customer's data masked: no export for them.
	if resp := h.get(path, analyst); resp.StatusCode != http.StatusForbidden {
		t.Errorf("analyst: %d", resp.StatusCode)
	}
	if d := doc(t, h.get("/alerts/"+alert.String(), analyst)); d.Find(`[data-testid="goaml-export"]`).Length() != 0 {
		t.Error("the analyst is offered the export")
	}
	// An alert still open has no SAR draft to export.
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test", TenantID: h.tenant.ID})
	_ = ctx
	open := uuid.New()
	owner := dbtest.OwnerPool(t)
	if _, err := owner.Exec(t.Context(), `INSERT INTO aml_alerts (id, tenant_id, customer_id, transaction_id, decision, severity, score, amount, currency)
		SELECT $1, tenant_id, customer_id, transaction_id, decision, severity, score, amount, currency FROM aml_alerts WHERE id = $2`, open, alert); err != nil {
		t.Fatal(err)
	}
	resp = h.get("/alerts/"+open.String()+"/goaml", senior)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("open alert: %d", resp.StatusCode)
	}
	if resp := h.get("/alerts/"+uuid.NewString()+"/goaml", senior); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown alert: %d", resp.StatusCode)
	}
}
