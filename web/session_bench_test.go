package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ciamhq/ciam/internal/staff"
)

// BenchmarkPortalSessionCheck is what every portal request pays before its
// handler: the session cookie decoded and the session and its employee
// with their roles read from the database (one statement), without the
// page around it.
func BenchmarkPortalSessionCheck(b *testing.B) {
	h := newHarness(b)
	_, c := h.signIn(staff.Analyst)
	check := h.s.requireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/dashboard", nil)
		req.AddCookie(c)
		rec := httptest.NewRecorder()
		check.ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent {
			b.Fatalf("session check: %d", rec.Code)
		}
	}
}
