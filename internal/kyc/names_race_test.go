package kyc

import (
	"sync"
	"testing"
)

// Names are matched from many goroutines at once (the checks run as
// concurrent jobs): under -race this fails if matching shares state.
func TestNameMatchConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if _, both := NameMatch("MÜLLER HANS ÉLODIE", "Hans", "", "Müller"); !both {
					t.Errorf("goroutine %d: no match", i)
					return
				}
			}
		}()
	}
	wg.Wait()
}
