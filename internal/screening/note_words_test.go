package screening

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
)

// An empty dismissal note says what to write, not just that one is missing.
func TestDecideHitNoteSaysWhatToWrite(t *testing.T) {
	_, err := (&Service{}).DecideHit(t.Context(), uuid.New(), uuid.New(), Decision{Status: HitDismissed, Note: "  "})
	e, ok := apperr.As(err)
	if !ok || len(e.Fields) != 1 || e.Fields[0].Field != "note" {
		t.Fatalf("err = %v; want a problem with the note", err)
	}
	if msg := e.Fields[0].Issue; !strings.Contains(msg, "why") || !strings.Contains(msg, "date of birth") {
		t.Errorf("note message %q does not say what to write", msg)
	}
}
