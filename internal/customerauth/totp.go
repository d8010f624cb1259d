package customerauth

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/event"
)

// Enrolment is a TOTP secret on its way to a customer's authenticator
// app, shown once.
type Enrolment struct {
	// Secret is the base32 secret to type in.
	Secret string
	// URI is the otpauth:// URI to show as a QR code.
	URI string
}

// TOTPAAD binds a sealed TOTP secret to its credential.
func TOTPAAD(credentialID uuid.UUID) []byte {
	return []byte("customer_credentials:" + credentialID.String() + ":totp_secret")
}

func (s *Service) openTOTP(st db.CustomerAuthStateRow) ([]byte, error) {
	if len(st.TotpSecret) == 0 {
		return nil, apperr.New(apperr.Conflict, "the customer has no authenticator app").WithAPI("TOTP_NOT_ENROLLED")
	}
	secret, err := s.crypt.Open(st.TotpSecret, TOTPAAD(st.CredentialID))
	if err != nil {
		return nil, fmt.Errorf("customerauth: open TOTP secret: %w", err)
	}
	return secret, nil
}

// BeginTOTP makes a new TOTP secret for customer, sealed at rest, and
// returns it once for the authenticator app; ConfirmTOTP with a first code
// completes the enrolment. issuer names the tenant in the app. Starting
// again before confirming replaces the secret; a confirmed app must be
// removed by an employee first (RemoveTOTP).
func (s *Service) BeginTOTP(ctx context.Context, tenant, customerID uuid.UUID, issuer string) (Enrolment, error) {
	var out Enrolment
	err := s.inTx(ctx, tenant, "begin TOTP", func(q *db.Queries, _ func(error)) error {
		st, err := authState(ctx, q, tenant, customerID)
		if err != nil {
			return err
		}
		if st.TotpConfirmedAt != nil {
			return apperr.New(apperr.Conflict, "the customer already has a confirmed authenticator app").WithAPI("TOTP_ALREADY_ENROLLED")
		}
		secret := credential.NewTOTPSecret()
		if err := q.SetTOTPSecret(ctx, db.SetTOTPSecretParams{TenantID: tenant, ID: st.CredentialID, TotpSecret: s.crypt.Seal(secret, TOTPAAD(st.CredentialID))}); err != nil {
			return err
		}
		out = Enrolment{Secret: credential.TOTPBase32(secret), URI: credential.TOTPURI(issuer, st.Email, secret)}
		return writeAudit(ctx, q, tenant, customerID, "customer.totp_enrolment_started", "", nil, map[string]any{"confirmed": false})
	})
	return out, err
}

// ConfirmTOTP completes an enrolment with the first code the customer's
// app shows; from then on challenges of channel TOTP are answered with the
// app's codes, each code once.
func (s *Service) ConfirmTOTP(ctx context.Context, tenant, customerID uuid.UUID, code string) error {
	code = strings.TrimSpace(code)
	if code == "" {
		return apperr.Validation(apperr.FieldError{Field: "code", Issue: "is required"})
	}
	if len(code) != credential.TOTPDigits || strings.Trim(code, "0123456789") != "" {
		return apperr.Validation(apperr.FieldError{Field: "code", Issue: fmt.Sprintf("must be the %d digits the authenticator app shows", credential.TOTPDigits)})
	}
	now := s.now()
	return s.inTx(ctx, tenant, "confirm TOTP", func(q *db.Queries, _ func(error)) error {
		st, err := authState(ctx, q, tenant, customerID)
		if err != nil {
			return err
		}
		if st.TotpConfirmedAt != nil {
			return apperr.New(apperr.Conflict, "the authenticator app is confirmed already").WithAPI("TOTP_ALREADY_ENROLLED")
		}
		if len(st.TotpSecret) == 0 {
			return apperr.New(apperr.Conflict, "start the enrolment first (POST /security/totp)").WithAPI("TOTP_NOT_STARTED")
		}
		secret, err := s.openTOTP(st)
		if err != nil {
			return err
		}
		step, ok := credential.VerifyTOTP(secret, code, now, -1)
		if !ok {
			e := apperr.New(apperr.Invalid, "the code does not match; check the device's clock and try the next code").WithAPI("INVALID_OTP")
			e.Fields = []apperr.FieldError{{Field: "code", Issue: "does not match the secret"}}
			return e
		}
		if err := q.ConfirmTOTP(ctx, db.ConfirmTOTPParams{TenantID: tenant, ID: st.CredentialID, Now: now, Step: step}); err != nil {
			return err
		}
		if err := writeAudit(ctx, q, tenant, customerID, "customer.totp_enrolled", "", map[string]any{"confirmed": false}, map[string]any{"confirmed": true}); err != nil {
			return err
		}
		_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer.totp.enrolled", EntityType: "customer",
			EntityID: customerID.String(), Payload: map[string]any{"customerId": customerID, "timestamp": stamp(now)}})
		return err
	})
}

// RemoveTOTP removes customer's authenticator app (confirmed or not) on an
// employee's word (the actor in ctx), with a reason for the audit trail —
// say, a lost phone. The customer can then enrol a new one; open TOTP
// challenges can no longer be answered.
func (s *Service) RemoveTOTP(ctx context.Context, tenant, customerID uuid.UUID, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return apperr.Validation(apperr.FieldError{Field: "reason", Issue: "is required: say why, for the audit trail"})
	}
	if len([]rune(reason)) > 500 {
		return apperr.Validation(apperr.FieldError{Field: "reason", Issue: "must be at most 500 characters"})
	}
	return s.inTx(ctx, tenant, "remove TOTP", func(q *db.Queries, _ func(error)) error {
		st, err := authState(ctx, q, tenant, customerID)
		if err != nil {
			return err
		}
		if len(st.TotpSecret) == 0 {
			return apperr.New(apperr.Conflict, "the customer has no authenticator app").WithAPI("TOTP_NOT_ENROLLED")
		}
		if err := q.ClearTOTP(ctx, db.ClearTOTPParams{TenantID: tenant, ID: st.CredentialID}); err != nil {
			return err
		}
		if err := writeAudit(ctx, q, tenant, customerID, "customer.totp_removed", "TOTP_REMOVED",
			map[string]any{"confirmed": st.TotpConfirmedAt != nil}, map[string]any{"enrolled": false, "reason": reason}); err != nil {
			return err
		}
		_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer.totp.removed", EntityType: "customer",
			EntityID: customerID.String(), Payload: map[string]any{"customerId": customerID, "timestamp": stamp(s.now())}})
		return err
	})
}
