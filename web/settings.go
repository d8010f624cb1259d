package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/evidence"
	"github.com/ciamhq/ciam/internal/kyc"
	"github.com/ciamhq/ciam/internal/ratelimit"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
	"github.com/ciamhq/ciam/views/labels"
	retentionv "github.com/ciamhq/ciam/views/retention"
	"github.com/ciamhq/ciam/views/settings"
)

func prefsForm(p tenant.Preferences) settings.Preferences {
	form := settings.Preferences{
		Values: map[string]string{
			"locale": p.Locale, "timeZone": p.TimeZone, "currency": p.Currency, "country": p.Country, "bankCode": p.BankCode,
			"minCustomerAge": strconv.Itoa(p.MinCustomerAge), "loginMaxFailures": strconv.Itoa(p.LoginMaxFailures),
			"loginLockout": labels.Duration(p.LoginLockout), "accessTokenTtl": labels.Duration(p.AccessTokenTTL), "refreshTokenTtl": labels.Duration(p.RefreshTokenTTL),
			"pinLength": strconv.Itoa(p.PINLength), "pinMaxFailures": strconv.Itoa(p.PINMaxFailures), "otpTtl": labels.Duration(p.OTPTTL),
			"otpMaxAttempts":      strconv.Itoa(p.OTPMaxAttempts),
			"qualityMinSharpness": num(p.Quality.MinSharpness), "qualityMinSharpnessSelfie": num(p.Quality.MinSharpnessSelfie),
			"qualityMaxGlare": num(p.Quality.MaxGlare * 100), "qualityMinBrightness": num(p.Quality.MinBrightness),
			"qualityMinBrightnessSelfie": num(p.Quality.MinBrightnessSelfie), "qualityMaxBrightness": num(p.Quality.MaxBrightness),
			"qualityMinSide": strconv.Itoa(p.Quality.MinSide), "qualityMinSideSelfie": strconv.Itoa(p.Quality.MinSideSelfie),
			"qualityMinFill": num(p.Quality.MinFill * 100),
		},
		Checks: map[string]bool{"loginOtpRequired": p.LoginOTPRequired, "selfieUncheckedBlocksApproval": p.SelfieUncheckedBlocks,
			"autoActivate": p.AutoActivate},
		Errors: map[string]string{},
	}
	for _, l := range p.RateLimits.Fields() {
		form.RateLimits = append(form.RateLimits, settings.RateLimit{Name: l.Name, Label: l.Label})
		form.Values[l.Name+"Max"] = strconv.Itoa(l.Limit.Max)
		form.Values[l.Name+"Window"] = labels.Duration(l.Limit.Window())
	}
	return form
}

// formRateLimits reads the rate limits the form shows; one it leaves out
// keeps its value.
func formRateLimits(f map[string][]string, errs map[string]string, current ratelimit.Limits) ratelimit.Limits {
	out := current
	for _, l := range out.Fields() {
		if _, ok := f[l.Name+"Max"]; ok {
			l.Limit.Max = formInt(f, errs, l.Name+"Max")
		}
		if _, ok := f[l.Name+"Window"]; ok {
			d := formDuration(f, errs, l.Name+"Window")
			if d%time.Second != 0 {
				errs[l.Name+"Window"] = "use whole seconds, such as 5 minutes or 90 seconds"
			}
			l.Limit.WindowSeconds = int(d / time.Second)
		}
	}
	return out
}

func (s *server) handlePreferences() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		p, err := s.Preferences.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		form := prefsForm(p)
		form.CanEdit = emp.Can(staff.PermConfigEdit)
		s.page(w, r, http.StatusOK, "Organisation preferences", "preferences",
			templ.Join(settings.PreferencesPage(form), s.retentionSection(r, emp, retentionv.Settings{})))
	})
}

// formInt and formDuration read form values, noting what does not parse.
func formInt(f map[string][]string, errs map[string]string, name string) int {
	v := strings.TrimSpace(first(f[name]))
	n, err := strconv.Atoi(v)
	if err != nil {
		errs[name] = "enter a whole number"
	}
	return n
}

// formFloatOr reads a number the form shows in units of scale (a share as
// a percentage: 100), or keeps current when the form has no such field.
func formFloatOr(f map[string][]string, errs map[string]string, name string, current, scale float64) float64 {
	if _, ok := f[name]; !ok {
		return current
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(first(f[name])), 64)
	if err != nil || v != v {
		errs[name] = "enter a number"
	}
	return v / scale
}

// num shows a figure without needless decimals.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func formDuration(f map[string][]string, errs map[string]string, name string) time.Duration {
	d, err := labels.ParseDuration(first(f[name]))
	if err != nil {
		errs[name] = "enter a duration in words, such as 15 minutes, 2 hours or 30 days"
	}
	return d
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (s *server) handlePreferencesSave() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if !s.readForm(w, r) {
			return
		}
		f := r.PostForm
		errs := map[string]string{}
		p := tenant.Preferences{
			Locale: strings.TrimSpace(f.Get("locale")), TimeZone: strings.TrimSpace(f.Get("timeZone")),
			Currency: strings.ToUpper(strings.TrimSpace(f.Get("currency"))), Country: strings.ToUpper(strings.TrimSpace(f.Get("country"))),
			BankCode:       strings.ToUpper(strings.TrimSpace(f.Get("bankCode"))),
			MinCustomerAge: formInt(f, errs, "minCustomerAge"), LoginMaxFailures: formInt(f, errs, "loginMaxFailures"),
			LoginLockout: formDuration(f, errs, "loginLockout"), AccessTokenTTL: formDuration(f, errs, "accessTokenTtl"),
			RefreshTokenTTL: formDuration(f, errs, "refreshTokenTtl"), PINLength: formInt(f, errs, "pinLength"),
			PINMaxFailures: formInt(f, errs, "pinMaxFailures"), OTPTTL: formDuration(f, errs, "otpTtl"),
			OTPMaxAttempts: formInt(f, errs, "otpMaxAttempts"), LoginOTPRequired: f.Get("loginOtpRequired") == "on",
			SelfieUncheckedBlocks: f.Get("selfieUncheckedBlocksApproval") == "on",
			AutoActivate:          f.Get("autoActivate") == "on",
		}
		// The quality thresholds a form leaves out keep their values.
		cur, err := s.Preferences.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		q := cur.Quality
		p.Quality = evidence.Thresholds{
			MinSharpness: formFloatOr(f, errs, "qualityMinSharpness", q.MinSharpness, 1), MinSharpnessSelfie: formFloatOr(f, errs, "qualityMinSharpnessSelfie", q.MinSharpnessSelfie, 1),
			MaxGlare: formFloatOr(f, errs, "qualityMaxGlare", q.MaxGlare, 100), MinBrightness: formFloatOr(f, errs, "qualityMinBrightness", q.MinBrightness, 1),
			MinBrightnessSelfie: formFloatOr(f, errs, "qualityMinBrightnessSelfie", q.MinBrightnessSelfie, 1),
			MaxBrightness:       formFloatOr(f, errs, "qualityMaxBrightness", q.MaxBrightness, 1),
			MinSide:             int(formFloatOr(f, errs, "qualityMinSide", float64(q.MinSide), 1)),
			MinSideSelfie:       int(formFloatOr(f, errs, "qualityMinSideSelfie", float64(q.MinSideSelfie), 1)),
			MinFill:             formFloatOr(f, errs, "qualityMinFill", q.MinFill, 100),
		}
		p.RateLimits = formRateLimits(f, errs, cur.RateLimits)
		if len(errs) == 0 {
			_, err = s.Preferences.Update(r.Context(), emp.TenantID, p)
		} else {
			fieldErrors(p.Validate(), errs) // every other problem too, in one go
		}
		if len(errs) > 0 || fieldErrors(err, errs) {
			form := prefsForm(p)
			for k := range form.Values {
				form.Values[k] = strings.TrimSpace(f.Get(k))
			}
			form.Errors, form.CanEdit = errs, true
			s.page(w, r, http.StatusUnprocessableEntity, "Organisation preferences", "preferences",
				templ.Join(settings.PreferencesPage(form), s.retentionSection(r, emp, retentionv.Settings{})))
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "Preferences saved.")
		s.seeOther(w, r, "/config/preferences")
	})
}

func policyForm(p credential.PasswordPolicy) settings.Policy {
	return settings.Policy{
		Values: map[string]string{"minLength": strconv.Itoa(p.MinLength), "maxLength": strconv.Itoa(p.MaxLength),
			"minUpper": strconv.Itoa(p.MinUpper), "minLower": strconv.Itoa(p.MinLower), "minDigits": strconv.Itoa(p.MinDigits),
			"minSpecial": strconv.Itoa(p.MinSpecial), "historyCount": strconv.Itoa(p.HistoryCount), "maxAgeDays": strconv.Itoa(p.MaxAgeDays)},
		Checks: map[string]bool{"forbidUsername": p.ForbidUsername, "forbidEmail": p.ForbidEmail, "rejectCommon": p.RejectCommon},
		Errors: map[string]string{},
	}
}

func (s *server) policyPage(w http.ResponseWriter, r *http.Request, status int, form settings.Policy) {
	emp, _ := employeeFrom(r.Context())
	form.CanEdit = emp.Can(staff.PermConfigEdit)
	pending, err := s.Approvals.PendingFor(r.Context(), emp.TenantID, "tenant", []string{emp.TenantID.String()})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, req := range pending[emp.TenantID.String()] {
		if req.Kind == tenant.KindPasswordPolicy {
			form.PendingID, form.PendingTitle = req.ID.String(), req.Title
		}
	}
	s.page(w, r, status, "Password policy", "password-policy", settings.PolicyPage(form))
}

func (s *server) handlePasswordPolicy() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		p, err := s.Preferences.PasswordPolicy(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.policyPage(w, r, http.StatusOK, policyForm(p))
	})
}

// handlePasswordPolicyPropose asks for a policy change: four-eyes.
func (s *server) handlePasswordPolicyPropose() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if !s.readForm(w, r) {
			return
		}
		f := r.PostForm
		errs := map[string]string{}
		p := credential.PasswordPolicy{
			MinLength: formInt(f, errs, "minLength"), MaxLength: formInt(f, errs, "maxLength"), MinUpper: formInt(f, errs, "minUpper"),
			MinLower: formInt(f, errs, "minLower"), MinDigits: formInt(f, errs, "minDigits"), MinSpecial: formInt(f, errs, "minSpecial"),
			HistoryCount: formInt(f, errs, "historyCount"), MaxAgeDays: formInt(f, errs, "maxAgeDays"),
			ForbidUsername: f.Get("forbidUsername") == "on", ForbidEmail: f.Get("forbidEmail") == "on", RejectCommon: f.Get("rejectCommon") == "on",
		}
		var err error
		if len(errs) == 0 {
			_, err = s.Approvals.Propose(r.Context(), emp.TenantID, tenant.KindPasswordPolicy, emp.TenantID.String(),
				"Change the password policy", p, f.Get("reason"))
		}
		if len(errs) > 0 || fieldErrors(err, errs) {
			form := policyForm(p)
			for k := range form.Values {
				form.Values[k] = strings.TrimSpace(f.Get(k))
			}
			form.Errors = errs
			s.policyPage(w, r, http.StatusUnprocessableEntity, form)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "The new password policy awaits a second employee's approval.")
		s.seeOther(w, r, "/config/password-policy")
	})
}

func reqRow(r kyc.Requirement, isDefault bool) settings.Requirement {
	return settings.Requirement{ID: r.ID.String(), CIPTag: max(r.CIPTag, kyc.DefaultCIP), Country: r.Country, RiskLevel: r.RiskLevel, Type: r.Type, SubTypes: r.SubTypes,
		Required: r.Required, MaxAgeDays: r.MaxAgeDays, Default: isDefault}
}

func (s *server) requirementsPage(w http.ResponseWriter, r *http.Request, status int, form, errs map[string]string) {
	emp, _ := employeeFrom(r.Context())
	rows, err := s.KYC.AllRequirements(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := settings.Requirements{Types: kyc.DocumentTypes, Form: form, Errors: errs, CanEdit: emp.Can(staff.PermConfigEdit)}
	for _, row := range rows {
		p.Rows = append(p.Rows, reqRow(row, false))
	}
	for _, risk := range []string{"LOW", "MEDIUM", "HIGH"} {
		for _, d := range kyc.DefaultRequirements(risk) {
			p.Defaults = append(p.Defaults, reqRow(d, true))
		}
	}
	s.page(w, r, status, "KYC requirements", "kyc-requirements", settings.RequirementsPage(p))
}

func (s *server) handleRequirements() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requirementsPage(w, r, http.StatusOK, map[string]string{"cipTag": "1", "country": "*", "riskLevel": "MEDIUM"}, map[string]string{})
	})
}

func (s *server) handleRequirementSave() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if !s.readForm(w, r) {
			return
		}
		f := r.PostForm
		form := map[string]string{"cipTag": f.Get("cipTag"), "country": f.Get("country"), "riskLevel": f.Get("riskLevel"), "type": f.Get("type"),
			"subTypes": f.Get("subTypes"), "maxAgeDays": f.Get("maxAgeDays"), "required": "off"}
		if f.Get("required") == "on" {
			form["required"] = "on"
		}
		errs := map[string]string{}
		maxAge, cip := 0, kyc.DefaultCIP
		if v := strings.TrimSpace(f.Get("cipTag")); v != "" {
			if cip = formInt(f, errs, "cipTag"); cip == 0 {
				cip = -1 // 0 is not a tag; an empty field is the default
			}
		}
		if v := strings.TrimSpace(f.Get("maxAgeDays")); v != "" {
			maxAge = formInt(f, errs, "maxAgeDays")
		}
		var subs []string
		for _, st := range strings.Split(f.Get("subTypes"), ",") {
			if st = strings.ToUpper(strings.TrimSpace(st)); st != "" {
				subs = append(subs, st)
			}
		}
		var err error
		if len(errs) == 0 {
			_, err = s.KYC.SetRequirement(r.Context(), emp.TenantID, kyc.Requirement{Country: f.Get("country"), RiskLevel: f.Get("riskLevel"),
				Type: f.Get("type"), SubTypes: subs, Required: form["required"] == "on", MaxAgeDays: maxAge, CIPTag: cip})
		}
		if len(errs) > 0 || fieldErrors(err, errs) {
			s.requirementsPage(w, r, http.StatusUnprocessableEntity, form, errs)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "Requirement saved.")
		s.seeOther(w, r, "/config/kyc-requirements")
	})
}

func (s *server) handleRequirementDelete() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := pathID(r, "id", "requirement")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.KYC.DeleteRequirement(r.Context(), emp.TenantID, id); err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "Requirement removed.")
		s.seeOther(w, r, "/config/kyc-requirements")
	})
}
