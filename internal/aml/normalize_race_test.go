package aml

import (
	"sync"
	"testing"
)

// Screenings normalise names from many goroutines at once: under -race
// this fails if normalising shares state.
func TestNormalizeNameConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if got := NormalizeName("Müller, Hans"); got != "hans muller" {
					t.Errorf("goroutine %d: %q", i, got)
					return
				}
			}
		}()
	}
	wg.Wait()
}
