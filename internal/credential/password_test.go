package credential

import (
	"testing"
	"time"
)

// No more hashes run at once than there are processors: one more waits
// for a slot, and runs when one frees.
func TestHashingWaitsForAFreeProcessor(t *testing.T) {
	phc := Hash("correct horse", DefaultArgon2)
	for range cap(hashing) {
		hashing <- struct{}{} // every slot taken
	}
	done := make(chan bool)
	go func() {
		ok, _ := Verify("correct horse", phc)
		done <- ok
	}()
	select {
	case <-done:
		t.Fatal("a hash ran while every slot was taken")
	case <-time.After(300 * time.Millisecond):
	}
	<-hashing // one slot frees
	if ok := <-done; !ok {
		t.Fatal("the right password did not verify")
	}
	for range cap(hashing) - 1 {
		<-hashing
	}
	if ok, err := Verify("wrong horse", phc); ok || err != nil {
		t.Fatalf("wrong password: %v %v", ok, err)
	}
}
