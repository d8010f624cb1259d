package web

import (
	"net/http"
	"time"

	"github.com/ciamhq/ciam/internal/metrics"
)

// measureRequests counts and times every request by the route pattern the
// mux chose (never the raw path, so the series stay few), and those no
// route took as metrics.Unmatched. It wraps the mux closely: the mux sets
// r.Pattern on the request it is given, and outer middleware pass copies.
// A request whose handler panics counts as a 500, which is what
// recoverPanics answers.
func (s *server) measureRequests(next http.Handler) http.Handler {
	if s.Metrics == nil {
		return next
	}
	unmatched := s.Metrics.Unmatched()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		done := false
		defer func() {
			code := sw.status
			switch {
			case !done:
				code = http.StatusInternalServerError
			case code == 0:
				code = http.StatusOK
			}
			route, ok := s.routeMetrics[r.Pattern]
			if !ok {
				route = unmatched
			}
			route.Observe(code, time.Since(start))
		}()
		next.ServeHTTP(sw, r)
		done = true
	})
}

// routeMetrics makes the series of every route up front, so that a
// request only looks its route up.
func routeMetrics(m *metrics.Metrics, routes []route) map[string]*metrics.Route {
	out := make(map[string]*metrics.Route, len(routes))
	for _, rt := range routes {
		out[rt.Pattern] = m.Route(rt.Pattern)
	}
	return out
}
