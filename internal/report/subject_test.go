package report

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"testing"
)

// A list file is valid JSON however many items it has, and every file's
// size and hash are what the ZIP holds.
func TestZipOutListsAndHashes(t *testing.T) {
	var buf bytes.Buffer
	z := &zipOut{ctx: context.Background(), zw: zip.NewWriter(&buf)}
	for name, n := range map[string]int{"none.json": 0, "one.json": 1, "many.json": 5} {
		if err := z.list(name, func(emit func(any) error) error {
			for i := range n {
				if err := emit(map[string]int{"i": i}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"none.json": 0, "one.json": 1, "many.json": 5}
	for i, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		var items []map[string]int
		if err := json.Unmarshal(b, &items); err != nil || len(items) != want[f.Name] {
			t.Errorf("%s: %d items, %v: %s", f.Name, len(items), err, b)
		}
		sum := sha256.Sum256(b)
		if m := z.files[i]; m.Name != f.Name || m.SHA256 != hex.EncodeToString(sum[:]) || m.Bytes != int64(len(b)) {
			t.Errorf("manifest entry %+v for %s (%d bytes)", m, f.Name, len(b))
		}
	}
}

func TestSafeNameKeepsFilesInTheirFolder(t *testing.T) {
	for in, want := range map[string]string{"../../etc/passwd": "passwd", "scan 1.pdf": "scan_1.pdf", "": "file", "..": "file",
		"passport.jpg": "passport.jpg", `a\b:c?.png`: "a_b_c_.png"} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q; want %q", in, got, want)
		}
	}
}
