package customerauth

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/event"
)

// Purposes of a one-time code. Each is answered at one place: LOGIN at
// CompleteLogin, PIN_RESET at ResetPINWithOTP, the others at VerifyOTP.
const (
	PurposeLogin           = "LOGIN"
	PurposePINReset        = "PIN_RESET"
	PurposeHighValueAction = "HIGH_VALUE_ACTION"
	PurposeEmailChange     = "EMAIL_CHANGE"
	PurposePhoneChange     = "PHONE_CHANGE"
)

// Channels a code travels by. TOTP sends nothing: the customer's
// authenticator app shows the code.
const (
	ChannelSMS   = "SMS"
	ChannelEmail = "EMAIL"
	ChannelTOTP  = "TOTP"
)

// SendPurposes are the purposes SendOTP issues codes for; sign-in codes
// come from Login.
var SendPurposes = []string{PurposePINReset, PurposeHighValueAction, PurposeEmailChange, PurposePhoneChange}

// verifyPurposes are the purposes VerifyOTP answers.
var verifyPurposes = []string{PurposeHighValueAction, PurposeEmailChange, PurposePhoneChange}

// Channels lists the channels SendOTP accepts.
var Channels = []string{ChannelSMS, ChannelEmail, ChannelTOTP}

// At most otpSendLimit codes per customer in any otpSendWindow, so that
// nobody can flood a customer's phone (or the tenant's SMS bill).
const (
	otpSendLimit  = 5
	otpSendWindow = 15 * time.Minute
)

// Challenge is a one-time code sent (or, for TOTP, expected) for a
// purpose.
type Challenge struct {
	ID         uuid.UUID
	CustomerID uuid.UUID
	Purpose    string
	Channel    string
	ExpiresAt  time.Time
}

func errChallengeNotFound() error {
	return apperr.New(apperr.NotFound, "no such challenge").WithAPI("CHALLENGE_NOT_FOUND")
}

// SendOTP creates a challenge for customer and purpose and sends its code
// by channel: an event customer.otp.requested carries the code to the
// tenant's notification connector (the only place the code exists in
// clear). For channel TOTP nothing is sent; the customer's authenticator
// app answers it.
func (s *Service) SendOTP(ctx context.Context, tenant, customerID uuid.UUID, channel, purpose string) (Challenge, error) {
	channel = strings.ToUpper(strings.TrimSpace(channel))
	purpose = strings.ToUpper(strings.TrimSpace(purpose))
	var fe apperr.Fields
	if !slices.Contains(Channels, channel) {
		fe.Add("channel", "must be one of %s", strings.Join(Channels, ", "))
	}
	switch {
	case purpose == PurposeLogin:
		fe.Add("purpose", "sign-in codes are sent by POST /customer/session when the tenant requires them")
	case !slices.Contains(SendPurposes, purpose):
		fe.Add("purpose", "must be one of %s", strings.Join(SendPurposes, ", "))
	}
	if err := fe.Err(); err != nil {
		return Challenge{}, err
	}
	var ch Challenge
	err := s.inTx(ctx, tenant, "send code", func(q *db.Queries, refuse func(error)) error {
		settings, err := customer.LoadSettings(ctx, q, tenant)
		if err != nil {
			return err
		}
		st, err := authState(ctx, q, tenant, customerID)
		if err != nil {
			return err
		}
		if st.CustomerStatus == customer.StatusLocked || st.CustomerStatus == customer.StatusClosed || st.CustomerStatus == customer.StatusErased {
			return apperr.New(apperr.Conflict, "a %s customer cannot be sent codes", strings.ToLower(st.CustomerStatus)).WithAPI("INVALID_CUSTOMER_STATUS")
		}
		ch, err = s.newChallenge(ctx, q, tenant, settings, customerID, st, purpose, channel, refuse)
		return err
	})
	return ch, err
}

// newChallenge creates a challenge inside q's transaction, with its event
// and audit record. The caller holds the customer's credential row lock,
// which makes the send limit exact.
func (s *Service) newChallenge(ctx context.Context, q *db.Queries, tenant uuid.UUID, settings customer.Settings, customerID uuid.UUID,
	st db.CustomerAuthStateRow, purpose, channel string, refuse func(error)) (Challenge, error) {
	switch {
	case channel == ChannelSMS && st.PhoneNumber == "":
		return Challenge{}, apperr.Validation(apperr.FieldError{Field: "channel", Issue: "the customer has no phone number; use EMAIL"})
	case channel == ChannelTOTP && st.TotpConfirmedAt == nil:
		return Challenge{}, apperr.Validation(apperr.FieldError{Field: "channel", Issue: "the customer has no confirmed authenticator app; use SMS or EMAIL"})
	}
	now := s.now()
	recent, err := q.RecentOTPChallenges(ctx, db.RecentOTPChallengesParams{TenantID: tenant, CustomerID: customerID, Since: now.Add(-otpSendWindow)})
	if err != nil {
		return Challenge{}, err
	}
	if recent.N >= otpSendLimit {
		refuse(apperr.New(apperr.RateLimited, "at most %d codes may be sent to a customer in %s", otpSendLimit, otpSendWindow).
			WithAPI("OTP_RATE_LIMITED").WithRetryAfter(retryIn(recent.Oldest.Add(otpSendWindow), now)))
		return Challenge{}, nil
	}
	ch := Challenge{ID: uuid.New(), CustomerID: customerID, Purpose: purpose, Channel: channel, ExpiresAt: now.Add(settings.OTPTTL)}
	var code string
	var hash []byte
	if channel != ChannelTOTP {
		code = credential.NewOTP()
		hash = credential.HashOTP(ch.ID, code)
	}
	if err := q.CreateOTPChallenge(ctx, db.CreateOTPChallengeParams{ID: ch.ID, TenantID: tenant, CustomerID: customerID, Purpose: purpose,
		Channel: channel, CodeHash: hash, MaxAttempts: int32(settings.OTPMaxAttempts), ExpiresAt: ch.ExpiresAt, CreatedAt: now}); err != nil {
		return Challenge{}, err
	}
	if err := writeAudit(ctx, q, tenant, customerID, "customer.otp_sent", "OTP_"+purpose, nil,
		map[string]any{"challengeId": ch.ID, "purpose": purpose, "channel": channel, "expiresAt": stamp(ch.ExpiresAt)}); err != nil {
		return Challenge{}, err
	}
	if channel == ChannelTOTP {
		return ch, nil
	}
	destination := st.Email
	if channel == ChannelSMS {
		destination = st.PhoneNumber
	}
	_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer.otp.requested", EntityType: "customer",
		EntityID: customerID.String(), Payload: map[string]any{
			"customerId": customerID, "challengeId": ch.ID, "purpose": purpose, "channel": channel,
			"destination": destination, "code": code, "expiresAt": stamp(ch.ExpiresAt),
		}})
	return ch, err
}

// VerifyOTP checks the code of a challenge for a high-value action or a
// change of e-mail address or phone number; the code works once. With
// customer set, only that customer's challenges are found.
func (s *Service) VerifyOTP(ctx context.Context, tenant uuid.UUID, customerID *uuid.UUID, challengeID, code string) (Challenge, error) {
	id, err := checkCodeInput(challengeID, code)
	if err != nil {
		return Challenge{}, err
	}
	var ch db.OtpChallenge
	err = s.inTx(ctx, tenant, "verify code", func(q *db.Queries, refuse func(error)) error {
		var err error
		ch, err = s.checkChallenge(ctx, q, tenant, id, code, verifyPurposes, customerID)
		return refusal(err, refuse)
	})
	if err != nil {
		return Challenge{}, err
	}
	return Challenge{ID: ch.ID, CustomerID: ch.CustomerID, Purpose: ch.Purpose, Channel: ch.Channel, ExpiresAt: ch.ExpiresAt}, nil
}

// refusal records a domain error as the answer, to be returned after the
// transaction commits what was counted; other errors roll it back.
func refusal(err error, refuse func(error)) error {
	if _, ok := apperr.As(err); ok {
		refuse(err)
		return nil
	}
	return err
}

// checkCodeInput validates a challenge id and code as a request carries
// them.
// ChallengeCustomer is the customer a sign-in challenge was sent for, or
// uuid.Nil when there is no such challenge: the account whose wrong codes
// are rate-limited across all of its challenges.
func (s *Service) ChallengeCustomer(ctx context.Context, tenant uuid.UUID, challengeID string) uuid.UUID {
	id, err := uuid.Parse(strings.TrimSpace(challengeID))
	if err != nil {
		return uuid.Nil
	}
	var ch db.OtpChallenge
	err = db.OneStatement(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		ch, err = q.OTPChallenge(ctx, db.OTPChallengeParams{TenantID: tenant, ID: id})
		return err
	})
	if err != nil || ch.Purpose != PurposeLogin {
		return uuid.Nil
	}
	return ch.CustomerID
}

func checkCodeInput(challengeID, code string) (uuid.UUID, error) {
	var fe apperr.Fields
	id, err := uuid.Parse(strings.TrimSpace(challengeID))
	if challengeID == "" {
		fe.Add("challengeId", "is required")
	} else if err != nil {
		fe.Add("challengeId", "must be the challengeId the code was sent with")
	}
	if code == "" {
		fe.Add("code", "is required")
	} else if len(code) != credential.OTPDigits || strings.Trim(code, "0123456789") != "" {
		fe.Add("code", "must be %d digits", credential.OTPDigits)
	}
	return id, fe.Err()
}

// checkChallenge answers challenge id with code inside q's transaction:
// the challenge must have one of purposes (and belong to customer when
// given), be unused, unexpired and have attempts left. Each check of a
// code counts an attempt, under the challenge's row lock, so concurrent
// guesses cannot exceed the limit. A domain error it returns must still
// be committed (see refusal); on success the challenge is consumed.
func (s *Service) checkChallenge(ctx context.Context, q *db.Queries, tenant, id uuid.UUID, code string, purposes []string, customerID *uuid.UUID) (db.OtpChallenge, error) {
	ch, err := q.OTPChallengeForUpdate(ctx, db.OTPChallengeForUpdateParams{TenantID: tenant, ID: id})
	if db.IsNotFound(err) || (err == nil && customerID != nil && ch.CustomerID != *customerID) {
		return ch, errChallengeNotFound()
	}
	if err != nil {
		return ch, err
	}
	now := s.now()
	switch {
	case !slices.Contains(purposes, ch.Purpose):
		return ch, apperr.New(apperr.Invalid, "this challenge is for %s, %s", ch.Purpose, answeredAt(ch.Purpose)).WithAPI("OTP_PURPOSE_MISMATCH")
	case ch.ConsumedAt != nil:
		return ch, apperr.New(apperr.Conflict, "this code has been used already; request a new one").WithAPI("OTP_ALREADY_USED")
	case ch.Attempts >= ch.MaxAttempts:
		return ch, errOTPAttempts()
	case !now.Before(ch.ExpiresAt):
		e := apperr.New(apperr.Invalid, "this code expired at %s; request a new one", stamp(ch.ExpiresAt)).WithAPI("OTP_EXPIRED")
		e.Fields = []apperr.FieldError{{Field: "challengeId", Issue: "has expired"}}
		return ch, e
	}
	attempts, err := q.CountOTPAttempt(ctx, db.CountOTPAttemptParams{TenantID: tenant, ID: id})
	if err != nil {
		return ch, err
	}
	ok := false
	if ch.Channel == ChannelTOTP {
		st, err := authState(ctx, q, tenant, ch.CustomerID)
		if err != nil {
			return ch, err
		}
		secret, err := s.openTOTP(st)
		if err != nil {
			return ch, err
		}
		last := int64(-1)
		if st.TotpLastStep != nil {
			last = *st.TotpLastStep
		}
		if step, match := credential.VerifyTOTP(secret, code, now, last); match {
			if err := q.SetTOTPLastStep(ctx, db.SetTOTPLastStepParams{TenantID: tenant, ID: st.CredentialID, Step: step}); err != nil {
				return ch, err
			}
			ok = true
		}
	} else {
		ok = credential.CheckOTP(ch.ID, code, ch.CodeHash)
	}
	if !ok {
		after := map[string]any{"challengeId": ch.ID, "purpose": ch.Purpose, "attempts": attempts, "maxAttempts": ch.MaxAttempts}
		if err := writeAudit(ctx, q, tenant, ch.CustomerID, "customer.otp_failed", "OTP_"+ch.Purpose, nil, after); err != nil {
			return ch, err
		}
		if attempts >= ch.MaxAttempts {
			return ch, errOTPAttempts()
		}
		e := apperr.New(apperr.Invalid, "the code is not correct").WithAPI("INVALID_OTP")
		e.Fields = []apperr.FieldError{{Field: "code", Issue: "is not correct; " + plural(int(ch.MaxAttempts-attempts), "attempt") + " left"}}
		return ch, e
	}
	if err := q.ConsumeOTPChallenge(ctx, db.ConsumeOTPChallengeParams{TenantID: tenant, ID: id, Now: now}); err != nil {
		return ch, err
	}
	return ch, writeAudit(ctx, q, tenant, ch.CustomerID, "customer.otp_verified", "OTP_"+ch.Purpose, nil,
		map[string]any{"challengeId": ch.ID, "purpose": ch.Purpose, "channel": ch.Channel})
}

func errOTPAttempts() error {
	return apperr.New(apperr.Locked, "too many wrong codes for this challenge; request a new code").WithAPI("OTP_ATTEMPTS_EXCEEDED")
}

func answeredAt(purpose string) string {
	switch purpose {
	case PurposeLogin:
		return "answered at POST /customer/session/otp"
	case PurposePINReset:
		return "answered at POST /security/pin/reset"
	default:
		return "answered at POST /security/otp/verify"
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
