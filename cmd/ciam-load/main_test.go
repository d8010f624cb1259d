package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Every request is sent and counted, with its own body when -bodies names
// a file, cycled.
func TestSendsEachBodyInTurn(t *testing.T) {
	var (
		mu   sync.Mutex
		seen = map[string]int{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen[r.Method+" "+r.Header.Get("X-Test")+" "+string(b)]++
		mu.Unlock()
		if string(b) == "c" {
			w.WriteHeader(http.StatusConflict)
		}
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "bodies")
	if err := os.WriteFile(file, []byte("a\nb\nc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	// 30 requests counted after 15 of warming up.
	if err := run([]string{"-rate", "300", "-warmup", "50ms", "-duration", "100ms", "-method", "POST", "-bodies", file, "-H", "X-Test: yes", srv.URL}, &out); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"POST yes a": 15, "POST yes b": 15, "POST yes c": 15}
	if len(seen) != len(want) || seen["POST yes a"] != 15 || seen["POST yes b"] != 15 || seen["POST yes c"] != 15 {
		t.Fatalf("received %v, want %v", seen, want)
	}
	for _, line := range []string{"30 requests", "status 200: 20", "status 409: 10"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("output lacks %q:\n%s", line, out.String())
		}
	}
}
