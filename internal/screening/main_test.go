package screening

import (
	"os"
	"testing"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/screening/screeningtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// dataPath is a file or folder of the real lists.
func dataPath(tb testing.TB, rel string) string {
	tb.Helper()
	return screeningtest.Path(tb, rel)
}
