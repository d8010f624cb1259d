package customerauth

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/event"
)

// PINStatus is what setting or resetting a PIN reports.
type PINStatus struct {
	CustomerID uuid.UUID
	Set        bool
	SetAt      *time.Time
}

func errPINLocked() error {
	return apperr.New(apperr.Locked, "the PIN is locked after too many wrong attempts; it must be reset").WithAPI("PIN_LOCKED")
}

func errPINNotSet() error {
	return apperr.New(apperr.Conflict, "the customer has no PIN; set one first").WithAPI("PIN_NOT_SET")
}

// SetPIN gives customer a transaction PIN. Changing an existing PIN takes
// the current one (checked, and counted, as VerifyPIN does); a locked PIN
// must be reset first. Trivial PINs are refused (see credential.CheckPIN)
// and the length is the tenant's. Changing a PIN ends every other session
// of the customer: all but keep, the session that made the change (all of
// them when keep is uuid.Nil, as for the tenant's backend).
func (s *Service) SetPIN(ctx context.Context, tenant, customerID, keep uuid.UUID, pin, currentPIN string) (PINStatus, error) {
	var st db.CustomerAuthStateRow
	var settings customer.Settings
	err := s.inTx(ctx, tenant, "set PIN", func(q *db.Queries, _ func(error)) error {
		var err error
		if settings, err = customer.LoadSettings(ctx, q, tenant); err != nil {
			return err
		}
		st, err = authState(ctx, q, tenant, customerID)
		return err
	})
	if err != nil {
		return PINStatus{}, err
	}
	if st.PinLocked {
		return PINStatus{}, errPINLocked()
	}
	fe := credential.CheckPIN("pin", pin, settings.PINLength, st.DateOfBirth)
	replacing := st.PinHash != nil
	if replacing && currentPIN == "" {
		fe.Add("currentPin", "is required to change the PIN")
	}
	if err := fe.Err(); err != nil {
		return PINStatus{}, err
	}
	if replacing {
		if err := s.verifyPIN(ctx, tenant, customerID, currentPIN, "currentPin"); err != nil {
			return PINStatus{}, err
		}
	}
	hash := credential.Hash(pin, s.HashParams)
	now := s.now()
	err = s.inTx(ctx, tenant, "set PIN", func(q *db.Queries, _ func(error)) error {
		n, err := q.SetPIN(ctx, db.SetPINParams{TenantID: tenant, ID: st.CredentialID, PinHash: hash, Now: now, OnlyIfUnset: !replacing})
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.New(apperr.Conflict, "a PIN was set meanwhile; change it with currentPin").WithAPI("PIN_ALREADY_SET")
		}
		action := "customer.pin_set"
		if replacing {
			action = "customer.pin_changed"
			if _, err := s.endOtherSessions(ctx, q, tenant, customerID, keep, RevokedPINChanged); err != nil {
				return err
			}
		}
		if err := writeAudit(ctx, q, tenant, customerID, action, "", map[string]any{"pinSet": replacing}, map[string]any{"pinSet": true}); err != nil {
			return err
		}
		_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer.pin.changed", EntityType: "customer",
			EntityID: customerID.String(), Payload: map[string]any{"customerId": customerID, "firstPin": !replacing, "timestamp": stamp(now)}})
		return err
	})
	if err != nil {
		return PINStatus{}, err
	}
	return PINStatus{CustomerID: customerID, Set: true, SetAt: &now}, nil
}

// VerifyPIN checks customer's PIN. Wrong PINs are counted; the attempt
// that reaches the tenant's limit locks the PIN until it is reset (423
// PIN_LOCKED from then on). As for sign-in, each attempt is reserved in
// the database before the slow hash is checked, so concurrent guesses
// cannot exceed the limit.
func (s *Service) VerifyPIN(ctx context.Context, tenant, customerID uuid.UUID, pin string) error {
	return s.verifyPIN(ctx, tenant, customerID, pin, "pin")
}

func (s *Service) verifyPIN(ctx context.Context, tenant, customerID uuid.UUID, pin, field string) error {
	if pin == "" {
		return apperr.Validation(apperr.FieldError{Field: field, Issue: "is required"})
	}
	if len(pin) > maxSecretLen || strings.Trim(pin, "0123456789") != "" {
		return apperr.Validation(apperr.FieldError{Field: field, Issue: "must be digits only"})
	}
	var (
		settings customer.Settings
		reserved db.ReservePINAttemptRow
	)
	err := s.inTx(ctx, tenant, "verify PIN", func(q *db.Queries, refuse func(error)) error {
		var err error
		if settings, err = customer.LoadSettings(ctx, q, tenant); err != nil {
			return err
		}
		reserved, err = q.ReservePINAttempt(ctx, db.ReservePINAttemptParams{TenantID: tenant, CustomerID: customerID, MaxFailures: int32(settings.PINMaxFailures)})
		if !db.IsNotFound(err) {
			return err
		}
		st, err := authState(ctx, q, tenant, customerID)
		switch {
		case err != nil:
			return err
		case st.PinHash == nil:
			return errPINNotSet()
		default:
			return errPINLocked()
		}
	})
	if err != nil {
		return err
	}
	if reserved.PinHash != nil && credential.VerifyOrDummy(pin, *reserved.PinHash) {
		return s.inTx(ctx, tenant, "verify PIN", func(q *db.Queries, _ func(error)) error {
			if err := q.PINSucceeded(ctx, db.PINSucceededParams{TenantID: tenant, ID: reserved.ID}); err != nil {
				return err
			}
			return writeAudit(ctx, q, tenant, customerID, "customer.pin_verified", "", nil, nil)
		})
	}
	err = s.inTx(ctx, tenant, "verify PIN", func(q *db.Queries, _ func(error)) error {
		after := map[string]any{"pinFailures": reserved.PinFailures, "maxFailures": settings.PINMaxFailures}
		if err := writeAudit(ctx, q, tenant, customerID, "customer.pin_failed", "WRONG_PIN", nil, after); err != nil {
			return err
		}
		if !reserved.PinLocked {
			return nil
		}
		if err := writeAudit(ctx, q, tenant, customerID, "customer.pin_locked", "TOO_MANY_WRONG_PINS", nil, after); err != nil {
			return err
		}
		_, err := event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer.pin.locked", EntityType: "customer",
			EntityID: customerID.String(), Payload: map[string]any{"customerId": customerID, "pinFailures": reserved.PinFailures, "timestamp": stamp(s.now())}})
		return err
	})
	if err != nil {
		return err
	}
	left := settings.PINMaxFailures - int(reserved.PinFailures)
	issue := "is not correct; " + plural(left, "attempt") + " left"
	if left <= 0 {
		issue = "is not correct; the PIN is now locked and must be reset"
	}
	e := apperr.New(apperr.Invalid, "the PIN is not correct").WithAPI("INVALID_PIN")
	e.Fields = []apperr.FieldError{{Field: field, Issue: issue}}
	return e
}

// ResetPIN removes customer's PIN and its lock, on an employee's word
// (the actor in ctx), with a reason for the audit trail. The customer then
// sets a new PIN.
func (s *Service) ResetPIN(ctx context.Context, tenant, customerID uuid.UUID, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return apperr.Validation(apperr.FieldError{Field: "reason", Issue: "is required: say why, for the audit trail"})
	}
	if len([]rune(reason)) > 500 {
		return apperr.Validation(apperr.FieldError{Field: "reason", Issue: "must be at most 500 characters"})
	}
	return s.inTx(ctx, tenant, "reset PIN", func(q *db.Queries, _ func(error)) error {
		st, err := authState(ctx, q, tenant, customerID)
		if err != nil {
			return err
		}
		return s.clearPIN(ctx, q, tenant, customerID, st, "PIN_RESET", reason, nil)
	})
}

// ResetPINWithOTP resets customer's PIN on a one-time code of purpose
// PIN_RESET sent to them (SendOTP), and sets newPIN when given (validated
// as SetPIN does); otherwise the customer sets one afterwards. As a PIN
// change, it ends every session of the customer but keep.
func (s *Service) ResetPINWithOTP(ctx context.Context, tenant, customerID, keep uuid.UUID, challengeID, code, newPIN string) (PINStatus, error) {
	var st db.CustomerAuthStateRow
	var settings customer.Settings
	err := s.inTx(ctx, tenant, "reset PIN", func(q *db.Queries, _ func(error)) error {
		var err error
		if settings, err = customer.LoadSettings(ctx, q, tenant); err != nil {
			return err
		}
		st, err = authState(ctx, q, tenant, customerID)
		return err
	})
	if err != nil {
		return PINStatus{}, err
	}
	id, err := checkCodeInput(challengeID, code)
	fe := apperr.Fields{}
	if e, ok := apperr.As(err); ok {
		fe = append(fe, e.Fields...)
	}
	if newPIN != "" {
		fe = append(fe, credential.CheckPIN("newPin", newPIN, settings.PINLength, st.DateOfBirth)...)
	}
	if err := fe.Err(); err != nil {
		return PINStatus{}, err
	}
	var hash *string
	if newPIN != "" {
		h := credential.Hash(newPIN, s.HashParams)
		hash = &h
	}
	now := s.now()
	err = s.inTx(ctx, tenant, "reset PIN", func(q *db.Queries, refuse func(error)) error {
		if _, err := s.checkChallenge(ctx, q, tenant, id, code, []string{PurposePINReset}, &customerID); err != nil {
			return refusal(err, refuse)
		}
		st, err := authState(ctx, q, tenant, customerID)
		if err != nil {
			return err
		}
		if _, err := s.endOtherSessions(ctx, q, tenant, customerID, keep, RevokedPINChanged); err != nil {
			return err
		}
		return s.clearPIN(ctx, q, tenant, customerID, st, "PIN_RESET_OTP", "one-time code "+id.String(), hash)
	})
	if err != nil {
		return PINStatus{}, err
	}
	if hash == nil {
		return PINStatus{CustomerID: customerID}, nil
	}
	return PINStatus{CustomerID: customerID, Set: true, SetAt: &now}, nil
}

// clearPIN removes the PIN and its lock (or replaces it with newHash) with
// an audit record and a customer.pin.reset event.
func (s *Service) clearPIN(ctx context.Context, q *db.Queries, tenant, customerID uuid.UUID, st db.CustomerAuthStateRow, reasonCode, reason string, newHash *string) error {
	var err error
	if newHash != nil {
		_, err = q.SetPIN(ctx, db.SetPINParams{TenantID: tenant, ID: st.CredentialID, PinHash: *newHash, Now: s.now()})
	} else {
		err = q.ClearPIN(ctx, db.ClearPINParams{TenantID: tenant, ID: st.CredentialID})
	}
	if err != nil {
		return err
	}
	before := map[string]any{"pinSet": st.PinHash != nil, "pinLocked": st.PinLocked, "pinFailures": st.PinFailures}
	after := map[string]any{"pinSet": newHash != nil, "pinLocked": false, "pinFailures": 0, "reason": reason}
	if err := writeAudit(ctx, q, tenant, customerID, "customer.pin_reset", reasonCode, before, after); err != nil {
		return err
	}
	_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer.pin.reset", EntityType: "customer",
		EntityID: customerID.String(), Payload: map[string]any{"customerId": customerID, "newPinSet": newHash != nil, "timestamp": stamp(s.now())}})
	return err
}
