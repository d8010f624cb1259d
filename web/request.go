package web

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
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
