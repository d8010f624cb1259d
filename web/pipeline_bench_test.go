package web

import (
	"slices"
	"testing"
	"time"

	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/web/api"
)

// BenchmarkKYCPipeline measures the KYC pipeline per document through the
// real server, its job queue and PostgreSQL: from the upload request
// (judged, read with OCR and the MRZ, sealed and stored) until the
// verification's checks are done (the queued stages: evidence, checks,
// routing). Each round uploads a passport to one new customer and a
// utility bill (a PDF with a text layer) to another, one document at a
// time, so the figures are one document's latency; documents per minute
// is what that sequence achieves. docs/PERFORMANCE.md records the runs.
//
//	go test ./web/ -run '^$' -bench KYCPipeline -benchtime 20x
func BenchmarkKYCPipeline(b *testing.B) {
	h := newHarness(b)
	h.startJobs()
	tok := h.adminToken(h.tenant, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	pass, bill := passport(b, nil), utilityBill(time.Now().AddDate(0, 0, -10))
	h.onboarded(h.tenant, tok, noCategory) // loads the screening lists once, outside the measurement
	_ = passportJPEG(b, exampleHolder())   // rendering is not the pipeline

	// pipeline uploads doc to a new LOW-risk customer and waits for the
	// checks to be done.
	pipeline := func(doc upDoc) time.Duration {
		_, vr := h.onboarded(h.tenant, tok, noCategory)
		start := time.Now()
		resp, out := h.apiCall("POST", uploadPath, h.tenant.Slug, tok, uploadBody(vr, doc), nil)
		if resp.StatusCode != 200 {
			b.Fatalf("upload: %d %v", resp.StatusCode, out)
		}
		for deadline := start.Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
			_, st := h.apiCall("GET", api.Prefix+"/verification/status/"+vr, h.tenant.Slug, tok, "", nil)
			if d, _ := st["data"].(map[string]any); d["checksState"] == "DONE" {
				return time.Since(start)
			}
			if time.Now().After(deadline) {
				b.Fatalf("checks not done after a minute: %v", st)
			}
		}
	}

	var passports, bills []time.Duration
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		p, q := pipeline(pass), pipeline(bill)
		passports, bills = append(passports, p), append(bills, q)
		total += p + q
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(percentile(passports, 50)), "passport-p50-ms")
	b.ReportMetric(ms(percentile(passports, 95)), "passport-p95-ms")
	b.ReportMetric(ms(percentile(bills, 50)), "bill-p50-ms")
	b.ReportMetric(ms(percentile(bills, 95)), "bill-p95-ms")
	b.ReportMetric(float64(len(passports)+len(bills))/total.Minutes(), "docs/min")
	b.ReportMetric(0, "ns/op") // a round includes two registrations; the figures above are the pipeline's
}

// percentile is the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s) + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}
