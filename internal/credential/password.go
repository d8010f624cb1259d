// Package credential owns secrets and tokens: argon2id password and PIN
// hashing, the tenant's password policy, one-time codes, the API's
// signing keys and JWTs, and the API clients that obtain admin tokens.
package credential

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are argon2id's cost parameters.
type Argon2Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultArgon2 is OWASP's recommended minimum for argon2id (19 MiB, two
// passes, one lane).
var DefaultArgon2 = Argon2Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// hashing lets as many argon2id computations run at once as there are
// processors. More would not finish sooner, each holds its parameters'
// memory (19 MiB by default), and several at once on one core push each
// other out of the processor's cache: a burst of sign-ins waits here
// rather than slowing every hash down and multiplying the memory.
var hashing = make(chan struct{}, runtime.GOMAXPROCS(0))

// idKey is argon2.IDKey under the hashing limit.
func idKey(secret, salt []byte, p Argon2Params, n uint32) []byte {
	hashing <- struct{}{}
	defer func() { <-hashing }()
	return argon2.IDKey(secret, salt, p.Time, p.MemoryKiB, p.Threads, n)
}

// Hash returns the PHC string of secret under p, with a fresh salt.
func Hash(secret string, p Argon2Params) string {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		panic(err)
	}
	key := idKey([]byte(secret), salt, p, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key))
}

var errBadHash = errors.New("credential: not an argon2id hash")

// Verify reports whether secret matches a PHC string made by Hash, with
// the parameters stored in it.
func Verify(secret, phc string) (bool, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, errBadHash
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return false, errBadHash
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false, errBadHash
	}
	got := idKey([]byte(secret), salt, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is verified against when there is no account, so that "no
// such user" takes as long as "wrong password".
var dummyHash = Hash("no account has this password", DefaultArgon2)

// VerifyOrDummy is Verify, or the same work against a dummy hash when phc
// is empty; it is false then.
func VerifyOrDummy(secret, phc string) bool {
	if phc == "" {
		_, _ = Verify(secret, dummyHash)
		return false
	}
	ok, err := Verify(secret, phc)
	return ok && err == nil
}
