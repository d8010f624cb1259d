// Package shred is crypto-shredding of customers' personal data: each
// customer has a data key of their own (random, 32 bytes, kept sealed
// under the field keys), and the personal values of records that cannot
// be rewritten — audit before and after states, event payloads — are
// sealed under it. Erasing a customer destroys the key: the records stay
// as they are, the audit hash chain over them still verifies, and their
// personal values can no longer be read by anyone. Readers show Erased
// in their place.
//
// Which values are personal is package paths' list. A sealed value is a
// JSON string "ciam:sealed:v1:<customer id>:<base64>", so a reader needs
// nothing but the record to open it.
package shred

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/pii/paths"
)

// Erased is what readers show in place of a value whose customer was
// erased.
const Erased = "erased"

// Marker starts every sealed value.
const Marker = "ciam:sealed:v1:"

// ErrErased is returned for a customer whose data key is destroyed.
var ErrErased = errors.New("shred: the customer's data were erased")

// errNoKey: nothing was ever sealed for the customer.
var errNoKey = errors.New("shred: the customer has no data key")

// The cache of opened data keys: small and short, so that a key destroyed
// by another server stops opening anything here within cacheTTL, and so
// that a request touching a customer opens the key once.
const (
	cacheSize = 4096
	cacheTTL  = time.Minute
)

// Keys opens and makes customers' data keys.
type Keys struct {
	field *fieldcrypt.Keys
	mu    sync.Mutex
	cache map[uuid.UUID]cachedKey
}

type cachedKey struct {
	aead cipher.AEAD
	at   time.Time
}

// New returns Keys whose data keys are sealed under field.
func New(field *fieldcrypt.Keys) *Keys {
	return &Keys{field: field, cache: map[uuid.UUID]cachedKey{}}
}

var installed atomic.Pointer[Keys]

// Install makes the data keys sealed under field the ones the audit trail
// and the events use (they are written by functions every package calls,
// with no service to carry the keys), and returns them. The server and
// every command that writes records install them at start; installing
// the same field keys again keeps the keys (and their cache) in place.
func Install(field *fieldcrypt.Keys) *Keys {
	for {
		cur := installed.Load()
		if cur != nil && cur.field == field {
			return cur
		}
		k := New(field)
		if installed.CompareAndSwap(cur, k) {
			return k
		}
	}
}

// Installed is the installed Keys; nil before Install.
func Installed() *Keys { return installed.Load() }

// KeyAAD binds a sealed data key to its customer.
func KeyAAD(customer uuid.UUID) []byte { return []byte("customer-data-key:" + customer.String()) }

func valueAAD(customer uuid.UUID) []byte { return []byte("customer:" + customer.String()) }

// Forget drops customer's key from the cache (it was destroyed).
func (k *Keys) Forget(customer uuid.UUID) {
	k.mu.Lock()
	delete(k.cache, customer)
	k.mu.Unlock()
}

// key is customer's data key, made when create and there is none.
func (k *Keys) key(ctx context.Context, q *db.Queries, tenant, customer uuid.UUID, create bool) (cipher.AEAD, error) {
	k.mu.Lock()
	c, ok := k.cache[customer]
	k.mu.Unlock()
	if ok && time.Since(c.at) < cacheTTL {
		return c.aead, nil
	}
	row, err := q.CustomerKey(ctx, db.CustomerKeyParams{TenantID: tenant, CustomerID: customer})
	if db.IsNotFound(err) {
		if !create {
			return nil, errNoKey
		}
		dek := make([]byte, 32)
		if _, err := rand.Read(dek); err != nil {
			return nil, err
		}
		if err := q.CreateCustomerKey(ctx, db.CreateCustomerKeyParams{CustomerID: customer, TenantID: tenant,
			SealedKey: k.field.Seal(dek, KeyAAD(customer))}); err != nil {
			return nil, fmt.Errorf("shred: make key: %w", err)
		}
		// Read back: a concurrent transaction may have made the key first.
		row, err = q.CustomerKey(ctx, db.CustomerKeyParams{TenantID: tenant, CustomerID: customer})
	}
	if err != nil {
		return nil, fmt.Errorf("shred: key: %w", err)
	}
	if row.SealedKey == nil {
		return nil, ErrErased
	}
	dek, err := k.field.Open(row.SealedKey, KeyAAD(customer))
	if err != nil {
		return nil, fmt.Errorf("shred: open key: %w", err)
	}
	block, err := aes.NewCipher(dek)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	// A key made or destroyed by this transaction may yet be rolled back:
	// it is not cached.
	if !row.Mine {
		k.mu.Lock()
		if len(k.cache) >= cacheSize {
			clear(k.cache)
		}
		k.cache[customer] = cachedKey{aead: aead, at: time.Now()}
		k.mu.Unlock()
	}
	return aead, nil
}

// Destroy destroys customer's data key inside q's transaction: whatever
// was sealed under it cannot be opened again.
func (k *Keys) Destroy(ctx context.Context, q *db.Queries, tenant, customer uuid.UUID, now time.Time) error {
	if err := q.DestroyCustomerKey(ctx, db.DestroyCustomerKeyParams{CustomerID: customer, TenantID: tenant, Now: &now}); err != nil {
		return fmt.Errorf("shred: destroy key: %w", err)
	}
	k.Forget(customer)
	return nil
}

// SealJSON is raw with each personal value sealed under customer's data
// key (made on first use). Values of a customer already erased are
// written as Erased. raw comes back unchanged when it holds no personal
// value, or when k is nil (keys not installed).
func (k *Keys) SealJSON(ctx context.Context, q *db.Queries, tenant, customer uuid.UUID, raw json.RawMessage) (json.RawMessage, error) {
	if k == nil || customer == uuid.Nil || len(raw) == 0 {
		return raw, nil
	}
	doc, err := decode(raw)
	if err != nil {
		return nil, fmt.Errorf("shred: seal: %w", err)
	}
	var (
		aead    cipher.AEAD
		erased  bool
		changed bool
		failed  error
	)
	seal := func(v any) any {
		if failed != nil {
			return v
		}
		if aead == nil && !erased {
			aead, failed = k.key(ctx, q, tenant, customer, true)
			if errors.Is(failed, ErrErased) {
				erased, failed = true, nil
			}
			if failed != nil {
				return v
			}
		}
		changed = true
		if erased {
			return Erased
		}
		plain, err := json.Marshal(v)
		if err != nil {
			failed = err
			return v
		}
		return sealWith(aead, customer, plain)
	}
	doc = walk(doc, "", seal)
	if failed != nil {
		return nil, fmt.Errorf("shred: seal: %w", failed)
	}
	if !changed {
		return raw, nil
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("shred: seal: %w", err)
	}
	return out, nil
}

func sealWith(aead cipher.AEAD, customer uuid.UUID, plain []byte) string {
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // the system's random source failing is not recoverable
	}
	ct := aead.Seal(nonce, nonce, plain, valueAAD(customer))
	return Marker + customer.String() + ":" + base64.RawStdEncoding.EncodeToString(ct)
}

// walk replaces each personal leaf of v (a decoded JSON document) by
// seal's answer. Empty values and nulls are left: there is nothing in them.
func walk(v any, path string, seal func(any) any) any {
	switch t := v.(type) {
	case map[string]any:
		for key, child := range t {
			p := key
			if path != "" {
				p = path + "." + key
			}
			t[key] = walk(child, p, seal)
		}
		return t
	case []any:
		for i, child := range t {
			t[i] = walk(child, path, seal)
		}
		return t
	case nil:
		return nil
	case string:
		if t == "" || strings.HasPrefix(t, Marker) || !paths.Personal(path) {
			return t
		}
		return seal(t)
	default:
		if path == "" || !paths.Personal(path) {
			return t
		}
		return seal(t)
	}
}

func decode(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// Opener opens sealed values for one reader (a request, a page of
// records): each customer's key is looked up once.
type Opener struct {
	k      *Keys
	q      *db.Queries
	tenant uuid.UUID
	keys   map[uuid.UUID]cipher.AEAD // nil: erased or unreadable
}

// Opener returns an Opener reading tenant's records through q.
func (k *Keys) Opener(q *db.Queries, tenant uuid.UUID) *Opener {
	return &Opener{k: k, q: q, tenant: tenant, keys: map[uuid.UUID]cipher.AEAD{}}
}

// Sealed reports whether raw holds a sealed value.
func Sealed(raw []byte) bool { return bytes.Contains(raw, []byte(Marker)) }

// JSON is raw with each sealed value opened, or Erased where the
// customer's key is destroyed (or the value cannot be opened). Only a
// failing database is an error.
func (o *Opener) JSON(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || !Sealed(raw) {
		return raw, nil
	}
	doc, err := decode(raw)
	if err != nil {
		return raw, nil // not JSON: nothing of ours in it
	}
	var failed error
	doc = o.open(ctx, doc, &failed)
	if failed != nil {
		return nil, fmt.Errorf("shred: open: %w", failed)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("shred: open: %w", err)
	}
	return out, nil
}

func (o *Opener) open(ctx context.Context, v any, failed *error) any {
	switch t := v.(type) {
	case map[string]any:
		for key, child := range t {
			t[key] = o.open(ctx, child, failed)
		}
	case []any:
		for i, child := range t {
			t[i] = o.open(ctx, child, failed)
		}
	case string:
		if strings.HasPrefix(t, Marker) {
			return o.value(ctx, t, failed)
		}
	}
	return v
}

// value opens one sealed value.
func (o *Opener) value(ctx context.Context, s string, failed *error) any {
	rest := strings.TrimPrefix(s, Marker)
	idText, b64, ok := strings.Cut(rest, ":")
	customer, err := uuid.Parse(idText)
	if !ok || err != nil {
		return Erased
	}
	aead, seen := o.keys[customer]
	if !seen {
		if o.k != nil {
			aead, err = o.k.key(ctx, o.q, o.tenant, customer, false)
		} else {
			err = errNoKey
		}
		switch {
		case err == nil:
		case errors.Is(err, ErrErased), errors.Is(err, errNoKey), errors.Is(err, fieldcrypt.ErrOpen):
			aead = nil
		default:
			if *failed == nil {
				*failed = err
			}
			return s
		}
		o.keys[customer] = aead
	}
	if aead == nil {
		return Erased
	}
	ct, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(ct) < aead.NonceSize()+aead.Overhead() {
		return Erased
	}
	plain, err := aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], valueAAD(customer))
	if err != nil {
		return Erased
	}
	v, err := decode(plain)
	if err != nil {
		return Erased
	}
	return v
}

// EraseJSON is raw with each personal value that is not sealed replaced
// by Erased: for records written before their customer had a key, which
// are rewritten at erasure where they may be (events, not audit).
func EraseJSON(raw json.RawMessage) (json.RawMessage, bool) {
	doc, err := decode(raw)
	if err != nil {
		return raw, false
	}
	changed := false
	doc = walk(doc, "", func(any) any { changed = true; return Erased })
	if !changed {
		return raw, false
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return raw, false
	}
	return out, true
}
