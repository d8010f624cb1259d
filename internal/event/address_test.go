package event

import (
	"net/netip"
	"testing"
)

// The delivery dialer's check, on the address it is about to connect to.
func TestCheckDialRefusesEveryInternalRange(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		blocked bool
	}{
		{"127.0.0.1:443", true},
		{"10.0.0.1:443", true},
		{"172.16.5.4:443", true},
		{"192.168.1.1:443", true},
		{"169.254.169.254:80", true},
		{"100.64.0.1:443", true},
		{"100.127.255.255:443", true},
		{"0.0.0.0:443", true},
		{"[::1]:443", true},
		{"[::ffff:127.0.0.1]:443", true},
		{"[::ffff:100.64.0.1]:443", true},
		{"[64:ff9b::a9fe:a9fe]:443", true}, // NAT64 of 169.254.169.254
		{"[64:ff9b::5db8:d70e]:443", true}, // NAT64 of a public address: still a translator's
		{"[fe80::1]:443", true},
		{"[fd00::1]:443", true},
		{"[ff02::1]:443", true},
		{"100.63.255.255:443", false},
		{"100.128.0.0:443", false},
		{"93.184.215.14:443", false},
		{"[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:443", false},
	} {
		err := checkDial(tc.addr)
		if got := err != nil; got != tc.blocked {
			t.Errorf("%s: blocked %v; want %v (%v)", tc.addr, got, tc.blocked, err)
		}
	}
	if !Blocked(netip.Addr{}) {
		t.Error("the zero address is not blocked")
	}
}
