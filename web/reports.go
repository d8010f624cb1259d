package web

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/pii"
	"github.com/ciamhq/ciam/internal/report"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
	"github.com/ciamhq/ciam/views/components"
	"github.com/ciamhq/ciam/views/reports"
)

// maskedNote says how a file made for roles shows customers' data.
func maskedNote(roles []staff.Role) string {
	v := pii.For(roles)
	var full []string
	for _, f := range pii.Fields[1:] {
		if v.Full(f) {
			full = append(full, strings.ReplaceAll(string(f), "_", " "))
		}
	}
	if len(full) == 0 {
		return "Customers' names are shown; their other personal data is masked, as your role sees it."
	}
	return "Customers' data is shown in full (" + strings.Join(full, ", ") + "), as your role sees it."
}

func filtersText(v report.Values) string {
	if len(v) == 0 {
		return "no filter"
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + v[k]
	}
	return strings.Join(parts, ", ")
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func runView(r report.Run, viewer []staff.Role) reports.Run {
	return reports.Run{ID: r.ID.String(), Title: r.Title, Format: r.Format, Status: r.Status, Rows: r.Processed, Total: max(r.Total, 0),
		Size: sizeText(r.Bytes), Percent: r.Percent(), Finished: r.Finished(), Filters: filtersText(r.Filters), RequestedBy: r.RequestedBy,
		Created: r.CreatedAt, Expires: r.ExpiresAt, LastError: r.LastError, Masked: maskedNote(r.Roles),
		CanDownload: r.Status == report.Done && report.MayDownload(r, viewer)}
}

func (s *server) handleReportList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		view := reports.List{Loc: t.Location(), Now: s.Now()}
		for _, d := range s.Reports.Catalog.List() {
			view.Definitions = append(view.Definitions, reports.Definition{ID: d.ID, Title: d.Title, Description: d.Description})
		}
		runs, err := s.Reports.Runs(r.Context(), emp.TenantID, 50)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, run := range runs {
			view.Runs = append(view.Runs, runView(run, emp.AllRoles()))
		}
		scheds, err := s.Reports.Schedules(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, sc := range scheds {
			view.Schedules = append(view.Schedules, reports.Schedule{ID: sc.ID.String(), Title: sc.Title, Format: sc.Format,
				Every: strings.ToLower(sc.Every), Filters: filtersText(sc.Filters), CreatedBy: sc.CreatedBy, Next: sc.NextRunAt})
		}
		s.page(w, r, http.StatusOK, "Reports", "reports", reports.ListPage(view))
	})
}

// reportForm is definition d's page, with the values and problems of a
// form sent back.
func (s *server) reportForm(w http.ResponseWriter, r *http.Request, status int, d report.Definition, vals report.Values, errs map[string]string) {
	emp, _ := employeeFrom(r.Context())
	f := reports.Form{ID: d.ID, Title: d.Title, Description: d.Description, Format: vals["format"], Every: vals["every"], Errors: errs,
		Masked: maskedNote(emp.AllRoles())}
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	for _, c := range d.ColumnList() {
		f.Columns = append(f.Columns, reports.Column{Header: c.Header, Personal: c.Personal})
	}
	for _, fl := range d.OpenFilters() {
		v := reports.Filter{Key: fl.Key, Label: fl.Label, Kind: fl.Kind, Value: vals[fl.Key], Error: f.Errors[fl.Key]}
		for _, o := range fl.Options {
			v.Options = append(v.Options, components.Option{Value: o.Value, Label: o.Label})
		}
		f.Filters = append(f.Filters, v)
	}
	s.page(w, r, status, d.Title, "reports", reports.FormPage(f))
}

func (s *server) handleReportShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := s.Reports.Catalog.Get(r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.reportForm(w, r, http.StatusOK, d, report.Values{}, nil)
	})
}

// reportRequest reads a run or schedule form of d.
func reportRequest(r *http.Request, d report.Definition, emp staff.Employee) (report.Request, report.Values) {
	sent := report.Values{}
	filters := report.Values{}
	for k := range r.PostForm {
		v := strings.TrimSpace(r.PostForm.Get(k))
		sent[k] = v
		if k != "format" && k != "every" {
			filters[k] = v
		}
	}
	id := emp.ID
	return report.Request{Definition: d.ID, Format: sent["format"], Filters: filters, Roles: emp.AllRoles(), RequestedByID: &id}, sent
}

// reportFormFailed re-renders the form with err's field problems and
// reports true, or reports false for other errors.
func (s *server) reportFormFailed(w http.ResponseWriter, r *http.Request, d report.Definition, sent report.Values, err error) bool {
	errs := map[string]string{}
	if !fieldErrors(err, errs) {
		return false
	}
	s.reportForm(w, r, http.StatusUnprocessableEntity, d, sent, errs)
	return true
}

func (s *server) handleReportRun() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		d, err := s.Reports.Catalog.Get(r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !s.readForm(w, r) {
			return
		}
		req, sent := reportRequest(r, d, emp)
		run, err := s.Reports.Start(r.Context(), emp.TenantID, req)
		if err != nil {
			if !s.reportFormFailed(w, r, d, sent, err) {
				s.fail(w, r, err)
			}
			return
		}
		http.Redirect(w, r, "/reports/runs/"+run.ID.String(), http.StatusSeeOther)
	})
}

func (s *server) handleReportSchedule() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		d, err := s.Reports.Catalog.Get(r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !s.readForm(w, r) {
			return
		}
		req, sent := reportRequest(r, d, emp)
		if _, err := s.Reports.AddSchedule(r.Context(), emp.TenantID, req, sent["every"]); err != nil {
			if !s.reportFormFailed(w, r, d, sent, err) {
				s.fail(w, r, err)
			}
			return
		}
		s.flash(w, r, "success", "Scheduled: "+d.Title+" runs every "+strings.ToLower(strings.TrimSuffix(sent["every"], "LY"))+".")
		http.Redirect(w, r, "/reports", http.StatusSeeOther)
	})
}

func (s *server) handleReportScheduleStop() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := pathID(r, "id", "schedule")
		if err == nil {
			err = s.Reports.StopSchedule(r.Context(), emp.TenantID, id)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "The schedule is stopped.")
		http.Redirect(w, r, "/reports", http.StatusSeeOther)
	})
}

func (s *server) handleReportRunShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := pathID(r, "id", "report run")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		run, err := s.Reports.Get(r.Context(), emp.TenantID, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.page(w, r, http.StatusOK, run.Title, "reports", reports.RunPage(runView(run, emp.AllRoles()), t.Location(), s.Now()))
	})
}

func (s *server) handleReportDownload() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := pathID(r, "id", "report run")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		started := false
		err = s.Reports.Download(r.Context(), emp.TenantID, id, emp.AllRoles(), func(run report.Run) io.Writer {
			started = true
			w.Header().Set("Content-Type", run.ContentType())
			w.Header().Set("Content-Disposition", `attachment; filename="`+run.FileName()+`"`)
			w.Header().Set("Content-Length", strconv.FormatInt(run.Bytes, 10))
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			return w
		})
		if err != nil && !started {
			s.fail(w, r, err)
			return
		}
		if err != nil {
			// The headers are gone: the download breaks off short of its
			// length, which the browser reports.
			s.Logger.ErrorContext(r.Context(), "report download broke off", slog.String("run", id.String()), slog.Any("error", err))
		}
	})
}

// ---------------------------------------------------------------- settings

func reportingForm(rp tenant.Reporting) reports.Settings {
	g := rp.GoAML
	return reports.Settings{RetentionDays: strconv.FormatFloat(rp.Retention.Hours()/24, 'f', -1, 64), EntityID: g.EntityID, Branch: g.Branch,
		FirstName: g.PersonFirstName, LastName: g.PersonLastName, Email: g.PersonEmail, Phone: g.PersonPhone, Role: g.PersonRole,
		Address: g.Address, City: g.City, Postcode: g.Postcode, Country: g.Country, TransmodeCode: g.TransmodeCode, FundsCode: g.FundsCode,
		Indicators: g.Indicators, Errors: map[string]string{}}
}

func (s *server) handleReportingSettings() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		rp, err := s.Preferences.Reporting(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		form := reportingForm(rp)
		form.CanEdit = emp.Can(staff.PermConfigEdit)
		s.page(w, r, http.StatusOK, "Reporting", "reporting", reports.SettingsPage(form))
	})
}

func (s *server) handleReportingSettingsSave() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if !s.readForm(w, r) {
			return
		}
		f := func(k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
		errs := map[string]string{}
		rp := tenant.Reporting{GoAML: tenant.GoAMLEntity{EntityID: f("goamlEntityId"), Branch: f("goamlBranch"),
			PersonFirstName: f("goamlPersonFirstName"), PersonLastName: f("goamlPersonLastName"), PersonEmail: f("goamlPersonEmail"),
			PersonPhone: f("goamlPersonPhone"), PersonRole: f("goamlPersonRole"), Address: f("goamlAddress"), City: f("goamlCity"),
			Postcode: f("goamlPostcode"), Country: strings.ToUpper(f("goamlCountry")), TransmodeCode: f("goamlTransmodeCode"),
			FundsCode: f("goamlFundsCode"), Indicators: f("goamlIndicators")}}
		days, perr := strconv.ParseFloat(f("reportRetention"), 64)
		if perr != nil || days != days {
			errs["reportRetention"] = "enter a number of days"
		} else {
			rp.Retention = time.Duration(days * float64(24*time.Hour)).Round(time.Minute)
		}
		var err error
		if len(errs) == 0 {
			_, err = s.Preferences.UpdateReporting(r.Context(), emp.TenantID, rp)
		} else {
			fieldErrors(rp.Validate(), errs)
			delete(errs, "reportRetention")
			errs["reportRetention"] = "enter a number of days"
		}
		if len(errs) > 0 || fieldErrors(err, errs) {
			form := reportingForm(rp)
			form.RetentionDays = f("reportRetention")
			form.Errors, form.CanEdit = errs, true
			s.page(w, r, http.StatusUnprocessableEntity, "Reporting", "reporting", reports.SettingsPage(form))
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "Reporting settings saved.")
		http.Redirect(w, r, "/config/reporting", http.StatusSeeOther)
	})
}

// ---------------------------------------------------------------- goAML

// handleAlertGoAML hands out the goAML report of an alert's SAR draft.
// It holds the customer's personal data in full, as the FIU needs it: only
// an employee whose role sees every kind of it in full may have it.
func (s *server) handleAlertGoAML() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := alertID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		view := piiView(emp)
		if slices.ContainsFunc(pii.Fields, func(f pii.Field) bool { return !view.Full(f) }) {
			s.fail(w, r, apperr.New(apperr.Forbidden, "a goAML report holds the customer's personal data in full, which your role sees masked"))
			return
		}
		out, err := s.goAML(r, emp, id, strings.ToUpper(r.URL.Query().Get("code")))
		if e, ok := apperr.As(err); ok && (e.Code == apperr.Invalid || e.Code == apperr.Conflict) {
			msg := e.Message
			if len(e.Fields) > 0 {
				msg = e.Fields[0].Field + ": " + e.Fields[0].Issue
			}
			s.flash(w, r, "error", "goAML report not made. "+msg)
			http.Redirect(w, r, "/alerts/"+id.String(), http.StatusSeeOther)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="goaml-`+id.String()+`.xml"`)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(out)
	})
}

func (s *server) goAML(r *http.Request, emp staff.Employee, id uuid.UUID, code string) ([]byte, error) {
	ctx := r.Context()
	if code == "" {
		code = report.GoAMLSTR
	}
	a, err := s.AML.Alert(ctx, emp.TenantID, id)
	if err != nil {
		return nil, err
	}
	if a.Status != aml.AlertSARDrafted {
		return nil, apperr.New(apperr.Conflict, "only an alert closed with a SAR draft has a goAML report")
	}
	c, err := s.Customers.Get(ctx, emp.TenantID, a.CustomerID)
	if err != nil {
		return nil, err
	}
	prefs, err := s.Preferences.Get(ctx, emp.TenantID)
	if err != nil {
		return nil, err
	}
	rp, err := s.Preferences.Reporting(ctx, emp.TenantID)
	if err != nil {
		return nil, err
	}
	rate := decimal.NewFromInt(1)
	if a.Currency != prefs.Currency {
		rates, err := s.AML.Rates(ctx, emp.TenantID)
		if err != nil {
			return nil, err
		}
		eur := map[string]decimal.Decimal{"EUR": decimal.NewFromInt(1)}
		for _, x := range rates {
			eur[x.Currency] = x.EURPerUnit
		}
		from, ok1 := eur[a.Currency]
		to, ok2 := eur[prefs.Currency]
		if !ok1 || !ok2 || to.IsZero() {
			return nil, apperr.Validation(apperr.FieldError{Field: "currency",
				Issue: fmt.Sprintf("no exchange rate from %s to %s: set one on the AML rates page", a.Currency, prefs.Currency)})
		}
		rate = from.DivRound(to, 6)
	}
	addr := c.Address
	in := report.SARInput{Code: code, Entity: rp.GoAML, LocalCurrency: prefs.Currency, Country: prefs.Country, AlertID: a.ID,
		Reason: a.SARNarrative, Action: a.Resolution,
		Customer: report.GoAMLPerson{FirstName: c.FirstName, MiddleName: c.MiddleName, LastName: c.LastName, BirthDate: c.DateOfBirth,
			BirthPlace: c.PlaceOfBirth, Nationality: c.Nationality, Residence: addr.Country, Phone: c.PhoneNumber, Email: c.Email,
			Street: strings.TrimSpace(addr.StreetNumber + " " + addr.Street), City: addr.City, Postcode: addr.PostalCode, State: addr.State,
			Country: addr.Country, Occupation: c.Occupation, Employer: c.EmployerName, SourceOfFunds: c.SourceOfFunds},
		TransactionRef: a.TransactionRef, Description: strings.TrimSpace(a.Type + " " + a.Channel), Direction: a.Direction,
		OccurredAt: a.OccurredAt.In(time.UTC), Amount: a.Amount, Currency: a.Currency, LocalPerUnit: rate,
		CounterpartyName: a.Counterparty.Name, CounterpartyCountry: a.Counterparty.Country, CounterpartyAccount: a.Counterparty.Account,
		SubmittedAt: s.Now().UTC()}
	return s.Reports.ExportGoAML(ctx, emp.TenantID, in)
}
