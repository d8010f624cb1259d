package web

import (
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ciamhq/ciam/internal/credential"
)

// uploadBodyReader streams an upload of one identity document of size
// bytes (a real JPEG header followed by noise) without building it in
// memory, so that only the server's memory is measured.
func uploadBodyReader(t testing.TB, vr string, size int) io.Reader {
	head := jpegBytes(t, 400, 400, 7)
	pr, pw := io.Pipe()
	go func() {
		fmt.Fprintf(pw, `{"verificationRequestId":%q,"documents":[{"type":"IDENTITY_DOCUMENT","subType":"PASSPORT","fileName":"big.jpg","content":"`, vr)
		enc := base64.NewEncoder(base64.StdEncoding, pw)
		_, _ = enc.Write(head)
		rest := size - len(head)
		rng := rand.New(rand.NewPCG(uint64(size), 7))
		buf := make([]byte, 64<<10)
		for rest > 0 {
			n := min(rest, len(buf))
			for i := range n {
				buf[i] = byte(rng.Uint32())
			}
			_, _ = enc.Write(buf[:n])
			rest -= n
		}
		_ = enc.Close()
		_, _ = io.WriteString(pw, `"}]}`)
		_ = pw.Close()
	}()
	return pr
}

// heapWatch samples the heap while work runs and reports the peak above
// the starting point.
func heapWatch(work func()) (peakMB float64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
			}
		}
	}()
	work()
	close(done)
	if p := peak.Load(); p > base {
		return float64(p-base) / (1 << 20)
	}
	return 0
}

func (h *harness) postUpload(tenantSlug, tok string, body io.Reader) int {
	req, _ := http.NewRequest("POST", h.srv.URL+uploadPath, body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Tenant-ID", tenantSlug)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Error(err)
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// UploadMemoryBoundMB is the documented bound (docs/PERFORMANCE.md) on the
// heap twenty concurrent 10 MB uploads may add: uploads stream to disk and
// are sealed and stored a 256 KB chunk at a time, so memory does not grow
// with file size.
const UploadMemoryBoundMB = 64

// Twenty concurrent 10 MB uploads stay under the documented memory bound.
func TestTwentyConcurrentUploadsStayUnderTheMemoryBound(t *testing.T) {
	h := newHarness(t)
	tok := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	var vrs []string
	for range 20 {
		_, vr := h.onboarded(h.tenant, tok, noCategory)
		vrs = append(vrs, vr)
	}
	var ok atomic.Int32
	start := time.Now()
	peak := heapWatch(func() {
		var wg sync.WaitGroup
		for _, vr := range vrs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if h.postUpload(h.tenant.Slug, tok, uploadBodyReader(t, vr, 10<<20-4096)) == 200 {
					ok.Add(1)
				}
			}()
		}
		wg.Wait()
	})
	t.Logf("20 concurrent 10 MB uploads: %d accepted in %s, peak heap growth %.1f MB (bound %d MB)", ok.Load(), time.Since(start).Round(time.Millisecond), peak, UploadMemoryBoundMB)
	if ok.Load() != 20 {
		t.Fatalf("%d of 20 uploads accepted", ok.Load())
	}
	if peak > UploadMemoryBoundMB {
		t.Fatalf("peak heap growth %.1f MB is over the documented bound of %d MB", peak, UploadMemoryBoundMB)
	}
}

// BenchmarkUpload5MB is one 5 MB upload end to end over HTTP: streamed,
// judged by its bytes, sealed and stored in PostgreSQL. It reports the time
// per upload and the peak heap growth while they ran.
func BenchmarkUpload5MB(b *testing.B) {
	h := newHarness(b)
	tok := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	vrs := make([]string, b.N)
	for i := range vrs {
		_, vrs[i] = h.onboarded(h.tenant, tok, noCategory)
	}
	b.ResetTimer()
	peak := heapWatch(func() {
		for _, vr := range vrs {
			if code := h.postUpload(h.tenant.Slug, tok, uploadBodyReader(b, vr, 5<<20)); code != 200 {
				b.Fatalf("upload: %d", code)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(peak, "peak-heap-MB")
	b.ReportMetric(float64(5<<20)*float64(b.N)/b.Elapsed().Seconds()/(1<<20), "MB/s")
}
