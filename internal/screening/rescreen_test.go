package screening

import (
	"testing"

	"github.com/ciamhq/ciam/db/dbtest"
)

// A version superseded before its re-screening ran is screened only for the
// entries the list still has as it had them: the later version's own
// re-screening covers the rest, and removed entries raise nothing.
func TestRescreenOfASupersededVersion(t *testing.T) {
	svc := NewService(dbtest.Pool(t))
	mustLoad(t, svc, FormatOFAC, ofacFixture(t, 200), LoadOptions{AllowShrink: true})
	v2 := mustLoad(t, svc, FormatOFAC, ofacFixture(t, 260), LoadOptions{})
	if len(v2.Diff.Added) != 60 || len(v2.Diff.Changed) != 0 {
		t.Fatalf("second version: %d added, %d changed", len(v2.Diff.Added), len(v2.Diff.Changed))
	}
	// The third keeps 20 of the 60 the second added.
	mustLoad(t, svc, FormatOFAC, ofacFixture(t, 220), LoadOptions{})
	res, err := svc.Rescreen(operatorCtx(t), v2.Version.ID, fakeSubjects{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entries != 20 {
		t.Errorf("re-screening the superseded version looked at %d entries; want the 20 still listed", res.Entries)
	}
}
