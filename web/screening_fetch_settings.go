package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/views/labels"
	screeningv "github.com/ciamhq/ciam/views/screening"
)

// The platform operator's form of a list source's fetch settings: where it
// is downloaded from, how often, and its limits.

// maskedURL is an address without its query, which may carry a token.
func maskedURL(u string) (string, bool) {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i] + "?…", true
	}
	return u, false
}

func fetchFormOf(f screening.SourceFetch) screeningv.FetchForm {
	u, hidden := maskedURL(f.URL)
	return screeningv.FetchForm{SourceID: f.SourceID, Name: f.Name, Kind: f.Kind, Format: string(f.Format), URL: u, URLHidden: hidden,
		Interval: labels.Duration(f.Interval), StaleAfter: labels.Duration(f.StaleAfter),
		MaxMB: strconv.FormatInt(max(f.MaxBytes>>20, 1), 10), Shrink: strconv.FormatFloat(f.MaxShrink*100, 'f', -1, 64),
		Enabled: f.Enabled, Errors: map[string]string{}}
}

func (s *server) handleScreeningSourceNew() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form := screeningv.FetchForm{New: true, Kind: screening.KindSanctions, Format: string(screening.FormatSenzing),
			Interval: "1 day", StaleAfter: "3 days", MaxMB: "64", Shrink: "50", Enabled: true, Errors: map[string]string{}}
		s.page(w, r, http.StatusOK, "Fetch a new list", "lists", screeningv.FetchSettingsPage(form))
	})
}

func (s *server) handleScreeningSourceSettings() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := s.Screening.SourceFetchByID(r.Context(), r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		form := fetchFormOf(f)
		s.page(w, r, http.StatusOK, "Fetch settings", "lists", screeningv.FetchSettingsPage(form))
	})
}

// handleScreeningSourceSave saves a source's settings: a new one when the
// path names none.
func (s *server) handleScreeningSourceSave() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			s.fail(w, r, apperr.New(apperr.Malformed, "the form could not be read"))
			return
		}
		id := r.PathValue("id")
		var current *screening.SourceFetch
		if id != "" {
			f, err := s.Screening.SourceFetchByID(r.Context(), id)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			current = &f
		}
		form := screeningv.FetchForm{New: current == nil, SourceID: strings.TrimSpace(r.PostForm.Get("sourceId")),
			Name: strings.TrimSpace(r.PostForm.Get("name")), Kind: r.PostForm.Get("kind"), Format: r.PostForm.Get("format"),
			URL: strings.TrimSpace(r.PostForm.Get("url")), Interval: r.PostForm.Get("interval"), StaleAfter: r.PostForm.Get("staleAfter"),
			MaxMB: strings.TrimSpace(r.PostForm.Get("maxBytes")), Shrink: strings.TrimSpace(r.PostForm.Get("maxShrink")),
			Enabled: r.PostForm.Get("enabled") == "on", Errors: map[string]string{}}
		cfg := screening.FetchConfig{SourceID: form.SourceID, Name: form.Name, Kind: form.Kind, Format: screening.Format(form.Format),
			URL: form.URL, Enabled: form.Enabled}
		if current != nil {
			form.SourceID, cfg.SourceID = current.SourceID, current.SourceID
			// The address as shown, its query held back, keeps the stored one.
			if shown, hidden := maskedURL(current.URL); hidden && form.URL == shown {
				cfg.URL = current.URL
				form.URLHidden = true
			}
		} else if _, err := s.Screening.SourceFetchByID(r.Context(), form.SourceID); err == nil {
			form.Errors["sourceId"] = "a source with this id is set up already: edit it from the lists page"
		}
		if form.Name == "" {
			form.Errors["name"] = "give the list's name"
		} else if len(form.Name) > 200 {
			form.Errors["name"] = "at most 200 characters"
		}
		if len(cfg.URL) > 2000 {
			form.Errors["url"] = "at most 2,000 characters"
		}
		duration := func(field, v string) time.Duration {
			d, err := labels.ParseDuration(v)
			if err != nil || d <= 0 {
				form.Errors[field] = "write a length of time such as \"1 day\", \"6 hours\" or \"30 minutes\""
				return 0
			}
			return d
		}
		cfg.Interval = duration("interval", form.Interval)
		cfg.StaleAfter = duration("staleAfter", form.StaleAfter)
		if mb, err := strconv.ParseInt(form.MaxMB, 10, 64); err != nil || mb < 1 || mb > 8192 {
			form.Errors["maxBytes"] = "a whole number of megabytes from 1 to 8,192"
		} else {
			cfg.MaxBytes = mb << 20
		}
		if pct, err := strconv.ParseFloat(form.Shrink, 64); err != nil || pct < 0 || pct > 100 {
			form.Errors["maxShrink"] = "a share from 0 to 100 %"
		} else {
			cfg.MaxShrink = pct / 100
		}
		title := "Fetch settings"
		if form.New {
			title = "Fetch a new list"
		}
		if len(form.Errors) > 0 {
			s.page(w, r, http.StatusUnprocessableEntity, title, "lists", screeningv.FetchSettingsPage(form))
			return
		}
		saved, err := s.Screening.SetFetch(r.Context(), cfg)
		if fieldErrors(err, form.Errors) {
			s.page(w, r, http.StatusUnprocessableEntity, title, "lists", screeningv.FetchSettingsPage(form))
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		msg := "The fetch settings of " + saved.Name + " are saved."
		if saved.Enabled && s.Screening.FetchEnabled {
			msg += " It is fetched next within a minute."
		}
		s.flash(w, r, "success", msg)
		s.seeOther(w, r, "/screening/lists")
	})
}
