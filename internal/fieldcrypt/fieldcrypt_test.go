package fieldcrypt

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"
)

func key(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func TestSealOpenAndRotate(t *testing.T) {
	k1, k2 := key(t), key(t)
	old, err := Parse("k1:" + k1)
	if err != nil {
		t.Fatal(err)
	}
	sealed := old.Seal([]byte("AB123456"), []byte("customer:1:nid"))
	if bytes.Contains(sealed, []byte("AB123456")) || KeyIDOf(sealed) != "k1" {
		t.Fatalf("sealed = %q", sealed)
	}
	rotated, err := Parse("k2:" + k2 + ",k1:" + k1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rotated.Open(sealed, []byte("customer:1:nid"))
	if err != nil || string(got) != "AB123456" {
		t.Fatalf("open after rotation = %q, %v", got, err)
	}
	if KeyIDOf(rotated.Seal([]byte("x"), nil)) != "k2" {
		t.Error("new data not sealed with the first key")
	}
	if _, err := rotated.Open(sealed, []byte("customer:2:nid")); !errors.Is(err, ErrOpen) {
		t.Errorf("open with another aad: %v; want ErrOpen", err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	if _, err := rotated.Open(tampered, []byte("customer:1:nid")); !errors.Is(err, ErrOpen) {
		t.Errorf("open tampered: %v; want ErrOpen", err)
	}
	if _, err := Parse("k2:" + k2); err != nil {
		t.Fatal(err)
	} else if k, _ := Parse("k2:" + k2); func() bool { _, err := k.Open(sealed, []byte("customer:1:nid")); return err == nil }() {
		t.Error("opened without the sealing key")
	}
}

func TestParseRefusesBadKeys(t *testing.T) {
	for _, spec := range []string{"", "nokey", "k:short", "k:" + base64.StdEncoding.EncodeToString(make([]byte, 16)), "a.b:" + key(t)} {
		if _, err := Parse(spec); err == nil {
			t.Errorf("Parse(%q) accepted", spec)
		}
	}
	k := key(t)
	if _, err := Parse("a:" + k + ",a:" + k); err == nil {
		t.Error("duplicate key id accepted")
	}
}

func TestMask(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{Mask("GB82WEST12345698765432", 4), "•••• 5432"},
		{Mask("123", 4), "•••"},
		{MaskEmail("ana@example.com"), "a•••@example.com"},
	} {
		if tc.in != tc.want {
			t.Errorf("got %q; want %q", tc.in, tc.want)
		}
	}
}
