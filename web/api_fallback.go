package web

import (
	"net/http"
	"strings"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/web/api"
)

// apiPrefixes are the paths whose every answer is JSON: the customer API
// and the token endpoint.
var apiPrefixes = []string{"/api/", "/oauth/"}

// probeMethods are the methods tried to tell a path that exists for other
// methods (405, with Allow) from one that does not exist (404).
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// apiFallback answers the API requests no route takes with the JSON error
// envelope instead of the mux's plain text: 404 NOT_FOUND for an unknown
// path, 405 METHOD_NOT_ALLOWED with an Allow header for a known path asked
// with another method. Everything else goes to mux.
func (s *server) apiFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isAPIPath(r.URL.Path) {
			mux.ServeHTTP(w, r)
			return
		}
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		var allow []string
		for _, m := range probeMethods {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" {
				allow = append(allow, m)
			}
		}
		body := api.ErrorDetail{Details: []api.FieldDetail{}, TraceID: actor.Trace(r.Context())}
		status := http.StatusNotFound
		if len(allow) > 0 {
			status = http.StatusMethodNotAllowed
			body.Code, body.Message = "METHOD_NOT_ALLOWED", r.Method+" is not allowed here; use "+strings.Join(allow, ", ")
			w.Header().Set("Allow", strings.Join(allow, ", "))
		} else {
			body.Code, body.Message = "NOT_FOUND", "there is no such API path; see "+api.Prefix+"/openapi.json"
		}
		api.WriteJSON(w, status, api.ErrorBody{Error: body})
	})
}

func isAPIPath(path string) bool {
	for _, p := range apiPrefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}
