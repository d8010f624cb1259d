package web

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/views/pages"
	"github.com/ciamhq/ciam/web/api"
)

// statusOf maps a domain error code to its HTTP status; the one place
// that does.
func statusOf(code apperr.Code) int {
	switch code {
	case apperr.Invalid:
		return http.StatusUnprocessableEntity
	case apperr.Malformed:
		return http.StatusBadRequest
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.Unauthenticated:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.Locked:
		return http.StatusLocked
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.Unsupported:
		return http.StatusUnsupportedMediaType
	case apperr.MethodNotAllowed:
		return http.StatusMethodNotAllowed
	case apperr.RateLimited:
		return http.StatusTooManyRequests
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

var statusTitles = map[int]string{
	http.StatusBadRequest:            "That request could not be read",
	http.StatusUnauthorized:          "Please sign in",
	http.StatusForbidden:             "Not allowed",
	http.StatusNotFound:              "Not found",
	http.StatusMethodNotAllowed:      "Not available this way",
	http.StatusConflict:              "That could not be done",
	http.StatusUnprocessableEntity:   "Please check the form",
	http.StatusLocked:                "Locked",
	http.StatusRequestEntityTooLarge: "Too large",
	http.StatusTooManyRequests:       "Too many requests",
	http.StatusServiceUnavailable:    "Temporarily unavailable",
	http.StatusInternalServerError:   "Something went wrong",
}

// fail answers err as an HTML page (or an htmx fragment). Internal errors
// are logged once, here, with the trace id; people see a plain message.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	err = api.Outage(err)
	code := apperr.CodeOf(err)
	status := statusOf(code)
	if e, ok := apperr.As(err); ok && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10))
		if e.Err != nil {
			s.Logger.WarnContext(r.Context(), "request refused", slog.Any("error", e.Err), slog.String("path", r.URL.Path))
		}
	}
	msg := "The error was recorded. Quote the trace id below if you report it."
	if e, ok := apperr.As(err); ok && code != apperr.Internal {
		msg = e.Message
	} else {
		s.Logger.ErrorContext(r.Context(), "request failed", slog.Any("error", err), slog.String("path", r.URL.Path))
	}
	if r.Header.Get("HX-Request") == "true" {
		// htmx swaps nothing on an error status; send the message to the
		// flash area instead.
		w.Header().Set("HX-Retarget", "#flash")
		w.Header().Set("HX-Reswap", "innerHTML")
		s.render(w, r, status, pages.ErrorFragment(msg))
		return
	}
	p := pages.ErrorPage{
		Status:       status,
		Title:        statusTitles[status],
		Message:      msg,
		TraceID:      actor.Trace(r.Context()),
		AssetVersion: s.assetVersion,
	}
	if p.Title == "" {
		p.Title = http.StatusText(status)
	}
	if _, ok := employeeFrom(r.Context()); ok {
		s.page(w, r, status, p.Title, "", pages.ErrorBody(p))
		return
	}
	s.render(w, r, status, pages.ErrorStandalone(p))
}
