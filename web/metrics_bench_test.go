package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ciamhq/ciam/internal/metrics"
)

// nopWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the middleware rather than a recorder.
type nopWriter struct{ h http.Header }

func (w nopWriter) Header() http.Header         { return w.h }
func (w nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w nopWriter) WriteHeader(int)             {}

// BenchmarkMeasureRequests is what counting and timing costs one request,
// against the same mux without it: the route's series looked up by
// pattern, the status code's counter found, the duration observed.
func BenchmarkMeasureRequests(b *testing.B) {
	pattern := "GET /api/v2.1/customers/{id}"
	mux := http.NewServeMux()
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	m := metrics.New(metrics.Options{})
	s := &server{Deps: Deps{Metrics: m}, routeMetrics: routeMetrics(m, []route{{Pattern: pattern}})}
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", mux}, {"measured", s.measureRequests(mux)}} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/api/v2.1/customers/0b7e4a3c-6c1f-4d55-9d0e-3a1b2c3d4e5f", nil)
			w := nopWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(w, req)
			}
		})
	}
}
