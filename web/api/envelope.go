package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
)

// Envelope is the success body: {"data": ...} with an optional cursor.
type Envelope struct {
	Data       any    `json:"data"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// ErrorBody is the failure envelope of API.md.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of the failure envelope.
type ErrorDetail struct {
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Details []FieldDetail `json:"details"`
	TraceID string        `json:"traceId"`
}

// FieldDetail names one problem with one field.
type FieldDetail struct {
	Field string `json:"field"`
	Issue string `json:"issue"`
}

// WriteJSON writes v as the response body.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"INTERNAL_ERROR","message":"the response could not be encoded","details":[]}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// WriteData writes {"data": v}.
func WriteData(w http.ResponseWriter, status int, v any) {
	WriteJSON(w, status, Envelope{Data: v})
}

var defaults = map[apperr.Code]struct {
	status int
	code   string
}{
	apperr.Invalid:         {http.StatusUnprocessableEntity, "VALIDATION_FAILED"},
	apperr.Malformed:       {http.StatusBadRequest, "INVALID_REQUEST"},
	apperr.NotFound:        {http.StatusNotFound, "NOT_FOUND"},
	apperr.Conflict:        {http.StatusConflict, "CONFLICT"},
	apperr.Unauthenticated: {http.StatusUnauthorized, "UNAUTHENTICATED"},
	apperr.Forbidden:       {http.StatusForbidden, "FORBIDDEN"},
	apperr.Locked:          {http.StatusLocked, "LOCKED"},
	apperr.TooLarge:        {http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE"},
	apperr.Unsupported:     {http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE"},
	apperr.RateLimited:     {http.StatusTooManyRequests, "RATE_LIMITED"},
	apperr.Unavailable:     {http.StatusServiceUnavailable, "UNAVAILABLE"},
	apperr.Internal:        {http.StatusInternalServerError, "INTERNAL_ERROR"},
}

// StatusOf is the HTTP status of a domain error code.
func StatusOf(code apperr.Code) int { return defaults[code].status }

// WriteError answers err as the error envelope. Internal errors are logged
// here, once, with the trace id; the caller sees a plain message.
func (a *API) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	err = Outage(err)
	a.logOutage(r, err)
	code := apperr.CodeOf(err)
	d := defaults[code]
	if d.status == 0 {
		d = defaults[apperr.Internal]
	}
	body := ErrorDetail{Code: d.code, Details: []FieldDetail{}, TraceID: actor.Trace(r.Context())}
	if e, ok := apperr.As(err); ok && code != apperr.Internal {
		body.Message = e.Message
		if e.APICode != "" {
			body.Code = e.APICode
		}
		for _, f := range e.Fields {
			body.Details = append(body.Details, FieldDetail{Field: f.Field, Issue: f.Issue})
		}
		if e.RetryAfter > 0 {
			// Whole seconds, rounded up: never invite a retry that is refused.
			w.Header().Set("Retry-After", strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10))
		}
	} else {
		body.Message = "something went wrong on our side; quote the trace id if you report it"
		a.Logger.ErrorContext(r.Context(), "api request failed", slog.Any("error", err), slog.String("path", r.URL.Path))
	}
	if code == apperr.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ciam"`)
	}
	WriteJSON(w, d.status, ErrorBody{Error: body})
}
