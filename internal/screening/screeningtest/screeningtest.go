// Package screeningtest finds the real sanctions and PEP lists the project
// ships beside the repository, for tests of any package.
package screeningtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// DataDir is the folder of real lists: CIAM_SCREENING_DATA when set,
// otherwise internal/screening/lists in the repository (a copy of the
// product's shared lists, so that a clone is enough), found by walking up
// from CIAM_ROOT and from the test's folder; failing that shared/data/screening
// in or beside an ancestor. Without it the test
// fails: the tests that call it are about the real lists.
func DataDir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("CIAM_SCREENING_DATA"); d != "" {
		if !isDataDir(d) {
			tb.Fatalf("CIAM_SCREENING_DATA=%s does not hold ofac-2019/, ofac-2021/, un/consolidated.xml and pep/", d)
		}
		return d
	}
	var starts, looked []string
	if root := os.Getenv("CIAM_ROOT"); root != "" {
		starts = append(starts, root)
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, start := range starts {
		for dir := start; ; dir = filepath.Dir(dir) {
			for _, c := range []string{
				filepath.Join(dir, "internal", "screening", "lists"),
				filepath.Join(dir, "shared", "data", "screening"),
				filepath.Join(dir, "..", "shared", "data", "screening"),
			} {
				if isDataDir(c) {
					return filepath.Clean(c)
				}
				looked = append(looked, filepath.Clean(c))
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	tb.Fatalf("the screening lists were not found; set CIAM_SCREENING_DATA to the folder holding ofac-2019/, ofac-2021/, un/ and pep/ (looked in %s)", strings.Join(looked, ", "))
	return ""
}

func isDataDir(d string) bool {
	for _, f := range []string{"ofac-2021/sdn.csv", "ofac-2019/sdn.csv", "un/consolidated.xml", "pep/us_congress_senzing.jsonl"} {
		if _, err := os.Stat(filepath.Join(d, f)); err != nil {
			return false
		}
	}
	return true
}

// Path is a file or folder of the real lists, e.g. "ofac-2021".
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	return filepath.Join(DataDir(tb), rel)
}
