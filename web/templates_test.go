package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A component call written inside a line of text (`Status @components.Badge(…)`)
// is not a call in templ: it renders as those characters. Every generated
// template is checked for such text.
func TestTemplatesHaveNoComponentCallsAsText(t *testing.T) {
	literal := regexp.MustCompile(`WriteString\([^)]*"[^"]*@[a-zA-Z]+\.[A-Z][a-zA-Z]*\(`)
	var checked int
	err := filepath.WalkDir(filepath.Join("..", "views"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_templ.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		for i, line := range strings.Split(string(b), "\n") {
			if literal.MatchString(line) {
				t.Errorf("%s:%d renders a component call as text: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Fatalf("checked %d generated templates; the views folder was not found", checked)
	}
}
