package credential

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
)

// Token kinds.
const (
	KindClient   = "client"   // an admin token of an API client
	KindCustomer = "customer" // a customer's access token
)

// Audience of every API token.
const Audience = "ciam-api"

// Claims are what an API token says.
type Claims struct {
	Kind      string
	Subject   string // client id (api_clients.id) or customer id
	TenantID  uuid.UUID
	Scopes    []string
	SessionID string // customer sessions: the refresh family, for revocation
	ID        string
	IssuedAt  time.Time
	Expiry    time.Time
	// CertThumbprint is the x5t#S256 of the client certificate the token
	// is bound to (its cnf claim, RFC 8705); "" for a token that is not.
	CertThumbprint string
}

// HasScope reports whether the token carries scope.
func (c Claims) HasScope(scope string) bool { return slices.Contains(c.Scopes, scope) }

type customClaims struct {
	Kind     string `json:"knd"`
	TenantID string `json:"tid"`
	Scope    string `json:"scope,omitempty"`
	Session  string `json:"sid,omitempty"`
	Cnf      *cnf   `json:"cnf,omitempty"`
}

// cnf is RFC 7800's confirmation claim with RFC 8705's certificate
// thumbprint.
type cnf struct {
	X5tS256 string `json:"x5t#S256"`
}

// KeyRing signs and verifies API tokens with ES256 keys kept sealed in the
// database; it makes a new key when the newest is due to retire, and
// every instance picks it up.
type KeyRing struct {
	pool   *pgxpool.Pool
	crypt  *fieldcrypt.Keys
	issuer string
	now    func() time.Time

	// RotateEvery is how long a key signs new tokens.
	RotateEvery time.Duration
	// MaxTokenTTL bounds every token's life; a retired key stays published
	// this long after its last token.
	MaxTokenTTL time.Duration

	mu       sync.RWMutex
	keys     []ringKey
	loadedAt time.Time

	// verified remembers tokens whose signature checked out, so that a
	// client calling with the same token again skips the ECDSA
	// verification; their lifetime and key are still checked each time.
	vmu      sync.RWMutex
	verified map[string]verifiedToken
}

type verifiedToken struct {
	kid    string
	claims Claims
}

// maxVerified bounds the verified-token memory; past it, it starts again.
const maxVerified = 20000

// tokenLeeway is the clock skew Verify allows on a token's lifetime.
const tokenLeeway = 30 * time.Second

type ringKey struct {
	kid         string
	private     *ecdsa.PrivateKey
	activeUntil time.Time
	expiresAt   time.Time
}

// NewKeyRing returns a KeyRing issuing tokens as issuer.
func NewKeyRing(pool *pgxpool.Pool, crypt *fieldcrypt.Keys, issuer string, now func() time.Time) *KeyRing {
	if now == nil {
		now = time.Now
	}
	return &KeyRing{pool: pool, crypt: crypt, issuer: issuer, now: now, RotateEvery: 30 * 24 * time.Hour, MaxTokenTTL: 24 * time.Hour}
}

const reloadEvery = time.Minute

func (k *KeyRing) aad(kid string) []byte { return SigningKeyAAD(kid) }

// SigningKeyAAD binds a sealed signing key to its key id.
func SigningKeyAAD(kid string) []byte { return []byte("signing_key:" + kid) }

func (k *KeyRing) load(ctx context.Context) error {
	var rows []db.SigningKey
	err := db.InTx(ctx, k.pool, func(q *db.Queries) error {
		var err error
		rows, err = q.SigningKeys(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("credential: load signing keys: %w", err)
	}
	keys := make([]ringKey, 0, len(rows))
	for _, r := range rows {
		der, err := k.crypt.Open(r.PrivateKey, k.aad(r.Kid))
		if err != nil {
			return fmt.Errorf("credential: signing key %s: %w (is FIELD_ENCRYPTION_KEYS missing the key %q?)", r.Kid, err, fieldcrypt.KeyIDOf(r.PrivateKey))
		}
		priv, err := x509.ParseECPrivateKey(der)
		if err != nil {
			return fmt.Errorf("credential: signing key %s: %w", r.Kid, err)
		}
		keys = append(keys, ringKey{kid: r.Kid, private: priv, activeUntil: r.ActiveUntil, expiresAt: r.ExpiresAt})
	}
	k.mu.Lock()
	k.keys, k.loadedAt = keys, k.now()
	k.mu.Unlock()
	return nil
}

// current is the key to sign with, made when there is none.
func (k *KeyRing) current(ctx context.Context) (ringKey, error) {
	now := k.now()
	k.mu.RLock()
	keys, fresh := k.keys, now.Sub(k.loadedAt) < reloadEvery
	k.mu.RUnlock()
	if !fresh {
		if err := k.load(ctx); err != nil {
			return ringKey{}, err
		}
		k.mu.RLock()
		keys = k.keys
		k.mu.RUnlock()
	}
	for _, key := range keys { // newest first
		if now.Before(key.activeUntil) {
			return key, nil
		}
	}
	if err := k.Rotate(ctx); err != nil {
		return ringKey{}, err
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if len(k.keys) == 0 {
		return ringKey{}, errors.New("credential: no signing key after rotation")
	}
	return k.keys[0], nil
}

// Rotate makes a new signing key; tokens signed with older keys stay valid
// until they expire.
func (k *KeyRing) Rotate(ctx context.Context) error {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		return err
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	kid := k.now().UTC().Format("20060102") + "-" + hex.EncodeToString(b[:])
	pub, err := json.Marshal(jose.JSONWebKey{Key: &priv.PublicKey, KeyID: kid, Algorithm: string(jose.ES256), Use: "sig"})
	if err != nil {
		return err
	}
	activeUntil := k.now().Add(k.RotateEvery)
	err = db.InTx(ctx, k.pool, func(q *db.Queries) error {
		return q.InsertSigningKey(ctx, db.InsertSigningKeyParams{
			Kid: kid, Alg: string(jose.ES256), PrivateKey: k.crypt.Seal(der, k.aad(kid)), PublicJwk: pub,
			ActiveUntil: activeUntil, ExpiresAt: activeUntil.Add(k.MaxTokenTTL),
		})
	})
	if err != nil {
		return fmt.Errorf("credential: rotate signing key: %w", err)
	}
	return k.load(ctx)
}

// Issue signs c; ID, IssuedAt and Expiry are filled in from ttl.
func (k *KeyRing) Issue(ctx context.Context, c Claims, ttl time.Duration) (string, Claims, error) {
	key, err := k.current(ctx)
	if err != nil {
		return "", c, err
	}
	if ttl > k.MaxTokenTTL {
		ttl = k.MaxTokenTTL
	}
	c.IssuedAt = k.now().Truncate(time.Second)
	c.Expiry = c.IssuedAt.Add(ttl)
	if c.ID == "" {
		c.ID = uuid.NewString()
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key.private},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", key.kid))
	if err != nil {
		return "", c, err
	}
	raw, err := jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: k.issuer, Subject: c.Subject, Audience: jwt.Audience{Audience}, ID: c.ID,
		IssuedAt: jwt.NewNumericDate(c.IssuedAt), NotBefore: jwt.NewNumericDate(c.IssuedAt), Expiry: jwt.NewNumericDate(c.Expiry),
	}).Claims(customClaims{Kind: c.Kind, TenantID: c.TenantID.String(), Scope: strings.Join(c.Scopes, " "), Session: c.SessionID,
		Cnf: confirmation(c.CertThumbprint)}).Serialize()
	if err != nil {
		return "", c, fmt.Errorf("credential: sign token: %w", err)
	}
	return raw, c, nil
}

func confirmation(thumbprint string) *cnf {
	if thumbprint == "" {
		return nil
	}
	return &cnf{X5tS256: thumbprint}
}

func errToken(msg string) error {
	return apperr.New(apperr.Unauthenticated, "%s", msg).WithAPI("INVALID_TOKEN")
}

// Verify checks a token's signature, issuer, audience and lifetime.
func (k *KeyRing) Verify(ctx context.Context, raw string) (Claims, error) {
	k.vmu.RLock()
	v, seen := k.verified[raw]
	k.vmu.RUnlock()
	if seen {
		now := k.now()
		if _, ok := k.find(v.kid); ok && now.Before(v.claims.Expiry.Add(tokenLeeway)) && !now.Before(v.claims.IssuedAt.Add(-tokenLeeway)) {
			return v.claims, nil
		}
		k.vmu.Lock()
		delete(k.verified, raw)
		k.vmu.Unlock()
	}
	c, kid, err := k.verify(ctx, raw)
	if err != nil {
		return c, err
	}
	k.vmu.Lock()
	if k.verified == nil || len(k.verified) >= maxVerified {
		k.verified = make(map[string]verifiedToken)
	}
	k.verified[raw] = verifiedToken{kid: kid, claims: c}
	k.vmu.Unlock()
	return c, nil
}

func (k *KeyRing) verify(ctx context.Context, raw string) (Claims, string, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil || len(tok.Headers) != 1 {
		return Claims{}, "", errToken("the bearer token is not a valid JWT")
	}
	kid := tok.Headers[0].KeyID
	key, ok := k.find(kid)
	if !ok {
		// Perhaps another instance rotated: reload once, then give up.
		if err := k.load(ctx); err != nil {
			return Claims{}, "", err
		}
		if key, ok = k.find(kid); !ok {
			return Claims{}, "", errToken("the bearer token was signed with an unknown key")
		}
	}
	var std jwt.Claims
	var custom customClaims
	if err := tok.Claims(&key.private.PublicKey, &std, &custom); err != nil {
		return Claims{}, "", errToken("the bearer token's signature is not valid")
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: k.issuer, AnyAudience: jwt.Audience{Audience}, Time: k.now()}, tokenLeeway); err != nil {
		if errors.Is(err, jwt.ErrExpired) {
			return Claims{}, "", errToken("the bearer token has expired")
		}
		return Claims{}, "", errToken("the bearer token is not valid for this API")
	}
	tenant, err := uuid.Parse(custom.TenantID)
	if err != nil || (custom.Kind != KindClient && custom.Kind != KindCustomer) {
		return Claims{}, "", errToken("the bearer token is not valid for this API")
	}
	c := Claims{Kind: custom.Kind, Subject: std.Subject, TenantID: tenant, Scopes: strings.Fields(custom.Scope),
		SessionID: custom.Session, ID: std.ID}
	if custom.Cnf != nil {
		if custom.Cnf.X5tS256 == "" {
			// A confirmation this server cannot check: refuse it rather
			// than treat the token as unbound.
			return Claims{}, "", errToken("the bearer token is not valid for this API")
		}
		c.CertThumbprint = custom.Cnf.X5tS256
	}
	if std.IssuedAt != nil {
		c.IssuedAt = std.IssuedAt.Time()
	}
	if std.Expiry != nil {
		c.Expiry = std.Expiry.Time()
	}
	return c, kid, nil
}

func (k *KeyRing) find(kid string) (ringKey, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	for _, key := range k.keys {
		if key.kid == kid {
			return key, true
		}
	}
	return ringKey{}, false
}

// JWKS is the public half of every key a valid token may be signed with.
func (k *KeyRing) JWKS(ctx context.Context) (jose.JSONWebKeySet, error) {
	if _, err := k.current(ctx); err != nil {
		return jose.JSONWebKeySet{}, err
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	set := jose.JSONWebKeySet{}
	now := k.now()
	for _, key := range k.keys {
		if now.Before(key.expiresAt) {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: &key.private.PublicKey, KeyID: key.kid, Algorithm: string(jose.ES256), Use: "sig"})
		}
	}
	return set, nil
}
