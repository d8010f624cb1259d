package screening

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ciamhq/ciam/db/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// dataDir is the folder of real lists the project ships beside the
// repository (../shared/data/screening): CIAM_SCREENING_DATA when set,
// otherwise found by walking up from the test's folder and from CIAM_ROOT.
// Without it the test fails: these tests are about the real lists.
func dataDir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("CIAM_SCREENING_DATA"); d != "" {
		if !isDataDir(d) {
			tb.Fatalf("CIAM_SCREENING_DATA=%s does not hold ofac-2021/sdn.csv, un/consolidated.xml and pep/", d)
		}
		return d
	}
	var looked []string
	var starts []string
	if root := os.Getenv("CIAM_ROOT"); root != "" {
		starts = append(starts, root)
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, start := range starts {
		for dir := start; ; dir = filepath.Dir(dir) {
			for _, c := range []string{
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

// dataPath is a file or folder of the real lists.
func dataPath(tb testing.TB, rel string) string {
	tb.Helper()
	return filepath.Join(dataDir(tb), rel)
}
