package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
)

// OutageRetryAfter is how soon a caller refused during a database outage is
// invited to try again.
const OutageRetryAfter = 5 * time.Second

// Outage turns an error that says the database cannot be reached into an
// Unavailable one (503 SERVICE_UNAVAILABLE with Retry-After), so a caller
// knows to try again rather than report a bug; any other error passes
// unchanged. The cause stays in the chain for the log.
func Outage(err error) error {
	if _, ok := apperr.As(err); ok || !db.IsUnavailable(err) {
		return err
	}
	return &apperr.Error{
		Code:       apperr.Unavailable,
		APICode:    "SERVICE_UNAVAILABLE",
		Message:    "the service is temporarily unavailable; try again in a few seconds",
		RetryAfter: OutageRetryAfter,
		Err:        err,
	}
}

// logOutage records, once at the boundary, a request refused because the
// database is away: not a bug, but an operator wants to see it.
func (a *API) logOutage(r *http.Request, err error) {
	if e, ok := apperr.As(err); ok && e.APICode == "SERVICE_UNAVAILABLE" && e.Err != nil {
		a.Logger.WarnContext(r.Context(), "database unavailable", slog.Any("error", e.Err), slog.String("path", r.URL.Path))
	}
}
