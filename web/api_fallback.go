package web

import (
	"net/http"
	"path"
	"strings"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/web/api"
)

// apiPrefixes are the paths whose every answer is JSON: the customer API,
// the token endpoint and the signing keys.
var apiPrefixes = []string{"/api/", "/oauth/", "/.well-known/"}

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
			s.portalFallback(mux).ServeHTTP(w, r)
			return
		}
		// A path that is not in its canonical form (a double slash, a dot
		// segment) would get the mux's redirect, in HTML: an API client
		// is told the path does not exist instead.
		canonical := isCanonical(r.URL.Path)
		if _, pattern := mux.Handler(r); pattern != "" && canonical {
			mux.ServeHTTP(w, r)
			return
		}
		var allow []string
		for _, m := range probeMethods {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && canonical {
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
		if strings.HasPrefix(path, p) || path == strings.TrimSuffix(p, "/") {
			return true
		}
	}
	return false
}

// isCanonical reports whether p is as the mux serves it, without a
// redirect: no empty, "." or ".." segments.
func isCanonical(p string) bool {
	c := path.Clean(p)
	return c == p || (strings.HasSuffix(p, "/") && c+"/" == p)
}

// portalFallback answers the portal requests no route takes with a page
// inside the portal's frame instead of the mux's plain text: 404 for an
// unknown address, 405 with Allow for a known one asked with another
// method. The employee must be signed in to see either (others go to
// sign-in, as for any portal page), so the answer tells a stranger
// nothing about which addresses exist. Everything else goes to mux,
// which also redirects paths not in their canonical form.
func (s *server) portalFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" || !isCanonical(r.URL.Path) {
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
		s.requireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if len(allow) > 0 {
				w.Header().Set("Allow", strings.Join(allow, ", "))
				s.fail(w, r, apperr.New(apperr.MethodNotAllowed, "this address cannot be used that way; open it from a link or a button of the portal"))
				return
			}
			s.fail(w, r, apperr.New(apperr.NotFound, "there is no page at this address; it may have moved, or the link was mistyped"))
		})).ServeHTTP(w, r)
	})
}
