package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/ciamhq/ciam/internal/apperr"
)

// WriteOAuthError answers a request to the token endpoint with RFC 6749's
// error response (§5.2), which OAuth client libraries read, instead of the
// API's envelope: err's message becomes the error_description. A request
// that could not be read is invalid_request; failed client authentication
// invalid_client; anything else is the server's fault, logged here once.
func (a *API) WriteOAuthError(w http.ResponseWriter, r *http.Request, err error) {
	err = Outage(err)
	a.logOutage(r, err)
	e, ok := apperr.As(err)
	if !ok || e.Code == apperr.Internal || StatusOf(e.Code) == 0 {
		a.Logger.ErrorContext(r.Context(), "token request failed", slog.Any("error", err), slog.String("path", r.URL.Path))
		writeOAuthError(w, http.StatusInternalServerError, "server_error", "something went wrong on our side; try again later")
		return
	}
	status, code := StatusOf(e.Code), "invalid_request"
	switch e.Code {
	case apperr.Unauthenticated, apperr.NotFound, apperr.Forbidden:
		status, code = http.StatusUnauthorized, "invalid_client"
	case apperr.Malformed, apperr.Invalid, apperr.Unsupported:
		status = http.StatusBadRequest
	case apperr.Unavailable:
		code = "temporarily_unavailable"
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10))
	}
	writeOAuthError(w, status, code, e.Message)
}
