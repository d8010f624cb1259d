package web

import (
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/web/api"
)

// pathID is the {name} path value as a UUID. One that does not parse names
// a thing that does not exist: "no such <thing>", 404.
func pathID(r *http.Request, name, thing string) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue(name))
	if err != nil {
		return uuid.Nil, apperr.New(apperr.NotFound, "no such %s", thing)
	}
	return id, nil
}

// readForm parses the request's form; when it cannot, it answers the
// request and reports false.
func (s *server) readForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, apperr.New(apperr.Malformed, "the form could not be read"))
		return false
	}
	return true
}

// refuseBadText answers 400, naming the field, for a request carrying text
// the server must not keep: a NUL, or bytes that are not UTF-8, in the
// path (named by the route's path parameter), a query parameter, a header
// or a portal form field. PostgreSQL refuses NULs and invalid UTF-8 in text,
// so letting them through ended in 500s; refusing them here covers every
// route at once. JSON bodies are checked by api.Decode, multipart bodies by
// their readers, and the token endpoint's form by its handler, which
// answers in RFC 6749's terms.
func (s *server) refuseBadText(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.badText(mux, r); err != nil {
			s.answerError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *server) badText(mux *http.ServeMux, r *http.Request) error {
	if p := api.TextProblem(r.URL.Path); p != "" {
		_, pattern := mux.Handler(r)
		return api.BadText(pathField(pattern, r.URL.Path), p)
	}
	// ParseQuery keeps what it could read when a pair is malformed; the
	// handlers see the same (r.URL.Query), so that is what is checked.
	q, _ := url.ParseQuery(r.URL.RawQuery)
	if err := api.CheckValues(q); err != nil {
		return err
	}
	for name, vals := range r.Header {
		for _, v := range vals {
			if p := api.TextProblem(v); p != "" {
				return api.BadText(name, p)
			}
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !isAPIPath(r.URL.Path) {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
			// Parsed once here; the handlers' own ParseForm then reuses it.
			if err := r.ParseForm(); err != nil {
				return apperr.New(apperr.Malformed, "the form could not be read")
			}
			if err := api.CheckValues(r.PostForm); err != nil {
				return err
			}
		}
	}
	return nil
}

// pathField names the part of path that pattern ("GET /customers/{id}")
// takes as a path parameter and that holds bad text: "id". A bad part the
// pattern spells out, or a path no route takes, is just "path".
func pathField(pattern, path string) string {
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = p
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:] // without a host
	}
	want := strings.Split(pattern, "/")
	got := strings.Split(path, "/")
	for i, seg := range want {
		if !strings.HasPrefix(seg, "{") || i >= len(got) {
			continue
		}
		name := strings.TrimSuffix(strings.Trim(seg, "{}"), "...")
		part := got[i]
		if strings.HasSuffix(seg, "...}") {
			part = strings.Join(got[i:], "/")
		}
		if name != "$" && api.TextProblem(part) != "" {
			return name
		}
	}
	return "path"
}

// clientAddress decides once, for the whole request, which address the
// client has (api.ClientIP, with the configured TRUSTED_PROXIES), so that
// what a caller writes in X-Forwarded-For is not recorded as its address
// unless a proxy the server trusts vouches for it.
func (s *server) clientAddress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := api.ClientIP(r, s.Config.TrustedProxies)
		next.ServeHTTP(w, r.WithContext(api.WithClientIP(r.Context(), ip)))
	})
}

// answerError answers err in the shape of the side the request is on: the
// token endpoint in RFC 6749's, the API in its envelope, the portal with a
// page.
func (s *server) answerError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case r.URL.Path == "/oauth/token":
		s.API.WriteOAuthError(w, r, err)
	case isAPIPath(r.URL.Path):
		s.API.WriteError(w, r, err)
	default:
		s.fail(w, r, err)
	}
}
