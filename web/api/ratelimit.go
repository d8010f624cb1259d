package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/ratelimit"
)

// Kinds of rate-limit keys, one per limit of ratelimit.Limits.
const (
	rateTokenClient         = "token-client"
	rateTokenIP             = "token-ip"
	rateSignInAccount       = "signin-account"
	rateSignInIP            = "signin-ip"
	rateOTPAccount          = "otp-account"
	rateOTPIP               = "otp-ip"
	rateRegistrationAccount = "registration-account"
	rateRegistrationIP      = "registration-ip"
)

// rateLimits are tenant's rate limits (the defaults for uuid.Nil, or when
// they cannot be read: a limit is never lifted by an outage).
func (a *API) rateLimits(r *http.Request, tenant uuid.UUID) ratelimit.Limits {
	if a.Limiter == nil {
		return ratelimit.Defaults()
	}
	l, err := a.Limiter.Limits(r.Context(), tenant)
	if err != nil {
		a.Logger.ErrorContext(r.Context(), "read rate limits", "error", err)
		return ratelimit.Defaults()
	}
	return l
}

// rateLimited checks keys: when one is over its limit, it answers the
// error (429 with Retry-After) through answer and returns true.
func (a *API) rateLimited(w http.ResponseWriter, r *http.Request, answer func(error), keys ...ratelimit.Key) bool {
	if a.Limiter == nil {
		return false
	}
	k, err := a.Limiter.CheckWhich(r.Context(), keys...)
	if err != nil && apperr.CodeOf(err) == apperr.RateLimited {
		kind, _, _ := strings.Cut(k.Name, ":")
		a.Metrics.RateLimited(kind)
	}
	if err == nil {
		return false
	}
	if answer == nil {
		answer = func(err error) { a.WriteError(w, r, err) }
	}
	answer(err)
	return true
}

// rateFailed counts a failure against keys.
func (a *API) rateFailed(r *http.Request, keys ...ratelimit.Key) {
	if a.Limiter == nil {
		return
	}
	if err := a.Limiter.Fail(r.Context(), keys...); err != nil {
		a.Logger.ErrorContext(r.Context(), "count a failed attempt", "error", err)
	}
}

// isFailedAttempt reports whether err is a refusal that counts toward a
// rate limit: wrong credentials, a wrong or unknown code, a lock. Input
// that could not be read counts too; outages do not.
func isFailedAttempt(err error) bool {
	switch apperr.CodeOf(err) {
	case apperr.Unauthenticated, apperr.Invalid, apperr.Malformed, apperr.NotFound, apperr.Locked, apperr.Conflict, apperr.Forbidden:
		return true
	}
	return false
}

// writeOAuthSlowDown is the token endpoint's 429: RFC 6749's error
// object, with Retry-After.
func writeOAuthSlowDown(w http.ResponseWriter, err error) {
	wait := time.Second
	if e, ok := apperr.As(err); ok && e.RetryAfter > 0 {
		wait = e.RetryAfter
	}
	secs := int64((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	writeOAuthError(w, http.StatusTooManyRequests, "slow_down", "too many failed attempts; try again in "+strconv.FormatInt(secs, 10)+" seconds")
}

// tokenRateKeys are the keys of a token request for client id.
func (a *API) tokenRateKeys(r *http.Request, id string) []ratelimit.Key {
	tenant := uuid.Nil
	if a.Clients != nil {
		tenant = a.Clients.TenantOf(r.Context(), id)
	}
	l := a.rateLimits(r, tenant)
	return []ratelimit.Key{ratelimit.NewKey(tenant, rateTokenClient, id, l.TokenClient), ratelimit.NewKey(tenant, rateTokenIP, clientIP(r), l.TokenIP)}
}
