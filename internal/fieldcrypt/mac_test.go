package fieldcrypt

import (
	"bytes"
	"testing"
)

func TestMAC(t *testing.T) {
	k1, k2 := key(t), key(t)
	old, err := Parse("k1:" + k1)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Parse("k1:" + k1)
	other, _ := Parse("k2:" + k2)
	rotated, _ := Parse("k2:" + k2 + ",k1:" + k1)
	m := old.MAC("ssn", []byte("123-45-6789"))
	switch {
	case !bytes.Equal(m, again.MAC("ssn", []byte("123-45-6789"))):
		t.Error("the same key and value give another MAC")
	case bytes.Contains(m, []byte("6789")):
		t.Errorf("the MAC shows the value: %q", m)
	case bytes.Equal(m, old.MAC("tin", []byte("123-45-6789"))):
		t.Error("two purposes give the same MAC")
	case bytes.Equal(m, old.MAC("ssn", []byte("123-45-6780"))):
		t.Error("two values give the same MAC")
	case bytes.Equal(m, other.MAC("ssn", []byte("123-45-6789"))):
		t.Error("two keys give the same MAC")
	case KeyIDOf(m) != "k1" || len(m) != len("k1.")+32:
		t.Errorf("MAC = %q; want k1. and 32 bytes", m)
	}
	macs := rotated.MACs("ssn", []byte("123-45-6789"))
	if len(macs) != 2 || KeyIDOf(macs[0]) != "k2" || !bytes.Equal(macs[1], m) {
		t.Errorf("after rotation the MACs do not find the old one: %q", macs)
	}
}
