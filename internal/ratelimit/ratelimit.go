// Package ratelimit counts failed attempts (wrong client secrets, failed
// sign-ins, wrong codes, refused registrations) per key in fixed windows
// held in PostgreSQL, so that every server enforces one limit, and refuses
// a key over its limit with RATE_LIMITED and the time to wait. The limits
// are the tenant's, kept with its preferences.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
)

// Limit allows Max failures per window of WindowSeconds.
type Limit struct {
	Max           int `json:"max"`
	WindowSeconds int `json:"windowSeconds"`
}

// Window is the limit's window.
func (l Limit) Window() time.Duration { return time.Duration(l.WindowSeconds) * time.Second }

// Limits are a tenant's rate limits. Each counts failures only, so that
// callers who get it right are never slowed down.
type Limits struct {
	// TokenClient: wrong secrets per client id at /oauth/token.
	TokenClient Limit `json:"tokenClient"`
	// TokenIP: wrong secrets per address at /oauth/token.
	TokenIP Limit `json:"tokenIp"`
	// SignInAccount: failed customer sign-ins per e-mail address,
	// registered or not (so that the answer tells nothing).
	SignInAccount Limit `json:"signInAccount"`
	// SignInIP: failed customer sign-ins per address.
	SignInIP Limit `json:"signInIp"`
	// OTPAccount: wrong sign-in codes per customer, across all of their
	// challenges (each challenge has its own few attempts, but a caller
	// with the password can ask for more challenges).
	OTPAccount Limit `json:"otpAccount"`
	// OTPIP: wrong or unknown sign-in codes per address.
	OTPIP Limit `json:"otpIp"`
	// RegistrationAccount: refused registrations per e-mail address.
	RegistrationAccount Limit `json:"registrationAccount"`
	// RegistrationIP: refused registrations per address.
	RegistrationIP Limit `json:"registrationIp"`
}

// Defaults are the limits of a tenant that set none; they suit production
// (a client's backend that forgot its secret is stopped after 20 tries in
// five minutes) and leave room for a busy office behind one address.
func Defaults() Limits {
	return Limits{
		TokenClient:         Limit{Max: 20, WindowSeconds: 300},
		TokenIP:             Limit{Max: 100, WindowSeconds: 300},
		SignInAccount:       Limit{Max: 30, WindowSeconds: 900},
		SignInIP:            Limit{Max: 100, WindowSeconds: 900},
		OTPAccount:          Limit{Max: 20, WindowSeconds: 900},
		OTPIP:               Limit{Max: 50, WindowSeconds: 900},
		RegistrationAccount: Limit{Max: 10, WindowSeconds: 900},
		RegistrationIP:      Limit{Max: 500, WindowSeconds: 900},
	}
}

// Field is one limit as forms and validation name it.
type Field struct {
	Name  string // form field prefix, e.g. "rateTokenClient"
	Label string
	Limit *Limit
}

// Fields lists the limits of l in the order the preferences page shows
// them, each pointing into l.
func (l *Limits) Fields() []Field {
	return []Field{
		{"rateTokenClient", "Wrong client secrets per API client (token endpoint)", &l.TokenClient},
		{"rateTokenIp", "Wrong client secrets per address (token endpoint)", &l.TokenIP},
		{"rateSignInAccount", "Failed customer sign-ins per e-mail address", &l.SignInAccount},
		{"rateSignInIp", "Failed customer sign-ins per address", &l.SignInIP},
		{"rateOtpAccount", "Wrong sign-in codes per customer", &l.OTPAccount},
		{"rateOtpIp", "Wrong sign-in codes per address", &l.OTPIP},
		{"rateRegistrationAccount", "Refused registrations per e-mail address", &l.RegistrationAccount},
		{"rateRegistrationIp", "Refused registrations per address", &l.RegistrationIP},
	}
}

// Validate names every limit out of bounds: 1 to 100,000 failures per
// window of 10 seconds to a day.
func (l Limits) Validate() error {
	var fe apperr.Fields
	for _, f := range l.Fields() {
		if f.Limit.Max < 1 || f.Limit.Max > 100_000 {
			fe.Add(f.Name+"Max", "must be between 1 and 100000")
		}
		if f.Limit.WindowSeconds < 10 || f.Limit.WindowSeconds > 86_400 {
			fe.Add(f.Name+"Window", "must be between 10s and 24h0m0s")
		}
	}
	return fe.Err()
}

// LimitsFrom reads stored limits; a limit or figure left out keeps its
// default (decoding into the defaults replaces only what is present).
func LimitsFrom(raw []byte) Limits {
	l := Defaults()
	if len(raw) == 0 || json.Unmarshal(raw, &l) != nil {
		return Defaults()
	}
	if l.Validate() != nil { // written past validation: the defaults hold
		return Defaults()
	}
	return l
}

// Key is one counter: whose failures, under which limit.
type Key struct {
	// Tenant owns the counter; uuid.Nil where no tenant is known.
	Tenant uuid.UUID
	// Name is what is counted; it is stored hashed.
	Name  string
	Limit Limit
}

// NewKey counts failures of kind (e.g. "signin-ip") for value (an
// address, an e-mail, a client id) in tenant under limit. The value is
// normalised and hashed, so the table holds no address or e-mail.
func NewKey(tenant uuid.UUID, kind, value string, limit Limit) Key {
	sum := sha256.Sum256([]byte(tenant.String() + "\x00" + kind + "\x00" + strings.ToLower(strings.TrimSpace(value))))
	return Key{Tenant: tenant, Name: kind + ":" + hex.EncodeToString(sum[:16]), Limit: limit}
}

// Limiter checks and counts keys.
type Limiter struct {
	pool *pgxpool.Pool
	now  func() time.Time
	// LimitsTTL is how long a tenant's limits are remembered: a change
	// made on the preferences page takes effect on every server within it.
	LimitsTTL time.Duration
	limits    sync.Map // uuid.UUID → cachedLimits
}

type cachedLimits struct {
	l       Limits
	expires time.Time
}

// New returns a limiter on pool; now is the clock (time.Now when nil).
func New(pool *pgxpool.Pool, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{pool: pool, now: now, LimitsTTL: 5 * time.Second}
}

// Limits are tenant's limits; the defaults for uuid.Nil or a tenant
// without settings.
func (l *Limiter) Limits(ctx context.Context, tenant uuid.UUID) (Limits, error) {
	if tenant == uuid.Nil {
		return Defaults(), nil
	}
	if c, ok := l.limits.Load(tenant); ok && time.Now().Before(c.(cachedLimits).expires) {
		return c.(cachedLimits).l, nil
	}
	var raw []byte
	err := db.OneStatement(ctx, l.pool, tenant, func(q *db.Queries) error {
		var err error
		raw, err = q.TenantRateLimits(ctx, tenant)
		return err
	})
	var limits Limits
	switch {
	case db.IsNotFound(err):
		limits = Defaults()
	case err != nil:
		return Limits{}, fmt.Errorf("ratelimit: limits: %w", err)
	default:
		limits = LimitsFrom(raw)
	}
	if l.LimitsTTL > 0 {
		l.limits.Store(tenant, cachedLimits{l: limits, expires: time.Now().Add(l.LimitsTTL)})
	}
	return limits, nil
}

// Forget drops the limits remembered of tenant: the next request reads
// them again.
func (l *Limiter) Forget(tenant uuid.UUID) { l.limits.Delete(tenant) }

// hit adds n to each key's window (0 only reads them) and returns the
// windows in the order of keys: one statement per tenant among the keys
// (a request's keys share one).
func (l *Limiter) hit(ctx context.Context, keys []Key, n int) ([]db.RateLimitHitManyRow, error) {
	out := make([]db.RateLimitHitManyRow, len(keys))
	done := make([]bool, len(keys))
	for i := range keys {
		if done[i] {
			continue
		}
		tenant := keys[i].Tenant
		var idx []int
		p := db.RateLimitHitManyParams{TenantID: tenant, Hits: int32(n), Now: l.now()}
		for j := i; j < len(keys); j++ {
			if !done[j] && keys[j].Tenant == tenant {
				done[j] = true
				idx = append(idx, j)
				p.Keys = append(p.Keys, keys[j].Name)
				p.WindowSeconds = append(p.WindowSeconds, int32(max(keys[j].Limit.WindowSeconds, 1)))
			}
		}
		var rows []db.RateLimitHitManyRow
		err := db.OneStatement(ctx, l.pool, tenant, func(q *db.Queries) error {
			var err error
			rows, err = q.RateLimitHitMany(ctx, p)
			return err
		})
		if err != nil {
			return nil, err
		}
		if len(rows) != len(idx) {
			return nil, fmt.Errorf("ratelimit: %d windows for %d keys", len(rows), len(idx))
		}
		for k, row := range rows {
			out[idx[k]] = row
		}
	}
	return out, nil
}

// Check refuses with RATE_LIMITED, and the time until the window ends,
// when any key already holds its limit of failures; it counts nothing.
func (l *Limiter) Check(ctx context.Context, keys ...Key) error {
	_, err := l.CheckWhich(ctx, keys...)
	return err
}

// CheckWhich is Check, also returning the key that is over its limit.
func (l *Limiter) CheckWhich(ctx context.Context, keys ...Key) (Key, error) {
	if len(keys) == 0 {
		return Key{}, nil
	}
	rows, err := l.hit(ctx, keys, 0)
	if err != nil {
		return Key{}, fmt.Errorf("ratelimit: check: %w", err)
	}
	for i, k := range keys {
		if int(rows[i].Hits) >= k.Limit.Max {
			wait := rows[i].WindowEnd.Sub(l.now())
			if wait < time.Second {
				wait = time.Second
			}
			return k, apperr.New(apperr.RateLimited, "too many failed attempts; try again in %d seconds", int((wait+time.Second-1)/time.Second)).
				WithAPI("RATE_LIMITED").WithRetryAfter(wait)
		}
	}
	return Key{}, nil
}

// Fail counts one failure against each key.
func (l *Limiter) Fail(ctx context.Context, keys ...Key) error {
	if len(keys) == 0 {
		return nil
	}
	ctx = context.WithoutCancel(ctx) // a caller who hangs up still counts
	if _, err := l.hit(ctx, keys, 1); err != nil {
		return fmt.Errorf("ratelimit: count: %w", err)
	}
	return nil
}
