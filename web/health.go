package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/static"
)

// handleHealthz answers while the process runs.
func (s *server) handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
}

// handleReadyz answers 200 when the database is reachable and its schema
// is at the version this binary embeds; it says whether NATS is reached.
func (s *server) handleReadyz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		checks := map[string]string{}
		ready := true
		if err := s.Pool.Ping(ctx); err != nil {
			checks["database"] = "unreachable"
			ready = false
		} else {
			checks["database"] = "ok"
			want, err1 := db.LatestMigration()
			have, err2 := db.AppliedMigration(ctx, s.Pool)
			switch {
			case err1 != nil || err2 != nil:
				checks["migrations"] = "unknown"
				ready = false
			case have < want:
				checks["migrations"] = "pending"
				ready = false
			default:
				checks["migrations"] = "current"
			}
		}
		// NATS being down does not make the server unready: events wait
		// in the outbox and are published once it is back. It is shown.
		if s.NATS != nil {
			checks["nats"] = "ok"
			if s.NATS.Down() {
				checks["nats"] = "unreachable: events wait in the outbox"
			}
		}
		status := http.StatusOK
		body := map[string]any{"status": "ready", "checks": checks}
		if !ready {
			status = http.StatusServiceUnavailable
			body["status"] = "not ready"
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	})
}

// handleStatic serves the embedded assets; versioned URLs are cached for
// a year.
func (s *server) handleStatic() http.Handler {
	files := http.StripPrefix("/static/", http.FileServerFS(static.FS))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") != "" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=300")
		}
		files.ServeHTTP(w, r)
	})
}
