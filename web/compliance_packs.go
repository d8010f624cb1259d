package web

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/compliance"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/views/settings"
)

var recordLabels = map[string]string{compliance.RecordCDD: "CDD records", compliance.RecordDocuments: "Documents", compliance.RecordTransactions: "Transactions"}

// packView is pack p with the tenant's enablement e (nil: not enabled),
// its form filled with the values in force.
func packView(p compliance.Pack, e *compliance.Enablement) settings.Pack {
	v := settings.Pack{ID: p.ID, Version: p.Version, Name: p.Name, Jurisdiction: p.Jurisdiction, Countries: strings.Join(p.Countries, " "),
		RescreenDefault: p.RescreenDays, Reports: p.Reports, Values: map[string]string{}, Errors: map[string]string{}}
	for _, s := range p.Sources {
		v.Sources = append(v.Sources, s.Title+" ("+s.Citation+")")
	}
	var o compliance.Overrides
	if e != nil {
		o = e.Overrides
		v.Enabled, v.EnabledCountries, v.EnabledVersion, v.OverridesHash = true, strings.Join(e.Countries, " "), e.Version, o.Hash()
		v.Values["countries"] = v.EnabledCountries
	}
	for _, k := range compliance.RecordKinds {
		r := p.Retention[k]
		v.Retention = append(v.Retention, settings.PackRetention{Kind: k, Label: recordLabels[k], PackDays: r.Days, MaxDays: r.MaxDays, After: r.After, Citation: r.Citation})
		d := r.Days
		if od, ok := o.RetentionDays[k]; ok {
			d = od
		}
		v.Values["retention-"+k] = strconv.Itoa(d)
	}
	for _, risk := range compliance.RiskLevels {
		d := p.RescreenDays[risk]
		if od, ok := o.RescreenDays[risk]; ok {
			d = od
		}
		v.Values["rescreen-"+risk] = strconv.Itoa(d)
	}
	v.EDD = fmt.Sprintf("%s; triggered by %s risk", strings.Join(p.EDD.Measures, ", "), strings.ToLower(strings.Join(p.EDD.RiskLevels, ", ")))
	if p.EDD.PEP {
		v.EDD += ", PEPs"
	}
	if len(p.EDD.HighRiskCountries) > 0 {
		v.EDD += ", and " + strings.Join(p.EDD.HighRiskCountries, " ")
	}
	add := func(f compliance.FieldDef, tenant bool) {
		req := f.RequiredAt
		if r, ok := o.Required[f.Name]; ok {
			req = r
		}
		pf := settings.PackField{Name: f.Name, Label: f.Label, Format: f.Format, Citation: f.Citation, Sensitive: f.Sensitive,
			VirtualDocument: f.VirtualDocument, Countries: strings.Join(f.Countries, " "), RequiredAt: map[string]bool{}, Tenant: tenant}
		for _, r := range req {
			pf.RequiredAt[r] = true
		}
		v.Fields = append(v.Fields, pf)
	}
	for _, f := range p.Fields {
		add(f, false)
	}
	for _, f := range o.Fields {
		add(f, true)
	}
	return v
}

// packsPage renders the regulatory packs page; posted is the pack whose
// form was sent, shown again with its values and errors.
func (s *server) packsPage(w http.ResponseWriter, r *http.Request, status int, posted *settings.Pack) {
	emp, _ := employeeFrom(r.Context())
	enabled, err := s.Compliance.Enabled(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	packs := s.Compliance.Catalog().List()
	ids := make([]string, 0, len(packs))
	for _, p := range packs {
		ids = append(ids, p.ID)
	}
	pending, err := s.Approvals.PendingFor(r.Context(), emp.TenantID, compliance.PackTarget, ids)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := settings.Packs{CanEdit: emp.Can(staff.PermConfigEdit), Formats: compliance.FormatNames(), Risks: compliance.RiskLevels}
	for _, p := range packs {
		var e *compliance.Enablement
		if i := slices.IndexFunc(enabled, func(e compliance.Enablement) bool { return e.PackID == p.ID }); i >= 0 {
			e = &enabled[i]
		}
		v := packView(p, e)
		if posted != nil && posted.ID == p.ID {
			v.Values, v.Errors = posted.Values, posted.Errors
		}
		if reqs := pending[p.ID]; len(reqs) > 0 {
			v.PendingID = reqs[0].ID.String()
		}
		d.Packs = append(d.Packs, v)
	}
	s.page(w, r, status, "Regulatory packs", "compliance-packs", settings.PacksPage(d))
}

func (s *server) handleCompliancePacks() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.packsPage(w, r, http.StatusOK, nil)
	})
}

var newFieldError = regexp.MustCompile(`^fields\[(\d+)\]\.(\w+)$`)

// handleCompliancePackPropose asks for a pack's enablement, change or
// disabling: four-eyes. The form's values are the values in force; only
// those that differ from the pack's become overrides.
func (s *server) handleCompliancePackPropose() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		p, ok := s.Compliance.Catalog().Get(r.PathValue("id"))
		if !ok {
			s.fail(w, r, apperr.New(apperr.NotFound, "no such regulatory pack"))
			return
		}
		if !s.readForm(w, r) {
			return
		}
		f := r.PostForm
		enabled, err := s.Compliance.Enabled(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var current compliance.Overrides
		if i := slices.IndexFunc(enabled, func(e compliance.Enablement) bool { return e.PackID == p.ID }); i >= 0 {
			current = enabled[i].Overrides
		}
		errs := map[string]string{}
		change := compliance.PackChange{Disable: f.Get("disable") == "on",
			Countries: strings.FieldsFunc(f.Get("countries"), func(r rune) bool { return r == ',' || r == ' ' || r == ';' })}
		o := &change.Overrides
		o.RetentionDays, o.RescreenDays, o.Required = map[string]int{}, map[string]int{}, map[string][]string{}
		for _, k := range compliance.RecordKinds {
			if v := strings.TrimSpace(f.Get("retention-" + k)); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					errs["retentionDays."+k] = "must be a whole number of days"
					continue
				}
				o.RetentionDays[k] = n
			}
		}
		for _, risk := range compliance.RiskLevels {
			if v := strings.TrimSpace(f.Get("rescreen-" + risk)); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					errs["rescreenDays."+risk] = "must be a whole number of days"
					continue
				}
				o.RescreenDays[risk] = n
			}
		}
		o.Fields = current.Fields
		if name := strings.TrimSpace(f.Get("new-name")); name != "" {
			o.Fields = append(slices.Clone(o.Fields), compliance.FieldDef{Name: name, Label: strings.TrimSpace(f.Get("new-label")),
				Format: f.Get("new-format"), Pattern: f.Get("new-pattern"), Sensitive: f.Get("new-sensitive") == "on",
				VirtualDocument: f.Get("new-virtualDocument"), RequiredAt: f["new-requiredAt"]})
		}
		for _, fd := range append(slices.Clone(p.Fields), o.Fields...) {
			req := f["required-"+fd.Name]
			if req == nil {
				req = []string{}
			}
			if fd.Name == strings.TrimSpace(f.Get("new-name")) {
				continue
			}
			o.Required[fd.Name] = req
		}
		if len(errs) == 0 {
			_, err = s.Approvals.Propose(r.Context(), emp.TenantID, compliance.KindPackSet, p.ID, "Regulatory pack: "+p.Name, change, f.Get("reason"))
		}
		if len(errs) > 0 || fieldErrors(err, errs) {
			// A problem with the new field names the form's new-* inputs.
			for k, msg := range errs {
				if m := newFieldError.FindStringSubmatch(k); m != nil {
					delete(errs, k)
					errs["new-"+m[2]] = msg
				}
			}
			v := packView(p, nil)
			for k := range f {
				v.Values[k] = strings.TrimSpace(f.Get(k))
			}
			v.Errors = errs
			s.packsPage(w, r, http.StatusUnprocessableEntity, &v)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "The change to "+p.Name+" awaits a second employee's approval.")
		s.seeOther(w, r, "/config/compliance-packs#pack-"+p.ID)
	})
}
