package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestBlobFilterStreamsContent(t *testing.T) {
	a := bytes.Repeat([]byte{1, 2, 3, 250}, 5000)
	b := []byte("%PDF-1.4 small")
	body := `{"verificationRequestId":"x","note":"content","documents":[` +
		`{"type":"ID","content":"` + strings.ReplaceAll(base64.StdEncoding.EncodeToString(a), "/", `\/`) + `","fileName":"a \"content\".jpg"},` +
		`{"content" : "` + base64.StdEncoding.EncodeToString(b) + `","metadata":{"content":"nested is a blob too"}}]}`
	f := newBlobFilter(strings.NewReader(body), 1<<20)
	defer f.closeAll()
	out, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("filtered JSON %s: %v", out, err)
	}
	docs := v["documents"].([]any)
	if docs[0].(map[string]any)["content"] != "blob:0" || docs[1].(map[string]any)["content"] != "blob:1" ||
		docs[0].(map[string]any)["fileName"] != `a "content".jpg` || v["note"] != "content" {
		t.Fatalf("filtered = %s", out)
	}
	if m := docs[1].(map[string]any)["metadata"].(map[string]any); m["content"] != "nested is a blob too" {
		t.Fatalf("a nested content key was taken: %v", m)
	}
	if len(f.blobs) != 2 {
		t.Fatalf("%d blobs", len(f.blobs))
	}
	for i, want := range [][]byte{a, b} {
		got, _ := io.ReadAll(f.blobs[i].File)
		sum := sha256.Sum256(want)
		if !bytes.Equal(got, want) || f.blobs[i].Size != int64(len(want)) || !bytes.Equal(f.blobs[i].SHA256, sum[:]) {
			t.Fatalf("blob %d: %d bytes, size %d", i, len(got), f.blobs[i].Size)
		}
	}
}

func TestBlobFilterLimitsAndRefusesBadBase64(t *testing.T) {
	big := base64.StdEncoding.EncodeToString(make([]byte, 2000))
	f := newBlobFilter(strings.NewReader(`{"documents":[{"content":"`+big+`"}]}`), 1000)
	if _, err := io.ReadAll(f); !errors.Is(err, errBlobTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
	f = newBlobFilter(strings.NewReader(`{"documents":[{"content":"not base64 !!"}]}`), 1000)
	if _, err := io.ReadAll(f); !errors.Is(err, errBadBase64) {
		t.Fatalf("bad base64: %v", err)
	}
	f = newBlobFilter(strings.NewReader(`{"documents":[{"content":"AAAA`), 1000)
	if _, err := io.ReadAll(f); err == nil {
		t.Fatal("truncated body accepted")
	}
}
