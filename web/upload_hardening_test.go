package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/ciamhq/ciam/internal/kyc"
)

// uploadCustomer registers a customer in the harness tenant and returns
// its verification request and a customer token.
func (h *harness) uploadCustomer(admin string) (vr, token string) {
	h.t.Helper()
	body := variant(h.t, func(m map[string]any) { delete(m, "categorization") })
	resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, admin, body, nil)
	if resp.StatusCode != http.StatusCreated {
		h.t.Fatalf("register: %d %v", resp.StatusCode, out)
	}
	var m map[string]any
	_ = json.Unmarshal([]byte(body), &m)
	access, _ := h.customerTokens(m["email"].(string))
	return data(out)["verificationRequestId"].(string), access
}

// oversizedMultipart is a multipart upload naming vr whose file is over
// the limit; vrFirst puts the verificationRequestId before the file.
func oversizedMultipart(vr string, vrFirst bool) (string, string) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if vrFirst {
		_ = mw.WriteField("verificationRequestId", vr)
	}
	_ = mw.WriteField("documents[0].type", "IDENTITY_DOCUMENT")
	_ = mw.WriteField("documents[0].subType", "PASSPORT")
	fw, _ := mw.CreateFormFile("documents[0].content", "big.jpg")
	_, _ = fw.Write(bytes.Repeat([]byte{0xff}, kyc.MaxDocumentBytes+1))
	if !vrFirst {
		_ = mw.WriteField("verificationRequestId", vr)
	}
	_ = mw.Close()
	return body.String(), mw.FormDataContentType()
}

// Finding 3 of the penetration test: five oversized multipart uploads
// naming another customer's verification (which the caller cannot read)
// locked it, while over-large JSON uploads of one's own did not count.
func TestUploadRefusalsCountOnlyAgainstOnesOwnVerification(t *testing.T) {
	h, admin := sessionHarness(t)
	victimVR, victim := h.uploadCustomer(admin)
	_, attacker := h.uploadCustomer(admin)
	rejected := "SELECT rejected_uploads FROM verification_requests WHERE id = $1"

	for i := range kyc.MaxRejectedUploads + 1 {
		body, ct := oversizedMultipart(victimVR, i%2 == 0)
		resp, out := h.apiCall("POST", uploadPath, h.tenant.Slug, attacker, body, map[string]string{"Content-Type": ct})
		if resp.StatusCode != 404 {
			t.Fatalf("attempt %d on another customer's verification: %d %v; want 404", i+1, resp.StatusCode, out)
		}
		jbody := `{"documents":[{"type":"IDENTITY_DOCUMENT","subType":"PASSPORT","content":"` +
			base64.StdEncoding.EncodeToString(make([]byte, kyc.MaxDocumentBytes+1)) + `"}],"verificationRequestId":"` + victimVR + `"}`
		if resp, out := h.apiCall("POST", uploadPath, h.tenant.Slug, attacker, jbody, nil); resp.StatusCode != 404 {
			t.Fatalf("JSON attempt %d on another customer's verification: %d %v; want 404", i+1, resp.StatusCode, out)
		}
	}
	if n := h.count(rejected, victimVR); n != 0 {
		t.Fatalf("the victim's verification counts %d refusals; want 0", n)
	}
	if resp, out := h.apiCall("POST", uploadPath, h.tenant.Slug, victim, uploadBody(victimVR, upDoc{"IDENTITY_DOCUMENT", "PASSPORT", []byte("GIF89a not an image"), nil}), nil); resp.StatusCode == 423 {
		t.Fatalf("the victim is locked out: %d %v", resp.StatusCode, out)
	}

	// One's own refusals all count, whatever they are: an over-large file
	// in JSON (with the id after it) and in multipart, a field too large,
	// a body that is not JSON.
	ownVR, own := h.uploadCustomer(admin)
	refusals := []struct {
		body, contentType string
		status            int
	}{
		{`{"documents":[{"type":"IDENTITY_DOCUMENT","subType":"PASSPORT","content":"` +
			base64.StdEncoding.EncodeToString(make([]byte, kyc.MaxDocumentBytes+1)) + `"}],"verificationRequestId":"` + ownVR + `"}`, "", 413},
		{`{"verificationRequestId":"` + ownVR + `","documents":[{"type":"IDENTITY_DOCUMENT","fileName":"` + strings.Repeat("a", 100<<10) + `"}]}`, "", 422},
		{`{"verificationRequestId":"` + ownVR + `","documents":[{"type":"IDENTITY_DOCUMENT","content":"!!"}]}`, "", 400},
		{`{"verificationRequestId":"` + ownVR + `","documents":[{"type":"IDENTITY_DOCUMENT"}]}`, "", 422},
	}
	mp, ct := oversizedMultipart(ownVR, true)
	refusals = append(refusals, struct {
		body, contentType string
		status            int
	}{mp, ct, 413})
	for i, rf := range refusals {
		extra := map[string]string{}
		if rf.contentType != "" {
			extra["Content-Type"] = rf.contentType
		}
		resp, out := h.apiCall("POST", uploadPath, h.tenant.Slug, own, rf.body, extra)
		if resp.StatusCode != rf.status {
			t.Fatalf("own refusal %d: %d %v; want %d", i+1, resp.StatusCode, out, rf.status)
		}
		if n := h.count(rejected, ownVR); n != i+1 {
			t.Fatalf("after own refusal %d the verification counts %d refusals", i+1, n)
		}
	}
	resp, out := h.apiCall("POST", uploadPath, h.tenant.Slug, own, uploadBody(ownVR, passport(t, nil)), nil)
	if resp.StatusCode != 423 || errCode(out) != "VERIFICATION_LOCKED" {
		t.Fatalf("after %d refusals: %d %v; want 423 VERIFICATION_LOCKED", len(refusals), resp.StatusCode, out)
	}
}

// repeatReader yields n copies of b without holding them.
type repeatReader struct {
	b byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	for i := range p {
		p[i] = r.b
	}
	r.n -= int64(len(p))
	return len(p), nil
}

// allocatedBy is how many bytes the whole process allocated while fn ran.
func allocatedBy(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Finding 6 of the penetration test: fields other than content were held
// in memory (a 70 MB fileName added 171 MB). The request is streamed from
// a generator, so the client holds none of it; what the process allocates
// while the server answers must stay far below the field's size.
func TestUploadFieldsDoNotFillMemory(t *testing.T) {
	h, admin := sessionHarness(t)
	vr, token := h.uploadCustomer(admin)
	const fieldSize = 70 << 20
	// Without the bounds these took 233 MB to 1.2 GB (49 MB for a header,
	// which the multipart reader alone stops at 10 MB); the bound leaves
	// room for whatever else the process does meanwhile.
	const bound = 32 << 20

	send := func(body io.Reader, contentType string) (int, map[string]any) {
		req, err := http.NewRequestWithContext(t.Context(), "POST", h.srv.URL+uploadPath, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Tenant-ID", h.tenant.Slug)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	cases := []struct {
		name  string
		body  func() (io.Reader, string)
		field string
	}{
		{"a 70 MB fileName in JSON", func() (io.Reader, string) {
			return io.MultiReader(strings.NewReader(`{"verificationRequestId":"`+vr+`","documents":[{"type":"IDENTITY_DOCUMENT","fileName":"`),
				&repeatReader{'a', fieldSize}, strings.NewReader(`"}]}`)), "application/json"
		}, "documents[0].fileName"},
		{"70 MB of metadata in JSON", func() (io.Reader, string) {
			return io.MultiReader(strings.NewReader(`{"verificationRequestId":"`+vr+`","documents":[{"type":"IDENTITY_DOCUMENT","metadata":{"issuer":"`),
				&repeatReader{'a', fieldSize}, strings.NewReader(`"}}]}`)), "application/json"
		}, "documents[0].metadata"},
		{"a 70 MB form field", func() (io.Reader, string) {
			const boundary = "XyZzY"
			return io.MultiReader(strings.NewReader("--"+boundary+"\r\nContent-Disposition: form-data; name=\"documents[0].fileName\"\r\n\r\n"),
				&repeatReader{'a', fieldSize}, strings.NewReader("\r\n--"+boundary+"--\r\n")), "multipart/form-data; boundary=" + boundary
		}, "documents[0].fileName"},
		{"a 70 MB file name in a part's header", func() (io.Reader, string) {
			const boundary = "XyZzY"
			return io.MultiReader(strings.NewReader("--"+boundary+"\r\nContent-Disposition: form-data; name=\"documents[0].content\"; filename=\""),
				&repeatReader{'a', fieldSize}, strings.NewReader("\"\r\n\r\nx\r\n--"+boundary+"--\r\n")), "multipart/form-data; boundary=" + boundary
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var status int
			var out map[string]any
			n := allocatedBy(func() { status, out = send(tc.body()) })
			t.Logf("allocated %d MB while answering", n>>20)
			if status < 400 || status >= 500 {
				t.Fatalf("%d %v; want a 4xx", status, out)
			}
			if tc.field != "" && (len(details(out)) == 0 || !strings.HasPrefix(details(out)[0], tc.field+":")) {
				t.Errorf("details %v; want one naming %s", details(out), tc.field)
			}
			if n > bound {
				t.Fatalf("the process allocated %d MB answering a %d MB field; want at most %d MB", n>>20, fieldSize>>20, bound>>20)
			}
		})
	}
}
