// Package fieldcrypt is envelope encryption for sensitive fields and
// documents: AES-256-GCM under keys from configuration, each ciphertext
// naming the key that sealed it so keys can rotate; and masking of
// sensitive values for display and logs.
package fieldcrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Keys seals with the first key and opens with any.
type Keys struct {
	active string
	keys   map[string]cipher.AEAD
	order  []string
	// macKeys are derived from each key (HKDF-SHA-256) for MAC, never the
	// keys themselves: a MAC key cannot open anything.
	macKeys map[string][]byte
}

// Parse reads "id:base64key,id2:base64key2"; the first key seals new data.
// Each key is 32 bytes (AES-256).
func Parse(spec string) (*Keys, error) {
	k := &Keys{keys: map[string]cipher.AEAD{}, macKeys: map[string][]byte{}}
	for i, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, b64, ok := strings.Cut(part, ":")
		if !ok || id == "" || strings.ContainsAny(id, ".:") {
			return nil, fmt.Errorf("key %d: want id:base64key", i+1)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("key %s: want base64 of exactly 32 bytes", id)
		}
		if err := k.add(id, raw); err != nil {
			return nil, err
		}
	}
	if len(k.order) == 0 {
		return nil, errors.New("no key")
	}
	return k, nil
}

// New returns Keys holding one key, for tests and development.
func New(id string, key []byte) (*Keys, error) {
	k := &Keys{keys: map[string]cipher.AEAD{}, macKeys: map[string][]byte{}}
	return k, k.add(id, key)
}

func (k *Keys) add(id string, raw []byte) error {
	if _, dup := k.keys[id]; dup {
		return fmt.Errorf("key %s given twice", id)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	mk, err := hkdf.Key(sha256.New, raw, nil, "ciam fieldcrypt mac", 32)
	if err != nil {
		return err
	}
	if k.active == "" {
		k.active = id
	}
	k.keys[id] = aead
	k.macKeys[id] = mk
	k.order = append(k.order, id)
	return nil
}

// ActiveID is the id of the key that seals new data.
func (k *Keys) ActiveID() string { return k.active }

// Seal encrypts plaintext under the active key. aad binds the ciphertext
// to its place (e.g. "customer:<id>:national_id"), so it cannot be moved to
// another row. The result is "keyid.nonce||ciphertext" with the key id in
// clear text.
func (k *Keys) Seal(plaintext, aad []byte) []byte {
	aead := k.keys[k.active]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // the system's random source failing is not recoverable
	}
	out := append([]byte(k.active+"."), aead.Seal(nonce, nonce, plaintext, aad)...)
	return out
}

// ErrOpen is returned for ciphertext that does not open: unknown key,
// tampering, or the wrong aad.
var ErrOpen = errors.New("fieldcrypt: cannot open ciphertext")

// Open decrypts what Seal made, with whichever key sealed it.
func (k *Keys) Open(sealed, aad []byte) ([]byte, error) {
	id, rest, ok := strings.Cut(string(sealed), ".")
	if !ok {
		return nil, ErrOpen
	}
	aead, found := k.keys[id]
	if !found || len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrOpen
	}
	raw := []byte(rest)
	out, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}

// MAC is a keyed hash of data under the active key, for finding a sealed
// value again without opening every one (a blind index): HMAC-SHA-256 with
// a key derived from the field key, so someone holding only the database
// cannot test guesses of a short value (an SSN has a billion) as they could
// against a plain hash. purpose separates uses ("virtual-document:SSN"): the
// same value gives unrelated MACs under two purposes. The result is
// "keyid." followed by the 32 bytes, like a sealed value.
func (k *Keys) MAC(purpose string, data []byte) []byte {
	return k.mac(k.active, purpose, data)
}

// MACs is data's MAC under every key, the active one first: a lookup
// with all of them finds values indexed before a key rotation.
func (k *Keys) MACs(purpose string, data []byte) [][]byte {
	out := make([][]byte, 0, len(k.order))
	for _, id := range k.order {
		out = append(out, k.mac(id, purpose, data))
	}
	return out
}

func (k *Keys) mac(id, purpose string, data []byte) []byte {
	m := hmac.New(sha256.New, k.macKeys[id])
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(data)
	return m.Sum([]byte(id + "."))
}

// KeyIDOf is the id of the key that sealed a ciphertext.
func KeyIDOf(sealed []byte) string {
	id, _, _ := strings.Cut(string(sealed), ".")
	return id
}

// Mask shows only the last n characters of s: "•••• 1234".
func Mask(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return strings.Repeat("•", len(r))
	}
	return "•••• " + string(r[len(r)-n:])
}

// MaskEmail keeps the first letter and the domain: "a•••@example.com".
func MaskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return Mask(email, 2)
	}
	r := []rune(local)
	return string(r[0]) + "•••@" + domain
}
