// Package static embeds the portal's assets: the built Tailwind CSS, the
// vendored htmx, the portal's small script and images.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
)

// FS holds the files served under /static/.
//
//go:embed css js img
var FS embed.FS

// Version is a short hash of every asset, appended to asset URLs so that
// browsers may cache them for a year and still see a new build at once.
func Version() string {
	h := sha256.New()
	_ = fs.WalkDir(FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := FS.ReadFile(path)
		if err != nil {
			return err
		}
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}
