package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/staff"
	screeningv "github.com/ciamhq/ciam/views/screening"
)

// The tenant's screening settings: which lists, which thresholds.

func settingsView(st screening.Settings) screeningv.Settings {
	v := screeningv.Settings{Match: strconv.FormatFloat(st.MatchThreshold, 'f', -1, 64),
		Possible: strconv.FormatFloat(st.PossibleThreshold, 'f', -1, 64), Errors: map[string]string{}, MaxListAge: strconv.Itoa(st.MaxListAgeDays),
		EnhancedDefault: strconv.FormatFloat(screening.EnhancedPossible(st.PossibleThreshold), 'f', 2, 64)}
	if st.EnhancedThreshold > 0 {
		v.Enhanced = strconv.FormatFloat(st.EnhancedThreshold, 'f', -1, 64)
	}
	for _, src := range st.Sources {
		v.Sources = append(v.Sources, screeningv.SourceToggle{ID: src.ID, Name: src.Name, Kind: src.Kind, Enabled: src.Enabled})
	}
	return v
}

func (s *server) handleScreeningSettings() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		st, err := s.Screening.Settings(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v := settingsView(st)
		v.CanEdit = emp.Can(staff.PermConfigEdit)
		s.page(w, r, http.StatusOK, "Screening settings", "screening-settings", screeningv.SettingsPage(v))
	})
}

func (s *server) handleScreeningSettingsSave() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if !s.readForm(w, r) {
			return
		}
		f := r.PostForm
		errs := map[string]string{}
		number := func(name string) *float64 {
			x, err := strconv.ParseFloat(strings.TrimSpace(f.Get(name)), 64)
			if err != nil {
				errs[name] = "enter a number such as 0.85"
				return nil
			}
			return &x
		}
		u := screening.SettingsUpdate{MatchThreshold: number("matchThreshold"), PossibleThreshold: number("possibleThreshold"), Sources: map[string]bool{}}
		if strings.TrimSpace(f.Get("enhancedThreshold")) == "" {
			zero := 0.0
			u.EnhancedThreshold = &zero
		} else {
			u.EnhancedThreshold = number("enhancedThreshold")
		}
		if v := strings.TrimSpace(f.Get("maxListAgeDays")); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs["maxListAgeDays"] = "enter a whole number of days such as 7"
			} else {
				u.MaxListAgeDays = &n
			}
		}
		// Every list shown is named in "known"; the ticked ones in "source".
		for _, id := range f["known"] {
			u.Sources[id] = slices.Contains(f["source"], id)
		}
		var err error
		if len(errs) == 0 {
			_, err = s.Screening.UpdateSettings(r.Context(), emp.TenantID, u)
		}
		if len(errs) > 0 || fieldErrors(err, errs) {
			st, serr := s.Screening.Settings(r.Context(), emp.TenantID)
			if serr != nil {
				s.fail(w, r, serr)
				return
			}
			v := settingsView(st)
			v.Match, v.Possible, v.Enhanced = f.Get("matchThreshold"), f.Get("possibleThreshold"), f.Get("enhancedThreshold")
			if f.Has("maxListAgeDays") {
				v.MaxListAge = f.Get("maxListAgeDays")
			}
			for i := range v.Sources {
				v.Sources[i].Enabled = slices.Contains(f["source"], v.Sources[i].ID)
			}
			v.Errors, v.CanEdit = errs, true
			s.page(w, r, http.StatusUnprocessableEntity, "Screening settings", "screening-settings", screeningv.SettingsPage(v))
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "Screening settings saved.")
		s.seeOther(w, r, "/config/screening")
	})
}
