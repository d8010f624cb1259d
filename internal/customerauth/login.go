package customerauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/metrics"
)

// LoginInput is a password sign-in.
type LoginInput struct {
	Email     string
	Password  string
	IP        string
	UserAgent string
}

// Tokens are what a session hands the customer's app.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	// ExpiresIn is the access token's life in seconds.
	ExpiresIn  int
	CustomerID uuid.UUID
	SessionID  uuid.UUID
	// PasswordChangeRequired is set when the password is past the
	// policy's maximum age: the app should ask for a new one.
	PasswordChangeRequired bool
}

// LoginResult is either Tokens, or, when the tenant requires a one-time
// code at sign-in, the Challenge to answer with CompleteLogin.
type LoginResult struct {
	Tokens    *Tokens
	Challenge *Challenge
}

// maxSecretLen bounds passwords and PINs read from a request, so nobody
// can make the hash work on megabytes.
const maxSecretLen = 1024

func errInvalidCredentials() error {
	return apperr.New(apperr.Unauthenticated, "the e-mail address or password is not correct").WithAPI("INVALID_CREDENTIALS")
}

func errAccountLocked(until, now time.Time) error {
	return apperr.New(apperr.Locked, "too many failed sign-ins; the account is locked until %s", stamp(until)).
		WithAPI("ACCOUNT_LOCKED").WithRetryAfter(retryIn(until, now))
}

// Login checks a customer's e-mail address and password.
//
// Failed attempts are counted and lock the account for the tenant's
// lockout period once they reach the tenant's limit. The count is race
// free: each attempt is reserved in the database before the password is
// checked (the attempt that reaches the limit sets the lock), and a
// correct password gives its reservation back. So N concurrent wrong
// passwords lock the account after exactly limit of them. The lock is
// silent: a wrong password on a locked account gets the same answer as an
// unknown address (INVALID_CREDENTIALS), and only the right password is
// told ACCOUNT_LOCKED, so the answers never tell whether an address is
// registered. The slow hash runs between two short transactions
// rather than inside one, so that it holds no row lock or connection.
//
// An unknown e-mail address takes as long as a wrong password and gets the
// same answer. A customer an employee locked or closed cannot sign in.
func (s *Service) Login(ctx context.Context, tenant uuid.UUID, in LoginInput) (LoginResult, error) {
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	var fe apperr.Fields
	if in.Email == "" {
		fe.Add("email", "is required")
	} else if len(in.Email) > 254 {
		fe.Add("email", "must be at most 254 characters")
	}
	if in.Password == "" {
		fe.Add("password", "is required")
	} else if len(in.Password) > maxSecretLen {
		fe.Add("password", "must be at most %d characters", maxSecretLen)
	}
	if err := fe.Err(); err != nil {
		return LoginResult{}, err
	}

	now := s.now()
	var (
		settings customer.Settings
		cred     db.LoginCredentialRow
		known    bool
		reserved db.ReserveLoginAttemptRow
		// lockedUntil is set when the account is locked out: said only
		// to a caller who proves the password.
		lockedUntil *time.Time
	)
	err := s.inTx(ctx, tenant, "login", func(q *db.Queries, refuse func(error)) error {
		// Every way on from here writes in a transaction of its own, which
		// waits for the disk, before the caller is answered; this one's
		// reservation reaches the disk with it.
		if err := q.CommitWithoutWaitingForDisk(ctx); err != nil {
			return err
		}
		var err error
		if settings, err = customer.LoadSettings(ctx, q, tenant); err != nil {
			return err
		}
		cred, err = q.LoginCredential(ctx, db.LoginCredentialParams{TenantID: tenant, Email: in.Email})
		if db.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		known = true
		reserved, err = q.ReserveLoginAttempt(ctx, db.ReserveLoginAttemptParams{TenantID: tenant, ID: cred.ID, Now: now,
			MaxFailures: int32(settings.LoginMaxFailures), LockUntil: now.Add(settings.LoginLockout)})
		if db.IsNotFound(err) {
			until, err := q.LoginLockedUntil(ctx, db.LoginLockedUntilParams{TenantID: tenant, ID: cred.ID})
			if err != nil {
				return err
			}
			if until == nil { // unlocked in between: count this one as locked out too
				t := now.Add(time.Second)
				until = &t
			}
			lockedUntil = until
			return nil
		}
		return err
	})
	if err != nil {
		return LoginResult{}, err
	}

	if !known {
		credential.VerifyOrDummy(in.Password, "")
		err := s.inTx(ctx, tenant, "login", func(q *db.Queries, _ func(error)) error {
			return writeAudit(ctx, q, tenant, uuid.Nil, "customer.sign_in_failed", "UNKNOWN_EMAIL", nil,
				map[string]any{"email": fieldcrypt.MaskEmail(in.Email), "ip": in.IP})
		})
		if err != nil {
			return LoginResult{}, err
		}
		s.Metrics.SignInFailed(metrics.Customer, "UNKNOWN_EMAIL", false)
		return LoginResult{}, errInvalidCredentials()
	}

	if lockedUntil != nil {
		// The lock applies silently: a wrong password gets the answer an
		// unknown address gets, so the lock tells nobody the address is
		// registered; only the right password learns of the lock.
		right := credential.VerifyOrDummy(in.Password, cred.PasswordHash)
		reason, refusal := "ACCOUNT_LOCKED", errInvalidCredentials()
		if right {
			reason, refusal = "ACCOUNT_LOCKED_RIGHT_PASSWORD", errAccountLocked(*lockedUntil, now)
		}
		err := s.inTx(ctx, tenant, "login", func(q *db.Queries, _ func(error)) error {
			return writeAudit(ctx, q, tenant, cred.CustomerID, "customer.sign_in_failed", reason, nil,
				map[string]any{"lockedUntil": stamp(*lockedUntil), "ip": in.IP})
		})
		if err != nil {
			return LoginResult{}, err
		}
		return LoginResult{}, refusal
	}

	if !credential.VerifyOrDummy(in.Password, cred.PasswordHash) {
		return LoginResult{}, s.loginFailed(ctx, tenant, cred, reserved, settings, in.IP)
	}

	// The password is right: the reservation is given back whatever
	// happens next.
	if err := customerActive(cred.CustomerStatus, cred.CredentialStatus); err != nil {
		refusal := err
		err := s.inTx(ctx, tenant, "login", func(q *db.Queries, _ func(error)) error {
			if err := q.LoginSucceeded(ctx, db.LoginSucceededParams{TenantID: tenant, ID: cred.ID, Now: now}); err != nil {
				return err
			}
			return writeAudit(ctx, q, tenant, cred.CustomerID, "customer.sign_in_refused", "ACCOUNT_DISABLED", nil,
				map[string]any{"status": cred.CustomerStatus, "credentialStatus": cred.CredentialStatus, "ip": in.IP})
		})
		if err != nil {
			return LoginResult{}, err
		}
		return LoginResult{}, refusal
	}

	if settings.LoginOTPRequired {
		var ch Challenge
		err := s.inTx(ctx, tenant, "login", func(q *db.Queries, refuse func(error)) error {
			if err := q.LoginSucceeded(ctx, db.LoginSucceededParams{TenantID: tenant, ID: cred.ID, Now: now}); err != nil {
				return err
			}
			st, err := authState(ctx, q, tenant, cred.CustomerID)
			if err != nil {
				return err
			}
			channel := ChannelEmail
			switch {
			case st.TotpConfirmedAt != nil:
				channel = ChannelTOTP
			case st.PhoneNumber != "":
				channel = ChannelSMS
			}
			ch, err = s.newChallenge(ctx, q, tenant, settings, cred.CustomerID, st, PurposeLogin, channel, refuse)
			return err
		})
		if err != nil {
			return LoginResult{}, err
		}
		return LoginResult{Challenge: &ch}, nil
	}

	tokens, err := s.startSession(ctx, tenant, cred.CustomerID, settings, in.IP, in.UserAgent, func(q *db.Queries) error {
		// Only if the password checked is still the customer's: a change
		// committed meanwhile ended every other session, this one too.
		n, err := q.LoginSucceededForHash(ctx, db.LoginSucceededForHashParams{TenantID: tenant, ID: cred.ID, Now: now, PasswordHash: cred.PasswordHash})
		if err == nil && n == 0 {
			err = errInvalidCredentials()
		}
		return err
	})
	if err != nil {
		return LoginResult{}, err
	}
	tokens.PasswordChangeRequired = PasswordExpired(settings.Password, cred.PasswordChangedAt, now)
	return LoginResult{Tokens: &tokens}, nil
}

// loginFailed records a wrong password (and the lockout it may have
// caused) and returns the error the caller gets.
func (s *Service) loginFailed(ctx context.Context, tenant uuid.UUID, cred db.LoginCredentialRow, reserved db.ReserveLoginAttemptRow, settings customer.Settings, ip string) error {
	err := s.inTx(ctx, tenant, "login", func(q *db.Queries, _ func(error)) error {
		after := map[string]any{"failedLogins": reserved.FailedLogins, "maxFailures": settings.LoginMaxFailures, "ip": ip}
		if err := writeAudit(ctx, q, tenant, cred.CustomerID, "customer.sign_in_failed", "WRONG_PASSWORD", nil, after); err != nil {
			return err
		}
		if reserved.LockedUntil == nil {
			return nil
		}
		until := stamp(*reserved.LockedUntil)
		if err := writeAudit(ctx, q, tenant, cred.CustomerID, "customer.locked_out", "TOO_MANY_FAILED_SIGN_INS", nil,
			map[string]any{"lockedUntil": until, "failedLogins": reserved.FailedLogins}); err != nil {
			return err
		}
		_, err := event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer.locked_out", EntityType: "customer",
			EntityID: cred.CustomerID.String(), Payload: map[string]any{"customerId": cred.CustomerID, "lockedUntil": until,
				"failedLogins": reserved.FailedLogins, "timestamp": stamp(s.now())}})
		return err
	})
	if err != nil {
		return err
	}
	s.Metrics.SignInFailed(metrics.Customer, "WRONG_PASSWORD", reserved.LockedUntil != nil)
	return errInvalidCredentials()
}

// CompleteLogin answers the one-time code a Login asked for and starts the
// session.
func (s *Service) CompleteLogin(ctx context.Context, tenant uuid.UUID, challengeID, code, ip, userAgent string) (Tokens, error) {
	id, err := checkCodeInput(challengeID, code)
	if err != nil {
		return Tokens{}, err
	}
	// Which customer the challenge is for, so that the access token can
	// be signed before the transaction that starts the session.
	var ch db.OtpChallenge
	var settings customer.Settings
	err = s.inTx(ctx, tenant, "login code", func(q *db.Queries, refuse func(error)) error {
		var err error
		if settings, err = customer.LoadSettings(ctx, q, tenant); err != nil {
			return err
		}
		ch, err = q.OTPChallenge(ctx, db.OTPChallengeParams{TenantID: tenant, ID: id})
		if db.IsNotFound(err) || (err == nil && ch.Purpose != PurposeLogin) {
			refuse(errChallengeNotFound())
			return nil
		}
		return err
	})
	if err != nil {
		return Tokens{}, err
	}
	return s.startSession(ctx, tenant, ch.CustomerID, settings, ip, userAgent, func(q *db.Queries) error {
		if _, err := s.checkChallenge(ctx, q, tenant, id, code, []string{PurposeLogin}, &ch.CustomerID); err != nil {
			return err
		}
		st, err := authState(ctx, q, tenant, ch.CustomerID)
		if err != nil {
			return err
		}
		return customerActive(st.CustomerStatus, st.CredentialStatus)
	})
}

// startSession signs an access token for a new session, then in one
// transaction runs before (which may refuse), creates the session and its
// first refresh token and audits the sign-in.
func (s *Service) startSession(ctx context.Context, tenant, customerID uuid.UUID, settings customer.Settings, ip, userAgent string, before func(q *db.Queries) error) (Tokens, error) {
	sid := uuid.New()
	access, claims, err := s.keys.Issue(ctx, credential.Claims{Kind: credential.KindCustomer, Subject: customerID.String(),
		TenantID: tenant, SessionID: sid.String()}, settings.AccessTokenTTL)
	if err != nil {
		return Tokens{}, err
	}
	refresh, refreshHash := newRefreshToken()
	now := s.now()
	ctx = actor.With(ctx, actor.Actor{Kind: actor.Customer, ID: customerID.String(), Name: "customer", TenantID: tenant})
	err = s.inTx(ctx, tenant, "start session", func(q *db.Queries, refuse func(error)) error {
		if err := before(q); err != nil {
			if _, ok := apperr.As(err); ok {
				refuse(err) // commit the attempt the check counted
				return nil
			}
			return err
		}
		if err := q.CreateCustomerSession(ctx, db.CreateCustomerSessionParams{ID: sid, TenantID: tenant, CustomerID: customerID,
			Now: now, ExpiresAt: now.Add(settings.RefreshTokenTTL), Ip: ip, UserAgent: clip(userAgent, 255)}); err != nil {
			return err
		}
		if err := q.CreateRefreshToken(ctx, db.CreateRefreshTokenParams{TokenHash: refreshHash, TenantID: tenant, SessionID: sid, Now: now}); err != nil {
			return err
		}
		return writeAudit(ctx, q, tenant, customerID, "customer.signed_in", "", nil,
			map[string]any{"sessionId": sid, "ip": ip, "userAgent": clip(userAgent, 255), "expiresAt": stamp(now.Add(settings.RefreshTokenTTL))})
	})
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{AccessToken: access, RefreshToken: refresh, ExpiresIn: int(claims.Expiry.Sub(claims.IssuedAt) / time.Second),
		CustomerID: customerID, SessionID: sid}, nil
}

// newRefreshToken is 256 random bits, URL-safe, and the hash it is stored
// under.
func newRefreshToken() (string, []byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system's random source failing is not recoverable
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	return tok, hashRefreshToken(tok)
}

func hashRefreshToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// clip cuts s to at most n bytes of valid UTF-8.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
